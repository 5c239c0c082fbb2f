"""Hear the drums: render a MIDI file we wrote to a WAV with a General MIDI SoundFont (the `--audio` flag).

The synthesiser is TinySoundFont (the `tinysoundfont` wheel) playing TimGM6mb.sf2, the General MIDI SoundFont that
ships inside the `pretty_midi` package; both come from the optional audio extra, `requirements-audio.txt`. The
SoundFont is read as a file: `pretty_midi` itself is never imported. Channel 10 plays the SoundFont's percussion
bank (bank 128), so drums sound as drums; every other channel plays its part's GM program.

Rendering follows the file's tempo map (every note's seconds come from it), so what you hear is what the DAW plays.
The level is fixed, not normalised, so a softer part (lower velocities) sounds softer; only a render that would clip
is turned down as a whole.
"""

from __future__ import annotations

import importlib.util
import io
import wave
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import numpy as np

from .atomic import write_atomic
from .errors import AudioExtraMissingError
from .midi_io import END, PITCH, START, VELOCITY, DRUM_CHANNEL, read_midi

SAMPLE_RATE_HZ = 44_100
SAMPLE_WIDTH_BYTES = 2  # 16-bit PCM
CHANNELS = 2  # stereo: the SoundFont pans the kit
MAX_RELEASE_S = 2.0  # at most this much ringing after the last note ends
SILENCE = 10 ** (-80 / 20)  # below -80 dBFS the release counts as over
FADE_S = 0.05  # a release cut at MAX_RELEASE_S fades out over this, so it ends without a click
SYNTH_GAIN_DB = -4.0  # TimGM6mb at 0 dB peaks at 0 to +2 dBFS on a rock kit; -4 dB leaves room for the guitar too
CEILING_DBFS = -1.0  # a render that would peak above this is turned down to it
SOUNDFONT_PACKAGE, SOUNDFONT_FILE = "pretty_midi", "TimGM6mb.sf2"
PERCUSSION_BANK = 128  # the SoundFont bank of GM drum kits
INSTALL_COMMAND = "python -m pip install --no-deps -r requirements-audio.txt"


@dataclass
class Rendering:
    """Stereo 16-bit audio of a MIDI file, and how long its music is."""

    samples: np.ndarray  # (n_frames, 2) int16
    music_s: float  # from the start to the end of the last note, through the tempo map
    sample_rate_hz: int = SAMPLE_RATE_HZ

    @property
    def duration_s(self) -> float:
        return len(self.samples) / self.sample_rate_hz

    @property
    def peak_dbfs(self) -> float:
        peak = int(np.abs(self.samples.astype(np.int32)).max(initial=0))
        return 20 * np.log10(peak / 32768) if peak else float("-inf")

    @property
    def rms_dbfs(self) -> float:
        """Over the whole file, both channels."""
        if not self.samples.size:
            return float("-inf")
        rms = float(np.sqrt(np.mean((self.samples.astype(np.float64) / 32768) ** 2)))
        return 20 * np.log10(rms) if rms > 0 else float("-inf")

    def wav_bytes(self) -> bytes:
        """A RIFF WAVE file: PCM, 16-bit, stereo, at `sample_rate_hz`."""
        buffer = io.BytesIO()
        with wave.open(buffer, "wb") as out:
            out.setnchannels(CHANNELS)
            out.setsampwidth(SAMPLE_WIDTH_BYTES)
            out.setframerate(self.sample_rate_hz)
            out.writeframes(self.samples.astype("<i2").tobytes())
        return buffer.getvalue()

    def __repr__(self) -> str:
        return (f"Rendering({self.duration_s:.2f} s for {self.music_s:.2f} s of music, peak {self.peak_dbfs:.1f} dBFS, "
                f"RMS {self.rms_dbfs:.1f} dBFS)")


def synth_module() -> ModuleType:
    """The `tinysoundfont` module; `AudioExtraMissingError` (one line, with the install command) when the audio
    extra, the synthesiser or its SoundFont, is not installed."""
    try:
        import tinysoundfont
    except ImportError as exc:
        raise AudioExtraMissingError(
            f"--audio needs the audio extra, and tinysoundfont is not installed ({exc}); install it with: "
            f"{INSTALL_COMMAND}"
        ) from exc
    soundfont_path()
    return tinysoundfont


def soundfont_path() -> Path:
    """Where the General MIDI SoundFont lies (inside the installed `pretty_midi` package, which is not imported)."""
    spec = importlib.util.find_spec(SOUNDFONT_PACKAGE)
    locations = list(spec.submodule_search_locations or []) if spec else []
    for location in locations:
        candidate = Path(location) / SOUNDFONT_FILE
        if candidate.is_file():
            return candidate
    raise AudioExtraMissingError(
        f"--audio needs the audio extra, and its General MIDI SoundFont ({SOUNDFONT_FILE} from the "
        f"{SOUNDFONT_PACKAGE} package) is not installed; install it with: {INSTALL_COMMAND}"
    )


