"""The helper's `--simulate` reading a file into bars (client/song_bars.py), against hostile files (issue 55 L7): the
offline reader's refusals, each one line (format 2, SMPTE time, its limits, its bar limit), a tempo of 0 left out as
the offline reader leaves it out, and passes that stay linear (a bar's notes found without walking the song, the
meter map read once, many tracks read in one pass)."""

from __future__ import annotations

from pathlib import Path

import pytest

from client import daw_helper
from client.live_link import Note
from client.song_bars import Bar, SongBars, SongReadError, bar_list, read_song
from seq2drum.midi.io import read_midi
from seq2drum.song.grid import Grid
from seq2drum.midi.write import TrackSpec
from tests.builders import (
    PPQ,
    note_off,
    note_on,
    notes_from_steps,
    one_step_bars_song,
    riff,
    smf_bytes,
    song_bytes,
    tempo_event,
    time_signature_event,
    track_chunk,
)
from tests.hostile_songs import many_tracks
from tests.studio_songs import too_many_notes_song

mido = pytest.importorskip("mido")


def one_note_track(*before: tuple[int, bytes]) -> bytes:
    return track_chunk([*before, (0, note_on(0, 40, 100)), (PPQ, note_off(0, 40))])


HOSTILE = {
    "format 2": (smf_bytes([one_note_track()], midi_format=2), "is a format-2 MIDI file"),
    "SMPTE time": (smf_bytes([one_note_track()], division=0xE728), "uses SMPTE time"),
    "0 ticks a quarter": (smf_bytes([one_note_track()], division=0), "declares 0 ticks per quarter note"),
    "a meter no song has": (smf_bytes([one_note_track((0, time_signature_event(0, 4)))]), "which no song has"),
    "too many notes": (too_many_notes_song(), "the most this reader takes"),
    "too long": (smf_bytes([track_chunk([(0, note_on(0, 40, 100)), (9000 * PPQ, note_off(0, 40)),
                                         (0, note_on(0, 40, 100)), (1, note_off(0, 40))])]), "songs are limited to"),
    "too many bars": (one_step_bars_song(64), "has more than 2,048 bars"),
}


