"""How alike the takes of each song are: `--takes N --seed S` with default controls, and the cell F1 (16th step,
drum class; evaluation.metrics) between every pair of takes over the whole file, as issue 23 asks ("every pair
below 0.8, or fewer takes written with the notice").

    python -m studies.take_pairs SONG.mid [...]            # named songs
    python -m studies.take_pairs --data ../shared/data/midi  # every song of a folder (minutes)
    python -m studies.take_pairs --gen runs/cv/gen/band       # the takes tools.crossval wrote (takeK/X.drums.mid)
    python -m studies.take_pairs --gen runs/cv/gen/band --phrases SPLIT/band   # issue 68: phrases unlike take 1's

With --gen the takes are read back from the written files, their cells as ../shared/scoring reads them (each drum
note's onset rounded to the nearest 16th, GM pitches folded into the 9 classes). With --phrases (score_split's
SPLIT/band inputs; ../shared/scoring beside the checkout): per later take, the share of its 4-bar phrases unlike take
1's by phrases.py's measure of a change of part (realism.py's phrases of the songs in 4/4, each phrase's cells folded
over its 4 bars, F1 under 0.6), pooled, and the share of songs with a quarter of their phrases unlike or more.
"""

from __future__ import annotations

import argparse
import itertools
from pathlib import Path

from seq2drum.errors import Seq2DrumError
from seq2drum.generation.generator import DrumGenerator
from seq2drum.groove import take_similarity
from seq2drum.options import GenerationOptions
from seq2drum.song.corpus import find_midi_files
from tools.scoring_scripts import SCORING, scoring_script

PHRASE_CHANGE_F1 = 0.6  # phrases.py: two phrases' folded cells at F1 under this are a change of part
PHRASE_CELLS = (4, 16, 9)  # realism.py's phrase: 4 bars of 16 steps of 9 drum classes


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("songs", type=Path, nargs="*")
    parser.add_argument("--data", type=Path, default=None, help="every MIDI file of this folder too")
    parser.add_argument("--takes", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threshold", type=float, default=0.8)
    parser.add_argument("--gen", type=Path, default=None, help="a folder of written takes: GEN/takeK/X.drums.mid")
    parser.add_argument("--phrases", type=Path, default=None, metavar="SPLIT/band",
                        help="with --gen: phrases unlike take 1's (the band inputs the takes were made for)")
    args = parser.parse_args(argv)
    if args.gen and args.phrases:
        unlike_phrases(args.phrases, args.gen, args.takes)
        return
    if args.gen:
        written_pairs(args.gen, args.takes, args.threshold)
        return
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


def written_cells(path: Path) -> set[tuple[int, int]]:
    """The (16th step, drum class) cells of a written drum file's channel-10 notes."""
    from seq2drum.midi.drums import PITCH_TO_CLASS
    from seq2drum.midi.io import read_midi

    song = read_midi(path.read_bytes())
    cells = set()
    for part in song.drum_parts:
        for start, _, pitch, _ in part.notes.tolist():
            if PITCH_TO_CLASS[pitch] >= 0:
                cells.add((round(4 * start / song.ticks_per_quarter), int(PITCH_TO_CLASS[pitch])))
    return cells


def written_pairs(gen: Path, n_takes: int, threshold: float) -> None:
    """Every pair of the written takes of each song under `gen` (GEN/takeK/X.drums.mid): cell F1 and the count at
    `threshold` or more."""
    pairs, alike, fewer, songs = [], 0, 0, sorted((gen / "take1").glob("*.drums.mid"))
    for take1 in songs:
        files = [gen / f"take{k}" / take1.name for k in range(1, n_takes + 1)]
        cells = [written_cells(path) for path in files if path.is_file()]
        fewer += len(cells) < n_takes
        for a, b in itertools.combinations(cells, 2):
            value = 2 * len(a & b) / max(1, len(a) + len(b))
            pairs.append(value)
            alike += value >= threshold
    print(f"{len(songs)} songs: {len(pairs)} pairs of takes, {alike} at cell F1 >= {threshold} (max "
          f"{max(pairs, default=0):.3f}, mean {sum(pairs) / max(1, len(pairs)):.3f}); {fewer} songs with fewer than "
          f"{n_takes} takes")


def unlike_phrases(inputs: Path, gen: Path, n_takes: int, scoring: Path = SCORING) -> None:
    """Per later take under `gen`, the share of its 4-bar phrases whose cells, folded over the 4 bars, are at F1 under
    PHRASE_CHANGE_F1 against take 1's (../shared/scoring/phrases.py's change of part; realism.py cuts the phrases)."""
    import numpy as np

    realism = scoring_script("realism", scoring)

    for k in range(2, n_takes + 1):
        unlike = total = 0
        shares = []
        for band in sorted(inputs.glob("*.guitar.mid")):
            name = band.name.removesuffix(".guitar.mid") + ".drums.mid"
            first, other = gen / "take1" / name, gen / f"take{k}" / name
            if not (first.is_file() and other.is_file()):
                continue
            a, b = realism.phrases(band, first) or [], realism.phrases(band, other) or []  # None: not in 4/4
            n = min(len(a), len(b))
            if not n:
                continue
            folded = [tuple(np.asarray(v)[: np.prod(PHRASE_CELLS)].reshape(PHRASE_CELLS).max(axis=0) > 0 for v in pair)
                      for pair in zip(a[:n], b[:n])]  # realism.py's vector starts with the phrase's cells
            changed = sum(2 * (x & y).sum() / max(1, x.sum() + y.sum()) < PHRASE_CHANGE_F1 if x.any() or y.any()
                          else False for x, y in folded)
            unlike, total = unlike + changed, total + n
            shares.append(changed / n)
        print(f"take {k}: {len(shares)} songs, phrases unlike take 1's {unlike / max(total, 1):.3f} (pooled), songs "
              f"with >= 25% unlike: {np.mean(np.array(shares) >= 0.25) if shares else 0:.2f}")


if __name__ == "__main__":
    main()
