"""The studio against issue 55 H1's song of one-step bars: refused at upload in one line naming the bar limit, where
its page view (bar starts through the grid) and its drums used to cost 8 GiB. The studio's own half of issue 55 is
tested in its own files; this one holds what the grid's bar limit changes for the studio."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest

from server.config import ServerConfig
from tests.builders import one_step_bars_song
from tests.studio_harness import IdleBackend, StudioThread, call

SMALL = dataclasses.replace(ServerConfig(), workers=1, max_stream_bytes=64 * 1024, max_message_bytes=64 * 1024,
                            stream_chunk_bytes=32 * 1024)


@pytest.fixture(scope="module")
def studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StudioThread]:
    with StudioThread(IdleBackend(), SMALL, parent=tmp_path_factory.mktemp("studio")) as running:
        yield running


@pytest.mark.parametrize("denominator", [64, 16], ids=["1/64", "1/16"])
def test_a_song_of_one_step_bars_is_refused_at_upload_in_one_line(studio: StudioThread, denominator: int) -> None:
    status, answer = call(studio.url + "api/sessions", b"", "POST")
    assert status == 200
    status, answer = call(f"{studio.url}api/sessions/{answer['session']}/songs?name=hostile.mid",
                          one_step_bars_song(denominator), "POST", {"content-type": "application/octet-stream"})
    assert 400 <= status < 500
    assert "limited to 2,048 bars" in answer["error"] and "\n" not in answer["error"]
