"""Later takes: take 1 with its cheapest swaps (`swapped`), else variations of a take that came out too like an
earlier one (issue 23 item 2).

A later take k is take 1's decision with its k-th pair of slices of its least likely cells swapped for as many of
the likeliest cells it leaves out (`swapped`): any two takes differ in two slices, where that costs the least
expected F1 (docs/experiments/2026-11-26-takes.md). Where that is not distinct, the decoder decides the take again
with other grooves; when the codebook runs out of grooves for a song's bars (odd meters such as 5/4 and 7/8), that
repeats an earlier take, and before writing fewer takes the decoder tries variations of it (`variations`): the other
time-keeping voice (ride or hi-hat), the open hi-hat, then on each voice in turn the take made 1.25, 0.8, 1.6 or 0.6
times as busy (groove.density), each also with a kick variation (one more kick a half note where the model likes it,
or its off-beat kicks left out). The first that shares under VARIATION_MAX_SIMILARITY of its cells (cell F1) with
every earlier take is the take; when none does, fewer takes are written (never a copy).
"""

from __future__ import annotations

import itertools

import dataclasses
from collections.abc import Callable, Iterator

import numpy as np

from seq2drum.groove.settings import VARIATION_DENSITIES, VARIATION_MAX_SIMILARITY
from seq2drum.groove import density
from seq2drum.groove.policy import Take
from seq2drum.groove.scores import SongScores
from seq2drum.groove.structure import FILL_COLUMN
from seq2drum.midi.drums import CLOSED_HAT, KICK, OPEN_HAT, RIDE, SNARE, TIMEKEEPERS, midi_velocity

HATS = (CLOSED_HAT, OPEN_HAT)


def copy_take(take: Take) -> Take:
    return dataclasses.replace(take, hits=take.hits.copy(), velocity=take.velocity.copy(), offset=take.offset.copy())


def move_voice(take: Take, scores: SongScores, sources: tuple[int, ...], target: int) -> None:
    """In place: every hit of the `sources` classes played on `target` instead, with the model's predicted velocity
    and timing for the voice it lands on."""
    moved = take.hits[:, :, list(sources)].any(axis=2) & ~take.hits[:, :, target]
    take.hits[:, :, target] |= moved
    take.hits[:, :, list(sources)] = False
    take.velocity[:, :, list(sources)] = 0
    take.offset[:, :, list(sources)] = 0.0
    take.velocity[:, :, target] = np.where(moved, midi_velocity(np.round(scores.velocity[:, :, target])),
                                           take.velocity[:, :, target]).astype(np.uint8)
    take.offset[:, :, target] = np.where(moved, scores.offset[:, :, target], take.offset[:, :, target])


def kick_variation(take: Take, p: np.ndarray, scores: SongScores) -> Take:
    """A copy of `take` with one more kick a half note on an off-beat 8th, the model's likeliest step over the song;
    where it adds none (no room), its off-beat kicks left out instead."""
    varied = copy_take(take)
    width = take.hits.shape[1]
    on_beat, on_eighth = density.step_kinds(scores, width)
    playable = scores.step_mask() & ~take.structure.any(axis=1)[:, None]
    kick = take.hits[..., KICK]
    added = density.one_per_group(playable & on_eighth & ~on_beat & ~kick, density.column_mean(p)[..., KICK],
                                  density.groups(scores, width, 4), np.zeros_like(kick))
    if added.any():
        kicks = np.zeros(take.hits.shape, dtype=bool)
        kicks[..., KICK] = added
        play_cells(varied, scores, np.flatnonzero(kicks))
    else:
        gone = kick & ~on_beat & playable
        for array in (varied.hits, varied.velocity, varied.offset):
            array[..., KICK][gone] = 0
    return varied


def variations(take: Take, p: np.ndarray, scores: SongScores) -> Iterator[Take]:
    """The variations tried, in order (see the module). 0.8 or 1.25 times the hits alone stays above 0.78 against
    the take it varies (cell F1 2r / (1 + r)), so they count combined with a voice or kick change, or as the farther
    0.6 and 1.6."""
    other = copy_take(take)  # time kept on the other cymbal: the ride where it plays the hi-hats, else the closed hat
    if int(take.hits[:, :, list(HATS)].sum()) >= int(take.hits[:, :, RIDE].sum()):
        move_voice(other, scores, HATS, RIDE)
    else:
        move_voice(other, scores, (RIDE,), CLOSED_HAT)
    opened = copy_take(take)  # time kept on the open hi-hat (loose, washy hats), not the closed hat or the ride
    move_voice(opened, scores, (CLOSED_HAT, RIDE), OPEN_HAT)
    voices = (other, opened)
    yield from voices
    for base in (take, *voices):
        for factor in VARIATION_DENSITIES:
            varied = copy_take(base)
            density.apply_density(varied, p, scores, factor)
            yield varied
            yield kick_variation(varied, p, scores)


