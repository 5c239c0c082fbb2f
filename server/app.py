"""The server's limits (`ServerConfig`) and its factory `create_server`: the Seq2Drum service (server.servicer)
with the standard health and reflection services, over a pool of worker processes.

Nothing from a request becomes a file path and nothing is unpickled from a client: the request's bytes only reach
`read_midi` and `DrumGenerator.generate`, in a worker. This process imports neither torch nor music21."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from seq2drum.credentials import check_token
from seq2drum.errors import ConfigError
from seq2drum.live.session import MAX_BAR_NOTES, MAX_PARTS
from seq2drum.midi.scan import MAX_SONG_QUARTERS, ReadLimits
from seq2drum.rpc import seq2drum_pb2, seq2drum_pb2_grpc

from .call_limits import MAX_HEALTH_CHECKS, CallLimits
from .live_stream import MAX_LIVE_MESSAGE_BYTES
from .memory import MiB
from .pool import WorkerPool
from .security import TokenCheck, server_credentials
from .servicer import MESSAGE_ENVELOPE_BYTES, Seq2DrumServicer, note_request_bytes
from .status import OversizedMessage, OversizedOptions, UndecodableRequest
from .wire import SMALLEST_LIMIT, Unparsed, oversized_option, too_many

SERVICE_NAME = seq2drum_pb2.DESCRIPTOR.services_by_name["Seq2Drum"].full_name  # "seq2drum.v1.Seq2Drum"


@dataclass(frozen=True)
class ServerConfig:
    """Limits of one server. `python -m server` flags map onto these."""

    workers: int = 2  # worker processes = songs generated at the same time
    max_waiting: int = 8  # requests that wait, first come first served, for a busy worker; one more gets UNAVAILABLE
    max_message_bytes: int = 16 * MiB  # one gRPC message, either direction (Generate's whole file)
    max_stream_bytes: int = 64 * MiB  # one GenerateStream upload in all
    max_song_quarters: int = MAX_SONG_QUARTERS  # the library's limit, or lower: the encoder refuses past it anyway
    stream_chunk_bytes: int = 1 * MiB  # size of the chunks GenerateStream answers with
    max_uploads: int = 4  # GenerateStream uploads received at the same time; one more gets UNAVAILABLE
    upload_idle_s: float = 10.0  # longest wait for the next chunk of an upload
    upload_total_s: float = 300.0  # longest time one upload may take in all
    min_upload_bytes_per_s: float = 16 * 1024  # slowest upload, on average, once upload_grace_s have passed
    upload_grace_s: float = 5.0
    max_job_s: float = 60.0  # longest a song may hold a worker, whatever the client's deadline (or with none)
    max_concurrent_calls: int = 100  # calls but health in flight; past it RESOURCE_EXHAUSTED (server.call_limits)
    max_health_watches: int = 16  # health Watch streams open at once (open to anyone: their own room)
    recycle_mib: float = 32.0  # a worker that grew more than this over its idle memory is replaced after its job
    torch_threads: int = 1  # per worker
    read_limits: ReadLimits = field(default_factory=ReadLimits)  # notes, events, tempo and meter changes
    tls_cert: Path | None = None  # PEM certificate (chain) and its key: TLS instead of plain text
    tls_key: Path | None = None
    token: str = field(default="", repr=False)  # every call but health must carry it (server.security)
    reflection: bool = True  # the reflection service, for grpcurl and the like
    max_streams: int = 4  # PlayAlong streams open at once; one more gets RESOURCE_EXHAUSTED
    live_idle_s: float = 10.0  # longest a PlayAlong stream may send nothing (or 2 bars at its tempo, if longer)
    live_max_idle_s: float = 60.0  # longest a PlayAlong stream may send nothing, whatever its bars' length
    live_notice: str = ""  # what a player should know of this server's live drummer (a stand-in loop)

    def __post_init__(self) -> None:
        if not 1 <= self.workers <= 256:
            raise ConfigError(f"workers must be 1-256, got {self.workers}")
        if not 1024 <= self.max_message_bytes <= 1024 * MiB:
            raise ConfigError(f"max_message_bytes must be 1 KiB - 1 GiB, got {self.max_message_bytes}")
        if self.max_stream_bytes < self.max_message_bytes:
            raise ConfigError(
                f"max_stream_bytes ({self.max_stream_bytes}) must be at least "
                f"max_message_bytes ({self.max_message_bytes})"
            )
        if not 1 <= self.max_song_quarters <= MAX_SONG_QUARTERS:
            # a higher limit would be advertised by GetModelInfo and then refused by the library's encoder
            raise ConfigError(f"max_song_quarters must be 1-{MAX_SONG_QUARTERS} (the library's song-length limit), "
                              f"got {self.max_song_quarters}")
        if not 1 <= self.stream_chunk_bytes <= self.max_message_bytes - MESSAGE_ENVELOPE_BYTES:
            raise ConfigError(
                f"stream_chunk_bytes must be 1 - {self.max_message_bytes - MESSAGE_ENVELOPE_BYTES}, "
                f"got {self.stream_chunk_bytes}"
            )
        if not 1 <= self.max_uploads <= 1024:
            raise ConfigError(f"max_uploads must be 1-1024, got {self.max_uploads}")
        if not 0 < self.upload_idle_s <= self.upload_total_s:
            raise ConfigError(f"upload_idle_s must be > 0 and at most upload_total_s, got {self.upload_idle_s}")
        if self.min_upload_bytes_per_s <= 0 or self.upload_grace_s <= 0:
            raise ConfigError(f"min_upload_bytes_per_s and upload_grace_s must be > 0, got "
                              f"{self.min_upload_bytes_per_s} and {self.upload_grace_s}")
        if not 0 < self.max_job_s <= 86_400:
            raise ConfigError(f"max_job_s must be > 0 and at most a day (86400), got {self.max_job_s}")
        if not 0 <= self.max_waiting <= 1024:
            raise ConfigError(f"max_waiting must be 0-1024, got {self.max_waiting}")
        if self.max_concurrent_calls < self.workers + self.max_waiting + self.max_uploads + 2:
            raise ConfigError(f"max_concurrent_calls must be at least workers + max_waiting + max_uploads + 2, "
                              f"got {self.max_concurrent_calls}")
        if not 1 <= self.max_health_watches <= 1024:
            raise ConfigError(f"max_health_watches must be 1-1024, got {self.max_health_watches}")
        if self.recycle_mib <= 0:
            raise ConfigError(f"recycle_mib must be > 0, got {self.recycle_mib}")
        if not 1 <= self.max_streams <= 1024:
            raise ConfigError(f"max_streams must be 1-1024, got {self.max_streams}")
        if not 0 < self.live_idle_s <= self.live_max_idle_s <= 3600:
            raise ConfigError(f"live_idle_s must be > 0 and at most live_max_idle_s, at most an hour; got "
                              f"{self.live_idle_s} and {self.live_max_idle_s}")
        if self.token:
            check_token(self.token, "the server's token")
        if not 1 <= self.torch_threads <= 256:
            raise ConfigError(f"torch_threads must be 1-256, got {self.torch_threads}")

    @property
    def limits(self) -> ReadLimits:
        """The reader's limits with this server's song length."""
        return ReadLimits(**{**self.read_limits.__dict__, "max_song_quarters": self.max_song_quarters})


async def create_server(
    address: str,
    pool: WorkerPool,
    config: ServerConfig | None = None,
    health_servicer: health.aio.HealthServicer | None = None,
) -> tuple[grpc.aio.Server, int]:
    """An asyncio server (not started) with the Seq2Drum, health and reflection services bound to `address`,
    over a started `WorkerPool`. Returns the server and its port (the one picked by the OS for port 0).
    Raises `OSError` when the address cannot be bound."""
    config = config or ServerConfig()
    credentials = server_credentials(config.tls_cert, config.tls_key)  # ConfigError before anything is started
    limits = CallLimits(config.max_concurrent_calls, config.max_health_watches)
    server = grpc.aio.server(
        # the token first: a call refused for it never counts against the calls that carry it
        interceptors=[TokenCheck(config.token), limits] if config.token else [limits],
        options=[
            ("grpc.max_receive_message_length", config.max_message_bytes),
            ("grpc.max_send_message_length", config.max_message_bytes),
            ("grpc.so_reuseport", 0),  # a second server on a taken port must fail, not share it
        ],
        maximum_concurrent_rpcs=config.max_concurrent_calls + config.max_health_watches + MAX_HEALTH_CHECKS,
    )
    seq2drum_pb2_grpc.add_Seq2DrumServicer_to_server(Seq2DrumServicer(pool, config), _Lenient(server))
    health_servicer = health_servicer or health.aio.HealthServicer()
    for service in ("", SERVICE_NAME):
        await health_servicer.set(service, health_pb2.HealthCheckResponse.SERVING)
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    _WATCHERS.add(asyncio.get_running_loop().create_task(_watch_workers(pool, health_servicer)))
    if config.reflection:
        reflection.enable_server_reflection(
            (SERVICE_NAME, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name, reflection.SERVICE_NAME), server
        )
    try:
        port = server.add_secure_port(address, credentials) if credentials else server.add_insecure_port(address)
    except RuntimeError as exc:  # grpc's way of saying the bind failed
        raise OSError(f"cannot listen on {address}: {exc}") from exc
    if port == 0:
        raise OSError(f"cannot listen on {address}")
    return server, port


_WATCHERS: set[asyncio.Task[None]] = set()  # the loop keeps only weak references to tasks
WATCH_S = 0.25  # how often the idle workers are looked at


async def _watch_workers(pool: WorkerPool, health_servicer: health.aio.HealthServicer) -> None:
    """Replace idle workers that died, and say NOT_SERVING while no worker can run (and SERVING once one can)."""
    serving = True
    while True:
        await asyncio.sleep(WATCH_S)
        now_serving = pool.sweep()
        if now_serving != serving:
            serving = now_serving
            status = health_pb2.HealthCheckResponse.SERVING if serving else health_pb2.HealthCheckResponse.NOT_SERVING
            for service in ("", SERVICE_NAME):
                await health_servicer.set(service, status)  # ignored once a graceful shutdown has begun


def _options_path(message: Any, *names: str) -> tuple[int, ...]:
    """The field numbers of `names`, one inside the other, from `message`'s type (its descriptor)."""
    numbers, descriptor = [], message.DESCRIPTOR
    for name in names:
        field_descriptor = descriptor.fields_by_name[name]
        numbers.append(field_descriptor.number)
        descriptor = field_descriptor.message_type
    return tuple(numbers)


