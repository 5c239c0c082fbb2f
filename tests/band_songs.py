"""Bands built in code for the band description's tests: a bass line and a keyboard's chords (and optionally a horn
or a distortion guitar), bar by bar in 4/4 at 480 ticks a quarter, straight or swung.

Chords are pitch lists above C4; the bass's figures are quarter-note places in the bar with their pitches.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from seq2drum.midi.write import TrackSpec
from tests.builders import PPQ, song_bytes

C, D, E, F, G, A, B = 48, 50, 52, 53, 55, 57, 59  # the bass's octave (C3)
SEVENTHS = {"Dm7": (62, 65, 69, 72), "G7": (59, 62, 65, 67), "Cmaj7": (60, 64, 67, 71), "C7": (60, 64, 67, 70),
            "F7": (60, 63, 65, 69), "G7b": (59, 62, 65, 67)}
TRIADS = {"C": (60, 64, 67), "F": (60, 65, 69), "G": (59, 62, 67), "Am": (60, 64, 69)}
BLUES_ROOTS = (0, 0, 0, 0, 5, 5, 0, 0, 7, 5, 0, 7)  # I I I I IV IV I I V IV I V
QUICK_CHANGE_ROOTS = (0, 5, 0, 0, 5, 5, 0, 0, 7, 5, 0, 7)  # the quick IV in bar 2
WALK_II_V_I = ((D, F, A, C + 12), (G, B - 12, D, F), (C, E, G, B - 12), (C, D, E, G))  # Dm7 G7 Cmaj7 Cmaj7


def notes(events: Sequence[tuple[float, float, int]], velocity: int = 90) -> np.ndarray:
    """(start quarter, length in quarters, pitch) -> (N, 4) notes sorted by start."""
    rows = [[round(start * PPQ), round((start + length) * PPQ), pitch, velocity] for start, length, pitch in events]
    array = np.array(rows, dtype=np.int64).reshape(-1, 4)
    return array[np.argsort(array[:, 0], kind="stable")]


def chords_on_beats(chords: Sequence[Sequence[int]], swing: float = 0.5, comp: bool = True) -> np.ndarray:
    """One chord per bar: held on beats 1 and 3 (comp=False), or struck on every beat and its off-beat eighth (at
    `swing` of the beat: 0.5 straight, 0.67 swung)."""
    events = []
    for bar, chord in enumerate(chords):
        for beat in range(4):
            places = [(0.0, swing * 0.9), (swing, (1 - swing) * 0.9)] if comp else ([(0.0, 1.95)] if beat % 2 == 0
                                                                                     else [])
            events += [(bar * 4 + beat + start, length, pitch) for start, length in places for pitch in chord]
    return notes(events)


def bass_line(bars: Sequence[Sequence[tuple[float, int]]]) -> np.ndarray:
    """Each bar's (place in quarters, pitch) list; each note lasts to the next onset (at most a quarter)."""
    events = []
    for bar, figure in enumerate(bars):
        places = [place for place, _ in figure] + [4.0]
        for (place, pitch), following in zip(figure, places[1:]):
            events.append((bar * 4 + place, min(following - place, 1.0) * 0.95, pitch))
    return notes(events)


def band(bass: np.ndarray, keys: np.ndarray, horn: np.ndarray | None = None, guitar: np.ndarray | None = None,
         tempo_bpm: int = 120) -> bytes:
    """A type-1 file: the bass (program 33, 'Bass'), a piano ('Piano', program 1), optionally a tenor sax and a
    distortion guitar, no drums."""
    extra = [TrackSpec("Bass", 1, bass, 32), TrackSpec("Piano", 2, keys, 0)]
    if horn is not None:
        extra.append(TrackSpec("Tenor Sax", 3, horn, 66))
    return song_bytes(guitar, None, tempos=((0, round(60_000_000 / tempo_bpm)),), guitar_program=30, extra=extra)


def walking_jazz(choruses: int = 4, swing: float = 0.67) -> bytes:
    """ii-V-I in C (Dm7 G7 Cmaj7 Cmaj7) with a walking bass in quarters and the piano comping swung eighths."""
    bars = [WALK_II_V_I[bar % 4] for bar in range(4 * choruses)]
    chords = [SEVENTHS[("Dm7", "G7", "Cmaj7", "Cmaj7")[bar % 4]] for bar in range(4 * choruses)]
    bass = bass_line([[(float(beat), pitch) for beat, pitch in enumerate(bar)] for bar in bars])
    horn = notes([(bar * 4.0, 2.0, 74) for bar in range(4 * choruses)])
    return band(bass, chords_on_beats(chords, swing), horn)


