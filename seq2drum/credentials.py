"""The shared token a server on a studio network asks for (server.security) and the DAW helper sends: where it is
read from. Standard library only: the helper imports it.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

from seq2drum.errors import ConfigError
from seq2drum.user_files import read_user_file

TOKEN_ENV = "SEQ2DRUM_TOKEN"
MAX_TOKEN_FILE_BYTES = 4096  # a token is a line of some dozens of characters
log = logging.getLogger("seq2drum.credentials")


def read_token(path: Path | None) -> str:
    """The shared token: the first line of `path`, else $SEQ2DRUM_TOKEN, else "" (no token). Read from a file or the
    environment, never from the command line, where any user of the machine can see it. The file must be a regular
    file of at most MAX_TOKEN_FILE_BYTES (a FIFO or /dev/zero is refused unread); one that other users can read is
    used, with a warning. ConfigError for a token no gRPC client could send (`check_token`)."""
    if path is None:
        token = os.environ.get(TOKEN_ENV, "").strip()
        check_token(token, f"${TOKEN_ENV}")
        return token
    data = read_user_file(path, "the token file", MAX_TOKEN_FILE_BYTES,
                          "put the shared token on the first line of a small file")
    try:
        lines = data.decode("utf-8").splitlines()
    except UnicodeDecodeError:
        raise ConfigError(f"the token file {path} is not text (UTF-8); put the shared token on its first line"
                          ) from None
    token = lines[0].strip() if lines else ""
    if not token:
        raise ConfigError(f"the token file {path} is empty; put the shared token on its first line")
    check_token(token, f"the token file {path}")
    try:
        mode = path.stat().st_mode
    except OSError:
        mode = 0
    if mode & (stat.S_IRGRP | stat.S_IROTH):
        log.warning("warning: the token file %s can be read by other users of this machine (mode %s); "
                    "chmod 600 %s", path, oct(mode & 0o777), path)
    return token


def check_token(token: str, source: str) -> None:
    """ConfigError when `token` holds characters gRPC metadata cannot carry (printable ASCII only): the server took
    such a token and then no client could send it."""
    bad = sorted({char for char in token if not " " <= char <= "~"})
    if bad:
        shown = ", ".join(repr(char) for char in bad[:5])
        raise ConfigError(f"{source}: the token holds {shown}; a token must be printable ASCII (letters, digits and "
                          "punctuation), which gRPC metadata can carry")
