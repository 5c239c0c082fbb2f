"""Where drum files go: the names main.py and the DAW helper write, one set of rules for both.

    SONG.mid -> SONG_drums.mid (SONG_with_drums.mid with the guitar merged in), then SONG_drums-2.mid, -3 ...
                (the first free name, taken as the file is written: concurrent runs each get their own)
    takes    -> OUT.take1.mid ... OUT.takeN.mid (OUT = -o without .mid, or SONG_drums beside the song)

Standard library only: the DAW helper, which has grpcio alone, imports it.
"""

from __future__ import annotations

import errno
import os
import re
from pathlib import Path

from seq2drum.atomic import write_together

_MAX_VERSIONS = 10_000  # SONG_drums-10000.mid: past it, a folder has bigger problems than a name
# what this helper and main.py write: SONG_drums.mid, SONG_drums-2.mid ..., and takes OUT.take1.mid ... (any OUT)
_OWN_OUTPUT = re.compile(r"(_(with_)?drums(-\d+)?\.mid|\.take\d+\.mid)$", re.IGNORECASE)
# every file seq2drum writes (seq2drum.midi.write) starts with a conductor track of this name, its first event
CONDUCTOR_NAME = "seq2drum conductor"
_CONDUCTOR_EVENT = b"\xff\x03" + bytes([len(CONDUCTOR_NAME)]) + CONDUCTOR_NAME.encode()
HEAD_BYTES = 64  # the header, the track's start and that event, with room for a longer header
_FEWER_TAKES = re.compile(r"^wrote (\d+) of the (\d+) takes asked")


def fewer_takes_notice(written: int, asked: int, controls: tuple[str, ...] = (), meter: str = "") -> str:
    """Said when the decision found fewer distinct takes than asked (it never writes copies), naming what limits
    them: the `controls` asked that hold every take to one sound ("--cymbal ride"), and the song's `meter` where it
    is not 4/4 (the codebook has fewer grooves in odd meters); "" when all were written. The DAW helper reads it
    back from a server's notices (`takes_written`)."""
    if written >= asked:
        return ""
    odd = meter not in ("", "4/4")
    if controls:
        limit = f"with {' and '.join(controls)}" + (f", in {meter}," if odd else ",")
        what = "the grooves left"
    elif odd:
        limit, what = f"in {meter},", "the grooves drummers play"
    else:
        limit, what = "in this song,", "its grooves (a song of one groove)"
    return (f"wrote {written} of the {asked} takes asked: {limit} {what} give no more readings that differ in a "
            "fifth of their hits or more, and copies are not written")


def takes_written(notices: list[str]) -> int | None:
    """How many takes a result's notices say were written when fewer than asked (None: as many as asked)."""
    for notice in notices:
        found = _FEWER_TAKES.match(notice)
        if found:
            return int(found.group(1))
    return None


def part_changes(parts: tuple[tuple[int, str], ...] | list[tuple[int, str]]) -> list[str]:
    """A take's parts as printed: "BAR: PART" where the part played changes (bars from 1), as main.py, the server and
    the DAW helper say them."""
    return [f"{bar}: {name}" for number, (bar, name) in enumerate(parts) if not number or name != parts[number - 1][1]]


def parts_line(plan: str, changes: list[str]) -> str:
    """The line under a take that says its parts: where its plan came from and each change as played ("" for
    none)."""
    if changes:
        return f"  its plan, {plan}; as played (bar: part): {'; '.join(changes)}"
    return f"  its plan: {plan}" if plan else ""


def output_path(song: Path, merge: bool = False) -> Path:
    """SONG.mid -> SONG_drums.mid (SONG_with_drums.mid when the guitar is merged in), beside the song."""
    return song.with_name(f"{song.stem}_{'with_drums' if merge else 'drums'}.mid")


def version_paths(song: Path, merge: bool, takes: int | None, number: int) -> list[Path]:
    """Version `number` of a song's drums: 1 = SONG_drums.mid (or its takes SONG_drums.take1.mid ...), then
    SONG_drums-2.mid (SONG_drums-2.take1.mid ...), -3 ..."""
    first = output_path(song, merge)
    base = first if number == 1 else first.with_name(f"{first.stem}-{number}.mid")
    return [base] if takes is None else take_paths(song, base, merge, takes)


