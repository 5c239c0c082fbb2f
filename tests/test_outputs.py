"""seq2drum.outputs: the file names main.py and the DAW helper both write (breaks when the two would name a take
differently, or a folder watch would take its own output for a song)."""

from __future__ import annotations

from pathlib import Path

import pytest

from seq2drum.outputs import (exists_message, existing_takes, from_nothing_path, is_own_output, new_output_path,
                              output_path, take_paths, version_paths, write_new_version)


def test_a_new_version_never_replaces_an_earlier_take(tmp_path: Path) -> None:
    song = tmp_path / "verse.mid"
    assert new_output_path(song) == tmp_path / "verse_drums.mid"
    (tmp_path / "verse_drums.mid").write_bytes(b"1")
    (tmp_path / "verse_drums-2.mid").write_bytes(b"2")
    assert new_output_path(song) == tmp_path / "verse_drums-3.mid"
    assert output_path(song, merge=True) == tmp_path / "verse_with_drums.mid"


def test_takes_are_numbered_from_the_output_or_beside_the_song(tmp_path: Path) -> None:
    song = tmp_path / "verse.mid"
    assert [p.name for p in take_paths(song, None, False, 2)] == ["verse_drums.take1.mid", "verse_drums.take2.mid"]
    assert [p.name for p in take_paths(song, tmp_path / "out.mid", False, 1)] == ["out.take1.mid"]
    (tmp_path / "verse_drums.take1.mid").write_bytes(b"")
    written = write_new_version(song, False, [b"1", b"2"], takes=2)
    assert [p.name for p in written] == ["verse_drums-2.take1.mid", "verse_drums-2.take2.mid"]
    assert [p.name for p in version_paths(song, False, None, 3)] == ["verse_drums-3.mid"]
    assert sorted(p.name for p in existing_takes(song)) == ["verse_drums-2.take1.mid", "verse_drums-2.take2.mid",
                                                            "verse_drums.take1.mid"]


@pytest.mark.parametrize(("name", "own"), [("a_drums.mid", True), ("a_with_drums-12.MID", True),
                                           ("x.take3.mid", True), ("drums-2.mid", False), ("a.mid", False)])
def test_own_outputs_are_recognised(name: str, own: bool) -> None:
    assert is_own_output(Path(name)) is own


def test_drums_from_nothing_and_the_refusal_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert from_nothing_path(16, None) == tmp_path / "drums_16bars.mid"
    assert from_nothing_path(16, tmp_path / "x.mid") == tmp_path / "x.mid"
    assert exists_message(["a.mid"], "hint") == "a.mid exists; pass --force to overwrite, hint"
    assert exists_message(["a.mid", "b.mid"], "hint").startswith("a.mid, b.mid exist;")


def test_concurrent_writers_of_one_song_each_keep_their_own_version(tmp_path: Path) -> None:
    """Issue 22, 7: choosing the name (it does not exist) and writing it were two steps, so three runs on one song
    all wrote song_drums.mid and all said so. Now each name is taken only if free, as the file is written."""
    import threading

    song = tmp_path / "song.mid"
    barrier = threading.Barrier(8)
    written: list[Path] = []

    def run(seed: int) -> None:
        barrier.wait()
        written.extend(write_new_version(song, False, [f"take of run {seed}".encode()]))

    threads = [threading.Thread(target=run, args=(seed,)) for seed in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(written)) == 8
    assert sorted(path.read_bytes() for path in written) == sorted(f"take of run {s}".encode() for s in range(8))
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["song_drums.mid"] + [f"song_drums-{n}.mid" for n in range(2, 9)])  # no temporary left behind


def test_a_new_version_skips_one_whose_wav_or_png_is_there(tmp_path: Path) -> None:
    """Issue 89 P2: a new version was free when its .mid was, and --audio/--plot then wrote over the user's own
    a_drums.wav; the files beside it (a link too) make a version taken."""
    song = tmp_path / "a.mid"
    (tmp_path / "a_drums.wav").write_bytes(b"mine")
    (tmp_path / "a_drums-2.png").symlink_to(tmp_path / "nowhere.png")
    assert new_output_path(song, companions=(".wav", ".png")) == tmp_path / "a_drums-3.mid"
    assert write_new_version(song, False, [b"drums"], companions=(".wav", ".png")) == [tmp_path / "a_drums-3.mid"]
    assert write_new_version(song, False, [b"drums"]) == [tmp_path / "a_drums.mid"]  # no media asked: the .mid alone
    assert (tmp_path / "a_drums.wav").read_bytes() == b"mine"
