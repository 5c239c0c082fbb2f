"""The drummers' parts and how well the band predicts them (issue 68, items 1 and 2), from the data alone.

    python -m studies.part_study [--data ../shared/data/midi] [--jazz ../shared/data/jazz] [--limit N] [--write PATH]

Every song with drums of both folders (read through the cache, `build_corpus`; jazz/ as `--extra-data` reads it,
songs without a guitar heard through the band) is cut into its drummer's phrases and each phrase labelled
(seq2drum.parts.labels). Printed:
(1) the vocabulary learned from all songs (parts.vocabulary): per meter family each part's name, phrases, share of
    the family's phrases, phrases from midi/ and jazz/, hits a bar by class, its end-fill share and fills kept;
(2) the part model out of fold: 5 folds by content hash (`song.corpus.fold_of`, the cross-validation's), each fold's
    vocabulary and model learned from the other folds of both folders, each folder's held-out songs scored apart:
    accuracy of the plan (Viterbi), of each phrase's likeliest part (the forward marginals), and of the next part given
    the drummer's part before, against the song's most common part (the drummer's own labels: an oracle), the
    previous phrase's part (the drummer's) and the family's commonest part; where the drummer changes part, the
    plan's change recall and precision; the drummer's and the plan's change rate where the band changes and elsewhere.
`--write PATH` also fits the vocabulary and the model on every song and saves them (parts.model.save_parts).
`--write-folds DIR` fits them on each fold's other songs and saves DIR/foldN/parts.npz, beside the fold's model of a
`tools.crossval --out DIR` run, which plans with them (parts.plan `planner_for`): out of fold, no song's drummer
is in the parts that plan it.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from seq2drum.midi.drums import DRUM_CLASSES
from seq2drum.parts.features import CHANGE_CELL_F1, FEATURE_NAMES
from seq2drum.training.part_fit import SongPhrases, fit_parts
from seq2drum.training.parts import folder_phrases
from seq2drum.parts.labels import FAMILIES
from seq2drum.parts.model import (PartModel, change_probabilities, emissions, family_mask, log_initial,
                                  log_transitions, part_probabilities, sample_plans, save_parts)
from seq2drum.parts.plan import PARTS_FILE
from seq2drum.parts.vocabulary import PartVocabulary, parts_by_family

FOLDS = 5
ATTRIBUTES = ("level", "keeper", "subdivision", "feel")
SHORT = {"kick": "K", "snare": "S", "closed_hat": "H", "open_hat": "O", "low_tom": "t", "mid_tom": "t",
         "high_tom": "t", "crash": "C", "ride": "R"}
COLUMNS = {code: [i for i, name in enumerate(DRUM_CLASSES) if SHORT[name] == code] for code in "KSHOtCR"}


SongParts = SongPhrases  # one song's phrases, labels, drums of each phrase and band features (training.part_fit)


def best_plan(model: PartModel, features: np.ndarray) -> np.ndarray:
    """(P,) int: the likeliest sequence of parts (Viterbi)."""
    n_phrases, n_parts = len(features), model.n_parts
    if not n_phrases:
        return np.zeros(0, dtype=np.int64)
    emit, step = emissions(model, features), log_transitions(model, features)
    score = log_initial(model, features) + emit[0]
    back = np.zeros((n_phrases, n_parts), dtype=np.int64)
    for t in range(1, n_phrases):
        total = score[:, None] + step[t]  # (K before, K)
        back[t] = np.argmax(total, axis=0)
        score = total[back[t], np.arange(n_parts)] + emit[t]
    plan = np.zeros(n_phrases, dtype=np.int64)
    plan[-1] = int(np.argmax(score))
    for t in range(n_phrases - 1, 0, -1):
        plan[t - 1] = back[t, plan[t]]
    return plan


def next_part(model: PartModel, features: np.ndarray, previous: Sequence[int]) -> np.ndarray:
    """(P, K) each phrase's part given its own band and the part actually played before it (`previous`, -1 for
    none): what a live drummer who heard the phrase before would choose."""
    previous = np.asarray(previous)
    emit = np.exp(emissions(model, features))
    step = np.exp(log_transitions(model, features))
    rows = step[np.arange(len(features)), np.maximum(previous, 0)]
    initial = np.where(family_mask(model.part_families, features), np.exp(model.log_prior), 0.0)
    weighted = np.where(previous[:, None] < 0, initial, rows) * np.nan_to_num(emit)
    return weighted / np.maximum(weighted.sum(axis=1, keepdims=True), 1e-300)


def read_folder(folder: Path, source: str, without_guitar: bool, limit: int, folds: int = FOLDS) -> list[SongParts]:
    """The labelled phrases of a folder's songs with drums, each with its fold (training.parts `folder_phrases`)."""
    return folder_phrases(folder, source, without_guitar, folds, limit)


