"""seq2drum command line: preprocess a folder, train a model, generate drums for a song, evaluate against drummers.

    seq2drum --mode infer song.mid               # writes song_drums.mid with the shipped model
    seq2drum --mode infer --bars 16 --meter 6/8  # drums from nothing: writes drums_16bars.mid here
    seq2drum --mode train --data DIR             # trains; run folder in ./runs/
    seq2drum --mode evaluate --data DIR          # scores the model and baselines against the real drums
    seq2drum --mode preprocess --data DIR        # parses and caches a folder, writes a report
    seq2drum --mode styles                       # lists the groove families --style chooses from

From a checkout, `python main.py` is the same command. The generation flags come from seq2drum.options.OPTIONS.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time
from pathlib import Path
from typing import NoReturn

from seq2drum.cli import STARTED_S
from seq2drum.cli.infer import run_infer, say
from seq2drum.cli.modes import DEFAULT_DATA, run_arrange, run_evaluate, run_preprocess, run_styles, run_train
from seq2drum.config import DataConfig, ModelConfig, TrainConfig
from seq2drum.errors import Seq2DrumError
from seq2drum.evaluation import INPUT_KINDS
from seq2drum.options import MAX_TAKES, DefaultsHelpFormatter, add_option_flags, invoked_as

MAX_TORCH_THREADS = 256
# Help of the generation flags where the command line says more than the table (evaluate uses them too).
_HELP_FOR = {
    "seed": "random seed (default: 0 for train and evaluate, a fresh one for each infer)",
    "takes": f"infer: write N distinct takes (1-{MAX_TAKES}) as OUT.take1.mid ... OUT.takeN.mid, where OUT is -o "
             "without .mid or SONG_drums beside the song; evaluate: also score the best of N takes (default: one file, "
             "SONG_drums.mid)",
}


class OneLineErrorParser(argparse.ArgumentParser):
    """A mistyped option is one line and exit code 2, like every other error (argparse's 16-line usage block
    buried it); --help still shows the usage."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"error: {message}; {self.prog} --help lists the options\n")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineErrorParser(prog=invoked_as("python main.py"), description="seq2drum: drums for a guitar part",
                                formatter_class=DefaultsHelpFormatter)
    parser.add_argument("--mode", choices=("infer", "arrange", "train", "evaluate", "preprocess", "styles"),
                        default="infer", help="what to do")
    parser.add_argument("song", nargs="?", help="infer: the guitar MIDI file; arrange: the song")
    arrange = parser.add_argument_group("arrangement")
    arrange.add_argument("--drummer", action="store_true",
                         help="arrange: also the part the song's own drummer plays in each section, and the --parts "
                         "value that plays his arrangement")
    arrange.add_argument("--json", action="store_true",
                         help="arrange: print JSON (the sections with every part ranked; with --drummer, each "
                         "section's part)")
    _add_data_flags(parser)
    _add_train_flags(parser.add_argument_group("training"))
    _add_infer_flags(parser.add_argument_group("generation"))
    evaluation = parser.add_argument_group("evaluation")
    evaluation.add_argument("--split", choices=("val", "train", "all"), default="val",
                            help="evaluate: the checkpoint's validation songs, its training songs, or every song in "
                            "--data; generated with --temperature and --seed")
    evaluation.add_argument("--limit", type=int, default=0, help="evaluate: at most this many songs, 0 = all")
    evaluation.add_argument("--group", action="append", default=[], metavar="NAME=DIR",
                            help="evaluate: also report the songs of DIR as a genre group of their own (e.g. "
                            "--group jazz=../shared/data/jazz), beside the jazz ride pattern; songs without a guitar "
                            "are played from the whole arrangement, songs the model trained on are left out; "
                            "repeatable")
    evaluation.add_argument("--plots-songs", type=int, default=3, help="evaluate: songs drawn as piano rolls")
    evaluation.add_argument("--gallery", type=int, default=0, metavar="N",
                            help="evaluate: piano rolls of the N songs with the most checklist faults")
    evaluation.add_argument("--input-kind", choices=INPUT_KINDS, default="band",
                            help="evaluate: play each song from its guitar part alone (with --guitar-only), from the "
                            "whole arrangement without its drums, or from the guitar plus the drummer's first 2 bars "
                            "(primed, with --keep-drums); scored against the loop and, for band, the bass rule, for "
                            "primed, the given bars looped")
    parser.add_argument("--live", action="store_true",
                        help="train: the causal model that plays along live (it reads only what was played up to the "
                        "lead before each bar); evaluate: play each song to it bar by bar (default checkpoint "
                        "models/live.pt)")
    return parser


