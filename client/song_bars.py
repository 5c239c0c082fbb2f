"""A MIDI file's band as a live player would send it, bar by bar: its parts, its bars (meter and tempo at each bar's
start, from the file's maps) and each bar's notes up to a lead; with `keep_drums` its channel-10 parts too, the user's
drums, sent as a live player's DAW sends them (the server hears them, they are not the band). Read with mido (the
helper's optional "live" extra): no seq2drum model code, no music21. The file first passes the offline reader's checks
and limits (seq2drum.midi.scan and seq2drum.midi.limits, standard library only: format 2, SMPTE time, notes, events,
parts, tempo and meter changes, song length, meters no song has) and its bar limit, each refused in one line; its bars
fall where generation's grid puts them (seq2drum.song.barlines), and each must be a clock a stream plays
(seq2drum.live.session), checked before connecting. Every pass after is linear in the file.
"""

from __future__ import annotations

import io
from bisect import bisect_left, bisect_right
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from seq2drum.errors import MidiReadError, SongTooLongError, escape_controls
from seq2drum.live.session import clock_problem
from seq2drum.midi.limits import ReadLimits, zero_tempo_notice
from seq2drum.midi.scan import scan_midi
from seq2drum.song.barlines import bar_spans

from .drum_client import UnreadableSongError
from .live_link import Note

DRUM_CHANNEL = 9
STEPS_PER_QUARTER = 4  # the grid generation reads songs on (DataConfig's, the shipped models'): where bars fall
ENDING_SLACK_Q = 0.125  # the last bar's drums play up to where the band's last onset fell in its bar, a 32nd after


class SongReadError(UnreadableSongError):
    """A file --simulate cannot play, in one line: what the offline reader refuses it for (exit 2)."""


@dataclass(frozen=True)
class Bar:
    index: int
    start_tick: int
    end_tick: int
    numerator: int
    denominator: int
    tempo_bpm: float  # at the bar's start


@dataclass
class SongBars:
    """The file as bars: parts (name, program, channel), notes per part (start, end, pitch, velocity), tempo map."""

    ticks_per_quarter: int
    parts: list[tuple[str, int, int]]
    notes: list[list[tuple[int, int, int, int]]]  # per part
    bars: list[Bar]
    tempos: list[tuple[int, int]]  # (tick, microseconds per quarter)
    meters: list[tuple[int, int, int]]  # (tick, numerator, denominator)
    # the tempo and meter events as the file holds them (file order, nothing implied at tick 0): what the drums'
    # file writes back, so that its maps are the song's event for event
    file_tempos: list[tuple[int, int]] = field(default_factory=list)
    file_meters: list[tuple[int, int, int]] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)  # what the reader left out (a tempo of 0), as the offline one says
    _tempo_ticks: list[int] = field(default_factory=list)
    _tempo_seconds: list[float] = field(default_factory=list)
    # every note as (start_tick, part, its place in the part), by start: a bar's notes are found by bisection
    _onsets: list[tuple[int, int, int]] = field(default_factory=list)
    _onset_ticks: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._onsets = sorted((note[0], part, place) for part, notes in enumerate(self.notes)
                              for place, note in enumerate(notes))
        self._onset_ticks = [onset[0] for onset in self._onsets]
        seconds = 0.0
        for number, (tick, _) in enumerate(self.tempos):
            if number:
                before_tick, before_tempo = self.tempos[number - 1]
                seconds += (tick - before_tick) * before_tempo / 1e6 / self.ticks_per_quarter
            self._tempo_ticks.append(tick)
            self._tempo_seconds.append(seconds)

    def seconds(self, tick: float) -> float:
        """Seconds from the file's start to `tick`, through the tempo map."""
        at = max(0, bisect_right(self._tempo_ticks, tick) - 1)
        return self._tempo_seconds[at] + (tick - self._tempo_ticks[at]) * self.tempos[at][1] / 1e6 / \
            self.ticks_per_quarter

    def is_drums(self, part: int) -> bool:
        """Whether part `part` is the user's drums (channel 10, read with keep_drums), not the band."""
        return self.parts[part][2] == DRUM_CHANNEL

    def kept_notes(self) -> list[tuple[int, int, int, int]]:
        """The user's drum notes (start, end, pitch, velocity), sorted: written as they are."""
        return sorted(note for part, notes in enumerate(self.notes) if self.is_drums(part) for note in notes)

    def end_stream(self) -> tuple[int, float]:
        """Cut the bars where the stream ends, one bar after the last one in which a band's note starts (heard before
        the lead or not: a 1/16 bar is no longer than the lead, so none of its notes is heard, and the stream ended 2
        bars into a 180-bar song, issue 69 N4), as --mode evaluate --live plays a file (seq2drum.evaluation.playback
        `band_ending`); returns that last bar's index and how far into it, in quarter notes, its drums play: where
        that note fell in its bar (ENDING_SLACK_Q more). (-1, 0.0) for a song with no band note."""
        def band(bar: Bar) -> list[Note]:
            return [note for note in self.played(bar, 0) if not self.is_drums(note.part)]

        heard = [bar.index for bar in self.bars if band(bar)]
        if not heard:
            return -1, 0.0
        del self.bars[heard[-1] + 2:]
        return heard[-1] + 1, max(note.onset for note in band(self.bars[heard[-1]]))

    def unheard(self, lead_ticks: int) -> list[int]:
        """The bars in which a band's note starts but none is heard: each starts at or after the bar's lead (a bar
        no longer than the lead hears nothing). The drummer plays through them as through the band's silence."""
        return [bar.index for bar in self.bars
                if any(not self.is_drums(note.part) for note in self.played(bar, 0))
                and not any(not self.is_drums(note.part) for note in self.played(bar, lead_ticks))]

    def played(self, bar: Bar, lead_ticks: int) -> list[Note]:
        """The notes of `bar` that start before `lead_ticks` before its end, timed from its start in quarter
        notes, a note still sounding then cut at the lead (its length so far)."""
        cut = bar.end_tick - lead_ticks
        first, past = bisect_left(self._onset_ticks, bar.start_tick), bisect_left(self._onset_ticks, cut)
        out = []
        for part, place in sorted(onset[1:] for onset in self._onsets[first:past]):  # part by part, as the file
            start, end, pitch, velocity = self.notes[part][place]
            out.append(Note((start - bar.start_tick) / self.ticks_per_quarter,
                            (min(end, cut) - start) / self.ticks_per_quarter, pitch, velocity, part))
        return out


