"""Serving a studio over HTTP with uvicorn, on a socket bound first (so `--port 0` knows its port before the page's
address is printed), for `seq2drum-studio` and for tests that run a studio in a thread.

A connection must send its request's head (the request line and headers) within HEADER_TIMEOUT_S of opening, or of
its last answer, and at most MAX_HALF_OPEN connections may be sending a head at once (a new one drops the oldest):
uvicorn alone kept a connection that sends a header byte every 2 s open for ever, so 800 of them held 800 sockets
and file descriptors of a studio opened to the network (`--host 0.0.0.0`). A browser sends its head in one packet.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
from typing import Any

import uvicorn
from starlette.applications import Starlette
from uvicorn.protocols.http.h11_impl import H11Protocol

from seq2drum.errors import ConfigError

LOOPBACK_NAMES = ["localhost", "127.0.0.1", "[::1]"]
HEADER_TIMEOUT_S = 10.0  # for a request's head to arrive, from the connection opening or the last answer
MAX_HALF_OPEN = 64  # connections sending a head at once; past it the oldest is dropped
log = logging.getLogger("seq2drum.studio")


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


def head_guarded(header_timeout_s: float, max_half_open: int) -> type[asyncio.Protocol]:
    """uvicorn's HTTP/1.1 protocol (h11) with a time limit on each request's head and a cap on the connections
    sending one; a class of its own per server, which counts that server's connections."""
    waiting: dict[HeadGuard, None] = {}  # connections sending a head, oldest first

    class HeadGuard(H11Protocol):
        _timer: asyncio.TimerHandle | None = None
        _cycle_seen: Any = None

        def connection_made(self, transport: Any) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._await_head()

        def handle_events(self) -> None:
            super().handle_events()
            if self.cycle is not self._cycle_seen:  # a request's head arrived: its body has limits of its own
                self._cycle_seen = self.cycle
                self._head_arrived()

        def on_response_complete(self) -> None:
            self._await_head()  # the next request's head; one pipelined behind it arrives in handle_events
            super().on_response_complete()

        def connection_lost(self, exc: Exception | None) -> None:
            self._head_arrived()
            super().connection_lost(exc)

        def _await_head(self) -> None:
            self._head_arrived()
            waiting[self] = None
            self._timer = self.loop.call_later(header_timeout_s, self._drop, "its request's head took too long")
            while len(waiting) > max_half_open:
                next(iter(waiting))._drop(f"{max_half_open} connections were sending a request's head")

        def _head_arrived(self) -> None:
            waiting.pop(self, None)
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None

        def _drop(self, why: str) -> None:
            self._head_arrived()
            log.debug("dropped a connection from %s: %s", self.client, why)
            self.transport.close()

    return HeadGuard


def web_server(app: Starlette, log_level: str = "warning") -> uvicorn.Server:
    """A uvicorn server for the app, without access logs (the studio's own log says what went wrong), its heads
    guarded (HEADER_TIMEOUT_S, MAX_HALF_OPEN) and no WebSockets (the studio has none)."""
    config = uvicorn.Config(app, log_level=log_level.lower(), access_log=False, lifespan="on",
                            timeout_graceful_shutdown=5, http=head_guarded(HEADER_TIMEOUT_S, MAX_HALF_OPEN), ws="none")
    return uvicorn.Server(config)
