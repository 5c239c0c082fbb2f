"""The bar rules (groove.rules), one test each, and the parity of offline and live decisions: if a rule breaks, the
test named after it fails; if offline and live drift apart again, the parity test fails."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from tests.deciding import offline_take, live_take
from seq2drum.groove.request import song_edges
from seq2drum.groove import marks, rules
from seq2drum.groove.context import Past
from seq2drum.groove.continuation import continuation
from seq2drum.groove.decide import Finish
from seq2drum.groove.decoder import Decoder
from seq2drum.groove.policy import ChosenPart, ChosenParts
from seq2drum.groove.gains import GrooveGains
from seq2drum.groove.policy import DecodingPolicy, Steering
from seq2drum.groove.context import BarContext, BarCounts, BarDecision
from seq2drum.groove.structure import CRASH_COLUMN, FILL_COLUMN, REST_COLUMN, CrashCount, FillWriter, PlannedFills
from seq2drum.groove.settings import CRASH_MIN_GAP, FILL_MAX_SHARE
from seq2drum.live.model_drummer import LiveState
from seq2drum.midi.drums import CLOSED_HAT, CRASH, KICK, LOW_TOM, MID_TOM, RIDE, SNARE
from seq2drum.groove.scores import SongScores
from seq2drum.options import GenerationOptions
from seq2drum.song.sections import Section
from seq2drum.groove.codebook import GrooveCodebook
from tests.builders import pattern, rock_bar, tiny_codebook

S = 32  # the tiny codebook's widest bar
CODEBOOK = tiny_codebook()


def logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def scores_of(p: np.ndarray, structure: np.ndarray | None = None, bar_steps: int = 16,
              bass_onsets: np.ndarray | None = None, sections: list[Section] | None = None,
              last_onset: tuple[int, int] | None = None, beat_steps: int | None = None) -> SongScores:
    """SongScores of n bars of `bar_steps` steps with hit probabilities p (n, S, 9) and structure probabilities; beats
    of a quarter (of an eighth in bars under 8 steps) unless `beat_steps` says (2: a 7/8 bar's eighths)."""
    n = len(p)
    structure = np.full((n, 3), 0.01) if structure is None else structure
    return SongScores(hit_logits=logit(p), velocity=np.full(p.shape, 90.0), offset=np.zeros(p.shape),
                      structure_logits=logit(structure), bar_steps=np.full(n, bar_steps),
                      beat_steps=np.full(n, beat_steps or (4 if bar_steps >= 8 else 2)),
                      guitar_plays=np.ones(n, dtype=bool),
                      sections=sections or [], first_bar=0, last_onset=last_onset or (n, 0), bass_onsets=bass_onsets)


def context_of(p: np.ndarray, structure: np.ndarray | None = None, policy: DecodingPolicy | None = None,
               steering: Steering | None = None, labels: np.ndarray | None = None, lam: float = 0.3,
               **kwargs: object) -> BarContext:
    """A context over the tiny codebook for bars with probabilities p (n, S, 9)."""
    policy, steering = policy or DecodingPolicy(), steering or Steering()
    scores = scores_of(p, structure, **kwargs)  # type: ignore[arg-type]
    structure = np.full((len(p), 3), 0.01) if structure is None else structure
    return BarContext(structure, policy, steering, scores=scores, p=p,
                      labels=np.full(len(p), -1) if labels is None else labels, codebook=CODEBOOK,
                      grooves=GrooveGains(CODEBOOK, 0), fills=FillWriter(CODEBOOK), lam=lam)


def decision_of(context: BarContext, entry: list[int] | None = None, edges: np.ndarray | None = None) -> BarDecision:
    n = len(context.p)
    return BarDecision.of_entries(np.array(entry if entry is not None else [-1] * n), context,
                                  np.zeros((n, 3), dtype=bool) if edges is None else edges)


def entry_of(bar: np.ndarray) -> int:
    padded = np.zeros((S, 9), dtype=bool)
    padded[: len(bar)] = bar
    return int(np.flatnonzero((CODEBOOK.patterns == padded).all(axis=(1, 2)))[0])


ROCK = entry_of(rock_bar(16))


def test_the_rules_run_in_the_order_the_docs_give() -> None:
    """The time-keeping is thinned by count once its voice is chosen and the bass's kicks are in; the open hats come
    after (a ridden section has no closed hat to open) and before the user's groove (whose bars keep their own
    hats). An odd bar's snare is counted once the groove rules before have played it (a long bar's split, the cells
    refined) and before the user's groove, which keeps its own. The fills' kind is counted once the marks hold; the
    crash accents after the marks are played (the downbeat crashes counted among them) and before the user's own
    bars."""
    assert [r.__name__ for r in rules.GROOVE_RULES] == ["codebook_grooves", "unknown_lengths", "short_bars",
                                                        "refine_cells", "toms_in_fills", "keeps_time",
                                                        "kicks_follow_bass", "ride_sections", "hat_foot",
                                                        "time_by_count", "open_hats", "crash_accents",
                                                        "counted_backbeat", "plan_time", "plan_feels",
                                                        "plan_level", "given_pattern", "backbeat"]
    structure = (*marks.mark_rules(DecodingPolicy()), *marks.STRUCTURE_RULES)
    assert [r.__name__ for r in structure] == ["rest_marks", "crash_marks", "fill_marks", "steered_marks",
                                               "bass_silence_is_edge", "given_groove_holds", "fill_kinds",
                                               "play_marks", "given_bars"]
    never = DecodingPolicy(crash_edge_threshold=1.0, fill_edge_threshold=1.0)  # a policy that marks no crash
    assert [r.__name__ for r in marks.mark_rules(never)] == ["rest_marks", "crashes_on_ride", "fill_threshold_marks",
                                                             "steered_marks"]


def test_codebook_grooves_plays_each_bars_entry_and_leaves_bars_without_one() -> None:
    context = context_of(np.zeros((2, S, 9)))
    decision = decision_of(context, [ROCK, -1])
    rules.codebook_grooves(context, decision)
    assert (decision.hits[0] == CODEBOOK.patterns[ROCK]).all()
    assert not decision.hits[1].any()


def test_unknown_lengths_plays_a_long_odd_bar_as_grooves_of_lengths_the_codebook_has() -> None:
    """A 7/4 bar (28 steps, a length the codebook lacks) is played as a drummer counts it, 4/4 + 3/4, each part a
    codebook groove (the one the probabilities favour), not cell by cell; a bar with an entry is left to
    codebook_grooves, and where no split fits (10 steps: no part of 6 or more tiles it) the cells above lambda play."""
    p = np.zeros((3, S, 9))
    p[:, :16] = 0.6 * rock_bar(16)
    p[:, 16:28] = 0.6 * rock_bar(12)
    p[:, 5, KICK] = 0.35  # above lambda alone, in no groove: cell by cell it would play
    context = context_of(p, bar_steps=28)
    decision = decision_of(context, [ROCK, -1, -1])
    rules.unknown_lengths(context, decision)
    assert not decision.hits[0].any()  # a bar with an entry is codebook_grooves' to play
    assert (decision.hits[1:, :16] == rock_bar(16)).all() and (decision.hits[1:, 16:28] == rock_bar(12)).all()
    assert not decision.hits[1:, 28:].any() and not decision.hits[1:, 5, KICK].any()
    p = np.zeros((1, S, 9))
    p[0, 3, SNARE], p[0, 5, KICK] = 0.9, 0.1
    short = context_of(p, bar_steps=10)
    decision = decision_of(short, [-1])
    rules.unknown_lengths(short, decision)
    assert decision.hits[0, 3, SNARE] and decision.hits.sum() == 1


def test_short_bars_play_one_longer_groove_across_a_run_of_four_step_bars() -> None:
    p = np.zeros((4, S, 9))
    p[:, :4, [KICK, SNARE, CLOSED_HAT]] = 0.8
    context = context_of(p, bar_steps=4, steering=Steering(allowed=np.ones(len(CODEBOOK), dtype=bool)))
    decision = decision_of(context)
    rules.short_bars(context, decision)
    assert decision.hits[:, :4].any() and not decision.hits[:, 4:].any()
    single = context_of(p[:1], bar_steps=4, steering=Steering(allowed=np.ones(len(CODEBOOK), dtype=bool)))
    alone = decision_of(single)
    rules.short_bars(single, alone)
    assert not alone.hits.any()  # one short bar is no run


def test_short_bars_live_go_on_with_the_run_played_before() -> None:
    """Live a short bar is decided alone: the first opens a run (`ShortRun.open`), the next ones play the following
    quarters of the same longer groove, as offline plays the run's bars together."""
    from seq2drum.groove.gains import ShortRun

    rock = CODEBOOK.patterns[ROCK, :16]
    p = np.zeros((4, S, 9))
    for row in range(4):  # the probabilities of a rock bar, a quarter of it per 4/16 bar
        p[row, :4] = 0.05 + 0.8 * rock[4 * row: 4 * row + 4]
    allowed = Steering(allowed=np.ones(len(CODEBOOK), dtype=bool))
    offline = decision_of(context_of(p, bar_steps=4, steering=allowed))
    rules.short_bars(context_of(p, bar_steps=4, steering=allowed), offline)
    run, played = ShortRun(open=True), []
    for row in range(4):
        context = context_of(p[row:row + 1], bar_steps=4, steering=allowed).after(Past(short_run=run))
        decision = decision_of(context)
        rules.short_bars(context, decision)
        assert decision.grouped is not None and decision.grouped[0] >= 0
        run = run.after(int(decision.grouped[0]), 4)
        played.append(decision.hits[0])
    assert run.bars == 4 and run.entry == offline.grouped[0] == ROCK
    np.testing.assert_array_equal(np.stack(played), offline.hits)


def test_keeps_time_fills_an_empty_bar_live_once_the_band_plays() -> None:
    """Live, a bar whose groove came out empty while the band plays gets the best groove of its length with hits;
    offline (no band heard before: `Past()`) an empty bar stays empty: rests are marked there."""
    p = np.full((2, S, 9), 0.02)
    p[:, :16, KICK] = 0.05
    p[:, 4, SNARE] = 0.12
    context = context_of(p)
    decision = decision_of(context, [ROCK, ROCK])
    decision.hits[0] = False  # refined away: every cell far below lambda
    decision.hits[1] = CODEBOOK.patterns[ROCK]
    rules.keeps_time(context, decision)
    assert not decision.hits[0].any()
    live = context.after(Past(band_playing=True))
    rules.keeps_time(live, decision)
    assert decision.hits[0].any() and (decision.hits[1] == CODEBOOK.patterns[ROCK]).all()


def test_refine_cells_adds_sure_cells_drops_unlikely_ones_and_a_style_only_drops() -> None:
    p = np.zeros((1, S, 9))
    p[0, 2, SNARE] = 0.95  # far above lambda 0.3 + margin 0.25
    context = context_of(p)
    decision = decision_of(context, [ROCK])
    rules.codebook_grooves(context, decision)
    rules.refine_cells(context, decision)
    assert decision.hits[0, 2, SNARE]
    assert not decision.hits[0, 0, KICK]  # the rock bar's kick, at p 0, is dropped
    styled = context_of(p, steering=Steering(allowed=np.ones(len(CODEBOOK), dtype=bool)))
    kept = decision_of(styled, [ROCK])
    rules.refine_style_cells(styled, kept)
    assert not kept.hits[0, 2, SNARE]


def test_a_3_4_groove_keeps_kick_and_snare_together_on_1_only_where_the_model_hears_both() -> None:
    """Issue 101: a codebook groove in 3/4 with kick and snare on 1 played a folk song's every bar (its drummer: none
    of 147). Where the model hears both above lambda they stay; else the likelier; a 4/4 groove is played as it is."""
    both = np.zeros((12, 9), dtype=bool)
    both[0, [KICK, SNARE]] = True
    both[[4, 8], CLOSED_HAT] = True
    p = np.zeros((2, S, 9))
    p[:, 0, KICK], p[:, 0, SNARE] = 0.6, [0.5, 0.1]
    waltz = context_of(p, bar_steps=12)
    codebook = dataclasses.replace(CODEBOOK, patterns=np.pad(both, ((0, S - 12), (0, 0)))[None])
    waltz = dataclasses.replace(waltz, codebook=codebook)
    decision = decision_of(waltz, [0, 0])
    rules.codebook_grooves(waltz, decision)
    assert decision.hits[:, 0, KICK].tolist() == [True, True] and decision.hits[:, 0, SNARE].tolist() == [True, False]
    four = dataclasses.replace(context_of(p), codebook=codebook)
    kept = decision_of(four, [0, 0])
    rules.codebook_grooves(four, kept)
    assert kept.hits[:, 0, KICK].all() and kept.hits[:, 0, SNARE].all()


def test_refine_cells_in_3_4_puts_kick_or_snare_on_the_downbeat_not_both() -> None:
    """Issue 101: a folk song in 3/4 had kick and snare together on 1 (its drummers' 3/4 bars: 11%), each far above
    lambda alone. The likelier stays; a 4/4 bar keeps both, and a groove that had both keeps them."""
    p = np.zeros((3, S, 9))
    p[:, 0, KICK], p[:, 0, SNARE] = 0.9, 0.8
    p[1, 0, SNARE] = 0.95
    waltz = context_of(p, bar_steps=12)
    decision = decision_of(waltz)
    decision.hits[2, 0, [KICK, SNARE]] = True  # the groove's own
    rules.refine_cells(waltz, decision)
    assert decision.hits[:, 0, KICK].tolist() == [True, False, True]
    assert decision.hits[:, 0, SNARE].tolist() == [False, True, True]
    four = context_of(p)
    kept = decision_of(four)
    rules.refine_cells(four, kept)
    assert kept.hits[:, 0, KICK].all() and kept.hits[:, 0, SNARE].all()


def test_the_groove_rules_are_chosen_once_for_the_mode() -> None:
    """Issue 67: a style's mode and a policy that refines nothing were guards inside each rule; the list is chosen
    once. A style's list holds none of the model's kit, cymbal, kick or backbeat rules, only its plan's (issue 99:
    the style's printed parts are played); a margin of 1 (a later take's retry) runs no refinement at all."""
    style = Steering(allowed=np.ones(len(CODEBOOK), dtype=bool))
    assert rules.groove_rules(Steering(), True) == rules.GROOVE_RULES
    assert [r.__name__ for r in rules.groove_rules(style, True)] == ["codebook_grooves", "unknown_lengths",
                                                                    "short_bars", "refine_style_cells", "keeps_time",
                                                                    "plan_time", "plan_feels", "plan_level",
                                                                    "given_pattern"]
    assert rules.refine_cells not in rules.groove_rules(Steering(), DecodingPolicy(refine_margin=1.0).refines)
    assert rules.refine_style_cells not in rules.groove_rules(style, False)
    assert DecodingPolicy().refines and not DecodingPolicy(refine_margin=1.0).refines


def test_refine_cells_under_a_style_keeps_its_time_keeping_where_the_model_hears_none() -> None:
    """--style jazz-ride in a waltz the model hears on the hats: the ride at p 0 stays; the kick at p 0 goes."""
    p = np.zeros((1, S, 9))
    styled = context_of(p, steering=Steering(allowed=np.ones(len(CODEBOOK), dtype=bool)))
    kept = decision_of(styled, [ROCK])
    rules.codebook_grooves(styled, kept)
    kept.hits[0, 0:16:4, RIDE] = True
    hats, rides = kept.hits[0, :, CLOSED_HAT].copy(), kept.hits[0, :, RIDE].copy()
    rules.refine_style_cells(styled, kept)
    assert (kept.hits[0, :, RIDE] == rides).all() and (kept.hits[0, :, CLOSED_HAT] == hats).all()
    assert not kept.hits[0, :, KICK].any()


def test_toms_in_fills_keeps_a_grooves_tom_only_where_the_model_is_sure_and_a_style_keeps_its_own() -> None:
    p = np.full((1, S, 9), 0.45)  # a tom hedged on 3/4's off-beats, as the model does in waltzes without one
    p[0, 2, MID_TOM] = 0.9
    context = context_of(p, bar_steps=12)
    decision = decision_of(context)
    decision.hits[0, [2, 6, 10], MID_TOM] = decision.hits[0, 0, KICK] = True
    rules.toms_in_fills(context, decision)
    assert decision.hits[0, :, MID_TOM].tolist()[:12] == [False, False, True] + [False] * 9
    assert decision.hits[0, 0, KICK]  # the rest of the groove stays
    styled = context_of(p, bar_steps=12, steering=Steering(allowed=np.ones(len(CODEBOOK), dtype=bool)))
    kept = decision_of(styled)
    kept.hits[0, [6, 10], MID_TOM] = True
    assert rules.toms_in_fills not in rules.groove_rules(styled.steering, True)  # a style's list
    assert kept.hits[0, [6, 10], MID_TOM].all()


def test_the_users_drums_keep_their_toms_after_toms_in_fills() -> None:
    """Drums kept from the song (--keep-drums) are the drummer's: a tom groove there is played on, toms and all."""
    tom_bar = rock_bar(16)
    tom_bar[[6, 14], MID_TOM] = True
    steer = continuation(CODEBOOK, np.full(1, 16), np.zeros(1, bool), np.zeros((1, S, 9), bool), np.ones(1, bool),
                         np.pad(tom_bar, ((0, S - 16), (0, 0)))[None])
    context = context_of(np.full((1, S, 9), 0.3), steering=Steering(continuation=steer))
    decision = rules.run(rules.GROOVE_RULES, context, decision_of(context, [int(steer.preferred_entry[0])]))
    assert decision.hits[0, [6, 14], MID_TOM].all() and decision.hits[0, 0, KICK]


def test_a_written_fill_is_a_run_of_several_hits_never_one_tom_in_place_of_a_hat() -> None:
    """The codebook's last beats with one tom are no fill to write, even where they match the model better."""
    one_tom = pattern(16, [(s, CLOSED_HAT) for s in range(0, 12, 2)] + [(0, KICK), (8, SNARE), (12, LOW_TOM)])
    run = pattern(16, [(s, CLOSED_HAT) for s in range(0, 12, 2)] + [(0, KICK), (8, SNARE), (12, SNARE),
                                                                     (13, SNARE), (14, MID_TOM), (15, LOW_TOM)])
    book = GrooveCodebook.from_entries([(16, bar, 50, bar * 90.0, np.zeros((16, 9))) for bar in (one_tom, run)], 16)
    writer = FillWriter(book)
    assert len(writer.candidates(0, 16, 4)) == 1
    p = np.zeros((1, 16, 9))
    p[0, 12, LOW_TOM] = 0.9
    hits = np.zeros((1, 16, 9), dtype=bool)
    writer.fill(hits, p, 0, 16, 4, 0.3)
    assert hits[0, 12:, [SNARE, MID_TOM, LOW_TOM]].sum() == 4


def test_kicks_follow_the_bass_unless_a_style_keeps_its_own() -> None:
    p = np.full((1, S, 9), 0.4)
    p[0, 0, KICK] = 0.7  # above lambda 0.3 + bass_kick_sure 0.2: the groove's kick stays
    bass = np.zeros((1, S), dtype=bool)
    bass[0, [6, 10]] = True
    context = context_of(p, bass_onsets=bass)
    decision = decision_of(context, [ROCK])
    rules.codebook_grooves(context, decision)
    rules.kicks_follow_bass(context, decision)
    assert np.flatnonzero(decision.hits[0, :, KICK]).tolist() == [0, 6, 10]  # the bass's, and a sure kick kept
    styled = context_of(p, bass_onsets=bass, steering=Steering(allowed=np.ones(len(CODEBOOK), dtype=bool)))
    own = decision_of(styled, [ROCK])
    rules.codebook_grooves(styled, own)
    assert rules.kicks_follow_bass not in rules.groove_rules(styled.steering, True)  # a style's list
    assert (own.hits[0] == CODEBOOK.patterns[ROCK]).all()


def test_ride_sections_moves_the_hats_to_the_ride_where_the_model_hears_a_ride() -> None:
    p = np.zeros((1, S, 9))
    p[0, :16, CLOSED_HAT], p[0, :16, RIDE] = 0.5, 0.4
    context = context_of(p)
    decision = decision_of(context, [ROCK])
    rules.codebook_grooves(context, decision)
    hats = decision.hits[0, :, CLOSED_HAT].copy()
    rules.ride_sections(context, decision)
    assert (decision.hits[0, :, RIDE] == hats).all() and not decision.hits[0, :, CLOSED_HAT].any()


@pytest.mark.parametrize(("swung", "ride_ratio", "rides"),
                         [(False, 0.4, False), (True, 0.4, True), (True, 0.2, True), (True, 0.0, False)],
                         ids=["straight", "swung", "swung, a lower ratio", "ride off"])
def test_a_swung_song_rides_at_its_own_share_of_the_hat(swung: bool, ride_ratio: float, rides: bool) -> None:
    """A bar whose ride the model rates at 0.3 of the closed hat stays on the hat at `ride_ratio` 0.4, and rides in a
    song that swings by its own reading (SWUNG_RIDE_RATIO 0.2: the live network rates a jazz ride lower than the
    offline one); a policy's lower ratio holds, and a ratio of 0 keeps every song off the ride."""
    p = np.zeros((1, S, 9))
    p[0, :16, CLOSED_HAT], p[0, :16, RIDE] = 0.5, 0.15
    context = dataclasses.replace(context_of(p, policy=DecodingPolicy(ride_ratio=ride_ratio)), swung=swung)
    decision = decision_of(context, [ROCK])
    rules.codebook_grooves(context, decision)
    hats = decision.hits[0, :, CLOSED_HAT].copy()
    rules.ride_sections(context, decision)
    assert decision.hits[0, :, RIDE].any() == rides
    assert (decision.hits[0, :, RIDE if rides else CLOSED_HAT] == hats).all()


@pytest.mark.parametrize(("bar_steps", "feet"), [(16, [4, 12]), (12, [4, 8])], ids=["4/4: 2 and 4", "3/4: 2 and 3"])
def test_hat_foot_keeps_the_hat_on_the_backbeats_under_the_ride_where_the_model_expects_it(
        bar_steps: int, feet: list[int]) -> None:
    """Under a ride on every beat, the closed hat comes back on the backbeats the model rates 0.45 or more (not on
    a beat it rates lower, not in a bar kept on the hats, not under a style)."""
    p = np.full((2, S, 9), 0.05)
    p[:, 0:bar_steps:4, RIDE] = 0.9
    p[:, 0:bar_steps:4, CLOSED_HAT] = 0.5
    p[:, 0, CLOSED_HAT] = 0.3  # the downbeat is no foot
    context = context_of(p, bar_steps=bar_steps)
    decision = decision_of(context, [-1, -1])
    decision.hits[0, 0:bar_steps:4, RIDE] = True  # bar 0 rides; bar 1 keeps time on the hats
    decision.hits[1, 0:bar_steps:2, CLOSED_HAT] = True
    before = decision.hits[1].copy()
    rules.hat_foot(context, decision)
    assert np.flatnonzero(decision.hits[0, :, CLOSED_HAT]).tolist() == feet
    assert (decision.hits[1] == before).all()
    styled = context_of(p, bar_steps=bar_steps, steering=Steering(allowed=np.ones(len(CODEBOOK), dtype=bool)))
    own = decision_of(styled, [-1, -1])
    own.hits[0, 0:bar_steps:4, RIDE] = True
    assert rules.hat_foot not in rules.groove_rules(styled.steering, True)  # a style's list
    assert not own.hits[0, :, CLOSED_HAT].any()


def test_given_pattern_plays_the_users_exact_bar_where_its_groove_was_chosen() -> None:
    given = rock_bar(16)
    given[14, SNARE] = True  # not a codebook entry: its nearest is the rock bar
    padded = np.zeros((1, S, 9), dtype=bool)
    padded[0, :16] = given
    steer = continuation(CODEBOOK, np.array([16]), np.zeros(1, bool), np.zeros_like(padded), np.ones(1, bool), padded)
    context = context_of(np.zeros((1, S, 9)), steering=Steering(continuation=steer))
    decision = decision_of(context, [ROCK])
    rules.codebook_grooves(context, decision)
    rules.given_pattern(context, decision)
    assert (decision.hits == padded).all()


def test_kicks_follow_the_bass_in_3_4_beside_a_snare_on_1_only_where_the_kick_is_likelier() -> None:
    """Issue 101: out of fold, the bass's kick joined a groove's snare on 1 in nearly every 3/4 bar that had one (3 of
    the drummers' 150 bars of a folk song, 130 of take 1's). The likelier of the two stays; in 4/4 the kick joins."""
    p = np.zeros((2, S, 9))
    p[:, 0, SNARE] = 0.6
    p[:, 0, KICK] = [0.3, 0.7]
    bass = np.zeros((2, S), dtype=bool)
    bass[:, 0] = True
    waltz = context_of(p, bar_steps=12, bass_onsets=bass)
    decision = decision_of(waltz)
    decision.hits[:, 0, SNARE] = True  # the groove's snare on 1
    rules.kicks_follow_bass(waltz, decision)
    assert decision.hits[:, 0, KICK].tolist() == [False, True]
    assert decision.hits[:, 0, SNARE].tolist() == [True, False]
    four = context_of(p, bass_onsets=bass)
    kept = decision_of(four)
    kept.hits[:, 0, SNARE] = True
    rules.kicks_follow_bass(four, kept)
    assert kept.hits[:, 0, KICK].all() and kept.hits[:, 0, SNARE].all()


def test_rest_marks_pass_the_threshold_the_lower_one_at_edges_and_the_bass_ones_where_the_bass_rests() -> None:
    structure = np.array([[0.6, 0, 0], [0.3, 0, 0], [0.3, 0, 0], [0.3, 0, 0]])
    policy = DecodingPolicy(rest_threshold=0.5, rest_edge_threshold=0.2, rest_bass_threshold=0.25)
    context = context_of(np.zeros((4, S, 9)), structure, policy)
    context = BarContext(**{**context.__dict__, "bass_silent": np.array([False, False, False, True])})
    edges = np.zeros((4, 3), dtype=bool)
    edges[1, REST_COLUMN] = True
    decision = decision_of(context, edges=edges)
    marks.rest_marks(context, decision)
    assert decision.marks[:, REST_COLUMN].tolist() == [True, True, False, True]


def test_fill_marks_pass_their_threshold_and_the_lower_edge_threshold_at_edges() -> None:
    structure = np.zeros((3, 3))
    structure[:, FILL_COLUMN] = [0.7, 0.3, 0.3]
    context = context_of(np.zeros((3, S, 9)), structure, DecodingPolicy(fill_threshold=0.5, fill_edge_threshold=0.2))
    edges = np.zeros((3, 3), dtype=bool)
    edges[1, FILL_COLUMN] = True
    decision = decision_of(context, edges=edges)
    marks.fill_marks(context, decision)
    assert decision.marks[:, FILL_COLUMN].tolist() == [True, True, False]
    assert not decision.marks[:, [REST_COLUMN, CRASH_COLUMN]].any()


def test_fill_marks_fill_edges_as_often_as_the_model_expects_and_live_counts_alike() -> None:
    """16 bars whose fill probability is 0.2 a bar (3.2 fill bars expected; none passes an edge threshold of 0.3),
    phrases closing every 4 bars: the edges fill by count, 3 or 4 of them and never off an edge; a song whose model
    expects no fills (0.01 a bar) gets none. Live, bar by bar with the count carried (`fills_after`), the same."""
    n = 16
    policy = DecodingPolicy(fill_threshold=0.9, fill_edge_threshold=0.3)
    edges = np.zeros((n, 3), dtype=bool)
    edges[3::4, FILL_COLUMN] = True

    def fills(probability: float) -> tuple[list[int], list[int]]:
        structure = np.zeros((n, 3))
        structure[:, FILL_COLUMN] = probability
        context = context_of(np.zeros((n, S, 9)), structure, policy)
        decision = decision_of(context, edges=edges)
        marks.fill_marks(context, decision)
        offline = np.flatnonzero(decision.marks[:, FILL_COLUMN]).tolist()
        counts, live = BarCounts(), []
        for row in range(n):
            one = context_of(np.zeros((1, S, 9)), structure[row : row + 1], policy)
            one = one.after(Past(counts=counts))
            bar = decision_of(one, edges=edges[row : row + 1])
            marks.fill_marks(one, bar)
            if bar.marks[0, FILL_COLUMN]:
                live.append(row)
            counts = marks.counts_after(one, bar)
        return offline, live

    offline, live = fills(0.2)
    assert 3 <= len(offline) <= 4 and set(offline) <= {3, 7, 11, 15}
    assert live == offline
    assert fills(0.01) == ([], [])


def test_a_tom_fill_in_a_long_bar_spans_two_beats_and_a_snare_fill_holds_no_tom() -> None:
    """In 4/4 a tom fill replaces the last two beats with a drummer's fill of two tom hits or more (the tiny
    codebook's tom fill: a snare on 3, four toms on 4); without toms, the last beat gets a snare fill, never a tom."""
    writer = FillWriter(CODEBOOK)
    p = np.zeros((1, S, 9))
    hits = np.zeros((1, S, 9), dtype=bool)
    hits[0, :16, CLOSED_HAT] = True
    writer.fill(hits, p, 0, 16, 4, 0.3, toms=True)
    assert hits[0, 8, SNARE] and hits[0, 12:16, [LOW_TOM, MID_TOM, 6]].sum() == 4
    assert not hits[0, 8:16, CLOSED_HAT].any() and hits[0, :8, CLOSED_HAT].all()
    snare = np.zeros((1, S, 9), dtype=bool)
    snare[0, :16, CLOSED_HAT] = True
    writer.fill(snare, p, 0, 16, 4, 0.3, toms=False)
    assert not snare[0, :, [LOW_TOM, MID_TOM, 6]].any()
    assert snare[0, 12:16, SNARE].sum() >= 3 and snare[0, :12, CLOSED_HAT].all()


def test_crash_accents_play_the_models_crashes_off_the_downbeat_and_a_style_keeps_its_grooves() -> None:
    n = 8
    p = np.zeros((n, S, 9))
    p[:, 6, CRASH] = 0.7
    context = context_of(p)
    decision = decision_of(context, [ROCK] * n)
    rules.codebook_grooves(context, decision)
    rules.crash_accents(context, decision)
    assert decision.hits[:, 6, CRASH].sum() == 6 and not decision.hits[:, 0, CRASH].any()  # 5.6 expected, rounded
    assert decision.crash_count is not None and decision.crash_count.played == 6
    styled = context_of(p, steering=Steering(allowed=np.ones(len(CODEBOOK.patterns), dtype=bool)))
    kept = decision_of(styled, [ROCK] * n)
    rules.codebook_grooves(styled, kept)
    assert rules.crash_accents not in rules.groove_rules(styled.steering, True)  # a style's list
    assert not kept.hits[..., CRASH].any()


def crash_bars(probability: float, n: int = 32, every: int = 4, before: tuple[float, int, int] | None = None,
               grooved: bool = False) -> tuple[list[int], BarDecision]:
    """The bars `crash_marks` crashes in a song of n bars whose sections open every `every` bars."""
    structure = np.zeros((n, 3))
    structure[:, CRASH_COLUMN] = probability
    context = context_of(np.zeros((n, S, 9)), structure)
    if before is not None:
        context = context.after(Past(counts=BarCounts(crashes=CrashCount(*before))))
    edges = np.zeros((n, 3), dtype=bool)
    edges[::every, CRASH_COLUMN] = True
    decision = decision_of(context, [ROCK] * n, edges)
    rules.codebook_grooves(context, decision)
    decision.hits[:, 0, CRASH] = grooved
    marks.crash_marks(context, decision)
    return np.flatnonzero(decision.marks[:, CRASH_COLUMN]).tolist(), decision


def test_a_song_the_model_hears_no_crashes_in_gets_none_and_one_it_hears_many_in_gets_them_at_phrases() -> None:
    assert crash_bars(0.01)[0] == []  # a ballad whose drummer never crashes: none, at any section start
    many, _ = crash_bars(0.3)  # 9.6 crash bars expected in 32: one at section starts, never nearer than the gap
    assert many and all(bar % 4 == 0 for bar in many)
    assert all(b - a >= CRASH_MIN_GAP for a, b in zip(many, many[1:]))
    sure, _ = crash_bars(0.9, every=100)  # no section edges: a sure crash opens a bar, still at phrase distance
    assert sure == list(range(0, 32, CRASH_MIN_GAP))


def test_crash_marks_go_on_from_the_bars_before_and_a_crash_ridden_groove_rides_the_ride() -> None:
    assert crash_bars(0.3, n=4, before=(0.0, 0, 1))[0] == []  # the last crash was a bar ago
    assert crash_bars(0.01, n=4, before=(3.0, 1, 10))[0] == [0]  # the song's crashes so far are behind the model's
    bars, decision = crash_bars(0.1, n=16, every=100, grooved=True)
    assert bars and not decision.hits[[r for r in range(16) if r not in bars], 0, CRASH].any()
    assert decision.hits[[r for r in range(16) if r not in bars], 0, RIDE].all()


@pytest.mark.parametrize("policy", [DecodingPolicy(), DecodingPolicy(crash_edge_threshold=1.0)],
                         ids=["crash marks", "no crash marks"])
def test_a_bar_riding_the_crash_keeps_its_downbeat_crash_uncounted(policy: DecodingPolicy) -> None:
    """Issue 100: a phrase riding the crash (its part's time on the crash, more strokes off the downbeat than crash
    accents give a bar) keeps the crash on its 1, as a drummer riding it plays; neither the crash count nor a
    policy without crash marks moves it to the ride."""
    n = 8
    context = context_of(np.zeros((n, S, 9)), np.full((n, 3), 0.05), policy=policy)
    decision = decision_of(context, [ROCK] * n, np.zeros((n, 3), dtype=bool))
    rules.codebook_grooves(context, decision)
    decision.hits[:, 0:16:4, CRASH] = True
    rules.run(marks.mark_rules(context.policy), context, decision)
    assert decision.hits[:, 0, CRASH].all() and not decision.hits[:, 0, RIDE].any()


def test_a_policy_that_marks_no_crash_rides_its_grooves_crashes_on_the_ride() -> None:
    """Crash edge threshold 1 (a live model whose tuner dropped crashes): no crash marked, and a groove's downbeat
    crash rides the ride (it stayed, and a held groove crashed every bar of 3 primed songs live)."""
    n = 8
    context = context_of(np.zeros((n, S, 9)), np.full((n, 3), 0.3), policy=DecodingPolicy(crash_edge_threshold=1.0))
    decision = decision_of(context, [ROCK] * n, np.ones((n, 3), dtype=bool))
    rules.codebook_grooves(context, decision)
    decision.hits[:, 0, CRASH] = True
    rules.run(marks.mark_rules(context.policy), context, decision)
    assert not decision.marks[:, CRASH_COLUMN].any() and not decision.hits[..., CRASH].any()
    assert decision.hits[:, 0, RIDE].all()


def test_crashes_after_counts_what_crash_marks_counted() -> None:
    bars, decision = crash_bars(0.3, n=12)
    context = context_of(np.zeros((12, S, 9)), decision.marks * 0 + np.array([0.0, 0.3, 0.0]))
    expected, spent, since, landings, _ = marks.crashes_after(context, decision)
    assert spent == len(bars) and since == 12 - bars[-1] - 1 + 0 and expected == pytest.approx(3.6) and not landings


def test_backbeat_puts_a_snare_where_the_section_expects_one_in_bars_whose_groove_has_none() -> None:
    p = np.zeros((3, S, 9))
    p[:, 4, SNARE], p[:, 8, SNARE] = 0.3, 0.35  # a waltz hedged between beats 2 and 3: no snare passes lambda
    context = context_of(p, bar_steps=12, labels=np.zeros(3, dtype=np.int64))
    waltz = entry_of(rock_bar(12))
    decision = decision_of(context, [waltz] * 3)
    rules.codebook_grooves(context, decision)
    decision.hits[:, :, SNARE] = False
    decision.hits[2] = False  # an empty bar stays empty
    rules.backbeat(context, decision)
    assert decision.hits[:2, 8, SNARE].all() and decision.hits[:2, :, SNARE].sum() == 2
    assert not decision.hits[2].any()
    quiet = context_of(p * 0.3, bar_steps=12)  # 0.2 snare hits expected: under BACKBEAT_EXPECTED
    bare = decision_of(quiet, [waltz])
    rules.codebook_grooves(quiet, bare)
    bare.hits[:, :, SNARE] = False
    rules.backbeat(quiet, bare)
    assert not bare.hits[:, :, SNARE].any()


def test_backbeat_leaves_a_bar_whose_chosen_part_places_its_own_snare() -> None:
    """A bar whose part the musician chose (`Steering.plan_parts`: a waltz's oom-pa-pa) keeps its own snare,
    its feel's (`plan_feels`); the other bars get their backbeat."""
    p = np.zeros((2, S, 9))
    p[:, 4, SNARE], p[:, 8, SNARE] = 0.3, 0.35
    waltz = ChosenPart("closed_hat", "quarters", {("closed_hat", "quarters"): ("waltz",)})
    chosen = ChosenParts(np.array([0, -1]), np.array([0, -1]), {0: waltz})
    context = context_of(p, bar_steps=12, labels=np.zeros(2, dtype=np.int64),
                         steering=Steering(plan_parts=chosen))
    decision = decision_of(context, [entry_of(rock_bar(12))] * 2)
    rules.codebook_grooves(context, decision)
    decision.hits[:, :, SNARE] = False
    rules.backbeat(context, decision)
    assert not decision.hits[0, :, SNARE].any() and decision.hits[1, 8, SNARE]



@pytest.mark.parametrize(("bar_steps", "beat_steps", "backbeat"), [(8, 4, 4), (12, 6, 6), (16, 4, None)])
def test_backbeat_counts_a_two_beat_bar_as_half_a_four_four_bar(bar_steps: int, beat_steps: int,
                                                                  backbeat: int | None) -> None:
    """A 2/4 (or 6/8) bar holds one backbeat where 4/4 holds two: 0.18 snare hits expected on its second beat get it
    a snare (kevin_barry, 2/4 out of fold: a snare in 13 of 133 bars under the plan, its drummer's in every bar); the
    same expectation over a 4/4 bar stays under BACKBEAT_EXPECTED."""
    p = np.zeros((2, S, 9))
    p[:, 0:bar_steps:2, CLOSED_HAT] = 0.8
    p[:, beat_steps, SNARE] = 0.18
    context = context_of(p, bar_steps=bar_steps, beat_steps=beat_steps, labels=np.zeros(2, dtype=np.int64))
    decision = decision_of(context)
    decision.hits[:, 0:bar_steps:2, CLOSED_HAT] = True
    rules.backbeat(context, decision)
    snares = [np.flatnonzero(bar).tolist() for bar in decision.hits[:, :, SNARE]]
    assert snares == ([[backbeat]] * 2 if backbeat is not None else [[], []])

def hedged_odd_bars(n_bars: int, bar_steps: int, pulse_steps: int, snare: float = 0.45) -> np.ndarray:
    """(n, S, 9) the model's hedge in an odd meter: a kick on the downbeat, hats on the eighths and the same snare
    probability on every pulse after the first, where it cannot tell the backbeat."""
    p = np.zeros((n_bars, S, 9))
    width = min(bar_steps, S)
    p[:, 0, KICK] = 0.8
    p[:, :width:2, CLOSED_HAT] = 0.7
    p[:, pulse_steps:width:pulse_steps, SNARE] = snare
    return p


def test_counted_backbeat_plays_a_7_8_song_on_its_fifth_eighth_not_off_the_grid() -> None:
    """A song in 7/8 decided whole, offline and live: the tiny codebook's 7/8 groove puts its snare on 16th 7 (off the
    eighth grid, as the shipped codebook's on 16th 11) and the model hedges between the eighths; counted 2+2+3 as
    drummers count it, every bar's snare is on the 5th eighth (step 8), one a bar, none off the eighths."""
    p = hedged_odd_bars(8, 14, 2)
    p[:, 7, SNARE] = 0.3  # the codebook groove's off-grid snare, likely enough to be played with it
    scores = scores_of(p, bar_steps=14, beat_steps=2, sections=[Section(0, 8, 0)])
    policy = DecodingPolicy()
    decoder = Decoder(CODEBOOK, policy)
    from seq2drum.groove.policy import calibrated

    probabilities, structure = calibrated(scores, policy)
    take = offline_take(decoder, scores, probabilities, structure, Steering().without_rests(8),
                         Finish(GenerationOptions(), probabilities, scores))
    snares = take.hits[:, :14, SNARE]
    assert snares[:, 8].all() and snares.sum() == 8 and not snares[:, 1::2].any()
    one = scores.bars(0, 1)
    state = LiveState(0, GenerationOptions(), np.zeros(1), np.zeros(1), None)
    (live, _, _), _, _ = live_take(decoder, policy, state, one, probabilities[:1], structure[:1], Steering(), 0,
                                    song_edges(one, policy.crash_phrase_bars))
    assert np.flatnonzero(live.hits[0, :, SNARE]).tolist() == [8]
    styled = Steering(allowed=np.ones(len(CODEBOOK), dtype=bool))
    context = context_of(p, bar_steps=14, beat_steps=2, steering=styled)
    decision = decision_of(context, [entry_of(rock_bar(14))] * 8)
    rules.codebook_grooves(context, decision)
    assert rules.counted_backbeat not in rules.groove_rules(styled, True)
    assert decision.hits[:, 7, SNARE].all()  # a style keeps its grooves


def test_counted_backbeat_plays_a_9_4_bar_as_two_backbeats_not_a_march() -> None:
    """A 9/4 bar (36 steps, a length the codebook lacks) whose snare the model hedges over every beat: split into
    grooves it plays a snare on most beats; counted 2+2+2+3 it plays beats 2, 4, 6 and 9 (the 9th on the pattern's
    last beat, which a bar longer than the pattern ends on), two backbeats' worth."""
    p = hedged_odd_bars(2, 36, 4, snare=0.5)  # far enough above lambda for the refined cells to play every beat
    context = context_of(p, bar_steps=36, labels=np.zeros(2, dtype=np.int64), lam=0.2)
    decision = rules.run(rules.GROOVE_RULES[:rules.GROOVE_RULES.index(rules.counted_backbeat)], context,
                         decision_of(context))
    assert (decision.hits[:, :, SNARE].sum(axis=1) == 7).all()  # the march: every beat of the pattern but the first
    rules.counted_backbeat(context, decision)
    assert [np.flatnonzero(bar).tolist() for bar in decision.hits[:, :, SNARE]] == [[4, 12, 20, 28]] * 2


def test_steered_marks_force_what_the_musician_asked_and_a_rest_neither_crashes_nor_fills() -> None:
    steering = Steering(crashes=np.array([True, None, False], dtype=object), rests=np.array([False, True, False]))
    context = context_of(np.zeros((3, S, 9)), steering=steering)
    decision = decision_of(context)
    decision.marks[:, CRASH_COLUMN] = [False, True, True]
    marks.steered_marks(context, decision)
    assert decision.marks.tolist() == [[False, True, False], [True, False, False], [False, False, False]]
    no_rests = context.without_rests()
    again = decision_of(no_rests)
    marks.steered_marks(no_rests, again)
    assert not again.marks[:, REST_COLUMN].any()


def test_a_bar_the_bass_leaves_silent_is_a_rests_edge() -> None:
    context = context_of(np.zeros((2, S, 9)))
    context = BarContext(**{**context.__dict__, "bass_silent": np.array([True, False])})
    decision = decision_of(context)
    marks.bass_silence_is_edge(context, decision)
    assert decision.edges[:, REST_COLUMN].tolist() == [True, False]


def test_a_bar_on_the_users_groove_marks_only_at_its_edges() -> None:
    padded = np.zeros((2, S, 9), dtype=bool)
    padded[:, :16] = rock_bar(16)
    steer = continuation(CODEBOOK, np.full(2, 16), np.zeros(2, bool), np.zeros_like(padded), np.ones(2, bool), padded)
    context = context_of(np.zeros((2, S, 9)), steering=Steering(continuation=steer))
    edges = np.zeros((2, 3), dtype=bool)
    edges[1, CRASH_COLUMN] = True
    decision = decision_of(context, [ROCK, ROCK], edges)
    decision.marks[:, CRASH_COLUMN] = True
    marks.given_groove_holds(context, decision)
    assert decision.marks[:, CRASH_COLUMN].tolist() == [False, True]


def test_play_marks_empties_rests_writes_fills_crashes_and_the_ending() -> None:
    p = np.full((3, S, 9), 0.2)
    context = context_of(p, last_onset=(2, 4))
    decision = decision_of(context, [ROCK] * 3)
    rules.codebook_grooves(context, decision)
    decision.marks[:] = [[True, False, False], [False, True, True], [False, False, False]]
    marks.play_marks(context, decision)
    assert not decision.hits[0].any()
    assert decision.hits[1, 0, CRASH] and decision.hits[1, 0, KICK]
    assert not (decision.hits[1, 12:16] == CODEBOOK.patterns[ROCK, 12:16]).all()  # a fill replaced the last beat
    assert decision.hits[2, 4, CRASH] and not decision.hits[2, 5:].any()  # the ending


def test_given_bars_hold_the_users_hits_and_no_marks() -> None:
    given = np.zeros((2, S, 9), dtype=bool)
    given[0, [0, 8], KICK] = True
    steer = continuation(CODEBOOK, np.full(2, 16), np.array([True, False]), given, np.zeros(2, bool),
                         np.zeros_like(given))
    context = context_of(np.zeros((2, S, 9)), steering=Steering(continuation=steer))
    decision = decision_of(context, [ROCK, ROCK])
    rules.codebook_grooves(context, decision)
    decision.marks[:] = True
    marks.given_bars(context, decision)
    assert (decision.hits[0] == given[0]).all() and not decision.marks[0].any()
    assert (decision.hits[1] == CODEBOOK.patterns[ROCK]).all() and decision.marks[1].all()


def test_structure_decisions_are_the_mark_rules() -> None:
    rng = np.random.default_rng(0)
    structure, edges = rng.random((20, 3)), rng.random((20, 3)) < 0.3
    policy = DecodingPolicy(rest_threshold=0.6, crash_edge_threshold=0.1, fill_edge_threshold=0.3)
    context = context_of(np.zeros((20, S, 9)), structure, policy)
    marked = rules.run(marks.mark_rules(policy), context, decision_of(context, edges=edges)).marks
    assert (marks.structure_decisions(policy, structure, edges) == marked).all()


@pytest.mark.parametrize("seed", range(6))
def test_offline_and_live_write_the_same_hits_for_the_same_bar(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """A song of one bar decided offline (Decoder) and live (`decide_bar`) with the same scores, bass and edges, and
    the same rounds of lambda from the same start: the same hits, marks and groove."""
    rng = np.random.default_rng(seed)
    p = np.zeros((1, S, 9))
    p[0, :16] = rng.random((16, 9)) ** 2
    bass = rng.random((1, S)) < 0.25 if seed % 2 else None
    structure = rng.random((1, 3))
    scores = scores_of(p, structure, bass_onsets=bass, sections=[Section(0, 1, 0)])
    policy = DecodingPolicy(crash_edge_threshold=0.0, ride_ratio=0.4)
    decoder = Decoder(CODEBOOK, policy)
    from seq2drum.groove.policy import calibrated

    probabilities, calibrated_structure = calibrated(scores, policy)
    offline = offline_take(decoder, scores, probabilities, calibrated_structure, Steering(),
                            Finish(GenerationOptions(), probabilities, scores))
    state = LiveState(0, GenerationOptions(), np.zeros(1), np.zeros(1), None)
    (live, _, _), _, _ = live_take(decoder, policy, state, scores, probabilities, calibrated_structure, Steering(), 0,
                         song_edges(scores, policy.crash_phrase_bars))
    assert (offline.hits == live.hits).all()
    assert (offline.structure == live.structure).all()
    assert offline.grooves.tolist() == live.grooves.tolist()


def test_a_long_fill_drives_into_the_next_bar_and_fills_stay_under_their_share_of_bars() -> None:
    """A drummer's two-beat fill whose toms all fall on beat 3 (a quiet last beat: the checklist's weak fill) is no
    long fill to write; and however sure the model is of fills, fills by count stay under FILL_MAX_SHARE of the
    playing bars (phrase ends, not a tom groove)."""
    early = pattern(16, [(s, CLOSED_HAT) for s in range(0, 8, 2)] + [(0, KICK), (8, MID_TOM), (9, MID_TOM),
                                                                      (10, LOW_TOM), (11, LOW_TOM), (12, KICK)])
    driving = pattern(16, [(s, CLOSED_HAT) for s in range(0, 8, 2)] + [(0, KICK), (8, SNARE), (12, MID_TOM),
                                                                        (13, MID_TOM), (14, LOW_TOM), (15, LOW_TOM)])
    book = GrooveCodebook.from_entries([(16, bar, 50, bar * 90.0, np.zeros((16, 9))) for bar in (early, driving)], 16)
    long_fills = FillWriter(book).candidates(0, 16, 4, 2, toms=True)
    assert len(long_fills) == 1 and (long_fills[0] == driving[8:]).all()
    n = 40
    structure = np.zeros((n, 3))
    structure[:, FILL_COLUMN] = 0.45  # under the fill threshold, but the count would fill every edge
    context = context_of(np.zeros((n, S, 9)), structure, DecodingPolicy(fill_threshold=0.9, fill_edge_threshold=0.5))
    decision = decision_of(context, edges=np.ones((n, 3), dtype=bool))
    marks.fill_marks(context, decision)
    filled = np.cumsum(decision.marks[:, FILL_COLUMN])
    assert filled[-1] >= 0.25 * n and all(filled[i] <= FILL_MAX_SHARE * (i + 1) for i in range(n))


def test_a_planned_fill_is_one_of_its_parts_drummers_fills_and_never_the_same_twice_in_a_row() -> None:
    """A planned take's fill bar plays one of its part's own fills (parts.vocabulary: its drummers' phrase-end fills)
    over its last two beats, the one the model expects most but never the fill played just before it (the same two
    low-tom hits every 4 bars was the machine); a bar with no part, or of under 4 beats (a fill of one beat: the
    waltz's open hats went with the part's, 3/4 open hat 0.48 -> 0.27 of the drummers'), plays the codebook's."""
    groove = [(s, CLOSED_HAT) for s in range(0, 8, 2)] + [(0, KICK)]
    toms = pattern(16, groove + [(8, SNARE), (12, MID_TOM), (13, MID_TOM), (14, LOW_TOM), (15, LOW_TOM)])
    roll = pattern(16, groove + [(8, SNARE), (9, SNARE), (11, SNARE), (13, SNARE), (14, SNARE), (15, SNARE)])
    bank = (np.stack([np.pad(bar, ((0, S - 16), (0, 0))) for bar in (toms, roll)]), np.array([16, 16]))
    base = FillWriter(CODEBOOK)
    planned = PlannedFills(base, [bank, bank, bank, None])
    p = np.zeros((4, S, 9))
    p[:, 12:16, LOW_TOM] = 0.9  # the model expects the tom fill most in every bar
    hits = np.zeros((4, S, 9), dtype=bool)
    hits[:, :16, CLOSED_HAT] = True
    for row in range(4):
        planned.fill(hits, p, row, 16, 4, 0.3)
    played = [next(k for k, bar in enumerate((toms, roll)) if (hits[row, 8:16] == bar[8:]).all()) for row in range(3)]
    assert played == [0, 1, 0]  # the likeliest, then the other, then the likeliest again
    assert hits[:3, :8, CLOSED_HAT].all()  # the groove's first beats stay
    codebook = np.zeros((1, S, 9), dtype=bool)
    codebook[0, :16, CLOSED_HAT] = True
    base.fill(codebook, p[3:], 0, 16, 4, 0.3)
    assert (hits[3] == codebook[0]).all()  # no part: the codebook's fill
    waltz = np.zeros((1, S, 9), dtype=bool)
    waltz[0, :12, CLOSED_HAT] = True
    PlannedFills(base, [(bank[0], np.array([12, 12]))]).fill(waltz, p[:1], 0, 12, 4, 0.3)
    alone = np.zeros((1, S, 9), dtype=bool)
    alone[0, :12, CLOSED_HAT] = True
    base.fill(alone, p[:1], 0, 12, 4, 0.3)
    assert (waltz == alone).all()  # a bar of 3 beats fills over its last beat: the codebook's fill beat, as before
