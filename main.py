"""seq2drum command line: preprocess a folder, train a model, generate drums for a song, evaluate against drummers.

    python main.py --mode infer song.mid              # writes song_drums.mid with the shipped model
    python main.py --mode infer --bars 16 --meter 6/8  # drums from nothing: writes drums_16bars.mid here
    python main.py --mode train --data DIR            # trains; run folder in runs/
    python main.py --mode evaluate --data DIR         # scores the model and baselines against the real drums
    python main.py --mode preprocess --data DIR       # parses and caches a folder, writes a report
    python main.py --mode styles                      # lists the groove families --style chooses from
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

if __name__ == "__main__":
    # A command makes one song's drums and exits: no garbage-collection pauses while it imports music21 and numpy
    # and generates (full collections walked every object those imports make, over and over). The long modes turn
    # collection back on in main(); tests, which import this file, keep it on throughout.
    gc.disable()

from seq2drum.atomic import write_atomic
from seq2drum.config import (
    DEFAULT_METER,
    DEFAULT_TEMPO_QPM,
    MAX_BARS,
    MAX_COUNT_IN_BARS,
    MAX_TAKES,
    MAX_TEMPO_QPM,
    MIN_TEMPO_QPM,
    DataConfig,
    DefaultsHelpFormatter,
    GenerationOptions,
    ModelConfig,
    TrainConfig,
)
from seq2drum.config import (CYMBALS, MAX_DENSITY, MAX_DYNAMICS, MAX_SWING, MAX_TAKES, MIN_DENSITY, MIN_DYNAMICS,
                             MIN_SWING, DataConfig, DefaultsHelpFormatter, GenerationOptions, ModelConfig, TrainConfig)
from seq2drum.errors import Seq2DrumError

if TYPE_CHECKING:  # torch loads only when a mode needs it
    from seq2drum.generation.generator import GenerationResult, TakeResult

REPO = Path(__file__).resolve().parent
DEFAULT_DATA = REPO.parent / "shared" / "data" / "midi"
MAX_TORCH_THREADS = 256


class OneLineErrorParser(argparse.ArgumentParser):
    """A mistyped option is one line and exit code 2, like every other error (argparse's 16-line usage block
    buried it); --help still shows the usage."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"error: {message}; python main.py --help lists the options\n")


