"""A song moved later by whole bars, to make room for a count-in (`make_room`, `moved`): guitar and drums together
with the tempo map, meter map and markers, which only makes sense when the guitar is in the same file (merge);
otherwise `CountInError` says what to do. The drums are never moved against the guitar. What the count-in plays is
generation.count_in's.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from seq2drum.errors import CountInError
from seq2drum.midi.io import START, MidiSong
from seq2drum.song.grid import BAR_DENOMINATOR, BAR_NUMERATOR, BAR_START, BAR_STEPS, Grid


def entry_bar(song: MidiSong, guitar_notes: np.ndarray, steps_per_quarter: int) -> tuple[Grid, int]:
    """The song's grid and the bar where the guitar first plays (as `song.encode_song` finds it)."""
    grid = Grid.build(song.ticks_per_quarter, song.time_signatures, song.tempos, int(guitar_notes[:, 1].max()),
                      steps_per_quarter)
    first_step, _ = grid.quantize(guitar_notes[:1, START])
    return grid, int(np.searchsorted(grid.bars[:, BAR_START], first_step[0], side="right") - 1)


def make_room(song: MidiSong, guitar_notes: np.ndarray, count_in_bars: int, merge: bool,
              steps_per_quarter: int) -> tuple[MidiSong, int]:
    """The song with at least `count_in_bars` whole empty bars before the guitar enters, and how many bars it was
    moved later for that (0 when it had room). Raises `CountInError` when it must move and `merge` is off."""
    if count_in_bars <= 0 or not len(guitar_notes):
        return song, 0
    grid, entry = entry_bar(song, guitar_notes, steps_per_quarter)
    room = whole_bars_before(grid, entry)
    if room >= count_in_bars:
        return song, 0
    missing = count_in_bars - room
    if not merge:
        free = f"only {room} whole empty bar{'s' if room != 1 else ''}" if room else "no whole empty bar"
        raise CountInError(
            f"the guitar enters in bar {entry + 1}, leaving {free} before it for a {count_in_bars}-bar count-in; "
            f"pass --merge (the merge option) to move guitar and drums {missing} bar{'s' if missing != 1 else ''} "
            f"later together, or leave {count_in_bars} empty bar{'s' if count_in_bars != 1 else ''} before the "
            "guitar in your DAW and export again"
        )
    # the count-in bars take the meter of the song's first whole bar (not of a pickup bar before it)
    first = 1 if partial_bar(grid, 0) else 0
    numerator, denominator = int(grid.bars[first, BAR_NUMERATOR]), int(grid.bars[first, BAR_DENOMINATOR])
    quarters = missing * numerator * 4
    factor = denominator // math.gcd(quarters * song.ticks_per_quarter, denominator)  # whole ticks per bar
    shift_ticks = quarters * song.ticks_per_quarter * factor // denominator
    return moved(song, factor, shift_ticks, (numerator, denominator)), missing


def whole_bars_before(grid: Grid, bar: int) -> int:
    """The room a count-in has before `bar`: the whole bars before it (a pickup bar is not one)."""
    return sum(not partial_bar(grid, before) for before in range(bar))


def partial_bar(grid: Grid, bar: int) -> bool:
    """A bar shorter than the one after it, such as a pickup written as a short first meter: the count-in plays
    through it but does not count it as one of its bars."""
    return bar + 1 < grid.n_bars and grid.bars[bar, BAR_STEPS] < grid.bars[bar + 1, BAR_STEPS]


def moved(song: MidiSong, factor: int, shift_ticks: int, meter: tuple[int, int]) -> MidiSong:
    """The song at `factor` times its clock, everything `shift_ticks` later; the first tempo and `meter` fill the
    new bars at its start."""
    def later(tick: int) -> int:
        return tick * factor + shift_ticks

    tempos = [(0, song.tempos[0][1])] + [(later(tick), us) for tick, us in song.tempos]
    meters = [(0, *meter)] + [(later(tick), num, den) for tick, num, den in song.time_signatures]
    parts = []
    for part in song.parts:
        notes = part.notes.copy()
        notes[:, :2] = notes[:, :2] * factor + shift_ticks
        parts.append(replace(part, notes=notes))
    return MidiSong(
        ticks_per_quarter=song.ticks_per_quarter * factor,
        tempos=_changes_only(tempos),
        time_signatures=_changes_only(meters),
        parts=parts,
        midi_format=song.midi_format,
        markers=[(later(tick), text) for tick, text in song.markers],
    )


def _changes_only(events: list[tuple[int, ...]]) -> list[tuple[int, ...]]:
    """Drop events that repeat the value in force (a tempo or meter restated where the moved song starts)."""
    kept: list[tuple[int, ...]] = []
    for event in events:
        if kept and event[1:] == kept[-1][1:]:
            continue
        if kept and event[0] == kept[-1][0]:
            kept[-1] = event
            continue
        kept.append(event)
    return kept
