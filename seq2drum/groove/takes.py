"""The takes of a song, as named attempts in one place, the only caller of `groove.decide` (offline and live).

`decided_takes(decoder, request, structure, n_takes, temperature, rng)` decides take 1, then each later take by its
attempts in turn, the first distinct from every earlier take (cell F1 under TAKE_MAX_SIMILARITY, less in a swung
song) kept:
1. `swapped`: take 1's decision with its k-th pair of swaps (groove.variations `swapped`, a take step), in slices of
   SWAP_SLICE_SHARES (not under a style, whose takes keep their grooves' character);
2. `other_grooves`: each section gets the groove unlike the earlier takes' (decided as tuned, then without per-cell
   refinement, then pushed away from what the failed attempt chose too), held to LATER_TAKE_FLOOR of take 1's hits;
3. `varied`: the last attempt decided again with its grooves varied by a take step (groove.variations: the other
   time-keeping voice, the open hi-hat, busier or sparser, a kick variation), held to what the musician asked; else
   no take: fewer takes, never copies.
`bar_take` is the live drummer's one attempt: one bar, decided with the live chooser. Nothing changes a take's hits
after `decide` returns but the render writing the user's own notes.
"""

from __future__ import annotations

import functools
from dataclasses import replace
import numpy as np

from seq2drum.groove.context import BarContext
from seq2drum.groove.decide import Chooser, Decided, Finish, articulations, crashes_none, cymbal, decide
from seq2drum.groove.decoder import Decoder, SongChooser
from seq2drum.groove.placement import Placing
from seq2drum.groove.policy import Steering, Take, calibrated
from seq2drum.groove.request import PlannedTake, Request, song_span, steered
from seq2drum.groove.scores import SongScores
from seq2drum.groove.settings import LATER_TAKE_FLOOR, SWAP_SLICE_SHARES, SWUNG_TAKE_MARGIN, TAKE_MAX_SIMILARITY
from seq2drum.groove.structure import PlannedFills, bar_labels, bass_silence
from seq2drum.groove.variations import distinct_variation
from seq2drum.options import GenerationOptions
from seq2drum.parts.features import folded_f1 as take_similarity  # cell F1 between two takes' hits
from seq2drum.parts.plan_value import Held, Plan

OTHER_GROOVE_TRIES = 4  # a later take's other-grooves attempt: as tuned, without refinement, then pushed away twice
PLANNED_FLOOR_SHARE = 0.6  # a later take on another plan plays at least this share of LATER_TAKE_FLOOR (a plan may
# thin a phrase, as drummers do, but a take is a reading of the song, not a sketch)


def decided_takes(decoder: Decoder, request: Request, structure: np.ndarray, n_takes: int = 1,
                  temperature: float = 0.0, rng: np.random.Generator | None = None) -> list[Take]:
    """`n_takes` distinct takes of the request's song (fewer where no attempt is distinct), take 1 the model's own
    choice within what the request asks; `structure` (n, 3) the calibrated structure probabilities. Take 1 never
    depends on later takes. Where the request holds plans of parts, take k is decided on the k-th plan (its
    probabilities conditioned on its parts, its fill edges): first as take 1 is (`planned`, another drummer's
    reading of the song), then by the attempts below on that plan."""
    swung = request.finish.swung or (request.finish.options.swing or 0.5) > 0.5
    # swung as written, off-beat notes move onto 16ths the takes share: they must differ more as decided
    limit = TAKE_MAX_SIMILARITY - (SWUNG_TAKE_MARGIN if swung else 0.0)
    noise_state = None  # the generator's state before the last attempt (its grooves' noise, drawn again alike)
    takes: list[Take] = []
    for index in range(n_takes):
        finish, edges, plan, steering = request.take_inputs(index)
        attempt = functools.partial(song_attempt, decoder, structure, temperature, rng, edges=edges,
                                    plan=plan, placing=request.placing(index), steering=steering)
        take = None
        if index and plan.played:  # planned: another plan's parts, decided as take 1 is
            later_floor = LATER_TAKE_FLOOR * PLANNED_FLOOR_SHARE * takes[0].n_hits / (takes[0].density_reached or 1.0)
            take = attempt([], True, replace(finish, floor_hits=later_floor))
            if distinct(take, takes, limit):
                takes.append(take)
                continue
        if index and request.steering.allowed is None:  # a style's takes keep their grooves' character
            # swapped: the cheapest difference, larger slices where the take steps make it too alike
            for share in SWAP_SLICE_SHARES:
                take = attempt([], True, replace(finish, swap=index, swap_share=share))
                if distinct(take, takes, limit):
                    break
            if take is not None and distinct(take, takes, limit):
                takes.append(take)
                continue
        # other grooves: as tuned (take 1), then without per-cell refinement (which adds the same likely cells to
        # every take), then pushed away from what the failed attempt chose too; as busy as take 1 (before --density)
        avoid = [t.section_grooves for t in takes]
        later_floor = (LATER_TAKE_FLOOR * takes[0].n_hits / (takes[0].density_reached or 1.0)
                       if takes and request.steering.allowed is None else 0.0)
        other = replace(finish, floor_hits=later_floor)
        for tried in range(OTHER_GROOVE_TRIES):
            noise_state = rng.bit_generator.state if rng is not None else None
            last = (avoid, index == 0 or tried == 0)
            take = attempt(*last, other)
            if distinct(take, takes, limit):
                break
            if tried >= 1:
                avoid = avoid + [take.section_grooves]
        if take is not None and not distinct(take, takes, limit):
            # varied: the codebook has no other groove for these bars (odd meters): the last attempt decided again
            # with the first variation distinct from every earlier take (a take step), its noise drawn alike
            chosen = distinct_variation(take, takes, finish.p, finish.scores, take_similarity,
                                        functools.partial(_keep_asked, finish=other))
            if chosen < 0:
                break
            if rng is not None:
                rng.bit_generator.state = noise_state
            take = attempt(*last, replace(other, variation=chosen))
        takes.append(take)
    return takes


