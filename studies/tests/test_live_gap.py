"""studies/live_gap.py's file cut (`cut_midi`): what prefix-plan plans from is the music before the cut, every note
that sounds there ended at it, the tempo and meter kept; a cut that kept later notes would plan from the future. Its
backbeat bars (`backbeat_bars`) are style_touch.py's."""

from __future__ import annotations

import numpy as np

from seq2drum.midi.drums import KICK, SNARE
from seq2drum.midi.io import END, PITCH, START, read_midi
from studies.live_gap import backbeat_bars, cut_midi
from tests.builders import PPQ, notes_from_steps, riff, song_bytes


def test_the_cut_keeps_only_the_music_before_it_and_ends_what_sounds_there() -> None:
    whole = song_bytes(notes_from_steps(riff(4), length_steps=6), tempos=((0, 600_000),),
                       time_signatures=((0, 3, 4),))
    cut_tick = 2 * 3 * PPQ + PPQ // 4 + 10  # a tenth into bar 3's second 16th: a note sounds there
    before = read_midi(whole).parts[0].notes
    after = read_midi(cut_midi(whole, cut_tick))
    notes = after.parts[0].notes
    assert len(notes) == int((before[:, START] < cut_tick).sum())
    assert notes[:, START].max() < cut_tick and notes[:, END].max() <= cut_tick
    assert (notes[:, PITCH] == before[before[:, START] < cut_tick][:, PITCH]).all()
    assert after.tempos[0][1] == 600_000 and after.time_signatures[0][1:] == (3, 4)


def test_a_backbeat_bar_is_a_4_4_bar_with_the_snare_on_2_and_4() -> None:
    """style_touch.py's count off the scored grid: of the 16-step bars with any hit, those with a snare on 16ths 4 and
    12; a bar of another length (3/4) and an empty bar are not counted."""
    steps = np.array([16, 16, 16, 12])
    bar = np.repeat(np.arange(4), steps)
    in_bar = np.concatenate([np.arange(n) for n in steps])
    hits = np.zeros((len(bar), 9), dtype=bool)
    hits[[4, 12], SNARE] = True  # bar 0: a backbeat
    hits[[16, 16 + 4], [KICK, SNARE]] = True  # bar 1: the snare on 2 alone
    hits[[48 + 4], SNARE] = True  # bar 3, 12 steps: not 4/4
    assert backbeat_bars(hits, bar, in_bar, np.repeat(steps, steps)) == (2, 1)
