"""The gRPC server, for real: bound to port 0 on loopback and called over a real channel with the tiny model."""

from __future__ import annotations

import logging
import os
import queue
import random
import signal
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent import futures
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import ProtoReflectionDescriptorDatabase

from proto import seq2drum_pb2 as pb
from proto import seq2drum_pb2_grpc
from seq2drum.config import GenerationOptions
from seq2drum.errors import ConfigError
from seq2drum.inference import DrumGenerator, GenerationResult
from seq2drum.midi_io import DRUM_CHANNEL, TrackSpec, read_midi
from server.app import SEED_MAX, SERVICE_NAME, TEMPERATURE_RANGE, ServerConfig, create_server
from tests.builders import notes_from_steps, riff, rock_song_bytes, song_bytes

REPO = Path(__file__).resolve().parents[1]
KiB = 1024
# Small limits so the tests reach them with small files and short generations.
TEST_CONFIG = ServerConfig(workers=2, max_message_bytes=64 * KiB, max_stream_bytes=512 * KiB,
                           max_song_quarters=512, stream_chunk_bytes=4 * KiB)
TIMEOUT_S = 30.0  # per call: generous for a loaded 2-core machine, but every call is bounded


def big_song_bytes(min_bytes: int) -> bytes:
    """A 16-bar guitar riff plus a dense keyboard part, so the file is large but quick to generate for."""
    guitar = notes_from_steps(riff(16), length_steps=2)
    chords = [(step, pitch) for step in range(16 * 16) for pitch in range(30, 100)]
    keys = notes_from_steps(chords)
    data = song_bytes(guitar, extra=[TrackSpec("Keys", 1, keys, 0)])
    assert len(data) >= min_bytes, f"big song is only {len(data)} bytes"
    return data


class GatedGenerator:
    """Delegates to a real generator after `gate` opens (a test holds a request in flight with it); counts calls."""

    def __init__(self, inner: DrumGenerator, open_gate: bool = True) -> None:
        self.inner = inner
        self.info = inner.info
        self.calls = 0
        self.started = threading.Event()
        self.gate = threading.Event()
        if open_gate:
            self.gate.set()

    def generate(self, midi_bytes: bytes, options: GenerationOptions | None = None) -> GenerationResult:
        self.calls += 1
        self.started.set()
        assert self.gate.wait(20), "test never opened the gate"
        return self.inner.generate(midi_bytes, options)


@contextmanager
def running(generator: Any, config: ServerConfig = TEST_CONFIG) -> Iterator[grpc.Channel]:
    server, port = create_server("127.0.0.1:0", generator, config)
    server.start()
    channel = grpc.insecure_channel(f"127.0.0.1:{port}", options=[("grpc.max_receive_message_length", -1),
                                                                 ("grpc.max_send_message_length", -1)])
    try:
        yield channel
    finally:
        channel.close()
        server.stop(0).wait(10)


@pytest.fixture(scope="module")
def generator(tiny_model_path: Path) -> DrumGenerator:
    return DrumGenerator.from_checkpoint(tiny_model_path)


@pytest.fixture(scope="module")
def channel(generator: DrumGenerator) -> Iterator[grpc.Channel]:
    with running(generator) as channel:
        yield channel


@pytest.fixture()
def stub(channel: grpc.Channel) -> seq2drum_pb2_grpc.Seq2DrumStub:
    return seq2drum_pb2_grpc.Seq2DrumStub(channel)


def generate(
    stub: seq2drum_pb2_grpc.Seq2DrumStub, midi: bytes, timeout: float = TIMEOUT_S, **options: Any
) -> pb.GenerateResponse:
    return stub.Generate(pb.GenerateRequest(midi=midi, options=pb.GenerationOptions(**options)), timeout=timeout)


def stream(
    stub: seq2drum_pb2_grpc.Seq2DrumStub, messages: list[pb.GenerateStreamRequest]
) -> tuple[pb.GenerationMetadata, bytes]:
    responses = list(stub.GenerateStream(iter(messages), timeout=TIMEOUT_S))
    assert responses[0].WhichOneof("part") == "metadata"
    return responses[0].metadata, b"".join(r.midi_chunk for r in responses[1:])


