"""The bar structure, in order, once a decision's grooves hold: rests, crashes and fills marked (the mark rules,
`mark_rules`, which calibration replays from the structure probabilities alone: `structure_decisions`), then
played (`STRUCTURE_RULES` after them): the user's groove holding to its edges, which fills play toms, the marks
written with the ending, the user's own bars. Each rule is `rule(context, decision) -> None` as in groove.rules; what
they count over the bars (crashes, fills) is carried for the bars after (`counts_after`, live the next bar). The
list is chosen once for the policy: one that marks no crash at edges (crash edge threshold 1) rides its grooves'
downbeat crashes instead (`crashes_on_ride`), one that counts no fill at edges marks fills by threshold alone.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from seq2drum.groove import continuation as given_drums, kit
from seq2drum.groove.context import BarContext, BarCounts, BarDecision, MarkContext, Rule
from seq2drum.groove.policy import DecodingPolicy, Steering
from seq2drum.groove.rules import run
from seq2drum.groove.placement import (CRASH_DRAW, FILL_DRAW, FILL_EVIDENCE_POWER, LENGTH_DRAW, MIN_FILL_MEAN,
                                       PRIOR_BARS, TWO_BARS, VOICE_DRAW, WHOLE_BAR, crash_chance, fill_beats,
                                       fill_chances, fill_position, load_placement)
from seq2drum.groove.settings import (CRASH_DRAWN, CRASH_MAX_PER_BAR, CRASH_MIN_GAP, CRASH_SURE, LANDING_CRASH_SHARE,
                                     SHORT_BAR_STEPS)
from seq2drum.groove.structure import CRASH_COLUMN, FILL_COLUMN, REST_COLUMN, CrashCount, FillCount, forced_marks
from seq2drum.midi.drums import CRASH, NUM_DRUM_CLASSES, RIDE, TOMS


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
    ride. A policy that marks no crash runs `crashes_on_ride` in its place; a take placed by the drummers' statistics
    `placed_crash_marks`."""
    _counted_crashes(context, decision, decision.edges[:, CRASH_COLUMN])


def placed_crash_marks(context: BarContext, decision: BarDecision) -> None:
    """marks (crash): as `crash_marks`, a crash counted against the crash bars the model expects, with its gap; the
    bars it may open are where the take's placing draws one (groove.placement: the drummers' crash bars, a section's
    first bar most, its 8-bar and 4-bar phrases' next, any bar after a fill twice as often, at the crash rate the
    model expects of the song, offline over the whole song, live over the bars so far), where a groove rides the
    crash, or where a crash is sure: each take crashes in its own places where the song allows."""
    placing = context.placing
    assert placing is not None, "placed_crash_marks runs on a placed take (marks.mark_rules)"
    probability = context.structure[:, CRASH_COLUMN].astype(np.float64)
    after = np.concatenate([[context.past.counts.fills.last], decision.marks[:-1, FILL_COLUMN]])
    chances = crash_chance(context.bar_placement, CRASH_DRAWN * probability, placing.position[:len(probability)], after)
    _counted_crashes(context, decision, placing.draws[:, CRASH_DRAW] < chances)


def landed_crashes(context: BarContext, decision: BarDecision) -> None:
    """landings: where a fill closes the bar before a section opens (the take's placing; the bar before the first
    row is the past's), the section's downbeat crashes LANDING_CRASH_SHARE of the time, as the drummers land their
    fills, by the take's crash draw at the chance the song's landings so far leave (`CrashCount.landing_chance`);
    the placed crash rule after it plays that, counted, whatever its count and gap say (issue 101: 7 of 14 fills
    into a metal song's sections landed on nothing, and a crash came mid-section instead; out of fold take 1 landed
    0.26 of its fills into a section, their drummers 0.37)."""
    placing = context.placing
    assert placing is not None, "landed_crashes runs on a placed take (marks.mark_rules)"
    n = len(decision.marks)
    after = np.concatenate([[context.past.counts.fills.last], decision.marks[:-1, FILL_COLUMN]])
    leads = (placing.position[:n] == 0) & after & ~decision.marks[:, REST_COLUMN]
    landings = np.full(n, -1, dtype=np.int8)
    count = CrashCount(*context.past.counts.crashes)
    for row in np.flatnonzero(leads).tolist():
        landings[row] = placing.draws[row, CRASH_DRAW] < count.landing_chance(LANDING_CRASH_SHARE)
        count = count.after_landing(bool(landings[row]))
    decision.landings = landings


