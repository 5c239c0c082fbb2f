"""Decoding: the groove is held within a section and changes between sections, takes differ, the drums end with
the guitar, no take is near-silent, and calibration recovers a known scale."""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np
import pytest

from seq2drum.groove.takes import steered_takes
from seq2drum.groove.request import song_edges
from seq2drum.training.calibrate import fit_platt
from seq2drum.groove.decoder import Decoder
from seq2drum.groove.takes import take_similarity
from seq2drum.groove.settings import LATER_TAKE_FLOOR, MIN_EXPECTED_HIT_SHARE, TAKE_MAX_SIMILARITY
from seq2drum.groove.policy import DecodingPolicy
from seq2drum.model.checkpoint import upgrade_decoding
from seq2drum.groove.structure import STRUCTURE_COLUMNS
from seq2drum.midi.drums import TOMS
from seq2drum.groove.scores import SongScores
from seq2drum.midi.drums import CRASH, KICK, SNARE
from seq2drum.song.sections import Section
from tests.builders import tiny_codebook

CODEBOOK = tiny_codebook()
ROCK, RIDE = 10, 15  # 16-step entries of the tiny codebook (see tests.builders.tiny_codebook)
S = 32


def old_policy(values: dict) -> DecodingPolicy:
    """A policy as a checkpoint stored it before decoding versions, read as model.checkpoint reads it."""
    return DecodingPolicy.from_dict(upgrade_decoding(values, None))

def logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-4, 1 - 1e-4)
    return np.log(p / (1 - p))


def scores_for(bar_probabilities: list[np.ndarray], sections: list[Section], rest: float = 0.0,
               last_onset: tuple[int, int] | None = None) -> SongScores:
    """SongScores of 16-step bars with the given (16, 9) hit probabilities; structure heads say no."""
    n = len(bar_probabilities)
    p = np.zeros((n, S, 9))
    for row, bar in enumerate(bar_probabilities):
        p[row, :16] = bar
    structure = np.full((n, 3), -8.0)
    structure[:, 0] = logit(np.full(n, rest)) if rest else -8.0
    return SongScores(
        hit_logits=logit(p), velocity=np.full((n, S, 9), 90.0), offset=np.zeros((n, S, 9)),
        structure_logits=structure, bar_steps=np.full(n, 16), beat_steps=np.full(n, 4),
        guitar_plays=np.ones(n, dtype=bool), sections=sections, first_bar=0,
        last_onset=last_onset or (n - 1, 15),
    )


def mix(rock: float, ride: float) -> np.ndarray:
    """Probabilities leaning towards the rock bar and/or the ride bar of the codebook."""
    return 0.01 + rock * CODEBOOK.patterns[ROCK, :16] + ride * CODEBOOK.patterns[RIDE, :16]


NO_REFINE = DecodingPolicy(refine_margin=1.0, stay_bonus=0.5, section_bonus=1.0)


@pytest.fixture
def groove_takes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Later takes made the way a style's are, and any take whose swaps come out too alike: other grooves for each
    section (the swaps of groove.variations `swapped` left out, so that these tests reach that path)."""
    monkeypatch.setattr("seq2drum.groove.takes.SWAP_SLICE_SHARES", ())


def aba_scores() -> SongScores:
    """A (bars 0-7) leans rock, B (8-15) leans ride, A again (16-23); one bar in each section leans the other way."""
    bars = [mix(0.6, 0.2)] * 8 + [mix(0.2, 0.6)] * 8 + [mix(0.6, 0.2)] * 8
    bars[3], bars[11], bars[20] = mix(0.3, 0.5), mix(0.4, 0.35), mix(0.3, 0.5)
    return scores_for(bars, [Section(0, 8, 0), Section(8, 16, 1), Section(16, 24, 0)])


def test_sections_given_hold_one_groove_within_and_change_between_a_and_b() -> None:
    take = steered_takes(Decoder(CODEBOOK, NO_REFINE), aba_scores())[0]
    assert take.grooves[:8].tolist() == [ROCK] * 8
    assert take.grooves[8:16].tolist() == [RIDE] * 8
    assert take.grooves[16:].tolist() == [ROCK] * 8
    assert take.section_grooves == {0: ROCK, 1: RIDE}


def test_a_bar_of_a_length_the_codebook_lacks_does_not_cost_the_bars_after_it_their_grooves() -> None:
    """A 10-step bar (no codebook entry has 10 steps) in the middle of a 4/4 song is played cell by cell; the bars
    before and after it keep the song's groove (the Viterbi chain carries its score over the unplayable bar)."""
    scores = aba_scores()
    scores.bar_steps[12] = 10
    take = steered_takes(Decoder(CODEBOOK, NO_REFINE), scores)[0]
    assert take.grooves[12] == -1
    assert take.grooves[:8].tolist() == [ROCK] * 8
    assert take.grooves[16:].tolist() == [ROCK] * 8
    assert (take.grooves[13:16] == RIDE).all()


