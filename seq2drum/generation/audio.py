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

import contextlib
import importlib.util
import signal
import threading
import wave
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, BinaryIO

import numpy as np

from seq2drum.atomic import write_atomic
from seq2drum.errors import AudioExtraMissingError, Seq2DrumError
from seq2drum.midi.io import END, PITCH, START, VELOCITY, read_midi
from seq2drum.midi.limits import ReadLimits

SAMPLE_RATE_HZ = 44_100
SAMPLE_WIDTH_BYTES = 2  # 16-bit PCM
BLOCK_FRAMES = 1 << 16  # rendered at a time (1.5 s): memory stays small for songs of any length
CHANNELS = 2  # stereo: the SoundFont pans the kit
MAX_RELEASE_S = 2.0  # at most this much ringing after the last note ends
SILENCE = 10 ** (-80 / 20)  # below -80 dBFS the release counts as over
FADE_S = 0.05  # a release cut at MAX_RELEASE_S fades out over this, so it ends without a click
SYNTH_GAIN_DB = -4.0  # TimGM6mb at 0 dB peaks at 0 to +2 dBFS on a rock kit; -4 dB leaves room for the guitar too
CEILING_DBFS = -1.0  # a render that would peak above this is turned down to it
SOUNDFONT_PACKAGE, SOUNDFONT_FILE = "pretty_midi", "TimGM6mb.sf2"
PERCUSSION_BANK = 128  # the SoundFont bank of GM drum kits
INSTALL_COMMAND = "python -m pip install --no-deps -r requirements-audio.txt"
MAX_AUDIO_S = 3600.0  # an hour of music: 605 MiB of WAV (a WAV holds at most 4 GiB, 6.7 hours at this rate)


class AudioTooLongError(Seq2DrumError):
    """The music lasts longer than --audio renders (MAX_AUDIO_S): 2,047 bars at 3.6 BPM asked for 38 hours."""


@dataclass
class Rendering:
    """What a render wrote: its length against the music's, and its level."""

    n_frames: int
    music_s: float  # from the start to the end of the last note, through the tempo map
    peak_dbfs: float
    rms_dbfs: float  # over the whole file, both channels
    sample_rate_hz: int = SAMPLE_RATE_HZ

    @property
    def duration_s(self) -> float:
        return self.n_frames / self.sample_rate_hz

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
    """Raise `AudioExtraMissingError` unless `render_wav` can run (before any work, so the flag fails at once)."""
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


class _Performance:
    """A song's notes as synthesiser events in sample frames; played in blocks, so a long song never sits in memory
    whole, and as often as asked, each time from the first sample."""

    def __init__(self, midi_bytes: bytes, sample_rate_hz: int, limits: ReadLimits | None = None) -> None:
        self.synth_module = synth_module()
        self.soundfont = str(soundfont_path())
        self.sample_rate_hz = sample_rate_hz
        song = read_midi(midi_bytes, limits=limits)
        self.music_s = max((float(tick_seconds(part.notes[:, END], song.tempos, song.ticks_per_quarter).max())
                            for part in song.parts if len(part.notes)), default=0.0)
        if self.music_s > MAX_AUDIO_S:  # known before a sample is rendered
            raise AudioTooLongError(f"the drums last {self.music_s / 3600:.1f} hours at the file's tempo; --audio "
                                    f"renders at most {MAX_AUDIO_S / 60:.0f} minutes (the .mid is written)")
        self.programs = {part.channel: max(part.program, 0) for part in song.parts if not part.is_drums}
        self.drum_channels = {part.channel for part in song.parts if part.is_drums}
        events = []  # (frame, 0 = off / 1 = on, channel, pitch, velocity): at one frame, offs first
        for part in song.parts:
            seconds = tick_seconds(part.notes[:, [START, END]], song.tempos, song.ticks_per_quarter)  # (N, 2)
            frames = np.round(seconds * sample_rate_hz).astype(np.int64)
            for (on, off), pitch, velocity in zip(frames.tolist(), part.notes[:, PITCH].tolist(),
                                                  part.notes[:, VELOCITY].tolist()):
                events.append((on, 1, part.channel, pitch, velocity))
                events.append((max(off, on + 1), 0, part.channel, pitch, 0))
        self.events = sorted(events)
        self.music_frames = int(np.ceil(self.music_s * sample_rate_hz))
        self.total_frames = self.music_frames + int(MAX_RELEASE_S * sample_rate_hz)

    def _synth(self) -> Any:  # a tinysoundfont.Synth
        """A fresh synthesiser: channel 10 (and any drum channel) on the percussion bank, the others on their
        part's GM program (the first, a piano, when the file sets none)."""
        synth = self.synth_module.Synth(gain=SYNTH_GAIN_DB, samplerate=self.sample_rate_hz)
        soundfont_id = synth.sfload(self.soundfont)
        for channel in self.drum_channels:
            synth.program_select(channel, soundfont_id, PERCUSSION_BANK, 0, is_drums=True)
        for channel, program in self.programs.items():
            synth.program_select(channel, soundfont_id, 0, program)
        return synth

    def blocks(self) -> Iterator[np.ndarray]:
        """(n, 2) float32 blocks of `BLOCK_FRAMES` (the last shorter) covering the music and `MAX_RELEASE_S`."""
        synth = self._synth()
        pending = iter(self.events)
        event = next(pending, None)
        for block_start in range(0, self.total_frames, BLOCK_FRAMES):
            block_end = min(block_start + BLOCK_FRAMES, self.total_frames)
            block = np.zeros((block_end - block_start, CHANNELS), dtype=np.float32)
            view = memoryview(block).cast("B")
            frame_bytes = CHANNELS * block.itemsize
            position = block_start
            while position < block_end:
                until = block_end if event is None else min(block_end, max(event[0], position))
                if until > position:
                    first, last = (position - block_start) * frame_bytes, (until - block_start) * frame_bytes
                    synth.generate_simple(until - position, buffer=view[first:last])
                    position = until
                while event is not None and event[0] <= position:
                    _, is_on, channel, pitch, velocity = event
                    if is_on:
                        synth.noteon(channel, pitch, velocity)
                    else:
                        synth.noteoff(channel, pitch)
                    event = next(pending, None)
            yield block


