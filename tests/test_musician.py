"""Drums a musician would keep, from the shipped model, on songs built in code in five meters: none of the gross
faults the checklist (evaluation.checklist) finds against a drummer who plays a backbeat in every bar, crashes
where a phrase opens and fills every 8th bar: no crash on most bars or every few bars, a snare in the waltz and
in the odd meters, no groove carried by toms, fills of several hits (issue "Drums a musician would keep")."""

from __future__ import annotations

import numpy as np
import pytest

from seq2drum.config import DataConfig
from seq2drum.evaluation.checklist import song_faults
from seq2drum.generation.generator import DrumGenerator
from seq2drum.midi.drums import CLASS_TO_PITCH, CLOSED_HAT, CRASH, KICK, LOW_TOM, MID_TOM, SNARE
from seq2drum.midi.io import read_midi
from seq2drum.options import GenerationOptions
from seq2drum.song.encode import encode_song
from tests.builders import TrackSpec, notes_from_steps, song_bytes

GROSS = {"crash_ridden", "crash_happy", "no_backbeat", "tom_groove", "weak_fills"}
BARS = 32
# meter -> (the 8th's steps, the backbeat's steps in a bar): where drummers put the snare
METERS = {(4, 4): (2, (4, 12)), (3, 4): (2, (8,)), (6, 8): (2, (6,)), (7, 8): (2, (4, 10)), (5, 4): (2, (4, 12))}


def built_song(meter: tuple[int, int]) -> tuple[bytes, bytes]:
    """(the whole arrangement without drums, the same with its drummer): guitar chords on the beats, a bass note
    on each downbeat, a drummer with kick on 1, the backbeat, 8th hats, a crash opening each 8 bars and a fill of
    four tom and snare hits closing them."""
    numerator, denominator = meter
    steps = numerator * 16 // denominator
    beat = 6 if denominator == 8 and numerator % 3 == 0 else 16 // denominator
    eighth, backbeat = METERS[meter]
    guitar, bass, drums = [], [], []
    for bar in range(BARS):
        start = bar * steps
        root = 40 + (0, 5, 7, 3)[(bar // 4) % 4]
        guitar += [(start + s, root + 12) for s in range(0, steps, beat)]
        guitar += [(start + s, root + 19) for s in range(0, steps, beat)]
        bass.append((start, root - 12))
        cells = [(0, KICK), *((s, SNARE) for s in backbeat), *((s, CLOSED_HAT) for s in range(0, steps, eighth))]
        if bar % 8 == 0:
            cells.append((0, CRASH))
        if bar % 8 == 7:
            cells = [c for c in cells if c[0] < steps - 4]
            cells += [(steps - 4, SNARE), (steps - 3, SNARE), (steps - 2, MID_TOM), (steps - 1, LOW_TOM)]
        drums += [(start + s, int(CLASS_TO_PITCH[c]), 100) for s, c in cells]
    band = dict(time_signatures=((0, numerator, denominator),),
                extra=[TrackSpec("Bass", 1, notes_from_steps(bass, length_steps=beat), 33)])
    chords = notes_from_steps(guitar, length_steps=beat)
    return song_bytes(chords, **band), song_bytes(chords, notes_from_steps(drums), **band)


@pytest.fixture(scope="module")
def shipped() -> DrumGenerator:
    return DrumGenerator.from_checkpoint(None)


@pytest.mark.slow
@pytest.mark.parametrize("meter", list(METERS), ids=[f"{n}-{d}" for n, d in METERS])
def test_the_shipped_model_plays_no_gross_fault_in_any_meter(shipped: DrumGenerator, meter: tuple[int, int]) -> None:
    band, with_drummer = built_song(meter)
    result = shipped.generate(band, GenerationOptions(seed=0))
    drummer = encode_song(read_midi(with_drummer), DataConfig(), name="drummer")
    assert drummer.drums is not None
    ours = result.takes[0].drums.hits  # on the song's grid: the same tempo and meter map as the drummer's
    hits = np.zeros_like(drummer.drums.hits)
    n = min(len(hits), len(ours))
    hits[:n] = ours[:n]
    found = song_faults(hits, drummer.drums.hits, drummer.grid, drummer.span_steps)
    assert not GROSS & set(found), found
    assert song_faults(drummer.drums.hits, drummer.drums.hits, drummer.grid, drummer.span_steps) == []
