"""Several servers behind the DAW helper: the server list, round robin, health checking, and a server lost mid-run."""

from __future__ import annotations

import collections
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest

from client.balancing import ServerListError, split_servers, target_for
from client.daw_helper import DrumClient, HelperError, main
from server.config import ServerConfig
from server.testing import ServerThread
from server.workers import ModelSource
from tests.builders import rock_song_bytes

REPO = Path(__file__).resolve().parents[1]
KiB = 1024
CONFIG = ServerConfig(workers=1, max_message_bytes=64 * KiB, max_stream_bytes=512 * KiB, stream_chunk_bytes=4 * KiB)


@pytest.mark.parametrize(("values", "servers"), [
    ("127.0.0.1:1", ["127.0.0.1:1"]),
    (["127.0.0.1:1", "127.0.0.1:2"], ["127.0.0.1:1", "127.0.0.1:2"]),
    (["127.0.0.1:1, 127.0.0.1:2", "127.0.0.1:1"], ["127.0.0.1:1", "127.0.0.1:2"]),
], ids=["one", "repeated-flag", "comma-list-and-repeat"])
def test_server_values_split_into_one_address_each(values: list[str] | str, servers: list[str]) -> None:
    assert split_servers(values) == servers


@pytest.mark.parametrize(("servers", "target"), [
    (["studio-pc:50051"], "studio-pc:50051"),  # one name: gRPC resolves it to every address it has
    (["dns:///render.local:50051"], "dns:///render.local:50051"),
    (["10.0.0.5:50051", "10.0.0.6"], "ipv4:10.0.0.5:50051,10.0.0.6:50051"),
    (["[::1]:7001", "::1"], "ipv6:[::1]:7001,[::1]:50051"),
    (["localhost:7001", "127.0.0.1:7002"], "ipv4:127.0.0.1:7001,127.0.0.1:7002"),
], ids=["dns-name", "grpc-target", "ipv4-list", "ipv6-list", "name-in-a-list"])
def test_targets_for_one_or_several_servers(servers: list[str], target: str) -> None:
    assert target_for(servers) == target


@pytest.mark.parametrize(("servers", "message"), [
    (["studio-pc:fifty"], "the port must be a number"),
    ([":50051"], "names no host"),
    (["127.0.0.1:1", "[::1]:2"], "mix IPv4-only and IPv6-only"),
    (["127.0.0.1:1", "dns:///x:2"], "write HOST:PORT only"),
    ([" , "], "no server given"),
], ids=["port", "host", "families", "scheme-in-list", "empty"])
def test_a_bad_server_list_is_named(servers: list[str], message: str) -> None:
    with pytest.raises(ServerListError, match=message):
        target_for(servers)


def test_a_bad_server_is_a_usage_error_before_anything_is_sent(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    song = tmp_path / "riff.mid"
    song.write_bytes(rock_song_bytes(2))
    assert main([str(song), "--server", "127.0.0.1:50051", "--server", "studio-pc:x"]) == 2
    assert "port must be a number" in capsys.readouterr().err
    with pytest.raises(HelperError, match="no server given"):
        DrumClient(",")


@pytest.fixture()
def two_servers(tiny_model_path: Path) -> Iterator[tuple[ServerThread, ServerThread]]:
    first = ServerThread("127.0.0.1:0", ModelSource(tiny_model_path), CONFIG).start()
    try:
        second = ServerThread("127.0.0.1:0", ModelSource(tiny_model_path), CONFIG).start()
    except BaseException:
        first.stop(0)
        raise
    try:
        yield first, second
    finally:
        first.stop(0)
        second.stop(0)


def jobs_done(server: ServerThread) -> int:
    return sum(worker.jobs for worker in server.pool._idle + list(server.pool._busy))


def test_songs_go_round_robin_and_a_not_serving_server_is_skipped(two_servers: tuple[ServerThread, ServerThread]
                                                                  ) -> None:
    """The channel spreads calls over both servers, and gRPC's own health checking (service config, no
    grpcio-health-checking on the client) keeps calls off a server whose health says NOT_SERVING."""
    first, second = two_servers
    song = rock_song_bytes(2)
    with DrumClient([f"127.0.0.1:{first.port}", f"127.0.0.1:{second.port}"], timeout_s=10, wait_s=10) as client:
        for _ in range(20):  # until both connections are up (a slow one is passed over meanwhile)
            client.generate(song)
            if jobs_done(first) and jobs_done(second):
                break
        before = jobs_done(first), jobs_done(second)
        for _ in range(4):
            client.generate(song)
        assert (jobs_done(first) - before[0], jobs_done(second) - before[1]) == (2, 2)  # in turn
        first.set_serving(False)  # as `python -m server` does on SIGTERM, before it stops
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:  # the health watch reaches the client a moment later
            before = jobs_done(first)
            client.generate(song)
            if jobs_done(first) == before:
                break
        skipped_from = jobs_done(first)
        for _ in range(4):
            client.generate(song)
        assert jobs_done(first) == skipped_from
        first.set_serving(True)
        deadline = time.monotonic() + 5
        while jobs_done(first) == skipped_from and time.monotonic() < deadline:
            client.generate(song)
        assert jobs_done(first) > skipped_from  # back in the rotation once it says SERVING again


SERVER_START_S = 300


def _spawn_server(checkpoint: Path) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "server", "--port", "0", "--checkpoint", str(checkpoint), "--workers", "1",
         "--log-level", "WARNING"], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in process.stdout], daemon=True).start()  # type: ignore[union-attr]
    try:  # a hang guard, not a speed limit: a start took over 120 s with the suite niced under two trainings
        line = lines.get(timeout=SERVER_START_S)
    except queue.Empty:
        process.kill()
        raise AssertionError(f"the server did not start within {SERVER_START_S} s") from None
    return process, line.rsplit(" ", 1)[1].strip()