def chunked(data: bytes, size: int, options: pb.GenerationOptions | None = None) -> list[pb.GenerateStreamRequest]:
    messages = [pb.GenerateStreamRequest(options=options)] if options is not None else []
    return messages + [pb.GenerateStreamRequest(midi_chunk=data[i : i + size]) for i in range(0, len(data), size)]


def status_of(call: Any) -> grpc.StatusCode:
    with pytest.raises(grpc.RpcError) as caught:
        call()
    return caught.value.code()


# ---------------------------------------------------------------------------------------------- happy paths


def test_round_trip_gives_drums_on_channel_10(stub: seq2drum_pb2_grpc.Seq2DrumStub) -> None:
    response = generate(stub, rock_song_bytes(8), seed=3)
    song = read_midi(response.midi)
    assert [p.channel for p in song.parts] == [DRUM_CHANNEL]
    assert len(song.parts[0].notes) == response.metadata.drum_hits > 0
    meta = response.metadata
    assert (meta.bars, meta.tempo_changes, meta.seed, meta.model_name) == (8, 0, 3, "tiny-test-model")
    assert meta.output_bytes == len(response.midi) and meta.generation_ms > 0
    assert meta.music_duration_s == pytest.approx(16.0)


def test_tempo_map_and_merge_come_back(stub: seq2drum_pb2_grpc.Seq2DrumStub) -> None:
    guitar = notes_from_steps(riff(8), length_steps=2)
    midi = song_bytes(guitar, tempos=[(0, 500_000), (4 * 4 * 480, 400_000)])
    response = generate(stub, midi, seed=1, merge=True)
    song = read_midi(response.midi)
    assert response.metadata.tempo_changes == 1
    assert [us for _, us in song.tempos] == [500_000, 400_000]
    assert sorted(p.channel for p in song.parts) == [0, DRUM_CHANNEL]


def test_same_seed_same_drums_and_seed_zero_is_a_seed(stub: seq2drum_pb2_grpc.Seq2DrumStub) -> None:
    midi = rock_song_bytes(4)
    first, second = generate(stub, midi, seed=0), generate(stub, midi, seed=0)
    assert first.midi == second.midi and first.metadata.seed == 0
    fresh = {generate(stub, midi).metadata.seed for _ in range(3)}
    assert len(fresh) == 3, "without a seed every request must draw a fresh one"


def test_stream_takes_a_file_past_the_unary_limit(stub: seq2drum_pb2_grpc.Seq2DrumStub) -> None:
    midi = big_song_bytes(TEST_CONFIG.max_message_bytes + 1)
    assert status_of(lambda: generate(stub, midi)) == grpc.StatusCode.RESOURCE_EXHAUSTED
    options = pb.GenerationOptions(seed=5, merge=True)
    metadata, drums = stream(stub, chunked(midi, 16 * KiB, options))
    assert len(drums) == metadata.output_bytes > TEST_CONFIG.stream_chunk_bytes  # came back in several chunks
    assert metadata.bars == 16 and metadata.seed == 5
    assert sorted(p.channel for p in read_midi(drums).parts) == [0, DRUM_CHANNEL]


def test_stream_without_options_uses_defaults(stub: seq2drum_pb2_grpc.Seq2DrumStub) -> None:
    metadata, drums = stream(stub, chunked(rock_song_bytes(4), 100))
    assert metadata.bars == 4 and read_midi(drums).parts[0].channel == DRUM_CHANNEL


def test_model_info_advertises_what_generation_options_accept(stub: seq2drum_pb2_grpc.Seq2DrumStub) -> None:
    """Fails when config.py's GenerationOptions ranges move and server.app's advertised copy does not."""
    info = stub.GetModelInfo(pb.GetModelInfoRequest(), timeout=TIMEOUT_S)
    assert info.name == "tiny-test-model" and info.steps_per_quarter == 4 and info.parameters > 0
    assert list(info.drum_classes)[:2] == ["kick", "snare"] and info.training_data["songs_used"] == "0"
    assert info.limits.max_message_bytes == TEST_CONFIG.max_message_bytes
    assert info.limits.concurrent_generations == TEST_CONFIG.workers
    assert (info.options.temperature_min, info.options.temperature_max) == TEMPERATURE_RANGE
    assert info.options.temperature_default == pytest.approx(GenerationOptions().temperature)
    low, high = TEMPERATURE_RANGE
    GenerationOptions(temperature=low), GenerationOptions(temperature=high), GenerationOptions(seed=SEED_MAX)
    for bad in ({"temperature": high + 0.01}, {"temperature": low - 0.01}, {"seed": SEED_MAX + 1}):
        with pytest.raises(ConfigError):
            GenerationOptions(**bad)


