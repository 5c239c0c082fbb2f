"""What the page offers as lists rather than text boxes: the styles that fit a meter (the model's, from the backend:
a style the song's meter has no grooves for is refused by generation, so it is never offered), the meters of an
uploaded song, and the kit maps that ship with seq2drum (seq2drum.midi.kit_presets).

Meters are named as generation names them (groove.styles.meter_name): a 2/2 song plays the 4/4 styles, 6/8 the
compound ones; a song's meter is the one most of its guitar's bars are in, as `groove.controls.song_meters` ranks the
bars the drums play.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from seq2drum import arrays
from seq2drum.errors import ConfigError
from seq2drum.groove import meter_name
from seq2drum.midi.io import END, START, MidiSong, Part
from seq2drum.midi.kit_presets import presets
from seq2drum.midi.limits import parse_meter
from seq2drum.options import DEFAULT_METER
from seq2drum.song.grid import BAR_DENOMINATOR, BAR_NUMERATOR, BAR_START, BAR_STEPS, Grid, is_compound

STEPS_PER_QUARTER = 4  # a meter's name does not depend on it (a bar's length in 16ths)


def meter_words(numerator: int, denominator: int) -> str:
    """A time signature as the styles name its bars: 2/2 -> 4/4, 6/8 -> 6/8, 7/8 -> 7/8."""
    steps = numerator * 4 * STEPS_PER_QUARTER / denominator
    if steps != int(steps) or steps < 1:
        raise ConfigError(f"a bar of {numerator}/{denominator} is shorter than a 16th note or not a whole number of "
                          "16ths; pick another meter")
    return meter_name(int(steps), bool(is_compound(numerator, denominator)), STEPS_PER_QUARTER)


def meter_asked(text: str) -> str:
    """The page's meter ("3/4", or empty: 4/4) named as the styles name it; ConfigError in --meter's words."""
    return meter_words(*parse_meter(text.strip()[:40] or DEFAULT_METER))


def song_meters(song: MidiSong, guitar: list[Part]) -> list[str]:
    """The meters of the song's bars in which the guitar plays (every part when no guitar is known), most bars
    first; [] for a song of no notes."""
    parts = [part for part in (guitar or song.melodic_parts) if len(part.notes)]
    if not parts:
        return []
    end_tick = max(int(part.notes[:, END].max()) for part in parts)
    grid = Grid.build(song.ticks_per_quarter, song.time_signatures, song.tempos, end_tick, STEPS_PER_QUARTER)
    starts = np.concatenate([part.notes[:, START] for part in parts])
    steps = np.clip(np.floor(starts / grid.ticks_per_step).astype(np.int64), 0, grid.n_steps - 1)
    bars = arrays.distinct(np.searchsorted(grid.bars[:, BAR_START], steps, side="right") - 1)
    names = [meter_name(int(n), bool(is_compound(num, den)), STEPS_PER_QUARTER)
             for n, num, den in grid.bars[bars][:, [BAR_STEPS, BAR_NUMERATOR, BAR_DENOMINATOR]].tolist()]
    counts: dict[str, int] = {}
    for name in names:
        counts[name] = counts.get(name, 0) + 1
    return sorted(counts, key=lambda name: -counts[name])


def style_list(styles: list[dict[str, Any]], meter: str) -> dict[str, Any]:
    """The page's style list for `meter`: only the styles offered in it, each with its meters and description."""
    fitting = [{"name": style["name"], "meters": list(style["meters"]), "description": style["description"]}
               for style in styles if meter in style["meters"]]
    return {"meter": meter, "styles": fitting, "all": len(styles)}


def kit_map_list() -> list[dict[str, Any]]:
    """The shipped kit maps, General MIDI first: the name --kit-map takes, how it is shown, where its notes come
    from, and each drum's note and what it plays."""
    return [{"key": preset.key, "name": preset.name, "source": preset.source, "notes": preset.notes(),
             "plays": preset.plays()} for preset in presets()]
