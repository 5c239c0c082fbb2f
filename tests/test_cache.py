"""The corpus cache: a song loads back the same, keys change exactly when the encoding does, stale versions are
parsed again, and the cache lives in the user's cache folder; if these break, training reads stale or wrong songs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from seq2drum.training.cache import cache_key, load_encoded, save_encoded
from seq2drum.training.corpus import build_corpus
from tests.builders import rock_song_bytes
from tests.corpus_songs import CONFIG, encoded, waltz_bytes


def test_cached_song_loads_back_the_same(tmp_path: Path) -> None:
    """save_encoded -> load_encoded keeps grid, span and drums (offsets and features to float16 precision),
    and leaves no temporary file behind."""
    song = encoded(waltz_bytes(), name="waltz")
    song.sha256 = "abc"
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


@pytest.mark.parametrize(
    "change, invalidates",
    [
        ({"steps_per_quarter": 8}, True),
        ({"min_song_bars": 2}, True),
        ({"val_fraction": 0.3}, False),
        ({"split_seed": 99}, False),
    ],
    ids=[
        "steps_per_quarter",
        "min_song_bars",
        "val_fraction",
        "split_seed",
    ],
)
def test_cache_key_changes_exactly_when_the_encoding_does(change: dict, invalidates: bool) -> None:
    """A stale cache entry after a grid change would train on the wrong grid; a split change must not re-parse."""
    data = rock_song_bytes(2)
    assert (cache_key(data, CONFIG) != cache_key(data, CONFIG.replace(**change))) is invalidates
    assert cache_key(data, CONFIG) != cache_key(data + b"\x00", CONFIG)


def test_a_new_pipeline_version_ignores_stale_cache_entries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Entries an older encoding wrote (version 5 held windows) must be parsed again, never read as today's."""
    import seq2drum.training.cache as cache

    data = rock_song_bytes(2)
    key = cache_key(data, CONFIG)
    monkeypatch.setattr(cache, "PIPELINE_VERSION", cache.PIPELINE_VERSION - 1)
    assert cache_key(data, CONFIG) != key


def test_default_cache_is_in_the_user_cache_not_the_data_folder(tmp_path, monkeypatch) -> None:
    """Without --cache nothing is written into the data folder (it may be read-only or shared): the cache goes to
    $XDG_CACHE_HOME/seq2drum."""
    from seq2drum.training.cache import default_cache_dir

    folder = tmp_path / "songs"
    folder.mkdir()
    (folder / "a.mid").write_bytes(rock_song_bytes(4))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "seq2drum"
    build_corpus(folder, CONFIG, workers=1, progress=False)
    assert [p.name for p in folder.iterdir()] == ["a.mid"]
    assert len(list((tmp_path / "xdg" / "seq2drum").glob("*.npz"))) == 1
