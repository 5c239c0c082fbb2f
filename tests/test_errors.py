"""Every user-facing error path: one line naming the problem and what to do, exit code 2, never a traceback.

The in-process cases call `main.main` (fast); the cases the issue reported as tracebacks also run as real
processes (`python main.py`, `python -m server`), since only a real process shows what a user sees.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from seq2drum.cli import main
from seq2drum.errors import escape_controls
from seq2drum.midi.write import TrackSpec
from tests.builders import (backbeat, note_events, notes_from_steps, riff, rock_song_bytes, smf_bytes, song_bytes,
                            timed_track)

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def keep_torch_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    """main() sets torch's threads for the CLI; in this test process that must not leak into other tests."""
    monkeypatch.setattr(torch, "set_num_threads", lambda threads: None)


def one_line_error(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    """Run main.py in process; it must exit 2 with exactly one line on stderr. Returns that line."""
    code = main.main([str(arg) for arg in argv])
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    assert err.startswith("error: ") and "\n" not in err and "Traceback" not in err, err
    return err


def files(tmp_path: Path) -> dict[str, Path]:
    made = {
        "song": rock_song_bytes(2),
        "text.mid": b"these are my lyrics, saved as .mid by mistake\n",
        "drums_only.mid": song_bytes(drums=notes_from_steps(backbeat(2))),
        "no_notes.mid": song_bytes(),
        "guitar.mid": song_bytes(notes_from_steps(riff(2))),
        "truncated.mid": rock_song_bytes(2)[:-40],
        "smpte.mid": smf_bytes([timed_track(note_events(notes_from_steps(riff(2)), 0))], division=0xE818),
        "band.mid": song_bytes(drums=notes_from_steps(backbeat(2)), extra=[
            TrackSpec("Bass", 1, notes_from_steps(riff(2, root=28)), program=33),
            TrackSpec("Keys", 2, notes_from_steps(riff(2, root=60)), program=0)]),
        "a_text.pt": b"a\n",  # torch.load raised IndexError: pop from empty list on this
        "readme.pt": (REPO / "README.md").read_bytes(),
        "empty.pt": b"",
    }
    for name, data in made.items():
        (tmp_path / name).write_bytes(data)
    (tmp_path / "song").rename(tmp_path / "song.mid")
    (tmp_path / "a_folder").mkdir()
    return {path.name: path for path in tmp_path.iterdir()}


@pytest.mark.parametrize(
    "checkpoint, expected",
    [
        ("a_text.pt", "is not a seq2drum checkpoint (not a file written by torch.save"),
        ("readme.pt", "is not a seq2drum checkpoint"),
        ("empty.pt", "is empty (0 bytes)"),
        ("a_folder", "is a folder; pass the model file in it"),
        ("missing.pt", "not found; train one"),
    ],
    ids=["text-file", "readme-as-checkpoint", "empty-file", "folder", "missing"],
)
def test_bad_checkpoint_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str], checkpoint: str,
                                    expected: str) -> None:
    paths = files(tmp_path)
    err = one_line_error(capsys, ["--mode", "infer", paths["song.mid"], "--checkpoint", tmp_path / checkpoint])
    assert expected in err


@pytest.mark.parametrize(
    "song, expected",
    [
        ("text.mid", ["text.mid is not a Standard MIDI File", "export the part from your DAW"]),
        ("drums_only.mid", ["only drums", "export the guitar part"]),
        ("no_notes.mid", ["no_notes.mid holds no notes", "export the guitar part again"]),
        ("truncated.mid", ["truncated.mid is corrupt or truncated", "export the file again"]),
        ("smpte.mid", ["SMPTE"]),
        ("band.mid --guitar-only", ["no guitar part found", "the parts are: 1 'Drums' (drums, channel 10, no "
                                    "program, 24 notes); 2 'Bass' (channel 2, program 34, 32 notes); 3 'Keys' "
                                    "(channel 3, program 1, 32 notes)", "Pass --track"]),
        ("song.mid --groove text.mid", ["the groove clip is not a MIDI file seq2drum can read"]),
        ("song.mid --groove guitar.mid", ["the groove clip holds no drums"]),
        ("song.mid --groove missing.mid", ["cannot read --groove", "missing.mid"]),
    ],
    ids=["text-renamed-mid", "drums-only", "no-notes", "truncated", "smpte-time", "no-guitar-part-guitar-only",
         "groove-not-midi", "groove-without-drums", "groove-missing"],
)
def test_bad_song_says_what_to_do(tmp_path: Path, capsys: pytest.CaptureFixture[str], tiny_model_path: Path,
                                  song: str, expected: list[str]) -> None:
    paths = files(tmp_path)
    name, *flags = song.split()
    flags = [str(paths.get(flag, tmp_path / flag)) if flag.endswith(".mid") else flag for flag in flags]
    err = one_line_error(capsys, ["--mode", "infer", paths[name], "--checkpoint", tiny_model_path, *flags])
    for phrase in expected:
        assert phrase in err


