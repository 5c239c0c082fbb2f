"""Grooves drummers play that a training set may lack in some meter (the jazz ride in 3/4, 4/4, 5/4 and 6/8, the
bossa nova, the blues shuffle), appended to a loaded model's codebook for `--style` to play, one bar on the 16th grid:
- the jazz ride ("spang-a-lang"): the ride on every beat, a skip note on the last 16th after each backbeat (the
  render swings it with the band: `feel/swing.py`), the hi-hat foot on the backbeats, the kick feathered on the
  beats, softly; the jazz waltz counts 1 2 3 (hat on 2 and 3, the skip after 2); 5/4 counts as Take Five's 3 + 2
  (hat on 3 and 5); 6/8 rides the two dotted beats and the last eighth of each, the hat on the second beat,
  the kick feathered on both.
- the bossa nova: its drummers' own bars (style_grooves.npz, tools.fit_style_grooves: the Groove MIDI Dataset's bossa
  drummer, 265 bars as 4 entries, `counts` the bars each stands for): the kick on 1, the "and" of 2, 3 and the "and"
  of 4, eighths on the ride with the hat foot on 2 and 4 or on the hat, the cross-stick (the snare class) on the clave.
- the blues shuffle: the hat or the ride (with the hat foot on 2 and 4) on every beat and its last 16th (swung by
  the render), the snare on 2 and 4, the kick on 1 and 3.
They are the model's to choose only under a style (`GrooveCodebook.designed` marks them: never played by its own
choice, never assigned to the user's bars, never on a later take's menu), so a model's default drums stay its own.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from seq2drum.groove.codebook import GrooveCodebook
from seq2drum.midi.drums import CLOSED_HAT, KICK, NUM_DRUM_CLASSES, RIDE, SNARE, midi_velocity


@dataclass(frozen=True)
class Figure:
    """One designed bar: its length in 16ths (compound 6/8 as 12) and the 16ths each class strikes, with a velocity."""

    name: str
    n_steps: int
    hits: tuple[tuple[int, tuple[int, ...], int], ...]  # (drum class, 16ths, MIDI velocity)


RIDE_BEAT, RIDE_SKIP, HAT_FOOT, FEATHER = 92, 68, 64, 38
SHUFFLE_BEAT, SHUFFLE_SKIP, BACKBEAT, SHUFFLE_KICK = 88, 66, 100, 90
STYLE_GROOVES = Path(__file__).with_name("style_grooves.npz")  # the styles' drummers' bars (tools.fit_style_grooves)

FIGURES = (
    Figure("jazz ride 4/4", 16, ((RIDE, (0, 4, 8, 12), RIDE_BEAT), (RIDE, (7, 15), RIDE_SKIP),
                                 (CLOSED_HAT, (4, 12), HAT_FOOT), (KICK, (0, 4, 8, 12), FEATHER))),
    Figure("jazz ride 4/4, no feather", 16, ((RIDE, (0, 4, 8, 12), RIDE_BEAT), (RIDE, (7, 15), RIDE_SKIP),
                                             (CLOSED_HAT, (4, 12), HAT_FOOT))),
    Figure("jazz waltz 3/4", 12, ((RIDE, (0, 4, 8), RIDE_BEAT), (RIDE, (7,), RIDE_SKIP),
                                  (CLOSED_HAT, (4, 8), HAT_FOOT), (KICK, (0,), FEATHER))),
    Figure("jazz ride 5/4", 20, ((RIDE, (0, 4, 8, 12, 16), RIDE_BEAT), (RIDE, (11, 19), RIDE_SKIP),
                                 (CLOSED_HAT, (8, 16), HAT_FOOT), (KICK, (0, 12), FEATHER))),
    Figure("jazz ride 6/8", 12, ((RIDE, (0, 6), RIDE_BEAT), (RIDE, (4, 10), RIDE_SKIP),
                                 (CLOSED_HAT, (6,), HAT_FOOT), (KICK, (0, 6), FEATHER))),
    Figure("shuffle, hat", 16, ((CLOSED_HAT, (0, 4, 8, 12), SHUFFLE_BEAT), (CLOSED_HAT, (3, 7, 11, 15), SHUFFLE_SKIP),
                                (SNARE, (4, 12), BACKBEAT), (KICK, (0, 8), SHUFFLE_KICK))),
    Figure("shuffle, ride", 16, ((RIDE, (0, 4, 8, 12), SHUFFLE_BEAT), (RIDE, (3, 7, 11, 15), SHUFFLE_SKIP),
                                 (CLOSED_HAT, (4, 12), HAT_FOOT), (SNARE, (4, 12), BACKBEAT),
                                 (KICK, (0, 8), SHUFFLE_KICK))),
)


def figure_arrays(figure: Figure, steps_per_quarter: int) -> tuple[int, np.ndarray, np.ndarray]:
    """(n_steps, pattern (n, 9) bool, velocity (n, 9)) of a figure on a grid of `steps_per_quarter` steps a quarter
    (the figures are written in 16ths; a grid that cannot hold them gives None)."""
    scale = steps_per_quarter / 4
    n_steps = int(round(figure.n_steps * scale))
    pattern, velocity = np.zeros((n_steps, NUM_DRUM_CLASSES), bool), np.zeros((n_steps, NUM_DRUM_CLASSES), np.float32)
    for drum, sixteenths, vel in figure.hits:
        steps = [int(round(s * scale)) for s in sixteenths]
        pattern[steps, drum], velocity[steps, drum] = True, vel
    return n_steps, pattern, velocity


def with_vocabulary(codebook: GrooveCodebook, steps_per_quarter: int) -> GrooveCodebook:
    """The codebook with the designed figures and the drummers' bars appended (once: a codebook that has them is
    returned as it is), each marked in `designed`. A grid too coarse for 16ths (steps_per_quarter not a multiple of
    4) or entries longer than the codebook holds are left out."""
    if codebook.designed is not None and codebook.designed.any():
        return codebook
    entries = [] if steps_per_quarter % 4 else [(n, pattern, 0, velocity, np.zeros_like(velocity)) for n, pattern,
                                                velocity in (figure_arrays(f, steps_per_quarter) for f in FIGURES)]
    drummers = [entry for found in drummers_grooves(steps_per_quarter).values() for entry in found]
    return codebook.appended([entry for entry in entries + drummers if entry[0] <= codebook.max_steps])


@functools.lru_cache(maxsize=8)  # read once: the codebook appends them, the style book names them
def drummers_grooves(steps_per_quarter: int, path: Path = STYLE_GROOVES) -> dict[str, list[tuple]]:
    """Each style's drummers' bars in style_grooves.npz as codebook entries (n_steps, pattern, bars, velocity,
    offset in steps) on a grid of `steps_per_quarter` steps a quarter; none on a grid that cannot hold 16ths.
    Shared: read, never written to."""
    if steps_per_quarter % 4 or not path.is_file():
        return {}
    with np.load(path, allow_pickle=False) as stored:
        scale, arrays = steps_per_quarter // int(stored["steps_per_quarter"]), dict(stored)
    found: dict[str, list[tuple]] = {}
    for k, style in enumerate(arrays["styles"].tolist()):
        spread = [np.zeros((arrays["hits"].shape[1] * scale, NUM_DRUM_CLASSES), arrays[name].dtype)
                  for name in ("hits", "velocity", "offset")]
        for out, name, factor in zip(spread, ("hits", "velocity", "offset"), (1, 1, scale)):
            out[::scale] = arrays[name][k] * factor
        found.setdefault(style, []).append((len(spread[0]), spread[0], int(arrays["bars"][k]), *spread[1:]))
    return found


def drummers_touch(codebook: GrooveCodebook, entry: np.ndarray, hits: np.ndarray,
                   velocity: np.ndarray) -> np.ndarray | None:
    """(n,) bool the bars of a take built on a style's drummers' bars (`entry` (n,) each bar's codebook entry, -1
    none), None where none is; in place on `velocity` (n, S, 9) uint8: their cells at their drummers' velocity, a
    cell their bar does not play (a fill's) the model's, brought to their scale (render.pipeline keeps them so)."""
    own = codebook.drummers(entry)
    if not own.any():
        return None
    theirs, model = codebook.velocity[entry[own], : hits.shape[1]], velocity[own].astype(np.float64)
    mine = hits[own] & (theirs > 0)
    scale = (theirs * mine).sum(axis=(1, 2)) / np.maximum((model * mine).sum(axis=(1, 2)), 1.0)
    velocity[own] = np.where(mine, np.rint(theirs), midi_velocity(np.rint(model * scale[:, None, None])) * hits[own])
    return own
