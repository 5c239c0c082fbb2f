"""The Seq2Drum servicer: a thin asyncio layer over a pool of worker processes. No model code here.

Every request goes the same way: check the options and the deadline, receive the whole file (a stream upload has an
idle timeout and a cap on how many run at once), then take a worker, waiting in a bounded line (full: UNAVAILABLE,
the client retries), hand it the job and wait. A client that cancels, or whose deadline passes, has its worker killed
at once and replaced (see server.workers). Errors become status codes in server.status.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import AsyncIterator
from types import TracebackType
from typing import TYPE_CHECKING

import grpc

from seq2drum.errors import escape_controls
from seq2drum.options import GenerationOptions
from seq2drum.rpc import seq2drum_pb2, seq2drum_pb2_grpc

from .arrange_jobs import ArrangeJob
from .config import MESSAGE_ENVELOPE_BYTES
from .live_stream import PlayAlongStreams
from .convert import (arrangement_to_proto, metadata_to_proto, model_info_to_proto, options_from_proto,
                      take_to_proto)
from .jobs import SongRunner
from .status import (DeadlinePassedError, RequestTooLargeError, ServerBusyError, StreamProtocolError,
                     UndecodableRequest, status_for)
from .memory import MiB, release_memory
from .pool import WorkerPool
from .workers import JobResult

if TYPE_CHECKING:
    from .config import ServerConfig

log = logging.getLogger("seq2drum.server")

_TRIM_DELAY_S = 0.2  # after the last call in flight ends, before the heap is trimmed
_DEADLINE_SLACK_S = 0.05  # grpc may cancel a handler a moment before the deadline by this process's clock


class _Call:
    """One request: maps any exception to a status (aborting the RPC with it) and writes the one log line.

    When the last call in flight ends and a large request came in since the last time, the freed heap is handed
    back to the OS a moment later (trimming while other calls still hold their buffers would give back little)."""

    in_flight = 0  # handlers running
    held = 0  # calls gRPC still holds: a handler's, and one whose status has not gone out yet (its client's to read)
    large_since_trim = False

    def __init__(self, method: str, context: grpc.aio.ServicerContext, bytes_in: int = 0) -> None:
        self.method = method
        self.context = context
        self.bytes_in = bytes_in
        self.bytes_out = 0
        self.bars = -1
        self.ended_by = ""  # why the server ended a call it could send no status to (logged with CANCELLED)
        self.started = time.perf_counter()
        # when the client's deadline falls: once grpc has cancelled the handler, time_remaining() no longer says
        remaining_s = context.time_remaining()
        self.deadline = None if remaining_s is None else time.monotonic() + remaining_s
        log.debug("%s started", method)

    async def __aenter__(self) -> _Call:
        _Call.in_flight += 1
        _Call.held += 1
        self.context.add_done_callback(_released)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        _Call.in_flight -= 1
        _Call.large_since_trim |= self.bytes_in > MiB
        if _Call.in_flight == 0 and _Call.large_since_trim:
            asyncio.get_running_loop().call_later(_TRIM_DELAY_S, _trim_when_idle)
        if exc is None:
            self._log(grpc.StatusCode.OK)
            return
        if isinstance(exc, asyncio.CancelledError):  # grpc cancelled the handler: the client left or timed out
            expired = self.deadline is not None and time.monotonic() >= self.deadline - _DEADLINE_SLACK_S
            self._log(grpc.StatusCode.DEADLINE_EXCEEDED if expired else grpc.StatusCode.CANCELLED, self.ended_by)
            return
        if not isinstance(exc, Exception):  # GeneratorExit: the client stopped reading a stream
            self._log(grpc.StatusCode.CANCELLED)
            return
        if isinstance(exc, grpc.aio.AbortError):
            return
        code, message = status_for(exc)
        if code == grpc.StatusCode.INTERNAL:
            log.error("%s failed unexpectedly", self.method, exc_info=exc)
        self._log(code, message)
        try:
            await self.context.abort(code, message)  # raises: the RPC ends here with this status
        except grpc.aio.AbortError:
            raise
        except Exception:  # noqa: BLE001  the status could not be sent (gRPC's ExecuteBatchError): the client left
            raise asyncio.CancelledError from None  # ended quietly, as gRPC ends a call its client cancelled

    def _log(self, code: grpc.StatusCode, message: str = "") -> None:
        elapsed_ms = (time.perf_counter() - self.started) * 1000
        bars = self.bars if self.bars >= 0 else "-"
        reason = f" ({escape_controls(message[:200])})" if message else ""  # one line, whatever the message holds
        log.info("%s bytes_in=%d bars=%s bytes_out=%d status=%s ms=%.1f%s",
                 self.method, self.bytes_in, bars, self.bytes_out, code.name, elapsed_ms, reason)


def _released(_context: grpc.aio.ServicerContext) -> None:
    """gRPC is done with a call (its status went out, or it was cancelled)."""
    _Call.held -= 1


def note_request_bytes(size: int) -> None:
    """Called with the size of every request message as it is decoded: a large one (MIDI or options) means the heap
    is trimmed once no call is in flight (a flood of 15 MB options left the process at 525-745 MiB)."""
    _Call.large_since_trim |= size > MiB


def _trim_when_idle() -> None:
    """Once no call is in flight (their request objects are gone by now), collect and give freed pages back."""
    if _Call.in_flight == 0 and _Call.large_since_trim:
        _Call.large_since_trim = False
        # on a thread: malloc_trim of a heap left fragmented by a flood of 15 MB messages took long enough to show in
        # health latency (ctypes lets go of the GIL while it runs)
        asyncio.get_running_loop().run_in_executor(None, release_memory)


class Seq2DrumServicer(seq2drum_pb2_grpc.Seq2DrumServicer):
    """Validate, hand the job to a worker, convert back. No model code here."""

    def __init__(self, pool: WorkerPool, config: ServerConfig) -> None:
        self._pool = pool
        self._config = config
        self._uploads = 0
        self._runner = SongRunner(pool, config)
        self._model_info = model_info_to_proto(pool.model_info, config)
        self._streams = PlayAlongStreams(pool, self._runner.line, config, self._runner.waiters)

    async def Generate(
        self, request: seq2drum_pb2.GenerateRequest, context: grpc.aio.ServicerContext
    ) -> seq2drum_pb2.GenerateResponse:
        if isinstance(request, UndecodableRequest):
            async with _Call("Generate", context):
                raise request.error()
        async with _Call("Generate", context, len(request.midi)) as call:
            options = await self._options(request.options)
            result, server_ms = await self._generate(request.midi, options, context, call)
            out_bytes = len(result.midi_bytes) + sum(len(midi) for midi, _ in result.more_takes)
            if out_bytes > self._config.max_message_bytes - MESSAGE_ENVELOPE_BYTES * (1 + len(result.more_takes)):
                raise RequestTooLargeError(
                    f"the drum file{'s' if result.more_takes else ''} come to {out_bytes} bytes, past this server's "
                    f"message limit of {self._config.max_message_bytes} bytes; use GenerateStream"
                )
            call.bytes_out = out_bytes
            more = [take_to_proto(result, index) for index in range(2, len(result.more_takes) + 2)]
            return seq2drum_pb2.GenerateResponse(midi=result.midi_bytes, metadata=metadata_to_proto(result, server_ms),
                                                 more_takes=more)
        raise AssertionError("unreachable: _Call aborts on every error")

    async def GenerateStream(
        self, request_iterator: AsyncIterator[seq2drum_pb2.GenerateStreamRequest], context: grpc.aio.ServicerContext
    ) -> AsyncIterator[seq2drum_pb2.GenerateStreamResponse]:
        async with _Call("GenerateStream", context) as call:
            midi, options_message = await self._read_upload(request_iterator, call)
            options = await self._options(options_message)
            result, server_ms = await self._generate(midi, options, context, call)
            del midi
            chunk_bytes = self._config.stream_chunk_bytes
            takes = [result.midi_bytes, *(midi for midi, _ in result.more_takes)]
            for take, midi_bytes in enumerate(takes, start=1):  # each take: its metadata, then its chunks
                yield seq2drum_pb2.GenerateStreamResponse(metadata=metadata_to_proto(result, server_ms, take))
                for start in range(0, len(midi_bytes), chunk_bytes):
                    chunk = midi_bytes[start : start + chunk_bytes]
                    yield seq2drum_pb2.GenerateStreamResponse(midi_chunk=chunk)
                    call.bytes_out += len(chunk)

    async def GetModelInfo(
        self, request: seq2drum_pb2.GetModelInfoRequest, context: grpc.aio.ServicerContext
    ) -> seq2drum_pb2.GetModelInfoResponse:
        async with _Call("GetModelInfo", context):
            if isinstance(request, UndecodableRequest):
                raise request.error()
            return self._model_info
        raise AssertionError("unreachable")

    async def PlayAlong(
        self, request_iterator: AsyncIterator[seq2drum_pb2.PlayAlongRequest], context: grpc.aio.ServicerContext
    ) -> None:
        """Writes its answers itself (`context.write`, each with a time limit: server/live_stream.py), where an async
        generator's answers were written by gRPC, which waited forever on a player who did not read."""
        async with _Call("PlayAlong", context) as call:
            await self._streams.play(request_iterator, context, call)

    async def Arrange(
        self, request: seq2drum_pb2.ArrangeRequest, context: grpc.aio.ServicerContext
    ) -> seq2drum_pb2.ArrangeResponse:
        """A song's sections and the parts each can play, ranked (server.arrange_jobs), on a worker like Generate."""
        if isinstance(request, UndecodableRequest):
            async with _Call("Arrange", context):
                raise request.error()
        async with _Call("Arrange", context, len(request.midi)) as call:
            options = await self._options(request.options)
            make = functools.partial(ArrangeJob, drummer=request.drummer)
            result, _ = await self._runner.run(request.midi, options, context.time_remaining, "Arrange", make)
            call.bars = result.bars
            return arrangement_to_proto(result)
        raise AssertionError("unreachable: _Call aborts on every error")

    # ------------------------------------------------------------------------------------------ steps

    async def _options(self, message: seq2drum_pb2.GenerationOptions) -> GenerationOptions:
        """The request's options, checked off the event loop (a kit map is parsed as JSON: the loop must keep
        answering health checks and other calls meanwhile)."""
        return await asyncio.get_running_loop().run_in_executor(None, options_from_proto, message)

    async def _read_upload(
        self, request_iterator: AsyncIterator[seq2drum_pb2.GenerateStreamRequest], call: _Call
    ) -> tuple[bytes, seq2drum_pb2.GenerationOptions]:
        """Receive the whole file before a worker is taken: chunks at most `upload_idle_s` apart, the upload within
        `upload_total_s` and `max_stream_bytes`, at most `max_uploads` at once. Options only first, at most once."""
        config = self._config
        if self._uploads >= config.max_uploads:
            raise ServerBusyError(f"the server is receiving {config.max_uploads} uploads already; "
                                  "try again in a few seconds")
        self._uploads += 1
        try:
            options: seq2drum_pb2.GenerationOptions | None = None
            chunks: list[bytes] = []
            iterator = request_iterator.__aiter__()
            loop = asyncio.get_running_loop()
            started = loop.time()
            give_up_at = started + config.upload_total_s
            index = 0
            while True:
                # a slow drip (a byte every few seconds) must not hold an upload slot for the whole upload limit
                too_slow_at = started + max(config.upload_grace_s, call.bytes_in / config.min_upload_bytes_per_s)
                wait_s = min(config.upload_idle_s, give_up_at - loop.time(), too_slow_at - loop.time())
                try:
                    message = await asyncio.wait_for(iterator.__anext__(), timeout=max(wait_s, 0.001))
                except StopAsyncIteration:
                    break
                except asyncio.TimeoutError:
                    raise self._upload_timeout(loop.time(), give_up_at, too_slow_at, call.bytes_in) from None
                options = self._take_upload_message(index, message, options, chunks, call)
                index += 1
            return b"".join(chunks), options or seq2drum_pb2.GenerationOptions()
        finally:
            self._uploads -= 1

    def _upload_timeout(self, now: float, give_up_at: float, too_slow_at: float, bytes_in: int) -> DeadlinePassedError:
        config = self._config
        if now >= give_up_at:
            return DeadlinePassedError(
                f"the upload took longer than this server's limit of {config.upload_total_s:g} s")
        if now >= too_slow_at:
            return DeadlinePassedError(
                f"the upload is too slow: {bytes_in} bytes in {now - give_up_at + config.upload_total_s:.0f} s; this "
                f"server needs at least {config.min_upload_bytes_per_s / 1024:g} KiB/s after the first "
                f"{config.upload_grace_s:g} s: send the file again over a faster connection")
        return DeadlinePassedError(f"the upload stalled: no chunk for {config.upload_idle_s:g} s; send the file again")

    def _take_upload_message(
        self,
        index: int,
        message: seq2drum_pb2.GenerateStreamRequest,
        options: seq2drum_pb2.GenerationOptions | None,
        chunks: list[bytes],
        call: _Call,
    ) -> seq2drum_pb2.GenerationOptions | None:
        if isinstance(message, UndecodableRequest):
            raise message.error()
        part = message.WhichOneof("part")
        if part == "options":
            if index > 0:
                raise StreamProtocolError("GenerateStream: options may only come in the first message")
            return message.options
        if part == "midi_chunk" and message.midi_chunk:
            call.bytes_in += len(message.midi_chunk)
            if call.bytes_in > self._config.max_stream_bytes:
                raise RequestTooLargeError(
                    f"the upload passed this server's limit of {self._config.max_stream_bytes} bytes "
                    f"({self._config.max_stream_bytes / MiB:.1f} MiB)"
                )
            chunks.append(message.midi_chunk)
            return options
        # An empty message or chunk is refused, so the number of messages stays bounded by the byte limit.
        raise StreamProtocolError(f"GenerateStream: message {index + 1} carries neither options nor MIDI bytes")

    async def _generate(
        self, midi: bytes, options: GenerationOptions, context: grpc.aio.ServicerContext, call: _Call | None
    ) -> tuple[JobResult, float]:
        """Run the song on a worker (server.jobs: the line, the job limit, the worker killed if the client goes or the
        deadline passes)."""
        method = call.method if call is not None else "Generate"
        result, server_ms = await self._runner.run(midi, options, context.time_remaining, method)
        if call is not None:
            call.bars = result.bars
        return result, server_ms