def build_parser() -> argparse.ArgumentParser:
    data, model, train, gen = DataConfig(), ModelConfig(), TrainConfig(), GenerationOptions()
    parser = OneLineErrorParser(
        prog="main.py", description="seq2drum: drums for a guitar part", formatter_class=DefaultsHelpFormatter
    )
    parser.add_argument("--mode", choices=("infer", "train", "evaluate", "preprocess", "styles"), default="infer",
                        help="what to do")
    parser.add_argument("song", nargs="?", help="infer: the guitar MIDI file")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA,
                        help="folder of multi-track MIDI songs with guitar and drums (default: ../shared/data/midi "
                        "beside this repository)")
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
    # training
    parser.add_argument("--out", type=Path, default=None, help="train: run folder (default: runs/<time>)")
    parser.add_argument("--epochs", type=int, default=train.epochs, help="train: passes over the training songs")
    parser.add_argument("--max-steps", type=int, default=train.max_steps,
                        help="train: optimizer steps at most, 0 = no limit")
    parser.add_argument("--batch-size", type=int, default=train.batch_size, help="train: songs per batch")
    parser.add_argument("--lr", type=float, default=train.lr, help="train: peak learning rate")
    parser.add_argument("--patience", type=int, default=train.patience,
                        help="train: epochs without validation improvement before stopping")
    parser.add_argument("--checkpoint-every", type=int, default=train.checkpoint_every,
                        help="train: optimizer steps between saves of RUN/last.pt")
    parser.add_argument("--attention", action="store_true", help="train: the attention variant")
    parser.add_argument("--no-transpose", action="store_true",
                        help="train: do not shift each song's guitar by random semitones (augmentation)")
    parser.add_argument("--enc-hidden", type=int, default=model.enc_hidden, help="train: encoder size per direction")
    parser.add_argument("--dec-hidden", type=int, default=model.dec_hidden, help="train: decoder size")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default=train.device,
                        help="auto = the GPU when there is one (train), the CPU for infer")
    parser.add_argument("--resume", type=Path, default=None,
                        help="train: continue from RUN/last.pt (default: a new run)")
    # generation
    parser.add_argument("--checkpoint", type=Path, default=None, help="model file (default: the shipped models/default.pt)")
    parser.add_argument("-o", "--output", type=Path, default=None,
                        help="infer: output file (default: SONG_drums.mid beside the song, or SONG_drums-2.mid, -3 ... "
                        "when earlier takes are there)")
    parser.add_argument("--temperature", type=float, default=gen.temperature, help="randomness in the groove choice: 0 = the model's best, "
                        "above 0 = grooves it rates a little lower may be played")
    parser.add_argument("--seed", type=int, default=None,
                        help="random seed (default: 0 for train and evaluate, a fresh one for each infer)")
    parser.add_argument("--track", default=None,
                        help="which parts are the guitar: numbers from the part listing or pieces of names, several "
                        "separated by commas, e.g. 5,6 or rhythm (default: every part marked as guitar)")
    parser.add_argument("--merge", action="store_true", help="infer: write the guitar and the drums in one file")
    parser.add_argument("--takes", type=int, default=None,
                        help=f"infer: write N distinct takes (1-{MAX_TAKES}) as OUT.take1.mid ... OUT.takeN.mid, where "
                        "OUT is -o without .mid or SONG_drums beside the song; evaluate: also score the best of N "
                        "takes (default: one file, SONG_drums.mid)")
    parser.add_argument("--no-humanize", action="store_true",
                        help="infer: velocity and timing of each hit as predicted, not spread a little around it")
    parser.add_argument("--force", action="store_true", help="infer: let -o overwrite an existing file")
    parser.add_argument("--audio", action="store_true",
                        help="infer: also write X.wav beside each X.mid (44.1 kHz 16-bit; the drums, or guitar and drums "
                        "with --merge), rendered with a General MIDI SoundFont; needs the audio extra")
    parser.add_argument("--plot", action="store_true",
                        help="infer: also write X.png beside each X.mid: guitar and drums as a piano roll with bar lines "
                        "and the sections")
    # drum map, count-in, drums from nothing (seq2drum.midi.kit, seq2drum.groove.count_in, seq2drum.groove.from_nothing)
    parser.add_argument("--kit-map", default="gm", metavar="gm|FILE.json",
                        help="infer: the MIDI note of each drum class for your drum plug-in, a JSON object like "
                        '{"kick": 36, "snare": 40}; classes left out keep their General MIDI note')
    parser.add_argument("--count-in", type=int, default=gen.count_in_bars, metavar="BARS",
                        help=f"infer: bars of sticks (0-{MAX_COUNT_IN_BARS}) before the guitar enters, in the song's "
                        "meter and tempo; with --merge the song moves later when it starts too early")
    parser.add_argument("--bars", type=int, default=None,
                        help=f"infer without a SONG: drums from nothing, this many bars (1-{MAX_BARS}) shaped like a "
                        "song (default: off, drums for SONG)")
    parser.add_argument("--tempo", type=float, default=None, metavar="QPM",
                        help=f"with --bars: quarter notes per minute ({MIN_TEMPO_QPM:g}-{MAX_TEMPO_QPM:g}) "
                        f"(default: {DEFAULT_TEMPO_QPM:g})")
    parser.add_argument("--meter", default=None, metavar="NUM/DEN",
                        help=f"with --bars: the time signature, e.g. 3/4, 6/8, 7/8 (default: {DEFAULT_METER})")
    # the controls a drummer asks for (seq2drum/groove/controls.py)
    parser.add_argument("--style", default=None,
                        help="infer: grooves only from this family; python main.py --mode styles lists them "
                        "(default: any groove)")
    parser.add_argument("--density", type=float, default=gen.density,
                        help=f"infer: how busy, {MIN_DENSITY:g}-{MAX_DENSITY:g} times the model's choice")
    parser.add_argument("--fills", default=gen.fills,
                        help="infer: none, sections (where the model hears section changes) or every:N (closing every "
                        "Nth bar of each section, and its last)")
    parser.add_argument("--swing", type=float, default=None,
                        help=f"infer: off-beat eighths at this share of the beat, {MIN_SWING:g} straight to "
                        f"{MAX_SWING:g}, 0.67 = triplet swing (default: the model's own timing)")
    parser.add_argument("--dynamics", type=float, default=gen.dynamics,
                        help=f"infer: velocities times this, {MIN_DYNAMICS:g}-{MAX_DYNAMICS:g}")
    parser.add_argument("--cymbal", choices=CYMBALS, default=gen.cymbal,
                        help="infer: the time-keeping voice: hats, ride, or auto (the model's choice)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    # evaluation
    parser.add_argument("--split", choices=("val", "train", "all"), default="val",
                        help="evaluate: the checkpoint's validation songs, its training songs, or every song in --data; "
                        "generated with --temperature and --seed")
    parser.add_argument("--limit", type=int, default=0, help="evaluate: at most this many songs, 0 = all")
    parser.add_argument("--plots-songs", type=int, default=3, help="evaluate: songs drawn as piano rolls")
    return parser


def data_config(args: argparse.Namespace) -> DataConfig:
    return DataConfig(steps_per_quarter=args.steps_per_quarter)


def run_preprocess(args: argparse.Namespace) -> int:
    from seq2drum.training.corpus import build_corpus

    corpus = build_corpus(args.data, data_config(args), args.cache, args.workers, progress=not args.quiet)
    report = corpus.report
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

    out = args.out or REPO / "runs" / time.strftime("%Y%m%d-%H%M%S")
    if out.exists() and not out.is_dir():
        print(f"error: --out {out} is a file; pass a folder for the run (it is created if missing)", file=sys.stderr)
        return 2
    train_config = TrainConfig(
        epochs=args.epochs,
        max_steps=args.max_steps,
        batch_size=args.batch_size,
        lr=args.lr,
        patience=args.patience,
        checkpoint_every=args.checkpoint_every,
        device=args.device,
        seed=0 if args.seed is None else args.seed,
        transpose=not args.no_transpose,
    )
    model_config = ModelConfig(attention=args.attention, enc_hidden=args.enc_hidden, dec_hidden=args.dec_hidden)
    best = train(args.data, out, data_config(args), model_config, train_config, args.cache, args.resume, progress=not args.quiet)
    from seq2drum.training.distributed import World

    if World.from_env().is_main:  # under torchrun, rank 0 speaks for the run
        print(f"best model: {best}\nuse it with: python main.py --mode infer SONG.mid --checkpoint {best}")
    return 0


def default_output(song: Path, merge: bool) -> Path:
    """SONG_drums.mid beside the song; when that exists (an earlier take), SONG_drums-2.mid, -3, ... so no take is lost."""
    stem = f"{song.stem}_{'with_drums' if merge else 'drums'}"
    candidate, number = song.with_name(f"{stem}.mid"), 2
    while candidate.exists():
        candidate, number = song.with_name(f"{stem}-{number}.mid"), number + 1
    return candidate


def take_outputs(song: Path, output: Path | None, merge: bool, takes: int) -> list[Path]:
    """OUT.take1.mid ... OUT.takeN.mid: OUT is -o without its .mid, or SONG_drums (SONG_with_drums) beside the song."""
    base = output.with_suffix("") if output else song.with_name(f"{song.stem}_{'with_drums' if merge else 'drums'}")
    return [base.with_name(f"{base.name}.take{index}.mid") for index in range(1, takes + 1)]


def media_paths(output: Path, args: argparse.Namespace) -> list[Path]:
    """X.wav and X.png beside X.mid, as --audio and --plot ask."""
    return [output.with_suffix(suffix) for suffix, wanted in ((".wav", args.audio), (".png", args.plot)) if wanted]


def write_media(output: Path, take: TakeResult, result: GenerationResult, args: argparse.Namespace) -> list[str]:
    """--audio: the take rendered to X.wav; --plot: its piano roll as X.png. Returns what to print."""
    lines = []
    for path in media_paths(output, args):
        try:
            if path.suffix == ".wav":
                from seq2drum.generation.audio import write_wav

                rendering = write_wav(path, take.midi_bytes)
                lines.append(f"wrote {path}: {rendering.duration_s:.1f} s, peak {rendering.peak_dbfs:.1f} dBFS")
            else:
                from seq2drum.evaluation.plots import generation_figure, save_figure

                sections = " ".join(f"{letter}@{bar}" for bar, letter in result.sections)
                title = f"{output.name}: take {take.index}; sections (letter@bar) {sections}"
                save_figure(generation_figure(result.song, take.drums, result.sections, title), path)
                lines.append(f"wrote {path}")
        except OSError as exc:  # name the file asked for, not the temporary one
            raise OSError(exc.errno, exc.strerror or str(exc), str(path)) from exc
    return lines


def control_options(args: argparse.Namespace) -> dict[str, object]:
    """The GenerationOptions fields of --style, --density, --fills, --swing, --dynamics and --cymbal."""
    return {"style": args.style, "density": args.density, "fills": args.fills, "swing": args.swing,
            "dynamics": args.dynamics, "cymbal": args.cymbal}


def shape_options(args: argparse.Namespace) -> dict[str, object]:
    """The GenerationOptions fields of --kit-map, --count-in, --bars, --tempo and --meter (the kit map file read and
    checked here, so its errors name it)."""
    from seq2drum.midi.kit import read_kit_map

    return {"kit_map": read_kit_map(args.kit_map), "count_in_bars": args.count_in, "bars": args.bars,
            "tempo_qpm": args.tempo, "meter": args.meter}


def run_from_nothing(args: argparse.Namespace) -> int:
    """--bars N [--tempo QPM] [--meter NUM/DEN] without a SONG: drums_<N>bars.mid in the current folder (or -o),
    never over an existing file without --force."""
    from seq2drum.generation.generator import DrumGenerator

    if args.song:
        print(f"error: --bars, --tempo and --meter make drums from nothing, without a song; leave out {args.song} or "
              "leave out --bars, --tempo and --meter to make drums for it", file=sys.stderr)
        return 2
    options = GenerationOptions(temperature=args.temperature, seed=args.seed, humanize=not args.no_humanize,
                                takes=args.takes or 1, track=args.track, merge=args.merge, **shape_options(args),
                                **control_options(args))
    if args.output is not None and args.output.is_dir():
        example = args.output / f"drums_{args.bars}bars.mid"
        print(f"error: -o {args.output} is a folder; name a file in it, e.g. {example}", file=sys.stderr)
        return 2
    base = args.output or Path.cwd() / f"drums_{args.bars}bars.mid"
    outputs = [base] if args.takes is None else take_outputs(base, args.output or base, False, options.takes)
    existing = [o for o in outputs if o.exists()]
    if existing and not args.force:
        print(f"error: {', '.join(map(str, existing))} exist{'s' if len(existing) == 1 else ''}; pass --force to "
              "overwrite, or name another file with -o", file=sys.stderr)
        return 2
    if args.audio:
        from seq2drum.generation.audio import check_audio_extra

        check_audio_extra()  # without the extra: one line saying how to install it, before any work
    generator = DrumGenerator.from_checkpoint(args.checkpoint, device="cpu" if args.device == "auto" else args.device)
    return write_takes(outputs, generator.generate(None, options), args)


def run_infer(args: argparse.Namespace) -> int:
    from seq2drum.generation.generator import DrumGenerator
    from seq2drum.midi.io import read_midi

    if args.bars is not None:
        return run_from_nothing(args)
    if not args.song:
        print("error: name the guitar MIDI file: python main.py --mode infer SONG.mid, or ask for drums from nothing "
              "with --bars N", file=sys.stderr)
        return 2
    song = Path(args.song)
    if song.is_dir():
        print(f"error: {song} is a folder; name a .mid file in it", file=sys.stderr)
        return 2
    if not song.is_file():
        print(f"error: {song} not found; name an existing .mid file", file=sys.stderr)
        return 2
    if args.output is not None and args.output.is_dir():
        print(f"error: -o {args.output} is a folder; name a file in it, e.g. "
              f"{args.output / (song.stem + ('_with_drums' if args.merge else '_drums') + '.mid')}", file=sys.stderr)
        return 2
    if args.takes is None:
        outputs = [args.output or default_output(song, args.merge)]
        exists_hint = "or leave out -o to get a new version beside the song"
    else:
        options_check = GenerationOptions(takes=args.takes)  # the range check, before any file is looked at
        outputs = take_outputs(song, args.output, args.merge, options_check.takes)
        exists_hint = "takes are never renumbered"
    for output in outputs:
        if output.parent.exists() and not output.parent.is_dir():
            print(f"error: cannot write {output}: {output.parent} is a file, not a folder; pick another -o",
                  file=sys.stderr)
            return 2
        if output.resolve() == song.resolve():
            print(f"error: the output {output} would overwrite the input; pick another -o", file=sys.stderr)
            return 2
    outputs_and_media = [*outputs, *(path for output in outputs for path in media_paths(output, args))]
    existing = [o for o in outputs_and_media if o.exists()] if (args.output or args.takes is not None) else []
    if existing and not args.force:
        print(f"error: {', '.join(map(str, existing))} exist{'s' if len(existing) == 1 else ''}; pass --force to "
              f"overwrite, {exists_hint}", file=sys.stderr)
        return 2
    options = GenerationOptions(temperature=args.temperature, seed=args.seed, track=args.track, merge=args.merge,
                                humanize=not args.no_humanize, takes=args.takes or 1, **shape_options(args),
                                **control_options(args))
    if args.audio:
        from seq2drum.generation.audio import check_audio_extra

        check_audio_extra()  # without the extra: one line saying how to install it, before any work
    # before the model loads, so a bad file fails at once, and errors name the file; only the guitar's notes are read
    midi_song = read_midi(song, only_guitar=True, track=options.track)
    generator = DrumGenerator.from_checkpoint(args.checkpoint, device="cpu" if args.device == "auto" else args.device)
    return write_takes(outputs, generator.generate(midi_song, options), args)


def write_takes(outputs: list[Path], result: GenerationResult, args: argparse.Namespace) -> int:
    """Write each take atomically and say what was made; exit code 2 when a file cannot be written."""
    for output, take in zip(outputs, result.takes):
        try:
            write_atomic(output, take.midi_bytes)
        except OSError as exc:  # its message would name the temporary file, not the one the user asked for
            print(f"error: cannot write {output}: {exc.strerror or exc}; pick another -o", file=sys.stderr)
            return 2
        print(f"wrote {output}: {result.bars} bars, {take.n_hits} drum hits")
        for line in write_media(output, take, result, args):
            print(line)
    sections = " ".join(f"{letter}@{bar}" for bar, letter in result.sections)
    print(f"{result.duration_s:.0f} s of music in {result.generation_s:.2f} s (model {result.model_name} "
          f"{result.model_version}, seed {result.seed}); sections (letter@bar): {sections}")
    if result.guitar_parts:
        print(f"guitar: {'; '.join(result.guitar_parts)}")
    for notice in result.notices:
        print(f"warning: {notice}", file=sys.stderr)
    return 0




def run_evaluate(args: argparse.Namespace) -> int:
    """Score the model and the baselines against the real drums; the data config comes from the checkpoint
    (--steps-per-quarter and the window flags are ignored), the seed defaults to 0 so reports are reproducible."""
    from seq2drum.evaluation.evaluate import EvaluationSettings, evaluate
    from seq2drum.evaluation.report import format_tables, verdict

    report_dir = args.report or REPO / "runs" / f"eval-{time.strftime('%Y%m%d-%H%M%S')}"
    settings = EvaluationSettings(split=args.split, limit=args.limit, temperature=args.temperature,
                                  seed=0 if args.seed is None else args.seed, plots_songs=args.plots_songs,
                                  takes=args.takes or 1)
    evaluation = evaluate(args.data, args.checkpoint, report_dir, settings, args.cache, args.workers,
                          progress=not args.quiet)
    print()
    print(format_tables(evaluation.summary))
    print()
    print("\n".join(verdict(evaluation.summary)))
    pngs = sum(path.suffix == ".png" for path in evaluation.written)
    print(f"report written to {report_dir} (report.md, report.json, {pngs} PNGs)")
    return 0


def run_styles(args: argparse.Namespace) -> int:
    """One style a line, sorted by name: NAME<TAB>METERS<TAB>DESCRIPTION."""
    from seq2drum.generation.generator import DrumGenerator

    generator = DrumGenerator.from_checkpoint(args.checkpoint)
    for style in generator.styles.styles:
        print(f"{style.name}\t{','.join(style.meters)}\t{style.description}")
    return 0


MODES = {"infer": run_infer, "preprocess": run_preprocess, "train": run_train, "evaluate": run_evaluate,
         "styles": run_styles}
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


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.mode in LONG_MODES:
        gc.enable()
    try:
        problem = check_machine(args)
        if problem:
            print(f"error: {problem}", file=sys.stderr)
            return 2
        return MODES[args.mode](args)
    except Seq2DrumError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader went away (`... --mode styles | head`): nothing to report
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # so the exit flush does not fail again
        return 0
    except OSError as exc:  # a file or folder that cannot be read or written: the path and the reason, no traceback
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
