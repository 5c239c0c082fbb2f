"""The seq2drum gRPC server: `python -m server` (installed: `seq2drum-server`), or `create_server(address, pool)`
in code."""

from .app import ServerConfig, create_server

__all__ = ["ServerConfig", "create_server"]
