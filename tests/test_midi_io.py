"""midi_io: MIDI bytes -> parts (format 0/1, running status, any clock, corrupt input), guitar selection, and
writing back. Every file is built in code (tests.builders); real songs only under `needs_data`."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from seq2drum.errors import MidiReadError, NoGuitarError
from seq2drum.midi.io import DRUM_CHANNEL, MidiSong, Part, choose_guitar, merged_notes, read_midi, select_guitar
from seq2drum.midi.write import TrackSpec, write_midi
from tests.builders import (
    PPQ,
    backbeat,
    chord_track,
    conductor_events,
    format0_song_bytes,
    format0_song_bytes_music21,
    format1_song_bytes,
    note_events,
    note_off,
    note_on,
    notes_from_steps,
    program_change,
    riff,
    rock_song_bytes,
    smf_bytes,
    song_bytes,
    tempo_event,
    time_signature_event,
    timed_track,
    track_chunk,
    track_name_event,
    vlq,
)


def _sorted(notes: np.ndarray) -> np.ndarray:
    """Notes in the order parts keep them: by start_tick, then pitch."""
    return notes[np.lexsort((notes[:, 2], notes[:, 0]))]


GUITAR = _sorted(notes_from_steps(riff(2), length_steps=2))
DRUMS = _sorted(notes_from_steps(backbeat(2)))
METER_CHANGES = ((0, 4, 4), (4 * PPQ, 3, 4), (7 * PPQ, 7, 8), (7 * PPQ + 7 * PPQ // 2, 6, 8))
TEMPO_CHANGES = ((0, 500_000), (4 * PPQ, 400_000), (9 * PPQ + 120, 652_174))


def _by_channel(song: MidiSong) -> dict[int, Part]:
    return {part.channel: part for part in song.parts}


def _rewrite(song: MidiSong) -> bytes:
    """A parsed song written back by write_midi, one track per part."""
    tracks = [TrackSpec(p.name, p.channel, p.notes, p.program) for p in song.parts]
    return write_midi(song.ticks_per_quarter, song.tempos, song.time_signatures, tracks)


# ---------------------------------------------------------------------------------------------- file formats


@pytest.mark.parametrize(
    "make_format0",
    [format0_song_bytes, format0_song_bytes_music21],
    ids=["format0-hand-written-bytes", "format0-music21-low-level"],
)
def test_format0_comes_apart_into_the_same_parts_as_format1(make_format0) -> None:
    """A format-0 file (guitar on channel 1 and drums on channel 10 in ONE track) must split into the same guitar
    and drum parts as the format-1 file of the same music; otherwise format-0 songs train and generate wrongly."""
    format0 = read_midi(make_format0(GUITAR, DRUMS))
    format1 = read_midi(format1_song_bytes(GUITAR, DRUMS))
    assert (format0.midi_format, format1.midi_format) == (0, 1)
    assert len({p.track_index for p in format0.parts}) == 1, "format 0 has a single track"
    assert sorted(_by_channel(format0)) == sorted(_by_channel(format1)) == [0, DRUM_CHANNEL]
    for channel, part in _by_channel(format0).items():
        other = _by_channel(format1)[channel]
        np.testing.assert_array_equal(part.notes, other.notes)
        assert part.program == other.program
    np.testing.assert_array_equal(select_guitar(format0)[0].notes, GUITAR)
    np.testing.assert_array_equal(format0.drum_parts[0].notes, DRUMS)
    assert format0.tempos == format1.tempos and format0.time_signatures == format1.time_signatures


def test_format1_written_by_write_midi_reads_as_guitar_and_drums() -> None:
    """write_midi's own output (conductor + one track per part) must read back as exactly the parts written."""
    song = read_midi(song_bytes(GUITAR, DRUMS))
    assert song.midi_format == 1
    assert [(p.channel, p.name, p.program, p.is_guitar, p.is_drums) for p in song.parts] == [
        (0, "Guitar", 29, True, False),
        (DRUM_CHANNEL, "Drums", -1, False, True),
    ]
    np.testing.assert_array_equal(song.parts[0].notes, GUITAR)
    np.testing.assert_array_equal(song.parts[1].notes, DRUMS)
    assert song.end_tick == int(max(GUITAR[:, 1].max(), DRUMS[:, 1].max()))


def test_running_status_notes_are_read_correctly() -> None:
    """Many exporters drop repeated status bytes (running status); if the reader lost them, notes would vanish
    or get wrong pitches and velocities."""
    events = [
        (0, track_name_event("Riff")),
        (0, bytes([0xC0, 29])),  # program 29 on channel 1
        (0, bytes([0x90, 40, 100])),  # note-on E2 ...
        (0, bytes([47, 96])),  # ... running status: note-on B2
        (0, bytes([52, 90])),  # running status: note-on E3
        (480, bytes([40, 0])),  # running status note-on velocity 0 = note-off E2
        (0, bytes([47, 0])),
        (0, bytes([52, 0])),
        (0, bytes([0x99, 36, 110])),  # new status: kick on channel 10
        (0, bytes([42, 70])),  # running status: closed hat
        (120, bytes([0x89, 36, 64])),  # note-off status
        (0, bytes([42, 64])),  # running status note-off
        (0, bytes([0x90, 43, 80])),  # back to channel 1
        (360, bytes([43, 0])),
    ]
    song = read_midi(smf_bytes([track_chunk(events)], ticks_per_quarter=480, midi_format=0))
    guitar, drums = _by_channel(song)[0], _by_channel(song)[DRUM_CHANNEL]
    assert guitar.notes.tolist() == [[0, 480, 40, 100], [0, 480, 47, 96], [0, 480, 52, 90], [600, 960, 43, 80]]
    assert drums.notes.tolist() == [[480, 600, 36, 110], [480, 600, 42, 70]]
    assert guitar.program == 29 and guitar.name == "Riff"


@pytest.mark.parametrize("ticks_per_quarter", [24, 96, 120, 384, 480, 960, 1000, 1024, 15360], ids=lambda t: f"ppq{t}")
def test_any_ticks_per_quarter_gives_the_same_grid(ticks_per_quarter: int) -> None:
    """The clock resolution of a file must not change what the model sees: the same music at any PPQ must give
    the same drum grid and guitar features as at 480."""
    from seq2drum.config import DataConfig
    from seq2drum.song.corpus import encode_song

    def encoded(ppq: int):
        guitar = notes_from_steps(riff(4), ticks_per_quarter=ppq, length_steps=2)
        drums = notes_from_steps(backbeat(4), ticks_per_quarter=ppq)
        return encode_song(read_midi(song_bytes(guitar, drums, ticks_per_quarter=ppq)), DataConfig())

    song, reference = encoded(ticks_per_quarter), encoded(PPQ)
    assert song.grid.ticks_per_quarter == ticks_per_quarter
    np.testing.assert_array_equal(song.grid.bars, reference.grid.bars)
    np.testing.assert_array_equal(song.drums.hits, reference.drums.hits)
    np.testing.assert_array_equal(song.drums.velocity, reference.drums.velocity)
    np.testing.assert_allclose(song.drums.offset, reference.drums.offset, atol=1e-6)
    np.testing.assert_allclose(song.guitar, reference.guitar, atol=1e-6)


