"""Each hit's musical context, the keys the feel tables are looked up by: its drum class, place in the bar and the
beat (metrical level), what else sounds at its step, whether its voice also plays the steps beside it (ghost notes,
rolls, 16th hats), how busy its voice is in that beat, and the tempo band. One definition for fitting (GMD's
quantized performances) and rendering (the decided drums), so both read a hit the same way.

Contexts come in `LEVELS`, finest first: a table answers from the finest level that saw enough hits in training
and backs off to coarser ones (the last is the drum class alone, always known).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from seq2drum.midi.drums import CLOSED_HAT, CRASH, HIGH_TOM, KICK, LOW_TOM, MID_TOM, NUM_DRUM_CLASSES, OPEN_HAT, RIDE
from seq2drum.midi.drums import SNARE
from seq2drum.song.drum_part import DrumGrid
from seq2drum.song.grid import Grid

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
LEVEL0_TAIL = math.prod(LEVEL0_TAIL_BASES)  # what a level-0 key's trailing digits span (a live bar reads it each bar)


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
    return keys[:, 0] // LEVEL0_TAIL


# the digits that depend on a hit's step alone, and those that depend on the hit (its class and what plays around it)
_STEP_DIGITS = ("sixteenth", "bar_sixteenths", "tempo", "level", "in_beat")
_HIT_DIGITS = ("class", "partners", "kick_snare", "neighbour", "busy")
N_PARTNERS = 2 ** len(PARTNER_GROUPS)
CLASS_BITS = 1 << np.arange(NUM_DRUM_CLASSES, dtype=np.int64)  # a step's classes sounding as one 9-bit mask
OTHER_CLASSES = (2**NUM_DRUM_CLASSES - 1) & ~CLASS_BITS  # (9,) the mask of every class but this one


def _part_weights(names: tuple[str, ...]) -> np.ndarray:
    """(len(names), N_LEVELS) int64: these digits' place values in every level's key."""
    return LEVEL_WEIGHTS[:, [_DIGITS.index(name) for name in names]].T


def _group_bits() -> np.ndarray:
    """(2**9,) int64: for a mask of classes sounding, the `partners` bits of their groups."""
    masks = np.arange(2**NUM_DRUM_CLASSES)
    return np.bitwise_or.reduce(np.where(masks[:, None] & CLASS_BITS != 0, PARTNER_BITS, 0), axis=1)


def _hit_keys() -> np.ndarray:
    """(9 * N_PARTNERS * 4, N_LEVELS) int64: the part of every level's key a hit's own digits make, by its code
    ((class * N_PARTNERS + partners) * 2 + neighbour) * 2 + busy (`hit_contexts`)."""
    drum_class, partners, neighbour, busy = np.indices((NUM_DRUM_CLASSES, N_PARTNERS, 2, 2)).reshape(4, -1)
    return np.stack([drum_class, partners, partners & 3, neighbour, busy], axis=1) @ _part_weights(_HIT_DIGITS)


GROUP_BITS = _group_bits()
HIT_KEYS = _hit_keys()


def _step_places(grid: Grid) -> np.ndarray:
    """(n_steps, N_LEVELS + 2) int64 for every step of `grid`: the part of every level's key its place makes (its
    16th in the bar, its bar's length in 16ths, its tempo band, metrical level and 16th in the beat), then the first
    step of its quarter note and the step after that quarter's last (within the grid)."""
    q = grid.steps_per_quarter
    in_bar = grid.step_in_bar()
    bar_steps = np.repeat(grid.bars[:, 1], grid.bars[:, 1])[: len(in_bar)]
    # np.minimum/np.maximum for np.clip: the same integers, a third the calls
    sixteenth = np.minimum(np.maximum(np.floor(in_bar * 4 / q).astype(np.int64), 0), MAX_BAR_SIXTEENTHS - 1)
    bar_sixteenths = np.minimum(np.maximum(np.round(bar_steps * 4 / q).astype(np.int64), 1), MAX_BAR_SIXTEENTHS)
    tempo = np.searchsorted(TEMPO_BANDS, grid.tempo_bpm())
    digits = np.stack([sixteenth, bar_sixteenths, tempo, grid.metrical_level(), sixteenth % 4], axis=1)
    beat_start = np.arange(grid.n_steps) - in_bar % q
    beat_end = np.minimum(beat_start + q, grid.n_steps)
    return np.column_stack([digits.astype(np.int64) @ _part_weights(_STEP_DIGITS), beat_start, beat_end])


def hit_contexts(drums: DrumGrid, grid: Grid) -> HitContexts:
    """The context of every hit of `drums` (on `grid`, any steps per quarter: places are read in 16ths). A bar's few
    dozen hits: a few whole-array steps, each level's key the sum of a per-step and a per-hit table's row."""
    hits = drums.hits
    n_steps = min(len(hits), grid.n_steps)
    played = hits[:n_steps]
    step, drum_class = np.nonzero(played)
    once = getattr(grid, "_once", None)  # a grid that never changes (the live drummer's bar) keeps its places
    places = once("_feel_step_places", lambda: _step_places(grid)) if once is not None else _step_places(grid)
    at_step = places[step]  # (n, N_LEVELS + 2)
    masks = np.zeros(n_steps + 2, dtype=np.int64)  # each step's classes, a silent step either side
    played.dot(CLASS_BITS, out=masks[1:-1])
    partners = GROUP_BITS[masks[1:-1][step] & OTHER_CLASSES[drum_class]]  # a bit per group sounding with the hit
    neighbour = ((masks[:-2][step] | masks[2:][step]) >> drum_class) & 1  # its class on the steps before or after
    counts = np.zeros((n_steps + 1, NUM_DRUM_CLASSES), dtype=np.int64)
    np.add.accumulate(played, axis=0, dtype=np.int64, out=counts[1:])  # np.cumsum's, without its wrapper
    beat_end = at_step[:, N_LEVELS + 1] if n_steps == grid.n_steps else np.minimum(at_step[:, N_LEVELS + 1], n_steps)
    in_beat = counts[beat_end, drum_class] - counts[at_step[:, N_LEVELS], drum_class]
    busy = in_beat * 4 >= BUSY_SIXTEENTHS * grid.steps_per_quarter
    code = ((drum_class * N_PARTNERS + partners) * 2 + neighbour) * 2 + busy
    keys = at_step[:, :N_LEVELS] + HIT_KEYS[code]  # (n, N_LEVELS): every level's key
    return HitContexts(step.astype(np.int64, copy=False), drum_class.astype(np.int64, copy=False), keys)
