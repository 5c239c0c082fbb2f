"""The DAW helper against a real server on port 0: files beside the song, failures, retries, streaming, --watch."""

from __future__ import annotations

import dataclasses
import functools
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

from client import connection, daw_helper
from client.daw_helper import DrumClient
from client.drum_client import HelperError
from client.live_link import LiveLinkError
from client.watch import FolderWatcher, midi_file_problem, watch
from seq2drum.outputs import is_own_output, output_path, take_paths
from seq2drum.rpc import seq2drum_pb2 as pb
from seq2drum.midi.io import DRUM_CHANNEL, read_midi
from seq2drum.midi.kit_presets import preset
from seq2drum.midi.write import TrackSpec
from server.config import ServerConfig
from server.testing import ServerThread
from server.workers import ModelSource
from tests.builders import (
    PPQ,
    backbeat,
    gated_generator,
    note_off,
    note_on,
    notes_from_steps,
    program_change,
    riff,
    rock_song_bytes,
    smf_bytes,
    song_bytes,
    track_chunk,
)
from tests.hostile_songs import overlong_event_song

REPO = Path(__file__).resolve().parents[1]
KiB = 1024
SERVER_CONFIG = ServerConfig(workers=2, max_message_bytes=64 * KiB, max_stream_bytes=512 * KiB,
                             stream_chunk_bytes=4 * KiB)


@pytest.fixture(scope="module")
def address(tiny_model_path: Path) -> Iterator[str]:
    with ServerThread("127.0.0.1:0", ModelSource(tiny_model_path), SERVER_CONFIG) as server:
        yield f"127.0.0.1:{server.port}"


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


# Put first on PYTHONPATH, this makes numpy, torch and music21 unimportable, as on a DAW machine with grpcio alone.
BLOCKER = """
import importlib.abc, sys

class Blocked(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("numpy", "torch", "music21"):
            raise ImportError(f"{name} is blocked: the DAW helper must run with grpcio alone")
        return None

sys.meta_path.insert(0, Blocked())
"""


def test_helper_runs_without_numpy_torch_or_music21(address: str, song: Path, tmp_path: Path) -> None:
    """Fails when the helper (or a seq2drum module it shares with main.py: options, outputs, atomic, the stubs)
    imports numpy, torch or music21: a DAW machine has grpcio and protobuf only. --help, a round trip with a kit map
    and takes, and drums from nothing with a shipped kit map by name all run with those three unimportable."""
    (tmp_path / "blocker").mkdir()
    (tmp_path / "blocker" / "sitecustomize.py").write_text(BLOCKER)
    kit = tmp_path / "kit.json"
    kit.write_text('{"snare": 40}')
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path / "blocker"), str(REPO)])}

    def helper(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "client.daw_helper", *args], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=60, check=False)

    blocked = subprocess.run([sys.executable, "-c", "import numpy"], env=env, capture_output=True, text=True,
                             timeout=60, check=False)
    assert blocked.returncode != 0 and "blocked" in blocked.stderr  # the blocker works
    shown = helper("--help")
    assert shown.returncode == 0 and "--density" in shown.stdout, shown.stderr
    made = helper(str(song), "--server", address, "--seed", "1", "--takes", "2", "--kit-map", str(kit))
    assert made.returncode == 0, made.stderr
    assert [path.is_file() for path in take_paths(song, None, False, 2)] == [True, True]
    nothing = helper("--bars", "4", "--meter", "7/8", "--server", address, "--seed", "2", "--kit-map", "toontrack")
    assert nothing.returncode == 0 and (tmp_path / "drums_4bars.mid").is_file(), nothing.stderr
    pitches = set(read_midi((tmp_path / "drums_4bars.mid").read_bytes()).drum_parts[0].notes[:, 2].tolist())
    assert pitches <= set(preset("toontrack").notes().values()), pitches  # a shipped map, by its name


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
    bass_only.write_bytes(song_bytes(notes_from_steps(riff(2)), notes_from_steps([(0, 36), (4, 38)]),
                                     guitar_program=33, guitar_name="Bass",
                                     extra=[TrackSpec("Piano", 1, notes_from_steps(riff(2)), 0)]))
    completed = run_helper(str(bass_only), "--server", address, "--guitar-only")
    assert completed.returncode == 1
    assert "FAILED_PRECONDITION" in completed.stderr and "'Bass'" in completed.stderr
    assert not output_path(bass_only).exists()


def test_a_band_without_a_guitar_and_a_groove_clip_reach_the_server(address: str, tmp_path: Path) -> None:
    """Without --guitar-only the band model plays to a file with no guitar and the helper prints the parts it used
    with their roles and the notice; --groove's clip is read here and sent; a clip that cannot be read is refused
    here, naming it."""
    bass_only = tmp_path / "bass.mid"
    bass_only.write_bytes(song_bytes(notes_from_steps(riff(2)), guitar_program=33, guitar_name="Bass",
                                     extra=[TrackSpec("Piano", 1, notes_from_steps(riff(2)), 0)]))
    clip = tmp_path / "clip.mid"
    clip.write_bytes(song_bytes(drums=notes_from_steps(backbeat(2))))
    completed = run_helper(str(bass_only), "--server", address, "--groove", str(clip), "--seed", "1")
    assert completed.returncode == 0, completed.stderr
    assert "band: bass: 1 'Bass'" in completed.stdout and "keys: 2 'Piano'" in completed.stdout
    assert "no guitar part: the drums follow bass" in completed.stderr
    missing = run_helper(str(bass_only), "--server", address, "--groove", str(tmp_path / "nope.mid"))
    assert missing.returncode != 0 and "cannot read --groove" in missing.stderr


