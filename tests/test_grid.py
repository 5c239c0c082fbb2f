"""grid: the step grid from the meter map (bars, beats, metrical levels), tempo, quantization with
microtiming, and the drum grid round trip through MIDI."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from seq2drum.midi.drums import _CLASS_PITCHES, KICK, NUM_DRUM_CLASSES, SNARE, WRITTEN_PITCHES
from seq2drum.midi.io import DRUM_CHANNEL, read_midi
from seq2drum.midi.write import TrackSpec, write_midi
from seq2drum.song.drum_part import DrumGrid, drums_to_grid, grid_to_drums
from seq2drum.song.grid import BAR_NUMERATOR, BAR_START, BAR_STEPS, Grid
from tests.builders import PPQ, notes_from_steps

BAR_44 = 4 * PPQ
# 4/4 -> 3/4 -> 7/8 -> 6/8, one bar each, then 6/8 to the end (ticks at 480 per quarter)
METER_MAP = [(0, 4, 4), (BAR_44, 3, 4), (BAR_44 + 3 * PPQ, 7, 8), (BAR_44 + 3 * PPQ + 7 * PPQ // 2, 6, 8)]
METER_MAP_END = METER_MAP[-1][0] + 2 * 3 * PPQ  # two 6/8 bars after the change


def _grid(
    time_signatures=((0, 4, 4),),
    end_tick: int = 4 * BAR_44,
    steps_per_quarter: int = 4,
    tempos=((0, 500_000),),
    ticks_per_quarter: int = PPQ,
) -> Grid:
    return Grid.build(ticks_per_quarter, list(time_signatures), list(tempos), end_tick, steps_per_quarter)


# ---------------------------------------------------------------------------------------------- bars and beats


def test_bars_follow_a_changing_meter_map() -> None:
    """Bars must follow 4/4 -> 3/4 -> 7/8 -> 6/8 as written, not an assumed 4/4, or drums land off the barline."""
    grid = _grid(METER_MAP, METER_MAP_END)
    assert grid.bars.tolist() == [
        [0, 16, 4, 4],
        [16, 12, 3, 4],
        [28, 14, 7, 8],
        [42, 12, 6, 8],
        [54, 12, 6, 8],
    ]
    assert grid.n_steps == 66 and grid.n_bars == 5
    in_bar = grid.step_in_bar()
    assert in_bar[[0, 15, 16, 27, 28, 41, 42, 53, 54, 65]].tolist() == [0, 15, 0, 11, 0, 13, 0, 11, 0, 11]
    assert grid.bar_of_step()[[15, 16, 28, 42, 65]].tolist() == [0, 1, 2, 3, 4]


def test_beat_length_follows_the_meter_and_6_8_is_felt_in_dotted_quarters() -> None:
    """The felt beat is a quarter in 4/4 and 3/4, an eighth in 7/8, and a dotted quarter (6 sixteenths) in 6/8."""
    grid = _grid(METER_MAP, METER_MAP_END)
    beat = grid.beat_steps()
    starts = grid.bars[:, BAR_START]
    assert beat[starts].tolist() == [4, 4, 2, 6, 6]


@pytest.mark.parametrize(
    "meter, expected",
    [
        ((4, 4), [0, 3, 2, 3, 1, 3, 2, 3, 1, 3, 2, 3, 1, 3, 2, 3]),
        ((3, 4), [0, 3, 2, 3, 1, 3, 2, 3, 1, 3, 2, 3]),
        ((6, 8), [0, 3, 2, 3, 2, 3, 1, 3, 2, 3, 2, 3]),
        ((7, 8), [0, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2]),
        ((2, 2), [0, 3, 3, 3, 2, 3, 3, 3, 1, 3, 3, 3, 2, 3, 3, 3]),
    ],
    ids=["4/4", "3/4", "6/8-eighths-are-beat-thirds", "7/8-every-eighth-a-beat", "2/2-half-note-beats"],
)
def test_metrical_level_marks_downbeat_beats_and_subdivisions(meter: tuple[int, int], expected: list[int]) -> None:
    """metrical_level (0 downbeat, 1 beat, 2 half/third of a beat, 3 other) is what tells the model where
    syncopation is; in 6/8 the eighths are thirds of the dotted-quarter beat."""
    numerator, denominator = meter
    grid = _grid([(0, numerator, denominator)], end_tick=1)
    assert grid.metrical_level().tolist() == expected


def test_pickup_bar_is_a_short_first_bar_and_the_next_bar_starts_on_its_downbeat() -> None:
    """A 1/4 pickup then 4/4: bar 2's downbeat is step 4, not step 16, so the backbeat lines up with the song."""
    grid = _grid([(0, 1, 4), (PPQ, 4, 4)], end_tick=PPQ + 2 * BAR_44)
    assert grid.bars.tolist() == [[0, 4, 1, 4], [4, 16, 4, 4], [20, 16, 4, 4]]
    level = grid.metrical_level()
    assert level[0] == 0 and level[4] == 0 and level[20] == 0
    assert level[8] == 1 and level[16] == 1


