"""Test harness: a take decided offline or live from scores and a steering built in the test, through the same
attempts production uses (groove.takes), without a request builder in between (tests/test_request.py tests those)."""

from __future__ import annotations

from typing import Any

import numpy as np

from seq2drum.groove.decide import Decided, Finish
from seq2drum.groove.decoder import Decoder
from seq2drum.groove.policy import DecodingPolicy, Steering, Take, calibrated
from seq2drum.groove.request import (Deciders, Heard, Request, every_bars, request, song_edges, song_meters,
                                    song_span)
from seq2drum.groove.context import BarCounts
from seq2drum.groove.gains import ShortRun
from seq2drum.groove.scores import SongScores
from seq2drum.groove.styles import StyleBook
from seq2drum.groove.placement import Placing
from seq2drum.groove.takes import decided_takes, song_attempt
from seq2drum.options import GenerationOptions
from seq2drum.parts.plan_value import Held, Plan
from seq2drum.song.grid import Grid
from seq2drum.live.chooser import played_bar


def offline_take(decoder: Decoder, scores: SongScores, p: np.ndarray, structure: np.ndarray, steering: Steering,
                 finish: Finish, avoid: list[dict[int, int]] | None = None, refine: bool = True) -> Take:
    """Take 1's attempt (the Viterbi chooser) under `steering` as given and the song's own edges."""
    return song_attempt(decoder, structure, 0.0, None, avoid or [], refine, finish, Plan.held_for(Held.BARS),
                        song_edges(scores, decoder.policy.crash_phrase_bars), steering)


def live_take(decoder: Decoder, policy: DecodingPolicy, state: Any, scores: SongScores, p: np.ndarray,
              structure: np.ndarray, steering: Steering, bar_index: int, edges: np.ndarray,
              hold: bool = False) -> tuple[Decided, BarCounts, ShortRun]:
    """A bar decided live (the greedy chooser, `state` the bars played) under `steering` as given and `edges`."""
    request = Request(steering, np.asarray(edges, dtype=bool), Finish(state.options, p, scores))
    return played_bar(decoder, policy, state, request, structure, bar_index, hold)


def requested_takes(decoder: Decoder, scores: SongScores, options: GenerationOptions, seed: int, styles: StyleBook,
                    grid: Grid, base: Steering | None = None, swung: bool = False) -> list[Take]:
    """The takes the options ask for, through the request builder as DrumGenerator.takes builds it."""
    p, structure = calibrated(scores, decoder.policy)
    heard = Heard(scores, p, song_span(scores), song_meters(scores, grid, styles.steps_per_quarter), swung, grid)
    asked = request(options, heard, Deciders(styles, decoder.policy.crash_phrase_bars), seed, base=base)
    return decided_takes(decoder, asked, structure, options.takes, options.temperature, np.random.default_rng(seed))


def fill_bars(choice: str, scores: SongScores) -> np.ndarray | None:
    return every_bars(choice, song_span(scores), closing=True)


def crash_bars(choice: str, scores: SongScores) -> np.ndarray | None:
    return every_bars(choice, song_span(scores), closing=False)


def placing_rows(placed: Placing, start: int, end: int) -> Placing:
    """The placing of rows [start, end) of a song's (a bar of it, as the live drummer would hold it)."""
    return Placing(placed.position[start: end + 1], placed.closing[start: end + 1], placed.draws[start:end])


def plan_key(plan: Plan) -> tuple:
    """What a plan decides, as a value two plans compare by (held ones by their reason)."""
    rows = tuple((phrase.start_row, phrase.end_row) for phrase in plan.phrases)
    return plan.held, plan.source, rows, tuple(plan.parts.tolist()), tuple(plan.fills.tolist()), plan.swung
