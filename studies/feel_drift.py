"""Does our drummer drift as GMD's do (issue 88 item 4)? feel.drift's two figures, pooled, for GMD's drummers, the
humanizer playing their own hits (the shipped correlation, and every hit drawn on its own as before issue 88), and
generated takes: the lag-1 autocorrelation of onset deviations from the grid within a 4-bar phrase (`onset_lag1`,
straight parts only, as the fit reads timing) and the share of the velocity's variance between phrases
(`phrase_share`).

    python -m studies.feel_drift --data ../shared/data/gmd [--splits train,test]
    python -m studies.feel_drift --data ../shared/data/gmd --gen runs/score/gen/band/take1    # and a model's takes
    python -m studies.feel_drift --splits "" --live SPLIT/band --out runs/live-band             # the live drummer's

A generated take (GEN/X.drums.mid) is read onto its own file's tempo and meter at 4 steps a quarter, as the fit reads
a GMD performance; a part is straight by fit.py's `Performance.straight`. `--live` first plays each
SPLIT/band/X.guitar.mid to the shipped live drummer bar by bar (evaluation.playback, as `--mode evaluate --live`;
seed 0), writes its drums to OUT/X.drums.mid and measures them with the others.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

from seq2drum.feel.drift import INDEPENDENT, onset_lag1, phrase_share
from seq2drum.feel.fit import STEPS_PER_QUARTER, Performance, humanize_all, pooled, read_performances, sixteenths_swing
from seq2drum.feel.model import shipped_tables
from seq2drum.feel.swing import song_swing
from seq2drum.midi.io import read_midi
from seq2drum.song.drum_part import DrumGrid, drums_to_grid
from seq2drum.song.grid import Grid


def read_take(path: Path) -> Performance:
    """A written drum part on its file's grid, as fit.py reads a GMD performance."""
    song = read_midi(path.read_bytes())
    notes = np.concatenate([part.notes for part in song.drum_parts]) if song.drum_parts else np.zeros((0, 4))
    grid = Grid.build(song.ticks_per_quarter, song.time_signatures, song.tempos, song.end_tick, STEPS_PER_QUARTER)
    drums = drums_to_grid(notes.astype(np.int64), grid)
    return Performance(path.name, "", "", drums, grid, song_swing(drums, grid, (0, grid.n_steps)),
                       sixteenths_swing(drums))


def figures(grids: list[DrumGrid], performances: list[Performance]) -> str:
    """The two figures of `grids` (on the performances' grids), and the parts each is over."""
    straight = [(g, p.grid) for g, p in zip(grids, performances) if p.straight]
    every = [(g, p.grid) for g, p in zip(grids, performances)]
    return (f"onset lag-1 {pooled(onset_lag1, straight):6.3f} ({len(straight)} straight)   "
            f"phrase share {pooled(phrase_share, every):.4f} ({len(every)})")


def play_live(songs: Path, out: Path, seed: int = 0) -> None:
    """Each songs/X.guitar.mid played to the shipped live drummer (the whole arrangement), its drums to
    out/X.drums.mid."""
    from seq2drum.evaluation.playback import play_file
    from seq2drum.live.model_drummer import ModelDrummer
    from seq2drum.options import GenerationOptions

    drummer = ModelDrummer()
    out.mkdir(parents=True, exist_ok=True)
    for song in sorted(songs.glob("*.guitar.mid")):
        played = play_file(drummer, song.read_bytes(), GenerationOptions(seed=seed), seed)
        (out / f"{song.name[: -len('.guitar.mid')]}.drums.mid").write_bytes(played.midi_bytes)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=Path("../shared/data/gmd"), help="GMD's folder (with info.csv)")
    parser.add_argument("--splits", default="train,test", help="GMD's splits to measure, a comma list")
    parser.add_argument("--gen", type=Path, nargs="*", default=[], help="folders of generated takes (X.drums.mid)")
    parser.add_argument("--live", type=Path, default=None, help="a folder of X.guitar.mid to play to the live drummer")
    parser.add_argument("--out", type=Path, default=None, help="where --live writes its drums")
    args = parser.parse_args(argv)
    if args.live is not None:
        if args.out is None:
            parser.error("--live needs --out, the folder its drums are written to")
        play_live(args.live, args.out)
        args.gen = [*args.gen, args.out]
    tables = shipped_tables()
    for split in [name.strip() for name in args.splits.split(",") if name.strip()]:
        performances = read_performances(args.data, (split,))
        print(f"GMD {split}, {'the drummers:':24}{figures([p.drums for p in performances], performances)}")
        for label, correlation in (("the humanizer", tables.correlation), ("each hit on its own", INDEPENDENT)):
            played = humanize_all(performances, replace(tables, correlation=correlation), seed=0)
            print(f"GMD {split}, {label + ':':24}{figures(played, performances)}")
    for folder in args.gen:
        takes = [read_take(path) for path in sorted(folder.glob("*.drums.mid"))]
        print(f"{folder}: {figures([take.drums for take in takes], takes)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
