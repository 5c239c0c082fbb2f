"""How drums are chosen from the groove model's scores: the expected-F1 decision and distinct takes (`Decoder`).

Each bar maximises *expected* F1 under the model's calibrated per-cell probabilities p: the cells worth playing
are those with p above lambda = F1* / 2 (Dinkelbach's iteration finds lambda in a few rounds), and a codebook entry's
gain in a bar is sum(p - lambda) over its cells; when the model knows little, that falls back to the backbeat by
itself. The grooves are chosen over the whole song (its sections, the Viterbi pass of groove.gains), and after each
round the bar rules of groove.rules run in order (docs/how-it-works.md lists them). Take 1 is this decision; take k
is the same decision with its k-th pair of swaps (groove.variations `swapped`: its least likely cells for the
likeliest it leaves out, a fifth of its cells, at the least cost in expected F1); where that is not distinct from
every earlier take (cell F1 under `TAKE_MAX_SIMILARITY`) or under a style, each section gets the best groove unlike
every earlier take's, varied (groove.variations) where the codebook runs out, else not written: fewer takes, never
copies.
"""

from __future__ import annotations

import functools

import numpy as np

from seq2drum.groove.settings import (DECISION_ROUNDS, LATER_TAKE_FLOOR, MIN_EXPECTED_HIT_SHARE,
                                      MIN_HITS_PER_PLAYING_BAR, SWAP_SLICE_SHARES, SWUNG_TAKE_MARGIN,
                                      TAKE_MAX_SIMILARITY)
from seq2drum.groove import continuation
from seq2drum.groove.codebook import GrooveCodebook
from seq2drum.groove.decide import Finish, crashes_none, cymbal, decide
from seq2drum.groove.gains import GrooveGains, viterbi
from seq2drum.groove.policy import DecodingPolicy, Steering, Take, calibrated
from seq2drum.groove.context import Past
from seq2drum.groove.rules import BarContext
from seq2drum.groove.scores import SongScores
from seq2drum.groove.structure import FillWriter, bar_labels, bass_silence, structure_edges
from seq2drum.groove.variations import varied_take
from seq2drum.options import GenerationOptions
from seq2drum.song.grid import Grid

_TAKE_ATTEMPTS = 4
_FORCED = 1e6  # a section bonus no gain can outweigh


class Decoder:
    """Decides takes for songs with one codebook and policy (no torch here: the network's scores come in)."""

    def __init__(self, codebook: GrooveCodebook, policy: DecodingPolicy) -> None:
        self.codebook = codebook
        self.policy = policy
        self.grooves = GrooveGains(codebook, policy.min_groove_bars)
        self.fills = FillWriter(codebook)

    def decide(self, scores: SongScores, n_takes: int = 1, temperature: float = 0.0,
               rng: np.random.Generator | None = None,
               steering: Steering | None = None, options: GenerationOptions | None = None, swung: bool = False,
               grid: Grid | None = None) -> list[Take]:
        """`n_takes` distinct takes, the first being the model's own choice (within what `steering` asks), each
        decided to its last take step under `options`' controls (density, crashes, cymbal, dynamics; a song that
        swings by its own reading, `swung`, on `grid`, gets the swung time-keeping), so that takes are told apart as
        they are written. Take 1 never depends on later takes: deciding one take gives the same
        take 1 as deciding four."""
        steering = steering or Steering()
        p, structure = calibrated(scores, self.policy)
        given = steering.continuation  # the take steps read every loop bar the user gave, as the render's copies do
        steering = steering.replace(continuation=continuation.fitted(given, p))
        floor = take_floor(scores, p)
        options = options or GenerationOptions()
        # swung as written, off-beat notes move onto 16ths the takes share: they must differ more as decided
        limit = TAKE_MAX_SIMILARITY - (SWUNG_TAKE_MARGIN if swung or (options.swing or 0.5) > 0.5 else 0.0)
        takes: list[Take] = []
        for index in range(n_takes):
            take = None
            if index and steering.refine_adds:
                # the cheapest difference: take 1's decision with its k-th pair of swaps (groove.variations), larger
                # slices where the take steps make it too alike; a style's takes keep its grooves' character by
                # choosing other grooves of the style instead
                for share in SWAP_SLICE_SHARES:
                    take = self._take(scores, p, structure, [], temperature, rng, True, steering,
                                      Finish(options, p, scores, 0.0, floor, swung=swung, grid=grid,
                                             continuation=given, swap=index, swap_share=share))
                    if distinct(take, takes, limit):
                        break
                if take is not None and distinct(take, takes, limit):
                    takes.append(take)
                    continue
            avoid = [t.section_grooves for t in takes]
            for attempt in range(_TAKE_ATTEMPTS):
                # later takes: first as decided, then without per-step refinement (which adds the same likely cells
                # to every take), then pushed away from what the failed attempt chose too
                refine = index == 0 or attempt == 0
                # a later take is a reading of the song, not a sketch: about as busy as take 1 (a style's takes keep
                # their grooves' character, as its refinement adds no cells)
                # (take 1's hits before --density: the later take's density step then makes it as busy as asked)
                later_floor = (LATER_TAKE_FLOOR * takes[0].n_hits / (takes[0].density_reached or 1.0)
                               if takes and steering.refine_adds else 0.0)
                finish = Finish(options, p, scores, later_floor, floor, swung=swung, grid=grid,
                                continuation=given)
                take = self._take(scores, p, structure, avoid, temperature, rng, refine, steering, finish)
                if distinct(take, takes, limit):
                    break
                if attempt >= 1:
                    avoid = avoid + [take.section_grooves]
            if take is not None and not distinct(take, takes, limit):
                # the codebook has no other groove for these bars (odd meters): the same grooves on the other
                # time-keeping voice, else no take at all; never a copy (the caller says fewer were written)
                take = varied_take(take, takes, p, scores, take_similarity,
                                   functools.partial(keep_asked, finish=finish))
                if take is None:
                    break
            takes.append(take)
        return takes

    def _take(self, scores: SongScores, p: np.ndarray, structure: np.ndarray, avoid: list[dict[int, int]],
              temperature: float, rng: np.random.Generator | None, refine: bool,
              steering: Steering, finish: Finish) -> Take:
        """One take (`groove.decide`): the grooves chosen over the whole song (its sections, the Viterbi) in rounds
        of Dinkelbach's iteration, each followed by the groove rules; the structure rules; the take steps."""
        labels = bar_labels(scores.sections, scores.first_bar, scores.n_bars)
        policy = self.policy if refine else self.policy.replace(refine_margin=1.0)  # 1: no per-cell refinement
        context = BarContext(structure, policy, steering, bass_silence(scores), scores=scores, p=p, labels=labels,
                             codebook=self.codebook, grooves=self.grooves, fills=self.fills,
                             scale=self.policy.threshold_scale(steering))
        chooser = SongChooser(self.grooves, self.policy, labels, avoid, temperature, rng)
        edges = structure_edges(scores, self.policy.crash_phrase_bars)
        return decide(chooser, context, edges, finish).take

    def apply_structure(self, hits: np.ndarray, p: np.ndarray, decided: np.ndarray, scores: SongScores,
                        lam: float, tom_fills: np.ndarray | None = None) -> None:
        """Play the decided rests, fills and crashes (n, 3) on a take's hits (n, S, 9) in place, then its ending
        (calibration replays a take's structure variants through this); `tom_fills` (n,): the fills that may play
        toms (groove.kit `tom_fills`; None: all)."""
        self.fills.apply(hits, p, decided, scores, lam, tom_fills=tom_fills)


