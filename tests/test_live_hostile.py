"""PlayAlong against the hostile inputs of issue 42 (2-7), for real on port 0 with the loop drummer (a slowed one
where a bar's decision must still be running): a start of megabytes or of 400,000 parts, bars of 100,000 notes,
infinite durations, long bars at 10 BPM and bars longer than a file's, and players who leave during a decision;
and issue 55 L5's slots held forever by resting streams or by one address. Each test names its defect."""

from __future__ import annotations

import dataclasses
import logging
import math
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from seq2drum.live.api import BarClock, PlayedNote
from seq2drum.live.features import live_bar
from seq2drum.live.loop_drummer import LoopDrummer
from seq2drum.live.session import MAX_BAR_NOTES, IncomingNote, LiveSession, LiveStreamError
from seq2drum.rpc import seq2drum_pb2 as pb
from seq2drum.rpc import seq2drum_pb2_grpc
from seq2drum.song.columns import FeatureSpec
from server.app import ServerConfig
from server.live_jobs import LiveModel
from server.testing import ServerThread
from server.workers import ModelSource
from tests.builders import tiny_checkpoint

CONFIG = ServerConfig(workers=2, max_streams=2, live_idle_s=1.0, live_max_idle_s=2.0)
TIMEOUT_S = 30.0
GUITAR = [pb.LivePart(name="Guitar", program=29, channel=0)]
RIFF = [pb.LiveNote(onset_quarters=q / 2, duration_quarters=0.4, pitch=40, velocity=100, part=0) for q in range(8)]


class SlowDrummer(LoopDrummer):
    """The loop drummer, 0.5 s a bar: a decision that is still running when its player leaves."""

    def next_bar(self, state: Any, played: Sequence[PlayedNote], previous: BarClock | None, bar: BarClock) -> Any:
        time.sleep(0.5)
        return super().next_bar(state, played, previous, bar)


@dataclasses.dataclass(frozen=True)
class SlowLive(LiveModel):
    def load(self) -> Any:
        return SlowDrummer()


class BrokenDrummer(LoopDrummer):
    """The loop drummer with a bug: every bar raises what no rule expects."""

    def next_bar(self, state: Any, played: Sequence[PlayedNote], previous: BarClock | None, bar: BarClock) -> Any:
        raise ZeroDivisionError("a bug in the bar's decision")


@dataclasses.dataclass(frozen=True)
class BrokenLive(LiveModel):
    def load(self) -> Any:
        return BrokenDrummer()


@pytest.fixture(scope="module")
def server(tiny_model_path: Path) -> Iterator[ServerThread]:
    with ServerThread("127.0.0.1:0", ModelSource(tiny_model_path, live=LiveModel(None)), CONFIG) as running:
        yield running


@pytest.fixture(scope="module")
def causal_server(tiny_model_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerThread]:
    """With a tiny causal model: its features read the notes' durations (the loop drummer does not)."""
    live = tiny_checkpoint(tmp_path_factory.mktemp("live") / "live.pt", causal=True)
    with ServerThread("127.0.0.1:0", ModelSource(tiny_model_path, live=LiveModel(live)), CONFIG) as running:
        yield running


def start(**options: Any) -> pb.PlayAlongRequest:
    return pb.PlayAlongRequest(start=pb.PlayAlongStart(options=pb.GenerationOptions(seed=1, **options), parts=GUITAR))


def bar(index: int, notes: list[pb.LiveNote], meter: tuple[int, int] = (4, 4), tempo: float = 120.0
        ) -> pb.PlayAlongRequest:
    return pb.PlayAlongRequest(bar=pb.PlayedBar(index=index, numerator=meter[0], denominator=meter[1],
                                                tempo_bpm=tempo, notes=notes))


