from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.builders import tiny_checkpoint

DATA_DIR = Path(__file__).resolve().parents[2] / "shared" / "data" / "midi"


_CACHE_KEY = pytest.StashKey[str]()


def pytest_configure(config: pytest.Config) -> None:
    # nothing a test runs (in process or in a subprocess) may fill the user's ~/.cache/seq2drum
    config.stash[_CACHE_KEY] = os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="seq2drum-test-cache-")
    config.addinivalue_line("markers", "needs_data: reads the real songs in ../shared/data/midi (skipped when absent)")


def pytest_unconfigure(config: pytest.Config) -> None:
    """The run's cache folder goes with the run: a folder per run piled up in the temporary directory."""
    if _CACHE_KEY in config.stash:
        shutil.rmtree(config.stash[_CACHE_KEY], ignore_errors=True)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    skips = {}
    if not (DATA_DIR.is_dir() and any(DATA_DIR.iterdir())):
        skips["needs_data"] = pytest.mark.skip(reason=f"the real data set is not at {DATA_DIR}")
    if any(item.get_closest_marker("gpu") for item in items):
        import torch

        if not torch.cuda.is_available():
            build = "a CPU-only build" if torch.version.cuda is None else f"built for CUDA {torch.version.cuda}"
            skips["gpu"] = pytest.mark.skip(reason=f"no CUDA GPU visible (torch {torch.__version__}, {build}); "
                                                   "tools/gpu_check.sh runs these on a machine with one")
    for item in items:
        for marker, skip in skips.items():
            if item.get_closest_marker(marker):
                item.add_marker(skip)


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA_DIR


@pytest.fixture(scope="session")
def tiny_model_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_checkpoint(tmp_path_factory.mktemp("models") / "tiny.pt")


@pytest.fixture(scope="session")
def tiny_attention_model_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_checkpoint(tmp_path_factory.mktemp("models") / "tiny_attention.pt", attention=True)


def write_song_folder(folder: Path, n_songs: int = 6) -> Path:
    """A small training folder made in code: 4/4 rock songs and 3/4 waltzes of varied length and root."""
    from tests.builders import backbeat, notes_from_steps, riff, song_bytes

    folder.mkdir(parents=True, exist_ok=True)
    for index in range(n_songs):
        bars = 8 + 2 * index
        if index % 3 == 2:  # a waltz: bass note on 1, chord on 2 and 3; kick 1, hat on beats, snare on 3
            guitar = [(bar * 12 + beat * 4, 40 + index + (0 if beat == 0 else 7))
                      for bar in range(bars) for beat in range(3)]
            drums = [(bar * 12, 36, 100) for bar in range(bars)] + [(bar * 12 + 8, 38, 90) for bar in range(bars)]
            drums += [(bar * 12 + beat * 4, 42, 70) for bar in range(bars) for beat in range(3)]
            data = song_bytes(notes_from_steps(guitar, length_steps=4), notes_from_steps(drums),
                              time_signatures=[(0, 3, 4)])
        else:
            data = song_bytes(notes_from_steps([(s, p + index) for s, p in riff(bars)], length_steps=2),
                              notes_from_steps(backbeat(bars)), tempos=[(0, 500_000 - 10_000 * index)])
        (folder / f"song_{index:02d}.mid").write_bytes(data)
    return folder


@pytest.fixture(scope="session")
def song_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_song_folder(tmp_path_factory.mktemp("songs"))


@pytest.fixture(autouse=True)
def no_unexpected_server_errors(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Every test also checks that no request hit the server's or the studio's INTERNAL path (an exception it did not
    expect)."""
    yield
    unexpected = [r.getMessage() for r in caplog.records
                  if r.name in ("seq2drum.server", "seq2drum.studio") and r.levelno >= logging.ERROR]
    assert not unexpected, unexpected
