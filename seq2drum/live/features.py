"""One bar of live play as the causal model reads it: the notes a band played in a bar (`api.PlayedNote`, by role)
put on a grid of that one bar, through the same feature code as a whole song (song.guitar, song.band, song.bars),
so a bar played live and the same bar in a file are read alike; and the user's drums played in a bar as the (S, 9) hits
the drummer hears (`kept_bar_hits`), folded onto the bar's grid as a file's kept drums are (song.grid.drums_to_grid).

Differences with a whole file, by design: a note still sounding at the lead has the duration known so far, and a note
held over from an earlier bar does not sound in this one (live, notes arrive by onset and their release is not sent);
the live model reads neither note lengths nor what sounds (model/causal.py), so it reads a bar played live as it
reads the same bar in a file, but for a note played just before a barline (in the file it falls on the next bar's
first step; live it came after the lead of the bar it was played in): on 10 real songs, 0.3% of the guitar's steps
and 1.1% of the melody's differ.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cached_property, lru_cache
from itertools import chain

import numpy as np

from seq2drum.live.api import BarClock, PlayedNote
from seq2drum.midi.drums import NUM_DRUM_CLASSES
from seq2drum.midi.roles import BAND_ROLES
from seq2drum.song.band import band_note_features
from seq2drum.song.bars import bar_table, select_columns, step_table
from seq2drum.song.drum_part import drums_to_grid, per_bar
from seq2drum.song.columns import BAR, GUITAR, SONG, STEP, FeatureSpec
from seq2drum.song.encode import EncodedSong
from seq2drum.song.grid import Grid
from seq2drum.song.guitar import guitar_features

TICKS_PER_QUARTER = 960
MAX_NOTE_QUARTERS = 4 * 64  # the longest bar (64/1): no note sounds longer in it


class BarGrid(Grid):
    """A grid of one bar, shared by every bar of its meter and tempo (`bar_grid`) and never changed: its per-step
    arrays are computed once, read-only, not once per use (each bar reads them about ten times)."""

    @cached_property
    def n_steps(self) -> int:  # type: ignore[override]
        return super().n_steps

    def _once(self, name: str, compute: Callable[[], np.ndarray]) -> np.ndarray:
        cached = self.__dict__.get(name)
        if cached is None:  # two threads may both compute it: the same array
            cached = compute()
            cached.setflags(write=False)
            self.__dict__[name] = cached
        return cached

    def step_in_bar(self) -> np.ndarray:
        return self._once("_step_in_bar", super().step_in_bar)

    def beat_steps(self) -> np.ndarray:
        return self._once("_beat_steps", super().beat_steps)

    def metrical_level(self) -> np.ndarray:
        return self._once("_metrical_level", super().metrical_level)

    def tempo_bpm(self) -> np.ndarray:
        return self._once("_tempo_bpm", super().tempo_bpm)


@lru_cache(maxsize=64)
def bar_grid(numerator: int, denominator: int, tempo_bpm: float, steps_per_quarter: int) -> BarGrid:
    """A grid of one bar of this meter at this tempo."""
    ticks = int(round(numerator * 4 * TICKS_PER_QUARTER / denominator))
    return BarGrid.build(TICKS_PER_QUARTER, [(0, numerator, denominator)], [(0, int(round(60e6 / tempo_bpm)))],
                         ticks - 1, steps_per_quarter)


def notes_by_role(played: Sequence[PlayedNote], roles: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Each role's notes (N, 4) start, end, pitch, velocity in ticks of the bar, sorted as `merged_notes` sorts: one
    array for all of them, sorted by role, then split (not a pass over the notes per role). One Python pass reads
    the notes; the arithmetic is numpy's on float64, the same as Python's on each note's floats: a note lasts at
    least a thousandth of a quarter note and at most MAX_NOTE_QUARTERS (a held note's length so far may be anything a
    client sends; an infinite one gave OverflowError, issue 42, 4), and ticks round half to even as `round` does."""
    rank = {role: index for index, role in enumerate(roles)}
    rows = [(n.onset, n.duration, n.pitch, n.velocity, rank[n.role]) for n in played if n.role in rank]
    # pitches, velocities and ranks are small whole numbers: exact; read in one flat pass, half np.array's time
    kept = np.fromiter(chain.from_iterable(rows), dtype=np.float64, count=5 * len(rows)).reshape(-1, 5)
    quarters = kept[:, :2].T.copy()  # (2, N) onset, then end
    duration = quarters[1]
    quarters[1] = quarters[0] + np.where(np.isfinite(duration),
                                         np.minimum(np.maximum(duration, 1e-3), MAX_NOTE_QUARTERS), 1e-3)
    quarters *= TICKS_PER_QUARTER
    ticks = np.rint(quarters)
    if not np.abs(ticks).max(initial=0.0) < 2.0**62:  # an onset not finite (a hostile client): what `round` raises
        ticks = np.array([round(value) for value in quarters.ravel().tolist()], dtype=np.int64).reshape(2, -1)
    notes = np.empty((len(kept), 4), dtype=np.int64)
    notes[:, :2] = ticks.T
    notes[:, 1] = np.maximum(notes[:, 1], notes[:, 0] + 1)
    notes[:, 2:] = kept[:, 2:4]
    role = kept[:, 4]
    order = np.lexsort((notes[:, 2], notes[:, 0], role))  # stable: a role's notes as its own sort leaves them
    bounds = np.searchsorted(role[order], np.arange(len(roles) + 1)).tolist()
    notes = notes[order]
    return {name: notes[start:end] for name, start, end in zip(roles, bounds[:-1], bounds[1:])}


