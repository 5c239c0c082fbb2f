"""A cheap first pass over Standard MIDI File bytes: structure, counts and limits, before music21 parses them.

music21's reader copies the rest of a track for every event it reads, so its cost grows with the square of a
track's length (100,000 notes in one track: 16 s; 200,000: over a minute). `scan_midi` walks the same bytes once,
decoding events the way music21 does (running status, its default of note-on when a track starts without one, the
events it skips), counts notes, events and tempo and meter changes, and refuses a file past `ReadLimits` (or with
a meter no song has, or an event far past any song's end) before the expensive parse starts.

On the way it notes what each track chunk holds (`TrackScan`: its name, its channels' notes and program changes,
whether it carries tempo, meter or markers), so `midi_io.read_midi` can list the parts and choose the guitar before
music21 reads anything, and have music21 read only the chunks the scan cannot stand for (tempo, meter, markers,
anything not exact): a 10-part song's notes cost 80 ms through music21's events, a few here.
"""

from __future__ import annotations

import re
import struct
from collections import deque
from dataclasses import dataclass, field

from seq2drum.errors import MidiLimitError, MidiReadError, SongTooLongError
from seq2drum.midi.limits import (MAX_BAR_QUARTERS, MAX_EMPTY_CHUNKS, MAX_METER_DENOMINATOR_POWER, MAX_METER_NUMERATOR,
                                  MAX_SONG_QUARTERS, UNCOUNTED, ReadLimits, meta_text, meter_problem,
                                  too_many_empty_chunks, what_it_is)

_NOTE_OFF, _NOTE_ON, _PROGRAM_CHANGE, _CHANNEL_PRESSURE = 0x80, 0x90, 0xC0, 0xD0
_META, _SET_TEMPO, _TIME_SIGNATURE = 0xFF, 0x51, 0x58
_TRACK_NAME, _INSTRUMENT_NAME, _MARKER, _CUE_POINT = 0x03, 0x04, 0x06, 0x07
# past this tick `midi_io` holds a track's clock (so no tick overflows); a summary that reaches it is not trusted
_HELD_QUARTERS = MAX_SONG_QUARTERS + 1
_MAX_EXACT_VLQ_BYTES = 4  # the standard's longest variable-length number; music21 reads up to 999 bytes, then raises
# A variable-length number is read as at most this value: past it, it is past every limit anyway. Reading every
# byte of a long one made the scan quadratic (400,000 bytes of 0xFF: 16 s of big-integer shifts) and its value too
# long to print (over 4,300 digits: ValueError).
_VLQ_CEILING = 1 << 70
_VLQ_LAST_BYTE = re.compile(rb"[\x00-\x7f]")  # the byte that ends a variable-length number


@dataclass
class TrackScan:
    """One track chunk as the scan saw it: enough to list its parts and choose the guitar without music21.

    `exact` is False when the chunk holds anything music21 might read otherwise than this scan (an event cut
    short, a skipped or unknown event, running status with no status before it, an over-long number ...): such a
    chunk is always read by music21, so its summary is never used."""

    index: int  # 0-based, as music21 numbers tracks
    start: int  # byte offset of the chunk ("MTrk") in the file
    end: int  # one past its last byte
    name: str = ""  # the first non-empty track-name or instrument-name event, as midi_io reads it
    name_bytes: bytes = b""  # that event's bytes, as the file holds them
    # channel 0-15 -> ticks of its note-ons with a velocity
    note_ticks: dict[int, list[int]] = field(default_factory=dict)
    # channel 0-15 -> start_tick, end_tick, pitch, velocity of each note, flat, in the order `midi_tracks.track_events`
    # makes them from music21's reading (each release in turn, then the notes never released, ended with the track);
    # exact chunks only
    notes: dict[int, list[int]] = field(default_factory=dict)
    programs: dict[int, list[tuple[int, int]]] = field(default_factory=dict)  # channel -> [(tick, program)]
    conductor: bool = False  # holds tempo, meter, marker or cue-point events
    exact: bool = True

    def __repr__(self) -> str:
        notes = sum(map(len, self.note_ticks.values()))
        return (f"TrackScan({self.index}, {self.name!r}, {notes} notes on channels {sorted(self.note_ticks)}"
                f"{', conductor' if self.conductor else ''}{'' if self.exact else ', not exact'})")


