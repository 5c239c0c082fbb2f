"""The kit by count, then by place (groove/kit.py): time-keeping, kicks, open hats, tom fills and crashes as often as
the model expects the song's drummer to play them, at its likeliest cells."""

from __future__ import annotations

import numpy as np
import pytest

from seq2drum.groove.kit import KitCount, crash_accents, kicks_by_count, open_hats, time_by_count, tom_fills
from seq2drum.groove.settings import (CRASH_SONG_RATE, KICK_COUNT_MAX, OPEN_HAT_MAX_PER_BAR, OPEN_HAT_MIN_P,
                                      TOM_SONG_RATE)
from seq2drum.midi.drums import CLOSED_HAT, CRASH, KICK, LOW_TOM, OPEN_HAT, RIDE

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
    p[0, 14, OPEN_HAT] = 0.4
    hits = eighth_hats(1)
    after = open_hats(hits, p, np.ones(1, dtype=bool), KitCount(expected=0.0, played=0))
    assert not hits[..., OPEN_HAT].any() and after == KitCount(0.4, 0, 1)
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


# ---------------------------------------------------------------------------------------------- by count, then place


def sixteenth_hats(n: int) -> np.ndarray:
    hits = np.zeros((n, S, 9), dtype=bool)
    hits[:, :, CLOSED_HAT] = True
    return hits


def test_time_by_count_keeps_eighths_where_the_model_expects_eighths_and_16ths_where_it_expects_them() -> None:
    """Bar 0: 16th hats, the model sure of the eighths (0.8) and not of the 16ths between (0.1): it expects 7.2
    hats, so the bar keeps eighths. Bar 1: the 16ths between likely too (0.6): it expects 11.2, whose 1.1 times is
    past halfway between 8 and 16 hats, so the 16ths stay. Bar 2 already plays eighths: nothing to thin. The ride
    is counted alike."""
    hits, p = sixteenth_hats(3), np.zeros((3, S, 9))
    p[:, ::2, CLOSED_HAT] = 0.8
    p[0, 1::2, CLOSED_HAT] = 0.1
    p[1, 1::2, CLOSED_HAT] = 0.6
    hits[2, 1::2, CLOSED_HAT] = False
    time_by_count(hits, p, threshold=0.3)
    assert hits[0, :, CLOSED_HAT].tolist() == [True, False] * 8
    assert hits[1, :, CLOSED_HAT].all()
    assert hits[2, :, CLOSED_HAT].tolist() == [True, False] * 8
    ride, p_ride = np.zeros((1, S, 9), dtype=bool), np.zeros((1, S, 9))
    ride[0, :, RIDE] = True
    p_ride[0, ::2, RIDE] = 0.8
    time_by_count(ride, p_ride, threshold=0.3)
    assert np.count_nonzero(ride[0, :, RIDE]) == 8


def test_kicks_by_count_keep_the_downbeat_and_the_likeliest_kicks_the_model_expects() -> None:
    """Six kicks where the model expects 1.2 (0.6 on 1 and 3, 0.0 elsewhere): KICK_COUNT_MAX x 1.2 + 1, rounded,
    stay: the downbeat and the likeliest others; a bar within its count keeps every kick."""
    hits, p = np.zeros((2, S, 9), dtype=bool), np.zeros((2, S, 9))
    hits[:, [0, 3, 6, 8, 10, 14], KICK] = True
    p[:, [0, 8], KICK] = 0.6
    p[:, 14, KICK] = 0.05
    p[1, :, KICK] = 0.5  # bar 1 expects 8 kicks: all six stay
    kicks_by_count(hits, p)
    allowed = int(np.floor(KICK_COUNT_MAX * 1.25 + 1.5))
    assert np.count_nonzero(hits[0, :, KICK]) == allowed
    assert hits[0, [0, 8], KICK].all() and (allowed < 3 or hits[0, 14, KICK])
    assert np.count_nonzero(hits[1, :, KICK]) == 6


