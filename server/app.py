"""The gRPC service: a thin asyncio servicer over a pool of worker processes, and the server factories.

Every request goes the same way: check the options and the deadline, receive the whole file (a stream upload has an
idle timeout and a cap on how many run at once), then take a worker without waiting (none free: UNAVAILABLE, the
client retries), hand it the job and wait. A client that cancels, or whose deadline passes, has its worker killed at
once and replaced (see server.workers). Domain errors become status codes in exactly one place (`status_for`), so
an expected failure never reaches a client as UNKNOWN or INTERNAL. Nothing from a request becomes a file path and
nothing is unpickled from a client: the request's bytes only reach `read_midi` and `DrumGenerator.generate`, in a
worker. This process imports neither torch nor music21.
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import threading
import time
from collections.abc import AsyncIterator
from concurrent import futures
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from seq2drum.rpc import seq2drum_pb2, seq2drum_pb2_grpc
from seq2drum.config import MAX_SEED, MAX_TAKES, MAX_TEMPERATURE, GenerationOptions
from seq2drum.errors import ConfigError, CountInError, MidiReadError, NoGuitarError, Seq2DrumError
from seq2drum.midi.scan import MAX_SONG_QUARTERS, ReadLimits

from .admission import LineDeadlineError, LineFullError, WorkerLine
from .workers import Job, JobResult, ModelSource, Worker, WorkerCrashedError, WorkerPool, release_memory

log = logging.getLogger("seq2drum.server")

MiB = 1024 * 1024
SERVICE_NAME = seq2drum_pb2.DESCRIPTOR.services_by_name["Seq2Drum"].full_name  # "seq2drum.v1.Seq2Drum"
# GenerationOptions' accepted ranges, advertised by GetModelInfo.
TEMPERATURE_RANGE = (0.0, MAX_TEMPERATURE)
SEED_MAX = MAX_SEED
_MESSAGE_ENVELOPE_BYTES = 4096  # room for the metadata next to the MIDI bytes in one message
_TRIM_DELAY_S = 0.2  # after the last call in flight ends, before the heap is trimmed
_MAX_STATUS_CHARS = 2000  # status details travel in a trailer; a 1000-part listing must not overflow it


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
    max_concurrent_calls: int = 100  # calls of any kind in flight; past it gRPC itself answers RESOURCE_EXHAUSTED
    recycle_mib: float = 32.0  # a worker that grew more than this over its idle memory is replaced after its job
    torch_threads: int = 1  # per worker
    read_limits: ReadLimits = field(default_factory=ReadLimits)  # notes, events, tempo and meter changes

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
        if not 1 <= self.stream_chunk_bytes <= self.max_message_bytes - _MESSAGE_ENVELOPE_BYTES:
            raise ConfigError(
                f"stream_chunk_bytes must be 1 - {self.max_message_bytes - _MESSAGE_ENVELOPE_BYTES}, "
                f"got {self.stream_chunk_bytes}"
            )
        if not 1 <= self.max_uploads <= 1024:
            raise ConfigError(f"max_uploads must be 1-1024, got {self.max_uploads}")
        if not 0 < self.upload_idle_s <= self.upload_total_s:
            raise ConfigError(f"upload_idle_s must be > 0 and at most upload_total_s, got {self.upload_idle_s}")
        if not 0 <= self.max_waiting <= 1024:
            raise ConfigError(f"max_waiting must be 0-1024, got {self.max_waiting}")
        if self.max_concurrent_calls < self.workers + self.max_waiting + self.max_uploads + 2:
            raise ConfigError(f"max_concurrent_calls must be at least workers + max_waiting + max_uploads + 2, "
                              f"got {self.max_concurrent_calls}")
        if self.recycle_mib <= 0:
            raise ConfigError(f"recycle_mib must be > 0, got {self.recycle_mib}")
        if not 1 <= self.torch_threads <= 256:
            raise ConfigError(f"torch_threads must be 1-256, got {self.torch_threads}")

    @property
    def limits(self) -> ReadLimits:
        """The reader's limits with this server's song length."""
        return ReadLimits(**{**self.read_limits.__dict__, "max_song_quarters": self.max_song_quarters})


# ---------------------------------------------------------------------------------------------- errors


class ServerBusyError(Seq2DrumError):
    """Every worker (or every upload slot) is taken: retry in a moment."""


class RequestTooLargeError(Seq2DrumError):
    """The upload or the result is past a size limit of this server."""


class StreamProtocolError(Seq2DrumError):
    """A GenerateStream client broke the message order (options twice, options after data, an empty message)."""


class DeadlinePassedError(Seq2DrumError):
    """The client's deadline passed before the work could start or finish, or an upload stalled."""


