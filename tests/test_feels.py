"""groove.feels: a phrase whose part the musician chose plays that part's feel, read back as parts.labels reads it."""

from __future__ import annotations

import numpy as np
import pytest

from seq2drum.groove import rules
from seq2drum.groove.feels import play_feel, play_feels, play_times, time_of
from seq2drum.groove.policy import ChosenPart, ChosenParts
from seq2drum.groove.policy import Steering
from seq2drum.midi.drums import CLOSED_HAT, CRASH, KICK, RIDE, SNARE
from seq2drum.parts.labels import kick_snare_feel
from tests.builders import pattern
from tests.test_rules import ROCK, S, context_of, decision_of

HAT_EIGHTHS = [(step, CLOSED_HAT) for step in range(0, 16, 2)]
BACKBEAT_BAR = HAT_EIGHTHS + [(0, KICK), (8, KICK), (4, SNARE), (12, SNARE)]
FOUR_FLOOR_BAR = HAT_EIGHTHS + [(0, KICK), (4, KICK), (8, KICK), (12, KICK), (4, SNARE), (12, SNARE)]
BARE_BAR = HAT_EIGHTHS + [(0, KICK)]
EIGHTHS = ChosenPart("closed_hat", "eighths", {("closed_hat", "eighths"): ("time-only",)})  # eighths, no backbeat


