"""main.py end to end in tmp_path: preprocess, train a tiny model, infer with it, and errors a musician can act on."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from seq2drum.midi_io import read_midi
from tests.builders import notes_from_steps, riff, rock_song_bytes, song_bytes

REPO = Path(__file__).resolve().parents[1]


def run_main(*args: str | Path, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, str(REPO / "main.py"), *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)


def test_preprocess_train_infer(song_folder: Path, tmp_path: Path) -> None:
    """The documented train-then-infer path works from the command line with a tiny config."""
    report = tmp_path / "report.json"
    pre = run_main("--mode", "preprocess", "--data", song_folder, "--cache", tmp_path / "cache", "--report", report, "--quiet")
    assert pre.returncode == 0, pre.stderr
    assert json.loads(report.read_text())["songs_used"] == 6
    run = tmp_path / "run"
    trained = run_main("--mode", "train", "--data", song_folder, "--cache", tmp_path / "cache", "--out", run, "--epochs", "1",
                       "--enc-hidden", "8", "--dec-hidden", "16", "--batch-size", "4", "--quiet", "--attention")
    assert trained.returncode == 0, trained.stderr
    assert "best model" in trained.stdout and (run / "best.pt").exists()
    song = tmp_path / "my song.mid"
    song.write_bytes(rock_song_bytes(4))
    inferred = run_main("--mode", "infer", song, "--checkpoint", run / "best.pt", "--seed", "1")
    assert inferred.returncode == 0, inferred.stderr
    output = tmp_path / "my song_drums.mid"
    assert read_midi(output).parts[0].is_drums
    assert song.read_bytes() == rock_song_bytes(4)  # the input is untouched


def test_takes_are_named_after_the_output_and_never_renumbered(tiny_model_path: Path, tmp_path: Path) -> None:
    """--takes N writes OUT.take1.mid ... OUT.takeN.mid (OUT = SONG_drums beside the song, SONG_with_drums with
    --merge, or -o without .mid); if any exists it refuses without --force instead of renumbering."""
    song = tmp_path / "riff.mid"
    song.write_bytes(rock_song_bytes(4))
    first = run_main("--mode", "infer", song, "--checkpoint", tiny_model_path, "--takes", "3", "--seed", "1")
    assert first.returncode == 0, first.stderr
    takes = [tmp_path / f"riff_drums.take{k}.mid" for k in (1, 2, 3)]
    assert all(read_midi(path).parts[0].is_drums for path in takes)
    assert len({path.read_bytes() for path in takes}) == 3
    again = run_main("--mode", "infer", song, "--checkpoint", tiny_model_path, "--takes", "2")
    assert again.returncode == 2 and "riff_drums.take1.mid" in again.stderr and "--force" in again.stderr
    assert not (tmp_path / "riff_drums-2.take1.mid").exists()
    forced = run_main("--mode", "infer", song, "--checkpoint", tiny_model_path, "--takes", "2", "--force")
    assert forced.returncode == 0
    merged = run_main("--mode", "infer", song, "--checkpoint", tiny_model_path, "--takes", "2", "--merge")
    assert merged.returncode == 0 and len(read_midi(tmp_path / "riff_with_drums.take2.mid").parts) == 2
    named = run_main("--mode", "infer", song, "--checkpoint", tiny_model_path, "--takes", "1", "-o", tmp_path / "x.mid")
    assert named.returncode == 0 and (tmp_path / "x.take1.mid").exists() and not (tmp_path / "x.mid").exists()
    for bad in ("0", "9"):
        refused = run_main("--mode", "infer", song, "--checkpoint", tiny_model_path, "--takes", bad)
        assert refused.returncode == 2 and "takes must be 1-8" in refused.stderr


def test_infer_never_overwrites(tiny_model_path: Path, tmp_path: Path) -> None:
    song = tmp_path / "riff.mid"
    song.write_bytes(rock_song_bytes(2))
    same = run_main("--mode", "infer", song, "-o", song, "--checkpoint", tiny_model_path)
    assert same.returncode == 2 and "overwrite the input" in same.stderr
    assert run_main("--mode", "infer", song, "--checkpoint", tiny_model_path, "--seed", "1").returncode == 0
    first_take = (tmp_path / "riff_drums.mid").read_bytes()
    again = run_main("--mode", "infer", song, "--checkpoint", tiny_model_path, "--seed", "2")
    assert again.returncode == 0 and (tmp_path / "riff_drums-2.mid").exists()  # a new take, the first one kept
    assert (tmp_path / "riff_drums.mid").read_bytes() == first_take
    explicit = run_main("--mode", "infer", song, "--checkpoint", tiny_model_path, "-o", tmp_path / "riff_drums.mid")
    assert explicit.returncode == 2 and "--force" in explicit.stderr
    assert run_main("--mode", "infer", song, "--checkpoint", tiny_model_path, "-o", tmp_path / "riff_drums.mid",
                    "--force").returncode == 0
    merged = run_main("--mode", "infer", song, "--checkpoint", tiny_model_path, "--merge")
    assert merged.returncode == 0 and (tmp_path / "riff_with_drums.mid").exists()


@pytest.mark.parametrize(
    "content, expected",
    [
        (b"\x00garbage", "not a Standard MIDI File"),
        (b"MThd\x00\x00\x00\x06\x00\x01\x00\x02\x01\xe0MTrk\x00\x00\x01\x00\x90", "corrupt or truncated"),
        (song_bytes(notes_from_steps(riff(2)), guitar_program=0, guitar_name="Piano"), None),
    ],
    ids=["not-midi", "truncated", "lone-part-is-guitar"],
)
def test_infer_input_errors(tiny_model_path: Path, tmp_path: Path, content: bytes, expected: str | None) -> None:
    """Bad files give one line naming the problem and exit code 2; a lone part is taken as the guitar."""
    song = tmp_path / "in.mid"
    song.write_bytes(content)
    result = run_main("--mode", "infer", song, "--checkpoint", tiny_model_path)
    if expected is None:
        assert result.returncode == 0, result.stderr
    else:
        assert result.returncode == 2 and expected in result.stderr and "Traceback" not in result.stderr


def test_missing_checkpoint_and_song_messages(tmp_path: Path) -> None:
    song = tmp_path / "in.mid"
    song.write_bytes(rock_song_bytes(2))
    missing_model = run_main("--mode", "infer", song, "--checkpoint", tmp_path / "none.pt")
    assert missing_model.returncode == 2 and "not found" in missing_model.stderr and "Traceback" not in missing_model.stderr
    missing_song = run_main("--mode", "infer", tmp_path / "nope.mid")
    assert missing_song.returncode == 2 and "not found" in missing_song.stderr
    no_song = run_main("--mode", "infer")
    assert no_song.returncode == 2 and "--mode infer SONG.mid" in no_song.stderr


def test_train_without_data_says_what_to_pass(tmp_path: Path) -> None:
    result = run_main("--mode", "train", "--data", tmp_path / "nowhere", "--out", tmp_path / "run")
    assert result.returncode == 2 and "--data" in result.stderr and "Traceback" not in result.stderr
