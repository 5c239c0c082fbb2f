"""The decision of a take, in one function that offline generation and the live drummer both run: `decide`.

`decide(chooser, context, edges, finish, plan) -> Decided` runs, top to bottom: (1) the groove, in rounds: the chooser
sets each bar's codebook entry (offline the Viterbi over the song's sections, `groove.decoder.SongChooser`; live the
greedy hold of the bars played, `live.chooser.BarChooser`), the groove rules (`rules.groove_rules`: the model's own
or a style's, chosen once) play it, and lambda moves to half the expected F1 of what they played (live counted over
the bars already played too), until it holds; (2) the bar structure (groove.marks: `mark_rules` for the policy, then
`STRUCTURE_RULES`): rests, crashes, fills, the ending, the drums the user gave; (3) the take, built once: the hits
with the model's velocity and timing; (4) the take steps (`TAKE_STEPS`): a later take's swaps and floor,
`--density`, `--crashes none`, `--cymbal`, a swung song's jazz ride, `--dynamics`, the swung time-keeping, a later
take's variation, the plan's swung and sparse phrases, one hi-hat a step, how its hits are struck
(groove.articulation), each `step(take, finish) -> None`, in place, doing nothing where its control is at its
default. groove.takes is its one caller; what reaches it is groove.request's. Only the chooser differs offline and
live, and it carries its own past (tests/test_decide.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple, Protocol

import numpy as np

from seq2drum import arrays
from seq2drum.groove import marks, rules
from seq2drum.groove.articulation import articulate
from seq2drum.groove.context import BarContext, BarDecision, Past
from seq2drum.groove.density import apply_density
from seq2drum.groove.feels import full_in, play_feels, play_times, sparse_out
from seq2drum.groove.finish import Finish
from seq2drum.groove.policy import ChosenParts, Take, copied
from seq2drum.groove.scores import SongScores
from seq2drum.groove.settings import FULL_HELD_SHARE, SPARSE_HELD_SHARE
from seq2drum.groove.structure import FILL_COLUMN, REST_COLUMN
from seq2drum.groove.swung_song import jazz_ride, plan_swing, planned_bars, swings, swung_time_keeping, users_loop
from seq2drum.groove.variations import HATS, move_voice, play_cells, swapped, variation
from seq2drum.groove.vocabulary import drummers_touch
from seq2drum.midi.drums import CLOSED_HAT, CRASH, OPEN_HAT, RIDE, TOMS, midi_velocity
from seq2drum.parts.labels import DROP_OUT_HITS
from seq2drum.parts.plan_value import Plan


class Chooser(Protocol):
    """Sets each bar's codebook entry for a round of the groove choice."""

    rounds: int  # rounds of the groove choice, each refining lambda
    past: Past  # the bars before, as this chooser played them (offline `Past()`: none)
    section_grooves: dict[int, int]  # section label -> its groove, as the last round chose (offline; {} live)

    def choose(self, context: BarContext) -> np.ndarray:
        """(n,) int64 the codebook entry of each bar (-1: none) under the context's lambda."""
        ...

    def again(self) -> Chooser:
        """The chooser as before its first round, to decide the take again."""
        ...


class Decided(NamedTuple):
    """A decided take, with the decision and the context (its final lambda) it came from."""

    take: Take
    decision: BarDecision
    context: BarContext


def decide(chooser: Chooser, context: BarContext, edges: np.ndarray, finish: Finish, plan: Plan) -> Decided:
    """One take: the groove chosen in rounds with the groove rules after each, the structure rules, the take built
    once (decided again without rests where it rests below `finish.min_hits`: a near-silent take is no take), then
    TAKE_STEPS (see the module's docstring). `edges` (n, 3): where each mark's edge threshold holds; `plan` the
    take's plan of parts (parts.plan_value `Plan`, held or played), which the take keeps."""
    context = context.after(chooser.past)
    decided = _decided(chooser, context, edges, plan)
    if decided.take.n_hits < finish.min_hits and context.rests_allowed:
        decided = _decided(chooser.again(), context.without_rests(), edges, plan)
    run_take_steps(decided.take, finish)
    return decided


def _decided(chooser: Chooser, context: BarContext, edges: np.ndarray, plan: Plan) -> Decided:
    """The rounds of the groove choice, the structure rules, and the take built."""
    p = context.p
    p_sum = p.sum()  # the same each round
    played, n_hits, total = context.past.totals
    groove_rules = rules.groove_rules(context.steering, context.policy.refines)  # the mode, chosen once
    decision = None
    for _ in range(chooser.rounds):
        decision = rules.run(groove_rules, context, BarDecision.of_entries(chooser.choose(context), context, edges))
        hits = decision.hits  # its count as an int, not np.int64: the same sum's figure
        expected_f1 = 2 * (played + float(p[hits].sum())) / max(1e-9, n_hits + np.count_nonzero(hits) + total + p_sum)
        if expected_f1 / 2 == context.lam:  # lambda holds: each round left would decide the same again (live, 95%
            break  # of bars by the third round)
        context = copied(context, lam=expected_f1 / 2)
    assert decision is not None, "a chooser decides in one round at least"
    rules.run((*marks.mark_rules(context.policy, context.placing is not None), *marks.STRUCTURE_RULES), context,
              decision)
    return Decided(built(decision, context, chooser.section_grooves, float(p_sum), plan), decision, context)


