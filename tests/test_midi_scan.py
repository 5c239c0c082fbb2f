"""The cheap pass before music21: counts that match music21's reading, limits refused before the parse, meters no
song has refused naming the event, and a fuzz of the whole reader (hypothesis, a small count here; bench/fuzz.py
runs 10,000 cases)."""

from __future__ import annotations

import re
import struct

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from music21 import midi as m21midi

from seq2drum.errors import MidiLimitError, MidiReadError, SongTooLongError
from seq2drum.midi.io import read_midi
from seq2drum.midi.limits import MAX_SONG_QUARTERS, ReadLimits
from seq2drum.midi.limits import what_it_is
from seq2drum.midi.scan import scan_midi
from tests.builders import (
    PPQ,
    chord_track,
    meta_event,
    note_on,
    rock_song_bytes,
    smf_bytes,
    tempo_event,
    time_signature_event,
    timed_track,
    track_chunk,
)
from tests.hostile_songs import OVERLONG_BYTES, OVERLONG_OFFSET, many_tracks, overlong_event_song


def music21_note_ons(data: bytes) -> int:
    midi_file = m21midi.MidiFile()
    midi_file.readstr(data)
    return sum(1 for track in midi_file.tracks for event in track.events
               if not event.isDeltaTime() and event.type == m21midi.ChannelVoiceMessages.NOTE_ON and event.velocity)


def test_counts_what_music21_reads() -> None:
    data = rock_song_bytes(8, tempos=[(0, 500_000), (960, 400_000)], time_signatures=[(0, 4, 4), (1920, 7, 8)])
    counts = scan_midi(data)
    song = read_midi(data)
    assert counts.notes == music21_note_ons(data) == sum(len(p.notes) for p in song.parts)
    assert (counts.tempo_events, counts.time_signature_events, counts.tracks) == (2, 2, 3)
    assert counts.last_tick == song.end_tick


