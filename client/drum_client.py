"""The DAW helper's connection to seq2drum servers: one call per song, unary or streamed by the server's limits,
UNAVAILABLE retried with randomised exponential backoff. grpcio and protobuf only.
"""

from __future__ import annotations

import os
import random
import re
import ssl
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import grpc

from seq2drum.errors import ConfigError, escape_controls
from seq2drum.outputs import takes_written
from seq2drum.rpc import seq2drum_pb2, seq2drum_pb2_grpc
from seq2drum.user_files import read_user_file

from .balancing import ServerListError, channel_options, split_servers, target_for
from .live_link import LiveLink

MiB = 1024 * 1024
DEFAULT_SERVER = os.environ.get("SEQ2DRUM_SERVER", "127.0.0.1:50051")
FALLBACK_MESSAGE_BYTES = 4 * MiB  # gRPC's own default, for a server that does not answer GetModelInfo
_ENVELOPE_BYTES = 4096  # room for options and framing next to the file in one message
STREAM_CHUNK_BYTES = 1 * MiB
MAX_PEM_BYTES = 1 * MiB  # --tls-ca: a few certificates
# Retried within --wait: the server is busy or away (UNAVAILABLE), or it cancelled the call as it shut down
# (CANCELLED; a call its caller cancelled through a `Stop` is never retried), so another server, or the same one back
# up, can take it.
RETRIED_CODES = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED)
RETRY_FIRST_S, RETRY_MAX_S = 0.25, 8.0  # backoff between attempts: doubles from the first up to the max, jittered
T = TypeVar("T")


def read_tls_ca(path: Path) -> bytes:
    """The PEM certificates of --tls-ca, checked before any call: a file that is not PEM was retried as UNAVAILABLE
    for the whole --wait (issue 42, 14). HelperError saying what is wrong."""
    try:
        roots = read_user_file(path, "--tls-ca", MAX_PEM_BYTES, "name the server's PEM certificate or its CA's")
        ssl.create_default_context(cadata=roots.decode("ascii"))  # OpenSSL reads every certificate in it
    except ConfigError as exc:
        raise HelperError(str(exc)) from None
    except (UnicodeDecodeError, ssl.SSLError, ValueError) as exc:
        raise HelperError(f"--tls-ca {path} is not a PEM certificate ({getattr(exc, 'reason', None) or exc}); name "
                          "the server's certificate, or the CA that signed it, as PEM") from None
    if b"-----BEGIN CERTIFICATE-----" not in roots:
        raise HelperError(f"--tls-ca {path} is not a PEM certificate (no '-----BEGIN CERTIFICATE-----' line)")
    return roots


def connection_mistake(details: str, tls_ca: Path | None, target: str) -> tuple[str, bool]:
    """What a failure to connect (UNAVAILABLE's details) says of a TLS mistake: one line naming its cause and its fix,
    and whether it is final (a certificate does not change by waiting; a socket closed at once may be a server
    restarting). ("", False) for any other failure. gRPC's own words were an SSL error chain, or "Socket closed"."""
    reason = re.search(r"CERTIFICATE_VERIFY_FAILED: ([^:]+)", details)
    if reason or "CERTIFICATE_VERIFY_FAILED" in details:
        why = f" ({reason[1].strip()})" if reason else ""
        return (f"the server {target} has a certificate that --tls-ca {tls_ca} does not vouch for{why}: pass --tls-ca "
                "the server's own certificate (the file its --tls-cert names) or the CA that signed it"), True
    if "WRONG_VERSION_NUMBER" in details:
        return (f"the server {target} does not speak TLS (it answered the handshake in plain text): leave out "
                "--tls-ca, or start the server with --tls-cert and --tls-key"), True
    if "Hostname Verification" in details or "not in peer certificate" in details:
        names = certificate_names(tls_ca) if tls_ca is not None else []
        held = f"it names {', '.join(names[:4])}" if names else "its CN or subjectAltName"
        return (f"the server's certificate does not name the host in --server {target}: connect by a name it holds "
                f"({held}), or give the server a certificate naming this host"), True
    if "Connection refused" in details:  # nothing listens there: not running, or still loading its model
        return (f"no seq2drum server is running at {target} (connection refused): start one with `python -m server` "
                "in the seq2drum folder (`seq2drum-server` when installed), or point --server at yours"), False
    if tls_ca is None and "Socket closed" in details:
        return (f"the server {target} closed every connection at once: if it runs with --tls-cert (TLS), pass "
                "--tls-ca with its certificate; else it may be restarting"), False
    return "", False


