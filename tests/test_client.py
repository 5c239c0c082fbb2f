"""The DAW helper against a real server on port 0: files beside the song, failures, retries, streaming, --watch."""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest

from client import daw_helper
from client.daw_helper import DrumClient, FolderWatcher, output_path, watch
from proto import seq2drum_pb2 as pb
from seq2drum.inference import DrumGenerator
from seq2drum.midi_io import DRUM_CHANNEL, TrackSpec, read_midi
from server.app import ServerConfig, create_server
from tests.builders import notes_from_steps, riff, rock_song_bytes, song_bytes

REPO = Path(__file__).resolve().parents[1]
KiB = 1024
SERVER_CONFIG = ServerConfig(workers=2, max_message_bytes=64 * KiB, max_stream_bytes=512 * KiB,
                             stream_chunk_bytes=4 * KiB)


@pytest.fixture(scope="module")
def address(tiny_model_path: Path) -> Iterator[str]:
    server, port = create_server("127.0.0.1:0", DrumGenerator.from_checkpoint(tiny_model_path), SERVER_CONFIG)
    server.start()
    yield f"127.0.0.1:{port}"
    server.stop(0).wait(10)


@pytest.fixture()
def song(tmp_path: Path) -> Path:
    path = tmp_path / "Riff 1.mid"
    path.write_bytes(rock_song_bytes(4))
    return path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run_helper(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "client.daw_helper", *args], cwd=REPO, capture_output=True,
                          text=True, timeout=60, check=False)


def test_helper_needs_neither_torch_nor_music21(address: str, song: Path) -> None:
    """A DAW machine has grpcio and protobuf only: checked after import and after a whole run."""
    code = (
        "import sys\n"
        "from client import daw_helper\n"
        "heavy = lambda: sorted(m for m in ('torch', 'music21', 'seq2drum', 'numpy') if m in sys.modules)\n"
        "assert not heavy(), f'after import: {heavy()}'\n"
        f"status = daw_helper.main([{str(song)!r}, '--server', {address!r}, '--seed', '1'])\n"
        "assert not heavy(), f'after a run: {heavy()}'\n"
        "sys.exit(status)\n"
    )
    completed = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60,
                               check=False)
    assert completed.returncode == 0, completed.stderr
    assert output_path(song).is_file()


def test_drums_land_beside_the_song_and_the_song_is_untouched(address: str, song: Path) -> None:
    before = song.read_bytes()
    assert daw_helper.main([str(song), "--server", address, "--seed", "4"]) == 0
    drums = song.with_name("Riff 1_drums.mid")
    parsed = read_midi(drums.read_bytes())
    assert [p.channel for p in parsed.parts] == [DRUM_CHANNEL]
    assert song.read_bytes() == before
    assert sorted(p.name for p in song.parent.iterdir()) == ["Riff 1.mid", "Riff 1_drums.mid"]  # no temp file left


def test_merge_and_output_flags(address: str, song: Path, tmp_path: Path) -> None:
    assert daw_helper.main([str(song), "--server", address, "--merge", "--temperature", "1.0", "--seed", "2"]) == 0
    merged = read_midi(song.with_name("Riff 1_with_drums.mid").read_bytes())
    assert sorted(p.channel for p in merged.parts) == [0, DRUM_CHANNEL]
    chosen = tmp_path / "elsewhere" / "out.mid"
    chosen.parent.mkdir()
    assert daw_helper.main([str(song), "-o", str(chosen), "--server", address]) == 0
    assert read_midi(chosen.read_bytes()).parts


