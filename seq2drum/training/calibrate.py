"""Fit the decoding policy of a trained model on its validation songs, and write it into the checkpoint.

1. Calibration: Platt scaling per drum class and structure head on the validation songs' real hits, since
   expected F1 is only worth deciding by when the probabilities mean what they say.
2. The groove prior (stay and section bonuses, refinement margin, how often an entry must have been played), by
   coordinate search on take 1's mean song F1, with no rest, crash or fill forced.
3. Structure thresholds: for rests, crashes and fills, the pair (anywhere, at the edge) with the best F1 over bars
   among those costing mean song F1 at most `STRUCTURE_F1_BUDGET`; a crash on every section's first bar is a rule
   (`FIXED_EDGE_THRESHOLDS`). Thresholds best for structure alone put the model below the loop: a fill replaces a
   beat of groove, a wrong rest silences a bar. Figures: docs/experiments/decoding-constants.md.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch.nn import functional as F

from seq2drum.groove import (CRASH_COLUMN, Decoder, DecodingPolicy, FILL_COLUMN, GrooveCodebook, KICK, KitCount,
                             REST_COLUMN, STRUCTURE_COLUMNS, SongScores, Steering, Take, bar_structure, bass_silence,
                             calibrated, calibrated_logits, drummed_structure, song_edges, steered_takes,
                             structure_decisions, take_floor, tom_fills)
from seq2drum.song.bars import BarSong
from seq2drum.evaluation.metrics import match_hits

STAY_BONUS_GRID = (0.0, 0.5, 1.0, 2.0, 4.0)
SECTION_BONUS_GRID = (0.0, 0.5, 1.0, 2.0, 4.0)
# 1.0 = never refine. Margins under 0.2 were left out: they turn the chosen bar into per-cell thresholding of hedged
# probabilities (kick and snare on every eighth in the example song), which scored a little higher on the songs the
# decoding is tuned on and no higher on a held-out cross-validation fold.
REFINE_MARGIN_GRID = (0.2, 0.3, 0.45, 1.0)
MIN_GROOVE_BARS_GRID = (0, 50, 200, 500, 1000)
STRUCTURE_NAMES = STRUCTURE_COLUMNS
# the calibrated structure probabilities crowd between 0.1 and 0.3, where fill F1 changes fast with the threshold
# (docs/experiments/decoding-constants.md), hence the fine steps there
STRUCTURE_THRESHOLD_GRID = (0.05, 0.1, 0.125, 0.15, 0.175, 0.2, 0.225, 0.25, 0.275, 0.3, 0.4, 0.5, 0.7)
STRUCTURE_F1_BUDGET = 0.003  # of mean song F1, that each structure decision may cost on the validation songs
# A structure may be played at most this many times as often as the real drummers do (bars, over all songs), and on
# more than half the bars of at most this many times as many songs as theirs. The crash head knows which songs crash
# a lot better than which bars: the thresholds with the best crash F1 crash on more than half the bars of several
# times as many songs as drummers do (docs/experiments/decoding-constants.md); that is a crash-ride song, not a
# crash marking a section, and a guitarist hears it at once.
STRUCTURE_RATE_LIMIT = 1.3
STRUCTURE_STREAK_LIMIT = 1.5
STRUCTURE_SONG_LOSS_LIMIT = 0.05  # of one song's F1, that a structure decision may cost it
# Edge thresholds that are rules rather than tuned choices. A crash marks every section's first bar: tuned for mean
# song F1, the band model's folds crashed nowhere (2 of 5) or where the head passed 0.1, and 52% of the held-out songs
# of 32+ bars whose drummer crashes in 4+ bars got at most one crash bar; a crash on every section start gave 1.4%,
# pooled crash F1 0.207 -> 0.245, songs crashing on more than half their bars 2.4% (drummers 3.5%), mean song F1
# -0.001 (5-fold CV, ../shared/scoring; docs/experiments/2026-11-24-crashes-on-section-starts.md). The tuner still
# chooses where else the head may crash.
FIXED_EDGE_THRESHOLDS = {"crash": 0.0}
# step biases (`fit_step_bias`) only for bar shapes with this many validation bars, pulled towards 0 by this prior
STEP_BIAS_MIN_BARS = 200
STEP_BIAS_PRIOR = 1.0
# and only for bars of at least this many steps: runs of shorter bars (4/16, 2/8) play grooves across several bars
# (`GrooveGains.short_bar_hits`), which one bias per step of a short bar turned into a snare roll
STEP_BIAS_MIN_STEPS = 8
_NEVER = 1.0  # a threshold no probability passes
# the structures marked where a probability passes a threshold anywhere (crashes follow their own rule)
ANYWHERE_NAMES = ("rest", "fill")
NO_STRUCTURE = {**{f"{name}_edge_threshold": _NEVER for name in STRUCTURE_NAMES},
                **{f"{name}_threshold": _NEVER for name in ANYWHERE_NAMES}, "rest_bass_threshold": _NEVER}
# rests tuned on top of this rule, whatever the budget says: the drums rest where a heard bass is silent (chosen over
# every fold's held-out songs, `DecodingPolicy.rest_bass_threshold`)
FIXED_RULES = {"rest": {"rest_bass_threshold": DecodingPolicy.rest_bass_threshold}}


def _minimised(start: torch.Tensor, loss_of: Callable[[torch.Tensor], torch.Tensor], steps: int = 60) -> torch.Tensor:
    """The parameters from `start` that minimise `loss_of(params)`, by L-BFGS with a strong-Wolfe line search (every
    fit of the calibration)."""
    params = start.detach().clone().to(torch.float64).requires_grad_(True)
    optimizer = torch.optim.LBFGS([params], lr=0.5, max_iter=steps, line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        optimizer.zero_grad()
        loss = loss_of(params)
        loss.backward()
        return loss

    optimizer.step(closure)
    return params.detach()


def fit_platt(logits: np.ndarray, targets: np.ndarray, steps: int = 60) -> tuple[float, float]:
    """Scale and bias (a, b) minimising the cross-entropy of sigmoid(a * logit + b) against targets (both (N,))."""
    if len(logits) == 0 or targets.min() == targets.max():
        return 1.0, 0.0
    x = torch.from_numpy(logits.astype(np.float64))
    y = torch.from_numpy(targets.astype(np.float64))
    params = _minimised(torch.tensor([1.0, 0.0]),
                        lambda v: F.binary_cross_entropy_with_logits(v[0] * x + v[1], y), steps)
    scale, bias = params.tolist()
    if not np.isfinite(scale) or scale <= 0:
        return 1.0, 0.0
    return float(scale), float(bias)


def fit_calibration(scores: list[SongScores], songs: list[BarSong], policy: DecodingPolicy) -> DecodingPolicy:
    """Platt scaling per drum class and per structure head, on the validation songs."""
    logits = np.concatenate([s.hit_logits[s.step_mask()] for s in scores])  # (cells, 9)
    targets = np.concatenate([song.hits[s.step_mask()] for s, song in zip(scores, songs)]).astype(np.float64)
    hit = [fit_platt(logits[:, c], targets[:, c]) for c in range(logits.shape[1])]
    structure_logits = np.concatenate([s.structure_logits for s in scores])
    structure_targets = np.concatenate([drummed_structure(song) for song in songs]).astype(np.float64)
    structure = [fit_platt(structure_logits[:, c], structure_targets[:, c]) for c in range(3)]
    policy = policy.recalibrated(hit_scale=tuple(a for a, _ in hit), hit_bias=tuple(b for _, b in hit),
                                 structure_scale=tuple(a for a, _ in structure),
                                 structure_bias=tuple(b for _, b in structure))
    policy = policy.recalibrated(step_bias=fit_step_bias(scores, songs, policy))
    return policy.recalibrated(kick_bass_bias=fit_kick_bass_bias(scores, songs, policy))


def fit_step_bias(scores: list[SongScores], songs: list[BarSong], policy: DecodingPolicy,
                  min_bars: int = STEP_BIAS_MIN_BARS, prior: float = STEP_BIAS_PRIOR) -> tuple[tuple[float, ...], ...]:
    """Per bar shape (bar steps, beat steps) of `STEP_BIAS_MIN_STEPS` or more steps with `min_bars` validation bars,
    the biases per (step, drum class) on the Platt-scaled hit logits that minimise the cross-entropy of the real hits
    plus `prior` times their squares (a shape seen in few bars keeps biases near 0); rows as `Calibration.step_bias`
    stores them."""
    groups: dict[tuple[int, int], list[tuple[np.ndarray, np.ndarray]]] = {}
    for score, song in zip(scores, songs):
        logits = calibrated_logits(score, policy.recalibrated(step_bias=()), bass=False)
        for length, beat in set(zip(score.bar_steps.tolist(), score.beat_steps.tolist())):
            bars = (score.bar_steps == length) & (score.beat_steps == beat)
            groups.setdefault((length, beat), []).append((logits[bars, :length], song.hits[bars, :length]))
    rows = []
    for (length, beat), parts in sorted(groups.items()):
        if length < STEP_BIAS_MIN_STEPS or sum(len(logit) for logit, _ in parts) < min_bars:
            continue
        x = torch.from_numpy(np.concatenate([logit for logit, _ in parts]).astype(np.float64))
        y = torch.from_numpy(np.concatenate([hits for _, hits in parts]).astype(np.float64))
        params = _minimised(torch.zeros(x.shape[1:]), lambda v, x=x, y=y: (
            F.binary_cross_entropy_with_logits(x + v, y, reduction="sum") + prior * (v ** 2).sum()) / len(x), 100)
        biases = params.numpy().ravel()
        rows.append((float(length), float(beat), *(float(b) for b in biases)))
    return tuple(rows)


def fit_kick_bass_bias(scores: list[SongScores], songs: list[BarSong], policy: DecodingPolicy) -> tuple[float, float]:
    """The two biases on the kick's calibrated logit (where a bass strikes; elsewhere in bars where one does) that
    minimise the cross-entropy of the validation songs' real kicks; (0, 0) when no song has a bass heard."""
    rows = [(calibrated_logits(s, policy, bass=False)[..., KICK], s.bass_onsets,
             song.hits[..., KICK], s.step_mask())
            for s, song in zip(scores, songs) if s.bass_onsets is not None and s.bass_onsets.any()]
    if not rows:
        return (0.0, 0.0)
    x = torch.from_numpy(np.concatenate([logit[mask] for logit, _, _, mask in rows]).astype(np.float64))
    on = np.concatenate([bass[mask] for _, bass, _, mask in rows])
    in_bar = np.concatenate([np.broadcast_to(bass.any(axis=1, keepdims=True), bass.shape)[mask]
                             for _, bass, _, mask in rows])
    contexts = torch.from_numpy(np.stack([on, in_bar & ~on], axis=1).astype(np.float64))
    y = torch.from_numpy(np.concatenate([kick[mask] for _, _, kick, mask in rows]).astype(np.float64))
    params = _minimised(torch.zeros(2), lambda v: F.binary_cross_entropy_with_logits(x + contexts @ v, y))
    return tuple(float(v) for v in params.tolist())  # type: ignore[return-value]


