"""--audio: MIDI we wrote -> a WAV through the General MIDI SoundFont. The audio extra is installed wherever the tests
run (CI installs requirements-audio.txt), so nothing here skips: a missing extra fails these tests."""

from __future__ import annotations

import importlib.util
import io
import sys
import wave
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from seq2drum.cli import main
from seq2drum.generation.audio import (
    BLOCK_FRAMES, INSTALL_COMMAND, MAX_RELEASE_S, SAMPLE_RATE_HZ, Rendering, check_audio_extra, render_wav,
    tick_seconds, write_wav,
)
from seq2drum.errors import AudioExtraMissingError
from seq2drum.midi.io import DRUM_CHANNEL
from seq2drum.midi.write import TrackSpec, write_midi
from tests.builders import PPQ, backbeat, notes_from_steps, riff, rock_song_bytes, song_bytes


def render(midi: bytes) -> tuple[Rendering, Any, np.ndarray]:
    """What render_wav reports, and the WAV it wrote: its header and samples."""
    stream = io.BytesIO()
    rendering = render_wav(midi, stream)
    return (rendering, *read_wav(stream.getvalue()))


def read_wav(data: bytes) -> tuple[Any, np.ndarray]:
    """The header and the samples as (n_frames, channels) floats in [-1, 1)."""
    with wave.open(io.BytesIO(data)) as wav:
        params = wav.getparams()
        frames = np.frombuffer(wav.readframes(params.nframes), dtype="<i2")
    return params, frames.reshape(-1, params.nchannels).astype(np.float64) / 32768


def high_frequency_share(samples: np.ndarray, above_hz: float = 5000.0) -> float:
    spectrum = np.abs(np.fft.rfft(samples.mean(axis=1))) ** 2
    frequencies = np.fft.rfftfreq(len(samples), 1 / SAMPLE_RATE_HZ)
    return float(spectrum[frequencies > above_hz].sum() / spectrum.sum())


def one_note(channel: int, pitch: int, program: int = -1) -> bytes:
    """A single quarter note at 120 BPM on one channel."""
    notes = notes_from_steps([(0, pitch)], length_steps=4)
    return write_midi(PPQ, [(0, 500_000)], [(0, 4, 4)], [TrackSpec("one", channel, notes, program)])


def test_wav_is_44k1_16_bit_and_as_long_as_the_music_plus_at_most_2_s() -> None:
    """A DAW or player opens it, and it neither cuts the music nor trails a long silence."""
    drums = song_bytes(drums=notes_from_steps(backbeat(4)))  # 4 bars of 4/4 at 120 BPM: 8 s
    rendering, params, samples = render(drums)
    assert (params.framerate, params.sampwidth, params.nchannels, params.comptype) == (44_100, 2, 2, "NONE")
    music_s = 62 * 0.125 + 0.125  # the last hat starts on step 62 (the last 8th of bar 4) and lasts one 16th
    duration_s = params.nframes / params.framerate
    assert music_s <= duration_s <= music_s + MAX_RELEASE_S
    rms_dbfs = 20 * np.log10(np.sqrt(np.mean(samples**2)))
    assert rms_dbfs > -40, rms_dbfs  # not silent
    assert np.abs(samples).max() < 1.0  # not clipped
    assert rendering.n_frames == params.nframes and rendering.music_s == pytest.approx(music_s)
    assert rendering.rms_dbfs == pytest.approx(rms_dbfs, abs=0.01)
    assert rendering.peak_dbfs == pytest.approx(20 * np.log10(np.abs(samples).max()), abs=0.01)


def test_notes_sound_where_the_tempo_map_puts_them() -> None:
    """Two bars at 120 BPM (4 s) then 60 BPM: a kick on bar 4's downbeat sounds at 4 + 4 = 8 s, not at 6 s."""
    midi = song_bytes(drums=notes_from_steps([(0, 36), (48, 36)]), tempos=[(0, 500_000), (8 * PPQ, 1_000_000)])
    rendering, _, samples = render(midi)
    assert rendering.music_s == pytest.approx(8.0 + 0.25, abs=1e-6)  # the kick lasts a 16th at 60 BPM
    loud = np.abs(samples).max(axis=1) > 0.01
    second_onset = np.flatnonzero(loud[int(1.0 * SAMPLE_RATE_HZ):])[0] / SAMPLE_RATE_HZ + 1.0
    assert second_onset == pytest.approx(8.0, abs=0.01)


