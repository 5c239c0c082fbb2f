"""The server's factory `create_server`: the Seq2Drum service (server.servicer) with the standard health and
reflection services, over a pool of worker processes, within the limits of a `ServerConfig` (server.config).

Nothing from a request becomes a file path and nothing is unpickled from a client: the request's bytes only reach
`read_midi` and `DrumGenerator.generate`, in a worker. This process imports neither torch nor music21."""

from __future__ import annotations

import asyncio
from typing import Any

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from seq2drum.rpc import seq2drum_pb2, seq2drum_pb2_grpc

from .config import ServerConfig
from .security import TokenCheck, server_credentials
from .servicer import Seq2DrumServicer, note_request_bytes
from .status import OversizedOptions, UndecodableRequest
from .wire import SMALLEST_LIMIT, oversized_option
from .pool import WorkerPool

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
    server = grpc.aio.server(
        interceptors=[TokenCheck(config.token)] if config.token else None,
        options=[
            ("grpc.max_receive_message_length", config.max_message_bytes),
            ("grpc.max_send_message_length", config.max_message_bytes),
            ("grpc.so_reuseport", 0),  # a second server on a taken port must fail, not share it
        ],
        maximum_concurrent_rpcs=config.max_concurrent_calls,
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


# the field of each method's request that holds GenerationOptions (its sizes are checked before parsing)
_OPTIONS_FIELD = {"Generate": seq2drum_pb2.GenerateRequest.DESCRIPTOR.fields_by_name["options"].number,
                  "GenerateStream": seq2drum_pb2.GenerateStreamRequest.DESCRIPTOR.fields_by_name["options"].number}


def _lenient(method: str, parse: Any) -> Any:
    """A request deserializer that never raises: grpc answers a deserializer's exception with UNKNOWN, so bytes that
    do not parse become an `UndecodableRequest`, which the servicer refuses as INVALID_ARGUMENT. Options longer than
    any valid value are refused from the raw bytes, unparsed (server/wire.py)."""
    options_field = _OPTIONS_FIELD.get(method)

    def deserialize(data: bytes) -> Any:
        note_request_bytes(len(data))
        if options_field is not None and len(data) > SMALLEST_LIMIT:
            problem = oversized_option(data, options_field)
            if problem is not None:
                return OversizedOptions(method, problem)
        try:
            return parse(data)
        except Exception as exc:  # noqa: BLE001  (any failure to parse a client's bytes is about the input)
            return UndecodableRequest(method, f"{type(exc).__name__}: {exc}")

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
