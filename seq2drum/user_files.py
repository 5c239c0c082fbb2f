"""Files a user names by a flag (a token file, a groove clip, a kit map, TLS certificates): read only when they are
regular files, and only up to a size known before reading. `--token-file /dev/zero` raised MemoryError and a FIFO
hung the server at start. Standard library only: the DAW helper imports it.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from seq2drum.errors import ConfigError

_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def file_kind(mode: int) -> str:
    """What a file that is not a regular file is, in words ("a FIFO")."""
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def irregular_kind(path: str | Path) -> str:
    """What is at `path` when it exists and is not a regular file ("a FIFO", "a character device"), followed
    through links; "" for a regular file or nothing there. `Path.is_file` is False for both, and a device or FIFO
    was reported as "not found"."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return ""
    return "" if stat.S_ISREG(mode) else file_kind(mode)


def read_user_file(path: str | Path, what: str, max_bytes: int, hint: str = "") -> bytes:
    """The bytes of the regular file `path`, at most `max_bytes`; ConfigError naming `what` (a flag) otherwise: a
    file that cannot be opened, a folder, FIFO or device (opened without blocking, never read), or a longer file.
    `hint` ends each message ("name a drum clip (.mid)")."""
    path = Path(path)
    tail = f"; {hint}" if hint else ""
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise ConfigError(f"cannot read {what} {path}: {exc.strerror or exc}{tail}") from None
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            raise ConfigError(f"{what} {path} is {file_kind(info.st_mode)}, not a regular file{tail}")
        if info.st_size > max_bytes:
            raise ConfigError(f"{what} {path} holds {info.st_size:,} bytes, more than the {max_bytes:,} it may "
                              f"hold{tail}")
        with os.fdopen(os.dup(descriptor), "rb") as stream:
            data = stream.read(max_bytes + 1)
    except OSError as exc:
        raise ConfigError(f"cannot read {what} {path}: {exc.strerror or exc}{tail}") from None
    finally:
        os.close(descriptor)
    if len(data) > max_bytes:  # it grew while being read
        raise ConfigError(f"{what} {path} holds more than the {max_bytes:,} bytes it may hold{tail}")
    return data