class ClientGoneError(Seq2DrumError):
    """The client cancelled the call or hung up."""


# Most specific first: NoGuitarError before its siblings, Seq2DrumError last.
_STATUS_BY_ERROR: tuple[tuple[type[Exception], grpc.StatusCode], ...] = (
    (NoGuitarError, grpc.StatusCode.FAILED_PRECONDITION),
    (CountInError, grpc.StatusCode.FAILED_PRECONDITION),  # the song leaves no room: merge, or empty bars in the DAW
    (MidiReadError, grpc.StatusCode.INVALID_ARGUMENT),  # also MidiLimitError and SongTooLongError: name the limit
    (ConfigError, grpc.StatusCode.INVALID_ARGUMENT),
    (StreamProtocolError, grpc.StatusCode.INVALID_ARGUMENT),
    (ServerBusyError, grpc.StatusCode.UNAVAILABLE),  # retryable, as gRPC clients expect
    (RequestTooLargeError, grpc.StatusCode.RESOURCE_EXHAUSTED),  # as gRPC's own size limit: not worth retrying
    (DeadlinePassedError, grpc.StatusCode.DEADLINE_EXCEEDED),
    (ClientGoneError, grpc.StatusCode.CANCELLED),
    (WorkerCrashedError, grpc.StatusCode.INTERNAL),
    (Seq2DrumError, grpc.StatusCode.INVALID_ARGUMENT),  # any other domain error is about the input
)


def status_for(error: BaseException) -> tuple[grpc.StatusCode, str]:
    """The one place that turns an exception into a status code and a message for the client."""
    for error_type, code in _STATUS_BY_ERROR:
        if isinstance(error, error_type):
            message = str(error) or type(error).__name__
            if len(message) > _MAX_STATUS_CHARS:
                message = message[: _MAX_STATUS_CHARS - 20] + " ... (message cut)"
            if code == grpc.StatusCode.INTERNAL:
                message = "internal error: the worker generating this song failed; the server log has the details"
            return code, message
    return grpc.StatusCode.INTERNAL, f"internal error ({type(error).__name__}); the server log has the details"


# ---------------------------------------------------------------------------------------------- conversions


def options_from_proto(message: seq2drum_pb2.GenerationOptions) -> GenerationOptions:
    """Proto options -> validated `GenerationOptions` (ConfigError on a bad value). Unset fields take the defaults."""
    defaults = GenerationOptions()
    return GenerationOptions(
        temperature=message.temperature if message.HasField("temperature") else defaults.temperature,
        seed=message.seed if message.HasField("seed") else None,
        track=message.track.strip() or None,
        merge=message.merge,
        humanize=message.humanize if message.HasField("humanize") else defaults.humanize,
        takes=message.takes if message.HasField("takes") else defaults.takes,
        kit_map=message.kit_map.strip() or None,
        count_in_bars=message.count_in_bars if message.HasField("count_in_bars") else defaults.count_in_bars,
        bars=message.bars if message.HasField("bars") else None,
        tempo_qpm=message.tempo_qpm if message.HasField("tempo_qpm") else None,
        meter=message.meter.strip() or None,
        style=message.style.strip() or None,
        density=round(message.density, 6) if message.HasField("density") else defaults.density,
        fills=message.fills.strip() or defaults.fills,
        swing=round(message.swing, 6) if message.HasField("swing") else None,
        dynamics=round(message.dynamics, 6) if message.HasField("dynamics") else defaults.dynamics,
        cymbal=message.cymbal.strip() or defaults.cymbal,
    )


