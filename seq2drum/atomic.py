"""Writing a file so that no reader ever sees half of it: the library's one way to write a file.

The data goes to a new temporary file beside the target (a random name, created exclusively, so two runs writing
the same target never share a temporary file), is flushed, and is renamed over the target in one step. A crash
leaves either the old file or the new one, never a mix. New files get the usual mode (0666 less the umask), as
any program's output would. Used for checkpoints, cache entries, plots, reports and the CLI's drum files.

Drum files are written with `write_together`: a song's takes appear together or not at all (a full disk after
take 2 leaves none, not two), and a new file takes its name only if the name is free, so concurrent runs that
choose the same name never overwrite each other's drums. Only a regular file (or nothing) is replaced, never a symlink,
FIFO or device node.
"""

from __future__ import annotations

import errno
import os
import re
import secrets
import stat
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import BinaryIO

try:
    import fcntl
except ImportError:  # not POSIX: a killed writer's temporary file is told by its age alone
    fcntl = None  # type: ignore[assignment]

_ATTEMPTS = 100
NOT_REGULAR = "not a regular file (a symlink, FIFO, device or folder); only regular files are replaced"


def not_regular_file(path: Path) -> bool:
    """True when something other than a regular file is at `path` (a link is judged itself, not its target)."""
    try:
        return not stat.S_ISREG(os.lstat(path).st_mode)
    except FileNotFoundError:
        return False


_TOKEN_BYTES = 6
_TEMPORARY = re.compile(r"\..+\.[0-9a-f]{%d}\.tmp" % (2 * _TOKEN_BYTES))  # the names _create_temporary makes
# A temporary file untouched this long, and not locked by the process writing it, was left by a process killed while
# writing (a WAV's grows as it is rendered; a lock is held while it is written and goes with its process)
STALE_TEMPORARY_S = 600.0
OUTPUT_SUFFIXES = (".mid", ".midi", ".wav", ".png")  # what the command line writes beside a song


def write_atomic(path: str | Path, content: bytes | str | Callable[[BinaryIO], object],
                 replace_anything: bool = False, overwrite: bool = True) -> Path:
    """Write `content` (bytes, text as UTF-8, or a function that writes to a binary stream) to `path`, creating
    its folder. Returns the path. An OSError for a `path` that is there but not a regular file (a symlink, FIFO,
    device or folder): renaming over it would replace the link or the device node itself; `replace_anything` is
    for the library's own files (a cache entry that is a FIFO is replaced, as any other that does not check out).
    Without `overwrite`, the file takes its name only if the name is free (`FileExistsError` naming it otherwise):
    a user's file that appeared while this one was made is kept."""
    path = Path(path)
    if not replace_anything and not_regular_file(path):
        raise OSError(errno.EEXIST, NOT_REGULAR, str(path))
    temp = _write_temporary(path, content)
    try:
        if overwrite:
            os.replace(temp, path)
        else:
            _link_new(temp, path)
    finally:
        temp.unlink(missing_ok=True)
    return path


def write_together(paths: Sequence[Path], contents: Sequence[bytes], overwrite: bool = False) -> list[Path]:
    """Write several files as one step: every one to a temporary file first (a full disk fails there, before any
    target is touched), then all put in place. Without `overwrite`, each is created only if its name is free
    (a hard link: the name appears with the whole file, or not at all), and `FileExistsError` naming the target
    is raised when one is taken, after removing those this call had put in place: two runs never write one name.
    An `OSError` from writing names the target, not the temporary file."""
    paths = [Path(path) for path in paths]
    for path in paths:
        if not_regular_file(path):
            raise OSError(errno.EEXIST, NOT_REGULAR, str(path))
    temps: list[Path] = []
    placed: list[Path] = []
    try:
        for path, content in zip(paths, contents, strict=True):
            try:
                temps.append(_write_temporary(path, content))
            except OSError as exc:
                raise OSError(exc.errno, exc.strerror, str(path)) from exc
        for path, temp in zip(paths, temps):
            if overwrite:
                os.replace(temp, path)
            else:
                _link_new(temp, path)
            placed.append(path)
    except BaseException:
        if not overwrite:
            for path in placed:  # ours: the name was free and this call made it
                path.unlink(missing_ok=True)
        raise
    finally:
        for temp in temps:
            temp.unlink(missing_ok=True)
    return paths


def _link_new(temp: Path, path: Path) -> None:
    """`path` as a new name of `temp`, only if `path` does not exist (FileExistsError naming it otherwise)."""
    try:
        os.link(temp, path)
    except FileExistsError:
        raise FileExistsError(errno.EEXIST, "exists", str(path)) from None
    except OSError:  # a file system without hard links: reserve the name, then fill it (briefly empty)
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        os.replace(temp, path)


def _write_temporary(path: Path, content: bytes | str | Callable[[BinaryIO], object]) -> Path:
    """`content` in a new temporary file beside `path` (its folder created), flushed to disk, locked while it is
    written (`remove_stale_temporaries` leaves a locked one)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = _create_temporary(path)
    if fcntl is not None:
        _lock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    try:
        with os.fdopen(handle, "wb") as stream:
            if callable(content):
                content(stream)
            else:
                stream.write(content.encode() if isinstance(content, str) else content)
            stream.flush()
            os.fsync(stream.fileno())
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return temp


def remove_leftovers(folder: str | Path) -> list[Path]:
    """Remove the temporary files a process killed while writing left in `folder` (`.NAME.<12 hex>.tmp`); for a
    folder one process writes at a time, such as a training run's, at its start. Returns what was removed."""
    removed = []
    for path in Path(folder).glob(".*.tmp"):
        if _TEMPORARY.fullmatch(path.name) and path.is_file():
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


def remove_stale_temporaries(folder: str | Path, suffixes: Sequence[str] = OUTPUT_SUFFIXES) -> list[Path]:
    """Remove the temporary files that runs killed while writing left in `folder` (a user's folder that other runs
    may be writing into at the same time): only this library's own names (`.NAME.<12 hex>.tmp`, NAME ending in one
    of `suffixes`), untouched for STALE_TEMPORARY_S and locked by no process. A SIGKILL during a WAV left a 58 MB
    `.NAME.wav.<hex>.tmp` that later runs never removed (issue 98, low). Returns what was removed."""
    removed: list[Path] = []
    try:
        candidates = list(Path(folder).glob(".*.tmp"))
    except OSError:
        return removed
    for path in candidates:
        target = path.name[1 : -len(".0123456789ab.tmp")]
        if not _TEMPORARY.fullmatch(path.name) or not target.lower().endswith(tuple(suffixes)):
            continue
        try:
            if not stat.S_ISREG(os.lstat(path).st_mode) or time.time() - os.lstat(path).st_mtime < STALE_TEMPORARY_S:
                continue
            handle = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
            try:
                if fcntl is not None and not _lock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB):
                    continue  # a process is writing it
                path.unlink()
            finally:
                os.close(handle)
        except OSError:
            continue
        removed.append(path)
    return removed


def _lock(handle: int, how: int) -> bool:
    """flock(2) `how` on `handle`; False when another process holds the file locked (a file system without locks:
    True, the file then judged by its age alone)."""
    try:
        fcntl.flock(handle, how)  # type: ignore[union-attr]
    except BlockingIOError:
        return False
    except OSError:
        return True
    return True


def _create_temporary(path: Path) -> tuple[int, Path]:
    for _ in range(_ATTEMPTS):
        temp = path.with_name(f".{path.name}.{secrets.token_hex(_TOKEN_BYTES)}.tmp")
        try:
            return os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), temp
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name beside {path} after {_ATTEMPTS} tries")
