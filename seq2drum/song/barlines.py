"""Where a song's bars fall: the one rule that turns a meter map into bars on the step grid, shared by the grid
(song.grid, what generation, training and `--mode evaluate --live` read) and the DAW helper's `--simulate`
(client/song_bars.py). Standard library only, as the helper imports it.

A meter change takes effect at the nearest step; one that falls on the same step as the next makes no bar (9,000
changes a tick apart were 88 bars offline and more than 2,048 to `--simulate`, issue 69 N8). A bar ends at the
rounded exact barline, so bars of fractional length never drift; a bar shorter than a step is given one; a meter
change cuts the bar it falls in short.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from seq2drum.errors import SongTooLongError
from seq2drum.midi.limits import MAX_SONG_BARS


def bar_spans(ticks_per_quarter: int, time_signatures: Sequence[tuple[int, int, int]], end_tick: int,
              steps_per_quarter: int = 4, label: str = "the song") -> list[tuple[int, int, int, int]]:
    """(start_step, n_steps, numerator, denominator) of every bar covering ticks [0, end_tick], the last completed
    past end_tick. `SongTooLongError` past MAX_SONG_BARS bars, raised as the bars are counted (what a song costs
    downstream grows with its bars)."""
    ticks_per_step = ticks_per_quarter / steps_per_quarter
    end_step = max(1, math.ceil(end_tick / ticks_per_step))
    meters = sorted(time_signatures) or [(0, 4, 4)]
    if meters[0][0] > 0:
        meters.insert(0, (0, 4, 4))
    # meter changes after the music has ended would add bars past it
    meters = [m for i, m in enumerate(meters) if i == 0 or round(m[0] / ticks_per_step) < end_step]
    bars: list[tuple[int, int, int, int]] = []
    for index, (tick, numerator, denominator) in enumerate(meters):
        is_last_segment = index + 1 == len(meters)
        segment_start = round(tick / ticks_per_step)
        if is_last_segment:
            segment_end = max(end_step, segment_start + 1)
        else:
            segment_end = round(meters[index + 1][0] / ticks_per_step)
        exact_bar_steps = numerator * 4 * steps_per_quarter / denominator
        step, count = segment_start, 0
        while step < segment_end:
            count += 1
            end = max(step + 1, segment_start + round(count * exact_bar_steps))
            if not is_last_segment:
                end = min(end, segment_end)  # a meter change cuts a bar short
            bars.append((step, end - step, numerator, denominator))
            step = end
            if len(bars) > MAX_SONG_BARS:
                raise too_many_bars(numerator, denominator, steps_per_quarter, label)
    return bars


def too_many_bars(numerator: int, denominator: int, steps_per_quarter: int, label: str = "the song"
                  ) -> SongTooLongError:
    why = ""
    if numerator * 4 * steps_per_quarter < denominator:
        why = (f" (its bars of {numerator}/{denominator} are shorter than the finest step, a 1/{4 * steps_per_quarter}"
               " note, and each is given one)")
    return SongTooLongError(
        f"{label} has more than {MAX_SONG_BARS:,} bars{why}; songs are limited to {MAX_SONG_BARS:,} bars: fix the "
        "meter in your DAW, or split the song into shorter sections")
