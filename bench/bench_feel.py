"""The humanizer (seq2drum.feel) scored on the Groove MIDI Dataset's test split, which its tables never saw.

    python -m bench.bench_feel --data ../shared/data/gmd [--json feel.json]

Each test performance is quantized to 16ths as fit.py does; the real velocity and offset of every hit are the truth.
- Median prediction: mean absolute error per hit of the humanizer's context median (velocity; offset in 16th steps)
  against the baseline the issue names: a fixed velocity per drum class and 16th of the bar (its median over the
  train split) and no timing offset.
- Sampled output (humanize 1, feel natural, one request's stream per performance from seed 0): per voice, the
  velocity spread (standard deviation within each performance, the median over performances that play the voice 8+
  times) and the mean offset over all its hits, beside the drummers'.
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
from seq2drum.feel.contexts import MAX_BAR_SIXTEENTHS
from seq2drum.feel.fit import Hits, Performance, collect_hits, read_performances
from seq2drum.feel.model import humanize, sample_quantiles, shipped_tables
from seq2drum.midi.drums import DRUM_CLASSES, NUM_DRUM_CLASSES
from seq2drum.song.grid import DrumGrid

MIN_VOICE_HITS = 8


def position_keys(hits: Hits) -> np.ndarray:
    """(n,) the baseline's context: drum class and 16th of the bar (level 0's leading digits)."""
    return hits.keys[:, 0] // (np.int64(MAX_BAR_SIXTEENTHS + 1) * 32 * 2 * 2 * 4)


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


def sampled(performances: list[Performance]) -> list[DrumGrid]:
    """Each performance's hits humanized as a request with seed 0 would be (one stream per performance)."""
    out = []
    for performance in performances:
        drums = performance.drums
        plain = DrumGrid(drums.hits, np.where(drums.hits, 100, 0).astype(np.uint8), np.zeros_like(drums.offset))
        out.append(humanize(plain, performance.grid, 1.0, "natural", np.random.default_rng([0, 1])))
    return out


def voice_figures(grids: list[DrumGrid], which: list[int]) -> dict[str, dict[str, float]]:
    """Per voice: median per-performance velocity spread and mean offset over all hits."""
    figures = {}
    for drum_class, name in enumerate(DRUM_CLASSES):
        spreads, offsets = [], []
        for index in which:
            grid = grids[index]
            hit = grid.hits[:, drum_class]
            if hit.sum() >= MIN_VOICE_HITS:
                spreads.append(float(grid.velocity[hit, drum_class].astype(np.float64).std()))
            offsets.append(grid.offset[hit, drum_class].astype(np.float64))
        pooled = np.concatenate(offsets) if offsets else np.zeros(0)
        if len(pooled):
            figures[name] = {"velocity_spread": float(np.median(spreads)) if spreads else float("nan"),
                             "mean_offset": float(pooled.mean()), "hits": int(len(pooled))}
    return figures


def mae_figures(train: Hits, test: Hits, mask: np.ndarray) -> dict[str, float]:
    """Velocity and offset MAE of the humanizer's medians and of the baseline, over the test hits in `mask`."""
    tables = shipped_tables()
    from seq2drum.feel.contexts import HitContexts

    contexts = HitContexts(np.zeros(int(mask.sum()), dtype=np.int64), test.drum_class[mask], test.keys[mask])
    half = np.full(len(contexts), 0.5)
    velocity = sample_quantiles(tables.velocity_quantiles(contexts)[0], half)
    offset = sample_quantiles(tables.offset_quantiles(contexts)[0], half)
    base = baseline_velocity(train, test)[mask]
    real_velocity, real_offset = test.velocity[mask], test.offset[mask]
    return {
        "hits": int(mask.sum()),
        "velocity_mae": float(np.abs(velocity - real_velocity).mean()),
        "velocity_mae_baseline": float(np.abs(base - real_velocity).mean()),
        "offset_mae_steps": float(np.abs(offset - real_offset).mean()),
        "offset_mae_baseline_steps": float(np.abs(real_offset).mean()),
    }


def report(name: str, figures: dict, real: dict, generated: dict) -> None:
    mae = figures
    print(f"\n== {name}: {mae['hits']} hits")
    for what, unit in (("velocity_mae", ""), ("offset_mae", "_steps")):
        model, base = mae[f"{what}{unit}"], mae[f"{what}_baseline{unit}"]
        print(f"{what}: humanizer median {model:.3f}, baseline {base:.3f} ({100 * (1 - model / base):+.1f}% lower)")
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
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    train = collect_hits(read_performances(args.data, ("train",)))
    performances = read_performances(args.data, ("test",))
    test = collect_hits(performances)
    generated = sampled(performances)
    real = [p.drums for p in performances]
    everyone = list(range(len(performances)))
    straight = [i for i, p in enumerate(performances) if p.straight]
    results = {}
    for name, which in (("all test performances", everyone), ("straight test performances", straight)):
        mask = np.isin(test.performance, which)
        results[name] = {"mae": mae_figures(train, test, mask), "real": voice_figures(real, which),
                         "sampled": voice_figures(generated, which), "performances": len(which)}
        report(f"{name} ({len(which)})", results[name]["mae"], results[name]["real"], results[name]["sampled"])
    print(f"\n{time.perf_counter() - started:.0f} s; {describe_machine()}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
