"""Building a corpus from a folder: used and skipped songs with reasons, cache reuse, parallel parsing, preprocess
without torch, splits and folds by song; if these break, training silently loses songs or leaks validation songs."""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from seq2drum.config import DataConfig
from seq2drum.errors import DataFolderError
from seq2drum.song.corpus import build_corpus, fold_of, split_songs
from tests.builders import rock_song_bytes, write_files
from tests.corpus_songs import CONFIG, folder_songs, waltz_bytes
from tests.hostile_songs import overlong_event_song


@pytest.fixture
def mixed_folder(tmp_path: Path) -> Path:
    folder = write_files(tmp_path / "songs", folder_songs())
    (folder / "notes.txt").write_text("not a song")
    return folder


# ---------------------------------------------------------------------------------------------- corpus


def test_build_corpus_reports_used_and_skipped_songs_with_reasons(mixed_folder: Path, tmp_path: Path) -> None:
    """Two good songs are used; the no-guitar, no-drums, corrupt and too-short files are skipped, each with its
    reason, so a user can see why a song was left out."""
    corpus = build_corpus(mixed_folder, CONFIG, cache_dir=tmp_path / "cache", workers=1, progress=False)
    report = corpus.report
    assert report["files"] == 6
    assert report["songs_used"] == 2 and sorted(s.name for s in corpus.songs) == ["rock", "waltz"]
    assert report["songs_skipped"] == 4
    assert report["skipped_by_reason"] == {"no guitar": 1, "no drums": 1, "unreadable": 1, "too short": 1}
    reasons = {entry["path"]: entry["reason"] for entry in report["skipped"]}
    assert reasons["no_guitar.mid"].startswith("no guitar") and "--track" in reasons["no_guitar.mid"]
    assert reasons["no_drums.mid"].startswith("no drums")
    assert reasons["corrupt.mid"].startswith("unreadable")
    assert reasons["too_short.mid"].startswith("too short")
    assert report["train_songs"] + report["validation_songs"] == 2
    assert report["bars"] == 16 and report["steps"] == 8 * 16 + 8 * 12 and "windows" not in report
    assert report["hits_per_class"]["kick"] == 8 * 2 + 8
    assert report["parsed_now"] == 6 and report["from_cache"] == 0
    assert report["config"] == CONFIG.to_dict()


def test_a_song_with_an_event_longer_than_its_track_is_skipped_naming_it(tmp_path: Path) -> None:
    """Issue 69 N5: training's skip list said such a song "holds no notes ... check the track is not muted"."""
    folder = write_files(tmp_path / "songs", {"rock.mid": rock_song_bytes(8), "bad.mid": overlong_event_song("meta")})
    corpus = build_corpus(folder, CONFIG, cache_dir=tmp_path / "cache", workers=1, progress=False)
    [skipped] = corpus.report["skipped"]
    assert skipped["path"] == "bad.mid" and skipped["reason"].startswith(
        "unreadable: bad.mid is corrupt: event 3 of track 1 (a meta event FF 01, at byte 36 of the file) declares "
        "268,435,455 bytes")


def test_second_build_parses_nothing_and_gives_the_same_songs(mixed_folder: Path, tmp_path: Path) -> None:
    """Nothing changed -> everything (skips included) comes from the cache: a re-run of train starts at once."""
    first = build_corpus(mixed_folder, CONFIG, cache_dir=tmp_path / "cache", workers=1, progress=False)
    second = build_corpus(mixed_folder, CONFIG, cache_dir=tmp_path / "cache", workers=1, progress=False)
    assert second.report["parsed_now"] == 0 and second.report["from_cache"] == 6
    assert second.report["skipped_by_reason"] == first.report["skipped_by_reason"]
    assert [s.span_steps for s in second.songs] == [s.span_steps for s in first.songs]
    for old, new in zip(first.songs, second.songs):
        np.testing.assert_array_equal(old.drums.hits, new.drums.hits)


def test_changing_steps_per_quarter_invalidates_the_cache(mixed_folder: Path, tmp_path: Path) -> None:
    """A new grid resolution re-parses every file (a stale cache would silently train on the old grid), while a
    new validation split re-parses none."""
    build_corpus(mixed_folder, CONFIG, cache_dir=tmp_path / "cache", workers=1, progress=False)
    finer = build_corpus(
        mixed_folder, CONFIG.replace(steps_per_quarter=8), cache_dir=tmp_path / "cache", workers=1, progress=False
    )
    assert finer.report["parsed_now"] == 6
    assert finer.songs[0].grid.steps_per_quarter == 8 and finer.songs[0].n_steps == 2 * 128
    resplit = build_corpus(
        mixed_folder, CONFIG.replace(val_fraction=0.5), cache_dir=tmp_path / "cache", workers=1, progress=False
    )
    assert resplit.report["parsed_now"] == 0


