"""Connections that never finish their request's head, against a running studio (issue 69 N10): `python -m
seq2drum.studio` started here on 127.0.0.1, then 800 connections that each send the start of a request's head and a
header byte every 2 s. Prints, every 5 s, how many are still open, the studio's open file descriptors and how long a
page's own request takes meanwhile. On f0ae609 all 800 stayed open after 60 s; the studio now drops a head that takes
longer than 10 s, and keeps at most 64 connections sending one (the oldest go first).

    python -m bench.studio_slow_heads [--connections 800] [--drip-seconds 2] [--seconds 60] [--reopen]

--reopen: a connection the studio drops is opened again at once (an attacker who keeps at it): the page's requests
are still answered.
"""

from __future__ import annotations

import argparse
import http.client
import os
import socket
import sys
import tempfile
import time
from pathlib import Path

from bench.fuzz_studio import start_studio, studio_memory_mib
from bench.machine import describe_machine

HEAD = b"GET /api/config HTTP/1.1\r\nHost: 127.0.0.1\r\n"


def open_half(host: str, port: int) -> socket.socket | None:
    """A connection that sent the start of a head; None when the studio would not take it."""
    try:
        sock = socket.create_connection((host, port), timeout=5)
        sock.sendall(HEAD)
    except OSError:
        return None
    sock.setblocking(False)
    return sock


def still_open(sock: socket.socket) -> bool:
    try:
        return sock.recv(4096) != b""  # the studio never answers a head it has not had: data means open
    except BlockingIOError:
        return True
    except OSError:
        return False


def page_request_ms(host: str, port: int) -> float:
    """A page's own request, start to end; -1 when it failed."""
    started = time.perf_counter()
    connection = http.client.HTTPConnection(host, port, timeout=30)
    try:
        connection.request("GET", "/api/config")
        answer = connection.getresponse()
        answer.read()
        ok = answer.status == 200
    except (OSError, http.client.HTTPException):
        ok = False
    finally:
        connection.close()
    return (time.perf_counter() - started) * 1000 if ok else -1.0


def drip(socks: list[socket.socket | None], host: str, port: int, reopen: bool) -> None:
    """One header byte on every open connection; the dropped ones closed here (and opened again with `reopen`)."""
    for index, sock in enumerate(socks):
        if sock is not None and still_open(sock):
            try:
                sock.send(b"X")
                continue
            except OSError:
                pass
        if sock is not None:
            sock.close()
        socks[index] = open_half(host, port) if reopen else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=800)
    parser.add_argument("--drip-seconds", type=float, default=2.0, help="a header byte on each connection this often")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--reopen", action="store_true", help="open a dropped connection again at once")
    args = parser.parse_args(argv)
    print("== seq2drum: connections that never finish their request's head, against a studio on 127.0.0.1 ==")
    print(describe_machine())
    with tempfile.TemporaryDirectory() as scratch:
        process, address, _ = start_studio(Path(scratch), None, workers=1)
        host, port = address.split("/")[2].rsplit(":", 1)[0], int(address.rstrip("/").rsplit(":", 1)[1])
        try:
            socks = [open_half(host, port) for _ in range(args.connections)]
            print(f"{sum(s is not None for s in socks)} of {args.connections} connections opened, a header byte each "
                  f"every {args.drip_seconds:g} s{' (reopened when dropped)' if args.reopen else ''}")
            print(f"{'s':>5} {'still open':>11} {'studio fds':>11} {'page ms':>8} {'studio MiB':>11}")
            started = time.monotonic()
            next_drip = next_report = started
            slowest_ms, failed = 0.0, 0
            while time.monotonic() - started < args.seconds + 0.5:
                now = time.monotonic()
                if now >= next_drip:
                    drip(socks, host, port, args.reopen)
                    next_drip += args.drip_seconds
                if now >= next_report:
                    page_ms = page_request_ms(host, port)
                    failed += page_ms < 0
                    slowest_ms = max(slowest_ms, page_ms)
                    open_now = sum(1 for sock in socks if sock is not None and still_open(sock))
                    fds = len(os.listdir(f"/proc/{process.pid}/fd")) if sys.platform == "linux" else -1
                    print(f"{now - started:>5.0f} {open_now:>11} {fds:>11} {page_ms:>8.1f} "
                          f"{studio_memory_mib(process.pid)[0]:>11.1f}", flush=True)
                    next_report += 5.0
                time.sleep(max(0.0, min(next_drip, next_report) - time.monotonic()))
            open_end = sum(1 for sock in socks if sock is not None and still_open(sock))
        finally:
            for sock in socks:
                if sock is not None:
                    sock.close()
            process.terminate()
            process.wait(60)
    print(f"\nafter {args.seconds:g} s: {open_end} of {args.connections} connections still open; the page's requests: "
          f"slowest {slowest_ms:.1f} ms, {failed} failed")
    return 0 if failed == 0 and (args.reopen or open_end == 0) else 1


if __name__ == "__main__":
    sys.exit(main())
