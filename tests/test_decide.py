"""The one decision (groove/decide.py): offline and live run it alike on the settings that ship, and its take steps."""

from __future__ import annotations

import functools

import numpy as np
import pytest

from tests.deciding import offline_take, live_take
from seq2drum.groove.request import song_edges
from seq2drum.groove import decide
from seq2drum.groove.decide import Finish
from seq2drum.groove.policy import Steering, calibrated
from seq2drum.groove.settings import DECISION_ROUNDS
from seq2drum.live.model_drummer import LiveState
from seq2drum.midi.drums import CLOSED_HAT, CRASH, HIGH_TOM, KICK, LOW_TOM, MID_TOM, OPEN_HAT, RIDE, SNARE
from seq2drum.options import GenerationOptions
from seq2drum.song.sections import Section
from tests.test_rules import scores_of

CONTROLS = {"defaults": {}, "density 0.5": {"density": 0.5}, "density 1.5": {"density": 1.5},
            "crashes none": {"crashes": "none"}, "cymbal ride": {"cymbal": "ride"},
            "cymbal hats, dynamics 1.3": {"cymbal": "hats", "dynamics": 1.3}}


@functools.lru_cache(maxsize=2)
def shipped(model: str):  # noqa: ANN201  a Decoder with the shipped model's codebook and tuned policy
    """The decoder of a shipped model, as it decides: its codebook and its own tuned policy, nothing patched."""
    if model == "live":
        from seq2drum.live.model_drummer import ModelDrummer

        return ModelDrummer().decoder
    from seq2drum.generation.generator import DrumGenerator

    return DrumGenerator.from_checkpoint().decoder


def one_bar(seed: int, width: int, bar_steps: int = 16, beat_steps: int = 4) -> tuple:
    """The scores of a song of one bar, 4/4 unless told (random hit and structure probabilities, a bass on some
    seeds)."""
    rng = np.random.default_rng(seed)
    p = np.zeros((1, width, 9))
    p[0, :bar_steps] = rng.random((bar_steps, 9)) ** (1 + seed % 3)
    bass = rng.random((1, width)) < 0.25 if seed % 2 else None
    if bass is not None:
        bass[0, bar_steps:] = False
    scores = scores_of(p, rng.random((1, 3)), bar_steps=bar_steps, bass_onsets=bass, sections=[Section(0, 1, 0)],
                       beat_steps=beat_steps)
    scores.velocity[:] = rng.uniform(30, 120, p.shape)
    scores.offset[:] = rng.uniform(-0.2, 0.2, p.shape)
    return scores


@pytest.mark.parametrize("model", ["live", "offline"])
@pytest.mark.parametrize("controls", list(CONTROLS), ids=list(CONTROLS))
@pytest.mark.parametrize("seed", range(4))
def test_offline_and_live_decide_the_same_take_on_the_shipped_settings(model: str, controls: str, seed: int) -> None:
    """A song of one bar decided offline (the Viterbi chooser, `Decoder._take`) and live (the greedy chooser,
    `decide_bar`) with the same scores, bass and past (none: the song's first bar) on a shipped model's own codebook
    and tuned policy, unpatched: the whole take is the same after every step (hits, velocity, timing, grooves,
    marks, lambda, expected F1), with each control asked. A rule, a round or a step run on one side only fails here."""
    decoder = shipped(model)
    width = decoder.codebook.patterns.shape[1]
    assert_same_take(decoder, one_bar(seed, width), GenerationOptions(**CONTROLS[controls]))


@pytest.mark.parametrize("model", ["live", "offline"])
@pytest.mark.parametrize("seed", range(2))
def test_offline_and_live_decide_an_odd_bar_alike_on_the_shipped_settings(model: str, seed: int) -> None:
    """A song of one 7/8 bar (whose snare `counted_backbeat` counts) decided offline and live on a shipped model's
    own codebook and policy: the same take."""
    decoder = shipped(model)
    assert_same_take(decoder, one_bar(seed, decoder.codebook.patterns.shape[1], 14, 2), GenerationOptions())


def assert_same_take(decoder: object, scores: object, options: GenerationOptions) -> None:
    """The take of a song of one bar decided offline (`Decoder._take`) and live (`decide_bar`), field by field."""
    p, structure = calibrated(scores, decoder.policy)
    edges = song_edges(scores, decoder.policy.crash_phrase_bars)
    offline = offline_take(decoder, scores, p, structure, Steering(), Finish(options, p, scores))
    state = LiveState(0, options, np.zeros(1), np.zeros(1), None)
    live = live_take(decoder, decoder.policy, state, scores, p, structure, Steering(), 0, edges)[0].take
    for field in ("hits", "velocity", "offset", "articulation", "grooves", "structure"):
        assert np.array_equal(getattr(offline, field), getattr(live, field)), field
    assert (offline.threshold, offline.expected_f1, offline.density_reached) == \
           (live.threshold, live.expected_f1, live.density_reached)


