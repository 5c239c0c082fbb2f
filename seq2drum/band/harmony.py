"""The band's harmony beat by beat: which pitch classes sound through each beat (`beat_chroma`), and what chord
that set reads as (`chord_kinds`): none, a dyad or power chord, a triad, a seventh (sixth chords and diminished
sevenths counted with them) or an extended chord (a seventh with a ninth, eleventh or thirteenth).

Every set of pitch classes (4,096 of them) is read once, into a table, so a song's beats cost one lookup each. A
pitch class is in a beat's set when it sounds for at least ACTIVE_SHARE of the time the beat's loudest-held pitch
class sounds: a passing note of the melody or a grace note leaves the chord as it was. Numpy only.
"""

from __future__ import annotations

import functools

import numpy as np

from seq2drum.midi.io import END, PITCH, START
from seq2drum.song.grid import BAR_START, BAR_STEPS, Grid

NONE, DYAD, TRIAD, SEVENTH, EXTENDED = range(5)
KIND_NAMES = ("none", "dyad", "triad", "seventh", "extended")
ACTIVE_SHARE = 0.3  # of the most-sounding pitch class's time in the beat
THIRDS, FIFTHS = (3, 4), (6, 7, 8)  # minor/major third; diminished, perfect, augmented fifth
SEVENTHS = (10, 11)  # minor and major seventh
TENSIONS = (1, 2, 5, 9)  # b9, 9, 11, 13 above a seventh chord (#9 and #11 read as 3 and 6 are left out: ambiguous)
RARE_TENSIONS = frozenset((1, 5))  # b9 and 11: of two equal readings of a set, the one with fewer of them


def _reading(intervals: frozenset[int]) -> tuple[int, int]:
    """(kind, tones it leaves unexplained) of a pitch-class set read from one root (0 in `intervals`)."""
    third = any(i in intervals for i in THIRDS)
    fifth = any(i in intervals for i in FIFTHS)
    sus = 7 in intervals and (5 in intervals or 2 in intervals)
    seventh = third and any(i in intervals for i in SEVENTHS)
    sixth = third and 7 in intervals and 9 in intervals
    dim7 = {3, 6, 9} <= intervals
    if seventh or sixth or dim7:
        chord = {0, 3, 4, 6, 7, 8, 9, 10, 11} & intervals
        if seventh and any(i in intervals for i in TENSIONS):
            return EXTENDED, len(intervals - chord - set(TENSIONS))
        return SEVENTH, len(intervals - chord)
    if (third and fifth) or sus:
        return TRIAD, len(intervals - {0, 2, 3, 4, 5, 6, 7, 8})
    if len(intervals) >= 2:
        return DYAD, len(intervals) - 2
    return NONE, 0


@functools.lru_cache(maxsize=1)
def chord_table() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(4096,) kind, root and dominant flag of every pitch-class set (bit p set: pitch class p sounds): the richest
    reading over the set's own tones as roots, the one leaving fewest tones unexplained among equals (then the lowest
    root); dominant where that reading is a seventh or extended chord with a major third and a minor seventh."""
    kinds = np.zeros(4096, dtype=np.int8)
    roots = np.full(4096, -1, dtype=np.int8)
    dominant = np.zeros(4096, dtype=bool)
    for mask in range(1, 4096):
        tones = [p for p in range(12) if mask >> p & 1]
        best = (-1, 0, 0, -1)
        for root in tones:
            intervals = frozenset((p - root) % 12 for p in tones)
            kind, loose = _reading(intervals)
            rare = len(intervals & RARE_TENSIONS) if kind == EXTENDED else 0  # C13 before Am7b9
            if (kind, -loose, -rare) > best[:3]:
                best = (kind, -loose, -rare, root)
        kinds[mask], roots[mask] = best[0], best[3]
        intervals = {(p - best[3]) % 12 for p in tones}
        dominant[mask] = best[0] >= SEVENTH and {4, 10} <= intervals
    return kinds, roots, dominant


def beat_starts(grid: Grid) -> np.ndarray:
    """(n_beats + 1,) the first step of every felt beat (a dotted quarter in compound meters) and the grid's end."""
    beat = grid.beat_steps()
    in_bar = grid.step_in_bar()
    starts = np.flatnonzero(in_bar % np.maximum(beat, 1) == 0)
    return np.r_[starts, grid.n_steps].astype(np.int64)