def play(server: ServerThread, messages: list[pb.PlayAlongRequest], hold: threading.Event | None = None,
         timeout_s: float = TIMEOUT_S) -> tuple[list[pb.PlayAlongResponse], grpc.RpcError | None, float]:
    """Send the messages (then keep the stream open until `hold` is set); the answers, the error and the time."""
    def requests() -> Iterator[pb.PlayAlongRequest]:
        yield from messages
        if hold is not None:
            hold.wait(timeout_s)

    channel = grpc.insecure_channel(f"127.0.0.1:{server.port}", options=[("grpc.max_send_message_length", -1)])
    answers: list[pb.PlayAlongResponse] = []
    started = time.monotonic()
    try:
        for answer in seq2drum_pb2_grpc.Seq2DrumStub(channel).PlayAlong(requests(), timeout=timeout_s):
            answers.append(answer)  # noqa: PERF402  (the answers before an error are kept)
    except grpc.RpcError as error:
        return answers, error, time.monotonic() - started
    finally:
        if hold is not None:
            hold.set()
        channel.close()
    return answers, None, time.monotonic() - started


def health_status(server: ServerThread) -> int:
    with grpc.insecure_channel(f"127.0.0.1:{server.port}") as channel:
        return health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=TIMEOUT_S).status


def test_a_start_with_a_15_mb_kit_map_is_refused_unread(server: ServerThread) -> None:
    """Issue 42, 2: PlayAlong starts with a 15 MB kit map were parsed whole (3 clients: 59 -> 2,250 MiB); the
    raw-bytes check covered Generate and GenerateStream only. Now the message is refused by its length, naming the
    limit, and options past any valid length are named from the raw bytes too."""
    _, error, _ = play(server, [start(kit_map='{"' + "x" * 15_000_000 + '": 1}')])
    assert error is not None and error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED, error
    assert "this server takes at most 2,097,152 in one" in error.details()
    _, error, _ = play(server, [start(kit_map='{"' + "x" * 40_000 + '": 1}')])
    assert error is not None and error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "kit_map holds 40,007 bytes" in error.details()


def test_a_bar_of_100000_notes_is_refused_and_health_keeps_answering(server: ServerThread) -> None:
    """Issue 42, 3 and 5: a bar of 100,000 notes stalled health for 1.8 s, 450,000 killed a worker and ended
    UNAVAILABLE ("try again"). Now a bar past MAX_BAR_NOTES is refused before it is parsed, naming the limit (by its
    length, or by counting its notes' field headers), and no worker is touched."""
    replacements = server.pool.replacements
    note = pb.LiveNote(onset_quarters=0.5, duration_quarters=0.25, pitch=40, velocity=100, part=0)
    for count, code, words in ((100_000, grpc.StatusCode.RESOURCE_EXHAUSTED, "at most 4,096 notes in a bar"),
                               (MAX_BAR_NOTES + 1, grpc.StatusCode.INVALID_ARGUMENT, "a bar may hold at most 4,096")):
        answers, error, _ = play(server, [start(), bar(0, []), bar(1, [note] * count)])
        assert len(answers) == 2 and error is not None and error.code() == code, error
        assert words in error.details()
    assert health_status(server) == health_pb2.HealthCheckResponse.SERVING
    assert server.pool.replacements == replacements


def test_a_start_with_400000_parts_is_invalid_not_try_again(server: ServerThread) -> None:
    """Issue 42, 5: a start naming 400,000 parts timed a worker out: UNAVAILABLE "try again", the worker killed,
    and retrying clients repeated it. Now INVALID_ARGUMENT naming the limit, before it is parsed (its field headers
    are counted up to the 65th part)."""
    replacements = server.pool.replacements
    many = pb.PlayAlongRequest(start=pb.PlayAlongStart(parts=[pb.LivePart()] * 400_000))
    _, error, _ = play(server, [many])
    assert error is not None and error.code() == grpc.StatusCode.INVALID_ARGUMENT, error
    assert "the start holds more than 64 parts (or other fields); a start may hold at most 64" in error.details()
    assert server.pool.replacements == replacements


