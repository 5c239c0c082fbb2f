"""The drum maps that ship with seq2drum (`kit_maps/*.json`): General MIDI and the default maps of popular drum
plug-ins, each named by its file's stem, which `--kit-map NAME` (main.py and the DAW helper) and the studio's list take.

A preset is a kit map file like any other (seq2drum.midi.kit): drum class names to notes, plus three keys that
describe it and move no note: `name` (how a list shows it), `source` (where its notes come from, so they can be
checked) and `plays` (what each note plays in the plug-in). Copy one to make a map of your own. Standard library
only: the DAW helper imports it.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path

PRESET_FOLDER = Path(__file__).with_name("kit_maps")
GM = "gm"  # General MIDI: what --kit-map gm, or no map, writes
ABOUT_KEYS = ("name", "source", "plays")  # describe a map; move no note


@dataclass(frozen=True)
class KitPreset:
    """One shipped map: `key` is what --kit-map takes ("addictive-drums-2"), `text` its JSON as
    `GenerationOptions.kit_map` carries it."""

    key: str
    name: str
    source: str
    text: str

    def notes(self) -> dict[str, int]:
        """Drum class -> MIDI note, as the file gives them."""
        return {key: note for key, note in json.loads(self.text).items() if key not in ABOUT_KEYS}

    def plays(self) -> dict[str, str]:
        """Drum class -> what its note plays in the plug-in ("HiHat Closed 1 Tip")."""
        return dict(json.loads(self.text).get("plays", {}))

    def __repr__(self) -> str:
        return f"KitPreset({self.key}: {self.name})"


@functools.cache
def presets() -> tuple[KitPreset, ...]:
    """Every shipped map, General MIDI first, then by name."""
    found = []
    for path in sorted(PRESET_FOLDER.glob("*.json")):
        text = path.read_text(encoding="utf-8")
        about = json.loads(text)
        found.append(KitPreset(path.stem, about["name"], about["source"], text))
    return tuple(sorted(found, key=lambda preset: (preset.key != GM, preset.name.lower())))


def preset(key: str) -> KitPreset | None:
    """The shipped map named `key` (any case, spaces around it ignored); None when no map has that name."""
    wanted = key.strip().lower()
    return next((found for found in presets() if found.key == wanted), None)


def preset_keys() -> str:
    """The names --kit-map takes for the shipped maps, for a message: "gm, addictive-drums-2, toontrack"."""
    return ", ".join(found.key for found in presets())
