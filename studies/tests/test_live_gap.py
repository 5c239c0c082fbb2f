"""studies/live_gap.py's file cut (`cut_midi`): what prefix-plan plans from is the music before the cut, every note
that sounds there ended at it, the tempo and meter kept; a cut that kept later notes would plan from the future."""

from __future__ import annotations

from seq2drum.midi.io import END, PITCH, START, read_midi
from studies.live_gap import cut_midi
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
