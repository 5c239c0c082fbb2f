"""groove.voices: a section the model hears ridden keeps time on the ride; the others keep their hi-hat."""

from __future__ import annotations

import numpy as np

from seq2drum.groove.voices import ride_sections
from seq2drum.midi.drums import CLOSED_HAT, KICK, RIDE


def test_only_the_section_rated_ridden_moves_its_hats_to_the_ride() -> None:
    """Two sections of 2 bars playing eighths on the closed hat with a kick; the model rates the ride at 0.45 of the
    hat in the second only: at ratio 0.4 its hats (and nothing else) go to the ride, at 0.5 nothing moves, at 0 the
    rule is off."""
    hits = np.zeros((4, 16, 9), dtype=bool)
    hits[:, ::2, CLOSED_HAT] = True
    hits[:, 0, KICK] = True
    p = np.zeros((4, 16, 9))
    p[..., CLOSED_HAT] = 0.8
    p[:2, :, RIDE] = 0.1
    p[2:, :, RIDE] = 0.36
    labels = np.array([0, 0, 1, 1])
    for ratio in (0.5, 0.0):
        unchanged = hits.copy()
        ride_sections(unchanged, p, labels, ratio)
        assert (unchanged == hits).all()
    ridden = hits.copy()
    ride_sections(ridden, p, labels, 0.4)
    assert (ridden[:2] == hits[:2]).all()
    assert not ridden[2:, :, CLOSED_HAT].any() and (ridden[2:, :, RIDE] == hits[2:, :, CLOSED_HAT]).all()
    assert (ridden[..., KICK] == hits[..., KICK]).all() and ridden.sum() == hits.sum()


def test_the_bars_of_a_part_the_musician_chose_keep_their_hats() -> None:
    """The same ridden section with its last bar in a hat part the musician named (`leave`): that bar keeps its
    closed hat (his "swung eighths on the hat" had gone to the ride in a swung song), the other still rides; in a
    one-bar section (live) the named bar is left too."""
    hits = np.zeros((4, 16, 9), dtype=bool)
    hits[:, ::2, CLOSED_HAT] = True
    p = np.zeros((4, 16, 9))
    p[..., CLOSED_HAT], p[..., RIDE] = 0.8, 0.36
    leave = np.array([False, False, False, True])
    ridden = hits.copy()
    ride_sections(ridden, p, np.array([0, 0, 1, 1]), 0.4, leave)
    assert not ridden[2, :, CLOSED_HAT].any() and ridden[2, ::2, RIDE].all()
    assert (ridden[3] == hits[3]).all()
    one_bar = hits[3:].copy()
    ride_sections(one_bar, p[3:], np.array([1]), 0.4, np.array([True]))
    assert (one_bar == hits[3:]).all()
