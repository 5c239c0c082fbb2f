"""Writing a file so that no reader ever sees half of it: the library's one way to write a file.

The data goes to a new temporary file beside the target (a random name, created exclusively, so two runs writing
the same target never share a temporary file), is flushed, and is renamed over the target in one step. A crash
leaves either the old file or the new one, never a mix. New files get the usual mode (0666 less the umask), as
any program's output would. Only a regular file (or nothing) is replaced, never a symlink, FIFO or device node.
Used for checkpoints, cache entries, plots, reports and the CLI's drum files.
"""

from __future__ import annotations

import errno
import os
import secrets
import stat
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

_ATTEMPTS = 100
NOT_REGULAR = "not a regular file (a symlink, FIFO, device or folder); only regular files are replaced"


def not_regular_file(path: Path) -> bool:
    """True when something other than a regular file is at `path` (a link is judged itself, not its target)."""
    try:
        return not stat.S_ISREG(os.lstat(path).st_mode)
    except FileNotFoundError:
        return False


def write_atomic(path: str | Path, content: bytes | str | Callable[[BinaryIO], object]) -> Path:
    """Write `content` (bytes, text as UTF-8, or a function that writes to a binary stream) to `path`, creating
    its folder. Returns the path. An OSError for a `path` that is there but not a regular file (a symlink, FIFO,
    device or folder): renaming over it would replace the link or the device node itself."""
    path = Path(path)
    if not_regular_file(path):
        raise OSError(errno.EEXIST, NOT_REGULAR, str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = _create_temporary(path)
    try:
        with os.fdopen(handle, "wb") as stream:
            if callable(content):
                content(stream)
            else:
                stream.write(content.encode() if isinstance(content, str) else content)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return path


def _create_temporary(path: Path) -> tuple[int, Path]:
    for _ in range(_ATTEMPTS):
        temp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
        try:
            return os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), temp
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name beside {path} after {_ATTEMPTS} tries")