def test_health_and_reflection_let_grpcurl_work(channel: grpc.Channel) -> None:
    health = health_pb2_grpc.HealthStub(channel)
    for service in ("", SERVICE_NAME):
        answer = health.Check(health_pb2.HealthCheckRequest(service=service), timeout=TIMEOUT_S)
        assert answer.status == health_pb2.HealthCheckResponse.SERVING
    database = ProtoReflectionDescriptorDatabase(channel)
    services = set(database.get_services())
    assert {SERVICE_NAME, "grpc.health.v1.Health", "grpc.reflection.v1alpha.ServerReflection"} <= services
    described = database.FindFileContainingSymbol(SERVICE_NAME)
    assert described.package == "seq2drum.v1"


def test_one_log_line_per_request(stub: seq2drum_pb2_grpc.Seq2DrumStub, caplog: pytest.LogCaptureFixture) -> None:
    midi = rock_song_bytes(4)
    with caplog.at_level(logging.INFO, logger="seq2drum.server"):
        generate(stub, midi, seed=1)
        status_of(lambda: generate(stub, b"junk"))
        time.sleep(0.05)  # the line is written on the server thread as the call ends
    lines = [r.getMessage() for r in caplog.records if r.name == "seq2drum.server" and r.levelno == logging.INFO]
    ok_line = f"Generate bytes_in={len(midi)} bars=4 "
    assert any(line.startswith(ok_line) and "status=OK ms=" in line for line in lines), lines
    assert any("bytes_in=4 bars=- " in line and "status=INVALID_ARGUMENT" in line for line in lines), lines


# ---------------------------------------------------------------------------------------------- failures


def _patch_ppq(data: bytes, ticks_per_quarter: int) -> bytes:
    return data[:12] + struct.pack(">H", ticks_per_quarter) + data[14:]


@pytest.mark.parametrize(
    ("midi", "options", "code", "reason"),
    [
        (b"", {}, grpc.StatusCode.INVALID_ARGUMENT, "empty"),
        (b"RIFF....WAVEfmt ", {}, grpc.StatusCode.INVALID_ARGUMENT, "not a Standard MIDI File"),
        (rock_song_bytes(4)[:60], {}, grpc.StatusCode.INVALID_ARGUMENT, "corrupt or truncated"),
        (song_bytes(drums=notes_from_steps([(0, 36), (4, 38)])), {}, grpc.StatusCode.FAILED_PRECONDITION, "only drums"),
        (song_bytes(notes_from_steps(riff(2)), guitar_program=33, guitar_name="Bass",
                    extra=[TrackSpec("Piano", 1, notes_from_steps(riff(2)), 0)]),
         {}, grpc.StatusCode.FAILED_PRECONDITION, "'Bass'"),
        (rock_song_bytes(4), {"track": "Banjo"}, grpc.StatusCode.FAILED_PRECONDITION, "'Guitar'"),
        (rock_song_bytes(4), {"temperature": 9.0}, grpc.StatusCode.INVALID_ARGUMENT, "temperature"),
        (rock_song_bytes(4), {"temperature": float("nan")}, grpc.StatusCode.INVALID_ARGUMENT, "temperature"),
        (rock_song_bytes(4), {"seed": 2**63}, grpc.StatusCode.INVALID_ARGUMENT, "seed"),
        (_patch_ppq(rock_song_bytes(4), 1), {}, grpc.StatusCode.INVALID_ARGUMENT, "quarter notes"),
        (_patch_ppq(rock_song_bytes(4), 0xE728), {}, grpc.StatusCode.INVALID_ARGUMENT, "ticks per frame"),
    ],
    ids=["empty", "not-midi", "truncated", "drums-only", "bass-and-piano", "unknown-track", "temperature-9",
         "temperature-nan", "seed-2^63", "ppq-1-too-long", "smpte-time"],
)
def test_bad_input_gets_a_status_a_musician_can_act_on(
    stub: seq2drum_pb2_grpc.Seq2DrumStub, midi: bytes, options: dict[str, Any], code: grpc.StatusCode, reason: str
) -> None:
    with pytest.raises(grpc.RpcError) as caught:
        generate(stub, midi, **options)
    assert caught.value.code() == code, caught.value.details()
    assert reason in caught.value.details()


