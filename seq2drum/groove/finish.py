"""What the take steps read besides the take (groove.decide `TAKE_STEPS`): `Finish`, built by groove.request for each
take."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from seq2drum.groove.continuation import Continuation
from seq2drum.groove.policy import ChosenParts
from seq2drum.groove.scores import SongScores
from seq2drum.groove.settings import SWAP_SLICE_SHARES
from seq2drum.options import GenerationOptions
from seq2drum.song.grid import Grid


@dataclass(frozen=True)
class Finish:
    """What the take steps read besides the take: the controls asked for, the calibrated probabilities and scores,
    and a later take's swaps and floor."""

    options: GenerationOptions
    p: np.ndarray  # (n, S, 9) calibrated hit probabilities
    scores: SongScores
    floor_hits: float = 0.0  # a later take plays at least this many hits (0: no floor)
    # a take with fewer hits than this, rests allowed, is decided again without rests (0: never)
    min_hits: float = 0.0
    swung: bool = False  # the song swings by its own reading (feel.swing `decide_swing`, no --swing asked)
    genre: str | None = None  # what the drums play it as (the musician's --genre, else the band's); None: not heard
    grid: Grid | None = None  # the song's grid (its meters), for the swung time-keeping
    continuation: Continuation | None = None  # the drums the user gave (groove.continuation), if any
    swap: int = 0  # a later take k made from take 1's decision by its k-th pair of swaps (0: none)
    swap_share: float = SWAP_SLICE_SHARES[0]  # ... each slice this share of its hits
    cross_sticks: np.ndarray | None = None  # (K,) bool the entries whose snare is the cross-stick (groove.articulation)
    variation: int = -1  # a later take whose grooves run out: the take varied, groove.variations' k-th (-1: none)
    # (n,) bool the bars whose time-keeping is the part the musician chose (--parts), straight: the take steps that
    # voice a swung song's time (the jazz ride, the swung time-keeping) leave them as the part plays
    musicians_time: np.ndarray | None = None
    plan_parts: ChosenParts | None = None  # the take's plan, bar by bar (groove.feels `plan_parts`): `plan_kept`
