"""Can the parts tell which cymbal a drummer keeps time on? The measurement behind issue 24's ride and open-hat
targets (per-class F1 0.05 each, at no more than 0.003 of mean song F1), from the data and the model's own input
columns, no network.

    python -m studies.timekeeper_signal [--data ../shared/data/midi] [--limit N]

For every section (`song.sections`) of every song with drums, the time-keeping hits (closed hat, open hat, ride) and
what the model reads of the section (its bar columns and its step columns, the whole band heard, averaged over the
section). A small classifier (one hidden layer, fitted per cross-validation fold by content hash, as
`tools.crossval` splits the songs) rates each held-out section as kept on the ride, or on the open hat. Printed:
- the share of time-keeping hits on each cymbal;
- per voice, the classifier's AUC over sections and over time-keeping hits, and for each threshold the sections it
  would move to that voice, how many of them the drummer keeps on it, and the net cells: the voice's real hits minus
  the closed hat's in those sections (a section moved from the hat gains the first and loses the second). A signal
  worth taking shows as a positive net at some threshold;
- in 4/4 bars, the open hat's and closed hat's rate on each 16th: a position where the open hat were the likelier
  would let a per-step rule play it at no cost.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch

from seq2drum.config import DataConfig
from seq2drum.midi.drums import CLOSED_HAT, OPEN_HAT, RIDE, TIMEKEEPERS
from seq2drum.song.bars import BarSong, FeatureSpec, bar_song
from seq2drum.song.corpus import build_corpus, fold_of

VOICES = {"ride": RIDE, "open hat": OPEN_HAT}
THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.7)


def section_rows(song: BarSong) -> tuple[np.ndarray, np.ndarray]:
    """Per section with time-keeping hits: (sections, features) the model's columns averaged over its bars and steps,
    and (sections, 3) its closed-hat, open-hat and ride hits."""
    features, counts = [], []
    for section in song.sections:
        start, end = section.start_bar - song.first_bar, section.end_bar - song.first_bar
        start, end = max(0, start), min(song.n_bars, end)
        if end <= start:
            continue
        hits = song.hits[start:end][:, :, TIMEKEEPERS].sum(axis=(0, 1))
        if not hits.sum():
            continue
        steps = np.concatenate([song.step_features[b, : song.bar_steps[b]] for b in range(start, end)])
        features.append(np.concatenate([song.bar_features[start:end].mean(axis=0), steps.mean(axis=0)]))
        counts.append(hits)
    width = song.bar_features.shape[1] + song.step_features.shape[2]
    return (np.array(features, dtype=np.float32).reshape(-1, width), np.array(counts, dtype=np.float64).reshape(-1, 3))


def auc(score: np.ndarray, label: np.ndarray, weight: np.ndarray) -> float:
    """Weighted area under the ROC curve of `score` for the boolean `label`."""
    order = np.argsort(-score, kind="stable")
    positive, negative = np.cumsum((weight * label)[order]), np.cumsum((weight * ~label)[order])
    if positive[-1] == 0 or negative[-1] == 0:
        return float("nan")
    return float(np.trapezoid(positive / positive[-1], negative / negative[-1]))


def held_out_ratings(features: np.ndarray, share: np.ndarray, weight: np.ndarray, folds: np.ndarray,
                     seed: int = 0, steps: int = 300) -> np.ndarray:
    """Each section's rating (0-1) of `share` (the voice's part of its time-keeping hits), by a classifier fitted on
    the other folds' sections, each weighted by `weight`."""
    mean, spread = features.mean(axis=0), features.std(axis=0) + 1e-6
    x_all = torch.from_numpy((features - mean) / spread)
    ratings = np.zeros(len(features))
    for fold in np.unique(folds).tolist():
        train = folds != fold
        torch.manual_seed(seed)
        net = torch.nn.Sequential(torch.nn.Linear(features.shape[1], 32), torch.nn.ReLU(), torch.nn.Dropout(0.3),
                                  torch.nn.Linear(32, 1))
        optimizer = torch.optim.AdamW(net.parameters(), lr=1e-2, weight_decay=1e-2)
        x, y = x_all[train], torch.from_numpy(share[train].astype(np.float32))
        w = torch.from_numpy(weight[train].astype(np.float32))
        for _ in range(steps):
            optimizer.zero_grad()
            loss = (torch.nn.functional.binary_cross_entropy_with_logits(net(x)[:, 0], y, reduction="none") * w)
            loss.mean().backward()
            optimizer.step()
        net.eval()
        with torch.no_grad():
            ratings[~train] = torch.sigmoid(net(x_all[~train])[:, 0]).numpy()
    return ratings


def step_rates(songs: list[BarSong]) -> np.ndarray:
    """(16, 2) the open hat's and the closed hat's rate on each 16th of the 4/4 bars."""
    bars = np.concatenate([song.hits[song.bar_steps == 16, :16] for song in songs])
    return np.stack([bars[:, :, OPEN_HAT].mean(axis=0), bars[:, :, CLOSED_HAT].mean(axis=0)], axis=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=Path("..") / "shared" / "data" / "midi")
    parser.add_argument("--limit", type=int, default=0, help="at most this many songs (0 = all)")
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args()
    config = DataConfig()
    corpus = build_corpus(args.data, config, progress=False)
    encoded = [s for s in corpus.songs if s.drums is not None][: args.limit or None]
    spec = FeatureSpec.current(config.steps_per_quarter)
    songs = [bar_song(s, spec) for s in encoded]
    rows = [section_rows(song) for song in songs]
    features = np.concatenate([f for f, _ in rows])
    counts = np.concatenate([c for _, c in rows])
    folds = np.concatenate([np.full(len(c), fold_of(s, args.folds, config.split_seed)) for s, (_, c) in
                            zip(encoded, rows)])
    total = counts.sum(axis=1)
    print(f"{len(songs)} songs, {len(counts)} sections with time-keeping hits; of their {int(total.sum())} hits "
          f"closed hat {counts[:, 0].sum() / total.sum():.1%}, open hat {counts[:, 1].sum() / total.sum():.1%}, "
          f"ride {counts[:, 2].sum() / total.sum():.1%}")
    for name, voice in VOICES.items():
        column = TIMEKEEPERS.index(voice)
        share = counts[:, column] / total
        kept = share > 0.5
        ratings = held_out_ratings(features, share, np.sqrt(total), folds)
        print(f"\n{name}: kept on it in {kept.mean():.1%} of sections ({(total * kept).sum() / total.sum():.1%} of "
              f"hits); held-out AUC {auc(ratings, kept, np.ones(len(kept))):.3f} over sections, "
              f"{auc(ratings, kept, total):.3f} over hits")
        for threshold in THRESHOLDS:
            chosen = ratings > threshold
            net = counts[chosen, column].sum() - counts[chosen, 0].sum()
            precision = kept[chosen].mean() if chosen.any() else 0.0
            print(f"  rated over {threshold}: {int(chosen.sum())} sections, {precision:.0%} kept on it; net cells "
                  f"{net:+.0f} of {int(total.sum())}")
    rates = step_rates(songs)
    print("\n4/4 bars, open hat / closed hat rate per 16th: "
          + " ".join(f"{step}:{o:.3f}/{c:.2f}" for step, (o, c) in enumerate(rates)))
    print(f"the open hat likelier than the closed hat on {int((rates[:, 0] > rates[:, 1]).sum())} of 16 steps")


if __name__ == "__main__":
    main()
