"""Each hit's musical context, the keys the feel tables are looked up by: its drum class, place in the bar and the
beat (metrical level), what else sounds at its step, whether its voice also plays the steps beside it (ghost notes,
rolls, 16th hats), how busy its voice is in that beat, and the tempo band. One definition for fitting (GMD's
quantized performances) and rendering (the decided drums), so both read a hit the same way.

Contexts come in `LEVELS`, finest first: a table answers from the finest level that saw enough hits in training
and backs off to coarser ones (the last is the drum class alone, always known).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from seq2drum.midi.drums import CLOSED_HAT, CRASH, HIGH_TOM, KICK, LOW_TOM, MID_TOM, NUM_DRUM_CLASSES, OPEN_HAT, RIDE
from seq2drum.midi.drums import SNARE
from seq2drum.song.grid import DrumGrid, Grid

TEMPO_BANDS_QPM = (85.0, 110.0, 135.0)  # edges of 4 tempo bands, quarter notes per minute
MAX_BAR_SIXTEENTHS = 32
BUSY_SIXTEENTHS = 3  # a voice with this many hits in one quarter note plays 16ths there
# what else sounds at the step: one bit per group (the hit's own class left out)
PARTNER_GROUPS = ((KICK,), (SNARE,), (CLOSED_HAT, OPEN_HAT), (RIDE,), (CRASH, LOW_TOM, MID_TOM, HIGH_TOM))

LEVELS = (
    "class, 16th in bar, bar length, what sounds with it, neighbours, busy, tempo band",
    "class, 16th in bar, bar length, kick or snare with it, neighbours, tempo band",
    "class, metrical level, 16th in beat, neighbours, busy, tempo band",
    "class, metrical level, 16th in beat",
    "class",
)
N_LEVELS = len(LEVELS)


def _partner_bits() -> np.ndarray:
    """(9,) int64 each class's bit in a hit's `partners`: its group's."""
    bits = np.zeros(NUM_DRUM_CLASSES, dtype=np.int64)
    for bit, group in enumerate(PARTNER_GROUPS):
        bits[list(group)] |= 1 << bit
    return bits


PARTNER_BITS = _partner_bits()
TEMPO_BANDS = np.array(TEMPO_BANDS_QPM)
# the bases of level 0's digits after class and 16th in bar: bar length, partners, neighbours, busy, tempo band
LEVEL0_TAIL_BASES = (MAX_BAR_SIXTEENTHS + 1, 2 ** len(PARTNER_GROUPS), 2, 2, len(TEMPO_BANDS_QPM) + 1)


@dataclass
class HitContexts:
    """The hits of a `DrumGrid` in `np.nonzero(hits)` order, with their context key at every level."""

    step: np.ndarray  # (n,) int64
    drum_class: np.ndarray  # (n,) int64
    keys: np.ndarray  # (n, N_LEVELS) int64, finest level first

    def __len__(self) -> int:
        return len(self.step)


# the digits a level's key is made of, rows of `_DIGITS` in hit_contexts, with their bases (the leading digit's
# base multiplies nothing)
_DIGITS = ("class", "sixteenth", "bar_sixteenths", "partners", "kick_snare", "neighbour", "busy", "tempo", "level",
           "in_beat")
_LEVEL_DIGITS = (
    (("class", NUM_DRUM_CLASSES), ("sixteenth", MAX_BAR_SIXTEENTHS),
     *zip(("bar_sixteenths", "partners", "neighbour", "busy", "tempo"), LEVEL0_TAIL_BASES)),
    (("class", NUM_DRUM_CLASSES), ("sixteenth", MAX_BAR_SIXTEENTHS), ("bar_sixteenths", MAX_BAR_SIXTEENTHS + 1),
     ("kick_snare", 4), ("neighbour", 2), ("tempo", 4)),
    (("class", NUM_DRUM_CLASSES), ("level", 4), ("in_beat", 4), ("neighbour", 2), ("busy", 2), ("tempo", 4)),
    (("class", NUM_DRUM_CLASSES), ("level", 4), ("in_beat", 4)),
    (("class", NUM_DRUM_CLASSES),),
)