def song_attempt(decoder: Decoder, structure: np.ndarray, temperature: float, rng: np.random.Generator | None,
                 avoid: list[dict[int, int]], refine: bool, finish: Finish, plan: Plan, edges: np.ndarray,
                 steering: Steering, placing: Placing | None = None) -> Take:
    """One take of the song: the grooves chosen over the whole song (its sections, the Viterbi, avoiding the
    section grooves of `avoid`), refined cell by cell where `refine`, decided to its last take step; `edges` and
    `steering` the take's (`Request.take_inputs`: its plan's, else the request's); with a `plan` played
    (parts.plan_value `Plan`) each section's phrases of one part are a section of their own to the groove choice (a
    section that changes part changes groove); the take keeps its plan, held or played; `placing` where it places its
    fills and crashes (groove.placement; None: at the edges, by count)."""
    scores, p = finish.scores, finish.p
    labels = bar_labels(scores.sections, scores.first_bar, scores.n_bars)
    played = plan.played
    if played:
        labels = planned_labels(labels, plan.bar_parts(len(labels)))
    fills = decoder.fills if not played else PlannedFills(decoder.fills, plan.bar_fills(len(labels)))
    policy = decoder.policy if refine else decoder.policy.replace(refine_margin=1.0)  # 1: no per-cell refinement
    context = BarContext(structure, policy, steering, bass_silence(scores), scores=scores, p=p, labels=labels,
                         codebook=decoder.codebook, grooves=decoder.grooves, fills=fills,
                         scale=decoder.policy.threshold_scale(steering), swung=finish.swung, placing=placing)
    chooser = SongChooser(decoder.grooves, decoder.policy, labels, avoid, temperature, rng)
    take = decide(chooser, context, edges, finish, plan).take
    if played:
        first_bars = [scores.first_bar + phrase.start_row + 1 for phrase in plan.phrases]  # 1-based song bars
        take.parts = tuple(zip(first_bars, plan.names))
    return take


def planned_labels(labels: np.ndarray, parts: np.ndarray) -> np.ndarray:
    """(n,) a label for each (section label, part) pair of the bars, in order of first appearance (-1 stays -1)."""
    out = np.full(len(labels), -1, dtype=np.int64)
    seen: dict[tuple[int, int], int] = {}
    for row, pair in enumerate(zip(labels.tolist(), parts.tolist())):
        if pair[0] >= 0:
            out[row] = seen.setdefault(pair, len(seen))
    return out


def bar_take(chooser: Chooser, context: BarContext, request: Request, plan: Plan) -> Decided:
    """The live drummer's one attempt: the bar of `context` decided with the live chooser, on the bar's `plan`."""
    return decide(chooser, context, request.edges, request.finish, plan)


def _keep_asked(take: Take, finish: Finish) -> None:
    """A variation of a take kept to what the musician asked: no crash under `--crashes none`, time kept on the
    cymbal `--cymbal` names (a variation's other voice must not undo it); and its hits struck as the take step names
    them (a variation's other voice moves the foot)."""
    crashes_none(take, finish)
    cymbal(take, finish)
    articulations(take, finish)


def distinct(take: Take, takes: list[Take], limit: float = TAKE_MAX_SIMILARITY) -> bool:
    """Whether `take` shares under `limit` of its cells (cell F1) with every take of `takes`."""
    return not takes or max(take_similarity(take.hits, t.hits) for t in takes) < limit


def steered_takes(decoder: Decoder, scores: SongScores, n_takes: int = 1,
                  steering: Steering | None = None) -> list[Take]:
    """The takes of scores under a steering built already (calibration's plain take 1, tests), with the song's own
    sections and edges (groove.request `steered`), at the default options, unswung, greedy (no temperature)."""
    p, structure = calibrated(scores, decoder.policy)
    request = steered(steering or Steering(), GenerationOptions(), scores, p, song_span(scores),
                      decoder.policy.crash_phrase_bars)
    request = replace(request, plans=(PlannedTake(Plan.held_for(Held.BARS), None, None),) * n_takes)  # bar by bar
    return decided_takes(decoder, request, structure, n_takes)
