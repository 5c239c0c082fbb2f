"""How alike the takes of each song are: `--takes N --seed S` with default controls, and the cell F1 (16th step,
drum class; evaluation.metrics) between every pair of takes over the whole file, as issue 23 asks ("every pair
below 0.8, or fewer takes written with the notice").

    python -m tools.take_pairs SONG.mid [...]            # named songs
    python -m tools.take_pairs --data ../shared/data/midi  # every song of a folder (minutes)
"""

from __future__ import annotations

import argparse
import itertools
from pathlib import Path

from seq2drum.errors import Seq2DrumError
from seq2drum.generation.generator import DrumGenerator
from seq2drum.groove.decoder import take_similarity
from seq2drum.options import GenerationOptions
from seq2drum.song.corpus import find_midi_files


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("songs", type=Path, nargs="*")
    parser.add_argument("--data", type=Path, default=None, help="every MIDI file of this folder too")
    parser.add_argument("--takes", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threshold", type=float, default=0.8)
    args = parser.parse_args(argv)
    songs = list(args.songs) + (find_midi_files(args.data) if args.data else [])
    generator = DrumGenerator.from_checkpoint()
    options = GenerationOptions(takes=args.takes, seed=args.seed)
    pairs = alike = fewer = 0
    for path in songs:
        try:
            result = generator.generate(path.read_bytes(), options)
        except Seq2DrumError as error:
            print(f"{path.name}: refused ({error})")
            continue
        grids = [take.drums.hits for take in result.takes]
        similarity = [take_similarity(a, b) for a, b in itertools.combinations(grids, 2)]
        pairs += len(similarity)
        alike += sum(value >= args.threshold for value in similarity)
        fewer += len(grids) < args.takes
        shown = " ".join(f"{value:.2f}" for value in similarity)
        print(f"{path.name}: {len(grids)} takes; pair cell F1 {shown}", flush=True)
    print(f"{len(songs)} songs: {pairs} pairs of takes, {alike} at cell F1 >= {args.threshold}; "
          f"{fewer} songs with fewer than {args.takes} takes (with the notice)")


if __name__ == "__main__":
    main()