@pytest.mark.parametrize("duration", [math.inf, 1e300, -math.inf, math.nan], ids=["inf", "1e300", "-inf", "nan"])
def test_a_note_of_infinite_duration_is_decided_not_internal(causal_server: ServerThread, duration: float) -> None:
    """Issue 42, 4: a LiveNote lasting inf or 1e300 quarter notes reached the model's features, whose rounding
    raised OverflowError: INTERNAL and a dead worker. Now the session leaves out a duration that is not finite and
    cuts a longer one to its bar."""
    note = pb.LiveNote(onset_quarters=0.0, duration_quarters=duration, pitch=40, velocity=100, part=0)
    replacements = causal_server.pool.replacements
    answers, error, _ = play(causal_server, [start(), bar(0, []), bar(1, [note, *RIFF])])
    assert error is None and [a.bar.index for a in answers[1:]] == [0, 1]
    assert causal_server.pool.replacements == replacements


@pytest.mark.parametrize("duration", [math.inf, 1e300, math.nan])
def test_the_session_and_the_features_take_any_duration(duration: float) -> None:
    """Issue 42, 4 at the two places it went through: the session passes only finite durations, at most the bar,
    and the live model's features read even an infinite one without OverflowError."""
    session = LiveSession(["guitar"], None)
    session.take(0, 4, 4, 120.0, [])
    call = session.take(1, 4, 4, 120.0, [IncomingNote(0.0, duration, 40, 100, 0), IncomingNote(1.0, 0.5, 42, 90, 0)])
    assert call is not None and all(0 <= note.duration <= 4.0 for note in call.played)
    spec = FeatureSpec.current(4)
    steps, _, bar_steps, _ = live_bar([PlayedNote(0.0, duration, 40, 100, "guitar")], BarClock(1, 4, 4, 120.0), spec, 4)
    assert bar_steps == 16 and steps.shape[0] >= 16


def test_long_bars_at_10_bpm_do_not_hold_a_stream_for_an_hour(server: ServerThread) -> None:
    """Issue 42, 6: the idle limit was two bars at the stream's tempo: two bars of 64/1 at 10 BPM held a stream slot
    51 minutes, and four such streams shut out all play-along. Now the wait is at most live_max_idle_s (two bars of
    32/4, the longest a bar may be, at 10 BPM would be 96 s)."""
    hold = threading.Event()
    answers, error, _ = play(server, [start(), bar(0, [], (32, 4), 10.0), bar(1, [], (32, 4), 10.0)], hold)
    assert len(answers) == 3 and error is not None, error
    assert error.code() == grpc.StatusCode.DEADLINE_EXCEEDED and "no message for 2.0 s" in error.details()


@pytest.mark.parametrize("meter", [(64, 1), (33, 4), (16, 1)], ids=["64/1", "33/4", "16/1"])
def test_a_bar_longer_than_a_files_is_refused(server: ServerThread, meter: tuple[int, int]) -> None:
    """Issue 89, P5: a stream took bars of 64/1 (256 quarter notes) where a file's bar holds at most 32, and a 64/1
    bar of 512 notes was decided on the event loop in about 20 ms, holding every other player's bar. Now the stream's
    clock is held to a file's: INVALID_ARGUMENT naming the limit."""
    answers, error, _ = play(server, [start(), bar(0, [], meter)])
    assert len(answers) == 1 and error is not None and error.code() == grpc.StatusCode.INVALID_ARGUMENT, error
    assert "a bar holds at most 32 quarter notes" in error.details()
    session = LiveSession(["guitar"], None)
    with pytest.raises(LiveStreamError, match="at most 32 quarter notes"):
        session.take(0, *meter, 120.0, [])
    assert session.take(0, 32, 4, 120.0, []) is not None


