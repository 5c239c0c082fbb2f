"""The drummer's plan (seq2drum/parts/plan.py) and how the decision plays it, on parts and songs built in code: the
probabilities conditioned on a phrase's part (a ride part rides, the hat recedes; a fill bar's toms left to the
network; bars of another length untouched; a later take's ride part on the ride), the fills the plan marks (a
section's end, a change of part, not every phrase), later takes on other plans (thinned and without a backbeat only
where the network hears so), the plan's labels for the groove choice, and the generator playing a plan from
the shipped parts (`--plan parts`) and bar by bar (`--plan bars`). If one fails, the drums loop one part again."""

from __future__ import annotations

import copy
import dataclasses
from types import SimpleNamespace

import numpy as np
import pytest

from seq2drum.errors import ConfigError
from seq2drum.generation.generator import DrumGenerator
from seq2drum.groove.continuation import Continuation
from seq2drum.groove.takes import planned_labels
from seq2drum.midi.drums import CLOSED_HAT, KICK, LOW_TOM, RIDE, SNARE
from seq2drum.options import GenerationOptions
from seq2drum.parts.labels import Phrase
from seq2drum.parts import condition as condition_module
from seq2drum.parts import plan as plan_module
from seq2drum.parts.choice import changed_share, played_swung
from seq2drum.parts.plan import Planner, planner_for
from seq2drum.parts.plan_value import Held, Plan, PlanAsk, PlanSource
from seq2drum.parts.vocabulary import build_vocabulary
from tests.builders import notes_from_steps, riff, song_bytes
from tests.test_parts_model import random_model
from tests.test_parts_vocabulary import corpus as corpus  # noqa: F401  (the fixture)


@pytest.fixture(scope="module")
def planner(corpus) -> Planner:  # noqa: F811
    vocabulary, _ = build_vocabulary(corpus)
    return Planner(vocabulary, random_model(len(vocabulary), 3))


def part_index(planner: Planner, name: str) -> int:
    return next(i for i, part in enumerate(planner.vocabulary.parts) if part.name == name)


def phrases_of(n_phrases: int, section_of: list[int] | None = None) -> list[Phrase]:
    sections = section_of or [0] * n_phrases
    return [Phrase(4 * j, 4 * j + 4, sections[j], sections[j], j) for j in range(n_phrases)]


def test_a_part_sets_the_time_keepers_subdivision_and_the_network_its_cymbal(planner: Planner) -> None:
    eighths, sixteenths = (part_index(planner, name) for name in ("eighths on the ride, comping",
                                                                   "16ths on the hat, backbeat"))
    p = np.zeros((8, 32, 9))
    p[:, :16] = 0.2  # the network hedges every cell of every bar ...
    p[:, :16, RIDE] = 0.1  # ... and hears the hat twice as likely as the ride
    plan = Plan(tuple(phrases_of(2)), np.array([eighths, sixteenths]), np.zeros(2, dtype=bool))
    moved = planner.conditioned(p, np.full(8, 16), plan)
    off = slice(1, 16, 2)
    assert (moved[:4, off, CLOSED_HAT] < 0.1).all()  # the eighths part drops the odd 16ths ...
    assert (moved[:4, 0, CLOSED_HAT] >= 0.2 - 1e-9).all()  # ... never the downbeat's time
    assert (moved[4:, off, CLOSED_HAT] > moved[:4, off, CLOSED_HAT]).all()  # 16ths keep the odd 16ths
    np.testing.assert_allclose(moved[:, :16, RIDE], moved[:, :16, CLOSED_HAT] / 2)  # which cymbal: the network's
    np.testing.assert_array_equal(moved[:, :16, [KICK, SNARE]], p[:, :16, [KICK, SNARE]])  # the kick and snare too
    assert (moved[:, 16:] == 0).all()  # outside the bar stays outside


