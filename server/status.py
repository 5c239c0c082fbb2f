"""How the server says what went wrong: its own domain errors and the one table that turns any exception into a gRPC
status code and a message (bad input -> INVALID_ARGUMENT, busy -> UNAVAILABLE, anything unexpected -> INTERNAL),
so an expected failure never reaches a client as UNKNOWN or INTERNAL."""

from __future__ import annotations

import grpc

from seq2drum.errors import (MAX_MESSAGE_CHARS, ConfigError, CountInError, MidiReadError, NoGuitarError,
                             Seq2DrumError, cut_line)

from .workers import WorkerCrashedError, WorkerMemoryError

_MAX_STATUS_CHARS = MAX_MESSAGE_CHARS  # status details travel in a trailer; a long listing must not overflow it


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


class JobTooLongError(RequestTooLargeError):
    """A song ran past this server's `max_job_s`, whatever the client's deadline (or with none)."""


class UndecodableRequestError(Seq2DrumError):
    """The request's bytes are not the protobuf message the method takes (garbage, or invalid UTF-8 in a string)."""


class UndecodableRequest:
    """What a lenient deserializer hands the servicer instead of raising (gRPC would answer UNKNOWN): the servicer
    raises `UndecodableRequestError` for it, which is INVALID_ARGUMENT."""

    def __init__(self, method: str, problem: str) -> None:
        self.method = method
        self.problem = problem

    def error(self) -> UndecodableRequestError:
        return UndecodableRequestError(f"the {self.method} request is not a valid seq2drum.v1 message "
                                       f"({self.problem[:200]}); use the helper or stubs from proto/seq2drum.proto")


class OversizedOptions(UndecodableRequest):
    """A request whose options hold more bytes than any valid value (server/wire.py), refused before parsing: a
    `ConfigError`, INVALID_ARGUMENT, as the same options would be after parsing."""

    def error(self) -> ConfigError:  # type: ignore[override]
        return ConfigError(self.problem)


class OversizedMessage(UndecodableRequest):
    """A request message longer than any valid one of its method, refused before parsing: RESOURCE_EXHAUSTED, naming
    the limit (sending it again would not help)."""

    def error(self) -> RequestTooLargeError:  # type: ignore[override]
        return RequestTooLargeError(self.problem)


# Most specific first: NoGuitarError before its siblings, Seq2DrumError last.
_STATUS_BY_ERROR: tuple[tuple[type[Exception], grpc.StatusCode], ...] = (
    (NoGuitarError, grpc.StatusCode.FAILED_PRECONDITION),
    (CountInError, grpc.StatusCode.FAILED_PRECONDITION),  # the song leaves no room: merge, or empty bars in the DAW
    (MidiReadError, grpc.StatusCode.INVALID_ARGUMENT),  # also MidiLimitError and SongTooLongError: name the limit
    (ConfigError, grpc.StatusCode.INVALID_ARGUMENT),
    (StreamProtocolError, grpc.StatusCode.INVALID_ARGUMENT),
    (UndecodableRequestError, grpc.StatusCode.INVALID_ARGUMENT),
    (ServerBusyError, grpc.StatusCode.UNAVAILABLE),  # retryable, as gRPC clients expect
    (RequestTooLargeError, grpc.StatusCode.RESOURCE_EXHAUSTED),  # as gRPC's own size limit: not worth retrying
    (DeadlinePassedError, grpc.StatusCode.DEADLINE_EXCEEDED),
    (ClientGoneError, grpc.StatusCode.CANCELLED),
    (WorkerMemoryError, grpc.StatusCode.RESOURCE_EXHAUSTED),  # past --max-worker-mib: the song, not the server
    (WorkerCrashedError, grpc.StatusCode.INTERNAL),
    (Seq2DrumError, grpc.StatusCode.INVALID_ARGUMENT),  # any other domain error is about the input
)


def status_for(error: BaseException) -> tuple[grpc.StatusCode, str]:
    """The one place that turns an exception into a status code and a message for the client."""
    for error_type, code in _STATUS_BY_ERROR:
        if isinstance(error, error_type):
            message = cut_line(str(error) or type(error).__name__, _MAX_STATUS_CHARS)
            if code == grpc.StatusCode.INTERNAL:
                message = "internal error: the worker generating this song failed; the server log has the details"
            return code, message
    return grpc.StatusCode.INTERNAL, f"internal error ({type(error).__name__}); the server log has the details"