def test_a_meter_change_in_mid_bar_cuts_the_bar_short() -> None:
    """A time signature that arrives in the middle of a bar starts a new bar there; the old bar is cut."""
    grid = _grid([(0, 4, 4), (6 * PPQ, 3, 4)], end_tick=6 * PPQ + 3 * PPQ)
    assert grid.bars.tolist() == [[0, 16, 4, 4], [16, 8, 4, 4], [24, 12, 3, 4]]


WHOLE_STEP_BARS = [  # (steps_per_quarter, meter) where a bar is a whole number of steps; the others are tested below
    (spq, meter)
    for spq in (1, 2, 3, 4, 6, 12, 24)
    for meter in ((4, 4), (3, 4), (6, 8), (7, 8), (5, 4), (12, 8))
    if meter[0] * 4 * spq % meter[1] == 0
]


@pytest.mark.parametrize(
    "steps_per_quarter, meter",
    WHOLE_STEP_BARS,
    ids=[f"{m[0]}/{m[1]}-{spq}-steps-per-quarter" for spq, m in WHOLE_STEP_BARS],
)
def test_bar_length_in_steps_for_any_grid_resolution(steps_per_quarter: int, meter: tuple[int, int]) -> None:
    """A bar of n/d holds n * 4 * steps_per_quarter / d steps at every resolution (triplet grids included)."""
    numerator, denominator = meter
    quarters_per_bar = numerator * 4 / denominator
    grid = _grid(
        [(0, numerator, denominator)], end_tick=int(3 * quarters_per_bar * PPQ), steps_per_quarter=steps_per_quarter
    )
    expected = round(quarters_per_bar * steps_per_quarter)
    assert grid.n_bars == 3
    assert grid.bars[:, BAR_STEPS].tolist() == [expected] * 3
    assert np.all(grid.beat_steps() >= 1)
    assert grid.metrical_level()[grid.bars[:, BAR_START]].tolist() == [0, 0, 0]


@pytest.mark.parametrize(
    "end_tick, n_bars",
    [(0, 1), (1, 1), (BAR_44, 1), (BAR_44 + 1, 2), (3 * BAR_44 - 60, 3)],
    ids=["empty-song", "one-tick", "exactly-one-bar", "one-tick-into-bar-2", "inside-bar-3"],
)
def test_the_last_bar_is_completed_and_no_empty_bar_is_added(end_tick: int, n_bars: int) -> None:
    """The grid ends with the bar holding end_tick, completed; a song ending on a barline gets no extra bar."""
    grid = _grid(end_tick=end_tick)
    assert grid.n_bars == n_bars
    assert grid.n_steps == 16 * n_bars


def test_bars_stay_on_the_barlines_when_a_bar_is_not_a_whole_number_of_steps() -> None:
    """7/8 on a triplet grid (steps_per_quarter=3, which DataConfig allows) is 10.5 steps a bar; bar k must still
    start within half a step of the file's barline (tick k * 1680), not drift by half a step every bar."""
    bar_ticks = 7 * PPQ // 2
    grid = _grid([(0, 7, 8)], end_tick=8 * bar_ticks, steps_per_quarter=3)
    barlines = np.arange(grid.n_bars) * bar_ticks / grid.ticks_per_step
    assert grid.n_bars == 8
    assert np.abs(grid.bars[:, BAR_START] - barlines).max() <= 0.5


def test_meter_changes_after_the_end_do_not_extend_the_grid() -> None:
    """Bars cover [0, end_tick] only: a time signature change long after the last guitar note (the drums or the
    meter map may go on) must not add empty bars, or training windows and generated drums run past the guitar."""
    grid = _grid([(0, 4, 4), (10 * BAR_44, 3, 4)], end_tick=2 * BAR_44)
    assert grid.n_bars == 2


# ---------------------------------------------------------------------------------------------- tempo and time


def test_tempo_bpm_per_step_follows_the_tempo_map() -> None:
    """Each step carries the tempo in force at its start (120, then 90 from bar 2, then 150 from bar 3 beat 3)."""
    tempos = [(0, 500_000), (BAR_44, 666_667), (2 * BAR_44 + 2 * PPQ, 400_000)]
    grid = _grid(end_tick=3 * BAR_44, tempos=tempos)
    bpm = grid.tempo_bpm()
    assert bpm.shape == (48,)
    np.testing.assert_allclose(bpm[[0, 15]], 120.0)
    np.testing.assert_allclose(bpm[[16, 39]], 90.0, rtol=1e-5)
    np.testing.assert_allclose(bpm[[40, 47]], 150.0)


