"""The evaluation's figures over all songs: micro and per-song P/R/F1 per view and class, descriptors and their
overlap with the real drums, novelty, likelihood and validity shares, and the model against the loop (the baseline
every model is compared with, song by song); as plain JSON; and `Evaluation`, what an evaluation gives (the summary,
each song's score, the songs drawn), which evaluate.py makes and report.py writes.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from seq2drum import arrays
from seq2drum.evaluation import metrics
from seq2drum.evaluation.checklist import summarize_faults
from seq2drum.evaluation.feel_figures import SWING_AGREEMENT
from seq2drum.evaluation.inputs import KIND_BASELINES
from seq2drum.evaluation.song_score import VALIDITY_CHECKS, SongScore
from seq2drum.feel.swing import STRAIGHT_MAX_SWING, SWUNG_MIN_SWING
from seq2drum.midi.drums import DRUM_CLASSES
from seq2drum.song.encode import EncodedSong
from seq2drum.song.drum_part import DrumGrid

LOOP = "backbeat"  # the baseline every model is compared with, song by song
KIND_BASELINE_NAMES = {name for names in KIND_BASELINES.values() for name in names}


@dataclass
class Evaluation:
    """What an evaluation gives: the summary, each song's score, songs to draw, and the files written."""

    summary: dict[str, Any]
    songs: list[SongScore]
    examples: list[tuple[EncodedSong, DrumGrid]]  # songs to draw, with the model's drums
    gallery: list[tuple[EncodedSong, DrumGrid, list[str]]] = field(default_factory=list)  # the faultiest, and faults
    written: list[Path] = field(default_factory=list)


def summarize(scores: list[SongScore]) -> dict[str, Any]:
    """Totals over songs: micro and mean-per-song P/R/F1 per view and per class, descriptors with their overlap
    with the real drums, novelty, NLL and validity shares, and whether the model beats each baseline on F1."""
    names = scores[0].systems  # the model, the baselines, the input kind's own baseline
    pooled = {name: {d: np.concatenate([s.descriptors[name][d] for s in scores]) for d in metrics.DESCRIPTORS}
              for name in ("real", *names)}
    systems = {name: _system_summary(name, scores, pooled) for name in names}
    model_f1 = systems["model"]["grid"]["all"]["f1"]
    validated = [s.validity for s in scores if s.validity]
    checks = [*VALIDITY_CHECKS, *(c for c in validated[0] if c not in VALIDITY_CHECKS)] if validated else []
    validity = {c: sum(v[c] for v in validated) / len(validated) for c in checks} or dict.fromkeys(VALIDITY_CHECKS,
                                                                                                    math.nan)
    return {
        "systems": systems,
        "real": {"descriptors": {d: {"mean": _nanmean(pooled["real"][d])} for d in metrics.DESCRIPTORS}},
        "distributions": {n: {d: np.round(v, 4).tolist() for d, v in values.items()} for n, values in pooled.items()},
        "nll_per_cell": float(sum(s.nll_per_cell * s.n_steps for s in scores) / sum(s.n_steps for s in scores)),
        "nll_per_cell_song_mean": _nanmean([s.nll_per_cell for s in scores]),
        "validity": {"songs_checked": len(validated), **validity},
        "against_loop": against_loop(scores),
        **{f"against_{name}": against_baseline(scores, name) for name in names if name in KIND_BASELINE_NAMES},
        "feel": {name: feel_summary(scores, name) for name in ("model", LOOP)},
        # old pickled scores (tools.crossval) carry no faults: their checklist is empty
        "checklist": {name: summarize_faults([(s.family, s.faults.get(name, [])) for s in scores])
                      for name in names if all(getattr(s, "faults", None) for s in scores)},
        "model_beats": {
            b: {"model_f1": model_f1, "baseline_f1": systems[b]["grid"]["all"]["f1"],
                "beats": bool(model_f1 > systems[b]["grid"]["all"]["f1"])}
            for b in names if b != "model"
        },
        "songs": [_song_row(s) for s in scores],
    }


def feel_summary(scores: list[SongScore], system: str) -> dict[str, Any]:
    """One system's feel figures over the songs (evaluation/feel_figures.py's docstring)."""
    real = [s.feel["real"] for s in scores]
    mine = [s.feel[system] for s in scores]
    ratios = [m["velocity_spread"] / r["velocity_spread"] for m, r in zip(mine, real)
              if r["velocity_spread"] and math.isfinite(r["velocity_spread"]) and math.isfinite(m["velocity_spread"])]
    straight = [m["swing"] for m, r in zip(mine, real) if r["swing"] is not None and r["swing"] <= STRAIGHT_MAX_SWING]
    swung = [(m["swing"], r["swing"]) for m, r in zip(mine, real)
             if r["swing"] is not None and r["swing"] >= SWUNG_MIN_SWING]
    per_class = {}
    for index, name in enumerate(DRUM_CLASSES):
        f1 = [float(s.counts[system]["all"].per_class()[2][index]) for s in scores
              if s.counts[system]["all"].real[index] > 0]
        per_class[name] = float(np.mean(f1)) if f1 else math.nan
    return {
        "velocity_spread_ratio_median": float(arrays.median(ratios)) if ratios else math.nan,
        "straight_songs": len(straight),
        # a generated song with too few eligible beats to measure has no swing: it counts as straight
        "straight_kept_share": float(np.mean([m is None or m <= STRAIGHT_MAX_SWING for m in straight]))
        if straight else math.nan,
        "swung_songs": len(swung),
        "swung_within_share": float(np.mean([m is not None and abs(m - r) <= SWING_AGREEMENT for m, r in swung]))
        if swung else math.nan,
        "per_class_song_f1": per_class,
    }