def test_without_the_groove_prior_each_bar_follows_its_own_scores() -> None:
    """The holding comes from the prior: with no stay or section bonus the odd bars flip (so the test above tests
    it)."""
    policy = NO_REFINE.replace(stay_bonus=0.0, section_bonus=0.0)
    take = steered_takes(Decoder(CODEBOOK, policy), aba_scores())[0]
    assert take.grooves[3] == RIDE and take.grooves[11] == ROCK


def test_takes_differ_from_each_other() -> None:
    takes = steered_takes(Decoder(CODEBOOK, NO_REFINE), aba_scores(), n_takes=3)
    assert len(takes) == 3
    for i in range(3):
        for j in range(i):
            assert take_similarity(takes[i].hits, takes[j].hits) < TAKE_MAX_SIMILARITY
    assert takes[0].section_grooves == {0: ROCK, 1: RIDE}  # take 1 is the model's own choice


def test_drums_end_on_the_guitars_last_onset_with_kick_and_crash() -> None:
    scores = scores_for([mix(0.6, 0.2)] * 6, [Section(0, 6, 0)], last_onset=(4, 6))
    take = steered_takes(Decoder(CODEBOOK, DecodingPolicy()), scores)[0]
    assert not take.hits[5].any() and not take.hits[4, 7:].any()
    assert take.hits[4, 6, KICK] and take.hits[4, 6, CRASH]


def test_no_take_is_near_silent_when_the_model_wants_to_rest_everywhere() -> None:
    """Where the rest head says rest in every bar the guitar plays, the take still plays at least a hit a bar."""
    scores = scores_for([mix(0.6, 0.2)] * 8, [Section(0, 8, 0)], rest=0.99)
    for take in steered_takes(Decoder(CODEBOOK, DecodingPolicy(rest_threshold=0.5)), scores, n_takes=2):
        assert take.n_hits >= 8


def test_the_drums_rest_where_a_heard_bass_is_silent_and_play_where_no_bass_is_heard() -> None:
    """Bars 4-5 have no bass; the rest head gives them (and every bar) 0.2, under the rest thresholds: with the bass
    heard those two bars rest, with the guitar alone (no bass heard) every bar plays; a policy tuned before the rule
    (a checkpoint's dict without it) plays every bar too."""
    scores = scores_for([mix(0.6, 0.2)] * 8, [Section(0, 8, 0)], rest=0.2)
    with_bass = replace(scores, bass_sounds=np.array([True] * 4 + [False] * 2 + [True] * 2))
    policy = DecodingPolicy(rest_threshold=0.5, rest_edge_threshold=0.5, rest_bass_threshold=0.1)
    take = steered_takes(Decoder(CODEBOOK, policy), with_bass)[0]
    assert take.structure[:, 0].tolist() == [False] * 4 + [True] * 2 + [False] * 2
    assert not take.hits[4:6].any() and take.hits[[0, 1, 2, 3, 6]].any(axis=(1, 2)).all()
    assert not steered_takes(Decoder(CODEBOOK, policy), scores)[0].structure[:, 0].any()
    before = {k: v for k, v in policy.to_dict().items() if k != "rest_bass_threshold"}
    assert not steered_takes(Decoder(CODEBOOK, old_policy(before)), with_bass)[0].structure[:, 0].any()


def test_uncertain_scores_fall_back_to_the_most_expected_groove() -> None:
    """With the same middling probabilities everywhere, the decision is one steady groove, not a new bar each time."""
    take = steered_takes(Decoder(CODEBOOK, DecodingPolicy(refine_margin=1.0)), scores_for([mix(0.5, 0.1)] * 12,
                                                                                  [Section(0, 12, 0)]))[0]
    assert len(set(take.grooves[:-1].tolist())) == 1


def test_the_policys_lambda_scale_raises_the_bar_a_cell_must_pass() -> None:
    """`lambda_scale` multiplies the threshold grooves and cells are chosen against: hedged 16th hats at p 0.5 over
    a sure backbeat are played at 1 and left out at 2, the backbeat kept."""
    bar = mix(0.9, 0.0)
    bar[1::2, 2] = 0.5  # closed hat on the off 16ths
    scores = scores_for([bar] * 8, [Section(0, 8, 0)])
    hits = [steered_takes(Decoder(CODEBOOK, DecodingPolicy(refine_margin=0.0, lambda_scale=scale)), scores)[0].hits
            for scale in (1.0, 2.0)]
    groove = slice(0, -1)  # the last bar ends the song
    assert hits[0][groove, 1:16:2, 2].all() and not hits[1][groove, 1:16:2, 2].any()
    assert (hits[1] <= hits[0]).all() and (hits[1][groove, :16] >= CODEBOOK.patterns[ROCK, :16]).all()


def test_policy_round_trips_to_a_dict() -> None:
    policy = DecodingPolicy(stay_bonus=1.5).recalibrated(hit_scale=tuple(np.linspace(0.5, 1.5, 9)))
    assert DecodingPolicy.from_dict(policy.to_dict()) == policy


