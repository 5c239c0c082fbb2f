"""The groove codebook: clustering keeps the bars drummers play, round-trips through the checkpoint, and assigns
every bar of a known length to its nearest entry."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from seq2drum.midi.drums import KICK, SNARE
from seq2drum.groove.codebook import GrooveCodebook, pattern_f1
from seq2drum.training.codebook import build_codebook, weighted_kmedoids, with_take_menu
from tests.builders import pattern, rock_bar


def _bars(patterns: list[tuple[np.ndarray, int]]) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(hits, velocity, offset) of each pattern repeated `count` times, velocity 100, offset 0.1 on every hit."""
    out = []
    for hits, count in patterns:
        out += [(hits, hits * 100.0, hits * 0.1)] * count
    return out


def test_codebook_round_trips_a_pattern_through_the_checkpoint_state() -> None:
    """A bar played often becomes an entry, keeps its velocity and timing profile, and survives to_state/from_state
    (the form it takes inside a checkpoint, loaded with weights_only)."""
    rock = rock_bar(16)
    waltz = pattern(12, [(0, KICK), (4, 2), (8, 2), (6, SNARE)])
    codebook = build_codebook(_bars([(rock, 40), (waltz, 20)]), max_steps=32, size=8)
    entry = int(codebook.assign(np.pad(rock, ((0, 16), (0, 0)))[None], np.array([16]))[0])
    np.testing.assert_array_equal(codebook.patterns[entry, :16], rock)
    assert codebook.bar_steps[entry] == 16 and codebook.counts[entry] == 40
    np.testing.assert_allclose(codebook.velocity[entry, :16][rock], 100.0)
    np.testing.assert_allclose(codebook.offset[entry, :16][rock], 0.1, atol=1e-6)
    state = {k: torch.tensor(v.numpy()) for k, v in codebook.to_state().items()}
    restored = GrooveCodebook.from_state(state)
    np.testing.assert_array_equal(restored.patterns, codebook.patterns)
    np.testing.assert_array_equal(restored.bar_steps, codebook.bar_steps)
    np.testing.assert_allclose(restored.velocity, codebook.velocity, atol=0.1)


def test_every_length_keeps_the_empty_bar_so_resting_is_a_choice() -> None:
    codebook = build_codebook(_bars([(rock_bar(16), 30), (rock_bar(12), 30)]), max_steps=32, size=4)
    for length in (12, 16):
        entries = codebook.entries_of_length(length)
        assert any(not codebook.patterns[e].any() for e in entries)


def test_assign_picks_the_nearest_entry_of_the_same_length_only() -> None:
    rock = rock_bar(16)
    ride = pattern(16, [(s, 8) for s in range(0, 16, 4)] + [(0, KICK), (8, SNARE)])
    codebook = build_codebook(_bars([(rock, 30), (ride, 30), (rock_bar(12), 10)]), max_steps=32, size=6)
    near_rock = rock.copy()
    near_rock[14, KICK] = True  # one extra kick: still the rock bar
    bars = np.zeros((3, 32, 9), dtype=bool)
    bars[0, :16], bars[1, :16] = near_rock, ride
    ids = codebook.assign(bars, np.array([16, 16, 7]))
    np.testing.assert_array_equal(codebook.patterns[ids[0], :16], rock)
    np.testing.assert_array_equal(codebook.patterns[ids[1], :16], ride)
    assert ids[2] == -1  # no 7-step entries: nothing to assign


def test_rare_lengths_get_no_entries() -> None:
    codebook = build_codebook(_bars([(rock_bar(16), 30), (rock_bar(10), 3)]), max_steps=32, size=8, min_bars=8)
    assert len(codebook.entries_of_length(10)) == 0 and len(codebook.entries_of_length(16)) >= 2


def test_weighted_kmedoids_puts_a_medoid_on_each_heavy_cluster() -> None:
    """Two tight groups far apart, one much heavier: with k = 2 each group gets a medoid at its heaviest member."""
    points = np.array([0.0, 0.1, 0.2, 10.0, 10.1])
    distance = np.abs(points[:, None] - points[None, :])
    weights = np.array([1.0, 50.0, 1.0, 5.0, 1.0])
    medoids = weighted_kmedoids(distance, weights, 2, np.random.default_rng(0))
    assert sorted(medoids.tolist()) == [1, 3]


def test_pattern_f1_is_one_between_two_empty_bars_and_symmetric() -> None:
    a = rock_bar(16).reshape(1, -1)
    b = pattern(16, [(0, KICK)]).reshape(1, -1)
    empty = np.zeros_like(a)
    assert pattern_f1(empty, empty)[0, 0] == 1.0
    assert pattern_f1(a, empty)[0, 0] == 0.0
    assert pattern_f1(a, b)[0, 0] == pytest.approx(pattern_f1(b, a)[0, 0]) == pytest.approx(2 / 11)


def test_take_menu_lists_the_loops_that_cover_the_training_songs_greedily() -> None:
    """The menu later takes choose from: per bar length, the loop that best covers the songs first, then the one
    that adds most to it; loops that add nothing (a variation of the first, the empty bar) stay off it."""
    rock = rock_bar(16)
    ride = pattern(16, [(s, 8) for s in range(0, 16, 2)] + [(0, KICK), (8, SNARE)])
    variation = rock.copy()
    variation[14, KICK] = True
    empty = np.zeros((16, 9), dtype=bool)
    codebook = GrooveCodebook.from_entries(
        [(16, bar, count, bar * 90.0, np.zeros((16, 9))) for bar, count in ((empty, 5), (rock, 60), (ride, 30),
                                                                              (variation, 10))], 32)
    songs = [(np.stack([rock] * 8), np.full(8, 16))] * 6 + [(np.stack([ride] * 8), np.full(8, 16))] * 3
    songs = [(np.pad(hits, ((0, 0), (0, 16), (0, 0))), steps) for hits, steps in songs]
    menu = with_take_menu(codebook, songs).menu_rank
    index = {name: int(codebook.assign(np.pad(bar, ((0, 16), (0, 0)))[None], np.array([16]))[0])
             for name, bar in (("rock", rock), ("ride", ride), ("variation", variation), ("empty", empty))}
    assert menu[index["rock"]] == 0 and menu[index["ride"]] == 1
    assert menu[index["variation"]] == -1 and menu[index["empty"]] == -1
    state = {k: torch.tensor(v.numpy()) for k, v in with_take_menu(codebook, songs).to_state().items()}
    np.testing.assert_array_equal(GrooveCodebook.from_state(state).menu_rank, menu)
    assert (codebook.menu_rank == -1).all()  # with_take_menu returns a copy