def _add_data_flags(parser: argparse.ArgumentParser) -> None:
    data = DataConfig()
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA,
                        help="folder of multi-track MIDI songs with guitar and drums (default: ../shared/data/midi "
                        "from the current folder, as from the repository root)")
    parser.add_argument("--cache", type=Path, default=None,
                        help="cache of encoded songs (default: $XDG_CACHE_HOME/seq2drum or ~/.cache/seq2drum)")
    parser.add_argument("--report", type=Path, default=None,
                        help="preprocess: JSON report file; evaluate: report folder (default: preprocess only prints "
                        "its summary, evaluate writes runs/eval-<time>)")
    parser.add_argument("--workers", type=int, default=None, help="parsing processes (default: all cores)")
    parser.add_argument("--steps-per-quarter", type=int, default=data.steps_per_quarter,
                        help="grid resolution, 4 = 16th notes")
    parser.add_argument("--torch-threads", type=int, default=None,
                        help="threads torch computes with (default: 1 for infer, which is fastest for one song, "
                        "above all on a busy machine; torch's own choice, one per core, for the other modes)")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default=TrainConfig().device,
                        help="auto = the GPU when there is one (train), the CPU for infer")
    parser.add_argument("--checkpoint", type=Path, default=None,
                        help="model file (default: the shipped models/default.pt)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")


def _add_train_flags(group: argparse._ArgumentGroup) -> None:
    model, train = ModelConfig(), TrainConfig()
    group.add_argument("--out", type=Path, default=None,
                       help="train: run folder (default: runs/<time>; with --resume, the checkpoint's own folder)")
    group.add_argument("--epochs", type=int, default=train.epochs, help="train: passes over the training songs")
    group.add_argument("--max-steps", type=int, default=train.max_steps,
                       help="train: optimizer steps at most, 0 = no limit")
    group.add_argument("--batch-size", type=int, default=train.batch_size, help="train: songs per batch")
    group.add_argument("--lr", type=float, default=train.lr, help="train: peak learning rate")
    group.add_argument("--patience", type=int, default=train.patience,
                       help="train: epochs without validation improvement before stopping")
    group.add_argument("--checkpoint-every", type=int, default=train.checkpoint_every,
                       help="train: optimizer steps between saves of RUN/last.pt")
    group.add_argument("--attention", action="store_true", help="train: the attention variant")
    group.add_argument("--no-transpose", action="store_true",
                       help="train: do not shift each song's guitar by random semitones (augmentation)")
    group.add_argument("--role-dropout", type=float, default=train.role_dropout, metavar="P",
                       help="train: leave each band part (bass, keys, melody, other) out of a training item with "
                       "probability P, so the model plays to a guitar alone as well as to the whole band")
    group.add_argument("--guitar-alone-share", type=float, default=train.guitar_alone_share, metavar="S",
                       help="train: with --role-dropout, leave every band part out of this share of the items (the "
                       "guitar alone)")
    group.add_argument("--ema-decay", type=float, default=train.ema_decay, metavar="D",
                       help="train: best.pt holds a moving average of the weights with this decay per step (0 = the "
                       "trained weights; their best is kept as best-raw.pt beside an average)")
    group.add_argument("--extra-data", default=train.extra_data, metavar="DIR",
                       help="train: a second folder of songs to train on beside --data (e.g. ../shared/data/jazz); "
                       "its songs without a guitar are heard through the band")
    group.add_argument("--extra-weight", type=int, default=train.extra_weight, metavar="N",
                       help="train: each --extra-data song counts N times an epoch, so a small genre counts "
                       f"(default {train.extra_weight})")
    group.add_argument("--no-hear-drums", action="store_true",
                       help="train: a decoder that does not hear the drums of the bars before (the older design)")
    group.add_argument("--hear-part", action="store_true",
                       help="train: a decoder that also hears the part each bar is played in (the drummer's in "
                       "training, the plan's when it plays)")
    group.add_argument("--enc-hidden", type=int, default=model.enc_hidden, help="train: encoder size per direction")
    group.add_argument("--dec-hidden", type=int, default=model.dec_hidden, help="train: decoder size")
    group.add_argument("--resume", type=Path, default=None,
                       help="train: continue from RUN/last.pt, in RUN unless --out names another folder (default: a "
                       "new run)")