@pytest.mark.parametrize("file_format", ["format0", "format1"])
def test_note_on_velocity_zero_ends_the_note(file_format: str) -> None:
    """Note-on with velocity 0 is a note-off (most files use it); read as a new note, every note would double
    and never end."""
    make = format0_song_bytes if file_format == "format0" else format1_song_bytes
    with_offs = read_midi(make(GUITAR, DRUMS))
    with_zero_velocity = read_midi(make(GUITAR, DRUMS, zero_velocity_off=True))
    for part, other in zip(with_offs.parts, with_zero_velocity.parts):
        np.testing.assert_array_equal(part.notes, other.notes)
    assert len(with_zero_velocity.parts[0].notes) == len(GUITAR)


def test_a_track_mixing_channels_splits_into_one_part_per_channel() -> None:
    """One track holding guitar (ch 1), bass (ch 2) and drums (ch 10) must give three parts with their own
    programs, so the bass is not merged into the guitar."""
    bass = notes_from_steps([(0, 28), (8, 31)], length_steps=4)
    timed = [
        (0, track_name_event("Band")),
        (0, program_change(0, 30)),
        (0, program_change(1, 33)),
        *note_events(GUITAR, 0),
        *note_events(bass, 1),
        *note_events(DRUMS, DRUM_CHANNEL),
    ]
    song = read_midi(smf_bytes([timed_track([(0, tempo_event(500_000)), *timed])], midi_format=1))
    parts = _by_channel(song)
    assert sorted(parts) == [0, 1, DRUM_CHANNEL]
    assert (parts[0].program, parts[1].program, parts[DRUM_CHANNEL].program) == (30, 33, -1)
    np.testing.assert_array_equal(parts[1].notes, bass)
    assert [p.channel for p in select_guitar(song)] == [0]
    assert song.part_listing()[1].startswith("2 'Band' (channel 2, program 34")  # 1-based, as musicians count


def test_a_program_set_in_another_track_applies_to_the_channel() -> None:
    """Some files set all programs in a setup track; the note track's part must still get its program."""
    setup = timed_track([(0, track_name_event("Setup")), (0, program_change(2, 27))])
    notes = timed_track([(0, track_name_event("Lead")), *note_events(GUITAR, 2)])
    song = read_midi(smf_bytes([setup, notes]))
    assert [(p.channel, p.program, p.is_guitar) for p in song.parts] == [(2, 27, True)]


def test_the_program_in_force_for_most_notes_wins() -> None:
    """A part that switches program keeps the program most of its notes sound with."""
    notes = notes_from_steps([(step, 40) for step in range(10)])
    events = [(0, program_change(0, 0)), (2 * 120, program_change(0, 29)), *note_events(notes, 0)]
    song = read_midi(smf_bytes([timed_track(events)]))
    assert song.parts[0].program == 29


def test_overlapping_notes_of_one_pitch_pair_first_in_first_out() -> None:
    """A re-struck note before its release must not lose a note: offs close the oldest open note first."""
    events = [(0, note_on(0, 40, 90)), (100, note_on(0, 40, 80)), (200, note_off(0, 40)), (300, note_off(0, 40))]
    song = read_midi(smf_bytes([timed_track(events)]))
    assert song.parts[0].notes.tolist() == [[0, 200, 40, 90], [100, 300, 40, 80]]


def test_notes_never_released_end_at_the_end_of_the_track() -> None:
    """A hanging note (no note-off) is kept, ending with its track, instead of being dropped."""
    events = [(0, note_on(0, 40, 90)), (960, note_on(0, 45, 70)), (960 + 240, note_off(0, 45))]
    song = read_midi(smf_bytes([timed_track(events)]))
    assert song.parts[0].notes.tolist() == [[0, 1200, 40, 90], [960, 1200, 45, 70]]


def test_tempo_and_meter_maps_are_read_from_any_track() -> None:
    """Tempo and meter events count wherever they are (conductor or note track), sorted by tick."""
    conductor = timed_track(conductor_events(TEMPO_CHANGES[:2], METER_CHANGES[:2]))
    notes = timed_track(
        [
            (TEMPO_CHANGES[2][0], tempo_event(TEMPO_CHANGES[2][1])),
            (METER_CHANGES[2][0], time_signature_event(7, 8)),
            (METER_CHANGES[3][0], time_signature_event(6, 8)),
            *note_events(GUITAR, 0),
        ]
    )
    song = read_midi(smf_bytes([conductor, notes]))
    assert song.tempos == list(TEMPO_CHANGES)
    assert song.time_signatures == list(METER_CHANGES)


def test_a_file_without_tempo_or_meter_gets_the_midi_defaults() -> None:
    """No tempo event means 120 BPM and no time signature means 4/4 (the MIDI defaults), both at tick 0."""
    song = read_midi(smf_bytes([timed_track(note_events(GUITAR, 0))]))
    assert song.tempos == [(0, 500_000)]
    assert song.time_signatures == [(0, 4, 4)]
    assert song.written_maps == ([], [])  # nothing an output would add: the file has none


def test_read_midi_takes_a_path(tmp_path: Path) -> None:
    """read_midi accepts a path as well as bytes; a missing file is a MidiReadError naming it."""
    path = tmp_path / "song.mid"
    path.write_bytes(rock_song_bytes(2))
    assert len(read_midi(path).parts) == len(read_midi(str(path)).parts) == 2
    with pytest.raises(MidiReadError, match="missing.mid"):
        read_midi(tmp_path / "missing.mid")


def test_reprs_name_format_clock_and_parts() -> None:
    """Parts and songs print what a user needs to pick a track (name, channel, program, note count)."""
    song = read_midi(rock_song_bytes(2))
    assert repr(song) == "MidiSong(format 1, 480 ticks/quarter, 1 tempos, 1 time signatures, 2 parts)"
    assert repr(song.parts[0]) == "Part(track=1, 'Guitar' (channel 1, program 30, 32 notes))"
    assert song.parts[1].describe() == "'Drums' (drums, channel 10, no program, 24 notes)"


# ---------------------------------------------------------------------------------------------- guitar selection


def _parts_song(*parts: tuple[str, int, int, np.ndarray]) -> MidiSong:
    """A song from (name, channel, program, notes) tracks."""
    return read_midi(
        song_bytes(extra=[TrackSpec(name, channel, notes, program) for name, channel, program, notes in parts])
    )


