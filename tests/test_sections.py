"""The section finder: an A-B-A guitar part made in code comes out as A-B-A, marker events are boundaries, and
silence before the guitar comes back starts a section."""

from __future__ import annotations

import numpy as np

from seq2drum.config import DataConfig
from seq2drum.midi.io import read_midi
from seq2drum.midi.write import TrackSpec, write_midi
from seq2drum.song.sections import Section, section_bar_features, song_structure
from seq2drum.song.encode import EncodedSong, encode_song
from tests.builders import PPQ, notes_from_steps, riff, song_bytes


def riff_b(bars: int, first_bar: int) -> list[tuple[int, int]]:
    """A syncopated three-note chord riff a whole tone above the A riff's key: another part of the song."""
    events = []
    for bar in range(first_bar, first_bar + bars):
        for step in (0, 3, 6, 10, 12):
            events += [(bar * 16 + step, 47), (bar * 16 + step, 54), (bar * 16 + step, 59)]
    return events


def encoded(events: list[tuple[int, int]], markers: list[tuple[int, str]] = ()) -> EncodedSong:  # type: ignore[assignment]
    data = song_bytes(notes_from_steps(events, length_steps=2))
    if markers:
        song = read_midi(data)
        part = song.parts[0]
        data = write_midi(PPQ, song.tempos, song.time_signatures,
                          [TrackSpec("Guitar", part.channel, part.notes, part.program)], markers)
    return encode_song(read_midi(data), DataConfig(), with_drums=False)


def aba() -> list[tuple[int, int]]:
    a_again = [(step + 16 * 16, pitch) for step, pitch in riff(8)]
    return riff(8) + riff_b(8, 8) + a_again


def test_finds_the_a_b_a_form_of_a_guitar_part() -> None:
    song = encoded(aba())
    sections = song_structure(song.guitar, song.grid, song.first_bar, song.end_bar)[0]
    assert [(s.start_bar, s.end_bar) for s in sections] == [(0, 8), (8, 16), (16, 24)]
    assert [s.letter for s in sections] == ["A", "B", "A"]


def test_a_part_that_never_changes_is_one_section() -> None:
    song = encoded(riff(16))
    assert song_structure(song.guitar, song.grid, song.first_bar, song.end_bar)[0] == [Section(0, 16, 0)]


def test_marker_events_become_section_boundaries() -> None:
    """A DAW's markers ("Verse", "Chorus") split the song even where the guitar part does not change."""
    song = encoded(riff(16), markers=[(0, "Intro"), (4 * 4 * PPQ, "Verse"), (12 * 4 * PPQ, "Chorus")])
    assert song.marker_steps == [0, 64, 192]
    sections = song_structure(song.guitar, song.grid, song.first_bar, song.end_bar, song.marker_steps)[0]
    assert [s.start_bar for s in sections] == [0, 4, 12]


def test_the_guitar_coming_back_after_rests_starts_a_section() -> None:
    events = riff(8) + [(step + 12 * 16, pitch) for step, pitch in riff(8)]  # bars 8-11 silent
    song = encoded(events)
    starts = [s.start_bar for s in song_structure(song.guitar, song.grid, song.first_bar, song.end_bar)[0]]
    assert 8 in starts and 12 in starts


def test_section_bar_features_mark_starts_ends_and_returns() -> None:
    sections = [Section(0, 4, 0), Section(4, 6, 1), Section(6, 10, 0)]
    features = section_bar_features(sections, 0, 10)
    np.testing.assert_array_equal(np.flatnonzero(features[:, 0]), [0, 4, 6])  # starts
    np.testing.assert_array_equal(np.flatnonzero(features[:, 1]), [3, 5, 9])  # ends
    np.testing.assert_array_equal(features[:, 4], [0, 0, 0, 0, 0, 0, 1, 1, 1, 1])  # A heard before
    assert features[0, 2] == 0 and features[3, 2] == 1  # position inside the section


def test_a_section_under_two_bars_joins_the_neighbour_it_resembles_unless_a_marker_starts_it() -> None:
    """Issue 23 item 10: one-bar sections where the guitar paused (`A@58 A@60`, 90 sections on a 4/16 song). A
    one-bar pause inside the A riff and a one-bar B bar before the B part join their neighbours; a one-bar section a
    marker starts stays."""
    paused = [(step, pitch) for step, pitch in riff(8) if not 3 * 16 <= step < 4 * 16]
    events = paused + riff_b(1, 8) + [(step + 9 * 16, pitch) for step, pitch in riff(7)] + riff_b(8, 16)
    song = encoded(events)
    sections = song_structure(song.guitar, song.grid, song.first_bar, song.end_bar)[0]
    assert all(s.n_bars >= 2 for s in sections), sections
    assert [s.start_bar for s in sections][-1] == 16 and sections[-1].end_bar == 24
    marked = encoded(events, markers=[(8 * 4 * PPQ, "Solo"), (9 * 4 * PPQ, "Verse")])
    found = song_structure(marked.guitar, marked.grid, marked.first_bar, marked.end_bar, marked.marker_steps)[0]
    assert Section(8, 9, found[[s.start_bar for s in found].index(8)].label) in found


def test_sections_of_short_bars_last_at_least_a_few_beats() -> None:
    """Issue 23 item 6: a 4/16 song's sections of 2-4 bars were a beat or two each, and with a crash on each
    section's first bar it crashed every few beats. Sections now last MIN_SECTION_QUARTERS (4/4 bars: unchanged)."""
    from seq2drum.song.sections import MIN_SECTION_QUARTERS

    events = []  # 4/16 bars: two bars of 16ths on E, two of one low chord, ... (a change every 2 beats)
    for bar in range(64):
        if (bar // 2) % 2 == 0:
            events += [(bar * 4 + step, 64 + step) for step in range(4)]
        else:
            events += [(bar * 4, 40), (bar * 4, 47)]
    data = song_bytes(notes_from_steps(events, length_steps=1), time_signatures=((0, 4, 16),))
    song = encode_song(read_midi(data), DataConfig(), with_drums=False)
    sections = song_structure(song.guitar, song.grid, song.first_bar, song.end_bar)[0]
    # (before, its first and last sections were 2 bars, half a 4/4 bar each)
    quarters = [(s.end_bar - s.start_bar) * 1.0 for s in sections]  # a 4/16 bar is one quarter note
    assert all(q >= MIN_SECTION_QUARTERS for q in quarters), sections