def test_overwrite_rules_match_the_cli(address: str, song: Path, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    """Running again keeps the earlier take (Riff 1_drums-2.mid, -3); -o over an existing file needs --force and
    is refused before the server is asked (exit 2, as main.py)."""
    assert daw_helper.main([str(song), "--server", address, "--seed", "1"]) == 0
    first = song.with_name("Riff 1_drums.mid").read_bytes()
    assert daw_helper.main([str(song), "--server", address, "--seed", "2"]) == 0
    assert daw_helper.main([str(song), "--server", address, "--seed", "3"]) == 0
    assert song.with_name("Riff 1_drums.mid").read_bytes() == first
    assert song.with_name("Riff 1_drums-2.mid").is_file() and song.with_name("Riff 1_drums-3.mid").is_file()
    chosen = tmp_path / "mine.mid"
    chosen.write_bytes(b"keep me")
    capsys.readouterr()
    assert daw_helper.main([str(song), "-o", str(chosen), "--server", "127.0.0.1:1"]) == 2  # no server needed
    assert "--force" in capsys.readouterr().err and chosen.read_bytes() == b"keep me"
    assert daw_helper.main([str(song), "-o", str(chosen), "--force", "--server", address]) == 0
    assert read_midi(chosen.read_bytes()).parts[0].channel == DRUM_CHANNEL
    assert all(is_own_output(Path(name)) for name in ("a_drums-2.mid", "a_with_drums-12.MID"))
    assert not is_own_output(Path("drums-2.mid"))


def test_helper_names_the_guitar_parts_and_shows_notices(address: str, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    other = TrackSpec("Track 2", 1, notes_from_steps(riff(4)), program=20)
    export = tmp_path / "export.mid"
    export.write_bytes(song_bytes(notes_from_steps(riff(4)), guitar_program=5, guitar_name="Track 1", extra=[other]))
    assert daw_helper.main([str(export), "--server", address, "--seed", "1", "--guitar-only"]) == 0
    out, err = capsys.readouterr()
    assert "guitar: 1 'Track 1' (channel 1, program 6, 64 notes); 2 'Track 2'" in out
    assert "warning: no part is marked as guitar" in err


def test_watch_keeps_earlier_takes_and_skips_its_own(address: str, tmp_path: Path) -> None:
    """A re-exported song gets a new take beside the old one; the takes are never taken as songs."""
    now = time.time()
    _touch(tmp_path / "verse.mid", rock_song_bytes(4), now - 100)
    _touch(tmp_path / "verse_drums.mid", OURS, now - 200)  # an earlier take, older than the song: redo
    with DrumClient(address, timeout_s=30, wait_s=0) as client:
        assert watch(client, tmp_path, pb.GenerationOptions(seed=1), interval_s=0.02, max_polls=4, settle_s=0) == 1
        assert (tmp_path / "verse_drums.mid").read_bytes() == OURS
        assert read_midi((tmp_path / "verse_drums-2.mid").read_bytes()).parts
        # a restart
        assert watch(client, tmp_path, pb.GenerationOptions(seed=1), interval_s=0.02, max_polls=4, settle_s=0) == 0


def test_missing_song_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert daw_helper.main([str(tmp_path / "nope.mid"), "--server", "127.0.0.1:1"]) == 2
    assert "nope.mid not found; name an existing .mid file" in capsys.readouterr().err


def test_folders_where_files_belong_are_usage_errors_as_in_the_cli(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """A folder as the song, or as -o (which --force would then fail on halfway), is refused up front with exit 2,
    naming a file to give instead, as main.py does."""
    assert daw_helper.main([str(tmp_path), "--server", "127.0.0.1:1"]) == 2
    assert "is a folder; name a .mid file in it" in capsys.readouterr().err
    song = tmp_path / "song.mid"
    song.write_bytes(b"MThd")
    assert daw_helper.main([str(song), "-o", str(tmp_path), "--force", "--server", "127.0.0.1:1"]) == 2
    assert f"is a folder; name a file in it, e.g. {tmp_path / 'song_drums.mid'}" in capsys.readouterr().err


def test_output_gets_the_usual_mode_for_a_new_file(address: str, song: Path) -> None:
    """Issue 11, failure 7: the helper wrote 0600 files (a temp file's mode), unreadable to other tools and users."""
    old = os.umask(0o022)
    try:
        assert daw_helper.main([str(song), "--server", address, "--seed", "1"]) == 0
    finally:
        os.umask(old)
    assert output_path(song).stat().st_mode & 0o777 == 0o644


def test_unavailable_is_retried_until_the_wait_runs_out(song: Path, capsys: pytest.CaptureFixture[str],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """No server on the port: retried within --wait (a server may be starting), and said once, with how to start one
    (issue 90: 14 lines of gRPC's words over 58 s, then UNAVAILABLE, and no hint). The client's clock is the test's:
    its pauses move it, so the wait it gave up at is counted, not timed."""
    clock = Clock()
    monkeypatch.setattr(time, "monotonic", clock)
    monkeypatch.setattr(time, "sleep", lambda seconds: setattr(clock, "now", clock.now + seconds))
    started = clock.now
    client = DrumClient(f"127.0.0.1:{free_port()}", timeout_s=5, wait_s=1.0, backoff_s=0.05, max_backoff_s=0.4)
    with client, pytest.raises(grpc.RpcError) as caught:
        client.generate(song.read_bytes())
    assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
    assert 1.0 - 0.4 <= clock.now - started <= 1.0  # gave up when the next pause would pass --wait, not before
    said = capsys.readouterr().err.splitlines()
    assert client.attempts >= 3 and len(said) == 1, said
    assert "no seq2drum server is running" in said[0] and "python -m server" in said[0]
    assert "python -m server" in client.explain(caught.value)  # the error line says it too
    with DrumClient(f"127.0.0.1:{free_port()}", timeout_s=5, wait_s=0) as no_wait, pytest.raises(grpc.RpcError):
        no_wait.generate(song.read_bytes())
    assert no_wait.attempts == 1


def test_backoff_doubles_up_to_its_cap_and_is_randomised(monkeypatch: pytest.MonkeyPatch) -> None:
    pauses: list[float] = []
    monkeypatch.setattr(time, "sleep", pauses.append)

    class Unavailable(grpc.RpcError):
        def code(self) -> grpc.StatusCode:
            return grpc.StatusCode.UNAVAILABLE

        def details(self) -> str:
            return "busy"

    def busy() -> None:
        raise Unavailable()

    with DrumClient("127.0.0.1:1", wait_s=3600, backoff_s=1.0, max_backoff_s=8.0) as client:
        calls = iter(range(9))
        with pytest.raises(StopIteration):
            client._with_retries(lambda: next(calls) is None or busy())
    ceilings = [1, 2, 4, 8, 8, 8, 8, 8, 8]
    assert len(pauses) == 9 and all(c / 2 <= p <= c for p, c in zip(pauses, ceilings))
    assert len({round(p, 6) for p in pauses[3:]}) > 1  # jittered, not in lockstep


def test_a_stop_ends_the_wait_between_retries_and_no_retry_starts() -> None:
    """The studio stops a song whose page closed (issue 69 M5): a call waiting out a 15-30 s backoff ends at once with
    StoppedError, and no other attempt is made."""
    from client.drum_client import Stop, StoppedError

    class Unavailable(grpc.RpcError):
        def code(self) -> grpc.StatusCode:
            return grpc.StatusCode.UNAVAILABLE

        def details(self) -> str:
            return "busy"

    stop, attempts, pauses = Stop(), [], []
    wait = stop.wait

    def busy() -> None:
        attempts.append(1)
        threading.Timer(0.2, stop.stop).start()
        raise Unavailable()

    def paused(seconds: float) -> None:
        pauses.append(seconds)
        wait(seconds)

    stop.wait = paused  # type: ignore[method-assign]
    with DrumClient("127.0.0.1:1", wait_s=3600, backoff_s=30.0, max_backoff_s=30.0) as client:
        with pytest.raises(StoppedError):
            client._with_retries(busy, stop=stop)
    # one pause of 15-30 s began, and the stop ended it (a pause waited out would have made a second attempt)
    assert len(attempts) == 1 and len(pauses) == 1 and 15.0 <= pauses[0] <= 30.0


def test_asking_the_limits_and_sending_the_song_share_one_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    """GetModelInfo and the song were each retried for a whole --wait, so a server busy or down the whole time
    kept the user waiting up to twice what --wait says."""
    clock = Clock()
    monkeypatch.setattr(time, "monotonic", clock)
    monkeypatch.setattr(time, "sleep", lambda seconds: setattr(clock, "now", clock.now + seconds))
    started = clock.now

    class Unavailable(grpc.RpcError):
        def code(self) -> grpc.StatusCode:
            return grpc.StatusCode.UNAVAILABLE

        def details(self) -> str:
            return "busy"

    class Stub:
        def GetModelInfo(self, request: object, timeout: float) -> pb.GetModelInfoResponse:
            if clock.now - started < 8.0:  # down for 8 s, then up but busy
                raise Unavailable()
            return pb.GetModelInfoResponse(limits=pb.Limits(max_message_bytes=64 * KiB, max_stream_bytes=64 * KiB))

        def Generate(self, request: object, timeout: float) -> None:
            raise Unavailable()

    with DrumClient("127.0.0.1:1", wait_s=10.0, backoff_s=1.0, max_backoff_s=2.0) as client:
        client._stub = Stub()  # type: ignore[assignment]
        with pytest.raises(Unavailable):
            client.generate(rock_song_bytes(2))
    assert 8.0 <= clock.now - started <= 10.0


def test_retry_reaches_a_server_that_restarts(tiny_model_path: Path, song: Path) -> None:
    """Issue 11, failure 4: the helper gave up after ~3.5 s, so a server restart of 5 s failed the user.
    The server comes up 2 s late here; --wait (60 s by default) covers it."""
    port = free_port()
    server = ServerThread(f"127.0.0.1:{port}", ModelSource(tiny_model_path), SERVER_CONFIG)
    starter = threading.Timer(2.0, server.start)
    starter.start()
    try:
        with DrumClient(f"127.0.0.1:{port}", timeout_s=10, wait_s=30) as client:
            drums = client.generate(song.read_bytes())
        assert drums.metadata.bars == 4 and client.attempts > 2
    finally:
        starter.join()
        server.stop(0)


def test_single_file_mode_waits_out_a_busy_server(tiny_model_path: Path, song: Path, tmp_path: Path) -> None:
    """Issue 11, failure 4: under 8 clients, 5 of 5 single-file runs failed with RESOURCE_EXHAUSTED. Busy is
    now UNAVAILABLE, and the helper retries it."""
    gate = tmp_path / "gate"
    calls = tmp_path / "calls"
    calls.touch()
    source = ModelSource(tiny_model_path, factory=functools.partial(gated_generator, gate=str(gate), calls=str(calls)))
    config = ServerConfig(workers=1, max_waiting=0, max_message_bytes=64 * KiB, max_stream_bytes=512 * KiB,
                          stream_chunk_bytes=4 * KiB)  # no line: the helper's song is refused and retried
    with ServerThread("127.0.0.1:0", source, config) as server:
        address = f"127.0.0.1:{server.port}"
        def hold() -> None:
            with DrumClient(address) as client:
                client.generate(rock_song_bytes(4))

        holder = threading.Thread(target=hold)
        holder.start()
        while not calls.read_text():
            time.sleep(0.01)
        # the gate opens once the helper has been refused and said so, however long it took to start (a fixed
        # 1 s let a helper that started late on a loaded machine find the server free)
        helper = subprocess.Popen([sys.executable, "-m", "client.daw_helper", str(song), "--server", address,
                                   "--seed", "1"], cwd=REPO, stderr=subprocess.PIPE, text=True)
        assert helper.stderr is not None
        said = []
        for line in helper.stderr:
            said.append(line)
            if "unavailable" in line:
                break
        gate.touch()  # also when the helper ended without saying so: the assertions below tell
        said.append(helper.stderr.read())
        helper.wait(60)
        holder.join(30)
    assert helper.returncode == 0, "".join(said)
    assert "unavailable" in "".join(said) and output_path(song).is_file()


def test_limits_come_from_the_server(address: str, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Issue 11, failure 9: the helper hard-coded the server's 16 MiB message limit. A server with a 64 KiB limit
    gets a 100 KiB file through GenerateStream without any flag, and a file past its upload limit is refused here."""
    chords = [(step, pitch) for step in range(16 * 16) for pitch in range(30, 100)]
    big = tmp_path / "big.mid"
    big.write_bytes(song_bytes(notes_from_steps(riff(16), length_steps=2),
                               extra=[TrackSpec("Keys", 1, notes_from_steps(chords), 0)]))
    assert big.stat().st_size > SERVER_CONFIG.max_message_bytes
    with caplog.at_level(logging.INFO, logger="seq2drum.server"):
        assert daw_helper.main([str(big), "--server", address]) == 0
        time.sleep(0.05)
    assert any(r.getMessage().startswith("GenerateStream ") and "status=OK" in r.getMessage() for r in caplog.records)
    assert read_midi(output_path(big).read_bytes()).parts[0].channel == DRUM_CHANNEL
    huge = tmp_path / "huge.mid"
    huge.write_bytes(b"MThd" + bytes(SERVER_CONFIG.max_stream_bytes))
    with DrumClient(address) as client, pytest.raises(HelperError, match="at most 524288"):
        client.generate(huge.read_bytes())


# ---------------------------------------------------------------------------------------------- --watch


OURS = song_bytes(None, notes_from_steps(backbeat(2)))  # a file seq2drum wrote: its conductor track first


def _touch(path: Path, data: bytes, mtime_s: float) -> None:
    path.write_bytes(data)
    os.utime(path, (mtime_s, mtime_s))


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_watcher_hands_over_settled_new_and_changed_files_only(tmp_path: Path) -> None:
    handled: list[str] = []
    clock = Clock()
    watcher = FolderWatcher(tmp_path, lambda path: handled.append(path.name) or True, settle_s=2.0, clock=clock)
    now = time.time()
    song = rock_song_bytes(2)
    _touch(tmp_path / "a.mid", song, now - 100)
    _touch(tmp_path / "a_drums.mid", OURS, now - 50)  # our own output, fresher than a.mid: a is done
    _touch(tmp_path / "b.mid", song, now - 100)
    _touch(tmp_path / "b_with_drums.mid", OURS, now - 200)  # merged output: never input
    _touch(tmp_path / "notes.txt", b"text", now - 100)
    (tmp_path / "growing.MID").write_bytes(song[:10])
    assert watcher.poll() == []  # nothing has settled on the first look
    clock.now += 1.0
    (tmp_path / "growing.MID").write_bytes(song)
    assert watcher.poll() == []  # one second is not the settle time
    clock.now += 1.0
    watcher.poll()
    assert handled == ["b.mid"]  # settled, no drums yet; a.mid already has newer drums; growing.MID just changed
    clock.now += 2.0
    watcher.poll()
    assert handled == ["b.mid", "growing.MID"]
    clock.now += 5.0
    watcher.poll()
    assert handled == ["b.mid", "growing.MID"]  # nothing twice
    _touch(tmp_path / "a.mid", rock_song_bytes(3), now)
    watcher.poll()
    clock.now += 2.0
    watcher.poll()
    assert handled == ["b.mid", "growing.MID", "a.mid"]  # changed after its drums: done again


def test_watcher_takes_a_users_file_named_like_its_drums(tmp_path: Path) -> None:
    """Issue 69 N13: a user's user_drums.mid (exported by a DAW, not written by seq2drum) was skipped without a word,
    as its name is one the helper gives its drums files. Only the files seq2drum wrote are skipped now."""
    handled: list[str] = []
    watcher = FolderWatcher(tmp_path, lambda path: handled.append(path.name) or True, settle_s=0)
    now = time.time()
    daw_export = smf_bytes([track_chunk([(0, program_change(0, 29)), (0, note_on(0, 40, 100)),
                                         (PPQ, note_off(0, 40))])])
    _touch(tmp_path / "user_drums.mid", daw_export, now - 100)
    _touch(tmp_path / "verse.mid", daw_export, now - 100)
    _touch(tmp_path / "verse_drums.mid", OURS, now - 50)  # written by seq2drum, newer than verse.mid: verse is done
    watcher.poll()
    assert handled == ["user_drums.mid"]
    _touch(tmp_path / "user_drums.mid", OURS, now)  # the same name, now a file seq2drum wrote: never a song
    watcher.poll()
    assert handled == ["user_drums.mid"]


def test_watcher_leaves_a_paused_half_written_file_alone(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 11, failure 5: a writer that paused for longer than two looks had its half-written file taken.
    Now the file must also read as a complete MIDI file (every declared track there, each ended)."""
    handled: list[str] = []
    clock = Clock()
    watcher = FolderWatcher(tmp_path, lambda path: handled.append(path.name) or True, settle_s=2.0, clock=clock)
    song = rock_song_bytes(4)
    export = tmp_path / "take.mid"
    for cut in (len(song) // 3, len(song) - 1):  # the writer pauses twice, far longer than the settle time
        export.write_bytes(song[:cut])
        for _ in range(5):
            watcher.poll()
            clock.now += 3.0
        assert handled == []
    assert capsys.readouterr().err.count("take.mid:") == 2  # said once per state, not once per look
    export.write_bytes(song)
    watcher.poll()
    clock.now += 2.0
    watcher.poll()
    assert handled == ["take.mid"]


def test_watcher_gives_no_new_takes_for_a_song_touched_without_a_change(tmp_path: Path) -> None:
    """Issue 23 item 10: touching a song (or saving it again unchanged) wrote a new set of takes."""
    handled: list[str] = []
    clock = Clock()
    watcher = FolderWatcher(tmp_path, lambda path: handled.append(path.name) or True, settle_s=2.0, clock=clock)
    song = tmp_path / "song.mid"
    _touch(song, rock_song_bytes(2), time.time() - 100)
    for mtime, data in ((time.time() - 10, rock_song_bytes(2)), (time.time(), rock_song_bytes(3))):
        watcher.poll()
        clock.now += 2.0
        watcher.poll()
        _touch(song, data, mtime)  # first touched unchanged, then really changed
        clock.now += 1.0
    watcher.poll()
    clock.now += 2.0
    watcher.poll()
    assert handled == ["song.mid", "song.mid"]  # the first version, and the changed one; not the touch


def test_watcher_refuses_a_settled_file_that_is_not_midi(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 23 item 10: a text file renamed .mid waited forever ("not a MIDI file (yet)"); once settled it is
    reported as refused, once, and skipped until it changes."""
    handled: list[str] = []
    clock = Clock()
    watcher = FolderWatcher(tmp_path, lambda path: handled.append(path.name) or True, settle_s=2.0, clock=clock)
    _touch(tmp_path / "lyrics.mid", b"verse one, chorus\n", time.time() - 100)
    for _ in range(4):
        watcher.poll()
        clock.now += 2.0
    err = capsys.readouterr().err
    assert err.count("lyrics.mid: refused: not a MIDI file") == 1 and "waiting" not in err and handled == []


SONG = rock_song_bytes(2)


@pytest.mark.parametrize(
    ("data", "problem"),
    [(b"", "not a MIDI file"), (b"RIFF", "not a MIDI file"),
     (SONG[: SONG.index(b"MTrk", 20)], "after 1 of its 3 tracks"),
     (SONG[:-1], "cut short"), (SONG[:-3] + b"\0\0\0", "no end-of-track")],
    ids=["empty", "not-midi", "missing-tracks", "cut-track", "no-end-of-track"],
)
def test_midi_file_problem_names_what_is_missing(data: bytes, problem: str) -> None:
    assert problem in (midi_file_problem(data) or "")
    assert midi_file_problem(SONG) is None


def test_watcher_asks_again_after_a_transient_failure(tmp_path: Path) -> None:
    answers = iter([False, True])
    handled: list[str] = []
    watcher = FolderWatcher(tmp_path, lambda path: handled.append(path.name) or next(answers), settle_s=0)
    _touch(tmp_path / "song.mid", rock_song_bytes(2), time.time() - 10)
    assert watcher.run(interval_s=0.01, max_polls=5) == 2
    assert handled == ["song.mid", "song.mid"]


def test_watch_writes_drums_beside_exported_songs(address: str, tmp_path: Path) -> None:
    _touch(tmp_path / "verse.mid", rock_song_bytes(4), time.time() - 10)
    _touch(tmp_path / "junk.mid", b"MThd" + bytes(10) + b"MTrk" + bytes(4), time.time() - 10)  # refused by the server
    with DrumClient(address, timeout_s=30, wait_s=0) as client:
        handled = watch(client, tmp_path, pb.GenerationOptions(seed=1), interval_s=0.02, max_polls=4, settle_s=0)
    assert handled == 2
    assert read_midi((tmp_path / "verse_drums.mid").read_bytes()).parts[0].channel == DRUM_CHANNEL
    assert sorted(p.name for p in tmp_path.iterdir()) == ["junk.mid", "verse.mid", "verse_drums.mid"]


def test_watch_names_what_is_corrupt_in_a_song(address: str, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 69 N5: a song whose sysex declares 268,435,455 bytes before its notes was said to hold no notes."""
    _touch(tmp_path / "riff.mid", overlong_event_song("sysex"), time.time() - 10)
    with DrumClient(address, timeout_s=30, wait_s=0) as client:
        assert watch(client, tmp_path, pb.GenerationOptions(seed=1), interval_s=0.02, max_polls=2, settle_s=0) == 1
    err = capsys.readouterr().err
    assert "riff.mid: INVALID_ARGUMENT: " in err and "is corrupt: event 3 of track 1 (a system-exclusive event, at " \
        "byte 36 of the file) declares 268,435,455 bytes but only 263 follow" in err and "no notes" not in err


def test_takes_are_written_as_the_cli_names_them(address: str, song: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--takes 3 writes SONG_drums.take1.mid ... take3.mid (as main.py does); a second run refuses without --force;
    streamed and unary answers give the same takes."""
    assert daw_helper.main([str(song), "--server", address, "--seed", "2", "--takes", "3"]) == 0
    takes = [song.with_name(f"Riff 1_drums.take{k}.mid") for k in (1, 2, 3)]
    assert all(read_midi(path.read_bytes()).parts[0].channel == DRUM_CHANNEL for path in takes)
    assert "sections (letter@bar): A@1" in capsys.readouterr().out
    before = [path.read_bytes() for path in takes]
    assert daw_helper.main([str(song), "--server", address, "--seed", "2", "--takes", "3"]) == 2
    assert "--force" in capsys.readouterr().err and [path.read_bytes() for path in takes] == before
    with DrumClient(address, timeout_s=30, wait_s=0) as client:
        options = pb.GenerationOptions(seed=2, takes=3)
        streamed = client._generate_stream(song.read_bytes(), options, chunk_bytes=64)
        assert [streamed.midi_bytes, *(midi for midi, _ in streamed.more_takes)] == before


def test_watch_with_takes_keeps_every_set_and_skips_take_files(address: str, tmp_path: Path) -> None:
    """In --watch nobody can pass --force: a changed song gets a new set SONG_drums-2.take1.mid ...; take files
    (any OUT.takeN.mid) are never taken as songs."""
    now = time.time()
    _touch(tmp_path / "verse.mid", rock_song_bytes(4), now - 100)
    _touch(tmp_path / "verse_drums.take1.mid", OURS, now - 200)  # an earlier take
    _touch(tmp_path / "mix.take2.mid", rock_song_bytes(2), now - 100)  # written by main.py -o mix.mid --takes 2
    with DrumClient(address, timeout_s=30, wait_s=0) as client:
        options = pb.GenerationOptions(seed=1, takes=2)
        assert watch(client, tmp_path, options, interval_s=0.02, max_polls=4, settle_s=0) == 1
    assert (tmp_path / "verse_drums.take1.mid").read_bytes() == OURS
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "mix.take2.mid", "verse.mid", "verse_drums-2.take1.mid", "verse_drums-2.take2.mid", "verse_drums.take1.mid"]


def test_watch_stops_on_a_stop_event(tmp_path: Path) -> None:
    """A stop set before the watch starts looks at the folder no more; one set while it waits out its 10 s interval
    ends the wait, with no further look (counted: a look is a poll, and the wait says it was woken)."""
    class Stop(threading.Event):
        def __init__(self) -> None:
            super().__init__()
            self.woken: list[bool] = []

        def wait(self, timeout: float | None = None) -> bool:
            self.woken.append(super().wait(timeout))
            return self.woken[-1]

    stop = Stop()
    stop.set()
    watcher = FolderWatcher(tmp_path, lambda path: True)
    polls: list[int] = []
    poll = watcher.poll
    watcher.poll = lambda: (polls.append(1), poll())[1]  # type: ignore[method-assign]
    assert watcher.run(interval_s=10, stop=stop) == 0 and polls == []
    stop.clear()
    threading.Timer(0.2, stop.set).start()
    assert watcher.run(interval_s=10, stop=stop) == 0 and polls == [1] and stop.woken == [True]


def test_ctrl_c_stops_watching_with_exit_0(tmp_path: Path) -> None:
    # as in a terminal: a test run started in the background by a non-interactive shell (CI, nohup ... &) has SIGINT
    # ignored, and the helper would inherit that; Ctrl-C in a terminal is never ignored
    process = subprocess.Popen(
        [sys.executable, "-m", "client.daw_helper", "--watch", str(tmp_path), "--interval", "0.1",
         "--server", f"127.0.0.1:{free_port()}"],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
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


def test_help_shows_every_default_once() -> None:
    """No doubled defaults ("(default: SONG_drums.mid) (default: None)"), none missing."""
    from tests.test_cli import option_help_blocks

    blocks = option_help_blocks(daw_helper.build_parser().format_help())
    assert {"-o", "--force", "--no-humanize", "--temperature"} <= set(blocks)
    for option, text in blocks.items():
        if option != "-h":
            assert text.count("(default") == 1 and "default: None" not in text, text


def test_control_flags_become_generation_options() -> None:
    """The helper sends the controls as the proto's fields 7-12; left out, they stay unset (the server's defaults)."""
    parser = daw_helper.build_parser()
    options = connection.options_from_args(parser.parse_args([
        "song.mid", "--style", "half-time", "--density", "0.5", "--fills", "every:4", "--swing", "0.67",
        "--dynamics", "1.25", "--cymbal", "ride"]))
    assert (options.style, options.fills, options.cymbal) == ("half-time", "every:4", "ride")
    assert (options.density, options.dynamics) == (0.5, 1.25) and options.swing == pytest.approx(0.67)
    plain = connection.options_from_args(parser.parse_args(["song.mid"]))
    assert not any(plain.HasField(name) for name in ("density", "swing", "dynamics"))
    assert (plain.style, plain.fills, plain.cymbal) == ("", "", "")  # empty: the server's default


def test_helper_passes_controls_and_shows_the_servers_refusal(address: str, song: Path) -> None:
    ok = run_helper(str(song), "--server", address, "--seed", "1", "--cymbal", "ride", "--swing", "0.6")
    assert ok.returncode == 0, ok.stderr
    notes = read_midi(song.with_name(f"{song.stem}_drums.mid").read_bytes()).parts[0].notes
    assert 42 not in notes[:, 2]
    refused = run_helper(str(song), "--server", address, "--density", "9")
    # exit 2 as main.py gives for the same value (issue 23 item 10: the helper exited 1)
    assert refused.returncode == 2 and "INVALID_ARGUMENT: density must be 0.25-4" in refused.stderr


def test_concurrent_helper_runs_on_one_song_each_keep_their_drums(address: str, tmp_path: Path) -> None:
    """Issue 22, 7: 4 helper runs on one song left 3 files. The name is now taken as the file is written."""
    from concurrent import futures

    song = tmp_path / "song.mid"
    song.write_bytes(rock_song_bytes(4))
    with futures.ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(lambda seed: daw_helper.main([str(song), "--server", address, "--seed", str(seed)]),
                              range(1, 9)))
    assert codes == [0] * 8
    assert len(list(tmp_path.glob("song_drums*.mid"))) == 8


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Self-signed certificates made with openssl (skipped where it is missing): the server's (localhost and
    127.0.0.1), another's, and one that names localhost only."""
    import shutil

    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed: no certificate to test TLS with")
    folder = tmp_path_factory.mktemp("tls")
    names = {"server": "DNS:localhost,IP:127.0.0.1", "other": "DNS:localhost,IP:127.0.0.1", "named": "DNS:localhost"}
    for name, alt in names.items():
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                        str(folder / f"{name}.key"), "-out", str(folder / f"{name}.pem"), "-days", "1", "-subj",
                        "/CN=localhost", "-addext", f"subjectAltName={alt}"], check=True, capture_output=True)
    return {name: folder / f"{name}.pem" for name in names} | {"server.key": folder / "server.key",
                                                                "named.key": folder / "named.key"}


def test_tls_mistakes_are_one_line_naming_the_cause_and_the_fix(tiny_model_path: Path, certificates: dict[str, Path],
                                                                 song: Path, address: str,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 69 N11: a wrong --tls-ca printed gRPC's own log line and an SSL error chain, plain text to a TLS server
    said "Socket closed", and TLS to a plain one an SSL chain too. Each is one line now (and the helper's process
    prints no line of gRPC's own); a certificate mistake is not retried through --wait (counted: one attempt, no
    pause, with an hour's --wait)."""
    def retried(seconds: float) -> None:
        raise AssertionError(f"a certificate mistake was retried (a pause of {seconds:.1f} s)")

    tls = dataclasses.replace(SERVER_CONFIG, tls_cert=certificates["server"], tls_key=certificates["server.key"])
    named = dataclasses.replace(SERVER_CONFIG, tls_cert=certificates["named"], tls_key=certificates["named.key"])
    with ServerThread("127.0.0.1:0", ModelSource(tiny_model_path), tls) as secure, \
            ServerThread("127.0.0.1:0", ModelSource(tiny_model_path), named) as only_named:
        runs = {
            "wrong CA": (["--server", f"127.0.0.1:{secure.port}", "--tls-ca", str(certificates["other"])],
                         "has a certificate that --tls-ca", "pass --tls-ca the server's own certificate"),
            "plain text to TLS": (["--server", f"127.0.0.1:{secure.port}"], "closed every connection at once",
                                  "pass --tls-ca with its certificate"),
            "TLS to plain text": (["--server", address, "--tls-ca", str(certificates["server"])],
                                  "does not speak TLS", "leave out --tls-ca"),
            "another host": (["--server", f"127.0.0.1:{only_named.port}", "--tls-ca", str(certificates["named"])],
                             "does not name the host", "connect by a name it holds (it names localhost)"),
        }
        for name, (flags, cause, fix) in runs.items():
            run = run_helper(str(song), "-o", str(song.parent / "out.mid"), "--force", "--wait", "5", *flags)
            lines = run.stderr.splitlines()
            assert run.returncode == 1 and cause in lines[-1] and fix in lines[-1], (name, run.stderr)
            assert not any("ssl_transport_security" in line or "SSL_ERROR" in line for line in lines), (name, lines)
            if name != "plain text to TLS":  # a server may close connections as it restarts: that one is retried
                assert len(lines) == 1, (name, lines)
                target, tls_ca = flags[1], Path(flags[3]) if len(flags) > 2 else None
                with monkeypatch.context() as patched, DrumClient(target, wait_s=3600, tls_ca=tls_ca) as client:
                    patched.setattr(time, "sleep", retried)
                    with pytest.raises(grpc.RpcError) as caught:
                        client.generate(song.read_bytes())
                    assert client.attempts == 1 and cause in client.explain(caught.value), (name, client.attempts)
        with DrumClient(f"127.0.0.1:{secure.port}", wait_s=0, tls_ca=certificates["other"]) as client:
            link = client.live_link(pb.GenerationOptions(), [("Guitar", 29, 0)])  # --live and --simulate
            with pytest.raises(LiveLinkError, match="UNAVAILABLE: the server .* does not vouch for .* pass --tls-ca"):
                link.open()
            link.close()


def test_the_hint_names_the_hosts_the_certificate_holds(certificates: dict[str, Path], tmp_path: Path) -> None:
    """Issue 89 (low): the hint said "e.g. localhost" whatever the certificate named; it names what it holds."""
    import shutil

    from client.drum_client import certificate_names

    assert certificate_names(certificates["server"]) == ["localhost", "127.0.0.1"]
    assert certificate_names(certificates["named"]) == ["localhost"]
    assert certificate_names(tmp_path / "missing.pem") == []
    if shutil.which("openssl"):
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(tmp_path / "k"),
                        "-out", str(tmp_path / "studio.pem"), "-days", "1", "-subj", "/CN=studio.example"],
                       check=True, capture_output=True)
        assert certificate_names(tmp_path / "studio.pem") == ["studio.example"]


def test_no_server_is_one_line_saying_how_to_start_it(song: Path) -> None:
    helper = run_helper(str(song), "--server", f"127.0.0.1:{free_port()}", "--wait", "0")
    assert helper.returncode == 1
    assert helper.stderr.count("\n") == 1 and "python -m server" in helper.stderr, helper.stderr


def test_an_empty_song_is_refused_here_naming_the_bars_flag(tmp_path: Path, address: str,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 90: the server's line named its own field ("set bars (with tempo and meter)"), not the helper's flag."""
    empty = tmp_path / "empty.mid"
    empty.touch()
    assert daw_helper.main([str(empty), "--server", address]) == 1
    err = capsys.readouterr().err
    assert "empty (0 bytes)" in err and "--bars N" in err and "set bars" not in err


def test_the_helper_prints_each_takes_parts_as_main_py_does(song: Path, address: str, tiny_model_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    from seq2drum.cli import main

    assert daw_helper.main([str(song), "--server", address, "--takes", "2", "--seed", "4"]) == 0
    helper = [line for line in capsys.readouterr().out.splitlines() if line.startswith("  its plan")]
    assert main.main(["--mode", "infer", str(song), "--checkpoint", str(tiny_model_path), "--takes", "2",
                      "--seed", "4", "-o", str(song.with_name("cli.mid"))]) == 0
    cli = [line for line in capsys.readouterr().out.splitlines() if line.startswith("  its plan")]
    assert len(helper) == 2 and helper == cli