def test_platt_scaling_recovers_a_known_miscalibration() -> None:
    """Logits three times too confident and shifted: the fitted scale and bias undo it."""
    rng = np.random.default_rng(0)
    true_logit = rng.normal(0, 1.5, 20000)
    targets = (rng.random(20000) < 1 / (1 + np.exp(-true_logit))).astype(float)
    scale, bias = fit_platt(3 * true_logit + 1.0, targets)
    assert scale == pytest.approx(1 / 3, rel=0.1)
    assert bias == pytest.approx(-1 / 3, abs=0.1)


def test_structure_counts_match_fills_within_one_bar_and_crashes_exactly() -> None:
    from seq2drum.evaluation.metrics import structure_counts

    real = np.zeros((8, 3), dtype=bool)
    real[[3, 7], 1] = real[[3, 7], 2] = True
    early = np.roll(real, -1, axis=0)
    counts = structure_counts(early, real)
    assert counts["fill"].micro()[2] == 1.0
    assert counts["crash"].micro()[2] == 0.0


def test_rests_never_take_a_song_under_the_share_of_the_hits_the_model_expects() -> None:
    """A rest head that fires in most bars would leave a near-empty take (one real song lost 90% of its hits that
    way): the take is decided again without rests."""
    scores = scores_for([mix(0.6, 0.2)] * 10, [Section(0, 10, 0)], rest=0.6)
    from seq2drum.groove.policy import calibrated

    p, _ = calibrated(scores, DecodingPolicy(rest_threshold=0.5))
    for take in steered_takes(Decoder(CODEBOOK, DecodingPolicy(rest_threshold=0.5)), scores, n_takes=3):
        assert take.n_hits >= MIN_EXPECTED_HIT_SHARE * p.sum()


def test_a_rare_meter_keeps_its_most_played_groove_under_a_strict_limit() -> None:
    """min_groove_bars above every 14-step entry's count (7/8) still leaves that length its most played entry, so
    the bar is a groove, not per-cell guesses."""
    n = 4
    p = np.zeros((n, S, 9))
    p[:, :14] = 0.02 + 0.6 * CODEBOOK.patterns[CODEBOOK.entries_of_length(14)[1], :14]
    scores = SongScores(hit_logits=logit(p), velocity=np.full((n, S, 9), 90.0), offset=np.zeros((n, S, 9)),
                        structure_logits=np.full((n, 3), -8.0), bar_steps=np.full(n, 14), beat_steps=np.full(n, 2),
                        guitar_plays=np.ones(n, dtype=bool), sections=[Section(0, n, 0)], first_bar=0,
                        last_onset=(n - 1, 13))
    take = steered_takes(Decoder(CODEBOOK, DecodingPolicy(min_groove_bars=10_000, refine_margin=1.0)), scores)[0]
    assert (take.grooves[:-1] == CODEBOOK.entries_of_length(14)[1]).all()


def test_later_takes_choose_from_the_menu_of_loops(groove_takes: None) -> None:
    """Take 2 of section A, which leans rock and also towards the tom fill, plays the fill when it may choose from
    the whole codebook, and the ride groove when the menu (rock, ride) is what later takes choose from; take 1 is
    the same either way."""
    fill = 16  # tests.builders.tiny_codebook: the 16-step tom fill
    lean = 0.01 + 0.6 * CODEBOOK.patterns[ROCK, :16] + 0.55 * CODEBOOK.patterns[fill, :16]
    scores = scores_for([lean] * 8 + [mix(0.2, 0.6)] * 8, [Section(0, 8, 0), Section(8, 16, 1)])
    policy = NO_REFINE.replace(min_groove_bars=0)
    without = steered_takes(Decoder(CODEBOOK, policy), scores, n_takes=2)
    menu_rank = np.full(len(CODEBOOK), -1)
    menu_rank[[ROCK, RIDE]] = [0, 1]
    with_menu = steered_takes(Decoder(replace(CODEBOOK, menu_rank=menu_rank), policy), scores, n_takes=2)
    assert without[0].section_grooves == with_menu[0].section_grooves == {0: ROCK, 1: RIDE}
    assert without[1].section_grooves[0] == fill
    assert with_menu[1].section_grooves == {0: RIDE, 1: ROCK}


def _crash_scores(crash: np.ndarray) -> SongScores:
    """Two 8-bar sections of one groove, with the given per-bar crash probabilities."""
    scores = scores_for([mix(0.6, 0.2)] * 16, [Section(0, 8, 0), Section(8, 16, 1)])
    scores.structure_logits[:, 1] = logit(crash)
    return scores


def test_crashes_come_as_often_as_the_model_expects_them_where_sections_open() -> None:
    """A song the model hears no crash in gets none, even where sections open; one it hears a crash every few bars
    in gets them where sections open (groove.rules `crash_marks`)."""
    policy = DecodingPolicy(crash_edge_threshold=0.0)
    quiet = steered_takes(Decoder(CODEBOOK, policy), _crash_scores(np.full(16, 0.01)))[0]
    assert not quiet.structure[:, 1].any() and not quiet.hits[:, 0, CRASH].any()
    crash = np.full(16, 0.3)
    crash[0] = 0.6  # the first bar's crash is likelier than not: its budget holds one at once
    crashing = steered_takes(Decoder(CODEBOOK, policy), _crash_scores(crash))[0]
    assert np.flatnonzero(crashing.structure[:, 1]).tolist() == [0, 8]
    assert crashing.hits[[0, 8], 0, CRASH].all()


