"""How a drummer counts an odd bar (groove/meters.py): its pulses, the ways to count it, and the snares it plays on
the count's backbeat. If these fail, odd meters march again or leave the eighth grid."""

from __future__ import annotations

import numpy as np
import pytest

from seq2drum.groove.meters import bar_counts, counted_snares, pulses
from seq2drum.midi.drums import CLOSED_HAT, KICK, SNARE

S = 32


@pytest.mark.parametrize(("meter", "bar_steps", "beat_steps", "expected"), [
    ("7/8", 14, 2, (4, 4, 6)), ("5/8", 10, 2, (4, 6)), ("10/8", 20, 2, (4,) * 5), ("5/4", 20, 4, (4,) * 5),
    ("9/4", 36, 4, (4,) * 9), ("15/8", 30, 6, (6,) * 5),
    ("4/4", 16, 4, None), ("3/4", 12, 4, None), ("2/4", 8, 4, None), ("6/8", 12, 6, None), ("12/8", 24, 6, None),
    ("8/8", 16, 2, None), ("3/8", 6, 2, None), ("15/16", 15, 1, None)], ids=lambda x: x if isinstance(x, str) else "")
def test_pulses_count_odd_meters_and_leave_the_common_ones(meter: str, bar_steps: int, beat_steps: int,
                                                           expected: tuple[int, ...] | None) -> None:
    """x/8 in quarters with a dotted quarter where the eighths are odd (2+2+3), x/4 in beats; the meters the codebook
    and the model know well (4 or fewer equal pulses) need no count."""
    assert pulses(bar_steps, beat_steps) == expected


def test_the_common_count_comes_first_and_the_others_after() -> None:
    """7/8: the 5th eighth (2+2+3), then a group of three's middle (the 3rd eighth), 3+2+2 and 2+3+2's; 5/4 on 2 and
    5, then on 2 and 4, then 3+2's 3 and 5; 9/4's four backbeats with its 9th beat on the pattern's last column."""
    assert [c.tolist() for c in bar_counts(14, 2, S)] == [[8], [4], [10], [6]]
    assert [c.tolist() for c in bar_counts(20, 4, S)] == [[4, 16], [4, 12], [8, 16]]
    assert bar_counts(36, 4, S)[0].tolist() == [4, 12, 20, 28]
    assert bar_counts(16, 4, S) == ()


def odd_bars(n_bars: int, snare_steps: dict[int, float]) -> tuple[np.ndarray, np.ndarray]:
    """Hits and probabilities (n, S, 9) of 7/8 bars: a kick and hats played, the snare probabilities given."""
    p = np.zeros((n_bars, S, 9))
    p[:, 0, KICK] = 0.9
    p[:, :14:2, CLOSED_HAT] = 0.8
    for step, likely in snare_steps.items():
        p[:, step, SNARE] = likely
    return p > 0.5, p


def test_counted_snares_follow_the_count_the_model_favours_and_keep_a_sure_snare() -> None:
    """Where the model clearly hears 3+2+2 (its snare likelier on the 4th eighth), that count plays; a snare off the
    count stays only where the model is sure of it; a bar that plays nothing stays silent."""
    hits, p = odd_bars(3, {6: 0.5, 8: 0.3, 11: 0.65, 3: 0.55})
    hits[2] = False
    labels = np.zeros(3, dtype=np.int64)
    counted_snares(hits, p, np.full(3, 14), np.full(3, 2), labels)
    assert [np.flatnonzero(bar).tolist() for bar in hits[:2, :, SNARE]] == [[6, 11]] * 2
    assert not hits[2].any()
    even, p = odd_bars(2, {step: 0.45 for step in range(2, 14, 2)})
    counted_snares(even, p, np.full(2, 14), np.full(2, 2), np.zeros(2, dtype=np.int64))
    assert [np.flatnonzero(bar).tolist() for bar in even[:, :, SNARE]] == [[8]] * 2  # no preference: 2+2+3


def test_counted_snares_play_no_more_than_the_model_expects_and_leave_common_meters() -> None:
    """A 9/4 bar whose model expects about two snares plays two of its count's four backbeats, the likeliest; a 4/4
    bar is the codebook's to play."""
    p = np.zeros((1, S, 9))
    p[0, 0, KICK], p[0, 4:32:4, SNARE] = 0.9, 0.2
    p[0, 12, SNARE], p[0, 28, SNARE] = 0.3, 0.35
    hits = p > 0.15
    counted_snares(hits, p, np.array([36]), np.array([4]), np.zeros(1, dtype=np.int64))
    assert np.flatnonzero(hits[0, :, SNARE]).tolist() == [12, 28]
    common = p > 0.15
    counted_snares(common, p, np.array([16]), np.array([4]), np.zeros(1, dtype=np.int64))
    assert (common == (p > 0.15)).all()
