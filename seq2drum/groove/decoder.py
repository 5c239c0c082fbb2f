"""How drums are chosen from the groove model's scores: calibration, the expected-F1 decision rule, holding the
groove, structure (rests, crashes, fills), per-step refinement, the ending, and distinct takes.

The drums are scored by F1 over (step, drum class) cells, so each bar is chosen to maximise *expected* F1 under the
model's calibrated per-cell probabilities, not to be the most likely bar. With p the probability that a cell is hit,
a song's expected F1 is close to 2 sum(p over the cells played) / (cells played + sum(p over all cells)), and the
cells worth playing are those with p above lambda = F1* / 2 (Dinkelbach's iteration finds lambda in a few rounds).
A codebook entry's gain in a bar is then sum(p - lambda) over its cells. When the model knows little, the cells
above lambda are the ones every drummer plays (the backbeat), so the rule falls back to the loop by itself; it
leaves the loop only where the probabilities, calibrated on validation songs, say the song asks for it.

On top of the per-bar gains, a Viterbi pass holds the groove: staying on the same entry from bar to bar earns
`stay_bonus`, and each section's own groove (the entry with the highest summed gain over the bars of its label,
so a chorus that comes back gets its groove back) earns `section_bonus`. Only entries played often enough in
training (`min_groove_bars`) are chosen. Then, per bar: a rest, a crash on the downbeat and a fill closing the bar
where its calibrated probability passes its threshold, a lower one at its edge (a bar the guitar leaves silent, a
section's first bar, a section's last bar); cells far above or below lambda are added or dropped (`refine_margin`);
the guitar's last onset gets kick and crash and nothing plays after it.

Takes: take 1 is this decision. Take k gives each section the best groove whose pattern differs from every earlier
take's groove for it (pattern F1 below `TAKE_MAX_SIMILARITY`), decided the same way otherwise.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np

from seq2drum.midi.drums import CRASH, HIGH_TOM, KICK, LOW_TOM, MID_TOM, NUM_DRUM_CLASSES, SNARE
from seq2drum.groove.codebook import GrooveCodebook, pattern_f1
from seq2drum.song.sections import Section

TAKE_MAX_SIMILARITY = 0.8  # cell F1 between two takes stays below this
_TAKE_ATTEMPTS = 4
_FORCED = 1e6  # a section bonus no gain can outweigh
TAKES_MIN_GROOVE_BARS = 20  # later takes may choose any codebook entry played at least this often in training
MIN_HITS_PER_PLAYING_BAR = 1.0
MIN_EXPECTED_HIT_SHARE = 0.4  # of the sum of the calibrated hit probabilities: the drummer's expected hit count
LATER_TAKE_DENSITY = 0.5  # a later take's groove has at least this share of the hits the model expects per bar
# a later take plays at least this share of the first take's hits. Not of the hits the model expects when take 1 plays
# more: the model underestimates dense drummers, and over 660 out-of-fold songs that floor left 9 songs with a take
# under a third of the drummer's hits against 6, and later takes 0.006 lower in mean F1 (best of 4: +0.002)
LATER_TAKE_FLOOR = 0.9
_DINKELBACH_ROUNDS = 3


@dataclass(frozen=True)
class DecodingPolicy:
    """The decision rule's settings: calibration of the network's scores and the choices tuned on validation songs.
    Saved in the checkpoint, so every model decodes the way it was tuned."""

    hit_scale: tuple[float, ...] = (1.0,) * NUM_DRUM_CLASSES  # calibrated logit = scale * logit + bias, per class
    hit_bias: tuple[float, ...] = (0.0,) * NUM_DRUM_CLASSES
    structure_scale: tuple[float, ...] = (1.0, 1.0, 1.0)  # rest, crash, fill
    structure_bias: tuple[float, ...] = (0.0, 0.0, 0.0)
    stay_bonus: float = 0.5  # in units of expected matched cells, for keeping the previous bar's entry
    section_bonus: float = 0.5  # for playing the section's groove
    refine_margin: float = 0.25  # add a cell with p > lambda + margin, drop one with p < lambda - margin
    min_groove_bars: int = 0  # only codebook entries that at least this many training bars were assigned to
    # A bar rests, crashes on its downbeat or closes with a fill where its calibrated probability passes its
    # threshold; at that structure's edge (a bar the guitar leaves silent for a rest, a section's first bar for a
    # crash, its last bar for a fill) the `*_edge_threshold` applies when it is the lower one.
    rest_threshold: float = 0.5
    crash_threshold: float = 0.5
    fill_threshold: float = 0.5
    rest_edge_threshold: float = 0.5
    crash_edge_threshold: float = 0.5
    fill_edge_threshold: float = 0.5

    def to_dict(self) -> dict[str, Any]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(self).items()}

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> DecodingPolicy:
        values = dict(values)
        if "crash_edge_threshold" not in values:  # tuned before crashes and fills could fall inside a section:
            for name in ("crash", "fill"):  # its thresholds held at section edges only, and rests anywhere
                values[f"{name}_edge_threshold"] = values.pop(f"{name}_threshold", 0.5)
                values[f"{name}_threshold"] = 1.0
            values["rest_edge_threshold"] = 1.0
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in values.items()})

    def replace(self, **changes: Any) -> DecodingPolicy:
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True)
class Steering:
    """What a musician asked of the decision (seq2drum/groove/controls.py builds it from the options); the defaults are the
    model's own choice."""

    allowed: np.ndarray | None = None  # (K,) bool: the codebook entries grooves may be chosen from (a style)
    lambda_scale: float = 1.0  # the threshold lambda grooves, cells and fills are chosen against is scaled by this
    fill_bars: np.ndarray | None = None  # (n,) bool: the bars that close with a fill, instead of the model's call
    refine_adds: bool = True  # False: per-cell refinement only drops cells (a style keeps its grooves' character)