def test_a_file_past_the_note_limit_is_refused_before_music21_parses_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 11, failure 2: 200,000 notes took 48 s in music21 (its cost grows with the square of a track)."""
    def no_parse(self: object, data: bytes) -> None:
        raise AssertionError("music21 was asked to parse a file past the limits")

    monkeypatch.setattr(m21midi.MidiFile, "readstr", no_parse)
    data = smf_bytes([chord_track(ReadLimits().max_notes + 1)])
    with pytest.raises(MidiLimitError, match="more than 50,000 notes"):
        read_midi(data)
    with pytest.raises(MidiLimitError, match="more than 100 notes"):
        read_midi(rock_song_bytes(16), limits=ReadLimits(max_notes=100))


@pytest.mark.parametrize(
    ("events", "limits", "message"),
    [
        ([(1, tempo_event(500_000 + i)) for i in range(30)], ReadLimits(max_tempo_changes=20), "20 tempo changes"),
        ([(1920, time_signature_event(3, 4)) for _ in range(30)], ReadLimits(max_time_signature_changes=20),
         "20 time-signature changes"),
        ([(1, bytes([0xB0, 7, 100])) for _ in range(30)], ReadLimits(max_events=20), "20 events"),
    ],
    ids=["tempo-flood", "meter-flood", "controller-flood"],
)
def test_floods_are_refused_naming_the_limit(events: list, limits: ReadLimits, message: str) -> None:
    data = smf_bytes([track_chunk(events), chord_track(16)])
    with pytest.raises(MidiLimitError, match=message):
        read_midi(data, limits=limits)


@pytest.mark.parametrize(("numerator", "power", "shown"), [(255, 0, "255/1"), (0, 2, "0/4"), (7, 9, "7/2^9"),
                                                           (65, 3, "65/8"), (64, 1, "64/2")])
def test_a_meter_no_song_has_is_refused_naming_the_event(numerator: int, power: int, shown: str) -> None:
    """Issue 11, failure 6: a 255/1 time signature made 4079 hits out of 32 quarter notes of guitar."""
    meter = meta_event(0x58, bytes([numerator, power, 24, 8]))
    data = smf_bytes([timed_track([(0, tempo_event(500_000)), (1920, meter)]), chord_track(64)])
    expected = re.escape(f"time signature {shown} at quarter note 4 of track 1")
    with pytest.raises(MidiReadError, match=expected) as caught:
        read_midi(data)
    assert not isinstance(caught.value, MidiLimitError)


@pytest.mark.parametrize(("numerator", "denominator"), [(36, 32), (15, 16), (4, 1), (1, 64), (13, 8)])
def test_odd_but_real_meters_are_read(numerator: int, denominator: int) -> None:
    data = rock_song_bytes(4, time_signatures=[(0, 4, 4), (1920, numerator, denominator)])
    assert read_midi(data).time_signatures[-1] == (1920, numerator, denominator)


def test_song_length_is_one_limit_in_quarter_notes() -> None:
    """An end-of-track far out (a DAW's leftover) is fine; a note, tempo or meter event past the limit is not."""
    far = MAX_SONG_QUARTERS * PPQ
    conductor = track_chunk([(0, tempo_event(500_000)), (far * 4, meta_event(0x2F, b""))], end_of_track=False)
    assert read_midi(smf_bytes([conductor, chord_track(16)])).parts
    late_note = timed_track([(0, note_on(0, 40, 90)), (far + PPQ, note_on(0, 40, 0))])
    with pytest.raises(SongTooLongError, match=f"quarter note {MAX_SONG_QUARTERS + 1:,}.*8,192 quarter notes"):
        read_midi(smf_bytes([late_note]))
    assert read_midi(smf_bytes([late_note]), limits=ReadLimits(max_song_quarters=MAX_SONG_QUARTERS + 2)).parts


def test_huge_variable_length_numbers_are_refused_as_too_long() -> None:
    body = b"\x00" + note_on(0, 40, 90) + b"\xff" * 40 + b"\x7f" + note_on(0, 40, 0) + b"\x00\xff\x2f\x00"
    with pytest.raises(SongTooLongError):  # a delta of 2**287 ticks
        read_midi(smf_bytes([b"MTrk" + struct.pack(">I", len(body)) + body]))


def test_limits_validate_themselves() -> None:
    with pytest.raises(ValueError, match="max_notes"):
        ReadLimits(max_notes=0)
    with pytest.raises(ValueError, match="max_parts"):
        ReadLimits(max_parts=0)


def test_a_file_of_more_parts_than_the_limit_is_refused_in_one_short_line() -> None:
    """Issue 69 N3: 40,000 one-note tracks (960 KB) passed every limit and cost 40 s on the command line, a guitar
    line of megabytes, 7 MB of JSON in the studio. A part is one channel of one track that plays notes."""
    with pytest.raises(MidiLimitError) as caught:
        read_midi(many_tracks(40_000), label="tracks.mid")
    message = str(caught.value)
    assert message.startswith("tracks.mid holds more than 64 parts") and len(message) < 300 and "\n" not in message
    assert len(read_midi(many_tracks(64)).parts) == 64  # the most a song may hold
    with pytest.raises(MidiLimitError, match="more than 3 parts"):
        read_midi(smf_bytes([track_chunk([(0, note_on(channel, 40, 100))]) for channel in range(4)]),
                  limits=ReadLimits(max_parts=3))


# ---------------------------------------------------------------------------------------------- fuzz

BASES = [
    rock_song_bytes(2, tempos=[(0, 500_000), (960, 300_000)], time_signatures=[(0, 4, 4), (1920, 7, 8)]),
    smf_bytes([chord_track(40)], midi_format=0),
]


@st.composite
def mutated_midi(draw: st.DrawFn) -> bytes:
    """A real-shaped file with bit flips, a cut, an inserted huge variable-length number, an absurd meter, or a
    tempo flood spliced in."""
    data = bytearray(draw(st.sampled_from(BASES)))
    kind = draw(st.sampled_from(["flip", "cut", "vlq", "meter", "tempo-flood", "splice"]))
    if kind == "flip":
        for position in draw(st.lists(st.integers(0, len(data) - 1), min_size=1, max_size=8)):
            data[position] ^= 1 << draw(st.integers(0, 7))
    elif kind == "cut":
        data = data[: draw(st.integers(0, len(data) - 1))]
    elif kind == "vlq":
        at = draw(st.integers(22, len(data) - 1))
        data[at:at] = b"\xff" * draw(st.integers(1, 600)) + b"\x01"
    elif kind == "meter":
        at = data.find(b"\xff\x58\x04")
        if at >= 0:
            data[at + 3 : at + 5] = bytes([draw(st.integers(0, 255)), draw(st.integers(0, 255))])
    elif kind == "tempo-flood":
        at = data.find(b"MTrk") + 8
        count = draw(st.integers(1, 50))
        flood = b"".join(b"\x00" + tempo_event(draw(st.integers(0, 2**24 - 1))) for _ in range(count))
        data[at:at] = flood
    else:
        at = draw(st.integers(14, len(data)))
        data[at:at] = draw(st.binary(max_size=64))
    return bytes(data)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=mutated_midi())
