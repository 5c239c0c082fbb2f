"""What the page is shown of a song and of a take, and the files the page downloads and plays that are made from
them: the song with a take's drums, and the drums alone.

A song's parts are listed as the command line lists them (numbered as --track takes them), each with its role in the
band (seq2drum.midi.roles) and whether it is taken as the guitar (`choose_guitar`, as generation takes it when no
track is named). Notes go to the page in seconds through the file's tempo map, bars as their start times, so the
piano roll is drawn as the music is heard.
"""

from __future__ import annotations

import re
import struct
from pathlib import Path
from typing import Any

import numpy as np

from seq2drum.errors import MidiReadError, NoGuitarError, escape_controls
from seq2drum.generation.audio import CHANNELS, MAX_RELEASE_S, SAMPLE_RATE_HZ, SAMPLE_WIDTH_BYTES, tick_seconds
from seq2drum.midi.drums import DRUM_CLASSES, PITCH_TO_CLASS
from seq2drum.midi.io import END, PITCH, START, VELOCITY, MidiSong, Part, choose_guitar, read_midi
from seq2drum.midi.kit import KitMap
from seq2drum.midi.limits import UNCOUNTED, ReadLimits
from seq2drum.midi.roles import parts_by_role
from seq2drum.midi.scan import limits_with, scan_midi
from seq2drum.midi.write import TrackSpec, write_midi
from seq2drum.song.grid import Grid

from .choices import song_meters

MAX_LABEL_CHARS = 80
DRUM_LANES = (*DRUM_CLASSES, "other")  # the piano roll's drum rows: one per drum class, then keys outside them
_STEPS_PER_QUARTER = 4
WAV_HEADER_BYTES = 44


def upload_label(name: str) -> str:
    """How an upload is named on the page and in its messages: the file's own name (a browser sends no folders;
    anything before a slash is dropped all the same), control characters escaped, at most 80 characters."""
    label = escape_controls(re.split(r"[\\/]", name or "")[-1].strip())
    if len(label) > MAX_LABEL_CHARS:
        label = label[: MAX_LABEL_CHARS - 3] + "..."
    return label or "the upload"


def read_song(data: bytes, label: str, limits: ReadLimits) -> MidiSong:
    """Every part of an uploaded song, within the limits; `MidiReadError` worded as the command line words it for a
    file of that name."""
    return read_midi(data, limits=limits, label=label)


def read_upload(data: bytes, label: str, limits: ReadLimits) -> tuple[bytes, dict[str, Any]]:
    """An upload as it is kept (`tracks_only`) and its view, read within `limits`: the whole of an upload's reading,
    run off the studio's event loop."""
    kept = tracks_only(data)
    return kept, song_view(read_song(kept, label, limits))


def has_drums(data: bytes, limits: ReadLimits) -> bool:
    """Whether an uploaded song holds drum notes (channel 10): only then has it a drummer's arrangement to read."""
    return any(part.note_count for part in read_midi(data, limits=limits).drum_parts)


def tracks_only(data: bytes) -> bytes:
    """An upload as far as its declared tracks go: the bytes after them are never read (seq2drum.midi.scan), so
    they are not kept either (a valid song with 60 MiB of padding is the song). A file the scan refuses is
    returned as it is, for the reader to say what is wrong with it."""
    try:
        counts = scan_midi(data, limits=UNCOUNTED)
    except MidiReadError:
        return data
    if not counts.track_scans or counts.tracks != struct.unpack(">H", data[10:12])[0]:
        return data
    return data[: counts.track_scans[-1].end]


def _seconds(ticks: np.ndarray, song: MidiSong) -> np.ndarray:
    return np.round(tick_seconds(ticks, song.tempos, song.ticks_per_quarter), 4)


def bar_starts(song: MidiSong) -> list[float]:
    """The start of every bar in seconds, and the end of the last, through the song's meter and tempo maps."""
    end_tick = max((int(part.notes[:, END].max()) for part in song.parts if len(part.notes)), default=0)
    grid = Grid.build(song.ticks_per_quarter, song.time_signatures, song.tempos, end_tick, _STEPS_PER_QUARTER)
    starts = np.append(grid.bars[:, 0], grid.bars[-1, 0] + grid.bars[-1, 1]) * grid.ticks_per_step
    return [float(s) for s in _seconds(starts, song)]