def model_p(n_steps: int = 16) -> np.ndarray:
    """(S, 9) a model that hears a rock bar: the snare likelier on the 4th beat than the 2nd, the kick on beat 3."""
    p = np.zeros((S, 9))
    p[0:n_steps:2, CLOSED_HAT], p[0, KICK], p[n_steps // 2, KICK] = 0.8, 0.9, 0.5
    p[4, SNARE], p[12 % n_steps, SNARE], p[6, SNARE] = 0.4, 0.7, 0.2
    return p


def bar_of(hits: list[tuple[int, int]]) -> np.ndarray:
    bar = np.zeros((S, 9), dtype=bool)
    bar[:16] = pattern(16, hits)
    return bar


@pytest.mark.parametrize(("start", "feel"), [
    (BACKBEAT_BAR, "time-only"), (BACKBEAT_BAR, "comping"), (BACKBEAT_BAR, "half-time"), (BACKBEAT_BAR, "four-floor"),
    (BARE_BAR, "backbeat"), (FOUR_FLOOR_BAR, "backbeat"), (FOUR_FLOOR_BAR, "comping"), (BARE_BAR, "comping")],
    ids=lambda value: value if isinstance(value, str) else None)
def test_a_bar_played_in_a_feel_is_read_back_in_it(start: list[tuple[int, int]], feel: str) -> None:
    """The bar a feel plays is labelled that feel (parts.labels `kick_snare_feel`); its time-keeping untouched.
    If this breaks, a named section plays another part than the musician chose."""
    bar = bar_of(start)
    play_feel(bar, model_p(), feel, 16, 4)
    assert kick_snare_feel(bar[None], np.array([16]), np.array([4])) == feel
    assert bar[:, CLOSED_HAT].tolist() == bar_of(start)[:, CLOSED_HAT].tolist()


def test_a_waltz_bar_is_read_back_as_a_waltz() -> None:
    """A 3/4 bar with a snare on 2 plays the oom-pa-pa: no snare on 2 or 3, the kick on 1."""
    bar = np.zeros((S, 9), dtype=bool)
    bar[:12] = pattern(12, [(4, SNARE), (8, SNARE), (0, CLOSED_HAT), (4, CLOSED_HAT), (8, CLOSED_HAT)])
    play_feel(bar, model_p(12), "waltz", 12, 4)
    assert kick_snare_feel(bar[None], np.array([12]), np.array([4])) == "waltz"


def test_comping_keeps_the_likelier_backbeat_and_drops_the_other() -> None:
    """What comping drops goes where the model expects the snare least: 2 (0.4), not 4 (0.7)."""
    bar = bar_of(BACKBEAT_BAR)
    play_feel(bar, model_p(), "comping", 16, 4)
    assert np.flatnonzero(bar[:, SNARE]).tolist() == [12]


def chosen_of(n_phrases: int, feel: ChosenPart = EIGHTHS) -> ChosenParts:
    """Phrases of 2 bars each, all of part 0 (`feel`)."""
    return ChosenParts(np.zeros(2 * n_phrases, dtype=np.int64), np.repeat(np.arange(n_phrases), 2), {0: feel})


def test_play_feels_changes_only_a_phrase_that_misses_its_part() -> None:
    """A phrase read as a backbeat is played time only; one already time only is left as the model played it (its
    kick on beat 3 too), and so is a bar no part was chosen for."""
    hits = np.stack([bar_of(BACKBEAT_BAR), bar_of(BACKBEAT_BAR), bar_of(BARE_BAR), bar_of(BARE_BAR + [(8, KICK)]),
                     bar_of(BACKBEAT_BAR)])
    chosen = chosen_of(2)
    chosen = ChosenParts(np.append(chosen.parts, -1), np.append(chosen.phrases, -1), chosen.chosen_parts)
    before = hits.copy()
    play_feels(hits, np.stack([model_p()] * 5), np.full(5, 16), np.full(5, 4), chosen)
    assert not hits[:2, :, SNARE].any()
    assert (hits[2:] == before[2:]).all()


def test_a_comping_phrase_is_read_without_the_bars_that_play_as_fills() -> None:
    """Two bars comping on every beat's last 16th (4 snares on odd 16ths: a fill to parts.labels), one comping on
    three of them, one with a backbeat: the labeller reads the last two alone, half a backbeat, so the phrase is
    "backbeat" however its comping part reads all four; play_feels reads it so and takes the less likely backbeat away
    (Basie's All of Me, take 1, printed "jazz ride, comping" and read back "jazz ride, backbeat")."""
    ride = [(step, RIDE) for step in range(0, 16, 4)]
    comps = [bar_of(ride + [(s, SNARE) for s in (3, 7, 11, 15)])] * 2 + [bar_of(ride + [(3, SNARE), (11, SNARE)])]
    hits = np.stack([*comps, bar_of(ride + [(4, SNARE), (12, SNARE)])])
    comping = ChosenPart("ride", "quarters", {("ride", "quarters"): ("comping",)})
    chosen = ChosenParts(np.zeros(4, dtype=np.int64), np.zeros(4, dtype=np.int64), {0: comping})
    lengths, beats = np.full(4, 16), np.full(4, 4)
    assert kick_snare_feel(hits[2:], lengths[2:], beats[2:]) == "backbeat"
    play_feels(hits, np.stack([model_p()] * 4), lengths, beats, chosen, as_labelled=True)
    assert kick_snare_feel(hits[2:], lengths[2:], beats[2:]) == "comping"
    assert hits[3, [4, 12], SNARE].tolist() == [False, True] and (hits[:3] == np.stack(comps)).all()


def test_a_phrase_with_one_groove_bar_has_its_swing_read_over_the_whole_phrase() -> None:
    """A jazz ride's phrase of three bars comping on every triplet (fills to parts.labels) and one with a backbeat:
    the one groove bar holds two skip notes, too few to hear a swing, and read alone its ride is "16ths", which no
    feel makes a jazz ride part, so the backbeat stood; the labeller reads the swing over the whole phrase and printed
    "jazz ride, backbeat" (Sing Sing Sing, take 1, bar 80). Read so, the phrase plays comping."""
    spang = [(step, RIDE) for step in (0, 4, 7, 8, 12, 15)]
    comps = [bar_of(spang + [(s, SNARE) for s in (3, 7, 11, 15)])] * 3
    hits = np.stack([*comps, bar_of(spang + [(4, SNARE), (12, SNARE)])])
    jazz_ride = ChosenPart("ride", "swung", {("ride", "swung"): ("comping",)})
    chosen = ChosenParts(np.zeros(4, dtype=np.int64), np.zeros(4, dtype=np.int64), {0: jazz_ride})
    lengths, beats = np.full(4, 16), np.full(4, 4)
    assert time_of(hits[3:], lengths[3:], beats[3:])[:2] == ("ride", "16ths")
    play_feels(hits, np.stack([model_p()] * 4), lengths, beats, chosen, as_labelled=True)
    assert kick_snare_feel(hits[3:], lengths[3:], beats[3:]) == "comping" and (hits[:3] == np.stack(comps)).all()


def test_play_feels_leaves_a_phrase_whose_time_keeping_no_feel_makes_its_part() -> None:
    """A phrase keeping 16ths where the part is labelled in eighths alone: no feel of the kick and snare would make
    it the part, so the model's bars stand (forcing one cost F1 and played no more parts)."""
    sixteenths = [(step, CLOSED_HAT) for step in range(16)] + [(0, KICK), (4, SNARE), (12, SNARE)]
    hits = np.stack([bar_of(sixteenths)] * 2)
    before = hits.copy()
    play_feels(hits, np.stack([model_p()] * 2), np.full(2, 16), np.full(2, 4), chosen_of(1))
    assert (hits == before).all()


@pytest.mark.parametrize(("start", "wanted", "added"), [
    (HAT_EIGHTHS, "16ths", [1, 9, 13]), ([(step, CLOSED_HAT) for step in range(0, 16, 4)], "eighths", [2, 14])],
    ids=["eighths to 16ths", "quarters to eighths"])
def test_play_times_adds_the_parts_subdivision_where_the_cymbal_keeps_it_coarser(
        start: list[tuple[int, int]], wanted: str, added: list[int]) -> None:
    """The part's cymbal gets the likeliest cells of its subdivision it lacks, as many as the label needs (3 odd 16ths
    for 8 eighths: a quarter of 11 hits), and the phrase reads back in the part's subdivision; a ride part moves a
    phrase's time from the hat to the ride (issue 99: "eighths on the ride" was read back "eighths on the hat"), the
    hat's strokes on 2 and 4 kept as its foot where the ride stays the busier by twice."""
    p = np.zeros((2, S, 9))
    p[:, [1, 9, 13, 5], CLOSED_HAT] = [0.5, 0.6, 0.4, 0.3]
    p[:, [2, 14, 6], CLOSED_HAT] = [0.5, 0.4, 0.3]
    hits = np.stack([bar_of(start + [(0, KICK)])] * 2)
    part = ChosenPart("closed_hat", wanted, {})
    before = hits.copy()
    play_times(hits, p, np.full(2, 16), np.full(2, 4), ChosenParts(np.zeros(2, dtype=np.int64), np.zeros(2), {0: part}))
    assert np.flatnonzero(hits[0, :, CLOSED_HAT] & ~before[0, :, CLOSED_HAT]).tolist() == added
    assert time_of(hits, np.full(2, 16), np.full(2, 4))[:2] == ("closed_hat", wanted)
    ride = ChosenParts(np.zeros(2, dtype=np.int64), np.zeros(2), {0: ChosenPart("ride", wanted, {})})
    play_times(before, p, np.full(2, 16), np.full(2, 4), ride)
    assert np.flatnonzero(before[0, :, CLOSED_HAT]).tolist() == ([4, 12] if wanted == "16ths" else [])
    assert time_of(before, np.full(2, 16), np.full(2, 4))[0] == "ride"


@pytest.mark.parametrize(("wanted", "kept"), [("eighths", 2), ("quarters", 1)])
def test_play_times_thins_time_kept_finer_than_the_part_least_likely_first(wanted: str, kept: int) -> None:
    """Issue 99: a phrase planned "eighths on the hat" played 16ths and was read back as "16ths on the hat": the
    least likely cells finer than the part go until the label reads the part (eighths: under a quarter of the hits
    on odd 16ths, 2 of 10 kept; quarters: under a quarter between the beats, 1 of 5 kept)."""
    p = np.zeros((2, S, 9))
    p[:, :, CLOSED_HAT] = np.linspace(0.9, 0.2, S)  # the earlier 16ths likelier
    hits = np.stack([bar_of([(step, CLOSED_HAT) for step in range(16)] + [(0, KICK)])] * 2)
    play_times(hits, p, np.full(2, 16), np.full(2, 4),
               ChosenParts(np.zeros(2, dtype=np.int64), np.zeros(2), {0: ChosenPart("closed_hat", wanted, {})}))
    assert time_of(hits, np.full(2, 16), np.full(2, 4))[:2] == ("closed_hat", wanted)
    finer = [1, 3, 5, 7, 9, 11, 13, 15] if wanted == "eighths" else [s for s in range(16) if s % 4]
    assert np.flatnonzero(hits[0, finer, CLOSED_HAT]).tolist() == list(range(kept))  # the likeliest stay


def test_a_named_section_with_no_backbeat_plays_no_backbeat_snare() -> None:
    """Through the groove rules: the musician's "no backbeat" bar plays its hat and kick with no snare, where the
    backbeat rule gave it the snare the model expects; the bar he did not name keeps the model's backbeat."""
    p = np.stack([model_p()] * 2)
    chosen = ChosenParts(np.array([0, -1]), np.array([0, -1]), {0: EIGHTHS})
    context = context_of(p, steering=Steering(plan_parts=chosen), labels=np.zeros(2, dtype=np.int64))
    decision = rules.run(rules.GROOVE_RULES, context, decision_of(context, [ROCK, ROCK]))
    assert not decision.hits[0, :, SNARE].any() and decision.hits[0, :, CLOSED_HAT].any()
    assert decision.hits[1, :, SNARE].any()


def test_a_named_sparse_phrase_plays_the_hits_that_make_it_sparse_not_a_drop_out() -> None:
    """A sparse part the musician names plays DROP_OUT_HITS a bar at least, at the likeliest cells it lacks (left to
    the model, jazz/'s What'd I Say's named "sparse / intro" sections came out silent, read back as drop-outs); a
    phrase with hits enough, and a bar of no sparse part, are left as they are."""
    from seq2drum.groove.feels import play_levels
    from seq2drum.parts.labels import DROP_OUT_HITS

    p = np.stack([model_p()] * 4)
    hits = np.zeros((4, S, 9), dtype=bool)
    hits[0, 0, KICK] = True  # phrase 0 (bars 0-1): one hit; phrase 1 (bars 2-3): hits enough
    hits[2:] = bar_of(BACKBEAT_BAR)
    chosen = ChosenParts(np.full(4, -1), np.array([0, 0, 1, 1]), {}, np.array([True, True, True, False]))
    before = hits.copy()
    play_levels(hits, p, np.full(4, 16), chosen)
    assert hits[:2].sum() == int(np.ceil(2 * DROP_OUT_HITS)) and (hits[:2] >= before[:2]).all()
    assert hits[:2, :, CLOSED_HAT].sum() + hits[:2, :, KICK].sum() == hits[:2].sum()  # the likeliest: hats, the kick
    assert (hits[2:] == before[2:]).all()
    unchanged = np.zeros((4, S, 9), dtype=bool)
    play_levels(unchanged, p, np.full(4, 16), ChosenParts(np.full(4, -1), np.zeros(4, dtype=np.int64), {}))
    assert not unchanged.any()


def test_the_bars_of_a_chosen_hat_part_are_off_the_ride_and_a_ride_parts_are_not() -> None:
    """ride_sections leaves the bars `off_the_ride` holds: a chosen hat part keeps its hats, a chosen ride part may
    still be moved to the ride (live, `5-8=<a ride part>` rides), an unchosen bar is the model's."""
    ride = ChosenPart("ride", "eighths", {})
    chosen = ChosenParts(np.array([0, 1, -1]), np.array([0, 1, 2]), {0: EIGHTHS, 1: ride})
    assert chosen.off_the_ride().tolist() == [True, False, False]


@pytest.mark.parametrize(("part", "cymbal", "strokes"), [
    (ChosenPart("crash", "none", {}), CRASH, 4), (ChosenPart("ride", "eighths", {}), RIDE, 6)],
    ids=["riding the crash", "eighths on the ride"])
def test_a_phrase_keeping_no_time_gets_its_parts_cymbal_on_the_beats(part: ChosenPart, cymbal: int,
                                                                    strokes: int) -> None:
    """Issue 100: a Doom song whose drummer rides the crash was played as kick and snare alone (the crash rules keep
    the network's crashes to accents), and "riding the crash" named over it read back "kick and snare": where no
    cymbal keeps time in a part the musician named, the part's cymbal strikes each felt beat, then its subdivision
    is made as above (eighths: the two likeliest between the beats, as many as the label needs). The model's own plan
    keeps its time-less bars (laid there too, 4 songs of 245 out of fold played too busy)."""
    hits = np.stack([bar_of([(0, KICK), (8, KICK), (4, SNARE), (12, SNARE)])] * 2)
    before = hits.copy()
    play_times(hits, np.stack([model_p()] * 2), np.full(2, 16), np.full(2, 4),
               ChosenParts(np.zeros(2, dtype=np.int64), np.zeros(2), {0: part}))
    assert np.array_equal(hits, before)
    play_times(hits, np.stack([model_p()] * 2), np.full(2, 16), np.full(2, 4),
               ChosenParts(np.zeros(2, dtype=np.int64), np.zeros(2), {0: part}, named=np.ones(2, dtype=bool)))
    assert int(hits[0, :, cymbal].sum()) == strokes and hits[0, 0:16:4, cymbal].all()
    assert time_of(hits, np.full(2, 16), np.full(2, 4))[0] == part.keeper


def test_a_swung_parts_cymbal_keeps_no_16th_between_its_eighths() -> None:
    """Issue 99: a later take planned "swung eighths on the open hat" kept one 16th in a beat (steps 4, 6, 7); the
    render's swing then moved that beat's eighths as 16ths, and the phrase read back "eighths on the open hat"."""
    hits = np.stack([bar_of(HAT_EIGHTHS + [(7, CLOSED_HAT), (0, KICK), (4, SNARE), (12, SNARE)])] * 2)
    play_times(hits, np.stack([model_p()] * 2), np.full(2, 16), np.full(2, 4),
               ChosenParts(np.zeros(2, dtype=np.int64), np.zeros(2), {0: ChosenPart("closed_hat", "swung", {})}))
    assert np.flatnonzero(hits[0, :, CLOSED_HAT]).tolist() == list(range(0, 16, 2))


def test_a_swung_part_over_16ths_keeps_enough_eighths_to_swing() -> None:
    """Issue 100: "swung eighths on the open hat" named over a phrase the network kept in 16ths (each beat and
    its second 16th: D_AMPIE) lost its odd 16ths and kept one off-beat eighth a bar, read back as "quarters on the
    open hat": read again once the 16ths are gone, it gets the likeliest eighths the label needs."""
    sixteenths = [(step, CLOSED_HAT) for step in range(16) if step % 4 in (0, 1)] + [(6, CLOSED_HAT)]
    hits = np.stack([bar_of(sixteenths + [(0, KICK), (4, SNARE), (12, SNARE)])] * 2)
    assert time_of(hits, np.full(2, 16), np.full(2, 4))[1] == "16ths"
    play_times(hits, np.stack([model_p()] * 2), np.full(2, 16), np.full(2, 4),
               ChosenParts(np.zeros(2, dtype=np.int64), np.zeros(2), {0: ChosenPart("closed_hat", "swung", {})}))
    assert not hits[:, 1::2, CLOSED_HAT].any()
    assert time_of(hits, np.full(2, 16), np.full(2, 4))[:2] == ("closed_hat", "eighths")  # swung by the render


def test_a_sparse_phrase_keeps_time_on_no_cymbal_as_its_part_does() -> None:
    """Issue 99: a phrase of the plan's "sparse / intro" (its drummers strike a cymbal about once a bar) whose
    later take laid the style's ride on every beat was read back "sparse / intro, ride": `sparse_out` drops its
    least likely ride and hat hits until neither keeps time as parts.labels reads it, the likeliest kept, and
    never more than the phrase can spare (DROP_OUT_HITS a bar)."""
    from seq2drum.groove.feels import sparse_out
    from seq2drum.midi.drums import OPEN_HAT
    from seq2drum.parts.labels import time_keeper

    cells = np.zeros((2, S, 9), dtype=bool)
    cells[:, 0:16:4, RIDE] = True  # the ride on every beat: a hit a beat
    cells[:, 0, KICK] = cells[:, 8, SNARE] = True
    cells[0, 2, CLOSED_HAT] = cells[1, 6, OPEN_HAT] = True  # two hat strokes: under half a hit a beat
    p = np.where(cells, 0.5, 0.0)
    p[0, 0, RIDE] = 0.9  # the likeliest ride stroke
    out = sparse_out(cells, p, 0, 8.0, 100)
    kept = cells & ~out
    assert time_keeper(kept.sum(axis=1), np.array([4.0, 4.0])) == "none"
    assert kept[0, 0, RIDE] and kept[:, :, RIDE].sum() == 3  # 3 of 8 beats: under half
    assert (kept[:, :, [KICK, SNARE, CLOSED_HAT, OPEN_HAT]] == cells[:, :, [KICK, SNARE, CLOSED_HAT, OPEN_HAT]]).all()
    assert sparse_out(cells, p, 0, 8.0, 2).sum() == 2  # the phrase spares two hits: two go
    assert not sparse_out(cells, p, 0, 0.0, 100).any()  # no groove beat to read: nothing goes


def test_a_named_full_part_gets_its_cymbals_likeliest_strokes_on_its_subdivision() -> None:
    """Issue 100: "riding the crash" named over a quiet intro read back "sparse / intro, crash"; `full_in` gives the
    strokes a named full part's phrase adds to read full: its cymbal's likeliest missing ones, on its subdivision
    (eighths where the part names none, beats for quarters), inside its bars; a part of no cymbal ("kick and snare",
    which read back "sparse / intro" beside a swinging band) its kick's and snare's, on the eighths off the beat."""
    from seq2drum.groove.feels import full_in

    hits = np.zeros((3, S, 9), dtype=bool)
    hits[1, 0, CRASH] = True  # a downbeat crash already there
    p = np.zeros((3, S, 9))
    p[1:, :, CRASH] = np.linspace(1.0, 0.1, S)[None, :]  # earlier steps likelier
    p[1, 3, CRASH] = 2.0  # likeliest, but off the eighths
    rows, bar_steps, beat_steps = np.array([1, 2]), np.full(3, 12), np.full(3, 4)  # bars of 3/4 in 12 steps
    crash = ChosenPart("crash", "none", {})
    cells = full_in(hits, p, rows, bar_steps, beat_steps, 5, crash)
    row, step, column = np.unravel_index(cells, hits.shape)
    assert len(cells) == 5 and (column == CRASH).all() and (step % 2 == 0).all() and (step < 12).all()
    assert set(row.tolist()) <= {1, 2} and (1, 0) not in set(zip(row.tolist(), step.tolist()))  # not struck again
    assert step.tolist()[:2] == [0, 2]  # the likeliest first: bar 2's downbeat, then bar 1's second eighth
    quarters = full_in(hits, p, rows, bar_steps, beat_steps, 10, ChosenPart("ride", "quarters", {}))
    assert (np.unravel_index(quarters, hits.shape)[1] % 4 == 0).all() and len(quarters) == 6
    timeless = full_in(hits, p, rows, bar_steps, beat_steps, 12, ChosenPart("none", "none", {}))
    _, step, column = np.unravel_index(timeless, hits.shape)  # "kick and snare": its own, off the beat (2, 6, 10)
    assert len(timeless) == 12 and set(column.tolist()) == {KICK, SNARE} and (step % 4 == 2).all()
    assert not len(full_in(hits, p, rows, bar_steps, beat_steps, 0, crash))


def test_a_swung_part_adds_no_stroke_beside_the_jazz_rides_skip() -> None:
    """Issue 100: "jazz ride, comping" named over a quiet intro (I Wish) got straight eighths added beside its skip
    notes (the ride on 6 and 7), read back "16ths on the ride": a swung part's added strokes go only to beats its
    cymbal strikes nothing off."""
    from seq2drum.groove.feels import full_in

    hits = np.stack([bar_of([(0, RIDE), (4, RIDE), (7, RIDE), (8, RIDE), (12, RIDE), (15, RIDE)])] * 2)
    p = np.zeros((2, S, 9))
    p[:, :16, RIDE] = 0.5
    cells = full_in(hits, p, np.array([0, 1]), np.full(2, 16), np.full(2, 4), 8, ChosenPart("ride", "swung", {}))
    _, step, column = np.unravel_index(cells, hits.shape)
    assert len(cells) == 4 and (column == RIDE).all() and sorted(set(step.tolist())) == [2, 10]  # beats 1 and 3


def test_a_phrases_time_is_read_once_and_as_the_labeller_reads_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """`time_of` reads a phrase's time-keeper, subdivision and kick and snare feel as parts.labels reads them, once per
    cells, lengths and beats: the decision's rounds and its two plan steps read a live bar's phrase 3.4 times a bar
    (issue 102), and a second read of the same cells must not reach the labeller."""
    from seq2drum.groove import feels
    from seq2drum.parts import labels

    reads = []
    subdivision = feels.keeper_subdivision

    def counted(*args):  # noqa: ANN002, ANN202
        reads.append(1)
        return subdivision(*args)

    feels._time_of.cache_clear()
    monkeypatch.setattr(feels, "keeper_subdivision", counted)
    rng = np.random.default_rng(7)
    for m in (1, 1, 2, 4):
        hits = rng.random((m, S, 9)) < 0.3
        lengths, beats = np.full(m, 16), np.full(m, 4)
        keeper = labels.time_keeper(hits.sum(axis=1), lengths / beats)
        expected = (keeper, labels.keeper_subdivision(hits, np.zeros(hits.shape, np.float32), beats, keeper),
                    kick_snare_feel(hits, lengths, beats))
        before = len(reads)
        assert time_of(hits, lengths, beats) == time_of(hits.copy(), lengths, beats) == expected
        assert len(reads) == before + (keeper != "none")  # the second read came from the first
