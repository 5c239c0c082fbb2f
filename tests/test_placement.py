"""Where fills and crashes go (groove.placement, issue 88): the drummers' statistics as shipped, the positions and
draws a request gives each take, and the mark rules that place fills and crashes with them. If a take fills every
4th bar again, or all takes fill and crash alike, or live and offline place a bar differently, a test here fails."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from seq2drum.groove import marks
from seq2drum.groove.context import BarCounts, Past
from seq2drum.groove.placement import (FILL_LENGTHS, FILL_POSITIONS, NO_POSITION, SECTION_END, TWO_BARS,
                                       WHOLE_BAR, FamilyPlacement, Placement, crash_chance, crash_position,
                                       draws, fill_beats, fill_chances, fill_position, load_placement)
from seq2drum.groove.policy import DecodingPolicy
from seq2drum.groove.request import SpanSection, UNKNOWN_END, Span, heard_span, placing
from seq2drum.groove.settings import LANDING_CRASH_SHARE
from seq2drum.groove.structure import CRASH_COLUMN, FILL_COLUMN, FillWriter
from seq2drum.midi.drums import CLOSED_HAT, CRASH, LOW_TOM, MID_TOM, RIDE, SNARE, TOMS
from tests.deciding import placing_rows
from tests.test_rules import CODEBOOK, S, context_of, decision_of

POLICY = DecodingPolicy(fill_threshold=0.9, fill_edge_threshold=0.125, crash_edge_threshold=0.0)


def test_the_shipped_placement_reads_back_whole_and_names_the_command_that_refits_it() -> None:
    placement = load_placement()
    assert placement.about["command"] == "python -m seq2drum.training.placement"
    assert placement.about["songs"] > 100 and "training split" in placement.about["data"]
    assert set(placement.families) == {"4/4", "3/4", "compound", "other"}
    again = Placement.from_json(placement.to_json())
    assert again == placement
    for family in placement.families.values():
        assert len(family.fill_hazard) == len(FILL_POSITIONS) and len(family.fill_length) == len(FILL_LENGTHS)
        assert sum(family.fill_length) == pytest.approx(1.0, abs=1e-3) and 0 < family.tom_share < 1
    four = placement.families["4/4"]  # the drummers lead into a section most, close a phrase next
    assert four.fill_hazard[SECTION_END] > four.fill_hazard[FILL_POSITIONS.index("phrase_end")] > four.fill_hazard[0]
    assert four.crash_hazard[0] == max(four.crash_hazard) and four.crash_after_fill > 1
    with pytest.raises(ValueError, match="format"):
        Placement.from_json(json.dumps({**json.loads(placement.to_json()), "format_version": 0}))


def test_a_songs_fill_rate_grows_with_what_the_model_expects_of_it_and_is_capped() -> None:
    rate = load_placement().rate
    assert rate.per_8(0.05, 0.2) < rate.per_8(0.25, 0.2) < rate.per_8(0.25, 2.0)
    assert replace(rate, intercept=10.0).per_8(0.5, 3.0) == rate.max_per_8
    assert 0.8 < rate.per_8(rate.prior_fill, rate.prior_toms) < 3.0  # the training songs' mean: about 1.5 per 8


def test_a_bar_is_placed_by_its_place_in_its_section() -> None:
    assert [fill_position(p, False) for p in range(8)] == [0, 1, 2, 3, 0, 1, 2, 3]
    assert fill_position(5, True) == SECTION_END and fill_position(NO_POSITION, True) == NO_POSITION
    assert [crash_position(p) for p in (0, 4, 8, 12, 16, 3, NO_POSITION)] == [0, 2, 1, 2, 1, 3, 3]


FAMILY = FamilyPlacement(fill_hazard=(0.5, 0.5, 0.5, 1.5, 3.0), two_bar_share=0.1,
                         fill_length=(0.25, 0.25, 0.25, 0.25), tom_share=0.8,
                         crash_hazard=(2.0, 1.0, 1.0, 0.5), crash_after_fill=2.0)


def test_fill_chances_lead_into_a_section_and_a_two_bar_fill_ends_in_the_bar_after() -> None:
    one_end, two_end = fill_chances(FAMILY, 0.1, SECTION_END, 0)
    one_first, two_into_end = fill_chances(FAMILY, 0.1, 0, SECTION_END)
    assert one_end == pytest.approx(0.1 * 0.9 * 3.0) and one_first == pytest.approx(0.1 * 0.9 * 0.5)
    assert two_into_end == pytest.approx(0.1 * 0.1 * 3.0) and two_end == pytest.approx(0.1 * 0.1 * 0.5)
    assert fill_chances(FAMILY, 0.1, NO_POSITION, 3) == (0.0, 0.0)
    assert sum(fill_chances(FAMILY, 5.0, SECTION_END, SECTION_END)) == pytest.approx(1.0)  # never more than sure


def test_a_fills_length_follows_the_familys_and_a_bar_without_that_many_beats_fills_whole() -> None:
    lengths = fill_beats(FAMILY, np.linspace(0, 0.999, 400), 4).tolist()
    assert {length: lengths.count(length) for length in set(lengths)} == {1: 100, 2: 100, 3: 100, WHOLE_BAR: 100}
    assert fill_beats(FAMILY, 0.6, 3) == WHOLE_BAR and fill_beats(FAMILY, 0.3, 3) == 2


def test_crashes_open_a_section_most_and_follow_a_fill_more_often() -> None:
    assert crash_chance(FAMILY, 0.1, 0, False) == pytest.approx(0.2)
    assert crash_chance(FAMILY, 0.1, 5, False) == pytest.approx(0.05)
    assert crash_chance(FAMILY, 0.1, 5, True) == pytest.approx(0.1) and crash_chance(FAMILY, 9.0, 0, True) == 1.0


def test_bars_read_their_own_familys_placement_as_the_family_alone_would() -> None:
    placement = load_placement()
    names = ["3/4", "4/4", "compound", "7/8 unknown", "other", "3/4"]
    bars = placement.bars(names)
    this, following = np.array([0, 3, SECTION_END, 1, NO_POSITION, 2]), np.array([1, 0, 0, SECTION_END, 2, 3])
    one, two = fill_chances(bars, 0.3, this, following)
    crash = crash_chance(bars, 0.2, np.array([0, 8, 4, 3, NO_POSITION, 16]), np.array([1, 0, 1, 0, 1, 0], bool))
    lengths = fill_beats(bars, np.linspace(0.05, 0.95, 6), np.array([3, 4, 4, 4, 5, 3]))
    for row, name in enumerate(names):  # an unknown family reads 4/4's
        family = placement.families.get(name, placement.families["4/4"])
        assert bars.tom_share[row] == family.tom_share
        assert (one[row], two[row]) == fill_chances(family, 0.3, this[row], following[row])
        assert crash[row] == crash_chance(family, 0.2, [0, 8, 4, 3, NO_POSITION, 16][row], row % 2 == 0)
        assert lengths[row] == fill_beats(family, 0.05 + 0.18 * row, [3, 4, 4, 4, 5, 3][row])


def test_a_bar_draws_the_same_alone_as_in_its_song_and_each_take_draws_its_own() -> None:
    song = draws(7, 0, np.arange(12))
    assert np.array_equal(song[5:6], draws(7, 0, np.array([5])))
    assert not np.array_equal(song, draws(7, 1, np.arange(12))) and not np.array_equal(song, draws(8, 0, np.arange(12)))
    assert song.shape == (12, 4) and 0 <= song.min() and song.max() < 1


def test_the_draws_are_uniform_and_independent_across_columns_bars_seeds_and_takes() -> None:
    song = draws(3, 0, np.arange(40_000))
    assert np.abs(np.histogram(song, bins=10, range=(0, 1))[0] / song.size - 0.1).max() < 0.005
    assert np.abs(np.corrcoef(song.T) - np.eye(4)).max() < 0.02  # the columns: fill, length, voice, crash
    assert abs(np.corrcoef(song[1:, 0], song[:-1, 0])[0, 1]) < 0.02  # bar after bar
    for seed, take in ((4, 0), (3, 1), (2**70 + 3, 0)):  # another seed, another take, a seed past 64 bits
        assert abs(np.corrcoef(song[:, 0], draws(seed, take, np.arange(40_000))[:, 0])[0, 1]) < 0.02


def test_a_placing_knows_each_bars_section_offline_and_the_bars_since_the_band_live() -> None:
    span = Span((SpanSection(0, 6, 0), SpanSection(6, 7, 1), SpanSection(7, 10, 0)), np.full(10, 16),
                np.ones(10, dtype=bool), first_bar=3)
    lead_ins = np.zeros(10, dtype=bool)
    lead_ins[3] = True
    placed = placing(span, 0, 0, lead_ins)
    assert placed.position.tolist() == [0, 1, 2, 3, 4, 5, 0, 0, 1, 2, NO_POSITION]
    assert np.flatnonzero(placed.closing).tolist() == [3, 5, 9]  # a one-bar section closes with no fill
    assert np.array_equal(placed.draws, draws(0, 0, np.arange(3, 13)))
    live = placing(heard_span(5, 16, bar_index=8), 0, 0)
    assert live.position.tolist() == [5, 6] and not live.closing.any()
    assert np.array_equal(live.draws, placed.draws[5:6])  # song bar 8 draws alike
    assert heard_span(5, 16).sections[0].end == UNKNOWN_END


def placed_context(n: int, fill: float, toms: float, crash: float, seed: int = 0, rows: slice | None = None):
    """A context of n 4/4 bars, one section from the first (its end unknown, as live hears it), whose model expects
    `fill` fill bars, `toms` tom hits and `crash` crash bars a bar, placed by take 1 of `seed`; `rows` of it alone."""
    p = np.zeros((n, S, 9))
    p[:, 4:8, LOW_TOM] = toms / 4
    structure = np.zeros((n, 3))
    structure[:, FILL_COLUMN], structure[:, CRASH_COLUMN] = fill, crash
    placed = placing(Span((SpanSection(0, UNKNOWN_END, 0),), np.full(n, 16), np.ones(n, dtype=bool)), seed, 0)
    rows = rows or slice(0, n)
    context = context_of(p[rows], structure[rows], POLICY)
    return replace(context, placing=placing_rows(placed, rows.start, rows.stop))


def test_placed_fills_come_as_often_as_the_song_fills_not_on_every_phrase_end_and_take_by_take() -> None:
    rate = load_placement().rate
    n = 400
    context = placed_context(n, rate.prior_fill, rate.prior_toms, rate.prior_crash)
    decision = decision_of(context)
    marks.placed_fill_marks(context, decision)
    filled = np.flatnonzero(decision.marks[:, FILL_COLUMN])
    per_8 = 8 * len(filled) / n
    assert 0.6 * rate.per_8(rate.prior_fill, rate.prior_toms) < per_8 < 1.6 * rate.per_8(rate.prior_fill,
                                                                                     rate.prior_toms)
    assert set(filled % 4) >= {0, 1, 2, 3}  # not a phrase's last bar only
    assert np.sum(filled % 4 == 3) > np.sum(filled % 4 == 0)  # but more often there
    assert decision.fill_beats is not None and (decision.fill_beats[filled] > 0).all()
    assert not decision.fill_beats[decision.marks[:, FILL_COLUMN] == 0].any()
    sparse = placed_context(n, 0.02, 0.1, rate.prior_crash)
    quiet = decision_of(sparse)
    marks.placed_fill_marks(sparse, quiet)
    assert quiet.marks[:, FILL_COLUMN].sum() < len(filled) / 3  # a song whose model hears few fills gets few
    other = replace(context, placing=context.placing._replace(draws=draws(0, 1, np.arange(n))))
    second = decision_of(other)
    marks.placed_fill_marks(other, second)
    assert (second.marks[:, FILL_COLUMN] != decision.marks[:, FILL_COLUMN]).sum() > len(filled) / 2


def test_placed_fills_and_crashes_go_on_bar_by_bar_as_the_whole_song_places_them() -> None:
    """A song whose every bar the model hears as the training songs' mean: bar by bar with the counts carried (live)
    the fills, their lengths (a two-bar fill's second bar too) and the crashes are the whole song's."""
    rate = load_placement().rate
    n = 240
    whole = placed_context(n, rate.prior_fill, rate.prior_toms, rate.prior_crash)
    decision = decision_of(whole)
    for rule in (marks.placed_fill_marks, marks.placed_crash_marks):
        rule(whole, decision)
    assert TWO_BARS in decision.fill_beats.tolist() and decision.marks[:, CRASH_COLUMN].any()
    counts, fills, beats, crashes = BarCounts(), [], [], []
    for row in range(n):
        one = placed_context(n, rate.prior_fill, rate.prior_toms, rate.prior_crash, rows=slice(row, row + 1))
        one = one.after(Past(counts=counts))
        bar = decision_of(one)
        for rule in (marks.placed_fill_marks, marks.placed_crash_marks):
            rule(one, bar)
        marks.fill_kinds(one, bar)
        fills.append(bool(bar.marks[0, FILL_COLUMN]))
        beats.append(int(bar.fill_beats[0]))
        crashes.append(bool(bar.marks[0, CRASH_COLUMN]))
        counts = marks.counts_after(one, bar)
    assert fills == decision.marks[:, FILL_COLUMN].tolist() and beats == decision.fill_beats.tolist()
    assert crashes == decision.marks[:, CRASH_COLUMN].tolist()


def test_a_fill_into_a_section_lands_on_its_crash_as_often_as_the_drummers_land_theirs() -> None:
    """Issue 101: sections of 8 bars, each closed by a fill the model is sure of; the next section's downbeat crashes
    at the drummers' share (LANDING_CRASH_SHARE), whatever the model's crash probability: before, in a song it hears
    crashing (0.3 a bar) crashes spent mid-section left the landing bare by their gap (0.34 landed), and in a quiet
    one (0.01) the count landed 0.035."""
    n, every = 1600, 8
    span = Span(tuple(SpanSection(start, start + every, (start // every) % 2) for start in range(0, n, every)),
                np.full(n, 16), np.ones(n, dtype=bool))
    for crash in (0.01, 0.3):
        structure = np.zeros((n, 3))
        structure[every - 1::every, FILL_COLUMN] = 1.0
        structure[:, CRASH_COLUMN] = crash
        context = replace(context_of(np.zeros((n, S, 9)), structure, POLICY), placing=placing(span, 0, 0))
        decision = decision_of(context)
        for rule in marks.mark_rules(POLICY, placed=True):
            rule(context, decision)
        assert decision.marks[every - 1::every, FILL_COLUMN].all()
        landed = decision.marks[every::every, CRASH_COLUMN].mean()
        assert abs(landed - LANDING_CRASH_SHARE) < 0.06, (crash, landed)


def test_a_placed_fill_plays_its_length_and_its_voices_and_leaves_the_downbeat_crash_to_the_crash_rule() -> None:
    writer = FillWriter(CODEBOOK)
    p = np.zeros((1, S, 9))

    def filled(beats: int, toms: bool) -> np.ndarray:
        hits = np.zeros((1, S, 9), dtype=bool)
        hits[0, :16, CLOSED_HAT] = True
        hits[0, 0, CRASH] = True
        writer.fill(hits, p, 0, 16, 4, 0.3, toms=toms, beats=beats)
        return hits[0]

    one = filled(1, True)  # the tiny codebook's fill: four toms on beat 4
    assert one[:12, CLOSED_HAT].all() and one[12:16, list(TOMS)].sum() == 4 and one[0, CRASH]
    whole = filled(WHOLE_BAR, True)  # its whole bar: the snares on 2 and 3, no hat, no downbeat crash of its own
    assert not whole[:16, CLOSED_HAT].any() and whole[[4, 8], SNARE].all() and not whole[0, CRASH]
    snare = filled(2, False)  # no roll in the tiny codebook: a snare run over the last beat, no tom
    assert not snare[:, [LOW_TOM, MID_TOM, 6]].any() and snare[12:16, SNARE].sum() >= 3


def test_a_ridden_bar_keeps_its_foot_under_a_fill_and_a_hat_bar_plays_the_fills_hats() -> None:
    """Both hands fill: in a bar on the ride whose closed hats are the foot's (on the beats), they stay under the
    fill, not the fill's hand hats; a bar kept on the hats plays the fill as the drummer played it."""
    writer, p = FillWriter(CODEBOOK), np.zeros((1, S, 9))

    def filled(ridden: bool) -> np.ndarray:
        hits = np.zeros((1, S, 9), dtype=bool)
        if ridden:
            hits[0, 0:16:2, RIDE] = True
            hits[0, [4, 12], CLOSED_HAT] = True  # the foot on 2 and 4
        else:
            hits[0, :16, CLOSED_HAT] = True
        writer.fill(hits, p, 0, 16, 4, 0.3, toms=True, beats=WHOLE_BAR)
        return hits[0]

    ridden, hats = filled(True), filled(False)
    assert np.flatnonzero(ridden[:16, CLOSED_HAT]).tolist() == [4, 12]
    assert not hats[:16, CLOSED_HAT].any()  # the tiny codebook's whole-bar fill has no hat: none stays
