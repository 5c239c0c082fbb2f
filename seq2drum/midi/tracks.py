"""What one track chunk of a MIDI file holds, as `midi_io` assembles songs from: each channel's notes, its program
changes, the tempo, meter and marker events, the track's name. From music21's reading of the chunk
(`track_events`), or from `midi_scan`'s pass over it when the scan is exact (`scanned_events`: the same notes, or
only their starts for a part listed without being read).
"""

from __future__ import annotations

import importlib.util
import os
import sys
import types
from collections import defaultdict, deque
from dataclasses import dataclass, field

from seq2drum.midi.limits import MAX_SONG_QUARTERS, meta_text
from seq2drum.midi.scan import TrackScan


def music21_midi() -> types.ModuleType:
    """music21's low-level MIDI layer (`music21.midi.base`: MidiFile, MidiTrack, MidiEvent, DeltaTime and the event
    enums), loaded without the rest of music21 when nothing has imported music21 yet.

    `from music21 import midi` runs music21's package __init__, which imports its streams, converters and test
    runner: 0.4-0.9 s, most of a cold `--mode infer`, where the MIDI layer and the few modules it needs (common,
    defaults, environment, exceptions21, prebase) take 0.1 s. Those are loaded under stand-ins for the two package
    modules (`music21`, `music21.midi`: a bare module with the package's path), which are removed again at once, so a
    later `import music21` runs its own __init__ and finds the same submodule objects already loaded (one MidiFile
    class either way). Once music21 is imported, or if the stand-ins cannot be made, it is the ordinary import."""
    if "music21" not in sys.modules:
        spec = importlib.util.find_spec("music21")
        if spec is not None and spec.submodule_search_locations:
            paths = list(spec.submodule_search_locations)
            stand_ins = {"music21": paths, "music21.midi": [os.path.join(path, "midi") for path in paths]}
            modules = {}
            for name, package_paths in stand_ins.items():
                modules[name] = types.ModuleType(name)
                modules[name].__path__ = package_paths
            sys.modules.update(modules)
            try:
                return importlib.import_module("music21.midi.base")
            except ImportError:
                pass  # another music21 layout: the ordinary import below
            finally:
                for name, module in modules.items():
                    if sys.modules.get(name) is module:
                        del sys.modules[name]
    from music21.midi import base

    return base


m21midi = music21_midi()


@dataclass
class TrackEvents:
    """What one track chunk holds, read by music21 or, without its notes, summarised by the scan."""

    index: int
    name: str = ""  # for display (midi_scan.meta_text)
    name_bytes: bytes = b""  # as the file holds it, for writing back
    # channel 0-15 -> start, end, pitch, velocity of each note, flat (numpy makes an array of a flat list 2x faster)
    notes: dict[int, list[int]] = field(default_factory=dict)
    note_ticks: dict[int, list[int]] = field(default_factory=dict)  # channel -> note starts, when notes is not read
    programs: dict[int, list[tuple[int, int]]] = field(default_factory=dict)  # channel -> [(tick, program)]
    markers: set[tuple[int, str]] = field(default_factory=set)
    # the tempo and meter events as the chunk holds them, in order (repeats and same-tick pairs included): the song's
    # maps are made of them, and an output writes them back, so that its maps are the input's event for event
    tempo_events: list[tuple[int, int]] = field(default_factory=list)  # (tick, microseconds per quarter)
    meter_events: list[tuple[int, int, int]] = field(default_factory=list)  # (tick, numerator, denominator)
    zero_tempo_ticks: list[int] = field(default_factory=list)  # tempo events of 0, left out (no tempo plays at 0)


def scanned_events(scan: TrackScan, with_notes: bool = False) -> TrackEvents:
    """A chunk the scan can stand for: its name, programs and note starts; `with_notes`, its notes instead (those
    `track_events` makes from music21's reading of it, in the same order)."""
    if with_notes:
        return TrackEvents(scan.index, scan.name, scan.name_bytes, notes=scan.notes, programs=scan.programs)
    return TrackEvents(scan.index, scan.name, scan.name_bytes, note_ticks=scan.note_ticks, programs=scan.programs)


def track_events(track_index: int, track: m21midi.MidiTrack, ticks_per_quarter: int) -> TrackEvents:
    """One track chunk as music21 read it. Its events are let go of afterwards: music21's events point back at their
    track, so they would otherwise wait for the cyclic garbage collector."""
    out = TrackEvents(track_index)
    beyond_limit = (MAX_SONG_QUARTERS + 1) * ticks_per_quarter
    note_on, note_off = m21midi.ChannelVoiceMessages.NOTE_ON, m21midi.ChannelVoiceMessages.NOTE_OFF
    program_change = m21midi.ChannelVoiceMessages.PROGRAM_CHANGE
    set_tempo, time_signature = m21midi.MetaEvents.SET_TEMPO, m21midi.MetaEvents.TIME_SIGNATURE
    names = (m21midi.MetaEvents.SEQUENCE_TRACK_NAME, m21midi.MetaEvents.INSTRUMENT_NAME)
    markers = (m21midi.MetaEvents.MARKER, m21midi.MetaEvents.CUE_POINT)
    delta_time = m21midi.DeltaTime
    tick = 0
    open_notes: dict[tuple[int, int], deque[tuple[int, int]]] = defaultdict(deque)
    notes: dict[int, list[int]] = defaultdict(list)
    for event in track.events:  # a few thousand a track: the common cases first, without calls
        if type(event) is delta_time:
            # past the song-length limit only what the pre-pass does not check can be (program changes,
            # markers, a track's end that closes unreleased notes): held just past it, so no tick overflows
            tick += event.time or 0
            if tick > beyond_limit:
                tick = beyond_limit
            continue
        kind = event.type
        if kind is note_on or kind is note_off:
            pitch = event.parameter1  # what music21's `pitch` and `velocity` properties return for notes
            velocity = event.parameter2
            if velocity and kind is note_on:
                open_notes[(event.channel, pitch)].append((tick, velocity))
            else:
                pending = open_notes.get((event.channel, pitch))
                if pending:
                    start, velocity = pending.popleft()
                    notes[event.channel - 1] += start, tick, pitch, velocity
        elif kind is program_change:
            out.programs.setdefault(event.channel - 1, []).append((tick, int(event.data)))
        elif kind is set_tempo and len(event.data) == 3:
            us_per_quarter = int.from_bytes(event.data, "big")
            if us_per_quarter > 0:
                out.tempo_events.append((tick, us_per_quarter))
            else:
                out.zero_tempo_ticks.append(tick)
        elif kind is time_signature and len(event.data) >= 2:
            numerator, denominator_power = event.data[0], event.data[1]
            if numerator > 0 and denominator_power <= 6:
                out.meter_events.append((tick, numerator, 2**denominator_power))
        elif kind in names and not out.name:
            out.name, out.name_bytes = meta_text(event.data), bytes(event.data)
        elif kind in markers:
            out.markers.add((tick, meta_text(event.data)))  # a DAW's "Verse", "Chorus": section starts
    for (channel, pitch), pending in open_notes.items():  # notes never released end with the track
        for start, velocity in pending:
            notes[channel - 1] += start, max(tick, start + 1), pitch, velocity
    out.notes = dict(notes)
    track.events = []
    return out
