"""Serving a studio over HTTP with uvicorn, on a socket bound first (so `--port 0` knows its port before the page's
address is printed), for `seq2drum-studio` and for tests that run a studio in a thread.
"""

from __future__ import annotations

import ipaddress
import socket

import uvicorn
from starlette.applications import Starlette

from seq2drum.errors import ConfigError

LOOPBACK_NAMES = ["127.0.0.1", "localhost"]


def listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket on host:port (port 0: one the system picks); OSError when it cannot be bound."""
    if not 0 <= port <= 65535:
        raise ConfigError(f"--port must be 0-65535, got {port}")
    host = host.strip("[]")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.bind((host, port))
        sock.listen(128)
    except OSError as exc:
        sock.close()
        raise OSError(exc.errno, f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.set_inheritable(True)
    return sock


def address_of(sock: socket.socket) -> str:
    """The page's address for a bound socket: http://HOST:PORT/ (IPv6 in brackets)."""
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"


def allowed_hosts(host: str) -> list[str] | None:
    """The Host names a studio on `host` answers: loopback names on 127.0.0.1 (a page elsewhere that points its own
    name at 127.0.0.1 is refused), any name otherwise (a studio opened to the network on purpose)."""
    host = host.strip("[]")
    if host == "localhost":
        return LOOPBACK_NAMES
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    return LOOPBACK_NAMES if address.version == 4 and address.is_loopback else None


def web_server(app: Starlette, log_level: str = "warning") -> uvicorn.Server:
    """A uvicorn server for the app, without access logs (the studio's own log says what went wrong)."""
    config = uvicorn.Config(app, log_level=log_level.lower(), access_log=False, lifespan="on",
                            timeout_graceful_shutdown=5)
    return uvicorn.Server(config)