def test_fuzzed_files_read_or_are_refused_and_counts_never_undercount(data: bytes) -> None:
    """read_midi gives a song or a MidiReadError, never another exception; where music21 reads the bytes, the
    scan counted at least the notes music21 found (so a file cannot slip past the note limit)."""
    limits = ReadLimits(max_notes=60, max_events=400, max_tempo_changes=30, max_song_quarters=512)
    try:
        read_midi(data, limits=limits)
    except MidiReadError:
        pass
    try:
        counts = scan_midi(data, limits=ReadLimits(max_notes=10**6, max_events=10**6, max_tempo_changes=10**6,
                                                   max_song_quarters=2**40))
        found = music21_note_ons(data)
    except Exception:  # noqa: BLE001  (either side refusing the file is fine here)
        return
    assert counts.notes >= found



def test_one_song_length_limit_in_quarter_notes_everywhere() -> None:
    """Issue 11, failure 9: the limit was kept in steps in data.py and in quarters in the server."""
    import seq2drum.song.corpus as data_module
    import seq2drum.song.encode as song_module
    from server.config import ServerConfig

    assert not hasattr(data_module, "MAX_SONG_STEPS") and not hasattr(song_module, "MAX_SONG_STEPS")
    assert song_module.MAX_SONG_QUARTERS is MAX_SONG_QUARTERS
    assert ServerConfig().max_song_quarters == ReadLimits().max_song_quarters == MAX_SONG_QUARTERS


def test_an_unreleased_note_closed_by_a_huge_last_delta_is_a_song_too_long_not_an_overflow() -> None:
    """bench/fuzz.py case 812 (seed 1): a huge variable-length delta before a one-byte remainder ends the track for
    the pre-pass, but music21 reads it, and the note never released ended at a tick past int64 (OverflowError,
    INTERNAL on the server). Such ticks are now held just past the song-length limit, which the encoder refuses."""
    from seq2drum.config import DataConfig
    from seq2drum.song.encode import encode_song

    body = b"\x00\xc0\x1d" + b"\x00\x90\x28\x64" + b"\xff" * 600 + b"\x00" + b"\x2f"  # note on, never released
    data = smf_bytes([b"MTrk" + len(body).to_bytes(4, "big") + body])
    song = read_midi(data)
    [part] = song.parts
    assert part.notes[0, 1] <= (MAX_SONG_QUARTERS + 1) * song.ticks_per_quarter
    with pytest.raises(SongTooLongError, match="past the limit"):
        encode_song(song, DataConfig(), with_drums=False)


