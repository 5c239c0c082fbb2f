"""A quick study of the kit: how often take 1 plays each class of the kit against the song's drummer, its fills, and
its mean song F1, on a model's validation songs from the whole arrangement, for the decision as it is in this checkout.

    python -m tools.kit_study [--split val] [--limit N] [--checkpoint PATH]

The network's scores are computed once per song from the cache (the song's encoded grid: every part, as the band
input hears it), then decided and humanized as generation does, and compared with the song's own drums over its
span: per class (kick, snare, closed hat, open hat, toms, crash, ride) the rate ratio (our hits over the drummer's,
pooled) and the bars ratio (bars using the class), fill bars per 8 bars (../shared/scoring's kit.py definition: 2+
tom hits, or 4+ snare hits on odd 16ths), and the mean song F1 over (16th, class) cells. For fast comparisons while
the decision changes; the figures an issue asks for come from ../shared/scoring on the written files
(tools/score_split.py).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from seq2drum.evaluation import metrics
from seq2drum.evaluation.evaluate import EvaluationSettings, chosen_songs
from seq2drum.evaluation.inputs import data_config_for
from seq2drum.generation.generator import DrumGenerator
from seq2drum.groove.policy import policy_change
from seq2drum.model.scoring import WholeSongScorer
from seq2drum.options import GenerationOptions
from seq2drum.song.bars import bar_song
from seq2drum.song.corpus import build_corpus
from seq2drum.song.grid import BAR_START, BAR_STEPS, DrumGrid

KIT = {"kick": (0,), "snare": (1,), "closed hat": (2,), "open hat": (3,), "toms": (4, 5, 6), "crash": (7,),
       "ride": (8,)}


def bar_rows(drums: DrumGrid, grid: object, span: tuple[int, int]) -> list[np.ndarray]:
    """The drums' hits (steps, 9) of each bar that starts inside the span."""
    rows = []
    for start, steps in grid.bars[:, [BAR_START, BAR_STEPS]].tolist():  # type: ignore[attr-defined]
        if span[0] <= start < span[1]:
            rows.append(drums.hits[start : min(start + steps, span[1])])
    return rows


def kit_counts(rows: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, int]:
    """Hits and bars using each kit class, and the fill bars, over bars of hits (steps, 9)."""
    hits, bars, fills = np.zeros(len(KIT)), np.zeros(len(KIT)), 0
    for bar in rows:
        for k, classes in enumerate(KIT.values()):
            n = int(bar[:, list(classes)].sum())
            hits[k] += n
            bars[k] += n > 0
        toms = int(bar[:, [4, 5, 6]].sum())
        odd_snares = int(bar[1::2, 1].sum())
        fills += toms >= 2 or odd_snares >= 4
    return hits, bars, fills


def set_constant(name: str, value: str) -> None:
    """A groove/settings.py constant changed in every loaded seq2drum module that holds it (a study, not a setting)."""
    import sys

    from seq2drum.groove import settings

    old = getattr(settings, name)
    new = type(old)(float(value)) if isinstance(old, (int, float)) else value
    for module in [m for key, m in sys.modules.items() if key.startswith("seq2drum") and m is not None]:
        if getattr(module, name, None) is old:
            setattr(module, name, new)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=Path("..") / "shared" / "data" / "midi")
    parser.add_argument("--checkpoint", type=Path, default=None)
    parser.add_argument("--split", default="val", choices=("val", "train", "all"))
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--policy", action="append", default=[], type=policy_change, metavar="NAME=VALUE",
                        help="a DecodingPolicy field changed from the model's (repeatable)")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="a constant of groove/settings.py changed wherever it is read (repeatable)")
    args = parser.parse_args(argv)
    for change in args.set:
        set_constant(*change.split("=", 1))
    started = time.perf_counter()
    generator = DrumGenerator.from_checkpoint(args.checkpoint)
    if args.policy:
        generator.decoder.policy = generator.decoder.policy.replace(**dict(args.policy))
    config = data_config_for("band", generator.data_config)
    corpus = build_corpus(args.data, config, progress=False)
    songs = chosen_songs(corpus.songs, EvaluationSettings(split=args.split, limit=args.limit), config, args.data)[0]
    options = GenerationOptions(seed=args.seed)
    ours, theirs = np.zeros((2, len(KIT))), np.zeros((2, len(KIT)))
    fills, n_bars, f1s = np.zeros(2), 0, []
    for song in songs:
        scorer = WholeSongScorer(generator.song_scores(bar_song(song, generator.spec)))
        takes = generator.decide(scorer, options, args.seed, song.grid)
        drums = generator.takes_to_grids(song, takes[:1], options, args.seed)[0]
        span = song.span_steps
        assert song.drums is not None
        real = song.drums.hits[span[0] : span[1]]
        counts = metrics.match_hits(drums.hits[span[0] : span[1]], real, 0)
        f1s.append(counts.micro()[2])
        for side, grid_drums in enumerate((drums, song.drums)):
            rows = bar_rows(grid_drums, song.grid, span)
            hits, bars, fill = kit_counts(rows)
            (ours if side == 0 else theirs)[0] += hits
            (ours if side == 0 else theirs)[1] += bars
            fills[side] += fill
        n_bars += len(bar_rows(song.drums, song.grid, span))
    print(f"{len(songs)} songs, {n_bars} bars, mean song F1 {np.mean(f1s):.4f} ({time.perf_counter() - started:.0f} s)")
    print(f"{'class':<11} {'rate ratio':>10} {'bars ratio':>10} {'ours/bar':>9} {'drummer/bar':>11}")
    for k, name in enumerate(KIT):
        print(f"{name:<11} {ours[0, k] / max(theirs[0, k], 1):>10.2f} {ours[1, k] / max(theirs[1, k], 1):>10.2f} "
              f"{ours[0, k] / max(n_bars, 1):>9.2f} {theirs[0, k] / max(n_bars, 1):>11.2f}")
    per8 = 8 * fills / max(n_bars, 1)
    print(f"fill bars per 8 bars: ours {per8[0]:.2f}, the drummers' {per8[1]:.2f}")


if __name__ == "__main__":
    main()
