"""The server against the hostile inputs of issue 22, for real on port 0: undecodable requests, jobs without a
deadline, dead workers, huge options, deadlines passing in line. Each test says which defect it reproduces."""

from __future__ import annotations

import dataclasses
import functools
import logging
import os
import shutil
import signal
import time
from concurrent import futures
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from seq2drum.rpc import seq2drum_pb2 as pb
from seq2drum.rpc import seq2drum_pb2_grpc
from server.app import SERVICE_NAME
from server.workers import ModelSource
from tests.builders import bloating_generator, one_step_bars_song, rock_song_bytes
from tests.hostile_songs import OVERLONG_BYTES, many_tracks, overlong_event_song
from tests.test_server import (
    ONE_WORKER,
    TEST_CONFIG,
    TIMEOUT_S,
    Gate,
    _alive,
    _wait_until,
    connect,
    generate,
    running,
    running_server,
    status_of,
)

METHODS = ("/seq2drum.v1.Seq2Drum/Generate", "/seq2drum.v1.Seq2Drum/GetModelInfo")
# a string field (GenerationOptions.track, field 3) holding bytes that are not UTF-8, inside GenerateRequest.options
BAD_UTF8_OPTIONS = b"\x12\x04" + b"\x1a\x02\xff\xfe"


@pytest.fixture(scope="module")
def source(tiny_model_path: Path) -> ModelSource:
    return ModelSource(tiny_model_path)


@pytest.fixture()
def gate(tmp_path: Path, tiny_model_path: Path) -> Gate:
    return Gate(tmp_path, tiny_model_path)


def _raw_status(channel: grpc.Channel, method: str, body: bytes) -> grpc.RpcError:
    call = channel.unary_unary(method)  # no serializer: the bytes go as they are
    with pytest.raises(grpc.RpcError) as caught:
        call(body, timeout=TIMEOUT_S)
    return caught.value


@pytest.mark.parametrize("body", [b"\xff" * 64, b"\x0a\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", BAD_UTF8_OPTIONS],
                         ids=["garbage", "overlong-varint-length", "invalid-utf8-string"])
def test_undecodable_requests_are_invalid_argument_never_unknown(source: ModelSource, body: bytes) -> None:
    """Issue 22, 6: a garbage protobuf or invalid UTF-8 in a string field came back UNKNOWN "Unexpected
    DecodeError" (grpc's answer to a deserializer that raises). Both are now INVALID_ARGUMENT, on every method."""
    with running(source) as channel:
        for method in METHODS if body != BAD_UTF8_OPTIONS else METHODS[:1]:  # GetModelInfoRequest has no field 2
            error = _raw_status(channel, method, body)
            assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, (method, error.details())
            assert "not a valid seq2drum.v1 message" in error.details()
        stream = channel.stream_stream("/seq2drum.v1.Seq2Drum/GenerateStream")
        with pytest.raises(grpc.RpcError) as caught:
            list(stream(iter([b"\x0a\x02\xff\xfe"]), timeout=TIMEOUT_S))  # options with invalid UTF-8... or garbage
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        stub = seq2drum_pb2_grpc.Seq2DrumStub(channel)
        assert generate(stub, rock_song_bytes(4)).metadata.bars == 4  # and the server carries on


def test_a_job_without_a_deadline_is_stopped_at_the_servers_limit(gate: Gate) -> None:
    """Issue 22, 2: a slow song sent without a deadline held a worker indefinitely. Now every job stops at
    max_job_s (RESOURCE_EXHAUSTED: sending it again would not help), its worker is killed and replaced, and
    GetModelInfo says the limit."""
    config = dataclasses.replace(ONE_WORKER, max_job_s=1.0)
    with running_server(gate.source, config) as server, connect(server) as channel:
        stub = seq2drum_pb2_grpc.Seq2DrumStub(channel)
        assert stub.GetModelInfo(pb.GetModelInfoRequest(), timeout=TIMEOUT_S).limits.max_job_s == 1.0
        [pid] = server.pool.pids()
        with pytest.raises(grpc.RpcError) as caught:
            stub.Generate(pb.GenerateRequest(midi=rock_song_bytes(4)))  # no timeout at all
        assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert "limit of 1 s per song" in caught.value.details()  # stopped at max_job_s, by the server
        _wait_until(lambda: not _alive(pid), timeout_s=5)
        assert server.pool.wait_idle(TIMEOUT_S)
        gate.open()
        assert generate(stub, rock_song_bytes(4)).metadata.bars == 4


