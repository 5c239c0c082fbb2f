"""Drum maps: which MIDI note each drum class is written as, for drum plug-ins that do not follow General MIDI.

A map is a JSON object from drum class name (`drums.DRUM_CLASSES`; `pedal_hat` and `cross_stick` for the closed hat
played with the foot and the snare played as a cross-stick, `drums.Articulation`; `side_stick` for the count-in) to a
MIDI note 0-127, e.g. `{"kick": 36, "snare": 40, "closed_hat": 22, "pedal_hat": 21}`; keys it leaves out keep their
GM note. It may describe itself with `name`, `source` and `plays` (kit_presets.ABOUT_KEYS), as the shipped presets
do. It is applied to the finished drum notes, so the model, the grid and every measurement stay in the 9 GM classes.
The count-in's sticks and the cross-stick share GM 37 and have a key each: the sticks are mapped apart.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from seq2drum.midi.drums import ARTICULATION_NOTES, DRUM_CLASSES, WRITTEN_PITCHES
from seq2drum.midi.kit_presets import ABOUT_KEYS, GM, preset, preset_keys
from seq2drum.errors import ConfigError
from seq2drum.user_files import read_user_file

SIDE_STICK = "side_stick"  # the count-in's sticks: GM 37, Side Stick
GM_SIDE_STICK = 37
ARTICULATION_KEYS = tuple(articulation.name.lower() for articulation, _, _ in ARTICULATION_NOTES)  # pedal_hat ...
KIT_KEYS: tuple[str, ...] = (*DRUM_CLASSES, SIDE_STICK, *ARTICULATION_KEYS)
GM_NOTES: tuple[int, ...] = (*WRITTEN_PITCHES[: len(DRUM_CLASSES)], GM_SIDE_STICK,
                             *WRITTEN_PITCHES[len(DRUM_CLASSES) :])
_DRUM_KEYS = [KIT_KEYS.index(key) for key in (*DRUM_CLASSES, *ARTICULATION_KEYS)]  # in WRITTEN_PITCHES' order
_PITCH, _START, _VELOCITY = 2, 0, 3  # note array columns (midi_io: START, END, PITCH, VELOCITY)


MAX_KIT_MAP_CHARS = 8192  # a real map is under 300 characters


def _shown(text: str) -> str:
    """Text for a message, cut to 40 characters (a map can hold anything; the message stays one short line)."""
    return text if len(text) <= 40 else text[:40] + "..."


def _json_kind(value: object) -> str:
    """What JSON calls a parsed value ("a JSON NoneType" said Python's name for null, issue 89 low)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"JSON {str(value).lower()}"
    kinds = ((list, "a JSON array"), (str, "a JSON string"), ((int, float), "a JSON number"))
    return next((name for kind, name in kinds if isinstance(value, kind)), f"a JSON {type(value).__name__}")


class KitMapError(ConfigError):
    """A drum map that is not JSON, not an object, names an unknown class, or gives a note outside 0-127."""


@dataclass(frozen=True)
class KitMap:
    """The MIDI note of every kit key (`KIT_KEYS` order)."""

    notes: tuple[int, ...] = GM_NOTES

    @classmethod
    def gm(cls) -> KitMap:
        return cls()

    @classmethod
    def from_mapping(cls, values: Mapping[str, object], source: str = "the kit map") -> KitMap:
        """A map from class names to notes; KitMapError naming the key at fault."""
        notes = list(GM_NOTES)
        for key, value in values.items():
            if key in ABOUT_KEYS:
                _check_about(key, value, source)
                continue
            if key not in KIT_KEYS:
                # difflib's cost grows with the key's length squared: suggest only for a key a person typed
                close = difflib.get_close_matches(str(key), KIT_KEYS, n=1) if len(str(key)) <= 40 else []
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise KitMapError(f"{source}: unknown drum class {_shown(repr(key))}{hint}; the classes are "
                                  f"{', '.join(KIT_KEYS)}")
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 127:
                huge = isinstance(value, int) and value.bit_length() > 64  # int -> str raises past 4,300 digits
                got = f"a number of {value.bit_length() * 3 // 10:,} digits or so" if huge else json.dumps(value)
                raise KitMapError(f"{source}: {key!r} must be a MIDI note number 0-127, got {_shown(got)}")
            notes[KIT_KEYS.index(key)] = value
        return cls(tuple(notes))

    @classmethod
    def from_json(cls, text: str, source: str = "the kit map") -> KitMap:
        """JSON text -> KitMap; KitMapError for text that is not a JSON object of class names to notes."""
        if len(text) > MAX_KIT_MAP_CHARS:  # bounds the parse below
            raise KitMapError(f"{source} holds {len(text):,} characters; a drum map is a few lines, at most "
                              f"{MAX_KIT_MAP_CHARS:,} characters, like " '{"kick": 36, "snare": 38}')
        try:
            values = json.loads(text)
        except json.JSONDecodeError as exc:
            raise KitMapError(f"{source} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}; "
                              'write it as {"kick": 36, "snare": 38, ...}') from None
        except (RecursionError, ValueError):  # nesting too deep for the parser; a number of over 4,300 digits
            raise KitMapError(f"{source} is not a drum map: it nests too deeply or holds a number too long to read; "
                              'write it as {"kick": 36, "snare": 38, ...}') from None
        if not isinstance(values, dict):
            raise KitMapError(f"{source} must be a JSON object from drum class to MIDI note, like "
                              f'{{"kick": 36, "snare": 38}}; got {_json_kind(values)}')
        return cls.from_mapping(values, source)

    def to_dict(self) -> dict[str, int]:
        return dict(zip(KIT_KEYS, self.notes))

    def to_json(self) -> str:
        return json.dumps(self.to_dict())

    @property
    def is_gm(self) -> bool:
        return self.notes == GM_NOTES

    def apply(self, drums: np.ndarray, sticks: np.ndarray | None = None) -> np.ndarray:
        """Drum notes (N, 4) written with GM notes (`drums.WRITTEN_PITCHES`: each class's and articulation's) and the
        count-in's sticks (M, 4; GM 37) -> both on this kit's notes, the sticks after the drums; where two keys land
        on one note at one tick, the louder note stays."""
        notes = drums if sticks is None or not len(sticks) else np.concatenate([drums, sticks])
        if self.is_gm or not len(notes):
            return notes
        lookup = np.arange(128, dtype=np.int64)
        lookup[list(WRITTEN_PITCHES)] = np.asarray(self.notes)[_DRUM_KEYS]
        out = notes.copy()
        out[: len(drums), _PITCH] = lookup[drums[:, _PITCH]]
        out[len(drums) :, _PITCH] = self.notes[KIT_KEYS.index(SIDE_STICK)]
        order = np.lexsort((-out[:, _VELOCITY], out[:, _PITCH], out[:, _START]))
        out = out[order]
        first = np.ones(len(out), dtype=bool)
        first[1:] = (out[1:, _START] != out[:-1, _START]) | (out[1:, _PITCH] != out[:-1, _PITCH])
        out = out[first]
        return out[np.lexsort((out[:, _PITCH], out[:, _START]))]

    def to_gm(self, notes: np.ndarray) -> np.ndarray:
        """`apply` undone, for hearing and drawing a mapped take as the 9 classes: drum notes (N, 4) on this kit's notes
        -> the same notes on their GM notes. Notes the kit does not use stay as they are; a note two classes share
        goes back to the later one in `KIT_KEYS` order (a kit without an open hat: both hats are the open hat)."""
        if self.is_gm or not len(notes):
            return notes
        lookup = np.arange(128, dtype=np.int64)
        for gm, note in zip(GM_NOTES, self.notes):  # in order, so the later of two on one note wins
            lookup[note] = gm
        out = notes.copy()
        pitch = notes[:, _PITCH]
        out[:, _PITCH] = np.where((pitch >= 0) & (pitch < 128), lookup[np.clip(pitch, 0, 127)], pitch)
        return out

    def __repr__(self) -> str:
        changed = {k: n for k, n, gm in zip(KIT_KEYS, self.notes, GM_NOTES) if n != gm}
        return f"KitMap(GM{', ' + str(changed) if changed else ''})"


def _check_about(key: str, value: object, source: str) -> None:
    """`name` and `source` are text, `plays` an object from drum class to text; KitMapError otherwise."""
    if key != "plays":
        if not isinstance(value, str):
            raise KitMapError(f"{source}: {key!r} describes the map in words; got {_shown(json.dumps(value))}")
        return
    if not isinstance(value, dict) or not all(k in KIT_KEYS and isinstance(v, str) for k, v in value.items()):
        raise KitMapError(f"{source}: 'plays' must be an object from drum class to what its note plays, like "
                          '{"kick": "Kick"}')


def read_kit_map(value: str) -> str | None:
    """The --kit-map argument (gm, a shipped preset's name, or a JSON file) -> the JSON text GenerationOptions
    carries (None for gm), checked, with errors naming the file."""
    if value.strip().lower() == GM:
        return None
    shipped = preset(value)
    if shipped is not None and not Path(value).is_file():
        return shipped.text
    path = Path(value)
    hint = 'name a JSON file such as {"kick": 36, "snare": 38}, or a preset: ' + preset_keys()
    if path.is_dir():
        raise KitMapError(f"--kit-map {path} is a folder; {hint}")
    if not path.exists():
        raise KitMapError(f"--kit-map {path} not found; {hint}")
    try:  # a regular file of at most MAX_KIT_MAP_CHARS characters (a FIFO or /dev/zero is refused unread)
        text = read_user_file(path, "--kit-map", 4 * MAX_KIT_MAP_CHARS, hint).decode()
    except ConfigError as exc:
        raise KitMapError(str(exc)) from None
    except UnicodeDecodeError as exc:
        raise KitMapError(f"cannot read --kit-map {path}: {exc}") from None
    KitMap.from_json(text, f"kit map {path}")
    return text
