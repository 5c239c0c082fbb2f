"""The feel figures, as ../shared/scoring (its README, drum_eval.py) defines them, so `--mode evaluate` reports what
the held-out songs' figures are measured with: per song, the velocity spread (population standard
deviation of every hit's velocity) and the swing (the mean position, in its quarter-note beat, of the one hat or
ride hit off the beat, over 8 or more eligible beats of x/4 bars); over songs, the median velocity spread ratio
(generated / real), swing agreement (straight songs kept straight; swung ones within SWING_AGREEMENT of the
drummer's swing) and per-class F1 (each song's F1 for a class, over the songs whose real drums play it, averaged).
The per-song figures are here; their summary over songs is summary.py's `feel_summary`.
"""

from __future__ import annotations

import math

import numpy as np

from seq2drum.feel.swing import song_swing
from seq2drum.song.drum_part import DrumGrid
from seq2drum.song.grid import Grid

Span = tuple[int, int]  # [start_step, end_step)
SWING_AGREEMENT = 0.04  # a swung song's generated swing within this of the drummer's agrees


def song_velocity_spread(drums: DrumGrid, span: Span) -> float:
    """Population standard deviation of the velocities of every hit in `span`; NaN under two hits."""
    velocity = drums.velocity[span[0] : span[1]][drums.hits[span[0] : span[1]]].astype(np.float64)
    return float(velocity.std()) if len(velocity) >= 2 else math.nan


def song_feel(drums: DrumGrid, grid: Grid, span: Span) -> dict[str, float | None]:
    return {"velocity_spread": song_velocity_spread(drums, span), "swing": song_swing(drums, grid, span)}
