"""The only module that touches MIDI bytes: read a Standard MIDI File into parts, and write one back.

Uses music21's low-level `music21.midi` layer (`MidiFile.readstr` / `writestr`): it reads a 4-minute,
10-part file in about 0.1 s, where `music21.converter.parse` builds a full Stream and takes seconds.

A *part* is one (track chunk, channel) pair that holds notes, so format-0 files and tracks that mix channels
both come apart into instruments. Times are absolute ticks at the file's `ticks_per_quarter`.
"""

from __future__ import annotations

import re
import struct
from collections import defaultdict, deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from music21 import midi as m21midi

from .errors import MidiReadError, NoGuitarError

DRUM_CHANNEL = 9  # 0-based: MIDI channel 10
GUITAR_PROGRAMS = range(24, 32)  # GM programs (0-based): nylon ... guitar harmonics
_GUITAR_NAME = re.compile(r"guit|gtr|gitar|guitar|gitarre|guitarra|guitare", re.IGNORECASE)
_BASS_NAME = re.compile(r"bass|bajo|basse", re.IGNORECASE)
_DEFAULT_TEMPO_US = 500_000  # 120 BPM, the MIDI default when a file has no tempo event

# What music21 raises on corrupt or truncated bytes (measured by fuzzing its reader).
_READ_ERRORS = (m21midi.MidiException, IndexError, ValueError, KeyError, struct.error, OverflowError, EOFError)

# Note array columns.
START, END, PITCH, VELOCITY = range(4)


@dataclass
class Part:
    """One instrument: the notes of one channel in one track chunk."""

    track_index: int
    channel: int  # 0-15; 9 is the GM drum channel
    name: str
    program: int  # GM program 0-127 sounding for most notes, -1 when the file sets none
    notes: np.ndarray  # (N, 4) int64: start_tick, end_tick, pitch, velocity; sorted by start_tick
    name_shared: bool = False  # the track holds several melodic channels, so its name need not describe this one

    @property
    def is_drums(self) -> bool:
        return self.channel == DRUM_CHANNEL

    @property
    def is_guitar(self) -> bool:
        """GM guitar program, or a track name that says guitar (and not bass)."""
        if self.is_drums:
            return False
        if self.program in GUITAR_PROGRAMS:
            return True
        if self.name_shared:  # e.g. a format-0 file titled "Guitar Hero medley": the title is not an instrument
            return False
        return bool(_GUITAR_NAME.search(self.name)) and not _BASS_NAME.search(self.name)

    def describe(self) -> str:
        program = "no program" if self.program < 0 else f"program {self.program}"
        kind = "drums, " if self.is_drums else ""
        return f"'{self.name or '(unnamed)'}' ({kind}channel {self.channel + 1}, {program}, {len(self.notes)} notes)"

    def __repr__(self) -> str:
        return f"Part(track={self.track_index}, {self.describe()})"


@dataclass
class MidiSong:
    """What we keep of a MIDI file: its clock, tempo and meter maps, and its parts."""

    ticks_per_quarter: int
    tempos: list[tuple[int, int]]  # (tick, microseconds_per_quarter), sorted, first at tick 0
    time_signatures: list[tuple[int, int, int]]  # (tick, numerator, denominator), sorted, first at tick 0
    parts: list[Part] = field(default_factory=list)
    midi_format: int = 1
    markers: list[tuple[int, str]] = field(default_factory=list)  # (tick, text) of marker and cue-point events

    @property
    def end_tick(self) -> int:
        ends = [int(p.notes[:, END].max()) for p in self.parts if len(p.notes)]
        return max(ends, default=0)

    @property
    def drum_parts(self) -> list[Part]:
        return [p for p in self.parts if p.is_drums]

    @property
    def melodic_parts(self) -> list[Part]:
        return [p for p in self.parts if not p.is_drums]

    def part_listing(self) -> list[str]:
        """One line per part, numbered from 1 as `--track` takes them."""
        return [f"{number} {part.describe()}" for number, part in enumerate(self.parts, start=1)]

    def __repr__(self) -> str:
        return (
            f"MidiSong(format {self.midi_format}, {self.ticks_per_quarter} ticks/quarter, "
            f"{len(self.tempos)} tempos, {len(self.time_signatures)} time signatures, {len(self.parts)} parts)"
        )


