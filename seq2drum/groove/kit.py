"""The colour of the kit by count, then by place: a class the model spreads its probability over (the open hi-hat)
is played about as often as the model expects the song's drummer to play it, at the cells it finds likeliest.

Choosing each cell for expected F1 plays a cell only where its probability passes lambda, so a class whose
probability is spread thin over many cells never plays, even where the model expects several hits a section: on
the validation songs the open hat's calibrated probabilities summed to 0.44 of the drummers' open hats, and take 1
played 0.08 of them. Here the count comes from the sum (`KitCount`, carried bar by bar, so offline and live count
alike), and the place from the probabilities: the likeliest of the bar's closed-hat cells opens.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from seq2drum.groove.settings import OPEN_HAT_COUNT_SHARE, OPEN_HAT_MAX_PER_BAR, OPEN_HAT_MIN_P
from seq2drum.midi.drums import CLOSED_HAT, OPEN_HAT


class KitCount(NamedTuple):
    """The open hats the model expected over the playing bars so far (scaled), and those played."""

    expected: float = 0.0
    played: int = 0


def open_hats(hits: np.ndarray, p: np.ndarray, playing: np.ndarray, count: KitCount) -> KitCount:
    """In place on hits (n, S, 9): bar by bar, while the open hats played stay under those the model expects
    (OPEN_HAT_COUNT_SHARE of its open-hat probabilities summed over the playing bars, rounded), the bar's likeliest
    closed-hat cells (open-hat probability at least OPEN_HAT_MIN_P, at most OPEN_HAT_MAX_PER_BAR a bar) open.
    Returns the count after the bars."""
    expected, played = count
    for row in np.flatnonzero(playing).tolist():
        expected += OPEN_HAT_COUNT_SHARE * float(p[row, :, OPEN_HAT].sum())
        played += int(np.count_nonzero(hits[row, :, OPEN_HAT]))
        wanted = min(int(expected + 0.5) - played, OPEN_HAT_MAX_PER_BAR)
        if wanted <= 0:
            continue
        cells = np.flatnonzero(hits[row, :, CLOSED_HAT] & (p[row, :, OPEN_HAT] >= OPEN_HAT_MIN_P))
        if not len(cells):
            continue
        chosen = cells[np.argsort(-p[row, cells, OPEN_HAT], kind="stable")[:wanted]]
        hits[row, chosen, OPEN_HAT] = True
        hits[row, chosen, CLOSED_HAT] = False
        played += len(chosen)
    return KitCount(expected, played)

