"""Songs in very short bars (4/16, 2/8, 3/16) with the shipped model (issue 23 item 6: a 4/16 song got 1,218 snare
hits of 1,975, a 16th snare in most bars)."""

from __future__ import annotations

import pytest

from seq2drum.generation.generator import DrumGenerator
from seq2drum.midi.drums import DRUM_CLASSES
from seq2drum.options import GenerationOptions
from tests.builders import notes_from_steps, riff, song_bytes


@pytest.mark.parametrize("meter", [(4, 16), (2, 8), (3, 16)])
def test_short_bars_play_a_groove_not_a_snare_roll(meter: tuple[int, int]) -> None:
    steps = meter[0] * 16 // meter[1]
    guitar = notes_from_steps(riff(64, steps_per_bar=steps), length_steps=1)
    data = song_bytes(guitar, time_signatures=((0, *meter),))
    result = DrumGenerator.from_checkpoint().generate(data, GenerationOptions(seed=0, humanize=0.0))
    hits = result.drums.hits
    snare, kick = hits[:, DRUM_CLASSES.index("snare")], hits[:, DRUM_CLASSES.index("kick")]
    # a backbeat and some pickups, not a roll: the model shipped on 2026-11-25 adds a 16th snare before the next
    # downbeat in 27 of the 64 bars of the 4/16 riff (35% of steps, against 25% for the bare backbeat). Those per-cell
    # additions stay: without them in grouped short bars, 7 of the 8 real songs in such bars that changed lost F1
    # (5-fold CV; a 3/8 jig 0.70 -> 0.52). The model trained with jazz/ (2026-11-26) comps more on the snare in the
    # 3/16 riff: 94 snare steps of 192 (49%; 63 before, 33%), two or fewer in every 3/16 bar. The limit is half the
    # steps, and the roll check below is the one that matters
    assert snare.sum() <= 0.5 * len(hits)
    assert kick.sum() >= 0.05 * len(hits)  # and a groove under it
    bars = hits[: (len(hits) // steps) * steps].reshape(-1, steps, hits.shape[1])
    rolls = (bars[:, :, DRUM_CLASSES.index("snare")].sum(axis=1) >= min(steps, 3)).mean()
    assert rolls < 0.1, f"{rolls:.0%} of bars roll on the snare"
