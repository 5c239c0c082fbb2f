"""studies/fill_landings.py's counts on drums written in code: a fill (toms, or 4 snares on odd 16ths) whose next bar
opens a section lands where that bar crashes on its downbeat; a 3/4 bar with kick and snare on 1 counts as together.
If one fails, the issue 101 figures the study prints are wrong."""

from __future__ import annotations

import numpy as np

from seq2drum.midi.drums import CRASH, KICK, LOW_TOM, SNARE
from studies.fill_landings import bar_counts


def test_fills_landing_on_a_section_and_kick_and_snare_together_in_3_4_are_counted() -> None:
    bars = np.array([[0, 16, 4, 4], [16, 16, 4, 4], [32, 16, 4, 4], [48, 12, 3, 4], [60, 12, 3, 4]])
    hits = np.zeros((72, 9), dtype=bool)
    hits[12:16, LOW_TOM] = True  # bar 0 fills ...
    hits[16, CRASH] = True  # ... into bar 1, a section's first, which crashes: landed
    hits[[33, 35, 37, 39], SNARE] = True  # bar 2 fills on the snare into bar 3, which opens a section bare
    hits[48, [KICK, SNARE]] = True  # 3/4: together on 1
    hits[60, KICK] = True  # 3/4: the kick alone
    counts = bar_counts(hits, bars, openings={1, 3})
    assert (counts["fills"], counts["into_section"], counts["landed"]) == (2, 2, 1)
    assert (counts["bars_34"], counts["together_34"]) == (2, 1)
    assert counts["mid_crashes"] == 0 and counts["crash_bars"] == 1