def test_a_player_who_leaves_during_a_decision_costs_no_worker(tiny_model_path: Path) -> None:
    """Issue 42, 7: cancelling a stream while its bar was being decided killed the worker (40 cancels, 14 worker
    replacements in 23 s). A bar's job is short: it now finishes and its worker goes back to the pool. (A bar of
    more than LOCAL_BAR_NOTES notes: fewer are decided in the server's own process, no worker.)"""
    from server.live_stream import LOCAL_BAR_NOTES

    crowded = [pb.LiveNote(onset_quarters=q / 256, duration_quarters=0.01, pitch=40, velocity=90)
               for q in range(LOCAL_BAR_NOTES + 1)]
    source = ModelSource(tiny_model_path, live=SlowLive(None))
    with ServerThread("127.0.0.1:0", source, CONFIG) as slow:
        pids = sorted(slow.pool.pids())
        for _ in range(4):
            hold = threading.Event()
            channel = grpc.insecure_channel(f"127.0.0.1:{slow.port}")

            def requests(hold: threading.Event = hold) -> Iterator[pb.PlayAlongRequest]:
                yield start()
                yield bar(0, crowded)
                hold.wait(TIMEOUT_S)

            call = seq2drum_pb2_grpc.Seq2DrumStub(channel).PlayAlong(requests(), timeout=TIMEOUT_S)
            assert next(call).WhichOneof("part") == "ready"
            time.sleep(0.2)  # bar 0 is being decided on a worker (0.5 s)
            call.cancel()
            hold.set()
            channel.close()
        assert slow.pool.wait_idle(TIMEOUT_S)
        assert slow.pool.replacements == 0 and sorted(slow.pool.pids()) == pids


def run_stream(server: ServerThread, requests: Iterator[pb.PlayAlongRequest], results: dict, name: str
               ) -> threading.Thread:
    """A stream on a thread: results[name] = (its answers, its error) once it ends."""
    def stream() -> None:
        answers, error = [], None
        with grpc.insecure_channel(f"127.0.0.1:{server.port}") as channel:
            try:
                answers.extend(seq2drum_pb2_grpc.Seq2DrumStub(channel).PlayAlong(requests, timeout=TIMEOUT_S))
            except grpc.RpcError as failed:
                error = failed
        results[name] = (answers, error)

    thread = threading.Thread(target=stream)
    thread.start()
    return thread


def test_l5_a_resting_stream_gives_its_slot_to_a_player_who_asks(tiny_model_path: Path) -> None:
    """Issue 55 L5: a stream sending one empty bar a minute held its slot forever, so --max-streams such streams shut
    out all play-along. Now, with every slot taken, a stream that has played no note for live_rest_s is ended
    (RESOURCE_EXHAUSTED, one line) for the player who asks; a stream still playing keeps its slot."""
    config = dataclasses.replace(CONFIG, workers=1, max_streams=2, max_streams_per_peer=2, live_rest_s=2.0,
                                 live_idle_s=10.0, live_max_idle_s=10.0)
    hold, results = threading.Event(), {}

    def resting() -> Iterator[pb.PlayAlongRequest]:
        yield from (start(), bar(0, []), bar(1, []))
        hold.wait(TIMEOUT_S)

    def playing() -> Iterator[pb.PlayAlongRequest]:
        yield start()
        index = 0
        while not hold.wait(0.2):
            yield bar(index, RIFF)
            index += 1

    with ServerThread("127.0.0.1:0", ModelSource(tiny_model_path, live=LiveModel(None)), config) as running:
        try:
            rest = run_stream(running, resting(), results, "resting")
            time.sleep(0.3)  # the resting stream is the older
            band = run_stream(running, playing(), results, "playing")
            time.sleep(0.5)
            _, refused, _ = play(running, [start(), bar(0, RIFF)])
            assert refused is not None and "(--max-streams)" in refused.details()  # nobody has rested 2 s yet
            time.sleep(2.0)
            answers, error, _ = play(running, [start(), bar(0, RIFF)])
            assert error is None and [a.WhichOneof("part") for a in answers] == ["ready", "bar"]
            rest.join(TIMEOUT_S)
            ended = results["resting"][1]
            assert ended is not None and ended.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
            assert ended.details().startswith("resting stream ended: others are waiting"), ended.details()
            assert "playing" not in results  # the band plays on
        finally:
            hold.set()
        band.join(TIMEOUT_S)
        assert results["playing"][1] is None and len(results["playing"][0]) > 10