def _decode_number(data: bytes) -> int:
    value = 0
    for byte in data:
        value = (value << 8) | byte
    return value


def read_midi(source: bytes | str | Path) -> MidiSong:
    """Parse MIDI bytes (or a file path) into a `MidiSong`.

    Raises `MidiReadError` for unreadable, empty or note-less input, naming the problem.
    """
    if isinstance(source, (str, Path)):
        path = Path(source)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise MidiReadError(f"cannot read {path}: {exc.strerror or exc}") from exc
        label = path.name
    else:
        data = bytes(source)
        label = "the MIDI data"
    if not data:
        raise MidiReadError(f"{label} is empty (0 bytes); export the part again from your DAW")
    if not data.startswith(b"MThd"):
        raise MidiReadError(f"{label} is not a Standard MIDI File: it does not start with 'MThd'")
    _check_chunks(data, label)
    midi_file = m21midi.MidiFile()
    try:
        midi_file.readstr(data)
    except _READ_ERRORS as exc:
        raise MidiReadError(f"{label} is corrupt or truncated: {exc or type(exc).__name__}") from exc
    song = _collect(midi_file, midi_file.ticksPerQuarterNote)
    if not any(len(p.notes) for p in song.parts):
        raise MidiReadError(f"{label} holds no notes")
    return song


def _check_chunks(data: bytes, label: str) -> None:
    """What music21 reads without complaint but wrongly: SMPTE time, format 2, a track cut short at the end."""
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
    position, tracks_seen = 8 + header_length, 0
    while position + 8 <= len(data) and tracks_seen < n_tracks:  # bytes after the declared tracks are ignored
        tracks_seen += data[position : position + 4] == b"MTrk"
        length = struct.unpack(">I", data[position + 4 : position + 8])[0]
        if position + 8 + length > len(data):
            raise MidiReadError(
                f"{label} is corrupt or truncated: a chunk at byte {position} declares {length} bytes but only "
                f"{len(data) - position - 8} follow; export the file again"
            )
        position += 8 + length


def _collect(midi_file: m21midi.MidiFile, ticks_per_quarter: int) -> MidiSong:
    tempos: dict[int, int] = {}
    meters: dict[int, tuple[int, int]] = {}
    channel_programs: dict[int, list[tuple[int, int]]] = defaultdict(list)  # channel -> [(tick, program)] any track
    raw_parts: list[tuple[int, int, str, list[tuple[int, int]], list[list[int]]]] = []
    markers: set[tuple[int, str]] = set()
    for track_index, track in enumerate(midi_file.tracks):
        tick = 0
        name = ""
        programs: dict[int, list[tuple[int, int]]] = defaultdict(list)
        open_notes: dict[tuple[int, int], deque[tuple[int, int]]] = defaultdict(deque)
        notes: dict[int, list[list[int]]] = defaultdict(list)
        for event in track.events:
            if event.isDeltaTime():
                tick += event.time or 0
                continue
            kind = event.type
            if kind == m21midi.ChannelVoiceMessages.NOTE_ON and event.velocity:
                open_notes[(event.channel, event.pitch)].append((tick, event.velocity))
            elif kind in (m21midi.ChannelVoiceMessages.NOTE_OFF, m21midi.ChannelVoiceMessages.NOTE_ON):
                pending = open_notes.get((event.channel, event.pitch))
                if pending:
                    start, velocity = pending.popleft()
                    notes[event.channel - 1].append([start, tick, event.pitch, velocity])
            elif kind == m21midi.ChannelVoiceMessages.PROGRAM_CHANGE:
                programs[event.channel - 1].append((tick, int(event.data)))
                channel_programs[event.channel - 1].append((tick, int(event.data)))
            elif kind == m21midi.MetaEvents.SET_TEMPO and len(event.data) == 3:
                us_per_quarter = _decode_number(event.data)
                if us_per_quarter > 0:
                    tempos[tick] = us_per_quarter
            elif kind == m21midi.MetaEvents.TIME_SIGNATURE and len(event.data) >= 2:
                numerator, denominator_power = event.data[0], event.data[1]
                if numerator > 0 and denominator_power <= 6:
                    meters[tick] = (numerator, 2**denominator_power)
            elif kind in (m21midi.MetaEvents.SEQUENCE_TRACK_NAME, m21midi.MetaEvents.INSTRUMENT_NAME) and not name:
                name = _text(event.data)
            elif kind in (m21midi.MetaEvents.MARKER, m21midi.MetaEvents.CUE_POINT):
                markers.add((tick, _text(event.data)))  # a DAW's "Verse", "Chorus": section starts
        for (channel, pitch), pending in open_notes.items():  # notes never released end with the track
            for start, velocity in pending:
                notes[channel - 1].append([start, max(tick, start + 1), pitch, velocity])
        for channel, channel_notes in notes.items():
            raw_parts.append((track_index, channel, name, programs.get(channel, []), channel_notes))

    melodic_channels: dict[int, int] = defaultdict(int)
    for track_index, channel, *_ in raw_parts:
        melodic_channels[track_index] += channel != DRUM_CHANNEL  # channels are 0-based here
    parts = []
    for track_index, channel, name, programs, channel_notes in sorted(raw_parts, key=lambda r: (r[0], r[1])):
        array = np.array(channel_notes, dtype=np.int64).reshape(-1, 4)
        array = array[np.lexsort((array[:, PITCH], array[:, START]))]
        program = _sounding_program(array[:, START], programs or channel_programs.get(channel, []))
        parts.append(Part(track_index=track_index, channel=channel, name=name, program=program, notes=array,
                          name_shared=melodic_channels[track_index] > 1))
    tempo_list = sorted(tempos.items())
    if not tempo_list or tempo_list[0][0] > 0:
        first = tempo_list[0][1] if tempo_list else _DEFAULT_TEMPO_US
        tempo_list.insert(0, (0, first if tempo_list else _DEFAULT_TEMPO_US))
    meter_list = [(tick, num, den) for tick, (num, den) in sorted(meters.items())]
    if not meter_list or meter_list[0][0] > 0:
        meter_list.insert(0, (0, 4, 4))
    return MidiSong(
        ticks_per_quarter=ticks_per_quarter,
        tempos=tempo_list,
        time_signatures=meter_list,
        parts=parts,
        midi_format=midi_file.format,
        markers=sorted(markers),
    )


