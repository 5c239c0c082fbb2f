"""A drummer's touch (seq2drum.feel.touch): the level and spread a song's drums play at, drawn by the seed from the
training drummers whose bands sounded like this one; offline over the whole song, live once the band is heard."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from seq2drum.feel.level import LiveLevel, heard_level, heard_spread
from seq2drum.feel.touch import (TOUCH_MIN_SPREAD, TOUCH_NEIGHBOURS, TOUCH_NOTES, Touches, heard_touch, load_touches,
                                 touch_rank)
from seq2drum.generation.generator import DrumGenerator
from seq2drum.options import GenerationOptions
from seq2drum.training.touch import song_touches
from tests.builders import backbeat, notes_from_steps, riff, song_bytes

SEEDS = range(200)


def _band(mean: float, std: float, n: int = 400, distinct: int | None = None) -> np.ndarray:
    """`n` band velocities about `mean` spreading `std`, on `distinct` values (all drawn: None)."""
    values = np.clip(np.round(np.random.default_rng(0).normal(mean, std, n)), 1, 127)
    if distinct is not None:
        levels = np.unique(values)[:: max(1, len(np.unique(values)) // distinct)][:distinct]
        values = levels[np.abs(values[:, None] - levels[None, :]).argmin(axis=1)]
    return values


def test_the_shipped_table_holds_the_training_drummers() -> None:
    touches = load_touches()
    assert touches is not None and len(touches.band) >= 500 and touches.about["fitted_by"].startswith("python -m")
    assert 0.08 < (touches.drums[:, 1] < 2).mean() < 0.25  # drummers at one velocity: 15% of the training songs


def test_the_seed_draws_the_touch_and_the_same_seed_the_same() -> None:
    """Breaks if every request played one touch (the lines' middle) or a seed drew a different one each time."""
    band = _band(95, 14)
    touches = {heard_touch(band, seed) for seed in range(40)}
    assert len(touches) >= 8 and heard_touch(band, 3) == heard_touch(band, 3)
    assert {touch_rank(seed) for seed in SEEDS} == set(range(TOUCH_NEIGHBOURS))


def test_touches_follow_the_band_and_spread_as_the_drummers_do() -> None:
    """Breaks if the draw ignored the band: beside a quiet band the drawn levels average lower than beside a loud
    one; beside a band at one velocity a drummer at one velocity (played with the least accents, TOUCH_MIN_SPREAD)
    is drawn far more often than beside a dynamic one; no take plays under TOUCH_MIN_SPREAD."""
    levels = {mean: np.mean([heard_touch(np.full(50, mean), s)[0] for s in SEEDS]) for mean in (50, 110)}
    assert levels[110] - levels[50] >= 15
    flat = [heard_touch(np.full(50, 100), s)[1] for s in SEEDS]
    dynamic = [heard_touch(_band(100, 15), s)[1] for s in SEEDS]
    assert min(flat + dynamic) == TOUCH_MIN_SPREAD
    assert np.mean(np.array(flat) == TOUCH_MIN_SPREAD) >= 0.3 and np.mean(np.array(dynamic) == TOUCH_MIN_SPREAD) <= 0.15


def test_no_notes_or_no_table_draw_no_touch() -> None:
    table = Touches(np.array([[100.0, 0.0, 1.0]]), np.array([[90.0, 8.0]]))
    assert heard_touch(np.zeros(0), 0) is None
    assert heard_touch(np.full(9, 100), 0, table) == (90.0, 8.0)  # one row: the nearest whatever the rank


def test_the_table_round_trips_and_refuses_another_format() -> None:
    table = Touches(np.array([[100.0, 12.5, 30.0]]), np.array([[88.25, 14.0]]), {"songs": 1})
    back = Touches.from_json(table.to_json())
    assert np.array_equal(back.band, table.band) and np.array_equal(back.drums, table.drums)
    assert back.about == table.about
    with pytest.raises(ValueError, match="touch format"):
        Touches.from_json(table.to_json().replace('"format_version": 1', '"format_version": 99'))


def test_generation_plays_at_the_touch_drawn_for_its_seed(tiny_model_path) -> None:
    """Breaks if the render ignored the touch: the drums' mean and standard deviation are those drawn beside the
    guitar's velocities, for two seeds drawing different touches."""
    notes = [(s, p, (60, 80, 100)[k % 3]) for k, (s, p) in enumerate(riff(8))]
    song = song_bytes(notes_from_steps(notes, length_steps=2))
    generator = DrumGenerator.from_checkpoint(tiny_model_path)
    band = np.array([v for _, _, v in notes])
    seeds = [s for s in range(40) if 40 <= heard_touch(band, s)[0] <= 100 and heard_touch(band, s)[1] <= 15][:2]
    assert len(seeds) == 2 and heard_touch(band, seeds[0]) != heard_touch(band, seeds[1])
    for seed in seeds:
        level, spread = heard_touch(band, seed)
        drums = generator.generate(song, GenerationOptions(seed=seed, humanize=False)).drums
        played = drums.velocity[drums.hits].astype(float)
        assert played.mean() == pytest.approx(level, abs=2.5) and played.std() == pytest.approx(spread, abs=2.0)


def test_live_draws_the_touch_once_the_band_is_heard_and_holds_it() -> None:
    """Live plays the lines until TOUCH_NOTES band notes are heard, then the touch a drummer beside them plays with,
    held when the band later plays otherwise."""
    first = _band(90, 10, n=TOUCH_NOTES - 1)
    level = LiveLevel().hearing_band(first, seed=5)
    assert level.touch is None and level.target() == (heard_level(first), pytest.approx(heard_spread(first)))
    heard = np.concatenate([first, [90]])
    level = level.hearing_band(np.array([90]), seed=5)
    touches = load_touches()
    assert level.touch == touches.touch(heard.mean(), heard.std(), len(np.unique(heard)), 5) == level.target()
    assert level.hearing_band(np.full(500, 30), seed=5).target() == level.target()
    given = level.hearing_given(np.array([50, 70]))
    assert given.target() == (60.0, 10.0)  # the user's drums' own, as offline


def test_the_fit_reads_each_songs_band_and_drummer(tmp_path: Path) -> None:
    """The training table's rows: a song's band velocity mean, spread and distinct count, its drummer's mean and
    spread; a song with too few drum notes is left out."""
    guitar = notes_from_steps([(s, p, (70, 90)[k % 2]) for k, (s, p) in enumerate(riff(8))], length_steps=2)
    drums = notes_from_steps([(s, p, 100) for s, p, _ in backbeat(8)])
    (tmp_path / "a.mid").write_bytes(song_bytes(guitar, drums))
    (tmp_path / "b.mid").write_bytes(song_bytes(guitar, drums[:10]))
    table = song_touches(sorted(tmp_path.glob("*.mid")))
    assert table.band.tolist() == [[80.0, 10.0, 2.0]] and table.drums.tolist() == [[100.0, 0.0]]