def test_l5_one_address_holds_at_most_its_share_of_the_streams() -> None:
    """Issue 55 L5: one address could hold every slot. Now it holds at most max_streams_per_peer; another address
    still gets in, and the slots come back as streams end."""
    from server.live_stream import LiveStreamsFullError, PlayAlongStreams, peer_address

    assert peer_address("ipv4:10.0.0.5:51234") == "ipv4:10.0.0.5" and peer_address("ipv6:[::1]:80") == "ipv6:[::1]"
    config = dataclasses.replace(CONFIG, max_streams=4, max_streams_per_peer=2)

    async def admissions() -> None:
        no_workers = SimpleNamespace(source=SimpleNamespace(live=None))  # admission alone: no drummer, no worker
        streams = PlayAlongStreams(no_workers, None, config, None)  # type: ignore[arg-type]
        first = [streams.admit("ipv4:10.0.0.5"), streams.admit("ipv4:10.0.0.5")]
        with pytest.raises(LiveStreamsFullError, match="at most 2 streams from one address"):
            streams.admit("ipv4:10.0.0.5")
        streams.admit("ipv4:10.0.0.6")
        streams.slots.remove(first[0])
        streams.admit("ipv4:10.0.0.5")
        assert streams.open == 3

    import asyncio

    asyncio.run(admissions())


def test_a_bug_in_a_bars_decision_ends_its_stream_internal_and_the_server_serves_on(tiny_model_path: Path) -> None:
    """A bar is decided in the gRPC process itself (server/live_stream.py): an exception no rule expects ends that
    stream INTERNAL, saying the log has the details, and the server goes on answering health and new streams."""
    with ServerThread("127.0.0.1:0", ModelSource(tiny_model_path, live=BrokenLive(None)), CONFIG) as broken:
        answers, error, _ = play(broken, [start(), bar(0, [])])
        assert [answer.WhichOneof("part") for answer in answers] == ["ready"]
        assert error is not None and error.code() == grpc.StatusCode.INTERNAL
        assert "log has the details" in error.details() and "ZeroDivision" in error.details()
        assert health_status(broken) == health_pb2.HealthCheckResponse.SERVING
        again, _, _ = play(broken, [start()])
        assert [answer.WhichOneof("part") for answer in again] == ["ready"]


SMALL_WINDOW = [("grpc.http2.bdp_probe", 0), ("grpc.http2.lookahead_bytes", 16_384)]  # 16 KiB of answers fill it


class NeverReads:
    """Issue 89 P1's player: a start, a bar with a note, then a silent bar of 32/4 at 10 BPM every 20 ms (each
    answered with drums), and no answer ever read. Its channel takes 16 KiB of answers before HTTP/2 holds the rest
    back (a client that never reads fills its window in any case, about 4 MiB at gRPC's default)."""

    def __init__(self, server: ServerThread) -> None:
        self.channel = grpc.insecure_channel(f"127.0.0.1:{server.port}", options=SMALL_WINDOW)
        self.stopped = threading.Event()
        self.call = seq2drum_pb2_grpc.Seq2DrumStub(self.channel).PlayAlong(self._requests())

    def _requests(self) -> Iterator[pb.PlayAlongRequest]:
        yield from (start(), bar(0, RIFF[:1]))
        index = 1
        while not self.stopped.wait(0.02):
            yield bar(index, [], (32, 4), 10.0)
            index += 1

    def close(self) -> None:
        self.stopped.set()
        self.call.cancel()
        self.channel.close()


def _within(condition: Any, timeout_s: float) -> None:
    """Waits until `condition()` holds; AssertionError past `timeout_s` (a guard against a hung test, no speed
    asked: what ended a call is read from its logged reason)."""
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < timeout_s, f"not within {timeout_s} s"
        time.sleep(0.05)


@pytest.fixture
def one_stream(tiny_model_path: Path) -> Iterator[ServerThread]:
    """One play-along slot, given to a newcomer once its stream rests 0.3 s; answers may wait unread 3 s."""
    config = dataclasses.replace(CONFIG, workers=1, max_streams=1, max_streams_per_peer=1, live_rest_s=0.3,
                                 live_idle_s=30.0, live_max_idle_s=60.0, live_unread_s=3.0)
    with ServerThread("127.0.0.1:0", ModelSource(tiny_model_path, live=LiveModel(None)), config) as running:
        yield running


