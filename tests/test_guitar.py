"""song.guitar: the guitar's step features and the song summary (shapes and meaningful values)."""

from __future__ import annotations

import numpy as np
import pytest

from seq2drum.song.guitar import N_GUITAR_FEATURES, N_SONG_FEATURES, guitar_features, song_features
from seq2drum.song.columns import GUITAR
from seq2drum.song.grid import Grid
from tests.builders import PPQ, notes_from_steps, riff

BAR_44 = 4 * PPQ
METER_MAP = [(0, 4, 4), (BAR_44, 3, 4), (BAR_44 + 3 * PPQ, 7, 8), (BAR_44 + 3 * PPQ + 7 * PPQ // 2, 6, 8)]
METER_MAP_END = METER_MAP[-1][0] + 2 * 3 * PPQ

# guitar_features columns, by name
ONSET_CHROMA, SOUNDING_CHROMA = GUITAR.onset_chroma.start, GUITAR.sounding_chroma.start
ONSETS, VOICES, HAS_ONSET = GUITAR.onsets, GUITAR.voices, GUITAR.has_onset
LOW, HIGH = GUITAR.lowest_pitch, GUITAR.highest_pitch
LOUDEST, RANGE = GUITAR.loudness, GUITAR.pitch_spread
BAR_DENSITY, BAR_VELOCITY, BAR_REPEATS, BAR_SILENT, BAR_SIMILARITY = range(GUITAR.bar_cues.start, GUITAR.bar_cues.stop)


def _grid(
    time_signatures=((0, 4, 4),), end_tick: int = 4 * BAR_44, tempos=((0, 500_000),), steps_per_quarter: int = 4
) -> Grid:
    return Grid.build(PPQ, list(time_signatures), list(tempos), end_tick, steps_per_quarter)


# ---------------------------------------------------------------------------------------------- shapes


@pytest.mark.parametrize(
    "time_signatures, end_tick, steps_per_quarter",
    [
        ([(0, 4, 4)], 4 * BAR_44, 4),
        (METER_MAP, METER_MAP_END, 4),
        ([(0, 6, 8)], 8 * 3 * PPQ, 3),
        ([(0, 4, 4)], 2 * BAR_44, 24),
    ],
    ids=["4/4-16ths", "changing-meters", "6/8-triplet-grid", "4/4-24-per-quarter"],
)
def test_feature_shapes_match_the_declared_sizes(time_signatures, end_tick: int, steps_per_quarter: int) -> None:
    """The FeatureSpec names N_GUITAR_FEATURES and N_SONG_FEATURES columns: every feature array must have exactly
    those widths, one row per step, float32 and finite, or checkpoints and inputs disagree."""
    grid = _grid(time_signatures, end_tick, steps_per_quarter=steps_per_quarter)
    notes = notes_from_steps(riff(2), ticks_per_quarter=PPQ, steps_per_quarter=4, length_steps=2)
    guitar = guitar_features(notes, grid)
    song = song_features(notes, grid, [29], 1)
    assert guitar.shape == (grid.n_steps, N_GUITAR_FEATURES)
    assert song.shape == (N_SONG_FEATURES,)
    for array in (guitar, song):
        assert array.dtype == np.float32 and np.isfinite(array).all()


# ---------------------------------------------------------------------------------------------- guitar


def test_onset_and_sounding_chroma_sit_at_the_right_steps() -> None:
    """An E (pitch 40) struck at step 5 for 2 steps: onset chroma E only at step 5, sounding chroma E on steps 5
    and 6 only; the model would hear the riff shifted otherwise."""
    grid = _grid(end_tick=BAR_44)
    features = guitar_features(notes_from_steps([(5, 40, 127)], length_steps=2), grid)
    onset = features[:, ONSET_CHROMA : ONSET_CHROMA + 12]
    sounding = features[:, SOUNDING_CHROMA : SOUNDING_CHROMA + 12]
    assert onset.sum() == 1 and onset[5, 4] == 1
    assert sounding[:, 4].nonzero()[0].tolist() == [5, 6] and sounding.sum() == 2
    assert features[:, HAS_ONSET].nonzero()[0].tolist() == [5]
    assert features[5, LOUDEST] == pytest.approx(1.0)


def test_chord_register_size_and_range_features() -> None:
    """A power chord E2+B2 on step 0: two onsets, lowest/highest pitch and its range are encoded around E3 (52)."""
    grid = _grid(end_tick=BAR_44)
    features = guitar_features(notes_from_steps([(0, 40, 100), (0, 47, 80)], length_steps=4), grid)
    assert features[0, ONSETS] == pytest.approx(2 / 4)
    assert features[0, VOICES] == pytest.approx(2 / 6)
    assert features[0, LOW] == pytest.approx((40 - 52) / 24)
    assert features[0, HIGH] == pytest.approx((47 - 52) / 24)
    assert features[0, RANGE] == pytest.approx(7 / 24)
    assert features[0, LOUDEST] == pytest.approx(100 / 127)
    assert features[4, VOICES] == 0  # both released at step 4


def test_bar_features_mark_repeated_and_silent_bars() -> None:
    """Section cues: bars that repeat an earlier bar's pattern are flagged, and a bar without guitar is flagged
    silent, on every step of the bar."""
    events = [e for e in riff(8) if not 5 * 16 <= e[0] < 6 * 16]  # bar 5 silent; bars 4, 6, 7 repeat bars 0, 2, 3
    grid = _grid(end_tick=8 * BAR_44)
    features = guitar_features(notes_from_steps(events, length_steps=2), grid)
    per_bar = features[::16]
    assert per_bar[:, BAR_REPEATS].tolist() == [0, 0, 0, 0, 1, 0, 1, 1]
    assert per_bar[:, BAR_SILENT].tolist() == [0, 0, 0, 0, 0, 1, 0, 0]
    np.testing.assert_array_equal(features[16:32, BAR_REPEATS], 0)
    assert per_bar[0, BAR_SIMILARITY] == 0  # nothing before the first bar
    assert per_bar[4, BAR_DENSITY] == pytest.approx(0.5)  # as dense as the average playing bar


def test_no_guitar_notes_gives_silent_bars_only() -> None:
    """An empty guitar part encodes as all-silent bars (not NaNs or a crash)."""
    grid = _grid(end_tick=2 * BAR_44)
    features = guitar_features(np.zeros((0, 4), dtype=np.int64), grid)
    np.testing.assert_array_equal(features[:, BAR_SILENT], 1)
    assert features.sum() == grid.n_steps


# ---------------------------------------------------------------------------------------------- song


def test_song_features_summarise_programs_tempo_meter_and_key() -> None:
    """The song summary carries the guitar programs (one slot per GM guitar, one for anything else), the number
    of guitar parts, the tempo, how much of the song is in triple meter, and a pitch-class profile."""
    notes = notes_from_steps([(0, 40), (4, 44), (8, 47), (12, 40)])
    grid = _grid([(0, 3, 4)], end_tick=4 * 3 * PPQ, tempos=[(0, 1_000_000)])
    song = song_features(notes, grid, [29, 33], n_guitar_parts=2)
    assert song[29 - 24] == pytest.approx(0.5) and song[8] == pytest.approx(0.5)
    assert song[9] == pytest.approx(0.5)
    assert song[10] == pytest.approx(-1.0)  # 60 BPM
    assert song[11] == pytest.approx(1.0)  # all of it in 3/4
    profile = song[20:32]
    assert profile.sum() == pytest.approx(1.0)
    assert profile[4] == pytest.approx(0.5) and profile[8] == pytest.approx(0.25) and profile[11] == pytest.approx(0.25)
