"""Which cymbal keeps time: the ride in a section the model hears ridden (issue 24 item 4).

The codebook's entries keep time on the closed hi-hat far more often than drummers do, and the model almost never
rates the ride above the closed hat. A section whose closed-hat cells the model rates at `ride_ratio` (the
policy's) of the closed hat's probability or more plays those hits on the ride. The ratio's cross-validated figures:
docs/experiments/2026-11-25-decision-module-studies.md.
"""

from __future__ import annotations

import numpy as np

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
