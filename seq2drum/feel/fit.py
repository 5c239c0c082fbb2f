"""Fitting the feel tables from the Groove MIDI Dataset (Gillick, Roberts, Engel, Eck, Bamman, "Learning to Groove
with Inverse Sequence Transformations", ICML 2019; CC BY 4.0): each performance quantized to the 16th grid of the
tempo and meter its file holds (the click the drummer played to), every hit's context read by contexts.py, then per
context the quantiles of velocity (every performance) and of offset from the grid (straight performances only: a
swung eighth or 16th quantized to 16ths is a swing decision, which `--swing` and the groove stage own, not a hit's
feel).

    python -m seq2drum.feel.fit --data ../shared/data/gmd     # about a minute on one core; writes gmd_feel.npz/.json

Then how performances differ (model.py's drummer): per class, the quantiles of a performance's velocity and offset
level and of its spread around the context medians, which the tables themselves leave out (each performance's mean
per class is taken out of them, so they hold the spread one drummer plays within one song). Then how one drummer's
hits hang together (drift.py's `Correlation`, fitted by drift_fit.py): his drift, his habits per place in the bar.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from seq2drum import arrays
from seq2drum.feel.contexts import LEVELS, N_LEVELS, hit_contexts
from seq2drum.feel.drift import onset_lag1, phrase_share
from seq2drum.feel.drift_fit import calibrate_drift, fit_correlation
from seq2drum.feel.swing import STRAIGHT_MAX_SWING, song_swing
from seq2drum.midi.drums import TIMEKEEPERS
from seq2drum.feel.model import (N_QUANTILES, OFFSET_UNITS_PER_STEP, QUANTILE_PROBABILITIES, SHIPPED, FeelTables,
                                 Table, humanize, sample_quantiles)
from seq2drum.midi.drums import DRUM_CLASSES, NUM_DRUM_CLASSES
from seq2drum.midi.io import read_midi
from seq2drum.song.drum_part import DrumGrid, drums_to_grid
from seq2drum.song.grid import Grid

STEPS_PER_QUARTER = 4
MIN_CONTEXT_HITS = 50  # a context answers only when training saw at least this many of its hits
SWUNG_16THS_STEPS = 0.1  # odd 16ths of the time-keeping this much later than the even ones: swung 16ths (hip-hop,
# funk, neo-soul: about a third of GMD's train performances with 16th hats)
MIN_16THS = 16  # hits at odd and at even 16ths needed to tell
MIN_VOICE_HITS = 8  # a performance tells its level and spread for a class it plays at least this often
CALIBRATION_ROUNDS = 2
LEVEL_ROUNDS = 2


@dataclass
class Performance:
    """One GMD file, quantized: its drums on the 16th grid with their offsets and velocities."""

    name: str
    split: str
    style: str
    drums: DrumGrid
    grid: Grid
    swing: float | None  # mean off-beat time-keeping position in the beat, as ../shared/scoring measures it
    swing_16ths: float | None  # how much later than the even 16ths the odd ones are played, in steps

    @property
    def straight(self) -> bool:
        """Neither its eighths nor its 16ths swing (../shared/scoring's line for eighths; SWUNG_16THS_STEPS)."""
        return ((self.swing is None or self.swing <= STRAIGHT_MAX_SWING)
                and (self.swing_16ths is None or self.swing_16ths < SWUNG_16THS_STEPS))


@dataclass
class Hits:
    """Every hit of some performances with its context (the fit's and the bench's input)."""

    keys: np.ndarray  # (n, N_LEVELS) int64
    drum_class: np.ndarray  # (n,)
    velocity: np.ndarray  # (n,) float
    offset: np.ndarray  # (n,) float, steps
    performance: np.ndarray  # (n,) index into the performances
    straight: np.ndarray  # (n,) bool, the hit's performance is straight
    sixteenth: np.ndarray  # (n,) float, 16ths from its performance's start


def sixteenths_swing(drums: DrumGrid) -> float | None:
    """Mean offset of the time-keeping's hits on odd 16ths less that on even ones (steps, 4 a quarter); None under
    MIN_16THS of either."""
    step, drum_class = np.nonzero(drums.hits[:, list(TIMEKEEPERS)])
    offset = drums.offset[step, np.asarray(TIMEKEEPERS)[drum_class]].astype(np.float64)
    odd = step % 2 == 1
    if odd.sum() < MIN_16THS or (~odd).sum() < MIN_16THS:
        return None
    return float(offset[odd].mean() - offset[~odd].mean())


def read_performances(root: Path, splits: tuple[str, ...]) -> list[Performance]:
    """GMD's performances of `splits` (info.csv's split column), quantized to 16ths."""
    performances = []
    with open(root / "info.csv", newline="") as handle:
        rows = [row for row in csv.DictReader(handle) if row["split"] in splits]
    for row in rows:
        song = read_midi(root / row["midi_filename"])
        notes = np.concatenate([part.notes for part in song.drum_parts]) if song.drum_parts else np.zeros((0, 4))
        grid = Grid.build(song.ticks_per_quarter, song.time_signatures, song.tempos, song.end_tick, STEPS_PER_QUARTER)
        drums = drums_to_grid(notes.astype(np.int64), grid)
        performances.append(Performance(row["midi_filename"], row["split"], row["style"].split("/")[0], drums, grid,
                                        song_swing(drums, grid, (0, grid.n_steps)), sixteenths_swing(drums)))
    return performances


def collect_hits(performances: list[Performance]) -> Hits:
    """The hits of every performance with their contexts, in one table."""
    parts = []
    for index, performance in enumerate(performances):
        contexts = hit_contexts(performance.drums, performance.grid)
        where = (contexts.step, contexts.drum_class)
        n = len(contexts)
        parts.append((contexts.keys, contexts.drum_class, performance.drums.velocity[where].astype(np.float64),
                      performance.drums.offset[where].astype(np.float64), np.full(n, index),
                      np.full(n, performance.straight), contexts.step * 4.0 / performance.grid.steps_per_quarter))
    columns = [np.concatenate(column) for column in zip(*parts)]
    return Hits(columns[0].reshape(-1, N_LEVELS), *columns[1:])


def grouped_quantiles(keys: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per distinct key: the key (sorted), (m, N_QUANTILES) quantiles of its values (linear), and its count."""
    order = np.lexsort((values, keys))
    keys, values = keys[order], values[order]
    unique, start, count = np.unique(keys, return_index=True, return_counts=True)
    position = start[:, None] + QUANTILE_PROBABILITIES[None, :] * (count[:, None] - 1)  # (m, Q)
    low = np.floor(position).astype(np.int64)
    high = np.minimum(low + 1, (start + count - 1)[:, None])
    weight = position - low
    return unique, values[low] * (1 - weight) + values[high] * weight, count


def fit_table(keys: np.ndarray, values: np.ndarray, to_stored: type, scale: float) -> Table:
    """A `Table` of `values` (times `scale`, rounded to `to_stored`) per context, contexts with too few hits left
    out of every level but the coarsest."""
    table = Table([], [], [])
    for level in range(N_LEVELS):
        unique, quantiles, count = grouped_quantiles(keys[:, level], values)
        keep = count >= (MIN_CONTEXT_HITS if level < N_LEVELS - 1 else 1)
        info = np.iinfo(to_stored)
        table.keys.append(unique[keep])
        table.quantiles.append(np.clip(np.round(quantiles[keep] * scale), info.min, info.max).astype(to_stored))
        table.counts.append(count[keep].astype(np.int32))
    return table


def context_median(table: Table, keys: np.ndarray, scale: float) -> np.ndarray:
    """(n,) each hit's context median from `table`, in the values' own unit."""
    return sample_quantiles(table.rows(keys)[0].astype(np.float64), np.full(len(keys), 0.5)) / scale


def fit_quantity(values: np.ndarray, hits: Hits, mask: np.ndarray, to_stored: type,
                 scale: float) -> tuple[Table, np.ndarray, np.ndarray, np.ndarray]:
    """One quantity (velocity or offset) over the hits in `mask`: its `Table` with each performance's level per
    class taken out (the level: the mean distance of its hits from their context medians, so a drummer who plays
    many ghost notes is not taken for a soft one; LEVEL_ROUNDS rounds from the pooled medians), then how
    performances differ: (9, N_QUANTILES) quantiles of the level and of the spread factor (a performance's RMS
    distance from the medians over all performances'), and (9,) within-performance variance / variance of the
    levels. Performances playing a class fewer than MIN_VOICE_HITS times are left out of its quantiles."""
    keys, values, drum_class = hits.keys[mask], values[mask], hits.drum_class[mask]
    table = fit_table(keys, values, to_stored, scale)
    for _ in range(LEVEL_ROUNDS):
        means = PairMeans.of(values - context_median(table, keys, scale), hits.performance[mask], drum_class)
        table = fit_table(keys, means.centered(values), to_stored, scale)
    inverse, count, pair_class = means.inverse, means.count, means.pair_class
    squared = (means.centered(values) - context_median(table, keys, scale)) ** 2
    pooled = np.bincount(drum_class, squared, NUM_DRUM_CLASSES) / np.maximum(
        1, np.bincount(drum_class, minlength=NUM_DRUM_CLASSES))
    pair_spread = np.sqrt(np.bincount(inverse, squared) / count / np.maximum(pooled[pair_class], 1e-12))
    level = means.pair_mean - means.class_mean[pair_class]
    levels = np.zeros((NUM_DRUM_CLASSES, N_QUANTILES), dtype=np.float32)
    spreads = np.ones((NUM_DRUM_CLASSES, N_QUANTILES), dtype=np.float32)
    shrinkage = np.zeros(NUM_DRUM_CLASSES, dtype=np.float32)
    for c in range(NUM_DRUM_CLASSES):
        chosen = (pair_class == c) & (count >= MIN_VOICE_HITS)
        if chosen.sum() >= 2:
            levels[c] = np.quantile(level[chosen], QUANTILE_PROBABILITIES)
            spreads[c] = np.quantile(pair_spread[chosen], QUANTILE_PROBABILITIES)
            shrinkage[c] = pooled[c] / max(float(np.var(level[chosen])), 1e-12)
    return table, levels, spreads, shrinkage


@dataclass
class PairMeans:
    """Each (performance, class) pair's mean of some residuals, and each class's mean over its pairs (every
    performance counts once, however many hits it plays): a pair's level is its mean less its class's."""

    inverse: np.ndarray  # (n,) the pair of each value
    count: np.ndarray  # (m,) values per pair
    pair_class: np.ndarray  # (m,)
    pair_mean: np.ndarray  # (m,)
    class_mean: np.ndarray  # (9,)

    @classmethod
    def of(cls, values: np.ndarray, performance: np.ndarray, drum_class: np.ndarray) -> PairMeans:
        pairs, inverse, count = np.unique(performance * NUM_DRUM_CLASSES + drum_class, return_inverse=True,
                                          return_counts=True)
        pair_class = pairs % NUM_DRUM_CLASSES
        pair_mean = np.bincount(inverse, values) / count
        class_mean = np.bincount(pair_class, pair_mean, NUM_DRUM_CLASSES) / np.maximum(
            1, np.bincount(pair_class, minlength=NUM_DRUM_CLASSES))
        return cls(inverse, count, pair_class, pair_mean, class_mean)

    def centered(self, values: np.ndarray) -> np.ndarray:
        """`values` less their pair's level: the spread one drummer plays within one song, without the spread
        between drummers and songs (loud or soft, ahead or behind the click)."""
        return values - self.pair_mean[self.inverse] + self.class_mean[self.pair_class[self.inverse]]


def humanize_all(performances: list[Performance], tables: FeelTables, seed: int) -> list[DrumGrid]:
    """Every performance's hits humanized at amount 1, a drummer drawn for each, from one stream seeded `seed`."""
    rng = np.random.default_rng(seed)
    out = []
    for performance in performances:
        drums = performance.drums
        plain = DrumGrid(drums.hits, np.where(drums.hits, 100, 0).astype(np.uint8), np.zeros_like(drums.offset))
        out.append(humanize(plain, performance.grid, 1.0, tables.draw_drummer(rng), rng, tables=tables,
                            velocity_spread=None))
    return out


def voice_figures(grids: list[DrumGrid], which: list[int]) -> dict[str, dict[str, float]]:
    """Per voice over the performances `which`: the velocity spread (standard deviation within a performance, the
    median over those playing the voice MIN_VOICE_HITS times or more) and the mean offset over all its hits."""
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
            figures[name] = {"velocity_spread": float(arrays.median(spreads)) if spreads else float("nan"),
                             "mean_offset": float(pooled.mean()), "hits": int(len(pooled))}
    return figures


def calibrate(tables: FeelTables, performances: list[Performance]) -> None:
    """Humanize the training performances and correct, per class, the drummers' velocity spread factors by the
    ratio of the drummers' per-performance velocity spread to the humanized one, and their offset levels by the
    difference of mean offsets (straight performances): the backoff, the quantiles' held tails and the clipping to
    the step otherwise leave both a little off. CALIBRATION_ROUNDS rounds, in place."""
    straight = [index for index, performance in enumerate(performances) if performance.straight]
    real_velocity = voice_figures([p.drums for p in performances], list(range(len(performances))))
    real_offset = voice_figures([p.drums for p in performances], straight)
    for _ in range(CALIBRATION_ROUNDS):
        humanized = humanize_all(performances, tables, seed=0)
        velocity, offset = voice_figures(humanized, list(range(len(performances)))), voice_figures(humanized, straight)
        for drum_class, name in enumerate(DRUM_CLASSES):
            if name in velocity and velocity[name]["velocity_spread"] > 0:
                ratio = real_velocity[name]["velocity_spread"] / velocity[name]["velocity_spread"]
                tables.drummer["velocity_spread"][drum_class] *= np.float32(np.clip(ratio, 0.5, 2.0))
            if name in offset:
                shift = real_offset[name]["mean_offset"] - offset[name]["mean_offset"]
                tables.drummer["offset_level"][drum_class] += np.float32(shift)


def pooled(figure: Callable[[DrumGrid, Grid], tuple[float, float]], parts: list[tuple[DrumGrid, Grid]]) -> float:
    """A drift.py figure (`onset_lag1`, `phrase_share`) pooled over `parts`: its sums added, then divided."""
    sums = np.array([figure(*part) for part in parts]).reshape(-1, 2)
    return float(sums[:, 0].sum() / max(sums[:, 1].sum(), 1e-12)) if len(sums) else float("nan")


def drift_figures(grids: list[DrumGrid], performances: list[Performance]) -> np.ndarray:
    """(2,) the velocity's phrase share over every performance and the onset lag-1 over the straight ones (timing
    is learned from those alone), of `grids` (the performances' own drums, or humanized)."""
    return np.array([pooled(phrase_share, [(g, p.grid) for g, p in zip(grids, performances)]),
                     pooled(onset_lag1, [(g, p.grid) for g, p in zip(grids, performances) if p.straight])])


def fit(root: Path) -> FeelTables:
    """The feel tables from GMD's train split at `root`."""
    started = time.perf_counter()
    performances = read_performances(root, ("train",))
    hits = collect_hits(performances)
    everything = np.ones(len(hits.velocity), dtype=bool)
    velocity, velocity_level, velocity_spread, velocity_shrinkage = fit_quantity(hits.velocity, hits, everything,
                                                                                 np.uint8, 1.0)
    offset, offset_level, offset_spread, offset_shrinkage = fit_quantity(hits.offset, hits, hits.straight, np.int8,
                                                                         OFFSET_UNITS_PER_STEP)
    drummer = {"velocity_level": velocity_level, "offset_level": offset_level, "velocity_spread": velocity_spread,
               "offset_spread": offset_spread}
    correlation, correlation_error = fit_correlation(
        [(hits.velocity, velocity, 1.0, everything), (hits.offset, offset, OFFSET_UNITS_PER_STEP, hits.straight)],
        hits.keys, hits.drum_class, hits.performance, hits.sixteenth)
    tables = FeelTables(velocity, offset, drummer, np.stack([velocity_shrinkage, offset_shrinkage]), correlation)
    calibrate(tables, performances)
    drummers = drift_figures([p.drums for p in performances], performances)
    tables.correlation, humanized_figures = calibrate_drift(
        tables.correlation, lambda c: drift_figures(humanize_all(performances, replace(tables, correlation=c), 0),
                                                    performances), drummers)
    tables.info = {
        "data": "Groove MIDI Dataset v1.0.0, train split (Gillick, Roberts, Engel, Eck, Bamman, ICML 2019; CC BY 4.0)",
        "performances": len(performances), "swung_performances_left_out_of_timing": sum(not p.straight
                                                                                         for p in performances),
        "hits": int(len(hits.velocity)), "levels": list(LEVELS), "min_context_hits": MIN_CONTEXT_HITS,
        "contexts_per_level": {"velocity": [len(k) for k in velocity.keys], "offset": [len(k) for k in offset.keys]},
        "correlation_fit_rms": {name: round(error, 4) for name, error in correlation_error.items()},
        "onset_lag1_straight": {"drummers": round(float(drummers[1]), 3),
                                "humanized": round(float(humanized_figures[1]), 3)},
        "phrase_share": {"drummers": round(float(drummers[0]), 4), "humanized": round(float(humanized_figures[0]), 4)},
        "fit_seconds": round(time.perf_counter() - started, 1), "fitted": datetime.date.today().isoformat(),
    }
    return tables


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m seq2drum.feel.fit", description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data/gmd"), help="GMD's folder (with info.csv)")
    parser.add_argument("--out", type=Path, default=SHIPPED, help="the .npz to write (its .json beside it)")
    args = parser.parse_args(argv)
    tables = fit(args.data)
    tables.save(args.out)
    print({key: tables.info[key] for key in ("performances", "hits", "contexts_per_level", "fit_seconds",
                                             "correlation_fit_rms", "onset_lag1_straight", "phrase_share")})
    print("correlation:", tables.correlation.describe())
    for name, array in tables.drummer.items():
        print(f"{name} per class at the 10th, 50th, 90th percentile:",
              np.round(sample_quantiles(np.repeat(array, 3, axis=0), np.tile([0.1, 0.5, 0.9], 9)), 3).reshape(9, 3)
              .tolist())


if __name__ == "__main__":
    main()