def test_a_policy_tuned_before_crashes_could_fall_inside_sections_keeps_its_meaning() -> None:
    """A checkpoint whose policy has no edge thresholds decoded crashes and fills at section edges only, with
    rests anywhere: loading it must decode the same way, not crash in every bar past the old threshold."""
    tuned = DecodingPolicy(fill_threshold=0.1, rest_threshold=0.3).to_dict() | {"crash_threshold": 0.05}
    old = {k: v for k, v in tuned.items() if not k.endswith("_edge_threshold")}
    policy = old_policy(old)
    assert policy.crash_edge_threshold == 0.05
    assert (policy.fill_threshold, policy.fill_edge_threshold) == (1.0, 0.1)
    assert (policy.rest_threshold, policy.rest_edge_threshold) == (0.3, 1.0)


FILL = 16  # tests.builders.tiny_codebook: the 16-step tom fill


def _with_groove_head(scores: SongScores, favourite: int) -> SongScores:
    """The same scores with a groove head that finds `favourite` likely in every bar (and the rock bar next)."""
    logits = np.where(CODEBOOK.bar_steps[None, :] == 16, 0.0, -np.inf).repeat(scores.n_bars, axis=0)
    logits[:, favourite] = 4.0
    logits[:, ROCK] = 3.0
    return replace(scores, groove_logits=logits)


def test_later_takes_cover_the_grooves_the_groove_head_finds_likely(groove_takes: None) -> None:
    """Per-cell probabilities that lean rock say little about the second reading; the groove head does: take 2
    plays the groove the head ranks high and take 1 does not already cover (the ride), while take 1 stays the
    expected-F1 choice. A tom fill the head ranks high is no groove: its toms, which the model is not sure of, go
    (groove.rules `toms_in_fills`), and take 2 plays no tom."""
    base = scores_for([mix(0.6, 0.2)] * 8, [Section(0, 8, 0)])
    policy = NO_REFINE.replace(min_groove_bars=0)
    takes = steered_takes(Decoder(CODEBOOK, policy), _with_groove_head(base, RIDE), n_takes=2)
    assert takes[0].section_grooves == {0: ROCK}
    assert takes[1].section_grooves == {0: RIDE}
    takes = steered_takes(Decoder(CODEBOOK, policy), _with_groove_head(base, FILL), n_takes=2)
    assert takes[0].section_grooves == {0: ROCK}
    assert not takes[-1].hits[..., list(TOMS)].any()


def test_a_later_take_on_a_sparse_groove_is_filled_to_near_the_first_takes_hits(groove_takes: None) -> None:
    """A distinct groove may be much sparser than the song (odd meters have few common grooves): a later take adds
    the likeliest cells it leaves out until it has LATER_TAKE_FLOOR of take 1's hits, so no take is a sketch."""
    scores = _with_groove_head(scores_for([mix(0.7, 0.0)] * 8, [Section(0, 8, 0)]), RIDE)
    policy = NO_REFINE.replace(min_groove_bars=0)
    takes = steered_takes(Decoder(CODEBOOK, policy), scores, n_takes=2)
    assert takes[1].section_grooves == {0: RIDE}
    floor = LATER_TAKE_FLOOR * takes[0].n_hits
    ride_hits = int(CODEBOOK.patterns[RIDE].sum()) * 8
    assert ride_hits < floor  # the groove alone would be too sparse
    assert takes[1].n_hits >= floor
    assert take_similarity(takes[0].hits, takes[1].hits) < 1.0


def test_a_crash_joins_the_grooves_downbeat_and_keeps_its_hi_hat() -> None:
    """A decided crash adds crash and kick on the downbeat; the groove's hi-hat there stays (as in a third of the
    data's crash downbeats), so a wrong crash costs one extra hit rather than a matched hat as well."""
    from seq2drum.midi.drums import CLOSED_HAT

    crash = np.full(16, 0.01)
    crash[8] = 0.9
    never = DecodingPolicy(crash_edge_threshold=1.0)
    plain = steered_takes(Decoder(CODEBOOK, never), _crash_scores(crash))[0]
    take = steered_takes(Decoder(CODEBOOK, DecodingPolicy(crash_edge_threshold=0.5)), _crash_scores(crash))[0]
    assert plain.hits[8, 0, CLOSED_HAT], "the groove of this test has a hi-hat on the downbeat"
    assert take.hits[8, 0, CRASH] and take.hits[8, 0, KICK] and take.hits[8, 0, CLOSED_HAT]
    changed = np.argwhere(take.hits != plain.hits)
    assert {tuple(cell) for cell in changed.tolist()} <= {(8, 0, CRASH), (8, 0, KICK)}


