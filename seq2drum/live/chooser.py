"""The live drummer's chooser: a bar's groove chosen from the bars played so far, and the bar decided by the one
decision offline generation also runs (groove.decide).

Live a groove is chosen greedily each bar, with the stay bonus for the last bar's, until one has played
SETTLED_BARS running; then it is held until a phrase opens (every `crash_phrase_bars` from the band's first: the
request's edges, groove.request) or a part enters or leaves. Lambda follows the running expected F1 of the bars
played (the chooser's past), and the noise of a temperature comes from (seed, bar index), so how late a call comes
never changes the drums.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from seq2drum.groove import (BarContext, BarCounts, DECISION_ROUNDS, Decided, Decoder, DecodingPolicy, GrooveGains,
                             Past, Request, ShortRun, bar_labels, bar_take, bass_silence, counts_after, steer_gains)


class BarChooser:
    """Live, the bar's codebook entry: the entry that gains most under lambda (the user's drums steered in), the last
    bar's (`groove`) given the stay bonus, or held (`hold`) where it fits the bar."""

    def __init__(self, grooves: GrooveGains, policy: DecodingPolicy, groove: int, hold: bool, past: Past,
                 temperature: float, seed: int, bar_index: int) -> None:
        self.grooves, self.policy, self.groove, self.hold = grooves, policy, groove, hold
        self.past, self.temperature, self.seed, self.bar_index = past, temperature, seed, bar_index
        self.rounds = DECISION_ROUNDS  # as offline: the same bar, scores and past give the same take
        self.section_grooves: dict[int, int] = {}  # live knows no sections (each take gets its own empty dict)
        self.noise: np.ndarray | None = None

    def again(self) -> BarChooser:
        return BarChooser(self.grooves, self.policy, self.groove, self.hold, self.past, self.temperature, self.seed,
                          self.bar_index)

    def choose(self, context: BarContext) -> np.ndarray:
        steering, groove = context.steering, self.groove
        gains = self.grooves.gains(context.p, context.scores.bar_steps, context.threshold, allowed=steering.allowed)
        gains = steer_gains(gains, context.p, context.threshold, steering.continuation)[0]
        if 0 <= groove < len(gains) and math.isfinite(gains[groove]):
            gains[groove] += self.policy.stay_bonus
        if self.temperature > 0 and self.noise is None:  # a generator costs as much as a rule: drawn only then
            finite = gains[np.isfinite(gains)]
            spread = float(finite.std()) if finite.size > 1 and finite.std() > 0 else 1.0
            rng = np.random.default_rng([self.seed, 3, self.bar_index])
            learned = int(np.count_nonzero(~self.grooves.codebook.designed))  # as offline: none on designed ones
            self.noise = np.zeros(gains.shape)
            self.noise[:learned] = self.temperature * spread * rng.gumbel(size=learned)
        choice = int((gains if self.noise is None else gains + self.noise).argmax())
        if self.hold and 0 <= groove < len(gains) and math.isfinite(gains[groove]):
            choice = groove
        return np.array([choice if math.isfinite(gains[choice]) else -1])  # -1: a bar length the codebook lacks


def played_bar(decoder: Decoder, policy: DecodingPolicy, state: Any, request: Request, structure: np.ndarray,
               bar_index: int, hold: bool = False) -> tuple[Decided, BarCounts, ShortRun]:
    """Bar `bar_index` (a song of one bar: the request's scores and probabilities, `structure`) decided by
    groove.decide with the live chooser (`state`: a `LiveState`, the bars played so far), through the takes' live
    attempt (groove.takes `bar_take`). What the rules count after the bar comes with it (`crash_marks`, `open_hats`:
    over the bars played), and the run of short bars (`short_bars` goes on with a run's grouped groove). With `hold`
    the bar keeps the last bar's groove where it fits the bar."""
    # the musician's part, where he chose one for the bar: its p and its parts bound
    finish, edges, plan, steering = request.take_inputs(0)
    request = request.moved(finish=finish, edges=edges, steering=steering)
    scores, p = finish.scores, finish.p
    band_playing = keeps_time(state, bar_index)
    if band_playing:  # no bar rests while the band plays: the session rests the drums when it stops
        steering = steering.without_rests(1)
        request = request.moved(steering=steering)
    context = BarContext(structure, policy, steering, bass_silence(scores), scores=scores, p=p,
                         labels=bar_labels(scores.sections, scores.first_bar, scores.n_bars), codebook=decoder.codebook,
                         grooves=decoder.grooves, fills=decoder.fills, lam=state.lam,
                         scale=policy.threshold_scale(steering), swung=request.finish.swung,
                         placing=request.placing(0))
    past = Past(state.totals, state.counts, state.short, band_playing)
    chooser = BarChooser(decoder.grooves, policy, state.groove, hold, past, state.options.temperature, state.seed,
                         bar_index)
    decided = bar_take(chooser, context, request, plan)
    decision = decided.decision
    grouped = int(decision.grouped[0]) if decision.grouped is not None else -1
    counts = counts_after(decided.context, decision)
    return decided, counts, state.short.after(grouped, int(scores.bar_steps[0]))


def keeps_time(state: Any, bar_index: int) -> bool:
    """Whether the bar is played whatever the rest marks say: once the band has played; with the guitar alone also
    from the stream's second bar before the guitar comes in (the first bar heard nothing: it is decided as a song's
    first bar is), as offline the guitar alone is drummed from the file's first bar (generation/prepare.py
    `plays_from_the_top`). Until the guitar plays, such a bar's decision is kept pending, as any before the band."""
    return state.started or (state.options.guitar_only and bar_index > 0)