def test_message_over_the_limit_is_resource_exhausted(stub: seq2drum_pb2_grpc.Seq2DrumStub) -> None:
    padding = b"\0" * (TEST_CONFIG.max_message_bytes + 1)
    assert status_of(lambda: generate(stub, padding)) == grpc.StatusCode.RESOURCE_EXHAUSTED


def test_unary_result_past_the_limit_points_to_the_stream(generator: DrumGenerator) -> None:
    """A merged result bigger than the message limit gets RESOURCE_EXHAUSTED naming GenerateStream, not INTERNAL."""
    guitar = notes_from_steps([(step, pitch) for step in range(64) for pitch in range(40, 90)])
    midi = song_bytes(guitar)
    config = ServerConfig(workers=1, max_message_bytes=len(midi) + KiB, max_stream_bytes=1024 * KiB,
                          stream_chunk_bytes=4 * KiB)
    with running(generator, config) as channel:
        stub = seq2drum_pb2_grpc.Seq2DrumStub(channel)
        assert len(generate(stub, midi, merge=False).midi) < len(midi)
        with pytest.raises(grpc.RpcError) as caught:
            generate(stub, midi, merge=True)
        assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert "GenerateStream" in caught.value.details()


@pytest.mark.parametrize(
    ("messages", "code"),
    [
        ([pb.GenerateStreamRequest(midi_chunk=b"MThd"), pb.GenerateStreamRequest(options=pb.GenerationOptions())],
         grpc.StatusCode.INVALID_ARGUMENT),
        ([pb.GenerateStreamRequest()], grpc.StatusCode.INVALID_ARGUMENT),
        ([], grpc.StatusCode.INVALID_ARGUMENT),
        (chunked(b"\0" * (TEST_CONFIG.max_stream_bytes + 1), 32 * KiB), grpc.StatusCode.RESOURCE_EXHAUSTED),
        (chunked(b"\0" * (TEST_CONFIG.max_message_bytes + 1), 128 * KiB), grpc.StatusCode.RESOURCE_EXHAUSTED),
        (chunked(rock_song_bytes(4), 50, pb.GenerationOptions(temperature=-1)), grpc.StatusCode.INVALID_ARGUMENT),
        (chunked(b"MThd" + bytes(200), 50), grpc.StatusCode.INVALID_ARGUMENT),
    ],
    ids=["options-after-data", "empty-message", "no-messages", "past-stream-limit", "chunk-past-message-limit",
         "bad-option", "bad-midi"],
)
def test_stream_refuses_bad_uploads(
    stub: seq2drum_pb2_grpc.Seq2DrumStub, messages: list[pb.GenerateStreamRequest], code: grpc.StatusCode
) -> None:
    assert status_of(lambda: list(stub.GenerateStream(iter(messages), timeout=TIMEOUT_S))) == code


def test_busy_server_refuses_at_once_then_recovers(generator: DrumGenerator) -> None:
    gated = GatedGenerator(generator, open_gate=False)
    config = ServerConfig(workers=1, max_message_bytes=64 * KiB, max_stream_bytes=64 * KiB, stream_chunk_bytes=4 * KiB)
    with running(gated, config) as channel, futures.ThreadPoolExecutor(1) as pool:
        stub = seq2drum_pb2_grpc.Seq2DrumStub(channel)
        midi = rock_song_bytes(4)
        held = pool.submit(generate, stub, midi)
        assert gated.started.wait(TIMEOUT_S)
        started = time.perf_counter()
        assert status_of(lambda: generate(stub, midi)) == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert status_of(lambda: list(stub.GenerateStream(iter(chunked(midi, 100)), timeout=TIMEOUT_S))) == (
            grpc.StatusCode.RESOURCE_EXHAUSTED
        )
        assert time.perf_counter() - started < 5.0, "a full server must refuse at once, not queue"
        gated.gate.set()
        assert held.result(TIMEOUT_S).metadata.bars == 4
        assert generate(stub, midi).metadata.bars == 4  # the slot came back