def read_song(path: Path, from_start: bool = False, keep_drums: bool = False) -> SongBars:
    """The file's band (channel 10 left out, or with `keep_drums` read as the user's drums) as bars, from the bar where
    its first note starts, a kept drum note's too (the drums start with the band or the user's drums, as generation's
    do), or with `from_start` (the guitar alone: --guitar-only) from the file's first bar,
    to the bar after the one its last note starts in (`end_stream` cuts them where the stream ends); indices count
    from that first bar. SongReadError (one line) for a file the offline reader refuses."""
    import mido

    data = path.read_bytes()
    label = escape_controls(str(path))
    try:
        scan_midi(data, label, ReadLimits())
    except MidiReadError as exc:
        raise SongReadError(str(exc)) from None
    midi = mido.MidiFile(file=io.BytesIO(data))
    tpq = midi.ticks_per_beat
    names, notes, tempos, meters, zero_tempos = _read_tracks(midi.tracks, keep_drums)
    file_tempos = sorted(tempos, key=lambda event: event[0])  # by tick, stably: at one tick the file's last wins
    file_meters = sorted(meters, key=lambda event: event[0])
    tempos = [(0, 500_000)] * (not file_tempos or file_tempos[0][0] > 0) + file_tempos  # MIDI's 120 BPM until set
    meters = [(0, 4, 4)] * (not file_meters or file_meters[0][0] > 0) + file_meters
    last_onset = max((start for part in notes for start, _, _, _ in part), default=0)
    first = 0 if from_start else min((start for part in notes for start, _, _, _ in part), default=0)
    for part in notes:
        part.sort()
    # from the band's entry to the bar after its last note's, which hears that note: the stream ends there
    # (`end_stream`), so drums that play on through the band's pauses stop within a bar of its last note
    through_last = bar_list(tpq, meters, tempos, last_onset + 1, label)
    bars = [bar for bar in bar_list(tpq, meters, tempos, through_last[-1].end_tick + 1, label) if bar.end_tick > first]
    bars = [Bar(index, bar.start_tick, bar.end_tick, bar.numerator, bar.denominator, bar.tempo_bpm)
            for index, bar in enumerate(bars)]
    for bar in bars:  # the stream's own rule, before it connects
        problem = clock_problem(bar.numerator, bar.denominator, bar.tempo_bpm)
        if problem:
            raise SongReadError(f"{label} cannot be played live: bar {bar.index + 1} (at quarter note "
                                f"{bar.start_tick // tpq:,}) has {problem}; --mode infer, or the helper without "
                                "--simulate, makes its drums offline")
    notices = [zero_tempo_notice(zero_tempos, tpq)] if zero_tempos else []
    return SongBars(tpq, names, notes, bars, tempos, meters, file_tempos, file_meters, notices)


