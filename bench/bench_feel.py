"""The humanizer (seq2drum.feel) scored on the Groove MIDI Dataset's test split, which its tables never saw.

    python -m bench.bench_feel --data ../shared/data/gmd [--json feel.json]

Each test performance is quantized to 16ths as fit.py does; the real velocity and offset of every hit are the truth.
- Median prediction: mean absolute error per hit (velocity; offset in 16th steps) of the humanizer's median given
  the drummer's preceding hits in the performance (its context's median plus the drummer's level for the voice,
  estimated from the voice's earlier hits and shrunk toward 0 as the fit's variances say, plus the drummer's level
  in the hit's own context from its earlier hits there, recent ones weighing more: CONTEXT_HISTORY), with the
  voice's history alone, and of its context median alone (no history), against the baseline the issue names: a
  fixed velocity per drum class and 16th of the bar (its median over the train split) and no timing offset; and
  that baseline given the same history, to show what the tables add to the history.
- Sampled output (humanize 1, feel natural; one random stream from seed 0 for the split, a drummer drawn per
  performance as for a request): per voice, the velocity spread (standard deviation within each performance, the
  median over performances that play the voice 8+ times) and the mean offset over all its hits, beside the
  drummers'.
Figures for every test performance and for the straight ones alone (swing is decided elsewhere; a swung eighth
quantized to 16ths is a large offset no per-hit feel predicts).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from bench.machine import describe_machine
from seq2drum.feel.contexts import HitContexts, class_and_sixteenth
from seq2drum.feel.fit import Hits, collect_hits, humanize_all, read_performances, voice_figures
from seq2drum.feel.model import sample_quantiles, shipped_tables
from seq2drum.midi.drums import NUM_DRUM_CLASSES


# the drummer's history in the hit's own context: (context level, decay per earlier hit), chosen on GMD's
# validation split (velocity: the finest context; timing: metrical level, 16th in beat, neighbours, busy, tempo band)
CONTEXT_HISTORY = {"velocity": (0, 0.9), "offset": (2, 0.8)}


def position_keys(hits: Hits) -> np.ndarray:
    """(n,) the baseline's context: drum class and 16th of the bar."""
    return class_and_sixteenth(hits.keys)


