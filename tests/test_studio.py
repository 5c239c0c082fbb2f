"""The studio over plain HTTP (seq2drum/studio/app.py, limits.py, backends.py, __main__.py): the same drums as the
command line made in its own workers or by a running server, the server's limits on what a page sends (a body
refused by its declared size before it is read, cut off past the limit, dropped when it stalls), one-line errors,
the Host check, every file in the studio's own folder, and the command that starts and stops it.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from seq2drum.cli import main as cli
from seq2drum.midi.kit import KitMap
from seq2drum.midi.kit_presets import preset
from seq2drum.studio import __main__ as studio_main
from seq2drum.studio import app
from seq2drum.studio.backends import LocalBackend, RemoteBackend
from server.config import ServerConfig
from server.testing import ServerThread
from server.workers import ModelSource
from tests.studio_harness import IdleBackend, StudioThread, call, post_json
from tests.studio_songs import band_song, drum_notes, song_end_s, wav_seconds_and_rms

REPO = Path(__file__).resolve().parents[1]
SMALL = dataclasses.replace(ServerConfig(), workers=1, max_stream_bytes=64 * 1024, max_message_bytes=64 * 1024,
                            stream_chunk_bytes=32 * 1024, upload_idle_s=0.5, upload_total_s=2.0)


def session_of(studio: StudioThread) -> str:
    status, answer = call(studio.url + "api/sessions", b"", "POST")
    assert status == 200
    return answer["session"]


def upload(studio: StudioThread, session: str, name: str, data: bytes) -> tuple[int, dict]:
    return call(f"{studio.url}api/sessions/{session}/songs?name={name}", data, "POST",
                {"content-type": "application/octet-stream"})


@pytest.fixture(scope="module")
def idle_studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StudioThread]:
    with StudioThread(IdleBackend(), SMALL, parent=tmp_path_factory.mktemp("studio")) as running:
        yield running


def raw_request(url: str, head: str, body: bytes = b"", wait_s: float = 5.0) -> str:
    """Send `head` (and `body`, then nothing more) over a socket; the status line of what comes back."""
    host, port = url.split("/")[2].split(":")
    with socket.create_connection((host, int(port)), timeout=wait_s) as sock:
        sock.sendall(head.encode() + b"\r\n\r\n" + body)
        return sock.recv(4096).decode("latin-1").split("\r\n", 1)[0]


def test_a_body_too_large_by_its_declared_size_is_refused_before_it_is_read(idle_studio: StudioThread) -> None:
    """A page that announces 100 MB gets 413 at once, though not one byte of the body was sent (a studio that waited
    for the body would answer 408 once the upload idled: none is sent)."""
    session = session_of(idle_studio)
    line = raw_request(idle_studio.url, f"POST /api/sessions/{session}/songs?name=big.mid HTTP/1.1\r\n"
                                        "Host: 127.0.0.1\r\nContent-Length: 100000000")
    assert line.startswith("HTTP/1.1 413")


def test_a_body_past_the_limit_is_cut_off_and_a_stalled_one_dropped(idle_studio: StudioThread) -> None:
    """Without a declared size (chunked), the upload stops the moment it passes the limit; an upload that stops
    arriving is dropped after upload_idle_s, with one line each."""
    session = session_of(idle_studio)
    chunk = b"10000\r\n" + bytes(0x10000) + b"\r\n"
    head = (f"POST /api/sessions/{session}/songs?name=big.mid HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            "Transfer-Encoding: chunked")
    assert raw_request(idle_studio.url, head, chunk * 2).startswith("HTTP/1.1 413")
    started = time.monotonic()
    stalled = (f"POST /api/sessions/{session}/songs?name=slow.mid HTTP/1.1\r\nHost: 127.0.0.1\r\n"
               "Content-Length: 1000")
    assert raw_request(idle_studio.url, stalled, b"MThd").startswith("HTTP/1.1 408")
    assert time.monotonic() - started > 0.4  # not before upload_idle_s (a lower bound: no machine is too slow for it)


def test_errors_are_one_line_and_the_host_is_checked(idle_studio: StudioThread) -> None:
    """An ended session, a take that is not there, options that are not numbers, a generation the backend refuses:
    each one line in JSON. A request naming another host (a page elsewhere pointing its name at 127.0.0.1) is
    refused."""
    assert call(idle_studio.url + "api/sessions/nope/songs?name=a.mid", b"MThd", "POST")[1] == {
        "error": "this page's files were removed (the page was closed, or not used for 10 minutes); reload the page "
                 "and drop the song again"}
    session = session_of(idle_studio)
    status, answer = post_json(f"{idle_studio.url}api/sessions/{session}/takes",
                               {"song": None, "options": {"bars": "four"}})
    assert (status, answer["error"]) == (422, "argument --bars: invalid int value: 'four'")
    status, answer = post_json(f"{idle_studio.url}api/sessions/{session}/takes",
                               {"song": None, "options": {"bars": "4"}})
    assert (status, answer["error"]) == (503, "this test studio makes no drums")
    status, answer = call(f"{idle_studio.url}api/sessions/{session}/takes/123/drums.mid")
    assert (status, answer["error"]) == (410, "this take is no longer in the studio; make it again")
    line = raw_request(idle_studio.url, "GET /api/config HTTP/1.1\r\nHost: studio.example.com")
    assert line.startswith("HTTP/1.1 400")


def test_the_page_and_its_assets_come_from_the_studio_alone(idle_studio: StudioThread) -> None:
    """The page names no other address, and the studio tells the browser so (a content security policy)."""
    status, page = call(idle_studio.url)
    assert status == 200 and b"http" not in page.replace(b"http-equiv", b"")
    for asset in ("studio.js", "form.js", "roll.js", "takes.js", "studio.css"):
        status, text = call(f"{idle_studio.url}static/{asset}")
        assert status == 200 and b"http://" not in text and b"https://" not in text, asset
    request = __import__("urllib.request").request.urlopen(idle_studio.url, timeout=10)
    assert request.headers["content-security-policy"].startswith("default-src 'self'")


@pytest.fixture(scope="module")
def local_studio(tiny_model_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[StudioThread]:
    config = dataclasses.replace(ServerConfig(), workers=1)
    with StudioThread(LocalBackend(tiny_model_path, config), config,
                      parent=tmp_path_factory.mktemp("studio")) as running:
        yield running


def make_takes(studio: StudioThread, song: bytes, options: dict) -> tuple[str, dict]:
    session = session_of(studio)
    status, view = upload(studio, session, "song.mid", song)
    assert status == 200, view
    status, result = post_json(f"{studio.url}api/sessions/{session}/takes", {"song": view["song"],
                                                                              "options": options})
    assert status == 200, result
    return session, result


def test_takes_files_are_the_command_lines_and_stay_in_the_studios_folder(
        local_studio: StudioThread, tiny_model_path: Path, tmp_path: Path) -> None:
    """Drums made in the studio's workers are the command line's for the same song, seed and options; the song with
    the drums and both WAVs are made on first ask, inside the session's folder, and nothing anywhere else."""
    song = band_song(bars=3)
    (tmp_path / "song.mid").write_bytes(song)
    before = set(Path.cwd().iterdir())
    session, result = make_takes(local_studio, song, {"seed": "3", "takes": "2", "density": "1.5"})
    assert cli.main(["--mode", "infer", str(tmp_path / "song.mid"), "--checkpoint", str(tiny_model_path), "--seed",
                     "3", "--takes", "2", "--density", "1.5", "-o", str(tmp_path / "cli.mid")]) == 0
    for take in result["takes"]:
        status, drums = call(local_studio.url.rstrip("/") + take["files"]["drums.mid"])
        assert status == 200
        assert np.array_equal(drum_notes(drums), drum_notes((tmp_path / f"cli.take{take['index']}.mid").read_bytes()))
    files = result["takes"][0]["files"]
    status, mix = call(local_studio.url.rstrip("/") + files["mix.wav"])
    if status == 501:
        pytest.skip(f"the audio extra is not installed: {mix['error']}")
    seconds, rms = wav_seconds_and_rms(mix)
    assert rms > 1e-3 and seconds >= song_end_s(song)
    folder = local_studio.store.sessions[session].folder
    assert {path.name.split(".", 1)[1] for path in folder.iterdir()} == {"mid", "drums.mid", "mix.wav"}
    assert set(Path.cwd().iterdir()) == before
    assert all(path.is_relative_to(local_studio.store.root) for path in local_studio.store.root.rglob("*"))


