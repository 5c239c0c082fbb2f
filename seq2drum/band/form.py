"""The form a musician counts, from the harmony bar by bar: how alike bars 8, 12, 16, 24 and 32 apart are
(`lag_similarity`), the chorus length that stands out (`chorus_bars`), and how much of the song is 12-bar blues
choruses (`blues_share`: I I I I IV IV I I V IV I V, with the quick IV in bar 2 and a V or IV turnaround) and where
they start (`blues_fit`).

Each bar is its harmony (the share of the bar each pitch class sounds, `bar_chroma`) and its root, read two ways:
the bass's first note (else the chord on its first beat), and the root its beats' chords read most often. A chorus
is a blues chorus where one reading follows the changes in BLUES_CHORUS_BARS of its 12 bars. Sums run bar by bar,
so the reading of bars [0, n) needs nothing later.
"""

from __future__ import annotations

import numpy as np

from seq2drum import arrays

FORM_LAGS = (8, 12, 16, 24, 32)
CHORUS_MARGIN = 0.08  # a lag's similarity over the song's typical lag's (the median of lags 1-32) to count as a chorus
LAG_PREFERENCE = 0.02  # a longer lag must beat a shorter one by this much (a 24 repeats what 12 already says)
BLUES = ((0,), (0, 5), (0,), (0,), (5,), (5,), (0,), (0,), (7,), (5, 7), (0,), (7, 0))  # allowed roots per bar
MIN_BLUES_BARS = 24  # two choruses: fewer bars say nothing of a repeating form
# a chorus on the changes: 10 of its 12 bars (a one-chord vamp matches 8: 1-4, 7, 8, 11, 12), with 11 bars rooted
BLUES_CHORUS_BARS, ROOTED_CHORUS_BARS = 10, 11


def bar_similarity(chroma: np.ndarray, lag: int) -> np.ndarray:
    """(n_bars - lag,) cosine similarity of each bar's harmony with the bar `lag` later (0 where one is silent)."""
    if len(chroma) <= lag:
        return np.zeros(0)
    norm = np.linalg.norm(chroma, axis=1)
    dot = (chroma[:-lag] * chroma[lag:]).sum(axis=1)
    both = (norm[:-lag] > 0) & (norm[lag:] > 0)
    return np.where(both, dot / np.maximum(norm[:-lag] * norm[lag:], 1e-9), 0.0)


def lag_similarity(chroma: np.ndarray) -> tuple[np.ndarray, float]:
    """(len(FORM_LAGS),) mean similarity at each form lag, and the median over lags 1-32 (what any lag gives)."""
    means = {lag: float(s.mean()) for lag in range(1, 33) for s in [bar_similarity(chroma, lag)] if len(s)}
    typical = float(arrays.median(list(means.values()))) if means else 0.0  # over the lags the song is long enough for
    return np.array([means.get(lag, 0.0) for lag in FORM_LAGS]), typical


def chorus_bars(similarity: np.ndarray, typical: float, n_bars: int) -> int:
    """The form lag that stands out (CHORUS_MARGIN over the typical lag, two choruses heard), shorter first; 0 when
    none does."""
    best, best_value = 0, -np.inf
    for lag, value in zip(FORM_LAGS, similarity):
        if n_bars < 2 * lag or value - typical < CHORUS_MARGIN:
            continue
        if value > best_value + (LAG_PREFERENCE if best else 0.0):
            best, best_value = lag, value
    return best


def blues_share(roots: np.ndarray) -> float:
    """The share of the bars with a root that lie in 12-bar blues choruses, at the best key and starting bar (0 under
    MIN_BLUES_BARS bars with a root). `roots`: (n_bars,) or (readings, n_bars), -1 where a bar has none."""
    return blues_fit(roots)[0]


def blues_fit(roots: np.ndarray) -> tuple[float, int]:
    """`blues_share`, and the first bar of a chorus at that best fit (the phase, 0-11: bar `phase + 12 k` opens a
    chorus; 0 where the share is 0). A chorus (12 bars from a phase) counts where one reading follows the changes in
    BLUES_CHORUS_BARS of its bars and ROOTED_CHORUS_BARS have a root. Of phases covering as many bars, the one whose
    choruses follow the changes in the most bars, then the earliest."""
    readings = np.atleast_2d(roots)  # (R, n)
    rooted = (readings >= 0).any(axis=0)
    n = readings.shape[1]
    if rooted.sum() < MIN_BLUES_BARS:
        return 0.0, 0
    allowed = np.zeros((12, 12), dtype=bool)  # (bar of the chorus, interval above the tonic)
    for bar, degrees in enumerate(BLUES):
        allowed[bar, list(degrees)] = True
    tonic = np.arange(12)[:, None, None]  # (key, 1, 1)
    interval = (readings[None, :, :] - tonic) % 12  # (key, R, n)
    rooted_sums = np.r_[0, np.cumsum(rooted)]
    best, best_phase = (0, 0), 0
    for phase in range(12):
        starts = np.arange(phase, n - 11, 12)
        if not len(starts):
            continue
        follows = allowed[(np.arange(n) - phase) % 12, interval] & (readings >= 0)[None]  # (key, R, n)
        sums = np.concatenate([np.zeros((12, len(readings), 1), dtype=np.int64), np.cumsum(follows, axis=2)], axis=2)
        on_changes = (sums[:, :, starts + 12] - sums[:, :, starts]).max(axis=1)  # (key, choruses)
        held = rooted_sums[starts + 12] - rooted_sums[starts]  # (choruses,)
        chorus = (on_changes >= BLUES_CHORUS_BARS) & (held >= ROOTED_CHORUS_BARS)[None]
        fit = max(zip((chorus * held[None]).sum(axis=1).tolist(), (chorus * on_changes).sum(axis=1).tolist()))
        if fit > best:
            best, best_phase = fit, phase
    return float(best[0] / rooted.sum()), best_phase
