"""The shared token a server on a studio network asks for (server.security) and the DAW helper sends: where it is
read from. Standard library only: the helper imports it.
"""

from __future__ import annotations

import os
from pathlib import Path

from seq2drum.errors import ConfigError

TOKEN_ENV = "SEQ2DRUM_TOKEN"


def read_token(path: Path | None) -> str:
    """The shared token: the first line of `path`, else $SEQ2DRUM_TOKEN, else "" (no token). Read from a file or the
    environment, never from the command line, where any user of the machine can see it."""
    if path is None:
        return os.environ.get(TOKEN_ENV, "").strip()
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the token file {path}: {getattr(exc, 'strerror', None) or exc}") from None
    token = lines[0].strip() if lines else ""
    if not token:
        raise ConfigError(f"the token file {path} is empty; put the shared token on its first line")
    return token
