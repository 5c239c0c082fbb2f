"""How far the plan's choice of parts holds take 1 back (issue 68): the cross-validation's take 1 played with the
song's own drummer's parts in a share of its phrases, an upper bound for the part model.

    python -m tools.plan_bound --cv runs/cv10 --out runs/cv70 --share 1 -- CROSSVAL-ARGS
    python -m tools.plan_bound --cv runs/cv10 --out runs/cv72 --song -- ...        # the song's commonest part only
    python -m tools.plan_bound --cv runs/cv10 --out runs/cv76 --song --source network -- ...
    python -m tools.plan_bound --cv runs/cv10 --out runs/cv80 --sections -- ...     # a part per section (issue 87)

CROSSVAL-ARGS are `tools.crossval`'s for scoring (--data, --extra-data, --input-kind band, --takes 1, the policy,
--plan parts; not --out). Each fold of --cv lends its trained files (network, tuning, parts) to the same fold of
--out by link; the scores and outputs are --out's own, so a fresh --out is required. Take 1's plan is made as
shipped, then each phrase given the part the song's drummer plays there (his phrase's label, parts.labels, in the
fold's vocabulary) where a hash of the song's name and the phrase falls under --share; with --song each full phrase
plays the drummer's commonest full part instead, the plan's levels kept; with --sections each phrase of a section
plays the drummer's commonest part in that section occurrence, as `--mode arrange --drummer` names it (the bound a
musician's `--parts` is held to), the phrases no section holds as planned. `--source network` gives the parts the
network's own calibrated cells at --threshold or more play, a decision that needs no drummer. Later takes are as
shipped. Score the written take 1 with ../shared/scoring (tools.score_split, or its scripts on runs/cv10's split).
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from seq2drum.parts.arrangement import occurrences
from seq2drum.parts.labels import Phrase, family_of, song_labels
from seq2drum.song.bars import BarSong
from seq2drum.song.drum_part import per_bar
from seq2drum.song.grid import BAR_STEPS

FOLD_OUTPUTS = ("scores-", "eval-")  # a fold's files that are its scoring's, not its training's: never linked


def labelled_parts(planner: Any, song: BarSong, hits: np.ndarray, offset: np.ndarray,
                   phrases: list[Phrase]) -> np.ndarray:
    """(P,) the part each phrase of `song` plays given (n, S, 9) `hits` and `offset` per bar (its label in the
    planner's vocabulary)."""
    full = dataclasses.replace(song, hits=hits, offset=offset)
    _, labels = song_labels(full, phrases)
    return np.array([planner.vocabulary.assign(label) for label in labels], dtype=np.int64)


def drummer_hits(song: BarSong, encoded: Any) -> tuple[np.ndarray, np.ndarray] | None:
    """The song's own drums (an EncodedSong's) in the rows of `song`, the band input's bars; None where the bars
    differ (the input's grid is not the song's)."""
    bars = encoded.grid.bars[song.first_bar : song.first_bar + song.n_bars]
    if encoded.drums is None or len(bars) != song.n_bars or not np.array_equal(bars[:, BAR_STEPS], song.bar_steps):
        return None
    width = song.step_features.shape[1]
    return per_bar(encoded.drums.hits, bars, width).astype(bool), per_bar(encoded.drums.offset, bars, width)


def network_hits(song: BarSong, p: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """The cells the network's calibrated (n, S, 9) `p` holds at `threshold` or more, as hits without offsets."""
    hits = np.zeros((song.n_bars, *p.shape[1:]), dtype=bool)
    hits[: len(p)] = p[: song.n_bars] >= threshold
    return hits, np.zeros(hits.shape, dtype=np.float32)


def commonest_full(full: np.ndarray, parts: np.ndarray) -> int:
    """The commonest of `parts` that `full` (K,) marks a full part, -1 where none is."""
    counts = Counter(int(k) for k in parts.tolist() if full[k])
    return max(counts, key=lambda k: (counts[k], -k)) if counts else -1


def bound_parts(planned: np.ndarray, given: np.ndarray, full: np.ndarray, share: float, song_name: str,
                song_wide: bool = False) -> np.ndarray:
    """Take 1's parts: `planned` with phrase j given `given[j]` where a hash of the song and j falls under `share`
    (the same phrases at every run); `song_wide`: each phrase the plan plays a full part in gets the commonest
    full part of `given` instead (the plan's levels kept)."""
    if song_wide:
        common = commonest_full(full, given)
        given = np.where(full[planned], common, planned) if common >= 0 else planned
    drawn = np.array([int(hashlib.md5(f"{song_name}:{j}".encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
                      for j in range(len(planned))])
    return np.where(drawn < share, given, planned).astype(np.int64)


def section_parts(planned: np.ndarray, given: np.ndarray, full: np.ndarray, sections: list[tuple[int, ...]]
                  ) -> np.ndarray:
    """`planned` with each phrase of each section occurrence (`sections`: its phrases' indices) given the commonest
    of `given` there, ties to a full part, then the lower id (generation.arrange's rule for the drummer's part)."""
    parts = planned.copy()
    for held in sections:
        counts = Counter(int(given[j]) for j in held).most_common()
        parts[list(held)] = max(counts, key=lambda kc: (kc[1], bool(full[kc[0]]), -kc[0]))[0]
    return parts.astype(np.int64)


def link_folds(cv: Path, out: Path) -> int:
    """Each fold of `cv` lends its trained files to the same fold of `out` by link (the scoring's are left out);
    the number of folds. Refuses an `out` whose folds hold scores already (crossval would reuse them)."""
    folds = sorted(path for path in cv.glob("fold*") if path.is_dir())
    if not folds:
        raise SystemExit(f"--cv {cv}: no fold folders (fold0, fold1, ...); give a tools.crossval --out")
    for fold in folds:
        target = out / fold.name
        if any(target.glob("scores-*")):
            raise SystemExit(f"--out {out}: {target.name} holds scores already; give a fresh --out")
        target.mkdir(parents=True, exist_ok=True)
        for path in fold.iterdir():
            if path.is_file() and not path.name.startswith(FOLD_OUTPUTS) and not (target / path.name).exists():
                (target / path.name).symlink_to(path.resolve())
    return len(folds)


def install(share: float, song_wide: bool, source: str, threshold: float, sections: bool = False) -> Counter:
    """Make take 1's plan the bound's (see the module docstring) in this process; the counts it keeps."""
    from seq2drum.evaluation import evaluate as evaluation
    from seq2drum.parts import plan as plan_module

    counts: Counter = Counter()
    current: dict[str, Any] = {}
    evaluate_song, plans = evaluation.evaluate_song, plan_module.Planner.plans

    def evaluate_with_song(song: Any, *args: Any, **kwargs: Any) -> Any:
        current["song"] = song  # the song with its drums: the plan below reads them
        try:
            return evaluate_song(song, *args, **kwargs)
        finally:
            current.pop("song", None)

    def bound_plans(self: Any, song: BarSong, p: np.ndarray, n_plans: int, *args: Any, **kwargs: Any) -> list:
        made = plans(self, song, p, n_plans, *args, **kwargs)
        drums = drummer_hits(song, current["song"]) if made[0].played and "song" in current else None
        if drums is None:
            counts["songs left as planned"] += 1
            return made
        phrases = list(made[0].phrases)
        drummer = labelled_parts(self, song, *drums, phrases)
        given = drummer if source == "drummer" else labelled_parts(
            self, song, *network_hits(song, p, threshold), phrases)
        parts = bound_parts(made[0].parts, given, self.full, share, song.name, song_wide)
        if sections:
            families = [family_of(int(np.bincount(song.bar_steps[q.start_row: q.end_row]).argmax()),
                                  int(np.bincount(song.beat_steps[q.start_row: q.end_row]).argmax())) for q in phrases]
            held = [o.phrases for o in occurrences(phrases, families, song.first_bar)]
            parts = section_parts(made[0].parts, given, self.full, held)
        counts["songs"] += 1
        counts["phrases"] += len(parts)
        counts["phrases planned as the drummer's"] += int((made[0].parts == drummer).sum())
        counts["phrases played as the drummer's"] += int((parts == drummer).sum())
        truth = commonest_full(self.full, drummer)
        counts["songs whose commonest full part is the drummer's, planned"] += truth == commonest_full(
            self.full, made[0].parts) >= 0
        counts["... given"] += truth == commonest_full(self.full, given) >= 0
        made[0] = self.plan(phrases, parts, song.n_bars, swung=made[0].swung, source=made[0].source)
        return made

    evaluation.evaluate_song = evaluate_with_song
    plan_module.Planner.plans = bound_plans
    return counts


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    rest = argv[argv.index("--") + 1 :] if "--" in argv else []
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cv", type=Path, help="a tools.crossval --out whose folds are trained (without it: "
                        "`main.py --mode evaluate` with the arguments after --, a checkpoint's validation songs)")
    parser.add_argument("--out", type=Path, help="a fresh folder for the scores and outputs (with --cv)")
    parser.add_argument("--share", type=float, default=1.0, help="share of phrases given the drummer's part")
    parser.add_argument("--song", action="store_true", help="full phrases play the song's commonest full part")
    parser.add_argument("--sections", action="store_true", help="each section occurrence plays the drummer's "
                        "commonest part there")
    parser.add_argument("--source", choices=("drummer", "network"), default="drummer")
    parser.add_argument("--threshold", type=float, default=0.3, help="--source network: a cell's probability")
    args = parser.parse_args(argv[: argv.index("--")] if "--" in argv else argv)
    if not 0.0 <= args.share <= 1.0:
        parser.error(f"--share {args.share}: give a share between 0 and 1")
    if args.song and args.sections:
        parser.error("--song and --sections are two bounds: give one")
    if args.cv is None:  # the evaluation of one checkpoint's validation songs, in this process
        counts = install(args.share, args.song, args.source, args.threshold, args.sections)
        from seq2drum.cli.main import main as cli_main

        try:
            cli_main(["--mode", "evaluate", *rest])
        finally:
            print("plan bound:", dict(counts), flush=True)
        return
    if args.out is None or "--out" in rest:
        parser.error("with --cv, give --out before the --, not among crossval's arguments")
    folds = link_folds(args.cv, args.out)
    counts = install(args.share, args.song, args.source, args.threshold, args.sections)
    from tools import crossval

    sys.argv = ["tools.crossval", *rest, "--out", str(args.out), "--folds", str(folds)]
    try:
        crossval.main()
    finally:
        print("plan bound:", dict(counts), flush=True)


if __name__ == "__main__":
    main()