LEAD = notes_from_steps([(0, 64), (4, 67), (8, 69)])
BASS = notes_from_steps([(0, 28), (8, 31)])
PIANO = notes_from_steps([(0, 60), (0, 64), (0, 67)])


def test_two_guitar_parts_are_both_selected_and_merge_in_time_order() -> None:
    """Rhythm and lead guitar are one input to the model: both are selected and merged sorted by start_tick."""
    song = _parts_song(("Rhythm", 0, 29, GUITAR), ("Lead", 1, 27, LEAD), ("Drums", DRUM_CHANNEL, -1, DRUMS))
    guitars = select_guitar(song)
    assert [p.name for p in guitars] == ["Rhythm", "Lead"]
    merged = merged_notes(guitars)
    assert len(merged) == len(GUITAR) + len(LEAD)
    assert np.all(np.diff(merged[:, 0]) >= 0)
    assert merged_notes([]).shape == (0, 4)


@pytest.mark.parametrize(
    "track, expected",
    [("3", "Piano"), (3, "Piano"), ("piano", "Piano"), (" PIA ", "Piano"), ("1", "Rhythm"), ("bass", "Bass")],
    ids=["number-as-text", "number-as-int", "name", "name-case-and-spaces", "number-of-a-guitar", "bass-by-name"],
)
def test_track_option_picks_one_part_by_number_or_name(track: str | int, expected: str) -> None:
    """--track picks the part to play along with by its listing number or a piece of its name."""
    song = _parts_song(
        ("Rhythm", 0, 29, GUITAR), ("Bass", 1, 33, BASS), ("Piano", 2, 0, PIANO), ("Drums", DRUM_CHANNEL, -1, DRUMS)
    )
    assert [p.name for p in select_guitar(song, track)] == [expected]


@pytest.mark.parametrize(
    "track", ["5", "0", "4", "violin"], ids=["number-too-high", "number-zero", "number-of-drums", "unknown-name"]
)
def test_track_option_that_matches_nothing_lists_the_parts(track: str) -> None:
    """A wrong --track must say which parts exist, not silently pick another one (or the drums)."""
    song = _parts_song(
        ("Rhythm", 0, 29, GUITAR), ("Bass", 1, 33, BASS), ("Piano", 2, 0, PIANO), ("Drums", DRUM_CHANNEL, -1, DRUMS)
    )
    with pytest.raises(NoGuitarError, match="--track") as caught:
        select_guitar(song, track)
    assert "1 'Rhythm'" in str(caught.value) and "3 'Piano'" in str(caught.value)
    assert caught.value.parts == song.part_listing()


def test_a_lone_unnamed_melodic_part_without_program_is_the_guitar() -> None:
    """A DAW exporting one clip writes no name and no program change; that part must be taken as the guitar."""
    song = read_midi(smf_bytes([timed_track(note_events(GUITAR, 0) + note_events(DRUMS, DRUM_CHANNEL))], midi_format=0))
    melodic = song.melodic_parts
    assert len(melodic) == 1 and melodic[0].program == -1 and melodic[0].name == "" and not melodic[0].is_guitar
    assert select_guitar(song) == melodic


@pytest.mark.parametrize(
    "name, program, is_guitar",
    [
        ("Guitar", -1, True),
        ("Gtr 1", -1, True),
        ("E-Gitarre", -1, True),
        ("Bass Guitar", -1, False),
        ("Lead", 30, True),
        ("Strings", 48, False),
        ("", -1, False),
        ("Vocals", 26, False),
        ("Bg Vocals 2", 26, False),
        ("Lead Vox", 29, False),
        ("Voice 1 (Soloist)", 24, False),
        ("Melody", 30, False),
        ("Choir", 27, False),
        ("Guitar (Melody)", 24, True),
        ("bass gut", 28, False),
    ],
    ids=[
        "named-guitar",
        "named-gtr",
        "named-gitarre",
        "bass-guitar-is-not-guitar",
        "program-30",
        "program-48",
        "unnamed",
        "vocals-on-guitar-program",
        "backing-vocals-on-guitar-program",
        "vox-on-guitar-program",
        "voice-on-guitar-program",
        "melody-on-guitar-program",
        "choir-on-guitar-program",
        "guitar-name-beats-melody",
        "bass-name-beats-guitar-program",
    ],
)
def test_guitar_is_recognised_by_program_or_name(name: str, program: int, is_guitar: bool) -> None:
    """GM programs 25-32 or a guitar-ish track name make a guitar, but a bass guitar never does, and a name that
    says vocal, voice, vox, melody or choir outweighs a guitar program (old GM files play vocals on guitar patches)."""
    part = Part(track_index=1, channel=0, name=name, program=program, notes=LEAD)
    assert part.is_guitar is is_guitar


def test_no_guitar_raises_listing_the_parts_and_asking_for_track() -> None:
    """With bass and piano only, the error must list every part and tell the musician to pass --track."""
    song = _parts_song(("Bass", 1, 33, BASS), ("Piano", 2, 0, PIANO), ("Drums", DRUM_CHANNEL, -1, DRUMS))
    with pytest.raises(NoGuitarError) as caught:
        select_guitar(song)
    message = str(caught.value)
    assert "no guitar part found" in message and "--track" in message
    assert "1 'Bass' (channel 2, program 34, 2 notes)" in message  # GM numbers counted from 1, as in the README
    assert "2 'Piano' (channel 3, program 1, 3 notes)" in message
    assert "3 'Drums' (drums, channel 10" in message
    assert len(caught.value.parts) == 3


def test_drums_only_file_reads_but_has_no_guitar() -> None:
    """A drums-only file is valid MIDI (read_midi succeeds) but gives NoGuitarError saying it only has drums."""
    song = read_midi(song_bytes(drums=DRUMS))
    assert [p.is_drums for p in song.parts] == [True] and song.melodic_parts == []
    with pytest.raises(NoGuitarError, match="only drums") as caught:
        select_guitar(song)
    assert "export the guitar part" in str(caught.value)  # says what to do, not only what is wrong


def test_format0_track_name_saying_guitar_does_not_make_every_channel_a_guitar() -> None:
    """In a format-0 file the one track name (often the song title) is shared by all channels; a title with
    'guitar' in it must not turn the piano on channel 2 into a second guitar part."""
    timed = [
        (0, track_name_event("Electric Guitar Demo")),
        (0, program_change(0, 29)),
        (0, program_change(1, 0)),
        *note_events(GUITAR, 0),
        *note_events(PIANO, 1),
        *note_events(DRUMS, DRUM_CHANNEL),
    ]
    song = read_midi(smf_bytes([timed_track(timed)], midi_format=0))
    assert [(p.channel, p.program) for p in select_guitar(song)] == [(0, 29)]


