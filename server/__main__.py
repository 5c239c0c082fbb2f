"""`python -m server`: load the model once and serve it over gRPC until SIGTERM or Ctrl-C.

    python -m server [--host 127.0.0.1] [--port 50051] [--checkpoint PATH] [--workers N]

Prints `seq2drum server listening on HOST:PORT` on stdout once it accepts calls (with the real port when
--port 0 lets the OS pick). On SIGTERM or SIGINT health turns NOT_SERVING, new calls are refused, calls in
flight get --grace seconds to finish, and the process exits 0. A model or address that cannot be used gives
one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

import torch
from grpc_health.v1 import health

from seq2drum.errors import Seq2DrumError
from seq2drum.inference import DrumGenerator

from .app import MiB, ServerConfig, create_server

EXIT_USAGE = 2


def build_parser() -> argparse.ArgumentParser:
    defaults = ServerConfig()
    parser = argparse.ArgumentParser(
        prog="python -m server", description="seq2drum gRPC server: drums for a guitar part",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (0.0.0.0 or :: opens it to the network)")
    parser.add_argument("--port", type=int, default=50051, help="0 = any free port (printed at start)")
    parser.add_argument("--checkpoint", type=Path, default=None,
                        help="model file (default: the shipped models/default.pt)")
    parser.add_argument("--workers", type=int, default=defaults.workers, help="songs generated at the same time")
    parser.add_argument("--torch-threads", type=int, default=1, help="torch threads per generation")
    parser.add_argument("--max-message-mib", type=float, default=defaults.max_message_bytes / MiB,
                        help="largest gRPC message (a Generate request) in MiB")
    parser.add_argument("--max-stream-mib", type=float, default=defaults.max_stream_bytes / MiB,
                        help="largest GenerateStream upload in MiB")
    parser.add_argument("--max-song-quarters", type=int, default=defaults.max_song_quarters,
                        help="longest song accepted, in quarter notes")
    parser.add_argument("--grace", type=float, default=30.0, help="seconds calls in flight get to finish at shutdown")
    parser.add_argument("--log-level", default="INFO", choices=("DEBUG", "INFO", "WARNING", "ERROR"))
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=args.log_level, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    def fail(message: str) -> int:
        print(f"seq2drum server: error: {message}", file=sys.stderr, flush=True)
        return EXIT_USAGE

    if not 0 <= args.port <= 65535:
        return fail(f"--port must be 0-65535, got {args.port}")
    if not 1 <= args.torch_threads <= 256:
        return fail(f"--torch-threads must be 1-256, got {args.torch_threads}")
    try:
        config = ServerConfig(
            workers=args.workers,
            max_message_bytes=int(args.max_message_mib * MiB),
            max_stream_bytes=int(args.max_stream_mib * MiB),
            max_song_quarters=args.max_song_quarters,
        )
    except Seq2DrumError as exc:
        return fail(str(exc))
    # Requests run on `workers` threads at once: more torch threads each would only fight over the cores.
    torch.set_num_threads(args.torch_threads)
    try:
        generator = DrumGenerator.from_checkpoint(args.checkpoint)
    except Seq2DrumError as exc:
        return fail(str(exc))

    host = args.host.strip("[]")
    address = f"[{host}]:{args.port}" if ":" in host else f"{host}:{args.port}"
    health_servicer = health.HealthServicer()
    try:
        server, port = create_server(address, generator, config, health_servicer)
    except OSError as exc:
        return fail(str(exc))

    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    server.start()
    shown_host = f"[{host}]" if ":" in host else host
    print(f"seq2drum server listening on {shown_host}:{port}", flush=True)
    logging.getLogger("seq2drum.server").info(
        "model %s %s, %d workers, %d torch thread(s) each, messages up to %d bytes",
        generator.info.name, generator.info.version, config.workers, args.torch_threads, config.max_message_bytes,
    )
    while not stop.wait(1.0):
        pass
    log = logging.getLogger("seq2drum.server")
    log.info("shutting down: health NOT_SERVING, new calls refused, %.0f s for calls in flight", args.grace)
    health_servicer.enter_graceful_shutdown()
    server.stop(args.grace).wait()
    log.info("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