def _structure_song(seed: int) -> tuple[SongScores, object]:
    """A 24-bar song (A-B-A) with random structure probabilities and real drums: the rock bar with crashes,
    rests and a tom fill here and there."""
    rng = np.random.default_rng(seed)
    scores = aba_scores()
    scores.structure_logits = logit(rng.uniform(0.02, 0.6, size=(24, 3)))
    real = np.zeros((24, S, 9), dtype=bool)
    real[:, :16] = CODEBOOK.patterns[ROCK, :16]
    real[rng.random(24) < 0.2, 0, CRASH] = True
    real[rng.random(24) < 0.1] = False
    fills = rng.random(24) < 0.2
    real[fills, 12:16] = CODEBOOK.patterns[FILL, 12:16]

    class Song:
        hits = real

    return scores, Song()


def test_the_structure_simulation_scores_thresholds_as_decoding_does() -> None:
    """The tuner scores structure thresholds from per-bar outcomes instead of decoding every song again; for any
    thresholds it must give what decoding gives (mean song F1, rest / crash / fill F1)."""
    from seq2drum.training.calibrate import evaluate_policy, score_structure, structure_outcomes

    policy = DecodingPolicy(refine_margin=0.3)
    songs = [_structure_song(seed) for seed in range(4)]
    outcomes = [structure_outcomes(Decoder(CODEBOOK, policy), scores, song) for scores, song in songs]
    for thresholds in ((1.0, 1.0, 1.0, 1.0, 1.0), (0.3, 0.2, 0.1, 0.5, 0.2), (1.0, 0.5, 0.2, 0.3, 0.1)):
        candidate = policy.replace(**dict(zip(("rest_threshold", "rest_edge_threshold", "crash_edge_threshold",
                                               "fill_threshold", "fill_edge_threshold"), thresholds)))
        fast = score_structure(outcomes, candidate)
        fast_f1, fast_structure = fast.mean_f1, fast.structure_f1
        f1, structure = evaluate_policy(Decoder(CODEBOOK, candidate), [s for s, _ in songs],
                                        [song for _, song in songs])
        assert fast_f1 == pytest.approx(f1, abs=1e-9)
        np.testing.assert_allclose(fast_structure, structure, atol=1e-9)


def test_structure_tuning_stays_within_its_budget_of_song_f1() -> None:
    from seq2drum.training.calibrate import score_structure, structure_outcomes, tune_structure

    policy = DecodingPolicy(refine_margin=0.3)
    songs = [_structure_song(seed) for seed in range(6)]
    outcomes = [structure_outcomes(Decoder(CODEBOOK, policy), scores, song) for scores, song in songs]
    from seq2drum.training.calibrate import NO_STRUCTURE

    none = policy.replace(**NO_STRUCTURE)
    scored_none = score_structure(outcomes, none)
    f1_none, structure_none = scored_none.mean_f1, scored_none.structure_f1
    tuned, report = tune_structure(outcomes, policy, budget=0.01)
    scored = score_structure(outcomes, tuned)
    f1, structure = scored.mean_f1, scored.structure_f1
    assert f1 >= f1_none - 3 * 0.01 - 1e-9
    assert structure.sum() > structure_none.sum()  # the real drums here do rest, crash and fill: some are found
    assert report == {f"{name}_f1": pytest.approx(structure[column], abs=1e-4)
                      for column, name in enumerate(STRUCTURE_COLUMNS)}


def _outcomes(real_rest: np.ndarray, q_rest: np.ndarray) -> object:
    """StructureOutcomes of a song of 16-hit bars (all matched where the drummer plays), rest probabilities q_rest."""
    from seq2drum.training.calibrate import StructureOutcomes

    n = len(real_rest)
    matched = np.tile(np.where(real_rest, 0.0, 16.0), (5, 1))
    played = np.full((5, n), 16.0)
    matched[1], played[1] = 0.0, 0.0  # variant 1: the bar rests
    flags = np.zeros((5, n, 3), dtype=bool)
    flags[1, :, 0] = True
    real_flags = np.zeros((n, 3), dtype=bool)
    real_flags[:, 0] = real_rest
    probabilities = np.zeros((n, 3))
    probabilities[:, 0] = q_rest
    return StructureOutcomes(matched, played, flags, real_flags, int(16 * (~real_rest).sum()),
                             np.zeros((n, 3), dtype=bool), probabilities, 0.0)