def built(decision: BarDecision, context: BarContext, section_grooves: dict[int, int], p_sum: float,
          plan: Plan) -> Take:
    """The take of a decision: its hits with the model's velocity and timing on them (a style's drummers' bars at
    their velocity, groove.vocabulary), its expected F1 (under the calibrated probabilities) and its final lambda."""
    hits, scores = decision.hits, context.scores
    velocity = (midi_velocity(np.rint(scores.velocity)).astype(np.uint8) * hits).astype(np.uint8)  # rint: no wrapper
    offset = np.where(hits, scores.offset, 0.0).astype(np.float32)
    played, own = float(context.p[hits].sum()), drummers_touch(context.codebook, decision.entry, hits, velocity)
    return Take(hits, velocity, offset, decision.entry.copy(), section_grooves,
                2 * played / max(1e-9, hits.sum() + p_sum), decision.marks, context.threshold, plan,
                own_touch=own)


# ---------------------------------------------------------------------------------------------- the take steps

TakeStep = Callable[[Take, Finish], None]


def later_take_swaps(take: Take, finish: Finish) -> None:
    """hits: a later take made from take 1's decision, its k-th pair of slices of least likely cells swapped for the
    likeliest it leaves out (groove.variations `swapped`): a fifth of its cells differ, at the least cost in
    expected F1."""
    if finish.swap:
        forced = finish.continuation.forced if finish.continuation is not None else None
        swapped(take, finish.p, finish.scores, finish.swap, finish.swap_share, forced, swings(finish))


def later_take_floor(take: Take, finish: Finish) -> None:
    """hits: a later take whose distinct grooves are sparse (as in meters with few common grooves) gets the
    likeliest groove cells it leaves out (not the crash's or the toms', which mark sections and fills: 7Norfair's
    take 3 got 9 crashes in 16 bars from it out of fold), in the bars where it plays and the guitar plays, until it
    has `floor_hits` (a reading of the song, not a sketch: about as busy as take 1)."""
    scores, p = finish.scores, finish.p
    missing = int(np.ceil(finish.floor_hits)) - take.n_hits
    if missing <= 0:
        return
    bar_bound = scores.last_onset[0]
    open_cells = (~take.hits) & scores.step_mask()[:, :, None]
    open_cells[:, :, [CRASH, *TOMS]] = False
    open_cells &= (scores.guitar_plays & ~take.structure[:, REST_COLUMN])[:, None, None]
    open_cells[bar_bound + 1 :] = False
    if 0 <= bar_bound < len(open_cells):
        open_cells[bar_bound, scores.last_onset[1]:] = False
    candidates = np.flatnonzero(open_cells.ravel())
    play_cells(take, scores, candidates[np.argsort(-p.ravel()[candidates], kind="stable")[:missing]])


def plan_kept(take: Take, finish: Finish) -> None:
    """hits: each take's groove bars in its plan's feels (groove.feels `play_feels`) as parts.labels reads them, the
    fills placed (take 1's rules read them beside the fill edges: All of Me's comping phrase was read "backbeat"); a
    later take's in its parts' time too (`play_times`) after its swaps, floor or variation, which move cells by
    likelihood (a take's floor made "eighths on the hat" 16ths), and take 1's phrases the musician named (a jazz
    band's ride kept time through his "kick and snare"). Added hits get the model's velocity and timing."""
    bound = finish.plan_parts
    if bound is None:
        return
    grooving = _grooving(take, bound)
    kept = ChosenParts(grooving, bound.phrases, bound.chosen_parts, named=bound.named)
    before = take.hits.copy()
    scores = finish.scores
    if later := bool(finish.swap or finish.floor_hits > 0 or finish.variation >= 0):
        # a closed-hat part keeps its closed hat where a swap struck the open one too (take 4 read "on the open hat")
        closed = np.array([k >= 0 and bound.chosen_parts[k].keeper == "closed_hat" for k in grooving.tolist()], bool)
        take.hits[closed, :, OPEN_HAT] &= ~take.hits[closed, :, CLOSED_HAT]
        play_times(take.hits, finish.p, scores.bar_steps, scores.beat_steps, kept)
    elif bound.named is not None and bound.named.any():  # take 1: the parts the musician named in their time too
        play_times(take.hits, finish.p, scores.bar_steps, scores.beat_steps, _named(grooving, bound))
    play_feels(take.hits, finish.p, scores.bar_steps, scores.beat_steps, kept, as_labelled=not later)
    _replayed(take, scores, before)


