"""How a drummer counts a bar of an odd meter, and where its backbeat falls: `bar_counts`, `counted_snares`.

The model knows 4/4, 3/4 and the compound meters from thousands of bars; in the other meters (5/4, 7/8, 7/4, 9/4 ...)
it hedges: out of fold its snare probability is about the same on every pulse (0.4-0.55 on each eighth of a 7/8 bar,
about 0.4 on each beat of a 9/4 bar), so the cells worth playing, or the grooves with the most of them, put a snare on
every pulse: a march (7/8 bars at 4.5 snares against their drummers' 2.5, 9/4 at 8.8). A drummer counts a bar: in
pulses (its beats; in x/8 its eighths in twos, a three where they are odd, 7/8 as 2+2+3), the pulses in twos with a
three where they are odd (9/4 as 2+2+2+3), and plays each group's backbeat on its last pulse: 7/8 on the 5th eighth,
5/8 (2+3) on the 3rd, 5/4 on 2 and 5, 7/4 on 2, 4 and 7, 9/4 on 2, 4, 6 and 9, two backbeats' worth. The model's
snare probabilities choose among the other ways of counting the bar (the three elsewhere, 7/8 as 3+2+2; a group of
three's backbeat on its middle pulse, as a waltz's 2) where they clearly favour one.
"""

from __future__ import annotations

import functools
import itertools

import numpy as np

from seq2drum import arrays
from seq2drum.groove.settings import BACKBEAT_EXPECTED, COUNT_SWITCH, COUNTED_SNARE_SURE
from seq2drum.midi.drums import SNARE
from seq2drum.song.drum_part import pattern_steps

EIGHTH_STEPS, QUARTER_STEPS, DOTTED_STEPS = 2, 4, 6  # in 16th steps


def pulses(bar_steps: int, beat_steps: int) -> tuple[int, ...] | None:
    """The pulses a drummer counts a bar in, in steps, the common count (a dotted pulse last: 7/8 as 2+2+3 eighths);
    None for a bar that needs no count (4 or fewer equal pulses: 2/4, 3/4, 4/4, 6/8, 12/8, 4/8) or has none here
    (x/16 bars, bars of a fractional length)."""
    if beat_steps == EIGHTH_STEPS and bar_steps % EIGHTH_STEPS == 0:  # x/8 not compound: eighths in twos and a three
        eighths = bar_steps // EIGHTH_STEPS
        counted = (QUARTER_STEPS,) * (eighths // 2 - eighths % 2) + (DOTTED_STEPS,) * (eighths % 2)
    elif beat_steps >= QUARTER_STEPS and bar_steps % beat_steps == 0:
        counted = (beat_steps,) * (bar_steps // beat_steps)
    else:
        return None
    if len(counted) < 2 or (len(counted) <= 4 and len(set(counted)) == 1):
        return None
    return counted


def backbeats(counted: tuple[int, ...], three_at: int, middle: bool) -> list[int]:
    """The steps of one count's backbeat: the pulses in twos, a three where they are odd (the `three_at`th group),
    each group's snare on its last pulse (a three's on its middle one when `middle`)."""
    sizes = [2] * (len(counted) // 2)
    if len(counted) % 2:
        sizes[three_at] = 3
    starts = np.concatenate([[0], np.cumsum(counted)]).tolist()
    steps, pulse = [], 0
    for size in sizes:
        steps.append(starts[pulse + (size - 2 if size == 3 and middle else size - 1)])
        pulse += size
    return steps


@functools.lru_cache(maxsize=256)
def bar_counts(bar_steps: int, beat_steps: int, width: int) -> tuple[np.ndarray, ...]:
    """The ways a drummer counts a bar, each as the pattern columns (of `width`) of its backbeat, the common count
    first (7/8: the 5th eighth; then 3+2+2 ...); () where the bar needs no count (`pulses`). Columns as
    `song.bars.pattern_steps` lays a bar longer than the pattern out (9/4's ninth beat on the pattern's last)."""
    counted = pulses(bar_steps, beat_steps)
    if counted is None:
        return ()
    dotted = [i for i, length in enumerate(counted) if length == DOTTED_STEPS]
    orders = [counted]
    if dotted and len(dotted) < len(counted):  # the three eighths elsewhere: 3+2+2, 2+3+2
        plain = [length for length in counted if length != DOTTED_STEPS]
        orders += [tuple(plain[:at] + [DOTTED_STEPS] + plain[at:]) for at in range(len(plain) - 1, -1, -1)]
    n_groups = len(counted) // 2
    threes = list(range(n_groups - 1, -1, -1)) if len(counted) % 2 else [0]
    found: dict[tuple[int, ...], None] = {}
    for order, three_at, middle in itertools.product(orders, threes, (False, True) if len(counted) % 2 else (False,)):
        steps = pattern_steps(np.asarray(backbeats(order, three_at, middle)), bar_steps, width, beat_steps)
        found.setdefault(tuple(dict.fromkeys(steps.tolist())), None)  # a long bar's repeated beat: one column
    columns = tuple(np.array(key, dtype=np.int64) for key in found)
    for column in columns:
        column.setflags(write=False)
    return columns


def counted_snares(hits: np.ndarray, p: np.ndarray, bar_steps: np.ndarray, beat_steps: np.ndarray,
                   labels: np.ndarray) -> None:
    """In place on hits (n, S, 9): each playing bar of an odd meter with a snare in its groove, or BACKBEAT_EXPECTED
    snare hits expected, plays its snare on the backbeat of the count its section's bars of that length favour (the
    common count unless another's backbeat is COUNT_SWITCH times as likely), as many as the model expects in the bar
    (rounded up, one at least), the likeliest of the count's first; a snare off the count stays only where the model
    is sure of it (COUNTED_SNARE_SURE)."""
    width = hits.shape[1]
    shapes = {shape: bar_counts(*shape, width) for shape in zip(bar_steps.tolist(), beat_steps.tolist())}
    if not any(shapes.values()):  # no odd bar (most songs, most live bars)
        return
    snare_p = p[:, :, SNARE]
    expected = snare_p.sum(axis=1)
    wants = hits.any(axis=(1, 2)) & (hits[:, :, SNARE].any(axis=1) | (expected >= BACKBEAT_EXPECTED))
    for (length, beat), counts in shapes.items():
        shaped = (bar_steps == length) & (beat_steps == beat)
        if not counts or not (wants & shaped).any():
            continue
        for label in arrays.distinct(labels[wants & shaped]).tolist():
            section = shaped & (labels == label)
            likely = [float(snare_p[section][:, columns].sum()) for columns in counts]
            best = int(np.argmax(likely))
            columns = counts[best] if likely[best] >= COUNT_SWITCH * likely[0] else counts[0]
            for row in np.flatnonzero(section & wants).tolist():
                n = max(1, int(np.ceil(expected[row] - 1e-9)))
                chosen = columns[np.argsort(-snare_p[row, columns], kind="stable")[:n]]
                hits[row, :, SNARE] &= snare_p[row] >= COUNTED_SNARE_SURE
                hits[row, chosen, SNARE] = True
