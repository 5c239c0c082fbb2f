"""midi_tracks: one track chunk's content from music21's events, and the scan's summary standing in for it
(the same names, programs and note starts, so a part listed without being read is listed as a read one)."""

from __future__ import annotations

import pytest
from music21 import midi as m21midi

from seq2drum.midi.scan import scan_midi
from seq2drum.midi.tracks import TrackEvents, scanned_events, track_events
from tests.builders import (
    PPQ, chord_track, meta_event, note_events, note_off, note_on, notes_from_steps, program_change, riff,
    smf_bytes, tempo_event, time_signature_event, timed_track, track_name_event,
)

GUITAR = notes_from_steps(riff(2), length_steps=2)


def _read(chunk_file: bytes, index: int = 0) -> TrackEvents:
    midi_file = m21midi.MidiFile()
    midi_file.readstr(chunk_file)
    return track_events(index, midi_file.tracks[index], midi_file.ticksPerQuarterNote)


def test_a_track_reads_into_notes_programs_maps_markers_and_its_name() -> None:
    events = [(0, track_name_event("")), (0, track_name_event("Rhythm")), (0, meta_event(0x04, b"Strat")),
              (0, program_change(2, 29)), (PPQ, tempo_event(400_000)), (PPQ, time_signature_event(7, 8)),
              (2 * PPQ, meta_event(0x06, b"Chorus")), (0, note_on(2, 40, 90)), (PPQ, note_off(2, 40)),
              (3 * PPQ, note_on(9, 36, 100))]  # never released: ends with the track
    read = _read(smf_bytes([timed_track(events)]))
    assert read.name == "Rhythm"  # the first name that is not empty
    assert read.notes == {2: [0, PPQ, 40, 90], 9: [3 * PPQ, 3 * PPQ + 1, 36, 100]}  # 4 ints a note
    assert read.programs == {2: [(0, 29)]}
    assert (read.tempo_events, read.meter_events, read.markers) == ([(PPQ, 400_000)], [(PPQ, 7, 8)],
                                                                   {(2 * PPQ, "Chorus")})


@pytest.mark.parametrize(
    "chunk",
    [
        timed_track([(0, track_name_event("Gtr")), (0, program_change(0, 30)), (4 * PPQ, program_change(0, 27)),
                     *note_events(GUITAR, 0), *note_events(GUITAR, 9)]),
        chord_track(40),  # running status and velocity-0 note-offs
    ],
    ids=["two-channels-two-programs", "running-status-chords"],
)
def test_the_scan_of_an_exact_chunk_stands_for_music21s_reading(chunk: bytes) -> None:
    """Parts listed from the scan must show the name, note count and program a read would show, and parts read
    from it the same notes."""
    data = smf_bytes([chunk])
    [scan] = scan_midi(data).track_scans
    assert scan.exact and not scan.conductor
    read, scanned = _read(data), scanned_events(scan)
    assert scanned.name == read.name and scanned.programs == read.programs
    assert scanned_events(scan, with_notes=True).notes == read.notes  # the same notes in the same order
    assert {channel: sorted(starts) for channel, starts in scanned.note_ticks.items()} == {
        channel: sorted(notes[::4]) for channel, notes in read.notes.items()}


def test_reading_lets_go_of_music21s_events() -> None:
    """music21's events point back at their track: left in place, each read song waits for the cyclic collector
    (which the server's workers run only between jobs)."""
    midi_file = m21midi.MidiFile()
    midi_file.readstr(smf_bytes([chord_track(16)]))
    track_events(0, midi_file.tracks[0], midi_file.ticksPerQuarterNote)
    assert midi_file.tracks[0].events == []


def test_the_midi_layer_loads_without_the_rest_of_music21_and_is_the_same_after_it() -> None:
    """A cold `--mode infer` spent most of its start importing music21's streams, converters and test runner; the
    MIDI layer alone is loaded now. A later `import music21` (a notebook, converter.parse) gets the whole package,
    with the very MidiFile class seq2drum reads and writes with."""
    import subprocess
    import sys
    from pathlib import Path

    code = (
        "import sys\n"
        "from seq2drum.midi import io as midi_io, write as midi_write\n"
        "names = ('music21', 'music21.midi', 'music21.stream', 'music21.converter')\n"
        "print(sorted(m for m in names if m in sys.modules))\n"
        "data = midi_write.write_midi(480, [(0, 500000)], [(0, 4, 4)], "
        "[midi_write.TrackSpec('Guitar', 0, [[0, 480, 40, 100], [480, 960, 43, 90]], 29)])\n"
        "import music21\n"
        "from music21 import converter, midi\n"
        "print(midi.MidiFile is midi_io.m21midi.MidiFile, midi_io.read_midi(data).parts[0].note_count)\n"
        "print(len(converter.parseData(data).flatten().notes))\n"
    )
    run = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).resolve().parents[1], capture_output=True,
                         text=True, timeout=120, check=False)
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines() == ["[]", "True 2", "2"]
