"""A reader of the band's genre fitted on its description (issue 100 item 3, the reader's must-show): is the band
jazz? Measured in folds that never split a source repository (leave one source out), so it cannot learn the source,
beside the crude hand-made check of the issue (seventh chords, jazz instruments, swing; z-scored and summed).

    OMP_NUM_THREADS=1 python -m studies.genre_reader [--data ../shared/data] [--cache runs/genre100] [--json OUT]

Reads docs/data/genres.tsv (the committed labels) and describes every song's band once
(`seq2drum.band.describe_band`, cached in CACHE/descriptions.npz, keyed by the song's sha and the code's fields).
Prints: the AUC of jazz against the rest out of fold, grouped by source repository and by collection (a site within
a source), for the reader (an L2 logistic regression in numpy, classes balanced, L2 fixed beforehand) and for the
crude check, with a bootstrap interval over songs; the jazz songs it misses and the others it calls jazz (at 0.5);
a confusion table over the genres with 20 songs or more (the rest as `other`), from a softmax regression in folds by
collection; and the largest weights of the jazz reader fitted on all songs.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import sys
from pathlib import Path

import numpy as np

from seq2drum.band import DESCRIPTION_FIELDS, describe_band
from seq2drum.errors import Seq2DrumError
from seq2drum.midi.io import read_midi

L2_GRID = (1.0, 10.0, 100.0, 1000.0)  # on standardized features; each fold chooses among them on its training groups
INNER_FOLDS = 5  # the training groups dealt into this many folds (never splitting one) to choose the L2
MIN_GENRE_SONGS = 20
LOG_FIELDS = ("tempo_bpm", "n_parts", "n_bars", "bass_onsets_per_beat", "chord_changes_per_bar")
CRUDE = ("sevenths", "jazz_program_share", "swing")  # the crude check, from the same descriptions
CORE = ("seventh_share", "extended_share", "dominant_share", "triad_share", "jazz_program_share", "swing",
        "swung_share", "walking_share", "named_horns", "named_acoustic_bass")  # a second look: what a musician hears


def load_table(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def describe_all(rows: list[dict[str, str]], data: Path, cache: Path) -> np.ndarray:
    """(n_songs, len(DESCRIPTION_FIELDS)) the description of every song, from the cache where it is there."""
    cache.mkdir(parents=True, exist_ok=True)
    store = cache / "descriptions.npz"
    key_of = {row["path"]: hashlib.sha256((data / row["path"]).read_bytes()).hexdigest() for row in rows}
    code = "".join((Path(__file__).parents[1] / "seq2drum" / "band" / name).read_text(encoding="utf-8")
                   for name in ("harmony.py", "bassline.py", "form.py", "description.py", "reading.py"))
    fields_key = hashlib.sha256((code + "|".join(DESCRIPTION_FIELDS)).encode()).hexdigest()[:12]
    held = {}
    if store.exists():
        saved = np.load(store)
        if str(saved["fields_key"]) == fields_key:
            held = dict(zip(saved["keys"].tolist(), saved["vectors"]))
    vectors = []
    for number, row in enumerate(rows):
        key = key_of[row["path"]]
        if key not in held:
            try:
                held[key] = describe_band(read_midi(data / row["path"])).vector()
            except Seq2DrumError as exc:
                print(f"  {row['path']}: {exc}", file=sys.stderr)
                held[key] = np.full(len(DESCRIPTION_FIELDS), np.nan)
        vectors.append(held[key])
        if number % 100 == 99:
            print(f"  described {number + 1} of {len(rows)}", file=sys.stderr)
    np.savez(store, keys=np.array(list(held)), vectors=np.array(list(held.values())), fields_key=fields_key)
    return np.array(vectors)


def features(vectors: np.ndarray) -> np.ndarray:
    """The description as the reader sees it: counts and tempo on a log scale, missing values as 0."""
    x = np.nan_to_num(vectors.copy())
    for name in LOG_FIELDS:
        i = DESCRIPTION_FIELDS.index(name)
        x[:, i] = np.log2(1.0 + np.maximum(x[:, i], 0.0))
    return x


def crude_columns(vectors: np.ndarray) -> np.ndarray:
    """(n, 3) the crude check's three numbers: seventh (and extended) beats, jazz programs, the off-beats' swing."""
    column = {name: np.nan_to_num(vectors[:, DESCRIPTION_FIELDS.index(name)]) for name in DESCRIPTION_FIELDS}
    return np.stack([column["seventh_share"] + column["extended_share"], column["jazz_program_share"],
                     column["swing"]], axis=1)


def standardize(train: np.ndarray, test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mean, std = train.mean(axis=0), train.std(axis=0)
    std = np.where(std > 1e-9, std, 1.0)
    return (train - mean) / std, (test - mean) / std


def fit_softmax(x: np.ndarray, y: np.ndarray, n_classes: int, l2: float, steps: int = 500) -> np.ndarray:
    """(d + 1, n_classes) weights of an L2 softmax regression (classes balanced), by gradient descent with a
    backtracking-free fixed step on the convex loss (standardized x)."""
    n, d = x.shape
    xb = np.hstack([x, np.ones((n, 1))])
    counts = np.bincount(y, minlength=n_classes).astype(np.float64)
    weight = (n / (n_classes * np.maximum(counts, 1)))[y]
    onehot = np.eye(n_classes)[y]
    w = np.zeros((d + 1, n_classes))
    lipschitz = 0.5 * np.linalg.norm(xb * np.sqrt(weight)[:, None], 2) ** 2 / n + l2 / n
    rate = 1.0 / lipschitz
    for _ in range(steps):
        logits = xb @ w
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        p /= p.sum(axis=1, keepdims=True)
        grad = xb.T @ ((p - onehot) * weight[:, None]) / n
        grad[:-1] += l2 * w[:-1] / n
        w -= rate * grad
    return w


def predict(w: np.ndarray, x: np.ndarray) -> np.ndarray:
    logits = np.hstack([x, np.ones((len(x), 1))]) @ w
    logits -= logits.max(axis=1, keepdims=True)
    p = np.exp(logits)
    return p / p.sum(axis=1, keepdims=True)


def auc(scores: np.ndarray, positive: np.ndarray) -> float:
    """Area under the ROC curve (ties half), by ranks."""
    order = np.argsort(scores, kind="mergesort")
    ranks = np.empty(len(scores))
    sorted_scores = scores[order]
    _, first, counts = np.unique(sorted_scores, return_index=True, return_counts=True)
    mean_rank = first + (counts + 1) / 2.0
    ranks[order] = np.repeat(mean_rank, counts)
    n_pos, n_neg = positive.sum(), (~positive).sum()
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def bootstrap_auc(scores: np.ndarray, positive: np.ndarray, rounds: int = 1000) -> tuple[float, float]:
    rng = np.random.default_rng(100)
    values = []
    for _ in range(rounds):
        pick = rng.integers(0, len(scores), len(scores))
        if positive[pick].any() and (~positive[pick]).any():
            values.append(auc(scores[pick], positive[pick]))
    return float(np.percentile(values, 2.5)), float(np.percentile(values, 97.5))


def fitted(x: np.ndarray, y: np.ndarray, test_x: np.ndarray, n_classes: int, l2: float) -> np.ndarray:
    train_x, test_x = standardize(x, test_x)
    return predict(fit_softmax(train_x, y, n_classes, l2), test_x)


def inner_loss(x: np.ndarray, y: np.ndarray, groups: np.ndarray, n_classes: int, l2: float) -> float:
    """Balanced log-loss of `l2` in INNER_FOLDS folds of the training songs that never split a group."""
    names = np.unique(groups)
    fold_of = {name: i % INNER_FOLDS for i, name in enumerate(names)}
    fold = np.array([fold_of[g] for g in groups])
    counts = np.bincount(y, minlength=n_classes)
    losses = np.zeros(len(y))
    for k in range(min(INNER_FOLDS, len(names))):
        test = fold == k
        if not (~test).any() or len(np.unique(y[~test])) < 2:
            continue
        p = fitted(x[~test], y[~test], x[test], n_classes, l2)
        losses[test] = -np.log(np.maximum(p[np.arange(test.sum()), y[test]], 1e-12))
    return float((losses / np.maximum(counts[y], 1)).sum())


def out_of_fold(x: np.ndarray, y: np.ndarray, groups: np.ndarray, n_classes: int) -> tuple[np.ndarray, list[float]]:
    """(n, n_classes) each song's probabilities from the reader fitted without its group (its L2 chosen on the
    other groups alone), and the L2 each fold chose."""
    probabilities = np.zeros((len(y), n_classes))
    chosen = []
    for group in np.unique(groups):
        test = groups == group
        l2 = min(L2_GRID, key=lambda value: inner_loss(x[~test], y[~test], groups[~test], n_classes, value))
        probabilities[test] = fitted(x[~test], y[~test], x[test], n_classes, l2)
        chosen.append(l2)
    return probabilities, chosen


def crude_out_of_fold(crude: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """The crude check's score: its three numbers z-scored on the other groups' songs, summed."""
    scores = np.zeros(len(crude))
    for group in np.unique(groups):
        test = groups == group
        _, z = standardize(crude[~test], crude[test])
        scores[test] = z.sum(axis=1)
    return scores


def jazz_figures(x: np.ndarray, crude: np.ndarray, jazz: np.ndarray, groups: np.ndarray) -> dict[str, object]:
    """Jazz against the rest in folds of `groups`: the reader's and the crude check's AUC, and the reader's scores."""
    probabilities, chosen = out_of_fold(x, jazz.astype(np.int64), groups, 2)
    reader = probabilities[:, 1]
    crude_score = crude_out_of_fold(crude, groups)
    return {"reader": reader, "crude": crude_score, "l2_chosen": chosen,
            "reader_auc": auc(reader, jazz), "reader_interval": bootstrap_auc(reader, jazz),
            "crude_auc": auc(crude_score, jazz), "crude_interval": bootstrap_auc(crude_score, jazz),
            "folds": int(len(np.unique(groups)))}