def certificate_names(path: Path) -> list[str]:
    """The host names a PEM certificate holds (its subjectAltName DNS and IP entries, else its CN), read with the
    standard library's decoder; [] where the file cannot be read as one (a CA's file names no server)."""
    import ssl

    try:
        decoded = ssl._ssl._test_decode_cert(str(path))  # type: ignore[attr-defined]  # the stdlib's own reader
    except (OSError, ValueError, AttributeError, ssl.SSLError):
        return []
    names = [value for kind, value in decoded.get("subjectAltName", ()) if kind in ("DNS", "IP Address")]
    if not names:
        names = [value for field in decoded.get("subject", ()) for key, value in field if key == "commonName"]
    return list(dict.fromkeys(names))


class HelperError(Exception):
    """A failure of this helper (bad path, unwritable folder, server answer that does not add up)."""


class OutputExistsError(HelperError):
    """-o names a file that exists and --force was not given (a usage error, found before the server is asked)."""


class UnreadableSongError(HelperError):
    """The song given cannot be played: not MIDI, cut short, nothing outside channel 10 (a usage error, exit 2, as
    main.py exits for a file it cannot read)."""


class StoppedError(HelperError):
    """The caller stopped the call (`Stop.stop`) before the server answered."""


class Stop:
    """Stops a `DrumClient.generate` running on another thread (the studio's page closed): the call in flight is
    cancelled, so the server stops the song (it logs CANCELLED and frees its worker), and no retry starts."""

    def __init__(self) -> None:
        self._stopped = threading.Event()
        self._lock = threading.Lock()
        self._call: grpc.Future | None = None

    @property
    def stopped(self) -> bool:
        return self._stopped.is_set()

    def stop(self) -> None:
        with self._lock:
            self._stopped.set()
            call = self._call
        if call is not None:
            call.cancel()

    def hold(self, call: grpc.Future) -> None:
        """The call in flight now (cancelled at once when the stop came first); StoppedError when it did."""
        with self._lock:
            self._call = call
        if self.stopped:
            call.cancel()
            raise StoppedError("the call was stopped by its caller")

    def wait(self, seconds: float) -> None:
        """Sleep between retries, woken by a stop (StoppedError)."""
        if self._stopped.wait(seconds):
            raise StoppedError("the call was stopped by its caller")


@dataclass
class Drums:
    """What the server sent back."""

    midi_bytes: bytes
    metadata: seq2drum_pb2.GenerationMetadata
    more_takes: list[tuple[bytes, int]] = field(default_factory=list)  # takes 2.. as (MIDI bytes, drum hits)
    # every take's parts as played ("BAR: PART" where they change) and its plan, take 1 first
    take_parts: list[tuple[list[str], str]] = field(default_factory=list)

    def describe(self) -> str:
        m = self.metadata
        return escape_controls(f"{m.bars} bars, {m.drum_hits} hits, seed {m.seed}, model {m.model_name} "
                               f"{m.model_version}, {m.generation_ms:.0f} ms on the server")