@dataclass
class MidiCounts:
    """What the scan saw."""

    midi_format: int
    ticks_per_quarter: int
    tracks: int = 0
    notes: int = 0
    events: int = 0
    tempo_events: int = 0
    time_signature_events: int = 0
    last_tick: int = 0  # of the last note, tempo or meter event (what the song's grid spans), any track
    track_scans: list[TrackScan] = field(default_factory=list)
    parts: int = 0  # (track, channel) pairs that play notes
    other_chunks: int = 0  # chunks that are not tracks, skipped as SMF 1.0 says
    plain: bool = False  # a header of 6 bytes or more, format 0 or 1, and every declared track as an MTrk chunk


def scan_midi(data: bytes, label: str = "the MIDI data", limits: ReadLimits | None = None) -> MidiCounts:
    """Check the file's structure and count what it holds, in one linear pass. Raises `MidiReadError` naming the
    problem: not a MIDI file, SMPTE time, format 2, a chunk cut short, more than `MAX_EMPTY_CHUNKS` chunks that play no
    notes (a header followed by zeros), a meter no song has; `MidiLimitError` past a limit; `SongTooLongError` for
    an event past `limits.max_song_quarters`."""
    limits = limits or ReadLimits()
    if not data.startswith(b"MThd"):
        raise MidiReadError(
            f"{label} is not a Standard MIDI File: {what_it_is(data)}; "
            "export the part from your DAW as a MIDI file (.mid): renaming another file does not convert it"
        )
    if len(data) < 14:
        raise MidiReadError(f"{label} is corrupt or truncated: its header needs 14 bytes, the file has {len(data)}")
    header_length, midi_format, n_tracks, division = struct.unpack(">IHHH", data[4:14])
    if midi_format == 2:
        raise MidiReadError(f"{label} is a format-2 MIDI file (independent patterns); export it as format 0 or 1")
    if division & 0x8000:
        raise MidiReadError(
            f"{label} uses SMPTE time (frames per second and ticks per frame), not ticks per quarter note; "
            "re-export it with musical time"
        )
    if division == 0:
        raise MidiReadError(f"{label} is corrupt: it declares 0 ticks per quarter note")
    counts = _Counter(label, limits, MidiCounts(midi_format, division))
    position, tracks_seen, other_chunks = 8 + header_length, 0, 0
    empty_chunks, first_empty = 0, 0  # chunks that play no notes (not tracks, or tracks without notes)
    while position + 8 <= len(data) and tracks_seen < n_tracks:  # bytes after the declared tracks are ignored
        is_track = data[position : position + 4] == b"MTrk"
        length = struct.unpack(">I", data[position + 4 : position + 8])[0]
        if position + 8 + length > len(data):
            raise MidiReadError(
                f"{label} is corrupt or truncated: a chunk at byte {position} declares {length} bytes but only "
                f"{len(data) - position - 8} follow; export the file again"
            )
        if is_track:
            scan = TrackScan(tracks_seen, position, position + 8 + length)
            counts.track(data, position + 8, position + 8 + length, tracks_seen + 1, scan)
            counts.result.track_scans.append(scan)
            counts.result.parts += len(scan.note_ticks)
            if counts.result.parts > counts.limits.max_parts:  # each part costs the reader and generation some work
                raise counts.too_many_parts()
            tracks_seen += 1
            plays = bool(scan.note_ticks)
        else:
            other_chunks += 1
            plays = False
        if not plays:
            empty_chunks += 1
            first_empty = first_empty or position
            if empty_chunks > MAX_EMPTY_CHUNKS:  # a header followed by zeros: millions of empty chunks
                raise too_many_empty_chunks(label, first_empty, data[position : position + 8] == bytes(8))
        position += 8 + length
    counts.result.tracks = tracks_seen
    counts.result.other_chunks = other_chunks
    # read chunk by chunk from the scan's offsets (music21's whole-file reader raises on a header longer than 6 bytes
    # and on a chunk that is not a track, which SMF 1.0 tells a reader to skip)
    counts.result.plain = header_length >= 6 and midi_format in (0, 1) and tracks_seen == n_tracks
    return counts.result


