"""Songs built in code for the studio's tests (a few bars each, so a browser test stays quick on 2 cores), and what
a test reads back from MIDI and WAV bytes: a file's channel-10 notes, a song's end in seconds, a WAV's length and
level.
"""

from __future__ import annotations

import io
import wave

import numpy as np

from seq2drum.generation.audio import tick_seconds
from seq2drum.midi.io import DRUM_CHANNEL, END, read_midi
from seq2drum.midi.limits import ReadLimits
from seq2drum.midi.write import TrackSpec
from tests.builders import (
    PPQ,
    backbeat,
    chord_track,
    note_on,
    notes_from_steps,
    program_change,
    riff,
    smf_bytes,
    song_bytes,
    track_chunk,
)

TEMPO_QPM = 100  # a 4/4 bar lasts 2.4 s: longer than the 2 s a render may ring on after the last note
BAR_S = 4 * 60 / TEMPO_QPM


def band_song(bars: int = 4, root: int = 40, with_drums: bool = False) -> bytes:
    """A guitar riff with a bass on the roots, 4/4 at TEMPO_QPM; `with_drums`: a backbeat on channel 10 too."""
    guitar = notes_from_steps([(step, pitch - 40 + root) for step, pitch in riff(bars)], length_steps=2)
    bass = notes_from_steps([(bar * 16 + step, root - 12 + (0, 5, 7, 3)[bar % 4]) for bar in range(bars)
                             for step in (0, 6, 8, 14)], length_steps=2)
    drums = notes_from_steps(backbeat(bars)) if with_drums else None
    return song_bytes(guitar, drums, tempos=[(0, round(60_000_000 / TEMPO_QPM))],
                      extra=[TrackSpec("Bass", 1, bass, 33)])


def six_eight_song(bars: int = 4) -> bytes:
    """A guitar riff in 6/8 (bars of 12 sixteenths) at TEMPO_QPM: a song whose styles are the compound meters'."""
    guitar = notes_from_steps(riff(bars, steps_per_bar=12), length_steps=2)
    return song_bytes(guitar, tempos=[(0, round(60_000_000 / TEMPO_QPM))], time_signatures=[(0, 6, 8)])


def drums_only_song(bars: int = 2) -> bytes:
    """A file with nothing but drums: no part to play along with."""
    return song_bytes(None, notes_from_steps(backbeat(bars)))


def too_many_notes_song() -> bytes:
    """One note more than the reader takes (ReadLimits().max_notes), in a compact file of ~200 KB."""
    return smf_bytes([chord_track(ReadLimits().max_notes + 1)])


def dense_song(n_notes: int, channels: int = 15) -> bytes:
    """`n_notes` in a few seconds: a track per channel (10 aside), each 16th a chord of every pitch it has left (up
    to 128), so a song near the reader's note limit renders in a couple of seconds."""
    per_channel = -(-n_notes // channels)
    tracks = []
    for channel in [channel for channel in range(16) if channel != 9][:channels]:
        events, left = [(0, program_change(channel, 0)), (0, note_on(channel, 0, 0))], per_channel
        while left > 0:
            chord = range(min(128, left))
            events += [(0, bytes([pitch, 90])) for pitch in chord]  # running status: note-ons, then velocity-0 offs
            events += [(PPQ // 4 if pitch == 0 else 0, bytes([pitch, 0])) for pitch in chord]
            left -= len(chord)
        tracks.append(track_chunk(events))
    return smf_bytes(tracks)


def full_kit(bars: int) -> bytes:
    """Nine drums on every 16th for `bars` 4/4 bars (144 hits a bar): a take with many hits in a few seconds."""
    hits = [(step, pitch, 100) for step in range(16 * bars) for pitch in (36, 38, 42, 45, 46, 47, 49, 50, 51)]
    return song_bytes(None, notes_from_steps(hits))


def drum_notes(midi: bytes) -> np.ndarray:
    """The channel-10 notes of a file, (N, 4) start_tick, end_tick, pitch, velocity, sorted."""
    song = read_midi(midi)
    notes = np.concatenate([p.notes for p in song.parts if p.channel == DRUM_CHANNEL] or [np.zeros((0, 4), int)])
    return notes[np.lexsort(notes.T[::-1])]


def song_end_s(midi: bytes) -> float:
    """When the last note of a file ends, in seconds through its tempo map."""
    song = read_midi(midi)
    ends = np.array([part.notes[:, END].max() for part in song.parts if len(part.notes)])
    return float(tick_seconds(ends, song.tempos, song.ticks_per_quarter).max())


def wav_seconds_and_rms(data: bytes) -> tuple[float, float]:
    """A 16-bit WAV's length in seconds and its RMS level (0-1)."""
    with wave.open(io.BytesIO(data)) as stream:
        frames = stream.readframes(stream.getnframes())
        seconds = stream.getnframes() / stream.getframerate()
    samples = np.frombuffer(frames, dtype="<i2").astype(np.float64) / 32768
    return seconds, float(np.sqrt(np.mean(samples**2))) if len(samples) else 0.0
