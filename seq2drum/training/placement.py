"""Fitting groove.placement's statistics from the drummers of a model's training songs (never its validation songs):
where their fills and crashes fall in their sections, how long and on which voices, and how often a song's drummer
fills, read from what the model expects of the song.

    python -m seq2drum.training.placement [--checkpoint models/default.pt] [--data ../shared/data/midi]

The songs are the checkpoint's training split of --data (`split_songs` with its data config, as training and
tools.score_split split them), cut into the drummer's sections as the decision reads them (song.phrases). A fill bar is
../shared/scoring kit.py's (2+ tom hits, or 4+ snare hits on odd 16ths); a fill is a run of one or two fill bars (a
longer run is a tom groove, not a fill), placed by its last bar. The song's fill rate is a Poisson fit of its drummer's
fill bars (all of them) on the model's calibrated fill probability and tom hits a playing bar. About 15 seconds on one
core (the network scores every training song once, in numpy); writes seq2drum/groove/placement.json, which the
decision reads (groove.placement).
"""

from __future__ import annotations

import argparse
import datetime
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from seq2drum.atomic import write_atomic
from seq2drum.groove import (CRASH_POSITIONS, FAMILIES, FILL_LENGTHS, FILL_POSITIONS, FamilyPlacement, FillRate,
                             PLACEMENT_FILE, Placement, SHORT_BAR_STEPS, SpanSection, calibrated, crash_position,
                             fill_position, section_places)
from seq2drum.midi.drums import CRASH, SNARE, TOMS
from seq2drum.model.fast_start import FastModel
from seq2drum.model.loading import numpy_loaded
from seq2drum.model.scoring import numpy_song_scores
from seq2drum.parts.labels import family_of, fill_bars
from seq2drum.shipped import DEFAULT_CHECKPOINT
from seq2drum.song.bars import BarSong, bar_song
from seq2drum.song.corpus import build_corpus, split_songs

COMMAND = "python -m seq2drum.training.placement"
MAX_FILL_RUN = 2  # fill bars in a row that make a fill (a longer run is a tom groove)
RATE_OFFSET = 0.25  # added to each expectation before its log (a song that expects none still gets a rate)
RATE_MAX_PER_8 = 4.0  # a song fills at most every other bar
RATE_L2 = 0.1  # the penalty on the rate's powers
MIN_FAMILY_FILLS = 30  # a family with fewer fills than this places them as 4/4 does


@dataclass
class Tally:
    """One meter family's counts over the training songs."""

    bars: np.ndarray = field(default_factory=lambda: np.zeros(len(FILL_POSITIONS)))  # playing bars per position
    fills: np.ndarray = field(default_factory=lambda: np.zeros(len(FILL_POSITIONS)))  # fills ending there
    two_bars: int = 0
    toms: int = 0
    lengths: np.ndarray = field(default_factory=lambda: np.zeros(len(FILL_LENGTHS)))
    crash_bars: np.ndarray = field(default_factory=lambda: np.zeros((len(CRASH_POSITIONS), 2)))  # (position, after)
    crashes: np.ndarray = field(default_factory=lambda: np.zeros((len(CRASH_POSITIONS), 2)))


def positions(song: BarSong) -> tuple[np.ndarray, np.ndarray]:
    """(n,) each bar's position in its drummer's section (-1: none) and (n,) bool whether it closes a section that
    closes with a fill: what groove.request `placing` gives a take (its `section_places`)."""
    first = song.first_bar
    sections = tuple(SpanSection(s.start_bar - first, s.end_bar - first, 0) for s in song.sections)
    return section_places(sections, song.n_bars, song.n_bars)


def fill_runs(fills: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) of each run of fill bars MAX_FILL_RUN long at most."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], fills.astype(np.int8), [0]])))
    return [(a, b) for a, b in zip(edges[::2].tolist(), edges[1::2].tolist()) if b - a <= MAX_FILL_RUN]