def test_an_idle_worker_killed_from_outside_is_replaced_before_any_request_meets_it(source: ModelSource) -> None:
    """Issue 22, 4: kill -9 of an idle worker went unnoticed and the next request sent to it got INTERNAL. Now
    the dead worker is never handed out; the next 10 requests, 2 at a time, all succeed."""
    with running_server(source, TEST_CONFIG) as server, connect(server) as channel:
        stub = seq2drum_pb2_grpc.Seq2DrumStub(channel)
        midi = rock_song_bytes(4)
        victim = server.pool.pids()[0]
        os.kill(victim, signal.SIGKILL)
        with futures.ThreadPoolExecutor(2) as pool:
            results = list(pool.map(lambda _: generate(stub, midi).metadata.bars, range(10)))
        assert results == [4] * 10
        _wait_until(lambda: victim not in server.pool.pids() and len(server.pool.pids()) == 2, timeout_s=TIMEOUT_S)


def _health(channel: grpc.Channel) -> int:
    stub = health_pb2_grpc.HealthStub(channel)
    return stub.Check(health_pb2.HealthCheckRequest(service=SERVICE_NAME), timeout=TIMEOUT_S).status


def test_with_no_worker_able_to_start_health_says_not_serving_and_recovers(tmp_path: Path,
                                                                           tiny_model_path: Path) -> None:
    """Issue 22, 4: with the checkpoint deleted and the workers killed the server ended with 0 workers while health
    said SERVING and every request timed out, even after the file came back. Now health says NOT_SERVING within
    5 s, requests get UNAVAILABLE at once, and replacements keep being tried until one starts."""
    checkpoint = tmp_path / "model.pt"
    shutil.copy(tiny_model_path, checkpoint)
    with running_server(ModelSource(checkpoint), ONE_WORKER) as server, connect(server) as channel:
        stub = seq2drum_pb2_grpc.Seq2DrumStub(channel)
        checkpoint.rename(tmp_path / "away.pt")
        os.kill(server.pool.pids()[0], signal.SIGKILL)
        _wait_until(lambda: _health(channel) == health_pb2.HealthCheckResponse.NOT_SERVING, TIMEOUT_S)
        # refused at once: a song held for a worker would wait out its deadline (DEADLINE_EXCEEDED)
        assert status_of(lambda: generate(stub, rock_song_bytes(4))) == grpc.StatusCode.UNAVAILABLE
        (tmp_path / "away.pt").rename(checkpoint)
        _wait_until(lambda: _health(channel) == health_pb2.HealthCheckResponse.SERVING, TIMEOUT_S)
        assert generate(stub, rock_song_bytes(4)).metadata.bars == 4


def test_an_option_of_megabytes_is_refused_by_its_length(source: ModelSource) -> None:
    """Issue 22, 3: a 15 MB unknown key in kit_map ran difflib on the event loop for seconds. Every string option
    is now refused past its length first, and the options are checked off the event loop; since the flood figures
    (issue 22), from the raw bytes before they are parsed at all (server/wire.py)."""
    config = dataclasses.replace(TEST_CONFIG, max_message_bytes=4 * 1024 * 1024, max_stream_bytes=4 * 1024 * 1024)
    with running(source, config) as channel:
        stub = seq2drum_pb2_grpc.Seq2DrumStub(channel)
        for field in ("kit_map", "track", "style", "meter", "fills", "cymbal"):
            with pytest.raises(grpc.RpcError) as caught:
                generate(stub, rock_song_bytes(4), **{field: '{"' + "x" * 3_000_000 + '": 1}'})
            assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            assert f"{field} holds 3,000,007 bytes, more than any valid value" in caught.value.details()  # by length


def test_a_deadline_passing_in_line_is_logged_as_deadline_exceeded(gate: Gate,
                                                                   caplog: pytest.LogCaptureFixture) -> None:
    """Issue 22, 13: a request whose deadline passed while it waited for a worker was logged as CANCELLED."""
    with caplog.at_level(logging.INFO, logger="seq2drum.server"), running_server(gate.source, ONE_WORKER) as server:
        stub = seq2drum_pb2_grpc.Seq2DrumStub(connect(server))
        with futures.ThreadPoolExecutor(1) as pool:
            holder = pool.submit(generate, stub, rock_song_bytes(4))
            gate.wait_for_call()
            assert status_of(lambda: generate(stub, rock_song_bytes(4), timeout=0.5)) == (
                grpc.StatusCode.DEADLINE_EXCEEDED)
            gate.open()
            assert holder.result(TIMEOUT_S).metadata.bars == 4
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Generate ")]
    assert not any("status=CANCELLED" in line for line in lines), lines
    assert any("status=DEADLINE_EXCEEDED" in line for line in lines), lines


