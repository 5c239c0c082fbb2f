"""Fitting how GMD's drummers' hits hang together (drift.py's `Correlation`), called by fit.py after the tables.

Each hit's value is read back to the latent z the humanizer would have drawn it at: its performance's level per class
taken out and its spread scaled to the pooled one (as the tables were fitted), its probability under its context's
quantiles (ties and the held tails shared out at random, seeded), then z = the normal quantile of it, standardised per
performance and class. The mean product of z over pairs of hits of one performance up to MAX_GAP_16THS apart, by gap
and by whether the two share a class, its 16th of the beat, its 16th of the bar, is the correlation the model
predicts as w_step [gap 0] + w_drift phi ** gap + w_beat [same class and 16th of the beat] + w_bar [same class and
16th of the bar]: fitted by least squares weighted by the pairs, the weights kept >= 0 (every subset of them tried at
each phi of a grid). Velocity from every performance, offset from the straight ones (as the tables).
Read through z, heavy tails and all, the pairs overstate how far the values themselves move together (the drift's
weight alone sends the humanized performances' onset lag-1 to 0.30 where the drummers' is 0.17), so `calibrate_drift`
then scales each quantity's drift weight until the humanized training performances show the drummers' figures
(drift.py's `phrase_share` for velocity, `onset_lag1` for offset), as fit.py calibrates the spreads.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable

import numpy as np

from seq2drum.feel.contexts import MAX_BAR_SIXTEENTHS, class_and_sixteenth
from seq2drum.feel.drift import COMPONENTS, SIXTEENTHS_PER_BEAT, Correlation, normal_cdf
from seq2drum.feel.model import N_QUANTILES, Table, median_quantiles
from seq2drum.midi.drums import NUM_DRUM_CLASSES

MAX_GAP_16THS = 64  # pairs of hits up to 4 bars of 4/4 apart
PHI_GRID = np.round(np.arange(0.5, 0.9951, 0.0025), 4)
FLAGS = 8  # same class, same 16th of the beat, same 16th of the bar: 3 bits


def hit_z(values: np.ndarray, table: Table, scale: float, keys: np.ndarray, performance: np.ndarray,
          drum_class: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """(n,) each hit's latent z (see the module docstring); `scale` the table's stored units per value unit."""
    rows = table.rows(keys)[0] / scale  # (n, N_QUANTILES)
    median = median_quantiles(rows)
    residual = values - median
    pair = performance * NUM_DRUM_CLASSES + drum_class
    residual = _less_pair_means(residual, pair, drum_class)
    spread = np.sqrt(_pair_means(residual ** 2, pair) / np.maximum(_class_means(residual ** 2, drum_class), 1e-12))
    placed = median + residual / np.maximum(spread, 1e-6)
    z = normal_quantile(probability_in(rows, placed, rng))
    z -= _pair_means(z, pair)
    return z / np.maximum(np.sqrt(_pair_means(z * z, pair)), 1e-6)


def _pair_means(values: np.ndarray, pair: np.ndarray) -> np.ndarray:
    """(n,) the mean of `values` over each value's pair (performance and class)."""
    _, inverse, count = np.unique(pair, return_inverse=True, return_counts=True)
    return (np.bincount(inverse, values) / count)[inverse]


def _class_means(values: np.ndarray, drum_class: np.ndarray) -> np.ndarray:
    """(n,) the mean of `values` over each value's class."""
    count = np.maximum(np.bincount(drum_class, minlength=NUM_DRUM_CLASSES), 1)
    return (np.bincount(drum_class, values, NUM_DRUM_CLASSES) / count)[drum_class]


def _less_pair_means(residual: np.ndarray, pair: np.ndarray, drum_class: np.ndarray) -> np.ndarray:
    """`residual` less its pair's mean plus its class's mean over pairs (fit.py `PairMeans.centered`'s level)."""
    pairs, inverse, count = np.unique(pair, return_inverse=True, return_counts=True)
    pair_mean = np.bincount(inverse, residual) / count
    pair_class = pairs % NUM_DRUM_CLASSES
    class_mean = np.bincount(pair_class, pair_mean, NUM_DRUM_CLASSES) / np.maximum(
        np.bincount(pair_class, minlength=NUM_DRUM_CLASSES), 1)
    return residual - pair_mean[inverse] + class_mean[drum_class]