def test_seconds_at_tick_integrates_the_tempo_map() -> None:
    """Durations (the song length in reports, duration_s) sum each tempo segment: 1 bar at 120 BPM = 2 s, then
    1 bar at 60 BPM = 4 s."""
    grid = _grid(end_tick=2 * BAR_44, tempos=[(0, 500_000), (BAR_44, 1_000_000)])
    assert grid.seconds_at_tick(0) == 0.0
    assert grid.seconds_at_tick(PPQ) == pytest.approx(0.5)
    assert grid.seconds_at_tick(BAR_44) == pytest.approx(2.0)
    assert grid.seconds_at_tick(BAR_44 + PPQ) == pytest.approx(3.0)
    assert grid.seconds_at_tick(2 * BAR_44) == pytest.approx(6.0)


@pytest.mark.parametrize("ticks_per_quarter", [96, 480, 960, 1024], ids=lambda t: f"ppq{t}")
def test_quantize_gives_nearest_step_and_offset_that_step_to_tick_inverts(ticks_per_quarter: int) -> None:
    """quantize -> (step, offset in [-0.5, 0.5)) and step_to_tick(step, offset) gives the tick back: microtiming
    is kept exactly, not rounded to the grid."""
    grid = _grid(end_tick=4 * 4 * ticks_per_quarter, ticks_per_quarter=ticks_per_quarter)
    ticks = np.arange(0, 4 * ticks_per_quarter)
    step, offset = grid.quantize(ticks)
    assert np.all(offset >= -0.5) and np.all(offset < 0.5)
    np.testing.assert_array_equal(step[: ticks_per_quarter // 8], 0)  # the first half step rounds down to step 0
    assert step[ticks_per_quarter // 4] == 1
    np.testing.assert_array_equal(grid.step_to_tick(step, offset), ticks)


# ---------------------------------------------------------------------------------------------- drum grid


def _random_drum_notes(grid: Grid, seed: int, hits: int = 60) -> np.ndarray:
    """Distinct (step, drum class) hits with GM pitches from each class's list, random velocities and off-grid
    offsets of up to 0.45 steps."""
    rng = np.random.default_rng(seed)
    cells = rng.choice((grid.n_steps - 2) * NUM_DRUM_CLASSES, size=hits, replace=False)
    step, drum_class = cells // NUM_DRUM_CLASSES + 1, cells % NUM_DRUM_CLASSES
    pitch = np.array([rng.choice(_CLASS_PITCHES[c]) for c in drum_class])
    velocity = rng.integers(1, 128, size=hits)
    start = np.round((step + rng.uniform(-0.45, 0.45, size=hits)) * grid.ticks_per_step).astype(np.int64)
    return np.stack([start, start + 30, pitch, velocity], axis=1).astype(np.int64)


@pytest.mark.parametrize("ticks_per_quarter", [96, 480, 1024], ids=lambda t: f"ppq{t}")
@pytest.mark.parametrize("meters", [[(0, 4, 4)], "changing"], ids=["4/4", "4/4-3/4-7/8-6/8"])
def test_drum_hits_velocities_and_offsets_survive_the_midi_round_trip(ticks_per_quarter: int, meters) -> None:
    """notes -> drums_to_grid -> grid_to_drums -> write_midi -> read_midi -> drums_to_grid gives the same hits,
    velocities and offsets (within one tick): the groove the model learns is the groove it writes out."""
    scale = ticks_per_quarter / PPQ
    time_signatures = [(int(t * scale), n, d) for t, n, d in (METER_MAP if meters == "changing" else meters)]
    end_tick = int((METER_MAP_END if meters == "changing" else 4 * BAR_44) * scale)
    grid = _grid(time_signatures, end_tick, ticks_per_quarter=ticks_per_quarter)
    notes = _random_drum_notes(grid, seed=ticks_per_quarter)

    before = drums_to_grid(notes, grid)
    steps, offsets = grid.quantize(notes[:, 0])
    classes = np.array([next(c for c, pitches in enumerate(_CLASS_PITCHES) if p in pitches) for p in notes[:, 2]])
    assert before.hits.sum() == len(notes)
    np.testing.assert_array_equal(before.velocity[steps, classes], notes[:, 3])
    np.testing.assert_allclose(before.offset[steps, classes], offsets, atol=1e-6)

    written = grid_to_drums(before, grid)
    assert set(written[:, 2].tolist()) <= set(WRITTEN_PITCHES)  # a class's, or the foot's or cross-stick's
    data = write_midi(ticks_per_quarter, [(0, 500_000)], time_signatures, [TrackSpec("Drums", DRUM_CHANNEL, written)])
    song = read_midi(data)
    after = drums_to_grid(song.drum_parts[0].notes, grid)
    np.testing.assert_array_equal(after.hits, before.hits)
    np.testing.assert_array_equal(after.velocity, before.velocity)
    np.testing.assert_array_equal(after.articulation, before.articulation)
    one_tick = 1.0 / grid.ticks_per_step
    assert np.abs(after.offset - before.offset).max() <= one_tick + 1e-6


def test_the_louder_of_two_hits_of_one_class_on_one_step_stays() -> None:
    """Kick 35 and kick 36 on the same step fold into one kick hit: the louder one's velocity and timing win."""
    grid = _grid(end_tick=BAR_44)
    notes = np.array([[0, 60, 36, 70], [10, 60, 35, 120], [5, 60, 36, 90], [480, 500, 38, 50]], dtype=np.int64)
    drums = drums_to_grid(notes, grid)
    assert drums.hits.sum() == 2
    assert drums.velocity[0, KICK] == 120
    assert drums.offset[0, KICK] == pytest.approx(10 / 120)
    assert drums.velocity[4, SNARE] == 50


def test_unmapped_keys_and_hits_outside_the_grid_are_dropped() -> None:
    """Pitches no drum class covers (e.g. 100) and hits past the last step must not crash or wrap around."""
    grid = _grid(end_tick=BAR_44)
    notes = np.array([[0, 60, 100, 90], [5 * BAR_44, 5 * BAR_44 + 60, 36, 90], [120, 180, 42, 80]], dtype=np.int64)
    drums = drums_to_grid(notes, grid)
    assert drums.hits.sum() == 1 and drums.hits[1, 2]
    assert drums_to_grid(np.zeros((0, 4), dtype=np.int64), grid).hits.sum() == 0
    assert grid_to_drums(DrumGrid.empty(grid.n_steps), grid).shape == (0, 4)


def test_drum_grid_slice_and_repr() -> None:
    """DrumGrid.slice keeps hits, velocities and offsets of the steps asked for."""
    grid = _grid(end_tick=BAR_44)
    drums = drums_to_grid(notes_from_steps([(0, 36, 100), (4, 38, 110), (8, 36, 90)]), grid)
    part = drums.slice(4, 9)
    assert part.n_steps == 5 and part.hits.sum() == 2 and part.velocity[0, SNARE] == 110
    assert repr(drums) == "DrumGrid(16 steps, 3 hits)"


def test_bars_array_columns_are_named() -> None:
    """The named column indices match the bars array layout others index with."""
    grid = _grid([(0, 7, 8)], end_tick=1)
    assert grid.bars[0, BAR_NUMERATOR] == 7 and grid.bars[0, BAR_STEPS] == 14


def test_pipeline_modules_do_not_import_torch() -> None:
    """midi_io, drums, representation and encoding stay torch-free (pure numpy), so reading and encoding MIDI
    never pays for importing torch."""
    code = (
        "import sys\n"
        "import seq2drum.midi.io, seq2drum.midi.drums, seq2drum.song.grid, seq2drum.song.guitar\n"
        "print('torch' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


@pytest.mark.parametrize("meter", [(1, 64), (1, 16), (1, 4)], ids=["1/64", "1/16", "1/4"])
def test_a_song_of_more_bars_than_the_limit_is_refused_as_its_bars_are_counted(meter: tuple[int, int]) -> None:
    """8,192 quarters of 1/64 or 1/16 are 32,768 one-step bars: section finding then asked for a bars x bars matrix
    of 8 GiB. The grid refuses past MAX_SONG_BARS, naming the limit (and, for bars under a step, why)."""
    from seq2drum.errors import SongTooLongError
    from seq2drum.midi.limits import MAX_SONG_BARS

    with pytest.raises(SongTooLongError, match=f"limited to {MAX_SONG_BARS:,} bars") as raised:
        Grid.build(PPQ, [(0, *meter)], [(0, 500_000)], 8191 * PPQ)
    assert "\n" not in str(raised.value)
    assert ("shorter than the finest step" in str(raised.value)) == (meter[1] > 16)
    full = Grid.build(PPQ, [(0, 4, 4)], [(0, 500_000)], MAX_SONG_BARS * 4 * PPQ - 1)  # the longest 4/4 song
    assert full.n_bars == MAX_SONG_BARS
