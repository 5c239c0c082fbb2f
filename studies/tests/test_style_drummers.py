"""studies.style_drummers: how a bar is read as each style, and the drummers' bars it looks for."""

from __future__ import annotations

import numpy as np

from seq2drum.midi.drums import CLOSED_HAT, KICK, NUM_DRUM_CLASSES, SNARE
from studies.style_drummers import READS, drummers_bars
from tests.builders import pattern


def bar(cells: dict[int, tuple[int, ...]]) -> np.ndarray:
    """A 4/4 bar on the 16th grid (tests.builders `pattern`) from each drum class's 16ths."""
    return pattern(16, [(step, drum) for drum, steps in cells.items() for step in steps])


def test_funk_is_a_backbeat_with_something_off_the_beat() -> None:
    rock = {KICK: (0, 8), SNARE: (4, 12), CLOSED_HAT: tuple(range(0, 16, 2))}
    assert not READS["funk"](bar(rock), 4)
    assert READS["funk"](bar({**rock, KICK: (0, 3, 8)}), 4)  # a kick on the "a" of 1
    assert READS["funk"](bar({**rock, SNARE: (4, 7, 12)}), 4)  # a ghost note on the "a" of 2
    assert not READS["funk"](bar({**rock, KICK: (0, 3, 8), SNARE: (4,)}), 4)  # no backbeat on 4


def test_the_drummers_bars_of_each_style_are_theirs_alone_and_read_as_it() -> None:
    bars = {style: drummers_bars(style) for style in READS}
    assert all(bars.values()) and sum(map(len, bars.values())) == len(set().union(*bars.values()))
    for style, found in bars.items():
        read = [READS[style](np.frombuffer(b, dtype=bool).reshape(16, NUM_DRUM_CLASSES), 4) for b in found]
        assert np.mean(read) >= 0.6, style
