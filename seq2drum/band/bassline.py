"""The bass line's shape bar by bar (`bass_figures`): walking quarters, root and fifth, driving eighths, a pedal, a
shuffle (boogie) figure or a bossa figure, from the bass's onsets and pitches in each bar.

A bar is read on its own and against the bar before it (a pedal holds its pitch class across the barline), so live
can read each bar as it is heard. Figures are read in simple meters counted in quarters or halves (x/4, x/2);
compound bars read only as pedal and driving. Places are in quarter notes from the bar's start.
"""

from __future__ import annotations

import numpy as np

from seq2drum import arrays

from seq2drum.midi.io import PITCH, START
from seq2drum.song.grid import BAR_DENOMINATOR, BAR_NUMERATOR, BAR_START, Grid, is_compound

FIGURES = ("plays", "walking", "root_fifth", "driving", "pedal", "shuffle", "bossa")
ON_BEAT = 1 / 6  # an onset within this many quarters of a beat plays on it (a played file, not quantized)
SHUFFLE_PLACES = (0.58, 0.76)  # where a swung (shuffled) eighth sits in its beat
BOSSA_PLACES = (0.0, 1.5, 2.0, 3.5)  # the bossa bass: dotted quarter and eighth, twice (in 4/4 or 2/2)
WALK_MAX_LEAP = 5  # semitones: a walking line moves by step or a small leap between most of its beats
SINGLE = -1  # a bar's pitch class when it sounds several


def bar_onsets(notes: np.ndarray, grid: Grid) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per bar, the bass's distinct onsets (quarters from the bar's start) and the lowest pitch struck at each."""
    if not grid.n_bars:
        return []
    bar_start_q = grid.bars[:, BAR_START] / grid.steps_per_quarter
    if not len(notes):
        return [(np.zeros(0), np.zeros(0, dtype=np.int64))] * grid.n_bars
    onset_q = notes[:, START] / grid.ticks_per_quarter
    order = np.lexsort((notes[:, PITCH], np.round(onset_q * 48)))  # by onset (a 192nd), lowest pitch first
    onset_q, pitch = onset_q[order], notes[order, PITCH]
    first = np.r_[True, np.round(onset_q[1:] * 48) != np.round(onset_q[:-1] * 48)]  # a chord struck once
    onset_q, pitch = onset_q[first], pitch[first]
    bar = np.clip(np.searchsorted(bar_start_q, onset_q + 1e-9, side="right") - 1, 0, grid.n_bars - 1)
    cuts = np.searchsorted(bar, np.arange(1, grid.n_bars))
    return [(q - bar_start_q[b], p) for b, (q, p) in enumerate(zip(np.split(onset_q, cuts), np.split(pitch, cuts)))]


def _figure(places: np.ndarray, pitch: np.ndarray, beats: int, beat_q: float) -> dict[str, bool]:
    """The figures one simple-meter bar's onsets make (`beats` beats of `beat_q` quarters)."""
    in_beat = places / beat_q
    on = np.abs(in_beat - np.round(in_beat)) * beat_q <= ON_BEAT
    beat_hit = np.zeros(beats, dtype=bool)
    beat_hit[np.clip(np.round(in_beat[on]).astype(np.int64), 0, beats - 1)] = True
    moves = np.abs(np.diff(pitch[on]))
    figure = {}
    # a walking line may skip (a triplet pickup) between some beats; a boogie's swung eighth sits between nearly all
    figure["walking"] = bool(beats >= 3 and beat_hit.all() and (~on).sum() <= beats // 2 and len(moves) >= beats - 1
                             and (moves > 0).sum() >= beats - 2 and (moves <= WALK_MAX_LEAP).mean() >= 0.5
                             and (moves > 0).mean() >= 0.66)
    fifths = np.isin(moves % 12, (5, 7))
    figure["root_fifth"] = bool(on.all() and 2 <= len(places) <= beats and len(moves) and fifths.mean() >= 0.5)
    frac = in_beat % 1.0
    offs = frac[~on]
    figure["shuffle"] = bool(beat_q == 1.0 and len(offs) >= max(2, beats - 1)
                             and ((offs >= SHUFFLE_PLACES[0]) & (offs <= SHUFFLE_PLACES[1])).mean() >= 0.75)
    bar_q = beats * beat_q
    if abs(bar_q - 4.0) < 1e-6 and 3 <= len(places) <= 5:
        near = [np.abs(places - p).min() <= ON_BEAT for p in BOSSA_PLACES]
        figure["bossa"] = bool(all(near) and not (np.abs(places - 1.0).min() <= ON_BEAT))
    else:
        figure["bossa"] = False
    return figure


def bass_figures(notes: np.ndarray, grid: Grid) -> tuple[np.ndarray, np.ndarray]:
    """(n_bars, len(FIGURES)) bool: each bar's bass figures (see FIGURES), and (n_bars,) the bass's pitch class on the
    bar's first onset (-1 where it does not play): the root the form is read from."""
    figures = np.zeros((grid.n_bars, len(FIGURES)), dtype=bool)
    roots = np.full(grid.n_bars, -1, dtype=np.int64)
    previous_single = SINGLE
    for b, (places, pitch) in enumerate(bar_onsets(notes, grid)):
        if not len(places):
            previous_single = SINGLE
            continue
        numerator, denominator = int(grid.bars[b, BAR_NUMERATOR]), int(grid.bars[b, BAR_DENOMINATOR])
        roots[b] = pitch[0] % 12
        classes = arrays.distinct(pitch % 12)
        single = int(classes[0]) if len(classes) == 1 else SINGLE
        row = {"plays": True, "pedal": single != SINGLE and single == previous_single and len(places) >= 2}
        beat_q = 4.0 / denominator
        eighths = np.abs(places * 2 - np.round(places * 2)) <= ON_BEAT * 2
        row["driving"] = bool(len(places) >= 2 * numerator * beat_q - 1 and eighths.mean() >= 0.9 and len(classes) <= 2)
        if denominator in (2, 4) and not is_compound(numerator, denominator):
            row.update(_figure(places, pitch, numerator, beat_q))
        figures[b] = [row.get(name, False) for name in FIGURES]
        previous_single = single
    return figures, roots