def grid_f1(hits: np.ndarray, scores: SongScores, song: BarSong) -> float:
    """The exact grid F1 of `hits` (n, S, 9) against the song's real hits, within its bars (what the tuning scores)."""
    real = song.hits & scores.step_mask()[:, :, None]
    return float(2 * (hits & real).sum() / max(1, hits.sum() + real.sum()))


def evaluate_policy(decoder: Decoder, scores: list[SongScores], songs: list[BarSong]) -> tuple[float, np.ndarray]:
    """Mean over songs of take 1's exact grid F1, and the F1 over all bars of its rests, crashes and fills (3,)."""
    values, counts = [], np.zeros((3, 3))
    for s, song in zip(scores, songs):
        take = steered_takes(decoder, s)[0]
        real = song.hits & s.step_mask()[:, :, None]
        values.append(grid_f1(take.hits, s, song))
        played = bar_structure(take.hits, s.bar_steps, s.beat_steps)
        actual = bar_structure(real, s.bar_steps, s.beat_steps)
        for column, tolerance in ((0, 0), (1, 0), (2, 1)):
            matched = match_hits(played[:, [column]], actual[:, [column]], tolerance)
            counts[column] += (matched.matched.sum(), matched.predicted.sum(), matched.real.sum())
    structure = np.array([2 * m / max(1, p + r) for m, p, r in counts])
    return float(np.mean(values)), structure