def _add_infer_flags(group: argparse._ArgumentGroup) -> None:
    group.add_argument("-o", "--output", type=Path, default=None,
                       help="infer: output .mid file (default: SONG_drums.mid beside the song, or SONG_drums-2.mid, -3 "
                       "... when earlier takes, or their .wav or .png, are there)")
    group.add_argument("--force", action="store_true",
                       help="infer: let -o, or --takes N's files, and the .wav and .png beside them, overwrite "
                       "existing regular files (nothing is written over an existing file without it; takes are never "
                       "renumbered); preprocess: let --report overwrite its file")
    group.add_argument("--audio", action="store_true",
                       help="infer: also write X.wav beside each X.mid (44.1 kHz 16-bit; the drums, or guitar and "
                       "drums with --merge), rendered with a General MIDI SoundFont; needs the audio extra")
    group.add_argument("--plot", action="store_true",
                       help="infer: also write X.png beside each X.mid: guitar and drums as a piano roll with bar "
                       "lines and the sections")
    add_option_flags(group, server_decides=False, prefix="infer: ", help_for=_HELP_FOR)


GROUP_MODES = {"training": ("train",), "generation": ("infer",), "evaluation": ("evaluate",),
               "arrangement": ("arrange",)}
# flags outside their group's mode, or outside any group; flags not named here nor in a group serve every mode
FLAG_MODES = {
    "song": ("infer", "arrange"), "checkpoint": ("infer", "arrange", "evaluate", "styles"),
    "track": ("infer", "arrange"), "guitar_only": ("infer", "arrange"), "report": ("preprocess", "evaluate"),
    "data": ("preprocess", "train", "evaluate"), "cache": ("preprocess", "train", "evaluate"),
    "workers": ("preprocess", "train", "evaluate"), "steps_per_quarter": ("preprocess", "train"),
    "seed": ("infer", "train", "evaluate"), "temperature": ("infer", "evaluate"), "takes": ("infer", "evaluate"),
    "live": ("train", "evaluate"), "force": ("infer", "preprocess"), "plan": ("infer", "evaluate"),
    "crashes": ("infer", "evaluate"),
}


def ignored_flags(parser: argparse.ArgumentParser, args: argparse.Namespace) -> list[str]:
    """The flags given (a value other than the default) that --mode does not read, each as `--flag (for train)`:
    `--epochs 3` in infer was ignored without a word."""
    modes = {}
    for group in parser._action_groups:  # argparse keeps each group's actions here
        for action in group._group_actions:
            modes[action.dest] = (action, FLAG_MODES.get(action.dest, GROUP_MODES.get(group.title or "")))
    ignored = []
    for dest, (action, used_by) in modes.items():
        if used_by and args.mode not in used_by and getattr(args, dest, None) != action.default:
            name = action.option_strings[-1] if action.option_strings else dest.upper()
            ignored.append(f"{name} (for {', '.join(used_by)})")
    if getattr(args, "rest_after", None) is not None:  # a generation option that only playing along reads
        ignored.append("--rest-after (for playing along live: the DAW helper's --live and --simulate)")
    return ignored


