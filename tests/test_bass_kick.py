"""Kicks that follow the bass (groove.bass_kick): the bass's onsets on the grid, and the kick row of bass bars."""

from __future__ import annotations

import numpy as np
import pytest

from seq2drum.groove.bass_kick import bass_grid_onsets, follow_bass
from seq2drum.midi.drums import KICK, SNARE


def onsets(width: int, *bars: list[int]) -> np.ndarray:
    grid = np.zeros((len(bars), width), dtype=bool)
    for row, steps in enumerate(bars):
        grid[row, steps] = True
    return grid


@pytest.mark.parametrize(("steps", "grid_steps", "expected"), [
    ([0, 6, 8], 2, [0, 6, 8]),  # already on eighths
    ([3, 7], 2, [4, 8]),  # a 16th before an eighth is heard on it (anticipation)
    ([5, 9], 1, [5, 9]),  # a 16th grid keeps every onset
    ([15], 2, [15]),  # rounding past the bar's end keeps the onset where it is
    ([1, 2], 4, [0, 4]),  # quarters
], ids=["eighths", "ties-later", "sixteenths", "bar-end", "quarters"])
def test_bass_onsets_move_to_the_nearest_grid_step(steps: list[int], grid_steps: int, expected: list[int]) -> None:
    grid = bass_grid_onsets(onsets(16, steps), np.array([16]), grid_steps)
    assert np.flatnonzero(grid[0]).tolist() == expected


def test_bass_bars_kick_with_the_bass_and_other_bars_keep_their_kicks() -> None:
    """Bar 0 has a bass: its kicks move to the bass's onsets (a sure decided kick stays, an unsure one goes);
    bar 1 has none: its decided kicks are untouched; other drums are never touched."""
    hits = np.zeros((2, 16, 9), dtype=bool)
    hits[:, [0, 8], KICK] = True
    hits[:, [4, 12], SNARE] = True
    p_kick = np.full((2, 16), 0.3)
    p_kick[0, 0] = 0.9  # a sure downbeat kick
    p_kick[0, 10] = 0.01  # a bass onset the model finds no kick on
    bass = onsets(16, [3, 6, 10], [])
    before = hits.copy()
    follow_bass(hits, p_kick, bass, np.array([16, 16]), floor=0.05, sure=0.5, grid_steps=2)
    assert np.flatnonzero(hits[0, :, KICK]).tolist() == [0, 4, 6]
    assert (hits[1] == before[1]).all()
    assert (hits[..., SNARE] == before[..., SNARE]).all()


def test_no_bass_part_changes_nothing() -> None:
    hits = np.random.default_rng(0).random((3, 16, 9)) > 0.7
    before = hits.copy()
    follow_bass(hits, np.full((3, 16), 0.5), None, np.array([16, 16, 16]), 0.0, 0.2, 2)
    assert (hits == before).all()


def test_the_rule_stays_inside_each_bar() -> None:
    hits = np.zeros((1, 16, 9), dtype=bool)
    bass = onsets(16, [0, 6, 11])  # a 6/8 bar is 12 steps: the onset at 11 stays, nothing lands past 12
    follow_bass(hits, np.full((1, 16), 0.5), bass, np.array([12]), 0.0, 0.2, 2)
    assert np.flatnonzero(hits[0, :, KICK]).tolist() == [0, 6, 11]