def metadata_to_proto(result: JobResult, server_ms: float, take: int = 1) -> seq2drum_pb2.GenerationMetadata:
    """The metadata of one take (1 = `result.midi_bytes`, k > 1 = `result.more_takes[k - 2]`)."""
    midi, hits = (result.midi_bytes, result.n_hits) if take == 1 else result.more_takes[take - 2]
    return seq2drum_pb2.GenerationMetadata(
        bars=max(0, result.bars),
        tempo_changes=max(0, result.tempo_changes),
        time_signature_changes=max(0, result.time_signature_changes),
        drum_hits=hits,
        music_duration_s=result.duration_s,
        generation_ms=server_ms,
        seed=result.seed,
        model_name=result.model_name,
        model_version=result.model_version,
        output_bytes=len(midi),
        guitar_parts=result.guitar_parts,
        notices=result.notices,
        sections=result.sections,
        take=take,
    )


def model_info_to_proto(info: dict[str, Any], config: ServerConfig) -> seq2drum_pb2.GetModelInfoResponse:
    """The worker's `ModelInfo` (as a dict) and this server's limits."""
    defaults = GenerationOptions()
    limits = config.limits
    return seq2drum_pb2.GetModelInfoResponse(
        name=info["name"],
        version=info["version"],
        attention=info["attention"],
        parameters=info["n_parameters"],
        steps_per_quarter=info["steps_per_quarter"],
        drum_classes=list(info["drum_classes"]),
        training_data={str(key): json.dumps(value, default=str) for key, value in info["training_data"].items()},
        val_loss=info["val_loss"],
        train_seconds=info["train_seconds"],
        step=info["step"],
        options=seq2drum_pb2.OptionsSpec(
            temperature_min=TEMPERATURE_RANGE[0],
            temperature_max=TEMPERATURE_RANGE[1],
            temperature_default=defaults.temperature,
            seed_max=SEED_MAX,
            humanize_default=defaults.humanize,
            max_takes=MAX_TAKES,
        ),
        limits=seq2drum_pb2.Limits(
            max_message_bytes=config.max_message_bytes,
            max_stream_bytes=config.max_stream_bytes,
            max_song_quarters=config.max_song_quarters,
            concurrent_generations=config.workers,
            max_notes=limits.max_notes,
            max_events=limits.max_events,
            max_tempo_changes=limits.max_tempo_changes,
            max_time_signature_changes=limits.max_time_signature_changes,
            concurrent_uploads=config.max_uploads,
            upload_idle_s=config.upload_idle_s,
        ),
        styles=[seq2drum_pb2.Style(name=style["name"], meters=list(style["meters"]), description=style["description"])
                for style in info.get("styles", ())],
    )


# ---------------------------------------------------------------------------------------------- servicer


class _Call:
    """One request: maps any exception to a status (aborting the RPC with it) and writes the one log line.

    When the last call in flight ends and a large request came in since the last time, the freed heap is handed
    back to the OS a moment later (trimming while other calls still hold their buffers would give back little)."""

    in_flight = 0
    large_since_trim = False

    def __init__(self, method: str, context: grpc.aio.ServicerContext, bytes_in: int = 0) -> None:
        self.method = method
        self.context = context
        self.bytes_in = bytes_in
        self.bytes_out = 0
        self.bars = -1
        self.started = time.perf_counter()
        log.debug("%s started", method)

    async def __aenter__(self) -> _Call:
        _Call.in_flight += 1
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
            remaining = self.context.time_remaining()
            expired = remaining is not None and remaining <= 0
            self._log(grpc.StatusCode.DEADLINE_EXCEEDED if expired else grpc.StatusCode.CANCELLED)
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
        await self.context.abort(code, message)  # raises: the RPC ends here with this status

    def _log(self, code: grpc.StatusCode, message: str = "") -> None:
        elapsed_ms = (time.perf_counter() - self.started) * 1000
        bars = self.bars if self.bars >= 0 else "-"
        reason = f" ({message[:200]})" if message else ""
        log.info("%s bytes_in=%d bars=%s bytes_out=%d status=%s ms=%.1f%s",
                 self.method, self.bytes_in, bars, self.bytes_out, code.name, elapsed_ms, reason)


