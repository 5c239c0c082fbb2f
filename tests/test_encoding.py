"""encoding: guitar, position and song features (shapes and meaningful values), the drum vocabulary, and the
velocity / microtiming bins."""

from __future__ import annotations

import json

import numpy as np
import pytest

from seq2drum.drums import CLOSED_HAT, CRASH, KICK, NUM_DRUM_CLASSES, OPEN_HAT, RIDE, SNARE
from seq2drum.encoding import (
    N_GUITAR_FEATURES,
    N_POSITION_FEATURES,
    N_SONG_FEATURES,
    OFFSET_BINS,
    SRC_DIM,
    VELOCITY_BINS,
    DrumVocab,
    bin_to_offset,
    bin_to_velocity,
    guitar_features,
    hit_masks,
    offset_to_bin,
    position_features,
    song_features,
    source_features,
    velocity_to_bin,
)
from seq2drum.representation import Grid
from tests.builders import PPQ, notes_from_steps, riff

BAR_44 = 4 * PPQ
METER_MAP = [(0, 4, 4), (BAR_44, 3, 4), (BAR_44 + 3 * PPQ, 7, 8), (BAR_44 + 3 * PPQ + 7 * PPQ // 2, 6, 8)]
METER_MAP_END = METER_MAP[-1][0] + 2 * 3 * PPQ

# position_features column layout
STEP_IN_BAR, LEVEL, IN_BEAT, SIN, COS, NUMERATOR, COMPOUND, DENOMINATOR, TEMPO, SONG_POSITION = (
    0,
    32,
    36,
    42,
    43,
    44,
    53,
    54,
    58,
    59,
)
# guitar_features column layout
ONSET_CHROMA, SOUNDING_CHROMA, ONSETS, VOICES, LOW, HIGH, HAS_ONSET, LOUDEST = 0, 12, 24, 25, 26, 27, 28, 29
RANGE, BAR_DENSITY, BAR_VELOCITY, BAR_REPEATS, BAR_SILENT, BAR_SIMILARITY = 31, 32, 33, 34, 35, 36


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
    """The model is built from N_*_FEATURES / SRC_DIM: every feature array must have exactly those widths, one row
    per step, float32 and finite, or checkpoints and inputs disagree."""
    grid = _grid(time_signatures, end_tick, steps_per_quarter=steps_per_quarter)
    notes = notes_from_steps(riff(2), ticks_per_quarter=PPQ, steps_per_quarter=4, length_steps=2)
    guitar = guitar_features(notes, grid)
    position = position_features(grid)
    song = song_features(notes, grid, [29], 1)
    source = source_features(guitar, position, song)
    assert guitar.shape == (grid.n_steps, N_GUITAR_FEATURES)
    assert position.shape == (grid.n_steps, N_POSITION_FEATURES)
    assert song.shape == (N_SONG_FEATURES,)
    assert (
        source.shape
        == (grid.n_steps, SRC_DIM)
        == (grid.n_steps, N_GUITAR_FEATURES + N_POSITION_FEATURES + N_SONG_FEATURES)
    )
    for array in (guitar, position, song, source):
        assert array.dtype == np.float32 and np.isfinite(array).all()
    np.testing.assert_array_equal(source[:, -N_SONG_FEATURES:], np.broadcast_to(song, (grid.n_steps, N_SONG_FEATURES)))


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


# ---------------------------------------------------------------------------------------------- position


def test_step_in_bar_and_metrical_level_are_one_hot() -> None:
    """Each step has exactly one step-in-bar slot and one metrical-level slot set, matching the grid."""
    grid = _grid(METER_MAP, METER_MAP_END)
    features = position_features(grid)
    step_in_bar = features[:, STEP_IN_BAR:LEVEL]
    level = features[:, LEVEL:IN_BEAT]
    np.testing.assert_array_equal(step_in_bar.sum(axis=1), 1)
    np.testing.assert_array_equal(step_in_bar.argmax(axis=1), grid.step_in_bar())
    np.testing.assert_array_equal(level.sum(axis=1), 1)
    np.testing.assert_array_equal(level.argmax(axis=1), grid.metrical_level())
    np.testing.assert_allclose(features[:, SIN] ** 2 + features[:, COS] ** 2, 1.0, rtol=1e-5)
    assert features[0, SONG_POSITION] == 0 and features[-1, SONG_POSITION] == 1


def test_meter_slots_and_compound_flag_follow_the_meter_map() -> None:
    """The compound-meter flag is set in 6/8 only (not 4/4, 3/4, 7/8), and the numerator / denominator slots name
    each bar's meter; in 6/8 the step-in-beat runs over the dotted quarter (0-5)."""
    grid = _grid(METER_MAP, METER_MAP_END)
    features = position_features(grid)
    bar_of_step = grid.bar_of_step()
    compound = features[:, COMPOUND]
    assert [compound[bar_of_step == bar].mean() for bar in range(grid.n_bars)] == [0, 0, 0, 1, 1]
    numerator_slot = features[:, NUMERATOR:COMPOUND].argmax(axis=1)
    denominator_slot = features[:, DENOMINATOR:TEMPO].argmax(axis=1)
    starts = grid.bars[:, 0]
    assert numerator_slot[starts].tolist() == [2, 1, 5, 4, 4]  # slots of 4, 3, 7, 6, 6 in (2, 3, 4, 5, 6, 7, 9, 12)
    assert denominator_slot[starts].tolist() == [1, 1, 2, 2, 2]  # slots of 4 and 8 in (2, 4, 8, 16)
    six_eight = features[bar_of_step == 3, IN_BEAT:SIN].argmax(axis=1)
    assert six_eight.tolist() == [0, 1, 2, 3, 4, 5] * 2


def test_tempo_feature_is_log2_of_tempo_over_120() -> None:
    """Tempo reaches every step as log2(bpm / 120): 0 at 120 BPM, -0.415 at 90, 1 at 240."""
    grid = _grid(end_tick=3 * BAR_44, tempos=[(0, 500_000), (BAR_44, 666_667), (2 * BAR_44, 250_000)])
    tempo = position_features(grid)[:, TEMPO]
    assert tempo[[0, 16, 32]] == pytest.approx([0.0, np.log2(90 / 120), 1.0], abs=1e-5)


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


# ---------------------------------------------------------------------------------------------- bins


@pytest.mark.parametrize("jitter", [0.15, 0.5, 0.85], ids=lambda j: f"jitter{j}")
def test_velocity_bins_round_trip(jitter: float) -> None:
    """bin -> velocity -> bin is the identity inside the jitter range generation uses (0.15-0.85)."""
    bins = np.arange(VELOCITY_BINS)
    velocity = bin_to_velocity(bins, jitter)
    assert np.all((velocity >= 1) & (velocity <= 127))
    np.testing.assert_array_equal(velocity_to_bin(velocity), bins)


def test_velocity_bins_cover_1_to_127_in_order() -> None:
    """Every MIDI velocity gets a bin, bins never go down as velocity goes up, and all 8 are used."""
    bins = velocity_to_bin(np.arange(1, 128))
    assert bins[0] == 0 and bins[-1] == VELOCITY_BINS - 1
    assert np.all(np.diff(bins) >= 0) and set(bins.tolist()) == set(range(VELOCITY_BINS))


@pytest.mark.parametrize("jitter", [0.01, 0.15, 0.5, 0.85, 0.99], ids=lambda j: f"jitter{j}")
def test_offset_bins_round_trip(jitter: float) -> None:
    """bin -> offset -> bin is the identity for any placement inside the bin; offsets stay in [-0.5, 0.5)."""
    bins = np.arange(OFFSET_BINS)
    offset = bin_to_offset(bins, jitter)
    assert np.all((offset >= -0.5) & (offset < 0.5))
    np.testing.assert_array_equal(offset_to_bin(offset), bins)


def test_the_middle_offset_bin_is_exactly_on_the_grid() -> None:
    """bin_to_offset of the middle bin is 0.0: an unhumanized hit lands exactly on its step."""
    middle = OFFSET_BINS // 2
    assert bin_to_offset(np.array([middle]))[0] == 0.0
    assert offset_to_bin(np.array([0.0, -0.5, 0.4999]))[0] == middle
    assert offset_to_bin(np.array([-0.5, 0.4999])).tolist() == [0, OFFSET_BINS - 1]


def test_hit_masks_set_bit_c_for_drum_class_c() -> None:
    """A step's mask has bit c set exactly when drum class c is hit (the vocabulary is keyed on it)."""
    hits = np.zeros((3, NUM_DRUM_CLASSES), dtype=bool)
    hits[1, [KICK, CLOSED_HAT]] = True
    hits[2, RIDE] = True
    assert hit_masks(hits).tolist() == [0, 1 | 4, 256]


# ---------------------------------------------------------------------------------------------- vocabulary

K, S, H, O, C = 1 << KICK, 1 << SNARE, 1 << CLOSED_HAT, 1 << OPEN_HAT, 1 << CRASH


def test_vocab_round_trips_through_its_dict_and_json() -> None:
    """The vocabulary is saved in checkpoints as a JSON-able dict and must come back identical (same ids)."""
    vocab = DrumVocab([0, K | H, H, S | H, K, C | K])
    restored = DrumVocab.from_dict(json.loads(json.dumps(vocab.to_dict())))
    assert restored == vocab and len(restored) == len(vocab) == 6 + DrumVocab.N_SPECIAL
    masks = np.array([0, K | H, H, S | H, K, C | K])
    np.testing.assert_array_equal(restored.encode(masks), vocab.encode(masks))


def test_vocab_encode_decode_round_trip_for_known_combinations() -> None:
    """Every known combination encodes to its own id (after PAD and BOS) and decodes back to the same hits."""
    vocab = DrumVocab([K | H, 0, H, S | H])
    ids = vocab.encode(np.array(vocab.masks))
    assert ids.tolist() == [2, 3, 4, 5]
    np.testing.assert_array_equal(hit_masks(vocab.decode(ids)), vocab.masks)
    assert not vocab.decode(np.array([DrumVocab.PAD, DrumVocab.BOS])).any()
    assert (DrumVocab.PAD, DrumVocab.BOS) == (0, 1)


def test_vocab_always_has_the_no_hit_token() -> None:
    """A silent step must always be encodable as 'no hit', even when the masks given lack it."""
    vocab = DrumVocab([K, S])
    assert vocab.masks[0] == 0 and vocab.decode(vocab.encode(np.array([0]))).sum() == 0


@pytest.mark.parametrize(
    "mask, expected",
    [(K | S, K), (H | O, H), (K | S | H, K | H), (O, 0), (C | K | H, K | H), (S | O, S)],
    ids=[
        "kick+snare->kick(more-frequent-tie)",
        "hat+open->hat",
        "kick+snare+hat->kick+hat",
        "open-hat-alone->nearest",
        "crash+kick+hat->kick+hat",
        "snare+open->snare(fewest-differences)",
    ],
)
def test_unknown_combinations_map_to_the_nearest_known_one(mask: int, expected: int) -> None:
    """A combination never seen in training encodes as the known one sharing most hits (ties: the more
    frequent), so encoding never fails and never maps to an unrelated pattern."""
    vocab = DrumVocab([0, K, S, H, K | H, S | H])  # most frequent first
    assert vocab.encode(np.array([mask]))[0] == vocab.encode(np.array([expected]))[0]


def test_vocab_build_orders_by_frequency_and_drops_rare_combinations() -> None:
    """build() gives the most frequent combinations the lowest ids and leaves out those under min_count; 'no hit'
    comes back (first) even when it was rare."""
    sequences = [np.array([K | H, H, H, 0, H]), np.array([S | H, H, K | H, C])]
    vocab = DrumVocab.build(sequences, min_count=2)
    assert vocab.masks == [0, H, K | H]
    assert vocab.encode(np.array([C]))[0] == vocab.encode(np.array([0]))[0]  # crash alone was rare: no hit is nearest


@pytest.mark.parametrize("masks", [[K, K], [512], [-1]], ids=["duplicate", "too-large", "negative"])
def test_vocab_rejects_invalid_masks(masks: list[int]) -> None:
    """Duplicate or out-of-range masks would give two ids one meaning: rejected with ValueError."""
    with pytest.raises(ValueError, match="9-bit"):
        DrumVocab(masks)
