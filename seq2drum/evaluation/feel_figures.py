"""The feel figures, as ../shared/scoring (its README, drum_eval.py) defines them, so `--mode evaluate` reports what
the held-out songs' figures are measured with: per song, the velocity spread (population standard
deviation of every hit's velocity) and the swing (the mean position, in its quarter-note beat, of the one hat or
ride hit off the beat, over 8 or more eligible beats of x/4 bars); over songs, the median velocity spread ratio
(generated / real), swing agreement (straight songs kept straight; swung ones within SWING_AGREEMENT of the
drummer's swing) and per-class F1 (each song's F1 for a class, over the songs whose real drums play it, averaged).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from seq2drum.feel.swing import STRAIGHT_MAX_SWING, SWUNG_MIN_SWING, song_swing
from seq2drum.midi.drums import DRUM_CLASSES
from seq2drum.song.grid import DrumGrid, Grid

if TYPE_CHECKING:
    from seq2drum.evaluation.song_score import SongScore

Span = tuple[int, int]  # [start_step, end_step)
SWING_AGREEMENT = 0.04  # a swung song's generated swing within this of the drummer's agrees


def song_velocity_spread(drums: DrumGrid, span: Span) -> float:
    """Population standard deviation of the velocities of every hit in `span`; NaN under two hits."""
    velocity = drums.velocity[span[0] : span[1]][drums.hits[span[0] : span[1]]].astype(np.float64)
    return float(velocity.std()) if len(velocity) >= 2 else math.nan


def song_feel(drums: DrumGrid, grid: Grid, span: Span) -> dict[str, float | None]:
    return {"velocity_spread": song_velocity_spread(drums, span), "swing": song_swing(drums, grid, span)}


def feel_summary(scores: list[SongScore], system: str) -> dict[str, Any]:
    """One system's feel figures over the songs (see the module docstring)."""
    real = [s.feel["real"] for s in scores]
    mine = [s.feel[system] for s in scores]
    ratios = [m["velocity_spread"] / r["velocity_spread"] for m, r in zip(mine, real)
              if r["velocity_spread"] and math.isfinite(r["velocity_spread"]) and math.isfinite(m["velocity_spread"])]
    straight = [m["swing"] for m, r in zip(mine, real) if r["swing"] is not None and r["swing"] <= STRAIGHT_MAX_SWING]
    swung = [(m["swing"], r["swing"]) for m, r in zip(mine, real)
             if r["swing"] is not None and r["swing"] >= SWUNG_MIN_SWING]
    per_class = {}
    for index, name in enumerate(DRUM_CLASSES):
        f1 = [float(s.counts[system]["all"].per_class()[2][index]) for s in scores
              if s.counts[system]["all"].real[index] > 0]
        per_class[name] = float(np.mean(f1)) if f1 else math.nan
    return {
        "velocity_spread_ratio_median": float(np.median(ratios)) if ratios else math.nan,
        "straight_songs": len(straight),
        # a generated song with too few eligible beats to measure has no swing: it counts as straight
        "straight_kept_share": float(np.mean([m is None or m <= STRAIGHT_MAX_SWING for m in straight]))
        if straight else math.nan,
        "swung_songs": len(swung),
        "swung_within_share": float(np.mean([m is not None and abs(m - r) <= SWING_AGREEMENT for m, r in swung]))
        if swung else math.nan,
        "per_class_song_f1": per_class,
    }
