"""studies.style_check: every style in every meter, by styles.py's rules."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("meter", [(5, 8), (13, 8)])
def test_odd_meter_plays_in_the_meters_it_lists_that_real_songs_lack(meter: tuple[int, int]) -> None:
    """Issue 23 item 5, measured with styles.py's own rules on a song made in code where ../shared has none of the
    meter (studies/style_check.py does the same over real songs): >= 90% of the counted bars in the style (48 bars:
    the fill and crash bars, placed as drummers place them, are not counted)."""
    from seq2drum.generation.generator import DrumGenerator
    from seq2drum.options import GenerationOptions
    from tests.builders import notes_from_steps, riff, song_bytes
    from studies.style_check import bar_families

    steps = meter[0] * 16 // meter[1]
    song = song_bytes(notes_from_steps(riff(48, steps_per_bar=steps), length_steps=1),
                      time_signatures=((0, *meter),))
    families, main = bar_families(DrumGenerator.from_checkpoint(), song, GenerationOptions(seed=0, style="odd-meter"))
    counted = [family for bar_meter, family in families if bar_meter == main]
    assert main == f"{meter[0]}/{meter[1]}" and len(counted) >= 20
    assert counted.count("odd-meter") >= 0.9 * len(counted)
