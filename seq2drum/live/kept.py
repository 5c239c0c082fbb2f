"""The drums the user gave, live: a groove clip's bars (`groove_bars`), the kept bars gathered into the groove to
continue as they are heard (`kept_in_loop`), and that groove as the decision's `Continuation` for the bar about to be
played (`bar_continuation`), which the request fits as offline (groove.request).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from seq2drum.groove import Continuation, GrooveCodebook, PREFERRED_MIN_SHARE, given_groove
from seq2drum.live.features import TICKS_PER_QUARTER
from seq2drum.song.given_groove import (LOOP_BAR_HITS, LOOP_MAX_BARS, crash_ride_on_ride, groove_clip,
                                        without_crash_accents, without_kept_fills)


def groove_bars(groove: bytes, width: int, steps_per_quarter: int) -> tuple[np.ndarray, np.ndarray]:
    """A groove clip's bars (k, S, 9) and their lengths in steps (k,), read in the clip's first meter.
    GrooveClipError for a clip that is not one."""
    from seq2drum.midi.io import read_midi

    try:
        signatures = read_midi(groove).time_signatures
    except Exception:  # noqa: BLE001  groove_clip below says what is wrong with the clip
        signatures = []
    meter = (signatures[0][1], signatures[0][2]) if signatures else (4, 4)
    hits, steps, _, _ = groove_clip(groove, meter, width, steps_per_quarter, TICKS_PER_QUARTER)
    return hits, steps


def kept_in_loop(state: Any, hits: np.ndarray) -> dict[str, Any]:
    """The changes to a `LiveState` that put a kept bar (the last decided) in the groove to continue, as offline
    (song/given_groove.py): from the first kept bar with LOOP_BAR_HITS hits, the last LOOP_MAX_BARS kept bars, in
    their own phase ({}: none)."""
    loop, steps = (state.loop, state.loop_steps) if state.loop_kept else ((), ())
    if not loop and hits.sum() < LOOP_BAR_HITS:
        return {}
    index, length = state.last
    loop, steps = (*loop, hits)[-LOOP_MAX_BARS:], (*steps, length)[-LOOP_MAX_BARS:]
    return {"loop": loop, "loop_steps": steps, "loop_origin": index - len(loop) + 1, "loop_kept": True}


def bar_continuation(codebook: GrooveCodebook, state: Any, bar_index: int, bar_steps: int) -> Continuation | None:
    """The user's groove as the decision's `Continuation` for bar `bar_index` (None: nothing given, or a bar of
    another length than its loop bar): preferred, held by the offline bonus, so the drums continue it and change
    where the music does; kept bars (not a clip) with offline's PREFERRED_MIN_SHARE."""
    if not state.loop:
        return None
    turn = (bar_index - state.loop_origin) % len(state.loop)
    if state.loop_steps[turn] != bar_steps:
        return None
    loop = np.stack(state.loop)
    no_notes = [np.zeros((0, 4), dtype=np.int64)] * len(loop)
    loop = without_crash_accents(loop, no_notes, 1)[0]
    loop = crash_ride_on_ride(without_kept_fills(loop, np.asarray(state.loop_steps), no_notes)[0])
    one = np.ones(1, dtype=bool)
    min_share = PREFERRED_MIN_SHARE if state.loop_kept else 0.0  # a clip always continues
    return given_groove(codebook, np.array([bar_steps]), ~one, np.zeros_like(loop[:1]), one, loop[turn][None],
                        min_share=min_share)