@dataclass
class StructureOutcomes:
    """One song's take 1 under each structure decision, bar by bar, so that structure thresholds are scored without
    decoding again (the groove does not depend on them): for five variants of every bar (0 the groove as decided,
    1 a rest, 2 a crash on the downbeat, 3 a fill closing it, 4 crash and fill) the cells it matches and plays and
    its structure flags; the real bars' flags and hits; where each structure's edge is; the calibrated structure
    probabilities; and the take's floor (`groove.request.take_floor`)."""

    matched: np.ndarray  # (5, n)
    played: np.ndarray  # (5, n)
    flags: np.ndarray  # (5, n, 3) bool
    real_flags: np.ndarray  # (n, 3) bool
    real_hits: int
    edges: np.ndarray  # (n, 3) bool
    probabilities: np.ndarray  # (n, 3)
    floor: float
    bass_silent: np.ndarray | None = None  # (n,) bool bars a heard bass leaves silent (structure.bass_silence)


_VARIANTS = ((False, False, False), (True, False, False), (False, True, False), (False, False, True),
             (False, True, True))


def structure_outcomes(decoder: Decoder, scores: SongScores, song: BarSong, take: Take | None = None,
                       edges: np.ndarray | None = None) -> StructureOutcomes:
    """`StructureOutcomes` of a song with real drums, under `decoder`'s groove settings (a decoder that plays no
    structure is used as it is, so one can serve many songs; any other is copied without its structure); `take`
    and `edges` (n, 3): the groove decided elsewhere, without structure, and where the edge thresholds hold (the live
    drummer's, bar by bar)."""
    plain = (decoder if _plays_no_structure(decoder.policy)
             else Decoder(decoder.codebook, decoder.policy.replace(**NO_STRUCTURE)))
    take = take if take is not None else steered_takes(plain, scores)[0]
    p, structure = calibrated(scores, decoder.policy)
    real = song.hits & scores.step_mask()[:, :, None]
    n = scores.n_bars
    matched, played, flags = np.zeros((5, n)), np.zeros((5, n)), np.zeros((5, n, 3), dtype=bool)
    toms = tom_fills(take.hits.any(axis=(1, 2)), p, KitCount())[0]  # as decoding's fills read it
    for index, variant in enumerate(_VARIANTS):
        hits = take.hits.copy()
        plain.fills.apply(hits, p, np.tile(np.array(variant), (n, 1)), scores, take.threshold, tom_fills=toms)
        matched[index], played[index] = (hits & real).sum(axis=(1, 2)), hits.sum(axis=(1, 2))
        flags[index] = bar_structure(hits, scores.bar_steps, scores.beat_steps)
    return StructureOutcomes(matched, played, flags, bar_structure(real, scores.bar_steps, scores.beat_steps),
                             int(real.sum()),
                             song_edges(scores, decoder.policy.crash_phrase_bars) if edges is None else edges,
                             structure, take_floor(scores, p), bass_silence(scores))


