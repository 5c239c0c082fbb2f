"""The seq2drum gRPC server: `python -m server` (installed: `seq2drum-server`), or `create_server(address, pool)`
in code."""

from .app import create_server
from .config import ServerConfig

__all__ = ["ServerConfig", "create_server"]
