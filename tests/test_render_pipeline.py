"""The one render pipeline (seq2drum/render/pipeline.py): offline and live play decided drums through the same steps,
each control applied in one of them; the converters between its played hits and a DrumGrid undo each other."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

from seq2drum.feel.level import LiveLevel, SongLevel, Sums, heard_level
from seq2drum.midi.drums import CLOSED_HAT, KICK, SNARE, Articulation
from seq2drum.options import GenerationOptions
from seq2drum.render.pipeline import Played, RenderControls, draw_drummer, kit_map, level, notes, play
from seq2drum.song.drum_part import DrumGrid, grid_to_drums
from seq2drum.song.grid import Grid

REPO = Path(__file__).resolve().parents[1]


def _bar() -> tuple[DrumGrid, Grid]:
    """A 4/4 backbeat at 4 steps a quarter, its hats' foot on the backbeats, on a one-bar grid."""
    hits = np.zeros((16, 9), dtype=bool)
    hits[0:16:4, KICK] = hits[4:16:8, SNARE] = hits[0:16:2, CLOSED_HAT] = True
    articulation = np.zeros(hits.shape, dtype=np.uint8)
    articulation[4:16:8, CLOSED_HAT] = Articulation.PEDAL_HAT
    drums = DrumGrid(hits, np.where(hits, 96, 0).astype(np.uint8), np.zeros(hits.shape, dtype=np.float32),
                     articulation=articulation)
    return drums, Grid.build(480, [(0, 4, 4)], [(0, 500_000)], 4 * 480 - 1, 4)


@pytest.mark.parametrize("swing", [None, 0.62], ids=["straight", "swung"])
def test_a_bar_plays_alike_offline_and_live(swing: float | None) -> None:
    """Breaks if offline and live played the same decided bar, drummer and random stream otherwise: they run one
    pipeline, only the level's source differs (none heard here)."""
    decided, grid = _bar()
    controls = RenderControls.of(GenerationOptions(swing=swing), swing)
    drummer = draw_drummer(np.random.default_rng([7, 1]), controls.feel, controls.humanize)
    offline, _ = play(decided, grid, controls, SongLevel(), drummer, np.random.default_rng([7, 2, 0]))
    live, _ = play(decided, grid, controls, LiveLevel(), drummer, np.random.default_rng([7, 2, 0]))
    for name in ("step", "drum_class", "velocity", "offset"):
        np.testing.assert_array_equal(getattr(offline, name), getattr(live, name))
    assert (offline.offset != 0).any()


def test_played_hits_and_a_grid_convert_both_ways() -> None:
    """`on_grid` and `from_grid` undo each other (offline writes the grid a take shows, live writes the hits)."""
    decided, grid = _bar()
    controls = RenderControls.of(GenerationOptions(swing=0.6), 0.6)
    played, _ = play(decided, grid, controls, SongLevel(80.0, 12.0), None, np.random.default_rng(0))
    again = Played.from_grid(played.on_grid())
    for name in ("step", "drum_class", "velocity", "offset"):
        np.testing.assert_array_equal(getattr(again, name), getattr(played, name))
    np.testing.assert_array_equal(again.on_grid().velocity, played.on_grid().velocity)


def test_notes_are_the_grids_notes_on_the_kit_map() -> None:
    """The notes step writes what `grid_to_drums` writes of the played grid (the foot on 44), then the kit map."""
    decided, grid = _bar()
    options = GenerationOptions(kit_map='{"kick": 35, "pedal_hat": 21}')
    controls = RenderControls.of(options)
    played, _ = play(decided, grid, controls, SongLevel(), None, np.random.default_rng(0))
    written = notes(played, grid, controls)
    np.testing.assert_array_equal(written, kit_map(options.kit_map).apply(grid_to_drums(played.on_grid(), grid)))
    assert {35, 21} <= set(written[:, 2].tolist()) and not {36, 44} & set(written[:, 2].tolist())


def test_the_level_step_reads_dynamics_with_the_level_offline_and_live() -> None:
    """--dynamics moves the level both ways alike: the song's level (offline) and the band's heard so far (live, a
    first bar: its own mean) times the factor."""
    decided, _ = _bar()
    band = np.array([50, 70])
    for dynamics in (1.0, 0.5):
        controls = RenderControls.of(GenerationOptions(dynamics=dynamics))
        offline, _ = level(decided, controls, SongLevel(heard_level(band)))
        live, _ = level(decided, controls, LiveLevel(band=Sums().after(band)))
        np.testing.assert_array_equal(offline.velocity, live.velocity)
        assert offline.velocity[decided.hits].mean() == pytest.approx(dynamics * heard_level(band), abs=0.5)


def test_each_control_is_read_in_one_place() -> None:
    """Breaks if a caller of the pipeline reads a render control itself (a copy waiting to drift, issue 86 item 4):
    --dynamics, --humanize, --feel and --kit-map are read from the options once, in `RenderControls.of`."""
    controls = ("dynamics", "humanize", "feel", "kit_map")
    for caller in ("seq2drum/generation/render.py", "seq2drum/live/render.py"):
        tree = ast.parse((REPO / caller).read_text())
        read = [node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute) and node.attr in controls
                and isinstance(node.value, ast.Name) and node.value.id == "options"]
        assert not read, (caller, read)
    pipeline = ast.parse((REPO / "seq2drum/render/pipeline.py").read_text())
    read = [node.attr for node in ast.walk(pipeline) if isinstance(node, ast.Attribute) and node.attr in controls
            and isinstance(node.value, ast.Name) and node.value.id == "options"]
    assert sorted(read) == sorted(controls)


def test_a_swung_parts_bars_swing_in_a_straight_song_and_no_others() -> None:
    """Issue 99: a plan's "swung eighths on the open hat" in a straight song was played straight and read back as
    "eighths on the open hat". The steps of its bars (`part_swing_steps`) swing at PART_SWING; a straight song's
    other bars, and a song that swings by its own reading, are as before."""
    from seq2drum.render.pipeline import PART_SWING

    drums, grid = _bar()
    controls = RenderControls.of(GenerationOptions(humanize=0.0))
    loudness = SongLevel()
    straight, _ = play(drums, grid, controls, loudness, None, np.random.default_rng(0))
    swung, _ = play(drums, grid, controls._replace(part_swing_steps=np.ones(16, dtype=bool)), loudness, None,
                    np.random.default_rng(0))
    off_beat = (straight.drum_class == CLOSED_HAT) & (straight.step % 4 == 2)
    assert np.allclose(straight.offset, 0.0)
    assert np.allclose(swung.offset[off_beat], (PART_SWING - 0.5) * 4) and np.allclose(swung.offset[~off_beat], 0.0)
    alone, _ = play(drums, grid, controls._replace(part_swing_steps=np.zeros(16, dtype=bool)), loudness, None,
                    np.random.default_rng(0))
    assert np.allclose(alone.offset, 0.0)