def _grooving(take: Take, bound: ChosenParts) -> np.ndarray:
    """(n,) the bound parts of the bars that groove (a fill is the fill's, a rest the rest's; -1)."""
    grooving = bound.parts.copy()
    grooving[take.structure[:, FILL_COLUMN] | take.structure[:, REST_COLUMN]] = -1
    return grooving


def _named(grooving: np.ndarray, bound: ChosenParts) -> ChosenParts:
    """The bound parts of the grooving bars whose part the musician named (--parts)."""
    return ChosenParts(np.where(bound.named, grooving, -1), bound.phrases, bound.chosen_parts, named=bound.named)


def _replayed(take: Take, scores: SongScores, before: np.ndarray) -> None:
    """The cells a step added played again with the model's velocity and timing, those it dropped silenced."""
    added, dropped = take.hits & ~before, before & ~take.hits
    take.velocity[dropped], take.offset[dropped] = 0, 0.0
    take.hits[added] = False
    play_cells(take, scores, np.flatnonzero(added.ravel()))


def density(take: Take, finish: Finish) -> None:
    """hits: `--density` other than 1, the take made busier or sparser as a drummer would (groove.density), the
    phrases whose part the musician named then in that part's time (`play_times`: "eighths on the hat" at --density
    0.5 played quarters, "quarters on the ride" no cymbal at all); the ratio reached is kept on the take."""
    if finish.options.density == 1.0:
        return
    own = max(1, take.n_hits)
    apply_density(take, finish.p, finish.scores, finish.options.density)
    bound = finish.plan_parts
    if bound is not None and bound.named is not None and bound.named.any():  # the parts he named keep their time
        before, scores = take.hits.copy(), finish.scores
        play_times(take.hits, finish.p, scores.bar_steps, scores.beat_steps, _named(_grooving(take, bound), bound))
        _replayed(take, scores, before)
    take.density_reached = take.n_hits / own


def crashes_none(take: Take, finish: Finish) -> None:
    """hits (crash): `--crashes none`, no crash anywhere in the take (downbeats and crash riding in a groove) but the
    final hit on the last onset of the music."""
    if finish.options.crashes != "none":
        return
    row, step = finish.scores.last_onset
    final = bool(take.hits[row, step, CRASH]) if 0 <= row < len(take.hits) else False
    take.hits[..., CRASH] = False
    if final:
        take.hits[row, step, CRASH] = True


def cymbal(take: Take, finish: Finish) -> None:
    """hits (hats, ride): `--cymbal ride`, every hi-hat hit played on the ride; `hats`, every ride hit on the closed
    hi-hat; `auto`, as decided. The moved hits get the model's velocity and timing for the voice they land on."""
    if finish.options.cymbal == "ride":
        move_voice(take, finish.scores, HATS, RIDE)
    elif finish.options.cymbal == "hats":
        move_voice(take, finish.scores, (RIDE,), CLOSED_HAT)


def dynamics(take: Take, finish: Finish) -> None:
    """velocity: `--dynamics`, every hit's velocity times the factor, clipped to 1-127."""
    factor = finish.options.dynamics
    if factor == 1.0:
        return
    scaled = midi_velocity(np.round(take.velocity.astype(np.float64) * factor)).astype(np.uint8)
    take.velocity[:] = np.where(take.hits, scaled, 0)


def later_take_variation(take: Take, finish: Finish) -> None:
    """hits, velocity, timing: a later take whose codebook has no other groove for its bars (odd meters) is the take
    varied (groove.variations: the other time-keeping voice, the open hi-hat, busier or sparser, a kick variation),
    then held to what the musician asked (`--crashes none`, `--cymbal`: a variation's other voice must not undo
    it)."""
    if finish.variation < 0:
        return
    varied = variation(take, finish.p, finish.scores, finish.variation)
    plan_kept(varied, finish)
    crashes_none(varied, finish)
    cymbal(varied, finish)
    vars(take).update(vars(varied))