def test_tick_seconds_follows_every_tempo_change() -> None:
    tempos = [(0, 500_000), (PPQ * 4, 1_000_000), (PPQ * 6, 250_000)]
    seconds = tick_seconds(np.array([0, PPQ * 4, PPQ * 5, PPQ * 6, PPQ * 8]), tempos, PPQ)
    np.testing.assert_allclose(seconds, [0.0, 2.0, 3.0, 4.0, 4.5])


def test_channel_10_plays_the_drum_kit_not_a_piano() -> None:
    """A closed hi-hat (42) on channel 10 is noise high up; pitch 42 on channel 1 would be a low piano note."""
    hat = render(one_note(DRUM_CHANNEL, 42))[2]
    piano = render(one_note(0, 42, program=0))[2]
    assert high_frequency_share(hat) > 0.5
    assert high_frequency_share(piano) < 0.05


def test_release_stops_within_2_s_even_when_a_cymbal_rings_on() -> None:
    """A crash rings for seconds: the file stops at most 2 s after the music, fading out without a click."""
    rendering, _, samples = render(one_note(DRUM_CHANNEL, 49))
    assert rendering.duration_s == pytest.approx(rendering.music_s + MAX_RELEASE_S, abs=2 / SAMPLE_RATE_HZ)
    assert np.abs(samples[-int(0.2 * SAMPLE_RATE_HZ):-int(0.1 * SAMPLE_RATE_HZ)]).max() > 1e-3  # still ringing
    assert np.abs(samples[-10:]).max() < 1e-4  # faded to nothing


