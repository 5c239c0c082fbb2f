"""Serving a studio over HTTP with uvicorn, on a socket bound first (so `--port 0` knows its port before the page's
address is printed), for `seq2drum-studio` and for tests that run a studio in a thread.
"""

from __future__ import annotations

import ipaddress
import socket

import uvicorn
from starlette.applications import Starlette

from seq2drum.errors import ConfigError

LOOPBACK_NAMES = ["localhost", "127.0.0.1", "[::1]"]


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


def allowed_hosts(bound: str) -> list[str] | None:
    """The Host names a studio bound to the address `bound` (as the socket says it: `sock.getsockname()[0]`, so
    "127.1", "LOCALHOST" and "[::1]" are the addresses they name) answers: on any loopback address, this computer's
    names and that address (a page elsewhere that points its own name at 127.0.0.1 or ::1 is refused); any name on
    another address (a studio opened to the network on purpose)."""
    try:
        address = ipaddress.ip_address(bound.strip("[]").split("%")[0])
    except ValueError:
        return None
    mapped = getattr(address, "ipv4_mapped", None)
    if not (address.is_loopback or (mapped is not None and mapped.is_loopback)):
        return None
    own = f"[{address}]" if address.version == 6 else str(address)
    return [*LOOPBACK_NAMES, *([own] if own not in LOOPBACK_NAMES else [])]


def web_server(app: Starlette, log_level: str = "warning") -> uvicorn.Server:
    """A uvicorn server for the app, without access logs (the studio's own log says what went wrong)."""
    config = uvicorn.Config(app, log_level=log_level.lower(), access_log=False, lifespan="on",
                            timeout_graceful_shutdown=5)
    return uvicorn.Server(config)
