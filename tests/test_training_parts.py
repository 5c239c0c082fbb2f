"""A training run makes its own parts (issue 86 item 5): `--mode train` fits the drummers' parts of its training songs
and writes parts.npz beside its checkpoint, which inference then plans with; a folder too small for parts says so,
writes none, and its model plans bar by bar (never with the shipped model's parts). Songs built in code."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from seq2drum.generation.generator import DrumGenerator
from seq2drum.options import GenerationOptions
from seq2drum.parts.plan import PARTS_FILE
from seq2drum.parts.plan_value import Held
from tests.builders import rock_song_bytes
from tests.conftest import write_song_folder
from tests.test_cli import REPO, run_main

TINY = ("--epochs", "1", "--enc-hidden", "8", "--dec-hidden", "16", "--batch-size", "4")


@pytest.mark.slow  # a real training run end to end (27-66 s on 2 cores); CI runs it
def test_a_run_writes_its_parts_and_its_model_plans_with_them(tmp_path: Path) -> None:
    folder = write_song_folder(tmp_path / "songs", n_songs=12)
    run = tmp_path / "run"
    trained = run_main("--mode", "train", "--data", folder, "--cache", tmp_path / "cache", "--out", run, *TINY)
    assert trained.returncode == 0, trained.stderr
    assert (run / PARTS_FILE).is_file() and "parts:" in trained.stdout and "written to" in trained.stdout
    generator = DrumGenerator.from_checkpoint(run / "best.pt")
    assert generator.planner is not None and Path(generator.planner.source) == (run / PARTS_FILE).resolve()
    assert generator.info.training_data["parts"]["file"] == PARTS_FILE
    shipped = DrumGenerator.from_checkpoint()
    assert len(generator.planner.vocabulary) < len(shipped.planner.vocabulary)  # its own few songs' parts
    exported = tmp_path / "exported" / "model.pt"  # an export carries the run's parts beside the copy
    export = subprocess.run([sys.executable, "-m", "models.export_default", str(run / "best.pt"), "--out",
                             str(exported)], cwd=REPO, capture_output=True, text=True, timeout=300, check=False)
    assert export.returncode == 0, export.stderr
    assert (exported.parent / PARTS_FILE).read_bytes() == (run / PARTS_FILE).read_bytes()
    copy = DrumGenerator.from_checkpoint(exported)
    assert copy.planner is not None and Path(copy.planner.source) == (exported.parent / PARTS_FILE).resolve()


@pytest.mark.slow  # a real training run end to end (27-66 s on 2 cores); CI runs it
def test_a_folder_too_small_for_parts_says_so_and_plans_bar_by_bar(tmp_path: Path) -> None:
    folder = write_song_folder(tmp_path / "songs", n_songs=3)
    run = tmp_path / "run"
    trained = run_main("--mode", "train", "--data", folder, "--cache", tmp_path / "cache", "--out", run, *TINY)
    assert trained.returncode == 0, trained.stderr
    assert "no parts:" in trained.stdout and "plans bar by bar" in trained.stdout
    assert not (run / PARTS_FILE).exists()
    generator = DrumGenerator.from_checkpoint(run / "best.pt")
    assert generator.planner is None  # not the shipped model's parts
    assert generator.info.training_data["parts"]["file"] is None
    result = generator.generate(rock_song_bytes(8), GenerationOptions(seed=0))
    assert result.takes[0].plan == f"none, bar by bar ({Held.NO_PARTS.value})"


def test_too_few_phrases_names_the_count() -> None:
    from seq2drum.training.part_fit import too_few_phrases

    assert "0 four-bar phrase(s)" in too_few_phrases([])


def test_a_trained_checkpoint_without_its_parts_file_never_plans_with_the_shipped_parts(tmp_path: Path) -> None:
    """A run's best.pt copied without its parts.npz plans bar by bar (the run names it: no parts file beside the
    model), not silently with models/parts.npz; a checkpoint of before runs made parts still plans with those."""
    from seq2drum.parts.plan import planner_for

    checkpoint = tmp_path / "best.pt"
    assert planner_for(checkpoint, {"parts": {"file": PARTS_FILE, "parts": 3, "phrases": 50}}) is None
    assert planner_for(checkpoint, {"parts": {"file": None, "why": "too few"}}) is None
    assert planner_for(checkpoint, {}) is not None  # the shipped parts, for an old checkpoint


def test_an_export_carries_its_runs_parts(tmp_path: Path) -> None:
    """models.export_default and tools.ensemble put the run's parts.npz beside the copy; a run that made none removes
    the one there (another model's); a checkpoint that recorded nothing leaves the folder alone."""
    from seq2drum.training.parts import carry_parts

    run, out = tmp_path / "run", tmp_path / "out"
    run.mkdir()
    out.mkdir()
    (run / PARTS_FILE).write_bytes(b"the run's parts")
    made = {"parts": {"file": PARTS_FILE, "parts": 3, "phrases": 50}}
    assert "copied" in carry_parts(run / "best.pt", out / "default.pt", made)
    assert (out / PARTS_FILE).read_bytes() == b"the run's parts"
    assert carry_parts(run / "best.pt", run / "best.pt", made) == ""  # the same folder: nothing to do
    assert carry_parts(run / "best.pt", out / "default.pt", {}) == "" and (out / PARTS_FILE).exists()
    assert "removed" in carry_parts(run / "best.pt", out / "default.pt", {"parts": {"file": None, "why": "few"}})
    assert not (out / PARTS_FILE).exists()
