"""The humanizer (seq2drum.feel) scored on the Groove MIDI Dataset's test split, which its tables never saw.

    python -m bench.bench_feel --data ../shared/data/gmd [--json feel.json]

Each test performance is quantized to 16ths as fit.py does; the real velocity and offset of every hit are the truth.
- Median prediction: mean absolute error per hit (velocity; offset in 16th steps) of the humanizer's median given
  the drummer's preceding hits of that voice in the performance (its context's median plus the drummer's level
  estimated from those hits, shrunk toward 0 as the fit's variances say), and of its context median alone (no
  history), against the baseline the issue names: a fixed velocity per drum class and 16th of the bar (its median
  over the train split) and no timing offset.
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


def mae_figures(train: Hits, test: Hits, mask: np.ndarray) -> dict[str, float]:
    """Velocity and offset MAE of the humanizer's medians and of the baseline, over the test hits in `mask`."""
    tables = shipped_tables()
    contexts = HitContexts(np.zeros(len(test.keys), dtype=np.int64), test.drum_class, test.keys)
    half = np.full(len(contexts), 0.5)
    velocity = sample_quantiles(tables.velocity_quantiles(contexts)[0], half)
    offset = sample_quantiles(tables.offset_quantiles(contexts)[0], half)
    velocity_level = preceding_level(test, test.velocity - velocity, tables.shrinkage_hits[0])
    offset_level = preceding_level(test, test.offset - offset, tables.shrinkage_hits[1])
    base = baseline_velocity(train, test)[mask]
    real_velocity, real_offset = test.velocity[mask], test.offset[mask]
    return {
        "hits": int(mask.sum()),
        "velocity_mae": float(np.abs(velocity[mask] + velocity_level[mask] - real_velocity).mean()),
        "velocity_mae_no_history": float(np.abs(velocity[mask] - real_velocity).mean()),
        "velocity_mae_baseline": float(np.abs(base - real_velocity).mean()),
        "offset_mae_steps": float(np.abs(offset[mask] + offset_level[mask] - real_offset).mean()),
        "offset_mae_no_history_steps": float(np.abs(offset[mask] - real_offset).mean()),
        "offset_mae_baseline_steps": float(np.abs(real_offset).mean()),
    }


def report(name: str, figures: dict, real: dict, generated: dict) -> None:
    mae = figures
    print(f"\n== {name}: {mae['hits']} hits")
    for what, unit in (("velocity_mae", ""), ("offset_mae", "_steps")):
        model, base, alone = mae[f"{what}{unit}"], mae[f"{what}_baseline{unit}"], mae[f"{what}_no_history{unit}"]
        print(f"{what}: humanizer median {model:.3f} ({100 * (1 - model / base):+.1f}% below the baseline), without "
              f"the drummer's history {alone:.3f} ({100 * (1 - alone / base):+.1f}%), baseline {base:.3f}")
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
