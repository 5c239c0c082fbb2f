"""A phrase's label in a drummer's words (seq2drum/parts/labels.py), on phrases built in code: what keeps time and in
what subdivision, what the kick and snare do, the level against the song, the fill bars, the meter family, and how a
song's sections are cut into phrases. If one fails, the part vocabulary groups phrases a drummer would not group."""

from __future__ import annotations

import numpy as np
import pytest

from seq2drum.midi.drums import CLOSED_HAT, CRASH, KICK, LOW_TOM, MID_TOM, OPEN_HAT, RIDE, SNARE
from seq2drum.parts.labels import (backbeat_beats, cut_phrases, family_of, fill_bars, label_phrase, label_phrases,
                                   time_keeper)
from seq2drum.parts.vocabulary import part_name
from seq2drum.song.sections import Section

WIDTH = 32


def phrase(hits: list[tuple[int, int]], bars: int = 4, bar_steps: int = 16, fills: dict[int, list] | None = None,
           offsets: dict[tuple[int, int], float] | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(hits, offset, bar_steps) of `bars` bars each playing (step, class) `hits`, bar r playing fills[r] instead."""
    out = np.zeros((bars, WIDTH, 9), dtype=bool)
    offset = np.zeros((bars, WIDTH, 9), dtype=np.float32)
    for row in range(bars):
        for step, drum in (fills or {}).get(row, hits):
            out[row, step, drum] = True
            offset[row, step, drum] = (offsets or {}).get((step, drum), 0.0)
    return out, offset, np.full(bars, bar_steps)


ROCK = [(s, CLOSED_HAT) for s in range(0, 16, 2)] + [(0, KICK), (8, KICK), (4, SNARE), (12, SNARE)]
TOM_FILL = [(s, LOW_TOM) for s in range(8, 16)] + [(0, KICK), (4, SNARE)]


def label(hits: list[tuple[int, int]], bar_steps: int = 16, beat_steps: int = 4, median: float = 10.0, **kwargs):
    drums, offset, steps = phrase(hits, bar_steps=bar_steps, **kwargs)
    return label_phrase(drums, offset, steps, np.full(len(steps), beat_steps), median)


def test_eighths_on_the_hat_with_a_backbeat() -> None:
    found = label(ROCK)
    assert (found.family, found.level, found.keeper, found.subdivision, found.feel) == \
        ("4/4", "full", "closed_hat", "eighths", "backbeat")
    assert found.hits_per_bar[CLOSED_HAT] == 8 and found.fill_rows == ()


def test_sixteenths_and_four_on_the_floor() -> None:
    hits = [(s, CLOSED_HAT) for s in range(16)] + [(s, KICK) for s in (0, 4, 8, 12)] + [(4, SNARE), (12, SNARE)]
    found = label(hits)
    assert (found.subdivision, found.feel) == ("16ths", "four-floor")


def test_ride_quarters_in_half_time() -> None:
    found = label([(s, RIDE) for s in (0, 4, 8, 12)] + [(0, KICK), (8, SNARE)])
    assert (found.keeper, found.subdivision, found.feel) == ("ride", "quarters", "half-time")


def test_a_jazz_ride_swings_over_the_hat_foot_with_comping() -> None:
    """The ride's skip notes on the triplet (a 16th late of the off-beat eighth by 1/3 step back): swung; the hat
    on 2 and 4 does not keep time, the snare off the beats is comping, not a backbeat."""
    ride = [(s, RIDE) for s in (0, 4, 7, 8, 12, 15)]
    hits = ride + [(4, CLOSED_HAT), (12, CLOSED_HAT), (6, SNARE), (14, SNARE), (10, KICK)]
    found = label(hits, offsets={(7, RIDE): -1 / 3, (15, RIDE): -1 / 3})
    assert (found.keeper, found.subdivision, found.feel) == ("ride", "swung", "comping")


def test_a_jazz_ride_through_comping_bars_still_swings() -> None:
    """A phrase of one groove bar and three comping bars (kit.py's fills: 4 snares on odd 16ths) gives the groove bar
    two swung beats, under SWING_MIN_BEATS: its swing is read over all four bars the ride keeps, so the spang-a-lang
    is not named "16ths on the ride" by its skip notes on the beats' last 16th. 16ths stay 16ths."""
    ride = [(s, RIDE) for s in (0, 4, 7, 8, 12, 15)]
    comping = ride + [(s, SNARE) for s in (3, 7, 13, 15)]
    skip = {(7, RIDE): -1 / 3, (15, RIDE): -1 / 3}
    found = label(ride + [(4, CLOSED_HAT), (12, CLOSED_HAT)], fills={1: comping, 2: comping, 3: comping},
                  offsets=skip)
    assert found.fill_rows == (1, 2, 3)
    assert (found.keeper, found.subdivision) == ("ride", "swung")
    sixteenths = [(s, RIDE) for s in range(16)]
    found = label(sixteenths, fills={1: sixteenths + comping, 2: sixteenths + comping, 3: sixteenths + comping})
    assert (found.keeper, found.subdivision) == ("ride", "16ths")
    # a straight hat that strikes a beat's second 16th keeps its own reading, whatever the fills' triplets swing
    hat, triplets = [(s, CLOSED_HAT) for s in (0, 4, 5, 8, 12)], [(s, CLOSED_HAT) for s in range(0, 16, 4)]
    fill = triplets + [(s, CLOSED_HAT) for s in (3, 7, 11, 15)] + [(s, LOW_TOM) for s in (8, 12)]
    found = label(hat, fills={1: fill, 2: fill, 3: fill}, offsets={(s, CLOSED_HAT): -1 / 3 for s in (3, 7, 11, 15)})
    assert found.fill_rows == (1, 2, 3) and (found.keeper, found.subdivision) == ("closed_hat", "quarters")


def test_a_straight_ride_is_not_swung() -> None:
    found = label([(s, RIDE) for s in range(0, 16, 2)] + [(4, SNARE), (12, SNARE)])
    assert found.subdivision == "eighths"


def test_a_waltz_and_a_six_eight() -> None:
    waltz = label([(0, KICK), (4, CLOSED_HAT), (8, CLOSED_HAT), (0, CLOSED_HAT)], bar_steps=12)
    assert (waltz.family, waltz.feel, waltz.subdivision) == ("3/4", "waltz", "quarters")
    six_eight = label([(s, CLOSED_HAT) for s in range(0, 12, 2)] + [(0, KICK), (6, SNARE)], bar_steps=12,
                      beat_steps=6)
    assert (six_eight.family, six_eight.subdivision, six_eight.feel) == ("compound", "eighths", "backbeat")


def test_levels_against_the_song() -> None:
    assert label([]).level == "drop-out"
    sparse = label([(0, KICK), (8, KICK), (4, SNARE), (12, SNARE)], median=12.0)
    assert sparse.level == "sparse" and sparse.signature() == ("4/4", "sparse", "none")
    assert label(ROCK, median=12.0).level == "full"


def test_the_fill_bars_and_what_keeps_time_outside_them() -> None:
    """The fill bar is found and named by its row; the time-keeper and feel are read from the groove bars."""
    found = label(ROCK, fills={3: TOM_FILL})
    assert found.fill_rows == (3,) and found.end_fill
    assert (found.keeper, found.feel) == ("closed_hat", "backbeat")
    drums, _, steps = phrase(ROCK, fills={1: [(s, SNARE) for s in range(1, 16, 2)], 2: [(0, MID_TOM), (2, LOW_TOM)]})
    assert fill_bars(drums, steps).tolist() == [False, True, True, False]


def test_a_hat_shared_by_open_and_closed_keeps_time_on_the_hat() -> None:
    counts = np.zeros((4, 9))
    counts[:, CLOSED_HAT], counts[:, OPEN_HAT] = 1.5, 0.8  # neither alone reaches half a hit a beat
    assert time_keeper(counts, np.full(4, 4)) == "closed_hat"
    assert time_keeper(np.zeros((4, 9)), np.full(4, 4)) == "none"


@pytest.mark.parametrize("subdivision", [4, 2], ids=["quarters", "eighths"])
def test_a_chorus_ridden_on_the_crash_is_riding_the_crash_in_any_subdivision(subdivision: int) -> None:
    """A metal drummer's chorus on the crash (issue 100): the crash keeps time where it is the busiest cymbal at half
    a hit a beat; the part is named by its cymbal alone (quarters or eighths, a backbeat or not, one part)."""
    crash = [(s, CRASH) for s in range(0, 16, subdivision)] + [(0, KICK), (8, KICK), (4, SNARE), (12, SNARE)]
    found = label(crash + [(4, CLOSED_HAT), (12, CLOSED_HAT)])
    assert (found.keeper, found.signature()) == ("crash", ("4/4", "full", "crash"))
    assert part_name(found.signature()) == "riding the crash"
    drums, offset, steps = phrase(crash)  # the batched labeller reads it as the single one does
    batched = label_phrases(drums, offset, steps, np.full(4, 4), [(0, 4)], 10.0)[0]
    assert batched.signature() == found.signature()


def test_a_crash_on_the_downbeat_over_the_hat_keeps_time_on_the_hat() -> None:
    """A crash accent each bar is not time kept: the hat's eighths keep it, as before the crash could."""
    found = label(ROCK + [(0, CRASH)])
    assert found.signature() == ("4/4", "full", "closed_hat", "eighths", "backbeat")
    counts = np.zeros((4, 9))
    counts[:, CRASH], counts[:, CLOSED_HAT] = 3.0, 2.5  # the crash at 3/4 a beat, busier than the hat: it keeps time
    assert time_keeper(counts, np.full(4, 4)) == "crash"


@pytest.mark.parametrize("bar_steps, beat_steps, family", [(16, 4, "4/4"), (12, 4, "3/4"), (12, 6, "compound"),
                                                           (24, 6, "compound"), (14, 2, "other"), (20, 4, "other"),
                                                           (8, 4, "other")],
                         ids=["4/4", "3/4", "6/8", "12/8", "7/8", "5/4", "2/4"])
def test_meter_families_as_the_scoring_names_them(bar_steps: int, beat_steps: int, family: str) -> None:
    assert family_of(bar_steps, beat_steps) == family


def test_backbeats_of_even_and_odd_counts() -> None:
    assert backbeat_beats(4) == [1, 3] and backbeat_beats(3) == [1, 2] and backbeat_beats(2) == [1]
    assert backbeat_beats(5) == [1, 3, 4] and backbeat_beats(1) == []


def test_sections_are_cut_in_four_bar_phrases() -> None:
    """A 10-bar section: 4 + 4 + 2; a 9-bar one: 4 + 5 (a bar alone joins the phrase before); bars before the
    first section are a phrase of their own."""
    sections = [Section(3, 13, 0), Section(13, 22, 1)]
    phrases = cut_phrases(sections, first_bar=1, n_bars=21)
    assert [(p.start_row, p.end_row, p.letter, p.index) for p in phrases] == [
        (0, 2, -1, 0), (2, 6, 0, 0), (6, 10, 0, 1), (10, 12, 0, 2), (12, 16, 1, 0), (16, 21, 1, 1)]