def test_an_edited_file_is_parsed_again(mixed_folder: Path, tmp_path: Path) -> None:
    """The cache is keyed on file content: editing one song re-parses that song only."""
    build_corpus(mixed_folder, CONFIG, cache_dir=tmp_path / "cache", workers=1, progress=False)
    (mixed_folder / "rock.mid").write_bytes(rock_song_bytes(12))
    corpus = build_corpus(mixed_folder, CONFIG, cache_dir=tmp_path / "cache", workers=1, progress=False)
    assert corpus.report["parsed_now"] == 1 and corpus.report["from_cache"] == 5
    assert {s.name: s.grid.n_bars for s in corpus.songs}["rock"] == 12


def test_parallel_build_gives_the_same_corpus_as_serial(mixed_folder: Path, tmp_path: Path) -> None:
    """Parsing in worker processes must give exactly what parsing in-process gives."""
    serial = build_corpus(mixed_folder, CONFIG, cache_dir=tmp_path / "serial", workers=1, progress=False)
    parallel = build_corpus(mixed_folder, CONFIG, cache_dir=tmp_path / "parallel", workers=2, progress=False)
    assert parallel.report["skipped"] == serial.report["skipped"]
    assert [(s.name, s.span_steps) for s in parallel.songs] == [(s.name, s.span_steps) for s in serial.songs]