def sounding_chroma(notes: np.ndarray, grid: Grid) -> np.ndarray:
    """(n_steps, 12) int32: how many notes of each pitch class sound at each step (`notes` (N, 4) ticks)."""
    n = grid.n_steps
    out = np.zeros((n + 1) * 12, dtype=np.int64)
    if len(notes) and n:
        start = np.clip(grid.nearest_step(notes[:, START]), 0, n)
        end = np.clip(np.maximum(grid.nearest_step(notes[:, END]), start + 1), 0, n)
        pc = notes[:, PITCH] % 12
        out += np.bincount(start * 12 + pc, minlength=(n + 1) * 12)
        out -= np.bincount(end * 12 + pc, minlength=(n + 1) * 12)
    return np.cumsum(out.reshape(n + 1, 12), axis=0)[:n].astype(np.int32)


def beat_chroma(notes: np.ndarray, grid: Grid, beats: np.ndarray) -> np.ndarray:
    """(n_beats, 12) float32: the share of each beat that each pitch class sounds (0-1)."""
    if len(beats) < 2:
        return np.zeros((0, 12), dtype=np.float32)
    sounding = (sounding_chroma(notes, grid) > 0).astype(np.float32)
    summed = np.add.reduceat(sounding, beats[:-1], axis=0)
    return (summed / np.diff(beats)[:, None]).astype(np.float32)


def beat_masks(chroma: np.ndarray) -> np.ndarray:
    """(n_beats,) int: the pitch-class set of each beat as a 12-bit mask (see ACTIVE_SHARE); 0 where nothing sounds."""
    loudest = chroma.max(axis=1, keepdims=True)
    active = (chroma > 0) & (chroma >= ACTIVE_SHARE * loudest)
    return (active.astype(np.int64) << np.arange(12)).sum(axis=1)


def chord_kinds(masks: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(n_beats,) kind (NONE ... EXTENDED), root (-1 for none) and dominant flag of each beat's pitch-class set."""
    kinds, roots, dominant = chord_table()
    return kinds[masks].astype(np.int64), roots[masks].astype(np.int64), dominant[masks]


def beats_per_bar(grid: Grid, beats: np.ndarray) -> np.ndarray:
    """(n_bars + 1,) index of each bar's first beat in `beats`, and the number of beats."""
    return np.searchsorted(beats[:-1], np.r_[grid.bars[:, BAR_START], grid.bars[-1, BAR_START]
                                             + grid.bars[-1, BAR_STEPS]] if grid.n_bars else [0])


def bar_roots(roots: np.ndarray, first_beat: np.ndarray) -> np.ndarray:
    """(n_bars,) the root a bar's beats read most often (`roots` (n_beats,), -1 where a beat reads none; the earliest
    of equals), -1 where none does: the chord a musician names the bar by, where the bass's first note is a passing
    note of its figure (a boogie bass starting a bar on the fifth)."""
    n = len(first_beat) - 1
    bar_of = np.repeat(np.arange(n), np.diff(first_beat))[: len(roots)]
    heard = roots[: len(bar_of)] >= 0
    counts = np.zeros((n, 12), dtype=np.int64)
    np.add.at(counts, (bar_of[heard], roots[: len(bar_of)][heard]), 1)
    first_seen = np.full((n, 12), np.iinfo(np.int64).max)
    np.minimum.at(first_seen, (bar_of[heard], roots[: len(bar_of)][heard]), np.flatnonzero(heard))
    best = counts.max(axis=1, keepdims=True)
    earliest = np.where((counts == best) & (counts > 0), first_seen, np.iinfo(np.int64).max)
    return np.where(best[:, 0] > 0, np.argmin(earliest, axis=1), -1)