def test_structure_tuning_refuses_a_choice_that_silences_much_of_one_song_for_another() -> None:
    """One song whose drummer barely plays gains from resting wherever the rest head says 0.3; another song, where
    the drummer plays throughout, would lose half its bars. Over many songs the mean cost is within the budget,
    but no song may lose more than the limit: the tuner plays no rests."""
    from seq2drum.training.calibrate import STRUCTURE_SONG_LOSS_LIMIT, score_structure, tune_structure

    sparse = _outcomes(np.arange(20) < 16, np.full(20, 0.3))
    hurt = _outcomes(np.zeros(20, dtype=bool), np.where(np.arange(20) < 10, 0.3, 0.01))
    others = [_outcomes(np.zeros(20, dtype=bool), np.full(20, 0.01)) for _ in range(40)]
    songs = [sparse, hurt, *others]
    tuned, report = tune_structure(songs, DecodingPolicy(), budget=0.02, song_loss_limit=1.0, rate_limit=9.0)
    assert tuned.rest_threshold <= 0.3 and report["rest_f1"] > 0.5  # without the limit: rests everywhere it says 0.3
    # the song where the drummer plays throughout lost a third of its F1
    assert score_structure(songs, tuned).song_f1[1] < 0.7
    tuned, report = tune_structure(songs, DecodingPolicy(), budget=0.02, rate_limit=9.0)
    assert tuned.rest_threshold > 0.3 and tuned.rest_edge_threshold > 0.3 and report["rest_f1"] == 0.0
    assert STRUCTURE_SONG_LOSS_LIMIT < 0.3


def test_structure_tuning_keeps_the_crashes_on_whatever_the_budget() -> None:
    """Issue 23: tuned for song F1 alone, folds crashed nowhere. The crashes are on whatever the tuner's budget
    (how often comes from the model's crash scores, groove.rules `crash_marks`), so section starts crash where the
    model expects crashes."""
    from seq2drum.training.calibrate import FIXED_EDGE_THRESHOLDS, structure_outcomes, tune_structure

    policy = DecodingPolicy(refine_margin=0.3)
    songs = [_structure_song(seed) for seed in range(6)]
    outcomes = [structure_outcomes(Decoder(CODEBOOK, policy), scores, song) for scores, song in songs]
    tuned, _ = tune_structure(outcomes, policy, budget=0.0)  # no song F1 may be spent: still the rule holds
    assert FIXED_EDGE_THRESHOLDS == {"crash": 0.0} and tuned.crash_edge_threshold == 0.0
    from seq2drum.groove.policy import calibrated
    from seq2drum.groove.marks import structure_decisions
    from seq2drum.groove.structure import CRASH_COLUMN

    crashed = 0
    for scores, _ in songs:
        edges = song_edges(scores)
        probability = calibrated(scores, tuned)[1]
        decided = structure_decisions(tuned, probability, edges)
        starts = edges[:, CRASH_COLUMN]
        assert starts.any() and not (decided[:, CRASH_COLUMN] & ~starts & (probability[:, CRASH_COLUMN] <= 0.5)).any()
        crashed += int(decided[:, CRASH_COLUMN].sum())
    assert crashed


def test_a_policy_change_is_read_as_its_fields_type_and_a_bad_one_is_named() -> None:
    from seq2drum.groove.policy import policy_change

    assert policy_change("crash_edge_threshold=0") == ("crash_edge_threshold", 0.0)
    assert policy_change("own_drums_passes=1") == ("own_drums_passes", 1)
    for bad in ("crashes=1", "fill_threshold=", "fill_threshold=high", "hit_scale=1", "crash_threshold=1",
                "continue_min_share=0.5", "bass_kick=1"):  # settings that became rules are named as unknown
        with pytest.raises(ValueError):
            policy_change(bad)


def test_takes_are_never_copies_where_the_codebook_runs_out(groove_takes: None) -> None:
    """Issue 23 item 2: in a meter with few grooves (7/8), a later take is built from variations (the other
    time-keeping voice, the open hi-hat, busier or sparser, a kick variation) under 0.78 cell F1 with every earlier
    take; only when those run out do fewer takes come back, never a copy."""
    from seq2drum.groove.takes import take_similarity
    from seq2drum.groove.settings import VARIATION_MAX_SIMILARITY
    from seq2drum.midi.drums import CLOSED_HAT, OPEN_HAT, RIDE as RIDE_CLASS

    seven_eight = [row for row in range(len(CODEBOOK.patterns)) if CODEBOOK.bar_steps[row] == 14]
    rock = CODEBOOK.patterns[max(seven_eight, key=lambda row: CODEBOOK.patterns[row].sum()), :16].astype(float)
    scores = scores_for([0.02 + 0.9 * rock] * 8, [Section(0, 8, 0)])  # 7/8 bars: rock, a variation, silence
    scores = replace(scores, bar_steps=np.full(8, 14), beat_steps=np.full(8, 2), last_onset=(7, 13))
    takes = steered_takes(Decoder(CODEBOOK, NO_REFINE), scores, n_takes=4)
    assert len(takes) == 4  # main's decoder wrote 2 of the 4
    for i, a in enumerate(takes):
        for b in takes[i + 1 :]:
            assert take_similarity(a.hits, b.hits) < TAKE_MAX_SIMILARITY
    assert max(take_similarity(takes[3].hits, t.hits) for t in takes[:3]) < VARIATION_MAX_SIMILARITY
    voices = [(int(t.hits[..., CLOSED_HAT].sum()), int(t.hits[..., RIDE_CLASS].sum()),
               int(t.hits[..., OPEN_HAT].sum())) for t in takes]
    assert any(hats == 0 and ride > 0 for hats, ride, _ in voices)  # one take keeps time on the ride
    assert any(hats == ride == 0 and loose > 0 for hats, ride, loose in voices)  # one on the open hi-hat
    assert len({t.n_hits for t in takes}) >= 2  # one busier or sparser
    many = steered_takes(Decoder(CODEBOOK, NO_REFINE), scores, n_takes=16)
    assert 4 <= len(many) < 16  # the variations run out too: fewer takes
    assert all(take_similarity(a.hits, b.hits) < TAKE_MAX_SIMILARITY for i, a in enumerate(many) for b in many[i + 1:])