# where each method's request holds GenerationOptions (their sizes are checked before parsing)
_OPTIONS_PATH = {"Generate": _options_path(seq2drum_pb2.GenerateRequest, "options"),
                 "GenerateStream": _options_path(seq2drum_pb2.GenerateStreamRequest, "options"),
                 "PlayAlong": _options_path(seq2drum_pb2.PlayAlongRequest, "start", "options")}
# the longest message of each method below the server's message limit: a PlayAlong start holds options (a groove
# clip at most MAX_GROOVE_CLIP_BYTES) and parts, a bar at most MAX_BAR_NOTES notes; a longer one is refused unparsed
_MAX_MESSAGE_BYTES = {"PlayAlong": MAX_LIVE_MESSAGE_BYTES}
# repeated fields counted from the raw bytes before parsing: (where, the field, its limit, what it holds)
_COUNTED = {"PlayAlong": (
    ("start", _options_path(seq2drum_pb2.PlayAlongRequest, "start", "parts"), MAX_PARTS, "parts"),
    ("bar", _options_path(seq2drum_pb2.PlayAlongRequest, "bar", "notes"), MAX_BAR_NOTES, "notes"))}
_PARSED_LATER = {"PlayAlong"}  # parsed by the handler, off the event loop (server/wire.py, Unparsed)


