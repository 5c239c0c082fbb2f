"""How loud the drummer plays beside the band, and how far from that level: the line from the mean velocity of a
song's other parts to the mean velocity of its drum part, and the line from the spread (standard deviation) of the
other parts' velocities to that of the drum part's, each fitted by least squares over a model's training songs (the
shipped model's by default), which is how seq2drum.feel.level's BAND_LEVEL_* and BAND_SPREAD_* were set; with the
correlations, the drummers' levels and spreads around the lines and around their means, and the same on the
validation songs.

    python -m studies.band_level [--data ../shared/data/midi] [--checkpoint runs/band1/best.pt]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from seq2drum.evaluation.evaluate import EvaluationSettings, chosen_songs
from seq2drum.evaluation.inputs import data_config_for
from seq2drum.feel.level import (BAND_LEVEL_INTERCEPT, BAND_LEVEL_SLOPE, BAND_SPREAD_INTERCEPT, BAND_SPREAD_SLOPE,
                                 heard_level, heard_spread)
from seq2drum.generation.generator import DrumGenerator
from seq2drum.song.corpus import build_corpus, files_by_content
from seq2drum.training.touch import MIN_NOTES, velocities


def levels(data: Path, songs: list) -> np.ndarray:
    """(n, 4): per song with enough notes, the mean velocity of its other parts and of its drum part, then the
    standard deviation of each."""
    files = files_by_content(data)
    rows = []
    for song in songs:
        path = files.get(song.sha256)
        if path is None:
            continue
        drum, other = velocities(path)
        if len(drum) >= MIN_NOTES and len(other) >= MIN_NOTES:
            rows.append((float(other.mean()), float(drum.mean()), float(other.std()), float(drum.std())))
    return np.array(rows).reshape(-1, 4)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=Path("..") / "shared" / "data" / "midi")
    parser.add_argument("--checkpoint", type=Path, default=None, help="model file (default: the shipped model)")
    args = parser.parse_args(argv)
    generator = DrumGenerator.from_checkpoint(args.checkpoint)
    config = data_config_for("band", generator.data_config)
    corpus = build_corpus(args.data, config, progress=False)
    train = levels(args.data, chosen_songs(corpus.songs, EvaluationSettings(split="train"), config, args.data)[0])
    slope, intercept = np.polyfit(train[:, 0], train[:, 1], 1)
    print(f"{len(train)} training songs: drummer's mean velocity = {slope:.3f} x the band's + {intercept:.1f} "
          f"(r {np.corrcoef(train.T)[0, 1]:.2f}); shipped: {BAND_LEVEL_SLOPE} x + {BAND_LEVEL_INTERCEPT}")
    slope, intercept = np.polyfit(train[:, 2], train[:, 3], 1)
    print(f"the drummer's velocity spread (standard deviation) = {slope:.3f} x the band's + {intercept:.1f} "
          f"(r {np.corrcoef(train[:, 2], train[:, 3])[0, 1]:.2f}); shipped: {BAND_SPREAD_SLOPE} x + "
          f"{BAND_SPREAD_INTERCEPT}")
    val = levels(args.data, chosen_songs(corpus.songs, EvaluationSettings(split="val"), config, args.data)[0])
    for name, rows in (("training", train), ("validation", val)):
        predicted = np.array([heard_level(np.array([band])) for band in rows[:, 0]])
        print(f"{name} ({len(rows)} songs): the drummers' levels spread {rows[:, 1].std():.1f} around their mean, "
              f"{(rows[:, 1] - predicted).std():.1f} around the shipped line")
        spread = np.array([heard_spread(np.array([50 - band, 50 + band])) for band in rows[:, 2]])
        print(f"  their velocity spreads: {np.abs(rows[:, 3] - rows[:, 3].mean()).mean():.1f} from their mean on "
              f"average, {np.abs(rows[:, 3] - spread).mean():.1f} from the shipped line")


if __name__ == "__main__":
    main()
