"""One bar of live play as the model reads it (live/features.py): the shared one-bar grids."""

from __future__ import annotations

import numpy as np
import pytest

from seq2drum.live.features import TICKS_PER_QUARTER, bar_grid
from seq2drum.song.grid import Grid


@pytest.mark.parametrize("meter", [(4, 4), (3, 4), (6, 8), (7, 8), (9, 4), (1, 4)], ids=lambda m: f"{m[0]}-{m[1]}")
def test_bar_grid_arrays_are_a_plain_grids_and_read_only(meter: tuple[int, int]) -> None:
    """A one-bar grid computes its per-step arrays once: they must equal a plain Grid's (else the live drummer reads
    a bar otherwise than a file's), and be read-only (every bar of that meter and tempo shares them)."""
    grid = bar_grid(*meter, 97.0, 4)
    plain = Grid(grid.ticks_per_quarter, grid.steps_per_quarter, grid.bars.copy(), list(grid.tempos))
    assert grid.ticks_per_quarter == TICKS_PER_QUARTER and grid.n_steps == plain.n_steps
    for name in ("step_in_bar", "beat_steps", "metrical_level", "tempo_bpm"):
        cached = getattr(grid, name)()
        assert cached is getattr(grid, name)(), name
        np.testing.assert_array_equal(cached, getattr(plain, name)(), err_msg=name)
        assert cached.dtype == getattr(plain, name)().dtype and not cached.flags.writeable, name