def _hostile(body: bytes) -> bytes:
    """issue 22's `hdr + trk(body)`: a format-1 header with one track chunk holding `body` as it is."""
    return b"MThd" + struct.pack(">IHHH", 6, 0, 1, PPQ) + b"MTrk" + struct.pack(">I", len(body)) + body


def test_a_delta_of_thousands_of_digits_is_a_song_too_long_not_a_value_error() -> None:
    """Issue 22, 1a: a 2,100-byte delta made `_too_long` print an integer of over 4,300 digits (ValueError: the
    server answered INTERNAL, the CLI a traceback, a training run stopped)."""
    data = _hostile(b"\xff" * 2100 + b"\x00\x90\x40\x40\x60\x80\x40\x00\x00\xff\x2f\x00")
    with pytest.raises(SongTooLongError, match="far past any song's end"):
        read_midi(data)


def test_a_long_run_of_continuation_bytes_is_read_in_linear_time() -> None:
    """Issue 22, 2: `hdr + trk(note + 0xFF * N)` took 16 s at N = 400,000 (the delta grew as a big integer, byte by
    byte: about 28 minutes at 4 MB). Read linearly: the delta is found by one search and never grows past its
    ceiling (a 70-bit number, not one of 28 million bits), ended or not (timings: bench/)."""
    from seq2drum.midi.scan import _VLQ_CEILING, _variable_length

    run = b"\xff" * 4_000_000
    with pytest.raises(MidiReadError, match="ends inside a delta time"):
        read_midi(_hostile(b"\x00\x90\x40\x40" + run))
    assert _variable_length(run, 0, len(run)) == (None, len(run))
    assert _variable_length(run + b"\x01", 0, len(run) + 1) == (_VLQ_CEILING, len(run) + 1)
    assert _variable_length(b"\x80" * 4_000_000 + b"\x81\x00", 0, 4_000_002) == (128, 4_000_002)


@pytest.mark.parametrize("run", [b"\x80" * 30 + b"\x01", b"\x81" + b"\x80" * 9 + b"\x00", b"\xff\x7f"])
def test_long_variable_length_numbers_keep_their_value_or_are_past_every_limit(run: bytes) -> None:
    """Leading 0x80 bytes add nothing (music21 reads them so); any other byte more than 10 from the end puts the
    number past every limit."""
    from seq2drum.midi.scan import _VLQ_CEILING, _variable_length

    value, after = _variable_length(run + b"rest", 0, len(run) + 4)
    expected = 0
    for byte in run:
        expected = (expected << 7) | (byte & 0x7F)
    assert after == len(run)
    assert value == min(expected, _VLQ_CEILING) or (expected > _VLQ_CEILING and value >= _VLQ_CEILING)


def test_control_characters_in_names_are_escaped_everywhere_they_are_shown() -> None:
    """Issue 22, 11: track names with ESC sequences were printed raw (a terminal obeyed them) and a newline in a
    name forged a whole line in the server log. Names are read with every control character escaped."""
    from seq2drum.midi.io import choose_guitar

    name = "Gtr\x1b[2J\nINFO forged line\x9b"
    # a guitar track whose name event carries the control characters
    data = smf_bytes([track_chunk([(0, meta_event(0x03, name.encode("latin-1"))), (0, b"\xc0\x1d"),
                                   (0, note_on(0, 40, 90)), (240, note_on(0, 40, 0))])])
    song = read_midi(data)
    listing = " ".join(song.part_listing()) + " ".join(choose_guitar(song).listing())
    assert not any(ord(char) < 32 or 0x7F <= ord(char) <= 0x9F for char in listing)
    assert "Gtr\\x1b[2J\\x0aINFO forged line\\x9b" in listing