@dataclass
class SongScores:
    """The network's output for one song, as numpy (n bars, S steps per bar, K codebook entries)."""

    hit_logits: np.ndarray  # (n, S, 9)
    velocity: np.ndarray  # (n, S, 9) MIDI velocity 1-127
    offset: np.ndarray  # (n, S, 9) steps
    structure_logits: np.ndarray  # (n, 3)
    bar_steps: np.ndarray  # (n,)
    beat_steps: np.ndarray  # (n,)
    guitar_plays: np.ndarray  # (n,) bool
    sections: list[Section]
    first_bar: int
    last_onset: tuple[int, int]  # (bar row, step in bar) of the guitar's last onset
    groove_logits: np.ndarray | None = None  # (n, K) the groove head, -inf on entries of another length

    @property
    def n_bars(self) -> int:
        return len(self.bar_steps)

    def step_mask(self) -> np.ndarray:
        """(n, S) bool: steps inside their bar."""
        return np.arange(self.hit_logits.shape[1])[None, :] < self.bar_steps[:, None]


@dataclass
class Take:
    """One decided drum part, per bar."""

    hits: np.ndarray  # (n, S, 9) bool
    velocity: np.ndarray  # (n, S, 9) uint8
    offset: np.ndarray  # (n, S, 9) float32
    grooves: np.ndarray  # (n,) codebook entry each bar is built on, -1 where none (rest, unknown length)
    section_grooves: dict[int, int]  # section label -> its groove
    expected_f1: float
    structure: np.ndarray  # (n, 3) bool decided rests, crashes, fills
    threshold: float  # lambda: the probability above which a cell was worth playing

    @property
    def n_hits(self) -> int:
        return int(self.hits.sum())


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -30, 30)))


def calibrated(scores: SongScores, policy: DecodingPolicy) -> tuple[np.ndarray, np.ndarray]:
    """(n, S, 9) hit probabilities (0 outside each bar) and (n, 3) structure probabilities, after calibration."""
    p = _sigmoid(scores.hit_logits * np.asarray(policy.hit_scale) + np.asarray(policy.hit_bias))
    p = np.where(scores.step_mask()[:, :, None], p, 0.0)
    structure = _sigmoid(scores.structure_logits * np.asarray(policy.structure_scale) + np.asarray(policy.structure_bias))
    return p, structure