def test_a_band_without_a_guitar_is_played_to(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                              tiny_model_path: Path) -> None:
    """A file with drums, bass and keys and no guitar was refused ("no guitar part found"); a model that listens to
    the band plays to it, says whom the drums follow, and lists the parts it used with their roles."""
    paths = files(tmp_path)
    code = main.main(["--mode", "infer", str(paths["band.mid"]), "--checkpoint", str(tiny_model_path), "--seed", "0"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    listed = "bass: 2 'Bass' (channel 2, program 34, 32 notes); keys: 3 'Keys'"
    assert f"warning: no guitar part: the drums follow {listed}" in captured.err
    assert "band:" not in captured.out  # listed once, in the warning
    assert "guitar:" not in captured.out


@pytest.mark.parametrize(
    "extra, expected",
    [
        (["--torch-threads", "0"], "--torch-threads must be 1-256"),
        (["--temperature", "9"], "temperature must be in [0, 5]"),
        (["--seed", "-1"], "seed must be in [0, 2**63 - 1]"),
        (["--track", "9"], "--track '9' matches no melodic part; the parts are: 1 'Guitar'"),
        (["-o", "{tmp}/song.mid/out.mid"], "song.mid is a file, not a folder"),
        (["-o", "{tmp}/song.mid"], "would overwrite the input"),
    ],
    ids=["threads-zero", "temperature-too-high", "negative-seed", "track-matches-nothing", "output-under-a-file",
         "output-is-the-input"],
)
def test_bad_option_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str], tiny_model_path: Path,
                                extra: list[str], expected: str) -> None:
    paths = files(tmp_path)
    extra = [item.replace("{tmp}", str(tmp_path)) for item in extra]
    err = one_line_error(capsys, ["--mode", "infer", paths["song.mid"], "--checkpoint", tiny_model_path, *extra])
    assert expected in err


@pytest.mark.parametrize(
    "argv, expected",
    [
        (["{tmp}"], "is a folder; name a .mid file in it"),
        (["{tmp}/song.mid", "-o", "{tmp}/a_folder"], "-o {tmp}/a_folder is a folder; name a file in it, e.g. "
                                                      "{tmp}/a_folder/song_drums.mid"),
        (["--mode", "train", "--out", "{tmp}/song.mid"], "--out {tmp}/song.mid is a file; pass a folder"),
    ],
    ids=["song-is-a-folder", "output-is-a-folder", "run-folder-is-a-file"],
)
def test_folder_and_file_mixups_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str], tiny_model_path: Path,
                                             argv: list[str], expected: str) -> None:
    """A folder given as the song said "not found"; -o naming a folder said "exists; pass --force", and with --force
    named a hidden temporary file; --out naming a file said only "File exists"."""
    files(tmp_path)
    argv = [item.replace("{tmp}", str(tmp_path)) for item in argv]
    err = one_line_error(capsys, [*argv, "--checkpoint", tiny_model_path, "--data", tmp_path])
    assert expected.replace("{tmp}", str(tmp_path)) in err


