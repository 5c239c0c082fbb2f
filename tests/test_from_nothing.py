"""Drums from nothing: exactly N bars in the meter and tempo asked for, shaped like a song (intro, 8-bar sections each
opened by a crash and closed by a fill, an ending), made by the same network and Decoder as a song's drums."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from seq2drum.generation import from_nothing as arrangement
from seq2drum.generation.from_nothing import CHORUS, ENDING, INTRO, VERSE
from seq2drum.options import GenerationOptions
from seq2drum.midi.drums import CRASH, KICK
from seq2drum.errors import ConfigError, MidiReadError
from seq2drum.groove.structure import is_fill_bar
from seq2drum.generation.generator import DrumGenerator
from seq2drum.midi.io import DRUM_CHANNEL, read_midi
from seq2drum.song.grid import BAR_START, BAR_STEPS, Grid
from tests.builders import rock_song_bytes


@pytest.fixture(scope="module")
def generator(tiny_model_path: Path) -> DrumGenerator:
    return DrumGenerator.from_checkpoint(tiny_model_path)


@pytest.mark.parametrize(
    "bars, expected",
    [
        (1, [(0, 1, VERSE)]),
        (2, [(0, 2, VERSE)]),
        (3, [(0, 2, VERSE), (2, 3, ENDING)]),
        (9, [(0, 8, VERSE), (8, 9, ENDING)]),
        (10, [(0, 9, VERSE), (9, 10, ENDING)]),  # no one-bar section before the ending
        (12, [(0, 8, VERSE), (8, 11, CHORUS), (11, 12, ENDING)]),
        (34, [(0, 8, INTRO), (8, 16, VERSE), (16, 24, CHORUS), (24, 33, VERSE), (33, 34, ENDING)]),
    ],
)
def test_the_form_of_n_bars(bars: int, expected: list[tuple[int, int, int]]) -> None:
    assert arrangement.arrangement(bars) == expected


def bar_hits(result_drums: np.ndarray, grid: Grid, bar: int) -> np.ndarray:
    start, n_steps = grid.bars[bar, [BAR_START, BAR_STEPS]]
    return result_drums[start : start + n_steps]


@pytest.mark.parametrize(
    "meter, tempo_qpm, steps_per_bar, beat_steps",
    [("4/4", 120.0, 16, 4), ("3/4", 90.0, 12, 4), ("6/8", 100.0, 12, 6), ("7/8", 140.0, 14, 2)],
    ids=["4/4", "3/4", "6/8", "7/8"],
)
def test_n_bars_in_the_meter_and_tempo_shaped_like_a_song(generator: DrumGenerator, meter: str, tempo_qpm: float,
                                                         steps_per_bar: int, beat_steps: int) -> None:
    """19 bars: exactly 19 bars of that meter at that tempo, drums alone on channel 10; a crash opens bars 1, 9 and
    17 (intro, verse, chorus), a fill closes bars 8, 16 and 18 (the bar before the final hit), nothing else
    crashes, the last bar is the final hit (kick and crash on its downbeat), and the bars are not one bar looped."""
    result = generator.generate(None, GenerationOptions(bars=19, tempo_qpm=tempo_qpm, meter=meter, seed=3))
    song = read_midi(result.midi_bytes)
    assert [p.channel for p in song.parts] == [DRUM_CHANNEL]
    numerator, denominator = map(int, meter.split("/"))
    assert song.time_signatures == [(0, numerator, denominator)]
    assert song.tempos == [(0, round(60_000_000 / tempo_qpm))]
    assert result.guitar_parts == [] and result.bars == 19
    assert result.sections == [(1, "A"), (9, "B"), (17, "C"), (19, "D")]
    assert [text for _, text in song.markers] == ["Section A", "Section B", "Section C", "Section D"]
    grid = Grid.build(song.ticks_per_quarter, song.time_signatures, song.tempos, song.end_tick)
    assert grid.n_bars == 19 and set(grid.bars[:, BAR_STEPS].tolist()) == {steps_per_bar}
    assert result.duration_s == pytest.approx(19 * steps_per_bar / 4 * 60 / tempo_qpm)
    hits = result.drums.hits
    crashes = [bar + 1 for bar in range(19) if bar_hits(hits, grid, bar)[0, CRASH]]
    assert crashes == [1, 9, 17, 19]
    fills = [bar + 1 for bar in range(18) if is_fill_bar(bar_hits(hits, grid, bar), steps_per_bar, beat_steps)]
    assert {8, 16, 18} <= set(fills)
    final = bar_hits(hits, grid, 18)
    assert final[0, [KICK, CRASH]].all() and final.sum() == 2
    patterns = {bar_hits(hits, grid, bar).tobytes() for bar in range(19)}
    assert len(patterns) >= 4
    assert all(bar_hits(hits, grid, bar).any() for bar in range(19))  # no rests


def test_takes_seeds_and_a_count_in_work_as_for_songs(generator: DrumGenerator) -> None:
    options = GenerationOptions(bars=8, seed=7, takes=2, count_in_bars=2, meter="6/8")
    result = generator.generate(b"", options)
    assert len(result.takes) == 2 and result.takes[0].midi_bytes != result.takes[1].midi_bytes
    assert generator.generate(None, options).midi_bytes == result.midi_bytes
    song = read_midi(result.midi_bytes)
    notes = song.parts[0].notes
    bar_ticks = 6 * song.ticks_per_quarter // 2
    early = notes[:, 0] < 2 * bar_ticks - song.ticks_per_quarter // 8  # the drums' first hit may push a little
    assert notes[early, 2].tolist() == [37, 37, 37, 37]  # sticks on the dotted quarters
    assert result.sections[0] == (3, "A")  # the drums start after the count-in
    assert Grid.build(song.ticks_per_quarter, song.time_signatures, song.tempos, song.end_tick).n_bars == 10


def test_a_song_and_bars_together_or_neither_are_refused(generator: DrumGenerator) -> None:
    with pytest.raises(ConfigError, match="makes drums from nothing: send no MIDI file with it"):
        generator.generate(rock_song_bytes(2), GenerationOptions(bars=4))
    with pytest.raises(MidiReadError, match="empty .* or set bars"):
        generator.generate(b"", GenerationOptions())
    with pytest.raises(MidiReadError, match="empty .* or set bars"):
        generator.generate(None, GenerationOptions())


@pytest.mark.parametrize(
    "options, message",
    [
        ({"bars": 0}, "bars must be 1-512, got 0"),
        ({"bars": 513}, "bars must be 1-512, got 513"),
        ({"bars": 4, "tempo_qpm": 19.9}, "tempo must be 20-300 quarter notes per minute, got 19.9"),
        ({"bars": 4, "tempo_qpm": 300.5}, "tempo must be 20-300 quarter notes per minute, got 300.5"),
        ({"bars": 4, "meter": "7-8"}, "meter must be NUM/DEN like 4/4, 6/8 or 7/8, got '7-8'"),
        ({"bars": 4, "meter": "7/9"}, "the denominator must be one of 1, 2, 4, 8, 16, 32, 64, got 9"),
        ({"bars": 4, "meter": "0/4"}, "the numerator must be 1-64 beats, got 0"),
        ({"bars": 4, "meter": "40/4"}, "a bar holds at most 32 quarter notes, 40/4 holds 40"),
        ({"bars": 4, "meter": "3/64"}, "a bar of 3/64 is shorter than a 16th note"),
        ({"bars": 512, "meter": "32/4"},
         "512 bars of 32/4 are 16384 quarter notes, past the limit of 8192 .* at most 256"),
        ({"tempo_qpm": 100.0}, "tempo and meter go with bars"),
        ({"meter": "3/4"}, "tempo and meter go with bars"),
        ({"bars": 4, "track": "2"}, "track picks the guitar of a song"),
        ({"bars": 4, "merge": True}, "merge copies a song's guitar"),
    ],
    ids=["bars-0", "bars-513", "slow", "fast", "not-a-meter", "denominator", "numerator", "long-bar", "short-bar",
         "too-long", "tempo-alone", "meter-alone", "track", "merge"],
)
def test_ranges_are_one_line_errors(options: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        GenerationOptions(**options)  # type: ignore[arg-type]


def test_the_edges_of_the_ranges_are_accepted() -> None:
    for options in ({"bars": 1, "tempo_qpm": 20.0, "meter": "4/64"}, {"bars": 512, "tempo_qpm": 300, "meter": "16/4"}):
        GenerationOptions(**options)  # type: ignore[arg-type]


@pytest.mark.parametrize("meter", ["4/64", "3/32", "5/8", "13/16", "32/4"])
def test_odd_meters_still_give_exactly_n_bars(generator: DrumGenerator, meter: str) -> None:
    song = read_midi(generator.generate(None, GenerationOptions(bars=17, meter=meter, seed=0)).midi_bytes)
    assert Grid.build(song.ticks_per_quarter, song.time_signatures, song.tempos, song.end_tick).n_bars == 17
