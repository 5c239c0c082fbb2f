"""The gRPC service: a thin servicer over `DrumGenerator`, and the `create_server` factory.

Every request goes the same way: admit it or refuse it at once (RESOURCE_EXHAUSTED), check the options, the
deadline and the MIDI before any model work, generate, check the deadline again, convert back. Domain errors
become status codes in exactly one place (`status_for`), so an expected failure never reaches a client as UNKNOWN
or INTERNAL. Nothing from a request becomes a file path and nothing is unpickled: the request's bytes only ever
reach `read_midi` and `DrumGenerator.generate`.
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time
from collections.abc import Iterator
from concurrent import futures
from dataclasses import dataclass
from types import TracebackType

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from proto import seq2drum_pb2, seq2drum_pb2_grpc
from seq2drum.config import GenerationOptions, MAX_SEED, MAX_TEMPERATURE
from seq2drum.errors import ConfigError, MidiReadError, NoGuitarError, Seq2DrumError
from seq2drum.inference import DrumGenerator, GenerationResult
from seq2drum.midi_io import MidiSong, read_midi

log = logging.getLogger("seq2drum.server")

MiB = 1024 * 1024
SERVICE_NAME = seq2drum_pb2.DESCRIPTOR.services_by_name["Seq2Drum"].full_name  # "seq2drum.v1.Seq2Drum"
# GenerationOptions' accepted ranges, advertised by GetModelInfo.
TEMPERATURE_RANGE = (0.0, MAX_TEMPERATURE)
SEED_MAX = MAX_SEED
_MESSAGE_ENVELOPE_BYTES = 4096  # room for the metadata next to the MIDI bytes in one message
_MAX_STATUS_CHARS = 2000  # status details travel in a trailer; a 1000-part listing must not overflow it


@dataclass(frozen=True)
class ServerConfig:
    """Limits of one server. `python -m server` flags map onto these."""

    workers: int = 2  # generations at the same time; one more is refused with RESOURCE_EXHAUSTED
    max_message_bytes: int = 16 * MiB  # one gRPC message, either direction (Generate's whole file)
    max_stream_bytes: int = 64 * MiB  # one GenerateStream upload in all
    max_song_quarters: int = 8192  # 2048 bars of 4/4, 68 minutes at 120 BPM
    stream_chunk_bytes: int = 1 * MiB  # size of the chunks GenerateStream answers with
    spare_threads: int = 4  # RPC threads beyond `workers`, so health checks and refusals never wait for a model

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
        if self.max_song_quarters < 1:
            raise ConfigError(f"max_song_quarters must be >= 1, got {self.max_song_quarters}")
        if not 1 <= self.stream_chunk_bytes <= self.max_message_bytes - _MESSAGE_ENVELOPE_BYTES:
            raise ConfigError(
                f"stream_chunk_bytes must be 1 - {self.max_message_bytes - _MESSAGE_ENVELOPE_BYTES}, "
                f"got {self.stream_chunk_bytes}"
            )
        if not 1 <= self.spare_threads <= 64:
            raise ConfigError(f"spare_threads must be 1-64, got {self.spare_threads}")


# ---------------------------------------------------------------------------------------------- errors


class ServerBusyError(Seq2DrumError):
    """Every generation slot is taken: retry in a moment."""


class RequestTooLargeError(Seq2DrumError):
    """The upload or the result is past a size limit of this server."""


class SongTooLongError(Seq2DrumError):
    """The song runs past max_song_quarters (also what stops a file whose last event is at tick 2^28)."""


class StreamProtocolError(Seq2DrumError):
    """A GenerateStream client broke the message order (options twice, options after data, an empty message)."""


class DeadlinePassedError(Seq2DrumError):
    """The client's deadline passed before the work could start or finish."""


class ClientGoneError(Seq2DrumError):
    """The client cancelled the call or hung up."""


# Most specific first: NoGuitarError before its siblings, Seq2DrumError last.
_STATUS_BY_ERROR: tuple[tuple[type[Exception], grpc.StatusCode], ...] = (
    (NoGuitarError, grpc.StatusCode.FAILED_PRECONDITION),
    (MidiReadError, grpc.StatusCode.INVALID_ARGUMENT),
    (ConfigError, grpc.StatusCode.INVALID_ARGUMENT),
    (SongTooLongError, grpc.StatusCode.INVALID_ARGUMENT),
    (StreamProtocolError, grpc.StatusCode.INVALID_ARGUMENT),
    (ServerBusyError, grpc.StatusCode.RESOURCE_EXHAUSTED),
    (RequestTooLargeError, grpc.StatusCode.RESOURCE_EXHAUSTED),
    (DeadlinePassedError, grpc.StatusCode.DEADLINE_EXCEEDED),
    (ClientGoneError, grpc.StatusCode.CANCELLED),
    (Seq2DrumError, grpc.StatusCode.INVALID_ARGUMENT),  # any other domain error is about the input
)


def status_for(error: BaseException) -> tuple[grpc.StatusCode, str]:
    """The one place that turns an exception into a status code and a message for the client."""
    for error_type, code in _STATUS_BY_ERROR:
        if isinstance(error, error_type):
            message = str(error) or type(error).__name__
            if len(message) > _MAX_STATUS_CHARS:
                message = message[: _MAX_STATUS_CHARS - 20] + " ... (message cut)"
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
    )