def _counted_crashes(context: MarkContext, decision: BarDecision, candidates: np.ndarray) -> None:
    """The crash rules' count: a crash at each of the (n,) `candidates`, grooves riding the crash and sure crashes
    that the count (`CrashCount`) and its gap allow, and where a fill lands (`landed_crashes`) as it decided; a
    ridden crash it does not allow rides the ride."""
    probability = context.structure[:, CRASH_COLUMN]
    grooved = decision.hits[:, 0, CRASH] & ~ridden(decision)
    count = CrashCount(*context.past.counts.crashes)
    landings = decision.landings.tolist() if decision.landings is not None else [-1] * len(probability)
    landed = [row for row, landing in enumerate(landings) if landing == 1]
    for row in range(len(probability)):
        resting = bool(decision.marks[row, REST_COLUMN])  # a resting bar neither crashes nor counts
        candidate = bool(candidates[row] or grooved[row]) or probability[row] > CRASH_SURE
        # a section's landing crash ahead keeps its gap: the crash before it gives way, never two within 6 bars
        ahead = any(row < other < row + CRASH_MIN_GAP for other in landed)
        crash = not resting and candidate and not ahead and count.allows(float(probability[row]))
        if landings[row] >= 0:
            crash = not resting and bool(landings[row]) and count.since + 1 >= CRASH_MIN_GAP
        decision.marks[row, CRASH_COLUMN] = crash
        if grooved[row] and not crash and not resting:
            decision.hits[row, 0, CRASH], decision.hits[row, 0, RIDE] = False, True
        count = count.after(float(probability[row]), resting, crash)


def crashes_on_ride(context: MarkContext, decision: BarDecision) -> None:
    """marks (crash): none, for a policy that marks no crash (crash edge threshold 1: calibration's takes without
    structure, and live models whose tuner found crashes cost more than they gave); hits (crash, ride): its grooves'
    downbeat crashes ride the ride. Left as they were, a groove with a crash held bar after bar crashed every bar (3
    folds' live models: crash_ridden on 3 songs of 624, primed, out of fold)."""
    moved = decision.hits[:, 0, CRASH] & ~ridden(decision)
    decision.hits[moved, 0, RIDE] = True
    decision.hits[moved, 0, CRASH] = False


def ridden(decision: BarDecision) -> np.ndarray:
    """(n,) bool the bars that ride the crash (a part riding the crash: more crash strokes off the downbeat than
    `crash_accents` gives a bar): their downbeat crash is the ride's first stroke, neither a crash mark nor moved."""
    return decision.hits[:, 1:, CRASH].sum(axis=1) > CRASH_MAX_PER_BAR


def fill_marks(context: MarkContext, decision: BarDecision) -> None:
    """marks (fill): a fill closing the bar where its probability passes the fill threshold, and where a section or
    a phrase closes (`edges`) as often as the song's drummer would fill, by the model: bar by bar, an edge fills where
    its probability passes the edge threshold or while the fills played stay within the fill bars the model expects
    so far (its calibrated fill probabilities summed over the playing bars, plus FILL_AHEAD; groove.structure
    `FillCount`, carried live over the bars played). Out of fold the model expects 1.53 fill bars per 8 where the
    drummers play 1.57; by threshold alone take 1 played 0.45."""
    fill_threshold_marks(context, decision)
    probability = context.structure[:, FILL_COLUMN]
    count = context.past.counts.fills
    marks, edges = decision.marks, decision.edges
    for row in range(len(probability)):
        resting = bool(marks[row, REST_COLUMN])
        p = float(probability[row])
        if not resting and edges[row, FILL_COLUMN] and not marks[row, FILL_COLUMN] and count.allows(p):
            marks[row, FILL_COLUMN] = True
        count = count.after(p, resting, bool(marks[row, FILL_COLUMN]))


def fill_threshold_marks(context: MarkContext, decision: BarDecision) -> None:
    """marks (fill): a fill where its probability passes the fill threshold (the edge threshold where a section or a
    phrase closes); alone in the list of a policy that counts no fill at edges (fill edge threshold 1)."""
    policy = context.policy
    _threshold_marks(context, decision, FILL_COLUMN, policy.fill_threshold, policy.fill_edge_threshold)


