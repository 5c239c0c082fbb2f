"""Reading a Standard MIDI File into parts (`read_midi`), and which of them is the guitar (`choose_guitar`).

Uses music21's low-level `music21.midi` layer (`MidiFile.readstr` / `writestr`): a 4-minute, 10-part file in about
0.1 s, where `music21.converter.parse` takes seconds. music21 reads only the chunks `midi_scan`'s pass cannot stand
for (tempo, meter or markers, anything it did not read exactly as music21 does); the others' notes are the scan's,
the same notes in the same order: a tenth of the time. A *part* is one (track chunk, channel) pair that holds notes,
so format-0 files and tracks that mix channels come apart into instruments. Times are absolute ticks at the file's
`ticks_per_quarter`. With `only_guitar=True` only the guitar's notes are kept; the other parts are listed from the
scan (name, channel, program, note count), with the same guitar, maps, listing and errors.
"""

from __future__ import annotations

import re
import struct
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from seq2drum.errors import MidiReadError, NoGuitarError
from seq2drum.midi.limits import (MAX_SONG_FILE_BYTES, ReadLimits, too_large_file, unplayable_tempo_notice,
                                  zero_tempo_notice)
from seq2drum.midi.scan import MidiCounts, scan_midi
from seq2drum.midi.tracks import TrackEvents, m21midi, scanned_events, track_events

DRUM_CHANNEL = 9  # 0-based: MIDI channel 10
GUITAR_PROGRAMS = range(24, 32)  # GM programs 25-32 as musicians count them (stored 0-based): nylon ... harmonics
_GUITAR_NAME = re.compile(r"guit|gtr|gitar|guitar|gitarre|guitarra|guitare", re.IGNORECASE)
_BASS_NAME = re.compile(r"bass|bajo|basse", re.IGNORECASE)
# A name that says voice, tune or keys outweighs a guitar program: old GM files play a vocal line or a piano on one.
_VOCAL_NAME = re.compile(r"vocal|voice|vox|melody|choir|piano|organ|key[sb]|rhodes|clav|harpsi|synth(?!esi)", re.I)
WHOLE_FILE_MAX_PARTS = 3  # no part marked as guitar, no drums, at most this many pitched parts: take them all
_DEFAULT_TEMPO_US = 500_000  # 120 BPM, what MIDI plays until a file's first tempo event

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
    note_count: int = -1  # len(notes) when they were read; read_midi(only_guitar=True) counts the others' notes only
    name_bytes: bytes = b""  # the track-name event's bytes (`name` is for display: decoded, controls escaped)

    def __post_init__(self) -> None:
        if self.note_count < 0:
            self.note_count = len(self.notes)

    @property
    def written_name(self) -> str | bytes:
        """The name a file written from this part carries: the file's own bytes ("" when it has no name), so a
        UTF-8 name or one holding control bytes comes back as it went in, never as its escaped display text."""
        return (self.name_bytes or self.name) if self.name else ""

    @property
    def notes_read(self) -> bool:
        """False for a part read_midi(only_guitar=True) only listed: its `notes` are empty."""
        return len(self.notes) == self.note_count

    @property
    def is_drums(self) -> bool:
        return self.channel == DRUM_CHANNEL

    @property
    def is_guitar(self) -> bool:
        """A track name that says guitar (and not bass), or a GM guitar program unless the name says bass, voice,
        melody or keys ("Piano", "Organ", "Rhodes", "Synth"; "Guitar Synth" says guitar).

        The name is evidence only when the track holds this one melodic channel: a format-0 file titled
        "Guitar Hero medley" names the song, not an instrument.
        """
        if self.is_drums:
            return False
        if not self.name_shared:
            if _BASS_NAME.search(self.name):  # "Bass Guitar", or a bass exported on a guitar patch
                return False
            if _GUITAR_NAME.search(self.name):  # "Guitar (Melody)" is still a guitar
                return True
            if _VOCAL_NAME.search(self.name):
                return False
        return self.program in GUITAR_PROGRAMS

    def describe(self) -> str:
        """Name, channel and program as musicians count them (both from 1), and the note count."""
        program = "no program" if self.program < 0 else f"program {self.program + 1}"
        kind = "drums, " if self.is_drums else ""
        return f"'{self.name or '(unnamed)'}' ({kind}channel {self.channel + 1}, {program}, {self.note_count} notes)"

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
    # the guitar `read_midi(only_guitar=True, track=...)` chose to read (None when the whole file was read), and the
    # track it was chosen by: generation takes it instead of choosing again
    guitar_choice: GuitarChoice | None = None
    guitar_track: str | int | None = None
    # the tempo and meter events as the file holds them (file order; repeats, same-tick pairs, and nothing implied
    # at tick 0): what an output writes, so a DAW reads the input's maps event for event. None for a song made in
    # code: then `tempos` and `time_signatures`
    file_tempos: list[tuple[int, int]] | None = None
    file_meters: list[tuple[int, int, int]] | None = None
    notices: list[str] = field(default_factory=list)  # what the reader left out that the user should know of

    @property
    def written_maps(self) -> tuple[list[tuple[int, int]], list[tuple[int, int, int]]]:
        """The tempo and meter events an output of this song writes (see `file_tempos`)."""
        return (self.tempos if self.file_tempos is None else self.file_tempos,
                self.time_signatures if self.file_meters is None else self.file_meters)

    @property
    def end_tick(self) -> int:
        """The last note-off of the parts whose notes were read."""
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


