"""A live bar as played, the last stage of `ModelDrummer.next_bar`: the decided hits laid on the bar's grid (a bar
longer than the pattern as offline, `song.bars.pattern_steps`), then the render pipeline offline plays a song through
(seq2drum.render: level, humanize, spread, swing, notes), over this one bar, at the level and spread heard so far
(feel.level `LiveLevel`), the drummer's drift carried from the bar before (feel.drift `DriftState`), from a random
stream of its own (seed, bar index); the drums come back as `api.DrumHit`s in
quarter notes from the bar's start. What depends only on the bar's shape or the stream (the steps a pattern plays, the
stream's drummer) is made once, not every bar.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from seq2drum.feel.drift import DriftState
from seq2drum.feel.level import LiveLevel
from seq2drum.feel.model import Drummer
from seq2drum.live.api import BarClock, DrumHit
from seq2drum.live.features import TICKS_PER_QUARTER, bar_grid
from seq2drum.midi.drums import NUM_DRUM_CLASSES
from seq2drum.options import GenerationOptions
from seq2drum.render.pipeline import RenderControls, draw_drummer, notes, play
from seq2drum.song.drum_part import DrumGrid, pattern_steps


def render_bar(hits: np.ndarray, velocity: np.ndarray, options: GenerationOptions, seed: int, bar: BarClock,
               steps_per_quarter: int, level: LiveLevel = LiveLevel(),
               swing_ratio: float | None = None, articulation: np.ndarray | None = None,
               drift: DriftState = DriftState(),
               own_touch: bool = False) -> tuple[list[DrumHit], LiveLevel, DriftState]:
    """The drums of `bar` decided as hits (S, 9), velocities (S, 9) and articulations (S, 9; midi.drums
    `Articulation`, None: all plain), as played through the render pipeline: at the touch and level heard so far
    (`level`: feel.level `LiveLevel`), the humanizer's velocity and timing from (seed, bar index) and the drift state
    after the bars before (`drift`), swung at `swing_ratio` (`--swing`, else the band's swing heard so far:
    feel.swing `HeardSwing`; None straight), the kit map; `level` with the bar's velocities counted, and the drift
    state after the bar. `own_touch`: the bar is one of a style's drummers' bars, played at their accents (the
    decided velocities scaled to the level, their spread kept: render.pipeline), as offline."""
    grid = bar_grid(bar.numerator, bar.denominator, float(bar.tempo_bpm), steps_per_quarter)
    n = grid.n_steps
    if articulation is None:
        articulation = np.zeros(hits.shape, dtype=np.uint8)
    if n > hits.shape[0]:  # a bar longer than the pattern (no shorter bar plays other steps than its first n)
        steps = _pattern_steps(n, hits.shape[0], int(grid.beat_steps()[0]))
        hits, velocity, articulation = hits[steps], velocity[steps], articulation[steps]
    decided = DrumGrid(hits[:n], velocity[:n], np.zeros((n, NUM_DRUM_CLASSES), dtype=np.float32),
                       articulation=articulation[:n])
    controls = RenderControls.of(options, swing_ratio)
    if own_touch:
        controls = controls._replace(own_touch_steps=np.ones(n, dtype=bool))
    played, level = play(decided, grid, controls, level, _drummer(seed, controls.feel, controls.humanize),
                         np.random.default_rng([seed, 2, bar.index]), drift)
    # rows of Python ints (tolist): no int() per value; a note lasts at least a tick (`hits_to_drums`); each hit a
    # DrumHit without its Python __new__
    new = tuple.__new__
    return [new(DrumHit, (start / TICKS_PER_QUARTER, pitch, vel, max(1, end - start) / TICKS_PER_QUARTER))
            for start, end, pitch, vel in notes(played, grid, controls).tolist()], level, played.drift


@lru_cache(maxsize=256)
def _pattern_steps(n_steps: int, width: int, beat_steps: int) -> np.ndarray:
    """(n_steps,) read-only: the step of the pattern each step of a bar of this shape plays."""
    steps = pattern_steps(np.arange(n_steps), n_steps, width, beat_steps)
    steps.setflags(write=False)
    return steps


def stream_drummer(seed: int, options: GenerationOptions) -> Drummer | None:
    """The stream's drummer, drawn once: at its start (`ModelDrummer.begin`), so that its first bar, which pays for
    every cache of its meter and tempo already, does not draw it too (0.3 ms of CPU); each bar reads it back."""
    controls = RenderControls.of(options)
    return _drummer(int(seed), controls.feel, controls.humanize)


@lru_cache(maxsize=64)
def _drummer(seed: int, feel: str, humanize: float) -> Drummer | None:
    """The stream's drummer, drawn as offline draws one per request from its seed (`draw_drummer`)."""
    return draw_drummer(np.random.default_rng([seed, 1]), feel, humanize)
