"""A page that closes while its requests are in flight (issue 69: M5 in remote mode, N1): the requests its session
ends under get the one-line 410 of a closed page (never a 500, never a 422 naming the studio's temporary folder), a
download is whole or not sent, and a song it left on a seq2drum server is cancelled there, freeing the worker.
"""

from __future__ import annotations

import dataclasses
import functools
import http.client
import json
import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from seq2drum.studio import app as app_module
from seq2drum.studio.backends import RemoteBackend, Takes
from server.config import ServerConfig
from server.testing import ServerThread
from server.workers import ModelSource
from tests.builders import backbeat, gated_generator, notes_from_steps, song_bytes
from tests.studio_harness import FixedBackend, StudioThread, call, post_json
from tests.studio_songs import band_song

TAKE = song_bytes(None, notes_from_steps(backbeat(8)))
CONFIG = dataclasses.replace(ServerConfig(), workers=2)


def session_with_a_take(url: str) -> tuple[str, str, str]:
    """A session with a song and one take made for it: (session, song id, take id)."""
    session = call(url + "api/sessions", b"", "POST")[1]["session"]
    song = call(f"{url}api/sessions/{session}/songs?name=a.mid", band_song(bars=2), "POST")[1]["song"]
    status, answer = post_json(f"{url}api/sessions/{session}/takes", {"song": song, "options": {}})
    assert status == 200, answer
    return session, song, answer["takes"][0]["id"]


def fetch(url: str, method: str, path: str, body: bytes = b"") -> tuple[int, bytes, bool]:
    """(status, body, whether the body fell short of its Content-Length or the connection dropped)."""
    host, port = url.split("/")[2].rsplit(":", 1)
    connection = http.client.HTTPConnection(host, int(port), timeout=60)
    try:
        connection.request(method, path, body=body, headers={"Content-Type": "application/json"})
        answer = connection.getresponse()
        try:
            return answer.status, answer.read(), False
        except http.client.IncompleteRead as short:
            return answer.status, short.partial, True
    except (ConnectionError, http.client.HTTPException) as error:
        return -1, repr(error).encode(), True
    finally:
        connection.close()


@pytest.fixture()
def studio(tmp_path: Path) -> Iterator[StudioThread]:
    """A studio whose every song gets two 8-bar takes at once."""
    with StudioThread(FixedBackend(Takes([TAKE, TAKE], [96, 96], 1, 8)), CONFIG, parent=tmp_path) as running:
        yield running


def test_n1_a_close_among_a_pages_requests_leaves_whole_answers_or_410s(studio: StudioThread) -> None:
    """The close race: a page's takes, its drums, its song with the drums and its mix fetched while its close beacon
    goes, at once, 25 times. On f0ae609 (60 rounds): 29 JSON 500s (FileNotFoundError), 14 plain-text 500s, 19
    downloads cut short after their Content-Length, 4 422s printing the temporary folder."""
    root = str(studio.store.root).encode()
    seen: dict[tuple[str, int], int] = {}
    for _ in range(25):
        session, song, take = session_with_a_take(studio.url)
        api = f"/api/sessions/{session}"
        requests = [("POST", f"{api}/takes", json.dumps({"song": song, "options": {}}).encode()),
                    *(("GET", f"{api}/takes/{take}/{kind}", b"") for kind in ("drums.mid", "song.mid", "mix.wav")),
                    ("POST", f"{api}/close", b"")]
        answers: list[tuple[int, bytes, bool]] = [(0, b"", False)] * len(requests)

        def send(index: int) -> None:
            answers[index] = fetch(studio.url, *requests[index])

        senders = [threading.Thread(target=send, args=(index,)) for index in range(len(requests))]
        for sender in senders:
            sender.start()
        for sender in senders:
            sender.join(60)
        for (_, path, _), (status, body, short) in zip(requests, answers):
            kind = path.rsplit("/", 1)[1]
            seen[kind, status] = seen.get((kind, status), 0) + 1
            assert not short and root not in body and b"/tmp" not in body, (kind, status, body[:200])
            assert status in ({204} if kind == "close" else {200, 410}), (kind, status, body[:200])
            if status == 410:  # the page's files went, or its song was stopped: one line either way
                line = json.loads(body)["error"]
                assert line and "\n" not in line
    assert seen[("close", 204)] == 25, seen