def metadata_to_proto(result: GenerationResult, server_ms: float) -> seq2drum_pb2.GenerationMetadata:
    return seq2drum_pb2.GenerationMetadata(
        bars=max(0, result.bars),
        tempo_changes=max(0, result.tempo_changes),
        time_signature_changes=max(0, result.time_signature_changes),
        drum_hits=result.n_hits,
        music_duration_s=result.duration_s,
        generation_ms=server_ms,
        seed=result.seed,
        model_name=result.model_name,
        model_version=result.model_version,
        output_bytes=len(result.midi_bytes),
    )


def model_info_to_proto(generator: DrumGenerator, config: ServerConfig) -> seq2drum_pb2.GetModelInfoResponse:
    info = generator.info
    defaults = GenerationOptions()
    return seq2drum_pb2.GetModelInfoResponse(
        name=info.name,
        version=info.version,
        attention=info.attention,
        parameters=info.n_parameters,
        steps_per_quarter=info.steps_per_quarter,
        drum_classes=list(info.drum_classes),
        training_data={str(key): json.dumps(value, default=str) for key, value in info.training_data.items()},
        val_loss=info.val_loss,
        train_seconds=info.train_seconds,
        step=info.step,
        options=seq2drum_pb2.OptionsSpec(
            temperature_min=TEMPERATURE_RANGE[0],
            temperature_max=TEMPERATURE_RANGE[1],
            temperature_default=defaults.temperature,
            seed_max=SEED_MAX,
            humanize_default=defaults.humanize,
        ),
        limits=seq2drum_pb2.Limits(
            max_message_bytes=config.max_message_bytes,
            max_stream_bytes=config.max_stream_bytes,
            max_song_quarters=config.max_song_quarters,
            concurrent_generations=config.workers,
        ),
    )


# ---------------------------------------------------------------------------------------------- servicer


class _Call:
    """One request: maps any exception to a status (aborting the RPC with it) and writes the one log line."""

    def __init__(self, method: str, context: grpc.ServicerContext, bytes_in: int = 0) -> None:
        self.method = method
        self.context = context
        self.bytes_in = bytes_in
        self.bytes_out = 0
        self.bars = -1
        self.started = time.perf_counter()
        log.debug("%s started", method)

    def __enter__(self) -> _Call:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc is None:
            self._log(grpc.StatusCode.OK)
            return
        if not isinstance(exc, Exception):  # GeneratorExit: the client stopped reading a stream
            self._log(grpc.StatusCode.CANCELLED)
            return
        code, message = status_for(exc)
        if code == grpc.StatusCode.INTERNAL:
            log.error("%s failed unexpectedly", self.method, exc_info=exc)
        self._log(code, message)
        self.context.abort(code, message)  # raises: the RPC ends here with this status

    def _log(self, code: grpc.StatusCode, message: str = "") -> None:
        elapsed_ms = (time.perf_counter() - self.started) * 1000
        bars = self.bars if self.bars >= 0 else "-"
        reason = f" ({message[:200]})" if message else ""
        log.info("%s bytes_in=%d bars=%s bytes_out=%d status=%s ms=%.1f%s",
                 self.method, self.bytes_in, bars, self.bytes_out, code.name, elapsed_ms, reason)


def _check_active(context: grpc.ServicerContext, stage: str) -> None:
    """Refuse to start (or to return) work whose client has given up."""
    remaining_s = context.time_remaining()
    if remaining_s is not None and remaining_s <= 0:
        raise DeadlinePassedError(f"the deadline passed {stage}")
    if not context.is_active():
        raise ClientGoneError(f"the client cancelled {stage}")