@pytest.mark.parametrize("seed", range(4))
def test_the_rounds_stop_once_lambda_holds_and_decide_what_more_rounds_would(seed: int,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """A round whose hits leave lambda where it was would be followed by rounds deciding the same again (the chooser
    and the rules read nothing else that changes): the decision stops there. A bar decided live on the shipped live
    model after 40 bars played, asked for 8 rounds: the chooser is asked fewer times, and the take is the one of
    exactly that many rounds."""
    from seq2drum.live import chooser

    decoder = shipped("live")
    scores = one_bar(seed, decoder.codebook.patterns.shape[1])
    p, structure = calibrated(scores, decoder.policy)
    edges = song_edges(scores, decoder.policy.crash_phrase_bars)
    state = LiveState(0, GenerationOptions(), np.zeros(1), np.zeros(1), None, lam=0.22, totals=(60.0, 150.0, 120.0))
    choices: list[int] = []
    choose = chooser.BarChooser.choose
    monkeypatch.setattr(chooser.BarChooser, "choose", lambda self, context: choices.append(1) or choose(self, context))
    takes = []
    for rounds in (8, None):
        monkeypatch.setattr(chooser, "DECISION_ROUNDS", rounds or len(choices))
        choices.clear()
        takes.append(live_take(decoder, decoder.policy, state, scores, p, structure, Steering(), 0, edges)[0].take)
        assert len(choices) < 8
    for field in ("hits", "velocity", "grooves", "structure"):
        assert np.array_equal(getattr(takes[0], field), getattr(takes[1], field)), field
    assert (takes[0].threshold, takes[0].expected_f1) == (takes[1].threshold, takes[1].expected_f1)


def test_every_take_step_is_named_in_order() -> None:
    """The take steps run in this order: a later take's swaps first (on the take as decided, as take 1's were), its
    floor before the controls (a floor filled after --density would undo it), the time-keeping voice before dynamics
    (the moved hits get the voice's own velocity first), the jazz ride after the cymbal (it plays the bars the take
    keeps on the ride) and before dynamics (its added cells are scaled like the rest), the swung time-keeping last
    (it reads the cymbal the take keeps time on, at its final velocity), one hi-hat a step after every step that
    adds hats, then the articulations (they name the finished take's hits: the foot the jazz ride adds, the hats
    `--cymbal` moves)."""
    assert [step.__name__ for step in decide.TAKE_STEPS] == ["later_take_swaps", "later_take_floor", "plan_kept",
                                                              "density", "crashes_none", "cymbal", "jazz_ride",
                                                              "dynamics", "swung_time_keeping", "later_take_variation",
                                                              "plan_swing", "plan_levels", "one_hat_a_step",
                                                              "articulations"]


def test_an_open_hat_is_never_struck_with_a_closed_one() -> None:
    """Issue 88 item 1: a drummer's hand strikes the hat open or closed; where a take holds both on one step the
    open hat stays and the closed one goes (with its velocity and timing); other steps are untouched."""
    from types import SimpleNamespace

    from seq2drum.midi.drums import CLOSED_HAT, OPEN_HAT

    hits = np.zeros((2, 16, 9), dtype=bool)
    hits[0, [0, 2, 4], CLOSED_HAT] = True
    hits[0, [2, 6], OPEN_HAT] = True
    take = SimpleNamespace(hits=hits.copy(), velocity=np.where(hits, 80, 0).astype(np.uint8),
                           offset=np.where(hits, 0.1, 0.0).astype(np.float32))
    decide.one_hat_a_step(take, SimpleNamespace(continuation=None, plan_parts=None))
    assert np.flatnonzero(take.hits[0, :, CLOSED_HAT]).tolist() == [0, 4]
    assert np.flatnonzero(take.hits[0, :, OPEN_HAT]).tolist() == [2, 6]
    assert take.velocity[0, 2, CLOSED_HAT] == 0 and take.offset[0, 2, CLOSED_HAT] == 0
    assert take.velocity[0, 2, OPEN_HAT] == 80
    # the user's own loop bar, played exactly, keeps both hats as the user wrote them; a bar of the decision's does not
    from seq2drum.groove.continuation import Continuation

    both = np.zeros((2, 16, 9), dtype=bool)
    both[:, 2, [CLOSED_HAT, OPEN_HAT]] = True
    given = Continuation(np.zeros(2, dtype=bool), np.zeros_like(both), np.full(2, -1), np.array([True, False]),
                         both.copy(), np.full(2, -1))
    take = SimpleNamespace(hits=both.copy(), velocity=np.where(both, 80, 0).astype(np.uint8),
                           offset=np.zeros(both.shape, dtype=np.float32))
    decide.one_hat_a_step(take, SimpleNamespace(continuation=given, plan_parts=None))
    assert take.hits[0, 2, CLOSED_HAT] and take.hits[0, 2, OPEN_HAT]
    assert not take.hits[1, 2, CLOSED_HAT] and take.hits[1, 2, OPEN_HAT]


def test_a_closed_hat_part_keeps_its_closed_hat_where_the_open_one_would_keep_time() -> None:
    """Issue 99: in a bar of a closed-hat part whose open hat strikes on every beat over its closed 16ths, the
    closed hat stays where both strike (the open one goes): a 7/8 take 2 of "16ths on the hat" lost its closed hat
    on the beats and was read back "quarters on the open hat". An open hat on one offbeat (an accent) stays open,
    and a bar of no part keeps the open hat as before."""
    from types import SimpleNamespace

    from seq2drum.groove.policy import ChosenPart, ChosenParts
    from seq2drum.midi.drums import CLOSED_HAT, OPEN_HAT
    from seq2drum.parts.labels import time_keeper

    hits = np.zeros((3, 16, 9), dtype=bool)
    hits[:, :14, CLOSED_HAT] = True  # 16ths on the hat, a 7/8 bar of 2-step beats
    hits[[0, 2], :14:2, OPEN_HAT] = True  # the open hat on every beat: in bar 0 of the part, bar 2 of none
    hits[1, 6, OPEN_HAT] = True  # one open accent in bar 1 of the part
    take = SimpleNamespace(hits=hits.copy(), velocity=np.where(hits, 80, 0).astype(np.uint8),
                           offset=np.zeros(hits.shape, dtype=np.float32))
    bound = ChosenParts(np.array([0, 0, -1]), np.array([0, 0, 1]), {0: ChosenPart("closed_hat", "16ths", {})})
    decide.one_hat_a_step(take, SimpleNamespace(continuation=None, plan_parts=bound))
    assert take.hits[0, :14, CLOSED_HAT].all() and not take.hits[0, :, OPEN_HAT].any()
    assert take.velocity[0, 0, OPEN_HAT] == 0
    assert time_keeper(take.hits[:1].sum(axis=1), np.array([7.0])) == "closed_hat"
    assert take.hits[1, 6, OPEN_HAT] and not take.hits[1, 6, CLOSED_HAT]  # the accent stays open
    assert take.hits[2, :14:2, OPEN_HAT].all() and not take.hits[2, :14:2, CLOSED_HAT].any()


def _take(p: np.ndarray) -> tuple:
    scores = scores_of(p, sections=[Section(0, len(p), 0)])
    decoder = shipped("offline")
    probabilities, structure = calibrated(scores, decoder.policy)
    take = offline_take(decoder, scores, probabilities, structure, Steering(),
                         Finish(GenerationOptions(), probabilities, scores))
    return take, scores, probabilities


def backbeat_p(n: int = 2) -> np.ndarray:
    p = np.full((n, 32, 9), 0.01)
    p[:, :16:2, CLOSED_HAT] = 0.9
    p[:, [0, 8], KICK] = 0.9
    p[:, [4, 12], SNARE] = 0.9
    p[:, 1:16:2, CLOSED_HAT] = 0.3
    return p


def test_a_later_take_floor_adds_the_likeliest_cells_left_out() -> None:
    take, scores, p = _take(backbeat_p())
    before = take.n_hits
    decide.later_take_floor(take, Finish(GenerationOptions(), p, scores, floor_hits=before + 3))
    assert take.n_hits == before + 3
    added = take.hits & ~_take(backbeat_p())[0].hits
    assert added[:, :, CLOSED_HAT].sum() == 3  # the likeliest left out: the off-beat hats at 0.3
    decide.later_take_floor(take, Finish(GenerationOptions(), p, scores, floor_hits=1))
    assert take.n_hits == before + 3  # a floor already met adds nothing



def test_a_later_take_floor_fills_with_groove_cells_not_crashes_or_toms() -> None:
    """The crash and the toms mark sections and fills: a later take short of its floor gets the likeliest kick,
    snare, hat or ride cells, even where the model rates a crash or a tom higher (7Norfair's take 3, out of fold: 9
    crashes in 16 bars from the floor, crash_happy)."""
    p = backbeat_p()
    p[:, 3:16:4, CRASH] = p[:, 7:16:4, LOW_TOM] = 0.32  # above the off-beat hats' 0.3
    take, scores, _ = _take(p)
    before = take.hits.copy()
    decide.later_take_floor(take, Finish(GenerationOptions(), p, scores, floor_hits=take.n_hits + 3))
    added = take.hits & ~before
    assert added.sum() == 3 and added[:, :, CLOSED_HAT].sum() == 3
    assert not added[:, :, [CRASH, LOW_TOM, MID_TOM, HIGH_TOM]].any()

def test_the_density_step_thins_a_take_and_keeps_the_ratio_reached() -> None:
    take, scores, p = _take(backbeat_p())
    before = take.n_hits
    decide.density(take, Finish(GenerationOptions(density=0.5), p, scores))
    assert take.n_hits < before and take.density_reached == pytest.approx(take.n_hits / before)
    again, _, _ = _take(backbeat_p())
    decide.density(again, Finish(GenerationOptions(), p, scores))
    assert again.density_reached is None and again.n_hits == before


def test_the_cymbal_step_moves_time_keeping_to_the_ride_and_back() -> None:
    take, scores, p = _take(backbeat_p())
    hats = take.hits[:, :, CLOSED_HAT].copy()
    decide.cymbal(take, Finish(GenerationOptions(cymbal="ride"), p, scores))
    assert np.array_equal(take.hits[:, :, RIDE], hats) and not take.hits[:, :, [CLOSED_HAT, OPEN_HAT]].any()
    decide.cymbal(take, Finish(GenerationOptions(cymbal="hats"), p, scores))
    assert np.array_equal(take.hits[:, :, CLOSED_HAT], hats) and not take.hits[:, :, RIDE].any()


def test_how_it_works_names_every_step_in_the_order_it_runs() -> None:
    """docs/how-it-works.md's "The decision, step by step" names every groove rule, structure rule and take step of
    groove/decide.py, each once, in the order `decide` runs them: a step added, renamed or moved must change it."""
    from pathlib import Path

    from seq2drum.groove import marks, rules
    from seq2drum.groove.policy import DecodingPolicy

    doc = (Path(__file__).resolve().parent.parent / "docs" / "how-it-works.md").read_text(encoding="utf-8")
    section = doc[doc.index("## The decision, step by step"):]
    section = section[: section.index("\n## ", 1)]
    steps = [f.__name__ for f in (*rules.GROOVE_RULES, *marks.mark_rules(DecodingPolicy()), *marks.STRUCTURE_RULES,
                                  *decide.TAKE_STEPS)]
    places = [section.find(f"`{name}`") for name in steps]
    assert -1 not in places, [name for name, place in zip(steps, places) if place < 0]
    assert places == sorted(places), "the doc lists the steps in another order than decide runs them"
    assert all(section.count(f"`{name}`") == 1 for name in steps)
    assert f"The groove, in {DECISION_ROUNDS} rounds" in section


def test_live_counts_open_hats_over_the_bars_played() -> None:
    """Live, each bar is decided alone: what the rules count (the open hats the model expected and those played)
    comes back with the bar and goes into the next bar's decision, so the open hats come as often live as offline."""
    from dataclasses import replace

    from seq2drum.groove.kit import KitCount
    from seq2drum.groove.context import BarCounts

    decoder = shipped("live")
    scores = one_bar(2, decoder.codebook.patterns.shape[1])
    scores.hit_logits[0, :16:2, CLOSED_HAT] = 4.0  # hats on the 8ths, sure
    scores.hit_logits[0, :16, OPEN_HAT] = -1.0  # an open hat likely enough to open, never sure enough to play
    scores.structure_logits[0, 2] = -20.0  # no fill (a fill's beat brings its own hats)
    scores.structure_logits[0, 0] = -20.0  # and no rest: a bar that plays
    p, structure = calibrated(scores, decoder.policy)
    edges = song_edges(scores, decoder.policy.crash_phrase_bars)
    state = LiveState(0, GenerationOptions(), np.zeros(1), np.zeros(1), None)
    decided, counts, _ = live_take(decoder, decoder.policy, state, scores, p, structure, Steering(), 0, edges)
    played = int(decided.take.hits[..., OPEN_HAT].sum())
    assert counts.open_hats == KitCount(pytest.approx(float(p[0, :, OPEN_HAT].sum())), played, 1)
    assert played > 0
    ahead = replace(state, counts=BarCounts(counts.crashes, KitCount(expected=0.0, played=6)))  # enough opened
    decided, after, _ = live_take(decoder, decoder.policy, ahead, scores, p, structure, Steering(), 1, edges)
    assert not decided.take.hits[..., OPEN_HAT].any() and after.open_hats.played == 6


def test_plan_levels_holds_a_sparse_phrase_sparse_and_a_named_full_one_full() -> None:
    """Issues 99 and 100: the take step `plan_levels` on a take of four 2-bar phrases (two busy ones; one the musician
    named "riding the crash" that rides it in quarters, thin beside the song; a planned "sparse / intro" ridden on
    every beat): the named phrase gets the crash's likeliest eighths until it plays 0.6 of the median phrase's hits
    a bar, still riding the crash; the sparse one loses its least likely strokes until it is sparse and the ride
    keeps no time; the busy ones are left."""
    from types import SimpleNamespace

    from seq2drum.groove.policy import ChosenPart, ChosenParts
    from seq2drum.midi.drums import CLOSED_HAT, CRASH, KICK, RIDE, SNARE
    from seq2drum.parts.labels import time_keeper

    n, s = 8, 16
    hits = np.zeros((n, s, 9), dtype=bool)
    hits[0:4, ::2, CLOSED_HAT] = hits[0:4, ::4, KICK] = hits[0:4, 4::8, SNARE] = True  # 8 + 4 + 2 = 14 a bar
    hits[4:6, ::4, CRASH] = True  # the crash on every beat: 4 a bar
    hits[6:8, ::4, RIDE] = hits[6:8, 0, KICK] = True  # 5 a bar, the ride on every beat
    p = np.full((n, s, 9), 0.1)
    p[..., KICK] = 0.9
    p[4:6, :, CRASH] = np.linspace(0.8, 0.2, s)[None, :]
    take = SimpleNamespace(hits=hits.copy(), velocity=np.where(hits, 80, 0).astype(np.uint8),
                           offset=np.zeros(hits.shape, dtype=np.float32), structure=np.zeros((n, 3), dtype=bool))
    bound = ChosenParts(np.array([0, 0, 0, 0, 1, 1, -1, -1]), np.array([0, 0, 1, 1, 2, 2, 3, 3]),
                        {0: ChosenPart("closed_hat", "eighths", {}), 1: ChosenPart("crash", "none", {})},
                        sparse=np.arange(n) >= 6, named=(np.arange(n) >= 4) & (np.arange(n) < 6))
    scores = SimpleNamespace(bar_steps=np.full(n, s), beat_steps=np.full(n, 4), velocity=np.full((n, s, 9), 70.0),
                             offset=np.zeros((n, s, 9)))
    filled = take.structure.copy()
    filled[5, 2] = True  # the named phrase's last bar a fill (groove.structure's FILL_COLUMN): no stroke added there
    decide.plan_levels(take, SimpleNamespace(plan_parts=bound, scores=scores, p=p))
    per_bar, median = take.hits.sum(axis=(1, 2)), 9.5  # the phrases' 14, 14, 4 and 5 hits a bar
    again = SimpleNamespace(hits=hits.copy(), velocity=np.where(hits, 80, 0).astype(np.uint8),
                            offset=np.zeros(hits.shape, dtype=np.float32), structure=filled)
    decide.plan_levels(again, SimpleNamespace(plan_parts=bound, scores=scores, p=p))
    assert (again.hits[5] == hits[5]).all() and again.hits[4].sum() > hits[4].sum()
    assert (take.hits[:4] == hits[:4]).all()
    assert per_bar[4:6].sum() >= 0.6 * median * 2 and take.hits[4:6, :, [c for c in range(9) if c != CRASH]].sum() == 0
    assert (np.flatnonzero(take.hits[4:6, :, CRASH].any(axis=0)) % 2 == 0).all()  # on the eighths
    assert take.velocity[4:6, 2, CRASH].max() == 70  # an added stroke: the model's velocity
    assert time_keeper(take.hits[4:6].sum(axis=1), np.array([4.0, 4.0])) == "crash"
    assert 2 * 2 <= per_bar[6:8].sum() < 0.5 * median * 2  # sparse, not a drop-out (2 hits a bar), as labels read
    assert time_keeper(take.hits[6:8].sum(axis=1), np.array([4.0, 4.0])) == "none"
    assert take.hits[6:8, 0, KICK].all()  # the likeliest stay