def test_vocal_tracks_on_guitar_programs_are_not_merged_into_the_guitar() -> None:
    """A song whose three vocal tracks use GM program 27 (as in a well-known pop-punk file): only the two guitars
    are taken; merging the vocals in made the drums hit on every eighth."""
    vocal = notes_from_steps([(0, 72), (2, 74), (4, 76)])
    song = _parts_song(
        ("Vocals", 0, 26, vocal), ("Bg Vocals", 1, 26, vocal), ("Bg Vocals 2", 2, 26, vocal),
        ("Guitar", 3, 30, GUITAR), ("Guitar", 4, 28, LEAD), ("Bass", 5, 33, BASS), ("Drums", DRUM_CHANNEL, -1, DRUMS),
    )
    choice = choose_guitar(song)
    assert choice.reason == "guitar" and choice.numbers == [4, 5] and choice.notice == ""
    assert choice.listing() == ["4 'Guitar' (channel 4, program 31, 32 notes)",
                                "5 'Guitar' (channel 5, program 29, 3 notes)"]


def test_unmarked_parts_without_drums_are_taken_whole_with_a_notice() -> None:
    """A guitar exported on arbitrary programs (6 and 21, counted from 1), no drums: both parts are the guitar,
    and the notice names them so the user can check."""
    song = _parts_song(("Track 1", 0, 5, GUITAR), ("Track 2", 1, 20, LEAD))
    choice = choose_guitar(song)
    assert choice.reason == "whole file" and choice.numbers == [1, 2]
    assert "1 'Track 1' (channel 1, program 6" in choice.notice
    assert "2 'Track 2' (channel 2, program 21" in choice.notice
    assert "--track" in choice.notice


@pytest.mark.parametrize(
    "parts",
    [
        [("A", 0, 5, GUITAR), ("B", 1, 20, LEAD), ("Drums", DRUM_CHANNEL, -1, DRUMS)],
        [("A", 0, 5, GUITAR), ("B", 1, 20, LEAD), ("C", 2, 0, PIANO), ("D", 3, 40, LEAD)],
    ],
    ids=["two-parts-with-drums", "four-parts"],
)
def test_unmarked_parts_with_drums_or_more_than_three_still_ask_for_track(parts: list) -> None:
    """Taking a whole band as the guitar would be a wild guess: the error lists the parts instead."""
    with pytest.raises(NoGuitarError, match="no guitar part found.*--track 2,3"):
        choose_guitar(_parts_song(*parts))


def test_error_says_why_a_part_on_a_guitar_program_was_set_aside() -> None:
    """'no GM guitar program' would be false for a song whose only guitar-program part is named Melody."""
    song = _parts_song(("Melody", 0, 30, LEAD), ("Bass", 1, 33, BASS), ("Drums", DRUM_CHANNEL, -1, DRUMS))
    with pytest.raises(NoGuitarError, match="except on 1 'Melody', whose name says bass, vocal, melody or keys"):
        choose_guitar(song)


@pytest.mark.parametrize(
    "track, expected",
    [("2,3", [2, 3]), (" 3 , 2 ", [2, 3]), ("rhythm,piano", [1, 3]), ("1,rhythm", [1]), ("Keys, left", [4])],
    ids=["numbers", "numbers-spaces-any-order", "names", "same-part-twice", "name-with-a-comma"],
)
def test_track_option_takes_several_parts(track: str, expected: list[int]) -> None:
    """--track 5,6 uses several parts as one guitar (numbers or names, in listing order, each once)."""
    song = _parts_song(
        ("Rhythm", 0, 29, GUITAR), ("Bass", 1, 33, BASS), ("Piano", 2, 0, PIANO), ("Keys, left", 3, 4, LEAD),
        ("Drums", DRUM_CHANNEL, -1, DRUMS),
    )
    choice = choose_guitar(song, track)
    assert choice.reason == "track" and choice.numbers == expected


def test_track_option_with_one_bad_item_names_it() -> None:
    song = _parts_song(("Rhythm", 0, 29, GUITAR), ("Bass", 1, 33, BASS), ("Drums", DRUM_CHANNEL, -1, DRUMS))
    with pytest.raises(NoGuitarError, match="--track '9' matches no melodic part"):
        choose_guitar(song, "1,9")
    with pytest.raises(NoGuitarError, match="--track '3' matches"):
        choose_guitar(song, "1,3")  # the drums are not a guitar


# ---------------------------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("ticks_per_quarter", [96, 480, 1024], ids=lambda t: f"ppq{t}")
def test_bytes_read_write_read_keeps_tempos_meters_and_notes(ticks_per_quarter: int) -> None:
    """bytes -> read_midi -> write_midi -> read_midi keeps the tempo map, the meter map and every note, so the
    generated file lines up with the input song in a DAW."""
    scale = ticks_per_quarter / PPQ
    tempos = [(int(t * scale), us) for t, us in TEMPO_CHANGES]
    meters = [(int(t * scale), n, d) for t, n, d in METER_CHANGES]
    guitar = notes_from_steps(riff(4), ticks_per_quarter=ticks_per_quarter, length_steps=2)
    drums = notes_from_steps(backbeat(4), ticks_per_quarter=ticks_per_quarter)
    first = read_midi(format0_song_bytes(guitar, drums, ticks_per_quarter, tempos, meters))
    second = read_midi(_rewrite(first))
    assert second.ticks_per_quarter == ticks_per_quarter
    assert first.tempos == second.tempos == tempos
    assert first.time_signatures == second.time_signatures == meters
    assert [(p.channel, p.program) for p in first.parts] == [(p.channel, p.program) for p in second.parts]
    for part, other in zip(first.parts, second.parts):
        np.testing.assert_array_equal(part.notes, other.notes)


def test_write_midi_keeps_repeated_notes_and_gives_zero_length_notes_a_tick() -> None:
    """A note struck again right as the previous one ends must not be cut by that release, and a note with
    end_tick == start_tick still sounds (one tick)."""
    notes = np.array([[0, 120, 38, 100], [120, 240, 38, 90], [480, 480, 36, 80]], dtype=np.int64)
    song = read_midi(write_midi(PPQ, [(0, 500_000)], [(0, 4, 4)], [TrackSpec("Drums", DRUM_CHANNEL, notes)]))
    assert song.parts[0].notes.tolist() == [[0, 120, 38, 100], [120, 240, 38, 90], [480, 481, 36, 80]]


