"""Drums from nothing: N bars in a given meter and tempo, shaped like a song, through the same network and Decoder
as a song's drums.

There is no guitar, so the network reads a stand-in one, a plain pulse of power chords, arranged as a song in
8-bar sections: an intro (a chord held each bar; from 16 bars on), then verses (a chord on every beat) and choruses
(twice as fast, another chord) in turn, and an ending (one chord on the last downbeat: the final hit; from 3 bars
on). The sections are set, not found, and each starts with a marker, as a DAW's song would. The structure is forced
on the Decoder by a `Steering` (`steering`): a crash on each section's first bar, a fill closing its last bar (so the
bar before the final hit too), no rests. Everything else (the grooves, their velocity and timing, the
fills' notes, any restriction of the Decoder's entries) is decided as for a song. The stand-in is never written;
generation.prepare plays it where no song is given.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from seq2drum.groove import Steering
from seq2drum.song.phrases import closes_with_fill
from seq2drum.song.bars import BAR_COLUMNS, BarSong
from seq2drum.midi.io import MidiSong, Part
from seq2drum.midi.limits import parse_meter
from seq2drum.song.grid import is_compound
from seq2drum.song.sections import Section, section_bar_features

SECTION_BARS = 8
STAND_IN_TICKS_PER_QUARTER = 480  # divisible by every beat and half-beat of the meters midi_scan allows
_A_CHORD, _B_CHORD = (40, 47, 52), (45, 52, 57)  # E5 and A5 power chords, the guitar's most played shapes


@dataclass(frozen=True)
class Meter:
    """A time signature asked for by name, checked by the rule input files are checked by."""

    numerator: int
    denominator: int

    @classmethod
    def parse(cls, text: str) -> Meter:
        """"7/8" -> Meter(7, 8); ConfigError naming the problem otherwise."""
        return cls(*parse_meter(text))

    @property
    def compound(self) -> bool:
        """6/8, 9/8, 12/8: the felt beat is a dotted quarter (as representation.Grid counts it)."""
        return bool(is_compound(self.numerator, self.denominator))

    def __str__(self) -> str:
        return f"{self.numerator}/{self.denominator}"


INTRO, VERSE, CHORUS, ENDING = range(4)  # kinds of section


def arrangement(bars: int) -> list[tuple[int, int, int]]:
    """(first bar, end bar, kind) of each section of N bars, counted from the drums' first bar: an 8-bar intro
    when there are 16 bars or more, then 8-bar verses and choruses in turn, and the final bar as the ending (from
    3 bars on). A section left with one bar before the ending joins the one before it."""
    ending = bars >= 3
    body = bars - ending
    starts = list(range(0, body, SECTION_BARS))
    if len(starts) > 1 and body - starts[-1] < 2:
        starts.pop()
    spans = []
    for index, start in enumerate(starts):
        end = starts[index + 1] if index + 1 < len(starts) else body
        intro = index == 0 and bars >= 2 * SECTION_BARS
        label = INTRO if intro else (VERSE, CHORUS)[(index - (bars >= 2 * SECTION_BARS)) % 2]
        spans.append((start, end, label))
    if ending:
        spans.append((body, bars, ENDING))
    return spans


def letters(spans: list[tuple[int, int, int]]) -> list[int]:
    """Section labels in order of first appearance (A is the first section, whichever kind it is)."""
    order: dict[int, int] = {}
    return [order.setdefault(kind, len(order)) for _, _, kind in spans]


def stand_in_song(bars: int, tempo_qpm: float, meter: Meter, lead_in_bars: int = 0) -> MidiSong:
    """A one-part song of `lead_in_bars` empty bars and then `bars` bars of the stand-in guitar (see the module's
    docstring), at `tempo_qpm` quarter notes per minute in `meter`, with a marker at every section start."""
    tpq = STAND_IN_TICKS_PER_QUARTER
    bar_ticks = tpq * 4 * meter.numerator // meter.denominator
    beat_ticks = tpq * 4 // meter.denominator * (3 if meter.compound else 1)
    fast_ticks = beat_ticks // 3 if meter.compound else beat_ticks // 2
    first_tick = lead_in_bars * bar_ticks
    notes: list[list[int]] = []
    spans = arrangement(bars)
    for start_bar, end_bar, label in spans:
        for bar in range(start_bar, end_bar):
            start = first_tick + bar * bar_ticks
            end = start + bar_ticks
            if label in (INTRO, ENDING):  # held chords; the ending's one chord is the final hit
                onsets, length, chord = [start], bar_ticks, _A_CHORD
            elif label == VERSE:
                onsets, length, chord = list(range(start, end, beat_ticks)), beat_ticks, _A_CHORD
            else:
                onsets, length, chord = list(range(start, end, fast_ticks)), fast_ticks, _B_CHORD
            for onset in onsets:
                notes += [[onset, min(onset + length, end), pitch, 96 if onset == start else 80] for pitch in chord]
    array = np.array(notes, dtype=np.int64).reshape(-1, 4)
    guitar = Part(track_index=1, channel=0, name="Guitar (stand-in)", program=29, notes=array)
    markers = [(first_tick + start * bar_ticks, f"Section {chr(ord('A') + label)}")
               for (start, _, _), label in zip(spans, letters(spans))]
    tempo_us = int(round(60_000_000 / tempo_qpm))
    return MidiSong(tpq, [(0, tempo_us)], [(0, meter.numerator, meter.denominator)], [guitar], 1, markers)


def sections(bars: int, first_bar: int) -> list[Section]:
    """The arrangement's sections as song bars from `first_bar`."""
    spans = arrangement(bars)
    return [Section(first_bar + start, first_bar + end, label) for (start, end, _), label in zip(spans, letters(spans))]


def shape_bars(song: BarSong) -> None:
    """Set the song's sections, the drummer's and the network's, to the arrangement's, and the section columns the
    network reads to match."""
    song.sections = song.network_sections = sections(song.n_bars, song.first_bar)
    start = BAR_COLUMNS.index("section_start")
    song.bar_features[:, start : start + 6] = section_bar_features(song.network_sections, song.first_bar,
                                                                   song.first_bar + song.n_bars)


def steering(n_bars: int) -> Steering:
    """No rests; a crash on the first bar of every section but the ending, a fill closing the last bar of every
    section but the ending that closes with a fill, and neither anywhere else (the final hit comes from the Decoder's
    ending: kick and crash on the guitar's last onset)."""
    crash = np.zeros(n_bars, dtype=bool)
    fill = np.zeros(n_bars, dtype=bool)
    for (start, end, kind) in arrangement(n_bars):
        if kind != ENDING:
            crash[start] = True
            fill[end - 1] |= closes_with_fill(end - start)
    return Steering(rests=np.zeros(n_bars, dtype=bool), crashes=crash, fills=fill)