def drum_hits(parts: list[Part], song: MidiSong, kit: KitMap | None = None) -> list[list[float]]:
    """[start_s, lane, velocity] of every note of drum parts (lane: index into DRUM_LANES); `kit`: the map the notes
    were written with, so a closed hat on Addictive Drums' 49 is drawn as a closed hat, not as GM 49's crash."""
    hits = []
    for part in parts:
        pitches = (kit or KitMap.gm()).to_gm(part.notes)[:, PITCH]
        lanes = np.full(len(part.notes), len(DRUM_LANES) - 1)
        known = (pitches >= 0) & (pitches < len(PITCH_TO_CLASS))  # a broken file's 170 too
        lanes[known] = np.where(PITCH_TO_CLASS[pitches[known]] >= 0, PITCH_TO_CLASS[pitches[known]],
                                len(DRUM_LANES) - 1)
        starts = _seconds(part.notes[:, START], song)
        hits += [[float(s), int(lane), int(v)] for s, lane, v in zip(starts, lanes, part.notes[:, VELOCITY])]
    return sorted(hits)


def song_view(song: MidiSong) -> dict[str, Any]:
    """The page's view of an uploaded song: its parts with their roles and the guitar, notes for the piano roll
    ([start_s, end_s, pitch, part index]), its own drums, bar starts, and its meters (most played first: the page
    lists the styles of the first)."""
    try:
        choice = choose_guitar(song)
        guitar, guitar_problem, notice = choice.parts, "", choice.notice or ""
    except NoGuitarError as exc:  # the band can still be heard: generation says whether the model needs a guitar
        guitar, guitar_problem, notice = [], str(exc), ""
    role_of = {id(part): role for role, parts in parts_by_role(song, guitar).items() for part in parts}
    guitar_ids = {id(part) for part in guitar}
    parts, notes = [], []
    for index, part in enumerate(song.parts):
        role = "drums" if part.is_drums else role_of.get(id(part), "other")
        parts.append({"number": index + 1, "name": part.name or "(unnamed)", "role": role,
                      "channel": part.channel + 1, "program": part.program + 1 if part.program >= 0 else None,
                      "notes": part.note_count, "guitar": id(part) in guitar_ids,
                      "listing": f"{index + 1} {part.describe()}"})
        if not part.is_drums and len(part.notes):
            times = _seconds(part.notes[:, [START, END]], song)
            notes += [[float(a), float(b), int(p), index] for (a, b), p in zip(times, part.notes[:, PITCH])]
    return {"parts": parts, "notes": notes, "drums": drum_hits(song.drum_parts, song), "bars": bar_starts(song),
            "guitar_problem": guitar_problem, "notice": notice, "lanes": list(DRUM_LANES),
            "meters": song_meters(song, guitar)}


def take_view(take: MidiSong, kit_map: str | None = None) -> dict[str, Any]:
    """The page's view of one take's drum file (written with `kit_map`): its hits in the 9 classes and its bars
    (drums from nothing have no song of their own, so the bars come from the take, which holds the song's maps
    event for event)."""
    kit = KitMap.from_json(kit_map) if kit_map else None
    return {"drums": drum_hits(take.drum_parts, take, kit), "bars": bar_starts(take), "lanes": list(DRUM_LANES)}


def heard_in_gm(take_bytes: bytes, kit_map: str | None) -> bytes:
    """A take written with `kit_map` as the General MIDI SoundFont should play it: its drums back on their GM notes
    (a closed hat on Addictive Drums' 49 would sound as GM 49, a crash). The take itself when it has no map. With
    --keep-drums, a note of yours on a note the map uses is heard as the map's drum (KitMap.to_gm)."""
    if not kit_map:
        return take_bytes
    kit, take = KitMap.from_json(kit_map), read_midi(take_bytes)
    tracks = [TrackSpec(part.written_name, part.channel, kit.to_gm(part.notes) if part.is_drums else part.notes,
                        -1 if part.is_drums else part.program) for part in take.parts]
    tempos, meters = take.written_maps
    return write_midi(take.ticks_per_quarter, tempos, meters, tracks, take.markers)


