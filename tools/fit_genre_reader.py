"""Writes seq2drum/band/genre_reader.json, the numbers of the genre reader that ships (seq2drum.band.heard): jazz
against the rest from the issue's three crude numbers (seventh chords, jazz programs, swing), fitted on the committed
genre table (docs/data/genres.tsv) and never on anything shipped with the songs.

    OMP_NUM_THREADS=1 python -m tools.fit_genre_reader [--data ../shared/data] [--cache runs/heard100] [--check]

Two readers are measured out of fold, leaving one source repository out (so neither learns the source): the crude
check (the three numbers z-scored on the other sources' songs and summed) and a logistic regression on the same three
(classes balanced, its L2 chosen within each fold). Each fold's threshold is the one that best balances jazz found
and the rest kept (Youden's J) on its training songs. Beside the threshold, `sure`: the score over which a jazz call
is sure, the cut with the fewest wrong calls on the table's songs (each song counted once; it calls 13 of the 663
others jazz where the threshold calls 86, and finds 27 of the 37 jazz songs): under it the run's "heard:" line says
the call is a close one and how to say otherwise (seq2drum.band.heard). The better by AUC ships (the crude check on
a tie: it fits two numbers a field), refitted on every song. Printed: both readers' AUC, balanced accuracy, jazz
found and rest called jazz; the table's calls at the threshold and at `sure`; how the table's genres read as a
12-bar blues (the blues word); the three words against the table. --check fails when the committed file differs
from what this writes.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from seq2drum.band import DESCRIPTION_FIELDS
from seq2drum.band.description import BLUES_CHORUSES, BLUES_FORM_SHARE
from seq2drum.band.heard import GENRE_READER
from seq2drum.options import GENRES
from studies.genre_reader import (L2_GRID, auc, bootstrap_auc, crude_columns, describe_all, fit_softmax, inner_loss,
                                  load_table)

CRUDE_FIELDS = ("sevenths", "jazz_program_share", "swing")  # as seq2drum.band.heard reads them


def _cuts(scores: np.ndarray) -> np.ndarray:
    """Every threshold that splits these scores differently: midway between two, and one beyond each end."""
    values = np.unique(scores)
    return np.r_[values[0] - 1.0, (values[1:] + values[:-1]) / 2, values[-1] + 1.0]


def youden(scores: np.ndarray, jazz: np.ndarray) -> float:
    """The threshold with the best jazz found plus rest kept (Youden's J), on these songs."""
    cuts = _cuts(scores)
    balanced = [(scores[jazz] >= cut).mean() + (scores[~jazz] < cut).mean() for cut in cuts]
    return float(cuts[int(np.argmax(balanced))])


def fewest_errors(scores: np.ndarray, jazz: np.ndarray) -> float:
    """The threshold with the fewest wrong calls on these songs, each song counted once (the lowest such)."""
    cuts = _cuts(scores)
    wrong = [np.count_nonzero(scores[jazz] < cut) + np.count_nonzero(scores[~jazz] >= cut) for cut in cuts]
    return float(cuts[int(np.argmin(wrong))])


def crude_fit(x: np.ndarray, jazz: np.ndarray, groups: np.ndarray) -> dict[str, object]:
    """The crude check's numbers on songs `x` (n, 3): its mean, std and Youden threshold."""
    mean, std = x.mean(axis=0), np.where(x.std(axis=0) > 1e-9, x.std(axis=0), 1.0)
    scores = ((x - mean) / std).sum(axis=1)
    return {"mean": mean, "std": std, "weights": np.ones(x.shape[1]), "bias": 0.0,
            "threshold": youden(scores, jazz)}


def logistic_fit(x: np.ndarray, jazz: np.ndarray, groups: np.ndarray) -> dict[str, object]:
    """A balanced L2 logistic regression on z-scored `x`, its L2 chosen in folds of `groups`, and its threshold."""
    y = jazz.astype(np.int64)
    l2 = min(L2_GRID, key=lambda value: inner_loss(x, y, groups, 2, value))
    mean, std = x.mean(axis=0), np.where(x.std(axis=0) > 1e-9, x.std(axis=0), 1.0)
    w = fit_softmax((x - mean) / std, y, 2, l2)
    weights, bias = w[:-1, 1] - w[:-1, 0], float(w[-1, 1] - w[-1, 0])
    return {"mean": mean, "std": std, "weights": weights, "bias": bias,
            "threshold": youden((x - mean) / std @ weights + bias, jazz), "l2": l2}


def score(fit: dict[str, object], x: np.ndarray) -> np.ndarray:
    return (x - fit["mean"]) / fit["std"] @ fit["weights"] + fit["bias"]


def out_of_fold(fitter, x: np.ndarray, jazz: np.ndarray, groups: np.ndarray) -> dict[str, object]:  # noqa: ANN001
    """Each song's score and call from the reader fitted without its source; the figures a musician reads."""
    scores, calls = np.zeros(len(x)), np.zeros(len(x), dtype=bool)
    for group in np.unique(groups):
        test = groups == group
        fit = fitter(x[~test], jazz[~test], groups[~test])
        scores[test] = score(fit, x[test])
        calls[test] = scores[test] >= fit["threshold"]
    low, high = bootstrap_auc(scores, jazz)
    found, kept = float(calls[jazz].mean()), float((~calls[~jazz]).mean())
    return {"auc": auc(scores, jazz), "auc_interval": [low, high], "balanced_accuracy": (found + kept) / 2,
            "jazz_found": found, "rest_called_jazz": 1.0 - kept, "calls": calls}


def blues_reading(vectors: np.ndarray, genres: np.ndarray) -> dict[str, list[int]]:
    """Per genre of the table: [songs, songs read as a 12-bar blues]."""
    chorus = sum(np.nan_to_num(vectors[:, DESCRIPTION_FIELDS.index(f"chorus_{bars}")]) for bars in BLUES_CHORUSES)
    share = np.nan_to_num(vectors[:, DESCRIPTION_FIELDS.index("blues_share")])
    blues = (chorus > 0.5) & (share >= BLUES_FORM_SHARE)
    return {g: [int((genres == g).sum()), int(blues[genres == g].sum())] for g in sorted(set(genres))}, blues


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--table", type=Path, default=Path("docs/data/genres.tsv"))
    parser.add_argument("--cache", type=Path, default=Path("runs/heard100"))
    parser.add_argument("--check", action="store_true", help="write nothing; fail when the shipped file differs")
    args = parser.parse_args(argv)
    rows = load_table(args.table)
    vectors = describe_all(rows, args.data, args.cache)
    x = crude_columns(vectors)  # (n, 3) in CRUDE_FIELDS order
    genres = np.array([row["genre"] for row in rows])
    jazz, groups = genres == "jazz", np.array([row["source_repo"] for row in rows])
    print(f"{len(rows)} songs, {jazz.sum()} jazz, {len(np.unique(groups))} sources (leave one source out)\n")
    print("| reader | AUC (95% bootstrap) | balanced accuracy | jazz found | rest called jazz |\n|---|---|---|---|---|")
    measured = {}
    for name, fitter in (("crude", crude_fit), ("logistic", logistic_fit)):
        m = measured[name] = out_of_fold(fitter, x, jazz, groups)
        print(f"| {name} | {m['auc']:.3f} ({m['auc_interval'][0]:.3f}-{m['auc_interval'][1]:.3f}) | "
              f"{m['balanced_accuracy']:.3f} | {m['jazz_found']:.3f} | {m['rest_called_jazz']:.3f} |")
    kind = "logistic" if measured["logistic"]["auc"] > measured["crude"]["auc"] else "crude"
    fit = (logistic_fit if kind == "logistic" else crude_fit)(x, jazz, groups)
    scores = score(fit, x)
    sure = fewest_errors(scores, jazz)  # over it a jazz call is sure; under it, the line says it is a close one
    calls = {cut: (int(np.count_nonzero(scores[jazz] >= value)), int(np.count_nonzero(scores[~jazz] >= value)))
             for cut, value in (("threshold", fit["threshold"]), ("sure", sure))}
    for cut, (found, called) in calls.items():
        print(f"on the table at the {cut} ({fit[cut] if cut == 'threshold' else sure:.3f}): jazz found {found} of "
              f"{int(jazz.sum())}, the rest called jazz {called} of {int((~jazz).sum())}")
    per_genre, blues = blues_reading(vectors, genres)
    print(f"\nread as a 12-bar blues (chorus {' or '.join(map(str, BLUES_CHORUSES))}, blues share >= "
          f"{BLUES_FORM_SHARE}), per genre of the table:")
    for genre, (songs, read) in per_genre.items():
        print(f"  {genre:10s} {read:3d} of {songs}")
    said = np.where(measured[kind]["calls"], "jazz", np.where(blues, "blues", "rock"))
    print(f"\nthe three words ({kind} reader out of fold) against the table's genre:")
    for genre in sorted(set(genres)):
        counts = {word: int((said[genres == genre] == word).sum()) for word in GENRES}
        print(f"  {genre:10s} " + ", ".join(f"{word} {count}" for word, count in counts.items()))
    shipped = {"genres": list(GENRES), "jazz": {
        "kind": kind, "fields": list(CRUDE_FIELDS), "mean": [round(float(v), 6) for v in fit["mean"]],
        "std": [round(float(v), 6) for v in fit["std"]], "weights": [round(float(v), 6) for v in fit["weights"]],
        "bias": round(float(fit["bias"]), 6), "threshold": round(float(fit["threshold"]), 6),
        "sure": round(sure, 6)},
        "on_the_table": {cut: {"jazz_found": found, "rest_called_jazz": called}
                         for cut, (found, called) in calls.items()},
        "blues": f"a 12-bar blues: chorus_bars in {list(BLUES_CHORUSES)} and blues_share (bars in blues choruses) >= "
                 f"{BLUES_FORM_SHARE}",
        "fitted_on": f"{args.table.as_posix()}: {len(rows)} songs, {int(jazz.sum())} jazz",
        "out_of_fold_by_source": {name: {k: (round(v, 4) if isinstance(v, float) else [round(a, 4) for a in v])
                                         for k, v in m.items() if k != "calls"} for name, m in measured.items()},
        "command": "OMP_NUM_THREADS=1 python -m tools.fit_genre_reader"}
    text = json.dumps(shipped, indent=1) + "\n"
    print(f"\nships: the {kind} reader, threshold {fit['threshold']:.3f}")
    if args.check:
        same = GENRE_READER.exists() and GENRE_READER.read_text(encoding="utf-8") == text
        print("the shipped reader is up to date" if same else f"{GENRE_READER} differs: run without --check")
        return 0 if same else 1
    GENRE_READER.write_text(text, encoding="utf-8")
    print(f"wrote {GENRE_READER}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
