"""The silence kept around the drums a user gave (seq2drum/generation/breaks.py, issue 90): a break of two bars or
more stays silent unless --fill-breaks, one empty bar is no break, and nothing plays past both the user's last drum
bar and the band's last note."""

from __future__ import annotations

import numpy as np

from seq2drum.generation.breaks import kept_silence, own_bars
from seq2drum.song.grid import Grid
from tests.builders import PPQ, notes_from_steps


def test_one_empty_bar_is_no_break_and_nothing_plays_past_the_band() -> None:
    own = np.array([1, 0, 1, 1, 0, 0, 1, 0, 0, 0], dtype=bool)  # a bar's rest (row 1), a break (rows 4-5)
    silent, notice = kept_silence(own, band_end_bar=8, fill_breaks=False)
    assert silent.tolist() == [0, 0, 0, 0, 1, 1, 0, 0, 1, 1] and "bars 5-6" in notice
    silent, _ = kept_silence(own, band_end_bar=8, fill_breaks=True)
    assert silent.tolist() == [0] * 8 + [1, 1]  # the band's last bar is row 7: no drums after it


def test_own_bars_are_the_bars_a_kept_note_starts_in() -> None:
    grid = Grid.build(PPQ, [(0, 4, 4)], [(0, 500_000)], 6 * 4 * PPQ)
    notes = notes_from_steps([(0, 36), (17, 38), (5 * 16 + 3, 42)])
    assert own_bars(notes, grid).tolist() == [True, True, False, False, False, True]