def song_with_drums(song: MidiSong | None, take: MidiSong, take_bytes: bytes, for_audio: bool = False) -> bytes:
    """The song's parts with a take's drums in one file, at the take's clock and with its maps and section markers;
    the song's own drums are left out (with --keep-drums the take holds them). Track names are written back as the
    files' own bytes (`Part.written_name`), never as their escaped display text. A take that already holds parts
    (--merge) or has no song (drums from nothing) is that file itself. `for_audio`: the parts that sound alike (one
    channel and program) in one track, so a song of 48,000 one-note tracks mixes within the reader's limits."""
    if song is None or any(part.note_count for part in take.melodic_parts):
        return take_bytes
    factor = take.ticks_per_quarter / song.ticks_per_quarter  # a whole number: the drums' clock is a multiple
    tracks = [TrackSpec(part.written_name, part.channel, part.notes) for part in take.drum_parts]
    parts: dict[tuple[int, int] | int, list[Part]] = {}
    for index, part in enumerate(song.melodic_parts):
        parts.setdefault((part.channel, part.program) if for_audio else index, []).append(part)
    for alike in parts.values():
        notes = np.concatenate([part.notes for part in alike])
        notes = notes[(notes[:, PITCH] >= 0) & (notes[:, PITCH] < 128)]  # a pitch a MIDI file can hold
        if len(alike) > 1:
            notes = notes[np.argsort(notes[:, START], kind="stable")]
        notes[:, [START, END]] = np.round(notes[:, [START, END]] * factor).astype(np.int64)
        tracks.append(TrackSpec(alike[0].written_name or "part", alike[0].channel, notes, alike[0].program))
    tempos, meters = take.written_maps
    return write_midi(take.ticks_per_quarter, tempos, meters, tracks, take.markers)


def wav_bytes_at_most(song: MidiSong) -> int:
    """The largest WAV that seq2drum.generation.audio renders of `song`: its music to the end of the last note, then
    the longest release, 16-bit stereo."""
    music_s = max((float(_seconds(part.notes[:, END], song).max()) for part in song.parts if len(part.notes)),
                  default=0.0)
    frames = int(np.ceil((music_s + 0.001) * SAMPLE_RATE_HZ)) + int(MAX_RELEASE_S * SAMPLE_RATE_HZ)
    return WAV_HEADER_BYTES + frames * CHANNELS * SAMPLE_WIDTH_BYTES


def drums_alone(take: MidiSong, take_bytes: bytes) -> bytes:
    """A take's drum parts alone (a --merge take also holds the parts it listened to)."""
    if not any(part.note_count for part in take.melodic_parts):
        return take_bytes
    tempos, meters = take.written_maps
    tracks = [TrackSpec(part.written_name, part.channel, part.notes) for part in take.drum_parts]
    return write_midi(take.ticks_per_quarter, tempos, meters, tracks, take.markers)


def prepare_file(take_path: Path, song_path: Path | None, kind: str,
                 kit_map: str | None = None, limits: ReadLimits | None = None) -> tuple[bytes, ReadLimits, int]:
    """The MIDI bytes behind a derived file, the limits they are read within, and the most bytes the file will take:
    the song with the drums (song.mid), or what its WAV (mix.wav) or the drums alone's (drums.wav) plays, its drums on
    their GM notes (the take was written with `kit_map`; the WAV is played by a GM SoundFont). The song was accepted
    within `limits` (the reader's defaults when None); what is made of it and the take, within those plus all the take
    holds (limits_with). Files are read as bytes: a message names the song or the take, never a studio path."""
    limits = limits or ReadLimits()
    take_bytes = take_path.read_bytes()
    made_limits = limits_with(limits, take_bytes)
    if kind.endswith(".wav"):
        take_bytes = heard_in_gm(take_bytes, kit_map)
    take = read_midi(take_bytes, limits=made_limits, label="the take")
    if kind == "drums.wav":
        data = drums_alone(take, take_bytes)
    else:
        song = read_midi(song_path.read_bytes(), limits=limits, label="the song") if song_path else None
        data = song_with_drums(song, take, take_bytes, for_audio=kind == "mix.wav")
    size = wav_bytes_at_most(read_midi(data, limits=made_limits)) if kind.endswith(".wav") else len(data)
    return data, made_limits, size