def placed_fill_marks(context: BarContext, decision: BarDecision) -> None:
    """marks (fill), fill_beats: fills where the take's placing draws them (groove.placement), as often as the song's
    drummer would fill by what the model expects of it (its fill and tom expectations a playing bar: offline the whole
    song's, live the bars' so far), where in the phrase the drummers put them (a section's last bar most, a phrase's
    last next, any bar now and then), one bar or two, a beat, two, three or the whole bar; and where the fill
    probability passes the fill threshold. Fills stay under FILL_MAX_SHARE of the playing bars. Each take draws its
    own, and live each bar its own from the same seed, so no take fills every 4th bar without exception."""
    fill_threshold_marks(context, decision)
    placing, placement = context.placing, load_placement()
    assert placing is not None, "placed_fill_marks runs on a placed take (marks.mark_rules)"
    marks, scores = decision.marks, context.scores
    playing = ~marks[:, REST_COLUMN]
    count, toms = context.past.counts.fills, context.past.counts.toms
    fill = _mean_with_prior(count.bars, count.expected, context.structure[playing, FILL_COLUMN],
                            placement.rate.prior_fill)
    tom_hits = context.p[playing][..., TOMS[0]: TOMS[-1] + 1].sum(axis=(1, 2))
    events = placement.fill_events(fill, _mean_with_prior(toms.bars, toms.expected, tom_hits,
                                                          placement.rate.prior_toms))
    probability = context.structure[:, FILL_COLUMN]
    heard = events * (probability.astype(np.float64) / max(fill, MIN_FILL_MEAN)) ** FILL_EVIDENCE_POWER
    where = fill_position(placing.position, placing.closing)  # (n + 1,) the bars' and the bar after's
    bars = context.bar_placement
    one, two = fill_chances(bars, heard, where[:-1], where[1:])  # where the network hears a fill
    n_beats = scores.bar_steps // np.maximum(1, scores.beat_steps)
    lengths = fill_beats(bars, placing.draws[:, LENGTH_DRAW], n_beats)  # its length, where one fills
    decision.fill_beats = _placed_fills(marks, playing & (scores.bar_steps > SHORT_BAR_STEPS), playing,
                                        placing.draws[:, FILL_DRAW], (one, two, lengths), probability, count)


def _placed_fills(marks: np.ndarray, fills: np.ndarray, playing: np.ndarray, drawn: np.ndarray,
                  chances: tuple[np.ndarray, np.ndarray, np.ndarray], probability: np.ndarray,
                  count: FillCount) -> np.ndarray:
    """In place on marks (fill): `placed_fill_marks` bar by bar (a fill's second bar follows its first; fills under
    FILL_MAX_SHARE), from each bar's one-bar and two-bar fill chances and one-bar length (`chances`), its draw and
    whether it may fill (`fills`: a playing bar longer than SHORT_BAR_STEPS). Returns each fill's beats (n,)."""
    filled = marks[:, FILL_COLUMN].tolist()
    beats = [0] * len(filled)
    carry = count.carry
    for row, (may, plays, draw, one, two, length_of, p) in enumerate(zip(
            fills.tolist(), playing.tolist(), drawn.tolist(), *(c.tolist() for c in chances), probability.tolist())):
        if not plays:
            filled[row], carry = False, 0
            count = count.after(p, True, False)
            continue
        length = length_of
        if not may:  # a 4/16 piece: no fill of its own
            carry = 0
        elif carry or one <= draw < one + two:  # a two-bar fill's second bar, or its first
            filled[row], length, carry = True, WHOLE_BAR if carry else TWO_BARS, 0 if carry else 1
        else:
            filled[row] = filled[row] or draw < one
        if filled[row] and not count.under_share():
            filled[row], carry = False, 0
        beats[row] = length if filled[row] else 0
        count = count.after(p, False, filled[row], carry)
    marks[:, FILL_COLUMN] = filled
    return np.array(beats, dtype=np.int64)


def steered_marks(context: MarkContext, decision: BarDecision) -> None:
    """marks: what the musician forced (`Steering` rests, crashes, fills: --fills, --crashes, drums from nothing);
    (a take decided again without rests, and live once the band plays, force every bar to play); then a resting
    bar neither crashes nor fills."""
    decision.marks[:] = forced_marks(decision.marks, context.steering)
    if decision.marks[:, REST_COLUMN].any():  # none rests (live, every bar the band plays): nothing to take away
        decision.marks[:, [CRASH_COLUMN, FILL_COLUMN]] &= ~decision.marks[:, [REST_COLUMN]]


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
    if context.placing is not None:  # a placed take: toms in the share of its fills the family's drummers play them
        decision.tom_fills = context.placing.draws[:, VOICE_DRAW] < context.bar_placement.tom_share
    if context.steering.fills is not None:  # a fill the musician asked for (--fills, drums from nothing): toms
        decision.tom_fills |= forced_marks(np.zeros_like(decision.marks), context.steering)[:, FILL_COLUMN]


def play_marks(context: BarContext, decision: BarDecision) -> None:
    """hits: the marks played (a rest empties the bar, a fill replaces its last beats, toms only where `fill_kinds`
    allows them, a crash and kick on the downbeat), then the ending: kick and crash on the guitar's last onset and
    nothing after it."""
    context.fills.apply(decision.hits, context.p, decision.marks, context.scores, context.threshold, context.in_bar,
                        decision.tom_fills, decision.fill_beats)


def given_bars(context: BarContext, decision: BarDecision) -> None:
    """hits, marks: bars the user's own drums play (--keep-drums) hold exactly those hits, and no marks."""
    given_drums.force_given(decision.hits, decision.marks, context.steering.continuation)