def test_passed_deadline_is_refused_without_generating(generator: DrumGenerator) -> None:
    counting = GatedGenerator(generator)
    with running(counting) as channel:
        stub = seq2drum_pb2_grpc.Seq2DrumStub(channel)
        for _ in range(3):
            code = status_of(lambda: generate(stub, rock_song_bytes(8), timeout=0.001))
            assert code == grpc.StatusCode.DEADLINE_EXCEEDED
        time.sleep(0.3)
        assert counting.calls == 0, "work was done for a request whose deadline had passed"
        assert generate(stub, rock_song_bytes(4)).metadata.bars == 4


def test_deadline_passing_during_generation_is_deadline_exceeded(
    generator: DrumGenerator, caplog: pytest.LogCaptureFixture
) -> None:
    gated = GatedGenerator(generator, open_gate=False)
    config = ServerConfig(workers=1, max_message_bytes=64 * KiB, max_stream_bytes=64 * KiB, stream_chunk_bytes=4 * KiB)
    with caplog.at_level(logging.INFO, logger="seq2drum.server"), running(gated, config) as channel:
        stub = seq2drum_pb2_grpc.Seq2DrumStub(channel)
        assert status_of(lambda: generate(stub, rock_song_bytes(4), timeout=0.5)) == grpc.StatusCode.DEADLINE_EXCEEDED
        gated.gate.set()
        deadline = time.monotonic() + TIMEOUT_S
        logged = lambda: any("status=DEADLINE_EXCEEDED" in r.getMessage() for r in caplog.records)
        while time.monotonic() < deadline and not logged():
            time.sleep(0.05)
        assert logged(), "the server did not log the expired request"
        gated.gate.set()
        assert generate(stub, rock_song_bytes(4)).metadata.bars == 4  # the slot was released


# ---------------------------------------------------------------------------------------------- fuzz


def fuzz_cases(count: int, seed: int = 20261122) -> list[tuple[str, bytes]]:
    """Random bytes, truncations, bit flips, and hand-patched headers with absurd clock, tempo and meter values."""
    rng = random.Random(seed)
    bases = [
        rock_song_bytes(4),
        song_bytes(notes_from_steps(riff(4), length_steps=2), tempos=[(0, 500_000), (960, 300_000)],
                   time_signatures=[(0, 4, 4), (1920, 7, 8)], guitar_name="Gitarre \u00e9l\u00e9ctrique"),
    ]
    cases: list[tuple[str, bytes]] = []
    for index in range(count):
        base = bytearray(bases[index % 2])
        kind = index % 7
        if kind == 0:
            data = bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 400)))
            if rng.random() < 0.5:
                data = b"MThd" + data
        elif kind == 1:
            data = bytes(base[: rng.randint(0, len(base) - 1)])
        elif kind == 2:
            for _ in range(rng.randint(1, 10)):
                position = rng.randrange(len(base))
                base[position] ^= 1 << rng.randrange(8)
            data = bytes(base)
        elif kind == 3:
            base[12:14] = struct.pack(">H", rng.choice([0, 1, 2, 3, 7, 0x7FFF, 0x8000, 0xE728, 0xFFFF]))
            data = bytes(base)
        elif kind == 4:
            at = base.find(b"\xff\x51\x03")
            base[at + 3 : at + 6] = rng.choice([b"\x00\x00\x00", b"\x00\x00\x01", b"\xff\xff\xff", b"\x80\x00\x00"])
            data = bytes(base)
        elif kind == 5:
            at = base.find(b"\xff\x58\x04")
            base[at + 3 : at + 5] = bytes([rng.choice([0, 1, 7, 255]), rng.choice([0, 1, 6, 7, 31, 255])])
            data = bytes(base)
        else:  # chunk headers: track count, format, chunk lengths
            field = rng.choice(["format", "tracks", "header_length", "track_length"])
            if field == "format":
                base[8:10] = struct.pack(">H", rng.choice([0, 2, 3, 0xFFFF]))
            elif field == "tracks":
                base[10:12] = struct.pack(">H", rng.choice([0, 1, 9, 0xFFFF]))
            elif field == "header_length":
                base[4:8] = struct.pack(">I", rng.choice([0, 5, 7, 0xFFFFFFFF]))
            else:
                at = base.find(b"MTrk", rng.choice([14, 30]))
                base[at + 4 : at + 8] = struct.pack(">I", rng.choice([0, 1, 0x7FFFFFFF, 0xFFFFFFFF]))
            data = bytes(base)
        cases.append((f"{index}-kind{kind}", data))
    return cases