def test_a_server_killed_mid_run_loses_no_song(tiny_model_path: Path) -> None:
    """Two `python -m server` processes on loopback, three clients sharing one helper channel, 30 songs; one
    server is killed (SIGKILL, calls in flight and all) a third of the way through. Every song still gets its
    drums: calls cut off come back UNAVAILABLE and the helper's retry takes them to the other server."""
    servers = [_spawn_server(tiny_model_path) for _ in range(2)]
    song = rock_song_bytes(4)
    songs: queue.Queue[int] = queue.Queue()
    for index in range(30):
        songs.put(index)
    results: dict[int, int] = {}
    failures: list[BaseException] = []
    done = threading.Event()
    try:
        with DrumClient([address for _, address in servers], timeout_s=20, wait_s=30, backoff_s=0.05) as client:

            def send() -> None:
                while True:
                    try:
                        index = songs.get_nowait()
                    except queue.Empty:
                        return
                    try:
                        results[index] = client.generate(song).metadata.bars
                    except BaseException as exc:  # noqa: BLE001  (collected and asserted on below)
                        failures.append(exc)
                    if len(results) >= 10:
                        done.set()

            threads = [threading.Thread(target=send) for _ in range(3)]
            for thread in threads:
                thread.start()
            assert done.wait(60)
            servers[0][0].send_signal(signal.SIGKILL)
            for thread in threads:
                thread.join(120)
        assert not failures, failures
        assert sorted(results) == list(range(30)) and set(results.values()) == {4}
        assert servers[0][0].wait(10) == -signal.SIGKILL
    finally:
        for process, _ in servers:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                process.wait(30)


def test_a_call_the_server_cancels_as_it_shuts_down_is_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    """A call that reaches a server just as it stops comes back CANCELLED (the helper never cancels its own):
    it goes to the next server like UNAVAILABLE does. Other codes are not retried."""
    monkeypatch.setattr(time, "sleep", lambda seconds: None)

    class Failed(grpc.RpcError):
        def __init__(self, code: grpc.StatusCode) -> None:
            self._code = code

        def code(self) -> grpc.StatusCode:
            return self._code

        def details(self) -> str:
            return self._code.name

    answers = iter([Failed(grpc.StatusCode.CANCELLED), Failed(grpc.StatusCode.UNAVAILABLE), "drums"])

    def attempt() -> str:
        answer = next(answers)
        if isinstance(answer, Failed):
            raise answer
        return answer

    with DrumClient("127.0.0.1:1", wait_s=60) as client:
        assert client._with_retries(attempt) == "drums" and client.attempts == 3
        with pytest.raises(Failed):
            client._with_retries(lambda: (_ for _ in ()).throw(Failed(grpc.StatusCode.INVALID_ARGUMENT)))
        assert client.attempts == 4


def test_a_server_that_stops_gracefully_hands_over_to_the_other(two_servers: tuple[ServerThread, ServerThread]
                                                                ) -> None:
    """A server stopped as `python -m server` stops on SIGTERM (health NOT_SERVING, then calls in flight finish)
    while several clients send songs: none is lost, and the survivor takes the rest."""
    first, second = two_servers
    song = rock_song_bytes(2)
    served: collections.Counter[str] = collections.Counter()
    with DrumClient([f"127.0.0.1:{first.port}", f"127.0.0.1:{second.port}"], timeout_s=10, wait_s=20,
                    backoff_s=0.05) as client:
        for _ in range(4):
            client.generate(song)
        first.set_serving(False)
        stopper = threading.Thread(target=first.stop, args=(5.0,))
        stopper.start()
        for _ in range(8):
            served[str(client.generate(song).metadata.bars)] += 1
        stopper.join(30)
    assert served == {"2": 8} and jobs_done(second) >= 8 - 2