def shuffle_blues(choruses: int = 3, root: int = E) -> bytes:
    """A 12-bar blues (I7 IV7 V7 on BLUES_ROOTS) with a boogie bass: root, third, fifth, sixth in swung eighths."""
    bars, chords = [], []
    for bar in range(12 * choruses):
        r = root + BLUES_ROOTS[bar % 12]
        pitches = (r, r + 4, r + 7, r + 9)
        bars.append([(beat + place, pitch) for beat, pitch in enumerate(pitches) for place in (0.0, 0.67)])
        chords.append(tuple(60 + (r + p) % 12 for p in (0, 4, 7, 10)))
    return band(bass_line(bars), chords_on_beats(chords, 0.67))


def boogie_blues(choruses: int = 3, root: int = C, intro_bars: int = 0) -> bytes:
    """A 12-bar blues with the quick change (QUICK_CHANGE_ROOTS), straight, its boogie bass a two-bar figure: up from
    the root in one bar, down from the fifth in the next (so every other bar's first bass note is its fifth, not its
    root), dominant sevenths on the keys every beat; `intro_bars` of a one-chord vamp on the tonic first."""
    roots = [root] * intro_bars + [root + QUICK_CHANGE_ROOTS[bar % 12] for bar in range(12 * choruses)]
    up, down = (0, 4, 7, 9), (7, 9, 10, 9)
    bass = bass_line([[(beat, r + step) for beat, step in enumerate(down if bar % 2 else up)]
                      for bar, r in enumerate(roots)])
    return band(bass, chords_on_beats([tuple(60 + (r + p) % 12 for p in (0, 4, 7, 10)) for r in roots]))


def rock(bars: int = 16) -> bytes:
    """Power chords on a distortion guitar and a bass driving eighths on the root, straight: I I IV V."""
    roots = [(E, E, A, B)[bar % 4] for bar in range(bars)]
    bass = bass_line([[(beat / 2, r) for beat in range(8)] for r in roots])
    guitar = notes([(bar * 4 + beat / 2, 0.45, pitch) for bar, r in enumerate(roots) for beat in range(8)
                    for pitch in (r + 12, r + 19)])
    keys = chords_on_beats([(r + 24, r + 28, r + 31) for r in roots], comp=False)  # the major triad on each root
    return band(bass, keys, guitar=guitar)


def rock_blues(choruses: int = 3, root: int = E, intro_bars: int = 0) -> bytes:
    """A straight 12-bar blues on BLUES_ROOTS as rock plays it: a bass driving eighths on the root, power chords on a
    distortion guitar, triads on the keys; `intro_bars` of the tonic before the first chorus (the changes start
    after them)."""
    roots = [root] * intro_bars + [root + BLUES_ROOTS[bar % 12] for bar in range(12 * choruses)]
    bass = bass_line([[(beat / 2, r) for beat in range(8)] for r in roots])
    guitar = notes([(bar * 4 + beat / 2, 0.45, pitch) for bar, r in enumerate(roots) for beat in range(8)
                    for pitch in (r + 12, r + 19)])
    keys = chords_on_beats([(r + 24, r + 28, r + 31) for r in roots], comp=False)
    return band(bass, keys, guitar=guitar)


def bossa(bars: int = 16) -> bytes:
    """The bossa bass (root on 1, fifth on the and of 2, root on 3, fifth on the and of 4) under major sevenths."""
    roots = [(C, D, G - 12, C)[bar % 4] for bar in range(bars)]
    bass = bass_line([[(0.0, r), (1.5, r + 7), (2.0, r), (3.5, r + 7)] for r in roots])
    return band(bass, chords_on_beats([SEVENTHS["Cmaj7"]] * bars, comp=False))


def root_fifth_triads(bars: int = 16) -> bytes:
    """A two-beat country bass (root on 1, fifth on 3) under triads held over the bar."""
    roots = [(C, F, G - 12, C)[bar % 4] for bar in range(bars)]
    bass = bass_line([[(0.0, r), (2.0, r + 7)] for r in roots])
    chords = [TRIADS[("C", "F", "G", "C")[bar % 4]] for bar in range(bars)]
    return band(bass, chords_on_beats(chords, comp=False))


JAZZ_BLUES_SHELLS = ((64, 70), (63, 69), (64, 70), (64, 70), (63, 69), (63, 69), (64, 70), (61, 67), (62, 65, 72),
                     (65, 71), (64, 70), (61, 67))  # 12 bars of shells, the roots left to a bass that is not there


def rootless_twelve(choruses: int = 3) -> bytes:
    """A 12-bar form whose changes read as no blues: the keys comp two- and three-note shells (a jazz blues's rootless
    voicings, where a thirds-and-sevenths shell names no root) swung on every beat, with no bass; a tenor sax holds a
    note a bar."""
    chords = [JAZZ_BLUES_SHELLS[bar % 12] for bar in range(12 * choruses)]
    horn = notes([(bar * 4.0, 2.0, 74 + bar % 3) for bar in range(12 * choruses)])
    extra = [TrackSpec("Piano", 2, chords_on_beats(chords, 0.67), 0), TrackSpec("Tenor Sax", 3, horn, 66)]
    return song_bytes(None, None, tempos=((0, 500_000),), guitar_program=30, extra=extra)
