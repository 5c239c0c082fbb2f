"""Takes are other arrangements (issue 87 item 5): with --takes N, takes 2 and on play take 1's plan with the song's
main sections (the two labels that cover the most bars) given other parts, each take a part no take before it played
there, a label the musician named keeping his part; each take names its arrangement."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from seq2drum.generation.generator import DrumGenerator
from seq2drum.options import GenerationOptions
from seq2drum.parts.arrangement import letter_of
from seq2drum.parts.choice import (ARRANGEMENT_CHOICES, arranged, main_labels, other_arrangements,
                                   played_arrangement)
from seq2drum.parts.labels import Phrase
from seq2drum.parts.plan_value import PlanAsk
from tests.deciding import plan_key
from tests.test_parts_plan import planned_song


def song_phrases() -> list[Phrase]:
    """A (8 bars), B (8), A (8), C (4): phrases of 4 bars, section index, letter, index within the section."""
    spans = [(0, 4, 0, 0, 0), (4, 8, 0, 0, 1), (8, 12, 1, 1, 0), (12, 16, 1, 1, 1), (16, 20, 2, 0, 0),
             (20, 24, 2, 0, 1), (24, 28, 3, 2, 0)]
    return [Phrase(*span) for span in spans]


def test_the_main_labels_are_the_two_that_cover_the_most_bars_and_a_named_one_is_left() -> None:
    assert main_labels(song_phrases()) == [0, 1]
    assert main_labels(song_phrases(), left={0}) == [1, 2]


def test_each_later_take_gives_each_main_section_a_part_no_take_before_played_there() -> None:
    phrases = song_phrases()
    posterior = np.tile(np.array([0.5, 0.2, 0.15, 0.1, 0.05]), (len(phrases), 1))
    posterior[[2, 3]] = [0.05, 0.1, 0.15, 0.2, 0.5]  # B's likeliest parts run the other way
    first = np.array([0, 0, 4, 4, 0, 0, 0])
    allowed = np.ones(posterior.shape, dtype=bool)
    firsts, others = other_arrangements(first, phrases, posterior, allowed, 3)
    assert firsts == {0: 0, 1: 4}
    assert others == [{0: 1, 1: 3}, {0: 2, 1: 2}, {0: 3, 1: 1}]
    assert arranged(first, phrases, others[0], np.ones(5, dtype=bool)).tolist() == [1, 1, 3, 3, 1, 1, 0]
    sparse = np.array([True, True, True, True, False])  # part 4 is sparse: a sparse phrase keeps its level
    assert arranged(first, phrases, others[0], sparse).tolist() == [1, 1, 4, 4, 1, 1, 0]
    _, many = other_arrangements(first, phrases, posterior, allowed, 8)
    assert len(many) == 8 and many[ARRANGEMENT_CHOICES - 1] == many[-1]  # past its parts, a label keeps its last


def test_a_song_of_one_label_varies_that_one() -> None:
    phrases = [replace(phrase, letter=0) for phrase in song_phrases()]
    posterior = np.tile(np.array([0.5, 0.2, 0.15, 0.1, 0.05]), (len(phrases), 1))
    first = np.zeros(len(phrases), dtype=np.int64)
    firsts, others = other_arrangements(first, phrases, posterior, np.ones(posterior.shape, dtype=bool), 3)
    assert main_labels(phrases) == [0] and firsts == {0: 0}
    assert others == [{0: 1}, {0: 2}, {0: 3}]
    assert arranged(first, phrases, others[1], np.ones(5, dtype=bool)).tolist() == [2] * len(phrases)


def test_a_take_names_the_parts_its_plan_plays_in_the_main_sections() -> None:
    phrases = song_phrases()
    allowed = np.ones((len(phrases), 5), dtype=bool)
    allowed[:, 4] = False  # part 4 is sparse: a label's name is its commonest full part
    played = np.array([3, 1, 4, 2, 1, 1, 0])  # A: 3, 1, 1 -> 1; B: 4 (sparse), 2 -> 2; C is no main label
    assert played_arrangement(played, phrases, allowed) == {0: 1, 1: 2}
    assert played_arrangement(np.array([4, 4, 4, 4, 4, 4, 0]), phrases, allowed) == {0: 4, 1: 4}  # none full
    assert played_arrangement(played, phrases, allowed, left={0}) == {1: 2, 2: 0}


@pytest.fixture(scope="module")
def generator() -> DrumGenerator:
    return DrumGenerator.from_checkpoint()


def test_takes_two_to_four_play_other_parts_in_a_main_section_and_name_their_arrangement(
        generator: DrumGenerator) -> None:
    song, p, _ = planned_song(generator)
    plans = generator.planner.plans(PlanAsk(4, reading=generator.planner.read(song)), p, np.random.default_rng(0))
    assert len(plans) == 4
    letters = np.array([phrase.letter for phrase in plans[0].phrases])
    mains = main_labels(list(plans[0].phrases))
    for later in plans[1:]:
        assert any((later.parts[letters == letter] != plans[0].parts[letters == letter]).any() for letter in mains)
        assert later.arrangement and later.arrangement != plans[0].arrangement
    assert len({plan.arrangement for plan in plans}) == 4
    assert plans[1].describe().startswith("from the model, arranged A=")
    alone = generator.planner.plans(PlanAsk(1, reading=generator.planner.read(song)), p, np.random.default_rng(0))
    assert plan_key(alone[0]) == plan_key(plans[0]) and not alone[0].arrangement  # take 1: the same plan, unnamed


def test_an_arrangement_the_network_hears_back_to_take_1s_gives_way_to_the_next(generator: DrumGenerator) -> None:
    planner, phrases = generator.planner, song_phrases()
    full = np.flatnonzero(planner.full)[:5]
    posterior = np.zeros((len(phrases), len(planner.vocabulary)))
    posterior[:, full] = [0.5, 0.2, 0.15, 0.1, 0.05]
    first = np.full(len(phrases), full[0])

    def heard(parts: np.ndarray) -> np.ndarray:  # the network hears the second likeliest part as take 1's
        return np.where(parts == full[1], full[0], parts)

    plans = planner.arrangements(first, phrases, posterior, np.ones(posterior.shape, dtype=bool), None, heard, 3)
    expected = [[full[0]] * 7, [full[2]] * 6 + [full[0]], [full[3]] * 6 + [full[0]]]  # C is no main section
    assert [plan.tolist() for plan in plans] == expected


def test_takes_past_the_distinct_arrangements_are_drawn_from_the_chain_and_named_as_they_play(
        generator: DrumGenerator) -> None:
    song, p, _ = planned_song(generator)
    plans = generator.planner.plans(PlanAsk(8, reading=generator.planner.read(song)), p, np.random.default_rng(0))
    assert len(plans) == 8  # 1 + ARRANGEMENT_CHOICES arrangements, then plans drawn from the part model's chain
    assert len({plan_key(plan) for plan in plans}) == 8
    letters = [letter_of(phrase.letter) for phrase in plans[0].phrases]
    for plan in plans:
        for letter, name in plan.arrangement:  # the name is a part its section's phrases play
            assert name in {plan.names[j] for j, own in enumerate(letters) if own == letter}
    assert all(plan.arrangement for plan in plans)


def test_a_section_the_musician_named_plays_his_part_in_every_take(generator: DrumGenerator) -> None:
    song, p, _ = planned_song(generator)
    arrangement = generator.planner.arrangement(song, p)
    first = arrangement.sections[0]
    part = arrangement.ranking[first.key][2]  # his choice: the section's third likeliest part
    result = generator.generate(song_bytes(), GenerationOptions(seed=3, takes=3, parts=f"{first.label}={part.id}"))
    assert len(result.takes) == 3
    for take in result.takes:
        assert f" {first.label}=" not in take.plan  # his section is not arranged: the others are
        planned = dict(take.planned)
        assert planned[first.first_bar] == part.name  # every take plays the musician's part there


def song_bytes() -> bytes:
    from tests.test_parts_plan import sectioned_song

    return sectioned_song()