def test_a_message_with_line_breaks_is_one_log_line(source: ModelSource, caplog: pytest.LogCaptureFixture) -> None:
    """Issue 22, 11: a newline in a name (or any text a request carries into an error) forged a complete line in the
    server log. The log line escapes control characters."""
    with caplog.at_level(logging.INFO, logger="seq2drum.server"), running(source) as channel:
        stub = seq2drum_pb2_grpc.Seq2DrumStub(channel)
        forged = "x\n2026-01-01 INFO seq2drum.server: Generate status=OK\x1b[2J"
        assert status_of(lambda: generate(stub, rock_song_bytes(4), track=forged)) != grpc.StatusCode.OK
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Generate ")]
    assert lines and all("\n" not in line and "\x1b" not in line for line in lines), lines


def test_a_slow_drip_upload_is_stopped_and_its_slot_freed(source: ModelSource) -> None:
    """Issue 22, 5: 4 streams sending 1 byte every 8 s held every upload slot for the whole upload window and every
    other stream got UNAVAILABLE. An upload slower than the minimum rate (after a short grace) is now stopped."""
    config = dataclasses.replace(ONE_WORKER, max_uploads=1, upload_idle_s=10.0, upload_grace_s=1.0,
                                 min_upload_bytes_per_s=1024.0)
    midi = rock_song_bytes(4)

    def drip() -> Iterator[pb.GenerateStreamRequest]:
        yield pb.GenerateStreamRequest(options=pb.GenerationOptions(seed=1))
        for byte in midi[:40]:
            yield pb.GenerateStreamRequest(midi_chunk=bytes([byte]))
            time.sleep(0.3)

    with running(source, config) as channel:
        stub = seq2drum_pb2_grpc.Seq2DrumStub(channel)
        with pytest.raises(grpc.RpcError) as caught:
            list(stub.GenerateStream(drip(), timeout=TIMEOUT_S))
        assert caught.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
        assert "too slow" in caught.value.details()  # dropped for its rate, not at the call's TIMEOUT_S
        chunks = [pb.GenerateStreamRequest(midi_chunk=midi[i : i + 500]) for i in range(0, len(midi), 500)]
        responses = list(stub.GenerateStream(iter(chunks), timeout=TIMEOUT_S))  # the only slot is free again
        assert responses[0].metadata.bars == 4


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for localhost and 127.0.0.1, made with openssl (skipped where it is missing)."""
    import subprocess

    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed: no certificate to test TLS with")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out",
                    str(cert), "-days", "1", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"], check=True, capture_output=True)
    return cert, key


def test_tls_and_a_shared_token_guard_a_server_on_the_network(source: ModelSource, certificate: tuple[Path, Path],
                                                              tmp_path: Path) -> None:
    """The security posture of the README's server section: with --tls-cert/--tls-key and a token every call but
    health needs the token (UNAUTHENTICATED without it), plain text is refused, and reflection can be off."""
    from client.drum_client import DrumClient

    cert, key = certificate
    config = dataclasses.replace(TEST_CONFIG, tls_cert=cert, tls_key=key, token="s3cret", reflection=False)
    midi = rock_song_bytes(4)
    with running_server(source, config) as server:
        address = f"localhost:{server.port}"
        with DrumClient(address, timeout_s=TIMEOUT_S, wait_s=0, tls_ca=cert, token="s3cret") as client:
            assert client.generate(midi, pb.GenerationOptions(seed=1)).metadata.bars == 4
        for token in ("", "wrong"):
            with DrumClient(address, timeout_s=TIMEOUT_S, wait_s=0, tls_ca=cert, token=token) as client:
                with pytest.raises(grpc.RpcError) as caught:
                    client.generate(midi)
                assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED
                assert "token" in caught.value.details()
        secure = grpc.secure_channel(address, grpc.ssl_channel_credentials(cert.read_bytes()))
        assert _health(secure) == health_pb2.HealthCheckResponse.SERVING  # open for load balancers
        reflection = secure.unary_stream("/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo")
        with pytest.raises(grpc.RpcError) as caught:
            list(reflection(b"", timeout=TIMEOUT_S))
        assert caught.value.code() in (grpc.StatusCode.UNIMPLEMENTED, grpc.StatusCode.UNAUTHENTICATED)
        with DrumClient(address, timeout_s=5, wait_s=0) as plain, pytest.raises(grpc.RpcError):
            plain.generate(midi)  # plain text to a TLS server
        secure.close()


@pytest.mark.parametrize("denominator", [64, 16], ids=["1/64", "1/16"])
def test_a_song_of_one_step_bars_is_one_line_naming_the_bar_limit(source: ModelSource, denominator: int) -> None:
    """Issue 55 H1: 51 bytes of 1/64 (or 1/16) up to quarter 8,191 made 32,766 bars, and the worker asked for 8 GiB
    for the song's sections. Now INVALID_ARGUMENT naming the limit, and the worker stays."""
    config = dataclasses.replace(ONE_WORKER, max_worker_mib=512)
    with running_server(source, config) as server, connect(server) as channel:
        [pid] = server.pool.pids()
        with pytest.raises(grpc.RpcError) as caught:
            generate(seq2drum_pb2_grpc.Seq2DrumStub(channel), one_step_bars_song(denominator))
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "limited to 2,048 bars" in caught.value.details() and "\n" not in caught.value.details()
        assert server.pool.wait_idle(TIMEOUT_S) and server.pool.pids() == [pid]