def _text(data: bytes | str) -> str:
    if isinstance(data, str):
        return data.strip()
    return data.decode("latin-1", errors="replace").strip().strip("\x00")


def _sounding_program(note_starts: np.ndarray, programs: list[tuple[int, int]]) -> int:
    """The program in force for most of the notes (-1 when the channel never sets one)."""
    if not programs:
        return -1
    programs = sorted(programs)
    change_ticks = np.array([tick for tick, _ in programs])
    values = np.array([program for _, program in programs])
    index = np.searchsorted(change_ticks, note_starts, side="right") - 1
    # notes before the first change play the first program (DAWs often put it a tick late)
    in_force = values[np.clip(index, 0, None)]
    return int(np.bincount(in_force, minlength=128).argmax())


def select_guitar(song: MidiSong, track: str | int | None = None) -> list[Part]:
    """The guitar part(s) of a song.

    `track` picks one part: its number in `song.part_listing()` (1-based), or a case-insensitive piece of its name.
    Otherwise every guitar part (GM program 24-31 or a name that says guitar) is returned, to be merged; a file
    with exactly one melodic part gives that part (a DAW exports a lone clip without a program change).
    Raises `NoGuitarError` listing the parts when nothing fits.
    """
    listing = song.part_listing()
    if track is not None and str(track).strip():
        wanted = str(track).strip()
        if wanted.isdigit():
            number = int(wanted)
            if 1 <= number <= len(song.parts) and not song.parts[number - 1].is_drums:
                return [song.parts[number - 1]]
        else:
            named = [p for p in song.melodic_parts if wanted.lower() in p.name.lower()]
            if named:
                return named
        raise NoGuitarError(
            f"--track {wanted!r} matches no melodic part; the parts are: {'; '.join(listing)}. "
            "Pass --track (the track option) with a part number or a piece of its name.",
            listing,
        )
    melodic = [p for p in song.melodic_parts if len(p.notes)]
    guitars = [p for p in melodic if p.is_guitar]
    if guitars:
        return guitars
    if len(melodic) == 1:
        return melodic
    if not melodic:
        raise NoGuitarError("the file has only drums, no guitar part to play along with", listing)
    raise NoGuitarError(
        "no guitar part found (no GM guitar program 25-32 and no track named guitar); the parts are: "
        f"{'; '.join(listing)}. Pass --track (the track option) with the number or name of the part to use as the guitar.",
        listing,
    )


