"""One PlayAlong stream from the player's side: bars go up as they are played, each bar's drums come back on a
thread, with the wall time each took. grpcio and protobuf only, like the rest of the helper.

    link = LiveLink(channel, options, parts)          # parts: (name, GM program or -1, channel) of the band
    ready = link.open()                               # the model, its lead, the seed
    link.send(index, (4, 4), 120.0, notes)            # at the lead before bar `index`: the notes of the bar before
    bar = link.wait(index, timeout_s)                 # that bar's DrumBar, or None when it has not come yet
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import grpc

from seq2drum.rpc import seq2drum_pb2, seq2drum_pb2_grpc

_END = object()


@dataclass(frozen=True)
class Note:
    """A played note, in quarter notes from the start of its bar; `part` an index into the link's parts."""

    onset: float
    duration: float
    pitch: int
    velocity: int
    part: int


class LiveLinkError(Exception):
    """The stream ended with an error (its gRPC status and message)."""

    def __init__(self, code: grpc.StatusCode, message: str) -> None:
        super().__init__(f"{code.name}: {message}")
        self.code = code


class LiveLink:
    """A PlayAlong call: `send` never blocks (a queue feeds the call); answers are kept by bar index."""

    def __init__(self, channel: grpc.Channel, options: seq2drum_pb2.GenerationOptions | None,
                 parts: Sequence[tuple[str, int, int]], metadata: Sequence[tuple[str, str]] | None = None,
                 explain: Callable[[str], str] | None = None, switch_parts: Sequence[str] = ()) -> None:
        self._stub = seq2drum_pb2_grpc.Seq2DrumStub(channel)
        self._options = options or seq2drum_pb2.GenerationOptions()
        self._parts = [seq2drum_pb2.LivePart(name=name, program=program, channel=chan) for name, program, chan in parts]
        self._metadata = metadata
        self._switch_parts = list(switch_parts)  # the parts a switch may ask for, checked by the server at the start
        self._explain = explain  # an UNAVAILABLE's details -> one line naming a TLS mistake ("" for another failure)
        self._outbox: queue.Queue = queue.Queue()
        self._answers: dict[int, tuple[seq2drum_pb2.DrumBar, float]] = {}
        self._sent: dict[int, float] = {}
        self._changed = threading.Condition()
        self._ready: seq2drum_pb2.PlayAlongReady | None = None
        self.error: LiveLinkError | None = None
        self._call = None
        self._reader: threading.Thread | None = None

    def open(self, timeout_s: float = 10.0) -> seq2drum_pb2.PlayAlongReady:
        """Start the stream; the server's PlayAlongReady. Raises LiveLinkError (the server refused, or is gone)."""
        start = seq2drum_pb2.PlayAlongStart(options=self._options, parts=self._parts, switch_parts=self._switch_parts)
        self._outbox.put(seq2drum_pb2.PlayAlongRequest(start=start))
        self._call = self._stub.PlayAlong(self._requests(), metadata=self._metadata)
        self._reader = threading.Thread(target=self._read, name="seq2drum-live-reader", daemon=True)
        self._reader.start()
        with self._changed:
            self._changed.wait_for(lambda: self._ready is not None or self.error is not None, timeout_s)
        if self.error is not None:
            raise self.error
        if self._ready is None:
            self.close()
            raise LiveLinkError(grpc.StatusCode.DEADLINE_EXCEEDED, f"the server did not answer within {timeout_s:g} s")
        return self._ready

    def send(self, index: int, meter: tuple[int, int], tempo_bpm: float, notes: Sequence[Note]) -> None:
        """Bar `index`'s clock and the notes of the bar before, up to the lead."""
        bar = seq2drum_pb2.PlayedBar(index=index, numerator=meter[0], denominator=meter[1], tempo_bpm=tempo_bpm,
                                     notes=[seq2drum_pb2.LiveNote(onset_quarters=n.onset, duration_quarters=n.duration,
                                                                  pitch=n.pitch, velocity=n.velocity, part=n.part)
                                            for n in notes])
        self._sent[index] = time.perf_counter()
        self._outbox.put(seq2drum_pb2.PlayAlongRequest(bar=bar))

    def switch(self, part: str) -> None:
        """Switch the live drummer's part (a name or id, a style, "model"): played from the next phrase."""
        self._outbox.put(seq2drum_pb2.PlayAlongRequest(part_switch=seq2drum_pb2.PartSwitch(part=part)))

    def wait(self, index: int, timeout_s: float) -> seq2drum_pb2.DrumBar | None:
        """Bar `index`'s drums once they are here (None when they have not come within `timeout_s`). Raises
        LiveLinkError when the stream has failed."""
        with self._changed:
            self._changed.wait_for(lambda: index in self._answers or self.error is not None, max(0.0, timeout_s))
            if index in self._answers:
                return self._answers[index][0]
        if self.error is not None:
            raise self.error
        return None

    def answer(self, index: int) -> seq2drum_pb2.DrumBar | None:
        """Bar `index`'s drums as they came (None: not yet)."""
        answer = self._answers.get(index)
        return None if answer is None else answer[0]

    def round_trip_ms(self, index: int) -> float | None:
        """Wall ms from sending bar `index` to receiving its drums (None: not both yet)."""
        answer = self._answers.get(index)
        sent = self._sent.get(index)
        return None if answer is None or sent is None else (answer[1] - sent) * 1000

    def sent_at(self, index: int) -> float | None:
        """time.perf_counter() when bar `index` was sent."""
        return self._sent.get(index)

    def received_at(self, index: int) -> float | None:
        """time.perf_counter() when bar `index`'s drums arrived."""
        answer = self._answers.get(index)
        return None if answer is None else answer[1]

    def close(self) -> None:
        self._outbox.put(_END)
        if self._reader is not None:
            self._reader.join(5)

    def __enter__(self) -> LiveLink:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _requests(self) -> Iterator[seq2drum_pb2.PlayAlongRequest]:
        while (message := self._outbox.get()) is not _END:
            yield message

    def _read(self) -> None:
        try:
            for response in self._call:
                arrived = time.perf_counter()
                with self._changed:
                    if response.WhichOneof("part") == "ready":
                        self._ready = response.ready
                    else:
                        self._answers[response.bar.index] = (response.bar, arrived)
                    self._changed.notify_all()
        except grpc.RpcError as exc:
            details = exc.details() or ""
            if exc.code() == grpc.StatusCode.UNAVAILABLE and self._explain is not None:
                details = self._explain(details) or details
            with self._changed:
                self.error = LiveLinkError(exc.code(), details)
                self._changed.notify_all()
        finally:
            with self._changed:
                if self.error is None and self._ready is None:
                    self.error = LiveLinkError(grpc.StatusCode.UNAVAILABLE, "the stream ended before it started")
                self._changed.notify_all()
