"""`--mode infer`: drums for a song (or from nothing) written beside it, takes, and the --audio / --plot extras.

File names follow seq2drum.outputs, the rules the DAW helper shares; nothing is written over an existing file
without --force, every file is written atomically, a song's takes together, and a new version beside the song
takes its name as it is written (concurrent runs never overwrite each other).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from seq2drum.atomic import NOT_REGULAR, not_regular_file, remove_stale_temporaries, write_together
from seq2drum.errors import ConfigError, cut_line, escape_controls
from seq2drum.midi.limits import ReadLimits
from seq2drum.midi.scan import limits_with
from seq2drum.options import GenerationOptions, chosen_options, invoked_as, read_groove_file, read_parts_from_file
from seq2drum.outputs import (
    exists_message,
    from_nothing_path,
    new_output_path,
    output_path,
    part_changes,
    parts_line,
    take_paths,
    write_new_version,
)
from seq2drum.user_files import irregular_kind

if TYPE_CHECKING:  # torch loads only when a mode needs it
    from seq2drum.generation.generator import DrumGenerator, GenerationResult, TakeResult


def generation_options(args: argparse.Namespace) -> GenerationOptions:
    """The flags of seq2drum.options.OPTIONS as GenerationOptions (the kit map, groove clip and --parts-from files
    read here, so their errors name them)."""
    from seq2drum.midi.kit import read_kit_map

    if args.track is not None and not args.track.strip():  # `--track ""` read every guitar without a word
        raise ConfigError("--track names the guitar parts: numbers from the part listing or pieces of names (e.g. "
                          "--track 2 or --track rhythm); leave it out for every part marked as guitar")
    groove = read_groove_file(args.groove_midi) if args.groove_midi else None
    parts_from = read_parts_from_file(args.parts_from) if args.parts_from else None
    return GenerationOptions(**{**chosen_options(args), "kit_map": read_kit_map(args.kit_map),
                                "takes": args.takes or 1, "groove_midi": groove, "parts_from": parts_from})


MIDI_SUFFIXES = (".mid", ".midi")  # what -o may name: the drums are a MIDI file, their .wav and .png go beside it


def media_suffixes(args: argparse.Namespace) -> tuple[str, ...]:
    """The files --audio and --plot write beside each X.mid: (".wav", ".png"), either or none."""
    return tuple(suffix for suffix, wanted in ((".wav", args.audio), (".png", args.plot)) if wanted)


def media_paths(output: Path, args: argparse.Namespace) -> list[Path]:
    """X.wav and X.png beside X.mid, as --audio and --plot ask."""
    return [output.with_suffix(suffix) for suffix in media_suffixes(args)]


def output_name_problem(output: Path | None) -> str:
    """Why -o cannot name the drums ("" when it can): anything but a .mid (or .midi) file. `-o out.wav --audio` wrote
    the MIDI to out.wav and then the WAV over it; with .mid, the .wav and .png beside it are always other files."""
    if output is None or output.suffix.lower() in MIDI_SUFFIXES:
        return ""
    return (f"-o {output} names the drums, which are a MIDI file: give it .mid, e.g. -o {output.with_suffix('.mid')} "
            "(--audio and --plot write their .wav and .png beside it)")


def media_limits(midi_bytes: bytes) -> ReadLimits:
    """The reader's limits for rendering a take: the song's (the reader's defaults) plus all the take holds, so a song
    that was accepted is rendered with its drums merged in (a 44,032-note song's --merge --audio was refused "more
    than 50,000 notes" after its .mid was written), as the studio renders it."""
    return limits_with(ReadLimits(), midi_bytes)


def write_media(output: Path, take: TakeResult, result: GenerationResult, args: argparse.Namespace) -> list[str]:
    """--audio: the take rendered to X.wav; --plot: its piano roll as X.png; over an existing file only with --force
    (a file that appeared while the drums were made is the user's). Returns what to print."""
    lines = []
    for path in media_paths(output, args):
        try:
            if path.suffix == ".wav":
                from seq2drum.generation.audio import write_wav

                rendering = write_wav(path, take.midi_bytes, limits=media_limits(take.midi_bytes),
                                      overwrite=args.force)
                lines.append(f"wrote {path}: {rendering.duration_s:.1f} s, peak {rendering.peak_dbfs:.1f} dBFS")
            else:
                from seq2drum.evaluation.take_picture import take_picture

                sections = " ".join(f"{letter}@{bar}" for bar, letter in result.sections)
                title = f"{output.name}: take {take.index}; sections (letter@bar) {sections}"
                upper = "pulse (no song)" if args.bars is not None else "guitar"
                take_picture(result.song, take.drums, result.sections, title, guitar_label=upper,
                             heard=result.heard, parts=take.parts).save(path, overwrite=args.force)
                lines.append(f"wrote {path}")
        except FileExistsError as exc:
            raise OSError(exc.errno, f"exists (written meanwhile by another program); it is kept: pass --force to "
                          f"overwrite it; {output} is written", str(path)) from exc
        except OSError as exc:  # name the file asked for, not the temporary one
            raise OSError(exc.errno, exc.strerror or str(exc), str(path)) from exc
    return lines


def say(line: str, stream: TextIO | None = None) -> None:
    """Print one line the command line shows, control characters escaped (a file name holding a terminal escape
    or U+202E, turning the rest of the line around, is shown, not obeyed) and cut to MAX_MESSAGE_CHARS (a listing of
    64 parts with long names, a value echoed back, as the server cuts its messages)."""
    print(cut_line(escape_controls(line)), file=stream or sys.stdout)  # sys.stdout as it is now (tests capture it)


def _fail(message: str) -> int:
    say(f"error: {message}", sys.stderr)
    return 2


def _check_audio(args: argparse.Namespace) -> None:
    """--audio without the extra: one line saying how to install it, before any work."""
    if args.audio:
        from seq2drum.generation.audio import check_audio_extra

        check_audio_extra()


def _load_generator(args: argparse.Namespace) -> DrumGenerator:
    """The model of --checkpoint (torch-free on the CPU when the fast-start cache has it)."""
    from seq2drum.generation.generator import DrumGenerator

    return DrumGenerator.from_checkpoint(args.checkpoint, device="cpu" if args.device == "auto" else args.device)


def run_from_nothing(args: argparse.Namespace) -> int:
    """--bars N [--tempo QPM] [--meter NUM/DEN] without a SONG: drums_<N>bars.mid in the current folder (or -o),
    never over an existing file without --force."""
    if args.song:
        return _fail(f"--bars, --tempo and --meter make drums from nothing, without a song; leave out {args.song} or "
                     "leave out --bars, --tempo and --meter to make drums for it")
    options = generation_options(args)
    if args.output is not None and args.output.is_dir():
        example = args.output / f"drums_{args.bars}bars.mid"
        return _fail(f"-o {args.output} is a folder; name a file in it, e.g. {example}")
    if problem := output_name_problem(args.output):
        return _fail(problem)
    base = from_nothing_path(args.bars, args.output)
    outputs = [base] if args.takes is None else take_paths(base, base, False, options.takes)
    checked = [*outputs, *(path for output in outputs for path in media_paths(output, args))]
    odd = [o for o in checked if not_regular_file(o)]
    if odd:
        return _fail(f"cannot write {odd[0]}: {NOT_REGULAR}; name another file with -o")
    existing = [o for o in checked if o.exists()]
    if existing and not args.force:
        return _fail(exists_message(existing, "or name another file with -o"))
    _check_audio(args)
    return write_takes(outputs, _load_generator(args).generate(None, options), args, "or name another file with -o")


def infer_outputs(args: argparse.Namespace, song: Path) -> tuple[list[Path], str] | str:
    """The files --mode infer writes for SONG and the hint for when they exist, or the error why it cannot."""
    if args.output is not None and args.output.is_dir():
        return (f"-o {args.output} is a folder; name a file in it, e.g. "
                f"{args.output / output_path(song, args.merge).name}")
    if problem := output_name_problem(args.output):
        return problem
    if args.takes is None:
        outputs = [args.output or new_output_path(song, args.merge, media_suffixes(args))]
        exists_hint = "or leave out -o to get a new version beside the song"
    else:
        options_check = GenerationOptions(takes=args.takes)  # the range check, before any file is looked at
        outputs = take_paths(song, args.output, args.merge, options_check.takes)
        exists_hint = "takes are never renumbered"
    for output in outputs:
        if output.parent.exists() and not output.parent.is_dir():
            return f"cannot write {output}: {output.parent} is a file, not a folder; pick another -o"
        if output.resolve() == song.resolve():
            return f"the output {output} would overwrite the input; pick another -o"
        if not_regular_file(output):
            return f"cannot write {output}: {NOT_REGULAR}; pick another -o"
    outputs_and_media = [*outputs, *(path for output in outputs for path in media_paths(output, args))]
    for path in outputs_and_media[len(outputs):]:
        if path.resolve() == song.resolve():
            return f"{path}, written beside the drums, would overwrite the input; pick another -o"
        if not_regular_file(path):
            return f"cannot write {path}: {NOT_REGULAR}; pick another -o"
    existing = [o for o in outputs_and_media if o.exists()] if (args.output or args.takes is not None) else []
    if existing and not args.force:
        return exists_message(existing, exists_hint)
    return outputs, exists_hint


def run_infer(args: argparse.Namespace) -> int:
    from seq2drum.generation.prepare import reads_guitar_only
    from seq2drum.midi.io import read_midi

    if args.bars is not None:
        return run_from_nothing(args)
    if not args.song:
        return _fail(f"name the guitar MIDI file: {invoked_as('python main.py')} --mode infer SONG.mid, or ask for "
                     "drums from nothing with --bars N")
    song = Path(args.song)
    if song.is_dir():
        return _fail(f"{song} is a folder; name a .mid file in it")
    if kind := irregular_kind(song):
        return _fail(f"{song} is {kind}, not a file; name a .mid file")
    if not song.is_file():
        return _fail(f"{song} not found; name an existing .mid file")
    planned = infer_outputs(args, song)
    if isinstance(planned, str):
        return _fail(planned)
    options = generation_options(args)
    _check_audio(args)
    generator = _load_generator(args)
    # read once, here, so errors name the file: the guitar's notes alone, unless the model listens to the band or the
    # drums are kept (then every part's); the model says which, and its fast-start copy loads in a tenth of a second
    only_guitar = reads_guitar_only(options, generator.data_config)
    midi_song = read_midi(song, only_guitar=only_guitar, track=options.track)
    outputs, hint = planned
    beside = song if args.output is None and args.takes is None else None
    return write_takes(outputs, generator.generate(midi_song, options), args, hint, beside)


def write_takes(outputs: list[Path], result: GenerationResult, args: argparse.Namespace, hint: str,
                beside: Path | None = None) -> int:
    """Write the takes together (all of them or none: `write_together`) and say what was made; exit code 2 when
    they cannot be written. With `beside` (no -o, one take) the drums become that song's first free version, the
    name taken as the file is written, so runs at the same time each keep their own; otherwise `outputs`, over
    existing files only with --force."""
    contents = [take.midi_bytes for take in result.takes][: len(outputs)]
    outputs = outputs[: len(contents)]  # fewer distinct takes than asked: take1..takeK, and a notice below
    for folder in {path.parent for path in outputs}:  # what runs killed while writing here left (a WAV's: 58 MB)
        remove_stale_temporaries(folder)
    try:
        if beside is not None:  # a version whose .wav or .png is taken is skipped too: they are the user's
            outputs = write_new_version(beside, args.merge, contents, companions=media_suffixes(args))
        else:
            write_together(outputs, contents, overwrite=args.force)
    except FileExistsError as exc:  # another run wrote it after the check before generating
        return _fail(exists_message([exc.filename or outputs[0]], f"{hint}; nothing was written"))
    except OSError as exc:  # named after the file asked for, not the temporary one
        return _fail(f"cannot write {exc.filename or outputs[0]}: {exc.strerror or exc}; nothing was written, "
                     "pick another -o or make room")
    for output, take in zip(outputs, result.takes):
        say(f"wrote {output}: {result.bars} bars, {take.n_hits} drum hits")
        said = parts_line(take.plan, part_changes(take.parts))
        if said:
            say(said)
        for line in write_media(output, take, result, args):
            say(line)
    sections = " ".join(f"{letter}@{bar}" for bar, letter in result.sections)
    say(f"{result.duration_s:.0f} s of music in {time.perf_counter() - args.started_s:.1f} s (model "
        f"{result.model_name} {result.model_version}, seed {result.seed}); sections (letter@bar): {sections}")
    if result.heard_line:
        say(result.heard_line)
    if result.guitar_parts:
        say(f"guitar: {'; '.join(result.guitar_parts)}")
    if result.band_parts and result.guitar_parts:  # with no guitar, the warning names whom the drums follow
        say(f"band: {'; '.join(result.band_parts)}")
    for notice in result.notices:
        if notice in result.information:  # a reading of the song (its swing), not something to check
            say(notice)
        else:
            say(f"warning: {notice}", sys.stderr)
    return 0
