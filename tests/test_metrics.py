"""Grid-hit scores and groove descriptors on hand-made grids whose answers are known."""

from __future__ import annotations

import math

import numpy as np
import pytest

from seq2drum.evaluation import metrics
from seq2drum.midi.drums import CLOSED_HAT, KICK, NUM_DRUM_CLASSES, RIDE, SNARE
from seq2drum.song.drum_part import DrumGrid
from seq2drum.song.grid import Grid


def grid_of(*meters: tuple[int, int, int], bars: int = 2) -> Grid:
    """A 16th-note grid at 480 ppq; `meters` as (bar index, numerator, denominator), the last runs `bars` bars."""
    ticks, signatures = 0, []
    for index, (_, numerator, denominator) in enumerate(meters):
        signatures.append((ticks, numerator, denominator))
        count = meters[index + 1][0] - meters[index][0] if index + 1 < len(meters) else bars
        ticks += count * numerator * 4 * 480 // denominator
    return Grid.build(480, signatures or [(0, 4, 4)], [(0, 500_000)], ticks - 1)


def hits_at(n_steps: int, *cells: tuple[int, int]) -> np.ndarray:
    hits = np.zeros((n_steps, NUM_DRUM_CLASSES), dtype=bool)
    for step, drum_class in cells:
        hits[step, drum_class] = True
    return hits


def drums_of(hits: np.ndarray, offsets: dict[tuple[int, int], float] | None = None) -> DrumGrid:
    drums = DrumGrid(hits, np.where(hits, 100, 0).astype(np.uint8), np.zeros(hits.shape, dtype=np.float32))
    for (step, drum_class), offset in (offsets or {}).items():
        drums.offset[step, drum_class] = offset
    return drums


# ---------------------------------------------------------------------------------------------- grid hits


def test_identical_parts_score_f1_one() -> None:
    """Breaks if matching a part against itself loses hits."""
    hits = hits_at(32, (0, KICK), (4, SNARE), (2, CLOSED_HAT), (18, RIDE))
    assert metrics.match_hits(hits, hits).micro() == (1.0, 1.0, 1.0)


def test_disjoint_parts_score_f1_zero() -> None:
    """Breaks if hits of different steps or classes count as matches."""
    counts = metrics.match_hits(hits_at(16, (0, KICK), (4, SNARE)), hits_at(16, (1, KICK), (4, CLOSED_HAT)))
    assert counts.micro() == (0.0, 0.0, 0.0)


def test_partial_match_precision_recall_f1_by_hand() -> None:
    """4 predicted, 5 real, 3 shared cells: P = 3/4, R = 3/5, F1 = 6/9."""
    predicted = hits_at(16, (0, KICK), (4, SNARE), (8, KICK), (10, KICK))
    real = hits_at(16, (0, KICK), (4, SNARE), (8, KICK), (12, SNARE), (6, CLOSED_HAT))
    precision, recall, f1 = metrics.match_hits(predicted, real).micro()
    assert (precision, recall) == (0.75, 0.6)
    assert f1 == pytest.approx(2 / 3)
    p_class, r_class, f_class = metrics.match_hits(predicted, real).per_class()
    assert p_class[KICK] == pytest.approx(2 / 3) and r_class[KICK] == 1.0
    assert math.isnan(p_class[CLOSED_HAT]) and r_class[CLOSED_HAT] == 0.0 and f_class[CLOSED_HAT] == 0.0
    assert math.isnan(f_class[RIDE])  # neither side plays it: undefined, not 0


def test_tolerance_matches_neighbouring_steps_one_to_one() -> None:
    """Breaks if +-1 matching misses near hits, lets one hit match two, or matches across classes."""
    assert metrics.match_hits(hits_at(8, (1, KICK)), hits_at(8, (2, KICK)), 0).matched.sum() == 0
    assert metrics.match_hits(hits_at(8, (1, KICK)), hits_at(8, (2, KICK)), 1).matched.sum() == 1
    assert metrics.match_hits(hits_at(8, (1, KICK)), hits_at(8, (3, KICK)), 1).matched.sum() == 0
    one_to_two = metrics.match_hits(hits_at(8, (1, KICK)), hits_at(8, (0, KICK), (2, KICK)), 1)
    assert one_to_two.matched.sum() == 1 and one_to_two.micro()[1] == 0.5
    # a maximum matching: 1-2 and 2-3, not 2-2 leaving 1 and 3 alone
    assert metrics.match_hits(hits_at(8, (1, KICK), (2, KICK)), hits_at(8, (2, KICK), (3, KICK)), 1).matched.sum() == 2
    assert metrics.match_hits(hits_at(8, (1, KICK)), hits_at(8, (2, SNARE)), 1).matched.sum() == 0