def test_fewer_takes_come_with_a_notice() -> None:
    from seq2drum.outputs import fewer_takes_notice, takes_written

    assert fewer_takes_notice(4, 4) == ""
    assert fewer_takes_notice(2, 4).startswith("wrote 2 of the 4 takes asked")
    assert takes_written(["something else", fewer_takes_notice(2, 4)]) == 2 and takes_written([]) is None


def test_a_run_of_4_16_bars_plays_longer_grooves_across_them() -> None:
    """Issue 23 item 6: the 4-step entries drummers play are pickups and snare rolls; a song in 4/16 got a 16th snare
    in most bars. Runs of short bars now play the 16-step grooves split across four bars."""
    rock = CODEBOOK.patterns[ROCK, :16]
    p = np.zeros((8, S, 9))
    for row in range(8):  # the probabilities of a rock bar, a quarter of it per 4/16 bar
        p[row, :4] = 0.05 + 0.8 * rock[4 * (row % 4) : 4 * (row % 4) + 4]
    grooves = Decoder(CODEBOOK, NO_REFINE).grooves
    grouped, hits, _ = grooves.short_bar_hits(p, np.full(8, 4), 0.3)
    assert grouped.all()
    np.testing.assert_array_equal(hits[:4, :4].reshape(16, 9), rock)
    lone, _, _ = grooves.short_bar_hits(p[:1], np.full(1, 4), 0.3)
    assert not lone.any()  # a single pickup bar keeps the codebook's short entries


def test_runs_of_short_bars_group_into_the_most_played_grooves_whatever_the_tuned_floor() -> None:
    """The network rates the snare high in short bars; at min_groove_bars 50 a 4/16 song took a 16-step snare roll
    played in 60 training bars (227 of 256 steps). Grouped bars choose among the most played entries
    (GROUPED_MIN_GROOVE_BARS, capped at the length's most played), while whole bars keep the tuned floor."""
    from seq2drum.groove.codebook import GrooveCodebook
    from seq2drum.groove.gains import GrooveGains
    from seq2drum.groove.settings import GROUPED_MIN_GROOVE_BARS
    from tests.builders import pattern, rock_bar

    roll = pattern(16, [(s, 1) for s in range(16)] + [(0, 0)])
    backbeat = rock_bar(16)
    entries = [(16, np.zeros((16, 9), bool), 5, np.zeros((16, 9)), np.zeros((16, 9))),
               (16, backbeat, 2 * GROUPED_MIN_GROOVE_BARS, backbeat * 90.0, np.zeros((16, 9))),
               (16, roll, 60, roll * 90.0, np.zeros((16, 9)))]
    codebook = GrooveCodebook.from_entries(entries, 32)
    p = np.zeros((8, S, 9))
    for row in range(8):  # a rock bar's probabilities, a quarter of it per 4/16 bar, and the snare hedged high
        p[row, :4] = 0.05 + 0.8 * backbeat[4 * (row % 4) : 4 * (row % 4) + 4]
    p[:, :4, 1] = np.maximum(p[:, :4, 1], 0.7)
    grooves = GrooveGains(codebook, min_groove_bars=50)
    assert grooves.playable[2]  # a whole 4/4 bar may still play the roll the tuning allows
    _, rolled, _ = grooves.short_bar_hits(p, np.full(8, 4), 0.3, allowed=grooves.playable)
    np.testing.assert_array_equal(rolled[:4, :4].reshape(16, 9), roll)  # what the tuned floor alone chose
    grouped, hits, _ = grooves.short_bar_hits(p, np.full(8, 4), 0.3)
    assert grouped.all()
    np.testing.assert_array_equal(hits[:4, :4].reshape(16, 9), backbeat)


def test_phrase_crashes_mark_every_nth_bar_of_a_section() -> None:
    """Issue 23: drummers crash on about one downbeat in nine; a crash on bars 1, 9, 17 ... of each section (the
    shipped policy's crash_phrase_bars 8) lifted pooled crash F1 on 5-fold CV. Old checkpoints keep section starts."""
    from seq2drum.groove.structure import CRASH_COLUMN

    scores = scores_for([mix(1.0, 0.0)] * 30, [Section(0, 20, 0), Section(20, 30, 1)])
    assert np.flatnonzero(song_edges(scores)[:, CRASH_COLUMN]).tolist() == [0, 20]
    # bar 16 is 4 bars before the next section: its phrase gives way to the section's crash
    assert np.flatnonzero(song_edges(scores, 8)[:, CRASH_COLUMN]).tolist() == [0, 8, 20, 28]
    assert old_policy(DecodingPolicy().to_dict() | {"crash_phrase_bars": 8}).crash_phrase_bars == 8
    old = {k: v for k, v in DecodingPolicy().to_dict().items() if k != "crash_phrase_bars"}
    assert old_policy(old).crash_phrase_bars == 0


