"""A drummer's touch (seq2drum.feel.touch): the level a song's drums play at, fitted from the band's loudness and
description, and the spread, drawn by the seed from the training drummers whose bands sounded like this one; offline
over the whole song, live once the band is heard; never pinned at 127."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from seq2drum.band import describe_band, jazz_score
from seq2drum.feel.level import LiveLevel, SongLevel, Sums, heard_level, heard_spread
from seq2drum.feel.touch import (DESCRIBED, HEARD, TOUCH_CEILING, TOUCH_HEADROOM, TOUCH_MIN_SPREAD, TOUCH_NEIGHBOURS,
                                 TOUCH_NOTES, LevelLine, Touches, heard_touch, load_touches, loud_spread, touch_rank,
                                 under_ceiling)
from seq2drum.generation.generator import DrumGenerator
from seq2drum.midi.io import read_midi
from seq2drum.midi.write import TrackSpec
from seq2drum.options import GenerationOptions
from seq2drum.training.touch import fit_line, song_touches
from tests.builders import backbeat, jazz_band, notes_from_steps, riff, song_bytes

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
    assert set(touches.lines) == {DESCRIBED, HEARD} and "jazz_score" in touches.lines[DESCRIBED].numbers


def test_the_seed_draws_the_touch_and_the_same_seed_the_same() -> None:
    """Breaks if every request played one touch (one drummer's dynamics) or a seed drew a different one each time."""
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
    assert heard_touch(np.full(9, 100), 0, table) == (90.0, 8.0)  # no line, one row: that drummer's whatever the rank


def test_the_level_is_the_fitted_line_of_the_band_described() -> None:
    """Breaks if the touch ignored the band's description: with it the DESCRIBED line gives the level (the genre
    reader's jazz score moves it), without it (live) the HEARD line of the loudness alone; the spread is drawn."""
    touches = load_touches()
    band = _band(90, 12)
    heard = touches.lines[HEARD].level({"band_mean": band.mean(), "band_std": band.std(),
                                        "band_log_distinct": np.log(len(np.unique(band)))})
    assert heard_touch(band, 0)[0] == pytest.approx(heard)
    rock, jazz = heard_touch(band, 0, jazz_score=-2.0), heard_touch(band, 0, jazz_score=4.0)
    assert jazz[0] < rock[0] and jazz[1] == rock[1]
    line = touches.lines[DESCRIBED]
    values = {"band_mean": band.mean(), "band_std": band.std(), "band_log_distinct": np.log(len(np.unique(band))),
              "band_median": np.median(band), "jazz_score": 4.0}
    assert jazz[0] == pytest.approx(line.level(values))


def test_a_jazz_ballad_plays_soft_and_a_metal_song_hard_within_a_drummers_range() -> None:
    """Breaks if the touch put every band near the middle, or pinned a loud one at 127: a jazz band comping softly
    (its description read as jazz) gets quiet drums, a distorted guitar band at full velocity loud drums whose
    loudest hits stay under TOUCH_CEILING, for every seed."""
    quiet = read_midi(jazz_band(4, 4))
    for part in quiet.parts:
        part.notes[:, 3] = np.maximum(part.notes[:, 3] - 35, 20)  # the trio played softly: velocities 25-55
    loud_notes = notes_from_steps([(s, p, 120 + k % 8) for k, (s, p) in enumerate(riff(16))], length_steps=2)
    metal = read_midi(song_bytes(loud_notes, guitar_program=30,
                                 extra=(TrackSpec("Bass", 1, loud_notes - [0, 0, 12, 0], 34),)))
    ballad_score, metal_score = jazz_score(describe_band(quiet)), jazz_score(describe_band(metal))
    assert ballad_score > metal_score
    velocities = [np.concatenate([part.notes[:, 3] for part in song.parts]) for song in (quiet, metal)]
    for seed in range(20):
        soft = heard_touch(velocities[0], seed, jazz_score=ballad_score)
        hard = heard_touch(velocities[1], seed, jazz_score=metal_score)
        assert 30 <= soft[0] <= 75 and hard[0] >= 100
        loudest = max(level + TOUCH_HEADROOM * loud_spread(level, spread) for level, spread in (soft, hard))
        assert loudest <= TOUCH_CEILING + 1e-9


def test_the_loudest_hits_stay_under_the_ceiling_and_the_soft_side_keeps_its_spread() -> None:
    """Breaks if a loud touch reached 127 (a blues beside a band at 118 played half its hits at 125-127), or if the
    ceiling narrowed the soft side too (every loud take's phrases then sat in a narrow band a classifier told from the
    drummers': realism 82.8%): the loud side narrows first, then the level comes down; the spread is kept."""
    assert under_ceiling(90.0, 10.0) == (90.0, 10.0) and loud_spread(90.0, 10.0) == 10.0
    level, spread = under_ceiling(121.0, 19.0)
    assert spread == 19.0 and level == TOUCH_CEILING - TOUCH_HEADROOM * TOUCH_MIN_SPREAD
    assert loud_spread(level, spread) == TOUCH_MIN_SPREAD
    level, spread = under_ceiling(110.0, 12.0)
    assert (level, spread) == (110.0, 12.0) and level + TOUCH_HEADROOM * loud_spread(level, spread) == TOUCH_CEILING


def test_the_line_fit_follows_the_bands_and_gives_up_on_far_drummers() -> None:
    """Breaks if the fit were least squares pulled by outliers: 400 drummers at the band's mean + 10 and 40 at 127
    whatever the band: the line stays within 2 of the 400."""
    band = np.linspace(40, 120, 440)
    level = band + 10.0
    level[::11] = 127.0
    line = fit_line(band[:, None], level, ("band_mean",))
    keep = np.ones(440, dtype=bool)
    keep[::11] = False
    predicted = np.array([line.level({"band_mean": value}) for value in band[keep]])
    assert np.abs(predicted - level[keep]).max() < 2.0


def test_the_table_round_trips_and_refuses_another_format() -> None:
    line = LevelLine(("band_mean",), (95.5,), (16.25,), (8.5,), 97.0)
    table = Touches(np.array([[100.0, 12.5, 30.0]]), np.array([[88.25, 14.0]]), {HEARD: line}, {"songs": 1})
    back = Touches.from_json(table.to_json())
    assert np.array_equal(back.band, table.band) and np.array_equal(back.drums, table.drums)
    assert back.about == table.about and back.lines == table.lines
    with pytest.raises(ValueError, match="touch format"):
        Touches.from_json(table.to_json().replace('"format_version": 2', '"format_version": 99'))


def test_generation_plays_at_the_touch_drawn_for_its_seed(tiny_model_path) -> None:
    """Breaks if the render ignored the touch: the drums' mean and standard deviation are those of the touch beside
    the guitar's velocities and the band described, for two seeds drawing different touches."""
    notes = [(s, p, (60, 80, 100)[k % 3]) for k, (s, p) in enumerate(riff(8))]
    song = song_bytes(notes_from_steps(notes, length_steps=2))
    generator = DrumGenerator.from_checkpoint(tiny_model_path)
    band = np.array([v for _, _, v in notes])
    jazz = jazz_score(describe_band(read_midi(song)))
    touches = {s: heard_touch(band, s, jazz_score=jazz) for s in range(40)}
    seeds = [s for s in range(40) if 40 <= touches[s][0] <= 100 and touches[s][1] <= 15]
    seeds = [seeds[0], next(s for s in seeds if touches[s] != touches[seeds[0]])]
    for seed in seeds:
        level, spread = touches[seed]
        drums = generator.generate(song, GenerationOptions(seed=seed, humanize=False)).drums
        played = drums.velocity[drums.hits].astype(float)
        # (the tiny model decides one hit at 127, which the spread scales with the rest: within 2.5)
        assert played.mean() == pytest.approx(level, abs=2.5) and played.std() == pytest.approx(spread, abs=2.5)


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
    """The training table's rows: a song's band velocity mean, spread and distinct count, its drummer's median and
    spread; a song with too few drum notes is left out; both lines fitted."""
    guitar = notes_from_steps([(s, p, (70, 90)[k % 2]) for k, (s, p) in enumerate(riff(8))], length_steps=2)
    drums = notes_from_steps([(s, p, 100) for s, p, _ in backbeat(8)])
    (tmp_path / "a.mid").write_bytes(song_bytes(guitar, drums))
    (tmp_path / "b.mid").write_bytes(song_bytes(guitar, drums[:10]))
    table = song_touches(sorted(tmp_path.glob("*.mid")))
    assert table.band.tolist() == [[80.0, 10.0, 2.0]] and table.drums.tolist() == [[100.0, 0.0]]
    assert set(table.lines) == {DESCRIBED, HEARD} and table.lines[HEARD].intercept == pytest.approx(100.0)


def test_live_plays_a_held_touch_under_the_ceiling_as_offline() -> None:
    """Breaks if live left a loud touch's loud side unbounded where offline narrows it: the first bar played after
    the touch is held is spread as offline spreads that bar alone at the same touch; the user's drums, no ceiling."""
    played = np.array([70, 90, 100, 110, 125, 95])
    hits = np.ones(len(played), dtype=bool)
    touch = (108.0, 20.0)
    live, _ = LiveLevel(touch=touch).spread_out(played, hits, 1.0)
    offline, _ = SongLevel(*touch, TOUCH_CEILING).spread_out(played, hits, 1.0)
    assert live.tolist() == offline.tolist() and live.max() <= TOUCH_CEILING and live.min() < played.min()
    given = LiveLevel(touch=touch, given=Sums().after(np.array([100.0, 140.0])))  # the user's: 120, spread 20
    users, _ = SongLevel(120.0, 20.0).spread_out(played, hits, 1.0)
    assert given.spread_out(played, hits, 1.0)[0].tolist() == users.tolist() and users.max() > TOUCH_CEILING


def test_generation_beside_a_loud_band_keeps_its_soft_hits_under_the_ceiling(tiny_model_path) -> None:
    """Breaks if the render narrowed a loud take's soft side with its loud side (realism.py then told every loud take
    by its narrow phrases) or let its loudest hits pass TOUCH_CEILING: beside a band at 110-127, for a seed drawing
    a wide spread, the hits under the take's mean spread about as drawn, and none is above the ceiling."""
    notes = [(s, p, (110, 120, 127)[k % 3]) for k, (s, p) in enumerate(riff(8))]
    song = song_bytes(notes_from_steps(notes, length_steps=2))
    band = np.array([v for _, _, v in notes])
    jazz = jazz_score(describe_band(read_midi(song)))
    seed = next(s for s in range(200) if heard_touch(band, s, jazz_score=jazz)[1] >= 15)
    level, spread = heard_touch(band, seed, jazz_score=jazz)
    assert loud_spread(level, spread) < spread - 3  # the ceiling binds
    drums = DrumGenerator.from_checkpoint(tiny_model_path).generate(song, GenerationOptions(seed=seed)).drums
    played = drums.velocity[drums.hits].astype(float)
    soft = played[played < played.mean()]
    assert played.max() <= TOUCH_CEILING + 1  # (rounded)
    assert np.sqrt(np.mean((soft - played.mean()) ** 2)) > loud_spread(level, spread) + 2
