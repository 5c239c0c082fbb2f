"""The helper's watch folder (client/watch.py) against issue 42's hostile folders (9, 10, 11, 16): a 1 GiB sparse
.mid, 2,000 files that are not MIDI, names holding terminal escapes, and links pointing out of the folder. The
ordinary behaviour (settling, half-written files, takes) is tested in test_client.py."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from client import watch as watch_module
from client.watch import FolderWatcher
from tests.builders import rock_song_bytes

HEADER = b"MThd" + (6).to_bytes(4, "big") + (0).to_bytes(2, "big") + (1).to_bytes(2, "big") + (480).to_bytes(2, "big")


def _watcher(folder: Path, handled: list[str]) -> FolderWatcher:
    return FolderWatcher(folder, lambda path: handled.append(path.name) or True, settle_s=0)


def test_a_huge_sparse_file_is_refused_by_its_size_unread(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 42, 9: a 1 GiB sparse .mid with a valid header was read whole on every look (1.09 GB RSS, other files
    starved). Its size is now looked at first: refused once, and skipped until it changes."""
    huge = tmp_path / "huge.mid"
    with huge.open("wb") as stream:
        stream.write(HEADER + b"MTrk")
        stream.truncate(1 << 30)
    (tmp_path / "song.mid").write_bytes(rock_song_bytes(2))
    handled: list[str] = []
    watcher = _watcher(tmp_path, handled)
    for _ in range(3):
        watcher.poll()
    assert handled == ["song.mid"]
    err = capsys.readouterr().err
    assert err.count("huge.mid: refused: too large: 1,073,741,824 bytes") == 1, err


def test_the_first_look_lists_the_folder_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 42, 10: each candidate listed the folder again to find its drums, so the first look at 10,000 files
    that were not MIDI was quadratic (a real song waited about 10 minutes). Now one listing per look."""
    for index in range(300):
        (tmp_path / f"junk{index:04d}.mid").write_bytes(b"not midi at all")
    (tmp_path / "song.mid").write_bytes(rock_song_bytes(2))
    listings = []
    real_scandir, real_iterdir = os.scandir, Path.iterdir
    monkeypatch.setattr(watch_module.os, "scandir", lambda path: listings.append(path) or real_scandir(path))
    monkeypatch.setattr(Path, "iterdir", lambda self: listings.append(self) or real_iterdir(self))
    handled: list[str] = []
    _watcher(tmp_path, handled).poll()
    assert handled == ["song.mid"]
    assert len(listings) == 1


def test_names_with_terminal_escapes_are_printed_escaped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 42, 11: the helper printed watch-folder names raw, so a name holding ESC[2J and a newline cleared the
    terminal and forged a line."""
    (tmp_path / "x\x1b[2J\nerror: fake.mid").write_bytes(b"not midi")
    (tmp_path / "\x1b[31mhalf.mid").write_bytes(rock_song_bytes(2)[:30])
    handled: list[str] = []
    _watcher(tmp_path, handled).poll()
    err = capsys.readouterr().err
    assert handled == [] and err.count("\n") == 2 and "\x1b" not in err, repr(err)
    assert "refused: not a MIDI file" in err and "waiting until it is complete" in err


def test_links_are_skipped_with_a_notice_and_never_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 42, 16: a link in the watch folder pointing outside it was followed and the outside file sent to the
    server. The folder's own regular files only are read; each link is skipped with one notice."""
    outside = tmp_path / "private"
    outside.mkdir()
    (outside / "secret.mid").write_bytes(rock_song_bytes(2))
    folder = tmp_path / "watched"
    folder.mkdir()
    (folder / "song.mid").write_bytes(rock_song_bytes(2))
    (folder / "escape.mid").symlink_to(outside / "secret.mid")
    (folder / "inside.mid").symlink_to(folder / "song.mid")
    handled: list[str] = []
    watcher = _watcher(folder, handled)
    for _ in range(3):
        watcher.poll()
    assert handled == ["song.mid"]
    err = capsys.readouterr().err
    assert err.count("escape.mid: skipped: a symbolic link") == 1
    assert err.count("inside.mid: skipped: a symbolic link") == 1


def test_a_file_swapped_for_a_link_is_not_followed(tmp_path: Path) -> None:
    """The read opens without following a link (a file replaced by one between the listing and the read)."""
    (tmp_path / "target.bin").write_bytes(rock_song_bytes(2))
    link = tmp_path / "swapped.mid"
    link.symlink_to(tmp_path / "target.bin")
    data, problem = watch_module.read_song(link)
    assert data == b"" and problem is not None and "cannot be read" in problem
    fifo = tmp_path / "fifo.mid"
    os.mkfifo(fifo)
    assert watch_module.read_song(fifo) == (b"", "not a regular file")  # opened without blocking, never read


def test_drums_of_a_song_that_is_not_there_are_skipped_with_a_word(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 89 (low): a copy of the example (a file seq2drum wrote) saved as x_drums.mid was skipped without a word:
    it is taken as drums seq2drum wrote, and with no x.mid beside it the watcher says so once, and how to have it
    read as a song. Drums beside their song are skipped quietly, as before."""
    example = (Path(__file__).resolve().parents[1] / "examples" / "riff.mid").read_bytes()
    (tmp_path / "x_drums.mid").write_bytes(example)
    (tmp_path / "song.mid").write_bytes(rock_song_bytes(2))
    (tmp_path / "song_drums.mid").write_bytes(example)
    handled: list[str] = []
    watcher = _watcher(tmp_path, handled)
    for _ in range(3):
        watcher.poll()
    err = capsys.readouterr().err
    assert err.count("x_drums.mid: skipped:") == 1 and "rename it" in err and "song_drums" not in err, err


def test_an_empty_file_is_said_once_and_never_sent(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 90: an empty .mid left in the folder got no word at all (still silent after 25 s)."""
    (tmp_path / "empty.mid").touch()
    handled: list[str] = []
    watcher = _watcher(tmp_path, handled)
    for _ in range(3):
        watcher.poll()
    err = capsys.readouterr().err
    assert handled == [] and err.count("empty.mid: empty (0 bytes)") == 1, err