def _plays_no_structure(policy: DecodingPolicy) -> bool:
    return all(getattr(policy, name) >= _NEVER for name in NO_STRUCTURE)


@dataclass
class StructureScore:
    """What `evaluate_policy` reports for a policy's structure thresholds, from the songs' outcomes, and what the
    tuner's limits read."""

    song_f1: np.ndarray  # (songs,) take 1's F1 per song
    structure_f1: np.ndarray  # (3,) rest, crash, fill F1 over all bars (fills within +-1 bar)
    rate: np.ndarray  # (3,) bars played with each structure / bars the real drums have it in
    streak: np.ndarray  # (3,) songs with it on more than half their bars / such real songs (one at least)

    @property
    def mean_f1(self) -> float:
        return float(self.song_f1.mean())


def score_structure(outcomes: list[StructureOutcomes], policy: DecodingPolicy) -> StructureScore:
    """Take 1 of every song under the policy's structure thresholds, as groove.takes would play it."""
    values, counts, streaks = [], np.zeros((3, 3)), np.zeros((2, 3))
    for song in outcomes:
        rows = np.arange(len(song.real_flags))
        variant = _variant_of(structure_decisions(policy, song.probabilities, song.edges,
                                                  bass_silent=song.bass_silent))
        if song.played[variant, rows].sum() < song.floor:  # as groove.decide: redone without rests
            variant = _variant_of(structure_decisions(policy, song.probabilities, song.edges,
                                                      steering=Steering().without_rests(len(rows))))
        values.append(2 * song.matched[variant, rows].sum() / max(1, song.played[variant, rows].sum() + song.real_hits))
        played = song.flags[variant, rows]
        streaks += (played.mean(axis=0) > 0.5, song.real_flags.mean(axis=0) > 0.5)
        exact = played[:, :2] & song.real_flags[:, :2]  # rests and crashes: the same bar
        real = song.real_flags[:, :2]
        counts[:2] += np.stack([exact.sum(axis=0), played[:, :2].sum(axis=0), real.sum(axis=0)], axis=1)
        fills = match_hits(played[:, [2]], song.real_flags[:, [2]], 1)  # fills: within one bar
        counts[2] += (fills.matched.sum(), fills.predicted.sum(), fills.real.sum())
    return StructureScore(np.array(values), np.array([2 * m / max(1, p + r) for m, p, r in counts]),
                          counts[:, 1] / np.maximum(1, counts[:, 2]), streaks[0] / np.maximum(1, streaks[1]))