def _level_weights() -> np.ndarray:
    """(N_LEVELS, len(_DIGITS)) int64: each digit's place value in each level's mixed-radix key (unique per
    combination of its digits), so one integer product gives every level's key; exact, the keys being far below
    2**63."""
    weights = np.zeros((len(_LEVEL_DIGITS), len(_DIGITS)), dtype=np.int64)
    for level, digits in enumerate(_LEVEL_DIGITS):
        place = 1
        for name, base in reversed(digits):
            weights[level, _DIGITS.index(name)] = place
            place *= base
    return weights


LEVEL_WEIGHTS = _level_weights()


def class_and_sixteenth(keys: np.ndarray) -> np.ndarray:
    """(n,) a number per (drum class, 16th in bar) of each hit, read off its level-0 key (the leading digits)."""
    return keys[:, 0] // int(np.prod(LEVEL0_TAIL_BASES))


def _step_places(grid: Grid) -> np.ndarray:
    """(5, n_steps) int64 for every step of `grid`: its 16th in the bar, its bar's length in 16ths, its metrical
    level, its tempo band and its step within its quarter note."""
    q = grid.steps_per_quarter
    in_bar = grid.step_in_bar()
    bar_steps = np.repeat(grid.bars[:, 1], grid.bars[:, 1])[: len(in_bar)]
    # np.minimum/np.maximum for np.clip: the same integers, a third the calls
    sixteenth = np.minimum(np.maximum(np.floor(in_bar * 4 / q).astype(np.int64), 0), MAX_BAR_SIXTEENTHS - 1)
    bar_sixteenths = np.minimum(np.maximum(np.round(bar_steps * 4 / q).astype(np.int64), 1), MAX_BAR_SIXTEENTHS)
    tempo = np.searchsorted(TEMPO_BANDS, grid.tempo_bpm())
    return np.stack([sixteenth, bar_sixteenths, grid.metrical_level(), tempo, in_bar % q]).astype(np.int64)


def hit_contexts(drums: DrumGrid, grid: Grid) -> HitContexts:
    """The context of every hit of `drums` (on `grid`, any steps per quarter: places are read in 16ths)."""
    hits = drums.hits
    n_steps = min(len(hits), grid.n_steps)
    step, drum_class = np.nonzero(hits[:n_steps])
    q = grid.steps_per_quarter
    once = getattr(grid, "_once", None)  # a grid that never changes (the live drummer's bar) keeps its places
    places = once("_feel_places", lambda: _step_places(grid)) if once is not None else _step_places(grid)
    sixteenth, bar_sixteenths, level, tempo, in_quarter = places[:, :n_steps][:, step]
    in_beat = sixteenth % 4
    others = hits[step].copy()
    others[np.arange(len(step)), drum_class] = False
    partners = np.bitwise_or.reduce(np.where(others, PARTNER_BITS, 0), axis=1)  # (n,) a bit per group sounding
    padded = np.zeros((n_steps + 2, NUM_DRUM_CLASSES), dtype=bool)
    padded[1:-1] = hits[:n_steps]
    neighbour = padded[step, drum_class] | padded[step + 2, drum_class]  # the steps before and after
    counts = np.zeros((n_steps + 1, NUM_DRUM_CLASSES), dtype=np.int64)
    np.cumsum(hits[:n_steps], axis=0, out=counts[1:])
    beat_start = step - in_quarter
    beat_end = np.minimum(beat_start + q, n_steps)
    busy = (counts[beat_end, drum_class] - counts[beat_start, drum_class]) * 4 >= BUSY_SIXTEENTHS * q
    digits = np.empty((len(_DIGITS), len(step)), dtype=np.int64)  # rows as _DIGITS names them
    digits[0], digits[1], digits[2], digits[3] = drum_class, sixteenth, bar_sixteenths, partners
    digits[4], digits[5], digits[6], digits[7] = partners & 3, neighbour, busy, tempo
    digits[8], digits[9] = level, in_beat
    keys = digits.T @ LEVEL_WEIGHTS.T  # (n, N_LEVELS): every level's key in one product, not 5 x 7 calls
    return HitContexts(step.astype(np.int64), drum_class.astype(np.int64), keys)