def _music21_file(ticks_per_quarter: int, conductor: list[tuple[int, int, bytes]],
                  tracks: list[TrackSpec]) -> bytes:
    """The reference for write_midi: music21's MidiFile.writestr, one MidiEvent and one DeltaTime per message."""
    from music21 import midi as m21midi

    def track(index: int, name: str, timed: list[tuple[int, m21midi.MidiEvent]]) -> m21midi.MidiTrack:
        chunk = m21midi.MidiTrack(index)
        named = m21midi.MidiEvent(chunk, type=m21midi.MetaEvents.SEQUENCE_TRACK_NAME)
        named.data = name.encode("utf-8")  # text names are written as UTF-8 (issue 55 M6)
        end = m21midi.MidiEvent(chunk, type=m21midi.MetaEvents.END_OF_TRACK)
        end.data = b""
        events, last_tick = [m21midi.DeltaTime(chunk, time=0), named], 0
        for tick, event in timed:
            events += [m21midi.DeltaTime(chunk, time=tick - last_tick), event]
            last_tick = tick
        chunk.events = events + [m21midi.DeltaTime(chunk, time=0), end]
        return chunk

    midi_file = m21midi.MidiFile()
    midi_file.ticksPerQuarterNote = ticks_per_quarter
    meta = []
    for tick, kind, data in conductor:
        meta.append((tick, m21midi.MidiEvent(type=m21midi.MetaEvents(kind))))
        meta[-1][1].data = data
    midi_file.tracks.append(track(0, "seq2drum conductor", meta))
    for index, spec in enumerate(tracks, start=1):
        timed = []
        if spec.program >= 0:
            timed.append((0, m21midi.MidiEvent(type=m21midi.ChannelVoiceMessages.PROGRAM_CHANGE,
                                               channel=spec.channel + 1)))
            timed[-1][1].data = spec.program
        offs = [(max(end, start + 1), 1, n, pitch, 0) for n, (start, end, pitch, _) in enumerate(spec.notes)]
        ons = [(start, 2, n, pitch, velocity) for n, (start, _, pitch, velocity) in enumerate(spec.notes)]
        messages = sorted(offs + ons)  # by tick, note-offs first, then in note order
        for tick, kind, _, pitch, velocity in messages:
            event = m21midi.MidiEvent(type=m21midi.ChannelVoiceMessages.NOTE_ON if kind == 2 else
                                      m21midi.ChannelVoiceMessages.NOTE_OFF, channel=spec.channel + 1)
            event.pitch, event.velocity = int(pitch), int(velocity)
            timed.append((int(tick), event))
        midi_file.tracks.append(track(index, spec.name, timed))
    return midi_file.writestr()


def test_write_midi_gives_music21s_bytes() -> None:
    """Equal messages share one event and music21 writes each event and delta time once: the file must be byte for
    byte what music21's `writestr` makes of one event per message, or the drums sent back would change."""
    guitar = notes_from_steps(riff(4), length_steps=2)
    drums = np.concatenate([notes_from_steps(backbeat(4)), [[0, 0, 49, 127], [PPQ * 40, PPQ * 41, 36, 90]]])
    tracks = [TrackSpec("Gtr \xe9", 0, guitar, 29), TrackSpec("Drums", DRUM_CHANNEL, drums),
              TrackSpec("Empty", 1, np.zeros((0, 4), dtype=np.int64))]
    markers = [(0, "Verse"), (8 * PPQ, "Chorus")]
    conductor = sorted([(tick, 0, 0x58, bytes([n, d.bit_length() - 1, 24, 8])) for tick, n, d in METER_CHANGES]
                       + [(tick, 1, 0x51, us.to_bytes(3, "big")) for tick, us in TEMPO_CHANGES]
                       + [(tick, 2, 0x06, text.encode()) for tick, text in markers], key=lambda item: item[:2])
    expected = _music21_file(PPQ, [(tick, kind, data) for tick, _, kind, data in conductor], tracks)
    assert write_midi(PPQ, list(TEMPO_CHANGES), list(METER_CHANGES), tracks, markers) == expected


# ---------------------------------------------------------------------------------------------- corrupt input


def _valid() -> bytes:
    return rock_song_bytes(2)


def _flip_bits(data: bytes, seed: int, flips: int = 6) -> bytes:
    rng = random.Random(seed)
    out = bytearray(data)
    for _ in range(flips):
        position = rng.randrange(14, len(out))  # keep the header readable so the track reader is exercised
        out[position] ^= 1 << rng.randrange(8)
    return bytes(out)


CORRUPT = {
    "empty": b"",
    "random-bytes": random.Random(1).randbytes(300),
    "random-after-MThd": b"MThd" + random.Random(2).randbytes(300),
    "text-file": b"this is not a MIDI file\n" * 4,
    "header-only": _valid()[:14],
    "truncated-header": _valid()[:9],
    "truncated-mid-file": _valid()[: len(_valid()) // 2],
    "truncated-inside-last-track": _valid()[:-40],
    "bad-header-length": b"MThd\x00\x00\x00\x07" + _valid()[8:],
    "more-tracks-than-present": _valid()[:10] + b"\x00\x09" + _valid()[12:],
    "zero-ticks-per-quarter": _valid()[:12] + b"\x00\x00" + _valid()[14:],
}


@pytest.mark.parametrize("data", list(CORRUPT.values()), ids=list(CORRUPT))
def test_corrupt_input_raises_midi_read_error(data: bytes) -> None:
    """Broken uploads must give MidiReadError with a message (the server maps it to INVALID_ARGUMENT; the corpus
    builder skips the file), never IndexError/struct.error/... from music21, and never a silently shortened song."""
    with pytest.raises(MidiReadError) as caught:
        read_midi(data)
    assert str(caught.value)


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5], ids=lambda seed: f"seed{seed}")
def test_bit_flipped_file_reads_or_raises_midi_read_error(seed: int) -> None:
    """Flipped bits may land in a pitch or velocity and leave a readable file; anything else must be a
    MidiReadError, never another exception type."""
    data = _flip_bits(_valid(), seed)
    try:
        song = read_midi(data)
    except MidiReadError as error:
        assert str(error)
    else:
        assert any(len(p.notes) for p in song.parts)


def test_many_random_corruptions_raise_only_midi_read_error() -> None:
    """Fuzz: 400 truncations, bit flips and byte splices of a valid file never raise anything but MidiReadError."""
    rng = random.Random(1234)
    base = _valid()
    other_errors = []
    for index in range(400):
        data = bytearray(base)
        if index % 3 == 0:
            data = data[: rng.randrange(len(data))]
        elif index % 3 == 1:
            for _ in range(rng.randint(1, 8)):
                data[rng.randrange(len(data))] = rng.randrange(256)
        else:
            at = rng.randrange(len(data))
            data[at:at] = rng.randbytes(rng.randint(1, 12))
        try:
            read_midi(bytes(data))
        except MidiReadError:
            pass
        except Exception as error:  # noqa: BLE001 - the point is to catch anything else
            other_errors.append(f"{index}: {type(error).__name__}: {error}")
    assert other_errors == []


@pytest.mark.parametrize(
    "data",
    [
        smf_bytes([timed_track([(0, tempo_event(500_000)), (0, time_signature_event(4, 4))])]),
        smf_bytes([timed_track([(0, note_off(0, 40)), (10, note_on(0, 40, 0))])]),
        smf_bytes([]),
    ],
    ids=["only-tempo-and-meter", "only-note-offs", "no-tracks"],
)
def test_a_file_with_no_notes_raises_midi_read_error(data: bytes) -> None:
    """A valid file holding no notes cannot be played along with: MidiReadError saying it holds no notes."""
    with pytest.raises(MidiReadError, match="holds no notes"):
        read_midi(data)


