"""Writing a Standard MIDI File: a conductor track (tempo map, meters, markers), then one track per part.

The other half of `seq2drum.midi.io` (which reads), through the same music21 MIDI layer. Equal note messages share one
`MidiEvent` and equal delta times one `DeltaTime` (a drum part repeats a few messages thousands of times), and music21
turns each shared event into bytes once (`_track_bytes`).
"""

from __future__ import annotations

import struct
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from seq2drum.midi.io import END, PITCH, START, VELOCITY
from seq2drum.midi.tracks import m21midi

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
    midi_file.tracks.append(_track(0, "seq2drum conductor", sorted(conductor, key=lambda item: item[:2])))
    for index, spec in enumerate(tracks, start=1):
        midi_file.tracks.append(_track(index, spec.name, _note_events(spec)))
    return midi_file.writeMThdStr() + b"".join(map(_track_bytes, midi_file.tracks))  # what writestr returns


def _track_bytes(track: m21midi.MidiTrack) -> bytes:
    """music21's `MidiTrack.getBytes`, with each event object's bytes made once: 2 in 3 of a drum track's events
    are shared (see `_note_events`, `_track`), and their getBytes was most of writing a song."""
    made: dict[int, bytes] = {}
    chunks = []
    for event in track.events:
        data = made.get(id(event))
        if data is None:
            try:
                data = made[id(event)] = event.getBytes()
            except m21midi.MidiException as ex:  # as getBytes' caller in music21: left out, with a warning
                warnings.warn(f"Conversion error for {event}: {ex}; ignored.", stacklevel=2)
                continue
        chunks.append(data)
    body = b"".join(chunks)
    return track.headerId + m21midi.putNumber(len(body), 4) + body


def _note_events(spec: TrackSpec) -> list[tuple[int, int, m21midi.MidiEvent]]:
    """A track's program change and notes as (tick, order, event), in the order they are written: by tick, and at
    equal ticks note-offs before note-ons, so a repeated note is not cut by its predecessor's release.

    Equal messages (the same note-on pitch and velocity, the same note-off) share one event object: music21 writes
    an event from its type, channel and data alone, and building a MidiEvent for every message was the larger part
    of our Python time in writing a song."""
    channel = spec.channel + 1  # music21 numbers channels 1-16
    timed: list[tuple[int, int, m21midi.MidiEvent]] = []
    if spec.program >= 0:
        event = m21midi.MidiEvent(type=m21midi.ChannelVoiceMessages.PROGRAM_CHANGE, channel=channel)
        event.data = spec.program
        timed.append((0, 0, event))
    notes = np.asarray(spec.notes, dtype=np.int64).reshape(-1, 4)
    n_notes = len(notes)
    ticks = np.concatenate([notes[:, START], np.maximum(notes[:, END], notes[:, START] + 1)])  # (2N,): ons, offs
    order = np.repeat([2, 1], n_notes)
    # (2N,) each message as one int: note-ons 256 * pitch + velocity, note-offs -1 - pitch (velocity 0); pitch and
    # velocity are data bytes, 0-255 (a file read by music21 may hold values past 127, written back as they are)
    messages = np.concatenate([notes[:, PITCH] * 256 + notes[:, VELOCITY], -1 - notes[:, PITCH]])
    sequence = np.lexsort((order, ticks))  # stable, so notes starting (or ending) together keep their order
    shared: dict[int, m21midi.MidiEvent] = {}
    note_on, note_off = m21midi.ChannelVoiceMessages.NOTE_ON, m21midi.ChannelVoiceMessages.NOTE_OFF
    for tick, message, position in zip(ticks[sequence].tolist(), messages[sequence].tolist(), sequence.tolist()):
        event = shared.get(message)
        if event is None:
            is_on = message >= 0
            event = shared[message] = m21midi.MidiEvent(type=note_on if is_on else note_off, channel=channel)
            # pitch, velocity
            event.parameter1, event.parameter2 = (message >> 8, message & 0xFF) if is_on else (-1 - message, 0)
        timed.append((tick, 2 if position < n_notes else 1, event))
    return timed


def _track(index: int, name: str, timed: list[tuple[int, int, m21midi.MidiEvent]]) -> m21midi.MidiTrack:
    """A track of the (tick, order, event) items, in the order given, after its name. The events are not pointed back
    at the track (music21's `updateEvents`): writing does not read that, and without the cycle they are freed at
    once instead of by the garbage collector. Equal delta times share one DeltaTime, as equal messages share one
    event (see `_note_events`)."""
    track = m21midi.MidiTrack(index)
    name_event = m21midi.MidiEvent(type=m21midi.MetaEvents.SEQUENCE_TRACK_NAME)
    name_event.data = name.encode("latin-1", errors="replace")
    events: list[m21midi.MidiEvent] = [m21midi.DeltaTime(time=0), name_event]
    last_tick = 0
    delta_times: dict[int, m21midi.DeltaTime] = {}
    for tick, _, event in timed:
        delta_time = delta_times.get(tick - last_tick)
        if delta_time is None:
            delta_time = delta_times[tick - last_tick] = m21midi.DeltaTime(time=tick - last_tick)
        events.append(delta_time)
        events.append(event)
        last_tick = tick
    end = m21midi.MidiEvent(type=m21midi.MetaEvents.END_OF_TRACK)
    end.data = b""
    events += [m21midi.DeltaTime(time=0), end]
    track.events = events
    return track
