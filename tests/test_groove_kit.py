"""The colour of the kit by count, then by place (groove/kit.py): the open hat as often as the model expects."""

from __future__ import annotations

import numpy as np

from seq2drum.groove.kit import KitCount, open_hats
from seq2drum.groove.settings import OPEN_HAT_MAX_PER_BAR, OPEN_HAT_MIN_P
from seq2drum.midi.drums import CLOSED_HAT, OPEN_HAT

S = 16


def eighth_hats(n: int) -> np.ndarray:
    hits = np.zeros((n, S, 9), dtype=bool)
    hits[:, ::2, CLOSED_HAT] = True
    return hits


def test_open_hats_come_as_often_as_the_probabilities_sum_to_at_the_likeliest_hat_cells() -> None:
    """8 bars whose open-hat probabilities sum to 0.5 a bar (0.3 on the & of 4, thin elsewhere): 4 open hats in all,
    each on the & of 4 (step 14), replacing its closed hat; every other closed hat stays. Per cell none would pass
    a lambda of 0.3, so the F1 choice alone played none."""
    n = 8
    hits, p = eighth_hats(n), np.zeros((n, S, 9))
    p[:, :, OPEN_HAT] = 0.2 / (S - 1)
    p[:, 14, OPEN_HAT] = 0.3
    count = open_hats(hits, p, np.ones(n, dtype=bool), KitCount())
    assert int(hits[..., OPEN_HAT].sum()) == 4 == count.played
    assert np.flatnonzero(hits[..., OPEN_HAT].any(axis=0)).tolist() == [14]
    assert not (hits[..., OPEN_HAT] & hits[..., CLOSED_HAT]).any()
    assert int(hits[..., CLOSED_HAT].sum()) == 8 * n - 4
    assert count.expected == np.float64(p[..., OPEN_HAT].sum())


def test_no_open_hat_where_the_model_does_not_expect_one_or_no_hat_plays() -> None:
    n = 4
    hits, p = eighth_hats(n), np.zeros((n, S, 9))
    p[:, 1::2, OPEN_HAT] = 0.4  # likely only off the closed hats' steps: nothing to open
    p[:, ::2, OPEN_HAT] = OPEN_HAT_MIN_P / 2  # under the floor where the hats play
    open_hats(hits, p, np.ones(n, dtype=bool), KitCount())
    assert not hits[..., OPEN_HAT].any()
    quiet = eighth_hats(n)
    open_hats(quiet, np.zeros((n, S, 9)), np.ones(n, dtype=bool), KitCount())
    assert not quiet[..., OPEN_HAT].any()


def test_the_count_carries_over_bars_and_caps_a_bar() -> None:
    """Live each bar is decided alone: the count before it (expected and played so far) says whether this one opens;
    a bar gets OPEN_HAT_MAX_PER_BAR at most however far behind the count is; resting bars neither count nor open."""
    p = np.zeros((1, S, 9))
    p[0, 14, OPEN_HAT] = 0.3
    hits = eighth_hats(1)
    after = open_hats(hits, p, np.ones(1, dtype=bool), KitCount(expected=0.0, played=0))
    assert not hits[..., OPEN_HAT].any() and after == KitCount(0.3, 0)
    hits = eighth_hats(1)
    after = open_hats(hits, p, np.ones(1, dtype=bool), after)
    assert hits[0, 14, OPEN_HAT] and after.played == 1
    behind = eighth_hats(1)
    p[0, ::2, OPEN_HAT] = 0.3
    open_hats(behind, p, np.ones(1, dtype=bool), KitCount(expected=10.0, played=0))
    assert int(behind[..., OPEN_HAT].sum()) == OPEN_HAT_MAX_PER_BAR
    resting = eighth_hats(1)
    assert open_hats(resting, p, np.zeros(1, dtype=bool), KitCount(1.0, 0)) == KitCount(1.0, 0)
    assert not resting[..., OPEN_HAT].any()