def test_unwritable_output_names_the_output_not_the_temporary_file(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], tiny_model_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A full disk or a read-only folder: the message named `.out.mid.1a2b3c.tmp`, a file the user never asked for."""
    paths = files(tmp_path)

    def full_disk(path: Path, content: bytes) -> Path:
        raise OSError(28, "No space left on device", str(Path(path).with_name(f".{Path(path).name}.1a2b3c.tmp")))

    import seq2drum.atomic

    monkeypatch.setattr(seq2drum.atomic, "_write_temporary", full_disk)
    err = one_line_error(capsys, ["--mode", "infer", paths["song.mid"], "--checkpoint", tiny_model_path,
                                  "-o", tmp_path / "out.mid"])
    assert err == (f"error: cannot write {tmp_path / 'out.mid'}: No space left on device; nothing was written, "
                   "pick another -o or make room")


@pytest.mark.parametrize(
    "argv, expected",
    [
        (["song.mid", "--temperature", "abc"], "argument --temperature: invalid float value: 'abc'"),
        (["song.mid", "--bogus"], "unrecognized arguments: --bogus"),
        (["--mode", "play"], "argument --mode: invalid choice: 'play'"),
    ],
    ids=["not-a-number", "unknown-option", "unknown-mode"],
)
def test_mistyped_option_is_one_line(capsys: pytest.CaptureFixture[str], argv: list[str], expected: str) -> None:
    """argparse printed a 16-line usage block above its error; the error is one line pointing at --help."""
    with pytest.raises(SystemExit) as exited:
        main.main(argv)
    err = capsys.readouterr().err.strip()
    assert exited.value.code == 2 and "\n" not in err, err
    assert err.startswith(f"error: {expected}") and err.endswith("; python main.py --help lists the options"), err


@pytest.mark.parametrize("argv0", ["main.py", "-c"])
def test_the_help_line_names_a_command_the_user_can_type(monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str], argv0: str) -> None:
    """Run from code given to `python -c` (as a test runner's worker runs), the error said "-c --help lists the
    options"; it names `python main.py`, as a run of the script does."""
    monkeypatch.setattr(sys, "argv", [argv0])
    monkeypatch.setattr(sys.modules["__main__"], "__spec__", None)  # not run with -m
    with pytest.raises(SystemExit):
        main.main(["song.mid", "--bogus"])
    assert capsys.readouterr().err.strip().endswith("; python main.py --help lists the options")


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a CUDA GPU")
@pytest.mark.parametrize("mode", ["infer", "train"])
def test_cuda_on_a_cpu_only_machine_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str], mode: str) -> None:
    """torch raised an AssertionError from deep inside for --device cuda on a CPU-only build."""
    paths = files(tmp_path)
    err = one_line_error(capsys, ["--mode", mode, paths["song.mid"], "--data", tmp_path, "--device", "cuda"])
    assert "--device cuda asked for" in err and "--device auto or cpu" in err


@pytest.mark.parametrize("mode", ["evaluate", "preprocess", "train"])
def test_missing_data_folder_is_one_line_for_every_mode(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                        mode: str) -> None:
    """evaluate reads songs to score, not training data: the message must fit every mode."""
    err = one_line_error(capsys, ["--mode", mode, "--data", tmp_path / "nowhere", "--quiet", "--out", tmp_path / "run"])
    assert "data folder" in err and "training data folder" not in err and "pass --data" in err


def _run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, *map(str, args)], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=300)


def test_text_file_as_checkpoint_in_real_processes(tmp_path: Path) -> None:
    """The reported tracebacks: a text file passed as --checkpoint to the CLI and to the server."""
    paths = files(tmp_path)
    cli = _run(REPO / "main.py", "--mode", "infer", paths["song.mid"], "--checkpoint", paths["a_text.pt"])
    assert cli.returncode == 2 and "Traceback" not in cli.stderr
    assert cli.stderr.strip().count("\n") == 0 and "is not a seq2drum checkpoint" in cli.stderr
    server = _run("-m", "server", "--port", "0", "--checkpoint", paths["a_text.pt"])
    assert server.returncode == 2 and "Traceback" not in server.stderr and server.stdout == ""
    lines = [line for line in server.stderr.splitlines() if "error" in line]
    assert len(lines) == 1 and "is not a seq2drum checkpoint" in lines[0]


