"""Take 1 of a swung song plays its time-keeper with the snare the network hears (parts.choice `heard_feel`): a jazz
ride phrase whose network hears one sibling's snare plays that sibling (backbeat, comping, none), a swung hat's
likewise; a straight part and a bar that is not 4/4 keep their part."""

from __future__ import annotations

import numpy as np
import pytest

from seq2drum.midi.drums import SNARE
from seq2drum.parts.choice import heard_feel
from seq2drum.parts.labels import Phrase
from seq2drum.parts.plan import Planner, planner_for
from seq2drum.shipped import DEFAULT_CHECKPOINT


@pytest.fixture(scope="module")
def planner() -> Planner:
    found = planner_for(DEFAULT_CHECKPOINT)
    assert found is not None
    return found


def part(planner: Planner, name: str) -> int:
    return next(k for k, p in enumerate(planner.vocabulary.parts) if p.family == "4/4" and p.name == name)


def test_a_swung_part_plays_the_feel_whose_snare_the_network_hears(planner: Planner) -> None:
    names = ("jazz ride, comping", "jazz ride, backbeat", "jazz ride, no backbeat", "swung eighths on the hat, "
             "comping", "swung eighths on the hat, backbeat", "16ths on the hat, backbeat")
    comping, backbeat, none, hat, hat_backbeat, straight = (part(planner, name) for name in names)
    phrases = [Phrase(4 * j, 4 * j + 4, 0, 0, j) for j in range(6)]
    p = np.full((24, 32, 9), 0.05)
    p[:, 16:] = 0.0
    heard_as = (backbeat, none, comping, hat_backbeat, backbeat, backbeat)  # what the network hears, phrase by phrase
    for j, k in enumerate(heard_as):
        p[4 * j: 4 * j + 4, :16, SNARE] = planner.rates[k, :16, SNARE]
    p[20:, 12:] = 0.0  # the last phrase's bars are 12 steps (3/4): not read
    parts = np.array([comping, backbeat, backbeat, hat, straight, comping])
    out = heard_feel(parts, p, phrases, planner.vocabulary, planner.rates)
    assert out.tolist() == [backbeat, none, comping, hat_backbeat, straight, comping]
