"""What the band is, read as it plays (issue 102): `RunningBand` reads the bars a live stream has heard a few at a time
(`read`: the rows of those bars, with the bar before them for a pedal or a chord change across the barline, by the
reading a song's band is read with, band.reading `band_rows`), and describes the bars heard so far (`description`)
as `describe_band` describes a song cut there. The instruments a stream does not carry (programs, track names) are
unknown (NaN: a fitted reader takes its training mean); the swing is the live drummer's own reading of the notes
heard (feel.swing `HeardSwing`, each role standing for a part).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from typing import NamedTuple

import numpy as np

from seq2drum import arrays
from seq2drum.band.description import GM_FAMILIES, STEPS_PER_QUARTER, BandDescription
from seq2drum.band.reading import BandBars, band_rows, description_of
from seq2drum.feel.swing import SwingReading
from seq2drum.midi.io import PITCH, START
from seq2drum.midi.roles import BASS, MELODY
from seq2drum.song.grid import Grid, is_compound

TICKS_PER_QUARTER = 960  # the clock of a bar's notes (live.features' bar grid)
NAN = float("nan")
UNHEARD = {"family_shares": (NAN,) * len(GM_FAMILIES), "jazz_program_share": NAN, "distorted_share": NAN,
           "named": ()}  # the instrument fields: a live note carries its role, not its program or its track's name


class HeardBar(NamedTuple):
    """One bar as a stream heard it: its meter and tempo, and each role's notes (N, 4) start, end, pitch, velocity
    in TICKS_PER_QUARTER ticks from the bar's start, sorted by start then pitch (roles without notes left out)."""

    numerator: int
    denominator: int
    tempo_bpm: float
    notes: tuple[tuple[str, np.ndarray], ...]

    @property
    def ticks(self) -> int:
        return int(round(self.numerator * 4 * TICKS_PER_QUARTER / self.denominator))


@dataclass(frozen=True)
class RunningBand:
    """The band's rows of the bars read so far (`rows`, None before any), each bar's (numerator, denominator, tempo)
    and the roles heard."""

    rows: BandBars | None = None
    meters: tuple[tuple[int, int, float], ...] = ()
    roles: tuple[str, ...] = ()

    @property
    def n_bars(self) -> int:
        return len(self.meters)

    def read(self, bars: Sequence[HeardBar], before: HeardBar | None = None) -> RunningBand:
        """The reading with `bars` (heard after those read) read, `before` the bar heard before them (None: the
        first). The harmony is every role's but the melody's, unless the melody is all that was heard (as
        band.reading `harmony_parts` chooses a song's parts)."""
        if not bars:
            return self
        chunk = [*([before] if before is not None else []), *bars]
        roles = tuple(sorted({*self.roles, *(role for bar in bars for role, notes in bar.notes if len(notes))}))
        harmony_roles = [role for role in roles if role != MELODY] or list(roles)
        grid = chunk_grid(chunk)
        rows = band_rows(_merged(chunk, harmony_roles), _merged(chunk, [BASS]), grid)
        rows = _last_rows(rows, len(bars))
        joined = rows if self.rows is None else _joined(self.rows, rows)
        return RunningBand(joined, (*self.meters, *((b.numerator, b.denominator, float(b.tempo_bpm)) for b in bars)),
                           roles)

    def description(self, swing: SwingReading | None = None) -> BandDescription | None:
        """The bars read so far described (None before any): harmony, bass line and form from their rows, tempo and
        meters from their clocks, the swing `swing` reads (None: none read), the instruments unknown."""
        if self.rows is None:
            return None
        n = self.n_bars
        numerator = np.array([m[0] for m in self.meters])
        denominator = np.array([m[1] for m in self.meters])
        compound = is_compound(numerator, denominator)
        simple = ~compound & np.isin(denominator, (2, 4))
        time = {"tempo_bpm": self._tempo_bpm(),
                "swing": swing.swing if swing is not None and swing.swing is not None else 0.5,
                "swung_share": swing.swung_share if swing is not None else 0.0,
                "swung": bool(swing is not None and swing.swung),
                "four_share": float((simple & np.isin(numerator, (2, 4))).mean()),
                "three_share": float((simple & (numerator == 3)).mean()), "compound_share": float(compound.mean())}
        return description_of(self.rows, n, {**UNHEARD, "n_parts": len(self.roles)}, time)

    def _tempo_bpm(self) -> float:
        """The median tempo over the quarter notes from the first bar's start (as band.reading reads a song's)."""
        quarters = np.array([m[0] * 4 / m[1] for m in self.meters])
        starts = np.concatenate([[0.0], np.cumsum(quarters)[:-1]])
        beat = np.arange(int(np.ceil(quarters.sum() - 1e-9)))
        bar = np.searchsorted(starts, beat + 1e-9, side="right") - 1
        return float(arrays.median(np.array([m[2] for m in self.meters])[bar]))


def chunk_grid(bars: Sequence[HeardBar]) -> Grid:
    """The grid (STEPS_PER_QUARTER steps a quarter) of bars heard one after the other from tick 0."""
    meters: list[tuple[int, int, int]] = []
    tempos: list[tuple[int, int]] = []
    tick = 0
    for bar in bars:
        if not meters or meters[-1][1:] != (bar.numerator, bar.denominator):
            meters.append((tick, bar.numerator, bar.denominator))
        tempo = int(round(60e6 / bar.tempo_bpm))
        if not tempos or tempos[-1][1] != tempo:
            tempos.append((tick, tempo))
        tick += bar.ticks
    return Grid.build(TICKS_PER_QUARTER, meters, tempos, tick - 1, STEPS_PER_QUARTER)


def _merged(bars: Sequence[HeardBar], roles: Sequence[str]) -> np.ndarray:
    """The notes of `roles` in `bars` heard one after the other, (N, 4) on one clock, sorted as `merged_notes`."""
    pieces, start = [], 0
    for bar in bars:
        pieces += [notes + np.array([start, start, 0, 0]) for role, notes in bar.notes if role in roles and len(notes)]
        start += bar.ticks
    if not pieces:
        return np.zeros((0, 4), dtype=np.int64)
    notes = np.concatenate(pieces)
    return notes[np.lexsort((notes[:, PITCH], notes[:, START]))]


def _last_rows(rows: BandBars, n: int) -> BandBars:
    """The last `n` rows of `rows`."""
    return replace(rows, **{item.name: getattr(rows, item.name)[-n:] for item in fields(rows)
                            if isinstance(getattr(rows, item.name), np.ndarray)})


def _joined(first: BandBars, later: BandBars) -> BandBars:
    """The rows of `first`, then `later`'s (the grid `later`'s: `description_of` reads rows only)."""
    arrays_ = {item.name: np.concatenate([getattr(first, item.name), getattr(later, item.name)])
               for item in fields(first) if isinstance(getattr(first, item.name), np.ndarray)}
    return replace(later, **arrays_, has_bass=first.has_bass or later.has_bass)
