"""seq2drum.feel: hit contexts, the shipped tables and what they learned, the humanizer's amount, feel and seed, and
the render stage's use of it (on the grid at --humanize 0; straight drums stay straight)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from seq2drum.errors import ConfigError
from seq2drum.feel.contexts import MAX_BAR_SIXTEENTHS, N_LEVELS, class_and_sixteenth, hit_contexts
from seq2drum.feel.swing import song_swing
from seq2drum.feel.model import N_QUANTILES, SONG_VELOCITY_SPREAD, FeelTables, humanize, median_quantiles
from seq2drum.feel.model import sample_quantiles, shipped_tables
from seq2drum.midi.drums import CLOSED_HAT, KICK, NUM_DRUM_CLASSES, SNARE, Articulation
from seq2drum.midi.io import START, read_midi
from seq2drum.options import FEELS, GenerationOptions
from seq2drum.song.drum_part import DrumGrid
from seq2drum.song.grid import Grid
from tests.builders import PPQ, rock_song_bytes

BARS = 16


def grid_of(bars: int = BARS, tempo_qpm: float = 100.0) -> Grid:
    return Grid.build(PPQ, [(0, 4, 4)], [(0, int(60_000_000 / tempo_qpm))], bars * 4 * PPQ)


def groove(bars: int = BARS, ghosts: bool = True) -> DrumGrid:
    """8th hats, kick on 1 and 3, snare backbeat on 2 and 4, and (with `ghosts`) snare ghost notes before them."""
    drums = DrumGrid.empty(bars * 16)
    for bar in range(bars):
        start = bar * 16
        drums.hits[start : start + 16 : 2, CLOSED_HAT] = True
        drums.hits[[start, start + 8], KICK] = True
        drums.hits[[start + 4, start + 12], SNARE] = True
        if ghosts:
            drums.hits[[start + 7, start + 15], SNARE] = True
    drums.velocity[drums.hits] = 100
    return drums


def played(drums: DrumGrid, seed: int = 0, amount: float = 1.0, feel: str = "natural",
           velocity_spread: float | None = None) -> DrumGrid:
    """`drums` as a drummer drawn from `seed` plays them; velocities as GMD's drummers play (velocity_spread None)."""
    rng = np.random.default_rng(seed)
    return humanize(drums, grid_of(drums.n_steps // 16), amount, shipped_tables().draw_drummer(rng, feel), rng,
                    velocity_spread=velocity_spread)


def test_contexts_read_neighbours_partners_and_levels() -> None:
    """The context keys tell a backbeat from a ghost note beside it; breaks if contexts.py's digits change."""
    drums = groove(1)
    contexts = hit_contexts(drums, grid_of(1))
    assert contexts.keys.shape == (int(drums.hits.sum()), N_LEVELS)
    snare = contexts.drum_class == SNARE
    backbeat, ghost = np.flatnonzero(snare & (contexts.step == 4))[0], np.flatnonzero(snare & (contexts.step == 7))[0]
    assert (contexts.keys[backbeat, :-1] != contexts.keys[ghost, :-1]).all()
    assert contexts.keys[backbeat, -1] == contexts.keys[ghost, -1] == SNARE  # the coarsest level: the class alone


def test_context_keys_are_each_levels_mixed_radix_number() -> None:
    """Every level's key is its digits as one mixed-radix number (class leading); breaks if the one integer product
    of contexts.LEVEL_WEIGHTS gave other keys than the tables were fitted with."""
    drums = groove(2)
    grid = grid_of(2)
    contexts = hit_contexts(drums, grid)
    sixteenth = contexts.step % 16
    level = grid.metrical_level()[contexts.step]
    assert (contexts.keys[:, 4] == contexts.drum_class).all()
    assert (contexts.keys[:, 3] == (contexts.drum_class * 4 + level) * 4 + sixteenth % 4).all()
    assert (class_and_sixteenth(contexts.keys) == contexts.drum_class * MAX_BAR_SIXTEENTHS + sixteenth).all()


def test_the_shipped_tables_learned_accents_and_ghost_notes() -> None:
    """What GMD's drummers taught (the README's plot shows it): snare ghost notes far softer than the backbeat, hats
    louder on the beat than off it. Breaks if a refit lost the contexts."""
    drums = played(groove(), seed=3)
    steps = np.arange(drums.n_steps) % 16
    snare = drums.velocity[:, SNARE].astype(float)
    assert snare[np.isin(steps, [4, 12])].mean() > snare[np.isin(steps, [7, 15])].mean() + 15
    hats = drums.velocity[:, CLOSED_HAT].astype(float)
    assert hats[np.isin(steps, [0, 4, 8, 12])].mean() > hats[np.isin(steps, [2, 6, 10, 14])].mean()


def test_songs_keep_the_networks_loudness_and_a_narrower_spread_of_the_same_accents() -> None:
    """For songs (SONG_VELOCITY_SPREAD), the drummer's velocities are centred on the decided drums' mean and their
    distances from it scaled: the take stays as loud as the network decided, the accents keep their order, and the
    spread is the scale times GMD's. Breaks if the render stage played GMD's softer, wider velocities again."""
    drums = groove()
    drums.velocity[drums.hits] = np.resize([96, 104], int(drums.hits.sum()))
    gmd, song = played(drums, seed=3), played(drums, seed=3, velocity_spread=SONG_VELOCITY_SPREAD)
    assert song.velocity[drums.hits].mean() == pytest.approx(100, abs=1)
    assert song.velocity[drums.hits].std() == pytest.approx(SONG_VELOCITY_SPREAD * gmd.velocity[drums.hits].std(),
                                                            rel=0.05)
    steps = np.arange(drums.n_steps) % 16
    snare = song.velocity[:, SNARE].astype(float)
    assert snare[np.isin(steps, [4, 12])].mean() > snare[np.isin(steps, [7, 15])].mean()
    assert (song.offset == gmd.offset).all()  # timing is not the loudness's business


def test_amount_0_keeps_velocities_and_puts_hits_on_the_grid() -> None:
    drums = groove()
    zero = played(drums, amount=0.0)
    assert (zero.offset == 0).all() and (zero.velocity == drums.velocity).all()


def test_amount_widens_and_the_seed_fixes_the_feel() -> None:
    """1.5 spreads further from each context's median than 1; the same seed gives the same drums, another seed
    other ones; only hits get velocity and timing."""
    drums = groove()
    one, again, other = played(drums, 1), played(drums, 1), played(drums, 2)
    assert (one.velocity == again.velocity).all() and (one.offset == again.offset).all()
    assert (one.velocity != other.velocity).any()
    assert (one.velocity[~drums.hits] == 0).all() and (one.offset[~drums.hits] == 0).all()
    loose = played(drums, 1, amount=1.5)
    assert np.abs(loose.offset[drums.hits]).mean() > np.abs(one.offset[drums.hits]).mean()


def test_each_hit_keeps_its_articulation() -> None:
    """The humanizer plays each hit's velocity and timing in its own cell, so a cross-stick stays a cross-stick."""
    drums = groove()
    drums.articulation[:, SNARE] = drums.hits[:, SNARE] * Articulation.CROSS_STICK
    assert np.array_equal(played(drums, 1).articulation, drums.articulation)


def test_feels_move_and_narrow_the_timing() -> None:
    """Laid-back plays later than pushed, every seed; tight spreads less than a loose drummer."""
    drums = groove()
    for seed in range(3):
        assert played(drums, seed, feel="laid-back").offset[drums.hits].mean() > \
            played(drums, seed, feel="pushed").offset[drums.hits].mean() + 0.05
    assert FEELS == ("natural", "tight", "laid-back", "pushed")


def test_straight_drums_stay_straight_and_swing_comes_from_the_swing_control() -> None:
    """The tables learned timing from straight performances only: humanized straight 8ths measure straight as
    ../shared/scoring measures it; with --swing 0.67 (feel.swing `swing`, after the humanizer) they swing."""
    from seq2drum.feel.swing import swing

    drums, grid = groove(ghosts=False), grid_of()
    for seed in range(5):
        humanized = played(drums, seed)
        measured = song_swing(humanized, grid, (0, grid.n_steps))
        assert measured is not None and measured <= 0.55, (seed, measured)
        swung, _ = swing(humanized, grid, 0.67)
        assert song_swing(swung, grid, (0, grid.n_steps)) >= 0.58


def test_tables_round_trip_and_a_missing_file_is_a_config_error(tmp_path: Path) -> None:
    tables = shipped_tables()
    tables.save(tmp_path / "feel.npz")
    loaded = FeelTables.load(tmp_path / "feel.npz")
    a = humanize(groove(), grid_of(), 1.0, loaded.draw_drummer(np.random.default_rng(4)), np.random.default_rng(5),
                 tables=loaded)
    b = humanize(groove(), grid_of(), 1.0, tables.draw_drummer(np.random.default_rng(4)), np.random.default_rng(5))
    assert (a.velocity == b.velocity).all() and (a.offset == b.offset).all()
    with pytest.raises(ConfigError, match="seq2drum.feel.fit"):
        FeelTables.load(tmp_path / "absent.npz")
    assert len(tables.velocity.keys[-1]) == len(tables.offset.keys[-1]) == NUM_DRUM_CLASSES  # every class known


def test_humanize_option_takes_numbers_and_the_old_booleans() -> None:
    """Python callers that pass humanize=True/False keep working (1 and 0); out of range is a ConfigError."""
    assert GenerationOptions(humanize=False).humanize == 0.0 and GenerationOptions(humanize=True).humanize == 1.0
    assert GenerationOptions().humanize == 1.0 and GenerationOptions().feel == "natural"
    for bad in ({"humanize": 1.6}, {"humanize": -0.1}, {"feel": "drunk"}):
        with pytest.raises(ConfigError):
            GenerationOptions(**bad)


@pytest.fixture(scope="module")
def generator(tiny_model_path: Path):  # type: ignore[no-untyped-def]
    from seq2drum.generation.generator import DrumGenerator

    return DrumGenerator.from_checkpoint(tiny_model_path)


def test_humanize_0_writes_every_hit_on_the_grid(generator) -> None:  # type: ignore[no-untyped-def]
    """--humanize 0 (and --no-humanize): every drum note starts on a 16th of the song's grid."""
    midi = rock_song_bytes(8)
    for options in (GenerationOptions(seed=1, humanize=0.0), GenerationOptions(seed=1, humanize=False)):
        result = generator.generate(midi, options)
        song = read_midi(result.midi_bytes)
        ticks_per_step = song.ticks_per_quarter // 4
        starts = song.parts[0].notes[:, START]
        assert len(starts) and (starts % ticks_per_step == 0).all()
    humanized = read_midi(generator.generate(midi, GenerationOptions(seed=1)).midi_bytes)
    assert (humanized.parts[0].notes[:, START] % (humanized.ticks_per_quarter // 4) != 0).any()


def test_feel_figures_measure_as_the_shared_scoring_does() -> None:
    """../shared/scoring's definitions: straight 8th hats measure 0.5, hats a triplet late 0.67 (positions in the
    quarter beat, microtiming included); fewer than 8 eligible beats measure nothing; the velocity spread is the
    population standard deviation of every hit."""
    from seq2drum.evaluation.feel_figures import song_velocity_spread

    drums, grid = groove(ghosts=False), grid_of()
    assert song_swing(drums, grid, (0, grid.n_steps)) == pytest.approx(0.5)
    swung = DrumGrid(drums.hits, drums.velocity, drums.offset.copy())
    swung.offset[2::4, CLOSED_HAT] = 2 / 3 * 4 - 2  # the off-beat eighth at 2/3 of the beat
    assert song_swing(swung, grid, (0, grid.n_steps)) == pytest.approx(2 / 3, abs=1e-6)
    assert song_swing(drums, grid, (0, 16)) is None  # one bar: 4 beats
    drums.velocity[drums.hits] = np.resize([80, 120], int(drums.hits.sum()))
    assert song_velocity_spread(drums, (0, grid.n_steps)) == pytest.approx(20.0)


def test_a_bars_lookups_and_medians_are_the_sorted_searchs_and_sample_quantiles_bit_for_bit() -> None:
    """If this fails, the live drummer's feel (a bar's few hits looked up one by one) plays other notes than a
    song's."""
    tables = shipped_tables()
    rng = np.random.default_rng(0)
    for table in (tables.velocity, tables.offset):
        known = np.stack([keys[rng.integers(0, len(keys), 40)] for keys in table.keys], axis=1)
        keys = np.where(rng.random(known.shape) < 0.5, known, known + 1)  # some contexts unknown at some levels
        keys[:3] = -1  # unknown at every level
        rows, level = table.rows(keys)
        searched, searched_level = table._searched_index(keys)
        searched_rows = table.stacked()[searched]
        assert np.array_equal(rows, searched_rows) and np.array_equal(level, searched_level)
        assert (level == -1).sum() >= 3 and rows.dtype == np.float64
    quantiles = rng.random((50, N_QUANTILES)) * 127
    assert np.array_equal(median_quantiles(quantiles), sample_quantiles(quantiles, np.full(50, 0.5)))