def test_n1_a_take_asked_for_as_its_page_closes_gets_410(studio: StudioThread,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The song's file went while the form was read: 410, not a 500 (FileNotFoundError)."""
    session, song, _ = session_with_a_take(studio.url)
    real_read_form = app_module.read_form

    def read_then_close(body: bytes) -> object:  # on a thread, while the event loop is free
        call(f"{studio.url}api/sessions/{session}/close", b"", "POST")
        return real_read_form(body)

    monkeypatch.setattr(app_module, "read_form", read_then_close)
    status, answer = post_json(f"{studio.url}api/sessions/{session}/takes", {"song": song, "options": {}})
    assert status == 410 and "reload the page" in answer["error"], answer


def test_n1_a_file_whose_page_closed_once_it_was_found_is_not_sent(studio: StudioThread,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """The page closed between its drum file being found and being sent: a 410 in one line, not the file response's
    plain-text 500 of f0ae609."""
    session, _, take = session_with_a_take(studio.url)
    assert studio.studio is not None
    real_derived = studio.studio.derived

    async def found_then_closed(*args: object) -> Path:
        path = await real_derived(*args)  # type: ignore[arg-type]
        studio.store.close(session)
        return path

    monkeypatch.setattr(studio.studio, "derived", found_then_closed)
    status, body, short = fetch(studio.url, "GET", f"/api/sessions/{session}/takes/{take}/drums.mid")
    assert status == 410 and not short and "reload the page" in json.loads(body)["error"], body[:300]


def test_n1_a_song_file_gone_with_its_page_gives_410_not_the_studios_path(studio: StudioThread,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """song.mid is made as the page closes: its session has ended and its song's file is gone, its take's not yet
    (a close ends the session, then removes the folder file by file). On f0ae609 a 422 blaming the user's file and
    printing the studio's temporary path ("cannot read /tmp/seq2drum-studio-.../....mid")."""
    session, _, take = session_with_a_take(studio.url)
    real_prepare = app_module.prepare_file

    def closing(take_path: Path, song_path: Path, *rest: object) -> object:  # on a thread
        studio.store.sessions.pop(session)
        song_path.unlink()
        return real_prepare(take_path, song_path, *rest)  # type: ignore[arg-type]

    monkeypatch.setattr(app_module, "prepare_file", closing)
    status, body, short = fetch(studio.url, "GET", f"/api/sessions/{session}/takes/{take}/song.mid")
    assert status == 410 and not short, body[:300]
    assert b"/tmp" not in body and "reload the page" in json.loads(body)["error"]


def test_n1_a_file_being_sent_as_its_page_closes_is_sent_whole(studio: StudioThread,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """The page closed once the file was held for sending: the whole file, as long as its Content-Length says."""
    session, _, take = session_with_a_take(studio.url)
    real_hold = studio.store.hold

    def held_then_closed(path: Path) -> object:
        held = real_hold(path)
        studio.store.close(session)
        return held

    monkeypatch.setattr(studio.store, "hold", held_then_closed)
    status, body, short = fetch(studio.url, "GET", f"/api/sessions/{session}/takes/{take}/drums.mid")
    assert status == 200 and not short and body == TAKE
    deadline = time.monotonic() + 10
    while list((studio.store.root / ".sending").iterdir()) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not list((studio.store.root / ".sending").iterdir())  # the link goes once the file was sent


def test_m5_a_song_whose_page_closed_is_cancelled_on_the_server(tiny_model_path: Path, tmp_path: Path,
                                                                caplog: pytest.LogCaptureFixture) -> None:
    """--server: a page closes while its song runs on the server: the call is cancelled, the server logs CANCELLED
    and kills and replaces the worker, and its next song is made at once. On f0ae609 the server ran the song to its
    end (the call was never cancelled) and the worker stayed busy."""
    gate, calls = tmp_path / "gate", tmp_path / "calls"
    source = ModelSource(tiny_model_path, factory=functools.partial(gated_generator, gate=str(gate), calls=str(calls)))
    server_config = dataclasses.replace(ServerConfig(), workers=1, max_waiting=0)
    with caplog.at_level(logging.INFO, logger="seq2drum.server"), \
            ServerThread("127.0.0.1:0", source, server_config) as server:
        config = dataclasses.replace(ServerConfig(), workers=1, max_waiting=1)
        with StudioThread(RemoteBackend([f"127.0.0.1:{server.port}"], config), config, parent=tmp_path) as studio:
            session = call(studio.url + "api/sessions", b"", "POST")[1]["session"]
            asker = threading.Thread(target=post_json, daemon=True, args=(
                f"{studio.url}api/sessions/{session}/takes", {"song": None, "options": {"bars": "1"}}))
            asker.start()
            deadline = time.monotonic() + 30
            while not calls.exists() and time.monotonic() < deadline:
                time.sleep(0.05)
            assert calls.exists(), "the song never reached the server's worker"
            assert call(f"{studio.url}api/sessions/{session}/close", b"", "POST")[0] == 204
            deadline = time.monotonic() + 20
            while server.pool.replacements < 1 and time.monotonic() < deadline:
                time.sleep(0.05)
            replaced = server.pool.replacements
            gate.touch()
            asker.join(30)
            another = call(studio.url + "api/sessions", b"", "POST")[1]["session"]
            status, answer = post_json(f"{studio.url}api/sessions/{another}/takes", {"song": None,
                                                                                     "options": {"bars": "1"}})
    assert replaced == 1, "the server's worker was not freed: the call was not cancelled"
    assert any("status=CANCELLED" in record.getMessage() for record in caplog.records)
    assert status == 200, answer
