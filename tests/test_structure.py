"""Bar structure (seq2drum/groove/structure.py): the fill-bar label and the fill beats decoding writes, the training
labels, section edges and the closing-fill rule, and `Steering`'s forced rests, crashes and fills."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from seq2drum.groove.takes import steered_takes
from seq2drum.groove.request import SpanSection, section_places, song_edges
from seq2drum.groove.decoder import Decoder
from seq2drum.groove.policy import DecodingPolicy, Steering
from seq2drum.groove.structure import (CRASH_COLUMN, FILL_COLUMN, REST_COLUMN, STRUCTURE_COLUMNS, bar_structure,
                                       is_fill_bar, is_fill_beat, play_ending)
from seq2drum.song.phrases import closes_with_fill
from seq2drum.midi.drums import CLOSED_HAT, CRASH, HIGH_TOM, KICK, SNARE
from seq2drum.song.sections import Section
from tests.builders import pattern, tiny_codebook
from tests.test_decoder import ROCK, mix, scores_for


@pytest.mark.parametrize(("hits", "expected"), [
    ([(0, KICK), (8, SNARE)], False),
    ([(13, HIGH_TOM)], True),
    ([(12, SNARE), (13, SNARE), (15, SNARE)], True),
    ([(4, SNARE), (8, SNARE), (12, SNARE)], False),
    ([(0, CRASH)], False),
], ids=["groove", "tom", "snare-roll-last-beat", "snares-spread", "crash"])
def test_fill_bar_means_toms_or_three_snares_in_the_last_beat(hits: list[tuple[int, int]], expected: bool) -> None:
    """The fill-bar label the structure head is trained on; a change here changes every training label."""
    assert is_fill_bar(pattern(16, hits), 16, 4) is expected


def test_the_two_fill_predicates_stay_distinct() -> None:
    """A tom early in the bar makes a fill bar (the label) but not a fill beat (what decoding writes in the last
    beat): the two rules are kept apart on purpose, as unifying them changes drums."""
    early_tom = pattern(16, [(2, HIGH_TOM), (0, KICK)])
    assert is_fill_bar(early_tom, 16, 4)
    assert not is_fill_beat(early_tom[None, 12:16]).any()
    roll = pattern(16, [(12, SNARE), (13, SNARE), (14, SNARE)])
    assert is_fill_beat(roll[None, 12:16]).tolist() == [True]


def test_training_targets_mark_rests_crashes_and_fills_in_the_column_order() -> None:
    """bar_structure's columns are (rest, crash, fill), the order the structure head and the decision read."""
    hits = np.zeros((3, 32, 9), dtype=bool)
    hits[1, :16] = pattern(16, [(0, CRASH), (0, KICK), (8, SNARE)])
    hits[2, :16] = pattern(16, [(0, KICK), (13, HIGH_TOM)])
    flags = bar_structure(hits, np.array([16, 16, 16]), np.array([4, 4, 4]))
    assert flags.tolist() == [[True, False, False], [False, True, False], [False, False, True]]
    assert (STRUCTURE_COLUMNS[REST_COLUMN], STRUCTURE_COLUMNS[CRASH_COLUMN], STRUCTURE_COLUMNS[FILL_COLUMN]) == (
        "rest", "crash", "fill")


def test_a_section_of_two_bars_or_more_closes_with_a_fill_and_a_one_bar_section_does_not() -> None:
    """The closing-fill rule shared by decoding's edges, --fills and drums from nothing."""
    assert not closes_with_fill(1) and closes_with_fill(2)
    position, ends = section_places((SpanSection(0, 4, 0), SpanSection(4, 5, 1), SpanSection(5, 8, 0)), 8, 8)
    assert np.flatnonzero(position == 0).tolist() == [0, 4, 5]
    assert np.flatnonzero(ends).tolist() == [3, 7]


NEVER_OFF_EDGE = DecodingPolicy(refine_margin=1.0, fill_threshold=1.0, rest_threshold=1.0)


def test_a_forced_fill_off_a_section_edge_is_played() -> None:
    """Fills forced by Steering are played wherever they fall. When drums from nothing forced fills through the
    network's logits, an off-edge fill never passed the shipped threshold of 1.0 and was silently dropped."""
    scores = scores_for([mix(0.7, 0.1)] * 8, [Section(0, 8, 0)])
    fills = np.zeros(8, dtype=bool)
    fills[3] = True  # the middle of the section: not an edge
    take = steered_takes(Decoder(tiny_codebook(), NEVER_OFF_EDGE), scores, steering=Steering(fills=fills))[0]
    assert np.flatnonzero(take.structure[:, FILL_COLUMN]).tolist() == [3]
    assert is_fill_bar(take.hits[3], 16, 4)
    assert not is_fill_bar(take.hits[2], 16, 4)