def _variant_of(decided: np.ndarray) -> np.ndarray:
    """(n,) index into _VARIANTS of each bar's decisions (n, 3)."""
    crash, fill = decided[:, CRASH_COLUMN], decided[:, FILL_COLUMN]
    variant = np.where(crash, 2, 0) + np.where(fill, 2 + (~crash).astype(int), 0)
    return np.where(decided[:, REST_COLUMN], 1, variant)


def tune_structure(outcomes: list[StructureOutcomes], policy: DecodingPolicy, budget: float = STRUCTURE_F1_BUDGET,
                   log: Callable[[str], None] | None = None,
                   rate_limit: float = STRUCTURE_RATE_LIMIT,
                   streak_limit: float = STRUCTURE_STREAK_LIMIT,
                   song_loss_limit: float = STRUCTURE_SONG_LOSS_LIMIT) -> tuple[DecodingPolicy, dict[str, float]]:
    """For rests, crashes and fills in turn, the pair of thresholds (anywhere, and the lower one at the structure's
    edge) with the highest F1 over all bars (fills within +-1 bar) among those costing the mean song F1 at most
    `budget` each and playing the structure at most `rate_limit` times as often as the real drums and on more than
    half the bars of at most `streak_limit` times as many songs, and costing no song more than `song_loss_limit`
    of its F1; from no structure at all. (Without that last limit, the validation songs chose rests wherever the
    guitar is silent: one song whose drummer barely plays gave most of the rest F1, and another lost 40% of its
    bars to silence.)"""
    policy = policy.replace(**NO_STRUCTURE)
    current = score_structure(outcomes, policy)
    report = {}
    for column, name in enumerate(STRUCTURE_NAMES):
        edges = sorted(STRUCTURE_THRESHOLD_GRID, reverse=True)
        if name in FIXED_EDGE_THRESHOLDS:  # the rule holds whatever the budget says; the rest is tuned on top of it
            edges = [FIXED_EDGE_THRESHOLDS[name]]
            policy = policy.replace(**{f"{name}_edge_threshold": edges[0]})
            current = score_structure(outcomes, policy)
        if name in FIXED_RULES:
            policy = policy.replace(**FIXED_RULES[name])
            current = score_structure(outcomes, policy)
        chosen, chosen_f1 = {}, current.structure_f1[column]
        anywheres = (_NEVER, *sorted(STRUCTURE_THRESHOLD_GRID, reverse=True)) if name in ANYWHERE_NAMES else (_NEVER,)
        for anywhere in anywheres:
            for edge in edges:
                if edge > anywhere:
                    continue
                values = {f"{name}_edge_threshold": float(edge)}
                if name in ANYWHERE_NAMES:
                    values[f"{name}_threshold"] = float(anywhere)
                candidate = score_structure(outcomes, policy.replace(**values))
                if (candidate.mean_f1 >= current.mean_f1 - budget
                        and float((current.song_f1 - candidate.song_f1).max()) <= song_loss_limit
                        and candidate.rate[column] <= rate_limit and candidate.streak[column] <= streak_limit
                        and candidate.structure_f1[column] > chosen_f1 + 1e-9):
                    chosen, chosen_f1 = values, candidate.structure_f1[column]
        policy = policy.replace(**chosen)
        current = score_structure(outcomes, policy)
        report[f"{name}_f1"] = round(float(chosen_f1), 4)
        if log:
            plural = f"{name}es" if name.endswith("sh") else f"{name}s"  # crashes, not "crashs"
            rule = {f"{name}_edge_threshold": FIXED_EDGE_THRESHOLDS[name]} if name in FIXED_EDGE_THRESHOLDS else {}
            rule.update(FIXED_RULES.get(name, {}))
            shown = ", ".join(f"{key} = {value}" for key, value in {**rule, **chosen}.items()) or f"no {plural}"
            log(f"  tuning: {shown} ({name} F1 {chosen_f1:.3f}, mean song F1 {current.mean_f1:.4f})")
    return policy, report