MODES = {"infer": run_infer, "arrange": run_arrange, "preprocess": run_preprocess, "train": run_train,
         "evaluate": run_evaluate, "styles": run_styles}
LONG_MODES = ("preprocess", "train", "evaluate")  # they run for minutes to hours: garbage is collected as usual


def check_machine(args: argparse.Namespace) -> str:
    """What the device and thread flags ask for that this machine cannot give, as an error message ("" when fine);
    sets torch's threads (1 for infer unless --torch-threads says otherwise)."""
    if args.torch_threads is not None and not 1 <= args.torch_threads <= MAX_TORCH_THREADS:
        return f"--torch-threads must be 1-{MAX_TORCH_THREADS}, got {args.torch_threads}"
    if args.mode == "preprocess":  # parses and encodes MIDI only: importing torch to configure it would take longer
        return ""
    threads = args.torch_threads or (1 if args.mode == "infer" else None)
    if args.mode == "infer" and args.device != "cuda" and "torch" not in sys.modules:
        # infer on the CPU runs the network in numpy and imports torch only for a model not yet in the fast-start
        # cache (seq2drum.model.fast_start): the thread count goes to both through the environment, read when they load
        if threads:
            os.environ["OMP_NUM_THREADS"] = str(threads)
        return ""
    import torch

    if args.device == "cuda" and not torch.cuda.is_available():
        build = "this torch is a CPU-only build" if torch.version.cuda is None else "no CUDA GPU is visible"
        return f"--device cuda asked for, but {build}; use --device auto or cpu"
    if threads:
        torch.set_num_threads(threads)
    return ""


def main(argv: list[str] | None = None, started_s: float | None = None) -> int:
    """Run one command; returns the exit code (2 for anything the user can fix, with one line saying what).
    `started_s` is the `time.perf_counter()` the run started at, for the time infer prints (default: now)."""
    entered_s = time.perf_counter()
    parser = build_parser()
    args = parser.parse_args(argv)
    args.started_s = entered_s if started_s is None else started_s
    ignored = ignored_flags(parser, args)
    if args.mode == "infer" and args.out is not None:  # an output asked for that infer would not write to
        say(f"error: --out is training's run folder; infer writes its drums to -o FILE (--output FILE), "
            f"e.g. -o {args.out}", sys.stderr)
        return 2
    if args.mode in LONG_MODES:
        gc.enable()
    try:
        problem = check_machine(args)
        if problem:
            say(f"error: {problem}", sys.stderr)
            return 2
        code = MODES[args.mode](args)
        if ignored and code == 0:  # after the run: an error stays the one line it is
            say(f"warning: --mode {args.mode} ignored {'; '.join(ignored)}", sys.stderr)
        return code
    except Seq2DrumError as exc:
        say(f"error: {exc}", sys.stderr)
        return 2
    except BrokenPipeError:  # the reader went away (`... --mode styles | head`): nothing to report
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # so the exit flush does not fail again
        return 0
    except OSError as exc:  # a file or folder that cannot be read or written: the path and the reason, no traceback
        where = f"{exc.filename}: " if exc.filename else ""
        say(f"error: {where}{exc.strerror or exc}", sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def console() -> int:
    """The `seq2drum` script and `python main.py`: one song's drums and exit, so no garbage-collection pauses
    while music21 and numpy import and the song generates (full collections walked every object those imports make,
    over and over). The long modes turn collection back on in main(); tests, which call main(), keep it on."""
    gc.disable()
    return main(started_s=STARTED_S)  # the time printed is the whole command's, from its first import
