"""studies/band_tells.py's figures on songs written in code (the per-song rows it reads from a cross-validation run):
the pooled ratios, the busy songs and what a cap would leave, and the rankings' AUC, each checked by hand; and the
drummers' habits (`--refs`) on drum parts written in code."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tests.builders import notes_from_steps, song_bytes
from studies.band_tells import drummer_habits, figures
from studies.part_study import auc


def row(ours: list[float], drummer: list[float], expected: list[float], bars: int = 10,
        programs: tuple[int, ...] = (0,)) -> dict:
    return {"ours": ours, "drummer": drummer, "expected": expected, "bars": bars, "programs": list(programs)}


def kit(kick: float = 0, hat: float = 0, ride: float = 0, toms: float = 0) -> list[float]:
    return [kick, 0, hat, 0, toms, 0, 0, 0, ride]


def test_auc_counts_the_pairs_a_score_orders_right_and_ties_as_half() -> None:
    assert auc(np.array([3.0, 2.0, 1.0, 0.0]), np.array([True, True, False, False])) == 1.0
    assert auc(np.array([1.0, 1.0]), np.array([True, False])) == 0.5
    assert auc(np.array([0.0, 1.0, 2.0]), np.array([True, False, True])) == 0.5


def test_figures_say_where_the_decision_leaves_out_what_the_network_expects() -> None:
    rows = [
        # a rider the network hears: it expects the ride, take 1 keeps the hat and is twice as busy as the drummer
        row(kit(kick=20, hat=70), kit(kick=10, ride=30), kit(kick=10, hat=10, ride=20)),
        # a hat song, as expected: not busy
        row(kit(kick=10, hat=40), kit(kick=10, hat=40), kit(kick=10, hat=40)),
        # a too-busy song the network expects busy too: a cap at its count leaves it too busy
        row(kit(kick=40, hat=80), kit(kick=10, hat=20), kit(kick=40, hat=80)),
    ]
    result = figures(rows)
    assert result["songs"] == 3
    assert result["classes"]["ride"]["ours_vs_expected"] == 0.0
    assert result["classes"]["ride"]["expected_vs_drummer"] == 20 / 30
    assert result["classes"]["closed_hat"]["ours_vs_expected"] == 190 / 130
    busy = result["busy"]
    assert busy["songs"] == 2  # 90 > 2 x 40 and 120 > 2 x 30
    assert busy["expected_vs_drummer_median"] == np.median([40 / 40, 120 / 30])
    assert busy["still_busy_capped"]["1.0"] == 1  # capped at 40 the rider is not; the busy song at 120 still is
    assert result["ride"]["riders"] == 1 and result["ride"]["auc_network_share"] == 1.0
    assert result["colours"]["ride"]["heavy_songs"] == 1 and result["colours"]["ride"]["auc_take1"] == 0.5


def test_the_drummers_habits_count_the_crash_ridden_and_the_tom_grooves(tmp_path: Path) -> None:
    """Seven bars of 4/4: bar 0 a downbeat crash; bar 1 the crash ridden in eighths (8 hits, its first a downbeat);
    bars 2-4 a tom on every beat (a groove: 12 hits); bar 5 none; bar 6 a two-tom fill. A crash played a hair before
    bar 1 counts in it (its 16th). A 3/4 part beside it is not read."""
    crash, tom = 49, 45
    ridden = [(16 + step, crash) for step in range(2, 16, 2)]
    groove = [(bar * 16 + step, tom) for bar in (2, 3, 4) for step in (0, 4, 8, 12)]
    events = [(0, crash), (16, crash), *ridden, *groove, (6 * 16 + 12, tom), (6 * 16 + 14, tom)]
    notes = notes_from_steps(events)
    notes[1, :2] -= 10  # bar 1's downbeat crash a few ticks early
    (tmp_path / "a.drums.mid").write_bytes(song_bytes(None, notes))
    (tmp_path / "b.drums.mid").write_bytes(song_bytes(None, notes, time_signatures=((0, 3, 4),)))
    habits = drummer_habits(tmp_path)
    assert habits["songs"] == 1
    assert habits["crash"] == {"hits": 9, "ridden": 8, "downbeat": 2}
    assert habits["toms"] == {"hits": 14, "in_runs": 12, "bars": 7, "bars_with": 4}
