"""The drummer's sections (seq2drum/song/phrases.py): choruses found as repeats (a 12-bar blues of three choruses is
A A A at bars 0, 12, 24), starts on phrase lines, no section of 1-3 bars but an intro or an ending, one label's
pieces joined; and the network's input, the guitar's own sections, left exactly as the shipped models read it."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pytest

from seq2drum.song.bars import bar_song
from seq2drum.song.columns import BAR, FeatureSpec
from seq2drum.song.phrases import (MIN_DRUMMER_SECTION_BARS, CountedForm, choruses, drummer_sections, hard_starts,
                                   on_phrase_lines)
from seq2drum.song.sections import Section, bar_vectors, section_bar_features, self_similarity, song_structure
from tests.builders import blues, comped_blues, riff
from tests.test_sections import encoded

SPEC = FeatureSpec.current(4)


def blocks(*lengths_and_parts: tuple[int, int]) -> np.ndarray:
    """(n, n) bar similarity of a song made of (bars, part) blocks: bars of one part alike (1.0), of two parts 0.2."""
    parts = np.concatenate([[part] * length for length, part in lengths_and_parts])
    return np.where(parts[:, None] == parts[None, :], 1.0, 0.2).astype(np.float32)


def found(sections: list[Section], similarity: np.ndarray, novelty: np.ndarray | None = None,
          plays: np.ndarray | None = None, notes: np.ndarray | None = None,
          markers: tuple[int, ...] = ()) -> list[tuple[int, int, str]]:
    n = len(similarity)
    novelty = np.zeros(n, dtype=np.float32) if novelty is None else novelty
    plays = np.ones((n, 1), dtype=bool) if plays is None else plays
    notes = np.full(n, 8) if notes is None else notes
    return [(s.start_bar, s.end_bar, s.letter)
            for s in drummer_sections(sections, novelty, similarity, plays, notes, markers, 0)]


def test_a_12_bar_blues_of_three_choruses_is_a_section_at_each_chorus_all_alike() -> None:
    """The blues (E7 A7 B7, the same pattern in every bar) the guitar's novelty reads as one A: its choruses are
    found as repeats of 12 bars, so the drums crash at bars 12 and 24 and fill before them."""
    song = bar_song(encoded(blues(3)), SPEC)
    assert [(s.start_bar, s.end_bar) for s in song.network_sections] == [(0, 36)]  # the guitar's: one A
    assert [(s.start_bar, s.end_bar, s.letter) for s in song.sections] == [(0, 12, "A"), (12, 24, "A"), (24, 36, "A")]


@pytest.mark.parametrize("seed", [7, 8, 9])
def test_a_blues_comped_freely_is_a_section_at_each_chorus(seed: int) -> None:
    """Issue 90: a blues whose guitar comps in a rhythm of its own each bar repeats only in its changes; its sections
    were cut by the rhythm (1, 9, 13) and the crashes landed mid-chorus. Each chorus (bars 1, 13, 25, 37) is one."""
    song = bar_song(encoded(comped_blues(4, seed=seed)), SPEC)
    assert [s.start_bar for s in song.sections] == [0, 12, 24, 36]


def test_a_riff_repeated_every_bar_or_every_4_bars_is_no_chorus() -> None:
    """A riff repeats at every lag that its own length divides; only a period with no shorter repeat is a chorus."""
    song = encoded(riff(32))  # the root moves each bar, the same 4 bars over and over
    similarity = self_similarity(bar_vectors(song.guitar, song.grid, song.first_bar, song.end_bar))
    assert choruses(similarity, set(), set()) == []
    blues_song = encoded(blues(3))
    similarity = self_similarity(bar_vectors(blues_song.guitar, blues_song.grid, 0, blues_song.end_bar))
    assert [(c.start, c.period, list(c.blocks())) for c in choruses(similarity, set(), set())] == [
        (0, 12, [0, 12, 24])]


@pytest.mark.parametrize("seed", range(40))
def test_no_section_under_4_bars_but_the_intro_and_the_ending(seed: int) -> None:
    """Songs of random parts of 1-9 bars (the guitar's sections cut wherever a part changes, some parts coming
    back), random markers and a bass entering anywhere: the drummer's sections cover the song, none of 1-3 bars but
    the first and the last, and no two back to back share a label unless a hard start or a chorus divides them."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(1, 10, size=rng.integers(3, 9))
    parts = rng.integers(0, 3, size=len(lengths))
    similarity = blocks(*zip(lengths.tolist(), parts.tolist()))
    n = len(similarity)
    bounds = np.concatenate([[0], np.cumsum(lengths)])
    guitar = [Section(int(a), int(b), int(p)) for a, b, p in zip(bounds[:-1], bounds[1:], parts)]
    plays = np.ones((n, 2), dtype=bool)
    plays[: int(rng.integers(0, n)), 1] = False
    markers = tuple(int(m) for m in rng.integers(1, n, size=rng.integers(0, 3)))
    novelty = rng.random(n).astype(np.float32) * 0.5
    sections = drummer_sections(guitar, novelty, similarity, plays, rng.integers(4, 30, size=n), markers, 0)
    assert sections[0].start_bar == 0 and sections[-1].end_bar == n
    assert all(a.end_bar == b.start_bar for a, b in pairwise(sections))
    assert all(s.n_bars >= MIN_DRUMMER_SECTION_BARS for s in sections[1:-1]), sections
    hard = hard_starts(plays, markers) | {0}
    repeats = choruses(similarity, hard, {s.start_bar for s in guitar[1:]})
    divided = hard | {row for chorus in repeats for row in chorus.starts()}
    assert all(b.start_bar in divided for a, b in pairwise(sections) if a.label == b.label), sections