def confusion(x: np.ndarray, genres: np.ndarray, groups: np.ndarray) -> tuple[list[str], np.ndarray]:
    """The classes (genres with MIN_GENRE_SONGS songs, then `other`) and the (true, predicted) song counts."""
    names, counts = np.unique(genres, return_counts=True)
    classes = sorted(names[counts >= MIN_GENRE_SONGS].tolist(), key=lambda g: -counts[names.tolist().index(g)])
    classes.append("other")
    y = np.array([classes.index(g) if g in classes else len(classes) - 1 for g in genres])
    predicted = out_of_fold(x, y, groups, len(classes))[0].argmax(axis=1)
    table = np.zeros((len(classes), len(classes)), dtype=np.int64)
    np.add.at(table, (y, predicted), 1)
    return classes, table


def print_report(rows: list[dict[str, str]], x: np.ndarray, crude: np.ndarray) -> dict[str, object]:
    genres = np.array([row["genre"] for row in rows])
    jazz = genres == "jazz"
    report: dict[str, object] = {"songs": len(rows), "jazz": int(jazz.sum())}
    print(f"{len(rows)} songs, {jazz.sum()} jazz; {x.shape[1]} description fields")
    print("\n| folds | reader AUC (95% bootstrap) | crude check AUC (95% bootstrap) |\n|---|---|---|")
    by_source = None
    for name, key in (("leave one source repository out", "source_repo"), ("leave one collection out", "collection")):
        figures = jazz_figures(x, crude, jazz, np.array([row[key] for row in rows]))
        by_source = by_source or figures
        l2s = sorted(set(figures["l2_chosen"]))
        print(f"| {name} ({figures['folds']}; L2 {l2s}) | {figures['reader_auc']:.3f} "
              f"({figures['reader_interval'][0]:.3f}-"
              f"{figures['reader_interval'][1]:.3f}) | {figures['crude_auc']:.3f} ({figures['crude_interval'][0]:.3f}-"
              f"{figures['crude_interval'][1]:.3f}) |")
        report[key] = {k: v for k, v in figures.items() if k not in ("reader", "crude")}
    everyone = crude - crude.mean(axis=0)
    everyone = (everyone / np.where(crude.std(axis=0) > 0, crude.std(axis=0), 1)).sum(axis=1)
    report["crude_auc_all_songs_z"] = auc(everyone, jazz)
    print(f"crude check z-scored on all songs at once (it reads no label): AUC {report['crude_auc_all_songs_z']:.3f}")
    jazz_dir = np.array([row["path"].startswith("jazz/") for row in rows])
    midi_rest = ~jazz & ~jazz_dir
    for label, keep in (("jazz/'s jazz against midi/'s rest", (jazz & jazz_dir) | midi_rest),
                        ("midi/'s jazz against midi/'s rest", ~jazz_dir),
                        ("jazz by source/title only (inspection labels left out)",
                         np.array([row["labelled_by"] != "inspection" for row in rows]))):
        a, b = auc(by_source["reader"][keep], jazz[keep]), auc(by_source["crude"][keep], jazz[keep])
        print(f"  {label}: reader {a:.3f}, crude {b:.3f}")
        report[label] = {"reader": a, "crude": b}
    print("\nwrong at 0.5, leave one source out (reader's jazz probability; crude check's z-sum):")
    wrong = []
    for i in np.flatnonzero((by_source["reader"] >= 0.5) != jazz):
        kind = "missed jazz" if jazz[i] else f"called jazz ({genres[i]})"
        wrong.append({"path": rows[i]["path"], "genre": genres[i], "probability": float(by_source["reader"][i]),
                      "crude": float(by_source["crude"][i]), "kind": kind})
    for item in sorted(wrong, key=lambda w: (w["kind"], -w["probability"])):
        print(f"  {item['kind']:28s} {item['probability']:.2f} {item['crude']:+.2f}  {item['path']}")
    report["wrong"] = wrong
    classes, table = confusion(x, genres, np.array([row["collection"] for row in rows]))
    print("\nconfusion, leave one collection out (rows: the table's genre; columns: the reader's):")
    print("| genre | " + " | ".join(classes) + " | recall |\n|---" * 1 + "|---:" * (len(classes) + 1) + "|")
    for c, name in enumerate(classes):
        recall = table[c, c] / max(table[c].sum(), 1)
        print(f"| {name} | " + " | ".join(str(v) for v in table[c]) + f" | {recall:.2f} |")
    report["confusion"] = {"classes": classes, "table": table.tolist()}
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--table", type=Path, default=Path("docs/data/genres.tsv"))
    parser.add_argument("--cache", type=Path, default=Path("runs/genre100"))
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--core", action="store_true", help="the reader on CORE's fields alone (a second look)")
    args = parser.parse_args(argv)
    rows = load_table(args.table)
    vectors = describe_all(rows, args.data, args.cache)
    x = features(vectors)
    if args.core:
        x = x[:, [DESCRIPTION_FIELDS.index(name) for name in CORE]]
        print(f"the reader on {len(CORE)} fields: {', '.join(CORE)}")
    report = print_report(rows, x, crude_columns(vectors))
    jazz = np.array([row["genre"] == "jazz" for row in rows]).astype(np.int64)
    xs, _ = standardize(x, x)
    groups = np.array([row["source_repo"] for row in rows])
    l2 = min(L2_GRID, key=lambda value: inner_loss(x, jazz, groups, 2, value))
    weights = fit_softmax(xs, jazz, 2, l2)
    print(f"\nL2 chosen on all songs by source folds: {l2}")
    slope = weights[:-1, 1] - weights[:-1, 0]
    print("\nthe jazz reader fitted on all songs, largest weights (standardized fields):")
    names = CORE if args.core else DESCRIPTION_FIELDS
    for i in np.argsort(-np.abs(slope))[:12]:
        print(f"  {names[i]:24s} {slope[i]:+.2f}")
    report["weights"] = {names[i]: float(slope[i]) for i in range(len(slope))}
    if args.json:
        args.json.write_text(json.dumps(report, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
