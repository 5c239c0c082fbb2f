"""A live bar as played (live/render.py): the feel drawn from (seed, bar), the kit map, the shared step maps."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from seq2drum.feel.level import LiveLevel, Sums, heard_level, heard_spread
from seq2drum.live.api import BarClock
from seq2drum.live.render import _drummer, _pattern_steps, render_bar, stream_drummer
from seq2drum.midi.drums import CLOSED_HAT, KICK, RIDE, SNARE, Articulation
from seq2drum.options import GenerationOptions
from seq2drum.song.drum_part import pattern_steps


def _groove(width: int = 32) -> tuple[np.ndarray, np.ndarray]:
    hits = np.zeros((width, 9), dtype=bool)
    hits[0:16:4, KICK] = hits[4:16:8, SNARE] = hits[0:16:2, CLOSED_HAT] = True
    return hits, np.where(hits, 100, 0).astype(np.uint8)


def test_same_seed_and_bar_play_alike_and_another_bar_differs() -> None:
    """The feel comes from (seed, bar index): if it broke, a late call (or a retried one) would change the drums."""
    hits, velocity = _groove()
    bar = BarClock(5, 4, 4, 120.0)
    first, _, _ = render_bar(hits, velocity, GenerationOptions(), 7, bar, 4)
    assert first == render_bar(hits, velocity, GenerationOptions(), 7, bar, 4)[0]
    assert len(first) == int(hits.sum())
    assert first != render_bar(hits, velocity, GenerationOptions(), 7, BarClock(6, 4, 4, 120.0), 4)[0]



def test_the_streams_drummer_is_drawn_at_its_start_not_in_a_bar() -> None:
    """`stream_drummer` (ModelDrummer.begin's) draws the drummer a stream's bars play with: if it broke, every stream's
    first bar would draw it again on the event loop (0.3 ms of a bar's round trip). Counted, not timed."""
    options, seed = GenerationOptions(), 918_273
    drawn = stream_drummer(seed, options)
    misses = _drummer.cache_info().misses
    hits, velocity = _groove()
    render_bar(hits, velocity, options, seed, BarClock(0, 4, 4, 120.0), 4)
    assert _drummer.cache_info().misses == misses and stream_drummer(seed, options) is drawn


def test_kit_map_moves_the_pitches() -> None:
    """A kit map plays the kick on its note (the map is parsed once per stream, not per bar)."""
    hits, velocity = _groove()
    options = GenerationOptions(humanize=0.0, kit_map='{"kick": 35}')
    pitches = {hit.pitch for hit in render_bar(hits, velocity, options, 1, BarClock(0, 4, 4, 100.0), 4)[0]}
    assert 35 in pitches and 36 not in pitches


@pytest.mark.parametrize("swing", [None, 0.62], ids=["straight", "swung"])
@pytest.mark.parametrize("numerator", [4, 9], ids=["4/4", "9/4-longer-than-the-pattern"])
def test_a_bars_foot_and_cross_stick_are_written_on_their_own_notes(swing: float | None, numerator: int) -> None:
    """Each hit's articulation reaches its note, straight and swung, in a bar as long as its pattern and longer: the
    hi-hat foot on 44 and the cross-stick on 37, the others on their class's note; a kit map moves both."""
    hits = np.zeros((32, 9), dtype=bool)
    hits[0:32:4, RIDE] = hits[4:32:8, CLOSED_HAT] = hits[[0, 6, 12], SNARE] = hits[0:32:8, KICK] = True
    velocity = np.where(hits, 90, 0).astype(np.uint8)
    articulation = np.zeros(hits.shape, dtype=np.uint8)
    articulation[:, CLOSED_HAT] = hits[:, CLOSED_HAT] * Articulation.PEDAL_HAT
    articulation[6, SNARE] = Articulation.CROSS_STICK
    bar = BarClock(2, numerator, 4, 120.0)
    options = GenerationOptions(swing=swing)
    played = [hit.pitch for hit in render_bar(hits, velocity, options, 7, bar, 4, articulation=articulation)[0]]
    assert 42 not in played and played.count(44) == numerator // 2 and played.count(37) == 1
    assert played.count(38) == 2 and played.count(51) == numerator
    plain = [hit.pitch for hit in render_bar(hits, velocity, options, 7, bar, 4)[0]]
    assert plain.count(42) == numerator // 2 and 44 not in plain and 37 not in plain
    mapped = replace(options, kit_map='{"pedal_hat": 21, "cross_stick": 75}')
    moved = [hit.pitch for hit in render_bar(hits, velocity, mapped, 7, bar, 4, articulation=articulation)[0]]
    assert moved.count(21) == numerator // 2 and moved.count(75) == 1 and not {44, 37} & set(moved)


@pytest.mark.parametrize("shape", [(16, 32, 4), (12, 32, 6), (36, 32, 4), (28, 32, 4)], ids=str)
def test_step_maps_are_pattern_steps_and_read_only(shape: tuple[int, int, int]) -> None:
    """The step map kept per bar shape is `pattern_steps`' (else a long bar plays otherwise than offline), and
    read-only (every bar of that shape shares it)."""
    n_steps, width, beat = shape
    kept = _pattern_steps(n_steps, width, beat)
    np.testing.assert_array_equal(kept, pattern_steps(np.arange(n_steps), n_steps, width, beat))
    assert not kept.flags.writeable


@pytest.mark.parametrize("swing", [None, 0.62], ids=["straight", "swung"])
def test_a_bar_plays_at_the_level_and_spread_heard_so_far(swing: float | None) -> None:
    """Breaks if the live drums kept the network's level whatever the band: with nothing heard a bar plays as decided
    (at 100); once a band at 50 and 70 has been heard, the bar's mean sits on the line's level for it and its
    velocities spread as the line says, both times --dynamics, straight and swung alike."""
    hits, velocity = _groove()
    bar = BarClock(3, 4, 4, 120.0)
    options = GenerationOptions(humanize=0.0, swing=swing)
    alone, counted, _ = render_bar(hits, velocity, options, 7, bar, 4)
    assert {hit.velocity for hit in alone} == {100} and counted == LiveLevel()  # nothing heard: nothing counted
    band = LiveLevel(band=Sums().after(np.array([50, 70])))
    for dynamics in (1.0, 0.5):
        played, after, _ = render_bar(hits, velocity, replace(options, dynamics=dynamics), 7, bar, 4, band)
        level = np.array([hit.velocity for hit in played], dtype=float)
        assert level.mean() == pytest.approx(dynamics * heard_level(np.array([50, 70])), abs=1.0)
        assert after.played.count == len(played) == int(hits.sum())
    humanized, _, _ = render_bar(hits, velocity, GenerationOptions(swing=swing), 7, bar, 4, band, swing)
    spread = np.array([hit.velocity for hit in humanized], dtype=float).std()
    assert spread == pytest.approx(heard_spread(np.array([50, 70])), abs=1.0)


def test_the_level_is_read_over_the_bars_so_far_and_the_users_drums_come_first() -> None:
    """The shift is the level against the mean decided so far (this bar included), as a whole take is moved by one
    amount offline: a bar decided louder than the ones before stays louder. Kept drums set the level and spread."""
    hits = np.array([True, True])
    heard = LiveLevel(band=Sums().after(np.array([60])), decided=Sums().after(np.array([80, 80])))
    moved, after = heard.leveled(np.array([100, 100], dtype=np.uint8), hits, 1.0)
    assert after.decided.mean() == 90 and moved.tolist() == [round(100 + heard_level(np.array([60])) - 90)] * 2
    kept = heard.hearing_given(np.array([40, 60]))
    assert kept.target() == (50.0, 10.0) and LiveLevel().target() == (None, None)
    assert kept.decided == Sums() and kept.hearing_given(np.array([50])).given.count == 3  # counted afresh once
    same, _ = LiveLevel().leveled(np.array([100, 90], dtype=np.uint8), hits, 1.0)
    assert same.tolist() == [100, 90]
