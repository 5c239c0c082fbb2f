"""The whole server in a thread, for callers that are not async: tests and benchmarks (a harness, not part of
what `python -m server` runs)."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import grpc
from grpc_health.v1 import health, health_pb2

from .app import SERVICE_NAME, create_server
from .config import ServerConfig
from .pool import WorkerPool
from .workers import ModelSource


async def _new_health_servicer() -> health.aio.HealthServicer:
    return health.aio.HealthServicer()  # made on the server's loop, where it is used


class ServerThread:
    """The whole server (workers, asyncio loop, gRPC) for callers that are not async: tests and benchmarks.

        with ServerThread("127.0.0.1:0", ModelSource(checkpoint), config) as running:
            channel = grpc.insecure_channel(f"127.0.0.1:{running.port}")
    """

    def __init__(self, address: str, source: ModelSource, config: ServerConfig | None = None) -> None:
        self.address = address
        self.config = config or ServerConfig()
        self.pool = WorkerPool(source, self.config.workers, self.config.recycle_mib,
                               max_worker_mib=self.config.max_worker_mib)
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="seq2drum-server-loop", daemon=True)
        self._server: grpc.aio.Server | None = None
        self._health: health.aio.HealthServicer | None = None

    def start(self) -> ServerThread:
        self.pool.start()
        self._thread.start()
        try:
            self._health = self._run(_new_health_servicer())
            self._server, self.port = self._run(create_server(self.address, self.pool, self.config, self._health))
            self._run(self._server.start())
        except BaseException:
            self.stop()
            raise
        return self

    def set_serving(self, serving: bool) -> None:
        """Health SERVING or NOT_SERVING, as `python -m server` reports while it runs and once it shuts down."""
        assert self._health is not None, "start the server first"
        status = health_pb2.HealthCheckResponse.SERVING if serving else health_pb2.HealthCheckResponse.NOT_SERVING
        for service in ("", SERVICE_NAME):
            self._run(self._health.set(service, status))

    def stop(self, grace_s: float | None = None) -> None:
        if self._server is not None:
            self._run(self._server.stop(grace_s))
            self._server = None
        self.pool.close()
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)

    def _run(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(60)

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop(0)
