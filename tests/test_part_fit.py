"""Training the part model (seq2drum/training/part_fit.py) on phrases made in code: it learns a part that follows the
band, one kept through a section and changed at its edges, and only ever a part of the phrase's meter family. If one
fails, the shipped part model learns nothing the band says."""

from __future__ import annotations

import numpy as np

from seq2drum.parts.features import FEATURE_NAMES
from seq2drum.training.part_fit import fit_part_model, previous_parts
from studies.part_study import best_plan, next_part

START_COLUMN, CHANGE_COLUMN = FEATURE_NAMES.index("section_start"), FEATURE_NAMES.index("band_change")

F = len(FEATURE_NAMES)
NOTES = FEATURE_NAMES.index("notes_vs_song")
HEARD_COLUMNS = [k for k, name in enumerate(FEATURE_NAMES) if name.startswith("heard_")]


def songs(n_songs: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(features, parts, song index) of songs in sections of 2-4 phrases: each section plays part 1 where the band
    is busy, else part 0 (the band's busyness heard through noise), and keeps it to its end."""
    rng = np.random.default_rng(seed)
    rows, parts, song_index = [], [], []
    others = [k for k in range(F) if k not in HEARD_COLUMNS]  # every song is the same kind of band (heard_*: 0)
    for song in range(n_songs):
        for _ in range(rng.integers(2, 5)):
            busy = rng.random() < 0.5
            for index in range(rng.integers(2, 5)):
                row = np.zeros(F)
                row[others] = rng.normal(size=len(others)) * 0.1
                row[[FEATURE_NAMES.index(f"family_{f}") for f in ("4/4", "3/4", "compound", "other")]] = 0
                row[FEATURE_NAMES.index("family_4/4")] = 1
                row[START_COLUMN], row[CHANGE_COLUMN] = index == 0, index == 0
                row[NOTES] = (1.0 if busy else -1.0) + rng.normal() * 0.7
                rows.append(row), parts.append(int(busy)), song_index.append(song)
    return np.array(rows), np.array(parts), np.array(song_index)


def test_previous_parts_restart_at_each_song() -> None:
    assert previous_parts(np.array([3, 1, 1, 2, 0]), np.array([0, 0, 0, 1, 1]), 4).tolist() == [4, 3, 1, 4, 2]


def test_it_learns_to_follow_the_band_and_keep_the_part_through_a_section() -> None:
    features, parts, song_index = songs(60, 0)
    model = fit_part_model(features, parts, previous_parts(parts, song_index, 2), np.array([0, 0]))
    test, truth, test_songs = songs(20, 1)
    plans = np.concatenate([best_plan(model, test[test_songs == s]) for s in range(20)])
    assert (plans == truth).mean() > 0.95
    before = previous_parts(truth, test_songs, 2)
    given = next_part(model, test, np.where(before == 2, -1, before))
    assert (given.argmax(axis=1) == truth).mean() > 0.9  # one phrase's band heard at a section's start: noisier


def test_a_part_of_another_family_is_never_predicted() -> None:
    features, parts, song_index = songs(10, 2)
    model = fit_part_model(features, parts, previous_parts(parts, song_index, 3), np.array([0, 0, 1]))
    assert (next_part(model, features, np.full(len(parts), -1))[:, 2] == 0).all()
    assert np.exp(model.log_prior[2]) == 1.0  # the one 3/4 part, never played here, still playable in a waltz