def merged_notes(parts: Sequence[Part]) -> np.ndarray:
    """The notes of several parts as one (N, 4) array sorted by start_tick."""
    if not parts:
        return np.zeros((0, 4), dtype=np.int64)
    notes = np.concatenate([p.notes for p in parts])
    return notes[np.lexsort((notes[:, PITCH], notes[:, START]))]


# ---------------------------------------------------------------------------------------------- writing


@dataclass
class TrackSpec:
    """A track to write: notes on one channel, with an optional program change."""

    name: str
    channel: int  # 0-15
    notes: np.ndarray  # (N, 4) int64: start_tick, end_tick, pitch, velocity
    program: int = -1  # -1 = no program change (always so for drums)


def write_midi(
    ticks_per_quarter: int,
    tempos: Sequence[tuple[int, int]],
    time_signatures: Sequence[tuple[int, int, int]],
    tracks: Sequence[TrackSpec],
    markers: Sequence[tuple[int, str]] = (),
) -> bytes:
    """A type-1 Standard MIDI File: a conductor track with the tempo and meter maps (and `markers`, (tick, text)
    marker events a DAW shows on its timeline), then one track per spec."""
    midi_file = m21midi.MidiFile()
    midi_file.format = 1
    midi_file.ticksPerQuarterNote = ticks_per_quarter
    conductor: list[tuple[int, int, m21midi.MidiEvent]] = []
    for tick, numerator, denominator in time_signatures:
        event = m21midi.MidiEvent(type=m21midi.MetaEvents.TIME_SIGNATURE)
        event.data = bytes([numerator, denominator.bit_length() - 1, 24, 8])
        conductor.append((tick, 0, event))
    for tick, us_per_quarter in tempos:
        event = m21midi.MidiEvent(type=m21midi.MetaEvents.SET_TEMPO)
        event.data = struct.pack(">I", us_per_quarter)[1:]
        conductor.append((tick, 1, event))
    for tick, text in markers:
        event = m21midi.MidiEvent(type=m21midi.MetaEvents.MARKER)
        event.data = text.encode("latin-1", errors="replace")
        conductor.append((tick, 2, event))
    midi_file.tracks.append(_track(0, "seq2drum conductor", conductor))
    for index, spec in enumerate(tracks, start=1):
        timed: list[tuple[int, int, m21midi.MidiEvent]] = []
        channel = spec.channel + 1  # music21 numbers channels 1-16
        if spec.program >= 0:
            event = m21midi.MidiEvent(type=m21midi.ChannelVoiceMessages.PROGRAM_CHANGE, channel=channel)
            event.data = spec.program
            timed.append((0, 0, event))
        for start, end, pitch, velocity in spec.notes.tolist():
            on = m21midi.MidiEvent(type=m21midi.ChannelVoiceMessages.NOTE_ON, channel=channel)
            on.pitch, on.velocity = int(pitch), int(velocity)
            off = m21midi.MidiEvent(type=m21midi.ChannelVoiceMessages.NOTE_OFF, channel=channel)
            off.pitch, off.velocity = int(pitch), 0
            # at equal ticks, note-offs go first so a repeated note is not cut by its predecessor's release
            timed.append((int(start), 2, on))
            timed.append((int(max(end, start + 1)), 1, off))
        midi_file.tracks.append(_track(index, spec.name, timed))
    return midi_file.writestr()


def _track(index: int, name: str, timed: list[tuple[int, int, m21midi.MidiEvent]]) -> m21midi.MidiTrack:
    track = m21midi.MidiTrack(index)
    name_event = m21midi.MidiEvent(type=m21midi.MetaEvents.SEQUENCE_TRACK_NAME)
    name_event.data = name.encode("latin-1", errors="replace")
    events: list[m21midi.MidiEvent] = [m21midi.DeltaTime(track, time=0), name_event]
    last_tick = 0
    for tick, _, event in sorted(timed, key=lambda item: (item[0], item[1])):
        events.append(m21midi.DeltaTime(track, time=tick - last_tick))
        events.append(event)
        last_tick = tick
    end = m21midi.MidiEvent(type=m21midi.MetaEvents.END_OF_TRACK)
    end.data = b""
    events += [m21midi.DeltaTime(track, time=0), end]
    track.events = events
    track.updateEvents()
    return track
