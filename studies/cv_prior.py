"""Choose the decoding's groove prior and structure thresholds by cross-validation, over every fold's held-out songs,
instead of on one model's ~60 validation songs.

    python -m studies.cv_prior --cv runs/cv-sb --data ../shared/data/midi

Each fold of a `tools.crossval` run keeps its own calibration (what its validation songs fit: per-class Platt, step
and bass biases); only the prior is shared: the refinement margin, the stay and section bonuses, the codebook
floor (min_groove_bars) and the rest, crash and fill thresholds. These swung by fold when each fold tuned its own
(stay bonus 0 to 4, rests anywhere at 0.25 on one fold and nowhere on two), a sign of a choice made on too few songs.

The search is `calibrate.tune_policy`'s, coordinate by coordinate, on the mean of take 1's song F1 from the whole
arrangement and from the guitar alone (the guitar alone as training drops the band: `columns.drop_roles`). It is
run nested (for each fold, chosen on the other four folds' songs and scored on its own, the honest figure) and then
on all of them (the prior to ship). The network's scores of the held-out songs are kept in CV/prior-scores-foldN.pkl.
"""

from __future__ import annotations

import argparse
import json
import pickle
from pathlib import Path
from typing import Any

import numpy as np

from seq2drum.atomic import write_atomic
from seq2drum.config import DataConfig
from seq2drum.groove import Decoder, DecodingPolicy, steered_takes
from seq2drum.midi.roles import BAND_ROLES
from seq2drum.model.checkpoint import load_checkpoint, model_from_checkpoint, stored_policy
from seq2drum.model.scoring import song_scores
from seq2drum.song.bars import BarSong, bar_song
from seq2drum.song.columns import FeatureSpec, drop_roles
from seq2drum.training.calibrate import (MIN_GROOVE_BARS_GRID, NO_STRUCTURE, REFINE_MARGIN_GRID, SECTION_BONUS_GRID,
                                         STAY_BONUS_GRID, grid_f1, structure_outcomes, tune_structure)
from seq2drum.song.corpus import build_corpus, fold_of

PRIOR_GRIDS = (("refine_margin", REFINE_MARGIN_GRID), ("stay_bonus", STAY_BONUS_GRID),
               ("section_bonus", SECTION_BONUS_GRID), ("min_groove_bars", MIN_GROOVE_BARS_GRID))
KINDS = ("band", "guitar")


def guitar_alone(song: BarSong) -> BarSong:
    """The song as the guitar alone plays it (every band role dropped, and no bass for decoding to follow)."""
    steps, bars = drop_roles(song.step_features, song.bar_features, BAND_ROLES)
    return BarSong(**{**song.__dict__, "step_features": steps, "bar_features": bars, "bass_onsets": None,
                      "bass_sounds": None})


def fold_scores(cv: Path, data: Path, fold: int, folds: int, corpus: Any) -> dict[str, Any]:
    """The fold's held-out songs (with drums) and the fold model's scores of them from each kind, kept on disk."""
    path = cv / f"prior-scores-fold{fold}.pkl"
    if path.exists():
        with path.open("rb") as stream:
            return pickle.load(stream)
    payload = load_checkpoint(cv / f"fold{fold}" / "best.pt")
    loaded = model_from_checkpoint(payload, "cpu")
    spec = FeatureSpec.current(DataConfig().steps_per_quarter)
    held = [bar_song(s, spec) for s in corpus.songs
            if s.drums is not None and fold_of(s, folds, DataConfig().split_seed) == fold]
    songs = {"band": held, "guitar": [guitar_alone(s) for s in held]}
    kept = {"policy": stored_policy(payload), "songs": songs, "codebook": loaded.codebook,
            "scores": {kind: [song_scores(loaded.model, s) for s in songs[kind]] for kind in KINDS}}
    write_atomic(path, lambda stream: pickle.dump(kept, stream))
    print(f"fold {fold}: {len(held)} held-out songs scored", flush=True)
    return kept


def take1_f1(decoder: Decoder, fold: dict[str, Any], kind: str) -> list[float]:
    """Take 1's exact grid F1 of each of the fold's held-out songs from `kind` (`calibrate.evaluate_policy`'s)."""
    pairs = zip(fold["scores"][kind], fold["songs"][kind])
    return [grid_f1(steered_takes(decoder, s)[0].hits, s, song) for s, song in pairs]