def fit(songs: list[SongParts]) -> tuple[PartVocabulary, PartModel]:
    """The vocabulary and the model learned from `songs` (training.part_fit `fit_parts`, as `--mode train` fits a
    run's)."""
    return fit_parts(songs)


class Scores:
    """Out-of-fold predictions of one folder, phrase by phrase."""

    def __init__(self) -> None:
        self.columns: dict[str, list[np.ndarray]] = {}

    def add(self, **columns: np.ndarray) -> None:
        for name, values in columns.items():
            self.columns.setdefault(name, []).append(np.asarray(values))

    def get(self, name: str) -> np.ndarray:
        return np.concatenate(self.columns[name])


def score_fold(train: list[SongParts], test: list[SongParts], scores: dict[str, Scores]) -> None:
    vocabulary, model = fit(train)
    prior = {family: max(vocabulary.family_parts(family), key=lambda i: vocabulary.parts[i].n_phrases)
             for family in FAMILIES if vocabulary.family_parts(family)}
    for song in test:
        truth = np.array([vocabulary.assign(label) for label in song.labels])
        family_prior = np.array([prior.get(label.family, 0) for label in song.labels])
        before = np.concatenate([[-1], truth[:-1]])
        changes = np.concatenate([[False], truth[1:] != truth[:-1]])
        plan = best_plan(model, song.features)
        drawn = sample_plans(model, song.features, 1, np.random.default_rng(len(truth)))[0]
        attributes = {name: np.array([getattr(vocabulary.parts[i], name) for i in truth]) for name in ATTRIBUTES}
        scores[song.source].add(
            **{f"{name}_plan": np.array([getattr(vocabulary.parts[i], name) for i in plan]) == attributes[name]
               for name in ATTRIBUTES},
            **{f"{name}_prior": np.array([getattr(vocabulary.parts[i], name) for i in family_prior])
               == attributes[name] for name in ATTRIBUTES})
        scores[song.source].add(
            truth=truth, plan=plan, marginal=part_probabilities(model, song.features).argmax(axis=1),
            next=next_part(model, song.features, before).argmax(axis=1),
            mode=np.full(len(truth), Counter(truth.tolist()).most_common(1)[0][0]),
            previous=np.where(before < 0, family_prior, before), prior=family_prior,
            drummer_change=changes, plan_change=np.concatenate([[False], plan[1:] != plan[:-1]]),
            drawn=drawn, drawn_change=np.concatenate([[False], drawn[1:] != drawn[:-1]]),
            first=np.arange(len(truth)) == 0, change_probability=change_probabilities(model, song.features),
            band_change=song.features[:, FEATURE_NAMES.index("band_change")] > 0)


def share(flags: np.ndarray) -> float:
    return float(flags.mean()) if len(flags) else float("nan")


def auc(score: np.ndarray, positive: np.ndarray) -> float:
    """The chance that a positive scores above a negative (ties half)."""
    ranks = np.argsort(np.argsort(score, kind="stable"), kind="stable").astype(np.float64) + 1
    for value in np.unique(score):  # tied scores share their mean rank
        ranks[score == value] = ranks[score == value].mean()
    n_pos, n_neg = positive.sum(), (~positive).sum()
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / max(n_pos * n_neg, 1))