def test_views_merge_hats_and_ride_and_pick_kick_snare() -> None:
    """Breaks if the timekeeping merge or the kick+snare view is wrong: a ride where the drummer played closed hat
    is a miss on 9 classes and a hit once hats and ride are merged; hats do not count in kick+snare."""
    predicted = hits_at(16, (0, KICK), (2, RIDE), (4, SNARE))
    real = hits_at(16, (0, KICK), (2, CLOSED_HAT), (4, SNARE), (6, CLOSED_HAT))
    counts = {view: metrics.match_hits(fn(predicted), fn(real)) for view, (_, fn) in metrics.VIEWS.items()}
    assert counts["all"].matched.sum() == 2
    assert counts["merged_hats"].matched.sum() == 3 and counts["merged_hats"].real.sum() == 4
    assert counts["kick_snare"].micro() == (1.0, 1.0, 1.0)
    names = metrics.VIEWS["merged_hats"][0]
    assert counts["merged_hats"].matched[names.index("timekeeping")] == 1


def test_counts_add_up_over_songs() -> None:
    """Micro averages pool cells over songs: breaks if HitCounts addition drops a field."""
    first = metrics.match_hits(hits_at(4, (0, KICK)), hits_at(4, (0, KICK)))
    second = metrics.match_hits(hits_at(4, (1, KICK)), hits_at(4, (2, KICK)))
    assert (first + second).micro() == (0.5, 0.5, 0.5)


# ---------------------------------------------------------------------------------------------- descriptors


def test_density_counts_onsets_per_bar() -> None:
    grid = grid_of((0, 4, 4))
    hits = hits_at(32, (0, KICK), (0, CLOSED_HAT), (4, SNARE), (20, SNARE))
    assert metrics.onset_density(hits, grid, (0, 32)).tolist() == [3.0, 1.0]


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        pytest.param([(0, KICK), (16, KICK)], [0.0, 0.0], id="downbeats-only"),
        pytest.param([(14, KICK)], [2.0, 0.0], id="anticipated-downbeat"),
        pytest.param([(14, KICK), (16, KICK)], [0.0, 0.0], id="eighth-then-downbeat"),
        pytest.param([(4, SNARE), (12, SNARE), (20, SNARE), (28, SNARE)], [1.0, 0.0], id="backbeat-last-snare-held"),
        pytest.param([(1, KICK)], [1.0, 0.0], id="sixteenth-before-rest-on-eighth"),
        pytest.param([(3, KICK)], [2.0, 0.0], id="sixteenth-before-rest-on-beat"),
        pytest.param([(1, KICK), *[(step, SNARE) for step in (2, 4, 8, 12, 16)]], [1.0, 0.0],
                     id="other-class-does-not-fill-the-rest"),
    ],
)
def test_syncopation_longuet_higgins_lee(cells: list[tuple[int, int]], expected: list[float]) -> None:
    """Breaks if syncopation ignores the next stronger position, counts across classes, or reads past the span."""
    grid = grid_of((0, 4, 4))
    assert metrics.syncopation(hits_at(32, *cells), grid, (0, 32)).tolist() == expected


def test_syncopation_follows_the_meter_map() -> None:
    """In 3/4 the next downbeat comes after 12 steps: a kick on step 10 held over it is syncopated (2)."""
    grid = grid_of((0, 3, 4))
    assert metrics.syncopation(hits_at(24, (10, KICK)), grid, (0, 24)).tolist() == [2.0, 0.0]


