"""studies/band_changes.py on phrases written in code: a band that doubles its notes changes, one that repeats does
not, and the drummer changes where his folded cells leave the phrase before's. If one fails, the study's rates of
the drummers' changes where the band changes are wrong."""

from __future__ import annotations

import numpy as np

from studies.band_changes import CELLS, song_changes


def vector(drum_steps: list[tuple[int, int]], band_steps: list[int]) -> np.ndarray:
    """A realism.phrases vector: every bar of the phrase plays these (step, class) drums over these band onsets."""
    cells = np.zeros((4, 16, 9))
    for step, drum in drum_steps:
        cells[:, step, drum] = 1
    band = np.zeros((4, 16))
    band[:, band_steps] = 1
    return np.concatenate([cells.reshape(-1), np.zeros(9 + 2 + 3), band.reshape(-1)])


def test_a_band_that_doubles_changes_and_the_drummer_changes_with_his_cymbal() -> None:
    hat = [(s, 2) for s in range(0, 16, 2)] + [(4, 1), (12, 1)]
    ride = [(s, 8) for s in range(0, 16, 2)] + [(4, 1), (12, 1)]
    quarters, sixteenths = [0, 4, 8, 12], list(range(16))
    vectors = [vector(hat, quarters), vector(hat, quarters), vector(ride, sixteenths), vector(ride, sixteenths)]
    assert len(vectors[0]) == CELLS + 9 + 2 + 3 + 64
    assert song_changes(vectors) == [(False, False, True), (True, True, False), (False, False, None)]