@pytest.mark.slow
def test_p1_a_player_who_never_reads_is_hung_up_on_and_its_slot_freed(one_stream: ServerThread,
                                                                       caplog: pytest.LogCaptureFixture) -> None:
    """Issue 89 P1: a stream that never read blocked in its handler's write, where no limit ran: its call lived on
    (27 cycles of 4: 100 calls in flight, 811 MB). Now an answer left unread for live_unread_s hangs up on its player
    (its connection closed: no status can pass unread answers), gRPC lets the call go, and the slot is free."""
    from server.servicer import _Call

    held = _Call.held
    caplog.set_level("INFO", "seq2drum.server")
    attacker = NeverReads(one_stream)
    try:
        _within(attacker.call.done, 20.0)  # hung up after live_unread_s, as its logged reason says (below)
        assert attacker.call.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED)
        _within(lambda: _Call.held == held, 10.0)
        answers, error, _ = play(one_stream, [start(), bar(0, RIFF), bar(1, RIFF)])
        assert error is None and len(answers) == 3
    finally:
        attacker.close()
    ended = [r.getMessage() for r in caplog.records if "status=CANCELLED" in r.getMessage()]
    assert any("the player left an answer unread for 3.0 s: its connection was closed" in line for line in ended)


@pytest.mark.slow
def test_p1_an_evicted_player_who_never_reads_is_hung_up_on(one_stream: ServerThread,
                                                            caplog: pytest.LogCaptureFixture) -> None:
    """Issue 89 P1: a newcomer took the slot of a stream resting past live_rest_s, but a stream that never read went
    on blocked in its write: the slot was freed, the call was not. Now it is hung up on for losing its slot (within
    ENDED_UNREAD_S of it, its logged reason says), not after the 3 s any answer may wait."""
    from server.servicer import _Call

    held = _Call.held
    caplog.set_level("INFO", "seq2drum.server")
    attacker = NeverReads(one_stream)
    try:
        time.sleep(1.0)  # its 16 KiB window is full: the server's write waits
        assert not attacker.call.done()
        answers, error, _ = play(one_stream, [start(), bar(0, RIFF)], hold=threading.Event(), timeout_s=2.0)
        assert error is not None and [a.WhichOneof("part") for a in answers] == ["ready", "bar"]  # the slot was given
        _within(attacker.call.done, 10.0)
        _within(lambda: _Call.held == held, 10.0)
    finally:
        attacker.close()
    ended = [r.getMessage() for r in caplog.records if "status=CANCELLED" in r.getMessage()]
    assert any("its slot given to another player: its connection was closed" in line for line in ended), ended


@pytest.mark.slow
def test_p1_a_player_who_cancels_is_ended_quietly(one_stream: ServerThread, caplog: pytest.LogCaptureFixture) -> None:
    """Issue 89, low: streams cancelled while their answers waited unread logged an ExecuteBatchError traceback each
    (113 in the probe), and one cancelled while its next bar was awaited 'Task exception was never retrieved ...
    StopAsyncIteration'. Now a player who leaves is logged in one line, CANCELLED, and nothing else."""
    from server.servicer import _Call

    held = _Call.held
    for wait_s in (1.0, 0.05, 0.0):  # its answers waiting unread; a bar on its way; right after its start
        attacker = NeverReads(one_stream)
        time.sleep(wait_s)
        attacker.close()
        _within(lambda: _Call.held == held, 10.0)
    hold = threading.Event()
    thread = threading.Thread(target=play, args=(one_stream, [start(), bar(0, RIFF)], hold, 0.5))
    thread.start()  # a reading player whose deadline passes while the server waits for its next bar
    thread.join(TIMEOUT_S)
    _within(lambda: _Call.held == held, 10.0)
    import gc

    gc.collect()  # a task nobody retrieved is reported when it is collected
    loud = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert not loud, [r.getMessage()[:200] for r in loud]