def read_midi(source: bytes | str | Path, limits: ReadLimits | None = None, only_guitar: bool = False,
              track: str | int | None = None, label: str | None = None) -> MidiSong:
    """Parse MIDI bytes (or a file path) into a `MidiSong`.

    Raises `MidiReadError` for unreadable, empty or note-less input, naming the problem; before music21 parses,
    `midi_scan.scan_midi` refuses a file past `limits` (`MidiLimitError`, `SongTooLongError`) or with a meter no
    song has, in one cheap pass.

    With `only_guitar`, only the parts `choose_guitar(song, track)` takes have their notes read (and the tempo
    map, meters and markers, from whichever tracks hold them); every other part is listed as the full read lists
    it (name, channel, program, `note_count`) with empty `notes` (`Part.notes_read` is False). Generation reads
    this way; pass it the same `track` that `choose_guitar` will get. Messages name the file by `label`, else by
    the path's name ("the MIDI data" for bytes): the studio names an upload as the command line names a file.
    """
    if isinstance(source, (str, Path)):
        path = Path(source)
        label = label or path.name
        try:
            if path.stat().st_size > MAX_SONG_FILE_BYTES:  # read whole, 200 MB of zeros cost 676 MB (issue 98 Q4)
                raise too_large_file(label, path.stat().st_size)
            data = path.read_bytes()
        except OSError as exc:
            raise MidiReadError(f"cannot read {path}: {exc.strerror or exc}") from exc
    else:
        data = bytes(source)
        label = label or "the MIDI data"
    if not data:
        raise MidiReadError(f"{label} is empty (0 bytes); export the part again from your DAW")
    counts = scan_midi(data, label, limits)
    if counts.plain:
        song = _read_plain(data, label, counts, only_guitar, track)
    else:  # the whole file, by music21's own file reader (which also says what is wrong with a file that is not plain)
        midi_file = m21midi.MidiFile()
        try:
            midi_file.readstr(data)
        except _READ_ERRORS as exc:
            raise MidiReadError(f"{label} is corrupt or truncated: {exc or type(exc).__name__}") from exc
        song = _song([track_events(index, track, midi_file.ticksPerQuarterNote)
                      for index, track in enumerate(midi_file.tracks)],
                     midi_file.ticksPerQuarterNote, midi_file.format)
    if not any(p.note_count for p in song.parts):
        raise MidiReadError(
            f"{label} holds no notes (only tempo, meter or controller events); export the guitar part again with its "
            "notes: check that the exported region covers them and the track is not muted"
        )
    return song


def _read_plain(data: bytes, label: str, counts: MidiCounts, only_guitar: bool, track: str | int | None) -> MidiSong:
    """A plain file: music21 reads the chunks the scan cannot stand for (tempo, meter, markers, anything not exact),
    in file order (so a corrupt chunk gives the error a whole-file read gives); the others are the scan's. With
    `only_guitar` the parts are listed and the guitar chosen first, and only its chunks' notes are taken."""
    scans = counts.track_scans
    read: dict[int, TrackEvents] = {}

    def song() -> MidiSong:
        return _song([read.get(scan.index) or scanned_events(scan) for scan in scans], counts.ticks_per_quarter,
                     counts.midi_format)

    def read_chunks(indices: list[int]) -> None:
        for index in indices:  # in file order, so a corrupt chunk gives the error a whole-file read gives
            chunk = m21midi.MidiTrack(index)
            try:
                chunk.read(data[scans[index].start : scans[index].end])
            except _READ_ERRORS as exc:
                raise MidiReadError(f"{label} is corrupt or truncated: {exc or type(exc).__name__}") from exc
            read[index] = track_events(index, chunk, counts.ticks_per_quarter)

    read_chunks([scan.index for scan in scans if scan.conductor or not scan.exact])
    if not only_guitar:
        read.update({scan.index: scanned_events(scan, with_notes=True) for scan in scans if scan.index not in read})
        return song()
    listed = song()
    try:
        choice = choose_guitar(listed, track)
    except NoGuitarError:
        return listed  # generation raises the same error, listing the same parts
    missing = sorted({part.track_index for part in choice.parts if not part.notes_read})
    if missing:  # chunks the scan stands for: the others were read above
        read.update({index: scanned_events(scans[index], with_notes=True) for index in missing})
        listed = song()  # the same parts in the same order, the guitar's notes now read
        choice = replace(choice, parts=[listed.parts[number - 1] for number in choice.numbers])
    listed.guitar_choice, listed.guitar_track = choice, track
    return listed


