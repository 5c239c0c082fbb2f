"""Writing a Standard MIDI File: a conductor track (tempo map, meters, markers), then one track per part.

The other half of `seq2drum.midi.io` (which reads), through the same music21 MIDI layer. Equal note messages share one
`MidiEvent`, and music21 writes each event and each delta time once (`_track_chunk`): a drum part repeats a few
messages thousands of times.
"""

from __future__ import annotations

import struct
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from seq2drum.midi.io import END, PITCH, START, VELOCITY
from seq2drum.midi.tracks import m21midi
from seq2drum.outputs import CONDUCTOR_NAME

@dataclass
class TrackSpec:
    """A track to write: notes on one channel, with an optional program change."""

    name: str | bytes  # bytes are written as they are (a read part's `written_name`); text as UTF-8
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
        event.data = text.encode("utf-8")
        conductor.append((tick, 2, event))
    conductor.sort(key=lambda item: item[:2])
    chunks = [_track_chunk(CONDUCTOR_NAME, [tick for tick, _, _ in conductor], list(range(len(conductor))),
                           {index: event for index, (_, _, event) in enumerate(conductor)})]
    chunks += [_track_chunk(spec.name, *_note_events(spec)) for spec in tracks]
    midi_file.tracks = [m21midi.MidiTrack(index) for index in range(len(chunks))]  # the header counts them
    return midi_file.writeMThdStr() + b"".join(chunks)  # what music21's writestr returns for the same events


_PROGRAM = 1 << 20  # the key of a track's program change among its note messages' keys (see `_note_events`)


def _note_events(spec: TrackSpec) -> tuple[list[int], list[int], dict[int, m21midi.MidiEvent]]:
    """A track's program change and notes in the order they are written (by tick, and at equal ticks note-offs
    before note-ons, so a repeated note is not cut by its predecessor's release), as their ticks, a key for each
    message, and one music21 event for each key: equal messages (a note-on of the same pitch and velocity, a
    note-off of the same pitch) share one, written once (a drum part repeats a few messages thousands of times)."""
    channel = spec.channel + 1  # music21 numbers channels 1-16
    events: dict[int, m21midi.MidiEvent] = {}
    notes = np.asarray(spec.notes, dtype=np.int64).reshape(-1, 4)
    n_notes = len(notes)
    ticks = np.concatenate([notes[:, START], np.maximum(notes[:, END], notes[:, START] + 1)])  # (2N,): ons, offs
    order = np.repeat([2, 1], n_notes)
    # (2N,) each message as one int: note-ons 256 * pitch + velocity, note-offs -1 - pitch (velocity 0); pitch and
    # velocity are data bytes, 0-255 (a file read by music21 may hold values past 127, written back as they are)
    messages = np.concatenate([notes[:, PITCH] * 256 + notes[:, VELOCITY], -1 - notes[:, PITCH]])
    sequence = np.lexsort((order, ticks))  # stable, so notes starting (or ending) together keep their order
    note_on, note_off = m21midi.ChannelVoiceMessages.NOTE_ON, m21midi.ChannelVoiceMessages.NOTE_OFF
    keys = messages[sequence].tolist()
    for message in dict.fromkeys(keys):
        is_on = message >= 0
        event = events[message] = m21midi.MidiEvent(type=note_on if is_on else note_off, channel=channel)
        event.parameter1, event.parameter2 = (message >> 8, message & 0xFF) if is_on else (-1 - message, 0)
    ticks_written = ticks[sequence].tolist()
    if spec.program >= 0:
        event = events[_PROGRAM] = m21midi.MidiEvent(type=m21midi.ChannelVoiceMessages.PROGRAM_CHANGE,
                                                     channel=channel)
        event.data = spec.program
        ticks_written, keys = [0, *ticks_written], [_PROGRAM, *keys]
    return ticks_written, keys, events


def _track_chunk(name: str | bytes, ticks: list[int], keys: list[int], events: dict[int, m21midi.MidiEvent]) -> bytes:
    """The MTrk chunk music21's `MidiTrack.getBytes` writes for the track name, then `events[key]` at each tick in
    the order given (each after its delta time), then the end of the track: music21 makes the bytes of each event
    and of each delta time once, and the chunk repeats them (their getBytes was most of writing a song). An event
    music21 cannot write is left out with a warning, as its getBytes does."""
    name_event = m21midi.MidiEvent(type=m21midi.MetaEvents.SEQUENCE_TRACK_NAME)
    name_event.data = name if isinstance(name, bytes) else name.encode("utf-8")
    end = m21midi.MidiEvent(type=m21midi.MetaEvents.END_OF_TRACK)
    end.data = b""
    deltas = np.diff(np.asarray(ticks, dtype=np.int64), prepend=0).tolist()  # from tick 0, where the name is
    delta_bytes = {delta: _event_bytes(m21midi.DeltaTime(time=delta)) for delta in set(deltas)}
    event_bytes = {key: _event_bytes(event) for key, event in events.items()}
    zero = _event_bytes(m21midi.DeltaTime(time=0))
    body = b"".join([zero, _event_bytes(name_event),
                     *[delta_bytes[delta] + event_bytes[key] for delta, key in zip(deltas, keys)],
                     zero, _event_bytes(end)])
    return b"MTrk" + m21midi.putNumber(len(body), 4) + body


def _event_bytes(event: m21midi.MidiEvent | m21midi.DeltaTime) -> bytes:
    try:
        return event.getBytes()
    except m21midi.MidiException as ex:
        warnings.warn(f"Conversion error for {event}: {ex}; ignored.", stacklevel=3)
        return b""