def _lenient(method: str, parse: Any) -> Any:
    """A request deserializer that never raises: grpc answers a deserializer's exception with UNKNOWN, so bytes that
    do not parse become an `UndecodableRequest`, which the servicer refuses as INVALID_ARGUMENT. Options longer than
    any valid value, and messages longer than any valid one, are refused from the raw bytes, unparsed
    (server/wire.py)."""
    options_path = _OPTIONS_PATH.get(method)
    max_bytes = _MAX_MESSAGE_BYTES.get(method)

    def parse_leniently(data: bytes) -> Any:
        try:
            return parse(data)
        except Exception as exc:  # noqa: BLE001  (any failure to parse a client's bytes is about the input)
            return UndecodableRequest(method, f"{type(exc).__name__}: {exc}")

    def deserialize(data: bytes) -> Any:
        note_request_bytes(len(data))
        if max_bytes is not None and len(data) > max_bytes:
            return OversizedMessage(method, f"the {method} message holds {len(data):,} bytes; this server takes at "
                                            f"most {max_bytes:,} in one (at most {MAX_BAR_NOTES:,} notes in a bar)")
        for where, (*count_path, counted_field), limit, what in _COUNTED.get(method, ()):
            if too_many(data, tuple(count_path), counted_field, limit):
                return OversizedOptions(method, f"{method}: the {where} holds more than {limit:,} {what} (or other "
                                                f"fields); a {where} may hold at most {limit:,} {what}")
        if options_path is not None and len(data) > SMALLEST_LIMIT:
            problem = oversized_option(data, options_path)
            if problem is not None:
                return OversizedOptions(method, problem)
        return Unparsed(data, parse_leniently) if method in _PARSED_LATER else parse_leniently(data)

    return deserialize


class _Lenient:
    """Stands in for the server while the generated code registers the Seq2Drum methods, and registers them with
    lenient deserializers instead (the stubs stay as protoc writes them)."""

    def __init__(self, server: grpc.aio.Server) -> None:
        self.server = server

    def add_generic_rpc_handlers(self, handlers: Any) -> None:
        pass  # the same methods come to add_registered_method_handlers, which adds both

    def add_registered_method_handlers(self, service: str, handlers: dict[str, Any]) -> None:
        lenient = {name: handler._replace(request_deserializer=_lenient(name, handler.request_deserializer))
                   for name, handler in handlers.items()}
        self.server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(service, lenient),))
        self.server.add_registered_method_handlers(service, lenient)