class Seq2DrumServicer(seq2drum_pb2_grpc.Seq2DrumServicer):
    """Validate, call the library, convert back. No model code here."""

    def __init__(self, generator: DrumGenerator, config: ServerConfig) -> None:
        self._generator = generator
        self._config = config
        self._slots = threading.BoundedSemaphore(config.workers)
        self._model_info = model_info_to_proto(generator, config)

    def Generate(
        self, request: seq2drum_pb2.GenerateRequest, context: grpc.ServicerContext
    ) -> seq2drum_pb2.GenerateResponse:
        with _Call("Generate", context, len(request.midi)) as call:
            options = options_from_proto(request.options)
            with self._admitted():
                result, server_ms = self._generate(request.midi, options, context, call)
            if len(result.midi_bytes) > self._config.max_message_bytes - _MESSAGE_ENVELOPE_BYTES:
                raise RequestTooLargeError(
                    f"the drum file is {len(result.midi_bytes)} bytes, past this server's message limit of "
                    f"{self._config.max_message_bytes} bytes; use GenerateStream"
                )
            call.bytes_out = len(result.midi_bytes)
            return seq2drum_pb2.GenerateResponse(midi=result.midi_bytes, metadata=metadata_to_proto(result, server_ms))

    def GenerateStream(
        self, request_iterator: Iterator[seq2drum_pb2.GenerateStreamRequest], context: grpc.ServicerContext
    ) -> Iterator[seq2drum_pb2.GenerateStreamResponse]:
        with _Call("GenerateStream", context) as call:
            with self._admitted():  # before the upload: a busy server refuses at once, not after 64 MiB
                midi, options_message = self._read_upload(request_iterator, call)
                options = options_from_proto(options_message)
                result, server_ms = self._generate(midi, options, context, call)
            yield seq2drum_pb2.GenerateStreamResponse(metadata=metadata_to_proto(result, server_ms))
            chunk_bytes = self._config.stream_chunk_bytes
            for start in range(0, len(result.midi_bytes), chunk_bytes):
                chunk = result.midi_bytes[start : start + chunk_bytes]
                yield seq2drum_pb2.GenerateStreamResponse(midi_chunk=chunk)
                call.bytes_out += len(chunk)

    def GetModelInfo(
        self, request: seq2drum_pb2.GetModelInfoRequest, context: grpc.ServicerContext
    ) -> seq2drum_pb2.GetModelInfoResponse:
        with _Call("GetModelInfo", context):
            return self._model_info

    # ------------------------------------------------------------------------------------------ steps

    def _admitted(self) -> _Slot:
        return _Slot(self._slots, self._config.workers)

    def _read_upload(
        self, request_iterator: Iterator[seq2drum_pb2.GenerateStreamRequest], call: _Call
    ) -> tuple[bytes, seq2drum_pb2.GenerationOptions]:
        """Join the chunks, holding the total under max_stream_bytes; options only first, at most once."""
        options: seq2drum_pb2.GenerationOptions | None = None
        chunks: list[bytes] = []
        try:
            for index, message in enumerate(request_iterator):
                options = self._take_upload_message(index, message, options, chunks, call)
        except grpc.RpcError as exc:  # grpc has already ended the call and told the client why
            raise ClientGoneError(
                "the upload broke off: the client cancelled or sent a message past the limit"
            ) from exc
        return b"".join(chunks), options or seq2drum_pb2.GenerationOptions()

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

    def _generate(
        self, midi: bytes, options: GenerationOptions, context: grpc.ServicerContext, call: _Call
    ) -> tuple[GenerationResult, float]:
        started = time.perf_counter()
        _check_active(context, "before the song was read")
        song = read_midi(midi)
        self._check_length(song)
        _check_active(context, "before generating")
        result = self._generator.generate(song, options)  # the song parsed once, above
        call.bars = result.bars
        _check_active(context, "while generating; the drums were thrown away")
        return result, (time.perf_counter() - started) * 1000

    def _check_length(self, song: MidiSong) -> None:
        """Refuse a song whose grid would be huge before the library builds it (a 2 KB file can claim 2^28 ticks)."""
        last_tick = max([song.end_tick] + [tick for tick, _, _ in song.time_signatures])
        quarters = last_tick / song.ticks_per_quarter
        if quarters > self._config.max_song_quarters:
            limit = self._config.max_song_quarters
            raise SongTooLongError(
                f"the song runs {math.ceil(quarters)} quarter notes (about {math.ceil(quarters / 4)} bars of 4/4); "
                f"this server takes at most {limit} ({limit // 4} bars): split it into shorter sections"
            )


class _Slot:
    """A generation slot taken without waiting: a full server says so at once instead of queueing."""

    def __init__(self, semaphore: threading.BoundedSemaphore, workers: int) -> None:
        self._semaphore = semaphore
        self._workers = workers

    def __enter__(self) -> None:
        if not self._semaphore.acquire(blocking=False):
            raise ServerBusyError(f"the server is busy with {self._workers} songs already; try again in a few seconds")

    def __exit__(self, *exc_info: object) -> None:
        self._semaphore.release()


# ---------------------------------------------------------------------------------------------- factory


def create_server(
    address: str,
    generator: DrumGenerator,
    config: ServerConfig | None = None,
    health_servicer: health.HealthServicer | None = None,
) -> tuple[grpc.Server, int]:
    """A server (not started) with the Seq2Drum, health and reflection services bound to `address`.

    Returns the server and its port (the one picked by the OS for port 0). Raises `OSError` when the address
    cannot be bound. Pass `health_servicer` to flip it to NOT_SERVING at shutdown (see server.__main__).
    """
    config = config or ServerConfig()
    threads = config.workers + config.spare_threads
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=threads, thread_name_prefix="seq2drum-rpc"),
        options=[
            ("grpc.max_receive_message_length", config.max_message_bytes),
            ("grpc.max_send_message_length", config.max_message_bytes),
            ("grpc.so_reuseport", 0),  # a second server on a taken port must fail, not share it
        ],
        maximum_concurrent_rpcs=threads,  # past this, grpc answers RESOURCE_EXHAUSTED itself
    )
    seq2drum_pb2_grpc.add_Seq2DrumServicer_to_server(Seq2DrumServicer(generator, config), server)
    health_servicer = health_servicer or health.HealthServicer()
    for service in ("", SERVICE_NAME):
        health_servicer.set(service, health_pb2.HealthCheckResponse.SERVING)
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
