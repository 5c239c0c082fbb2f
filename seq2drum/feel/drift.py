"""How one drummer's hits hang together: his timing drifts (ahead of the click for a while, then behind), every drum
with it, and he plays each note of the bar his own way, bar after bar (his accents and his place on the hat's "and").
The humanizer samples each hit's velocity and offset from its context's quantiles (model.py) at the probability
`normal_cdf(z)` of a latent normal z made here, so every hit keeps the distribution the tables give it while hits
near in time, or alike in place, move together (a Gaussian copula):

    z = sqrt(w_step) a[onset] + sqrt(w_drift) d(t) + sqrt(w_beat) B[class, 16th of the beat]
        + sqrt(w_bar) R[class, 16th of the bar] + sqrt(1 - the weights' sum) e[hit]

a is shared by the hits of one step; d is an AR(1) in 16ths (correlation phi ** gap between two onsets), carried
from bar to bar live (`DriftState`); B and R are the drawn drummer's habits (`draw_habits`, once per request); e is
each hit's own. One set of weights for velocity, one for offset, fitted on GMD's performances by drift_fit.py (`python
-m seq2drum.feel.fit`). `onset_lag1` (timing) and `phrase_share` (velocity) are the figures the drift's weights are
calibrated to and checked by (docs/controls.md, "Feel").
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from seq2drum.feel.contexts import MAX_BAR_SIXTEENTHS, class_and_sixteenth
from seq2drum.midi.drums import NUM_DRUM_CLASSES
from seq2drum.song.drum_part import DrumGrid
from seq2drum.song.grid import Grid

COMPONENTS = ("step", "drift", "beat", "bar")  # the shared parts of z, as `Correlation.weights`' columns
SIXTEENTHS_PER_BEAT = 4  # B is read at the 16th of the quarter note, as the contexts read it
HABITS = SIXTEENTHS_PER_BEAT + MAX_BAR_SIXTEENTHS  # per quantity and class: B's 4 places, then R's 32
PHRASE_BARS = 4  # `onset_lag1`'s phrase, as ../shared/scoring's realism.py cuts a song


@dataclass(frozen=True)
class Correlation:
    """How hits hang together, per quantity (row 0 velocity, row 1 offset): the share of z's variance each shared
    part holds (COMPONENTS; the rest is each hit's own), and d's correlation from one 16th to the next."""

    weights: np.ndarray  # (2, 4) float64, each row's sum at most 1
    drift_per_16th: np.ndarray  # (2,) float64 in [0, 1)

    def as_array(self) -> np.ndarray:
        """(2, 5): the weights, then phi (how the feel file stores it)."""
        return np.column_stack([self.weights, self.drift_per_16th]).astype(np.float64)

    @classmethod
    def of_array(cls, array: np.ndarray) -> Correlation:
        array = np.asarray(array, dtype=np.float64)
        return cls(array[:, :4], array[:, 4])

    @property
    def own(self) -> np.ndarray:
        """(2,) the share of z's variance each hit draws on its own."""
        return np.maximum(1.0 - self.weights.sum(axis=1), 0.0)

    @functools.cached_property
    def roots(self) -> np.ndarray:
        """(2, 3, 1) the square roots of the own share, of w_step and of w_drift (what `latent` multiplies by)."""
        return np.sqrt(np.column_stack([self.own, self.weights[:, :2]]))[:, :, None]

    def describe(self) -> dict[str, dict[str, float]]:
        """The weights and phi by name, per quantity (the feel file's JSON)."""
        return {quantity: {**{name: round(float(w), 4) for name, w in zip(COMPONENTS, self.weights[row])},
                           "drift_per_16th": round(float(self.drift_per_16th[row]), 4)}
                for row, quantity in enumerate(("velocity", "offset"))}


INDEPENDENT = Correlation(np.zeros((2, 4)), np.zeros(2))  # every hit drawn on its own (the humanizer before issue 88)


class DriftState(NamedTuple):
    """Where the drummer stands after the bars played so far: d at their last onset (velocity's, offset's; None
    before the first), the 16ths from that onset to their end, and how far his velocities have strayed from what he
    plays on average there (their sum and count: model.py centres a song's velocities on the level, so a phrase
    played louder stays louder than the others, not than the level). Live carries it from one bar to the next."""

    value: tuple[float, float] | None = None
    since_16ths: float = 0.0
    strayed: float = 0.0
    strayed_hits: int = 0


def draw_habits(rng: np.random.Generator, correlation: Correlation) -> np.ndarray:
    """(2, 9 * MAX_BAR_SIXTEENTHS) a drummer's habits as what they add to z, per quantity, class and 16th of the bar
    (class major): sqrt(w_beat) B + sqrt(w_bar) R, B and R drawn as (2, 9, HABITS) standard normals."""
    drawn = rng.standard_normal((2, NUM_DRUM_CLASSES, HABITS))
    in_bar = np.arange(MAX_BAR_SIXTEENTHS)
    root = np.sqrt(correlation.weights[:, 2:])[:, :, None, None]  # (2, 2, 1, 1) beat's, bar's
    habits = root[:, 0] * drawn[:, :, in_bar % SIXTEENTHS_PER_BEAT] + root[:, 1] * drawn[:, :, SIXTEENTHS_PER_BEAT:]
    return habits.reshape(2, -1)


def normal_cdf(z: np.ndarray) -> np.ndarray:
    """The standard normal's distribution function (math.erf of each value: a live bar's few dozen in a few
    microseconds, no scipy): the probability each latent z is sampled at."""
    scaled = (z * (1 / math.sqrt(2))).ravel()
    erf = np.fromiter(map(math.erf, scaled.tolist()), dtype=np.float64, count=len(scaled))
    return 0.5 + 0.5 * erf.reshape(np.shape(z))


def drift_path(gaps_16ths: np.ndarray, start: tuple[float, float] | None, phi: np.ndarray,
               innovations: np.ndarray) -> np.ndarray:
    """(2, m) d at m onsets `gaps_16ths` (m,) apart (the first's gap from `start`, d at the onset before; None: d
    starts afresh, from its stationary N(0, 1)), `innovations` (2, m) standard normals. The same path whether the
    onsets come in one call or bar by bar with the state carried (tests/test_feel_drift.py)."""
    carry = phi[:, None] ** gaps_16ths  # (2, m), at most 1
    fresh = np.sqrt(1.0 - carry * carry) * innovations  # (2, m) what each onset draws anew
    path = np.empty(innovations.shape)
    for row, (carried, new, previous) in enumerate(zip(carry.tolist(), fresh.tolist(), start or (None, None))):
        values = []  # a recursion: plain floats, a hundred nanoseconds an onset
        if previous is None and new:  # afresh: the first onset's d is its own innovation
            previous = float(innovations[row, 0])
            values.append(previous)
            carried, new = carried[1:], new[1:]
        for a, b in zip(carried, new):
            previous = a * previous + b
            values.append(previous)
        path[row] = values
    return path


def latent(step: np.ndarray, keys: np.ndarray, grid: Grid, habits: np.ndarray | None, correlation: Correlation,
           state: DriftState, rng: np.random.Generator) -> tuple[np.ndarray, DriftState]:
    """(2, n) each hit's z (velocity's, offset's) for hits at `step` (non-decreasing, `np.nonzero` order) with
    context `keys` on `grid`, and the drift state at the grid's end. `habits`: `draw_habits`' (None: none). Draws
    2 * (n + 2 * onsets) standard normals from `rng`."""
    n = len(step)
    sixteenths_per_step = 4.0 / grid.steps_per_quarter
    end = grid.n_steps * sixteenths_per_step
    if not n:
        return np.zeros((2, 0)), state._replace(since_16ths=state.since_16ths + end)
    starts = np.empty(n, dtype=bool)  # the first hit of each onset
    starts[0] = True
    np.not_equal(step[1:], step[:-1], out=starts[1:])
    onset_of = np.cumsum(starts) - 1  # (n,)
    t = step[starts] * sixteenths_per_step  # (m,) the onsets, in 16ths from the grid's start
    m = len(t)
    normals = rng.standard_normal((2, n + 2 * m))
    gaps = np.empty(m)
    gaps[0] = state.since_16ths + t[0]
    np.subtract(t[1:], t[:-1], out=gaps[1:])
    drift = drift_path(gaps, state.value, correlation.drift_per_16th, normals[:, n + m :])
    roots = correlation.roots
    z = roots[:, 0] * normals[:, :n] + (roots[:, 1] * normals[:, n : n + m] + roots[:, 2] * drift)[:, onset_of]
    if habits is not None:
        z += habits[:, class_and_sixteenth(keys)]
    after = (float(drift[0, -1]), float(drift[1, -1]))
    return z, DriftState(after, end - float(t[-1]), state.strayed, state.strayed_hits)


def onset_lag1(drums: DrumGrid, grid: Grid, phrase_bars: int = PHRASE_BARS) -> tuple[float, float]:
    """The lag-1 autocorrelation of onset deviations from the grid within a phrase, as two sums to pool over songs
    (their ratio is the figure): each step with hits is an onset, its deviation the mean offset of its hits (in
    16ths); within each phrase of `phrase_bars` bars (from the grid's first bar) with 3 onsets or more, the
    deviations less their mean; the sum of the products of consecutive ones, and the sum of their squares."""
    onsets = np.flatnonzero(drums.hits[: grid.n_steps].any(axis=1))
    if not len(onsets):
        return 0.0, 0.0
    hits = drums.hits[onsets]
    deviation = (drums.offset[onsets].astype(np.float64) * hits).sum(axis=1) / hits.sum(axis=1)
    deviation *= 4.0 / grid.steps_per_quarter
    phrase = grid.bar_of_step()[onsets] // phrase_bars
    products = squares = 0.0
    for start, end in zip(*_runs(phrase)):
        if end - start >= 3:
            x = deviation[start:end] - deviation[start:end].mean()
            products += float(x[:-1] @ x[1:])
            squares += float(x @ x)
    return products, squares


def phrase_share(drums: DrumGrid, grid: Grid, phrase_bars: int = PHRASE_BARS) -> tuple[float, float]:
    """How far the velocity follows the phrase, as two sums to pool over songs (their ratio is the figure): each
    hit's velocity less its class's mean over the part; the squares of the phrases' means (of `phrase_bars` bars),
    each times its hits, and the sum of the squares of every hit's (the share of the variance between phrases)."""
    step, drum_class = np.nonzero(drums.hits[: grid.n_steps])
    if not len(step):
        return 0.0, 0.0
    velocity = drums.velocity[step, drum_class].astype(np.float64)
    count = np.maximum(np.bincount(drum_class, minlength=NUM_DRUM_CLASSES), 1)
    velocity -= (np.bincount(drum_class, velocity, NUM_DRUM_CLASSES) / count)[drum_class]
    starts, ends = _runs(grid.bar_of_step()[step] // phrase_bars)
    sums = np.add.reduceat(velocity, starts)
    return float((sums * sums / (ends - starts)).sum()), float(velocity @ velocity)


def _runs(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The starts and ends of the runs of equal values in `values` (non-decreasing)."""
    change = np.flatnonzero(values[1:] != values[:-1]) + 1
    return np.r_[0, change], np.r_[change, len(values)]
