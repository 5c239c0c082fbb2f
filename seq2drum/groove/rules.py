"""What a bar's groove plays, in order: the groove rules that offline generation and the live drummer both run.

After each round of the groove choice a chooser sets each bar's `entry` in a `BarDecision` (offline: the Viterbi
over the whole song and its sections, `Decoder`; live: from the bars played so far, `live.model_drummer`) and the
groove rules run top to bottom; once the grooves hold, groove.marks marks and plays rests, crashes and fills, the
ending and the drums the user gave. Each rule is a small function `rule(context, decision) -> None` that reads
`BarContext` and changes the fields its docstring names. The list is chosen once per decision (`groove_rules`), by
the mode it is in, not by a guard inside each rule: the model's own grooves (`GROOVE_RULES`), or a style's
(`STYLE_GROOVE_RULES`: its grooves as designed, refined only by dropping, its time-keeping kept), each with or
without per-cell refinement. Offline and live differ only in the chooser and in what they hear, so the same bar,
scores, past and bass give the same hits (tests/test_rules.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from seq2drum import arrays
from seq2drum.groove import continuation as given_drums, kit, meters, voices
from seq2drum.groove.bass_kick import follow_bass
from seq2drum.groove.context import BarContext, BarDecision, Rule
from seq2drum.groove.feels import play_feels, play_levels, play_times
from seq2drum.groove.gains import split_bar
from seq2drum.groove.policy import Steering
from seq2drum.groove.structure import FILL_COLUMN
from seq2drum.groove.settings import (BACKBEAT_EXPECTED, BACKBEAT_TWO_BEATS, BASS_KICK_FLOOR, BASS_KICK_GRID_STEPS,
                                      BASS_KICK_SURE, SHORT_BAR_STEPS, TOM_GROOVE_SURE)
from seq2drum.midi.drums import KICK, SNARE, TIMEKEEPERS, TOMS
from seq2drum.parts.labels import family_of

# ---------------------------------------------------------------------------------------------- the groove


def codebook_grooves(context: BarContext, decision: BarDecision) -> None:
    """hits: every bar with an entry plays its pattern; in a 3/4 bar, its kick and snare together on the downbeat
    only where the model hears each there (above lambda), else the likelier (`_one_on_one`: a 3/4 groove of the
    codebook with both on 1 played a folk song's every bar where its drummer had none)."""
    if len(decision.entry) == 1:  # live, the one bar: no index arrays
        entry = int(decision.entry[0])
        if entry >= 0:
            decision.hits[0] = context.codebook.patterns[entry]
    else:
        rows = np.flatnonzero(decision.entry >= 0)
        decision.hits[rows] = context.codebook.patterns[decision.entry[rows]]
    _one_on_one(context, decision, context.p[:, 0, [KICK, SNARE]] > context.threshold)


def unknown_lengths(context: BarContext, decision: BarDecision) -> None:
    """hits: a bar of a length the codebook lacks (19/8, 20/8, 9/4) plays grooves of lengths it has side by side, as
    a drummer counts a long odd bar (19/8 as 4/4 + 4/4 + 3/8): the split into lengths with a playable groove and the
    grooves with the highest gain over the bar's probabilities, each part after the first costing a little
    (groove.gains `split_bar`); the bars of one length in one section play one split. Where no split fits, the cells
    worth playing, one by one. Played cell by cell, such bars were 2.2-3.7 times as busy as their drummers in the 3
    songs mostly in them (out of fold, from the guitar alone); split, cel_terrestial_commuters (19/8) went from 64 to
    45 hits a bar (its drummer 25) and F1 0.296 -> 0.407, take 1 over 624 songs 0.4676 -> 0.4677 (the band's 0.4887
    -> 0.4886, whose heard bass already shapes such bars)."""
    if min(decision.entry.tolist(), default=0) >= 0:  # every bar has an entry (most bars): a tenth of a mask's calls
        return
    unknown = decision.entry < 0
    decision.hits[unknown] = context.p[unknown] > context.threshold
    lengths = context.scores.bar_steps
    for label, length in {(int(a), int(b)) for a, b in zip(context.labels[unknown], lengths[unknown])}:
        rows = np.flatnonzero(unknown & (context.labels == label) & (lengths == length))
        split = split_bar(context.grooves.split_parts(context.playable),
                          (context.p[rows, :length] - context.threshold).mean(axis=0))
        if split is not None:
            decision.hits[rows, :length] = split


def short_bars(context: BarContext, decision: BarDecision) -> None:
    """hits, grouped: runs of 4/16-like bars play a longer groove split across them (groove.gains `short_bar_hits`);
    live, a run goes on from the bars played (`Past.short_run`)."""
    lengths = context.scores.bar_steps
    if min(lengths.tolist(), default=0) > SHORT_BAR_STEPS:  # no short bar (most songs, most live bars): no run
        decision.grouped = np.full(len(lengths), -1, dtype=np.int64)
        return
    grouped, hits, decision.grouped = context.grooves.short_bar_hits(
        context.p, context.scores.bar_steps, context.threshold, context.steering.allowed, context.past.short_run)
    decision.hits[grouped] = hits[grouped]


def refine_cells(context: BarContext, decision: BarDecision) -> None:
    """hits: add cells far above lambda (`refine_margin`) and drop cells far below; in a 3/4 bar the downbeat gets a
    kick or a snare from it, not both (`_one_on_one`)."""
    margin = context.policy.refine_margin
    downbeats = decision.hits[:, 0, [KICK, SNARE]].copy()  # (n, 2)
    decision.hits |= (context.p > (context.lam + margin) * context.scale) & context.in_bar
    decision.hits &= ~(context.p < context.threshold - margin)
    _one_on_one(context, decision, downbeats)


def _one_on_one(context: BarContext, decision: BarDecision, before: np.ndarray) -> None:
    """hits (kick, snare): a 3/4 bar whose step put kick and snare together on its downbeat, where they were not
    (`before` (n, 2): each bar's downbeat kick and snare before the step, or heard), keeps the likelier of the two: a
    groove's both on 1, the refined cells (each far above lambda alone) and the bass's kick under a groove's snare on
    1 are rarely played together (issue 101: the drummers of ../shared/data's 3/4 songs in 11% of their playing 3/4
    bars, kick on 1 in 72%, snare in 30%; take 1 of the shipped model on its validation songs in 40%, out of fold
    31%)."""
    scores = context.scores
    both = decision.hits[:, 0, KICK] & decision.hits[:, 0, SNARE] & ~(before[:, 0] & before[:, 1])
    for row in both.nonzero()[0].tolist():  # np.flatnonzero's rows of a 1-d mask, without its wrappers
        if family_of(int(scores.bar_steps[row]), int(scores.beat_steps[row])) != "3/4":
            continue
        weaker = SNARE if context.p[row, 0, KICK] >= context.p[row, 0, SNARE] else KICK
        decision.hits[row, 0, weaker] = False


def refine_style_cells(context: BarContext, decision: BarDecision) -> None:
    """hits: under a style, drop cells far below lambda, the style's time-keeping kept (the ride of `--style
    jazz-ride` in a waltz the model hears on the hats), a bar of its drummers' as they played it (groove.vocabulary:
    the bossa's kicks, funk's ghost notes); nothing added to its grooves."""
    dropped = context.p < context.threshold - context.policy.refine_margin
    dropped[:, :, list(TIMEKEEPERS)] = False
    dropped[context.codebook.drummers(decision.entry)] = False
    decision.hits &= ~dropped


def toms_in_fills(context: BarContext, decision: BarDecision) -> None:
    """hits (toms): a groove keeps a tom only where the model is sure of it (TOM_GROOVE_SURE); toms are for fills
    (written later, by `play_marks`). A style keeps its grooves, and the user's drums theirs (`given_pattern`, after
    this): a drummer whose first bars are a tom groove plays one, which the model does not hear (out of fold, from
    the primed input, stripping the continued toms too cost mean F1 0.6135 -> 0.6042)."""
    toms = slice(TOMS[0], TOMS[-1] + 1)  # the toms are neighbours: a view, written in place (not set back)
    if not decision.hits[:, :, toms].any():  # no tom in the grooves (most bars): none to keep or drop
        return
    np.logical_and(decision.hits[:, :, toms], context.p[:, :, toms] > max(context.threshold, TOM_GROOVE_SURE),
                   out=decision.hits[:, :, toms])


def keeps_time(context: BarContext, decision: BarDecision) -> None:
    """hits: live, a bar left empty by its groove plays the groove with hits that gains most in it, of its length or,
    where the codebook has none (a 1/4 bar), the start of a longer one: the drummer rests only when the band does
    (live/session.py), never while it plays (validation songs, 5-fold: the live drums fell silent while the band
    played on through 26-30% of yerida and make_love_to_you, and all of two songs in 1/4, the model's probabilities
    having sunk below lambda in bars its drummer plays). Offline, rests are marked (`rest_marks`)."""
    if not context.past.band_playing or np.count_nonzero(playing := decision.hits.any(axis=(1, 2))) == len(playing):
        return
    allowed = context.playable
    patterns, lengths = context.codebook.patterns, context.codebook.bar_steps
    for row in np.flatnonzero(~playing).tolist():
        length = int(context.scores.bar_steps[row])
        heads = patterns[:, :length]  # (K, length, 9) each entry's first `length` steps
        fits = allowed & (heads.any(axis=(1, 2))) & (lengths >= length)
        fits &= lengths == length if (fits & (lengths == length)).any() else lengths > length
        if not fits.any():
            continue
        gains = ((context.p[row, :length] - context.threshold)[None] * heads).sum(axis=(1, 2))
        decision.hits[row, :length] = heads[int(np.argmax(np.where(fits, gains, -np.inf)))]


def kicks_follow_bass(context: BarContext, decision: BarDecision) -> None:
    """hits (kick): where a bass strikes, the kick plays on its onsets (groove.bass_kick); a style keeps its own. In a
    3/4 bar, a kick it brings to a downbeat that holds a snare, the likelier of the two stays (`_one_on_one`)."""
    downbeats = decision.hits[:, 0, [KICK, SNARE]].copy()
    follow_bass(decision.hits, context.p[:, :, KICK], context.scores.bass_onsets, context.scores.bar_steps,
                BASS_KICK_FLOOR, context.threshold + BASS_KICK_SURE, BASS_KICK_GRID_STEPS)
    _one_on_one(context, decision, downbeats)


def ride_sections(context: BarContext, decision: BarDecision) -> None:
    """hits (closed hat, ride): a section the model hears ridden (`BarContext.ride_ratio`: a swung song's own share)
    keeps time on the ride (groove.voices); a style keeps its own cymbals, and a bar whose plan's full part keeps time
    on another cymbal its part's (the musician's "swung eighths on the hat" in a swung song went to the ride, read back
    as a jazz ride); a ride part's bars ride as before."""
    chosen = context.steering.plan_parts
    voices.ride_sections(decision.hits, context.p, context.labels, context.ride_ratio,
                         None if chosen is None else chosen.off_the_ride())


def hat_foot(context: BarContext, decision: BarDecision) -> None:
    """hits (closed hat): a bar that keeps time on the ride keeps the hi-hat foot on its backbeats where the model
    expects it (groove.voices); a style keeps its grooves."""
    voices.hat_foot(decision.hits, context.p, context.scores.bar_steps, context.scores.beat_steps)


def backbeat(context: BarContext, decision: BarDecision) -> None:
    """hits (snare): a playing bar the model expects a snare in (its snare probabilities summing to BACKBEAT_EXPECTED
    or more; a bar of two beats, 2/4 or 6/8, half that: one backbeat where 4/4 has two) whose groove has none gets
    one, on the beat after the first where the section's snare is likeliest (a waltz's 2 or 3, 6/8's 4): a groove
    chosen for the whole bar can leave out a snare the model hedges between two beats, or a kept intro without one
    looped through a song that has one. A style keeps its grooves; a bar of the plan's full part its part's feel
    (`Steering.plan_parts`, played by `plan_feels`: a waltz's oom-pa-pa has no backbeat)."""
    lacking = ~decision.hits[:, :, SNARE].any(axis=1)
    if context.steering.plan_parts is not None:
        lacking &= ~context.steering.plan_parts.chosen
    if not np.count_nonzero(lacking):  # most bars have a snare (live, the one bar): nothing more to compute
        return
    snare = context.p[:, :, SNARE]
    bar_steps, beat_steps = context.scores.bar_steps, context.scores.beat_steps
    two_beats = bar_steps == 2 * np.maximum(beat_steps, 1)
    lacking &= (snare.sum(axis=1) >= np.where(two_beats, BACKBEAT_TWO_BEATS, 1.0) * BACKBEAT_EXPECTED)
    lacking &= decision.hits.any(axis=(1, 2))
    for label in arrays.distinct(context.labels[lacking]).tolist():
        section = context.labels == label
        for length, beat in {(int(n), int(b)) for n, b in zip(bar_steps[section & lacking],
                                                                beat_steps[section & lacking])}:
            shaped = section & (bar_steps == length) & (beat_steps == beat)
            beats = np.arange(beat, min(length, snare.shape[1]), max(1, beat))
            if not len(beats):
                continue
            step = int(beats[np.argmax(snare[shaped][:, beats].sum(axis=0))])
            decision.hits[shaped & lacking, step, SNARE] = True


def plan_time(context: BarContext, decision: BarDecision) -> None:
    """hits (hats, ride): a phrase of the plan's full part keeps time on the part's cymbal in the part's subdivision
    (groove.feels `play_times`): the model's hat moved to the part's ride, its 16ths thinned to the part's eighths, a
    part's 16ths restored where `time_by_count` thinned them to eighths; each read back as another part (issue 99)."""
    bound = context.steering.plan_parts
    if bound is not None:
        play_times(decision.hits, context.p, context.scores.bar_steps, context.scores.beat_steps, bound)


def plan_feels(context: BarContext, decision: BarDecision) -> None:
    """hits (kick, snare): a bar of the plan's full part (`Steering.plan_parts`) plays its part's feel (groove.feels):
    eighths on the hat with no backbeat no snare, comping its snare off the backbeat, a backbeat on every backbeat, a
    kick on every beat only in four on the floor; the model chooses within it. Played otherwise (the backbeat rule's
    snare, the grooves of the codebook), a phrase was often labelled back as another part (issue 99: take 1's "eighths
    on the hat, backbeat" as four on the floor; docs/experiments/2026-11-28-your-arrangement.md)."""
    bound = context.steering.plan_parts
    if bound is not None:
        play_feels(decision.hits, context.p, context.scores.bar_steps, context.scores.beat_steps, bound,
                   decision.edges[:, FILL_COLUMN])


def plan_level(context: BarContext, decision: BarDecision) -> None:
    """hits: a phrase of the plan's sparse part plays a few hits a bar at least (groove.feels `play_levels`): left to
    the model, a sparse intro under a quiet band came out silent, read back as a drop-out."""
    bound = context.steering.plan_parts
    if bound is not None:
        play_levels(decision.hits, context.p, context.scores.bar_steps, bound)


def time_by_count(context: BarContext, decision: BarDecision) -> None:
    """hits (closed hat, ride, kick): no more time-keeping and kicks than the model expects the drummer to play, bar by
    bar (groove.kit): a hat in 16ths where it expects eighths keeps eighths, and the least likely of too many kicks
    go (under the ride, as many as it expects, bass or not). A style keeps its grooves."""
    kit.time_by_count(decision.hits, context.p, context.threshold)
    ridden = voices.ridden_bars(decision.hits, context.scores.bar_steps, context.scores.beat_steps)
    kit.kicks_by_count(decision.hits, context.p, context.scores.bass_onsets, ridden)


def open_hats(context: BarContext, decision: BarDecision) -> None:
    """hits (closed hat, open hat): the open hat as often as the model expects the drummer to open it, counted over
    the playing bars (live, over the bars played too: `Past.counts`), at the likeliest of each bar's closed-hat cells
    (groove.kit). A style keeps its grooves."""
    decision.kit_count = kit.open_hats(decision.hits, context.p, decision.hits.any(axis=(1, 2)),
                                       context.past.counts.open_hats)


def crash_accents(context: BarContext, decision: BarDecision) -> None:
    """hits (crash, hats, ride): crash hits off the downbeat as often as the model expects the drummer to play them,
    at its likeliest crash cells (groove.kit; counted live over the bars played too): a push, a stab, a crash on 3.
    The downbeat's crash is the structure's (`crash_marks`). A style keeps its grooves, and `--crashes none` (a take
    step) removes them all."""
    decision.crash_count = kit.crash_accents(decision.hits, context.p, decision.hits.any(axis=(1, 2)),
                                             context.past.counts.crash_hits)


def counted_backbeat(context: BarContext, decision: BarDecision) -> None:
    """hits (snare): a bar of an odd meter (5/4, 7/8, 7/4, 9/4 ...) plays its snare on the backbeat of the count a
    drummer plays it in (groove.meters): 7/8 as 2+2+3 on the 5th eighth, not off the eighth grid; 9/4 on 2, 4, 6 and
    9, not on every beat as the model's hedge (about the same snare probability on every pulse) played it. A style
    keeps its grooves; the user's groove (`given_pattern`, after this) its own."""
    meters.counted_snares(decision.hits, context.p, context.scores.bar_steps, context.scores.beat_steps, context.labels)


def given_pattern(context: BarContext, decision: BarDecision) -> None:
    """hits: a bar that chose the user's groove (--keep-drums, --groove) plays its exact pattern."""
    given_drums.play_preferred(decision.hits, decision.entry, context.steering.continuation)


GROOVE_RULES: tuple[Rule, ...] = (codebook_grooves, unknown_lengths, short_bars, refine_cells, toms_in_fills,
                                  keeps_time, kicks_follow_bass, ride_sections, hat_foot, time_by_count, open_hats,
                                  crash_accents, counted_backbeat, plan_time, plan_feels, plan_level, given_pattern,
                                  backbeat)
# a style plays its grooves as designed: no rule of the model's kit, cymbals, kicks or backbeat changes them; but
# its plan's parts (the style's) are played as printed
STYLE_GROOVE_RULES: tuple[Rule, ...] = (codebook_grooves, unknown_lengths, short_bars, refine_style_cells, keeps_time,
                                        plan_time, plan_feels, plan_level, given_pattern)


def groove_rules(steering: Steering, refines: bool) -> tuple[Rule, ...]:
    """The groove rules a decision runs, chosen once: a style's (`steering.allowed` set) or the model's own, without
    per-cell refinement where the policy refines nothing (`DecodingPolicy.refines`)."""
    chosen = GROOVE_RULES if steering.allowed is None else STYLE_GROOVE_RULES
    return chosen if refines else tuple(rule for rule in chosen if rule not in (refine_cells, refine_style_cells))


def run(rules: Sequence[Rule], context: Any, decision: BarDecision) -> BarDecision:
    """Run `rules` on the decision in order (`context`: a `BarContext`, or a `MarkContext` for the mark rules);
    returns it."""
    for rule in rules:
        rule(context, decision)
    return decision