def baseline_velocity(train: Hits, test: Hits) -> np.ndarray:
    """The fixed velocity per (class, 16th in bar): its median over train; the class's median where unseen."""
    train_keys, test_keys = position_keys(train), position_keys(test)
    order = np.lexsort((train.velocity, train_keys))
    keys, values = train_keys[order], train.velocity[order]
    unique, start, count = np.unique(keys, return_index=True, return_counts=True)
    medians = values[start + (count - 1) // 2]
    class_median = np.array([np.median(train.velocity[train.drum_class == c]) if (train.drum_class == c).any()
                             else 64.0 for c in range(NUM_DRUM_CLASSES)])
    index = np.clip(np.searchsorted(unique, test_keys), 0, len(unique) - 1)
    return np.where(unique[index] == test_keys, medians[index], class_median[test.drum_class])


def preceding_level(test: Hits, residual: np.ndarray, shrinkage_hits: np.ndarray) -> np.ndarray:
    """(n,) each hit's drummer level for its voice estimated from the preceding hits of that voice in its
    performance (hits are in time order within a performance): their residuals' sum / (count + shrinkage_hits)."""
    pair = test.performance * NUM_DRUM_CLASSES + test.drum_class
    order = np.argsort(pair, kind="stable")
    sums = np.concatenate([[0.0], np.cumsum(residual[order])])
    index = np.arange(len(order))
    first = np.r_[0, np.flatnonzero(pair[order][1:] != pair[order][:-1]) + 1]
    group_start = np.repeat(first, np.diff(np.r_[first, len(order)]))
    level = np.zeros(len(order))
    level[order] = (sums[index] - sums[group_start]) / (index - group_start + shrinkage_hits[test.drum_class[order]])
    return level


def context_level(test: Hits, residual: np.ndarray, level: int, decay: float) -> np.ndarray:
    """(n,) each hit's drummer level in its own context (the key at `level`) from the preceding hits of the
    performance in that context: their residuals, each earlier one weighted `decay` times less, summed over (their
    weights + 1): a drummer who played this place softer or later before plays it so again."""
    sums: dict[int, float] = {}
    weights: dict[int, float] = {}
    level_of = np.zeros(len(residual))
    groups = test.performance.astype(np.int64) * 10**13 + test.keys[:, level] % 10**13
    for index, group in enumerate(groups.tolist()):
        total, weight = sums.get(group, 0.0), weights.get(group, 0.0)
        level_of[index] = total / (weight + 1.0)
        sums[group], weights[group] = total * decay + residual[index], weight * decay + 1.0
    return level_of


def with_history(test: Hits, prediction: np.ndarray, real: np.ndarray, shrinkage_hits: np.ndarray,
                 quantity: str) -> np.ndarray:
    """`prediction` plus the drummer's level for the voice, then for the hit's context, from the preceding hits."""
    voice = prediction + preceding_level(test, real - prediction, shrinkage_hits)
    return voice + context_level(test, real - voice, *CONTEXT_HISTORY[quantity])


def mae_figures(train: Hits, test: Hits, mask: np.ndarray) -> dict[str, float]:
    """Velocity and offset MAE of the humanizer's medians and of the baseline, over the test hits in `mask`."""
    tables = shipped_tables()
    contexts = HitContexts(np.zeros(len(test.keys), dtype=np.int64), test.drum_class, test.keys)
    half = np.full(len(contexts), 0.5)
    figures: dict[str, float] = {"hits": int(mask.sum())}
    base_velocity = baseline_velocity(train, test)
    for quantity, real, median, base, shrinkage, unit in (
        ("velocity", test.velocity, sample_quantiles(tables.velocity_quantiles(contexts)[0], half), base_velocity,
         tables.shrinkage_hits[0], ""),
        ("offset", test.offset, sample_quantiles(tables.offset_quantiles(contexts)[0], half),
         np.zeros(len(test.offset)), tables.shrinkage_hits[1], "_steps"),
    ):
        voice = median + preceding_level(test, real - median, shrinkage)
        predictions = {"": with_history(test, median, real, shrinkage, quantity), "_voice_history": voice,
                       "_no_history": median, "_baseline": base,
                       "_baseline_history": with_history(test, base, real, shrinkage, quantity)}
        for name, predicted in predictions.items():
            figures[f"{quantity}_mae{name}{unit}"] = float(np.abs(predicted[mask] - real[mask]).mean())
    return figures


def report(name: str, figures: dict, real: dict, generated: dict) -> None:
    mae = figures
    print(f"\n== {name}: {mae['hits']} hits")
    for what, unit in (("velocity_mae", ""), ("offset_mae", "_steps")):
        base = mae[f"{what}_baseline{unit}"]
        below = {name: f"{mae[f'{what}{name}{unit}']:.3f} ({100 * (1 - mae[f'{what}{name}{unit}'] / base):+.1f}%)"
                 for name in ("", "_voice_history", "_no_history", "_baseline_history")}
        print(f"{what}: humanizer median {below['']} below the baseline; with the voice's history alone "
              f"{below['_voice_history']}, without history {below['_no_history']}; baseline {base:.3f}, the "
              f"baseline given the same history {below['_baseline_history']}")
    print(f"{'voice':<11} {'hits':>6} {'vel sd real':>11} {'sampled':>8} {'ratio':>6} {'offset real':>11} "
          f"{'sampled':>8} {'diff':>7}")
    for voice, figure in real.items():
        mine = generated[voice]
        ratio = mine["velocity_spread"] / figure["velocity_spread"]
        print(f"{voice:<11} {figure['hits']:>6} {figure['velocity_spread']:>11.1f} {mine['velocity_spread']:>8.1f} "
              f"{ratio:>6.2f} {figure['mean_offset']:>11.3f} {mine['mean_offset']:>8.3f} "
              f"{mine['mean_offset'] - figure['mean_offset']:>+7.3f}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_feel", description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data/gmd"), help="GMD's folder (with info.csv)")
    parser.add_argument("--split", default="test", choices=("test", "validation"), help="GMD's split to score on")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    train = collect_hits(read_performances(args.data, ("train",)))
    performances = read_performances(args.data, (args.split,))
    test = collect_hits(performances)
    generated = humanize_all(performances, shipped_tables(), seed=0)
    real = [p.drums for p in performances]
    everyone = list(range(len(performances)))
    straight = [i for i, p in enumerate(performances) if p.straight]
    results = {}
    for name, which in ((f"all {args.split} performances", everyone),
                        (f"straight {args.split} performances", straight)):
        mask = np.isin(test.performance, which)
        results[name] = {"mae": mae_figures(train, test, mask), "real": voice_figures(real, which),
                         "sampled": voice_figures(generated, which), "performances": len(which)}
        report(f"{name} ({len(which)})", results[name]["mae"], results[name]["real"], results[name]["sampled"])
    print(f"\n{time.perf_counter() - started:.0f} s; {describe_machine()}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