def test_preprocess_never_imports_torch(tmp_path: Path) -> None:
    """`main.py --mode preprocess` parses and caches MIDI only; importing torch (in it or in its parse workers) would
    cost more than a second of a few-second run for nothing."""
    folder = write_files(tmp_path / "songs", {"rock.mid": rock_song_bytes(4), "waltz.mid": waltz_bytes(4)})
    repo = Path(__file__).resolve().parents[1]
    command = [sys.executable, "-X", "importtime", str(repo / "main.py"), "--mode", "preprocess", "--data", str(folder),
               "--cache", str(tmp_path / "cache"), "--workers", "2", "--quiet"]
    result = subprocess.run(command, cwd=repo, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "2 of 2 songs used" in result.stdout
    lines = result.stderr.splitlines()
    imported = {line.rsplit("|", 1)[-1].strip() for line in lines if line.startswith("import time")}
    assert "seq2drum.song.corpus" in imported and "torch" not in imported


@pytest.mark.parametrize("files", [{}, {"readme.txt": b"hello"}], ids=["empty-folder", "no-midi-files"])
def test_folder_without_midi_files_raises_data_folder_error(tmp_path: Path, files: dict[str, bytes]) -> None:
    """An empty or wrong --data folder says so instead of training on nothing."""
    folder = write_files(tmp_path / "data", files)
    with pytest.raises(DataFolderError, match="no .mid"):
        build_corpus(folder, CONFIG, cache_dir=tmp_path / "cache", workers=1, progress=False)
    with pytest.raises(DataFolderError, match="does not exist"):
        build_corpus(tmp_path / "missing", CONFIG, workers=1, progress=False)


def test_a_file_given_as_the_data_folder_names_the_folder_to_pass(tmp_path: Path) -> None:
    song = write_files(tmp_path / "songs", {"a.mid": rock_song_bytes(4)}) / "a.mid"
    with pytest.raises(DataFolderError, match=f"is a file; pass --data with the folder .* --data {tmp_path / 'songs'}"):
        build_corpus(song, CONFIG, workers=1, progress=False)


def test_folder_of_only_unusable_songs_raises_with_the_reasons(tmp_path: Path) -> None:
    """When every song is skipped the error counts the reasons, so the user knows what to fix."""
    songs = {k: v for k, v in folder_songs().items() if k not in ("rock.mid", "waltz.MID")}
    folder = write_files(tmp_path / "data", songs)
    with pytest.raises(DataFolderError, match="no drums"):
        build_corpus(folder, CONFIG, cache_dir=tmp_path / "cache", workers=1, progress=False)


# ---------------------------------------------------------------------------------------------- split


def _fake_songs(count: int, seed: int = 0) -> list[SimpleNamespace]:
    rng = random.Random(seed)
    return [SimpleNamespace(name=f"song{i}", sha256=f"{rng.getrandbits(128):032x}") for i in range(count)]


def test_split_never_puts_a_song_on_both_sides_and_is_about_val_fraction() -> None:
    """No song (nor a copy of it under another name) is in both train and validation, and ~val_fraction of
    songs validate."""
    songs = _fake_songs(400)
    copies = [SimpleNamespace(name=s.name + "-copy", sha256=s.sha256) for s in songs[:50]]
    train, val = split_songs(songs + copies, 0.2, seed=1)
    train_hashes, val_hashes = {s.sha256 for s in train}, {s.sha256 for s in val}
    assert not train_hashes & val_hashes
    assert len(train) + len(val) == 450
    assert 0.13 < len(val_hashes) / 400 < 0.27


def test_split_of_a_tiny_folder_still_holds_out_one_song() -> None:
    """8 songs at val_fraction 0.1 often put none in validation, and training then printed its own loss as the
    validation loss: two or more songs always hold one out (with any copy of it); one song holds none."""
    for seed in range(20):
        songs = _fake_songs(8, seed=seed)
        train, val = split_songs(songs, 0.1, seed=seed)
        assert len(val) >= 1 and len(train) + len(val) == 8
    songs = _fake_songs(3)
    twin = SimpleNamespace(name="twin", sha256=songs[0].sha256)
    _, val = split_songs(songs + [twin], 1e-9, seed=0)
    assert len({s.sha256 for s in val}) == 1 and len(val) in (1, 2)
    assert (twin in val) == (songs[0] in val)
    assert split_songs(songs[:1], 0.1, seed=0)[1] == []
    assert split_songs(songs, 0.0, seed=0)[1] == []


def test_split_is_stable_under_reordering_and_adding_songs() -> None:
    """A song's side depends on its content and the seed only: shuffling the folder or adding songs never moves a
    validation song into training (which would leak it)."""
    songs = _fake_songs(200)
    _, val = split_songs(songs, 0.1, seed=3)
    shuffled = songs[::-1] + _fake_songs(50, seed=9)
    _, val_again = split_songs(shuffled, 0.1, seed=3)
    assert {s.sha256 for s in val} <= {s.sha256 for s in val_again}
    _, val_other_seed = split_songs(songs, 0.1, seed=4)
    assert {s.sha256 for s in val} != {s.sha256 for s in val_other_seed}
    assert split_songs(songs, 0.0, seed=3)[1] == []


def test_folds_cover_every_song_once_and_are_stable() -> None:
    fake = _fake_songs(500)
    folds = [fold_of(s, 5, 1234) for s in fake]
    assert set(folds) == {0, 1, 2, 3, 4} and all(60 < folds.count(k) < 140 for k in range(5))
    assert [fold_of(s, 5, 1234) for s in reversed(fake)] == folds[::-1]


# ---------------------------------------------------------------------------------------------- real data


@pytest.mark.needs_data
@pytest.mark.slow
def test_real_folder_uses_at_least_95_percent_of_songs(
    data_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """On the real data set, at least 95% of the files must become training songs (the parser, guitar detection
    and drum mapping work on real exports, not just on files made here)."""
    cache = tmp_path_factory.mktemp("real_cache")
    corpus = build_corpus(data_dir, DataConfig(), cache_dir=cache, workers=2, progress=False)
    report = corpus.report
    assert report["songs_used"] >= 0.95 * report["files"], report["skipped_by_reason"]
    assert report["validation_songs"] > 0 and report["bars"] > report["songs_used"]
    assert all(count > 0 for count in report["hits_per_class"].values())


def test_preprocess_writes_its_report_when_no_song_is_usable(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """Issue 23 item 9: the folder where a user most needs to know why (no usable song) got no report. Now every
    file is listed with its reason, then the usual error and exit 2."""
    import json

    from seq2drum.cli import main

    unusable = {name: data for name, data in folder_songs().items() if name not in ("rock.mid", "waltz.MID")}
    folder = write_files(tmp_path / "songs", unusable)
    report = tmp_path / "report.json"
    code = main.main(["--mode", "preprocess", "--data", str(folder), "--cache", str(tmp_path / "cache"),
                      "--report", str(report), "--workers", "1", "--quiet"])
    assert code == 2
    written = json.loads(report.read_text())
    assert written["songs_used"] == 0 and written["files"] == 4
    assert sorted(entry["path"] for entry in written["skipped"]) == sorted(unusable)
    assert all(entry["reason"] for entry in written["skipped"])
    assert "none of the 4 MIDI files" in capsys.readouterr().err