def test_under_the_ride_the_kicks_are_as_many_as_the_model_expects_even_on_a_walking_bass() -> None:
    """A walking bass on every beat, a kick on each, the model expecting 1.2 kicks: a bar kept on the hats keeps the
    bass's four; a bar kept on the ride keeps one, the downbeat (the likeliest)."""
    hits, p = np.zeros((2, S, 9), dtype=bool), np.zeros((2, S, 9))
    bass = np.zeros((2, S), dtype=bool)
    bass[:, [0, 4, 8, 12]] = True
    hits[:, [0, 4, 8, 12], KICK] = True
    p[:, [0, 8], KICK] = 0.6
    kicks_by_count(hits, p, bass, ridden=np.array([False, True]))
    assert np.flatnonzero(hits[0, :, KICK]).tolist() == [0, 4, 8, 12]
    assert np.flatnonzero(hits[1, :, KICK]).tolist() == [0]


def test_tom_fills_in_a_song_whose_model_expects_toms_and_snare_fills_in_one_that_does_not() -> None:
    """A song whose model expects about a tom hit a bar (over TOM_SONG_RATE) fills on the toms; one whose model
    expects none fills on the snare; the permission reads no mark (the same whichever bars fill), and the count
    carries bar to bar, so live, one bar at a time, gives the same."""
    n = 16
    playing = np.ones(n, dtype=bool)
    busy = np.zeros((n, S, 9))
    busy[:, 12:16, LOW_TOM] = 0.25  # a tom hit expected a bar
    assert 1.0 >= TOM_SONG_RATE
    toms, count = tom_fills(playing, busy, KitCount())
    assert toms.all() and count.expected == pytest.approx(16.0) and count.bars == n
    quiet = np.zeros((n, S, 9))
    quiet[:, 12:16, LOW_TOM] = 0.01
    assert not tom_fills(playing, quiet, KitCount())[0].any()
    resting = playing.copy()
    resting[4:8] = False
    assert not tom_fills(resting, busy, KitCount())[0][4:8].any()
    carried, live = KitCount(), []
    for row in range(n):
        one, carried = tom_fills(playing[row : row + 1], busy[row : row + 1], carried)
        live.append(bool(one[0]))
    assert live == toms.tolist() and carried == count


def test_crash_accents_come_as_often_as_the_model_expects_off_the_downbeat_in_a_song_that_crashes() -> None:
    """8 bars whose crash probabilities off the downbeat sum to 0.8 a bar (0.5 on the & of 2, thin elsewhere): crash
    hits off the downbeat up to the count, each on the & of 2, its hat giving way; the downbeat is the structure's
    (a crash there neither counts nor moves); a song whose model expects few crashes (under CRASH_SONG_RATE a bar)
    gets none."""
    n = 8
    hits, p = eighth_hats(n), np.zeros((n, S, 9))
    p[:, 1:, CRASH] = 0.3 / (S - 2)
    p[:, 6, CRASH] = 0.5
    p[:, 0, CRASH] = 0.9  # the downbeat's: the structure's to mark
    hits[0, 0, CRASH] = True
    count = crash_accents(hits, p, np.ones(n, dtype=bool), KitCount())
    total = int(p[:, 1:, CRASH].sum() + 0.5)
    assert int(hits[:, 1:, CRASH].sum()) == total == count.played and hits[:, 0, CRASH].tolist() == [True] + [False] * 7
    assert set(np.flatnonzero(hits[:, 1:, CRASH].any(axis=0)) + 1) == {6}
    assert not (hits[:, 6, CRASH] & hits[:, 6, CLOSED_HAT]).any()
    quiet_hits, quiet = eighth_hats(n), np.zeros((n, S, 9))
    quiet[:, 6, CRASH] = 0.3  # likely where it is, but 0.3 a bar is under the song rate
    assert 0.3 < CRASH_SONG_RATE
    crash_accents(quiet_hits, quiet, np.ones(n, dtype=bool), KitCount())
    assert not quiet_hits[..., CRASH].any()
