"""The corpus cache: a song loads back the same, keys change exactly when the encoding does, stale versions are
parsed again, and the cache lives in the user's cache folder; if these break, training reads stale or wrong songs."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from seq2drum.band import describe_json
from seq2drum.midi.io import read_midi
from seq2drum.song.cache import cache_key, load_encoded, save_encoded
from seq2drum.song.corpus import build_corpus
from tests.builders import rock_song_bytes
from tests.corpus_songs import CONFIG, encoded, waltz_bytes


def test_cached_song_loads_back_the_same(tmp_path: Path) -> None:
    """save_encoded -> load_encoded keeps grid, span and drums (offsets and features to float16 precision),
    and leaves no temporary file behind."""
    song = encoded(waltz_bytes(), name="waltz")
    song.sha256 = "abc"
    song.described = describe_json(read_midi(waltz_bytes()))
    path = tmp_path / "cache" / "waltz.npz"
    save_encoded(path, song)
    loaded = load_encoded(path)
    assert [p.name for p in path.parent.iterdir()] == ["waltz.npz"]
    assert (loaded.name, loaded.sha256, loaded.first_step) == ("waltz", "abc", song.first_step)
    np.testing.assert_array_equal(loaded.grid.bars, song.grid.bars)
    assert loaded.grid.tempos == song.grid.tempos and loaded.time_signatures == song.time_signatures
    assert (loaded.first_bar, loaded.end_bar) == (song.first_bar, song.end_bar)
    np.testing.assert_array_equal(loaded.drums.hits, song.drums.hits)
    np.testing.assert_array_equal(loaded.drums.velocity, song.drums.velocity)
    np.testing.assert_allclose(loaded.drums.offset, song.drums.offset, atol=1e-3)
    np.testing.assert_allclose(loaded.guitar, song.guitar, atol=2e-3)
    assert (loaded.last_onset_step, loaded.marker_steps) == (song.last_onset_step, song.marker_steps)
    assert loaded.described == song.described  # what the part model reads of the band


@pytest.mark.parametrize(
    "change, invalidates",
    [
        ({"steps_per_quarter": 8}, True),
        ({"min_song_bars": 2}, True),
        ({"val_fraction": 0.3}, False),
        ({"split_seed": 99}, False),
        ({"listen_to_band": not CONFIG.listen_to_band}, True),
    ],
    ids=[
        "steps_per_quarter",
        "min_song_bars",
        "val_fraction",
        "split_seed",
        "listen_to_band",
    ],
)
def test_cache_key_changes_exactly_when_the_encoding_does(change: dict, invalidates: bool) -> None:
    """A stale cache entry after a grid change would train on the wrong grid; a split change must not re-parse."""
    data = rock_song_bytes(2)
    assert (cache_key(data, CONFIG) != cache_key(data, CONFIG.replace(**change))) is invalidates
    assert cache_key(data, CONFIG) != cache_key(data + b"\x00", CONFIG)


def test_a_new_pipeline_version_ignores_stale_cache_entries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Entries an older encoding wrote (version 5 held windows) must be parsed again, never read as today's."""
    import seq2drum.song.cache as cache

    data = rock_song_bytes(2)
    key = cache_key(data, CONFIG)
    monkeypatch.setattr(cache, "PIPELINE_VERSION", cache.PIPELINE_VERSION - 1)
    assert cache_key(data, CONFIG) != key


def test_default_cache_is_in_the_user_cache_not_the_data_folder(tmp_path, monkeypatch) -> None:
    """Without --cache nothing is written into the data folder (it may be read-only or shared): the cache goes to
    $XDG_CACHE_HOME/seq2drum."""
    from seq2drum.song.cache import default_cache_dir

    folder = tmp_path / "songs"
    folder.mkdir()
    (folder / "a.mid").write_bytes(rock_song_bytes(4))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "seq2drum"
    build_corpus(folder, CONFIG, workers=1, progress=False)
    assert [p.name for p in folder.iterdir()] == ["a.mid"]
    assert len(list((tmp_path / "xdg" / "seq2drum").glob("*.npz"))) == 1


@pytest.mark.parametrize("damage", ["truncated", "garbage", "fifo"])
def test_an_entry_that_cannot_be_read_back_is_encoded_again(tmp_path: Path, damage: str) -> None:
    """Issue 22, 8: a truncated song-cache entry made every preprocess and training run fail with BadZipFile until
    the cache was deleted (and a FIFO in its place would hang it). Such an entry is now encoded again."""
    import os
    import struct

    folder = tmp_path / "songs"
    folder.mkdir()
    (folder / "a.mid").write_bytes(rock_song_bytes(8))
    hostile = b"\xff" * 2100 + b"\x00\x90\x40\x40\x60\x80\x40\x00\x00\xff\x2f\x00"  # issue 22, 1a: skipped, no crash
    (folder / "b.mid").write_bytes(b"MThd" + struct.pack(">IHHH", 6, 0, 1, 480) + b"MTrk"
                                   + struct.pack(">I", len(hostile)) + hostile)
    cache = tmp_path / "cache"
    first = build_corpus(folder, CONFIG, cache_dir=cache, workers=1, progress=False)
    assert len(first.songs) == 1
    entry = cache / f"{cache_key((folder / 'a.mid').read_bytes(), CONFIG)}.npz"
    if damage == "truncated":
        entry.write_bytes(entry.read_bytes()[: entry.stat().st_size // 2])
    elif damage == "garbage":
        entry.write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    else:
        entry.unlink()
        os.mkfifo(entry)
    again = build_corpus(folder, CONFIG, cache_dir=cache, workers=1, progress=False)
    assert [song.name for song in again.songs] == ["a"]
    assert np.array_equal(again.songs[0].song, first.songs[0].song)
    assert load_encoded(entry).name == "a"  # rewritten sound


def test_a_corpus_that_describes_its_bands_describes_songs_cached_without(tmp_path: Path) -> None:
    """Breaks if a corpus asked for the band's description (training's, evaluation's: the part model reads it, issue
    100) took a song cached without one as it was: the part model would read it as unknown."""
    folder = tmp_path / "songs"
    folder.mkdir()
    (folder / "waltz.mid").write_bytes(waltz_bytes())
    cache = tmp_path / "cache"
    assert build_corpus(folder, CONFIG, cache, 1, progress=False).songs[0].described is None
    described = build_corpus(folder, CONFIG, cache, 1, progress=False, describe=describe_json).songs[0].described
    assert described == describe_json(read_midi(waltz_bytes()))
    assert build_corpus(folder, CONFIG, cache, 1, progress=False).songs[0].described == described  # kept
    newer = dataclasses.replace(describe_json, version=describe_json.version + 1)  # the band read anew
    assert build_corpus(folder, CONFIG, cache, 1, progress=False, describe=newer).songs[0].described["version"] == \
        newer.version