def probability_in(rows: np.ndarray, values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """(n,) the probability at which model.sample_quantiles of each row gives each value (its inverse): drawn
    uniformly where a run of equal quantiles, or a held tail, gives the same value over a range of them."""
    lowest = _position(rows, values, strict=True)
    highest = _position(rows, values, strict=False)
    position = lowest + rng.random(len(values)) * (highest - lowest)  # in [-0.5, N_QUANTILES - 0.5]
    return np.clip((position + 0.5) / N_QUANTILES, 1e-6, 1 - 1e-6)


def _position(rows: np.ndarray, values: np.ndarray, strict: bool) -> np.ndarray:
    """Where each value falls in its row, in quantile indices (linear between them): the lowest such place
    (`strict`) or the highest; the held tails reach half a quantile beyond the outermost."""
    below = (rows < values[:, None]) if strict else (rows <= values[:, None])
    k = below.sum(axis=1)  # the first quantile at or above (strict) / above the value
    inner = (k > 0) & (k < N_QUANTILES)
    kk = np.clip(k, 1, N_QUANTILES - 1)
    low = np.take_along_axis(rows, (kk - 1)[:, None], axis=1)[:, 0]
    high = np.take_along_axis(rows, kk[:, None], axis=1)[:, 0]
    between = (kk - 1) + (values - low) / np.where(high > low, high - low, 1.0)
    edge = np.where(k == 0, -0.5 if strict else 0.0, N_QUANTILES - 1.0 if strict else N_QUANTILES - 0.5)
    return np.where(inner, between, edge)


Z_GRID = np.linspace(-6.0, 6.0, 240_001)  # drift.normal_cdf rises strictly over it (1e-9 to 1 - 1e-9)


def normal_quantile(u: np.ndarray) -> np.ndarray:
    """The inverse of drift.normal_cdf for u in (1e-9, 1 - 1e-9), read off a table of it (within about 1e-9): the
    fit reads z as the render draws it."""
    return np.interp(u, _cdf_table(), Z_GRID)


@functools.cache
def _cdf_table() -> np.ndarray:
    return normal_cdf(Z_GRID)


def pair_sums(z: np.ndarray, sixteenth: np.ndarray, keys: np.ndarray, performance: np.ndarray) -> np.ndarray:
    """(MAX_GAP_16THS + 1, FLAGS, 2): the sum of z products and the number of pairs of hits of one performance, by
    gap in 16ths and flags (1 same class, 2 same 16th of the beat, 4 same 16th of the bar)."""
    order = np.lexsort((sixteenth, performance))
    z, performance = z[order], performance[order]
    time = np.rint(sixteenth[order]).astype(np.int64)
    class_sixteenth = class_and_sixteenth(keys[order])
    drum_class, in_bar = class_sixteenth // MAX_BAR_SIXTEENTHS, class_sixteenth % MAX_BAR_SIXTEENTHS
    bins = (MAX_GAP_16THS + 1) * FLAGS
    sums, counts = np.zeros(bins), np.zeros(bins)
    for lag in itertools.count(1):  # hit i with hit i + lag, while any such pair is near enough
        gap = time[lag:] - time[:-lag]
        near = (performance[lag:] == performance[:-lag]) & (gap <= MAX_GAP_16THS)
        if not near.any():
            break
        i = np.flatnonzero(near)
        j = i + lag
        beat_i, beat_j = in_bar[i] % SIXTEENTHS_PER_BEAT, in_bar[j] % SIXTEENTHS_PER_BEAT
        flags = (drum_class[i] == drum_class[j]) + 2 * (beat_i == beat_j) + 4 * (in_bar[i] == in_bar[j])
        where = gap[i] * FLAGS + flags
        sums += np.bincount(where, z[i] * z[j], bins)
        counts += np.bincount(where, minlength=bins)
    return np.stack([sums, counts], axis=1).reshape(MAX_GAP_16THS + 1, FLAGS, 2)


def fit_correlation_row(sums: np.ndarray) -> tuple[np.ndarray, float, float]:
    """The weights (4,) and phi of one quantity from `pair_sums`' sums, and the weighted RMS error of the fit."""
    gap, flags = np.indices(sums.shape[:2]).reshape(2, -1)
    total, count = sums[..., 0].reshape(-1), sums[..., 1].reshape(-1)
    kept = count > 0
    gap, flags, observed, weight = gap[kept], flags[kept], total[kept] / count[kept], count[kept]
    same_class = flags & 1 > 0
    fixed = np.stack([gap == 0, same_class & (flags & 2 > 0), same_class & (flags & 4 > 0)], axis=1).astype(float)
    best = (np.inf, np.zeros(len(COMPONENTS)), 0.0)
    for phi in PHI_GRID:
        design = np.column_stack([fixed[:, 0], phi ** gap, fixed[:, 1], fixed[:, 2]])  # COMPONENTS' order
        for chosen in itertools.product((False, True), repeat=len(COMPONENTS)):
            columns = np.flatnonzero(chosen)
            weights = np.zeros(len(COMPONENTS))
            if len(columns):
                a = design[:, columns] * np.sqrt(weight)[:, None]
                weights[columns] = np.linalg.lstsq(a, observed * np.sqrt(weight), rcond=None)[0]
            if (weights < 0).any() or weights.sum() > 1:
                continue
            error = float(weight @ (design @ weights - observed) ** 2)
            if error < best[0]:
                best = (error, weights, float(phi))
    return best[1], best[2], float(np.sqrt(best[0] / weight.sum()))


def fit_correlation(quantities: list[tuple[np.ndarray, Table, float, np.ndarray]], keys: np.ndarray,
                    drum_class: np.ndarray, performance: np.ndarray, sixteenth: np.ndarray,
                    seed: int = 0) -> tuple[Correlation, dict[str, float]]:
    """The `Correlation` of velocity and offset, each given as (values, its table, the table's units per value unit,
    the hits it is fitted on (bool)), over hits with `keys`, classes, performances and 16ths from their start; and
    each quantity's RMS error of the fit."""
    rng = np.random.default_rng(seed)
    weights, phis, errors = [], [], {}
    for name, (values, table, scale, mask) in zip(("velocity", "offset"), quantities):
        z = hit_z(values[mask], table, scale, keys[mask], performance[mask], drum_class[mask], rng)
        sums = pair_sums(z, sixteenth[mask], keys[mask], performance[mask])
        row, phi, errors[name] = fit_correlation_row(sums)
        weights.append(row)
        phis.append(phi)
    return Correlation(np.array(weights), np.array(phis)), errors


CALIBRATION_STEPS = 3  # secant steps: the figures move about linearly with the drift's weight


def with_drift(correlation: Correlation, factor: np.ndarray) -> Correlation:
    """`correlation` with each quantity's drift weight times `factor` (2,)."""
    weights = correlation.weights.copy()
    weights[:, 1] *= factor
    return Correlation(weights, correlation.drift_per_16th)


def calibrate_drift(correlation: Correlation, figures_of: Callable[[Correlation], np.ndarray],
                    target: np.ndarray) -> tuple[Correlation, np.ndarray]:
    """`correlation` with each drift weight scaled (secant steps from 0 and 1, the weights' sum kept at most 1) so
    that `figures_of` (2,) the humanized performances' figures meets `target` (2,) the drummers'; and the figures
    reached."""
    drift = correlation.weights[:, 1]
    most = np.where(drift > 0, (1 - correlation.weights.sum(axis=1) + drift) / np.maximum(drift, 1e-12), 1.0)
    x0, x1 = np.zeros(2), np.ones(2)
    f0, f1 = figures_of(with_drift(correlation, x0)), figures_of(correlation)
    for _ in range(CALIBRATION_STEPS):
        slope = np.where(np.abs(f1 - f0) > 1e-9, (f1 - f0) / np.where(x1 != x0, x1 - x0, 1.0), np.inf)
        x2 = np.clip(x1 + (target - f1) / slope, 0.0, most)
        x0, f0, x1 = x1, f1, x2
        f1 = figures_of(with_drift(correlation, x1))
    return with_drift(correlation, x1), f1
