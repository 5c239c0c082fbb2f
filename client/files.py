"""The files the DAW helper reads and writes: a song's drums beside it (or at -o), takes, drums from nothing.

Names follow seq2drum.outputs and writes go through seq2drum.atomic, the rules main.py uses, so a DAW never sees a
half-written file and the helper and the command line name their files alike. Standard library and grpcio only.
"""

from __future__ import annotations

import sys
from pathlib import Path

from seq2drum.atomic import write_together
from seq2drum.errors import cut_line, escape_controls
from seq2drum.options import PARTS_FROM_SAID
from seq2drum.outputs import (exists_message, from_nothing_path, new_output_path, parts_line, take_paths,
                              write_new_version)
from seq2drum.rpc import seq2drum_pb2

from .drum_client import DrumClient, HelperError, OutputExistsError


def _write(targets: list[Path], contents: list[bytes], hint: str, force: bool = False,
           beside: tuple[Path, bool, int | None] | None = None) -> list[Path]:
    """Write the files together (all or none); with `beside` = (song, merge, takes or None), as the song's first
    free version, the names taken as the files are written (runs at the same time each keep their own). Fewer
    contents than targets (the server found fewer distinct takes than asked) write the first targets."""
    targets = targets[: len(contents)]
    try:
        if beside is not None:
            return write_new_version(*beside[:2], contents, beside[2])
        return write_together(targets, contents, overwrite=force)
    except FileExistsError as exc:  # another run wrote it after the check before generating
        raise OutputExistsError(exists_message([exc.filename or targets[0]], f"{hint}; nothing was written")) from exc
    except OSError as exc:
        raise HelperError(f"cannot write {exc.filename or targets[0]}: {exc.strerror or exc}; nothing was written"
                          ) from exc


def process_file(client: DrumClient, song: Path, options: seq2drum_pb2.GenerationOptions,
                 output: Path | None = None, force: bool = False, renumber_takes: bool = False,
                 midi: bytes | None = None) -> Path:
    """Read SONG, get its drums, write them beside it as a new version (or to `output`, never over the song, and over
    an existing file only with `force`). Returns the path of (the first take of) the drums.

    With options.takes = N > 1 the files are OUT.take1.mid ... OUT.takeN.mid as main.py writes them: if any exists,
    nothing is written without `force` (takes are never renumbered), unless `renumber_takes` (--watch) moves the
    set to SONG_drums-2.take1.mid ... `midi`: the song's bytes when the caller has read them (--watch).
    Names from the song and the server are printed with control characters escaped."""
    n_takes = options.takes if options.HasField("takes") else 1
    renumbered = output is None and (n_takes == 1 or renumber_takes)
    if n_takes > 1:
        targets = take_paths(song, output, options.merge, n_takes)
        hint = "takes are never renumbered"
    else:
        targets = [output or new_output_path(song, options.merge)]
        hint = "or leave out -o to get a new version beside the song"
    existing = [] if renumbered else [str(path) for path in targets if path.exists()]
    for target in targets:
        if target.resolve() == song.resolve():
            raise HelperError(f"the output {target} would overwrite the song; pick another -o")
    if existing and not force:
        raise OutputExistsError(exists_message(existing, hint))
    if midi is None:
        try:
            midi = song.read_bytes()
        except OSError as exc:
            raise HelperError(f"cannot read {song}: {exc.strerror or exc}") from exc
    if not midi:
        raise HelperError(f"{song} is empty (0 bytes): export the guitar part from your DAW again, or leave out the "
                          "song and pass --bars N (with --tempo and --meter) for drums from nothing")
    drums = client.generate(midi, options)
    files = [(drums.midi_bytes, drums.metadata.drum_hits), *drums.more_takes][:n_takes]
    beside = (song, options.merge, n_takes if n_takes > 1 else None) if renumbered else None
    targets = _write(targets, [data for data, _ in files], hint, force, beside)
    for index, (target, (_, hits)) in enumerate(zip(targets, files)):
        if n_takes > 1:
            print(escape_controls(f"wrote {target} ({hits} hits)"), flush=True)
        else:
            print(escape_controls(f"wrote {target}") + f" ({drums.describe()})", flush=True)
        if index < len(drums.take_parts):  # as main.py says them: names from the server, no terminal escapes
            said = parts_line(drums.take_parts[index][1], drums.take_parts[index][0])
            if said:
                print(cut_line(escape_controls(said)), flush=True)
    target = targets[0]
    if n_takes > 1:
        print(f"{len(files)} takes ({drums.describe()})", flush=True)
    say_what_was_heard(drums.metadata)
    return target


def say_what_was_heard(metadata: seq2drum_pb2.GenerationMetadata) -> None:
    """The sections, what the drums heard of the band, the parts listened to and the notices, as main.py says them."""
    if metadata.sections:
        print(escape_controls(f"sections (letter@bar): {' '.join(metadata.sections)}"), flush=True)
    if metadata.heard:  # "heard: jazz, swung, 12-bar blues"
        print(escape_controls(metadata.heard), flush=True)
    if metadata.guitar_parts:  # names from the song: no terminal escapes reach the screen, no line of MBs
        print(cut_line(escape_controls(f"guitar: {'; '.join(metadata.guitar_parts)}")), flush=True)
    if metadata.band_parts:
        print(cut_line(escape_controls(f"band: {'; '.join(metadata.band_parts)}")), flush=True)
    for notice in metadata.notices:  # --parts-from's mapping is what was done, not a warning
        if notice.startswith(PARTS_FROM_SAID):
            print(cut_line(escape_controls(notice)), flush=True)
        else:
            print(cut_line(f"warning: {escape_controls(notice)}"), file=sys.stderr, flush=True)


def process_nothing(client: DrumClient, options: seq2drum_pb2.GenerationOptions, output: Path | None = None,
                    force: bool = False) -> Path:
    """Drums from nothing (options.bars): drums_<N>bars.mid in the current folder, or `output`, as main.py names
    them (OUT.take1.mid ... with takes), over an existing file only with `force`."""
    n_takes = options.takes if options.HasField("takes") else 1
    base = from_nothing_path(options.bars, output)
    targets = [base] if n_takes == 1 else take_paths(base, base, False, n_takes)
    existing = [str(path) for path in targets if path.exists()]
    if existing and not force:
        raise OutputExistsError(exists_message(existing, "or name another file with -o"))
    drums = client.generate(b"", options)
    files = [(drums.midi_bytes, drums.metadata.drum_hits), *drums.more_takes][:n_takes]
    _write(targets, [data for data, _ in files], "or name another file with -o", force)
    for target, (_, hits) in zip(targets, files):
        print(f"wrote {target} ({hits} hits)", flush=True)
    print(escape_controls(f"{drums.describe()}; sections (letter@bar): {' '.join(drums.metadata.sections)}"),
          flush=True)
    return targets[0]
