"""Songs on the worker pool (server/jobs.py `SongRunner`): what a caller is told when no worker can take its song."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest

from seq2drum.options import GenerationOptions
from server.config import ServerConfig
from server.jobs import SongRunner
from server.status import ServerBusyError


@pytest.mark.parametrize("workers, words", [(1, "busy with 1 song and 0 more waiting"),
                                            (2, "busy with 2 songs and 0 more waiting")], ids=["1", "2"])
def test_a_full_line_says_how_many_songs_in_words_that_agree(workers: int, words: str) -> None:
    """Issue 89, low: "the server is busy with 1 songs". Every worker busy and no room to wait: the count and its
    noun agree."""
    busy = SimpleNamespace(serving=True, acquire=lambda: None, start_problem="")  # no worker is ever free
    runner = SongRunner(busy, ServerConfig(workers=workers, max_waiting=0))  # type: ignore[arg-type]
    try:
        with pytest.raises(ServerBusyError) as refused:
            asyncio.run(runner.run(b"", GenerationOptions()))
    finally:
        runner.waiters.shutdown()
    assert words in str(refused.value)