def tune_policy(codebook: GrooveCodebook, scores: list[SongScores], songs: list[BarSong],
                log: Callable[[str], None] | None = None) -> tuple[DecodingPolicy, dict[str, Any]]:
    """Calibrate; search the groove prior with no structure forced; then each structure's threshold within the
    song-F1 budget."""
    first = DecodingPolicy(refine_margin=REFINE_MARGIN_GRID[0])
    policy = fit_calibration(scores, songs, first).replace(**NO_STRUCTURE)
    best, _ = evaluate_policy(Decoder(codebook, policy), scores, songs)
    start = best
    for _ in range(2):
        for name, grid in (("refine_margin", REFINE_MARGIN_GRID), ("stay_bonus", STAY_BONUS_GRID),
                           ("section_bonus", SECTION_BONUS_GRID), ("min_groove_bars", MIN_GROOVE_BARS_GRID)):
            for value in grid:
                if value == getattr(policy, name):
                    continue
                candidate = policy.replace(**{name: value})
                f1, _ = evaluate_policy(Decoder(codebook, candidate), scores, songs)
                if f1 > best + 1e-4:
                    best, policy = f1, candidate
            if log:
                log(f"  tuning: {name} = {getattr(policy, name)} (mean song F1 {best:.4f})")
    groove_only = best
    plain = Decoder(codebook, policy)  # no structure yet: the groove as tuned
    outcomes = [structure_outcomes(plain, s, song) for s, song in zip(scores, songs)]
    policy, structure_report = tune_structure(outcomes, policy, log=log)
    best, _ = evaluate_policy(Decoder(codebook, policy), scores, songs)
    report = {"validation_songs": len(songs), "mean_song_f1_calibrated": round(start, 4),
              "mean_song_f1_groove": round(groove_only, 4), "mean_song_f1": round(best, 4), **structure_report}
    return policy, report
