"""A live bar as played (live/render.py): the feel drawn from (seed, bar), the kit map, the shared step maps."""

from __future__ import annotations

import numpy as np
import pytest

from seq2drum.live.api import BarClock
from seq2drum.live.render import _pattern_steps, render_bar
from seq2drum.midi.drums import CLOSED_HAT, KICK, SNARE
from seq2drum.options import GenerationOptions
from seq2drum.song.bars import pattern_steps


def _groove(width: int = 32) -> tuple[np.ndarray, np.ndarray]:
    hits = np.zeros((width, 9), dtype=bool)
    hits[0:16:4, KICK] = hits[4:16:8, SNARE] = hits[0:16:2, CLOSED_HAT] = True
    return hits, np.where(hits, 100, 0).astype(np.uint8)


def test_same_seed_and_bar_play_alike_and_another_bar_differs() -> None:
    """The feel comes from (seed, bar index): if it broke, a late call (or a retried one) would change the drums."""
    hits, velocity = _groove()
    bar = BarClock(5, 4, 4, 120.0)
    first = render_bar(hits, velocity, GenerationOptions(), 7, bar, 4)
    assert first == render_bar(hits, velocity, GenerationOptions(), 7, bar, 4)
    assert len(first) == int(hits.sum())
    assert first != render_bar(hits, velocity, GenerationOptions(), 7, BarClock(6, 4, 4, 120.0), 4)


def test_kit_map_moves_the_pitches() -> None:
    """A kit map plays the kick on its note (the map is parsed once per stream, not per bar)."""
    hits, velocity = _groove()
    options = GenerationOptions(humanize=0.0, kit_map='{"kick": 35}')
    pitches = {hit.pitch for hit in render_bar(hits, velocity, options, 1, BarClock(0, 4, 4, 100.0), 4)}
    assert 35 in pitches and 36 not in pitches


@pytest.mark.parametrize("shape", [(16, 32, 4), (12, 32, 6), (36, 32, 4), (28, 32, 4)], ids=str)
def test_step_maps_are_pattern_steps_and_read_only(shape: tuple[int, int, int]) -> None:
    """The step map kept per bar shape is `pattern_steps`' (else a long bar plays otherwise than offline), and
    read-only (every bar of that shape shares it)."""
    n_steps, width, beat = shape
    kept = _pattern_steps(n_steps, width, beat)
    np.testing.assert_array_equal(kept, pattern_steps(np.arange(n_steps), n_steps, width, beat))
    assert not kept.flags.writeable