def test_forced_rests_and_crashes_are_obeyed_and_none_leaves_the_bar_to_the_model() -> None:
    """Steering's rests and crashes: True and False force a bar, None leaves it to the model (which here wants a
    rest in every bar); a resting bar has no hit, a crashing bar has crash and kick on its downbeat."""
    scores = scores_for([mix(0.7, 0.1)] * 6, [Section(0, 6, 0)], rest=0.9)
    rests = np.array([True, False, None, False, False, False], dtype=object)
    crashes = np.array([False, True, False, False, True, False])
    steering = Steering(rests=rests, crashes=crashes)
    take = steered_takes(Decoder(tiny_codebook(), NEVER_OFF_EDGE.replace(rest_threshold=0.5)), 
        scores, steering=steering)[0]
    assert take.structure[:, REST_COLUMN].tolist() == [True, False, True, False, False, False]
    assert not take.hits[0].any() and not take.hits[2].any()
    assert take.structure[:, CRASH_COLUMN].tolist() == crashes.tolist()
    assert take.hits[[1, 4], 0][:, [CRASH, KICK]].all()
    assert take.grooves[3] == ROCK


def test_a_last_chord_on_a_downbeat_is_the_only_crash_of_the_two_bars() -> None:
    """The ending's kick and crash on the guitar's last onset: on a downbeat, the bar before loses its opening crash
    (its kick and hats stay); mid-bar, the bar before keeps it."""
    hits = np.zeros((6, 16, 9), dtype=bool)
    hits[:, 0, [CRASH, KICK]] = True
    hits[:, ::2, CLOSED_HAT] = True
    scores = replace(scores_for([mix(0.7, 0.1)] * 6, [Section(0, 6, 0)]), last_onset=(5, 0))
    on_downbeat = hits.copy()
    play_ending(on_downbeat, scores)
    assert on_downbeat[5, 0, CRASH] and not on_downbeat[5, 1:].any()
    assert not on_downbeat[4, 0, CRASH] and on_downbeat[4, 0, KICK] and on_downbeat[4, 0, CLOSED_HAT]
    assert on_downbeat[3, 0, CRASH]
    mid_bar = hits.copy()
    play_ending(mid_bar, replace(scores, last_onset=(5, 8)))
    assert mid_bar[4, 0, CRASH] and mid_bar[5, 8, CRASH] and not mid_bar[5, 9:].any()


def test_fills_close_each_four_bar_phrase_inside_a_section_as_crashes_open_eight() -> None:
    """A 12-bar section and a 6-bar one: a fill's edge threshold holds at the end of each 4-bar phrase inside a
    section (bars 4, 8, 12 of the first) and at each section's last bar; crashes open sections, and 8-bar phrases
    6 bars or more before the next section.
    Fills only at section ends left drums with 0.47 fill bars per 8 where drummers play 1.42 (validation songs)."""
    
    scores = scores_for([mix(0.5, 0.0)] * 18, [Section(0, 12, 0), Section(12, 18, 1)])
    edges = song_edges(scores, crash_phrase_bars=8)
    assert np.flatnonzero(edges[:, FILL_COLUMN]).tolist() == [3, 7, 11, 15, 17]
    assert np.flatnonzero(edges[:, CRASH_COLUMN]).tolist() == [0, 12]  # bar 8's phrase gives way to bar 12


def test_a_phrase_just_before_the_next_section_gives_way_to_its_crash() -> None:
    """A 12-bar blues of three choruses: a crash may open each chorus and the 8-bar phrase of the last one, not the
    9th bar of the first two (4 bars before the next chorus), whose crash kept the chorus's out (at least 6 bars
    apart): the drums crashed on bars 9, 21 and 33 and not where the choruses open."""
    
    scores = scores_for([mix(0.5, 0.0)] * 36, [Section(0, 12, 0), Section(12, 24, 0), Section(24, 36, 0)])
    assert np.flatnonzero(song_edges(scores, crash_phrase_bars=8)[:, CRASH_COLUMN]).tolist() == [0, 12, 24, 32]