def test_format2_file_is_rejected_with_a_message_naming_format_2() -> None:
    """A format-2 file (independent patterns) must be rejected with the actionable 'export it as format 0 or 1'
    message, not reported as corrupt."""
    data = smf_bytes([timed_track(note_events(GUITAR, 0))], midi_format=2)
    with pytest.raises(MidiReadError, match="format-2"):
        read_midi(data)


def test_smpte_timed_file_is_rejected_instead_of_read_at_a_made_up_clock() -> None:
    """A file in SMPTE time (frames per second, no ticks per quarter) must be rejected asking for musical time;
    read as if it had music21's default 10080 ticks per quarter, its bars and tempo would be nonsense."""
    data = smf_bytes([timed_track(note_events(GUITAR, 0))], division=0xE818)  # -24 fps, 24 ticks per frame
    with pytest.raises(MidiReadError, match="SMPTE"):
        read_midi(data)


# ---------------------------------------------------------------------------------------------- reading only the guitar


def _outcome(read) -> MidiSong | tuple[str, str]:
    try:
        return read()
    except (MidiReadError, NoGuitarError) as error:
        return type(error).__name__, str(error)


def assert_reads_alike(data: bytes, track: str | None = None) -> MidiSong | None:
    """read_midi(only_guitar=True) against the whole read: the same error, or the same clock, maps, markers and
    part listing, the same guitar choice (or the same NoGuitarError) with the same notes. Returns the fast song."""
    full = _outcome(lambda: read_midi(data))
    fast = _outcome(lambda: read_midi(data, only_guitar=True, track=track))
    if isinstance(full, tuple) or isinstance(fast, tuple):
        assert fast == full
        return None
    assert (fast.ticks_per_quarter, fast.midi_format, fast.tempos, fast.time_signatures, fast.markers) == (
        full.ticks_per_quarter, full.midi_format, full.tempos, full.time_signatures, full.markers)
    assert fast.part_listing() == full.part_listing()
    assert [(p.is_guitar, p.is_drums, p.name_shared) for p in fast.parts] == [
        (p.is_guitar, p.is_drums, p.name_shared) for p in full.parts]
    for fast_part, full_part in zip(fast.parts, full.parts):
        if fast_part.notes_read:
            np.testing.assert_array_equal(fast_part.notes, full_part.notes)
    chosen_fast = _outcome(lambda: choose_guitar(fast, track))
    chosen_full = _outcome(lambda: choose_guitar(full, track))
    if isinstance(chosen_full, tuple) or isinstance(chosen_fast, tuple):
        assert chosen_fast == chosen_full
        return fast
    assert (chosen_fast.numbers, chosen_fast.reason, chosen_fast.notice) == (
        chosen_full.numbers, chosen_full.reason, chosen_full.notice)
    np.testing.assert_array_equal(merged_notes(chosen_fast.parts), merged_notes(chosen_full.parts))
    return fast


def _arrangement(guitar_at: int, n_parts: int = 4, markers: bool = True) -> bytes:
    """write_midi's layout (conductor first, with markers), the guitar as part `guitar_at` among bass and keys."""
    others = [TrackSpec("Bass", 1, notes_from_steps([(s, 28) for s in range(0, 32, 4)], length_steps=4), 33),
              TrackSpec("Keys", 2, notes_from_steps([(s, 60) for s in range(0, 32, 8)], length_steps=8), 0),
              TrackSpec("Drums", DRUM_CHANNEL, DRUMS)]
    tracks = others[: n_parts - 1]
    tracks.insert(guitar_at, TrackSpec("Rhythm", 0, GUITAR, 29))
    return write_midi(PPQ, list(TEMPO_CHANGES), list(METER_CHANGES), tracks,
                      [(0, "Verse"), (8 * PPQ, "Chorus")] if markers else [])


def _two_guitars() -> bytes:
    lead = _sorted(notes_from_steps([(s, 64) for s in range(1, 32, 3)]))
    return song_bytes(GUITAR, DRUMS, extra=[TrackSpec("Bass", 1, GUITAR - [0, 0, 12, 0], 33),
                                            TrackSpec("Lead", 3, lead, 27)])


def _program_elsewhere() -> bytes:
    """Programs set in a setup track (no notes, nothing the scan cannot stand for), notes in others."""
    setup = timed_track([(0, track_name_event("Setup")), (0, program_change(2, 27)), (0, program_change(1, 33)),
                         (4 * PPQ, program_change(1, 34)), (5 * PPQ, program_change(1, 33))])
    bass = timed_track([(0, track_name_event("Low")), *note_events(GUITAR - [0, 0, 12, 0], 1)])
    lead = timed_track([(0, track_name_event("")), (0, track_name_event("Lead")), *note_events(GUITAR, 2)])
    return smf_bytes([timed_track(conductor_events(TEMPO_CHANGES, METER_CHANGES)), bass, setup, lead])


def _maps_in_a_part() -> bytes:
    """Tempo, meter and a marker in the bass track (read for them), the guitar after it."""
    bass = timed_track([(TEMPO_CHANGES[1][0], tempo_event(TEMPO_CHANGES[1][1])), (PPQ, time_signature_event(3, 4)),
                        (2 * PPQ, meta_event_bytes(0x06, b"Bridge")), (0, program_change(1, 33)),
                        *note_events(GUITAR - [0, 0, 12, 0], 1)])
    guitar = timed_track([(0, track_name_event("Gtr")), (0, program_change(0, 30)), *note_events(GUITAR, 0)])
    return smf_bytes([bass, guitar])


def _not_exact_part() -> bytes:
    """A keys track starting in running status with no status before it (music21 takes note-on): read by music21."""
    keys = track_chunk([(0, bytes([60, 90])), (PPQ, bytes([60, 0])), (0, bytes([64, 80])), (PPQ, note_off(0, 64))])
    guitar = timed_track([(0, track_name_event("Guitar")), *note_events(GUITAR, 1)])
    return smf_bytes([keys, guitar])


def _music21_refuses_a_part(event: bytes) -> bytes:
    """A bass track whose last event music21 cannot read though the scan can pass it: the whole read raises."""
    bass = timed_track([(0, program_change(1, 33)), *note_events(GUITAR - [0, 0, 12, 0], 1)])
    bass = bass[:4] + (int.from_bytes(bass[4:8], "big") + len(event)).to_bytes(4, "big") + bass[8:] + event
    return smf_bytes([bass, timed_track([(0, track_name_event("Guitar")), *note_events(GUITAR, 0)])])