def report_scores(name: str, scores: Scores) -> None:
    truth = scores.get("truth")
    print(f"\n{name}: {len(truth)} phrases out of fold; accuracy:")
    for column, words in (("plan", "the plan (Viterbi, band only)"), ("marginal", "each phrase's likeliest part"),
                          ("drawn", "a plan drawn from the model (one take)"),
                          ("next", "next part, given the drummer's part before"),
                          ("mode", "baseline: the song's most common part (the drummer's labels)"),
                          ("previous", "baseline: the previous phrase's part (the drummer's)"),
                          ("prior", "baseline: the family's commonest part")):
        print(f"  {np.mean(scores.get(column) == truth):.3f}  {words}")
    print("  by attribute, the plan (the family's commonest part): " + ", ".join(
        f"{name} {scores.get(f'{name}_plan').mean():.3f} ({scores.get(f'{name}_prior').mean():.3f})"
        for name in ATTRIBUTES))
    later = ~scores.get("first")
    drummer, band = scores.get("drummer_change")[later], scores.get("band_change")[later]
    for column, words in (("plan_change", "the plan"), ("drawn_change", "a drawn plan")):
        plan = scores.get(column)[later]
        hit = (drummer & plan).sum()
        print(f"  changes of part: the drummer {drummer.mean():.3f} of phrase starts, {words} {plan.mean():.3f}; "
              f"recall {hit / max(drummer.sum(), 1):.3f}, precision {hit / max(plan.sum(), 1):.3f}; where the band "
              f"changes {share(plan[band]):.3f}, elsewhere {share(plan[~band]):.3f}")
    chance = scores.get("change_probability")[later]
    print(f"  the change model: {chance[drummer].mean():.3f} where the drummer changes, {chance[~drummer].mean():.3f} "
          f"elsewhere (AUC {auc(chance, drummer):.3f}); at 0.5 or more: recall {share(chance[drummer] >= 0.5):.3f}, "
          f"precision {share(drummer[chance >= 0.5]):.3f}")
    print(f"  where the band changes ({band.mean():.3f} of phrase starts: notes +-30% or folded onsets cell F1 < "
          f"{CHANGE_CELL_F1}): the drummer changes {share(drummer[band]):.3f}, elsewhere {share(drummer[~band]):.3f}")


def print_vocabulary(vocabulary: PartVocabulary) -> None:
    print(f"vocabulary: {len(vocabulary)} parts")
    for family, parts in parts_by_family(vocabulary).items():
        total = sum(part.n_phrases for part in parts)
        print(f"\n{family}: {len(parts)} parts, {total} phrases")
        for part in parts:
            rates = " ".join(f"{code}{part.hits_per_bar[COLUMNS[code]].sum():.1f}" for code in COLUMNS)
            print(f"  {part.share:6.1%} {part.n_phrases:5d} (midi {part.sources.get('midi', 0)}, jazz "
                  f"{part.sources.get('jazz', 0)})  {part.name:40s} {rates}  end fills {part.end_fill_share:.2f}, "
                  f"{len(part.fills)} kept")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=Path("..") / "shared" / "data" / "midi")
    parser.add_argument("--jazz", type=Path, default=Path("..") / "shared" / "data" / "jazz")
    parser.add_argument("--limit", type=int, default=0, help="at most this many songs of each folder (0 = all)")
    parser.add_argument("--write", type=Path, default=None, metavar="PATH",
                        help="fit on every song and save the vocabulary and the model there (e.g. models/parts.npz)")
    parser.add_argument("--write-folds", type=Path, default=None, metavar="DIR",
                        help="fit on each fold's other songs and save DIR/foldN/parts.npz (a tools.crossval --out "
                        "DIR run's folds plan with them)")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)  # a few seconds a fit: more threads only wait on a shared machine
    started = time.perf_counter()
    songs = read_folder(args.data, "midi", False, args.limit)
    if args.jazz and args.jazz.exists():
        songs += read_folder(args.jazz, "jazz", True, args.limit)
    print(f"{len(songs)} songs, {sum(len(s.phrases) for s in songs)} phrases "
          f"({time.perf_counter() - started:.0f} s to read and label)")
    vocabulary, model = fit(songs)
    print_vocabulary(vocabulary)
    if args.write:
        save_parts(args.write, vocabulary, model)
        print(f"\nwrote {args.write} ({args.write.stat().st_size / 1e6:.2f} MB)")
    if args.write_folds:
        for fold in range(FOLDS):
            path = args.write_folds / f"fold{fold}" / PARTS_FILE
            path.parent.mkdir(parents=True, exist_ok=True)
            save_parts(path, *fit([s for s in songs if s.fold != fold]))
            print(f"wrote {path}")
    scores = {source: Scores() for source in sorted({s.source for s in songs})}
    for fold in range(FOLDS):
        score_fold([s for s in songs if s.fold != fold], [s for s in songs if s.fold == fold], scores)
    for source, found in scores.items():
        report_scores(source, found)
    print(f"\n{time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
