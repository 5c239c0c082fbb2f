"""encode_song: one song on one grid, the guitar and its drums, its span from the guitar's entry, the track choice;
if these break, training and generation read a song differently from the file."""

from __future__ import annotations


import pytest

from seq2drum.errors import NoDrumsError, NoGuitarError
from seq2drum.midi.io import read_midi
from seq2drum.midi.write import TrackSpec
from seq2drum.song.encode import encode_song
from seq2drum.song.guitar import N_GUITAR_FEATURES
from tests.builders import backbeat, notes_from_steps, riff, rock_song_bytes, song_bytes
from tests.corpus_songs import CONFIG, PIANO, encoded, intro_song_bytes


def test_encode_song_puts_guitar_and_drums_on_one_grid() -> None:
    """The guitar features and the drum grid share the song's steps; the span covers the song from the guitar's
    first bar; the duration comes from the tempo map."""
    song = encoded(rock_song_bytes(8))
    assert song.grid.n_bars == 8 and song.n_steps == 128
    assert song.guitar.shape == (128, N_GUITAR_FEATURES)
    assert song.drums is not None and song.drums.n_steps == 128 and song.drums.hits.sum() == 8 * 12
    assert song.first_step == 0 and song.span_steps == (0, 128) and (song.first_bar, song.end_bar) == (0, 8)
    assert song.duration_s == pytest.approx(16.0)  # 8 bars of 4/4 at 120 BPM
    assert song.guitar_note_count == 8 * 16
    assert song.last_onset_step == 126


def test_the_span_starts_at_the_bar_where_the_guitar_enters() -> None:
    """Drums of an intro without guitar are not trained on (generation has nothing to follow there)."""
    song = encoded(intro_song_bytes(intro_bars=2))
    assert song.first_step == 32
    assert song.span_steps == (32, song.n_steps) and (song.first_bar, song.end_bar) == (2, song.grid.n_bars)


def test_encode_song_without_drums_raises_no_drums_unless_generating() -> None:
    """Training needs drums (NoDrumsError otherwise); generation (with_drums=False) does not."""
    data = song_bytes(notes_from_steps(riff(4), length_steps=2))
    with pytest.raises(NoDrumsError):
        encoded(data)
    song = encode_song(read_midi(data), CONFIG, with_drums=False)
    assert song.drums is None and song.end_bar > song.first_bar


def test_encode_song_passes_the_track_choice_on() -> None:
    """--track reaches select_guitar: picking the piano encodes the piano's notes, not the guitar's."""
    data = song_bytes(
        notes_from_steps(riff(4), length_steps=2),
        notes_from_steps(backbeat(4)),
        extra=[TrackSpec("Piano", 2, PIANO[:8], 0)],
    )
    assert encode_song(read_midi(data), CONFIG, track="piano").guitar_note_count == 8
    with pytest.raises(NoGuitarError, match="--track"):
        encode_song(read_midi(data), CONFIG, track="violin")
