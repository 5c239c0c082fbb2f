"""A later take built from variations of one that came out too like an earlier take (issue 23 item 2).

When the codebook runs out of grooves for a song's bars (odd meters such as 5/4 and 7/8), a later take decided
the usual way repeats an earlier one. Before writing fewer takes, the decoder tries variations of it: the other
time-keeping voice (ride or hi-hat), the open hi-hat, then on each voice in turn the take made 1.25, 0.8, 1.6
or 0.6 times as busy (groove.density: what a drummer adds or thins), each also with a kick variation (one more
kick a half note where the model likes it, or its off-beat kicks left out). The first that shares under
VARIATION_MAX_SIMILARITY of its cells (cell F1) with every earlier take is the take; when none does, fewer takes
are written (never a copy). 0.8 or 1.25 times the hits alone stays above 0.78 against the take it varies (cell F1
2r / (1 + r)), so they count combined with a voice or kick change, or as the farther 0.6 and 1.6.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator

import numpy as np

from seq2drum.groove.settings import VARIATION_DENSITIES, VARIATION_MAX_SIMILARITY
from seq2drum.groove import density
from seq2drum.groove.policy import Take
from seq2drum.midi.drums import CLOSED_HAT, KICK, OPEN_HAT, RIDE, midi_velocity
from seq2drum.groove.scores import SongScores

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


def other_voice(take: Take, scores: SongScores) -> Take:
    """A copy of `take` keeping time on the other cymbal: the ride where it plays the hi-hats, else the closed
    hi-hat where it rides."""
    varied = copy_take(take)
    if int(take.hits[:, :, list(HATS)].sum()) >= int(take.hits[:, :, RIDE].sum()):
        move_voice(varied, scores, HATS, RIDE)
    else:
        move_voice(varied, scores, (RIDE,), CLOSED_HAT)
    return varied


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
        rows, steps = np.nonzero(added)
        varied.hits[rows, steps, KICK] = True
        varied.velocity[rows, steps, KICK] = midi_velocity(np.round(scores.velocity[rows, steps, KICK]))
        varied.offset[rows, steps, KICK] = scores.offset[rows, steps, KICK]
    else:
        gone = kick & ~on_beat & playable
        for array in (varied.hits, varied.velocity, varied.offset):
            array[..., KICK][gone] = 0
    return varied


def open_voice(take: Take, scores: SongScores) -> Take:
    """A copy of `take` keeping time on the open hi-hat (loose, washy hats) instead of the closed hat or the ride."""
    varied = copy_take(take)
    move_voice(varied, scores, (CLOSED_HAT, RIDE), OPEN_HAT)
    return varied


def variations(take: Take, p: np.ndarray, scores: SongScores) -> Iterator[Take]:
    """The variations tried, in order (see the module)."""
    voices = (other_voice(take, scores), open_voice(take, scores))
    yield from voices
    for base in (take, *voices):
        for factor in VARIATION_DENSITIES:
            varied = copy_take(base)
            density.apply_density(varied, p, scores, factor)
            yield varied
            yield kick_variation(varied, p, scores)


def varied_take(take: Take, takes: list[Take], p: np.ndarray, scores: SongScores,
                similarity: Callable[[np.ndarray, np.ndarray], float],
                keep: Callable[[Take], None] = lambda varied: None) -> Take | None:
    """The first variation of `take` under VARIATION_MAX_SIMILARITY with every take of `takes`, else None; `keep`
    holds each variation to what the musician asked (in place) before it is compared."""
    for varied in variations(take, p, scores):
        keep(varied)
        if max(similarity(varied.hits, t.hits) for t in takes) < VARIATION_MAX_SIMILARITY:
            return varied
    return None