class SongChooser:
    """Offline, each bar's codebook entry chosen over the whole song: its gains under lambda (the user's drums
    steered in), each section's groove (a later take avoiding the earlier takes'), then the Viterbi with the section
    and stay bonuses; a temperature's noise drawn once per take."""

    def __init__(self, grooves: GrooveGains, policy: DecodingPolicy, labels: np.ndarray, avoid: list[dict[int, int]],
                 temperature: float, rng: np.random.Generator | None) -> None:
        self.grooves, self.policy, self.labels, self.avoid = grooves, policy, labels, avoid
        self.temperature, self.rng = temperature, rng
        self.rounds = DECISION_ROUNDS
        self.past = Past()  # offline, the song from its first bar
        self.section_grooves: dict[int, int] = {}
        self.noise: np.ndarray | None = None

    def again(self) -> SongChooser:
        return SongChooser(self.grooves, self.policy, self.labels, self.avoid, self.temperature, self.rng)

    def choose(self, context: BarContext) -> np.ndarray:
        scores, p, steering = context.scores, context.p, context.steering
        gains = self.grooves.gains(p, scores.bar_steps, context.threshold, later_take=bool(self.avoid),
                                   allowed=steering.allowed)
        gains = continuation.steer_gains(gains, p, context.threshold, steering.continuation)
        if not context.rests_allowed:
            gains[:, self.grooves.sizes == 0] = -np.inf
        self.section_grooves = self.grooves.section_grooves(gains, scores, self.avoid, p)
        if self.temperature > 0 and self.rng is not None and self.noise is None:
            finite = gains[np.isfinite(gains)]
            spread = float(finite.std()) if finite.size > 1 and finite.std() > 0 else 1.0
            # drawn for the learned entries, as many draws whatever groove.vocabulary appends (zero noise there)
            learned = int(np.count_nonzero(~self.grooves.codebook.designed))
            self.noise = np.zeros(gains.shape)
            self.noise[:, :learned] = self.temperature * spread * self.rng.gumbel(size=(len(gains), learned))
        # take 1 holds its grooves as tuned; a later take plays the groove chosen for it in every bar of the
        # section (rests, crashes and fills still come from their own decisions)
        bonus = self.policy.section_bonus if not self.avoid else _FORCED
        return viterbi(gains, self.labels, self.section_grooves, bonus, self.policy.stay_bonus, self.noise)


def keep_asked(take: Take, finish: Finish) -> None:
    """A variation of a take kept to what the musician asked: no crash under `--crashes none`, time kept on the
    cymbal `--cymbal` names (a variation's other voice must not undo it)."""
    crashes_none(take, finish)
    cymbal(take, finish)


def take_floor(scores: SongScores, p: np.ndarray) -> float:
    """The fewest hits a take may have before it is decided again without rests: a hit per bar the guitar plays,
    and MIN_EXPECTED_HIT_SHARE of the hits the model expects (the calibrated probabilities p summed)."""
    return max(MIN_HITS_PER_PLAYING_BAR * int(scores.guitar_plays.sum()), MIN_EXPECTED_HIT_SHARE * float(p.sum()))


def distinct(take: Take, takes: list[Take], limit: float = TAKE_MAX_SIMILARITY) -> bool:
    """Whether `take` shares under `limit` of its cells (cell F1) with every take of `takes`."""
    return not takes or max(take_similarity(take.hits, t.hits) for t in takes) < limit


def take_similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Cell F1 between two takes' hits (any shape); 1 when both are empty."""
    matched = float((a & b).sum())
    total = float(a.sum() + b.sum())
    return 2 * matched / total if total else 1.0