def limits_with(limits: ReadLimits, take_bytes: bytes) -> ReadLimits:
    """`limits` plus all `take_bytes` (a take made for a song read within `limits`) holds: the song with its drums (a
    --merge take, the studio's song.mid and mix) is read and rendered whenever the song was (issue 69 N7, 89 P3)."""
    counts = scan_midi(take_bytes, label="the take", limits=UNCOUNTED)
    return ReadLimits(limits.max_notes + counts.notes, limits.max_events + counts.events,
                      limits.max_tempo_changes + counts.tempo_events,
                      limits.max_time_signature_changes + counts.time_signature_events, limits.max_song_quarters)


def _variable_length(data: bytes, position: int, end: int) -> tuple[int | None, int]:
    """The variable-length number at `position` (7 bits a byte, any number of bytes) and the position after it;
    None when the track ends inside it. Linear in its length (the search runs in C), and capped at `_VLQ_CEILING`:
    only its last 10 bytes are read as bits; a nonzero byte before them puts it past the ceiling."""
    found = _VLQ_LAST_BYTE.search(data, position, end)
    if found is None:
        return None, end
    last = found.start()
    tail = max(position, last - 9)
    if data.count(b"\x80", position, tail) != tail - position:  # leading 0x80 bytes add nothing, others do
        return _VLQ_CEILING, last + 1
    value = 0
    for byte in data[tail : last + 1]:
        value = (value << 7) | (byte & 0x7F)
    return value, last + 1