def meta_event_bytes(kind: int, data: bytes) -> bytes:
    return bytes([0xFF, kind, len(data)]) + data


READ_ALIKE = {
    "guitar-first": (_arrangement(0), None),
    "guitar-not-first": (_arrangement(2), None),
    "guitar-last-no-markers": (_arrangement(3, markers=False), None),
    "two-guitars-among-others": (_two_guitars(), None),
    "format-0": (format0_song_bytes(GUITAR, DRUMS, tempos=TEMPO_CHANGES, time_signatures=METER_CHANGES), None),
    "format-0-music21": (format0_song_bytes_music21(GUITAR, DRUMS), None),
    "hand-written-format-1": (format1_song_bytes(GUITAR, DRUMS, zero_velocity_off=True), None),
    "programs-set-in-another-track": (_program_elsewhere(), None),
    "maps-and-marker-in-a-part": (_maps_in_a_part(), None),
    "a-part-music21-must-read": (_not_exact_part(), None),
    "corrupt-part-a-1000-byte-number": (_music21_refuses_a_part(b"\x80" * 1000 + b"\x00\xb0\x07\x64"), None),
    "corrupt-part-local-control-cut-short": (_music21_refuses_a_part(b"\x00\xb1\x7a"), None),
    "no-guitar": (song_bytes(extra=[TrackSpec("Bass", 1, GUITAR, 33), TrackSpec("Keys", 2, GUITAR, 0),
                                    TrackSpec("Drums", DRUM_CHANNEL, DRUMS)]), None),
    "taken-whole": (song_bytes(extra=[TrackSpec("Keys", 2, GUITAR, 0), TrackSpec("Pad", 3, GUITAR, 88)]), None),
    "track-by-number": (_arrangement(2), "2"),
    "track-by-name": (_arrangement(2), "keys"),
    "tracks-by-numbers": (_two_guitars(), "2,4"),
    "track-matching-nothing": (_arrangement(2), "9"),
    "drums-only": (song_bytes(drums=DRUMS), None),
    "format-5": (song_bytes(GUITAR)[:8] + b"\x00\x05" + song_bytes(GUITAR)[10:], None),
    "a-foreign-chunk-between-tracks": (smf_bytes([timed_track(note_events(GUITAR, 0)), b"XTRA\x00\x00\x00\x02ab",
                                                  timed_track(note_events(DRUMS, DRUM_CHANNEL))])[:10] + b"\x00\x03"
                                       + smf_bytes([timed_track(note_events(GUITAR, 0)), b"XTRA\x00\x00\x00\x02ab",
                                                    timed_track(note_events(DRUMS, DRUM_CHANNEL))])[12:], None),
    **{f"corrupt-{name}": (data, None) for name, data in CORRUPT.items()},
}


@pytest.mark.parametrize(("data", "track"), list(READ_ALIKE.values()), ids=list(READ_ALIKE))
def test_reading_only_the_guitar_gives_what_the_whole_read_gives(data: bytes, track: str | None) -> None:
    """Generation reads only the guitar's track chunks; if that read differed from the whole one, the drums, the
    part listing, the guitar choice or the error a musician sees would change with the speed-up."""
    assert_reads_alike(data, track)


@pytest.mark.parametrize("only_guitar", [False, True], ids=["whole", "only-guitar"])
def test_music21_reads_only_the_chunks_the_scan_cannot_stand_for(monkeypatch: pytest.MonkeyPatch,
                                                                 only_guitar: bool) -> None:
    """What makes reading fast: music21 reads the conductor (maps and markers), not the guitar, bass, keys or drums,
    whose notes are the scan's."""
    from music21 import midi as m21midi

    read_chunks: list[int] = []
    original = m21midi.MidiTrack.read

    def counted(self: m21midi.MidiTrack, data: bytes) -> bytes:
        read_chunks.append(self.index)
        return original(self, data)

    monkeypatch.setattr(m21midi.MidiTrack, "read", counted)
    song = read_midi(_arrangement(2), only_guitar=only_guitar)
    assert read_chunks == [0]  # the conductor
    assert [(p.name, p.notes_read, p.note_count) for p in song.parts] == [
        ("Bass", not only_guitar, 8), ("Keys", not only_guitar, 4), ("Rhythm", True, len(GUITAR)),
        ("Drums", not only_guitar, len(DRUMS))]
    np.testing.assert_array_equal(song.parts[2].notes, GUITAR)
    if not only_guitar:
        return
    with pytest.raises(ValueError, match="were not read"):
        merged_notes(song.drum_parts)  # a caller that wanted more than the guitar is told, not given no notes


def music21_read(data: bytes, monkeypatch: pytest.MonkeyPatch) -> MidiSong | tuple[str, str]:
    """The song (or the error) music21's whole-file reader gives, every chunk read from its events, as read_midi
    read every file before the scan's notes stood in for exact chunks."""
    import seq2drum.midi.io as midi_io

    def not_plain(*args: object, **kwargs: object) -> object:
        counts = midi_io.scan_midi.__wrapped__(*args, **kwargs)  # type: ignore[attr-defined]
        counts.plain = False
        return counts

    with monkeypatch.context() as patch:
        not_plain.__wrapped__ = midi_io.scan_midi  # type: ignore[attr-defined]
        patch.setattr(midi_io, "scan_midi", not_plain)
        return _outcome(lambda: read_midi(data))


def assert_same_song(song: MidiSong | tuple[str, str], expected: MidiSong | tuple[str, str]) -> None:
    if isinstance(song, tuple) or isinstance(expected, tuple):
        assert song == expected
        return
    assert (song.ticks_per_quarter, song.midi_format, song.tempos, song.time_signatures, song.markers) == (
        expected.ticks_per_quarter, expected.midi_format, expected.tempos, expected.time_signatures, expected.markers)
    assert [repr(p) for p in song.parts] == [repr(p) for p in expected.parts]
    for part, expected_part in zip(song.parts, expected.parts):
        assert (part.name_shared, part.notes.dtype) == (expected_part.name_shared, expected_part.notes.dtype)
        np.testing.assert_array_equal(part.notes, expected_part.notes)  # the same order too: ties keep theirs


@pytest.mark.parametrize(("data", "track"), list(READ_ALIKE.values()), ids=list(READ_ALIKE))
def test_the_scans_notes_are_music21s(data: bytes, track: str | None, monkeypatch: pytest.MonkeyPatch) -> None:
    """The notes of exact chunks come from the scan: the same song (or error) as music21 reading every chunk, or
    the drums would change with the speed-up."""
    assert_same_song(_outcome(lambda: read_midi(data)), music21_read(data, monkeypatch))