def against_loop(scores: list[SongScore]) -> dict[str, Any]:
    """The figures every model is judged by, next to the loop's: mean song F1 of take 1, the share of songs where
    it beats the loop, the best of the takes, density ratios, the per-bar structure F1s (pooled over all bars, and
    the mean of each song's), and the share of songs that crash on more than half their bars (model and real drums:
    a crash on every downbeat is a crash-ride song, rare in drummers' hands, and the first thing a guitarist
    hears)."""
    density = np.array([s.take_density[0] for s in scores])
    return {
        **against_baseline(scores, LOOP, "loop"),
        "takes": max(len(s.take_f1) for s in scores),
        "density_ratio_median": float(arrays.median(density)),
        "density_ratio_p10_p90": [float(np.percentile(density, 10)), float(np.percentile(density, 90))],
        "min_take_density_ratio": float(min(min(s.take_density) for s in scores)),
        "songs_with_a_take_under_a_third": int(sum(min(s.take_density) < 1 / 3 for s in scores)),
        "crash_most_bars_share": {"model": _crash_most_bars_share(scores, "predicted"),
                                  "real": _crash_most_bars_share(scores, "real")},
    }


def against_baseline(scores: list[SongScore], baseline: str, label: str = "baseline") -> dict[str, Any]:
    """Take 1 against one baseline, song by song: mean song F1 of each, the share of songs where take 1 is strictly
    above it, the best of the takes, and the structure F1s of both, pooled over all bars and as a mean of songs."""
    model = np.array([s.f1("model") for s in scores])
    other = np.array([s.f1(baseline) for s in scores])
    best = np.array([max(s.take_f1) for s in scores])
    structure: dict[str, dict[str, float]] = {}
    song_structure: dict[str, dict[str, float]] = {}
    for system in ("model", baseline):
        structure[system], song_structure[system] = {}, {}
        for name in metrics.STRUCTURES:
            total = sum((s.structure[system][name] for s in scores), metrics.HitCounts.zeros(1))
            structure[system][name] = total.micro()[2]
            song_structure[system][name] = _nanmean([s.structure[system][name].micro()[2] for s in scores])
    return {
        "baseline": baseline,
        "songs": len(scores),
        "model_mean_song_f1": _nanmean(model),
        f"{label}_mean_song_f1": _nanmean(other),
        f"model_minus_{label}": _nanmean(model - other),
        f"beats_{label}_share": float(np.mean(model > other)),
        "best_of_takes_mean_song_f1": _nanmean(best),
        f"best_of_takes_minus_{label}": _nanmean(best - other),
        "structure_f1": structure,
        "structure_song_f1_mean": song_structure,
    }


def _crash_most_bars_share(scores: list[SongScore], side: str) -> float:
    """Share of songs whose drums ("predicted": the model's, or "real") crash on more than half their bars."""
    return float(np.mean([getattr(s.structure["model"]["crash"], side).sum() > s.n_bars / 2 for s in scores]))


def _system_summary(name: str, scores: list[SongScore], pooled: dict[str, dict[str, np.ndarray]]) -> dict[str, Any]:
    grid: dict[str, Any] = {}
    for key, first in scores[0].counts[name].items():
        total = sum((s.counts[name][key] for s in scores), metrics.HitCounts.zeros(len(first.real)))
        precision, recall, f1 = total.micro()
        song_f1 = _nanmean([s.counts[name][key].micro()[2] for s in scores])
        grid[key] = {"precision": precision, "recall": recall, "f1": f1, "song_f1_mean": song_f1}
        if key in metrics.VIEWS:  # per class at exact matching
            per_class = zip(metrics.VIEWS[key][0], *total.per_class())
            grid[key]["per_class"] = {c: {"precision": p, "recall": r, "f1": f} for c, p, r, f in per_class}
    copied, counted = (sum(s.novelty[name][i] for s in scores) for i in (0, 1))
    descriptors = {d: {"mean": _nanmean(pooled[name][d]),
                       "overlap_with_real": metrics.overlap_area(pooled[name][d], pooled["real"][d])}
                   for d in metrics.DESCRIPTORS}
    share = copied / counted if counted else math.nan
    novelty = {"copied_bars": copied, "non_empty_bars": counted, "copy_share": share}
    return {"grid": grid, "descriptors": descriptors, "novelty": novelty}


def _song_row(score: SongScore) -> dict[str, Any]:
    return {
        "name": score.name, "bars": score.n_bars, "steps": score.n_steps, "seconds": round(score.seconds, 3),
        "generation_seconds": round(score.generate_seconds, 3), "nll_per_cell": score.nll_per_cell,
        "take_f1": score.take_f1, "take_density": score.take_density,
        "f1": {s: score.f1(s) for s in score.systems},
        "f1_tol1": {s: score.f1(s, "all_tol1") for s in score.systems},
        "descriptor_means": {n: {d: _nanmean(v) for d, v in values.items()} for n, values in score.descriptors.items()},
        "novelty": {s: list(v) for s, v in score.novelty.items()},
        "validity": score.validity,
        "family": getattr(score, "family", None), "faults": getattr(score, "faults", {}),
    }


def _nanmean(values: Any) -> float:
    values = np.asarray(values, dtype=np.float64)
    return float(np.nanmean(values)) if np.isfinite(values).any() else math.nan


def jsonable(value: Any) -> Any:
    """Plain JSON values: NaN becomes null, numpy scalars become Python numbers."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, (np.floating, float)):
        return None if not math.isfinite(float(value)) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    return value


def dumps(summary: dict[str, Any]) -> str:
    return json.dumps(jsonable(summary), indent=2)