def test_resume_from_a_missing_file_asks_for_a_runs_last_pt(tmp_path: Path) -> None:
    """`--resume /nonexistent` said "pass --checkpoint": the flag the user passed, and the file it wants."""
    from seq2drum.errors import CheckpointError
    from seq2drum.model.checkpoint import load_checkpoint

    with pytest.raises(CheckpointError, match=r"--resume .*nope.pt not found; pass the last.pt of an earlier") as err:
        load_checkpoint(tmp_path / "nope.pt", flag="--resume")
    assert "--checkpoint" not in str(err.value)
    with pytest.raises(CheckpointError, match="is a folder; pass the last.pt file in it"):
        load_checkpoint(tmp_path, flag="--resume")


@pytest.mark.parametrize("character", ["\u202e", "\u202a", "\u2066", "\u2069", "\u200f", "\u061c", "\u2028"],
                         ids=["RLO", "LRE", "LRI", "PDI", "RLM", "ALM", "LSEP"])
def test_bidirectional_controls_are_escaped_as_terminal_escapes_are(character: str) -> None:
    """Issue 55 L6: U+202E passed escape_controls, so "evil\\u202egnp.mid" showed as "evilmid.png" in every message."""
    escaped = escape_controls(f"evil{character}gnp.mid")
    assert character not in escaped and f"\\u{ord(character):04x}" in escaped
    assert escape_controls(escaped) == escaped  # escaping twice changes nothing more
    assert escape_controls("Gitarre Überblendung – 吉他") == "Gitarre Überblendung – 吉他"


@pytest.mark.parametrize("flag, value, shown", [("--fills", "x" * 6000, "(6,000 characters)"),
                                                ("--style", "a" * 6000, "... (message cut)")])
def test_a_long_value_is_echoed_cut(tmp_path: Path, capsys: pytest.CaptureFixture[str], tiny_model_path: Path,
                                    flag: str, value: str, shown: str) -> None:
    """Issue 69 N9: a 6,000-character --fills gave a 6,073-byte error line. A value is repeated back in at most 80
    characters where the option is checked, and no line is longer than the server's 2,000 characters (an unknown
    --style is named by the model's styles)."""
    err = one_line_error(capsys, ["--mode", "infer", files(tmp_path)["song.mid"], "--checkpoint", tiny_model_path,
                                  flag, value])
    assert shown in err and len(err) <= 2000


def test_a_long_track_name_is_shown_cut_and_written_back_whole(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                                tiny_model_path: Path) -> None:
    """Issue 69 N9: a track name of 1 MB was printed whole in the "guitar:" line. A name is shown in at most 200
    characters; a file written from the song carries the name's own bytes."""
    from seq2drum.midi.io import read_midi

    name = "Guitar " + "x" * 1_000_000
    song = tmp_path / "long.mid"
    song.write_bytes(song_bytes(notes_from_steps(riff(2)), guitar_name=name))
    assert main.main(["--mode", "infer", str(song), "--checkpoint", str(tiny_model_path), "--merge"]) == 0
    out = capsys.readouterr().out
    [guitar] = [line for line in out.splitlines() if line.startswith("guitar: ")]
    assert len(guitar) < 300 and "'Guitar xxx" in guitar and "...'" in guitar
    merged = read_midi(tmp_path / "long_with_drums.mid")
    assert [part.written_name for part in merged.melodic_parts] == [name.encode()]
    assert len(merged.melodic_parts[0].name) == 200


def test_a_tempo_of_0_left_out_is_said(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                       tiny_model_path: Path) -> None:
    """Issue 69 N8: a tempo event of 0 was dropped without a word (the drums played at the tempo before it)."""
    from tests.builders import note_off, note_on, tempo_event, track_chunk

    song = tmp_path / "zero.mid"
    events = [(0, tempo_event(600_000)), (0, note_on(0, 40, 100)), (1920, tempo_event(0)), (0, note_off(0, 40)),
              (0, note_on(0, 41, 100)), (1920, note_off(0, 41))]
    song.write_bytes(smf_bytes([track_chunk(events)]))
    assert main.main(["--mode", "infer", str(song), "--checkpoint", str(tiny_model_path)]) == 0
    assert "warning: a tempo event of 0 at quarter note 4 is left out" in capsys.readouterr().err
