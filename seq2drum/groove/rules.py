"""What a bar plays, in order: the bar rules that offline generation and the live drummer both run.

A decision makes two passes over a `BarDecision` (hits, each bar's codebook entry, its rest/crash/fill marks and
where the song changes): after each round of the groove choice, a chooser sets each bar's `entry` (offline: the
Viterbi over the whole song and its sections, `Decoder`; live: from the bars played so far, `live.model_drummer`)
and `GROOVE_RULES` run top to bottom; once the grooves hold, `STRUCTURE_RULES` mark and play rests, crashes and
fills, the ending and the drums the user gave. Each rule is a small function `rule(context, decision) -> None` that
reads `BarContext` and changes the fields its docstring names. Offline and live differ only in the chooser and in
what they hear, so the same bar, scores, past and bass give the same hits (tests/test_rules.py).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from seq2drum.groove import continuation as given_drums
from seq2drum.groove import kit, meters, voices
from seq2drum.groove.bass_kick import follow_bass
from seq2drum.groove.context import BarContext, BarCounts, BarDecision, MarkContext, Rule
from seq2drum.groove.gains import split_bar
from seq2drum.groove.policy import DecodingPolicy, Steering
from seq2drum.groove.settings import (BACKBEAT_EXPECTED, BASS_KICK_FLOOR, BASS_KICK_GRID_STEPS, BASS_KICK_SURE,
                                      CRASH_SURE, SHORT_BAR_STEPS, TOM_GROOVE_SURE)
from seq2drum.groove.structure import CRASH_COLUMN, FILL_COLUMN, REST_COLUMN, TOMS, CrashCount, FillCount, forced_marks
from seq2drum.midi.drums import CRASH, KICK, NUM_DRUM_CLASSES, RIDE, SNARE, TIMEKEEPERS

# ---------------------------------------------------------------------------------------------- the groove


def codebook_grooves(context: BarContext, decision: BarDecision) -> None:
    """hits: every bar with an entry plays its pattern."""
    if len(decision.entry) == 1:  # live, the one bar: no index arrays
        entry = int(decision.entry[0])
        if entry >= 0:
            decision.hits[0] = context.codebook.patterns[entry]
        return
    rows = np.flatnonzero(decision.entry >= 0)
    decision.hits[rows] = context.codebook.patterns[decision.entry[rows]]


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
    """hits: add cells far above lambda (`refine_margin`; only drops under a style) and drop cells far below; a style
    keeps its time-keeping (the ride of `--style jazz-ride` in a waltz the model hears on the hats). A margin of 1
    refines nothing (a later take's retry)."""
    margin = context.policy.refine_margin
    if margin >= 1.0:
        return
    if context.steering.refine_adds:
        decision.hits |= (context.p > (context.lam + margin) * context.scale) & context.in_bar
    dropped = context.p < context.threshold - margin
    if context.steering.allowed is not None:
        dropped[:, :, list(TIMEKEEPERS)] = False
    decision.hits &= ~dropped


def toms_in_fills(context: BarContext, decision: BarDecision) -> None:
    """hits (toms): a groove keeps a tom only where the model is sure of it (TOM_GROOVE_SURE); toms are for fills
    (written later, by `play_marks`). A style keeps its grooves, and the user's drums theirs (`given_pattern`, after
    this): a drummer whose first bars are a tom groove plays one, which the model does not hear (out of fold, from
    the primed input, stripping the continued toms too cost mean F1 0.6135 -> 0.6042)."""
    if context.steering.allowed is not None:
        return
    toms = slice(TOMS[0], TOMS[-1] + 1)  # the toms are neighbours: a view, written in place (not set back)
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
    """hits (kick): where a bass strikes, the kick plays on its onsets (groove.bass_kick); a style keeps its own."""
    if context.steering.allowed is not None:
        return
    follow_bass(decision.hits, context.p[:, :, KICK], context.scores.bass_onsets, context.scores.bar_steps,
                BASS_KICK_FLOOR, context.threshold + BASS_KICK_SURE, BASS_KICK_GRID_STEPS)


def ride_sections(context: BarContext, decision: BarDecision) -> None:
    """hits (closed hat, ride): a section the model hears ridden keeps time on the ride (groove.voices); a style
    keeps its own cymbals."""
    if context.steering.allowed is None:
        voices.ride_sections(decision.hits, context.p, context.labels, context.policy.ride_ratio)


def hat_foot(context: BarContext, decision: BarDecision) -> None:
    """hits (closed hat): a bar that keeps time on the ride keeps the hi-hat foot on its backbeats where the model
    expects it (groove.voices); a style keeps its grooves."""
    if context.steering.allowed is None:
        voices.hat_foot(decision.hits, context.p, context.scores.bar_steps, context.scores.beat_steps)


def backbeat(context: BarContext, decision: BarDecision) -> None:
    """hits (snare): a playing bar the model expects a snare in (its snare probabilities summing to BACKBEAT_EXPECTED
    or more) whose groove has none gets one, on the beat after the first where the section's snare is likeliest (a
    waltz's 2 or 3, 6/8's 4): a groove chosen for the whole bar can leave out a snare the model hedges between two
    beats, or a kept intro without one looped through a song that has one. A style keeps its grooves."""
    if context.steering.allowed is not None:
        return
    lacking = ~decision.hits[:, :, SNARE].any(axis=1)
    if not np.count_nonzero(lacking):  # most bars have a snare (live, the one bar): nothing more to compute
        return
    snare = context.p[:, :, SNARE]
    lacking &= (snare.sum(axis=1) >= BACKBEAT_EXPECTED) & decision.hits.any(axis=(1, 2))
    if not lacking.any():  # no section to search
        return
    bar_steps, beat_steps = context.scores.bar_steps, context.scores.beat_steps
    for label in np.unique(context.labels[lacking]).tolist():
        section = context.labels == label
        for length, beat in {(int(n), int(b)) for n, b in zip(bar_steps[section & lacking],
                                                                beat_steps[section & lacking])}:
            shaped = section & (bar_steps == length) & (beat_steps == beat)
            beats = np.arange(beat, min(length, snare.shape[1]), max(1, beat))
            if not len(beats):
                continue
            step = int(beats[np.argmax(snare[shaped][:, beats].sum(axis=0))])
            decision.hits[shaped & lacking, step, SNARE] = True


def time_by_count(context: BarContext, decision: BarDecision) -> None:
    """hits (closed hat, ride, kick): no more time-keeping and kicks than the model expects the drummer to play, bar by
    bar (groove.kit): a hat in 16ths where it expects eighths keeps eighths, and the least likely of too many kicks
    go (under the ride, as many as it expects, bass or not). A style keeps its grooves."""
    if context.steering.allowed is not None:
        return
    kit.time_by_count(decision.hits, context.p, context.threshold)
    ridden = voices.ridden_bars(decision.hits, context.scores.bar_steps, context.scores.beat_steps)
    kit.kicks_by_count(decision.hits, context.p, context.scores.bass_onsets, ridden)


def open_hats(context: BarContext, decision: BarDecision) -> None:
    """hits (closed hat, open hat): the open hat as often as the model expects the drummer to open it, counted over
    the playing bars (live, over the bars played too: `Past.counts`), at the likeliest of each bar's closed-hat cells
    (groove.kit). A style keeps its grooves."""
    if context.steering.allowed is not None:
        decision.kit_count = context.past.counts.open_hats
        return
    decision.kit_count = kit.open_hats(decision.hits, context.p, decision.hits.any(axis=(1, 2)),
                                       context.past.counts.open_hats)


def crash_accents(context: BarContext, decision: BarDecision) -> None:
    """hits (crash, hats, ride): crash hits off the downbeat as often as the model expects the drummer to play them,
    at its likeliest crash cells (groove.kit; counted live over the bars played too): a push, a stab, a crash on 3.
    The downbeat's crash is the structure's (`crash_marks`). A style keeps its grooves, and `--crashes none` (a take
    step) removes them all."""
    if context.steering.allowed is not None:
        decision.crash_count = context.past.counts.crash_hits
        return
    decision.crash_count = kit.crash_accents(decision.hits, context.p, decision.hits.any(axis=(1, 2)),
                                             context.past.counts.crash_hits)


def counted_backbeat(context: BarContext, decision: BarDecision) -> None:
    """hits (snare): a bar of an odd meter (5/4, 7/8, 7/4, 9/4 ...) plays its snare on the backbeat of the count a
    drummer plays it in (groove.meters): 7/8 as 2+2+3 on the 5th eighth, not off the eighth grid; 9/4 on 2, 4, 6 and
    9, not on every beat as the model's hedge (about the same snare probability on every pulse) played it. A style
    keeps its grooves; the user's groove (`given_pattern`, after this) its own."""
    if context.steering.allowed is None:
        meters.counted_snares(decision.hits, context.p, context.scores.bar_steps, context.scores.beat_steps,
                              context.labels)


def given_pattern(context: BarContext, decision: BarDecision) -> None:
    """hits: a bar that chose the user's groove (--keep-drums, --groove) plays its exact pattern."""
    given_drums.play_preferred(decision.hits, decision.entry, context.steering.continuation)


GROOVE_RULES: tuple[Rule, ...] = (codebook_grooves, unknown_lengths, short_bars, refine_cells, toms_in_fills,
                                  keeps_time, kicks_follow_bass, ride_sections, hat_foot, time_by_count, open_hats,
                                  crash_accents, counted_backbeat, given_pattern, backbeat)


# ---------------------------------------------------------------------------------------------- bar structure


def rest_marks(context: MarkContext, decision: BarDecision) -> None:
    """marks (rest): where the rest probability passes its threshold (the lower edge threshold where the guitar is
    silent), or the bass's threshold in a bar a heard bass leaves silent."""
    policy = context.policy
    _threshold_marks(context, decision, REST_COLUMN, policy.rest_threshold, policy.rest_edge_threshold)
    if context.bass_silent is not None:
        decision.marks[:, REST_COLUMN] |= context.bass_silent & (context.structure[:, REST_COLUMN]
                                                                 > policy.rest_bass_threshold)


def crash_marks(context: MarkContext, decision: BarDecision) -> None:
    """marks (crash): a crash on the downbeat as often as the song's drummer would crash, by the model: bar by bar,
    a crash may open a bar where a section or a phrase opens (`edges`) or where a crash is sure (CRASH_SURE), while
    the crashes played stay within the crash bars the model expects so far (its calibrated crash probabilities
    summed over the playing bars, plus CRASH_AHEAD), at least CRASH_MIN_GAP bars after the last. A song whose
    drummer crashes at every section gets them; a ballad whose drummer never crashes gets none. hits (crash, ride):
    a groove that rides the crash counts its downbeat crash as a crash bar; where that is one too many, it rides the
    ride. A policy whose crash edge threshold is 1 marks no crash (calibration's takes without structure, and live
    models whose tuner found crashes cost more than they gave), and its grooves' downbeat crashes ride the ride too:
    left as they were, a groove with a crash held bar after bar crashed every bar (3 folds' live models: crash_ridden
    on 3 songs of 624, primed, out of fold)."""
    if context.policy.crash_edge_threshold >= 1.0:
        decision.hits[:, 0, RIDE] |= decision.hits[:, 0, CRASH]
        decision.hits[:, 0, CRASH] = False
        return
    probability = context.structure[:, CRASH_COLUMN]
    grooved = decision.hits[:, 0, CRASH].copy()
    count = CrashCount(*context.past.counts.crashes)
    for row in range(len(probability)):
        resting = bool(decision.marks[row, REST_COLUMN])  # a resting bar neither crashes nor counts
        candidate = bool(decision.edges[row, CRASH_COLUMN] or grooved[row]) or probability[row] > CRASH_SURE
        crash = not resting and candidate and count.allows(float(probability[row]))
        decision.marks[row, CRASH_COLUMN] = crash
        if grooved[row] and not crash and not resting:
            decision.hits[row, 0, CRASH], decision.hits[row, 0, RIDE] = False, True
        count = count.after(float(probability[row]), resting, crash)


def fill_marks(context: MarkContext, decision: BarDecision) -> None:
    """marks (fill): a fill closing the bar where its probability passes the fill threshold, and where a section or
    a phrase closes (`edges`) as often as the song's drummer would fill, by the model: bar by bar, an edge fills where
    its probability passes the edge threshold or while the fills played stay within the fill bars the model expects
    so far (its calibrated fill probabilities summed over the playing bars, plus FILL_AHEAD; groove.structure
    `FillCount`, carried live over the bars played). Out of fold the model expects 1.53 fill bars per 8 where the
    drummers play 1.57; by threshold alone take 1 played 0.45."""
    policy = context.policy
    _threshold_marks(context, decision, FILL_COLUMN, policy.fill_threshold, policy.fill_edge_threshold)
    if policy.fill_edge_threshold >= 1.0:  # a policy that marks no fill at edges counts none either
        return
    probability = context.structure[:, FILL_COLUMN]
    count = context.past.counts.fills
    marks, edges = decision.marks, decision.edges
    for row in range(len(probability)):
        resting = bool(marks[row, REST_COLUMN])
        p = float(probability[row])
        if not resting and edges[row, FILL_COLUMN] and not marks[row, FILL_COLUMN] and count.allows(p):
            marks[row, FILL_COLUMN] = True
        count = count.after(p, resting, bool(marks[row, FILL_COLUMN]))


def steered_marks(context: MarkContext, decision: BarDecision) -> None:
    """marks: what the musician forced (`Steering` rests, crashes, fills: --fills, --crashes, drums from nothing);
    (a take decided again without rests, and live once the band plays, force every bar to play); then a resting
    bar neither crashes nor fills."""
    decision.marks[:] = forced_marks(decision.marks, context.steering)
    resting = ~decision.marks[:, REST_COLUMN]
    decision.marks[:, CRASH_COLUMN] &= resting
    decision.marks[:, FILL_COLUMN] &= resting


def bass_silence_is_edge(context: BarContext, decision: BarDecision) -> None:
    """edges (rest): a bar a heard bass leaves silent is where the user's groove may rest too."""
    if context.bass_silent is not None:
        decision.edges[:, REST_COLUMN] |= context.bass_silent


def given_groove_holds(context: BarContext, decision: BarDecision) -> None:
    """marks: a bar playing the user's groove rests, crashes or fills only at its edges (groove.continuation)."""
    given_drums.edges_only(decision.marks, decision.edges, decision.entry, context.steering.continuation)


def fill_kinds(context: BarContext, decision: BarDecision) -> None:
    """tom_fills: which fills play toms: those of a song whose model expects TOM_SONG_RATE tom hits a playing bar or
    more so far (groove.kit; counted live over the bars played too); the others fill on the snare. A drummer who
    never touches the toms gets snare fills: out of fold, tom fills in every song put toms in 10% of the bars or
    more of 61% of the songs whose drummer plays them in under 2%. A fill the musician asked for plays toms."""
    decision.tom_fills, decision.tom_count = kit.tom_fills(decision.hits.any(axis=(1, 2)), context.p,
                                                          context.past.counts.toms)
    if context.steering.fills is not None:  # a fill the musician asked for (--fills, drums from nothing): toms
        decision.tom_fills |= forced_marks(np.zeros_like(decision.marks), context.steering)[:, FILL_COLUMN]


def play_marks(context: BarContext, decision: BarDecision) -> None:
    """hits: the marks played (a rest empties the bar, a fill replaces its last beats, toms only where `fill_kinds`
    allows them, a crash and kick on the downbeat), then the ending: kick and crash on the guitar's last onset and
    nothing after it."""
    context.fills.apply(decision.hits, context.p, decision.marks, context.scores, context.threshold, context.in_bar,
                        decision.tom_fills)


def given_bars(context: BarContext, decision: BarDecision) -> None:
    """hits, marks: bars the user's own drums play (--keep-drums) hold exactly those hits, and no marks."""
    given_drums.force_given(decision.hits, decision.marks, context.steering.continuation)


MARK_RULES: tuple[Callable[[MarkContext, BarDecision], None], ...] = (rest_marks, crash_marks, fill_marks,
                                                                     steered_marks)
STRUCTURE_RULES: tuple[Rule, ...] = (*MARK_RULES, bass_silence_is_edge, given_groove_holds, fill_kinds, play_marks,
                                     given_bars)


def run(rules: Sequence[Rule], context: Any, decision: BarDecision) -> BarDecision:
    """Run `rules` on the decision in order (`context`: a `BarContext`, or a `MarkContext` for `MARK_RULES`); returns
    it."""
    for rule in rules:
        rule(context, decision)
    return decision


def counts_after(context: BarContext, decision: BarDecision) -> BarCounts:
    """`context.past.counts` carried over the decided bars: the crashes `crash_marks` counts (over the bars' final
    marks) and the open hats `open_hats` counted, for the bars after them (live, the next bar)."""
    crashes = crashes_after(context, decision)
    open_hats = decision.kit_count if decision.kit_count is not None else context.past.counts.open_hats
    toms = decision.tom_count if decision.tom_count is not None else context.past.counts.toms
    crash_hits = decision.crash_count if decision.crash_count is not None else context.past.counts.crash_hits
    return BarCounts(crashes, open_hats, fills_after(context, decision), toms, crash_hits)


def fills_after(context: BarContext, decision: BarDecision) -> FillCount:
    """`context.past.counts`' fills carried over the decided bars (their final marks): what `fill_marks` counts,
    for the bars after them (live, the next bar)."""
    count = context.past.counts.fills
    for row in range(len(decision.marks)):
        count = count.after(float(context.structure[row, FILL_COLUMN]), bool(decision.marks[row, REST_COLUMN]),
                            bool(decision.marks[row, FILL_COLUMN]))
    return count


def crashes_after(context: BarContext, decision: BarDecision) -> CrashCount:
    """`context.past.counts`' crashes carried over the decided bars (their final marks): what `crash_marks`
    counts, for the bars after them (live, the next bar)."""
    count = CrashCount(*context.past.counts.crashes)
    for row in range(len(decision.marks)):
        count = count.after(float(context.structure[row, CRASH_COLUMN]), bool(decision.marks[row, REST_COLUMN]),
                            bool(decision.marks[row, CRASH_COLUMN]))
    return count


def structure_decisions(policy: DecodingPolicy, structure: np.ndarray, edges: np.ndarray,
                        steering: Steering | None = None, bass_silent: np.ndarray | None = None) -> np.ndarray:
    """(n, 3) bool rests, crashes and fills as `MARK_RULES` mark them from the calibrated probabilities (n, 3) and
    the edges (n, 3) alone: what calibration replays for every threshold it tries."""
    context = MarkContext(structure, policy, steering or Steering(), bass_silent)
    n = len(structure)
    no_hits = np.zeros((n, 1, NUM_DRUM_CLASSES), dtype=bool)  # no groove rides the crash here
    decision = BarDecision(no_hits, np.full(n, -1, dtype=np.int64), np.zeros(structure.shape, dtype=bool),
                           np.asarray(edges, dtype=bool))
    return run(MARK_RULES, context, decision).marks


def _threshold_marks(context: MarkContext, decision: BarDecision, column: int, anywhere: float,
                     at_edge: float) -> None:
    threshold = anywhere if at_edge >= anywhere else np.where(decision.edges[:, column], at_edge, anywhere)
    decision.marks[:, column] = context.structure[:, column] > threshold
