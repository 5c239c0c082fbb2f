"""Fitting the feel tables from the Groove MIDI Dataset (Gillick, Roberts, Engel, Eck, Bamman, "Learning to Groove
with Inverse Sequence Transformations", ICML 2019; CC BY 4.0): each performance quantized to the 16th grid of the
tempo and meter its file holds (the click the drummer played to), every hit's context read by contexts.py, then per
context the quantiles of velocity (every performance) and of offset from the grid (straight performances only: a
swung eighth quantized to 16ths is a swing decision, which `--swing` and the groove stage own, not a hit's feel).

    python -m seq2drum.feel.fit --data ../shared/data/gmd     # about a minute on one core; writes gmd_feel.npz/.json

The feels: "laid-back" and "pushed" shift each class by how GMD's fifth of straight performances placed furthest
behind / ahead of the click play it, against all of them; "tight" narrows timing as its fifth of performances with
the smallest spread around the context medians do.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from seq2drum.feel.contexts import LEVELS, N_LEVELS, hit_contexts
from seq2drum.feel.model import (N_QUANTILES, OFFSET_UNITS_PER_STEP, QUANTILE_PROBABILITIES, SHIPPED, FeelTables,
                                 Table)
from seq2drum.midi.drums import CLOSED_HAT, NUM_DRUM_CLASSES, OPEN_HAT, RIDE
from seq2drum.midi.io import read_midi
from seq2drum.options import FEELS
from seq2drum.song.grid import BAR_DENOMINATOR, DrumGrid, Grid, drums_to_grid

STEPS_PER_QUARTER = 4
MIN_CONTEXT_HITS = 50  # a context answers only when training saw at least this many of its hits
STRAIGHT_MAX_SWING = 0.55  # ../shared/scoring's line: a mean off-beat position at or below it is straight
FEEL_FRACTION = 0.2  # the fifth of performances each learned feel is drawn from
TIMEKEEPERS = (CLOSED_HAT, OPEN_HAT, RIDE)


@dataclass
class Performance:
    """One GMD file, quantized: its drums on the 16th grid with their offsets and velocities."""

    name: str
    split: str
    style: str
    drums: DrumGrid
    grid: Grid
    swing: float | None  # mean off-beat time-keeping position in the beat, as ../shared/scoring measures it

    @property
    def straight(self) -> bool:
        return self.swing is None or self.swing <= STRAIGHT_MAX_SWING


@dataclass
class Hits:
    """Every hit of some performances with its context (the fit's and the bench's input)."""

    keys: np.ndarray  # (n, N_LEVELS) int64
    drum_class: np.ndarray  # (n,)
    velocity: np.ndarray  # (n,) float
    offset: np.ndarray  # (n,) float, steps
    performance: np.ndarray  # (n,) index into the performances
    straight: np.ndarray  # (n,) bool, the hit's performance is straight


def measured_swing(drums: DrumGrid, grid: Grid) -> float | None:
    """../shared/scoring's swing: over quarter beats of x/4 bars holding exactly one hat or ride hit off the beat
    (0.1-0.9 of it), with that one at 0.375-0.875, its mean position; None under 8 such beats."""
    q = grid.steps_per_quarter
    step, drum_class = np.nonzero(drums.hits[:, list(TIMEKEEPERS)])
    quarter_bars = np.repeat(grid.bars[:, BAR_DENOMINATOR] == 4, grid.bars[:, 1])
    keep = quarter_bars[np.minimum(step, grid.n_steps - 1)]
    time_q = (step + drums.offset[step, np.asarray(TIMEKEEPERS)[drum_class]]) / q
    beat, position = np.floor(time_q[keep]).astype(np.int64), (time_q % 1.0)[keep]
    off = (position >= 0.1) & (position <= 0.9)
    beats, first, count = np.unique(beat[off], return_index=True, return_counts=True)
    positions = position[off][first]
    chosen = positions[(count == 1) & (positions >= 0.375) & (positions <= 0.875)]
    return float(chosen.mean()) if len(chosen) >= 8 else None


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
                                        measured_swing(drums, grid)))
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
                      np.full(n, performance.straight)))
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


def fit_feels(hits: Hits, offset: Table) -> tuple[np.ndarray, np.ndarray]:
    """(len(FEELS), 9) offset shift per class and (len(FEELS),) timing spread factor, from straight performances."""
    straight = hits.straight
    performance = hits.performance[straight]
    offsets, classes = hits.offset[straight], hits.drum_class[straight]
    medians = offset.rows(hits.keys[straight])[0][:, N_QUANTILES // 2] / OFFSET_UNITS_PER_STEP
    ids, inverse = np.unique(performance, return_inverse=True)
    counts = np.bincount(inverse)
    mean_offset = np.bincount(inverse, offsets) / counts
    spread = np.sqrt(np.bincount(inverse, (offsets - medians) ** 2) / counts)
    n_feel = max(1, int(round(FEEL_FRACTION * len(ids))))

    def class_means(chosen: np.ndarray) -> np.ndarray:
        mask = np.isin(inverse, chosen)
        total = np.bincount(classes[mask], offsets[mask], NUM_DRUM_CLASSES)
        return total / np.maximum(1, np.bincount(classes[mask], minlength=NUM_DRUM_CLASSES))

    everyone = class_means(np.arange(len(ids)))
    shift = np.zeros((len(FEELS), NUM_DRUM_CLASSES), dtype=np.float32)
    shift[FEELS.index("laid-back")] = class_means(np.argsort(mean_offset)[-n_feel:]) - everyone
    shift[FEELS.index("pushed")] = class_means(np.argsort(mean_offset)[:n_feel]) - everyone
    factor = np.ones(len(FEELS), dtype=np.float32)
    tight = np.isin(inverse, np.argsort(spread)[:n_feel])
    factor[FEELS.index("tight")] = np.sqrt(np.mean((offsets - medians)[tight] ** 2) / np.mean((offsets - medians) ** 2))
    return shift, factor


def within_performance(values: np.ndarray, performance: np.ndarray, drum_class: np.ndarray) -> np.ndarray:
    """`values` less each (performance, class) mean, plus the class's mean over all: the spread one drummer plays
    within one song, without the spread between drummers and songs (loud or soft, ahead or behind the click), which
    a song sampled hit by hit would otherwise get all at once; each class keeps its mean."""
    _, inverse = np.unique(performance * NUM_DRUM_CLASSES + drum_class, return_inverse=True)
    pair_mean = np.bincount(inverse, values) / np.bincount(inverse)
    class_mean = np.bincount(drum_class, values, NUM_DRUM_CLASSES) / np.maximum(
        1, np.bincount(drum_class, minlength=NUM_DRUM_CLASSES))
    return values - pair_mean[inverse] + class_mean[drum_class]


def fit(root: Path) -> FeelTables:
    """The feel tables from GMD's train split at `root`."""
    started = time.perf_counter()
    performances = read_performances(root, ("train",))
    hits = collect_hits(performances)
    velocity = fit_table(hits.keys, within_performance(hits.velocity, hits.performance, hits.drum_class), np.uint8,
                         1.0)
    straight = hits.straight
    offset = fit_table(hits.keys[straight], within_performance(
        hits.offset[straight], hits.performance[straight], hits.drum_class[straight]), np.int8, OFFSET_UNITS_PER_STEP)
    shift, spread = fit_feels(hits, offset)
    info = {
        "data": "Groove MIDI Dataset v1.0.0, train split (Gillick, Roberts, Engel, Eck, Bamman, ICML 2019; CC BY 4.0)",
        "performances": len(performances), "swung_performances_left_out_of_timing": sum(not p.straight
                                                                                         for p in performances),
        "hits": int(len(hits.velocity)), "levels": list(LEVELS), "min_context_hits": MIN_CONTEXT_HITS,
        "contexts_per_level": {"velocity": [len(k) for k in velocity.keys], "offset": [len(k) for k in offset.keys]},
        "fit_seconds": round(time.perf_counter() - started, 1), "fitted": datetime.date.today().isoformat(),
    }
    return FeelTables(velocity, offset, shift, spread, info)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m seq2drum.feel.fit", description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data/gmd"), help="GMD's folder (with info.csv)")
    parser.add_argument("--out", type=Path, default=SHIPPED, help="the .npz to write (its .json beside it)")
    args = parser.parse_args(argv)
    tables = fit(args.data)
    tables.save(args.out)
    print({key: tables.info[key] for key in ("performances", "hits", "contexts_per_level", "fit_seconds")})
    print("feel shift (steps):", {feel: np.round(row, 3).tolist() for feel, row in zip(FEELS, tables.feel_shift)})
    print("feel spread:", dict(zip(FEELS, np.round(tables.feel_spread, 3).tolist())))


if __name__ == "__main__":
    main()