Parts = list[tuple[str, int, int]]
PartNotes = list[list[tuple[int, int, int, int]]]


def _read_tracks(tracks: Sequence, keep_drums: bool = False) -> tuple[Parts, PartNotes, list[tuple[int, int]],
                                                                       list[tuple[int, int, int]], list[int]]:
    """mido's tracks -> parts (name, program, channel), their notes (channel 10's only with `keep_drums`), the tempo
    and meter events, in one pass. A tempo of 0 is left out, as the offline reader leaves it out
    (seq2drum.midi.tracks), and its tick kept, for the same notice."""
    tempos: list[tuple[int, int]] = []
    zero_tempos: list[int] = []
    meters: list[tuple[int, int, int]] = []
    parts: dict[tuple[int, int], int] = {}
    names: list[tuple[str, int, int]] = []
    notes: list[list[tuple[int, int, int, int]]] = []
    for track_index, track in enumerate(tracks):
        tick, name, programs = 0, "", {}
        sounding: dict[tuple[int, int], deque[tuple[int, int]]] = {}  # oldest first: a release ends the oldest
        own_parts: list[int] = []
        for message in track:
            tick += message.time
            if message.type == "track_name":
                name = message.name
            elif message.type == "set_tempo":
                if message.tempo > 0:
                    tempos.append((tick, message.tempo))
                else:
                    zero_tempos.append(tick)
            elif message.type == "time_signature":
                meters.append((tick, message.numerator, message.denominator))
            elif message.type == "program_change":
                programs[message.channel] = message.program
            elif message.type in ("note_on", "note_off") and (message.channel != DRUM_CHANNEL or keep_drums):
                key = (track_index, message.channel)
                if key not in parts:
                    parts[key] = len(names)
                    own_parts.append(len(names))
                    names.append((name, programs.get(message.channel, -1), message.channel))
                    notes.append([])
                if message.type == "note_on" and message.velocity > 0:
                    sounding.setdefault((message.channel, message.note), deque()).append((tick, message.velocity))
                elif sounding.get((message.channel, message.note)):
                    start, velocity = sounding[(message.channel, message.note)].popleft()
                    notes[parts[key]].append((start, max(tick, start + 1), message.note, velocity))
        for index in own_parts:  # names and programs set after the notes
            part_name, program, channel = names[index]
            names[index] = (part_name or name, programs.get(channel, program), channel)
    return names, notes, tempos, meters, zero_tempos


def bar_list(tpq: int, meters: Sequence[tuple[int, int, int]], tempos: Sequence[tuple[int, int]],
             end_tick: int, label: str = "the song") -> list[Bar]:
    """Bars from tick 0 to the bar holding `end_tick`, where generation's grid puts them (seq2drum.song.barlines, the
    one rule: a meter change at its nearest 16th), each in the meter in force at its start, a bar cut short by a
    meter change as long as it lasted, in its beats. SongReadError past MAX_SONG_BARS bars and the one after (the
    offline reader's bar limit; the bar after the last note hears it)."""
    meters = list(meters)  # the map is walked once here: 10,000 changes once walked 3 times a bar took 5.1 s
    try:
        spans = bar_spans(tpq, meters, end_tick, STEPS_PER_QUARTER, label)
    except SongTooLongError as exc:
        raise SongReadError(str(exc)) from None
    ticks_per_step = tpq / STEPS_PER_QUARTER
    change_steps = {round(meter[0] / ticks_per_step) for meter in meters}
    tempo_ticks = [tempo[0] for tempo in tempos]
    bars: list[Bar] = []
    for step, n_steps, numerator, denominator in spans:
        start, end = round(step * ticks_per_step), round((step + n_steps) * ticks_per_step)  # as Grid.step_to_tick
        if step + n_steps in change_steps and n_steps < numerator * 4 * STEPS_PER_QUARTER / denominator:
            numerator = max(1, round(n_steps * denominator / (4 * STEPS_PER_QUARTER)))  # cut short: as it lasted
        tempo = tempos[max(0, bisect_right(tempo_ticks, start) - 1)][1]
        bars.append(Bar(len(bars), start, end, numerator, denominator, round(60e6 / tempo, 3)))
    return bars
