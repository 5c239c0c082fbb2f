"""What a live bar asks the decision (`bar_request`): the request offline's builder (groove.request) makes from what
has been heard so far, with the part the bar is told to play: the musician's (a switch, a `--parts` bar range:
live/parts.py) or the one the plan the band heard tells (live/hearing.py `told_plan`), or none.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from seq2drum.groove import Deciders, Heard, Request, SongScores, build_request, heard_span
from seq2drum.live.api import BarClock
from seq2drum.live.features import bar_grid
from seq2drum.live.hearing import told_plan
from seq2drum.live.kept import bar_continuation
from seq2drum.live.parts import bar_part, live_plan


def bar_request(drummer: Any, state: Any, scores: SongScores, p: np.ndarray, bar: BarClock, position: int,
                meters: list[str]) -> Request:
    """The bar's request, built by offline's builder (groove.request) from what `drummer` (a `ModelDrummer`) has heard
    in `state`: the section that opened at the band's first bar (`position` bars ago), the meters heard, the user's
    groove, the swing read from the notes heard so far (the take steps' jazz ride and swung time-keeping), the bar's
    own grid, the genre heard where the musician said none and the part the bar is told."""
    options, bar_steps = state.hearing.options or state.options, int(scores.bar_steps[0])
    swung = options.swing is None and state.swing.ratio(None) is not None  # the song swings by its own reading
    grid = bar_grid(bar.numerator, bar.denominator, float(bar.tempo_bpm), drummer.steps_per_quarter)
    planner, beat_steps = drummer.planner, int(scores.beat_steps[0])
    chosen = bar_part(state.parts, planner, bar.index, bar_steps, beat_steps,
                      drummer.steps_per_quarter) if state.parts else -1
    # the musician's part, where he chose one for the bar (a switch, a --parts bar range): the bar plays it
    plan = (live_plan(planner, chosen, drummer.told_parts) if chosen >= 0 and planner is not None else
            told_plan(state.hearing, planner, bar_steps, beat_steps, drummer.steps_per_quarter))
    heard = Heard(scores, p, heard_span(position, bar_steps, bar.index), meters, swung, grid, plan=plan)
    return build_request(options, heard, Deciders(drummer.styles, drummer.policy.crash_phrase_bars, planner),
                         state.seed, bar_continuation(drummer.decoder.codebook, state, bar.index, bar_steps))
