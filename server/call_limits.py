"""How many calls of each kind run at once. Health is open to anyone (server.security: load balancers probe it
without the token), so it gets a room of its own: health Watch streams and health Checks each have a small cap, and
the calls that need the token have theirs (`ServerConfig.max_concurrent_calls`). 110 unauthenticated Watch streams
once took every slot of gRPC's one cap, and every authenticated call got RESOURCE_EXHAUSTED (issue 42, 1).

gRPC's own cap (`maximum_concurrent_rpcs`) stays above the sum, as a backstop. A call past its kind's cap ends at
once with RESOURCE_EXHAUSTED naming the limit."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import grpc

HEALTH_PREFIX = "/grpc.health.v1.Health/"
HEALTH_WATCH = "/grpc.health.v1.Health/Watch"
MAX_HEALTH_CHECKS = 16  # health Checks in flight (each takes microseconds)


class CallLimits(grpc.aio.ServerInterceptor):
    """Counts the calls in flight by kind ("calls", "health watches", "health checks") and refuses one past its cap."""

    def __init__(self, max_calls: int, max_health_watches: int, max_health_checks: int = MAX_HEALTH_CHECKS) -> None:
        self.limits = {"calls": max_calls, "health watches": max_health_watches, "health checks": max_health_checks}
        self.open = dict.fromkeys(self.limits, 0)

    async def intercept_service(
        self, continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(details)
        if handler is None:
            return handler
        method = details.method
        kind = ("health watches" if method == HEALTH_WATCH else "health checks" if method.startswith(HEALTH_PREFIX)
                else "calls")
        return _counted(handler, kind, self)

    def enter(self, kind: str) -> str:
        """Count one more call of `kind`; the refusal's message when its cap is reached ("" when admitted)."""
        if self.open[kind] >= self.limits[kind]:
            return (f"this server has {self.limits[kind]} {kind} in flight already, its limit; "
                    + ("close a health Watch stream, or use health Check" if kind != "calls" else
                       "wait for some to end"))
        self.open[kind] += 1
        return ""

    def leave(self, kind: str) -> None:
        self.open[kind] -= 1


def _counted(handler: grpc.RpcMethodHandler, kind: str, limits: CallLimits) -> grpc.RpcMethodHandler:
    """`handler` with its behavior counted under `kind` while it runs (on the event loop: no lock needed)."""
    streaming = handler.response_streaming
    behavior = (handler.unary_unary or handler.unary_stream or handler.stream_unary or handler.stream_stream)

    if not (inspect.isasyncgenfunction(behavior) or inspect.iscoroutinefunction(behavior)):
        return handler  # a synchronous handler (none is registered here) runs as it is
    if inspect.isasyncgenfunction(behavior):
        async def counted_stream(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
            refusal = limits.enter(kind)
            if refusal:
                await context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, refusal)
            try:
                async for response in behavior(request, context):
                    yield response
            finally:
                limits.leave(kind)

        wrapped: Any = counted_stream
    else:
        async def counted(request: Any, context: grpc.aio.ServicerContext) -> Any:
            refusal = limits.enter(kind)
            if refusal:
                await context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, refusal)
            try:
                return await behavior(request, context)
            finally:
                limits.leave(kind)

        wrapped = counted
    kinds = {(False, False): grpc.unary_unary_rpc_method_handler, (False, True): grpc.unary_stream_rpc_method_handler,
             (True, False): grpc.stream_unary_rpc_method_handler, (True, True): grpc.stream_stream_rpc_method_handler}
    make = kinds[(handler.request_streaming, streaming)]
    return make(wrapped, request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer)
