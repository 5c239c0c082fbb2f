"""What the drums say they heard (seq2drum/band/heard.py, issue 100 items 6 and 4's form), on bands built in code
(tests/band_songs.py). A failure here means the printed "heard:" line says another genre, time or form than the band
plays, the musician's --genre is not what is printed, the shipped reader no longer fits the options' genres, or a
12-bar blues is no longer cut in 12-bar choruses (or a rock song's sections changed)."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

import seq2drum.band.heard as heard_module
from seq2drum.band import band_bars, counted_form, describe_band, hear
from seq2drum.band.heard import GENRE_READER, GenreReader, shipped_reader
from seq2drum.errors import ConfigError
from seq2drum.generation.generator import DrumGenerator
from seq2drum.generation.prepare import prepare
from seq2drum.midi.io import read_midi
from seq2drum.options import GENRES, GenerationOptions
from seq2drum.song.bars import bar_song
from seq2drum.song.phrases import CountedForm
from tests import band_songs


def described(data: bytes):  # noqa: ANN201
    return describe_band(read_midi(data))


@pytest.mark.parametrize("song, line", [
    (band_songs.walking_jazz(8), "heard: jazz, swung, an 8-bar form"),
    (band_songs.shuffle_blues(3), "heard: jazz, swung, 12-bar blues"),  # sevenths, an upright bass, swung: jazz
    (band_songs.rock_blues(3), "heard: blues, straight, 12-bar blues"),
    (band_songs.rock(32), "heard: rock, straight, an 8-bar form"),
], ids=["walking-jazz", "swung-blues", "rock-blues", "rock"])
def test_a_built_band_is_heard_as_what_it_plays(song: bytes, line: str) -> None:
    assert hear(described(song)).line() == line


def test_the_musicians_genre_is_what_is_printed_beside_what_the_band_sounds_like() -> None:
    rock = described(band_songs.rock(32))
    assert hear(rock, "jazz").line() == "heard: jazz (as you said; the band sounds like rock), straight, an 8-bar form"
    assert hear(rock, "rock").line() == "heard: rock (as you said), straight, an 8-bar form"
    assert hear(rock, "jazz").genre == "jazz" and hear(rock, "jazz").read_genre == "rock"


def test_a_close_jazz_call_says_so_and_how_to_say_rock(monkeypatch: pytest.MonkeyPatch) -> None:
    """A band the reader calls jazz under its `sure` score (on the table 10 jazz songs of the 83 it calls jazz there)
    is printed as a close call with the word that says otherwise; over it, or with the musician's word, it is not."""
    jazz = described(band_songs.walking_jazz(8))
    shipped = shipped_reader()
    score = shipped.jazz_score(jazz)
    assert shipped.threshold <= shipped.sure and score >= shipped.threshold
    monkeypatch.setattr(heard_module, "shipped_reader", lambda: replace(shipped, sure=score + 1.0))
    assert hear(jazz).line() == "heard: jazz (a close call: --genre rock plays it as rock), swung, an 8-bar form"
    assert hear(jazz, "jazz").line() == "heard: jazz (as you said), swung, an 8-bar form"
    monkeypatch.setattr(heard_module, "shipped_reader", lambda: replace(shipped, sure=score - 1.0))
    assert hear(jazz).line() == "heard: jazz, swung, an 8-bar form"
    rock = described(band_songs.rock(32))
    assert not hear(rock).close_call  # only a jazz call is a close one


def test_the_shipped_reader_says_the_genres_the_options_take() -> None:
    """genre_reader.json (tools/fit_genre_reader.py) is read; a file fitted for other genres is refused in a line
    that names the tool that writes it again."""
    reader = shipped_reader()
    assert reader.fields == ("sevenths", "jazz_program_share", "swing") and all(s > 0 for s in reader.std)
    values = json.loads(GENRE_READER.read_text(encoding="utf-8"))
    assert tuple(values["genres"]) == GENRES
    with pytest.raises(ConfigError, match="python -m tools.fit_genre_reader"):
        GenreReader.from_dict({**values, "genres": ["jazz", "rock"]})


def test_the_form_counted_is_a_12_bar_blues_from_where_its_changes_start() -> None:
    assert counted_form(described(band_songs.rock_blues(3))) == CountedForm(12, 0)
    assert counted_form(described(band_songs.rock_blues(3, intro_bars=4))) == CountedForm(12, 4)
    assert counted_form(described(band_songs.rock(32))) is None
    assert counted_form(described(band_songs.boogie_blues(4, intro_bars=2))) == CountedForm(12, 2)  # quick change
    assert counted_form(described(band_songs.walking_jazz(8))) is None


def test_a_12_bar_form_off_the_blues_changes_is_counted_where_its_harmony_repeats(generator: DrumGenerator) -> None:
    """A 12-bar form whose shells name no root (a jazz blues on rootless voicings, mosey_along of midi/) is counted in
    12-bar choruses placed by the band's harmony: bars 1, 13, 25 (before, one section, A@1); without the bars' chroma,
    or where the form is 8 bars, nothing is counted."""
    data = band_songs.rootless_twelve(3)
    song = read_midi(data, only_guitar=False)
    description, chroma = described(data), band_bars(song).chroma
    assert not description.twelve_bar_blues and description.chorus_bars == 12
    form = counted_form(description, chroma)
    assert form is not None and (form.period, form.first_bar) == (12, None) and form.chroma.shape == (36, 12)
    assert counted_form(description) is None
    rock = band_songs.rock(32)
    assert counted_form(described(rock), band_bars(read_midi(rock, only_guitar=False)).chroma) is None
    result = generator.generate(data, GenerationOptions(seed=1))
    assert [bar for bar, _ in result.sections] == [1, 13, 25]


@pytest.fixture(scope="module")
def generator() -> DrumGenerator:
    return DrumGenerator.from_checkpoint()


def test_a_12_bar_blues_plays_in_12_bar_choruses(generator: DrumGenerator) -> None:
    """The run's sections (what it prints, A@1 ...) open every chorus of a 12-bar blues: bars 1, 13, 25 (before, a
    blues of bass and keys with no guitar was one section, A@1), and after a 4-bar intro 1, 5, 17, 29 (before: 1, 3,
    15, 27, 39); the line says what was heard."""
    result = generator.generate(band_songs.shuffle_blues(3), GenerationOptions(seed=1))
    assert [bar for bar, _ in result.sections] == [1, 13, 25]
    assert result.heard_line == "heard: jazz, swung, 12-bar blues"
    intro = generator.generate(band_songs.rock_blues(3, intro_bars=4), GenerationOptions(seed=1))
    assert [bar for bar, _ in intro.sections] == [1, 5, 17, 29]
    assert intro.heard_line == "heard: blues, straight, 12-bar blues"


def test_a_rock_songs_sections_are_those_found_without_the_form(generator: DrumGenerator) -> None:
    song = band_songs.rock(32)
    prepared = prepare(song, GenerationOptions(seed=1), generator.data_config, generator.spec)
    alone = bar_song(prepared.encoded, generator.spec)  # no form handed over: the sections as before issue 100
    assert prepared.bars.sections == alone.sections
    assert prepared.heard is not None and prepared.heard.genre == "rock"
