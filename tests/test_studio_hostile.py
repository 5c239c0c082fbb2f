"""The studio against hostile pages and files (issue 55): its disk within its caps (derived files counted before they
are written, an upload kept only as far as its tracks go), state changed only by its own page (Origin,
Sec-Fetch-Site), the Host rule on every loopback address, songs in flight on a server not freezing it, a page's job
stopped when the page leaves, slow drips dropped, a song of many tracks read in linear time, and one line (never 500)
for a session closed while its takes are stored or a number too long for Python, an upload cap too small for one
message refused in one line naming the flag.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import socket
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from seq2drum.errors import ConfigError
from seq2drum.midi.io import read_midi
from seq2drum.studio import __main__ as studio_main
from seq2drum.studio import app as app_module
from seq2drum.studio.__main__ import build_parser, studio_config
from seq2drum.studio.backends import LocalBackend, RemoteBackend, Takes
from seq2drum.studio.songs import read_song, song_view, song_with_drums
from server.config import MESSAGE_ENVELOPE_BYTES, ServerConfig
from server.pool import WorkerPool
from server.workers import ModelSource
from tests.builders import (
    PPQ,
    backbeat,
    gated_generator,
    note_off,
    note_on,
    notes_from_steps,
    program_change,
    smf_bytes,
    song_bytes,
    track_chunk,
)
from tests.studio_harness import FixedBackend, IdleBackend, StudioThread, call, post_json
from tests.studio_songs import band_song, dense_song, full_kit, song_end_s, wav_seconds_and_rms

MiB = 1024 * 1024
SMALL = dataclasses.replace(ServerConfig(), workers=1, max_stream_bytes=256 * 1024, max_message_bytes=256 * 1024,
                            stream_chunk_bytes=128 * 1024, upload_idle_s=1.0, upload_total_s=30.0,
                            min_upload_bytes_per_s=1024, upload_grace_s=0.5)


def long_drums(bars: int, tempo_bpm: float) -> bytes:
    """A drum take of `bars` 4/4 bars of backbeat at `tempo_bpm`, as a backend answers drums from nothing."""
    return song_bytes(None, notes_from_steps(backbeat(bars)), tempos=[(0, round(60_000_000 / tempo_bpm))])


def many_tracks_song(n_tracks: int) -> bytes:
    """`n_tracks` one-note guitar tracks (program, note, end: 4 events and 25 bytes each)."""
    return smf_bytes([track_chunk([(0, program_change(0, 29)), ((i % 64) * PPQ // 4, note_on(0, 40 + i % 24, 100)),
                                   (PPQ // 4, note_off(0, 40 + i % 24))]) for i in range(n_tracks)])


def session_of(url: str, headers: dict[str, str] | None = None) -> str:
    status, answer = call(url + "api/sessions", b"", "POST", headers)
    assert status == 200, answer
    return answer["session"]


def upload(url: str, session: str, data: bytes, name: str = "song.mid") -> tuple[int, dict]:
    return call(f"{url}api/sessions/{session}/songs?name={name}", data, "POST",
                {"content-type": "application/octet-stream"})


def host_port(url: str) -> tuple[str, int]:
    netloc = url.split("/")[2]
    host, port = netloc.rsplit(":", 1)
    return host.strip("[]"), int(port)


def status_of(url: str, head: str, body: bytes = b"", wait_s: float = 10.0) -> int:
    """Send `head` and `body` over a socket; the status code of the answer."""
    with socket.create_connection(host_port(url), timeout=wait_s) as sock:
        sock.sendall(head.encode() + b"\r\n\r\n" + body)
        return int(sock.recv(4096).split(b" ", 2)[1])


@pytest.fixture()
def takes_studio(tmp_path: Path) -> Iterator[StudioThread]:
    """A studio whose every request gets one 64-bar take at 35 BPM (7 minutes: 77 MB as a WAV), with a cap of 40 MiB
    in all (and a quarter of it, 10 MiB, a page)."""
    takes = Takes([long_drums(64, 35.0)], [256], 1, 64)
    with StudioThread(FixedBackend(takes), SMALL, parent=tmp_path, max_bytes=40 * MiB) as running:
        yield running


def test_m1_an_upload_is_kept_only_as_far_as_its_tracks_go(takes_studio: StudioThread) -> None:
    """A valid song followed by zero bytes the reader ignores: the studio keeps the song, not the padding."""
    song = band_song(bars=2)
    session = session_of(takes_studio.url)
    status, view = upload(takes_studio.url, session, song + bytes(200_000))
    assert status == 200, view
    kept = takes_studio.store.sessions[session]
    assert kept.songs[view["song"]].path.read_bytes() == song and kept.bytes == len(song)


def test_m1_a_wav_past_a_pages_cap_is_refused_before_it_is_rendered(takes_studio: StudioThread) -> None:
    """Drums from nothing as long as a WAV of 77 MB: refused with one line before a sample is rendered (nothing
    written), the page's MIDI still there; the studio's folder never holds more than its cap."""
    session = session_of(takes_studio.url)
    status, result = post_json(f"{takes_studio.url}api/sessions/{session}/takes",
                               {"song": None, "options": {"bars": "64"}})
    assert status == 200, result
    files = result["takes"][0]["files"]
    for kind in ("drums.wav", "mix.wav"):
        status, answer = call(takes_studio.url.rstrip("/") + files[kind])
        assert status == 413 and "MiB" in answer["error"]  # before rendering: no WAV is in the folder (below)
    assert call(takes_studio.url.rstrip("/") + files["drums.mid"])[0] == 200
    folder = takes_studio.store.sessions[session].folder
    assert [path.suffix for path in folder.iterdir()] == [".mid"]
    on_disk = {(path.stat().st_ino, path.stat().st_size) for path in takes_studio.store.root.rglob("*")
               if path.is_file()}  # a file and the link it was sent through (Store.hold) are one file
    assert takes_studio.store.total_bytes == sum(size for _, size in on_disk)


def test_m1_a_page_is_held_to_its_own_cap_and_the_studio_to_its_total(tmp_path: Path) -> None:
    """Songs past a page's cap are refused (the page's derived files go first, being remade on ask); pages together
    past the total make room by ending the least recently used."""
    from seq2drum.studio.store import Store, StoreFullError

    store = Store(max_bytes=1000, max_session_bytes=400, parent=tmp_path)
    first = store.open()
    take = store.add_take(first, None, 1, bytes(100))
    wav = first.take(take).derived("drums.wav")
    store.reserve(first, 250)
    wav.write_bytes(bytes(200))
    store.settle(first, wav, 250)  # counted as written: 200 bytes
    assert first.bytes == 300
    store.add_song(first, "a.mid", bytes(250))  # past 400: the WAV goes (it is made again when asked for)
    assert not wav.exists() and first.bytes == 350
    with pytest.raises(StoreFullError, match="this page keeps"):
        store.add_song(first, "b.mid", bytes(100))
    with pytest.raises(StoreFullError):
        store.reserve(first, 401)
    others = [store.open() for _ in range(3)]
    for other in others:
        store.add_song(other, "c.mid", bytes(300))  # 350 + 900 > 1000: the least recently used go
    assert first.id not in store.sessions and store.total_bytes <= 1000
    store.remove_all()


@pytest.fixture(scope="module")
def idle_studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StudioThread]:
    with StudioThread(IdleBackend(), SMALL, parent=tmp_path_factory.mktemp("studio")) as running:
        yield running


@pytest.mark.parametrize("headers", [{"Origin": "http://evil.example"}, {"Sec-Fetch-Site": "cross-site"},
                                     {"Origin": "null"}, {"Sec-Fetch-Site": "same-site"}],
                         ids=["origin", "cross-site", "null-origin", "same-site"])
def test_m2_a_page_elsewhere_cannot_change_the_studios_state(idle_studio: StudioThread, headers: dict) -> None:
    """A form or fetch from any other site (no preflight for a POST without a body) is refused with one line: it
    can neither open sessions (the 257th evicts a user's) nor close one, nor ask a song's arrangement."""
    status, answer = call(idle_studio.url + "api/sessions", b"", "POST", headers)
    assert status == 403 and "another site" in answer["error"]
    session = session_of(idle_studio.url)
    assert call(f"{idle_studio.url}api/sessions/{session}/close", b"", "POST", headers)[0] == 403
    assert call(f"{idle_studio.url}api/sessions/{session}/arrange", b"{}", "POST", headers)[0] == 403
    assert session in idle_studio.store.sessions


def test_m2_the_studios_own_page_and_tools_without_a_browser_are_let_in(idle_studio: StudioThread) -> None:
    own = idle_studio.url.rstrip("/")
    assert session_of(idle_studio.url, {"Origin": own, "Sec-Fetch-Site": "same-origin"})
    assert session_of(idle_studio.url, {"Sec-Fetch-Site": "none"})  # typed in the address bar
    assert session_of(idle_studio.url)  # curl, the tests: no browser, no page to fear


@pytest.mark.parametrize("host", ["::1", "127.0.0.2"])
def test_m3_every_loopback_address_answers_its_own_names_only(host: str, tmp_path: Path) -> None:
    """--host ::1 kept the Host check on (a page whose name rebinds to ::1 is refused); --host 127.0.0.2 answers its
    own address."""
    with StudioThread(IdleBackend(), SMALL, host=host, parent=tmp_path) as studio:
        own = studio.url.split("/")[2]
        assert status_of(studio.url, f"GET /api/config HTTP/1.1\r\nHost: {own}") == 200
        assert status_of(studio.url, f"GET /api/config HTTP/1.1\r\nHost: localhost:{own.rsplit(':', 1)[1]}") == 200
        for name in ("rebind.example.com", "rebind.example.com:80", "[::2]", ""):
            assert status_of(studio.url, f"GET /api/config HTTP/1.1\r\nHost: {name}") == 400, name


def test_m3_the_host_names_of_a_studio_come_from_the_address_it_bound() -> None:
    from seq2drum.studio.serve import allowed_hosts

    for bound in ("127.0.0.1", "127.0.0.2", "::1", "::ffff:127.0.0.1"):
        names = allowed_hosts(bound)
        assert names is not None and {"localhost", "127.0.0.1", "[::1]"} <= set(names)
    assert "127.0.0.2" in allowed_hosts("127.0.0.2") and "[::1]" in allowed_hosts("::1")
    assert allowed_hosts("0.0.0.0") is None and allowed_hosts("::") is None and allowed_hosts("10.0.0.5") is None


class BlockedClient:
    """DrumClient's place: every generate blocks until `release` is set (a slow server)."""

    target = "127.0.0.1:9"

    def __init__(self) -> None:
        self.servers = [self.target]
        self.release = threading.Event()
        self.entered = threading.Semaphore(0)
        self.left = threading.Event()  # a call gave up waiting (20 s) or was released

    def generate(self, midi: bytes, options: object, stop: object = None) -> object:
        self.entered.release()
        self.release.wait(20)
        self.left.set()
        raise OSError("released")

    def close(self) -> None:
        self.release.set()


def test_m4_songs_in_flight_on_a_server_leave_the_studio_free(tmp_path: Path) -> None:
    """More songs in flight than asyncio's default threads: another page's upload still answers at once."""
    in_flight = min(32, (os.cpu_count() or 1) + 4)
    config = dataclasses.replace(SMALL, workers=1, max_waiting=in_flight - 1,
                                 max_concurrent_calls=in_flight + 16)
    backend = RemoteBackend(["127.0.0.1:9"], config)
    backend.client.close()
    backend.client = blocked = BlockedClient()
    with StudioThread(backend, config, parent=tmp_path) as studio:
        def ask() -> None:
            post_json(f"{studio.url}api/sessions/{session_of(studio.url)}/takes", {"song": None,
                                                                                   "options": {"bars": "1"}})

        askers = [threading.Thread(target=ask, daemon=True) for _ in range(in_flight)]
        for asker in askers:
            asker.start()
        for _ in range(in_flight):
            assert blocked.entered.acquire(timeout=20)
        status, view = upload(studio.url, session_of(studio.url), band_song(bars=1))
        answered_while_blocked = not blocked.left.is_set()
        blocked.release.set()
        for asker in askers:
            asker.join(30)
    assert status == 200 and answered_while_blocked, view


def test_m5_a_page_that_leaves_mid_job_frees_its_worker_and_its_place(tiny_model_path: Path, tmp_path: Path) -> None:
    """One page drops its connection while its song runs, another sends its close beacon while its song waits in
    line: the worker is killed and replaced, the line empties, and the next page's song is made."""
    gate, calls = tmp_path / "gate", tmp_path / "calls"
    config = dataclasses.replace(ServerConfig(), workers=1, max_waiting=1)
    backend = LocalBackend(tiny_model_path, config)
    source = ModelSource(tiny_model_path, factory=functools.partial(gated_generator, gate=str(gate), calls=str(calls)))
    backend.pool = WorkerPool(source, 1, config.recycle_mib)
    with StudioThread(backend, config, parent=tmp_path) as studio:
        url = studio.url
        form = json.dumps({"song": None, "options": {"bars": "1"}}).encode()
        sessions = [session_of(url) for _ in range(2)]
        sockets = []
        for session in sessions:
            sock = socket.create_connection(host_port(url), timeout=10)
            sock.sendall(f"POST /api/sessions/{session}/takes HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
                         f"application/json\r\nContent-Length: {len(form)}\r\n\r\n".encode() + form)
            sockets.append(sock)
            time.sleep(0.5)
        deadline = time.monotonic() + 30
        while not calls.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        sockets[0].close()  # the page with the running song goes without a word
        assert call(f"{url}api/sessions/{sessions[1]}/close", b"", "POST")[0] == 204  # the waiting one says so
        deadline = time.monotonic() + 20
        while backend.pool.replacements < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert backend.pool.replacements == 1
        gate.touch()
        status, answer = post_json(f"{url}api/sessions/{session_of(url)}/takes", {"song": None,
                                                                                  "options": {"bars": "1"}})
        sockets[1].close()
    assert status == 200, answer


def test_l1_a_slow_drip_is_dropped_once_it_falls_below_the_minimum_rate(idle_studio: StudioThread) -> None:
    """A byte every 0.4 s never stalls past upload_idle_s (1 s) but is far below min_upload_bytes_per_s: dropped
    after the grace, with 408, not held for upload_total_s (30 s)."""
    session = session_of(idle_studio.url)
    with socket.create_connection(host_port(idle_studio.url), timeout=10) as sock:
        sock.sendall(f"POST /api/sessions/{session}/songs?name=drip.mid HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     "Content-Length: 1000\r\n\r\n".encode())
        sock.settimeout(0.4)
        answer, dripped = b"", 0
        for _ in range(40):  # at most 40 bytes a 0.4 s apart: never the 1,000 the head promised, nor 30 s
            try:
                sock.sendall(b"M")
                dripped += 1
                answer = sock.recv(4096)
            except TimeoutError:
                continue
            except OSError:
                break
            if answer:
                break
        sock.settimeout(5)
        while b"too slow" not in answer:  # the body may come in a later packet than the head
            more = sock.recv(4096)
            if not more:
                break
            answer += more
    # dropped for its rate ("too slow"), within the bytes counted: not held until the body or upload_total_s ended
    assert answer.startswith(b"HTTP/1.1 408") and b"too slow" in answer and dripped < 40, (dripped, answer[:80])


def calls_made(function: Any, *args: Any) -> tuple[int, Any]:
    """(the calls `function(*args)` makes, Python's and C's, counted by a profile hook; its value): work, not time."""
    made = [0]

    def count(frame: Any, event: str, arg: Any) -> None:
        if event in ("call", "c_call"):
            made[0] += 1

    sys.setprofile(count)
    try:
        value = function(*args)
    finally:
        sys.setprofile(None)
    return made[0], value


def test_l2_a_song_of_many_one_note_tracks_is_viewed_in_linear_time() -> None:
    """12,000 one-note tracks: the page's view makes 4 times the calls of 3,000 tracks' (work counted, not timed: the
    quadratic guitar test made it 6 times what reading the file costs, 20 times at 48,000 tracks). Read past the part
    limit (issue 69 N3) on purpose."""
    limits = dataclasses.replace(SMALL.limits, max_parts=12_000)
    small, large = (read_song(many_tracks_song(n), "many.mid", limits) for n in (3_000, 12_000))
    calls = {}
    for n, song in ((3_000, small), (12_000, large)):
        calls[n], view = calls_made(song_view, song)
    assert calls[12_000] < 5 * calls[3_000], calls  # 4 times the tracks: 4 times the calls (quadratic: 16)
    assert len(view["parts"]) == 12_000 and all(part["guitar"] for part in view["parts"])


def test_l2_the_mix_of_a_song_within_the_limits_is_within_them_too(tmp_path: Path) -> None:
    """42,000 one-note tracks passed every read limit, and the studio's own mix of them with the drums did not (one
    track per part: 210,000 events): its mix WAV was refused as a file past the limits. Since the part limit (issue 69
    N3) the most parts a song may hold, 64 guitar tracks of 650 notes (41,600), pass and so does their mix."""
    song, take = tmp_path / "song.mid", tmp_path / "take.drums.mid"
    notes = [event for k in range(650)
             for event in ((PPQ // 8, note_on(0, 40 + k % 24, 100)), (PPQ // 8, note_off(0, 40 + k % 24)))]
    song.write_bytes(smf_bytes([track_chunk([(0, program_change(0, 29)), *notes]) for _ in range(64)]))
    read_song(song.read_bytes(), "many.mid", ServerConfig().limits)
    take.write_bytes(song_bytes(None, notes_from_steps(backbeat(4))))
    data, _, _ = app_module.prepare_file(take, song, "mix.wav")
    mix = read_midi(data)
    assert sum(part.note_count for part in mix.parts) == 64 * 650 + len(backbeat(4))


def test_a_song_of_40000_one_note_tracks_is_refused_in_one_short_line(tmp_path: Path) -> None:
    """Issue 69 N3: a 960 KB upload of 40,000 one-note tracks took 13 s and was answered with 7.3 MB of JSON."""
    with StudioThread(IdleBackend(), ServerConfig(workers=1), parent=tmp_path) as studio:
        status, answer = upload(studio.url, session_of(studio.url), many_tracks_song(40_000), "tracks.mid")
    assert status == 422 and answer["error"].startswith("tracks.mid holds more than 64 parts")
    assert len(answer["error"]) < 300


def test_n7_the_mix_and_a_merged_take_of_a_song_it_accepted_are_made(tmp_path: Path) -> None:
    """A song of 49,500 notes is accepted (the reader takes 50,000); with its 576 hits of drums, its mix and a take
    made with --merge (which holds the song) pass 50,000: they are read within the song's limits plus all the take
    holds. On f0ae609 both were refused, telling the user to split the song (422)."""
    song, take = dense_song(49_500), full_kit(4)
    merged = song_with_drums(read_midi(song), read_midi(take), take)
    config = dataclasses.replace(ServerConfig(), workers=1)
    with StudioThread(FixedBackend(Takes([take, merged], [576, 576], 1, 4)), config, parent=tmp_path) as studio:
        session = session_of(studio.url)
        status, view = upload(studio.url, session, song, "dense.mid")
        assert status == 200, view
        status, result = post_json(f"{studio.url}api/sessions/{session}/takes", {"song": view["song"],
                                                                                 "options": {}})
        assert status == 200, result
        files = [take_answer["files"] for take_answer in result["takes"]]
        assert call(studio.url.rstrip("/") + files[0]["song.mid"])[0] == 200
        status, mix = call(studio.url.rstrip("/") + files[0]["mix.wav"])
        if status == 501:
            pytest.skip(f"the audio extra is not installed: {mix['error']}")
        assert status == 200, mix
        assert wav_seconds_and_rms(mix)[0] >= song_end_s(take)


def test_l3_a_page_closed_while_its_takes_are_stored_gets_its_one_line(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    takes = Takes([long_drums(1, 120.0)] * 2, [8, 8], 1, 1)
    with StudioThread(FixedBackend(takes), SMALL, parent=tmp_path) as studio:
        session = session_of(studio.url)
        real_view = app_module.take_view

        def view_then_close(take: object, *more: object) -> dict:  # on a thread, while the event loop is free
            call(f"{studio.url}api/sessions/{session}/close", b"", "POST")
            return real_view(take, *more)

        monkeypatch.setattr(app_module, "take_view", view_then_close)
        status, answer = post_json(f"{studio.url}api/sessions/{session}/takes", {"song": None,
                                                                                "options": {"bars": "1"}})
    assert status == 410 and "reload the page" in answer["error"]


def test_l4_a_number_too_long_for_python_is_one_line(idle_studio: StudioThread) -> None:
    session = session_of(idle_studio.url)
    body = b'{"song": null, "options": {"bars": ' + b"9" * 5000 + b"}}"
    status, answer = call(f"{idle_studio.url}api/sessions/{session}/takes", body, "POST",
                          {"content-type": "application/json"})
    assert status == 422 and answer["error"] == "the request is not the page's JSON; reload the page"



@pytest.mark.parametrize("upload_mib", [0.001, 4 / 1024, 0.0048])
def test_l9_an_upload_cap_below_the_smallest_message_is_refused_naming_the_flag(upload_mib: float) -> None:
    """--max-upload-mib 0.001 was inside the flag's stated range (from 1/1024) but failed with "stream_chunk_bytes
    must be 1 - -3048": the message floor (1 KiB) left no room beside the metadata for a chunk."""
    with pytest.raises(ConfigError, match=r"^--max-upload-mib must be 5/1024 - 1024 \(5 KiB - 1 GiB\), got "):
        studio_config(build_parser().parse_args(["--max-upload-mib", str(upload_mib)]))


def test_l9_the_studio_says_so_in_one_line_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert studio_main.main(["--max-upload-mib", "0.001"]) == 2
    err = capsys.readouterr().err
    assert err == "seq2drum studio: error: --max-upload-mib must be 5/1024 - 1024 (5 KiB - 1 GiB), got 0.001\n"


@pytest.mark.parametrize("upload_mib", [5 / 1024, 0.01, 1.0])
def test_l9_the_smallest_upload_cap_the_flag_names_is_taken_and_kept_to(upload_mib: float) -> None:
    config = studio_config(build_parser().parse_args(["--max-upload-mib", str(upload_mib)]))
    assert config.max_stream_bytes == int(upload_mib * MiB)  # the page's cap is the one asked, never raised
    assert 1 <= config.stream_chunk_bytes <= config.max_message_bytes - MESSAGE_ENVELOPE_BYTES


class DownClient(BlockedClient):
    """DrumClient's place for a server that is down: every model_info waits until `release`, then fails UNAVAILABLE."""

    def __init__(self) -> None:
        super().__init__()
        self.asked = 0

    def model_info(self, give_up_at: float | None = None, stop: object = None) -> object:
        import grpc

        self.asked += 1
        self.entered.release()
        self.release.wait(5)  # STYLES_WAIT_S

        class Unavailable(grpc.RpcError):
            def code(self) -> grpc.StatusCode:
                return grpc.StatusCode.UNAVAILABLE

            def details(self) -> str:
                return "connection refused"

        raise Unavailable()


def test_p7_style_lists_waiting_on_a_server_that_is_down_leave_the_studio_free(tmp_path: Path) -> None:
    """Issue 89 P7: each /api/styles waited up to 5 s on asyncio's default threads; 40 in flight made an upload
    take 4.35 s instead of 0.03 s. The style lists asked together wait on one question to the servers, on a
    thread of its own; an upload answers meanwhile, and the next list after a failure answers at once."""
    backend = RemoteBackend(["127.0.0.1:9"], SMALL)
    backend.client.close()
    backend.client = down = DownClient()
    with StudioThread(backend, SMALL, parent=tmp_path) as studio:
        answers: list[tuple[int, Any]] = []
        askers = [threading.Thread(target=lambda: answers.append(call(studio.url + "api/styles?meter=4/4")),
                                   daemon=True) for _ in range(40)]
        for asker in askers:
            asker.start()
        assert down.entered.acquire(timeout=20)
        status, view = upload(studio.url, session_of(studio.url), band_song(bars=1))
        waiting = len(answers)  # the upload answered while the lists still waited on the servers
        down.release.set()
        for asker in askers:
            asker.join(30)
        assert call(studio.url + "api/styles?meter=4/4")[0] == 200  # after a failure: not asked again, at once
    assert status == 200 and waiting == 0, view
    assert down.asked == 1 and len(answers) == 40 and all(code == 200 for code, _ in answers)


@pytest.mark.parametrize("headers", [{"Origin": "http://evil.example"}, {"Sec-Fetch-Site": "cross-site"}],
                         ids=["origin", "cross-site"])
def test_p7_a_page_elsewhere_cannot_read_the_studios_api(idle_studio: StudioThread, headers: dict) -> None:
    """Issue 89 P7: GETs were not Origin-checked, so any page the user visited could send them (a session's takes
    and files, the styles). The API answers its own page and tools without a browser; the page itself still opens
    from a link on another site."""
    assert call(idle_studio.url + "api/styles?meter=4/4", headers=headers)[0] == 403
    assert call(idle_studio.url + "api/kit-maps", headers=headers)[0] == 403
    own = idle_studio.url.rstrip("/")
    assert call(idle_studio.url + "api/kit-maps", headers={"Origin": own, "Sec-Fetch-Site": "same-origin"})[0] == 200
    assert call(idle_studio.url + "api/kit-maps")[0] == 200
    assert call(idle_studio.url, headers={"Sec-Fetch-Site": "cross-site"})[0] == 200


def test_q3_an_upload_is_scanned_off_the_event_loop_and_zeros_refused_after_a_few_chunks(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 98 Q3: the upload's scan (`tracks_only`) ran on the studio's event loop, walking every 8-byte chunk of a
    header and zeros: one 60 MiB upload froze /api/config 9.3 s, two 32 s. Every scan of an upload now runs on a
    thread of its own, and the zeros are refused in one line; a real song is kept and viewed as before."""
    from seq2drum.midi import io as io_module
    from seq2drum.studio import songs as songs_module

    on_loop: list[bool] = []

    def counted(scan):  # type: ignore[no-untyped-def]
        def scan_where(*args, **kwargs):  # type: ignore[no-untyped-def]
            on_loop.append(threading.current_thread().name == "seq2drum-studio")
            return scan(*args, **kwargs)
        return scan_where

    monkeypatch.setattr(songs_module, "scan_midi", counted(songs_module.scan_midi))
    monkeypatch.setattr(io_module, "scan_midi", counted(io_module.scan_midi))
    zeros = b"MThd" + (6).to_bytes(4, "big") + b"\x00\x01\x00\x01\x01\xe0" + bytes(200_000)
    with StudioThread(IdleBackend(), SMALL, parent=tmp_path) as studio:
        session = session_of(studio.url)
        status, answer = upload(studio.url, session, zeros, "zeros.mid")
        song_status, view = upload(studio.url, session, band_song(bars=2))
    assert status == 422 and "zeros.mid is corrupt: it holds more than 1,024 chunks that play no notes" in \
        answer["error"], answer
    assert song_status == 200 and view["parts"], view
    assert on_loop and not any(on_loop), on_loop


class RefusingClient(DownClient):
    """DrumClient's place for a server that is down, answering at once: every call fails UNAVAILABLE, counted."""

    def __init__(self) -> None:
        super().__init__()
        self.arrange_waits: list[float | None] = []
        self.release.set()

    def arrange(self, midi: bytes, options: object, drummer: bool = False, wait_s: float | None = None) -> object:
        self.arrange_waits.append(wait_s)
        return self.model_info()


def test_a_studio_in_front_of_a_server_that_is_down_says_so_and_arranges_at_once(tmp_path: Path) -> None:
    """Issue 98, low: in front of a server that is down, the page listed no styles without a reason, and /arrange
    failed only after 25-30 s (the helper's client retried for its 30 s). The style list says why it is empty; an
    arrangement waits at most ARRANGE_WAIT_S for a server, and the next one is refused at once, no call made."""
    from seq2drum.studio import backends

    backend = RemoteBackend(["127.0.0.1:9"], SMALL)
    backend.client.close()
    backend.client = down = RefusingClient()
    with StudioThread(backend, SMALL, parent=tmp_path) as studio:
        session = session_of(studio.url)
        song = upload(studio.url, session, band_song(bars=2))[1]["song"]
        arranged = [post_json(f"{studio.url}api/sessions/{session}/arrange", {"song": song, "options": {}})]
        status, styles = call(studio.url + "api/styles?meter=4/4")
        arranged.append(post_json(f"{studio.url}api/sessions/{session}/arrange", {"song": song, "options": {}}))
    assert status == 200 and styles["styles"] == [] and "no seq2drum server at 127.0.0.1:9 answers (connection " \
        "refused)" in styles["problem"], styles
    assert down.arrange_waits == [getattr(backends, "ARRANGE_WAIT_S", None)] == [5.0]  # the second: no call made
    assert [code for code, _ in arranged] == [503, 503], arranged
    assert "no seq2drum server at 127.0.0.1:9 answers (connection refused); start it" in arranged[1][1]["error"]