def plan_levels(take: Take, finish: Finish) -> None:
    """hits: each phrase of the plan's sparse part under SPARSE_HELD_SHARE of the take's median phrase's hits a bar,
    as parts.labels reads a level, and keeping time on no cymbal (groove.feels `sparse_out`: never a fill bar's hit
    or a crash, never under DROP_OUT_HITS a bar): under a style's grooves, or with its fill and crash, a planned
    "sparse / intro" played as busy as the song and was read back as the style's full part, and a later take's swaps
    laid the style's ride there, read back "sparse / intro, ride" (issue 99). Each phrase of a full part the musician
    named at FULL_HELD_SHARE of it or more, its cymbal's likeliest strokes added, a time-less part's kick and snare
    (`full_in`: "riding the crash" named over a quiet intro was read back "sparse / intro, crash", "kick and snare"
    beside a swinging band "sparse / intro": issue 100). A take of one phrase (live) is left."""
    bound, scores = finish.plan_parts, finish.scores
    if bound is None or (bound.sparse is None and bound.named is None):
        return
    phrases, per_bar = bound.phrases[: len(take.hits)], take.hits.sum(axis=(1, 2))
    ids = arrays.distinct(phrases[phrases >= 0]).tolist()
    median = float(arrays.median([per_bar[phrases == j].mean() for j in ids])) if len(ids) > 1 else 0.0
    for j in ids:
        rows = np.flatnonzero(phrases == j)
        grooving = ~take.structure[rows, FILL_COLUMN]  # its fill bars are the fill's
        if median > 0 and bound.named is not None and (bound.named[rows] & bound.chosen[rows]).all():
            lacking = int(np.ceil(FULL_HELD_SHARE * median * len(rows))) - int(per_bar[rows].sum())
            play_cells(take, scores, full_in(take.hits, finish.p, rows[grooving], scores.bar_steps,
                                             scores.beat_steps, lacking, bound.chosen_parts[int(bound.parts[rows[0]])]))
        if median <= 0 or bound.sparse is None or not bound.sparse[rows].all():
            continue
        most = int(np.ceil(SPARSE_HELD_SHARE * median * len(rows))) - 1  # hits / bars < the share x median
        floor = int(np.ceil(DROP_OUT_HITS * len(rows)))
        cells = take.hits[rows] & grooving[:, None, None]
        cells[:, :, CRASH] = False
        beats = float(np.sum(np.minimum(scores.bar_steps[rows], cells.shape[1]) / scores.beat_steps[rows] * grooving))
        out = sparse_out(cells, finish.p[rows], int(per_bar[rows].sum()) - max(most, floor), beats,
                         int(per_bar[rows].sum()) - floor)
        take.hits[rows] &= ~out
        take.velocity[rows] = np.where(out, 0, take.velocity[rows])
        take.offset[rows] = np.where(out, 0.0, take.offset[rows])


def one_hat_a_step(take: Take, finish: Finish) -> None:
    """hits (closed hat): a drummer's hand strikes the hi-hat open or closed, and his foot closes it; an open hat is
    never sounded with a closed one (or the foot) at the same instant (issue 88: 419 such cells in 6,580 bars of the
    validation songs' take 1, their drummers 171 in 6,528). Where a step holds both, the open hat, the colour the
    decision chose, stays; the closed hat there goes, with its velocity and timing; but in a bar of a closed-hat part
    where the open hat would then strike as often as the closed, the closed hat stays (a 7/8 take 2 of "16ths on the
    hat" with the open hat on its beats was read back "quarters on the open hat": issue 99). A bar that plays the
    user's loop bar exactly is left as the user wrote it."""
    if not (both := take.hits[:, :, CLOSED_HAT] & take.hits[:, :, OPEN_HAT]).any():  # none (live, most bars): as is
        return
    both &= ~users_loop(take, finish)[:, None]
    closed_part = planned_bars(finish.plan_parts, len(take.hits), lambda part: part.keeper == "closed_hat")
    hats = take.hits[:, :, [CLOSED_HAT, OPEN_HAT]].sum(axis=1)  # (n, 2)
    open_yields = (closed_part & (hats[:, 1] >= hats[:, 0] - both.sum(axis=1)))[:, None]
    for voice, gone in ((CLOSED_HAT, both & ~open_yields), (OPEN_HAT, both & open_yields)):
        take.hits[:, :, voice] &= ~gone
        take.velocity[:, :, voice] = np.where(gone, 0, take.velocity[:, :, voice])
        take.offset[:, :, voice] = np.where(gone, 0, take.offset[:, :, voice])


def articulations(take: Take, finish: Finish) -> None:
    """articulation: how the finished take's hits are struck (groove.articulation `articulate`): the hi-hat foot on
    the pedal hat, and under `--style bossa` its grooves' snare as the cross-stick; named last, on the hits every
    step before left."""
    articulate(take, finish.scores.bar_steps, finish.scores.beat_steps, finish.cross_sticks)


TAKE_STEPS: tuple[TakeStep, ...] = (later_take_swaps, later_take_floor, plan_kept, density, crashes_none, cymbal,
                                    jazz_ride, dynamics, swung_time_keeping, later_take_variation, plan_swing,
                                    plan_levels, one_hat_a_step, articulations)


def run_take_steps(take: Take, finish: Finish) -> None:
    """Run TAKE_STEPS on the take in order."""
    for step in TAKE_STEPS:
        step(take, finish)