def test_long_songs_render_block_by_block_without_a_seam() -> None:
    """A song many blocks long renders in bounded memory; hits across block edges sound like any other."""
    bars = 12  # 24 s at 120 BPM: 16 blocks
    rendering, params, samples = render(song_bytes(drums=notes_from_steps([(bar * 16, 38) for bar in range(bars)])))
    assert params.nframes > 10 * BLOCK_FRAMES
    onsets = np.arange(bars) * 2.0 * SAMPLE_RATE_HZ
    peaks = [np.abs(samples[int(o):int(o) + SAMPLE_RATE_HZ // 2]).max() for o in onsets]
    assert max(peaks) - min(peaks) < 0.01 * max(peaks)  # every snare the same, wherever the blocks were cut


def test_a_render_says_how_far_it_is_block_by_block(tmp_path: Path) -> None:
    """The studio's first play of a long song shows how much is rendered: `progress` hears a fraction after each
    block of both passes, rising from 0 to 1, and the WAV is the one rendered without it."""
    midi = song_bytes(drums=notes_from_steps([(bar * 16, 38) for bar in range(12)]))  # 24 s: 16 blocks a pass
    heard: list[float] = []
    write_wav(tmp_path / "told.wav", midi, heard.append)
    write_wav(tmp_path / "quiet.wav", midi)
    assert (tmp_path / "told.wav").read_bytes() == (tmp_path / "quiet.wav").read_bytes()
    assert len(heard) > 2 * 15 and heard[0] == 0.0 and heard[-1] == 1.0
    assert all(a <= b for a, b in zip(heard, heard[1:])) and 0.4 < heard[len(heard) // 2] < 0.6


def test_write_wav_writes_the_file_atomically(tmp_path: Path) -> None:
    path = tmp_path / "drums.wav"
    midi = song_bytes(drums=notes_from_steps(backbeat(1)))
    rendering = write_wav(path, midi)
    stream = io.BytesIO()
    render_wav(midi, stream)
    assert path.read_bytes() == stream.getvalue() and rendering.n_frames == read_wav(stream.getvalue())[0].nframes
    assert [p.name for p in tmp_path.iterdir()] == ["drums.wav"]  # no temporary file left beside it


def test_missing_extra_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "tinysoundfont", None)  # `import tinysoundfont` now fails as if not installed
    with pytest.raises(AudioExtraMissingError, match="tinysoundfont is not installed") as raised:
        check_audio_extra()
    assert INSTALL_COMMAND in str(raised.value) and "\n" not in str(raised.value)


def test_missing_soundfont_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *args: None if name == "pretty_midi" else real_find_spec(name, *args))
    with pytest.raises(AudioExtraMissingError, match="TimGM6mb.sf2") as raised:
        check_audio_extra()
    assert INSTALL_COMMAND in str(raised.value)


def test_cli_without_the_extra_exits_2_with_one_line_and_writes_nothing(
    tiny_model_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    song = tmp_path / "riff.mid"
    song.write_bytes(rock_song_bytes(4))
    monkeypatch.setitem(sys.modules, "tinysoundfont", None)
    code = main.main(["--mode", "infer", str(song), "--checkpoint", str(tiny_model_path), "--audio"])
    error = capsys.readouterr().err
    assert code == 2
    assert error.startswith("error: --audio needs the audio extra") and error.count("\n") == 1
    assert INSTALL_COMMAND in error
    assert sorted(p.name for p in tmp_path.iterdir()) == ["riff.mid"]


def test_cli_writes_one_wav_per_take_beside_its_mid(
    tiny_model_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--takes 2 --merge --audio: X.take1.wav and X.take2.wav, each the guitar and its take's drums."""
    song = tmp_path / "riff.mid"
    song.write_bytes(song_bytes(notes_from_steps(riff(4), length_steps=2)))
    code = main.main(["--mode", "infer", str(song), "--checkpoint", str(tiny_model_path), "--takes", "2", "--merge",
                      "--audio", "--seed", "1"])
    out = capsys.readouterr().out
    assert code == 0
    for take in (1, 2):
        wav = tmp_path / f"riff_with_drums.take{take}.wav"
        assert f"wrote {wav}" in out
        params, samples = read_wav(wav.read_bytes())
        assert (params.framerate, params.sampwidth) == (44_100, 2)
        assert 8.0 <= params.nframes / params.framerate <= 8.0 + MAX_RELEASE_S  # 4 bars at 120 BPM
        assert np.sqrt(np.mean(samples**2)) > 0.01
    drums_alone = tmp_path / "drums.mid"
    assert main.main(["--mode", "infer", str(song), "--checkpoint", str(tiny_model_path), "-o", str(drums_alone),
                      "--audio", "--seed", "1"]) == 0
    alone = read_wav(drums_alone.with_suffix(".wav").read_bytes())[1]
    merged = read_wav((tmp_path / "riff_with_drums.take1.wav").read_bytes())[1]
    assert np.mean(merged**2) > np.mean(alone[: len(merged)] ** 2)  # the guitar is in the merged render


def test_cli_refuses_to_overwrite_an_existing_wav_without_force(
    tiny_model_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    song = tmp_path / "riff.mid"
    song.write_bytes(rock_song_bytes(2))
    (tmp_path / "out.wav").write_bytes(b"my own recording")
    code = main.main(["--mode", "infer", str(song), "--checkpoint", str(tiny_model_path),
                      "-o", str(tmp_path / "out.mid"),
                      "--audio"])
    assert code == 2 and "out.wav" in capsys.readouterr().err
    assert (tmp_path / "out.wav").read_bytes() == b"my own recording" and not (tmp_path / "out.mid").exists()


def _slow_song(bars: int, us_per_quarter: int) -> bytes:
    """A 4/4 riff whose last note starts bar `bars`, at a tempo of `us_per_quarter`."""
    return song_bytes(notes_from_steps([(0, 40), ((bars - 1) * 16, 40)], length_steps=2),
                      tempos=[(0, us_per_quarter)])


def test_audio_past_an_hour_is_refused_before_rendering(tmp_path: Path) -> None:
    """Issue 42, 8: an 18 KB file of 2,047 bars at about 3.6 BPM asked for about 38 hours of audio (past WAV's
    4 GiB). The length is known from the tempo map before a sample is rendered, and refused past MAX_AUDIO_S."""
    from seq2drum.generation.audio import AudioTooLongError, write_wav

    with pytest.raises(AudioTooLongError, match=r"the drums last 38\.\d hours .* at most 60 minutes"):
        write_wav(tmp_path / "long.wav", _slow_song(2047, 2**24 - 1))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(importlib.util.find_spec("tinysoundfont") is None, reason="the audio extra is not installed")
def test_sigterm_while_rendering_leaves_no_temporary_file(tmp_path: Path) -> None:
    """Issue 42, 8: SIGTERM during a long render left a `.X.wav.<hex>.tmp` behind."""
    import signal
    import subprocess
    import time

    song = tmp_path / "song.mid"
    song.write_bytes(_slow_song(200, 4_000_000))  # 200 bars at 15 BPM: 53 minutes to render
    code = ("import sys\nfrom seq2drum.generation.audio import write_wav\n"
            f"write_wav({str(tmp_path / 'song.wav')!r}, open({str(song)!r}, 'rb').read())\n")
    process = subprocess.Popen([sys.executable, "-c", code], cwd=Path(__file__).resolve().parents[1])
    try:
        while not list(tmp_path.glob(".song.wav.*.tmp")):  # rendering has begun
            assert process.poll() is None, "the render ended before it could be stopped"
            time.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        assert process.wait(60) == 128 + signal.SIGTERM
    finally:
        process.kill()
    assert sorted(path.name for path in tmp_path.iterdir()) == ["song.mid"]
