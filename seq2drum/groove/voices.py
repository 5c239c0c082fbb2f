"""Which cymbal keeps time: the ride in a section the model hears ridden (issue 24 item 4).

The codebook's entries keep time on the closed hi-hat far more often than drummers do, and the model almost never
rates the ride above the closed hat. A section whose closed-hat cells the model rates at `ride_ratio` (the
policy's) of the closed hat's probability or more plays those hits on the ride. The ratio's cross-validated figures:
docs/experiments/2026-11-25-decision-module-studies.md.
"""

from __future__ import annotations

import numpy as np

from seq2drum.groove.settings import HAT_FOOT_P
from seq2drum.midi.drums import CLOSED_HAT, RIDE


def ride_sections(hits: np.ndarray, p: np.ndarray, labels: np.ndarray, ratio: float) -> None:
    """In place on hits (n, S, 9): in each section (labels (n,)) whose closed-hat cells have a mean ride
    probability of at least `ratio` times their mean closed-hat probability, the closed hat's hits go to the ride
    (0: off)."""
    if ratio <= 0:
        return
    # one bar (live) is one section: its rows as a slice, not a mask per label
    sections = [slice(None)] if len(labels) == 1 else [labels == label for label in np.unique(labels).tolist()]
    for rows in sections:
        played = hits[rows, :, CLOSED_HAT]
        count = np.count_nonzero(played)
        if not count:
            continue
        # the means as np.mean figures them (the same sum over the same count), without its call overhead
        hat = float(p[rows, :, CLOSED_HAT][played].sum()) / count
        if float(p[rows, :, RIDE][played].sum()) / count >= ratio * hat:
            hits[rows, :, RIDE] |= played
            hits[rows, :, CLOSED_HAT] = False


def hat_foot(hits: np.ndarray, p: np.ndarray, bar_steps: np.ndarray, beat_steps: np.ndarray) -> None:
    """In place on hits (n, S, 9): a bar that keeps time on the ride (the ride on half its beats or more) gets the
    closed hat on its backbeats (2 and 4 ...; a bar of three beats 2 and 3; `bar_steps`, `beat_steps` (n,): its
    length and beat in steps) where the model finds it HAT_FOOT_P likely: the hi-hat foot a drummer keeps under the
    ride. Out of fold on jazz/'s swing tunes the model rates the closed hat 0.46-0.79 on 2 and 4 of the bars whose
    drummer rides, and 0.18-0.45 elsewhere; but `ride_sections` moves every closed hat of a ridden section to the
    ride and the codebook's ride grooves seldom hold the foot, so it was not played (closed-hat F1 0.22 against the
    jazz ride pattern's 0.62)."""
    index, on_beat = _beats(hits.shape[1], bar_steps, beat_steps)
    ridden = _ridden(hits, on_beat)
    if not ridden.any():
        return
    beat = np.maximum(1, beat_steps)[:, None]
    backbeats = (index % 2 == 1) | ((bar_steps[:, None] == 3 * beat) & (index == 2))  # 2 and 4; a waltz's 2 and 3
    foot = on_beat & backbeats & (p[:, :, CLOSED_HAT] >= HAT_FOOT_P)
    hits[:, :, CLOSED_HAT] |= foot & ridden[:, None]


def ridden_bars(hits: np.ndarray, bar_steps: np.ndarray, beat_steps: np.ndarray) -> np.ndarray:
    """(n,) bool: the bars (hits (n, S, 9), `bar_steps`, `beat_steps` (n,)) that keep time on the ride: the ride on
    half their beats or more."""
    return _ridden(hits, _beats(hits.shape[1], bar_steps, beat_steps)[1])


def _beats(width: int, bar_steps: np.ndarray, beat_steps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(n, width) the beat each step is in, and (n, width) bool the steps on a beat inside each bar."""
    steps = np.arange(width)[None, :]
    beat = np.maximum(1, beat_steps)[:, None]
    return steps // beat, (steps % beat == 0) & (steps < bar_steps[:, None])


def _ridden(hits: np.ndarray, on_beat: np.ndarray) -> np.ndarray:
    return (hits[:, :, RIDE] & on_beat).sum(axis=1) * 2 >= np.maximum(1, on_beat.sum(axis=1))