def _varied_scores(n: int = 8, seed: int = 3) -> SongScores:
    """A song of rock bars with probabilities that vary from cell to cell (some likely cells left out of the
    groove, some of its cells hardly likely): room for a later take to choose other cells."""
    rng = np.random.default_rng(seed)
    bars = [np.clip(mix(0.55, 0.1) + rng.uniform(-0.15, 0.3, (16, 9)) * (rng.random((16, 9)) < 0.3), 0.01, 0.95)
            for _ in range(n)]
    return scores_for(bars, [Section(0, n // 2, 0), Section(n // 2, n, 1)])


def test_a_later_take_is_take_1_with_its_least_likely_cells_swapped_for_the_likeliest_left_out() -> None:
    """Breaks if a later take stopped being take 1's reading with a fifth of its cells changed where it costs least:
    the same grooves, rests, crashes and fills; take 2 leaves out take 1's least likely swappable cells (never a bar's
    only snare) and plays the likeliest ones take 1 leaves out; every pair of takes under TAKE_MAX_SIMILARITY; each
    take's expected F1 under take 1's and above that of as many cells swapped at random."""
    from seq2drum.groove.policy import calibrated
    from seq2drum.groove.variations import SWAPPED

    scores = _varied_scores()
    decoder = Decoder(CODEBOOK, NO_REFINE.replace(min_groove_bars=0))
    takes = steered_takes(decoder, scores, n_takes=4)
    p, _ = calibrated(scores, decoder.policy)
    assert len(takes) == 4
    assert all(take_similarity(a.hits, b.hits) < TAKE_MAX_SIMILARITY for a, b in itertools.combinations(takes, 2))
    first = takes[0]
    for take in takes[1:]:
        assert take.section_grooves == first.section_grooves and np.array_equal(take.structure, first.structure)
        others = [c for c in range(9) if c not in SWAPPED]
        assert np.array_equal(take.hits[..., others], first.hits[..., others])  # toms and crashes as take 1's
        assert abs(take.n_hits - first.n_hits) <= 1  # as busy: cells swapped, not added or dropped

    def expected_f1(hits: np.ndarray) -> float:
        return 2 * float(p[hits].sum()) / (hits.sum() + p.sum())

    swappable = np.zeros(first.hits.shape, dtype=bool)
    swappable[:, :16, list(SWAPPED)] = True
    rng = np.random.default_rng(0)
    for take in takes[1:]:  # dearer than take 1, cheaper than as many cells swapped at random
        count = int((first.hits & ~take.hits).sum())
        at_random = first.hits.copy()
        at_random.ravel()[rng.choice(np.flatnonzero((first.hits & swappable).ravel()), count, replace=False)] = False
        at_random.ravel()[rng.choice(np.flatnonzero((~first.hits & swappable).ravel()), count, replace=False)] = True
        assert expected_f1(at_random) < expected_f1(take.hits) <= expected_f1(first.hits)
    out, into = first.hits & ~takes[1].hits, takes[1].hits & ~first.hits
    assert out.any() and into.any()
    lone_snares = np.zeros(first.hits.shape, dtype=bool)  # a bar's only snare is never swapped out
    lone_snares[..., SNARE] = first.hits[..., SNARE] & (first.hits[..., SNARE].sum(axis=1) == 1)[:, None]
    assert not (out & lone_snares).any()
    assert p[out].max() <= p[first.hits & takes[1].hits & swappable & ~lone_snares].min()
    assert p[into].min() >= p[~first.hits & ~takes[1].hits & swappable].max()


def test_later_takes_never_change_the_bars_the_user_drummed() -> None:
    """Breaks if a later take's swaps reached the user's own bars (forced by the drums given): they stay exactly as
    take 1 plays them, while the other bars differ."""
    from seq2drum.groove.continuation import continuation
    from seq2drum.groove.policy import Steering

    scores = _varied_scores()
    n, width = scores.n_bars, scores.hit_logits.shape[1]
    forced = np.zeros(n, dtype=bool)
    forced[:2] = True
    given = np.zeros((n, width, 9), dtype=bool)
    given[:2, :16] = CODEBOOK.patterns[ROCK, :16].astype(bool)
    steering = Steering(continuation=continuation(CODEBOOK, scores.bar_steps, forced, given, np.zeros(n, bool),
                                                  np.zeros_like(given)))
    takes = steered_takes(Decoder(CODEBOOK, NO_REFINE.replace(min_groove_bars=0)), scores, n_takes=4, steering=steering)
    assert len(takes) == 4
    for take in takes[1:]:
        assert np.array_equal(take.hits[:2], takes[0].hits[:2])
        assert not np.array_equal(take.hits[2:], takes[0].hits[2:])
