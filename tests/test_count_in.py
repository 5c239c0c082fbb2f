"""Count-in: sticks on the beats of the empty bars before the guitar, in the song's meter and tempo; a song that starts
too early moves later with --merge (guitar, drums, tempo and meter maps together) and is refused without it."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from seq2drum.options import GenerationOptions
from seq2drum.generation.count_in import clicks
from seq2drum.song.move import make_room
from seq2drum.errors import ConfigError, CountInError
from seq2drum.generation.generator import DrumGenerator
from seq2drum.midi.io import DRUM_CHANNEL, MidiSong, Part, read_midi
from seq2drum.song.grid import Grid
from tests.builders import PPQ, notes_from_steps, riff, song_bytes

SIDE_STICK = 37


@pytest.fixture(scope="module")
def generator(tiny_model_path: Path) -> DrumGenerator:
    return DrumGenerator.from_checkpoint(tiny_model_path)


def late_song(entry_bar: int, steps_per_bar: int = 16, bars: int = 6, **kwargs: object) -> bytes:
    """A riff that enters at `entry_bar` (0-based) of a song in bars of `steps_per_bar` sixteenths."""
    events = [(step + entry_bar * steps_per_bar, pitch) for step, pitch in riff(bars, steps_per_bar)]
    return song_bytes(notes_from_steps(events, length_steps=2), **kwargs)  # type: ignore[arg-type]


def sticks(midi: bytes) -> np.ndarray:
    song = read_midi(midi)
    drums = next(p for p in song.parts if p.channel == DRUM_CHANNEL).notes
    return drums[drums[:, 2] == SIDE_STICK]


@pytest.mark.parametrize(
    "meter, steps_per_bar, beats_per_bar",
    [((4, 4), 16, 4), ((3, 4), 12, 3), ((6, 8), 12, 2), ((7, 8), 14, 7)],
    ids=["4/4", "3/4", "6/8", "7/8"],
)
def test_sticks_fill_the_empty_bars_on_the_felt_beats(generator: DrumGenerator, meter: tuple[int, int],
                                                      steps_per_bar: int, beats_per_bar: int) -> None:
    """A 2-bar count-in before a guitar entering in bar 4: side sticks on every beat of bars 2-3 (a dotted quarter
    in 6/8, an eighth in 7/8), the downbeats louder, the tempo map as the song's, the guitar not moved."""
    tempos = [(0, 600_000), (PPQ * 3, 500_000)]  # a tempo change inside the count-in follows the song's map
    data = late_song(3, steps_per_bar, tempos=tempos, time_signatures=[(0, *meter)])
    result = generator.generate(data, GenerationOptions(seed=1, count_in_bars=2, merge=True))
    out = read_midi(result.midi_bytes)
    bar_ticks = steps_per_bar * PPQ // 4
    scale = out.ticks_per_quarter // PPQ
    found = sticks(result.midi_bytes)
    expected = [bar_ticks + i * bar_ticks // beats_per_bar for i in range(2 * beats_per_bar)]
    assert (found[:, 0] // scale).tolist() == expected
    assert found[0, 3] > found[1, 3] and found[beats_per_bar, 3] == found[0, 3]
    assert [(tick // scale, us) for tick, us in out.tempos] == tempos
    guitar = next(p for p in out.parts if p.channel != DRUM_CHANNEL)
    assert guitar.notes[0, 0] // scale == 3 * bar_ticks  # the guitar where it was
    assert not any("later" in notice for notice in result.notices)
    drum_notes = sum(len(p.notes) for p in out.parts if p.channel == DRUM_CHANNEL)
    assert result.n_hits == drum_notes == int(result.drums.hits.sum()) + len(found)  # "drum hits" counts the sticks


def test_no_count_in_is_the_default_and_changes_nothing(generator: DrumGenerator) -> None:
    data = late_song(2)
    plain = generator.generate(data, GenerationOptions(seed=4))
    assert generator.generate(data, GenerationOptions(seed=4, count_in_bars=0)).midi_bytes == plain.midi_bytes
    assert len(sticks(plain.midi_bytes)) == 0


def test_too_early_without_merge_says_what_to_do(generator: DrumGenerator) -> None:
    """The drums are never shifted against the guitar: a guitar in bar 2 leaves no room for 2 bars of sticks."""
    with pytest.raises(CountInError) as caught:
        generator.generate(late_song(1), GenerationOptions(count_in_bars=2))
    message = str(caught.value)
    assert "the guitar enters in bar 2, leaving only 1 whole empty bar before it for a 2-bar count-in" in message
    assert "--merge" in message and "leave 2 empty bars before the guitar in your DAW" in message


def test_too_early_with_merge_moves_guitar_drums_tempo_and_meters_by_whole_bars(generator: DrumGenerator) -> None:
    """A 3/4 song whose guitar starts at once, with a tempo change and a move to 4/4 later: with a 2-bar count-in
    and --merge everything moves 2 bars of 3/4 later, the sticks fill those 2 bars, and a notice says so."""
    tempos = [(0, 500_000), (PPQ * 6, 400_000)]
    meters = [(0, 3, 4), (PPQ * 12, 4, 4)]
    data = late_song(0, 12, bars=6, tempos=tempos, time_signatures=meters)
    source = read_midi(data)
    result = generator.generate(data, GenerationOptions(seed=2, count_in_bars=2, merge=True))
    out = read_midi(result.midi_bytes)
    scale = out.ticks_per_quarter // PPQ
    shift = 2 * 3 * PPQ
    assert [(tick // scale, us) for tick, us in out.tempos] == [(0, 500_000), (PPQ * 6 + shift, 400_000)]
    assert [(tick // scale, n, d) for tick, n, d in out.time_signatures] == [(0, 3, 4), (PPQ * 12 + shift, 4, 4)]
    guitar = next(p for p in out.parts if p.channel != DRUM_CHANNEL)
    assert (guitar.notes[:, :2] // scale).tolist() == (source.parts[0].notes[:, :2] + shift).tolist()
    assert (sticks(result.midi_bytes)[:, 0] // scale).tolist() == [i * PPQ for i in range(6)]
    drums = next(p for p in out.parts if p.channel == DRUM_CHANNEL).notes
    assert drums[drums[:, 2] != SIDE_STICK][:, 0].min() >= shift * scale - scale * PPQ // 8  # drums with the guitar
    assert any("start 2 bars later in this file" in notice for notice in result.notices)
    assert result.sections[0][0] == 3  # sections are counted in the moved song's bars


def test_a_pickup_bar_is_not_the_count_in_meter_and_clocks_stay_whole() -> None:
    """Moved bars take the meter of the first whole bar, not a 1/4 pickup's; a clock too coarse for whole bars of
    the count-in meter is multiplied (3 ticks per quarter cannot hold a bar of 3/8)."""
    guitar = np.array([[0, 480, 40, 90], [480, 960, 45, 90]], dtype=np.int64)
    song = MidiSong(480, [(0, 500_000)], [(0, 1, 4), (480, 4, 4)], [Part(0, 0, "Guitar", 29, guitar)])
    moved, bars = make_room(song, guitar, 1, True, 4)
    assert bars == 1 and moved.time_signatures == [(0, 4, 4), (1920, 1, 4), (2400, 4, 4)]
    after_pickup = replace(song, parts=[Part(0, 0, "Guitar", 29, guitar[1:])])
    with pytest.raises(CountInError, match="enters in bar 2, leaving no whole empty bar before it"):
        make_room(after_pickup, guitar[1:], 1, False, 4)  # a pickup bar is no room for a whole bar of sticks
    moved, bars = make_room(after_pickup, guitar[1:], 2, True, 4)
    assert bars == 2 and moved.parts[0].notes[0, 0] == 2 * 1920 + 480
    grid = Grid.build(480, moved.time_signatures, moved.tempos, int(moved.parts[0].notes[:, 1].max()))
    sticks = clicks(grid, 3, 2)  # two whole bars and the pickup between them and the guitar: 4 + 4 + 1 beats
    assert sticks[:, 0].tolist() == [i * 480 for i in range(9)] and sticks[8, 3] == sticks[0, 3]
    coarse = np.array([[0, 3, 40, 90], [6, 9, 45, 90]], dtype=np.int64)
    song = MidiSong(3, [(0, 500_000)], [(0, 3, 8)], [Part(0, 0, "Guitar", 29, coarse)])
    moved, bars = make_room(song, coarse, 1, True, 4)
    assert bars == 1 and moved.ticks_per_quarter == 6 and moved.parts[0].notes[0, 0] == 9  # 1.5 quarters later


def test_clicks_in_a_song_with_room_leave_the_song_alone() -> None:
    guitar = np.array([[1920 * 2, 1920 * 3, 40, 90]], dtype=np.int64)
    song = MidiSong(480, [(0, 500_000)], [(0, 4, 4)], [Part(0, 0, "Guitar", 29, guitar)])
    same, bars = make_room(song, guitar, 2, False, 4)
    assert same is song and bars == 0
    grid = Grid.build(480, song.time_signatures, song.tempos, 1920 * 3)
    assert clicks(grid, 2, 1)[:, 0].tolist() == [1920, 2400, 2880, 3360]
    assert clicks(grid, 2, 0).shape == (0, 4)


@pytest.mark.parametrize("bars", [-1, 9])
def test_count_in_range(bars: int) -> None:
    with pytest.raises(ConfigError, match=f"count-in must be 0-8 bars, got {bars}"):
        GenerationOptions(count_in_bars=bars)