def live_bar(played: Sequence[PlayedNote], clock: BarClock, spec: FeatureSpec,
             steps_per_quarter: int) -> tuple[np.ndarray, np.ndarray, int, int]:
    """(step features (S, n_step), bar features (n_bar,), bar steps, beat steps) of one bar played live, in the
    columns `spec` names."""
    grid = bar_grid(clock.numerator, clock.denominator, float(clock.tempo_bpm), steps_per_quarter)
    by_role = notes_by_role(played, ("guitar", *BAND_ROLES))  # each role's notes as merged_notes gives them
    guitar = guitar_features(by_role["guitar"], grid)
    band = band_note_features([by_role[role] for role in BAND_ROLES], grid)
    width = spec.max_bar_steps
    # the columns read off the grid alone (meter, tempo, metrical level, place in the bar): once per bar grid, from a
    # bar of no notes through step_table, per_bar and bar_table; the bar's guitar and band are written into a copy
    # where step_table and bar_table write them
    steps = grid._once(f"_silent_steps_{width}",
                       lambda: per_bar(step_table(_one_bar_song(grid, clock)), grid.bars, width)[0]).copy()
    bar = grid._once(f"_silent_bar_{width}",
                     lambda: bar_table(_one_bar_song(grid, clock), grid.bars, width, ONE_BAR_PLAYS)[0]).copy()
    played = min(grid.n_steps, width)
    steps[:played, STEP.guitar] = guitar[:played]
    steps[:played, STEP.band] = band[:played]
    bar[BAR.guitar_density] = guitar[0, GUITAR_DENSITY]  # the bar's first step's: every step holds its bar's cues
    bar[BAR.guitar_loudness] = guitar[0, GUITAR_LOUDNESS]
    return (select_columns(steps, STEP.names, spec.step_columns), select_columns(bar, BAR.names, spec.bar_columns),
            grid.n_steps, int(grid.beat_steps()[0]))


def kept_bar_hits(kept: Sequence[PlayedNote], clock: BarClock, steps_per_quarter: int, width: int) -> np.ndarray:
    """(width, 9) bool: the user's drum notes played in one bar (onsets in quarter notes from its start) on that bar's
    steps, as `given.kept_layout` folds a file's kept drums onto its bars."""
    grid = bar_grid(clock.numerator, clock.denominator, float(clock.tempo_bpm), steps_per_quarter)
    notes = np.array([(round(note.onset * TICKS_PER_QUARTER), round((note.onset + note.duration) * TICKS_PER_QUARTER),
                       note.pitch, note.velocity) for note in kept], dtype=np.int64).reshape(-1, 4)
    hits = np.zeros((width, NUM_DRUM_CLASSES), dtype=bool)
    played = drums_to_grid(notes, grid).hits[:width]
    hits[: len(played)] = played
    return hits


ONE_BAR_PLAYS = np.ones(1, dtype=bool)  # guitar_plays of a live bar: a song of one playing bar
ONE_BAR_PLAYS.setflags(write=False)
GUITAR_DENSITY, GUITAR_LOUDNESS = GUITAR.index("bar_density_vs_song"), GUITAR.index("bar_loudness")  # as bar_table


def _one_bar_song(grid: BarGrid, clock: BarClock) -> EncodedSong:
    """A bar of no notes as a song of one bar (no song summary: the live model reads none)."""
    return EncodedSong("live", grid, [(0, clock.numerator, clock.denominator)],
                       np.zeros((grid.n_steps, len(GUITAR)), dtype=np.float32), np.zeros(len(SONG), dtype=np.float32),
                       0, 1)


AHEAD_CACHE_SIZE = 64  # meters and tempos whose empty-bar features are kept


class BarsAhead:
    """What the network knows of a bar before it is played (`live_bar` of no notes: its meter, tempo and step
    positions), computed once per meter and tempo as read-only arrays: half of a live bar's feature work."""

    def __init__(self, spec: FeatureSpec, steps_per_quarter: int) -> None:
        self.spec, self.steps_per_quarter = spec, steps_per_quarter
        self._cache: dict[tuple[int, int, float], tuple[np.ndarray, np.ndarray, int, int]] = {}

    def __call__(self, bar: BarClock) -> tuple[np.ndarray, np.ndarray, int, int]:
        key = (bar.numerator, bar.denominator, float(bar.tempo_bpm))
        cached = self._cache.get(key)  # one lookup: a server's threads may share the drummer
        if cached is None:
            if len(self._cache) >= AHEAD_CACHE_SIZE:  # a tempo ramp makes a new key every bar
                self._cache.clear()
            steps, features, bar_steps, beat_steps = live_bar((), bar, self.spec, self.steps_per_quarter)
            steps.setflags(write=False)
            features.setflags(write=False)
            cached = self._cache[key] = (steps, features, bar_steps, beat_steps)
        return cached


def role_onsets(played: Sequence[PlayedNote], guitar_only: bool) -> dict[str, list[float]]:
    """The onsets (quarter notes from the bar's start) of the notes played, per role: what the swing is read from
    (the guitar's alone with --guitar-only, as offline)."""
    onsets: dict[str, list[float]] = {}
    for note in played:
        if not guitar_only or note.role == "guitar":
            onsets.setdefault(note.role, []).append(note.onset)
    return onsets
