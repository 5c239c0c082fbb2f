"""--swing on the shuffle and jazz-ride styles, measured on real songs (issue 23, item 3's must-show): for each song,
style and R, where the hat and ride hits between 0.45 and 0.95 of the beat land on average, from the written MIDI.

    python -m studies.swing_styles --data ../shared/data/midi --every 7 --songs 100

Songs: every Nth .mid file under --data (sorted by path), at most --songs; those a style does not fit are left out.
Generated with --no-humanize, seed 0, the shipped model (or --checkpoint). Measured over the whole file, and over
the 4/4 bars without fills (the bars the styles play in: other meters keep the model's own grooves, fills their 16ths).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from seq2drum.errors import Seq2DrumError
from seq2drum.evaluation.metrics import swung_note_position
from seq2drum.generation.generator import DrumGenerator
from seq2drum.midi.io import read_midi
from seq2drum.options import GenerationOptions
from seq2drum.song.drum_part import drums_to_grid
from seq2drum.song.grid import Grid
from seq2drum.song.corpus import find_midi_files

STYLES = ("shuffle", "jazz-ride")
RATIOS = (None, 0.5, 0.6, 0.67, 0.75)


def measure(generator: DrumGenerator, midi: bytes, style: str, ratio: float | None) -> tuple[float, float]:
    """(whole file, 4/4 bars without fills) mean swung-note position of one generation."""
    result = generator.generate(midi, GenerationOptions(seed=0, style=style, swing=ratio, humanize=False))
    written = read_midi(result.midi_bytes)
    q = generator.data_config.steps_per_quarter
    grid = Grid.build(written.ticks_per_quarter, written.time_signatures, written.tempos, written.end_tick, q)
    drums = drums_to_grid(written.drum_parts[0].notes, grid)
    return swung_note_position(drums, grid), swung_note_position(drums, grid, bar_steps=4 * q, skip_fills=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=Path("../shared/data/midi"))
    parser.add_argument("--checkpoint", type=Path, default=None)
    parser.add_argument("--every", type=int, default=7, help="every Nth file")
    parser.add_argument("--songs", type=int, default=100, help="at most this many files")
    args = parser.parse_args(argv)
    generator = DrumGenerator.from_checkpoint(args.checkpoint)
    files = find_midi_files(args.data)[:: args.every][: args.songs]
    found: dict[tuple[str, float | None], list[tuple[float, float]]] = {}
    for path in files:
        midi = path.read_bytes()
        for style in STYLES:
            try:
                rows = [(ratio, measure(generator, midi, style, ratio)) for ratio in RATIOS]
            except Seq2DrumError:  # the style does not fit the song's meter, or the song cannot be used
                continue
            for ratio, values in rows:
                found.setdefault((style, ratio), []).append(values)
    for (style, ratio), values in found.items():
        whole, plain = np.array(values).T
        target = "unset" if ratio is None else f"{ratio:g}"
        outside = "" if ratio is None else (f"; songs off by > 0.03: {int((np.abs(whole - ratio) > 0.03).sum())} "
                                            f"(whole), {int((np.abs(plain - ratio) > 0.03).sum())} (4/4, no fills)")
        print(f"{style} --swing {target}: {len(values)} songs; whole file mean {np.nanmean(whole):.3f} "
              f"[{np.nanmin(whole):.3f}, {np.nanmax(whole):.3f}]; 4/4 without fills mean {np.nanmean(plain):.3f} "
              f"[{np.nanmin(plain):.3f}, {np.nanmax(plain):.3f}]{outside}")


if __name__ == "__main__":
    main()
