"""Where drum files go: the names main.py and the DAW helper write, one set of rules for both.

    SONG.mid -> SONG_drums.mid (SONG_with_drums.mid with the guitar merged in), then SONG_drums-2.mid, -3 ...
    takes    -> OUT.take1.mid ... OUT.takeN.mid (OUT = -o without .mid, or SONG_drums beside the song)

Standard library only: the DAW helper, which has grpcio alone, imports it.
"""

from __future__ import annotations

import re
from pathlib import Path

# what this helper and main.py write: SONG_drums.mid, SONG_drums-2.mid ..., and takes OUT.take1.mid ... (any OUT)
_OWN_OUTPUT = re.compile(r"(_(with_)?drums(-\d+)?\.mid|\.take\d+\.mid)$", re.IGNORECASE)


def output_path(song: Path, merge: bool = False) -> Path:
    """SONG.mid -> SONG_drums.mid (SONG_with_drums.mid when the guitar is merged in), beside the song."""
    return song.with_name(f"{song.stem}_{'with_drums' if merge else 'drums'}.mid")


def new_output_path(song: Path, merge: bool = False) -> Path:
    """SONG_drums.mid, or when earlier takes are there SONG_drums-2.mid, -3 ...: no take is lost."""
    first = output_path(song, merge)
    candidate, number = first, 2
    while candidate.exists():
        candidate, number = first.with_name(f"{first.stem}-{number}.mid"), number + 1
    return candidate


def take_paths(song: Path, output: Path | None, merge: bool, takes: int) -> list[Path]:
    """OUT.take1.mid ... OUT.takeN.mid: OUT is -o without its .mid, or SONG_drums (SONG_with_drums) beside the song."""
    base = output.with_suffix("") if output else output_path(song, merge).with_suffix("")
    return [base.with_name(f"{base.name}.take{index}.mid") for index in range(1, takes + 1)]


def new_take_paths(song: Path, merge: bool, takes: int) -> list[Path]:
    """For a folder watch: SONG_drums.take1.mid ..., or when any of those is there SONG_drums-2.take1.mid ... (no
    file lost, nobody there to pass --force)."""
    first = output_path(song, merge)
    paths, number = take_paths(song, None, merge, takes), 2
    while any(path.exists() for path in paths):
        paths = take_paths(song, first.with_name(f"{first.stem}-{number}.mid"), merge, takes)
        number += 1
    return paths


def existing_takes(song: Path, merge: bool = False) -> list[Path]:
    """The takes already beside the song: SONG_drums.mid, SONG_drums-2.mid, SONG_drums.take1.mid ..."""
    first = output_path(song, merge)
    pattern = re.compile(re.escape(first.stem) + r"(-\d+)?(\.take\d+)?\.mid$")
    try:
        return [path for path in song.parent.iterdir() if pattern.fullmatch(path.name)]
    except OSError:
        return []


def is_own_output(path: Path) -> bool:
    """A file main.py or the helper wrote (never taken as a guitar song by a folder watch)."""
    return bool(_OWN_OUTPUT.search(path.name))


def from_nothing_path(bars: int, output: Path | None) -> Path:
    """Drums from nothing: -o, or drums_<N>bars.mid in the current folder."""
    return output or Path.cwd() / f"drums_{bars}bars.mid"


def exists_message(existing: list[str | Path], hint: str) -> str:
    """"A, B exist; pass --force to overwrite, HINT": the refusal both commands give before any work."""
    verb = "exists" if len(existing) == 1 else "exist"
    return f"{', '.join(map(str, existing))} {verb}; pass --force to overwrite, {hint}"
