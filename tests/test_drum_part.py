"""The one decided shape of a drum part and its converters in pairs (song.drum_part): each pair round-trips, and a
decided take is a part (the notes <-> grid pair's round trip through MIDI is tests/test_grid.py's)."""

from __future__ import annotations

import numpy as np
import pytest

from seq2drum.groove.policy import Take
from seq2drum.midi.drums import CLOSED_HAT, CRASH, KICK, NUM_DRUM_CLASSES, SNARE, Articulation
from seq2drum.song.drum_part import (DrumGrid, DrumPart, bars_to_steps, drums_to_grid, grid_to_drums, grid_to_part,
                                     part_to_grid, per_bar)
from seq2drum.song.grid import BAR_STEPS, Grid
from seq2drum.parts.plan_value import Held, Plan
from tests.builders import PPQ

# 4/4, 3/4, 7/8, 6/8, 5/4, then 4/4 to the end: every bar no longer than 32 16ths
METERS = [(0, 4, 4), (4 * PPQ, 3, 4), (7 * PPQ, 7, 8), (7 * PPQ + 7 * PPQ // 2, 6, 8), (13 * PPQ + PPQ // 2, 5, 4),
          (18 * PPQ + PPQ // 2, 4, 4)]
END_TICK = 18 * PPQ + PPQ // 2 + 2 * 4 * PPQ
WIDTH = 32


def _grid(meters: list[tuple[int, int, int]] = METERS, end_tick: int = END_TICK) -> Grid:
    return Grid.build(PPQ, meters, [(0, 500_000)], end_tick, 4)


def _random_part(grid: Grid, first_bar: int, seed: int) -> DrumPart:
    """A part with hits only on each bar's own steps (a bar's steps past its length stay empty, as decided)."""
    rng = np.random.default_rng(seed)
    bars = grid.bars[first_bar:]
    part = DrumPart.empty(len(bars), WIDTH)
    for row, length in enumerate(bars[:, BAR_STEPS].tolist()):
        part.hits[row, :length] = rng.random((length, NUM_DRUM_CLASSES)) < 0.2
    part.velocity[part.hits] = rng.integers(1, 128, int(part.hits.sum()))
    part.offset[part.hits] = rng.uniform(-0.4, 0.4, int(part.hits.sum())).astype(np.float32)
    part.articulation[:, :, CLOSED_HAT] = part.hits[:, :, CLOSED_HAT] * Articulation.PEDAL_HAT  # the foot, say
    part.articulation[:, :, SNARE] = (part.hits[:, :, SNARE] & (rng.random(part.hits.shape[:2]) < 0.5)) * \
        Articulation.CROSS_STICK
    return part


@pytest.mark.parametrize("first_bar", [0, 2], ids=["from-bar-0", "from-bar-2"])
def test_a_part_and_its_grid_round_trip_in_every_meter(first_bar: int) -> None:
    """part -> grid -> part gives the part back, bar by bar through 4/4, 3/4, 7/8, 6/8 and 5/4; the bars before
    `first_bar` are empty on the grid."""
    grid = _grid()
    part = _random_part(grid, first_bar, seed=first_bar)
    drums = part_to_grid(part, grid, first_bar)
    assert drums.n_steps == grid.n_steps and not drums.hits[: grid.bars[first_bar, 0]].any()
    back = grid_to_part(drums, grid, first_bar, WIDTH)
    for name in ("hits", "velocity", "offset", "articulation"):
        np.testing.assert_array_equal(getattr(back, name), getattr(part, name), err_msg=name)


def test_a_grid_and_its_part_round_trip() -> None:
    """grid -> part -> grid gives the grid back where no bar is longer than the part is wide."""
    grid = _grid()
    rng = np.random.default_rng(3)
    drums = DrumGrid.empty(grid.n_steps)
    drums.hits[:] = rng.random(drums.hits.shape) < 0.15
    drums.velocity[drums.hits] = rng.integers(1, 128, int(drums.hits.sum()))
    back = part_to_grid(grid_to_part(drums, grid, 0, WIDTH), grid, 0)
    np.testing.assert_array_equal(back.hits, drums.hits)
    np.testing.assert_array_equal(back.velocity, drums.velocity)


def test_per_bar_and_bars_to_steps_are_inverse_for_any_per_step_array() -> None:
    grid = _grid()
    values = np.arange(grid.n_steps * 2, dtype=np.float32).reshape(grid.n_steps, 2)
    np.testing.assert_array_equal(bars_to_steps(per_bar(values, grid.bars, WIDTH), grid, 0), values)


def test_a_bar_longer_than_the_part_plays_its_pattern_to_the_bar_line() -> None:
    """A 9/4 bar is 36 16ths, 4 more than a part's 32: on the grid its pattern's last beat closes the bar (a fill
    written there ends the bar), and the part read back holds the bar's first 32 steps."""
    grid = _grid([(0, 9, 4)], 9 * PPQ)
    part = DrumPart.empty(1, WIDTH)
    part.hits[0, 0, CRASH] = part.hits[0, 0, KICK] = True
    part.hits[0, 28:32, SNARE] = True  # the pattern's last beat: a fill
    drums = part_to_grid(part, grid, 0)
    assert drums.n_steps == 36 and drums.hits[0, CRASH] and drums.hits[32:36, SNARE].all()
    assert not drums.hits[28:32, SNARE].any()  # the beats between are the pattern's beats before its last
    assert grid_to_part(drums, grid, 0, WIDTH).hits[0, :32].sum() == drums.hits[:32].sum()


def test_a_decided_take_is_a_part_and_becomes_notes_through_the_pairs() -> None:
    """A Take (groove.policy) is a DrumPart: part -> grid -> notes -> grid -> part keeps its hits, velocities and
    articulations (the pedal hat written as 44, the cross-stick as 37, each read back as its class struck so)."""
    grid = _grid()
    part = _random_part(grid, 0, seed=5)
    n = part.n_bars
    take = Take(part.hits, part.velocity, np.zeros_like(part.offset), np.full(n, -1), {}, 0.5,
                np.zeros((n, 3), dtype=bool), 0.3, Plan.held_for(Held.BARS), articulation=part.articulation)
    assert isinstance(take, DrumPart) and repr(take) == f"Take({n} bars, {int(part.hits.sum())} hits)"
    notes = grid_to_drums(part_to_grid(take, grid, 0), grid)
    back = grid_to_part(drums_to_grid(notes, grid), grid, 0, WIDTH)
    np.testing.assert_array_equal(back.hits, take.hits)
    np.testing.assert_array_equal(back.velocity, take.velocity)
    np.testing.assert_array_equal(back.articulation, np.where(take.hits, take.articulation, 0))
    written = notes[:, 2].tolist()
    assert written.count(44) == int(take.hits[:, :, CLOSED_HAT].sum()) and 42 not in written  # every hat the foot
    assert written.count(37) == np.count_nonzero(take.articulation == Articulation.CROSS_STICK) and 38 in written


def test_a_part_made_without_articulations_is_all_plain() -> None:
    """A DrumPart or DrumGrid built from hits, velocity and offset alone (the cache, a test) writes each class's
    own pitch."""
    part = DrumPart(np.ones((1, 4, 9), dtype=bool), np.full((1, 4, 9), 90, dtype=np.uint8),
                    np.zeros((1, 4, 9), dtype=np.float32))
    assert part.articulation.shape == part.hits.shape and not part.articulation.any()
    assert not DrumGrid.empty(8).articulation.any() and DrumGrid.empty(8).articulation.dtype == np.uint8