def render_wav(midi_bytes: bytes, stream: BinaryIO, sample_rate_hz: int = SAMPLE_RATE_HZ,
               progress: Callable[[float], None] | None = None, limits: ReadLimits | None = None) -> Rendering:
    """Play a Standard MIDI File through the GM SoundFont and write it to `stream` as a WAV (PCM 16-bit stereo):
    every part on its channel and program (channel 10 on the percussion bank), note times through the tempo map,
    then the release until it falls silent, at most `MAX_RELEASE_S` (faded if still ringing).

    Two passes over the song, in blocks: the first finds the peak and where the release ends, the second writes; so
    memory stays a few blocks whatever the song's length. `progress(fraction)` is told after every block how much of
    the work is done (0 to 1; the studio shows it while a long song renders). Raises `AudioExtraMissingError` without
    the audio extra, `MidiReadError` for bad MIDI or MIDI past `limits` (the reader's defaults when None)."""
    performance = _Performance(midi_bytes, sample_rate_hz, limits)
    blocks = 2 * -(-performance.total_frames // BLOCK_FRAMES)  # both passes, at most
    done = _Done(progress, blocks)
    peak, end = 0.0, performance.music_frames
    for block_start, block in zip(range(0, performance.total_frames, BLOCK_FRAMES), performance.blocks()):
        done.block()
        level = np.abs(block).max(axis=1)  # (n,)
        peak = max(peak, float(level.max(initial=0.0)))
        loud = np.flatnonzero(level > SILENCE) + block_start
        if len(loud) and loud[-1] >= end:
            end = int(loud[-1]) + 1
    ceiling = 10 ** (CEILING_DBFS / 20)
    scale = 32767 * (ceiling / peak if peak > ceiling else 1.0)
    still_ringing = end == performance.total_frames
    fade_frames = min(int(FADE_S * sample_rate_hz), end - performance.music_frames) if still_ringing else 0
    fade_from = end - fade_frames
    written, peak_pcm, sum_squares = 0, 0, 0.0
    with wave.open(stream, "wb") as out:
        out.setnchannels(CHANNELS)
        out.setsampwidth(SAMPLE_WIDTH_BYTES)
        out.setframerate(sample_rate_hz)
        for block_start, block in zip(range(0, end, BLOCK_FRAMES), performance.blocks()):
            done.block()
            block = block[:end - block_start] * scale
            if fade_frames and block_start + len(block) > fade_from:
                frames = np.arange(block_start, block_start + len(block))
                block *= np.clip((end - frames) / fade_frames, 0.0, 1.0).astype(np.float32)[:, None]
            pcm = np.clip(np.round(block), -32768, 32767).astype("<i2")
            peak_pcm = max(peak_pcm, int(np.abs(pcm.astype(np.int32)).max(initial=0)))
            sum_squares += float(np.sum((pcm.astype(np.float64) / 32768) ** 2))
            out.writeframes(pcm.tobytes())
            written += len(pcm)
    rms = np.sqrt(sum_squares / max(1, written * CHANNELS))
    done.finish()
    return Rendering(
        n_frames=written,
        music_s=performance.music_s,
        peak_dbfs=20 * np.log10(peak_pcm / 32768) if peak_pcm else float("-inf"),
        rms_dbfs=20 * np.log10(rms) if rms > 0 else float("-inf"),
        sample_rate_hz=sample_rate_hz,
    )


class _Done:
    """Counts the blocks rendered for `render_wav`'s `progress` (the second pass may stop early: the release ends)."""

    def __init__(self, progress: Callable[[float], None] | None, blocks: int) -> None:
        self.progress, self.blocks, self.count = progress, max(1, blocks), 0

    def block(self) -> None:
        if self.progress is not None:
            self.progress(min(self.count, self.blocks) / self.blocks)
        self.count += 1

    def finish(self) -> None:
        if self.progress is not None:
            self.progress(1.0)


def write_wav(path: str | Path, midi_bytes: bytes, progress: Callable[[float], None] | None = None,
              limits: ReadLimits | None = None, overwrite: bool = True) -> Rendering:
    """Render `midi_bytes` (read within `limits`) to `path` as a WAV, atomically (a crash never leaves half a file, and
    SIGTERM while it renders leaves no temporary file either); `progress` as `render_wav` tells it; over an existing
    file only with `overwrite` (else `FileExistsError`). `AudioTooLongError` past MAX_AUDIO_S of music."""
    renderings = []
    # the synthesiser loaded before the temporary file exists: a SIGTERM landing inside its import (a loaded machine,
    # the fresh-clone CI run) failed the extension's initialization and was reported as the audio extra missing
    synth_module()
    with _terminate_as_exit():
        write_atomic(path, lambda stream: renderings.append(render_wav(midi_bytes, stream, progress=progress,
                                                                       limits=limits)), overwrite=overwrite)
    return renderings[0]


@contextlib.contextmanager
def _terminate_as_exit() -> Iterator[None]:
    """SIGTERM raises SystemExit meanwhile (in the main thread), so the temporary file is removed on the way out:
    the default action ended the process at once and left `.X.wav.<hex>.tmp` behind."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)
