"""`seq2drum-studio` (from a checkout `python -m seq2drum.studio`): the studio in the browser, on this computer.

    python -m seq2drum.studio [--port 8765] [--checkpoint PATH] [--workers N]
    python -m seq2drum.studio --server HOST:PORT [--server HOST:PORT ...]   # in front of running servers

Prints `seq2drum studio: http://HOST:PORT/ ...` once the page can be opened; Ctrl-C or SIGTERM stops it, removes its
files and exits 0. A model, flag or address that cannot be used gives one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import signal
import sys
import webbrowser
from pathlib import Path
from typing import TYPE_CHECKING

from seq2drum.credentials import TOKEN_ENV, read_token
from seq2drum.errors import ConfigError, Seq2DrumError
from seq2drum.options import DefaultsHelpFormatter, invoked_as

from .app import Studio, create_app
from .backends import LocalBackend, RemoteBackend, sibling
from .serve import address_of, allowed_hosts, listen, web_server
from .store import Store

if TYPE_CHECKING:  # found through `sibling` at run time
    from server.config import ServerConfig

EXIT_USAGE = 2
DEFAULT_PORT = 8765
MiB = 1024 * 1024


def build_parser() -> argparse.ArgumentParser:
    defaults = sibling("server.config").ServerConfig()
    parser = argparse.ArgumentParser(
        prog=invoked_as("python -m seq2drum.studio"), formatter_class=DefaultsHelpFormatter,
        description="seq2drum studio: drop a song in your browser, hear the takes, keep the one you like")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (0.0.0.0 or :: opens the studio to the network)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="0 = any free port (printed at start)")
    parser.add_argument("--open", action="store_true", help="open the page in the web browser once it is up")
    parser.add_argument("--checkpoint", type=Path, default=None,
                        help="model file (default: the shipped models/default.pt)")
    parser.add_argument("--server", action="append", default=None, metavar="HOST:PORT",
                        help="make the drums on running seq2drum servers instead of in this process; several: repeat "
                        "--server or separate with commas (default: none, worker processes of the studio's own)")
    parser.add_argument("--tls-ca", type=Path, default=None, metavar="PEM",
                        help="--server: talk TLS, trusting the servers whose certificate (or CA) this file holds "
                        "(default: plain text)")
    parser.add_argument("--token-file", type=Path, default=None,
                        help=f"--server: file whose first line is the servers' token, or set {TOKEN_ENV} "
                        "(default: none)")
    parser.add_argument("--workers", type=int, default=defaults.workers,
                        help="worker processes: songs generated (and audio rendered) at the same time")
    parser.add_argument("--max-waiting", type=int, default=defaults.max_waiting,
                        help="songs that wait while every worker is busy (one more is refused: try again)")
    parser.add_argument("--max-job-seconds", type=float, default=defaults.max_job_s,
                        help="longest a song may take to generate; past it the work is stopped")
    parser.add_argument("--max-upload-mib", type=float, default=defaults.max_stream_bytes / MiB,
                        help="largest song the page may upload, in MiB")
    parser.add_argument("--keep-minutes", type=float, default=30.0,
                        help="a page's songs and takes are removed when it closes, or after this many minutes "
                        "unused")
    parser.add_argument("--log-level", default="WARNING", choices=("DEBUG", "INFO", "WARNING", "ERROR"),
                        help="least severe log lines written to stderr")
    return parser


def studio_config(args: argparse.Namespace) -> ServerConfig:
    """The server's limits (`ServerConfig`) the flags ask for; ConfigError naming a value out of range."""
    config_module = sibling("server.config")
    # the smallest cap whose messages hold a 1 KiB chunk beside their metadata (MESSAGE_ENVELOPE_BYTES)
    min_upload_kib = (config_module.MESSAGE_ENVELOPE_BYTES + 1024) // 1024
    if not min_upload_kib / 1024 <= args.max_upload_mib <= 1024:
        raise ConfigError(f"--max-upload-mib must be {min_upload_kib}/1024 - 1024 ({min_upload_kib} KiB - 1 GiB), "
                          f"got {args.max_upload_mib:g}")
    if not 0 < args.keep_minutes <= 7 * 24 * 60:
        raise ConfigError(f"--keep-minutes must be > 0 and at most a week, got {args.keep_minutes:g}")
    upload_bytes = int(args.max_upload_mib * MiB)
    defaults = config_module.ServerConfig()
    message_bytes = min(defaults.max_message_bytes, upload_bytes)
    return dataclasses.replace(
        defaults, workers=args.workers, max_waiting=args.max_waiting, max_job_s=args.max_job_seconds,
        max_stream_bytes=max(upload_bytes, message_bytes), max_message_bytes=message_bytes,
        stream_chunk_bytes=min(defaults.stream_chunk_bytes, message_bytes - config_module.MESSAGE_ENVELOPE_BYTES),
        max_concurrent_calls=max(defaults.max_concurrent_calls, args.workers + args.max_waiting + 6))


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=args.log_level, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    def fail(message: str) -> int:
        print(f"seq2drum studio: error: {message}", file=sys.stderr, flush=True)
        return EXIT_USAGE

    try:
        config = studio_config(args)
        token = read_token(args.token_file) if args.server else ""
        sock = listen(args.host, args.port)
    except (Seq2DrumError, OSError) as exc:
        return fail(str(exc))
    try:
        backend = (RemoteBackend(args.server, config, tls_ca=args.tls_ca, token=token) if args.server
                   else LocalBackend(args.checkpoint, config))
    except Seq2DrumError as exc:
        sock.close()
        return fail(str(exc))
    store = Store(ttl_s=args.keep_minutes * 60, max_bytes=max(1 << 30, 4 * config.max_stream_bytes))
    try:
        words = backend.start()
    except Seq2DrumError as exc:
        sock.close()
        backend.close()
        store.remove_all()
        return fail(str(exc))
    address = address_of(sock)

    def ready() -> None:
        print(f"seq2drum studio: {address} ({words}; Ctrl-C stops)", flush=True)
        if args.open:
            webbrowser.open(address)

    studio = Studio(backend, config, store, words, on_ready=ready)
    server = web_server(create_app(studio, allowed_hosts(sock.getsockname()[0])), args.log_level)
    for signum in (signal.SIGTERM, signal.SIGINT):  # uvicorn stops on them, then raises them again: here, quietly
        signal.signal(signum, lambda *_: None)
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
        backend.close()
        store.remove_all()
    return 0


if __name__ == "__main__":
    sys.exit(main())
