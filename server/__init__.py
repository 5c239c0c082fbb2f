"""The seq2drum gRPC server: `python -m server`, or `create_server(address, generator)` in code."""

from .app import ServerConfig, create_server

__all__ = ["ServerConfig", "create_server"]