def _trim_when_idle() -> None:
    """Once no call is in flight (their request objects are gone by now), collect and give freed pages back."""
    if _Call.in_flight == 0 and _Call.large_since_trim:
        _Call.large_since_trim = False
        release_memory()  # collects, then trims


def _check_active(context: grpc.aio.ServicerContext, stage: str) -> None:
    """Refuse to start work whose deadline has passed."""
    remaining_s = context.time_remaining()
    if remaining_s is not None and remaining_s <= 0:
        raise DeadlinePassedError(f"the deadline passed {stage}")


def _consume(future: asyncio.Future[Any]) -> None:
    """An abandoned job's future ends with the worker's EOF; read it so asyncio does not log it as unhandled."""
    if not future.cancelled():
        future.exception()


class Seq2DrumServicer(seq2drum_pb2_grpc.Seq2DrumServicer):
    """Validate, hand the job to a worker, convert back. No model code here."""

    def __init__(self, pool: WorkerPool, config: ServerConfig) -> None:
        self._pool = pool
        self._config = config
        self._limits = config.limits
        self._uploads = 0
        self._line = WorkerLine(pool, config.max_waiting)
        self._model_info = model_info_to_proto(pool.model_info, config)
        # one thread per job in flight, blocked on its worker's pipe
        self._waiters = futures.ThreadPoolExecutor(max_workers=config.workers + 2, thread_name_prefix="seq2drum-job")

    async def Generate(
        self, request: seq2drum_pb2.GenerateRequest, context: grpc.aio.ServicerContext
    ) -> seq2drum_pb2.GenerateResponse:
        async with _Call("Generate", context, len(request.midi)) as call:
            options = options_from_proto(request.options)
            result, server_ms = await self._generate(request.midi, options, context, call)
            out_bytes = len(result.midi_bytes) + sum(len(midi) for midi, _ in result.more_takes)
            if out_bytes > self._config.max_message_bytes - _MESSAGE_ENVELOPE_BYTES * (1 + len(result.more_takes)):
                raise RequestTooLargeError(
                    f"the drum file{'s' if result.more_takes else ''} come to {out_bytes} bytes, past this server's "
                    f"message limit of {self._config.max_message_bytes} bytes; use GenerateStream"
                )
            call.bytes_out = out_bytes
            more = [seq2drum_pb2.Take(index=index, midi=midi, drum_hits=hits)
                    for index, (midi, hits) in enumerate(result.more_takes, start=2)]
            return seq2drum_pb2.GenerateResponse(midi=result.midi_bytes, metadata=metadata_to_proto(result, server_ms),
                                                 more_takes=more)
        raise AssertionError("unreachable: _Call aborts on every error")

    async def GenerateStream(
        self, request_iterator: AsyncIterator[seq2drum_pb2.GenerateStreamRequest], context: grpc.aio.ServicerContext
    ) -> AsyncIterator[seq2drum_pb2.GenerateStreamResponse]:
        async with _Call("GenerateStream", context) as call:
            midi, options_message = await self._read_upload(request_iterator, call)
            options = options_from_proto(options_message)
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
            return self._model_info
        raise AssertionError("unreachable")

    # ------------------------------------------------------------------------------------------ steps

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
            give_up_at = loop.time() + config.upload_total_s
            index = 0
            while True:
                wait_s = min(config.upload_idle_s, give_up_at - loop.time())
                try:
                    message = await asyncio.wait_for(iterator.__anext__(), timeout=max(wait_s, 0.001))
                except StopAsyncIteration:
                    break
                except asyncio.TimeoutError:
                    if loop.time() >= give_up_at:
                        raise DeadlinePassedError(
                            f"the upload took longer than this server's limit of {config.upload_total_s:g} s") from None
                    raise DeadlinePassedError(
                        f"the upload stalled: no chunk for {config.upload_idle_s:g} s; send the file again") from None
                options = self._take_upload_message(index, message, options, chunks, call)
                index += 1
            return b"".join(chunks), options or seq2drum_pb2.GenerationOptions()
        finally:
            self._uploads -= 1

    def _take_upload_message(
        self,
        index: int,
        message: seq2drum_pb2.GenerateStreamRequest,
        options: seq2drum_pb2.GenerationOptions | None,
        chunks: list[bytes],
        call: _Call,
    ) -> seq2drum_pb2.GenerationOptions | None:
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
        self, midi: bytes, options: GenerationOptions, context: grpc.aio.ServicerContext, call: _Call
    ) -> tuple[JobResult, float]:
        """Take a worker (waiting in line behind at most `max_waiting` others), run the job on it, and kill it if the
        client goes or the deadline passes."""
        started = time.perf_counter()
        _check_active(context, "before the song was read")
        try:
            worker = await self._line.take(context.time_remaining())
        except LineFullError:
            raise ServerBusyError(f"the server is busy with {self._config.workers} songs and {self._line.waiting} "
                                  "more waiting; try again in a few seconds") from None
        except LineDeadlineError:
            raise DeadlinePassedError("the deadline passed while the song waited for a worker") from None
        try:
            return await self._run_on(worker, midi, options, context, call, started)
        finally:
            self._line.freed()  # the worker went back (or was replaced): the next song in line looks

    async def _run_on(
        self, worker: Worker, midi: bytes, options: GenerationOptions, context: grpc.aio.ServicerContext, call: _Call,
        started: float,
    ) -> tuple[JobResult, float]:
        job = Job(midi, options, self._limits)
        future = asyncio.get_running_loop().run_in_executor(self._waiters, worker.run, job)
        remaining_s = context.time_remaining()
        try:
            result = await asyncio.wait_for(asyncio.shield(future), timeout=remaining_s)
        except asyncio.TimeoutError:
            future.add_done_callback(_consume)
            self._pool.discard(worker)
            raise DeadlinePassedError("the deadline passed while the song was being read or generated; "
                                      "the work was stopped") from None
        except asyncio.CancelledError:
            future.add_done_callback(_consume)
            self._pool.discard(worker)
            raise
        except WorkerCrashedError:
            self._pool.discard(worker)
            raise
        except Seq2DrumError:
            self._pool.release(worker)
            raise
        self._pool.release(worker, result)
        call.bars = result.bars
        return result, (time.perf_counter() - started) * 1000


# ---------------------------------------------------------------------------------------------- factories


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
    server = grpc.aio.server(
        options=[
            ("grpc.max_receive_message_length", config.max_message_bytes),
            ("grpc.max_send_message_length", config.max_message_bytes),
            ("grpc.so_reuseport", 0),  # a second server on a taken port must fail, not share it
        ],
        maximum_concurrent_rpcs=config.max_concurrent_calls,
    )
    seq2drum_pb2_grpc.add_Seq2DrumServicer_to_server(Seq2DrumServicer(pool, config), server)
    health_servicer = health_servicer or health.aio.HealthServicer()
    for service in ("", SERVICE_NAME):
        await health_servicer.set(service, health_pb2.HealthCheckResponse.SERVING)
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection(
        (SERVICE_NAME, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name, reflection.SERVICE_NAME), server
    )
    try:
        port = server.add_insecure_port(address)
    except RuntimeError as exc:  # grpc's way of saying the bind failed
        raise OSError(f"cannot listen on {address}: {exc}") from exc
    if port == 0:
        raise OSError(f"cannot listen on {address}")
    return server, port


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
        self.pool = WorkerPool(source, self.config.workers, self.config.recycle_mib)
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
