"""notebooks/explore.ipynb: stored without outputs, in step with its builder, and runs top to bottom on songs made
in code (so it never goes stale as the library changes)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import nbformat
import pytest

from tests.builders import backbeat, notes_from_steps, riff, rock_song_bytes, song_bytes

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOK = NOTEBOOKS / "explore.ipynb"


def load_builder():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("build_explore", NOTEBOOKS / "build_explore.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_notebook_is_stored_without_outputs_and_matches_its_builder() -> None:
    """Breaks if someone commits executed outputs (a bloated repo) or edits the .ipynb instead of build_explore.py."""
    stored = nbformat.read(NOTEBOOK, as_version=4)
    code = [cell for cell in stored.cells if cell.cell_type == "code"]
    assert all(not cell.get("outputs") and cell.get("execution_count") is None for cell in code)
    built = load_builder().build()
    assert [(c.cell_type, c.source) for c in stored.cells] == [(c.cell_type, c.source) for c in built.cells], (
        "explore.ipynb differs from notebooks/build_explore.py; run `python -m notebooks.build_explore`"
    )


def test_notebook_runs_end_to_end(tmp_path: Path, tiny_model_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Executes every cell with nbclient on four small songs and the tiny checkpoint; breaks when a library call the
    notebook makes changes its name or signature, or a figure fails to render."""
    from nbclient import NotebookClient

    data = tmp_path / "songs"
    data.mkdir()
    for index, bars in enumerate((6, 8, 10)):
        (data / f"rock{index}.mid").write_bytes(rock_song_bytes(bars))
    waltz = [(s, p, v) for s, p, v in backbeat(8, 12) if s % 12 in (0, 4, 8)]
    guitar = notes_from_steps(riff(8, 12), length_steps=2)
    (data / "waltz.mid").write_bytes(song_bytes(guitar, notes_from_steps(waltz), time_signatures=((0, 3, 4),)))
    environment = {"SEQ2DRUM_DATA": data, "SEQ2DRUM_CHECKPOINT": tiny_model_path, "SEQ2DRUM_CACHE": tmp_path / "cache",
                   "SEQ2DRUM_LIMIT": 2, "SEQ2DRUM_SPLIT": "all", "SEQ2DRUM_REPORT": tmp_path / "report",
                   # the kernel imports seq2drum as from an install
                   "OMP_NUM_THREADS": 1, "PYTHONPATH": NOTEBOOKS.parent}
    for name, value in environment.items():
        monkeypatch.setenv(name, str(value))
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    resources = {"metadata": {"path": str(NOTEBOOKS)}}
    client = NotebookClient(notebook, timeout=180, kernel_name="python3", resources=resources)
    client.execute()
    images = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs if "image/png" in o.get("data", {})]
    assert len(images) >= 4  # song, song with generated drums, F1 chart, descriptor histograms (+ a piano roll)
    assert (tmp_path / "report" / "report.md").is_file()
