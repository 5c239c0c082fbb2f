"""The server's limits (`ServerConfig`) and its factory `create_server`: the Seq2Drum service (server.servicer)
with the standard health and reflection services, over a pool of worker processes.

Nothing from a request becomes a file path and nothing is unpickled from a client: the request's bytes only reach
`read_midi` and `DrumGenerator.generate`, in a worker. This process imports neither torch nor music21 (the live drummer
it loads for play-along bars, server/live_stream.py, is the fast-start numpy copy its workers left in the cache; torch
only where that cache cannot be written)."""

from __future__ import annotations

import asyncio
from typing import Any

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from seq2drum.live.session import MAX_BAR_NOTES, MAX_PARTS
from seq2drum.rpc import seq2drum_pb2, seq2drum_pb2_grpc

from .call_limits import MAX_HEALTH_CHECKS, CallLimits
from .config import ServerConfig
from .live_stream import MAX_BAR_MESSAGE_BYTES, MAX_LIVE_MESSAGE_BYTES
from .pool import WorkerPool
from .security import TokenCheck, server_credentials
from .servicer import Seq2DrumServicer, note_request_bytes
from .status import OversizedMessage, OversizedOptions, UndecodableRequest
from .wire import SMALLEST_LIMIT, RepeatedCount, Unparsed, oversized_option, too_many

SERVICE_NAME = seq2drum_pb2.DESCRIPTOR.services_by_name["Seq2Drum"].full_name  # "seq2drum.v1.Seq2Drum"


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
                 "PlayAlong": _options_path(seq2drum_pb2.PlayAlongRequest, "start", "options"),
                 "Arrange": _options_path(seq2drum_pb2.ArrangeRequest, "options")}
# the longest message of each method below the server's message limit: a PlayAlong start holds options (a groove
# clip at most MAX_GROOVE_CLIP_BYTES) and parts, a bar at most MAX_BAR_NOTES notes; a longer one is refused unparsed
_MAX_MESSAGE_BYTES = {"PlayAlong": MAX_LIVE_MESSAGE_BYTES}
# repeated fields counted from the raw bytes before parsing, walking their headers up to the limit: (where, the
# field, its limit, what it holds); a bar's notes are counted by protobuf's C parser (`_bar_refusal`)
_COUNTED = {"PlayAlong": (
    ("start", _options_path(seq2drum_pb2.PlayAlongRequest, "start", "parts"), MAX_PARTS, "parts"),)}
_BAR_NOTES = RepeatedCount(seq2drum_pb2.PlayAlongRequest, "bar", "notes")
_BAR_FIELD = _options_path(seq2drum_pb2.PlayAlongRequest, "bar")[0]
_PARSED_LATER = {"PlayAlong"}  # parsed by the handler, off the event loop (server/wire.py, Unparsed) ...
# ... when longer than this: a bar the loop decides (live_stream.LOCAL_BAR_NOTES notes, about 6.5 KB) parses in 15 us
# (the most notes this short, 4,093 empty ones, in 0.1 ms), where a hop to a thread and back cost the process about
# 0.1 ms of CPU and two more turns of the loop a bar (issue 102)
INLINE_PARSE_BYTES = 8 * 1024


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
        if method == "PlayAlong" and (refusal := _bar_refusal(data)) is not None:
            return refusal
        if options_path is not None and len(data) > SMALLEST_LIMIT:
            problem = oversized_option(data, options_path)
            if problem is not None:
                return OversizedOptions(method, problem)
        if method in _PARSED_LATER and len(data) > INLINE_PARSE_BYTES:
            return Unparsed(data, parse_leniently)
        return parse_leniently(data)

    return deserialize


def _bar_refusal(data: bytes) -> UndecodableRequest | None:
    """Why a PlayAlong message cannot be a bar this server takes (None when it can, or is a start): more than
    MAX_BAR_NOTES notes, counted by protobuf's C parser (0.06 ms for 4,096; walking them in Python held the event loop
    8-11 ms, issue 89 P5), or more than MAX_BAR_MESSAGE_BYTES bytes, which no bar of that many notes takes (the C
    count's cost grows with the message's fields: a longer one is only looked at for a bar field at its top level)."""
    if len(data) > MAX_BAR_MESSAGE_BYTES:
        if too_many(data, (), _BAR_FIELD, 0):  # a bar, or more fields at the top than a start has
            return OversizedMessage("PlayAlong", f"the PlayAlong message holds {len(data):,} bytes and is not a start; "
                                                 f"a bar takes at most {MAX_BAR_MESSAGE_BYTES:,} (at most "
                                                 f"{MAX_BAR_NOTES:,} notes)")
        return None
    if len(data) <= 2 * MAX_BAR_NOTES:  # every note takes 2 bytes or more (its key and length): too short to hold more
        return None
    notes = _BAR_NOTES.count(data)
    if notes is not None and notes > MAX_BAR_NOTES:
        return OversizedOptions("PlayAlong", f"PlayAlong: the bar holds {notes:,} notes; a bar may hold at most "
                                             f"{MAX_BAR_NOTES:,} notes")
    return None


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
