"""A training run makes its own parts (issue 86 item 5): `--mode train` fits the drummers' parts of its training songs
and writes parts.npz beside its checkpoint, which inference then plans with; a folder too small for parts says so,
writes none, and its model plans bar by bar (never with the shipped model's parts). Songs built in code."""

from __future__ import annotations

from pathlib import Path

from seq2drum.generation.generator import DrumGenerator
from seq2drum.options import GenerationOptions
from seq2drum.parts.plan import PARTS_FILE
from seq2drum.parts.plan_value import Held
from tests.builders import rock_song_bytes
from tests.conftest import write_song_folder
from tests.test_cli import run_main

TINY = ("--epochs", "1", "--enc-hidden", "8", "--dec-hidden", "16", "--batch-size", "4")


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
    from seq2drum.parts.fit import too_few_phrases

    assert "0 four-bar phrase(s)" in too_few_phrases([])
