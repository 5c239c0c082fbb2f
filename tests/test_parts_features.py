"""What the part model hears of each phrase's band (seq2drum/parts/features.py), on songs built in code: the band's
notes and where they change, the roles, the swing read on the 16th grid, the sections and the place in the song, and
that no drum is read. If one fails, the part model is trained on one thing and hears another."""

from __future__ import annotations

import numpy as np

from seq2drum.config import DataConfig
from seq2drum.midi.io import read_midi
from seq2drum.midi.write import TrackSpec
from seq2drum.parts.features import FEATURE_NAMES, band_changes, folded_f1, phrase_features, swing_reading
from seq2drum.parts.labels import Phrase, cut_phrases
from seq2drum.song.bars import FeatureSpec, bar_song
from seq2drum.song.encode import encode_song
from tests.builders import backbeat, notes_from_steps, riff, song_bytes

SPEC = FeatureSpec.current(4)


def verse_then_chorus(with_drums: bool = True) -> bytes:
    """8 bars of a guitar on quarters, then 8 of the guitar in eighths with a bass in eighths (the band busier)."""
    guitar = [(bar * 16 + s, 52) for bar in range(8) for s in range(0, 16, 4)]
    guitar += [(bar * 16 + s, 52) for bar in range(8, 16) for s in range(0, 16, 2)]
    bass = [(bar * 16 + s, 28) for bar in range(8, 16) for s in range(0, 16, 2)]
    drums = notes_from_steps(backbeat(16)) if with_drums else None
    return song_bytes(notes_from_steps(guitar), drums, extra=[TrackSpec("Bass", 1, notes_from_steps(bass), 33)])


def features_of(data: bytes, with_drums: bool = True) -> tuple[np.ndarray, list[Phrase]]:
    song = bar_song(encode_song(read_midi(data), DataConfig(), with_drums=with_drums), SPEC)
    phrases = [Phrase(a, a + 4, 0 if a < 8 else 1, 0 if a < 8 else 1, (a % 8) // 4) for a in range(0, 16, 4)]
    return phrase_features(song, phrases), phrases


def column(features: np.ndarray, name: str) -> np.ndarray:
    return features[:, FEATURE_NAMES.index(name)]


def test_one_row_per_phrase_one_column_per_name() -> None:
    features, phrases = features_of(verse_then_chorus())
    assert features.shape == (len(phrases), len(FEATURE_NAMES)) and len(set(FEATURE_NAMES)) == len(FEATURE_NAMES)
    heard = np.array([name.startswith("heard_") for name in FEATURE_NAMES])
    assert np.isfinite(features[:, ~heard]).all() and np.isnan(features[:, heard]).all()  # a song not described


def test_the_band_turning_busier_is_a_change_where_it_happens() -> None:
    features, _ = features_of(verse_then_chorus())
    assert column(features, "band_change").tolist() == [0, 0, 1, 0]
    assert column(features, "band_change_after").tolist() == [0, 1, 0, 0]
    assert column(features, "notes_change_before")[2] > 0.5
    assert column(features, "band_bass_plays").tolist() == [0, 0, 1, 1]
    assert column(features, "thin")[:2].tolist() == [1, 1] and column(features, "has_bass")[2] == 1


def test_sections_and_places() -> None:
    features, _ = features_of(verse_then_chorus())
    assert column(features, "letter_A").tolist() == [1, 1, 0, 0] and column(features, "letter_B")[2] == 1
    assert column(features, "section_start").tolist() == [1, 0, 1, 0]
    assert column(features, "same_section_before").tolist() == [0, 1, 0, 1]
    assert column(features, "first_phrase").tolist() == [1, 0, 0, 0]
    assert column(features, "last_phrase").tolist() == [0, 0, 0, 1]
    assert column(features, "family_4/4").all()


def test_no_drum_is_read() -> None:
    """The same band with or without drums: the same features (a song to generate for has none)."""
    with_drums, _ = features_of(verse_then_chorus())
    without, _ = features_of(verse_then_chorus(with_drums=False), with_drums=False)
    np.testing.assert_array_equal(with_drums, without)


def test_swing_on_the_sixteenth_grid() -> None:
    """Off-beat notes on the beat's last 16th read as swung (0.75), on its middle as straight (0.5)."""
    straight = np.zeros((4, 32))
    straight[:, [0, 2, 4, 6, 8, 10, 12, 14]] = 1
    swung = np.zeros((4, 32))
    swung[:, [0, 3, 4, 7, 8, 11, 12, 15]] = 1
    steps, beats = np.full(4, 16), np.full(4, 4)
    assert swing_reading(straight, steps, beats) == (0.5, 0.0)
    assert swing_reading(swung, steps, beats) == (0.75, 1.0)
    assert swing_reading(np.zeros((4, 32)), steps, beats) == (0.5, 0.0)


def test_band_change_measures() -> None:
    a, b = np.zeros(16, dtype=bool), np.zeros(16, dtype=bool)
    a[[0, 4, 8, 12]], b[[0, 8]] = True, True
    assert folded_f1(a, b) == 2 * 2 / 6 and folded_f1(a, a) == 1 and folded_f1(b & False, b & False) == 1
    riff_only = song_bytes(notes_from_steps(riff(12), length_steps=2))
    song = bar_song(encode_song(read_midi(riff_only), DataConfig(), with_drums=False), SPEC)
    phrases = cut_phrases(song.sections, song.first_bar, song.n_bars)
    changed, f1 = band_changes(song, phrases)
    assert not changed.any() and (f1 > 0.9).all()  # one riff throughout: no change