def test_swing_straight_vs_swung_hats() -> None:
    """Straight eighth hats read 0.5, triplet-swung ones 0.67; breaks if offsets or the beat position are ignored."""
    grid = grid_of((0, 4, 4), bars=1)
    eighths = [(step, CLOSED_HAT) for step in range(0, 16, 2)]
    assert metrics.swing(drums_of(hits_at(16, *eighths)), grid, (0, 16)).tolist() == [0.5]
    swung_cells = [(step, CLOSED_HAT) for step in (0, 3, 4, 7, 8, 11, 12, 15)]
    offsets = {(step, CLOSED_HAT): -1 / 3 for step in (3, 7, 11, 15)}  # 2/3 of the beat sits on step 3 minus 1/3
    assert metrics.swing(drums_of(hits_at(16, *swung_cells), offsets), grid, (0, 16))[0] == pytest.approx(2 / 3)


def test_swing_leaves_out_sixteenths_and_compound_beats() -> None:
    """16th hats have no eighth off-beat to measure, and 6/8 beats are not swung eighths: both give NaN."""
    sixteenths = hits_at(16, *[(step, CLOSED_HAT) for step in range(16)])
    assert np.isnan(metrics.swing(drums_of(sixteenths), grid_of((0, 4, 4), bars=1), (0, 16))).all()
    compound = hits_at(12, *[(step, RIDE) for step in range(0, 12, 2)])
    assert np.isnan(metrics.swing(drums_of(compound), grid_of((0, 6, 8), bars=1), (0, 12))).all()


def test_velocity_spread_is_std_of_bar_velocities() -> None:
    grid = grid_of((0, 4, 4))
    drums = drums_of(hits_at(32, (0, KICK), (4, SNARE), (16, KICK)))
    drums.velocity[0, KICK], drums.velocity[4, SNARE] = 60, 100
    spread = metrics.velocity_spread(drums, grid, (0, 32))
    assert spread[0] == pytest.approx(20.0) and np.isnan(spread[1])  # one hit: no spread


def test_groove_consistency_between_neighbouring_bars() -> None:
    """Same bar twice -> 1; a bar keeping 2 of 4 hits -> 1 - 2/4; bars of different length are not compared."""
    grid = grid_of((0, 4, 4), bars=3)
    bar = [(0, KICK), (4, SNARE), (8, KICK), (12, SNARE)]
    hits = hits_at(48, *bar, *[(16 + s, c) for s, c in bar], (32, KICK), (36, SNARE))
    assert metrics.groove_consistency(hits, grid, (0, 48)).tolist() == [1.0, 0.5]
    mixed = grid_of((0, 4, 4), (1, 3, 4), bars=1)
    assert np.isnan(metrics.groove_consistency(hits_at(28, (0, KICK), (16, KICK)), mixed, (0, 28))).all()


def test_overlap_area_identical_disjoint_and_partial() -> None:
    """Histogram intersection: identical -> 1, disjoint -> 0, and a half-shifted case by hand."""
    values = np.array([1.0, 2.0, 2.0, 3.0, 7.0])
    assert metrics.overlap_area(values, values.copy()) == pytest.approx(1.0)
    assert metrics.overlap_area(np.array([0.0, 0.0, 1.0]), np.array([5.0, 6.0])) == 0.0
    assert metrics.overlap_area(np.array([0.0, 0.0, 1.0, 1.0]), np.array([0.0, 1.0, 1.0, 1.0]), bins=2) == 0.75
    assert metrics.overlap_area(np.array([4.0, np.nan]), np.array([4.0])) == 1.0
    assert math.isnan(metrics.overlap_area(np.array([np.nan]), values))


def test_novelty_counts_exact_copies_of_training_bars_and_skips_empty_bars() -> None:
    """Bars: A (in training), B (new), empty, A -> 2 copied of 3 counted; a same pattern of another length is new."""
    grid = grid_of((0, 4, 4), bars=4)
    bar_a = [(0, KICK), (4, SNARE), (8, KICK), (12, SNARE)]
    hits = hits_at(64, *bar_a, (16, KICK), *[(48 + s, c) for s, c in bar_a])
    training = {key for key in metrics.bar_keys(hits_at(16, *bar_a), grid_of((0, 4, 4), bars=1), (0, 16)) if key}
    assert metrics.novelty(hits, grid, (0, 64), training) == (2, 3)
    waltz = grid_of((0, 3, 4), bars=1)
    assert metrics.novelty(hits_at(12, (0, KICK), (4, SNARE), (8, KICK)), waltz, (0, 12), training) == (0, 1)
