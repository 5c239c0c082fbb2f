"""The part each bar is played in, as a network trained with `--hear-part` hears it (seq2drum/parts/codes.py): the
drummer's parts in training (training.batches), the plan's when it plays (generation), on songs built in code. If one
fails, the network hears another part than the one the plan chose, or learns from parts the plan never names."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import torch

from seq2drum.config import DataConfig, ModelConfig
from seq2drum.errors import ConfigError
from seq2drum.generation.generator import DrumGenerator
from seq2drum.groove.request import Heard, planned_takes, song_span
from seq2drum.groove.scores import SongScores
from seq2drum.midi.drums import CLOSED_HAT, KICK, LOW_TOM, RIDE, SNARE
from seq2drum.midi.io import read_midi
from seq2drum.options import GenerationOptions
from seq2drum.parts.codes import (CODE_KEEPERS, FILL_COLUMN, KNOWN_COLUMN, PART_CODE_WIDTH, drummer_codes, plan_codes,
                                  signature_code)
from seq2drum.parts.labels import Phrase, song_labels
from seq2drum.parts.traits import PART_FEELS, PART_LEVELS, SUBDIVISIONS
from seq2drum.parts.plan_value import Plan
from seq2drum.song.bars import BarSong, FeatureSpec, bar_song
from seq2drum.song.encode import encode_song
from seq2drum.training.batches import BarDataset, collate_bars
from tests.builders import rock_song_bytes, tiny_checkpoint, tiny_codebook
from tests.test_parts_plan import band_song
from tests.test_parts_plan import planner as planner  # noqa: F401  (the fixture)
from tests.test_parts_vocabulary import corpus as corpus  # noqa: F401  (the fixture)

SPEC = FeatureSpec.current(DataConfig().steps_per_quarter)


def drummed_song(ride_from: int = 4, fill_bar: int = 3) -> BarSong:
    """A rock song of 8 bars whose drummer plays eighths on the hat with a backbeat, then from `ride_from` the same
    on the ride, with a tom fill in `fill_bar`."""
    song = bar_song(encode_song(read_midi(rock_song_bytes(8)), DataConfig(), with_drums=True), SPEC)
    hits = np.zeros_like(song.hits)
    for row in range(song.n_bars):
        hits[row, 0:16:2, CLOSED_HAT if row < ride_from else RIDE] = True
        hits[row, [0, 8], KICK] = True
        hits[row, [4, 12], SNARE] = True
    hits[fill_bar, 12:16, LOW_TOM] = True
    return dataclasses.replace(song, hits=hits, offset=np.zeros(hits.shape, dtype=np.float32))


def test_a_signature_names_its_level_keeper_subdivision_and_feel() -> None:
    code = signature_code(("4/4", "full", "ride", "eighths", "backbeat"))
    assert code.shape == (PART_CODE_WIDTH,) and code[KNOWN_COLUMN] == 1 and code[FILL_COLUMN] == 0
    assert code.sum() == 5  # level, keeper, subdivision, feel, known
    assert code[len(PART_LEVELS) + CODE_KEEPERS.index("ride")] == 1
    assert code[len(PART_LEVELS) + len(CODE_KEEPERS) + len(SUBDIVISIONS) + PART_FEELS.index("backbeat")] == 1
    sparse, drop_out = signature_code(("4/4", "sparse", "closed_hat")), signature_code(("3/4", "drop-out"))
    assert sparse.sum() == 3 and sparse[PART_LEVELS.index("sparse")] == 1  # a sparse part names its keeper only
    assert drop_out.sum() == 2 and drop_out[PART_LEVELS.index("drop-out")] == 1


def test_riding_the_crash_is_heard_as_the_open_hat_by_networks_of_todays_width() -> None:
    """The code has no crash column (the shipped networks' input width): a part kept on the crash sounds to the
    network as one on the open hat, its nearest wash (groove.feels then moves the time to the crash)."""
    assert PART_CODE_WIDTH == len(PART_LEVELS) + 5 + len(SUBDIVISIONS) + len(PART_FEELS) + 2
    crash, open_hat = signature_code(("4/4", "full", "crash")), signature_code(("4/4", "full", "open_hat"))
    assert np.array_equal(crash, open_hat) and crash[len(PART_LEVELS) + CODE_KEEPERS.index("open_hat")] == 1


def test_the_drummer_changes_part_where_his_cymbal_changes_and_his_fill_is_marked() -> None:
    song = drummed_song()
    codes = drummer_codes(song)
    phrases, labels = song_labels(song)
    assert [label.keeper for label in labels] == ["closed_hat", "ride"]
    for phrase, label in zip(phrases, labels):
        expected = signature_code(label.signature())
        np.testing.assert_array_equal(codes[phrase.start_row : phrase.end_row, :FILL_COLUMN],
                                      np.broadcast_to(expected[:FILL_COLUMN], (phrase.n_bars, FILL_COLUMN)))
    assert codes[:, KNOWN_COLUMN].all()
    assert np.flatnonzero(codes[:, FILL_COLUMN]).tolist() == [3]


def test_the_plan_codes_each_bar_with_its_part_and_its_fill_bars(planner) -> None:  # noqa: F811
    parts = planner.vocabulary.parts
    ride = next(k for k, part in enumerate(parts) if part.keeper == "ride")
    hat = next(k for k, part in enumerate(parts) if part.keeper == "closed_hat" and part.level == "full")
    plan = Plan((Phrase(0, 4, 0, 0, 0), Phrase(4, 8, 1, 1, 0)), np.array([hat, ride]), np.array([True, False]))
    codes = plan_codes(plan, planner.vocabulary, 10)
    np.testing.assert_array_equal(codes[0, :FILL_COLUMN], signature_code(parts[hat].signature)[:FILL_COLUMN])
    np.testing.assert_array_equal(codes[5, :FILL_COLUMN], signature_code(parts[ride].signature)[:FILL_COLUMN])
    assert np.flatnonzero(codes[:, FILL_COLUMN]).tolist() == [3]
    assert not codes[8:].any()  # bars no phrase holds hear no part


def test_training_items_hear_the_drummers_parts_or_none() -> None:
    song = drummed_song()
    torch.manual_seed(0)
    dataset = BarDataset([song] * 40, tiny_codebook(), hear_part=True)
    items = [dataset[i]["parts"] for i in range(len(dataset))]
    whole = [item for item in items if item[:, KNOWN_COLUMN].all()]
    silent = [item for item in items if not item.any()]
    assert whole and silent  # some items hear every part, some none (PART_ITEM_DROPOUT) ...
    np.testing.assert_array_equal(whole[0], drummer_codes(song))  # ... the drummer's, as he played them
    validation = BarDataset([song] * 3, tiny_codebook(), hear_part=True, fixed_heard=True)
    assert [bool(validation[i]["parts"].any()) for i in range(3)] == [False, True, True]  # the same every epoch
    batch = collate_bars([dataset[0], dataset[1]])
    assert tuple(batch.parts.shape) == (2, song.n_bars, PART_CODE_WIDTH)
    assert BarDataset([song], tiny_codebook())[0]["parts"].shape == (song.n_bars, 0)  # a model that hears none


def test_a_live_model_hears_no_part() -> None:
    with pytest.raises(ConfigError, match="hear-part"):
        ModelConfig(causal=True, hear_part=True)


def test_the_network_plays_the_part_it_hears(tmp_path: Path) -> None:
    generator = DrumGenerator.from_checkpoint(tiny_checkpoint(tmp_path / "part.pt", hear_part=True))
    assert generator.hears_part
    song = drummed_song()
    none = generator.song_scores(song).hit_logits
    zeros = generator.song_scores(song, parts=np.zeros((song.n_bars, PART_CODE_WIDTH), dtype=np.float32))
    np.testing.assert_array_equal(none, zeros.hit_logits)  # no part known: zeros, as in training
    heard = generator.song_scores(song, parts=drummer_codes(song)).hit_logits
    assert not np.allclose(none, heard)


def test_each_take_plays_the_probabilities_its_plan_was_heard_with(tmp_path: Path, planner) -> None:  # noqa: F811
    generator = DrumGenerator.from_checkpoint(tiny_checkpoint(tmp_path / "part.pt", hear_part=True))
    generator.planner = planner
    song = drummed_song()
    parts = planner.vocabulary.parts
    full = [k for k, part in enumerate(parts) if part.level == "full" and part.profile_steps == 16][:2]
    plans = [Plan((Phrase(0, 4, 0, 0, 0), Phrase(4, 8, 1, 1, 0)), np.array(pair), np.zeros(2, dtype=bool))
             for pair in (full, full[::-1])]
    hearing = generator.hearing(song, None, None)
    assert hearing is not None
    heard = [hearing(plan) for plan in plans]
    assert not np.allclose(heard[0], heard[1])
    scores = generator.song_scores(song)
    span = song_span(scores)
    edges = np.zeros((span.n_bars, 3), dtype=bool)
    seen = Heard(scores, np.zeros_like(heard[0]), span, ["4/4"], song=song)
    takes = planned_takes(tuple(plans), seen, generator.deciders(hearing), edges)
    for take, p in zip(takes, heard):
        np.testing.assert_array_equal(take.p, p)  # as the network heard the plan: no shift on top
    bars = DrumGenerator.from_checkpoint(tiny_checkpoint(tmp_path / "plain.pt"))
    bars.planner = planner
    assert bars.hearing(song, None, None) is None  # a network that hears no part


def test_a_model_that_hears_the_part_writes_drums_with_a_plan(tmp_path: Path, planner) -> None:  # noqa: F811
    generator = DrumGenerator.from_checkpoint(tiny_checkpoint(tmp_path / "part.pt", hear_part=True))
    generator.planner = planner
    heard: list[np.ndarray] = []
    score = generator.song_scores

    def spy(song: BarSong, drums: np.ndarray | None = None,
            parts: np.ndarray | None = None) -> SongScores:
        if parts is not None:
            heard.append(parts)
        return score(song, drums, parts)

    generator.song_scores = spy  # type: ignore[method-assign]
    result = generator.generate(band_song(32), GenerationOptions(seed=5, takes=2, plan="parts"))
    assert len(result.takes) == 2 and len(heard) == 2  # one hearing a plan
    assert all(codes[:, KNOWN_COLUMN].any() for codes in heard)
    heard.clear()
    generator.generate(band_song(32), GenerationOptions(seed=5, takes=2, plan="bars"))
    assert not heard  # bar by bar: no plan, no part heard
