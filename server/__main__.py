"""`python -m server`: start the worker processes (each loads the model once) and serve gRPC until SIGTERM or Ctrl-C.

    python -m server [--host 127.0.0.1] [--port 50051] [--checkpoint PATH] [--workers N]

Prints `seq2drum server listening on HOST:PORT` on stdout once it accepts calls (with the real port when
--port 0 lets the OS pick). On SIGTERM or SIGINT health turns NOT_SERVING, new calls are refused, calls in
flight get --grace seconds to finish, the workers stop, and the process exits 0. A model or address that cannot
be used gives one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import logging
import signal
import sys
from pathlib import Path

from grpc_health.v1 import health

from seq2drum.options import DefaultsHelpFormatter, invoked_as
from seq2drum.credentials import TOKEN_ENV, read_token
from seq2drum.errors import ConfigError, Seq2DrumError

from .app import create_server
from .config import MESSAGE_ENVELOPE_BYTES, ServerConfig
from .memory import MiB
from .pool import WorkerPool
from .live_jobs import LiveModel
from .workers import ModelSource

EXIT_USAGE = 2
MIN_MESSAGE_MIB = 1 / 16  # 64 KiB: a short song beside the metadata (MESSAGE_ENVELOPE_BYTES) in one message
MAX_MESSAGE_MIB = 1024.0


def build_parser() -> argparse.ArgumentParser:
    defaults = ServerConfig()
    parser = argparse.ArgumentParser(
        prog=invoked_as("python -m server"), description="seq2drum gRPC server: drums for a guitar part",
        formatter_class=DefaultsHelpFormatter,
    )
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (0.0.0.0 or :: opens it to the network)")
    parser.add_argument("--port", type=int, default=50051, help="0 = any free port (printed at start)")
    parser.add_argument("--checkpoint", type=Path, default=None,
                        help="model file (default: the shipped models/default.pt)")
    parser.add_argument("--workers", type=int, default=defaults.workers,
                        help="worker processes: songs generated at the same time")
    parser.add_argument("--max-waiting", type=int, default=defaults.max_waiting,
                        help="songs that wait, first come first served, while every worker is busy (one more: "
                        "UNAVAILABLE, and the client retries)")
    parser.add_argument("--torch-threads", type=int, default=defaults.torch_threads, help="torch threads per worker")
    parser.add_argument("--max-message-mib", type=float, default=defaults.max_message_bytes / MiB,
                        help="largest gRPC message (a Generate request) in MiB")
    parser.add_argument("--max-stream-mib", type=float, default=defaults.max_stream_bytes / MiB,
                        help="largest GenerateStream upload in MiB")
    parser.add_argument("--max-song-quarters", type=int, default=defaults.max_song_quarters,
                        help="longest song accepted, in quarter notes; may be lowered, not raised")
    parser.add_argument("--max-uploads", type=int, default=defaults.max_uploads,
                        help="GenerateStream uploads received at the same time")
    parser.add_argument("--upload-idle", type=float, default=defaults.upload_idle_s,
                        help="seconds an upload may go without a chunk")
    parser.add_argument("--min-upload-kib-s", type=float, default=defaults.min_upload_bytes_per_s / 1024,
                        help=f"slowest GenerateStream upload, on average, after its first "
                        f"{defaults.upload_grace_s:g} s (a slower one is stopped and its upload slot freed)")
    parser.add_argument("--max-job-seconds", type=float, default=defaults.max_job_s,
                        help="longest a song may hold a worker, whatever the client's deadline (or with none)")
    parser.add_argument("--recycle-mib", type=float, default=defaults.recycle_mib,
                        help="a worker that grew more than this over its idle memory is replaced")
    parser.add_argument("--max-worker-mib", type=float, default=defaults.max_worker_mib,
                        help="a worker whose resident memory passes this while it works is stopped and replaced, and "
                        "the song refused (RESOURCE_EXHAUSTED): the most memory one song can take")
    parser.add_argument("--tls-cert", type=Path, default=None,
                        help="PEM certificate (chain) of this server: TLS instead of plain text, with --tls-key "
                        "(default: plain text)")
    parser.add_argument("--tls-key", type=Path, default=None, help="PEM private key of --tls-cert (default: none)")
    parser.add_argument("--token-file", type=Path, default=None,
                        help=f"file whose first line is a shared token every call but health must carry, or set "
                        f"{TOKEN_ENV} (default: no token)")
    parser.add_argument("--no-reflection", action="store_true",
                        help="turn off the reflection service (grpcurl then needs the .proto)")
    parser.add_argument("--max-streams", type=int, default=defaults.max_streams,
                        help="play-along streams open at once (default: %(default)s); each bar is a short job on the "
                             "same workers")
    parser.add_argument("--max-streams-per-peer", type=int, default=defaults.max_streams_per_peer,
                        help="of those, the most one address may hold (default: %(default)s)")
    parser.add_argument("--live-checkpoint", type=Path, default=None,
                        help="the causal model that plays along live (default: models/live.pt; without it, a plain "
                             "backbeat plays along, said at start)")
    parser.add_argument("--live-loop", action="store_true",
                        help="play along with a plain backbeat instead of the live model")
    parser.add_argument("--grace", type=float, default=30.0, help="seconds calls in flight get to finish at shutdown")
    parser.add_argument("--log-level", default="INFO", choices=("DEBUG", "INFO", "WARNING", "ERROR"),
                        help="least severe log lines written to stderr")
    return parser


def server_config(args: argparse.Namespace) -> ServerConfig:
    """The limits the flags ask for; ConfigError naming the flag for a value out of range. GenerateStream's answer
    chunks follow --max-message-mib down (each must fit in one message), so any message size the flag accepts works."""
    if not MIN_MESSAGE_MIB <= args.max_message_mib <= MAX_MESSAGE_MIB:
        raise ConfigError(f"--max-message-mib must be {MIN_MESSAGE_MIB:g}-{MAX_MESSAGE_MIB:g} (64 KiB - 1 GiB), "
                          f"got {args.max_message_mib:g}")
    max_message_bytes = int(args.max_message_mib * MiB)
    return ServerConfig(
        workers=args.workers,
        max_waiting=args.max_waiting,
        max_message_bytes=max_message_bytes,
        max_stream_bytes=int(args.max_stream_mib * MiB),
        max_song_quarters=args.max_song_quarters,
        stream_chunk_bytes=min(ServerConfig.stream_chunk_bytes, max_message_bytes - MESSAGE_ENVELOPE_BYTES),
        max_uploads=args.max_uploads,
        upload_idle_s=args.upload_idle,
        max_job_s=args.max_job_seconds,
        tls_cert=args.tls_cert,
        tls_key=args.tls_key,
        token=read_token(args.token_file),
        reflection=not args.no_reflection,
        min_upload_bytes_per_s=args.min_upload_kib_s * 1024,
        recycle_mib=args.recycle_mib,
        max_worker_mib=args.max_worker_mib,
        torch_threads=args.torch_threads,
        max_streams=args.max_streams,
        max_streams_per_peer=args.max_streams_per_peer,
    )


def live_model(args: argparse.Namespace) -> tuple[LiveModel, str]:
    """The live drummer the flags ask for and what a player should be told of it. A --live-checkpoint that is not
    there is an error (ConfigError); the default one missing falls back to the loop, said once."""
    from seq2drum.live.model_drummer import LIVE_CHECKPOINT

    if args.live_loop:
        return LiveModel(None), "this server plays along with a plain backbeat (--live-loop), not the live model"
    if args.live_checkpoint is not None:
        if not args.live_checkpoint.is_file():
            raise ConfigError(f"--live-checkpoint {args.live_checkpoint} not found; pass the live model's path, or "
                              "--live-loop for a plain backbeat")
        return LiveModel(args.live_checkpoint), ""
    if LIVE_CHECKPOINT.is_file():
        return LiveModel(LIVE_CHECKPOINT), ""
    return LiveModel(None), (f"no live model at {LIVE_CHECKPOINT}: a plain backbeat plays along (train one: "
                             "models/README.md, \"models/live.pt\")")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=args.log_level, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    def fail(message: str) -> int:
        print(f"seq2drum server: error: {message}", file=sys.stderr, flush=True)
        return EXIT_USAGE

    if not 0 <= args.port <= 65535:
        return fail(f"--port must be 0-65535, got {args.port}")
    try:
        config = server_config(args)
        live, live_notice = live_model(args)
    except Seq2DrumError as exc:
        return fail(str(exc))
    if live_notice:
        logging.getLogger("seq2drum.server").warning("%s", live_notice)
    config = dataclasses.replace(config, live_notice=live_notice)
    pool = WorkerPool(ModelSource(args.checkpoint, args.torch_threads, live=live), config.workers,
                      config.recycle_mib, max_worker_mib=config.max_worker_mib)
    try:
        info = pool.start()
    except Seq2DrumError as exc:
        return fail(str(exc))
    try:
        return asyncio.run(serve(args, config, pool, info))
    except (OSError, Seq2DrumError) as exc:  # an address that cannot be bound, TLS files that cannot be read
        return fail(str(exc))
    finally:
        pool.close()


async def serve(args: argparse.Namespace, config: ServerConfig, pool: WorkerPool, info: dict) -> int:
    host = args.host.strip("[]")
    address = f"[{host}]:{args.port}" if ":" in host else f"{host}:{args.port}"
    health_servicer = health.aio.HealthServicer()
    server, port = await create_server(address, pool, config, health_servicer)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await server.start()
    shown_host = f"[{host}]" if ":" in host else host
    print(f"seq2drum server listening on {shown_host}:{port}", flush=True)
    log = logging.getLogger("seq2drum.server")
    missing = [name for name, present in (("TLS", config.tls_cert), ("a token", config.token)) if not present]
    if host not in ("127.0.0.1", "localhost", "::1") and missing:
        log.warning("listening on %s without %s: anyone who can reach it can use it (docs/server.md: Security)", host,
                    " or ".join(missing))
    log.info("model %s %s, %d worker processes, %d torch thread(s) each, messages up to %d bytes",
             info["name"], info["version"], config.workers, config.torch_threads, config.max_message_bytes)
    await stop.wait()
    log.info("shutting down: health NOT_SERVING, new calls refused, %.0f s for calls in flight", args.grace)
    await health_servicer.enter_graceful_shutdown()
    await server.stop(args.grace)
    log.info("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
