"""Where the drums stay silent around the drums a user gave (`--keep-drums`, issue 90): the user's breaks (two or
more bars without a drum note between bars with them: the drummer rests, as written; `--fill-breaks` plays there),
and every bar after their last drum bar that is past the band's last note. generation.given marks those bars as
covered by the user (nothing decided, nothing written), so the decision, a network that hears drums and the render
all read the silence alike.
"""

from __future__ import annotations

import numpy as np

from seq2drum.midi.io import START
from seq2drum.song.grid import BAR_START, BAR_STEPS, Grid

BREAK_MIN_BARS = 2  # this many bars or more without a note of the user's, between two bars with one: a break


def own_bars(notes: np.ndarray, grid: Grid) -> np.ndarray:
    """(grid bars,) bool: the bars a kept note (N, 4) starts in."""
    bars = grid.bars
    starts = grid.step_to_tick(bars[:, BAR_START])
    ends = grid.step_to_tick(bars[:, BAR_START] + bars[:, BAR_STEPS])
    bar_of_note = np.searchsorted(starts, notes[:, START], side="right") - 1
    own = np.zeros(len(bars), dtype=bool)
    own[bar_of_note[(bar_of_note >= 0) & (notes[:, START] < ends[np.maximum(bar_of_note, 0)])]] = True
    return own


def kept_silence(own: np.ndarray, band_end_bar: int | None, fill_breaks: bool) -> tuple[np.ndarray, str]:
    """(grid bars,) bool the bars the drums leave silent around the user's own drum bars (`own`), and a notice naming
    them: a break (BREAK_MIN_BARS or more empty bars between two of the user's drum bars: the drummer rests there,
    as the user wrote it) unless `fill_breaks`; and every bar after the user's last drum bar that is past the band's
    last note (`band_end_bar`), where the drums went on with no one playing."""
    silent = np.zeros(len(own), dtype=bool)
    rows = np.flatnonzero(own)
    if not len(rows):
        return silent, ""
    breaks = []
    for before, after in zip(rows[:-1].tolist(), rows[1:].tolist()):
        if after - before - 1 >= BREAK_MIN_BARS:
            breaks.append((before + 1, after))
            if not fill_breaks:
                silent[before + 1:after] = True
    if band_end_bar is not None:
        silent[max(int(rows[-1]) + 1, band_end_bar):] = True
    if not breaks:
        return silent, ""
    spans = ", ".join(f"{a + 1}-{b}" for a, b in breaks)
    said = (f"the drums you gave rest in bars {spans}: filled by the drummer (--fill-breaks)" if fill_breaks else
            f"the drums you gave rest in bars {spans}: left silent as a break; --fill-breaks plays drums there")
    return silent, said