def test_a_worker_past_its_memory_limit_is_stopped_and_replaced_and_the_server_goes_on(tiny_model_path: Path) -> None:
    """Issue 55 H1: nothing bounded a worker's memory, so two costly songs at once could ask for 17 GiB. A worker
    whose resident size passes max_worker_mib while it works is stopped (RESOURCE_EXHAUSTED, naming the limit) and
    replaced, and the next song is answered."""
    source = ModelSource(tiny_model_path, factory=functools.partial(bloating_generator, mib=32))
    config = dataclasses.replace(ONE_WORKER, max_worker_mib=640)
    with running_server(source, config) as server, connect(server) as channel:
        stub = seq2drum_pb2_grpc.Seq2DrumStub(channel)
        [pid] = server.pool.pids()
        with pytest.raises(grpc.RpcError) as caught:
            generate(stub, rock_song_bytes(4), track="balloon")
        assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert "more than 640 MiB of memory" in caught.value.details()
        assert server.pool.stopped_for_memory == 1
        _wait_until(lambda: not _alive(pid), timeout_s=10)
        assert server.pool.wait_idle(TIMEOUT_S) and server.pool.pids() != [pid]
        assert generate(stub, rock_song_bytes(4)).metadata.bars == 4


def test_an_event_longer_than_its_track_is_named_not_called_a_file_of_no_notes(source: ModelSource) -> None:
    """Issue 69 N5: a sysex or text event declaring 268,435,455 bytes before the guitar's 32 notes was INVALID_ARGUMENT
    "holds no notes ... check the track is not muted". Now it names the track, the event, its offset and length."""
    with running(source) as channel:
        stub = seq2drum_pb2_grpc.Seq2DrumStub(channel)
        for kind in ("sysex", "meta"):
            with pytest.raises(grpc.RpcError) as caught:
                generate(stub, overlong_event_song(kind))
            assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            assert f"event 3 of track 1 (a {'system-exclusive event' if kind == 'sysex' else 'meta event FF 01'}, " \
                   f"at byte 36 of the file) declares {OVERLONG_BYTES:,} bytes" in caught.value.details()


def test_a_song_of_40000_one_note_tracks_is_refused_in_one_short_line(source: ModelSource) -> None:
    """Issue 69 N3: it held a worker 18 s and came back with 2 MB of metadata for a 1-bar song."""
    config = dataclasses.replace(ONE_WORKER, max_message_bytes=2 * 1024 * 1024, max_stream_bytes=2 * 1024 * 1024)
    with running(source, config) as channel, pytest.raises(grpc.RpcError) as caught:
        generate(seq2drum_pb2_grpc.Seq2DrumStub(channel), many_tracks(40_000))
    details = caught.value.details()
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "holds more than 64 parts" in details
    assert len(details) < 300


def test_a_track_name_of_1_mb_comes_back_cut(source: ModelSource) -> None:
    """Issue 69 N9: a 1 MB track name went whole into the metadata's guitar listing (and the helper's guitar line)."""
    from tests.builders import notes_from_steps, riff, song_bytes

    config = dataclasses.replace(ONE_WORKER, max_message_bytes=4 * 1024 * 1024, max_stream_bytes=4 * 1024 * 1024)
    with running(source, config) as channel:
        midi = song_bytes(notes_from_steps(riff(2)), guitar_name="Guitar " + "x" * 1_000_000)
        metadata = generate(seq2drum_pb2_grpc.Seq2DrumStub(channel), midi).metadata
    [guitar] = metadata.guitar_parts
    assert guitar.startswith("1 'Guitar xxx") and len(guitar) < 300 and metadata.ByteSize() < 10_000


def test_a_worker_runs_below_the_servers_cpu_priority() -> None:
    """Issue 89 P5: the heavy jobs (songs, bars of thousands of notes) run in workers; on a machine with as many
    workers as cores the server's event loop, which answers every other player and the health check, waited behind
    them. A worker lowers its own priority by WORKER_NICENESS."""
    import subprocess
    import sys

    code = ("import os; from server.workers import _yield_to_the_server, WORKER_NICENESS; before = os.nice(0); "
            "_yield_to_the_server(); print(os.nice(0) - before, WORKER_NICENESS)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    moved, wanted = done.stdout.split()
    assert moved == wanted == "5"
