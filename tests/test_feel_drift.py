"""seq2drum.feel.drift and drift_fit: a drummer's timing drifts and his accents repeat (issue 88): the latent each hit
is sampled at, its drift carried bar to bar as one path, the figures it is checked by, and the fit that learns it."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from seq2drum.feel.contexts import hit_contexts
from seq2drum.feel.drift import (INDEPENDENT, Correlation, DriftState, draw_habits, drift_path, latent, normal_cdf,
                                 onset_lag1, phrase_share)
from seq2drum.feel.drift_fit import fit_correlation_row, normal_quantile, pair_sums, probability_in
from seq2drum.feel.model import N_QUANTILES, humanize, humanize_hits, sample_quantiles, shipped_tables
from seq2drum.live.api import BarClock
from seq2drum.live.render import render_bar
from seq2drum.midi.drums import CLOSED_HAT
from seq2drum.options import GenerationOptions
from tests.test_feel import grid_of, groove

PHI = np.array([0.9, 0.8])


def test_the_drift_is_one_path_whether_played_at_once_or_bar_by_bar() -> None:
    """Breaks if live (bar by bar, the state carried) drifted otherwise than a song played at once, given the same
    draws: the last value and the 16ths since it are all a bar hands on."""
    rng = np.random.default_rng(0)
    gaps = rng.integers(1, 4, 40).astype(float)
    innovations = rng.standard_normal((2, 40))
    whole = drift_path(gaps, None, PHI, innovations)
    first = drift_path(gaps[:17], None, PHI, innovations[:, :17])
    rest = drift_path(gaps[17:], (first[0, -1], first[1, -1]), PHI, innovations[:, 17:])
    np.testing.assert_allclose(np.concatenate([first, rest], axis=1), whole, rtol=1e-12)
    long_run = drift_path(np.ones(20000), None, PHI, np.random.default_rng(1).standard_normal((2, 20000)))
    assert long_run.std(axis=1) == pytest.approx([1, 1], abs=0.05)  # stationary: z stays a standard normal
    lag1 = [np.corrcoef(row[:-1], row[1:])[0, 1] for row in long_run]
    assert lag1 == pytest.approx(PHI, abs=0.02)


def test_a_bar_hands_the_drift_and_the_16ths_since_its_last_onset_to_the_next() -> None:
    """The state after a bar: the drift at its last onset and the 16ths from it to the bar's end; an empty bar adds
    its length. Breaks if live lost the drift across the bar line."""
    drums, grid = groove(1), grid_of(1)
    contexts = hit_contexts(drums, grid)
    correlation = shipped_tables().correlation
    z, after = latent(contexts.step, contexts.keys, grid, None, correlation, DriftState(), np.random.default_rng(0))
    assert z.shape == (2, len(contexts)) and after.value is not None
    assert after.since_16ths == pytest.approx(16 - contexts.step.max())
    empty = hit_contexts(type(drums).empty(16), grid)
    _, later = latent(empty.step, empty.keys, grid, None, correlation, after, np.random.default_rng(0))
    assert later == DriftState(after.value, after.since_16ths + 16)


def test_live_carries_the_drift_into_the_next_bar() -> None:
    """render_bar plays a bar from the drift state handed in and hands on its own: the same (seed, bar) from a state
    drifted late plays later, from the same state the same."""
    hits = np.zeros((32, 9), dtype=bool)
    hits[0:16:2, CLOSED_HAT] = True
    velocity = np.where(hits, 100, 0).astype(np.uint8)
    bar = BarClock(4, 4, 4, 120.0)
    fresh, _, after = render_bar(hits, velocity, GenerationOptions(), 7, bar, 4)
    assert after.value is not None and after.since_16ths == pytest.approx(2)
    again, _, _ = render_bar(hits, velocity, GenerationOptions(), 7, bar, 4, drift=DriftState())
    drifted, _, _ = render_bar(hits, velocity, GenerationOptions(), 7, bar, 4, drift=DriftState((0.0, 2.5), 1.0))
    assert fresh == again
    assert np.mean([hit.onset for hit in drifted]) > np.mean([hit.onset for hit in fresh])


def _pooled(figure, tables, seeds: range) -> float:  # type: ignore[no-untyped-def]
    sums = np.zeros(2)
    for seed in seeds:
        rng = np.random.default_rng(seed)
        drums = humanize(groove(), grid_of(), 1.0, tables.draw_drummer(rng), rng, tables=tables, velocity_spread=None)
        sums += figure(drums, grid_of())
    return sums[0] / sums[1]


def test_the_shipped_drummer_drifts_as_gmds_drummers_do() -> None:
    """Consecutive onsets' deviations within a phrase correlate near GMD's drummers' (the fit's figure), where hits
    drawn each on its own anticorrelate. Breaks if a refit lost the drift or the humanizer stopped drawing it."""
    tables = shipped_tables()
    drummers = tables.info["onset_lag1_straight"]["drummers"]
    assert 0.1 < drummers < 0.25
    ours = _pooled(onset_lag1, tables, range(10))
    independent = _pooled(onset_lag1, replace(tables, correlation=INDEPENDENT), range(10))
    assert abs(ours - drummers) < 0.1 and independent < 0 < ours


def test_one_drummer_plays_each_place_of_the_bar_his_own_way() -> None:
    """His habits: the hat on each 8th of the bar sits at its own place bar after bar, so the spread of the 8ths'
    mean offsets (over 16 bars) is wider than hits drawn each on their own give."""
    tables = shipped_tables()

    def place_spread(tables) -> float:  # type: ignore[no-untyped-def]
        spreads = []
        for seed in range(8):
            rng = np.random.default_rng(seed)
            drums = humanize(groove(), grid_of(), 1.0, tables.draw_drummer(rng), rng, tables=tables)
            offsets = drums.offset[:, CLOSED_HAT].reshape(-1, 16)[:, 0:16:2]  # (bars, 8 places)
            spreads.append(offsets.mean(axis=0).std())
        return float(np.mean(spreads))

    assert place_spread(tables) > 1.3 * place_spread(replace(tables, correlation=INDEPENDENT))


def test_the_normal_cdf_and_its_inverse() -> None:
    z = np.linspace(-6, 6, 241)
    exact = np.array([0.5 * math.erfc(-x / math.sqrt(2)) for x in z])
    assert np.abs(normal_cdf(z) - exact).max() < 2e-7
    np.testing.assert_allclose(normal_quantile(normal_cdf(z[30:-30])), z[30:-30], atol=1e-6)


def test_the_fit_reads_a_value_back_at_the_probability_it_was_drawn_at() -> None:
    """probability_in undoes sample_quantiles (where no two quantiles tie): the fit reads z as the render drew it."""
    rng = np.random.default_rng(0)
    rows = np.sort(rng.normal(0, 10, (500, N_QUANTILES)), axis=1)
    u = rng.uniform(0.5 / N_QUANTILES, 1 - 0.5 / N_QUANTILES, 500)
    np.testing.assert_allclose(probability_in(rows, sample_quantiles(rows, u), rng), u, atol=1e-9)
    tied = np.full((1000, N_QUANTILES), 64.0)  # every quantile the same: any probability gives 64
    assert 0.45 < probability_in(tied, np.full(1000, 64.0), rng).mean() < 0.55


def test_the_fit_finds_the_correlation_it_was_drawn_with() -> None:
    """Latents drawn with a known correlation over many bars of a groove are fitted back to it: the weights within
    0.06 and phi within 0.05. Breaks if pair_sums' gaps or flags, or the model fitted, drifted from drift.latent's."""
    truth = Correlation(np.array([[0.1, 0.2, 0.15, 0.2], [0.0, 0.45, 0.05, 0.1]]), np.array([0.95, 0.88]))
    drums, grid = groove(16), grid_of(16)
    contexts = hit_contexts(drums, grid)
    rng = np.random.default_rng(3)
    zs, keys, performance, sixteenth = [], [], [], []
    for index in range(120):
        z, _ = latent(contexts.step, contexts.keys, grid, draw_habits(rng, truth), truth, DriftState(), rng)
        zs.append(z)
        keys.append(contexts.keys)
        performance.append(np.full(len(contexts), index))
        sixteenth.append(contexts.step.astype(float))
    z = np.concatenate(zs, axis=1)
    for row in range(2):
        sums = pair_sums(z[row], np.concatenate(sixteenth), np.concatenate(keys), np.concatenate(performance))
        weights, phi, _ = fit_correlation_row(sums)
        np.testing.assert_allclose(weights, truth.weights[row], atol=0.06)
        assert phi == pytest.approx(truth.drift_per_16th[row], abs=0.05)


def test_without_a_drummer_nothing_is_drawn_and_the_state_is_kept() -> None:
    """--humanize 0 draws no drummer: the hits stay as decided, no normals are drawn, the drift state passes on."""
    rng = np.random.default_rng(0)
    state = DriftState((0.3, -0.2), 3.0)
    played = humanize_hits(groove(1), grid_of(1), 0.0, None, rng, drift=state)
    assert played.drift == state and not played.offset.any()
    assert rng.random() == np.random.default_rng(0).random()


def test_the_figures_are_pooled_sums() -> None:
    """onset_lag1 and phrase_share return sums to pool over songs; a part on the grid has no deviation, and a part
    whose second phrase is played louder puts a share between the phrases."""
    drums, grid = groove(8), grid_of(8)
    assert onset_lag1(drums, grid) == (0.0, 0.0)
    drums.velocity[64:][drums.hits[64:]] = 120
    between, total = phrase_share(drums, grid)
    assert between == pytest.approx(total) and total > 0
