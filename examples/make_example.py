"""Writes examples/riff.mid: a 32-bar rock guitar part made in code (no file from any data set).

Verse: palm-muted eighth-note power chords (E5 E5 G5 A5); chorus: strummed open chords (C G D Em) on a
syncopated pattern, louder; then the verse and chorus again, at 112 BPM in 4/4.

    python -m examples.make_example
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from seq2drum.midi.io import TrackSpec, write_midi

PPQ = 480
STEP = PPQ // 4  # a 16th note
BAR = 16 * STEP
POWER = {"E5": (40, 47, 52), "G5": (43, 50, 55), "A5": (45, 52, 57)}
OPEN = {"C": (48, 52, 55, 60, 64), "G": (43, 47, 50, 55, 59, 67), "D": (50, 57, 62, 66), "Em": (40, 47, 52, 55, 59, 64)}
CHORUS_RHYTHM = (0, 3, 6, 8, 10, 14)  # 16th steps of the strums: a push before beat 3 and before the next bar


def verse(start_bar: int) -> list[list[int]]:
    notes = []
    for index, chord in enumerate(("E5", "E5", "G5", "A5") * 2):
        for eighth in range(8):
            start = (start_bar + index) * BAR + eighth * 2 * STEP
            accent = 104 if eighth % 2 == 0 else 88
            notes += [[start, start + STEP, pitch, accent] for pitch in POWER[chord]]
    return notes


def chorus(start_bar: int) -> list[list[int]]:
    notes = []
    for index, chord in enumerate(("C", "G", "D", "Em") * 2):
        for position, step in enumerate(CHORUS_RHYTHM):
            start = (start_bar + index) * BAR + step * STEP
            for string, pitch in enumerate(OPEN[chord]):  # a downstroke: strings a few ticks apart
                velocity = 118 if position in (0, 3) else 100
                notes.append([start + 8 * string, start + 2 * STEP, pitch, velocity])
    return notes


def main() -> None:
    notes = verse(0) + chorus(8) + verse(16) + chorus(24)
    array = np.array(sorted(notes), dtype=np.int64)
    data = write_midi(PPQ, [(0, 60_000_000 // 112)], [(0, 4, 4)], [TrackSpec("Rhythm guitar", 0, array, program=29)])
    out = Path(__file__).resolve().parent / "riff.mid"
    out.write_bytes(data)
    print(f"wrote {out} ({len(data)} bytes, {len(array)} notes, 32 bars)")


if __name__ == "__main__":
    main()
