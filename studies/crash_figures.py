"""Issue 23's crash figures from ../shared/scoring's per-song scores: how many songs crash on more than half their
bars (take 1 against the drummers), how many songs of 32+ bars whose drummer crashes in 4+ bars get at most one crash
bar in take 1, and the pooled crash F1 over bars.

    python -m studies.crash_figures runs/cv-kb/scoring [runs/cv-kb/scoring-guitar ...]

Each folder is a `tools.score_split` output (KIND-take1.json beside split/); bars are counted over drum_eval's span of
each song's input, as its structure figures count them.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from types import ModuleType

from tools.score_split import INPUT_DIRS
from tools.scoring_scripts import SCORING, scoring_script

LONG_SONG_BARS, DRUMMER_CRASH_BARS = 32, 4  # the issue's "songs of 32+ bars whose drummer crashes in 4+ bars"


def span_bars(evaluator: ModuleType, input_file: Path) -> int:
    """Bars of the span drum_eval scores the song's outputs over (its bar_marks' bars)."""
    loaded = evaluator.load(input_file)
    end = max((q for q, channel, _, _ in loaded["notes"] if channel != 9), default=0.0)
    return len(evaluator.bars(loaded["meters"], end))


def figures(folder: Path, kind: str, evaluator: ModuleType) -> dict[str, float | int] | None:
    """The crash figures of one input kind's take 1, or None when the folder did not score that kind."""
    scores = folder / f"{kind}-take1.json"
    if not scores.exists():
        return None
    songs = json.loads(scores.read_text())["songs"]
    inputs = folder / "split" / INPUT_DIRS[kind]
    half_gen = half_ref = long_songs = long_missed = scored = 0
    matched = marked = drummer = 0
    for name, row in songs.items():
        if "structure_counts" not in row:
            continue
        found = sorted(inputs.glob(f"{name}.*mid"))
        if not found:
            continue
        n_bars = span_bars(evaluator, found[0])
        tp, gen, ref = row["structure_counts"]["crash"]
        scored += 1
        matched, marked, drummer = matched + tp, marked + gen, drummer + ref
        half_gen += gen > n_bars / 2
        half_ref += ref > n_bars / 2
        if n_bars >= LONG_SONG_BARS and ref >= DRUMMER_CRASH_BARS:
            long_songs += 1
            long_missed += gen <= 1
    precision, recall = matched / max(marked, 1), matched / max(drummer, 1)
    return {
        "songs": scored,
        "take1_crash_over_half": half_gen / max(scored, 1),
        "drummers_crash_over_half": half_ref / max(scored, 1),
        "long_songs": long_songs,
        "long_songs_take1_at_most_one": long_missed / max(long_songs, 1),
        "pooled_crash_f1": 2 * precision * recall / (precision + recall) if precision + recall else 0.0,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folders", type=Path, nargs="+", help="tools.score_split outputs")
    parser.add_argument("--scoring", type=Path, default=SCORING)
    args = parser.parse_args(argv)
    evaluator = scoring_script("drum_eval", args.scoring)
    print("folder | input | songs | take 1 crashes >1/2 bars | drummers | 32+-bar songs | take 1 <=1 crash bar | "
          "pooled crash F1")
    for folder in args.folders:
        for kind in INPUT_DIRS:
            row = figures(folder, kind, evaluator)
            if row is not None:
                print(f"{folder} | {kind} | {row['songs']} | {row['take1_crash_over_half']:.1%} | "
                      f"{row['drummers_crash_over_half']:.1%} | {row['long_songs']} | "
                      f"{row['long_songs_take1_at_most_one']:.1%} | {row['pooled_crash_f1']:.3f}")


if __name__ == "__main__":
    main()
