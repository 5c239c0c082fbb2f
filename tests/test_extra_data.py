"""A second folder trained on beside --data (`--extra-data`, jazz/): its songs without a guitar heard through the
band, each counted `extra_weight` times, and `--mode evaluate --group` scoring a genre folder on the songs the model
did not train on, beside the jazz ride pattern."""

from __future__ import annotations

from pathlib import Path

import pytest

from seq2drum.cli.main import main
from seq2drum.config import DataConfig, TrainConfig
from seq2drum.errors import ConfigError
from seq2drum.evaluation.groups import parse_group, trained_songs
from seq2drum.midi.write import TrackSpec
from seq2drum.model.checkpoint import load_checkpoint
from seq2drum.song.bars import FeatureSpec
from seq2drum.song.corpus import build_corpus
from seq2drum.training.loop import train
from seq2drum.training.sources import bar_songs, read_songs, weighted
from tests.builders import TINY_MODEL, backbeat, notes_from_steps, riff, song_bytes, write_files

DATA = DataConfig(val_fraction=0.34)


def trio_bytes(bars: int = 8, shift: int = 0) -> bytes:
    """A song with no guitar: a bass on the beats and a piano on the off-beats, with drums (a jazz trio's parts)."""
    bass = notes_from_steps([(step, 36 + shift + (step // 16) % 5) for step in range(0, 16 * bars, 4)], length_steps=3)
    piano = notes_from_steps([(step, pitch + shift) for step in range(2, 16 * bars, 4) for pitch in (60, 64, 67)])
    return song_bytes(None, notes_from_steps(backbeat(bars)),
                      extra=(TrackSpec("Bass", 1, bass, 33), TrackSpec("Piano", 2, piano, 1)))


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("extra")
    main_folder = write_files(root / "main", {f"rock{i}.mid": song_bytes(
        notes_from_steps(riff(8, root=40 + i), length_steps=2), notes_from_steps(backbeat(8))) for i in range(4)})
    extra = write_files(root / "jazz", {f"trio{i}.mid": trio_bytes(shift=i) for i in range(4)})
    return main_folder, extra


def test_songs_without_a_guitar_are_kept_only_where_asked(folders: tuple[Path, Path], tmp_path: Path) -> None:
    _, extra = folders
    assert build_corpus(extra, DATA, tmp_path, workers=1, progress=False,
                        allow_empty=True).report["skipped_by_reason"] == {"no guitar": 4}
    kept = build_corpus(extra, DATA, tmp_path, workers=1, progress=False, without_guitar=True)
    assert len(kept.songs) == 4 and all(song.guitar_note_count == 0 for song in kept.songs)
    songs = bar_songs(kept.songs, FeatureSpec.current(DATA.steps_per_quarter))
    assert all(song.guitar_plays.all() for song in songs)  # a bar plays where the band does, as generation has it


def test_the_extra_folder_is_split_apart_and_weighted(folders: tuple[Path, Path], tmp_path: Path) -> None:
    main_folder, extra = folders
    read = read_songs(main_folder, DATA, TrainConfig(extra_data=str(extra), extra_weight=3), tmp_path, False)
    assert len(read.train) + len(read.val) == 4 and len(read.extra_train) + len(read.extra_val) == 4
    assert read.extra_val and read.extra_train  # each folder holds out its own share
    assert weighted([1, 2], [7], 3) == [1, 2, 7, 7, 7]
    summary = read.summary(3)
    assert summary["extra_data"]["weight"] == 3
    assert summary["extra_data"]["train_sha256"] == sorted(song.sha256 for song in read.extra_train)


def test_a_run_trains_on_both_and_a_group_leaves_out_what_it_heard(
        folders: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main_folder, extra = folders
    config = TrainConfig(epochs=1, batch_size=1, device="cpu", extra_data=str(extra), extra_weight=2)
    best = train(main_folder, tmp_path / "run", DATA, TINY_MODEL, config, tmp_path / "cache", progress=False)
    payload = load_checkpoint(best)
    extra_summary = payload["training_data"]["extra_data"]
    assert payload["train_config"]["extra_data"] == str(extra)
    assert len(trained_songs(best)) == extra_summary["train_songs"] >= 1
    code = main(["--mode", "evaluate", "--data", str(main_folder), "--checkpoint", str(best), "--split", "all",
                 "--group", f"jazz={extra}", "--report", str(tmp_path / "report"), "--quiet", "--cache",
                 str(tmp_path / "cache")])
    out = capsys.readouterr().out
    assert code == 0
    left = extra_summary["train_songs"]
    assert f"group jazz: {4 - left} songs of {extra}, {left} left out as trained on" in out
    assert "| jazz_ride |" in out.split("group jazz")[1]  # the jazz ride pattern is a column of the group's table
    assert (tmp_path / "report" / "group-jazz" / "report.md").exists()


def test_a_group_played_live_leaves_out_what_the_live_model_trained_on() -> None:
    """Both shipped models trained on jazz/'s 27 training songs (live.pt since 2026-11-27's evening): --live --group
    leaves out the live model's own, as the offline group leaves out default.pt's."""
    assert len(trained_songs(None)) == 27 and trained_songs(None, live=True) == trained_songs(None)


@pytest.mark.parametrize("text", ["jazz", "=x", "ja zz=dir", "jazz="])
def test_a_group_that_is_not_name_equals_folder_names_the_fix(text: str) -> None:
    with pytest.raises(ConfigError, match="NAME=DIR; write it as --group jazz="):
        parse_group(text)


def test_a_group_folder_that_is_not_there_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="folder .*nope does not exist"):
        parse_group(f"jazz={tmp_path / 'nope'}")
    assert parse_group(f"jazz={tmp_path}") == ("jazz", tmp_path)


@pytest.mark.parametrize("weight", [0, 21, -3])
def test_bad_extra_weight_is_refused(weight: int) -> None:
    with pytest.raises(ConfigError, match=f"extra_weight must be 1-20, got {weight}"):
        TrainConfig(extra_weight=weight)