def test_the_page_lists_the_styles_of_a_meter_and_the_kit_maps(local_studio: StudioThread) -> None:
    """/api/styles gives the model's styles that play in a meter (named as generation names it: 2/2 plays the 4/4
    styles), /api/kit-maps the maps that ship; an upload says its meters, so the page lists the song's styles."""
    status, answer = call(local_studio.url + "api/styles?meter=6/8")
    # the tiny model's styles and every model's written grooves and styles' drummers' bars (groove.vocabulary)
    assert status == 200 and answer["meter"] == "6/8" and answer["all"] == 11
    assert [style["name"] for style in answer["styles"]] == ["jazz-ride", "six-eight"]
    assert all("6/8" in style["meters"] and style["description"] for style in answer["styles"])
    assert call(local_studio.url + "api/styles?meter=2/2")[1]["meter"] == "4/4"
    status, answer = call(local_studio.url + "api/styles?meter=waltz")
    assert status == 422 and answer["error"].startswith("meter must be NUM/DEN")
    status, answer = call(local_studio.url + "api/kit-maps")
    assert [found["key"] for found in answer["kit_maps"]] == ["gm", "addictive-drums-2", "toontrack"]
    session = session_of(local_studio)
    assert upload(local_studio, session, "song.mid", band_song(bars=2))[1]["meters"] == ["4/4"]


