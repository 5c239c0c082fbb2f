"""A groove clip's notes as the drums replay them (seq2drum/song/clip_notes.py, issue 89 P4): a drummer's clip
unchanged, duplicates played as one, keys no drum plays left out, a clip looped past what a drum file holds refused."""

from __future__ import annotations

import numpy as np
import pytest

from seq2drum.errors import GrooveClipError
from seq2drum.song.clip_notes import MAX_LOOPED_CLIP_NOTES, check_clip_loop, clip_drum_notes


def test_a_drummers_clip_comes_back_note_for_note() -> None:
    notes = np.array([[0, 60, 36, 100], [0, 60, 42, 80], [240, 300, 42, 70], [480, 540, 38, 110]])
    kept, said = clip_drum_notes(notes)
    np.testing.assert_array_equal(kept, notes)
    assert said == ""


def test_duplicates_play_as_one_the_loudest_and_other_keys_are_left_out() -> None:
    notes = np.array([[0, 60, 36, 90], [0, 120, 36, 100], [0, 60, 36, 100], [0, 60, 5, 100], [0, 60, 120, 100]])
    kept, said = clip_drum_notes(notes)
    np.testing.assert_array_equal(kept, [[0, 120, 36, 100]])
    assert "2 notes on keys no drum plays (5, 120) are left out" in said
    assert "2 notes at the same instant and key as another play as one" in said


def test_a_clip_looped_past_the_limit_is_refused_naming_its_bars() -> None:
    bar = np.zeros((100, 4), dtype=np.int64)
    check_clip_loop([bar, bar[:50]], MAX_LOOPED_CLIP_NOTES // 75)  # 75 notes a bar on average: just within
    with pytest.raises(GrooveClipError, match="plays 100 notes in a bar; looped through the song's 600 bars"):
        check_clip_loop([bar, bar[:50]], 600)
