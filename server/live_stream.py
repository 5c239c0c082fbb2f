"""PlayAlong: one stream's messages in, each bar's drums out. Thin, as the servicer: check the message, ask the
session (seq2drum/live/session.py) what to do, decide the bar, convert back. Errors go through server.status like every
call's.

A bar is decided here, on the event loop, by the live drummer this process loads beside its workers (`LocalDrummer`):
sent to a worker it waited in the songs' line (two songs in the workers made every bar late) and paid two process
hops (a bar's round trip p50 about 8 ms against 5.7 here, bench/bench_live_stream.py). A stream's start runs here
too, but one that brings a groove clip (a MIDI file to parse) and a bar of more than LOCAL_BAR_NOTES notes run on a
worker of the shared pool, as every song does; the stream holds no worker between them. Such a bar is read and
checked there too: making its notes into Python objects took 21 ms of the server's GIL for 4,096 (issue 89 P5). A
stream whose bars come far faster than its music's time has them decided in turns, within a share of the loop
(server/live_share.py), so that it cannot crowd a player's bars (issue 98 Q5). What a bar leaves for the bars after
it (the band read, the plan drawn) runs on a thread once its answer is sent (server/live_local.py `AfterBars`)."""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import AsyncIterator
from concurrent import futures
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import grpc

from seq2drum.live.session import LiveSession, check_parts
from seq2drum.options import MAX_GROOVE_CLIP_BYTES, MAX_SEED
from seq2drum.rpc import seq2drum_pb2

from .admission import LineDeadlineError, LineFullError, WorkerLine
from .convert import options_from_proto
from .live_jobs import LIVE_JOB_LIMIT_S, LiveJob, LiveResult, take_bar
from .live_local import AfterBars, LocalDrummer
from .live_share import AheadTurns, StreamClock, bar_seconds
from .connections import close_connection
from .memory import MiB
from .pool import WorkerPool
from .status import (ClientGoneError, DeadlinePassedError, JobTooLongError, RequestTooLargeError, ServerBusyError,
                     StreamProtocolError)
from .wire import Unparsed
from .workers import WorkerCrashedError, WorkerLostError

if TYPE_CHECKING:
    from .config import ServerConfig

log = logging.getLogger("seq2drum.server")

# the longest PlayAlong message: a start's options (a groove clip of at most MAX_GROOVE_CLIP_BYTES, text options of
# a few KiB) and parts, or a bar of at most MAX_BAR_NOTES notes (about 30 bytes each); a longer one is refused unread
MAX_LIVE_MESSAGE_BYTES = MAX_GROOVE_CLIP_BYTES + 1 * MiB
# the longest bar: MAX_BAR_NOTES notes of at most 38 bytes each (two doubles, three 32-bit varints, a key and a
# length) is 152 KiB; a longer message is a start (a groove clip) or refused unparsed
MAX_BAR_MESSAGE_BYTES = 256 * 1024
ENDED_UNREAD_S = 1.0  # how long an answer may wait unread once its stream's slot went to another player
GONE_WAIT_S = 5.0  # how long a handler whose player has gone waits for gRPC to cancel it (a moment, as a rule)
UNCLOSED_WAIT_S = 0.5  # ... and one whose connection was not found (closed by another of its calls, as a rule)
INLINE_BAR_NOTES = 64  # a bar of up to this many notes is sent to a worker from the event loop, not a thread
# a bar of up to this many notes is checked (0.5 ms for 256) and decided on the event loop (a 16th-note band of 8 parts
# in 4/4 is about 128); a bar of more goes whole, as it came, to a worker
LOCAL_BAR_NOTES = 256


class LiveStreamsFullError(RequestTooLargeError):
    """--max-streams play-along streams are open already (RESOURCE_EXHAUSTED: try again later)."""


class RestingStreamEndedError(RequestTooLargeError):
    """A stream that played nothing for `live_rest_s` gave its slot to a player who asked for one
    (RESOURCE_EXHAUSTED)."""


def peer_address(peer: str) -> str:
    """gRPC's peer without its port ('ipv4:10.0.0.5:51234' -> 'ipv4:10.0.0.5'): each connection has its own port,
    the player's machine one address."""
    kind, _, rest = peer.partition(":")
    return f"{kind}:{rest.rsplit(':', 1)[0]}" if kind in ("ipv4", "ipv6") else peer


@dataclass
class StreamSlot:
    """One open stream's place: whose it is, when it last brought a note (or began), and the future set when it
    must end to make room."""

    peer: str
    played_at: float
    ended: asyncio.Future[None]


