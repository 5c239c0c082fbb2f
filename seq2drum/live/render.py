"""A live bar as played, the last stage of `ModelDrummer.next_bar`: the decided hits laid on the bar's grid (a bar
longer than the pattern as offline, `song.bars.pattern_steps`), the humanizer's velocity and timing (feel/),
`--swing`, each hit's articulation (the hi-hat foot, the cross-stick) and the kit map, as generation's render plays a
song; the drums come back as `api.DrumHit`s in quarter
notes from the bar's start. What depends only on the bar's shape or the stream (the steps a pattern plays, the
stream's drummer, its kit map) is made once, not every bar.
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache
from typing import Any

import numpy as np

from seq2drum.feel.level import LiveLevel
from seq2drum.feel.model import humanize, humanize_hits, shipped_tables
from seq2drum.feel.swing import swing
from seq2drum.live.api import BarClock, DrumHit
from seq2drum.live.features import TICKS_PER_QUARTER, bar_grid
from seq2drum.midi.drums import NUM_DRUM_CLASSES, midi_velocity
from seq2drum.midi.kit import KitMap
from seq2drum.options import GenerationOptions
from seq2drum.song.drum_part import DrumGrid, grid_to_drums, hits_to_drums, pattern_steps


def render_bar(hits: np.ndarray, velocity: np.ndarray, options: GenerationOptions, seed: int, bar: BarClock,
               steps_per_quarter: int, level: LiveLevel = LiveLevel(),
               swing_ratio: float | None = None,
               articulation: np.ndarray | None = None) -> tuple[list[DrumHit], LiveLevel]:
    """The drums of `bar` decided as hits (S, 9), velocities (S, 9) and articulations (S, 9; midi.drums
    `Articulation`, None: all plain), as played: at the band's level and spread
    heard so far (`level`, feel.level `LiveLevel`, as generation's render plays a song), the humanizer's velocity
    and timing from (seed, bar index), swung at `swing_ratio` (`--swing`, else the band's swing heard so far:
    feel.swing `HeardSwing`; None straight), the kit map; and `level` with the bar's velocities counted."""
    grid = bar_grid(bar.numerator, bar.denominator, float(bar.tempo_bpm), steps_per_quarter)
    n = grid.n_steps
    if articulation is None:
        articulation = np.zeros(hits.shape, dtype=np.uint8)
    if n > hits.shape[0]:  # a bar longer than the pattern (no shorter bar plays other steps than its first n)
        steps = _pattern_steps(n, hits.shape[0], int(grid.beat_steps()[0]))
        hits, velocity, articulation = hits[steps], velocity[steps], articulation[steps]
    hits, articulation = hits[:n], articulation[:n]
    velocity, level = level.leveled(np.where(hits, velocity[:n], 0).astype(np.uint8), hits, options.dynamics)
    decided = DrumGrid(hits, velocity, np.zeros((n, NUM_DRUM_CLASSES), dtype=np.float32), articulation=articulation)
    rng = np.random.default_rng([seed, 2, bar.index])
    drummer = _drummer(seed, options.feel)
    if swing_ratio is None:  # the played hits straight to notes: no grid between (`grid_to_drums` of `humanize`)
        played = humanize_hits(decided, grid, options.humanize, drummer, rng, options.dynamics)
        velocity = midi_velocity(np.rint(played.velocity))  # as `humanize` rounds them
        velocity, level = level.spread_out(velocity, np.ones(len(velocity), dtype=bool), options.dynamics)
        notes = hits_to_drums(played.step, played.drum_class, velocity, played.offset.astype(np.float32), grid,
                              articulation=articulation[played.step, played.drum_class])
    else:
        swung, _ = swing(humanize(decided, grid, options.humanize, drummer, rng, options.dynamics), grid,
                                  swing_ratio)
        velocity, level = level.spread_out(swung.velocity, swung.hits, options.dynamics)
        notes = grid_to_drums(replace(swung, velocity=velocity), grid)
    # rows of Python ints (tolist): no int() per value; a note lasts at least a tick (`hits_to_drums`)
    return [DrumHit(start / TICKS_PER_QUARTER, pitch, vel, max(1, end - start) / TICKS_PER_QUARTER)
            for start, end, pitch, vel in _kit(options.kit_map).apply(notes).tolist()], level


@lru_cache(maxsize=256)
def _pattern_steps(n_steps: int, width: int, beat_steps: int) -> np.ndarray:
    """(n_steps,) read-only: the step of the pattern each step of a bar of this shape plays."""
    steps = pattern_steps(np.arange(n_steps), n_steps, width, beat_steps)
    steps.setflags(write=False)
    return steps


@lru_cache(maxsize=64)
def _drummer(seed: int, feel: str) -> Any:
    """The stream's drummer (as generation draws one per request from its seed)."""
    return shipped_tables().draw_drummer(np.random.default_rng([seed, 1]), feel)


@lru_cache(maxsize=64)
def _kit(kit_map: str | None) -> KitMap:
    """The stream's kit map (KitMap is frozen: one parse serves every bar)."""
    return KitMap.from_json(kit_map) if kit_map else KitMap.gm()