STRUCTURE_RULES: tuple[Rule, ...] = (bass_silence_is_edge, given_groove_holds, fill_kinds, play_marks, given_bars)


def mark_rules(policy: DecodingPolicy, placed: bool = False) -> tuple[Callable[[MarkContext, BarDecision], None], ...]:
    """The mark rules a decision runs, chosen once for the policy and the take: rests, crashes (or none, ridden:
    `crashes_on_ride`) and fills (counted at edges, or by threshold alone), then what the musician forced; a `placed`
    take (one the request placed: groove.placement) marks its fills where placed, then where they land on a section's
    crash, then its crashes where placed (a crash follows a fill more often)."""
    crashes = crash_marks if policy.crashes_at_edges else crashes_on_ride
    if placed and policy.fills_at_edges and policy.crashes_at_edges:
        return rest_marks, placed_fill_marks, landed_crashes, placed_crash_marks, steered_marks
    if placed and policy.fills_at_edges:
        return rest_marks, placed_fill_marks, crashes, steered_marks
    return rest_marks, crashes, fill_marks if policy.fills_at_edges else fill_threshold_marks, steered_marks


def counts_after(context: BarContext, decision: BarDecision) -> BarCounts:
    """`context.past.counts` carried over the decided bars: the crashes `crash_marks` counts (over the bars' final
    marks) and the open hats `open_hats` counted, for the bars after them (live, the next bar)."""
    open_hats = decision.kit_count if decision.kit_count is not None else context.past.counts.open_hats
    toms = decision.tom_count if decision.tom_count is not None else context.past.counts.toms
    crash_hits = decision.crash_count if decision.crash_count is not None else context.past.counts.crash_hits
    return BarCounts(crashes_after(context, decision), open_hats, fills_after(context, decision), toms, crash_hits)


def fills_after(context: BarContext, decision: BarDecision) -> FillCount:
    """`context.past.counts`' fills carried over the decided bars (their final marks): what the fill rules count,
    for the bars after them (live, the next bar), a two-bar fill begun in the last bar carried."""
    count = context.past.counts.fills
    beats = decision.fill_beats
    for row in range(len(decision.marks)):
        filled = bool(decision.marks[row, FILL_COLUMN])
        carry = int(filled and beats is not None and beats[row] == TWO_BARS)
        count = count.after(float(context.structure[row, FILL_COLUMN]), bool(decision.marks[row, REST_COLUMN]),
                            filled, carry)
    return count


def crashes_after(context: BarContext, decision: BarDecision) -> CrashCount:
    """`context.past.counts`' crashes carried over the decided bars (their final marks): what `crash_marks`
    counts, for the bars after them (live, the next bar)."""
    count = CrashCount(*context.past.counts.crashes)
    landings = decision.landings.tolist() if decision.landings is not None else [-1] * len(decision.marks)
    for row in range(len(decision.marks)):
        count = count.after(float(context.structure[row, CRASH_COLUMN]), bool(decision.marks[row, REST_COLUMN]),
                            bool(decision.marks[row, CRASH_COLUMN]))
        if landings[row] >= 0:
            count = count.after_landing(bool(decision.marks[row, CRASH_COLUMN]))
    return count


def structure_decisions(policy: DecodingPolicy, structure: np.ndarray, edges: np.ndarray,
                        steering: Steering | None = None, bass_silent: np.ndarray | None = None) -> np.ndarray:
    """(n, 3) bool rests, crashes and fills as `mark_rules` mark them from the calibrated probabilities (n, 3) and
    the edges (n, 3) alone: what calibration replays for every threshold it tries."""
    context = MarkContext(structure, policy, steering or Steering(), bass_silent)
    n = len(structure)
    no_hits = np.zeros((n, 1, NUM_DRUM_CLASSES), dtype=bool)  # no groove rides the crash here
    decision = BarDecision(no_hits, np.full(n, -1, dtype=np.int64), np.zeros(structure.shape, dtype=bool),
                           np.asarray(edges, dtype=bool))
    return run(mark_rules(policy), context, decision).marks


def _threshold_marks(context: MarkContext, decision: BarDecision, column: int, anywhere: float, at_edge: float) -> None:
    threshold = anywhere if at_edge >= anywhere else np.where(decision.edges[:, column], at_edge, anywhere)
    decision.marks[:, column] = context.structure[:, column] > threshold


def _mean_with_prior(bars: int, total: float, values: np.ndarray, prior: float) -> float:
    """The mean a playing bar of what `values` (n,) holds, `total` summed over the `bars` before them, PRIOR_BARS bars
    of `prior` (the training songs' mean) counted in: offline the whole song's, live the bars' so far."""
    return (total + float(np.sum(values)) + PRIOR_BARS * prior) / (bars + len(values) + PRIOR_BARS)