def test_fuzzed_midi_never_crashes_the_server_or_answers_unknown(stub: seq2drum_pb2_grpc.Seq2DrumStub) -> None:
    expected = {grpc.StatusCode.OK, grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.FAILED_PRECONDITION}
    seen: dict[str, int] = {}
    started = time.monotonic()
    for name, data in fuzz_cases(140):
        try:
            response = generate(stub, data, seed=1)
            code = grpc.StatusCode.OK
            read_midi(response.midi)  # what the server sends back is always a MIDI file
        except grpc.RpcError as error:
            code = error.code()
            assert code in expected, f"case {name}: {code.name} {error.details()!r}"
        seen[code.name] = seen.get(code.name, 0) + 1
        assert time.monotonic() - started < 120, "fuzzing takes too long: is a case near the song-length limit?"
    assert seen.get("OK", 0) > 10 and seen.get("INVALID_ARGUMENT", 0) > 10, seen
    assert generate(stub, rock_song_bytes(4)).metadata.bars == 4  # still serving


# ---------------------------------------------------------------------------------------------- the process


def _spawn_server(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "server", "--host", "127.0.0.1", *args],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )


def _lines(stream: Any) -> queue.Queue[str]:
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        for line in stream:
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    return lines


def _wait_for(lines: queue.Queue[str], text: str, timeout_s: float, seen: list[str]) -> str:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=0.1)
        except queue.Empty:
            continue
        seen.append(line)
        if text in line:
            return line
    raise AssertionError(f"{text!r} did not appear in {timeout_s} s; saw:\n{''.join(seen)}")


def test_sigterm_lets_the_request_in_flight_finish_then_exits_0(tiny_model_path: Path) -> None:
    process = _spawn_server("--port", "0", "--checkpoint", str(tiny_model_path), "--workers", "1",
                            "--grace", "20", "--log-level", "DEBUG")
    try:
        stdout, stderr, seen = _lines(process.stdout), _lines(process.stderr), []
        line = _wait_for(stdout, "listening on", 60, seen)
        port = int(line.rsplit(":", 1)[1])
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel, futures.ThreadPoolExecutor(1) as pool:
            stub = seq2drum_pb2_grpc.Seq2DrumStub(channel)
            in_flight = pool.submit(generate, stub, rock_song_bytes(160), 60.0, seed=2)
            _wait_for(stderr, "Generate started", 30, seen)
            process.send_signal(signal.SIGTERM)
            response = in_flight.result(60)
        assert response.metadata.bars == 160 and read_midi(response.midi).parts
        assert process.wait(30) == 0
        _wait_for(stderr, "shutting down", 5, seen)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)


def test_missing_checkpoint_is_one_line_and_exit_2(tmp_path: Path) -> None:
    process = _spawn_server("--port", "0", "--checkpoint", str(tmp_path / "nope.pt"))
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 2
    assert stderr.strip().count("\n") == 0 and "nope.pt not found" in stderr and "Traceback" not in stderr
    assert stdout == ""


def test_midi_bytes_naming_a_file_are_not_opened(stub: seq2drum_pb2_grpc.Seq2DrumStub, tmp_path: Path) -> None:
    """read_midi also takes paths; the server must hand it the request's bytes, never a path made of them."""
    song = tmp_path / "song.mid"
    song.write_bytes(rock_song_bytes(4))
    with pytest.raises(grpc.RpcError) as caught:
        generate(stub, str(song).encode(), track=str(song))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "not a Standard MIDI File" in caught.value.details()