def test_a_take_for_a_plug_ins_map_is_drawn_and_heard_as_its_drums(local_studio: StudioThread) -> None:
    """A take made with the Addictive Drums 2 map downloads on AD2's notes (its closed hats on 49, GM's crash), but
    the page draws it, and the GM SoundFont plays it, as the same drums as the take without a map."""
    song = band_song(bars=2)
    _, gm = make_takes(local_studio, song, {"seed": "5"})
    _, ad2 = make_takes(local_studio, song, {"seed": "5", "kit_map": "addictive-drums-2"})
    assert ad2["takes"][0]["drums"] == gm["takes"][0]["drums"]
    files = {name: {kind: call(local_studio.url.rstrip("/") + url)[1] for kind, url in result["takes"][0][
        "files"].items() if kind in ("drums.mid", "drums.wav")} for name, result in (("gm", gm), ("ad2", ad2))}
    mapped, plain = drum_notes(files["ad2"]["drums.mid"]), drum_notes(files["gm"]["drums.mid"])
    assert (mapped[:, 2] == 49).sum() == (plain[:, 2] == 42).sum() > 0  # the closed hats, on AD2's note
    kit = KitMap.from_json(preset("addictive-drums-2").text)
    assert np.array_equal(drum_notes_of(kit.to_gm(mapped)), plain)
    assert files["ad2"]["drums.wav"] == files["gm"]["drums.wav"]


