"""The library's one atomic write: whole files or none, the usual mode, no shared temporary names, and no other
module writing files its own way."""

from __future__ import annotations

import ast
import os
import threading
from pathlib import Path

import pytest

from seq2drum.atomic import write_atomic

REPO = Path(__file__).resolve().parents[1]


def test_bytes_text_and_writer_functions(tmp_path: Path) -> None:
    assert write_atomic(tmp_path / "a" / "b.bin", b"\x00\x01").read_bytes() == b"\x00\x01"
    assert (write_atomic(tmp_path / "t.txt", "h\u00e9").read_text(encoding="utf-8")) == "h\u00e9"
    assert write_atomic(tmp_path / "w.bin", lambda stream: stream.write(b"xyz")).read_bytes() == b"xyz"
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["a", "b.bin", "t.txt", "w.bin"]  # no temp file left


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "song_drums.mid"
    target.write_bytes(b"old take")

    def crash(stream: object) -> None:
        stream.write(b"half")  # type: ignore[attr-defined]
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        write_atomic(target, crash)
    assert target.read_bytes() == b"old take" and [p.name for p in tmp_path.iterdir()] == ["song_drums.mid"]


def test_new_files_get_the_umask_mode(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        path = write_atomic(tmp_path / "x.mid", b"x")
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o640


def test_two_writers_of_one_target_never_share_a_temporary_file(tmp_path: Path) -> None:
    """main.py used the fixed name .NAME.tmp: two runs writing one file could interleave into it."""
    target = tmp_path / "out.mid"
    payloads = [bytes([n]) * 200_000 for n in range(8)]
    threads = [threading.Thread(target=write_atomic, args=(target, data)) for data in payloads]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert target.read_bytes() in payloads


def test_the_library_writes_files_only_through_write_atomic() -> None:
    """Issue 11, failure 9: seven places wrote files atomically each in their own way. Now the library and main.py
    rename a file into place only in seq2drum/atomic.py (the DAW helper ships alone and keeps its own copy)."""
    offenders = []
    for path in [*sorted((REPO / "seq2drum").rglob("*.py")), REPO / "main.py"]:
        if path.name != "atomic.py":
            offenders += [f"{path.name}:{line}" for line in renames_into_place(path.read_text())]
    assert not offenders, offenders


def renames_into_place(source: str) -> list[int]:
    """Lines that rename a temporary file into place: os.replace/os.rename, Path.replace(target)/rename(target),
    tempfile.mkstemp (str.replace takes two arguments, dataclasses.replace keywords)."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        name, owner = node.func.attr, node.func.value
        on_os = isinstance(owner, ast.Name) and owner.id == "os"
        if name in ("mkstemp", "NamedTemporaryFile") or (name in ("replace", "rename") and (
                on_os or (len(node.args) == 1 and not node.keywords))):
            lines.append(node.lineno)
    return lines


def test_the_check_above_finds_the_old_ways() -> None:
    old_ways = ("temp.replace(path)\n", "os.replace(temp, path)\n", "tempfile.mkstemp(dir=d)\n")
    assert all(renames_into_place(code) == [1] for code in old_ways)
    assert renames_into_place("'a'.replace('a', 'b')\nconfig.replace(seed=1)\n") == []


def test_takes_are_written_together_or_not_at_all(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 22, 10: a full disk after take 4 left takes 1-4 and a rerun needed --force. Every take now goes to a
    temporary file first; a failure there leaves no take (and no temporary file) behind."""
    import seq2drum.atomic as atomic

    real = atomic._write_temporary
    written = []

    def disk_full_at_the_third(path: Path, content: bytes) -> Path:
        if len(written) == 2:
            raise OSError(28, "No space left on device", str(path.with_name(".tmp")))
        written.append(path)
        return real(path, content)

    monkeypatch.setattr(atomic, "_write_temporary", disk_full_at_the_third)
    targets = [tmp_path / f"song_drums.take{index}.mid" for index in range(1, 5)]
    with pytest.raises(OSError, match="No space left") as raised:
        atomic.write_together(targets, [b"1", b"2", b"3", b"4"])
    assert raised.value.filename == str(targets[2])  # the take, not the temporary file
    assert list(tmp_path.iterdir()) == []


def test_a_name_taken_meanwhile_is_refused_and_the_set_withdrawn(tmp_path: Path) -> None:
    """Without overwrite a file is created only where its name is free; when one name of a set is taken the ones
    this call made are removed again and the other run's file is untouched."""
    from seq2drum.atomic import write_together

    (tmp_path / "b.mid").write_bytes(b"the other run's")
    with pytest.raises(FileExistsError) as raised:
        write_together([tmp_path / "a.mid", tmp_path / "b.mid"], [b"1", b"2"])
    assert raised.value.filename == str(tmp_path / "b.mid")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.mid"]
    assert (tmp_path / "b.mid").read_bytes() == b"the other run's"
    write_together([tmp_path / "a.mid", tmp_path / "b.mid"], [b"1", b"2"], overwrite=True)
    assert (tmp_path / "b.mid").read_bytes() == b"2"


@pytest.mark.parametrize("kind", ["symlink", "fifo", "folder"])
def test_only_a_regular_file_is_replaced(tmp_path: Path, kind: str) -> None:
    """`-o /dev/full --force` replaced the device node with a regular file: a symlink, FIFO or device is refused,
    and left as it was."""
    target, path = tmp_path / "target.mid", tmp_path / "out.mid"
    target.write_bytes(b"kept")
    {"symlink": lambda: path.symlink_to(target), "fifo": lambda: os.mkfifo(path), "folder": path.mkdir}[kind]()
    with pytest.raises(OSError, match="not a regular file"):
        write_atomic(path, b"drums")
    assert target.read_bytes() == b"kept" and (path.is_symlink() or not path.is_file())
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_write_atomic_without_overwrite_keeps_a_file_that_is_there(tmp_path: Path) -> None:
    """Issue 89 P2: --audio and --plot wrote over the user's own X.wav and X.png; without `overwrite` the name is
    taken only if free (FileExistsError naming it), and no temporary file is left."""
    target = tmp_path / "a_drums.wav"
    target.write_bytes(b"my own recording")
    with pytest.raises(FileExistsError) as raised:
        write_atomic(target, b"new", overwrite=False)
    assert raised.value.filename == str(target) and target.read_bytes() == b"my own recording"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["a_drums.wav"]
    assert write_atomic(tmp_path / "free.wav", b"new", overwrite=False).read_bytes() == b"new"


def test_stale_temporaries_of_killed_runs_are_removed_and_nothing_else(tmp_path: Path) -> None:
    """Issue 98, low: a SIGKILL while a WAV was written left a hidden `.NAME.wav.<hex>.tmp` (58 MB) that later runs
    never removed. A run removes the library's own temporaries of what it writes (.mid, .wav, .png) that are stale
    (untouched for STALE_TEMPORARY_S) and locked by no process; a user's file, another program's temporary file, a
    fresh one and one a process is writing are kept."""
    import fcntl

    from seq2drum.atomic import STALE_TEMPORARY_S, remove_stale_temporaries

    old = os.path.getmtime(tmp_path) - STALE_TEMPORARY_S - 60
    names = {"killed": ".song_drums.wav.0123456789ab.tmp", "killed-mid": ".song_drums-2.mid.ba9876543210.tmp",
             "fresh": ".song_drums.wav.00000000000f.tmp", "writing": ".other.wav.aaaaaaaaaaaa.tmp",
             "users": ".notes.txt.0123456789ab.tmp", "users-own": ".song.wav.tmp", "user-wav": "song.wav"}
    for key, name in names.items():
        (tmp_path / name).write_bytes(b"x")
        if key != "fresh":
            os.utime(tmp_path / name, (old, old))
    writing = os.open(tmp_path / names["writing"], os.O_RDONLY)
    fcntl.flock(writing, fcntl.LOCK_EX)  # the lock a writer holds; in another open file description, as another run's
    try:
        removed = remove_stale_temporaries(tmp_path)
    finally:
        os.close(writing)
    assert sorted(path.name for path in removed) == sorted([names["killed"], names["killed-mid"]])
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(
        name for key, name in names.items() if not key.startswith("killed"))


def test_a_run_removes_what_a_killed_run_left_beside_its_drums(tiny_model_path: Path, tmp_path: Path) -> None:
    """The command line cleans the folder it writes into: a killed run's stale WAV temporary goes, the song stays."""
    from seq2drum.cli import main
    from tests.builders import rock_song_bytes

    song = tmp_path / "song.mid"
    song.write_bytes(rock_song_bytes(2))
    left = tmp_path / ".song_drums.wav.0123456789ab.tmp"
    left.write_bytes(bytes(1000))
    old = os.path.getmtime(left) - 86_400  # a day old
    os.utime(left, (old, old))
    assert main.main(["--mode", "infer", str(song), "--checkpoint", str(tiny_model_path)]) == 0
    assert not left.exists() and song.exists() and (tmp_path / "song_drums.mid").exists()
