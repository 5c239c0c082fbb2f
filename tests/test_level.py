"""The drums play at the level a drummer would beside the band (seq2drum.feel.level), or at the level of the drums
the user gave: one shift of every velocity, accents and --dynamics kept."""

from __future__ import annotations

import numpy as np
import pytest

from seq2drum.feel.level import (BAND_LEVEL_INTERCEPT, BAND_LEVEL_SLOPE, BAND_SPREAD_INTERCEPT, BAND_SPREAD_SLOPE,
                                 at_level, at_spread, heard_level, heard_spread)
import seq2drum.feel.level
import seq2drum.feel.touch
from seq2drum.generation.generator import DrumGenerator
from seq2drum.options import GenerationOptions
from tests.builders import backbeat, notes_from_steps, riff, song_bytes


def test_the_level_follows_the_band_on_the_fitted_line() -> None:
    assert heard_level(np.array([60, 80])) == pytest.approx(BAND_LEVEL_SLOPE * 70 + BAND_LEVEL_INTERCEPT)
    assert heard_level(np.zeros(0)) is None
    assert heard_level(np.array([40])) < heard_level(np.array([110]))


def test_at_level_moves_every_hit_alike_and_keeps_velocities_midi() -> None:
    """One shift: the accents stay (110 over 70 stays 40 over), the mean lands on the level, nothing past 1-127,
    no velocity where no hit; no level (or no hit) leaves the velocities as they are."""
    hits = np.array([[True, True, False]])
    velocity = np.array([[110, 70, 0]])
    moved = at_level(velocity, hits, 60.0)
    assert moved.tolist() == [[80, 40, 0]]
    assert at_level(velocity, hits, 126.0).tolist() == [[127, 106, 0]]
    assert at_level(velocity, hits, None) is velocity and at_level(velocity, ~hits & hits, 60.0) is velocity


@pytest.fixture
def lines_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """No touch table (feel.touch): the drums play at the lines' level and spread, as a checkout without one does."""
    monkeypatch.setattr(seq2drum.feel.touch, "load_touches", lambda: None)
    monkeypatch.setattr(seq2drum.feel.level, "load_touches", lambda: None)


def _song(band_velocity: int, drums: bool = False) -> bytes:
    guitar = notes_from_steps([(s, p, band_velocity) for s, p in riff(8)], length_steps=2)
    kept = notes_from_steps([(s, p, 50) for s, p, _ in backbeat(2)]) if drums else None
    return song_bytes(guitar, kept)


@pytest.mark.parametrize("humanize", [True, False], ids=["humanized", "as-decided"])
def test_a_quiet_band_gets_quiet_drums_and_a_loud_one_loud_drums(tiny_model_path, humanize: bool,
                                                                   lines_only: None) -> None:
    """Breaks if the drums played at the network's one loudness whatever the band: the same song with its guitar at
    velocity 45 and at 115 gets drums whose mean sits on the line from the band's level, the same hits, and
    --dynamics still scales them."""
    generator = DrumGenerator.from_checkpoint(tiny_model_path)
    played = {}
    for band in (45, 115):
        for dynamics in (1.0, 0.5):
            result = generator.generate(_song(band), GenerationOptions(seed=0, humanize=humanize, dynamics=dynamics))
            played[band, dynamics] = result.drums
    quiet, loud = played[45, 1.0], played[115, 1.0]
    assert np.array_equal(quiet.hits, loud.hits)
    for band, drums in ((45, quiet), (115, loud)):
        assert drums.velocity[drums.hits].mean() == pytest.approx(heard_level(np.array([band])), abs=2.5)
    halved = played[115, 0.5]
    assert halved.velocity[halved.hits].mean() == pytest.approx(0.5 * heard_level(np.array([115])), abs=2.5)


def test_drums_after_the_users_play_at_the_users_level(tiny_model_path) -> None:
    """With --keep-drums the drums the user gave set the level (50 here, beside a guitar at 115), not the band."""
    generator = DrumGenerator.from_checkpoint(tiny_model_path)
    result = generator.generate(_song(115, drums=True), GenerationOptions(seed=0, keep_drums=True, humanize=False))
    drums = result.drums
    later = drums.hits.copy()
    later[: 2 * 16] = False  # past the 2 bars the user gave
    assert later.any() and drums.velocity[later].mean() == pytest.approx(50, abs=2.5)