def test_a_takes_audio_says_how_far_it_is_rendered(local_studio: StudioThread,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """.../mix.wav/progress: "not asked" before the first play, "rendering" with the share done while the WAV is
    written (slowed here, as a long song on a busy machine is), "ready" once it is there; a kind a take has not is
    404. The page shows it while the first play prepares."""
    def slow_write(target: Path, kind: str, data: bytes, progress: Any = None, limits: Any = None) -> None:
        app.write_wav(target, data, lambda done: (time.sleep(0.05), progress(done)), limits)

    monkeypatch.setattr(app, "write_file", slow_write)
    _, result = make_takes(local_studio, band_song(bars=12), {"seed": "2"})
    files = {kind: local_studio.url.rstrip("/") + url for kind, url in result["takes"][0]["files"].items()}
    assert call(files["mix.wav"] + "/progress")[1] == {"state": "not asked", "done": 0.0}
    fetched = threading.Thread(target=call, args=(files["mix.wav"],))
    fetched.start()
    seen = []
    while fetched.is_alive():
        seen.append(call(files["mix.wav"] + "/progress")[1])
        time.sleep(0.1)
    fetched.join()
    rendering = [answer["done"] for answer in seen if answer["state"] == "rendering"]
    assert len(rendering) >= 3 and any(0 < done < 1 for done in rendering) and rendering == sorted(rendering), seen
    assert call(files["mix.wav"] + "/progress")[1] == {"state": "ready", "done": 1.0}
    assert call(files["mix.wav"].replace("mix.wav", "x.wav") + "/progress")[0] == 404


def drum_notes_of(notes: np.ndarray) -> np.ndarray:
    """Notes sorted as `drum_notes` sorts a file's."""
    return notes[np.lexsort(notes.T[::-1])]


def test_in_front_of_a_running_server_the_drums_are_the_same(local_studio: StudioThread, tiny_model_path: Path,
                                                             tmp_path_factory: pytest.TempPathFactory) -> None:
    """--server HOST:PORT: the studio sends the song and its options to the server (options_to_proto) and gets the
    drums its own workers make for the same song, seed and options."""
    song = band_song(bars=3, root=43)
    options = {"seed": "11", "takes": "2", "fills": "every:2", "humanize": "0.5"}
    _, local = make_takes(local_studio, song, options)
    with ServerThread("127.0.0.1:0", ModelSource(tiny_model_path), ServerConfig(workers=1)) as server:
        config = dataclasses.replace(ServerConfig(), workers=1)
        backend = RemoteBackend([f"127.0.0.1:{server.port}"], config)
        with StudioThread(backend, config, parent=tmp_path_factory.mktemp("studio")) as remote_studio:
            _, remote = make_takes(remote_studio, song, options)
            assert remote["seed"] == local["seed"] == "11" and remote["bars"] == local["bars"] == 3
            assert call(remote_studio.url + "api/styles?meter=3/4")[1] == call(local_studio.url + "api/styles?"
                                                                               "meter=3/4")[1]  # the server's
            for here, there in zip(local["takes"], remote["takes"]):
                assert here["drums"] == there["drums"] and here["hits"] == there["hits"]
                # each take says its parts and plan, as main.py prints them (issue 90: the answer had none)
                assert here["plan"] == there["plan"] and here["plan"] and here["parts"] == there["parts"]
            # the arrangement (issue 87): the server's Arrange call answers as the studio's own workers do
            arranged = [arrangement(studio_, band_song(bars=16)) for studio_ in (local_studio, remote_studio)]
            assert arranged[0] == arranged[1] and arranged[0][0]["parts"][0]["name"]
            # and the song's own drummer's part in each section, for a song with drums (issue 101)
            arranged = [arrangement(studio_, band_song(bars=16, with_drums=True))
                        for studio_ in (local_studio, remote_studio)]
            assert arranged[0] == arranged[1] and all(section["drummer"]["name"] for section in arranged[0])


def arrangement(studio: StudioThread, song: bytes) -> list[dict]:
    """The studio's /arrange answer for `song`: its sections with their ranked parts."""
    session = session_of(studio)
    status, view = upload(studio, session, "song.mid", song)
    assert status == 200, view
    status, result = post_json(f"{studio.url}api/sessions/{session}/arrange", {"song": view["song"], "options": {}})
    assert status == 200, result
    return result["sections"]


def test_the_command_starts_serves_and_stops_cleanly(tiny_model_path: Path, tmp_path: Path) -> None:
    """`python -m seq2drum.studio --port 0` prints its address once the page can be opened, answers it, and on
    SIGTERM stops, exits 0 and leaves no file behind; a flag out of range is one line and exit code 2."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "TMPDIR": str(tmp_path), "OMP_NUM_THREADS": "1"}
    process = subprocess.Popen([sys.executable, "-m", "seq2drum.studio", "--port", "0", "--workers", "1",
                                "--checkpoint", str(tiny_model_path)], cwd=tmp_path, env=env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        line = process.stdout.readline() if process.stdout else ""
        assert line.startswith("seq2drum studio: http://127.0.0.1:"), (line, process.stderr.read())
        url = line.split()[2]
        assert call(url + "api/config")[0] == 200
        assert len(list(tmp_path.glob("seq2drum-studio-*"))) == 1
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=60)
        assert process.returncode == 0, err[-2000:]
        assert not list(tmp_path.glob("seq2drum-studio-*"))
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert studio_main.main(["--workers", "0"]) == 2
    assert studio_main.main(["--max-upload-mib", "0"]) == 2


@pytest.mark.parametrize("label, stem", [
    ("Ünïcødé.mid", "Ünïcødé"), ("Песня.MID", "Песня"), ("曲.midi", "曲"), ("my song.mid", "my song"),
    ("a/b:c*?.mid", "a_b_c__"), ("\u202eevil.mid", "_evil"), ("...", "song"),
], ids=["accents", "cyrillic", "cjk", "space", "reserved", "bidi-override", "dots"])
def test_a_downloads_name_keeps_the_songs_letters(label: str, stem: str) -> None:
    """Issue 89 (low): "Ünïcødé" was offered as "_n_c_d_"; letters and digits of any script are kept, the characters
    a file system or a terminal reads otherwise (separators, reserved marks, controls, format characters) are not."""
    assert app._stem(label) == stem