def _song(tracks: list[TrackEvents], ticks_per_quarter: int, midi_format: int) -> MidiSong:
    """The song from its track chunks, in file order: maps and markers from any track, one part per channel of a
    track that holds notes (read, or counted by the scan)."""
    # track by track in file order, then by tick (stable): at one tick, the file's last event is the one that plays
    file_tempos = sorted((event for track in tracks for event in track.tempo_events), key=lambda event: event[0])
    file_meters = sorted((event for track in tracks for event in track.meter_events), key=lambda event: event[0])
    tempos = {tick: us for tick, us in file_tempos}
    meters = {tick: (numerator, denominator) for tick, numerator, denominator in file_meters}
    markers: set[tuple[int, str]] = set()
    channel_programs: dict[int, list[tuple[int, int]]] = defaultdict(list)  # channel -> [(tick, program)] any track
    for track in tracks:
        markers |= track.markers
        for channel, programs in track.programs.items():
            channel_programs[channel] += programs
    parts = []
    for track in tracks:
        channels = sorted({*track.notes, *track.note_ticks})
        melodic_channels = sum(channel != DRUM_CHANNEL for channel in channels)
        for channel in channels:
            if channel in track.notes:
                array = np.array(track.notes[channel], dtype=np.int64).reshape(-1, 4)
                array = array[np.lexsort((array[:, PITCH], array[:, START]))]
                starts, note_count = array[:, START], len(array)
            else:  # listed from the scan: counted, not read
                starts = np.array(track.note_ticks[channel], dtype=np.int64)
                array, note_count = np.zeros((0, 4), dtype=np.int64), len(starts)
            program = _sounding_program(starts, track.programs.get(channel) or channel_programs.get(channel, []))
            parts.append(Part(track_index=track.index, channel=channel, name=track.name, program=program, notes=array,
                              name_shared=melodic_channels > 1, note_count=note_count, name_bytes=track.name_bytes))
    tempo_list = sorted(tempos.items())
    if not tempo_list or tempo_list[0][0] > 0:  # until a file's first tempo event, MIDI plays at 120 BPM
        tempo_list.insert(0, (0, _DEFAULT_TEMPO_US))
    meter_list = [(tick, num, den) for tick, (num, den) in sorted(meters.items())]
    if not meter_list or meter_list[0][0] > 0:
        meter_list.insert(0, (0, 4, 4))
    zero_tempos = [tick for track in tracks for tick in track.zero_tempo_ticks]  # left out: nothing plays at 0
    notices = [zero_tempo_notice(zero_tempos, ticks_per_quarter),
               unplayable_tempo_notice(tempo_list, ticks_per_quarter)]
    return MidiSong(ticks_per_quarter, tempo_list, meter_list, parts, midi_format, sorted(markers),
                    file_tempos=file_tempos, file_meters=file_meters, notices=[notice for notice in notices if notice])


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


@dataclass
class GuitarChoice:
    """The parts taken as the guitar, their numbers in `MidiSong.part_listing()`, and why they were taken."""

    parts: list[Part]
    numbers: list[int]  # 1-based, as --track takes them
    reason: str  # "track" (the user chose), "guitar" (program or name says guitar), "whole file" (a guess)
    notice: str = ""  # set when the choice is a guess the user should check

    def listing(self) -> list[str]:
        """One line per part used, as in `MidiSong.part_listing()`."""
        return [f"{number} {part.describe()}" for number, part in zip(self.numbers, self.parts)]

    def __repr__(self) -> str:
        return f"GuitarChoice({self.reason}: {'; '.join(self.listing())})"