def test_drums_after_the_users_spread_as_the_users(tiny_model_path) -> None:
    """With --keep-drums the drums the user gave set the spread too: given at one velocity (a programmed part), the
    humanized continuation plays at one velocity."""
    generator = DrumGenerator.from_checkpoint(tiny_model_path)
    drums = generator.generate(_song(115, drums=True), GenerationOptions(seed=0, keep_drums=True)).drums
    later = drums.hits.copy()
    later[: 2 * 16] = False
    assert later.any() and set(drums.velocity[later].tolist()) == {50}


def test_the_spread_follows_the_bands_spread_on_the_fitted_line() -> None:
    assert heard_spread(np.array([60, 80])) == pytest.approx(BAND_SPREAD_SLOPE * 10 + BAND_SPREAD_INTERCEPT)
    assert heard_spread(np.full(5, 100)) == pytest.approx(BAND_SPREAD_INTERCEPT)  # one velocity: a little spread
    assert heard_spread(np.zeros(0)) is None


def test_at_spread_scales_the_distances_from_the_mean_and_keeps_their_order() -> None:
    """The hits' standard deviation becomes the spread asked, their mean and order stay, nothing past 1-127, no
    velocity where no hit; no spread, no hit or hits all at one velocity leave the velocities as they are."""
    hits = np.array([[True, True, True, False]])
    velocity = np.array([[60, 80, 100, 0]])
    assert at_spread(velocity, hits, 10 * np.sqrt(2 / 3)).tolist() == [[70, 80, 90, 0]]  # 20 x sqrt(2/3) halved
    wide = at_spread(velocity, hits, 80.0)
    assert wide.tolist()[0][1] == 80 and wide.min() == 0 and wide[hits].min() == 1 and wide.max() == 127
    assert at_spread(velocity, hits, None) is velocity and at_spread(velocity, hits & False, 5.0) is velocity
    flat = np.array([[90, 90, 90, 0]])
    assert at_spread(flat, hits, 10.0) is flat


def test_at_spread_under_a_ceiling_narrows_only_the_loud_side() -> None:
    """Breaks if a touch's ceiling narrowed the soft hits too (the ghost notes of a loud drummer kept far under his
    level), or let the loud ones pass it: above the mean the spread feel.touch `loud_spread` allows, below the whole
    spread; with no ceiling (the user's drums) both sides alike."""
    hits = np.ones((1, 5), dtype=bool)
    velocity = np.array([[90, 100, 110, 100, 100]])  # mean 100, standard deviation sqrt(40)
    spread = 20 * np.sqrt(0.4)  # twice as wide: 80 and 120 without a ceiling
    assert at_spread(velocity, hits, spread).tolist() == [[80, 100, 120, 100, 100]]
    capped = at_spread(velocity, hits, spread, ceiling=116.0)
    loud = seq2drum.feel.touch.loud_spread(100.0, spread, 116.0)  # 8: the loudest 2 spreads up at 116
    assert capped.tolist() == [[80, 100, round(100 + 10 * loud / np.sqrt(40)), 100, 100]] and capped.max() <= 116


def _band_song(velocities: tuple[int, ...]) -> bytes:
    """The riff with its notes' velocities cycling through `velocities`."""
    notes = [(s, p, velocities[k % len(velocities)]) for k, (s, p) in enumerate(riff(8))]
    return song_bytes(notes_from_steps(notes, length_steps=2))


def test_a_band_at_one_velocity_gets_drums_that_spread_less_than_a_dynamic_bands(tiny_model_path,
                                                                                lines_only: None) -> None:
    """Breaks if the drums spread their velocities alike whatever the band: beside a riff at one velocity (85) their
    standard deviation sits near the line's intercept, beside the same riff alternating 45 and 125 (the same mean)
    near the line's value for its spread (40), with the same hits; --dynamics 0.5 halves the spread."""
    generator = DrumGenerator.from_checkpoint(tiny_model_path)
    flat, dynamic = (generator.generate(_band_song(band), GenerationOptions(seed=0)).drums
                     for band in ((85,), (45, 125)))
    assert np.array_equal(flat.hits, dynamic.hits)
    assert flat.velocity[flat.hits].std() == pytest.approx(BAND_SPREAD_INTERCEPT, abs=1.0)
    assert dynamic.velocity[dynamic.hits].std() == pytest.approx(BAND_SPREAD_SLOPE * 40 + BAND_SPREAD_INTERCEPT,
                                                                 abs=1.5)
    halved = generator.generate(_band_song((45, 125)), GenerationOptions(seed=0, dynamics=0.5)).drums
    assert halved.velocity[halved.hits].std() == pytest.approx(
        0.5 * (BAND_SPREAD_SLOPE * 40 + BAND_SPREAD_INTERCEPT), abs=1.5)
