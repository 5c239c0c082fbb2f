"""studies.realism_by_genre: realism.py's phrases and classifier, its held-out accuracy counted per genre."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from studies.realism_by_genre import by_genre, held_out_correct, phrase_table


def test_accuracy_is_counted_under_each_songs_genre() -> None:
    correct = np.array([True, True, False, True, False, False])
    songs = ["a1", "a1", "b1", "b1", "x", "x"]
    figures = by_genre(correct, songs, {"a1": "jazz", "b1": "rock/pop"})
    assert figures["all"] == {"songs": 3, "phrases": 6, "accuracy": 0.5}
    assert figures["jazz"]["accuracy"] == 1.0 and figures["rock/pop"]["accuracy"] == 0.5
    assert figures["?"] == {"songs": 1, "phrases": 2, "accuracy": 0.0}  # a song the table lacks


def test_phrases_are_balanced_per_song_and_songs_without_both_parts_left_out(tmp_path: Path) -> None:
    inputs, refs, gen = (tmp_path / name for name in ("band", "refs", "gen"))
    for folder in (inputs, refs, gen):
        folder.mkdir()
    for name in ("one", "two", "three"):
        (inputs / f"{name}.guitar.mid").write_bytes(b"")
        (refs / f"{name}.drums.mid").write_bytes(b"")
    for name in ("one", "two"):  # "three" has no generated part
        (gen / f"{name}.drums.mid").write_bytes(b"")
    counts = {("one", "refs"): 3, ("one", "gen"): 2, ("two", "refs"): 1, ("two", "gen"): 4}

    def phrases(_: Path, drums: Path) -> list[np.ndarray]:
        n = counts[(drums.name.split(".")[0], drums.parent.name)]
        return [np.full(2, 1.0 if drums.parent.name == "refs" else 0.0)] * n

    x, y, songs = phrase_table(SimpleNamespace(phrases=phrases), inputs, refs, gen)
    assert songs == ["one"] * 4 + ["two"] * 2
    assert y.tolist() == [1, 1, 0, 0, 1, 0] and x[:, 0].tolist() == y.tolist()


@pytest.mark.slow  # five classifiers of 200 trees: a minute on a busy 2-core machine
def test_a_genre_told_apart_reads_near_100_and_one_alike_near_50() -> None:
    pytest.importorskip("sklearn")
    rng = np.random.default_rng(0)
    rows, labels, songs = [], [], []
    for song in range(20):
        apart = song < 10  # the first ten songs' generated phrases are shifted: easy to tell
        for label in (1, 0):
            for _ in range(6):
                rows.append(rng.normal(size=4) + (3.0 if apart and label == 0 else 0.0))
                labels.append(label)
                songs.append(f"{'apart' if apart else 'alike'}{song}")
    correct = held_out_correct(np.array(rows), np.array(labels), songs)
    figures = by_genre(correct, songs, {s: s.rstrip("0123456789") for s in songs})
    assert figures["apart"]["accuracy"] > 0.8 and 0.25 < figures["alike"]["accuracy"] < 0.75