def choose_guitar(song: MidiSong, track: str | int | None = None) -> GuitarChoice:
    """Which parts of a song are the guitar, and why.

    `track` names the parts: numbers from `song.part_listing()` (1-based) or case-insensitive pieces of track names,
    several separated by commas ("5,6", "rhythm,lead"). Without it: every part whose track name says guitar, or
    whose GM program is a guitar's (25-32) unless its name says bass, voice, melody or keys (piano, Rhodes...); merged.
    When no part is recognised, a file with one melodic part, or with no drums and at most three melodic parts
    (a guitar exported on arbitrary programs), is taken whole, with a `notice` naming the parts.
    Raises `NoGuitarError` listing the parts otherwise.
    """
    numbered = {id(part): number for number, part in enumerate(song.parts, start=1)}
    listing = song.part_listing()
    if track is not None and str(track).strip():
        parts = _parts_for_track(song, str(track).strip(), listing)
        return GuitarChoice(parts, [numbered[id(p)] for p in parts], "track")
    melodic = [p for p in song.melodic_parts if p.note_count]
    guitars = [p for p in melodic if p.is_guitar]
    if guitars:
        return GuitarChoice(guitars, [numbered[id(p)] for p in guitars], "guitar")
    if not melodic:
        raise NoGuitarError(
            "the file holds only drums (channel 10), no part to play along with; export the guitar part from your DAW "
            "(alone or with the whole arrangement) and use that file",
            listing,
        )
    has_drums = any(p.note_count for p in song.drum_parts)
    if len(melodic) == 1 or (not has_drums and len(melodic) <= WHOLE_FILE_MAX_PARTS):
        numbers = [numbered[id(p)] for p in melodic]
        choice = GuitarChoice(melodic, numbers, "whole file")
        choice.notice = (
            f"no part is marked as guitar (GM program 25-32 or a track name that says guitar), so the whole file is "
            f"taken as the guitar: {'; '.join(choice.listing())}. Pass --track (the track option) to choose parts."
        )
        return choice
    set_aside = [f"{numbered[id(p)]} '{p.name}'" for p in melodic if p.program in GUITAR_PROGRAMS]
    why = "no track named guitar, and no GM guitar program 25-32"
    if set_aside:
        why += f" except on {', '.join(set_aside)}, whose name says bass, vocal, melody or keys"
    raise NoGuitarError(
        f"no guitar part found ({why}); the parts are: {'; '.join(listing)}. Pass --track (the track option) with the "
        "numbers or names of the parts to use as the guitar, e.g. --track 2 or --track 2,3.",
        listing,
    )


def _parts_for_track(song: MidiSong, wanted: str, listing: list[str]) -> list[Part]:
    """The parts a --track value names: comma-separated part numbers or pieces of names, in listing order."""
    whole_name = [p for p in song.melodic_parts if wanted.lower() in p.name.lower()]
    if whole_name and not wanted.replace(",", "").replace(" ", "").isdigit():  # a name may hold a comma
        return whole_name
    chosen: list[Part] = []
    for item in (piece.strip() for piece in wanted.split(",")):
        if item.isdigit():  # any Unicode digit ("²", "٣"): int() reads only some, and only up to 4,300 digits
            number = int(item) if item.isascii() and len(item) <= 6 else 0
            matches = [song.parts[number - 1]] if 1 <= number <= len(song.parts) else []
            matches = [p for p in matches if not p.is_drums]
        else:
            matches = [p for p in song.melodic_parts if item and item.lower() in p.name.lower()]
        if not matches:
            shown = item if len(item) <= 40 else item[:40] + "..."
            raise NoGuitarError(
                f"--track {shown!r} matches no melodic part; the parts are: {'; '.join(listing)}. "
                "Pass --track (the track option) with part numbers or pieces of their names, e.g. --track 2,3.",
                listing,
            )
        chosen += [p for p in matches if not any(p is c for c in chosen)]
    order = {id(part): index for index, part in enumerate(song.parts)}
    return sorted(chosen, key=lambda part: order[id(part)])


def select_guitar(song: MidiSong, track: str | int | None = None) -> list[Part]:
    """The guitar part(s) of a song (see `choose_guitar`, which also says which and why)."""
    return choose_guitar(song, track).parts


def merged_notes(parts: Sequence[Part]) -> np.ndarray:
    """The notes of several parts as one (N, 4) array sorted by start_tick."""
    if not parts:
        return np.zeros((0, 4), dtype=np.int64)
    unread = [part for part in parts if not part.notes_read]
    if unread:  # a caller's mistake, not the user's: the song was read for another guitar choice
        raise ValueError(f"the notes of {unread[0]!r} were not read: read_midi(only_guitar=True) reads the guitar's "
                         "notes only; give it the same track as choose_guitar, or read the whole song")
    notes = np.concatenate([p.notes for p in parts])
    return notes[np.lexsort((notes[:, PITCH], notes[:, START]))]