class Decoder:
    """Decides takes for songs with one codebook and policy (no torch here: the network's scores come in)."""

    def __init__(self, codebook: GrooveCodebook, policy: DecodingPolicy) -> None:
        self.codebook = codebook
        self.policy = policy
        self._flat = codebook.patterns.reshape(len(codebook), -1).astype(np.float32)
        self._sizes = self._flat.sum(axis=1)
        # rare entries are often busy one-off bars that happen to match hedged probabilities cell by cell; a bar
        # drummers play often is the musical choice (the empty bar always stays: resting is a choice). Later takes
        # look further (down to TAKES_MIN_GROOVE_BARS), or a strict limit would leave them nothing different to play.
        # The limit is capped per bar length at its most played entry, so rarer meters (7/8, 5/4) keep a groove.
        most_played = {n: codebook.counts[codebook.bar_steps == n].max() for n in np.unique(codebook.bar_steps)}
        limit = np.array([min(policy.min_groove_bars, most_played[n]) for n in codebook.bar_steps.tolist()])
        often = codebook.counts >= limit if len(codebook) else np.zeros(0, dtype=bool)
        self._playable = often | (self._sizes == 0)
        self._similarity: dict[int, np.ndarray] = {}  # pattern F1 among the entries of one length, by first entry
        self._fills: dict[tuple[int, int], np.ndarray] = {}  # fill beats by (bar steps, beat steps)
        self._playable_for_takes = (often | (codebook.counts >= TAKES_MIN_GROOVE_BARS) | (self._sizes == 0)
                                    | (codebook.menu_rank >= 0))

    # ------------------------------------------------------------------------------------------ gains

    def gains(self, p: np.ndarray, bar_steps: np.ndarray, lam: float, later_take: bool = False,
              allowed: np.ndarray | None = None) -> np.ndarray:
        """(n, K) expected gain of each entry in each bar: sum of (p - lambda) over its cells; -inf where the entry
        does not fit the bar's length or is not played often enough to be chosen (or not `allowed`, when given)."""
        playable = self._playable_for_takes if later_take else self._playable
        playable = playable if allowed is None else allowed
        n = len(p)
        gains = np.full((n, len(self.codebook)), -np.inf, dtype=np.float64)
        flat = (p - lam).reshape(n, -1).astype(np.float32)
        for length in np.unique(bar_steps):
            rows = np.flatnonzero(bar_steps == length)
            entries = self.codebook.entries_of_length(int(length))
            entries = entries[playable[entries]]
            if len(entries):
                gains[np.ix_(rows, entries)] = flat[rows] @ self._flat[entries].T
        return gains

    def section_grooves(self, gains: np.ndarray, scores: SongScores, avoid: list[dict[int, int]],
                        p: np.ndarray) -> dict[int, int]:
        """Section label -> the entry with the highest summed gain over the playing bars of that label, among
        entries whose pattern differs enough from what earlier takes gave that label (p: the calibrated hit
        probabilities, (n, S, 9))."""
        chosen: dict[int, int] = {}
        labels = _bar_labels(scores.sections, scores.first_bar, scores.n_bars)
        for label in np.unique(labels):
            rows = np.flatnonzero((labels == label) & scores.guitar_plays)
            if len(rows) == 0:
                rows = np.flatnonzero(labels == label)
            lengths, counts = np.unique(scores.bar_steps[rows], return_counts=True)
            length = int(lengths[np.argmax(counts)])
            rows = rows[scores.bar_steps[rows] == length]
            entries = self.codebook.entries_of_length(length)
            if len(entries) == 0:
                continue
            total = gains[np.ix_(rows, entries)].sum(axis=0)
            expected_hits = float(p[rows].sum(axis=(1, 2)).mean()) if avoid else 0.0
            nonempty = self._sizes[entries] > 0
            distinct = np.ones(len(entries), dtype=bool)
            for earlier in avoid:
                if int(label) in earlier:
                    similarity = pattern_f1(self._flat[entries], self._flat[[earlier[int(label)]]])[:, 0]
                    distinct &= similarity < TAKE_MAX_SIMILARITY
            # never the empty bar; a later take chooses a groove distinct from earlier takes and not much sparser
            # than the drums expected there (a take that differs by leaving most of the song out is no reading of
            # it), first among those the groove head can score, else from the codebook's menu of loops (the few
            # grooves that between them cover the training songs best); then any distinct groove; then any
            dense = nonempty & (self._sizes[entries] >= LATER_TAKE_DENSITY * expected_hits)
            if avoid and scores.groove_logits is not None:
                playable = np.isfinite(total) & nonempty  # what gains() lets a later take play
                allowed = next((mask for mask in (playable & dense & distinct, playable & distinct) if mask.any()), None)
                if allowed is not None:
                    previous = [earlier[int(label)] for earlier in avoid if int(label) in earlier]
                    coverage = self._coverage(scores.groove_logits[np.ix_(rows, entries)], entries, previous)
                    chosen[int(label)] = int(entries[int(np.argmax(np.where(allowed, coverage, -np.inf)))])
                    continue
            menu = (self.codebook.menu_rank[entries] >= 0) & bool(avoid)
            allowed = next((mask for mask in (menu & dense & distinct, dense & distinct, menu & distinct,
                                              nonempty & distinct, nonempty) if mask.any()), None)
            if allowed is None:
                continue
            chosen[int(label)] = int(entries[int(np.argmax(np.where(allowed, total, -np.inf)))])
        return chosen

    def _coverage(self, groove_logits: np.ndarray, entries: np.ndarray, previous: list[int]) -> np.ndarray:
        """(len(entries),) for each candidate groove c, the expected best pattern F1 the takes reach once c joins
        them: sum over entries g of P(the drummer plays g) * max(F1(c, g), F1 of the earlier takes' best with g), with
        P the groove head's softmax over `entries`, averaged over the section's bars (`groove_logits` (rows, E)).
        Per-cell probabilities blur a song's alternative grooves into one hedge; the groove head keeps them apart,
        so later takes cover the readings the model finds likely instead of the runners-up of one average."""
        z = groove_logits - groove_logits.max(axis=1, keepdims=True)
        posterior = np.exp(z)
        posterior = (posterior / posterior.sum(axis=1, keepdims=True)).mean(axis=0)  # (E,)
        key = int(entries[0]) if len(entries) else -1
        if key not in self._similarity:
            self._similarity[key] = pattern_f1(self._flat[entries], self._flat[entries])
        similarity = self._similarity[key]  # (E, E)
        earlier = np.isin(entries, previous)
        reached = similarity[earlier].max(axis=0) if earlier.any() else np.zeros(len(entries))
        return (np.maximum(similarity, reached[None, :]) * posterior[None, :]).sum(axis=1)

    def viterbi(self, gains: np.ndarray, labels: np.ndarray, section_grooves: dict[int, int], bonus: float,
                noise: np.ndarray | None = None) -> np.ndarray:
        """(n,) entry per bar maximising sum of gains + bonus for the section's groove + stay bonus for repeats."""
        n, k = gains.shape
        score = gains.copy()
        for label, entry in section_grooves.items():
            score[labels == label, entry] += bonus
        if noise is not None:
            score += noise
        stay = self.policy.stay_bonus
        # a bar no entry fits (a length the codebook lacks) is a break in the chain: the path's score carries over it
        # unchanged, so the bars after it are decided as any others (its own entry is -1, played cell by cell)
        playable = np.isfinite(score).any(axis=1)
        best = np.full((n, k), -np.inf)
        stays = np.zeros((n, k), dtype=bool)  # True: stayed on the entry; False: came from the previous bar's best
        best[0] = score[0] if playable[0] else 0.0
        leaders = [int(np.argmax(best[0]))]
        stayed = np.empty(k)
        for i in range(1, n):  # about ten numpy calls a bar, written in place
            previous_best = best[i - 1, leaders[-1]]
            if not playable[i]:
                best[i] = previous_best
                leaders.append(leaders[-1])
                continue
            np.add(best[i - 1], stay, out=stayed)
            np.greater(stayed, previous_best, out=stays[i])
            np.add(np.where(stays[i], stayed, previous_best), score[i], out=best[i])
            leaders.append(int(best[i].argmax()))
        path = np.zeros(n, dtype=np.int64)
        path[-1] = leaders[-1]
        for i in range(n - 1, 0, -1):
            path[i - 1] = path[i] if stays[i, path[i]] else leaders[i - 1]
        valid = np.isfinite(gains[np.arange(n), path])
        return np.where(valid, path, -1)

    # ------------------------------------------------------------------------------------------ takes

    def decide(self, scores: SongScores, n_takes: int = 1, temperature: float = 0.0,
               rng: np.random.Generator | None = None, allow_rests: bool = True,
               steering: Steering | None = None) -> list[Take]:
        """`n_takes` distinct takes, the first being the model's own choice (within what `steering` asks)."""
        steering = steering or Steering()
        p, structure = calibrated(scores, self.policy)
        floor = take_floor(scores, p)
        takes: list[Take] = []
        for index in range(n_takes):
            avoid = [t.section_grooves for t in takes]
            for attempt in range(_TAKE_ATTEMPTS):
                # later takes: first as decided, then without per-step refinement (which adds the same likely cells
                # to every take), then pushed away from what the failed attempt chose too
                refine = index == 0 or attempt == 0
                take = self._take(scores, p, structure, avoid, temperature, rng, allow_rests, refine, steering)
                if take.n_hits < floor and allow_rests:  # resting too much: a near-silent take is no take
                    take = self._take(scores, p, structure, avoid, temperature, rng, False, refine, steering)
                if not takes or max(take_similarity(take.hits, t.hits) for t in takes) < TAKE_MAX_SIMILARITY:
                    break
                if attempt >= 1:
                    avoid = avoid + [take.section_grooves]
            if takes and steering.refine_adds:  # a reading of the song, not a sketch: about as busy as take 1 (a
                # style's takes keep their grooves' character, as its refinement adds no cells)
                self._densify(take, p, scores, LATER_TAKE_FLOOR * takes[0].n_hits)
            takes.append(take)
        return takes

    def _take(self, scores: SongScores, p: np.ndarray, structure: np.ndarray, avoid: list[dict[int, int]],
              temperature: float, rng: np.random.Generator | None, allow_rests: bool, refine: bool = True,
              steering: Steering = Steering()) -> Take:
        policy = self.policy
        scale = steering.lambda_scale
        mask = scores.step_mask()
        labels = _bar_labels(scores.sections, scores.first_bar, scores.n_bars)
        total_p = float(p.sum())
        lam = 0.3
        noise = None
        for _ in range(_DINKELBACH_ROUNDS):
            gains = self.gains(p, scores.bar_steps, lam * scale, later_take=bool(avoid), allowed=steering.allowed)
            if not allow_rests:
                gains[:, self._sizes == 0] = -np.inf
            grooves_by_label = self.section_grooves(gains, scores, avoid, p)
            if temperature > 0 and rng is not None and noise is None:
                finite = gains[np.isfinite(gains)]
                spread = float(finite.std()) if finite.size > 1 and finite.std() > 0 else 1.0
                noise = temperature * spread * rng.gumbel(size=gains.shape)
            # take 1 holds its grooves as tuned; a later take plays the groove chosen for it in every bar of the
            # section (rests, crashes and fills still come from their own decisions below)
            path = self.viterbi(gains, labels, grooves_by_label, policy.section_bonus if not avoid else _FORCED, noise)
            hits = np.zeros(p.shape, dtype=bool)
            rows = np.flatnonzero(path >= 0)
            hits[rows] = self.codebook.patterns[path[rows]]
            unknown = path < 0  # a bar length the codebook lacks: the cells worth playing, one by one
            hits[unknown] = p[unknown] > lam * scale
            if refine and policy.refine_margin < 1.0:
                hits |= (p > (lam + policy.refine_margin) * scale) & mask[:, :, None] & steering.refine_adds
                hits &= ~(p < lam * scale - policy.refine_margin)
            played = float(p[hits].sum())
            expected_f1 = 2 * played / max(1e-9, hits.sum() + total_p)
            lam = expected_f1 / 2
        decided = structure_decisions(self.policy, structure, structure_edges(scores), allow_rests, steering.fill_bars)
        self.apply_structure(hits, p, decided, scores, lam * scale)
        velocity = np.clip(np.round(scores.velocity), 1, 127).astype(np.uint8) * hits
        offset = np.where(hits, scores.offset, 0.0).astype(np.float32)
        played = float(p[hits].sum())
        return Take(hits, velocity.astype(np.uint8), offset, path, grooves_by_label,
                    2 * played / max(1e-9, hits.sum() + total_p), decided, lam * scale)

    def apply_structure(self, hits: np.ndarray, p: np.ndarray, decided: np.ndarray, scores: SongScores,
                        lam: float) -> None:
        """Play the decided rests, fills and crashes (n, 3) on a take's hits (n, S, 9) in place, then its ending."""
        hits[decided[:, 0]] = False
        width = hits.shape[1]
        for row in np.flatnonzero(decided[:, 2]):
            self._fill(hits, p, row, min(width, int(scores.bar_steps[row])), int(scores.beat_steps[row]), lam)
        # the crash joins the bar's downbeat with a kick; the hi-hat stays where the groove has it (a third of the
        # data's crash downbeats keep it, as a foot on the pedal does), which costs less when a crash is wrong:
        # +0.0017 mean song F1 over 256 out-of-fold songs at the same crash F1 than taking the hat away
        hits[decided[:, 1], 0, CRASH] = True
        hits[decided[:, 1], 0, KICK] = True
        self._ending(hits, scores)
        hits &= scores.step_mask()[:, :, None]

    @staticmethod
    def _densify(take: Take, p: np.ndarray, scores: SongScores, target: float) -> None:
        """Add the likeliest cells the take leaves out, in the bars where it plays and the guitar plays, until it has
        `target` hits (a later take whose distinct grooves are sparse, as in meters with few common grooves)."""
        missing = int(np.ceil(target)) - take.n_hits
        if missing <= 0:
            return
        bar_bound = scores.last_onset[0]
        open_cells = (~take.hits) & scores.step_mask()[:, :, None]
        open_cells &= (scores.guitar_plays & ~take.structure[:, 0])[:, None, None]
        open_cells[bar_bound + 1 :] = False
        if 0 <= bar_bound < len(open_cells):
            open_cells[bar_bound, scores.last_onset[1]:] = False
        candidates = np.flatnonzero(open_cells.ravel())
        if len(candidates) == 0:
            return
        chosen = candidates[np.argsort(-p.ravel()[candidates], kind="stable")[:missing]]
        take.hits.ravel()[chosen] = True
        take.velocity.ravel()[chosen] = np.clip(np.round(scores.velocity.ravel()[chosen]), 1, 127).astype(np.uint8)
        take.offset.ravel()[chosen] = scores.offset.ravel()[chosen]

    def _fill_beats(self, n_steps: int, beat: int) -> np.ndarray:
        """(F, beat, 9) bool: the last beats of the codebook entries of this length that are fills (toms, or 3+ snare
        hits), computed once per bar shape."""
        key = (n_steps, beat)
        if key not in self._fills:
            start = max(0, n_steps - beat)
            entries = self.codebook.entries_of_length(n_steps)
            region = (self.codebook.patterns[entries, start:n_steps] if len(entries)
                      else np.zeros((0, n_steps - start, NUM_DRUM_CLASSES), dtype=bool))
            is_fill = region[:, :, [LOW_TOM, MID_TOM, HIGH_TOM]].any(axis=(1, 2)) | (region[:, :, SNARE].sum(axis=1) >= 3)
            self._fills[key] = region[is_fill]
        return self._fills[key]

    def _fill(self, hits: np.ndarray, p: np.ndarray, row: int, n_steps: int, beat: int, lam: float) -> None:
        """Replace the bar's last beat with the fill the model expects most there: the last beat of the codebook
        entry of this length whose last beat is a fill (toms, or 3+ snare hits) with the highest gain over that
        beat; a tom run when the codebook has none."""
        start = max(0, n_steps - beat)
        candidates = self._fill_beats(n_steps, beat)
        if len(candidates):
            gain = (candidates * (p[row, start:n_steps] - lam)[None]).sum(axis=(1, 2))
            hits[row, start:n_steps] = candidates[int(np.argmax(gain))]
            return
        hits[row, start:n_steps] = False
        toms = (HIGH_TOM, HIGH_TOM, MID_TOM, MID_TOM, LOW_TOM, LOW_TOM)
        for i, step in enumerate(range(start, n_steps)):
            hits[row, step, toms[min(i * len(toms) // max(1, n_steps - start), len(toms) - 1)]] = True
        hits[row, start, KICK] = True

    @staticmethod
    def _ending(hits: np.ndarray, scores: SongScores) -> None:
        """Nothing after the guitar's last onset; kick and crash on it (the last chord gets its ending)."""
        bar, step = scores.last_onset
        if not 0 <= bar < len(hits):
            return
        hits[bar, step + 1 :] = False
        hits[bar + 1 :] = False
        hits[bar, step] = False
        hits[bar, step, [KICK, CRASH]] = True


def _bar_labels(sections: list[Section], first_bar: int, n_bars: int) -> np.ndarray:
    """(n,) section label of every bar (-1 where no section covers it)."""
    labels = np.full(n_bars, -1, dtype=np.int64)
    for section in sections:
        labels[max(0, section.start_bar - first_bar) : max(0, section.end_bar - first_bar)] = section.label
    return labels


def structure_decisions(policy: DecodingPolicy, structure: np.ndarray, edges: np.ndarray, allow_rests: bool = True,
                        fill_bars: np.ndarray | None = None) -> np.ndarray:
    """(n, 3) bool rests, crashes and fills: where each calibrated probability (n, 3) passes its threshold, the
    lower edge threshold at its edges (n, 3) (see `structure_edges`); `fill_bars` overrides the fills. A bar that
    rests neither crashes nor fills."""
    decided = np.zeros(structure.shape, dtype=bool)
    for column, (anywhere, at_edge) in enumerate(((policy.rest_threshold, policy.rest_edge_threshold),
                                                  (policy.crash_threshold, policy.crash_edge_threshold),
                                                  (policy.fill_threshold, policy.fill_edge_threshold))):
        decided[:, column] = structure[:, column] > np.where(edges[:, column], min(anywhere, at_edge), anywhere)
    if fill_bars is not None:
        decided[:, 2] = fill_bars
    decided[:, 0] &= allow_rests
    decided[:, 1:] &= ~decided[:, [0]]
    return decided


def take_floor(scores: SongScores, p: np.ndarray) -> float:
    """The fewest hits a take may have before it is decided again without rests: a hit per bar the guitar plays,
    and MIN_EXPECTED_HIT_SHARE of the hits the model expects (the calibrated probabilities p summed)."""
    return max(MIN_HITS_PER_PLAYING_BAR * int(scores.guitar_plays.sum()), MIN_EXPECTED_HIT_SHARE * float(p.sum()))


def structure_edges(scores: SongScores) -> np.ndarray:
    """(n, 3) bool per bar, where each structure's edge threshold applies: as a drummer does, the drums drop out
    where the guitar does, a crash marks the first bar of a section, a fill closes its last bar."""
    starts, ends = section_edges(scores.sections, scores.first_bar, scores.n_bars)
    return np.stack([~scores.guitar_plays, starts, ends], axis=1)


def section_edges(sections: list[Section], first_bar: int, n_bars: int) -> tuple[np.ndarray, np.ndarray]:
    """(n,) bool each: the first bar of every section, and the last bar of every section of two bars or more."""
    starts = np.zeros(n_bars, dtype=bool)
    ends = np.zeros(n_bars, dtype=bool)
    for section in sections:
        start, end = section.start_bar - first_bar, section.end_bar - first_bar
        if 0 <= start < n_bars:
            starts[start] = True
        if section.n_bars >= 2 and 0 < end <= n_bars:
            ends[end - 1] = True
    return starts, ends


def take_similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Cell F1 between two takes' hits (any shape); 1 when both are empty."""
    matched = float((a & b).sum())
    total = float(a.sum() + b.sum())
    return 2 * matched / total if total else 1.0