class Search:
    """Take 1's song F1 of every song of every fold under a prior (memoised: the nested searches share decodes)."""

    def __init__(self, folds: list[dict[str, Any]]) -> None:
        self.folds = folds
        self.memo: dict[tuple, np.ndarray] = {}

    def prior_of(self, values: dict[str, Any]) -> tuple:
        return tuple(sorted(values.items()))

    def song_f1(self, values: dict[str, Any]) -> list[np.ndarray]:
        """(fold) -> (kinds, songs) take 1 F1, with the fold's calibration and `values`, no structure."""
        key = self.prior_of(values)
        if key not in self.memo:
            per_fold = []
            for fold in self.folds:
                decoder = Decoder(fold["codebook"], fold["policy"].replace(**values, **NO_STRUCTURE))
                per_fold.append(np.array([take1_f1(decoder, fold, kind) for kind in KINDS]))
            self.memo[key] = per_fold
        return self.memo[key]

    def mean(self, values: dict[str, Any], chosen: list[int]) -> float:
        per_fold = self.song_f1(values)
        return float(np.concatenate([per_fold[f] for f in chosen], axis=1).mean())

    def prior(self, chosen: list[int], start: dict[str, Any]) -> dict[str, Any]:
        """Coordinate search (two rounds, as `tune_policy`) on the folds `chosen`."""
        values, best = dict(start), self.mean(start, chosen)
        for _ in range(2):
            for name, grid in PRIOR_GRIDS:
                for value in grid:
                    if value == values[name]:
                        continue
                    candidate = {**values, name: value}
                    f1 = self.mean(candidate, chosen)
                    if f1 > best + 1e-4:
                        best, values = f1, candidate
        return values

    def structure(self, values: dict[str, Any], chosen: list[int]) -> tuple[dict[str, float], dict[str, float]]:
        """Structure thresholds for the prior, tuned on the band songs of the folds `chosen` (tune_structure)."""
        outcomes = []
        for f in chosen:
            fold = self.folds[f]
            plain = Decoder(fold["codebook"], fold["policy"].replace(**values, **NO_STRUCTURE))
            outcomes += [structure_outcomes(plain, s, song)
                         for s, song in zip(fold["scores"]["band"], fold["songs"]["band"])]
        policy, report = tune_structure(outcomes, DecodingPolicy().replace(**values))
        return {name: getattr(policy, name) for name in NO_STRUCTURE}, report


def held_out_f1(search: Search, fold: int, values: dict[str, Any], thresholds: dict[str, float]) -> dict[str, float]:
    """Take 1's mean song F1 of the fold's held-out songs from each kind, with structure."""
    data = search.folds[fold]
    decoder = Decoder(data["codebook"], data["policy"].replace(**values, **thresholds))
    return {kind: float(np.mean(take1_f1(decoder, data, kind))) for kind in KINDS}


def fold_own(search: Search, fold: int) -> dict[str, float]:
    """The same figures with the fold's own tuned policy (its validation songs' choice)."""
    policy = search.folds[fold]["policy"]
    names = [name for name, _ in PRIOR_GRIDS]
    return held_out_f1(search, fold, {n: getattr(policy, n) for n in names},
                       {n: getattr(policy, n) for n in NO_STRUCTURE})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cv", type=Path, required=True, help="a tools.crossval --out folder with tuned folds")
    parser.add_argument("--data", type=Path, default=Path("..") / "shared" / "data" / "midi")
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args()
    corpus = None
    folds = []
    for fold in range(args.folds):
        if corpus is None and not (args.cv / f"prior-scores-fold{fold}.pkl").exists():
            corpus = build_corpus(args.data, DataConfig(), progress=False)
        folds.append(fold_scores(args.cv, args.data, fold, args.folds, corpus))
    search = Search(folds)
    start = {name: getattr(DecodingPolicy(), name) for name, _ in PRIOR_GRIDS}
    everything = list(range(args.folds))
    report: dict[str, Any] = {"nested": {}}
    for fold in everything:
        others = [f for f in everything if f != fold]
        values = search.prior(others, start)
        thresholds, _ = search.structure(values, others)
        report["nested"][fold] = {"prior": values, "thresholds": thresholds,
                                  "held_out": held_out_f1(search, fold, values, thresholds),
                                  "own_tuning": fold_own(search, fold)}
        print(f"fold {fold}: {json.dumps(report['nested'][fold])}", flush=True)
    values = search.prior(everything, start)
    thresholds, structure_report = search.structure(values, everything)
    report["all"] = {"prior": values, "thresholds": thresholds, "structure": structure_report}
    for kind in KINDS:
        nested = np.mean([report["nested"][f]["held_out"][kind] for f in everything])
        own = np.mean([report["nested"][f]["own_tuning"][kind] for f in everything])
        print(f"{kind}: own tuning {own:.4f}, nested CV prior {nested:.4f} (mean of folds)")
    print(f"all folds: {json.dumps(report['all'])}")
    write_atomic(args.cv / "prior.json", json.dumps(report, indent=1, default=float))


if __name__ == "__main__":
    main()