class DrumClient:
    """A channel to one server or several (a list, a comma list, or a DNS name with several addresses), calls spread
    round robin over those whose health is SERVING. UNAVAILABLE is retried with randomised exponential backoff until
    `wait_s` has passed, each retry going to the next server; every attempt has its own deadline (`timeout_s`). The
    size limits come from GetModelInfo of one of them (replicas are expected to run with the same flags)."""

    def __init__(self, target: str | list[str] = DEFAULT_SERVER, timeout_s: float = 120.0, wait_s: float = 60.0,
                 backoff_s: float = RETRY_FIRST_S, max_backoff_s: float = RETRY_MAX_S, tls_ca: Path | None = None,
                 token: str = "") -> None:
        if timeout_s <= 0:
            raise HelperError(f"--timeout must be > 0 seconds, got {timeout_s}")
        if wait_s < 0:
            raise HelperError(f"--wait must be >= 0 seconds, got {wait_s}")
        self.timeout_s = timeout_s
        self.wait_s = wait_s
        self.tls_ca = tls_ca
        self.backoff_s = backoff_s
        self.max_backoff_s = max_backoff_s
        self.attempts = 0  # every call made, retries included
        self._limits: seq2drum_pb2.Limits | None = None
        self._random = random.Random()
        try:
            self.servers = split_servers(target)
            channel_target = target_for(self.servers)
        except ServerListError as exc:
            raise HelperError(str(exc)) from None
        self.target = ", ".join(self.servers)
        # Calls go round robin to the servers whose health is SERVING (client.balancing), so a retry after UNAVAILABLE
        # goes to the next server; the server enforces the size limits, and reconnects are quick after a restart.
        # TLS checks the server against `tls_ca` (its certificate, or the CA that signed it); the token goes with
        # every call (server.security), over TLS or not
        self._auth = {"metadata": (("authorization", f"Bearer {token}"),)} if token else {}
        if tls_ca is None:
            self._channel = grpc.insecure_channel(channel_target, options=channel_options())
        else:
            credentials = grpc.ssl_channel_credentials(root_certificates=read_tls_ca(tls_ca))
            self._channel = grpc.secure_channel(channel_target, credentials, options=channel_options())
        self._stub = seq2drum_pb2_grpc.Seq2DrumStub(self._channel)

    def live_link(self, options: seq2drum_pb2.GenerationOptions | None,
                  parts: list[tuple[str, int, int]], switch_parts: Sequence[str] = ()) -> LiveLink:
        """A PlayAlong stream on this client's channel (TLS and token included), not yet open; a TLS mistake is said
        as `connection_mistake` says it. `switch_parts`: the parts a switch may ask for (checked at the start)."""
        return LiveLink(self._channel, options, parts, self._auth.get("metadata"),
                        explain=lambda details: connection_mistake(details, self.tls_ca, self.target)[0],
                        switch_parts=switch_parts)

    def explain(self, error: grpc.RpcError) -> str:
        """The one line a failed call is shown as: a TLS mistake named with its fix (`connection_mistake`), else the
        status and the server's message (control characters escaped)."""
        details = error.details() or ""
        if error.code() == grpc.StatusCode.UNAVAILABLE:
            mistake = connection_mistake(details, self.tls_ca, self.target)[0]
            if mistake:
                return mistake
        return f"{error.code().name}: {escape_controls(details)}"

    def close(self) -> None:
        self._channel.close()

    def __enter__(self) -> DrumClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def generate(self, midi: bytes, options: seq2drum_pb2.GenerationOptions | None = None,
                 stop: Stop | None = None) -> Drums:
        """Drums for one file: unary when it fits in one of the server's messages, streamed otherwise.
        Raises `grpc.RpcError`, `HelperError` for a file past the server's upload limit, `StoppedError` once `stop`
        stopped it (from another thread: the call in flight is cancelled)."""
        options = options or seq2drum_pb2.GenerationOptions()
        give_up_at = time.monotonic() + self.wait_s  # one --wait for asking the limits and for the song
        limits = self.limits(give_up_at, stop)
        if len(midi) > limits.max_stream_bytes:
            raise HelperError(f"the file is {len(midi)} bytes; the server takes at most {limits.max_stream_bytes} "
                              f"({limits.max_stream_bytes / MiB:.1f} MiB)")
        if len(midi) > limits.max_message_bytes - _ENVELOPE_BYTES:
            chunk_bytes = max(1, min(STREAM_CHUNK_BYTES, limits.max_message_bytes - _ENVELOPE_BYTES))
            return self._with_retries(lambda: self._generate_stream(midi, options, chunk_bytes, stop), give_up_at,
                                      stop)
        return self._with_retries(lambda: self._generate_unary(midi, options, stop), give_up_at, stop)

    def arrange(self, midi: bytes, options: seq2drum_pb2.GenerationOptions | None = None,
                drummer: bool = False, wait_s: float | None = None) -> seq2drum_pb2.ArrangeResponse:
        """The song's sections and the parts each can play, ranked (the Arrange call); with `drummer`, the part the
        song's own drummer plays in each too. `wait_s`: how long to retry a server that is not up (default --wait).
        Raises `grpc.RpcError`, `HelperError` for a file past the server's message limit (an arrangement goes up in
        one message)."""
        give_up_at = time.monotonic() + (self.wait_s if wait_s is None else wait_s)
        limits = self.limits(give_up_at)
        if len(midi) > limits.max_message_bytes - _ENVELOPE_BYTES:
            raise HelperError(f"the file is {len(midi)} bytes; this server arranges files of up to "
                              f"{limits.max_message_bytes - _ENVELOPE_BYTES} bytes")
        request = seq2drum_pb2.ArrangeRequest(midi=midi, options=options or seq2drum_pb2.GenerationOptions(),
                                              drummer=drummer)
        return self._with_retries(lambda: self._stub.Arrange(request, timeout=self.timeout_s, **self._auth),
                                  give_up_at)

    def model_info(self, give_up_at: float | None = None,
                   stop: Stop | None = None) -> seq2drum_pb2.GetModelInfoResponse:
        request = seq2drum_pb2.GetModelInfoRequest()
        return self._with_retries(lambda: self._stub.GetModelInfo(request, timeout=self.timeout_s, **self._auth),
                                  give_up_at, stop)

    def limits(self, give_up_at: float | None = None, stop: Stop | None = None) -> seq2drum_pb2.Limits:
        """The server's limits, asked once per client."""
        if self._limits is None:
            try:
                self._limits = self.model_info(give_up_at, stop).limits
            except grpc.RpcError as error:
                if error.code() != grpc.StatusCode.UNIMPLEMENTED:
                    raise
                self._limits = seq2drum_pb2.Limits(max_message_bytes=FALLBACK_MESSAGE_BYTES,
                                                   max_stream_bytes=FALLBACK_MESSAGE_BYTES)
        return self._limits

    def _generate_unary(self, midi: bytes, options: seq2drum_pb2.GenerationOptions, stop: Stop | None = None) -> Drums:
        request = seq2drum_pb2.GenerateRequest(midi=midi, options=options)
        if stop is None:
            response = self._stub.Generate(request, timeout=self.timeout_s, **self._auth)
        else:  # a call that can be cancelled from another thread
            call = self._stub.Generate.future(request, timeout=self.timeout_s, **self._auth)
            stop.hold(call)
            try:
                response = call.result()
            except grpc.FutureCancelledError:
                raise StoppedError("the call was stopped by its caller") from None
        said = [(list(response.metadata.parts), response.metadata.plan),
                *((list(take.parts), take.plan) for take in response.more_takes)]
        return Drums(response.midi, response.metadata, [(take.midi, take.drum_hits) for take in response.more_takes],
                     said)

    def _generate_stream(self, midi: bytes, options: seq2drum_pb2.GenerationOptions, chunk_bytes: int,
                         stop: Stop | None = None) -> Drums:
        def requests() -> Iterator[seq2drum_pb2.GenerateStreamRequest]:
            yield seq2drum_pb2.GenerateStreamRequest(options=options)
            for start in range(0, len(midi), chunk_bytes):
                yield seq2drum_pb2.GenerateStreamRequest(midi_chunk=midi[start : start + chunk_bytes])

        takes: list[tuple[seq2drum_pb2.GenerationMetadata, list[bytes]]] = []  # each take: metadata, then chunks
        call = self._stub.GenerateStream(requests(), timeout=self.timeout_s, **self._auth)
        if stop is not None:
            stop.hold(call)
        for response in call:
            if response.WhichOneof("part") == "metadata":
                takes.append((response.metadata, []))
            elif takes:
                takes[-1][1].append(response.midi_chunk)
        received = [(metadata, b"".join(chunks)) for metadata, chunks in takes]
        wanted = options.takes if options.HasField("takes") else 1
        for metadata, data in received:
            if len(data) != metadata.output_bytes:
                raise HelperError(f"the server's stream ended early: {len(data)} bytes received of take "
                                  f"{metadata.take or 1}, {metadata.output_bytes} bytes announced")
        written = takes_written(list(received[0][0].notices)) if received else None
        if len(received) < wanted and written != len(received):  # fewer takes said in the notices are all there are
            raise HelperError(f"the server's stream ended early: {len(received)} of {wanted} takes received")
        (metadata, data), *more = received
        said = [(list(each.parts), each.plan) for each, _ in received]
        return Drums(data, metadata, [(midi, more_metadata.drum_hits) for more_metadata, midi in more], said)

    def _with_retries(self, attempt: Callable[[], T], give_up_at: float | None = None, stop: Stop | None = None) -> T:
        """Run `attempt` until it succeeds, fails with anything but UNAVAILABLE or CANCELLED, `stop` stops it, or the
        next try would start after `give_up_at` (default: `wait_s` from now). The pause doubles each time (capped),
        randomised so that clients turned away together do not come back together."""
        give_up_at = time.monotonic() + self.wait_s if give_up_at is None else give_up_at
        ceiling_s = self.backoff_s
        said = ""  # a mistake said once is not said again at every retry (no server: one line, not one a retry)
        while True:
            self.attempts += 1
            try:
                return attempt()
            except grpc.RpcError as error:
                if stop is not None and stop.stopped:
                    raise StoppedError("the call was stopped by its caller") from None
                if error.code() not in RETRIED_CODES:
                    raise
                mistake, final = connection_mistake(error.details() or "", self.tls_ca, self.target)
                pause_s = ceiling_s / 2 + self._random.uniform(0, ceiling_s / 2)
                left_s = give_up_at - time.monotonic()
                if final or pause_s > left_s:  # `explain` says a TLS mistake in one line
                    raise
                if not mistake:
                    print(f"server {self.target} unavailable ({error.details()}); retrying in {pause_s:.1f} s "
                          f"({left_s:.0f} s left of --wait)", file=sys.stderr, flush=True)
                elif mistake != said:
                    print(f"{mistake}; waiting up to {left_s:.0f} s (--wait) for it", file=sys.stderr, flush=True)
                    said = mistake
                if stop is None:
                    time.sleep(pause_s)
                else:
                    stop.wait(pause_s)
                ceiling_s = min(ceiling_s * 2, self.max_backoff_s)