def test_the_scans_notes_are_music21s_on_corrupted_files(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fuzz: 300 truncations, byte changes and splices of a file with every kind of release (note-off, note-on at
    velocity 0, running status, notes of one pitch overlapping, notes never released, a last delta with no event)
    read alike through the scan and through music21."""
    rng = random.Random(7)
    releases = [(0, note_on(1, 50, 90)), (10, note_on(1, 50, 80)), (5, note_off(1, 50, 3)), (5, note_on(1, 50, 0)),
                (0, note_on(1, 52, 70)), (0, note_on(2, 52, 60)), (PPQ, note_off(2, 52)), (7, note_on(1, 55, 100)),
                (0, bytes([57, 90]))]
    body = b"".join(vlq(delta) + event for delta, event in releases) + vlq(3 * PPQ)  # a last delta, no event
    guitar = timed_track([(0, track_name_event("Gtr")), *note_events(GUITAR, 0)])
    base = smf_bytes([timed_track(conductor_events(TEMPO_CHANGES, METER_CHANGES)), chord_track(24),
                      b"MTrk" + len(body).to_bytes(4, "big") + body, guitar])
    assert_same_song(_outcome(lambda: read_midi(base)), music21_read(base, monkeypatch))
    for data in corrupted(base, rng, 300):
        assert_same_song(_outcome(lambda data=data: read_midi(data)), music21_read(data, monkeypatch))


def corrupted(base: bytes, rng: random.Random, count: int) -> list[bytes]:
    """`count` damaged copies of a file past its 14-byte header: truncations, changed bytes and spliced-in bytes, in
    turn."""
    copies = []
    for index in range(count):
        data = bytearray(base)
        if index % 3 == 0:
            data = data[: rng.randrange(14, len(data))]
        elif index % 3 == 1:
            for _ in range(rng.randint(1, 6)):
                data[rng.randrange(14, len(data))] = rng.randrange(256)
        else:
            at = rng.randrange(14, len(data))
            data[at:at] = rng.randbytes(rng.randint(1, 12))
        copies.append(bytes(data))
    return copies


def test_reading_only_the_guitar_is_alike_on_corrupted_files() -> None:
    """Fuzz: 300 truncations, byte changes and splices of a four-part file give the same song or the same error
    either way (a chunk the scan cannot vouch for is read by music21, as in the whole read)."""
    rng = random.Random(99)
    base = _arrangement(2)
    for data in corrupted(base, rng, 300):
        assert_reads_alike(data)


# ---------------------------------------------------------------------------------------------- real files


@pytest.mark.needs_data
def test_real_files_round_trip_through_write_midi(data_dir: Path) -> None:
    """On 12 real songs, read -> write -> read keeps the tempo map, meter map and every note onset."""
    files = sorted(p for p in data_dir.rglob("*") if p.suffix.lower() in (".mid", ".midi"))
    for path in random.Random(0).sample(files, 12):
        first = read_midi(path)
        second = read_midi(_rewrite(first))
        assert (first.tempos, first.time_signatures) == (second.tempos, second.time_signatures), path.name
        assert len(first.parts) == len(second.parts), path.name
        for part, other in zip(first.parts, second.parts):
            assert part.channel == other.channel, path.name
            np.testing.assert_array_equal(part.notes[:, [0, 2, 3]], other.notes[:, [0, 2, 3]], err_msg=path.name)


@pytest.mark.parametrize("track", ["²", "9" * 5000, "1,٣"])
def test_a_track_of_unicode_or_thousands_of_digits_matches_no_part(track: str) -> None:
    """Issue 22, 1b: `--track ²` (a digit to str.isdigit, not to int) and 5,000 digits (past int's 4,300) raised
    ValueError; both now match no part and the message stays short."""
    song = read_midi(rock_song_bytes(2))
    with pytest.raises(NoGuitarError, match="matches no melodic part") as raised:
        choose_guitar(song, track)
    assert len(str(raised.value)) < 400


def test_messages_name_the_file_by_its_label(tmp_path: Path) -> None:
    """The studio reads uploads as bytes but names them as the command line names a file: with the same label, the
    same message as reading the file from its path."""
    path = tmp_path / "notes.mid"
    path.write_text("these are my lyrics, not MIDI")
    with pytest.raises(MidiReadError) as from_path:
        read_midi(path)
    with pytest.raises(MidiReadError) as from_bytes:
        read_midi(path.read_bytes(), label="notes.mid")
    assert str(from_bytes.value) == str(from_path.value)
    assert str(from_path.value).startswith("notes.mid is not a Standard MIDI File")


def _spec_valid_variants() -> dict[str, bytes]:
    """format1_song_bytes as SMF 1.0 allows it to be written: an unknown chunk between tracks, a longer header."""
    plain = format1_song_bytes(notes_from_steps(riff(2)), notes_from_steps([(0, 36), (4, 38)]))
    first_track = plain.index(b"MTrk")
    second_track = plain.index(b"MTrk", first_track + 8)
    unknown = b"XFIH" + (5).to_bytes(4, "big") + b"hello"
    longer_header = b"MThd" + (10).to_bytes(4, "big") + plain[8:14] + b"\0\0\0\0" + plain[14:]
    return {"plain": plain, "unknown-chunk": plain[:second_track] + unknown + plain[second_track:],
            "header-of-10-bytes": longer_header}


@pytest.mark.parametrize("variant", ["unknown-chunk", "header-of-10-bytes"])
def test_unknown_chunks_are_skipped_and_the_headers_length_honoured(variant: str) -> None:
    """Issue 55 L8: spec-valid files were refused as "corrupt or truncated". SMF 1.0: a reader skips chunks it does
    not know and reads the header by its length. Both read as the plain file does."""
    files = _spec_valid_variants()
    expected, song = read_midi(files["plain"]), read_midi(files[variant])
    assert [part.name for part in song.parts] == [part.name for part in expected.parts]
    for part, plain_part in zip(song.parts, expected.parts):
        assert np.array_equal(part.notes, plain_part.notes)
    assert song.time_signatures == expected.time_signatures and song.tempos == expected.tempos


@pytest.mark.parametrize("us_per_quarter, words", [(1, "60,000,000 BPM"), (16_000_000, "4 BPM")],
                         ids=["1-microsecond", "16-seconds-a-beat"])
def test_a_tempo_no_song_plays_at_is_said(us_per_quarter: int, words: str) -> None:
    """Issue 89 (low): a tempo of 1 microsecond a quarter (60,000,000 BPM) gave "0 s of music" without a word (a
    tempo of 0 is left out and said); the reader says where the tempo leaves what a song plays at, and keeps it."""
    song = read_midi(song_bytes(notes_from_steps(riff(2)), tempos=[(0, 500_000), (4 * PPQ, us_per_quarter)]))
    assert song.tempos[-1] == (4 * PPQ, us_per_quarter)
    assert len(song.notices) == 1 and words in song.notices[0] and "quarter note 4" in song.notices[0], song.notices
    assert read_midi(song_bytes(notes_from_steps(riff(2)), tempos=[(0, 400_000)])).notices == []