class _Counter:
    """Walks track chunks event by event as music21's `MidiTrack.processDataToEvents` does, counting."""

    def __init__(self, label: str, limits: ReadLimits, result: MidiCounts) -> None:
        self.label = label
        self.limits = limits
        self.result = result
        self.max_tick = limits.max_song_quarters * result.ticks_per_quarter

    def track(self, data: bytes, position: int, end: int, number: int, scan: TrackScan) -> None:
        # The loop runs once per event of every track (10,000-40,000 in a song), so what it reads on every event is
        # kept in locals and the common cases (a one-byte delta time, a note) come first, with no calls.
        result, limits = self.result, self.limits
        held_tick = _HELD_QUARTERS * result.ticks_per_quarter
        max_tick, last_tick = self.max_tick, result.last_tick
        notes, max_notes = result.notes, limits.max_notes
        events, max_events = result.events, limits.max_events
        first_event = events  # the events of the tracks before this one
        tick = 0
        running: int | None = None  # the status byte of the last event read, as music21 keeps it
        exact = True  # see TrackScan
        note_ticks: dict[int, list[int]] = {}  # by status byte (note-on and channel): one lookup a note
        # (channel << 8 | pitch) -> (start_tick, velocity) sounding, oldest first: a release ends the oldest
        sounding: dict[int, deque[tuple[int, int]]] = {}
        released: dict[int, list[int]] = {}  # channel -> notes (4 ints each), as music21's reading gives them
        trailing = 0  # a delta time with no event after it: music21 keeps it, so the unreleased notes end after it
        while position < end:
            delta = data[position]
            if delta < 0x80:
                position += 1
            elif position + 1 < end and data[position + 1] < 0x80:  # two bytes (up to 16,383 ticks): inline
                delta = (delta & 0x7F) << 7 | data[position + 1]
                position += 2
            else:  # a variable-length delta time, 7 bits a byte; music21 takes any number of bytes
                delta, after = _variable_length(data, position, end)
                if delta is None:
                    raise MidiReadError(
                        f"{self.label} is corrupt or truncated: track {number} ends inside a delta time")
                exact = exact and after - position <= _MAX_EXACT_VLQ_BYTES
                position = after
            if end - position < 2:  # music21 ends the track at a one-byte remainder
                exact = exact and position == end
                trailing = delta
                break
            tick += delta
            status = data[position]
            if status < 0x80:  # running status: the event's bytes start with its first data byte
                exact = exact and running is not None and running < 0xF0
                status = 0x90 if running is None else running
                start = position
            else:
                start = position + 1
            kind = status & 0xF0
            if 0x80 <= kind <= 0xE0:
                if kind == _PROGRAM_CHANGE or kind == _CHANNEL_PRESSURE:
                    if data[start] > 127:  # music21 skips the event and reads a delta time from its status byte
                        tick -= delta
                        exact = False
                        continue
                    position = start + 1
                    if kind == _PROGRAM_CHANGE:
                        scan.programs.setdefault(status & 0x0F, []).append((tick, data[start]))
                else:
                    position = start + 2
                    if position > end:  # cut short by the track's end (start + 1 == end: no velocity byte)
                        exact = False
                        velocity = 0
                        position = end
                    else:
                        velocity = data[start + 1]
                        if data[start] > 127 or velocity > 127:  # a data byte music21 takes as it is
                            exact = False
                    if kind == _NOTE_ON and velocity:
                        notes += 1
                        if notes > max_notes:
                            raise self._past("notes", max_notes, "split the song or leave out parts")
                        starts = note_ticks.get(status)
                        if starts is None:
                            starts = note_ticks[status] = []
                        starts.append(tick)
                        key = (status & 0x0F) << 8 | data[start]
                        held = sounding.get(key)
                        if held is None:
                            sounding[key] = deque(((tick, velocity),))
                        else:
                            held.append((tick, velocity))
                    elif kind == _NOTE_OFF or kind == _NOTE_ON:  # a release (note-off, or note-on at velocity 0)
                        held = sounding.get((status & 0x0F) << 8 | data[start])
                        if held:
                            begin, velocity = held.popleft()
                            channel_notes = released.get(status & 0x0F)
                            if channel_notes is None:
                                channel_notes = released[status & 0x0F] = []
                            channel_notes += begin, tick, data[start], velocity
                    if kind <= _NOTE_ON and tick > last_tick:  # _at, inline (last_tick <= max_tick)
                        if tick > max_tick:
                            raise self._too_long(tick, number)
                        last_tick = tick
                running = status
            elif status == _META:
                meta_type = data[position + 1]
                length_start, event_at = position + 2, position
                length, position = self._length(data, position + 2, end, number)
                if position + length > end:  # music21 takes the rest of the track as its data: the notes vanish
                    raise self._cut_short(f"meta event FF {meta_type:02X}", number, events - first_event + 1,
                                          event_at, length, end - position)
                if position - length_start > _MAX_EXACT_VLQ_BYTES:
                    exact = False
                payload = data[position : position + length]
                position += length
                if meta_type == _SET_TEMPO:
                    last_tick = self._at(tick, number, last_tick)
                    scan.conductor = True
                    result.tempo_events += 1
                    if result.tempo_events > limits.max_tempo_changes:
                        raise self._past("tempo changes", limits.max_tempo_changes, "thin out the tempo map")
                elif meta_type == _TIME_SIGNATURE:
                    last_tick = self._at(tick, number, last_tick)
                    scan.conductor = True
                    result.time_signature_events += 1
                    if result.time_signature_events > limits.max_time_signature_changes:
                        raise self._past("time-signature changes", limits.max_time_signature_changes,
                                         "thin out the meter map")
                    self._check_meter(payload, tick, number)
                elif meta_type in (_MARKER, _CUE_POINT):
                    scan.conductor = True
                elif meta_type in (_TRACK_NAME, _INSTRUMENT_NAME) and not scan.name:
                    scan.name, scan.name_bytes = meta_text(payload), bytes(payload)
            elif status in (0xF0, 0xF7):  # system exclusive
                length_start = start
                length, position = self._length(data, start, end, number)
                if position + length > end:
                    raise self._cut_short("system-exclusive event", number, events - first_event + 1, start - 1,
                                          length, end - position)
                if position - length_start > _MAX_EXACT_VLQ_BYTES:
                    exact = False
                position += length
                running = status
            else:  # F1-FE: music21 skips the event and reads a delta time from its status byte
                tick -= delta
                exact = False
                continue
            events += 1
            if events > max_events:
                raise self._past("events", max_events, "leave out controller data or parts")
        result.notes, result.events, result.last_tick = notes, events, last_tick
        scan.exact = exact and tick <= held_tick
        scan.note_ticks = {status & 0x0F: starts for status, starts in note_ticks.items()}
        if scan.exact:  # as `track_events`: the clock held past the song-length limit, a note at least one tick long
            last = min(tick + trailing, held_tick)
            for key, held in sounding.items():
                for begin, velocity in held:
                    released.setdefault(key >> 8, []).extend((begin, max(last, begin + 1), key & 0xFF, velocity))
            scan.notes = released

    def _at(self, tick: int, number: int, last_tick: int) -> int:
        """The last tick after a note, tempo or meter event at `tick`: these set the song's length (an end-of-track
        far out does not)."""
        if tick > self.max_tick:
            raise self._too_long(tick, number)
        return max(tick, last_tick)

    def _length(self, data: bytes, position: int, end: int, number: int) -> tuple[int, int]:
        value, position = _variable_length(data, position, end)
        if value is None:
            raise MidiReadError(f"{self.label} is corrupt or truncated: track {number} ends inside an event length")
        return value, position

    def _check_meter(self, payload: bytes, tick: int, number: int) -> None:
        if len(payload) < 2:
            return  # music21 reads it and _collect ignores it: no meter change
        numerator, power = payload[0], payload[1]
        where = f"at quarter note {tick // self.result.ticks_per_quarter} of track {number}"
        if power > MAX_METER_DENOMINATOR_POWER:
            raise MidiReadError(
                f"{self.label} has a time signature {numerator}/2^{power} {where}: the denominator is past "
                f"{2 ** MAX_METER_DENOMINATOR_POWER}; fix the meter in your DAW and export again"
            )
        denominator = 2**power
        if meter_problem(numerator, denominator):
            raise MidiReadError(
                f"{self.label} has a time signature {numerator}/{denominator} {where}, which no song has "
                f"(1-{MAX_METER_NUMERATOR} beats, at most {MAX_BAR_QUARTERS} quarter notes to the bar); "
                "fix the meter in your DAW and export again"
            )

    def _cut_short(self, what: str, number: int, event: int, offset: int, length: int, left: int) -> MidiReadError:
        """An event whose declared length runs past its track's end: music21 would read the rest of the track as
        its data, and every note after it would vanish (the file then "holds no notes")."""
        declared = f"{length:,} bytes" if length < _VLQ_CEILING else "a length far past any file's size"
        return MidiReadError(
            f"{self.label} is corrupt: event {event:,} of track {number} (a {what}, at byte {offset:,} of the file) "
            f"declares {declared} but only {left:,} follow in its track; export the file again")

    def too_many_parts(self) -> MidiLimitError:
        return self._past("parts (a part: one channel of one track that plays notes)", self.limits.max_parts,
                          "merge tracks, or export only the guitar and the parts the drums should hear")

    def _past(self, what: str, limit: int, advice: str) -> MidiLimitError:
        return MidiLimitError(f"{self.label} holds more than {limit:,} {what}, the most this reader takes; {advice}")

    def _too_long(self, tick: int, number: int) -> SongTooLongError:
        quarters = tick // self.result.ticks_per_quarter
        limit = self.limits.max_song_quarters
        # a time past the ceiling is a corrupt number (its digits would not even print): say so instead
        where = f"quarter note {quarters:,}" if tick < _VLQ_CEILING else "a time far past any song's end"
        return SongTooLongError(
            f"{self.label} has a note, tempo or meter event at {where} (track {number}); songs are "
            f"limited to {limit:,} quarter notes ({limit // 4:,} bars of 4/4): split it into shorter sections, or "
            "look for a stray event far past the end"
        )
