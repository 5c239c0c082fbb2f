"""5-fold cross-validation of the groove model over a song folder, resumable, for running in the background.

    nohup python -m tools.crossval --data ../shared/data/midi --out runs/cv > runs/cv.log 2>&1 &
    # or on two cores: --only 0,2,4 and --only 1,3 in two processes, then once without --only to summarise

Songs are put in folds by content hash (`data.fold_of`). For each fold: train on the other folds (10% of them held
out by the usual split for early stopping and for tuning the decoding), evaluate the fold's songs with
`--mode evaluate`'s code and N takes, and keep the per-song scores. A fold whose scores exist is skipped; a fold
whose training was interrupted resumes from its last.pt; the decoding is tuned apart from training (delete a fold's
tuned.json and scores-KIND.pkl to re-tune and re-score it with changed decoding code). At the end, every song of every
fold is summarised together, with the same tables `--mode evaluate` prints (the loop's figures beside the model's).

`--input-kind guitar|band|primed` (as `--mode evaluate`'s) plays the held-out songs from that input; `all` scores the
three from each trained fold (scores per kind: foldN/scores-KIND.pkl). Every take of every held-out song is also
written as OUT/gen/KIND/takeK/X.drums.mid (X as ../shared/scoring's midisplit.py names the song), so that, all folds
done, `python -m tools.score_split --gen OUT/gen --out OUT/scoring` scores them with ../shared/scoring.

`--live` trains the causal model (`--mode train --live`) and plays each held-out song to it bar by bar (`--mode
evaluate --live`: one take); give it its own `--out` (e.g. runs/cv-live).

`--device auto|cpu|cuda` (as `--mode train`'s) trains and tunes each fold there; scoring generates on the CPU, as
the command line does. Every fold reads one song cache (`--cache`, default the user's), parsed once.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import pickle
import time
from pathlib import Path

from bench.machine import describe_machine
from seq2drum.atomic import write_atomic
from seq2drum.errors import DeviceError
from seq2drum.model.checkpoint import join_checkpoints
from seq2drum.training.tune import tune_checkpoint
from seq2drum.config import DataConfig, ModelConfig, TrainConfig
from seq2drum.song.corpus import fold_of, split_songs
from seq2drum.evaluation import INPUT_KINDS
from seq2drum.evaluation.evaluate import EvaluationSettings, evaluate
from seq2drum.evaluation.report import format_tables
from seq2drum.evaluation.summary import dumps, summarize
from seq2drum.groove import policy_change
from seq2drum.options import PLANS, GenerationOptions
from seq2drum.parts.model import save_parts
from seq2drum.parts.plan import PARTS_FILE
from seq2drum.song.bars import FeatureSpec
from seq2drum.training.distributed import pick_device
from seq2drum.training.loop import train
from seq2drum.training.sources import bar_songs, read_songs

EXTRA = "extra-band"  # the --extra-data folder's held-out songs, played from the whole arrangement



def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=Path("..") / "shared" / "data" / "midi")
    parser.add_argument("--out", type=Path, default=Path("runs") / "cv")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=TrainConfig().epochs)
    parser.add_argument("--takes", type=int, default=4)
    parser.add_argument("--attention", action="store_true")
    parser.add_argument("--only", default="", metavar="FOLDS",
                        help="run only these folds (a comma list, e.g. 0,2,4), so that two processes can share the "
                             "folds on two cores; the run without --only then summarises every fold")
    parser.add_argument("--input-kind", choices=(*INPUT_KINDS, "all"), default="band",
                        help="what the held-out songs are played from (see --mode evaluate); all = each of them")
    parser.add_argument("--no-hear-drums", action="store_true",
                        help="train folds whose decoder does not hear the drums of the bars before (the older design)")
    parser.add_argument("--hear-part", action="store_true", help="a decoder that hears each bar's part (the plan's)")
    parser.add_argument("--live", action="store_true",
                        help="the causal model that plays along live (--mode train --live), each held-out song played "
                        "to it bar by bar (--mode evaluate --live); use its own --out, e.g. runs/cv-live")
    parser.add_argument("--max-notes", type=int, default=0, metavar="N",
                        help="train on items cut at bar boundaries to at most N notes of the parts listened to "
                        "(the design's 150-note question; 0 = whole songs in pieces of 256 bars)")
    parser.add_argument("--extra-data", type=Path, default=None, metavar="DIR",
                        help="a second folder trained on beside --data in every fold (jazz/), folded by the same "
                        "rule: each fold also scores its held-out songs of DIR from the whole arrangement "
                        "(foldN/scores-extra-band.pkl, OUT/gen-extra/band)")
    parser.add_argument("--extra-weight", type=int, default=TrainConfig().extra_weight, metavar="N",
                        help="each --extra-data song counts N times an epoch")
    parser.add_argument("--guitar-alone-share", type=float, default=TrainConfig().guitar_alone_share, metavar="S",
                        help="train folds with every band part left out of this share of the items")
    parser.add_argument("--own-passes", type=int, default=None, metavar="N",
                        help="score with N passes hearing the model's own take 1 (default: its policy's); scores and "
                        "outputs then go to scores-KIND-pN.pkl and OUT/gen-pN, beside the default's")
    parser.add_argument("--policy", action="append", default=[], metavar="NAME=VALUE", type=checked_policy_change,
                        help="score with this decoding setting changed from each fold's tuned policy (a DecodingPolicy "
                        "field, e.g. crash_edge_threshold=0; repeatable); scores and outputs then carry a tag")
    parser.add_argument("--plan", choices=PLANS, default=GenerationOptions().plan,
                        help="parts: each song's phrases played from a plan of parts (parts.plan), each fold planning "
                        "with its own OUT/foldN/parts.npz (fitted on the other folds' songs when missing); bars: bar "
                        "by bar, as before 2026-11-27 (the scores' names without -parts)")
    parser.add_argument("--crashes", default=GenerationOptions().crashes,
                        help="--crashes for every held-out song (none | sections | every:N); outputs then carry a tag")
    parser.add_argument("--seed", type=int, default=TrainConfig().seed,
                        help="the training seed (give another seed its own --out: the folds are the same)")
    parser.add_argument("--ema-decay", type=float, default=TrainConfig().ema_decay, metavar="D",
                        help="train folds whose best.pt is a moving average of the weights (TrainConfig.ema_decay; "
                        "0 = the trained weights); such a fold also keeps its raw weights' best, best-raw.pt")
    parser.add_argument("--raw", action="store_true",
                        help="tune and score each fold's best-raw.pt (folds trained with --ema-decay) instead of its "
                        "best.pt: outputs carry the tag -raw, the same training's two models side by side")
    parser.add_argument("--members-of", default="", metavar="OUT,OUT",
                        help="train nothing: each fold's model is the ensemble of these crossval runs' fold models "
                        "(the same folds trained with other --seed; tools.ensemble), tuned and scored as usual")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default=TrainConfig().device,
                        help="where each fold trains and tunes its decoding (auto: the GPU when one is visible)")
    parser.add_argument("--cache", type=Path, default=None, metavar="DIR",
                        help="the song cache every fold reads (default: $XDG_CACHE_HOME/seq2drum or ~/.cache/seq2drum)")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads (1 is fastest on a shared 2-core machine)")
    return parser


def checked_policy_change(text: str) -> tuple[str, float | int]:
    """--policy's NAME=VALUE (groove.policy.policy_change), as argparse reports a bad value."""
    try:
        return policy_change(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


MAX_TAG = 100  # characters of the tag spelt out


def tag_of(args: argparse.Namespace) -> str:
    """The suffix of scores and outputs made with --own-passes N, --policy, --crashes or --plan parts ("" for the
    defaults before plans: scores made before 2026-11-27's plans of parts keep their names, and a run planned anew
    is never mistaken for them)."""
    passes = ("-raw" if args.raw else "") + ("" if args.own_passes is None else f"-p{args.own_passes}")
    crashes = "" if args.crashes == GenerationOptions().crashes else f"-crashes-{args.crashes.replace(':', '')}"
    planned = "-parts" if args.plan == "parts" and not args.live else ""
    tag = passes + "".join(f"-{name}{value:g}" for name, value in args.policy) + crashes + planned
    if len(tag) > MAX_TAG:  # a file name holds 255 bytes: many --policy changes go by a digest of them
        tag = f"-changes{hashlib.sha256(tag.encode()).hexdigest()[:10]}"
    return tag


def kinds_of(args: argparse.Namespace) -> list[str]:
    return list(INPUT_KINDS) if args.input_kind == "all" else [args.input_kind]


def run_fold(args: argparse.Namespace, fold: int, data_config: DataConfig) -> dict[str, list]:
    """Train, tune and evaluate one fold (each step skipped when its file is there); returns its songs' scores per
    input kind."""
    folder = args.out / f"fold{fold}"
    started = time.perf_counter()

    def split(songs: list, fold: int = fold) -> tuple[list, list]:
        rest = [s for s in songs if fold_of(s, args.folds, data_config.split_seed) != fold]
        return split_songs(rest, data_config.val_fraction, data_config.split_seed)

    if args.members_of and not (folder / "trained.json").exists():
        sources = [Path(run) / f"fold{fold}" / "best.pt" for run in args.members_of.split(",")]
        folder.mkdir(parents=True, exist_ok=True)
        join_checkpoints(sources, folder / "best.pt")
        write_atomic(folder / "trained.json", json.dumps({"members_of": [str(s) for s in sources]}))
    if not (folder / "trained.json").exists():
        resume = folder / "last.pt" if (folder / "last.pt").exists() else None
        model_config = ModelConfig(attention=args.attention, hear_drums=not args.no_hear_drums, causal=args.live,
                                   hear_part=args.hear_part)
        train(args.data, folder, data_config, model_config,
              TrainConfig(epochs=args.epochs, device=args.device, max_notes_per_item=args.max_notes,
                          guitar_alone_share=args.guitar_alone_share, seed=args.seed,
                          ema_decay=args.ema_decay, extra_data=str(args.extra_data or ""),
                          extra_weight=args.extra_weight), args.cache, resume=resume,
              progress=False, song_filter=split, tune=False)
        write_atomic(folder / "trained.json", json.dumps({"seconds": time.perf_counter() - started}))
    tuned = folder / ("tuned-raw.json" if args.raw else "tuned.json")
    if not tuned.exists():  # tuned apart from training, so a decoding change re-tunes only
        read = read_songs(args.data, data_config, TrainConfig(extra_data=str(args.extra_data or "")), args.cache,
                          False, split)
        spec = FeatureSpec.current(data_config.steps_per_quarter)
        val_songs = bar_songs(read.val, spec) + bar_songs(read.extra_val, spec)
        _, report = tune_checkpoint(checkpoint_of(args, fold), val_songs, pick_device(args.device))
        write_atomic(tuned, json.dumps(report))
    if args.plan == "parts" and not args.live and not (folder / PARTS_FILE).exists():
        fold_parts(args, fold, folder / PARTS_FILE)  # its own: the shipped parts know its songs' drummers
    scores = {kind: evaluate_fold(args, fold, kind) for kind in kinds_of(args)}
    if args.extra_data:  # the extra folder's held-out songs, from the whole arrangement
        scores[EXTRA] = evaluate_fold(args, fold, "band", extra=True)
    print(f"fold {fold}: done in {time.perf_counter() - started:.0f} s", flush=True)
    return scores


_PART_SONGS: list = []  # every song's labelled phrases, read once for all the folds' parts


def fold_parts(args: argparse.Namespace, fold: int, path: Path) -> None:
    """The fold's parts (parts.plan's vocabulary and part model), fitted on the songs of --data and --extra-data
    outside the fold (training.part_fit, as `--mode train` fits a run's), saved beside its model: the fold plans with
    them, out of fold."""
    from seq2drum.training.part_fit import fit_parts
    from seq2drum.training.parts import folder_phrases

    if not _PART_SONGS:
        _PART_SONGS.extend(folder_phrases(args.data, "midi", False, args.folds))
        if args.extra_data:
            _PART_SONGS.extend(folder_phrases(args.extra_data, "jazz", True, args.folds))
    print(f"fold {fold}: fitting its parts on the other folds' songs", flush=True)
    save_parts(path, *fit_parts([song for song in _PART_SONGS if song.fold != fold]))


def checkpoint_of(args: argparse.Namespace, fold: int) -> Path:
    """The model a fold is scored with: best.pt, or with --raw the raw weights' best-raw.pt."""
    return args.out / f"fold{fold}" / ("best-raw.pt" if args.raw else "best.pt")


def evaluate_fold(args: argparse.Namespace, fold: int, kind: str, extra: bool = False) -> list:
    """The fold's held-out songs played from `kind`: scores kept (foldN/scores-KIND.pkl), takes written to OUT/gen.
    `extra`: those of --extra-data (songs without a guitar among them): foldN/scores-extra-KIND.pkl, OUT/gen-extra."""
    folder = args.out / f"fold{fold}"
    tag = ("-extra" if extra else "") + tag_of(args)
    scores_path = folder / (f"scores-extra-{kind}{tag_of(args)}.pkl" if extra else f"scores-{kind}{tag}.pkl")
    if scores_path.exists():
        with scores_path.open("rb") as stream:
            print(f"fold {fold} {kind}: scores found, skipped", flush=True)
            return pickle.load(stream)
    started = time.perf_counter()
    settings = EvaluationSettings(split="fold", folds=args.folds, fold=fold, takes=args.takes, plots_songs=0,
                                  input_kind=kind, own_passes=args.own_passes,
                                  policy_changes=tuple(args.policy), crashes=args.crashes, live=args.live,
                                  plan=args.plan,
                                  without_guitar=extra)
    data = args.extra_data if extra else args.data
    evaluation = evaluate(data, checkpoint_of(args, fold), folder / f"eval-{kind}{tag}", settings, args.cache,
                          progress=False, log=lambda line: None, outputs_dir=args.out / f"gen{tag}" / kind)
    write_atomic(scores_path, lambda stream: pickle.dump(evaluation.songs, stream))
    loop = evaluation.summary["against_loop"]
    print(f"fold {fold} {kind}: {len(evaluation.songs)} songs in {time.perf_counter() - started:.0f} s; model "
          f"{loop['model_mean_song_f1']:.3f} loop {loop['loop_mean_song_f1']:.3f} best-of-{args.takes} "
          f"{loop['best_of_takes_mean_song_f1']:.3f}", flush=True)
    return evaluation.songs


def main() -> None:
    parser = build_parser()
    args = parser.parse_args()
    import torch

    try:
        pick_device(args.device)  # --device cuda without a GPU stops here, before any fold
    except DeviceError as error:
        parser.error(str(error))
    torch.set_num_threads(args.threads)
    print(describe_machine(), flush=True)
    tag = tag_of(args)
    if tag.startswith("-changes"):  # what the digest stands for, beside the outputs it names
        args.out.mkdir(parents=True, exist_ok=True)
        write_atomic(args.out / f"tag{tag}.json", json.dumps(
            {"own_passes": args.own_passes, "policy": dict(args.policy), "crashes": args.crashes,
             "plan": args.plan}, indent=1))
        print(f"outputs tagged {tag}: {args.out / f'tag{tag}.json'} lists the changes", flush=True)
    data_config = DataConfig()
    all_scores: dict[str, list] = {kind: [] for kind in [*kinds_of(args), *([EXTRA] if args.extra_data else [])]}
    only = {int(f) for f in args.only.split(",") if f.strip()} if args.only else set(range(args.folds))
    for fold in sorted(only):
        for kind, scores in run_fold(args, fold, data_config).items():
            all_scores[kind].extend(scores)
    if only != set(range(args.folds)):
        print(f"folds {sorted(only)} done; run again without --only to summarise all {args.folds}", flush=True)
        return
    for kind, scores in all_scores.items():
        summary = {**summarize(scores), "input_kind": "band" if kind == EXTRA else kind}
        tag = tag_of(args)
        write_atomic(args.out / f"summary-{kind}{tag}.json", dumps({k: v for k, v in summary.items()
                                                                if k != "distributions"}))
        print(f"\nall {args.folds} folds, {len(scores)} songs{' of --extra-data' if kind == EXTRA else ''}, input "
              f"{'band' if kind == EXTRA else kind}:\n")
        print(format_tables(summary))
    tag = tag_of(args)
    print(f"\nthen: python -m tools.score_split --gen {args.out / f'gen{tag}'} --out {args.out / f'scoring{tag}'}")


if __name__ == "__main__":
    main()