class PlayAlongStreams:
    """The server's play-along streams: admission (`max_streams`, at most `max_streams_per_peer` from one address,
    a stream resting past `live_rest_s` ended for a player who asks when none is free), and each stream's loop."""

    def __init__(self, pool: WorkerPool, line: WorkerLine, config: ServerConfig,
                 waiters: futures.ThreadPoolExecutor) -> None:
        self._pool, self._line, self._config, self._waiters = pool, line, config, waiters
        self.slots: list[StreamSlot] = []
        self.local = LocalDrummer(pool.source.live)
        self.ahead = AheadTurns()  # the loop's share of the streams ahead of real time (server/live_share.py)

    @property
    def open(self) -> int:
        return len(self.slots)

    def admit(self, peer: str) -> StreamSlot:
        """A slot for a new stream from `peer`, or LiveStreamsFullError naming the limit it meets. With every slot
        taken, the stream resting longest (no note for `live_rest_s` or more) is ended to make room."""
        config, now = self._config, time.monotonic()
        share = min(config.max_streams_per_peer, config.max_streams)
        if share < config.max_streams and sum(slot.peer == peer for slot in self.slots) >= share:
            raise LiveStreamsFullError(f"this server plays along with at most {share} streams from one address "
                                       "(--max-streams-per-peer); close one, or try again later")
        if len(self.slots) >= config.max_streams:
            resting = [slot for slot in self.slots if now - slot.played_at >= config.live_rest_s]
            if not resting:
                raise LiveStreamsFullError(f"this server plays along with {config.max_streams} streams already "
                                           "(--max-streams); try again later")
            longest = min(resting, key=lambda slot: slot.played_at)
            self.slots.remove(longest)
            if not longest.ended.done():
                longest.ended.set_result(None)
        slot = StreamSlot(peer, now, asyncio.get_running_loop().create_future())
        self.slots.append(slot)
        return slot

    async def play(self, requests: AsyncIterator[Any], context: grpc.aio.ServicerContext, call: Any) -> None:
        """One stream, from its start to its end: each message read (`_next`: its idle limit, its slot given to
        another player), its answer decided and written (`_send`: a player that does not read is hung up on)."""
        slot = self.admit(peer_address(context.peer()))
        try:
            iterator = requests.__aiter__()
            first = await self._next(iterator, self._config.live_idle_s, slot, call)
            if first is None or first.WhichOneof("part") != "start":
                raise StreamProtocolError("PlayAlong: the first message must be the start (PlayAlongStart)")
            session, ready = await self._begin(first.start, context)
            await self._send(seq2drum_pb2.PlayAlongResponse(ready=ready), context, slot, call)
            clock, after = StreamClock(), AfterBars(self.local)
            while (message := await self._next(iterator, min(session.idle_limit_s(), self._config.live_max_idle_s),
                                               slot, call)) is not None:
                if message.WhichOneof("part") == "part_switch":  # from the next phrase; no answer of its own
                    session.switch_part(message.part_switch.part)
                    continue
                if message.WhichOneof("part") != "bar":
                    raise StreamProtocolError("PlayAlong: the start came twice; every message after it is a bar or a "
                                              "part switch")
                bar = message.bar
                session.state = await after.ready(session.state, bar.index)  # the work due at the bar, done
                if clock.ahead(bar_seconds(bar.numerator, bar.denominator, bar.tempo_bpm)):
                    async with self.ahead.turn():  # one bar at a time, within their share of the loop
                        session, answer = await self._bar(bar, session, slot, context)
                else:
                    session, answer = await self._bar(bar, session, slot, context)
                call.bars = session.decided
                await self._send(answer, context, slot, call)
                session.state = after.started(session.state)  # the bar's drums are out: what it left, on a thread
        finally:
            if slot in self.slots:
                self.slots.remove(slot)

    async def _bar(self, bar: seq2drum_pb2.PlayedBar, session: LiveSession, slot: StreamSlot,
                   context: grpc.aio.ServicerContext) -> tuple[LiveSession, seq2drum_pb2.PlayAlongResponse]:
        """One bar decided: here (at most LOCAL_BAR_NOTES notes, with the drummer loaded here), or on a worker. The
        stream's session after it, and the bar's answer (its DrumBar filled in place: made apart, the hits were
        copied into it and it into the answer, 20-50 us a bar)."""
        if bar.notes:
            slot.played_at = time.monotonic()
        started = time.perf_counter()
        if len(bar.notes) > LOCAL_BAR_NOTES:  # read, checked and decided on a worker (up to MAX_BAR_NOTES)
            result = await self._job(LiveJob(bar=bar.SerializeToString(), session=session), context)
            session, resting = result.session, result.resting
        else:
            decided = take_bar(session, bar)
            resting = decided is None
            if decided is not None:
                job = LiveJob(state=session.state, call=decided)
                result = self.local.run(job) if self.local.decides() else await self._job(job, context)
                session.state = result.state
        answer = seq2drum_pb2.PlayAlongResponse()
        drums = answer.bar
        drums.index = bar.index
        if resting:
            drums.resting = True
            return session, answer
        add = drums.hits.add
        for hit in result.hits:
            add(onset_quarters=hit.onset, pitch=hit.pitch, velocity=hit.velocity, duration_quarters=hit.duration)
        drums.decide_ms = (time.perf_counter() - started) * 1000
        return session, answer

    async def _send(self, response: seq2drum_pb2.PlayAlongResponse, context: grpc.aio.ServicerContext,
                    slot: StreamSlot, call: Any) -> None:
        """Write one answer, its bytes counted in `call.bytes_out`. A player that leaves it unread for `live_unread_s`
        (or ENDED_UNREAD_S once its slot was given to another player) is hung up on (`_hang_up`): the write waits on
        HTTP/2 flow control, and no status can pass it (issue 89 P1: such calls lived on, 7 MB each)."""
        write = asyncio.ensure_future(context.write(response))
        write.add_done_callback(_retrieve)
        loop = asyncio.get_running_loop()
        give_up_at = loop.time() + self._config.live_unread_s
        await asyncio.wait((write, slot.ended), timeout=self._config.live_unread_s,
                           return_when=asyncio.FIRST_COMPLETED)
        if not write.done() and slot.ended.done():
            await asyncio.wait((write,), timeout=max(0.0, min(ENDED_UNREAD_S, give_up_at - loop.time())))
        if not write.done():
            waited_s = loop.time() - give_up_at + self._config.live_unread_s
            await self._hang_up(context, call, f"the player left an answer unread for {waited_s:.1f} s"
                                               + (", its slot given to another player" if slot.ended.done() else ""))
        if write.cancelled() or _failed_in_grpc(write.exception()):  # the write failed: the player has gone
            await _gone(call)
        write.result()  # any other failure is this server's own, raised as it is (INTERNAL)
        call.bytes_out += response.ByteSize()

    async def _hang_up(self, context: grpc.aio.ServicerContext, call: Any, reason: str) -> None:
        """End a call whose answers wait unread: close its connection (server/connections.py), then wait for gRPC to
        cancel this handler, as it does for every call on a closed connection."""
        peer = context.peer()
        call.ended_by = f"{reason}: its connection was closed"
        closed = close_connection(peer)
        # gRPC cancels this handler meanwhile, as a rule (also where another call closed the same connection first)
        await asyncio.sleep(GONE_WAIT_S if closed else UNCLOSED_WAIT_S)
        call.ended_by = f"{reason}; its connection could not be closed, so its call lasts until the player goes"
        log.warning("PlayAlong from %s: %s", peer or "a player", call.ended_by)
        raise asyncio.CancelledError  # no status can reach a player who does not read: none is sent

    async def _begin(self, start: seq2drum_pb2.PlayAlongStart, context: grpc.aio.ServicerContext
                     ) -> tuple[LiveSession, seq2drum_pb2.PlayAlongReady]:
        """Check the start (off the event loop) and run it (here, or on a worker where it brings a groove clip): the
        stream's session and the answer."""
        check_parts(start.parts, start.switch_parts)
        options = await asyncio.get_running_loop().run_in_executor(None, options_from_proto, start.options)
        parts = [(part.name, part.program, part.channel) for part in start.parts]
        seed = options.seed if options.seed is not None else secrets.randbelow(MAX_SEED + 1)
        job = LiveJob(options, seed, options.groove_midi or None, parts, list(start.switch_parts))
        begun = self.local.run(job) if self.local.begins(job) else await self._job(job, context)
        notices = [self._config.live_notice] if self._config.live_notice else []
        ready = seq2drum_pb2.PlayAlongReady(model_name=begun.model_name, model_version=begun.model_version,
                                            lead_quarters=begun.lead_quarters, seed=seed, notices=notices)
        return LiveSession(begun.roles, begun.state, self._config.live_idle_s, rest_after=options.rest_after), ready

    async def _next(self, iterator: AsyncIterator[Any], idle_s: float, slot: StreamSlot, call: Any) -> Any:
        """The stream's next message (None at its end), its bytes counted in `call.bytes_in`; DeadlinePassedError
        when none comes within `idle_s`, RestingStreamEndedError once its slot was given to another player."""
        receive = asyncio.ensure_future(iterator.__anext__())
        receive.add_done_callback(_retrieve)  # the player's StopAsyncIteration when it left meanwhile: read here
        try:
            await asyncio.wait((receive, slot.ended), timeout=idle_s, return_when=asyncio.FIRST_COMPLETED)
        finally:
            if slot.ended.done() or not receive.done():
                receive.cancel()
        if slot.ended.done() or not receive.done():
            if slot.ended.done():
                raise RestingStreamEndedError(
                    f"resting stream ended: others are waiting (no note for {self._config.live_rest_s:g} s or more "
                    f"while all {self._config.max_streams} play-along streams were taken); open a new one to play "
                    "again")
            raise DeadlinePassedError(f"PlayAlong: no message for {idle_s:.1f} s; the stream was closed (open a "
                                      "new one to play again)")
        if receive.cancelled():
            await _gone(call)
        error = receive.exception()
        if isinstance(error, StopAsyncIteration):
            return None
        if _failed_in_grpc(error):  # gRPC's read failed: the player has gone
            await _gone(call)
        message = receive.result()  # any other failure raised as it is
        if isinstance(message, Unparsed):  # past app.INLINE_PARSE_BYTES (a groove clip, a bar of many notes)
            call.bytes_in += len(message.data)
            message = await asyncio.get_running_loop().run_in_executor(None, message.parse)
        elif not hasattr(message, "error"):  # parsed as it came (a bar the loop decides, a start without a clip)
            call.bytes_in += message.ByteSize()
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
            loop = asyncio.get_running_loop()  # a bar sent and answered on the loop itself (no thread between); a
            # start (which may bring a clip) and a bar of many notes (a send that could wait on the pipe) on a thread
            future = (worker.run_on_loop(job, loop) if job.call is not None and len(job.call.played) <= INLINE_BAR_NOTES
                      else loop.run_in_executor(self._waiters, worker.run, job))
            try:
                result = await asyncio.wait_for(asyncio.shield(future), timeout=LIVE_JOB_LIMIT_S)
            except asyncio.TimeoutError:
                future.add_done_callback(lambda done: done.exception())
                self._pool.discard(worker)
                self._line.freed()
                raise JobTooLongError(f"the bar took longer than this server's limit of {LIVE_JOB_LIMIT_S:g} s per "
                                      "bar to decide; the worker was replaced") from None
            except asyncio.CancelledError:  # the player left: a bar's job is short, so it finishes (issue 42, 7)
                self._release_when_done(future, worker)
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

    def _release_when_done(self, future: asyncio.Future[Any], worker: Any) -> None:
        """A job nobody waits for any more goes on: its worker goes back once it answers (a bar takes milliseconds),
        and is replaced only if it has not answered within LIVE_JOB_LIMIT_S. Killing it at once cost a worker start
        per cancelled stream: 40 cancels, 14 replacements in 23 s."""
        settled = False

        def done(finished: asyncio.Future[Any]) -> None:
            nonlocal settled
            stuck_timer.cancel()
            error = None if finished.cancelled() else finished.exception()
            if settled:
                return
            settled = True
            if isinstance(error, WorkerCrashedError) or finished.cancelled():
                self._pool.discard(worker)
            else:
                self._pool.release(worker, None if error is not None else finished.result())
            self._line.freed()

        def stuck() -> None:
            nonlocal settled
            if not settled and not future.done():
                settled = True
                self._pool.discard(worker)
                self._line.freed()

        stuck_timer = asyncio.get_running_loop().call_later(LIVE_JOB_LIMIT_S, stuck)
        future.add_done_callback(done)


def _retrieve(task: asyncio.Future[Any]) -> None:
    """Read a finished task's exception, so that one nobody awaits any more (a read or write of a player who left) is
    not logged as 'Task exception was never retrieved'."""
    if not task.cancelled():
        task.exception()


def _failed_in_grpc(error: BaseException | None) -> bool:
    """Whether a read or write failed in gRPC itself (its ExecuteBatchError, a private type: the call is over), not in
    this server's own code."""
    return error is not None and type(error).__module__.startswith("grpc")


async def _gone(call: Any) -> None:
    """A read or write of the stream failed: its player has gone, and gRPC cancels this handler in a moment (which
    keeps the call quiet: a status sent now would fail and be logged as ExecuteBatchError)."""
    call.ended_by = call.ended_by or "the player left"
    await asyncio.sleep(GONE_WAIT_S)
    raise asyncio.CancelledError