def test_back_to_back_pieces_of_one_label_are_one_section() -> None:
    """One long B cut by the guitar's novelty into 4, 12, 2 and 7 bars (B@16 B@20 B@32 B@34) is one B."""
    similarity = blocks((16, 0), (25, 1))
    sections = [Section(0, 16, 0), Section(16, 20, 1), Section(20, 32, 1), Section(32, 34, 1), Section(34, 41, 1)]
    assert found(sections, similarity) == [(0, 16, "A"), (16, 41, "B")]


def test_section_starts_move_to_the_phrase_line_from_the_start_before() -> None:
    """A start 1 bar past a phrase line moves back to it, 3 bars past moves on to the next; 2 bars past goes to the
    more novel of the two."""
    novelty = np.zeros(40, dtype=np.float32)
    assert sorted(on_phrase_lines({0: 4}, [9], novelty, 1)) == [0, 8]
    assert sorted(on_phrase_lines({0: 4}, [11], novelty, 1)) == [0, 12]
    novelty[12] = 0.5
    assert sorted(on_phrase_lines({0: 4}, [10], novelty, 1)) == [0, 12]
    novelty[8] = 0.6
    assert sorted(on_phrase_lines({0: 4}, [10], novelty, 1)) == [0, 8]
    similarity = blocks((10, 0), (14, 1))
    assert found([Section(0, 10, 0), Section(10, 24, 1)], similarity) == [(0, 8, "A"), (8, 24, "B")]


def test_where_a_part_enters_or_a_marker_is_stays_a_start_off_the_phrase_line() -> None:
    """The bass coming in at bar 6 after 6 silent bars, and a file's marker at bar 13, start sections where they
    are; a part that drops out for a bar does not."""
    plays = np.ones((24, 2), dtype=bool)
    plays[:6, 1] = False  # the bass enters at bar 6
    plays[17, 0] = False  # the guitar rests one bar
    assert hard_starts(plays, [13]) == {6, 13}
    starts = [s[0] for s in found([Section(0, 24, 0)], blocks((24, 0)), plays=plays, markers=(13,))]
    assert starts == [0, 6, 13]