def companions_taken(paths: list[Path], companions: tuple[str, ...]) -> bool:
    """Whether a file written beside any of `paths` (the same name with a suffix of `companions`: ".wav", ".png")
    is there already, a link too: the user's own, which a new version never writes over."""
    return any(os.path.lexists(path.with_suffix(suffix)) for path in paths for suffix in companions)


def write_new_version(song: Path, merge: bool, contents: list[bytes], takes: int | None = None,
                      companions: tuple[str, ...] = ()) -> list[Path]:
    """Write a song's drums (one file, or `takes` files) as its first free version (`version_paths`): free when its
    .mid files are, and the files of the suffixes `companions` that go beside each (--audio's X.wav, --plot's
    X.png). Choosing the names and writing the files is one step (each name is taken only if it is free,
    `write_together`), so runs at the same time on one song each get their own version, and none is lost. Returns
    the paths written."""
    for number in range(1, _MAX_VERSIONS + 1):
        # fewer takes than asked (no more distinct ones): take1..takeK of the version
        paths = version_paths(song, merge, takes, number)[: len(contents)]
        if companions_taken(paths, companions):
            continue
        try:
            return write_together(paths, contents)
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, f"{_MAX_VERSIONS} versions exist already; move some away",
                          str(version_paths(song, merge, takes, _MAX_VERSIONS)[0]))


def new_output_path(song: Path, merge: bool = False, companions: tuple[str, ...] = ()) -> Path:
    """SONG_drums.mid, or when earlier takes (or files of the suffixes `companions` beside them) are there
    SONG_drums-2.mid, -3 ...: the name `write_new_version` would take now (another run may take it first: that one
    writes the next)."""
    return next(path for number in range(1, _MAX_VERSIONS + 1)
                for path in version_paths(song, merge, None, number)
                if not path.exists() and not companions_taken([path], companions))


def take_paths(song: Path, output: Path | None, merge: bool, takes: int) -> list[Path]:
    """OUT.take1.mid ... OUT.takeN.mid: OUT is -o without its .mid, or SONG_drums (SONG_with_drums) beside the song."""
    base = output.with_suffix("") if output else output_path(song, merge).with_suffix("")
    return [base.with_name(f"{base.name}.take{index}.mid") for index in range(1, takes + 1)]


def existing_takes(song: Path, merge: bool = False) -> list[Path]:
    """The takes already beside the song: SONG_drums.mid, SONG_drums-2.mid, SONG_drums.take1.mid ..."""
    first = output_path(song, merge)
    pattern = re.compile(re.escape(first.stem) + r"(-\d+)?(\.take\d+)?\.mid$")
    try:
        return [path for path in song.parent.iterdir() if pattern.fullmatch(path.name)]
    except OSError:
        return []


def is_own_output(path: Path) -> bool:
    """A name main.py or the helper gives the files it writes (SONG_drums.mid, OUT.take2.mid ...). A user's file may
    have such a name too: `written_by_seq2drum` tells them apart by their first bytes."""
    return bool(_OWN_OUTPUT.search(path.name))


def written_by_seq2drum(head: bytes) -> bool:
    """Whether a MIDI file's first bytes (HEAD_BYTES of them) are those of a file seq2drum wrote: its first track is
    the conductor seq2drum.midi.write names CONDUCTOR_NAME, the first event of every file it writes."""
    return _CONDUCTOR_EVENT in head[:HEAD_BYTES]


def from_nothing_path(bars: int, output: Path | None) -> Path:
    """Drums from nothing: -o, or drums_<N>bars.mid in the current folder."""
    return output or Path.cwd() / f"drums_{bars}bars.mid"


def exists_message(existing: list[str | Path], hint: str) -> str:
    """"A, B exist; pass --force to overwrite, HINT": the refusal both commands give before any work."""
    verb = "exists" if len(existing) == 1 else "exist"
    return f"{', '.join(map(str, existing))} {verb}; pass --force to overwrite, {hint}"
