"""One bar of live play as the model reads it (live/features.py): the shared one-bar grids."""

from __future__ import annotations

import numpy as np
import pytest

from seq2drum.live.api import BarClock, PlayedNote
from seq2drum.live.features import TICKS_PER_QUARTER, notes_by_role, bar_grid, live_bar
from seq2drum.midi.io import Part
from seq2drum.midi.roles import BAND_ROLES
from seq2drum.song.band import band_features
from seq2drum.song.bars import bar_table, step_table
from seq2drum.song.drum_part import per_bar
from seq2drum.song.columns import SONG, FeatureSpec
from seq2drum.song.encode import EncodedSong
from seq2drum.song.grid import Grid
from seq2drum.song.guitar import guitar_features

SPEC = FeatureSpec.current(4)  # every column, in this code's order


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


@pytest.mark.parametrize("meter", [(4, 4), (3, 4), (7, 8), (9, 4)], ids=lambda m: f"{m[0]}-{m[1]}")
def test_a_live_bars_tables_are_those_of_the_whole_computation(meter: tuple[int, int]) -> None:
    """The bar's guitar and band written into the grid's kept tables of a bar of no notes (live_bar) give, bit for
    bit, what step_table, per_bar and bar_table compute whole: breaks if a column of either came to depend on the
    notes outside the guitar's and the band's columns, which the kept tables would then hold stale, or if step_table
    or bar_table came to write the guitar or the band otherwise than live_bar does."""
    grid = bar_grid(*meter, 111.0, 4)
    clock = BarClock(0, *meter, 111.0)
    rng = np.random.default_rng(0)
    played = [PlayedNote(float(rng.random() * clock.quarters), float(rng.random()), int(rng.integers(30, 90)),
                         int(rng.integers(1, 128)), role) for role in ("guitar", "bass", "keys") for _ in range(6)]
    steps, bar, bar_steps, _ = live_bar(played, clock, SPEC, 4)
    by_role = notes_by_role(played, ("guitar", *BAND_ROLES))
    band = band_features({role: [Part(0, 0, role, -1, notes)] for role, notes in by_role.items()
                          if role != "guitar" and len(notes)}, grid)
    song = EncodedSong("whole", grid, [(0, *meter)], guitar_features(by_role["guitar"], grid),
                       np.zeros(len(SONG), dtype=np.float32), 0, 1, band=band)
    whole_steps = per_bar(step_table(song), grid.bars, SPEC.max_bar_steps)[0]
    whole_bar = bar_table(song, grid.bars, SPEC.max_bar_steps, np.ones(1, dtype=bool))[0]
    assert bar_steps == grid.n_steps
    assert np.array_equal(steps.view(np.uint32), whole_steps.view(np.uint32))
    assert np.array_equal(bar.view(np.uint32), whole_bar.view(np.uint32))