SWAPPED = (KICK, SNARE, CLOSED_HAT, OPEN_HAT, RIDE)  # the classes a later take swaps (no tom, no crash)


def slice_pair(k: int) -> tuple[int, int]:
    """The k-th pair of slices (k >= 1) in order of cost: (0, 1), (0, 2), (1, 2), (0, 3), (1, 3), (2, 3), (0, 4)..."""
    pairs = [(low, high) for high in range(1, k + 1) for low in range(high)]
    return pairs[k - 1]


def swapped(take: Take, p: np.ndarray, scores: SongScores, k: int, share: float,
            forced: np.ndarray | None = None, swung: bool = False) -> None:
    """In place: later take k (>= 1) from take 1's decision (see the module): slices of `share` of its hits,
    its least likely swappable cells out, the likeliest swappable cells it leaves out in, the k-th pair of each in
    order of cost ((0, 1), (0, 2), (1, 2), (0, 3) ...: any two pairs differ in two slices). The swapped cells lie
    next to lambda on either side; out of fold they cost more than the model expects (the groove take 1 chose is
    right more often than its cells' probabilities say). Swappable: kick, snare, hats and ride in bars that play, no
    fill, not `forced` (the user's bars), up to the music's last onset; in a `swung` song (the swung time-keeping
    step to come), not the last beat's time-keeping.
    A bar's only snare is never left out."""
    free = take.hits.any(axis=(1, 2)) & ~take.structure[:, FILL_COLUMN]
    if forced is not None:
        free &= ~forced
    bound = scores.last_onset[0]
    if 0 <= bound < len(free):
        free[bound + 1 :] = False
    swappable = np.zeros(take.hits.shape, dtype=bool)
    swappable[:, :, list(SWAPPED)] = (scores.step_mask() & free[:, None])[:, :, None]
    if swung:  # the last beat's time-keeping stays: the swung time-keeping step rewrites it alike in every take
        last_beat = np.arange(take.hits.shape[1])[None, :] >= (scores.bar_steps - scores.beat_steps)[:, None]
        swappable[:, :, list(TIMEKEEPERS)] &= ~last_beat[:, :, None]
    # a bar's only snare stays (a sparse backbeat swapped out is no backbeat)
    core = np.zeros(take.hits.shape, dtype=bool)
    core[:, :, SNARE] = take.hits[:, :, SNARE] & (take.hits[:, :, SNARE].sum(axis=1) == 1)[:, None]
    size = int(np.floor(share * take.n_hits)) + 1
    flat_p = p.ravel()
    played = np.flatnonzero((take.hits & swappable & ~core).ravel())
    left = np.flatnonzero((~take.hits & swappable).ravel())
    played = played[np.argsort(flat_p[played], kind="stable")]  # least likely first
    left = left[np.argsort(-flat_p[left], kind="stable")]  # likeliest first
    out = np.concatenate([played[i * size : (i + 1) * size] for i in slice_pair(k)])
    into = np.concatenate([left[i * size : (i + 1) * size] for i in slice_pair(k)])
    for array in (take.hits, take.velocity, take.offset):
        array.ravel()[out] = 0
    play_cells(take, scores, into)


def play_cells(take: Take, scores: SongScores, cells: np.ndarray) -> None:
    """In place: the take plays `cells` (flat indices into its (n, S, 9) arrays) with the model's velocity and
    timing."""
    take.hits.ravel()[cells] = True
    take.velocity.ravel()[cells] = midi_velocity(np.round(scores.velocity.ravel()[cells])).astype(np.uint8)
    take.offset.ravel()[cells] = scores.offset.ravel()[cells]


def distinct_variation(take: Take, takes: list[Take], p: np.ndarray, scores: SongScores,
                       similarity: Callable[[np.ndarray, np.ndarray], float],
                       keep: Callable[[Take], None] = lambda varied: None) -> int:
    """The index (into `variations`) of the first variation of `take` under VARIATION_MAX_SIMILARITY with every take
    of `takes`, else -1; `keep` holds each variation to what the musician asked (in place) before it is compared."""
    for index, varied in enumerate(variations(take, p, scores)):
        keep(varied)
        if max(similarity(varied.hits, t.hits) for t in takes) < VARIATION_MAX_SIMILARITY:
            return index
    return -1


def variation(take: Take, p: np.ndarray, scores: SongScores, index: int) -> Take:
    """The `index`-th variation of `take` (`variations`' order)."""
    return next(itertools.islice(variations(take, p, scores), index, None))
