"""The long modes of the command line: preprocess a folder, train a model, evaluate it, list the styles.

Data and run folders are relative to the working directory (../shared/data/midi and runs/ by default).
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from pathlib import Path

from seq2drum.atomic import write_atomic
from seq2drum.config import DataConfig, ModelConfig, TrainConfig
from seq2drum.errors import ConfigError, escape_controls
from seq2drum.options import invoked_as

# relative to the working directory: right from the repository root, where the README runs commands; elsewhere the
# corpus says the folder is missing and to pass --data
DEFAULT_DATA = Path("..") / "shared" / "data" / "midi"
RUNS = Path("runs")


def data_config(args: argparse.Namespace) -> DataConfig:
    return DataConfig(steps_per_quarter=args.steps_per_quarter)


def run_preprocess(args: argparse.Namespace) -> int:
    from seq2drum.song.corpus import build_corpus, no_songs_error

    if args.report and Path(args.report).exists() and not args.force:  # before a song is read: it is the user's
        raise ConfigError(f"--report {args.report} exists; pass --force to overwrite it, or name another file")
    corpus = build_corpus(args.data, data_config(args), args.cache, args.workers, progress=not args.quiet,
                          allow_empty=True)
    report = corpus.report
    if not corpus.songs:  # the report says why for every file: write it before the error
        if args.report:
            write_atomic(args.report, json.dumps(report, indent=2))
            print(f"report written to {args.report}")
        raise no_songs_error(args.data, report)
    print(
        f"{report['songs_used']} of {report['files']} songs used ({report['train_songs']} train, "
        f"{report['validation_songs']} validation), {report['bars']} bars, "
        f"{report['hours']} h; {report['seconds']} s "
        f"({report['from_cache']} from cache)"
    )
    for reason, count in report["skipped_by_reason"].items():
        print(f"  skipped {count}: {reason}")
    print("  hits per class: " + ", ".join(f"{k} {v}" for k, v in report["hits_per_class"].items()))
    if args.report:
        write_atomic(args.report, json.dumps(report, indent=2))
        print(f"report written to {args.report}")
    return 0


def run_train(args: argparse.Namespace) -> int:
    from seq2drum.training.loop import train

    # a resumed run goes on in its own folder, so that its last.pt is the one the next --resume names
    out = args.out or (args.resume.parent if args.resume else RUNS / time.strftime("%Y%m%d-%H%M%S"))
    if out.exists() and not out.is_dir():
        print(f"error: --out {out} is a file; pass a folder for the run (it is created if missing)", file=sys.stderr)
        return 2
    from seq2drum.training.distributed import World

    if args.resume and World.from_env().is_main:
        print(f"resuming {args.resume} in {out}: its checkpoints go to {out / 'last.pt'}; to continue again, "
              f"--resume {out / 'last.pt'}", flush=True)
    same_names = ("epochs", "max_steps", "batch_size", "lr", "patience", "checkpoint_every", "device",
                  "role_dropout", "guitar_alone_share", "ema_decay", "extra_weight")  # flag = field
    train_config = TrainConfig(**{name: getattr(args, name) for name in same_names},
                               seed=0 if args.seed is None else args.seed, transpose=not args.no_transpose,
                               extra_data=str(args.extra_data or ""))
    model_config = ModelConfig(attention=args.attention, enc_hidden=args.enc_hidden, dec_hidden=args.dec_hidden,
                               hear_drums=not args.no_hear_drums, causal=args.live, hear_part=args.hear_part)
    best = train(args.data, out, data_config(args), model_config, train_config, args.cache, args.resume,
                 progress=not args.quiet)
    if World.from_env().is_main:  # under torchrun, rank 0 speaks for the run
        print(f"best model: {best}\nuse it with: {invoked_as('python main.py')} --mode infer SONG.mid "
              f"--checkpoint {best}")
    return 0


def run_evaluate(args: argparse.Namespace) -> int:
    """Score the model and the baselines against the real drums; the data config comes from the checkpoint
    (--steps-per-quarter is ignored), the seed defaults to 0 so reports are reproducible."""
    from seq2drum.evaluation.evaluate import EvaluationSettings, evaluate
    from seq2drum.evaluation.report import format_tables, verdict

    from seq2drum.evaluation.groups import group_line, group_settings, parse_group

    groups = [parse_group(text) for text in args.group]  # a bad NAME=DIR stops here, before any song
    report_dir = args.report or RUNS / f"eval-{time.strftime('%Y%m%d-%H%M%S')}"
    settings = EvaluationSettings(split=args.split, limit=args.limit, temperature=args.temperature,
                                  seed=0 if args.seed is None else args.seed, plots_songs=args.plots_songs,
                                  gallery=args.gallery, takes=args.takes or 1, humanize=args.humanize, feel=args.feel,
                                  input_kind=args.input_kind, live=args.live, plan=args.plan, crashes=args.crashes)
    evaluation = evaluate(args.data, args.checkpoint, report_dir, settings, args.cache, args.workers,
                          progress=not args.quiet)
    print()
    print(format_tables(evaluation.summary))
    print()
    print("\n".join(verdict(evaluation.summary)))
    pngs = sum(path.suffix == ".png" for path in evaluation.written)
    print(f"report written to {report_dir} (report.md, report.json, {pngs} PNGs)")
    for name, folder in groups:  # each genre group, on songs the model never heard
        group = evaluate(folder, args.checkpoint, report_dir / f"group-{name}",
                         group_settings(settings, name, args.checkpoint), args.cache, args.workers,
                         progress=not args.quiet)
        print(f"\n{group_line(group.summary)}\n\n{format_tables(group.summary)}\n")
        print(f"report written to {report_dir / f'group-{name}'}")
    return 0


def run_styles(args: argparse.Namespace) -> int:
    """One style a line, sorted by name: NAME<TAB>METERS<TAB>DESCRIPTION."""
    from seq2drum.generation.generator import DrumGenerator

    generator = DrumGenerator.from_checkpoint(args.checkpoint)
    for style in generator.styles.styles:
        print(f"{style.name}\t{','.join(style.meters)}\t{style.description}")
    return 0


def run_arrange(args: argparse.Namespace) -> int:
    """The song's sections and the parts each can play, ranked; with --drummer the song's own drummer's arrangement
    and the --parts value that plays it (its last line); --json for a program."""
    from seq2drum.cli.infer import _load_generator, generation_options
    from seq2drum.generation.arrange import described, song_arrangement
    from seq2drum.midi.io import read_midi
    from seq2drum.arrangement_text import SHOWN_PARTS

    if not args.song:
        print(f"error: name the song: {invoked_as('python main.py')} --mode arrange SONG.mid [--drummer] [--json]",
              file=sys.stderr)
        return 2
    song = Path(args.song)
    if not song.is_file():
        print(f"error: {escape_controls(str(song))} not found; name an existing .mid file", file=sys.stderr)
        return 2
    options = generation_options(args)
    generator = _load_generator(args)
    result = song_arrangement(generator, read_midi(song, only_guitar=False, track=options.track), options,
                              args.drummer)
    if args.json:
        print(result.to_json())
        return 0
    print(f"{escape_controls(song.name)}: its sections as seq2drum counts them, and the parts each can play, best "
          f"first ({'the band' if result.arrangement.heard_band else 'the guitar alone'} heard):")
    if result.heard:
        print(result.heard)
    for line in described(result, SHOWN_PARTS):
        print(line)
    if result.drummer is not None:
        print(f'--parts "{result.parts_value()}"')
    else:
        # quoted for the shell and its control bytes escaped: "my song;touch X;$(id).mid" was suggested as it is
        print(f'choose with: {invoked_as("python main.py")} --mode infer {escape_controls(shlex.quote(args.song))} '
              '--parts "KEY=PART; ..." '
              "(KEY: A, B#2 or 33-40; PART: a name or [id] above, or a style: --mode styles lists them; bossa, funk, "
              "hip-hop, samba and afrobeat play the bars of their drummers)")
    return 0
