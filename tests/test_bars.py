"""Bar features: the groove model's input per bar follows the meter map, tempo, the guitar's presence and the
sections; a song's bars and the step grid convert both ways; the FeatureSpec names every column."""

from __future__ import annotations

import numpy as np
import pytest

from seq2drum.config import DataConfig
from seq2drum.song.bars import bar_song
from seq2drum.song.drum_part import bars_to_steps
from seq2drum.song.columns import BAR_COLUMNS, STEP_COLUMNS, FeatureSpec
from seq2drum.midi.io import read_midi
from seq2drum.song.encode import encode_song
from tests.builders import PPQ, backbeat, notes_from_steps, riff, song_bytes

SPEC = FeatureSpec.current(4)
BAR_44 = 4 * PPQ


def test_spec_names_every_column_once_and_round_trips() -> None:
    assert len(set(STEP_COLUMNS)) == len(STEP_COLUMNS) and len(set(BAR_COLUMNS)) == len(BAR_COLUMNS)
    assert FeatureSpec.from_dict(SPEC.to_dict()) == SPEC
    assert SPEC.max_bar_steps == 32 and FeatureSpec.current(6).max_bar_steps == 48


def meter_song():  # type: ignore[no-untyped-def]
    """Two bars of 4/4, one of 3/4, two of 6/8 (at 90 BPM from the 3/4 bar on), guitar in every bar but the 3/4."""
    guitar = [(s, 40) for s in range(0, 32, 2)] + [(s, 40) for s in range(44, 44 + 24, 2)]
    drums = backbeat(2)
    meters = [(0, 4, 4), (2 * BAR_44, 3, 4), (2 * BAR_44 + 3 * PPQ, 6, 8)]
    data = song_bytes(notes_from_steps(guitar, length_steps=1), notes_from_steps(drums), time_signatures=meters,
                      tempos=[(0, 500_000), (2 * BAR_44, 666_667)])
    return encode_song(read_midi(data), DataConfig())


def test_bar_features_follow_the_meter_map_tempo_and_the_guitar() -> None:
    song = bar_song(meter_song(), SPEC)
    column = {name: i for i, name in enumerate(BAR_COLUMNS)}
    assert song.bar_steps.tolist() == [16, 16, 12, 12, 12]
    assert song.beat_steps.tolist() == [4, 4, 4, 6, 6]  # a dotted quarter in 6/8
    numerators = [next(n for n in (4, 3, 6) if song.bar_features[row, column[f"numerator_{n}"]]) for row in range(5)]
    assert numerators == [4, 4, 3, 6, 6]
    assert song.bar_features[:, column["compound"]].tolist() == [0, 0, 0, 1, 1]
    slower = np.log2(0.75)
    assert song.bar_features[:, column["tempo_log2"]] == pytest.approx([0, 0, slower, slower, slower],
                                                                       abs=1e-4)
    assert song.guitar_plays.tolist() == [True, True, False, True, True]
    assert song.bar_features[:, column["previous_silent"]].tolist() == [0, 0, 0, 1, 0]
    mask = np.arange(SPEC.max_bar_steps)[None, :] < song.bar_steps[:, None]
    assert not song.step_features[~mask].any()  # nothing past a bar's end
    assert song.step_features.shape == (5, 32, SPEC.n_step) and song.bar_features.shape == (5, SPEC.n_bar)


def test_bars_and_steps_convert_both_ways() -> None:
    """The per-bar layout of the real drums, written back onto the step grid, gives the drums back."""
    encoded = meter_song()
    song = bar_song(encoded, SPEC)
    back = bars_to_steps(song.hits, encoded.grid, encoded.first_bar)
    np.testing.assert_array_equal(back, encoded.drums.hits)


def test_a_bar_longer_than_the_pattern_ends_on_the_patterns_last_beat() -> None:
    """A 9/4 bar (36 steps) plays its 32-step pattern with a beat repeated before the last, so a fill written on the
    pattern's last beat closes the bar and the downbeat's crash is not played again inside it (it was: the pattern
    repeated from its start, a 9/4 song got its fills a beat early, the checklist's weak_fills)."""
    from seq2drum.midi.drums import CRASH, LOW_TOM
    from seq2drum.song.drum_part import pattern_steps

    guitar = [(s, 40) for s in range(0, 72, 2)]
    encoded = encode_song(read_midi(song_bytes(notes_from_steps(guitar), time_signatures=((0, 9, 4),))), DataConfig(),
                          with_drums=False)
    pattern = np.zeros((2, 32, 9), dtype=bool)
    pattern[:, 0, CRASH] = True
    pattern[:, 28:32, LOW_TOM] = True  # a fill on the pattern's last beat
    steps = bars_to_steps(pattern, encoded.grid, encoded.first_bar)
    assert encoded.grid.bars[0, 1] == 36
    assert steps[32:36, LOW_TOM].all() and not steps[:32, LOW_TOM].any()
    assert np.flatnonzero(steps[:, CRASH]).tolist() == [0, 36]
    np.testing.assert_array_equal(pattern_steps(np.arange(16), 16, 32, 4), np.arange(16))  # shorter bars as they are


def test_last_onset_is_found_in_its_bar() -> None:
    song = bar_song(encode_song(read_midi(song_bytes(notes_from_steps(riff(3)))), DataConfig(), with_drums=False), SPEC)
    assert song.last_onset == (2, 14)
