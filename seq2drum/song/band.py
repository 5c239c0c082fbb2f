"""What the rest of the band plays, as numbers on the song's grid: per role (bass, keys, melody, other) its onsets,
what sounds and its lowest struck pitch at each step (`band_features`), and per bar which roles play, enter and
leave and how busy each is (`role_bar_features`, the guitar included), and which roles sound in each bar
(`role_sounds_per_bar`: the drummer's sections see a part enter or leave there).

Parts whose notes were not read (generation reads the guitar alone until a model that listens to the band asks for
more) count as silent, so a guitar-only song and a song read for its guitar give the same zeros.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from seq2drum.midi.io import END, PITCH, START, Part, merged_notes
from seq2drum.midi.roles import BAND_ROLES, ROLES
from seq2drum.song.columns import BAND, GUITAR, ROLE_BAR_CUES, ROLE_BARS
from seq2drum.song.grid import BAR_START, Grid

LOWEST_PITCH_CENTRE, PITCH_RANGE = 40, 24.0  # E2, the bass's open string; two octaves a unit


def band_features(roles: dict[str, list[Part]], grid: Grid) -> np.ndarray:
    """(n_steps, len(BAND)) float32: per role beside the guitar, onsets at each step (a quarter per note, at most
    2), whether any of its notes sounds there, and its lowest struck pitch (E2 = 0, +1 per two octaves) where it
    strikes."""
    merged = [merged_notes([part for part in roles.get(role, []) if part.notes_read and part.note_count])
              for role in BAND_ROLES]
    return band_note_features(merged, grid)


def band_note_features(merged: Sequence[np.ndarray], grid: Grid) -> np.ndarray:
    """`band_features` of each role's notes (N, 4) in BAND_ROLES order (the live drummer has them split by role).
    The roles' notes go through one pass, each counted at (role, step): a role's numpy calls cost more than its notes
    (a live bar's few dozen); the counts are whole numbers, the same whatever the order."""
    n_steps, n_roles = grid.n_steps, len(BAND_ROLES)
    features = np.zeros((n_steps, len(BAND)), dtype=np.float32)
    counts = [len(notes) for notes in merged]
    if not any(counts):
        return features
    notes = np.concatenate(merged)
    role = np.repeat(np.arange(n_roles), counts)
    start, end = grid.nearest_step(notes[:, START : END + 1].T)  # both at once: the same arithmetic per tick
    pitch = notes[:, PITCH]
    inside = (start >= 0) & (start < n_steps)
    if not inside.all():
        start, end, pitch, role = start[inside], end[inside], pitch[inside], role[inside]
    end = np.maximum(end, start + 1)
    per_role = features.reshape(n_steps, n_roles, 3)  # a view: BAND's columns are (onsets, sounding, lowest) by role
    cell = role * n_steps + start
    onsets = np.bincount(cell, minlength=n_roles * n_steps).reshape(n_roles, n_steps).astype(np.float32)
    per_role[:, :, 0] = np.minimum(onsets / 4.0, 2.0).T
    width = n_steps + 1  # +1 at the onset, -1 at the end, in a row per role
    change = (np.bincount(role * width + start, minlength=n_roles * width)
              - np.bincount(role * width + np.minimum(end, n_steps), minlength=n_roles * width)).reshape(n_roles, width)
    per_role[:, :, 1] = (np.add.accumulate(change[:, :-1], axis=1) > 0).T  # cumsum, in fewer calls
    lowest = np.full(n_roles * n_steps, 127, dtype=np.int64)
    np.minimum.at(lowest, cell, pitch)
    strikes = (onsets > 0).T  # (n_steps, roles)
    per_role[:, :, 2][strikes] = (lowest.reshape(n_roles, n_steps).T[strikes] - LOWEST_PITCH_CENTRE) / PITCH_RANGE
    return features


def role_onsets_per_bar(guitar: np.ndarray, band: np.ndarray, grid: Grid) -> np.ndarray:
    """(n_bars, len(ROLES)) onsets of each role in each bar of the whole grid (the guitar's from its features)."""
    per_step = np.stack([guitar[:, GUITAR.onsets]] + [band[:, BAND.index(f"{role}_onsets")] for role in BAND_ROLES],
                        axis=1)
    return np.add.reduceat(per_step, grid.bars[:, BAR_START], axis=0) if grid.n_bars else np.zeros((0, len(ROLES)))


def role_sounds_per_bar(guitar: np.ndarray, band: np.ndarray, grid: Grid) -> np.ndarray:
    """(n_bars, len(ROLES)) bool: each role strikes or holds a note in each bar of the whole grid (the guitar first)."""
    per_step = np.stack([guitar[:, GUITAR.onsets] + guitar[:, GUITAR.sounding_chroma].sum(axis=1)]
                        + [band[:, BAND.index(f"{role}_onsets")] + band[:, BAND.index(f"{role}_sounding")]
                           for role in BAND_ROLES], axis=1)
    if not grid.n_bars:
        return np.zeros((0, len(ROLES)), dtype=bool)
    return np.add.reduceat(per_step, grid.bars[:, BAR_START], axis=0) > 0


def role_bar_features(onsets_per_bar: np.ndarray, first_bar: int, end_bar: int) -> np.ndarray:
    """(end_bar - first_bar, len(ROLE_BARS)) float32 for bars [first_bar, end_bar) from `role_onsets_per_bar` of the
    whole grid: each role plays (has an onset), enters (plays after a bar it did not), leaves (is silent after a bar
    it played), and its density against its own mean over the bars it plays (halved, at most 2)."""
    plays = onsets_per_bar > 0  # (n_bars, roles)
    before = np.vstack([np.zeros((1, plays.shape[1]), dtype=bool), plays[:-1]])
    mean = np.array([onsets_per_bar[plays[:, r], r].mean() if plays[:, r].any() else 1.0
                     for r in range(plays.shape[1])])
    cues = {"plays": plays, "enters": plays & ~before, "leaves": ~plays & before,
            "density": np.minimum(onsets_per_bar / np.maximum(mean, 1e-6), 4.0) / 2.0}
    features = np.zeros((end_bar - first_bar, len(ROLE_BARS)), dtype=np.float32)
    for r, role in enumerate(ROLES):
        for cue in ROLE_BAR_CUES:
            features[:, ROLE_BARS.index(f"{role}_{cue}")] = cues[cue][first_bar:end_bar, r]
    return features