def test_a_verse_the_band_plays_is_not_the_verse_the_guitar_played_alone() -> None:
    """The same guitar riff, the band coming in busier at bar 8 (many more notes a bar): a section starts there,
    with its own label; the same riff at the same busyness is one section."""
    similarity = blocks((16, 0))
    notes = np.array([8] * 8 + [40] * 8)
    assert found([Section(0, 16, 0)], similarity, notes=notes) == [(0, 8, "A"), (8, 16, "B")]
    assert found([Section(0, 8, 0), Section(8, 16, 0)], similarity) == [(0, 16, "A")]


def test_the_network_reads_the_guitars_sections_as_before() -> None:
    """The shipped models were trained on song_structure's sections and novelty: bar_song's section and novelty
    columns are still exactly those, whatever the drummer's sections are (here they differ: the blues)."""
    song = encoded(blues(3))
    bars = bar_song(song, SPEC)
    sections, novelty = song_structure(song.guitar, song.grid, song.first_bar, song.end_bar, song.marker_steps)
    assert bars.network_sections == sections != bars.sections
    columns = list(SPEC.bar_columns)
    section_columns = [columns.index(name) for name in BAR.names[BAR.section]]
    np.testing.assert_array_equal(bars.bar_features[:, section_columns],
                                  section_bar_features(sections, song.first_bar, song.end_bar))
    np.testing.assert_array_equal(bars.bar_features[:, columns.index("novelty")], novelty)


def counted(n: int, form: CountedForm | None, first_bar: int = 0, novelty: np.ndarray | None = None,
            plays: np.ndarray | None = None) -> list[int]:
    """The sections' first bars (song bars, from 0) of n bars alike from `first_bar`, with the band's `form`."""
    similarity = np.ones((n, n), dtype=np.float32)
    novelty = np.zeros(n, dtype=np.float32) if novelty is None else novelty
    plays = np.ones((n, 1), dtype=bool) if plays is None else plays
    return [s.start_bar for s in drummer_sections([Section(first_bar, first_bar + n, 0)], novelty, similarity,
                                                  plays, np.full(n, 8), (), first_bar, None, form)]


def test_a_12_bar_blues_the_band_counts_is_cut_in_its_12_bar_choruses() -> None:
    """Issue 100 item 4: where the band's description hears a 12-bar blues (CountedForm(12, ...)), the drummer's
    sections open each chorus, even where the bars all sound alike (without it: one section); the guitar's starts
    inside a chorus do not cut it. If this fails, a blues is counted in 4-bar letters again."""
    assert counted(36, None) == [0]
    assert counted(36, CountedForm(12, 0)) == [0, 12, 24]
    novelty = np.zeros(36, dtype=np.float32)
    novelty[[4, 20]] = 0.9  # the guitar changes inside the first and the second chorus: no section starts there
    assert counted(36, CountedForm(12, 0), novelty=novelty) == [0, 12, 24]
    assert counted(40, CountedForm(12, 4)) == [0, 4, 16, 28]  # a 4-bar intro, then the choruses
    assert counted(36, CountedForm(12, 4), first_bar=4) == [4, 16, 28]  # rows from the band's entry at song bar 4
    assert counted(10, CountedForm(12, 0)) == [0]  # no whole chorus: the form says nothing


def test_a_form_placed_by_the_bands_harmony_opens_a_section_at_each_chorus_it_repeats() -> None:
    """CountedForm(12, None, harmony): the choruses lie where the band's harmony repeats 12 bars later. A 4-bar intro,
    then three choruses of 12 distinct bars: sections at 0, 4, 16, 28; from the band's entry at song bar 4, the rows
    read the harmony from there (4, 16, 28). Bars that do not repeat count nothing."""
    chroma = np.vstack([np.full((4, 12), 1.0), np.tile(np.eye(12), (3, 1))])
    assert counted(40, CountedForm(12, None, chroma)) == [0, 4, 16, 28]
    assert counted(36, CountedForm(12, None, chroma), first_bar=4) == [4, 16, 28]
    shifting = np.zeros((40, 12))
    shifting[np.arange(40), np.arange(40) % 11] = 1.0  # an 11-bar cycle under a 12-bar count: nothing repeats at 12
    assert counted(40, CountedForm(12, None, shifting)) == [0]