def fill_length(bar: np.ndarray, n_steps: int, beat: int) -> str:
    """The length (FILL_LENGTHS) of a drummer's one-bar fill: the run of beats holding a tom or a snare on an odd 16th
    that ends at the last such beat; the whole bar where it runs from the first beat."""
    n_beats = max(1, n_steps // max(1, beat))
    steps = bar[:n_steps, list(TOMS)].any(axis=1) | (bar[:n_steps, SNARE] & (np.arange(n_steps) % 2 == 1))
    busy = [bool(steps[k * beat: (k + 1) * beat].any()) for k in range(n_beats)]
    last = max((k for k in range(n_beats) if busy[k]), default=n_beats - 1)
    first = last
    while first > 0 and busy[first - 1]:
        first -= 1
    length = last - first + 1
    return "bar" if first == 0 or length >= n_beats else FILL_LENGTHS[min(length, 3) - 1]


def tally_song(song: BarSong, tallies: dict[str, Tally]) -> None:
    """Count one training song's fills and crashes into its families' tallies."""
    hits = song.hits
    assert hits is not None
    n_steps = np.minimum(song.bar_steps, hits.shape[1])
    fills, playing = fill_bars(hits, n_steps), hits.any(axis=(1, 2))
    position, closing = positions(song)
    crash_at, fill_at = crash_position(position).tolist(), fill_position(position, closing).tolist()
    family = [family_of(int(s), int(b)) for s, b in zip(song.bar_steps.tolist(), song.beat_steps.tolist())]
    ends = {end - 1: (start, end) for start, end in fill_runs(fills)}
    for row in np.flatnonzero(playing).tolist():
        tally = tallies[family[row]]
        after = int(row > 0 and fills[row - 1])
        where = crash_at[row]
        tally.crash_bars[where, after] += 1
        tally.crashes[where, after] += bool(hits[row, 0, CRASH])
        at = fill_at[row]
        if at < 0 or song.bar_steps[row] <= SHORT_BAR_STEPS:
            continue
        tally.bars[at] += 1
        if row in ends:
            start, end = ends[row]
            tally.fills[at] += 1
            tally.two_bars += end - start == 2
            tally.toms += bool(hits[start:end, :, list(TOMS)].sum() >= 2)
            if end - start == 1:
                tally.lengths[FILL_LENGTHS.index(fill_length(hits[row], int(n_steps[row]),
                                                             int(song.beat_steps[row])))] += 1


def family_placement(tally: Tally) -> FamilyPlacement:
    """A family's placement from its tally: hazards relative to its mean (1), shares of its fills."""
    fill_rate = tally.fills.sum() / max(tally.bars.sum(), 1.0)
    hazard = (tally.fills / np.maximum(tally.bars, 1.0)) / max(fill_rate, 1e-9)
    n_fills = max(tally.fills.sum(), 1.0)
    lengths = tally.lengths / max(tally.lengths.sum(), 1.0)
    # crashes: P(crash | position, no fill before) over the mean, the bar after a fill's factor, normalised so the
    # mean over the bars is 1
    base = tally.crashes[:, 0] / np.maximum(tally.crash_bars[:, 0], 1.0)
    after = tally.crashes[:, 1].sum() / max(tally.crash_bars[:, 1].sum(), 1.0)
    before = tally.crashes[:, 0].sum() / max(tally.crash_bars[:, 0].sum(), 1.0)
    factor = after / max(before, 1e-9)
    expected = (tally.crash_bars[:, 0] * base).sum() + (tally.crash_bars[:, 1] * base).sum() * factor
    crash_hazard = base / max(expected / max(tally.crash_bars.sum(), 1.0), 1e-9)
    return FamilyPlacement(tuple(np.round(hazard, 4).tolist()), round(tally.two_bars / n_fills, 4),
                           tuple(np.round(lengths, 4).tolist()), round(tally.toms / n_fills, 4),
                           tuple(np.round(crash_hazard, 4).tolist()), round(float(factor), 4))


def poisson_fit(features: np.ndarray, counts: np.ndarray, exposure: np.ndarray, l2: float = RATE_L2,
                rounds: int = 50) -> np.ndarray:
    """The coefficients b of counts ~ Poisson(exposure * exp(features @ b)) (features (m, k), the first column the
    intercept's, unpenalised; the others penalised by `l2`), by Newton's method."""
    b = np.zeros(features.shape[1])
    b[0] = np.log(max(counts.sum(), 1e-9) / max(exposure.sum(), 1e-9))
    penalty = np.full(features.shape[1], 2 * l2)
    penalty[0] = 0.0
    for _ in range(rounds):
        mu = exposure * np.exp(features @ b)
        gradient = features.T @ (mu - counts) + penalty * b
        hessian = features.T @ (features * mu[:, None]) + np.diag(penalty)
        b = b - np.linalg.solve(hessian, gradient)
    return b


def fill_rate(expected: np.ndarray, fill_bars_per_song: np.ndarray, bars: np.ndarray) -> FillRate:
    """The songs' fill rate: their drummers' fill bars (m,) over their bars (m,), on what the model expects of each
    (m, 3): fill bars, tom hits and crash bars a playing bar."""
    features = np.column_stack([np.ones(len(bars)), np.log(expected[:, 0] + RATE_OFFSET),
                                np.log(expected[:, 1] + RATE_OFFSET)])
    b = poisson_fit(features, fill_bars_per_song.astype(np.float64), bars / 8.0)
    prior = expected.mean(axis=0)
    return FillRate(round(float(b[0]), 4), round(float(b[1]), 4), round(float(b[2]), 4), RATE_OFFSET, RATE_MAX_PER_8,
                    round(float(prior[0]), 4), round(float(prior[1]), 4), round(float(prior[2]), 4))


def expectations(model: FastModel, song: BarSong) -> tuple[float, float, float]:
    """What the model expects of a song a playing bar of its drummer's: fill bars, tom hits and crash bars
    (calibrated, as the decision reads them)."""
    p, structure = calibrated(numpy_song_scores(model.network, song), model.policy)
    assert song.hits is not None
    playing = song.hits.any(axis=(1, 2))
    playing = playing if playing.any() else np.ones(len(playing), dtype=bool)
    return (float(structure[playing, 2].mean()), float(p[playing][..., TOMS[0]: TOMS[-1] + 1].sum(axis=(1, 2)).mean()),
            float(structure[playing, 1].mean()))


def fit(songs: Sequence[BarSong], expected: np.ndarray, about: dict) -> Placement:
    """The placement of `songs` (training songs with drums) and what the model expects of each (m, 3)."""
    tallies = {name: Tally() for name in FAMILIES}
    counts, bars = np.zeros(len(songs)), np.zeros(len(songs))
    for index, song in enumerate(songs):
        tally_song(song, tallies)
        assert song.hits is not None
        counts[index] = fill_bars(song.hits, np.minimum(song.bar_steps, song.hits.shape[1])).sum()
        bars[index] = song.n_bars
    common = family_placement(tallies["4/4"])
    families = {name: family_placement(t) if t.fills.sum() >= MIN_FAMILY_FILLS else common
                for name, t in tallies.items()}
    about = {**about, "fills": {name: int(t.fills.sum()) for name, t in tallies.items()}}
    return Placement(families, fill_rate(expected, counts, bars), about)


def training_songs(checkpoint: Path, data: Path, limit: int) -> tuple[FastModel, list[BarSong]]:
    """The model and its training songs with drums (its split of `data`), as BarSongs (the cache's encodings)."""
    model = numpy_loaded(checkpoint)
    config = model.data_config
    corpus = build_corpus(data, config, None, None, progress=False)
    train, _ = split_songs(corpus.songs, config.val_fraction, config.split_seed)
    return model, [bar_song(song, model.spec) for song in train if song.drums is not None][: limit or None]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", type=Path, default=DEFAULT_CHECKPOINT, help="model file (default: the shipped "
                        "model)")
    parser.add_argument("--data", type=Path, default=Path("..") / "shared" / "data" / "midi")
    parser.add_argument("--out", type=Path, default=PLACEMENT_FILE)
    parser.add_argument("--limit", type=int, default=0, help="at most this many training songs (0: all)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    model, songs = training_songs(args.checkpoint, args.data, args.limit)
    expected = np.array([expectations(model, song) for song in songs]).reshape(-1, 3)
    about = {"data": f"{args.data.name}/, the training split of {args.checkpoint.name}", "songs": len(songs),
             "bars": int(sum(song.n_bars for song in songs)), "fitted": datetime.date.today().isoformat(),
             "command": COMMAND}
    placement = fit(songs, expected, about)
    write_atomic(args.out, (placement.to_json() + "\n").encode())
    print(f"{len(songs)} training songs, {about['bars']} bars: fills {placement.about['fills']} -> {args.out} "
          f"({time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
