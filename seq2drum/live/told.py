"""What a live bar asks the decision (`bar_request`): the request offline's builder (groove.request) makes from what
has been heard so far, with the part the bar is told to play: the musician's (a switch, a `--parts` bar range:
live/parts.py) or the one the plan the band heard tells (live/hearing.py `told_plan`), or none.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from seq2drum.groove import STRAIGHT_TIME, Deciders, Heard, Request, SongScores, build_request, heard_span
from seq2drum.live.api import BarClock
from seq2drum.live.features import bar_grid
from seq2drum.live.hearing import NO_PLAN, chorus_position, told_plan
from seq2drum.live.kept import bar_continuation
from seq2drum.live.parts import bar_part, live_plan
from seq2drum.options import STRAIGHT_STYLES
from seq2drum.parts.arrangement import code_style
from seq2drum.render.pipeline import PART_SWING


def bar_request(drummer: Any, state: Any, scores: SongScores, p: np.ndarray, bar: BarClock, position: int,
                meters: list[str]) -> Request:
    """The bar's request, built by offline's builder (groove.request) from what `drummer` (a `ModelDrummer`) has heard
    in `state`: the section that opened at the band's first bar (`position` bars ago), the meters heard, the user's
    groove, the swing read from the notes heard so far (the take steps' jazz ride and swung time-keeping), the bar's
    own grid, the genre heard where the musician said none and the part the bar is told."""
    options, bar_steps = state.hearing.options or state.options, int(scores.bar_steps[0])
    grid = bar_grid(bar.numerator, bar.denominator, float(bar.tempo_bpm), drummer.steps_per_quarter)
    planner, beat_steps = drummer.planner, int(scores.beat_steps[0])
    chosen = bar_part(state.parts, planner, bar.index, bar_steps, beat_steps,
                      drummer.steps_per_quarter) if state.parts else -1
    style = code_style(chosen)  # a drummers' style the musician named: the bar is decided as --style decides it
    options = replace(options, style=style, parts=None) if style is not None else options
    swung = options.swing is None and state.swing.ratio(None) is not None  # the song swings by its own reading
    # the musician's part, where he chose one for the bar (a switch, a --parts bar range): the bar plays it
    plan = (live_plan(planner, chosen, drummer.told_parts) if chosen >= 0 and planner is not None else
            NO_PLAN if style is not None else
            told_plan(state.hearing, planner, bar_steps, beat_steps, drummer.steps_per_quarter))
    section_bar = chorus_position(state.hearing, bar.index, position)  # a 12-bar blues heard: its chorus's bar
    heard = Heard(scores, p, heard_span(section_bar, bar_steps, bar.index), meters, swung, grid, plan=plan)
    return build_request(options, heard, Deciders(drummer.styles, drummer.policy.crash_phrase_bars, planner),
                         state.seed, bar_continuation(drummer.decoder.codebook, state, bar.index, bar_steps))


def bar_swing(drummer: Any, state: Any, bar: BarClock) -> float | None:
    """The swing `bar` is played at (None: straight): the stream's (`--swing`, else the band's heard so far), but
    straight in a bar the musician gave a drummers' style that is played straight (options.STRAIGHT_STYLES, no
    `--swing` asked) or a part of straight eighths or 16ths, as offline (generation/styled.py, groove.swung_song
    `plan_swing`); and a bar the musician gave a swung part swung at the triplet (render.pipeline `PART_SWING`)
    where the band swings less or not at all, as offline ("jazz ride", "swung eighths" played as named)."""
    ratio = state.swing.ratio(state.options.swing)
    if not state.parts or state.options.swing is not None:
        return ratio
    grid = bar_grid(bar.numerator, bar.denominator, float(bar.tempo_bpm), drummer.steps_per_quarter)
    chosen = bar_part(state.parts, drummer.planner, bar.index, grid.n_steps, int(grid.beat_steps()[0]),
                      drummer.steps_per_quarter)
    if chosen >= 0:
        subdivision = drummer.planner.vocabulary.parts[chosen].subdivision
        if subdivision == "swung":
            return max(ratio or 0.0, PART_SWING)
        return None if subdivision in STRAIGHT_TIME else ratio
    return None if code_style(chosen) in STRAIGHT_STYLES else ratio
