"""PlayAlong: one stream's messages in, each bar's drums out. Thin, as the servicer: check the message, ask the
session (seq2drum/live/session.py) what to do, run the bar's job on a worker of the shared pool (the stream holds no
worker between bars), convert back. Errors go through server.status like every call's."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator
from concurrent import futures
from typing import TYPE_CHECKING, Any

import grpc

from seq2drum.live.session import IncomingNote, LiveSession
from seq2drum.options import MAX_SEED
from seq2drum.rpc import seq2drum_pb2

from .admission import LineDeadlineError, LineFullError, WorkerLine
from .convert import options_from_proto
from .live_jobs import LIVE_JOB_LIMIT_S, LiveJob, LiveResult
from .pool import WorkerPool
from .status import ClientGoneError, DeadlinePassedError, RequestTooLargeError, ServerBusyError, StreamProtocolError
from .workers import WorkerCrashedError, WorkerLostError

if TYPE_CHECKING:
    from .config import ServerConfig


class LiveStreamsFullError(RequestTooLargeError):
    """--max-streams play-along streams are open already (RESOURCE_EXHAUSTED: try again later)."""


class PlayAlongStreams:
    """The server's play-along streams: admission by `max_streams`, and each stream's loop."""

    def __init__(self, pool: WorkerPool, line: WorkerLine, config: ServerConfig,
                 waiters: futures.ThreadPoolExecutor) -> None:
        self._pool, self._line, self._config, self._waiters = pool, line, config, waiters
        self.open = 0

    async def play(self, requests: AsyncIterator[Any], context: grpc.aio.ServicerContext,
                   call: Any) -> AsyncIterator[seq2drum_pb2.PlayAlongResponse]:
        if self.open >= self._config.max_streams:
            raise LiveStreamsFullError(f"this server plays along with {self._config.max_streams} streams already "
                                       "(--max-streams); try again later")
        self.open += 1
        try:
            iterator = requests.__aiter__()
            first = await self._next(iterator, self._config.live_idle_s)
            if first is None or first.WhichOneof("part") != "start":
                raise StreamProtocolError("PlayAlong: the first message must be the start (PlayAlongStart)")
            start = first.start
            options = await asyncio.get_running_loop().run_in_executor(None, options_from_proto, start.options)
            parts = [(part.name, part.program, part.channel) for part in start.parts]
            seed = options.seed if options.seed is not None else secrets.randbelow(MAX_SEED + 1)
            begun = await self._job(LiveJob(options, seed, options.groove_midi or None, parts), context)
            notices = [self._config.live_notice] if self._config.live_notice else []
            yield seq2drum_pb2.PlayAlongResponse(ready=seq2drum_pb2.PlayAlongReady(
                model_name=begun.model_name, model_version=begun.model_version, lead_quarters=begun.lead_quarters,
                seed=seed, notices=notices))
            session = LiveSession(begun.roles, begun.state, self._config.live_idle_s)
            while (message := await self._next(iterator, session.idle_limit_s())) is not None:
                if message.WhichOneof("part") != "bar":
                    raise StreamProtocolError("PlayAlong: the start came twice; every message after it is a bar")
                bar = message.bar
                notes = [IncomingNote(n.onset_quarters, n.duration_quarters, n.pitch, n.velocity, n.part)
                         for n in bar.notes]
                started = time.perf_counter()
                decided = session.take(bar.index, bar.numerator, bar.denominator, bar.tempo_bpm, notes)
                if decided is None:
                    yield seq2drum_pb2.PlayAlongResponse(bar=seq2drum_pb2.DrumBar(index=bar.index, resting=True))
                    continue
                result = await self._job(LiveJob(state=session.state, call=decided), context)
                session.state = result.state
                call.bars = session.decided
                hits = [seq2drum_pb2.LiveDrumHit(onset_quarters=h.onset, pitch=h.pitch, velocity=h.velocity,
                                                 duration_quarters=h.duration) for h in result.hits]
                yield seq2drum_pb2.PlayAlongResponse(bar=seq2drum_pb2.DrumBar(
                    index=bar.index, hits=hits, decide_ms=(time.perf_counter() - started) * 1000))
        finally:
            self.open -= 1

    async def _next(self, iterator: AsyncIterator[Any], idle_s: float) -> Any:
        """The stream's next message (None at its end); DeadlinePassedError when none comes within `idle_s`."""
        try:
            message = await asyncio.wait_for(iterator.__anext__(), timeout=idle_s)
        except StopAsyncIteration:
            return None
        except asyncio.TimeoutError:
            raise DeadlinePassedError(f"PlayAlong: no message for {idle_s:.1f} s; the stream was closed (open a "
                                      "new one to play again)") from None
        if hasattr(message, "error"):  # an UndecodableRequest from the lenient deserializer
            raise message.error()
        return message

    async def _job(self, job: LiveJob, context: grpc.aio.ServicerContext) -> LiveResult:
        """Run one job on a worker: wait in the same line as songs, release it at once after."""
        if not self._pool.serving:
            raise ServerBusyError(f"this server has no worker that can run right now ({self._pool.start_problem}); "
                                  "it keeps trying: try again later")
        for _attempt in range(3):
            try:
                worker = await self._line.take(LIVE_JOB_LIMIT_S)
            except LineFullError:
                raise ServerBusyError("the server is too busy to decide the bar; try again later") from None
            except LineDeadlineError:
                raise ServerBusyError("no worker was free to decide the bar in time; try again later") from None
            future = asyncio.get_running_loop().run_in_executor(self._waiters, worker.run, job)
            try:
                result = await asyncio.wait_for(asyncio.shield(future), timeout=LIVE_JOB_LIMIT_S)
            except asyncio.TimeoutError:
                future.add_done_callback(lambda done: done.exception())
                self._pool.discard(worker)
                self._line.freed()
                raise ServerBusyError("a worker took too long to decide the bar; try again") from None
            except asyncio.CancelledError:
                future.add_done_callback(lambda done: done.exception())
                self._pool.discard(worker)
                self._line.freed()
                raise ClientGoneError("the player left") from None
            except WorkerLostError:
                self._pool.discard(worker)
                self._line.freed()
                continue
            except WorkerCrashedError:
                self._pool.discard(worker)
                self._line.freed()
                raise
            except Exception:
                self._pool.release(worker)
                self._line.freed()
                raise
            self._pool.release(worker, result)
            self._line.freed()
            return result
        raise ServerBusyError("workers kept disappearing before they took the bar; try again")