@pytest.mark.parametrize(("data", "words"), [
    (b"these are my lyrics, not MIDI\n" * 4, 'it holds text ("these are my lyrics, not MIDI...")'),
    (b"verse one", 'it holds text ("verse one")'),
    (b"RIFF\x24\x08\x00\x00WAVEfmt ", "it is a WAV or other RIFF file (audio, not notes)"),
    (b"ID3\x04\x00", "it is an MP3 (audio, not notes)"),
    (b"", "the file is empty"),
    (b"\x00\x01\x02garbage", "its first bytes are not a MIDI file's ('MThd')"),
], ids=["text", "short-text", "wav", "mp3", "empty", "binary"])
def test_a_file_that_is_not_midi_is_said_in_words_never_as_a_bytes_repr(data: bytes, words: str) -> None:
    """Issue 56: the studio and the command line showed `b'this is '`; a musician reads what the file seems to be."""
    assert what_it_is(data) == words
    with pytest.raises(MidiReadError, match="is not a Standard MIDI File") as error:
        scan_midi(data, "song.mid")
    assert words in str(error.value) and "b'" not in str(error.value)


@pytest.mark.parametrize("kind, event", [("sysex", "a system-exclusive event"), ("meta", "a meta event FF 01")])
def test_an_event_longer_than_its_track_is_named_with_its_track_offset_and_length(kind: str, event: str) -> None:
    """Issue 69 N5: a sysex (or text meta event) declaring 268,435,455 bytes before 32 notes was read by music21 as
    the rest of the track, and the file was said to hold no notes ("check the track is not muted")."""
    with pytest.raises(MidiReadError) as caught:
        read_midi(overlong_event_song(kind), label="riff.mid")
    assert str(caught.value) == (
        f"riff.mid is corrupt: event 3 of track 1 ({event}, at byte {OVERLONG_OFFSET} of the file) declares "
        f"{OVERLONG_BYTES:,} bytes but only 263 follow in its track; export the file again")


class _CountedBytes(bytes):
    """Bytes that count the slices read of them: the scan reads a chunk's type and length as two slices."""

    slices = 0

    def __getitem__(self, key):  # type: ignore[no-untyped-def]
        if isinstance(key, slice):
            type(self).slices += 1
        return super().__getitem__(key)


@pytest.mark.parametrize("tracks", [1, 65535], ids=["one-track-declared", "65535-declared"])
def test_q3_a_header_and_zeros_is_refused_after_a_few_chunks_not_walked_to_its_end(tracks: int) -> None:
    """Issue 98 Q3/Q4: a MIDI header followed by megabytes of zeros is millions of empty 8-byte chunks, each walked
    in Python (60 MiB froze the studio 9 s; 200 MB took the command line 54 s). Refused once past
    MAX_EMPTY_CHUNKS, naming where they start: the work counted in chunk headers read, not the file's size."""
    from seq2drum.midi.limits import MAX_EMPTY_CHUNKS

    _CountedBytes.slices = 0
    data = _CountedBytes(b"MThd" + struct.pack(">IHHH", 6, 1, tracks, PPQ) + bytes(4 * 1024 * 1024))
    with pytest.raises(MidiReadError, match="more than 1,024 chunks that play no notes .*from byte 14, zeros"):
        scan_midi(data)
    assert _CountedBytes.slices <= 2 * MAX_EMPTY_CHUNKS + 10  # 4 MiB is 524,288 chunks


def test_q3_thousands_of_tracks_without_notes_are_refused_too() -> None:
    """65,535 empty track chunks (the most a header declares) read as a song: a second of scanning and reading for
    "holds no notes". A song's tracks without notes are a few (34 tracks at most in ../shared/data)."""
    empty = track_chunk([])
    with pytest.raises(MidiReadError, match="more than 1,024 chunks that play no notes"):
        read_midi(b"MThd" + struct.pack(">IHHH", 6, 1, 65535, PPQ) + empty * 65535)
    song = rock_song_bytes(2)  # a song with a few empty tracks and chunks that are not tracks is read as before
    header, chunks = song[:14], song[14:]
    padded = header[:10] + struct.pack(">H", struct.unpack(">H", header[10:12])[0] + 30) + header[12:]
    assert read_midi(padded + b"XFIH" + bytes(4) + chunks + empty * 30).parts