def test_output_never_overwrites_the_song(address: str, song: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = song.read_bytes()
    assert daw_helper.main([str(song), "-o", str(song.parent / "." / song.name), "--server", address]) == 1
    assert "overwrite" in capsys.readouterr().err
    assert song.read_bytes() == before


def test_server_refusal_exits_non_zero_with_status_and_message(address: str, tmp_path: Path) -> None:
    bass_only = tmp_path / "bass.mid"
    bass_only.write_bytes(song_bytes(notes_from_steps(riff(2)), guitar_program=33, guitar_name="Bass",
                                     extra=[TrackSpec("Piano", 1, notes_from_steps(riff(2)), 0)]))
    completed = run_helper(str(bass_only), "--server", address)
    assert completed.returncode == 1
    assert "FAILED_PRECONDITION" in completed.stderr and "'Bass'" in completed.stderr
    assert not output_path(bass_only).exists()


def test_missing_song_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert daw_helper.main([str(tmp_path / "nope.mid"), "--server", "127.0.0.1:1"]) == 2
    assert "nope.mid is not a file" in capsys.readouterr().err


def test_unavailable_is_retried_a_bounded_number_of_times(song: Path, capsys: pytest.CaptureFixture[str]) -> None:
    started = time.monotonic()
    client = DrumClient(f"127.0.0.1:{free_port()}", timeout_s=5, retries=2, backoff_s=0.05)
    with client, pytest.raises(grpc.RpcError) as caught:
        client.generate(song.read_bytes())
    assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
    assert capsys.readouterr().err.count("retrying") == 2
    assert time.monotonic() - started < 20


def test_retry_reaches_a_server_that_comes_up_late(tiny_model_path: Path, song: Path) -> None:
    port = free_port()
    server, _ = create_server(f"127.0.0.1:{port}", DrumGenerator.from_checkpoint(tiny_model_path), SERVER_CONFIG)
    starter = threading.Timer(0.5, server.start)
    starter.start()
    try:
        with DrumClient(f"127.0.0.1:{port}", timeout_s=10, retries=6, backoff_s=0.25) as client:
            drums = client.generate(song.read_bytes())
        assert drums.metadata.bars == 4
    finally:
        starter.join()
        server.stop(0).wait(10)


def test_files_past_the_unary_limit_go_through_the_stream(
    address: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    chords = [(step, pitch) for step in range(16 * 16) for pitch in range(30, 100)]
    big = tmp_path / "big.mid"
    big.write_bytes(song_bytes(notes_from_steps(riff(16), length_steps=2),
                               extra=[TrackSpec("Keys", 1, notes_from_steps(chords), 0)]))
    assert big.stat().st_size > SERVER_CONFIG.max_message_bytes
    with caplog.at_level(logging.INFO, logger="seq2drum.server"):
        assert daw_helper.main([str(big), "--server", address, "--unary-limit-mib", "0.0625"]) == 0
        time.sleep(0.05)
    assert any(r.getMessage().startswith("GenerateStream ") and "status=OK" in r.getMessage() for r in caplog.records)
    assert read_midi(output_path(big).read_bytes()).parts[0].channel == DRUM_CHANNEL


# ---------------------------------------------------------------------------------------------- --watch


def _touch(path: Path, data: bytes, mtime_s: float) -> None:
    path.write_bytes(data)
    os.utime(path, (mtime_s, mtime_s))


def test_watcher_hands_over_stable_new_and_changed_files_only(tmp_path: Path) -> None:
    handled: list[str] = []
    watcher = FolderWatcher(tmp_path, lambda path: handled.append(path.name) or True)
    now = time.time()
    _touch(tmp_path / "a.mid", b"MThd-a", now - 100)
    _touch(tmp_path / "a_drums.mid", b"ours", now - 50)  # our own output, fresher than a.mid: a is done
    _touch(tmp_path / "b.mid", b"MThd-b", now - 100)
    _touch(tmp_path / "b_with_drums.mid", b"ours", now - 200)  # merged output: never input
    _touch(tmp_path / "notes.txt", b"text", now - 100)
    (tmp_path / "growing.MID").write_bytes(b"MTh")
    assert watcher.poll() == []  # nothing is stable on the first look
    (tmp_path / "growing.MID").write_bytes(b"MThd-still-writing")
    watcher.poll()
    assert handled == ["b.mid"]  # stable, no drums yet; a.mid already has newer drums; growing.MID still changing
    watcher.poll()
    assert handled == ["b.mid", "growing.MID"]
    watcher.poll()
    assert handled == ["b.mid", "growing.MID"]  # nothing twice
    _touch(tmp_path / "a.mid", b"MThd-a-new-take", now)
    watcher.poll(), watcher.poll()
    assert handled == ["b.mid", "growing.MID", "a.mid"]  # changed after its drums: done again


def test_watcher_asks_again_after_a_transient_failure(tmp_path: Path) -> None:
    answers = iter([False, True])
    handled: list[str] = []
    watcher = FolderWatcher(tmp_path, lambda path: handled.append(path.name) or next(answers))
    _touch(tmp_path / "song.mid", b"MThd", time.time() - 10)
    assert watcher.run(interval_s=0.01, max_polls=5) == 2
    assert handled == ["song.mid", "song.mid"]


def test_watch_writes_drums_beside_exported_songs(address: str, tmp_path: Path) -> None:
    _touch(tmp_path / "verse.mid", rock_song_bytes(4), time.time() - 10)
    _touch(tmp_path / "junk.mid", b"not midi at all", time.time() - 10)
    with DrumClient(address, timeout_s=30, retries=0) as client:
        handled = watch(client, tmp_path, pb.GenerationOptions(seed=1), interval_s=0.02, max_polls=4)
    assert handled == 2
    assert read_midi((tmp_path / "verse_drums.mid").read_bytes()).parts[0].channel == DRUM_CHANNEL
    assert sorted(p.name for p in tmp_path.iterdir()) == ["junk.mid", "verse.mid", "verse_drums.mid"]


def test_watch_stops_on_a_stop_event(tmp_path: Path) -> None:
    stop = threading.Event()
    stop.set()
    started = time.monotonic()
    assert FolderWatcher(tmp_path, lambda path: True).run(interval_s=10, stop=stop) == 0
    assert time.monotonic() - started < 2


def test_ctrl_c_stops_watching_with_exit_0(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "client.daw_helper", "--watch", str(tmp_path), "--interval", "0.1",
         "--server", f"127.0.0.1:{free_port()}"],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert process.stdout is not None
        assert "watching" in process.stdout.readline()
        time.sleep(0.3)
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=20)
        assert process.returncode == 0, stderr
        assert "stopped watching" in stdout and "Traceback" not in stderr
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
