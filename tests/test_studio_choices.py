"""What the studio's page picks from rather than types (seq2drum/studio/choices.py): a song's meters as generation
names them, the styles that fit a meter (and only those: every one listed is played, every other refused), and the
kit maps that ship."""

from __future__ import annotations

from pathlib import Path

import pytest

from seq2drum.errors import ConfigError
from seq2drum.generation.generator import DrumGenerator
from seq2drum.midi.io import choose_guitar, read_midi
from seq2drum.options import GenerationOptions
from seq2drum.studio.choices import kit_map_list, meter_asked, song_meters, style_list
from tests.builders import PPQ, notes_from_steps, riff, song_bytes


def meter_song(bars: list[tuple[int, int]], guitar_from_bar: int = 0) -> bytes:
    """One bar per (numerator, denominator), the guitar's riff in every bar from `guitar_from_bar` on."""
    starts, meters, tick = [], [], 0
    for numerator, denominator in bars:
        starts.append(tick)
        meters.append((tick, numerator, denominator))
        tick += numerator * 4 * PPQ // denominator
    steps = [(start * 4 // PPQ + step, pitch) for bar, start in enumerate(starts) if bar >= guitar_from_bar
             for step, pitch in riff(1, steps_per_bar=meters[bar][1] * 16 // meters[bar][2])]
    return song_bytes(notes_from_steps(steps, length_steps=2), time_signatures=meters)


@pytest.mark.parametrize(("asked", "named"), [("4/4", "4/4"), ("2/2", "4/4"), ("3/4", "3/4"), ("6/8", "6/8"),
                                              ("12/8", "12/8"), ("7/8", "7/8"), ("", "4/4")])
def test_a_meter_is_named_as_the_styles_name_it(asked: str, named: str) -> None:
    assert meter_asked(asked) == named


def test_a_meter_that_is_no_meter_is_one_line() -> None:
    for text in ("waltz", "3/5", "9" * 1000):
        with pytest.raises(ConfigError) as refused:
            meter_asked(text)
        assert "\n" not in str(refused.value) and len(str(refused.value)) < 200


def test_a_songs_meter_is_where_its_guitar_plays_most() -> None:
    """Two 4/4 bars of intro without the guitar, then three 3/4 bars and one 4/4 bar with it: the song is in 3/4."""
    song = read_midi(meter_song([(4, 4), (4, 4), (3, 4), (3, 4), (3, 4), (4, 4)], guitar_from_bar=2))
    assert song_meters(song, choose_guitar(song).parts) == ["3/4", "4/4"]
    compound = read_midi(meter_song([(6, 8)] * 3))
    assert song_meters(compound, choose_guitar(compound).parts) == ["6/8"]
    assert song_meters(read_midi(song_bytes(None, notes_from_steps([(0, 36)]))), []) == []


def test_the_list_holds_exactly_the_styles_generation_plays_in_the_songs_meter(tiny_model_path: Path) -> None:
    """For a 6/8 song and a 4/4 song: every style listed makes drums, every style left out is refused by generation
    (the one line naming the styles that fit). Breaks when the list and generation disagree on what fits."""
    generator = DrumGenerator.from_checkpoint(tiny_model_path)
    styles = [{"name": s.name, "meters": s.meters, "description": s.description} for s in generator.styles.styles]
    for meters in ([(6, 8)] * 2, [(4, 4)] * 2):
        data = meter_song(meters)
        song = read_midi(data)
        listed = style_list(styles, song_meters(song, choose_guitar(song).parts)[0])
        names = [style["name"] for style in listed["styles"]]
        assert names and listed["all"] == len(styles) > len(names)
        for style in styles:
            options = GenerationOptions(style=style["name"], seed=1)
            if style["name"] in names:
                assert generator.generate(data, options).bars == 2, style
            else:
                with pytest.raises(ConfigError, match=f"style '{style['name']}' plays in"):
                    generator.generate(data, options)


def test_the_kit_map_list_gives_each_drums_note_and_what_it_plays() -> None:
    maps = kit_map_list()
    assert [found["key"] for found in maps] == ["gm", "addictive-drums-2", "toontrack"]
    ad2 = maps[1]
    assert ad2["name"] == "Addictive Drums 2 (XLN Audio)" and ad2["notes"]["closed_hat"] == 49
    assert ad2["plays"]["closed_hat"] == "HiHat Closed 1 Tip" and "XLN" in ad2["source"]