@pytest.mark.parametrize("data, words", HOSTILE.values(), ids=HOSTILE.keys())
def test_the_offline_readers_refusals_are_one_line(data: bytes, words: str, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """Before, format 2 was played, SMPTE divisions taken as ticks, and no limit applied."""
    path = tmp_path / "hostile.mid"
    path.write_bytes(data)
    with pytest.raises(SongReadError, match=words):
        read_song(path)
    # the helper says so in one line before it connects (nothing listens on port 1), exit 2 as main.py for a file
    # it cannot read (a usage error: issue 89)
    assert daw_helper.main(["--server", "127.0.0.1:1", "--simulate", str(path), "-o", str(tmp_path / "out.mid")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {path}") and err.count("\n") == 1 and words in err, err


def test_a_tempo_of_0_is_left_out_as_the_offline_reader_leaves_it(tmp_path: Path) -> None:
    """Before, a tempo of 0 gave a ZeroDivisionError traceback."""
    path = tmp_path / "zero.mid"
    path.write_bytes(smf_bytes([one_note_track((0, tempo_event(600_000)), (PPQ, tempo_event(0)))]))
    song = read_song(path)
    assert song.file_tempos == [(0, 600_000)] and [bar.tempo_bpm for bar in song.bars] == [100.0, 100.0]
    assert song.seconds(4 * PPQ) == pytest.approx(2.4)
    # issue 69 N8: left out without a word (the drums played at the tempo before, or MIDI's 120); both readers say so
    assert song.notices == read_midi(path.read_bytes()).notices == [
        "a tempo event of 0 at quarter note 1 is left out (no music plays at 0 beats per minute): the tempo before "
        "goes on, MIDI's 120 BPM where none came before; set the tempo in your DAW and export again if that is not "
        "the song's"]


def many_meter_changes_a_tick_apart(changes: int = 9000) -> bytes:
    """Issue 69 N8: `changes` meter events one tick apart (3/4 and 4/4 in turn), then a bar of notes."""
    events = [(1 if k else 0, time_signature_event(3 + k % 2, 4)) for k in range(changes)]
    return smf_bytes([track_chunk([*events, (0, note_on(0, 40, 100)), (4 * PPQ, note_off(0, 40))])])


def test_meter_changes_make_the_bars_generation_makes(tmp_path: Path) -> None:
    """Issue 69 N8: 9,000 meter changes a tick apart were 88 bars offline and "more than 2,048 bars" to --simulate,
    which counted bars in ticks. Both put a change at its nearest 16th (seq2drum.song.barlines): the same bars."""
    path = tmp_path / "meters.mid"
    path.write_bytes(data := many_meter_changes_a_tick_apart())
    offline = read_midi(data)
    end = offline.end_tick + 1
    grid = Grid.build(PPQ, offline.time_signatures, offline.tempos, end)
    live = bar_list(PPQ, offline.time_signatures, offline.tempos, end)
    assert [(bar.start_tick, bar.end_tick) for bar in live] == [
        (int(grid.step_to_tick(start)), int(grid.step_to_tick(start + steps))) for start, steps, _, _ in grid.bars]
    assert len(live) < 100 and read_song(path).bars


@pytest.mark.parametrize("events, words", [
    ([(0, time_signature_event(1, 64))], "has a meter of 1/64; the numerator must be 1-64 and the denominator one of"),
    ([(0, tempo_event(1))], "has a tempo of 6e+07 BPM; it must be 10-400 quarter notes per minute"),
], ids=["1/64", "60,000,000-BPM"])
def test_a_clock_no_stream_plays_is_refused_before_connecting(events: list, words: str, tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 69 N8: a 1/64 meter and 60,000,000 BPM were read (as offline) and refused by the server after connecting.
    The stream's own rule (seq2drum.live.session `clock_problem`) is checked first: one line, nothing connects (nothing
    listens on port 1), and the offline reader still takes the file."""
    path = tmp_path / "clock.mid"
    path.write_bytes(smf_bytes([one_note_track(*events)]))
    read_midi(path.read_bytes())
    assert daw_helper.main(["--server", "127.0.0.1:1", "--simulate", str(path), "-o", str(tmp_path / "out.mid")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {path} cannot be played live: bar 1") and err.count("\n") == 1 and words in err, err
    assert "--mode infer" in err


def brute_force_played(song: SongBars, bar: Bar, lead_ticks: int) -> list[Note]:
    """A bar's notes as they were found before: every note of every part, part by part."""
    cut = bar.end_tick - lead_ticks
    return [Note((start - bar.start_tick) / song.ticks_per_quarter, (min(end, cut) - start) / song.ticks_per_quarter,
                 pitch, velocity, part)
            for part, notes in enumerate(song.notes) for start, end, pitch, velocity in notes
            if bar.start_tick <= start < cut]


def test_a_bars_notes_are_those_it_always_played(tmp_path: Path) -> None:
    path = tmp_path / "band.mid"
    bass = notes_from_steps([(step, 28) for step in range(0, 64, 3)], length_steps=5)
    path.write_bytes(song_bytes(notes_from_steps(riff(4), length_steps=3), extra=[TrackSpec("Bass", 1, bass, 33)]))
    song = read_song(path)
    for lead_ticks in (0, PPQ // 2, PPQ):
        for bar in song.bars:
            assert song.played(bar, lead_ticks) == brute_force_played(song, bar, lead_ticks)


class CountedList(list):
    """A list that counts how often it is walked from the start."""

    walks = 0

    def __iter__(self):
        CountedList.walks += 1
        return super().__iter__()


def test_every_bars_notes_are_found_without_walking_the_song() -> None:
    """A dense 1/64 song (2,048 bars) took 38 s before its first bar: each bar walked every note of every part. (1/16
    here: since issue 69 N8 a bar is at least a 16th, as generation's grid makes it, and a stream takes no 1/64.)"""
    bar_ticks, bars = PPQ // 4, 2048  # a 16th note
    notes = [(bar * bar_ticks + k * 5, bar * bar_ticks + k * 5 + 2, 40 + k, 100) for bar in range(bars)
             for k in range(6)]
    song_bars = bar_list(PPQ, [(0, 1, 16)], [(0, 500_000)], bars * bar_ticks)
    CountedList.walks = 0
    song = SongBars(PPQ, [("Guitar", 29, 0)], [CountedList(notes)], song_bars, [(0, 500_000)], [(0, 1, 16)])
    assert song.end_stream() == (bars, 25 / PPQ)  # the last bar the band plays in, its last onset
    assert sum(len(song.played(bar, 1)) for bar in song.bars) == len(notes)
    assert CountedList.walks <= 1  # once, to index them (before: once a bar, twice in end_stream)


def test_the_meter_map_is_read_once_for_all_bars() -> None:
    """10,000 meter changes took 5.1 s: each bar walked the whole meter and tempo maps three times."""
    meters = CountedList([(bar * 4 * PPQ, 4, 4) for bar in range(2000)])
    tempos = CountedList([(bar * 4 * PPQ, 500_000) for bar in range(2000)])
    CountedList.walks = 0
    bars = bar_list(PPQ, meters, tempos, 2000 * 4 * PPQ)
    assert len(bars) == 2000 and CountedList.walks <= 2


def test_many_tracks_are_refused_before_mido_reads_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """20,000 one-note tracks took 10.5 s (50 s with every bar's notes): each track walked every part before it; read
    in one pass since, they are refused now at the offline reader's part limit (issue 69 N3), before mido reads a
    byte. The most a song may hold, 64, are all read."""
    path = tmp_path / "tracks.mid"
    path.write_bytes(many_tracks(20_000))
    monkeypatch.setattr(mido, "MidiFile", lambda *args, **kwargs: pytest.fail("mido read a file past the limits"))
    with pytest.raises(SongReadError, match="holds more than 64 parts"):
        read_song(path)
    monkeypatch.undo()
    path.write_bytes(many_tracks(64))
    song = read_song(path)
    song.end_stream()
    assert sum(len(song.played(bar, 1)) for bar in song.bars) == 64
    assert len(song.parts) == 64 and song.parts[-1] == ("", 29, 0)