def check_audio_extra() -> None:
    """Raise `AudioExtraMissingError` unless `render_midi` can run (before any work, so the flag fails at once)."""
    synth_module()


def tick_seconds(ticks: np.ndarray, tempos: list[tuple[int, int]], ticks_per_quarter: int) -> np.ndarray:
    """Seconds of each tick through a tempo map of (tick, microseconds per quarter), the first at tick 0."""
    change_ticks = np.array([tick for tick, _ in tempos], dtype=np.float64)
    us_per_quarter = np.array([us for _, us in tempos], dtype=np.float64)
    seconds_per_tick = us_per_quarter / 1e6 / ticks_per_quarter
    change_seconds = np.concatenate([[0.0], np.cumsum(np.diff(change_ticks) * seconds_per_tick[:-1])])
    ticks = np.asarray(ticks, dtype=np.float64)
    index = np.clip(np.searchsorted(change_ticks, ticks, side="right") - 1, 0, None)
    return change_seconds[index] + (ticks - change_ticks[index]) * seconds_per_tick[index]


def render_midi(midi_bytes: bytes, sample_rate_hz: int = SAMPLE_RATE_HZ) -> Rendering:
    """Play a Standard MIDI File through the GM SoundFont: every part on its channel and program (channel 10 on
    the percussion bank), note times through the tempo map, then the release until it falls silent, at most
    `MAX_RELEASE_S`. Raises `AudioExtraMissingError` without the audio extra, `MidiReadError` for bad MIDI."""
    tinysoundfont = synth_module()
    song = read_midi(midi_bytes)
    synth = tinysoundfont.Synth(gain=SYNTH_GAIN_DB, samplerate=sample_rate_hz)
    soundfont_id = synth.sfload(str(soundfont_path()))
    events = []  # (frame, order: offs first, channel, pitch, velocity)
    music_s = 0.0
    for part in song.parts:
        if part.is_drums:
            synth.program_select(part.channel, soundfont_id, PERCUSSION_BANK, 0, is_drums=True)
        else:
            synth.program_select(part.channel, soundfont_id, 0, max(part.program, 0))
        seconds = tick_seconds(part.notes[:, [START, END]], song.tempos, song.ticks_per_quarter)  # (N, 2)
        if len(seconds):
            music_s = max(music_s, float(seconds[:, 1].max()))
        frames = np.round(seconds * sample_rate_hz).astype(np.int64)
        for (on, off), pitch, velocity in zip(frames.tolist(), part.notes[:, PITCH].tolist(),
                                              part.notes[:, VELOCITY].tolist()):
            events.append((on, 1, part.channel, pitch, velocity))
            events.append((max(off, on + 1), 0, part.channel, pitch, 0))
    events.sort()
    music_frames = int(np.ceil(music_s * sample_rate_hz))
    total_frames = music_frames + int(MAX_RELEASE_S * sample_rate_hz)
    audio = np.zeros((total_frames, CHANNELS), dtype=np.float32)
    view = memoryview(audio).cast("B")
    frame_bytes = CHANNELS * audio.itemsize
    rendered = 0
    for frame, is_on, channel, pitch, velocity in events:
        if frame > rendered:
            synth.generate_simple(frame - rendered, buffer=view[rendered * frame_bytes:frame * frame_bytes])
            rendered = frame
        if is_on:
            synth.noteon(channel, pitch, velocity)
        else:
            synth.noteoff(channel, pitch)
    if total_frames > rendered:
        synth.generate_simple(total_frames - rendered, buffer=view[rendered * frame_bytes:])
    return Rendering(_to_pcm(_trim_release(audio, music_frames, sample_rate_hz)), music_s, sample_rate_hz)


def _trim_release(audio: np.ndarray, music_frames: int, sample_rate_hz: int) -> np.ndarray:
    """Cut the release where it falls below `SILENCE`; one still ringing at `MAX_RELEASE_S` fades out."""
    loud = np.flatnonzero(np.abs(audio[music_frames:]).max(axis=1) > SILENCE)
    end = music_frames + (int(loud[-1]) + 1 if len(loud) else 0)
    still_ringing = end == len(audio)
    audio = audio[:end]
    if still_ringing:
        fade = min(int(FADE_S * sample_rate_hz), end - music_frames)
        audio[end - fade:] *= np.linspace(1.0, 0.0, fade, dtype=np.float32)[:, None]
    return audio


def _to_pcm(audio: np.ndarray) -> np.ndarray:
    """Float samples -> int16, turned down as a whole when they would peak above `CEILING_DBFS`."""
    peak = float(np.abs(audio).max(initial=0.0))
    ceiling = 10 ** (CEILING_DBFS / 20)
    if peak > ceiling:
        audio = audio * (ceiling / peak)
    return np.clip(np.round(audio * 32767), -32768, 32767).astype(np.int16)


def write_wav(path: str | Path, midi_bytes: bytes) -> Rendering:
    """Render `midi_bytes` and write it to `path` as a WAV, atomically (a crash never leaves half a file)."""
    rendering = render_midi(midi_bytes)
    write_atomic(path, rendering.wav_bytes())
    return rendering