def test_a_fill_bar_keeps_the_networks_snare_and_other_lengths_are_untouched(planner: Planner,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(condition_module, "CLASS_WEIGHTS", np.ones(9))  # the snare conditioned too, not as shipped
    ride = part_index(planner, "eighths on the ride, comping")  # its snare comps on 6, not on the backbeat
    p = np.full((4, 32, 9), 0.4)
    p[:, 16:] = 0.0
    bar_steps = np.array([16, 16, 16, 12])
    p[3, 12:] = 0.0
    plan = Plan((Phrase(0, 4, 0, 0, 0),), np.array([ride]), np.array([True]))
    fill_rows = np.array([False, False, True, False])
    moved = planner.conditioned(p, bar_steps, plan, fill_rows)
    assert moved[0, 4, SNARE] < 0.4 and moved[2, 4, SNARE] == pytest.approx(0.4)  # the fill's snare: the network's
    assert moved[2, 15, LOW_TOM] == pytest.approx(0.4)  # ... and its toms
    np.testing.assert_array_equal(moved[3], p[3])  # a 3/4 bar: no part of this length


def test_a_later_takes_ride_part_keeps_its_time_on_the_ride(planner: Planner) -> None:
    ride = part_index(planner, "eighths on the ride, comping")
    p = np.zeros((4, 32, 9))
    p[:, :16] = 0.2
    p[:, :16, RIDE] = 0.1  # the network hears the hat twice as likely as the ride
    plan = Plan(tuple(phrases_of(1)), np.array([ride]), np.zeros(1, dtype=bool))
    first = planner.conditioned(p, np.full(4, 16), plan)
    later = planner.conditioned(p, np.full(4, 16), plan, whole=True)
    np.testing.assert_allclose(first[:, :16, RIDE], first[:, :16, CLOSED_HAT] / 2)  # take 1: the network's cymbal
    on_beat = slice(0, 16, 4)
    assert (later[:, on_beat, RIDE] > 2 * later[:, on_beat, CLOSED_HAT]).all()  # a later take: the part's, the ride
    np.testing.assert_allclose(later[:, :16, [RIDE, CLOSED_HAT]].sum(axis=-1),
                               first[:, :16, [RIDE, CLOSED_HAT]].sum(axis=-1))  # the same time kept, moved over



def test_a_later_takes_part_places_its_snare_but_plays_at_least_the_snare_the_network_hears(planner: Planner) -> None:
    """A later take's full part places its snare where its drummers do; where that leaves fewer snare hits than the
    network expects in the bar (a comping part's snare on the &s, the network's on the backbeat: the_wild_rover's
    take 3, out of fold, 47 snares in 165 bars), the bar keeps the network's count, placed as the part places it."""
    ride = part_index(planner, "eighths on the ride, comping")
    comping = copy.copy(planner)
    comping.delta = planner.delta.copy()
    comping.delta[ride, :16, SNARE] = 0.0
    comping.delta[ride, [4, 12], SNARE] = -3.0  # no snare on 2 and 4 ...
    comping.delta[ride, [6, 14], SNARE] = 1.3  # ... but on their &s
    p = np.zeros((4, 32, 9))
    p[:, :16] = 0.02
    p[:, [4, 12], SNARE] = 0.45  # the network hears a backbeat
    plan = Plan(tuple(phrases_of(1)), np.array([ride]), np.zeros(1, dtype=bool))
    later = comping.conditioned(p, np.full(4, 16), plan, whole=True)
    np.testing.assert_allclose(later[:, :16, SNARE].sum(axis=1), p[:, :16, SNARE].sum(axis=1))  # the network's count
    assert later[0, 6, SNARE] > later[0, 4, SNARE]  # ... where the part places it
    quiet = np.where(np.arange(9) == SNARE, 0.02, p)  # the network hears little snare: the part's own count stays
    placed = comping.conditioned(quiet, np.full(4, 16), plan, whole=True)[:, :16, SNARE].sum(axis=1)
    assert (placed > quiet[:, :16, SNARE].sum(axis=1) + 0.05).all()

def test_a_swung_jazz_part_places_its_snare_but_plays_no_more_than_the_network_hears(planner: Planner) -> None:
    """A swung plan's part of a family jazz/'s drummers ride in: its comping placed as its drummers place it, but no
    bar louder in snare than the network hears it (scaled up to the network's backbeat, take 1 of jazz/ comped on every
    swung off-beat: 3.3 snares a bar against its drummers' 1.9); a straight plan's part keeps the network's count."""
    ride = part_index(planner, "eighths on the ride, comping")
    swung_ride = ("4/4", "full", "ride", "swung", "comping")
    parts = [dataclasses.replace(part, signature=swung_ride, sources={"jazz": 3}) if k == ride else part
             for k, part in enumerate(planner.vocabulary.parts)]
    jazz = Planner(dataclasses.replace(planner.vocabulary, parts=parts), planner.model)
    jazz.delta = planner.delta.copy()
    jazz.delta[ride, :16, SNARE] = 0.0
    jazz.delta[ride, [4, 12], SNARE] = -3.0  # no snare on 2 and 4 ...
    jazz.delta[ride, [7, 15], SNARE] = 1.3  # ... but on the swung &s
    p = np.zeros((4, 32, 9))
    p[:, :16] = 0.02
    p[:, [4, 12], SNARE] = 0.45  # the network hears a backbeat
    heard = p[:, :16, SNARE].sum(axis=1)
    swung, straight = (Plan(tuple(phrases_of(1)), np.array([ride]), np.zeros(1, dtype=bool), swung=s)
                       for s in (True, False))
    comped = jazz.conditioned(p, np.full(4, 16), swung, whole=True)[:, :16, SNARE]
    assert (comped.sum(axis=1) < heard - 0.05).all() and comped[0, 7] > comped[0, 4]
    np.testing.assert_allclose(jazz.conditioned(p, np.full(4, 16), straight, whole=True)[:, :16, SNARE].sum(axis=1),
                               heard)


def later_levels_planner(planner: Planner, sparse: int = -1, no_backbeat: int = -1) -> Planner:
    """The planner with one part read as sparse and one as keeping time without a backbeat (the built corpus's parts
    are all full backbeat or comping parts)."""
    other = copy.copy(planner)
    other.full, other.backbeat = planner.full.copy(), planner.backbeat.copy()
    if sparse >= 0:
        other.full[sparse] = False
    if no_backbeat >= 0:
        other.backbeat[no_backbeat] = False
    return other


def test_a_later_take_thins_only_where_the_network_hears_the_phrase_thin(planner: Planner) -> None:
    ride = part_index(planner, "eighths on the ride, comping")
    rock = part_index(planner, "eighths on the hat, backbeat")
    thinning = later_levels_planner(planner, sparse=ride)
    posterior = np.full((2, len(planner.vocabulary)), 0.1)
    posterior[:, rock] = 0.8
    p = np.zeros((8, 32, 9))
    p[:, :16] = 0.2
    p[:4] *= 0.25  # the network hears the first phrase thin, the second full
    levels = [thinning.heard_levels(np.array([ride, ride]), posterior, p, phrases_of(2), np.zeros(2, dtype=bool),
                                    later=later).tolist() for later in (False, True)]
    assert levels == [[ride, ride], [ride, rock]]  # take 1's plan as the band read it; a later take's thins where heard


def test_a_later_take_drops_the_backbeat_only_where_no_snare_is_heard_or_the_song_swings(planner: Planner) -> None:
    busy, rock = part_index(planner, "16ths on the hat, backbeat"), part_index(planner, "eighths on the hat, backbeat")
    timekeeping = later_levels_planner(planner, no_backbeat=busy)
    posterior = np.full((2, len(planner.vocabulary)), 0.1)
    posterior[:, busy], posterior[:, rock] = 0.6, 0.3
    p = np.zeros((8, 32, 9))
    p[:, :16] = 0.2
    p[:4, :, SNARE] = 0.0  # no snare heard in the first phrase
    levels = [timekeeping.heard_levels(np.array([busy, busy]), posterior, p, phrases_of(2), np.zeros(2, dtype=bool),
                                       later=later, straight=straight).tolist()
              for later, straight in ((False, True), (True, True), (True, False))]
    assert levels[:2] == [[busy, busy], [busy, rock]]  # a later take keeps its backbeat where the snare is heard ...
    assert levels[2] == [busy, busy]  # ... but in a song that swings (a jazz drummer's comping is no backbeat)


def test_a_silent_phrase_after_the_bands_last_plays_nothing_and_says_so(planner: Planner) -> None:
    """A phrase whose band is silent throughout gets a playing part before the band's last phrase (an intro, which
    drummers play more often than not) and a drop-out after it: the ending clears those bars, and a plan that named a
    part there printed what never played (jazz/'s take 1 planned full parts over American Patrol's 22 silent closing
    bars, and `--mode arrange` offered that section a part)."""
    rock, rest = (part_index(planner, name) for name in ("eighths on the hat, backbeat",
                                                         "eighths on the ride, comping"))
    resting = later_levels_planner(planner, sparse=rest)  # the built corpus has no drop-out part: one read as one
    resting.playing = planner.playing.copy()
    resting.playing[rest] = False
    posterior = np.full((4, len(planner.vocabulary)), 0.1)
    posterior[:, rock] = 0.8
    p = np.zeros((16, 32, 9))
    p[:, :16] = 0.2
    silent = np.array([True, False, False, True])
    assert resting.heard_levels(np.array([rock] * 4), posterior, p, phrases_of(4), silent).tolist() == [rock] * 3 + [
        rest]  # the silent intro plays, the silent close rests
    all_silent = resting.heard_levels(np.array([rock] * 4), posterior, p, phrases_of(4), np.ones(4, dtype=bool))
    assert all_silent.tolist() == [rock] * 4  # a band never heard: the plan as before, the structure's rests decide


def test_fills_at_a_sections_end_and_before_a_change_not_every_phrase(planner: Planner) -> None:
    rock, busy = part_index(planner, "eighths on the hat, backbeat"), part_index(planner, "16ths on the hat, backbeat")
    phrases = phrases_of(6, [0, 0, 0, 1, 1, 1])
    plan = planner.plan(phrases, np.array([busy, busy, busy, busy, rock, rock]), 24)
    # 16ths-on-the-hat phrases of the corpus never end in a fill: within its run no fill but at the section's end;
    # the change to the rock part fills; the rock part fills half its phrase ends, so every second phrase of a run
    assert plan.fills.tolist() == [False, False, True, True, False, True]
    assert plan.fill_bars(24).tolist() == [b in (11, 15, 23) for b in range(24)]
    assert plan.bar_parts(26).tolist() == [busy] * 16 + [rock] * 8 + [-1, -1]
    assert plan.names[0] == "16ths on the hat, backbeat"


def test_changed_share() -> None:
    assert changed_share(np.array([0, 1, 1, 2]), np.array([0, 1, 2, 2])) == 0.25
    assert changed_share(np.array([], dtype=int), np.array([], dtype=int)) == 1.0


def test_a_section_that_changes_part_is_two_sections_to_the_groove_choice() -> None:
    labels = np.array([0, 0, 0, 0, 1, 1, 0, 0, -1])
    parts = np.array([3, 3, 5, 5, 3, 3, 3, 5, 2])
    assert planned_labels(labels, parts).tolist() == [0, 0, 1, 1, 2, 2, 0, 1, -1]


def band_song(bars: int, busier_from: int | None = None, drums: np.ndarray | None = None) -> bytes:
    """A riff with a bass on the beats (a band: the plan reads one); from `busier_from`, both in eighths (the band
    changes); `drums` (notes) on channel 10."""
    from seq2drum.midi.write import TrackSpec

    change = bars if busier_from is None else busier_from
    guitar = [(bar * 16 + s, 45) for bar in range(change) for s in range(0, 16, 4)]
    guitar += [(bar * 16 + s, 40) for bar in range(change, bars) for s in range(0, 16, 2)]
    bass = [(bar * 16 + s, 33) for bar in range(bars) for s in range(0, 16, 4 if bar < change else 2)]
    return song_bytes(notes_from_steps(guitar), drums, extra=[TrackSpec("Bass", 1, notes_from_steps(bass), 33)])


def sectioned_song() -> bytes:
    """32 bars: a riff in quarters over a bass for 16 bars, then both in eighths for 16 (the band changes)."""
    return band_song(32, busier_from=16)


@pytest.fixture(scope="module")
def generator() -> DrumGenerator:
    return DrumGenerator.from_checkpoint()


def test_the_shipped_model_plans_with_the_shipped_parts(generator: DrumGenerator) -> None:
    assert generator.planner is not None and len(generator.planner.vocabulary) > 10
    assert planner_for(generator.planner.source.replace("parts.npz", "default.pt")) is generator.planner


def test_takes_on_other_plans_differ_and_bars_decides_as_before(generator: DrumGenerator) -> None:
    data = band_song(32)
    parts = generator.generate(data, GenerationOptions(seed=5, takes=3, plan="parts"))
    bars = generator.generate(data, GenerationOptions(seed=5, takes=3, plan="bars"))
    assert len(parts.takes) == 3 and len(bars.takes) == 3
    assert all(take.n_hits > 32 for take in parts.takes)  # a reading of the song, not a sketch
    # the plan is the model's choice of each phrase's part: its take 1 is not the bar-by-bar one
    assert parts.midi_bytes != bars.midi_bytes
    again = generator.generate(data, GenerationOptions(seed=5, takes=3, plan="parts"))
    assert again.midi_bytes == parts.midi_bytes  # the same seed, the same plan


def test_plans_of_a_song(generator: DrumGenerator) -> None:
    from seq2drum.config import DataConfig
    from seq2drum.groove.policy import calibrated
    from seq2drum.midi.io import read_midi
    from seq2drum.song.bars import bar_song
    from seq2drum.song.encode import encode_song

    song = bar_song(encode_song(read_midi(sectioned_song()), DataConfig(), with_drums=False), generator.spec)
    p, _ = calibrated(generator.song_scores(song), generator.decoder.policy)
    plans = generator.planner.plans(PlanAsk(4, reading=generator.planner.read(song)), p, np.random.default_rng(0))
    assert 1 <= len(plans) <= 4
    assert all(len(plan.parts) == len(plans[0].phrases) for plan in plans)
    for k, plan in enumerate(plans[1:], 1):  # each later plan unlike the earlier ones
        assert min(changed_share(plan.parts, earlier.parts) for earlier in plans[:k]) > 0
    assert plans[0].fills[-1]  # the song's last phrase closes its section


def test_plan_names_its_choices() -> None:
    with pytest.raises(ConfigError, match="plan must be one of parts, bars"):
        GenerationOptions(plan="loop")


def test_density_moves_the_plan_toward_sparser_or_busier_parts(generator: DrumGenerator) -> None:
    from seq2drum.band import describe_json, heard_genre
    from seq2drum.config import DataConfig
    from seq2drum.groove.policy import calibrated
    from seq2drum.midi.io import read_midi
    from seq2drum.song.bars import bar_song
    from seq2drum.song.encode import encode_song

    planner = generator.planner
    bias = planner.density_bias(0.5)
    hits = np.array([part.hits_per_bar.sum() for part in planner.vocabulary.parts])
    four = [k for k, part in enumerate(planner.vocabulary.parts) if part.family == "4/4"]
    assert np.corrcoef(bias[four], hits[four])[0, 1] < -0.5 and not planner.density_bias(1.0).any()
    midi = read_midi(sectioned_song())
    described = describe_json(midi)  # as generation reads a song: its band described (issue 100)
    song = bar_song(encode_song(midi, DataConfig(), with_drums=False, described=described), generator.spec,
                    genre=heard_genre(described))
    p, _ = calibrated(generator.song_scores(song), generator.decoder.policy)
    # the part model that hears the band (issue 100) plans this song sparse already (two "kick and snare" phrases of
    # six): a lower density finds nothing sparser the network allows, a higher one plays busier parts
    reading = planner.read(song)
    busy = {d: hits[planner.plans(PlanAsk(1, density=d, reading=reading), p)[0].parts].mean() for d in (0.25, 1.0, 4.0)}
    assert busy[0.25] <= busy[1.0] < busy[4.0]


def test_fills_every_n_are_placed_within_the_plan(generator: DrumGenerator) -> None:
    data = band_song(16)
    result = generator.generate(data, GenerationOptions(seed=2, fills="every:4", plan="parts"))
    assert result.takes[0].parts  # planned, the fills the musician's


def test_a_plans_log_likelihood_is_its_weight_under_the_chain() -> None:
    from seq2drum.parts.model import emissions, log_transitions
    from seq2drum.parts.choice import plan_log_likelihood
    from tests.test_parts_model import every_plan, phrases

    model, features = random_model(3, 4), phrases(3, 5)
    emit, step = emissions(model, features), log_transitions(model, features)
    for plan, weight in every_plan(model, features).items():
        assert plan_log_likelihood(model.log_prior, emit, step, np.array(plan)) == pytest.approx(np.log(weight))


def test_the_command_line_prints_each_takes_parts(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    from seq2drum.cli import main

    song = tmp_path / "riff.mid"
    song.write_bytes(sectioned_song())
    assert main.main(["--mode", "infer", str(song), "--takes", "2", "--seed", "1"]) == 0
    printed = capsys.readouterr().out
    assert printed.count("its plan, from the model, arranged A=") == 2  # each take's arrangement, then ...
    assert printed.count("; as played (bar: part): 1: ") == 2  # ... its parts as played, from bar 1
    assert main.main(["--mode", "infer", str(song), "--plan", "bars", "--force"]) == 0
    printed = capsys.readouterr().out
    assert "(bar: part)" not in printed  # bar by bar: no parts to print, and the run says why
    assert "its plan: none, bar by bar (--plan bars)" in printed


def test_the_guitar_alone_is_decided_bar_by_bar(generator: DrumGenerator) -> None:
    """The part model reads a band; from the guitar alone the plan cost F1 0.464 -> 0.401 out of fold: no plan."""
    data = song_bytes(notes_from_steps(riff(16)))
    result = generator.generate(data, GenerationOptions(seed=2, plan="parts", takes=2))
    assert not result.takes[0].parts
    assert [take.plan for take in result.takes] == ["none, bar by bar (guitar alone: the part model reads a band)"] * 2
    result = generator.generate(data, GenerationOptions(seed=2, plan="parts"))
    assert result.midi_bytes == generator.generate(data, GenerationOptions(seed=2, plan="bars")).midi_bytes


@pytest.mark.parametrize("style", ["straight-8ths", "ride-quarters", "kick-and-snare"])
def test_a_style_plans_among_the_parts_that_play_it(generator: DrumGenerator, style: str) -> None:
    """--style restricts the parts (issue 68 item 7): every phrase of every take is planned on a part of the style,
    or a sparse or drop-out one; the drums stay the style's grooves."""
    from seq2drum.parts.traits import STYLES

    result = generator.generate(sectioned_song(), GenerationOptions(seed=4, takes=2, style=style))
    parts = {part.name: part for part in generator.planner.vocabulary.parts if part.family == "4/4"}
    assert result.takes[0].parts  # a style plays a plan too
    for take in result.takes:
        for _, name in take.planned:  # the plan's names (`parts` are those of the drums as played)
            part = parts[name]
            assert part.level != "full" or STYLES[style].plays(part.keeper, part.subdivision, part.feel), (style, name)


def test_a_style_without_parts_of_its_own_keeps_every_part_of_the_meter(planner: Planner) -> None:
    features = np.zeros((3, len(plan_module.FEATURE_NAMES)))
    features[:, plan_module.FEATURE_NAMES.index("family_4/4")] = 1
    assert planner.style_parts("waltz", features).all() and planner.style_parts(None, features).all()
    assert planner.style_parts("ride-quarters", features).all()  # no part rides in quarters here: any part
    allowed = planner.style_parts("ride-8ths", features)
    names = [part.name for part, ok in zip(planner.vocabulary.parts, allowed[0]) if ok]
    assert names == ["eighths on the ride, comping"]


@pytest.mark.parametrize(("style", "sparse"), [("shuffle", False), ("half-time", False), ("ride-8ths", True)])
def test_a_style_that_names_a_feel_plans_no_sparse_part(generator: DrumGenerator, style: str, sparse: bool) -> None:
    """Issue 100: `--style shuffle` on a blues played its sparse phrases without the shuffle's backbeat where the band
    thinned (formyladymblues: 27 of its 39 bars without one). A style that names a feel keeps it where the band
    thins: no sparse part (a drop-out still rests); a style of a time-keeper alone keeps them."""
    planner = generator.planner
    features = np.zeros((3, len(plan_module.FEATURE_NAMES)))
    features[:, plan_module.FEATURE_NAMES.index("family_4/4")] = 1
    allowed = planner.style_parts(style, features)[0]
    levels = {part.level for part, ok in zip(planner.vocabulary.parts, allowed) if ok}
    assert ("sparse" in levels) == sparse and "drop-out" in levels and "full" in levels


def test_a_style_no_part_carries_plays_no_plan(generator: DrumGenerator) -> None:
    """Bossa: no drummer of the data plays it, so no part does; its grooves are played bar by bar, as before."""
    data = sectioned_song()
    bossa = generator.generate(data, GenerationOptions(seed=4, style="bossa"))
    assert not bossa.takes[0].parts
    assert bossa.takes[0].plan == f"none, bar by bar ({Held.STYLE_WITHOUT_PARTS.value})"
    bars = generator.generate(data, GenerationOptions(seed=4, style="bossa", plan="bars"))
    assert bossa.midi_bytes == bars.midi_bytes


def test_take_ones_half_time_part_places_the_snare_but_plays_no_more_than_the_network_hears(planner: Planner) -> None:
    """A full half-time or four-on-the-floor part in take 1 moves the snare where its drummers play it (the network
    hears the backbeat on 2 and 4, a half-time part's is on 3), but never above the snare hits the network expects in
    the bar (unbounded, its four-on-the-floor parts made 4 songs too busy out of fold); a backbeat part's snare stays
    the network's."""
    half = part_index(planner, "eighths on the ride, comping")
    own = copy.copy(planner)
    own.own_beat = np.zeros(len(planner.vocabulary.parts), dtype=bool)
    own.own_beat[half] = True
    own.delta = planner.delta.copy()
    own.delta[half, :16, SNARE] = -2.0
    own.delta[half, 8, SNARE] = 3.0  # the snare on 3
    p = np.zeros((4, 32, 9))
    p[:, :16] = 0.02
    p[:, [4, 12], SNARE] = 0.45  # the network hears a backbeat
    plan = Plan(tuple(phrases_of(1)), np.array([half]), np.zeros(1, dtype=bool))
    moved = own.conditioned(p, np.full(4, 16), plan)
    assert (moved[:, 8, SNARE] > moved[:, 4, SNARE]).all()  # the part's place
    assert (moved[:, :16, SNARE].sum(axis=1) <= p[:, :16, SNARE].sum(axis=1) + 1e-9).all()  # no more than heard
    np.testing.assert_allclose(planner.conditioned(p, np.full(4, 16), plan)[:, :16, SNARE], p[:, :16, SNARE])


def test_a_swung_songs_take_one_keeps_the_networks_time_and_its_ride_parts_ride(planner: Planner) -> None:
    """Take 1 of a swung song (`Plan.swung`), in a meter family where jazz/'s drummers play a jazz ride: a hat part
    leaves the hat and the ride as the network hears them (out of fold, "swung eighths on the hat" took Misty's jazz
    ride: 712 closed hats where the network rode), a ride part keeps its time on the ride as a later take's does
    where the network hears a ride (SWUNG_RIDE_RATIO), else the network's time too; a straight song's take 1, and a
    family without jazz/'s jazz ride, move the time-keeper as before."""
    ride, hat = (part_index(planner, name) for name in ("eighths on the ride, comping", "16ths on the hat, backbeat"))
    swung_ride = ("4/4", "full", "ride", "swung", "comping")  # the part's signature: a jazz ride
    parts = [dataclasses.replace(part, signature=swung_ride, sources={"jazz": 3}) if k == ride else part
             for k, part in enumerate(planner.vocabulary.parts)]
    jazz = Planner(dataclasses.replace(planner.vocabulary, parts=parts), planner.model)
    assert jazz.jazz_family.all() and not planner.jazz_family.any()  # the fixture's 4/4 has no swung ride part
    parts[ride] = dataclasses.replace(parts[ride], sources={"midi": 3})  # a jazz ride no jazz/ drummer plays
    assert not Planner(dataclasses.replace(planner.vocabulary, parts=parts), planner.model).jazz_family.any()
    p = np.zeros((8, 32, 9))
    p[:, :16] = 0.2
    p[:, :16, RIDE] = 0.3  # the network rides
    phrases, parts_played = tuple(phrases_of(2)), np.array([hat, ride])
    swung, straight = (Plan(phrases, parts_played, np.zeros(2, dtype=bool), swung=s) for s in (True, False))
    moved = jazz.conditioned(p, np.full(8, 16), swung)
    np.testing.assert_allclose(moved[:4, :16, [CLOSED_HAT, RIDE]], p[:4, :16, [CLOSED_HAT, RIDE]])  # the network's
    on_beat = slice(0, 16, 4)
    assert (moved[4:, on_beat, RIDE] > 2 * moved[4:, on_beat, CLOSED_HAT]).all()  # the ride part on the ride
    later = jazz.conditioned(p, np.full(8, 16), swung, whole=True)
    np.testing.assert_allclose(moved[4:, :16, RIDE], later[4:, :16, RIDE])  # at its drummers' share, as a later take
    hat_heard = np.where(np.arange(9) == RIDE, 0.02, p)  # the network hears the hat (a swung pop song): no ride added
    np.testing.assert_allclose(jazz.conditioned(hat_heard, np.full(8, 16), swung)[:, :16, [CLOSED_HAT, RIDE]],
                               hat_heard[:, :16, [CLOSED_HAT, RIDE]])
    for other in (jazz.conditioned(p, np.full(8, 16), straight), planner.conditioned(p, np.full(8, 16), swung)):
        assert not np.allclose(other[:4, :16, CLOSED_HAT], p[:4, :16, CLOSED_HAT])  # the part moves the time
        np.testing.assert_allclose(other[:, :16, RIDE] / other[:, :16, CLOSED_HAT], 1.5)  # the network's cymbal


def test_every_take_of_a_swung_jazz_band_keeps_time_where_its_plan_says(generator: DrumGenerator) -> None:
    """A later take of a jazz band planned "swung eighths on the hat, backbeat", and the jazz ride step rode every bar
    whose hits rode half its beats: printed as the hat, played as "jazz ride, backbeat" (jazz/'s take 2 played its
    plan in 0.615 of its phrases). The step leaves the bars of a planned hat part, so each phrase keeps time on the
    cymbal its printed part names; the takes still differ."""
    from tests import band_songs

    def cymbal(name: str) -> str:
        return "ride" if "ride" in name else "hat" if "hat" in name else ""

    result = generator.generate(band_songs.walking_jazz(8), GenerationOptions(seed=0, takes=4))
    assert len(result.takes) == 4
    for take in result.takes:
        played = {bar: cymbal(name) for bar, name in take.parts}
        keepers = [(cymbal(name), played[bar]) for bar, name in take.planned if played.get(bar)]
        assert len(keepers) >= 6 and all(planned == heard for planned, heard in keepers), (take.planned, take.parts)
    assert len({tuple(take.planned) for take in result.takes}) == 4


def test_a_straight_songs_plans_play_no_swung_part(planner: Planner) -> None:
    """A later take of a straight song, drawn from the chain, played "jazz ride, comping" under a Doom metal band: its
    plan keeps to the parts with a straight time-keeper, the likeliest of them where a swung part was drawn; a family
    whose full parts all swing keeps them."""
    ride = part_index(planner, "eighths on the ride, comping")
    swung_ride = ("4/4", "full", "ride", "swung", "comping")  # the part's signature: a jazz ride
    parts = [dataclasses.replace(part, signature=swung_ride) if k == ride else part
             for k, part in enumerate(planner.vocabulary.parts)]
    swinging = Planner(dataclasses.replace(planner.vocabulary, parts=parts), planner.model)
    assert swinging.swung[ride] and swinging.swung.sum() == 1 and not planner.swung.any()
    allowed = np.ones((2, len(parts)), dtype=bool)
    straight = swinging.straight_parts(allowed)
    assert not straight[:, ride].any() and straight.sum() == allowed.sum() - 2
    posterior = np.full((2, len(parts)), 0.01)
    posterior[:, ride] = 0.9
    hat = part_index(planner, "16ths on the hat, backbeat")
    posterior[:, hat] = 0.05  # the likeliest straight full part
    kept = swinging.heard_levels(np.array([ride, hat]), posterior, np.zeros((8, 16, 9)), phrases_of(2),
                                 np.zeros(2, dtype=bool), straight)
    assert kept.tolist() == [hat, hat]
    only = allowed & (np.arange(len(parts)) == ride)[None, :]  # a phrase whose only full part swings keeps it
    assert (swinging.straight_parts(only) == only).all()


def test_a_swung_songs_later_takes_play_a_straight_hat_part_as_the_swung_one_it_sounds_as(
        planner: Planner, generator: DrumGenerator) -> None:
    """jazz/'s take 4 printed "eighths on the hat, four on the floor" and played it swung, read back as swung eighths
    (60 phrases; 128 of its 218 misses were straight hat parts): the later takes of a song the drums play swung play
    a straight time on a cymbal that swings a part as that cymbal's swung part, of its feel where there is one, else
    the likeliest (a waltz stays one); take 1 keeps every part (out of fold it lost F1), and a song the drums play
    straight all (Doom's E1M4 reads swung in its band's features and plays straight)."""
    from seq2drum.config import DataConfig
    from seq2drum.groove.policy import calibrated
    from seq2drum.midi.io import read_midi
    from seq2drum.parts.choice import swung_siblings
    from seq2drum.song.bars import bar_song
    from seq2drum.song.encode import encode_song
    from tests import band_songs

    hat = part_index(planner, "eighths on the hat, backbeat")
    sixteenths = part_index(planner, "16ths on the hat, backbeat")
    ride = part_index(planner, "eighths on the ride, comping")
    parts = [dataclasses.replace(part, signature=("4/4", "full", "closed_hat", "swung", "backbeat")) if k == hat
             else part for k, part in enumerate(planner.vocabulary.parts)]
    vocabulary = dataclasses.replace(planner.vocabulary, parts=parts)
    assert swung_siblings(vocabulary).tolist() == [k == sixteenths for k in range(len(parts))]
    assert not swung_siblings(planner.vocabulary).any()  # no swung part: every straight part is itself
    posterior = np.full((2, len(parts)), 0.01)
    posterior[:, ride] = 0.95  # the ride likeliest: drawn on the hat, the phrase keeps the hat, swung
    assert played_swung(np.array([sixteenths, ride]), posterior, vocabulary).tolist() == [hat, ride]
    waltz = [dataclasses.replace(part, signature=("3/4", "full", "closed_hat", "eighths", "waltz")) if k == sixteenths
             else dataclasses.replace(part, signature=("3/4", *part.signature[1:])) for k, part in enumerate(parts)]
    assert played_swung(np.array([sixteenths]), posterior, dataclasses.replace(vocabulary, parts=waltz)) == sixteenths
    # wired: a walking jazz band's later takes play the swung hat where a straight one was drawn; played straight not
    song = bar_song(encode_song(read_midi(band_songs.walking_jazz(8)), DataConfig(), with_drums=False), generator.spec)
    p, _ = calibrated(generator.song_scores(song), generator.decoder.policy)
    ask = PlanAsk(4, reading=generator.planner.read(song), swung=True)
    siblings = swung_siblings(generator.planner.vocabulary)
    swung = generator.planner.plans(ask, p, np.random.default_rng(3))
    straight = generator.planner.plans(dataclasses.replace(ask, swung=False), p, np.random.default_rng(3))
    assert len(swung) >= 2 and swung[0].swung and (swung[0].parts == straight[0].parts).all()
    assert any(siblings[plan.parts].any() for plan in straight[1:])
    assert not any(siblings[plan.parts].any() for plan in swung[1:])


def given_groove(hits: list[tuple[int, int]], bars: int, width: int = 16) -> Continuation:
    """The drums a user gave, as the decision reads them: bars 0-1 played, the loop preferred from bar 2 on."""
    pattern = np.zeros((bars, width, 9), dtype=bool)
    for step, drum in hits:
        pattern[:, step, drum] = True
    forced = np.arange(bars) < 2
    return Continuation(forced, pattern & forced[:, None, None], np.full(bars, -1), ~forced,
                        pattern & ~forced[:, None, None], np.full(bars, -1))


def test_the_users_groove_names_its_part_and_a_thin_one_none(planner: Planner) -> None:
    from tests.test_parts_vocabulary import SIXTEENTHS

    song = SimpleNamespace(bar_steps=np.full(8, 16), beat_steps=np.full(8, 4), step_features=np.zeros((8, 16, 1)))

    def given_part(hits: list[tuple[int, int]]) -> int:
        return planner.given_part(*given_groove(hits, 8).groove_bars(4), song)

    part = given_part(SIXTEENTHS)
    assert part == part_index(planner, "16ths on the hat, backbeat")
    assert given_part([(0, KICK)]) == -1  # a kick a bar: a drop-out, no part
    # an intro's kick and snare (no time-keeper), and eighths on the hat with no backbeat: the song's part more
    # rarely than an intro's, so no plan
    assert given_part([(0, KICK), (4, SNARE), (8, KICK), (12, SNARE)]) == -1
    assert given_part([(s, CLOSED_HAT) for s in range(0, 16, 2)] + [(0, KICK)]) == -1


def test_with_a_groove_given_every_full_phrase_plays_its_part(generator: DrumGenerator) -> None:
    from seq2drum.config import DataConfig
    from seq2drum.groove.policy import calibrated
    from seq2drum.midi.io import read_midi
    from seq2drum.song.bars import bar_song
    from seq2drum.song.encode import encode_song

    planner = generator.planner
    song = bar_song(encode_song(read_midi(sectioned_song()), DataConfig(), with_drums=False), generator.spec)
    p, _ = calibrated(generator.song_scores(song), generator.decoder.policy)
    mine = next(k for k, part in enumerate(planner.vocabulary.parts)
                if part.family == "4/4" and part.name == "16ths on the hat, backbeat")
    for plan in planner.plans(PlanAsk(3, given_part=mine, reading=planner.read(song)), p, np.random.default_rng(0)):
        assert {int(k) for k in plan.parts if planner.full[k]} == {mine}
        assert all(k == mine or not planner.full[k] for k in plan.parts)


def test_drums_given_play_a_plan_of_their_part_but_not_under_a_style(generator: DrumGenerator) -> None:
    from tests.builders import backbeat

    drums = notes_from_steps([(s, p, v) for s, p, v in backbeat(2)])  # 2 bars of eighths on the hat, a backbeat
    data = band_song(32, busier_from=16, drums=drums)
    kept = generator.generate(data, GenerationOptions(seed=3, keep_drums=True))
    names = {name for _, name in kept.takes[0].planned}
    assert "eighths on the hat, backbeat" in names
    assert names <= {"eighths on the hat, backbeat"} | {p.name for p in generator.planner.vocabulary.parts
                                                         if not p.level == "full"}
    assert kept.takes[0].plan == "from the drums given"
    styled = generator.generate(data, GenerationOptions(seed=3, keep_drums=True, style="16th-hats"))
    assert not styled.takes[0].parts
    assert styled.takes[0].plan == f"none, bar by bar ({Held.GIVEN_UNDER_STYLE.value})"


def test_every_held_plan_names_its_reason_and_a_played_one_its_source(generator: DrumGenerator) -> None:
    """No empty list stands for "no plan": `take_plans` gives every take a plan, held ones with their reason (the
    run prints it), from the one builder offline and live alike."""
    from seq2drum.groove.request import Heard, take_plans

    song, p, scores = planned_song(generator)
    heard = Heard(scores, p, None, ["4/4"], song=song)
    deciders = generator.deciders()
    options = GenerationOptions(takes=3)
    plans = take_plans(options, heard, deciders, 0)
    assert len(plans) == 3 and plans[0].played and plans[0].source is PlanSource.MODEL
    assert plans[0].levels and set(plans[0].levels) <= {"full", "sparse", "drop-out"}
    ends = [phrase.end_row - 1 for phrase, fills in zip(plans[0].phrases, plans[0].fills.tolist()) if fills]
    assert ends and np.flatnonzero(plans[0].fill_bars(song.n_bars)).tolist() == ends  # a fill: its phrase's last bar
    cases = {Held.BARS: (dataclasses.replace(options, plan="bars"), heard, deciders),
             Held.NO_PARTS: (options, heard, deciders._replace(planner=None)),
             Held.FROM_NOTHING: (options, heard._replace(song=None), deciders)}
    for reason, (asked, seen, models) in cases.items():
        assert [plan.held for plan in take_plans(asked, seen, models, 0)] == [reason] * 3
    styled = take_plans(dataclasses.replace(options, style="straight-8ths"), heard, deciders, 0)
    assert styled[0].source is PlanSource.STYLE
    assert Plan.held_for(Held.NO_OTHER).describe() == "none, bar by bar (the part chain has no other plan)"


def planned_song(generator: DrumGenerator):
    """A band song's bars, its calibrated probabilities and scores, as the request reads them."""
    from seq2drum.config import DataConfig
    from seq2drum.groove.policy import calibrated
    from seq2drum.midi.io import read_midi
    from seq2drum.song.bars import bar_song
    from seq2drum.song.encode import encode_song

    song = bar_song(encode_song(read_midi(sectioned_song()), DataConfig(), with_drums=False), generator.spec)
    scores = generator.song_scores(song)
    return song, calibrated(scores, generator.decoder.policy)[0], scores


def test_the_model_never_plans_riding_the_crash_but_the_musician_may_name_it(generator: DrumGenerator,
                                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 100: planned from the band, "riding the crash" rode the crash in 5 of 245 songs out of fold whose
    drummers do not (the checklist's crash_ridden). A band whose part model names the crash part likeliest in every
    phrase gets another part in every take; a section the musician names it plays it as planned."""
    planner = generator.planner
    crash = next(k for k, part in enumerate(planner.vocabulary.parts) if part.name == "riding the crash")
    assert planner.crash.tolist() == [k == crash for k in range(len(planner.vocabulary))]
    real = plan_module.part_probabilities

    def peaked(model, features):  # noqa: ANN001
        posterior = real(model, features)
        posterior[:, crash] = posterior.max(axis=1) + 1.0
        return posterior / posterior.sum(axis=1, keepdims=True)

    monkeypatch.setattr(plan_module, "part_probabilities", peaked)
    made = generator.generate(sectioned_song(), GenerationOptions(seed=3, takes=3))
    assert made.takes[0].planned and all(name != "riding the crash" for take in made.takes for _, name in take.planned)
    named = generator.generate(sectioned_song(), GenerationOptions(seed=3, parts="A=riding the crash"))
    assert any(name == "riding the crash" for _, name in named.takes[0].planned)
