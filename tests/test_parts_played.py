"""The part names a take prints and draws are read off what it plays (seq2drum/parts/played.py, issue 90): a
phrase named "on the hat" plays the hat, `--cymbal ride` names the ride, a phrase without drums says so; the names
change nothing that is played."""

from __future__ import annotations

import numpy as np
import pytest

from seq2drum.generation.generator import DrumGenerator
from seq2drum.midi.drums import CLOSED_HAT, KICK, RIDE, SNARE
from seq2drum.options import GenerationOptions
from seq2drum.song.grid import BAR_START, BAR_STEPS
from seq2drum.parts.played import BAR_BY_BAR, NO_DRUMS, played_names, played_parts
from tests.builders import pattern
from tests.test_parts_plan import sectioned_song


def bars_of(bar: np.ndarray, n_bars: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """`n_bars` 4/4 bars of one (16, 9) pattern: hits, offsets, bar and beat lengths."""
    hits = np.repeat(bar[None], n_bars, axis=0)
    return hits, np.zeros(hits.shape, dtype=np.float32), np.full(n_bars, 16), np.full(n_bars, 4)


def eighths_backbeat(cymbal: int) -> np.ndarray:
    return pattern(16, [(s, cymbal) for s in range(0, 16, 2)] + [(0, KICK), (8, KICK), (4, SNARE), (12, SNARE)])


def test_a_phrase_is_named_by_the_cymbal_it_plays_and_an_empty_one_says_so() -> None:
    hat, offset, bar_steps, beat_steps = bars_of(eighths_backbeat(CLOSED_HAT), 12)
    ride = bars_of(eighths_backbeat(RIDE), 12)[0]
    hits = np.concatenate([hat[:4], ride[:4], np.zeros_like(hat[:4])])
    names = played_names(hits, offset, bar_steps, beat_steps, [0, 4, 8])
    assert names == ("eighths on the hat, backbeat", "eighths on the ride, backbeat", NO_DRUMS)


def test_played_parts_keep_the_plans_bars_and_read_rows_from_the_first_bar() -> None:
    hat, offset, bar_steps, beat_steps = bars_of(eighths_backbeat(CLOSED_HAT), 8)
    hits = np.concatenate([np.zeros_like(hat[:4]), hat[:4]])
    plan = ((3, "eighths on the hat, backbeat"), (7, "eighths on the hat, backbeat"))  # song bar 3 is row 0
    assert played_parts(plan, hits, offset, bar_steps, beat_steps, first_bar=2) == (
        (3, NO_DRUMS), (7, "eighths on the hat, backbeat"))


def test_bars_between_a_plans_phrases_are_bar_by_bar_and_no_phrase_is_named_over_them() -> None:
    """A plan of the musician's sections alone (the guitar alone with --parts B=...): its last phrase was named over
    every bar to the song's end (the ride of the bars after it), and a reader saw its part play on where the plan
    had stopped. Each phrase is named over its own bars, and the bars after it say they are bar by bar."""
    hat, offset, bar_steps, beat_steps = bars_of(eighths_backbeat(CLOSED_HAT), 16)
    ride = bars_of(eighths_backbeat(RIDE), 16)[0]
    hits = np.concatenate([ride[:4], hat[:4], ride[:8]])  # rows 0-15 are song bars 1-16
    plan = ((5, "eighths on the hat, backbeat"),)  # one phrase, bars 5-8
    assert played_parts(plan, hits, offset, bar_steps, beat_steps, first_bar=0, end_bars=[9]) == (
        (5, "eighths on the hat, backbeat"), (9, BAR_BY_BAR))
    assert played_parts(plan, hits, offset, bar_steps, beat_steps, first_bar=0, end_bars=[17]) == (
        (5, "eighths on the ride, backbeat"),)  # to the song's end: measured over the ride bars too


@pytest.fixture(scope="module")
def generator() -> DrumGenerator:
    return DrumGenerator.from_checkpoint()


def test_cymbal_ride_names_the_ride(generator: DrumGenerator) -> None:
    """`--cymbal ride` left every name "on the hat" (the plan's names, made before the cymbal step moved the hats)."""
    data = sectioned_song()
    ride = generator.generate(data, GenerationOptions(seed=3, cymbal="ride", takes=2))
    names = [name for take in ride.takes for _, name in take.parts]
    assert names and any("ride" in name for name in names) and not any("hat" in name for name in names)


def test_each_name_is_the_label_of_the_phrase_as_written(generator: DrumGenerator) -> None:
    from seq2drum.song.drum_part import grid_to_part

    """With the user's kept notes and the swing in: what is written is what is named."""
    result = generator.generate(sectioned_song(), GenerationOptions(seed=1, takes=2))
    song = result.song
    for take in result.takes:
        assert take.parts
        part = grid_to_part(take.drums, song.grid, song.first_bar, 32)
        bars = song.grid.bars[song.first_bar:song.first_bar + len(part.hits)]
        starts = [bar - 1 - song.first_bar for bar, _ in take.parts]
        steps, beat = bars[:, BAR_STEPS], song.grid.beat_steps()[bars[:, BAR_START]]
        assert tuple(name for _, name in take.parts) == played_names(part.hits, part.offset, steps, beat, starts)


def test_the_guitar_alone_with_one_section_named_says_where_its_part_stops(generator: DrumGenerator) -> None:
    """The guitar alone plays the musician's sections and the others bar by bar: the take's parts as played end
    with the bar where the named section's phrases stop (main.py, the service and the studio print them)."""
    data = sectioned_song()
    made = generator.generate(data, GenerationOptions(seed=2, guitar_only=True, parts="A#1=eighths on the ride, "
                                                                                     "backbeat"))
    take = made.takes[0]
    assert take.plan == "from the musician" and [bar for bar, _ in take.planned] == [1, 5, 9, 13]
    assert take.parts[-1] == (17, BAR_BY_BAR) and all(name != BAR_BY_BAR for _, name in take.parts[:-1])
