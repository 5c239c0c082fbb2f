"""../shared/scoring's realism.py per genre of the committed table (docs/data/genres.tsv; issue 100: "realism.py on
jazz/'s songs in 4/4 and on every genre"): one classifier over all the songs, as realism.py trains it, and its
held-out accuracy counted per genre.

    python -m studies.realism_by_genre INPUTS REFS GEN [GEN2 ...] [--table docs/data/genres.tsv] [--json OUT]

INPUTS, REFS and GEN are realism.py's (midisplit.py's band/ and refs/, a take's folder such as tools.crossval's
gen-TAG/band/take1). realism.py's own phrases (its `phrases`: each 4-bar phrase's cells, counts, velocity,
repetition and the band's onsets, songs in 4/4 only), real and generated balanced per song, its classifier
(gradient-boosted trees, 5 folds grouped by song, random_state 0): the pooled accuracy is realism.py's figure.
Each phrase's held-out prediction is then counted under its song's genre (NAME as midisplit names it: the table's
path without its folder and `.mid`, each `/` a `__`); 50% = indistinguishable from the drummers of that genre.
A genre of a few songs rests on few phrases: the line says how many.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

import numpy as np

from studies.style_by_genre import genre_of_names
from tools.scoring_scripts import SCORING, scoring_script


def phrase_table(realism: object, inputs: Path, refs: Path, gen: Path) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """realism.py's X, y and each row's song NAME (real rows first for each song, as its `main` builds them)."""
    rows, labels, songs = [], [], []
    for path in sorted(inputs.glob("*.guitar.mid")):
        name = path.name[: -len(".guitar.mid")]
        real, made = refs / f"{name}.drums.mid", gen / f"{name}.drums.mid"
        if not (real.exists() and made.exists()):
            continue
        r, q = realism.phrases(path, real), realism.phrases(path, made)  # type: ignore[attr-defined]
        if not r or not q:
            continue
        m = min(len(r), len(q))
        rows += r[:m] + q[:m]
        labels += [1] * m + [0] * m
        songs += [name] * (2 * m)
    return np.array(rows), np.array(labels), songs


def held_out_correct(x: np.ndarray, y: np.ndarray, songs: list[str]) -> np.ndarray:
    """(N,) bool each phrase told right by the classifier of the fold that held its song out (realism.py's)."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.model_selection import GroupKFold

    groups = np.unique(np.array(songs), return_inverse=True)[1]
    correct = np.zeros(len(y), dtype=bool)
    for train, test in GroupKFold(5).split(x, y, groups):
        classifier = HistGradientBoostingClassifier(max_iter=200, random_state=0).fit(x[train], y[train])
        correct[test] = classifier.predict(x[test]) == y[test]
    return correct


def by_genre(correct: np.ndarray, songs: list[str], genres: dict[str, str]) -> dict[str, dict[str, float]]:
    """Per genre (and "all"): songs, phrases (real and generated) and the held-out accuracy."""
    members: dict[str, list[int]] = defaultdict(list)
    for index, song in enumerate(songs):
        members[genres.get(song, "?")].append(index)
        members["all"].append(index)
    return {genre: {"songs": len({songs[i] for i in rows}), "phrases": len(rows),
                    "accuracy": float(correct[rows].mean())}
            for genre, rows in sorted(members.items(), key=lambda item: -len(item[1]))}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("inputs", type=Path)
    parser.add_argument("refs", type=Path)
    parser.add_argument("gens", type=Path, nargs="+")
    parser.add_argument("--table", type=Path, default=Path("docs/data/genres.tsv"))
    parser.add_argument("--scoring", type=Path, default=SCORING, help="../shared/scoring")
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args(argv)
    realism, genres = scoring_script("realism", args.scoring), genre_of_names(args.table)
    out = {}
    for gen in args.gens:
        x, y, songs = phrase_table(realism, args.inputs, args.refs, gen)
        if len(set(songs)) < 5:
            parser.error(f"{gen}: {len(set(songs))} songs in 4/4 with both parts; realism.py's 5 folds need 5")
        out[str(gen)] = figures = by_genre(held_out_correct(x, y, songs), songs, genres)
        print(gen)
        for genre, row in figures.items():
            print(f"  {genre}: {row['songs']} songs, {row['phrases']} phrases, real-vs-generated accuracy "
                  f"{100 * row['accuracy']:.1f}%")
    if args.json:
        args.json.write_text(json.dumps(out, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
