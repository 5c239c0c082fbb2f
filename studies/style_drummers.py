"""Does each `--style` of its drummers' bars (bossa, funk, hip-hop, samba, afrobeat) play as its drummers play it (issue
100: a named part sounds as named in any song, its cells its drummers')? Take 1 (`--take K`: take K) under the style
on the genre table's songs (docs/data/genres.tsv) of a few genres, each 4/4 bar of the written file (4-quarter bars
from the file's start that lie in 4/4 by the song's meter map, on the 16th grid) read as the style (`READS`: a bossa
by groove.styles' own `bossa`, the kick on 1, the "and" of 2, 3 and the "and" of 4, none on 2 or 4, time kept, no
backbeat; funk and hip-hop as the snare on 2 and 4 with the kick or a snare on an "e" or an "a"; `samba`,
`afrobeat`), and counted where it is exactly one of the style's drummers' bars (seq2drum/groove/style_grooves.npz,
tools.fit_style_grooves: the Groove MIDI Dataset's).

OMP_NUM_THREADS=1 python -m studies.style_drummers [--style bossa] [--genres jazz,latin] [--seed 1]

Run from another checkout (`cd /tmp/ref && PYTHONPATH=. python /this/studies/style_drummers.py`) it measures that
checkout's style against this one's drummers' bars. Prints a line per genre and the pooled one; `--json` the rows."""

from __future__ import annotations

import argparse
import csv
import json
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

from seq2drum.errors import Seq2DrumError
from seq2drum.generation.generator import DrumGenerator
from seq2drum.groove import bossa
from seq2drum.midi.drums import CLOSED_HAT, KICK, OPEN_HAT, SNARE
from seq2drum.midi.io import read_midi
from seq2drum.options import GenerationOptions
from seq2drum.song.drum_part import drums_to_grid
from seq2drum.song.grid import Grid
from studies.shuffle_blues import four_four_bars

TABLE = Path(__file__).resolve().parents[1] / "docs" / "data" / "genres.tsv"
DRUMMERS = Path(__file__).resolve().parents[1] / "seq2drum" / "groove" / "style_grooves.npz"
BAR = 16  # a 4/4 bar in 16ths


def funk(bar: np.ndarray, steps_per_quarter: int) -> bool:
    """A funk bar on the 16th grid: the snare on 2 and 4, and the kick or the snare on an "e" or an "a"."""
    return bool(bar[[4, 12], SNARE].all() and bar[1::2][:, [KICK, SNARE]].any())


def samba(bar: np.ndarray, steps_per_quarter: int) -> bool:
    """A samba bar on the 16th grid: the kick on every beat (the surdo), and 12 of its 16ths struck."""
    return bool(bar[[0, 4, 8, 12], KICK].all() and bar.any(axis=1).sum() >= 12)


def afrobeat(bar: np.ndarray, steps_per_quarter: int) -> bool:
    """An afrobeat bar on the 16th grid: time kept on the hat (4 of its eighths), the kick or the snare off the beat
    (on an "and", an "e" or an "a")."""
    off_beats = np.arange(16) % 4 != 0
    return bool(bar[::2, CLOSED_HAT:OPEN_HAT + 1].any(axis=1).sum() >= 4 and bar[off_beats][:, [KICK, SNARE]].any())


READS = {"bossa": bossa, "funk": funk, "hip-hop": funk, "samba": samba, "afrobeat": afrobeat}  # how a bar is read


def drummers_bars(style: str, path: Path = DRUMMERS) -> set[bytes]:
    """The style's drummers' bars (16, 9) bool as bytes, to find in an output."""
    with np.load(path, allow_pickle=False) as stored:
        return {bar.tobytes() for bar, name in zip(stored["hits"], stored["styles"].tolist()) if name == style}


def bar_figures(drums_midi: bytes, bars: set[int], known: set[bytes], style: str) -> dict[str, float]:
    """4/4 bars played, read as the style, one of its drummers' bars; distinct bars; median velocity, of one
    output."""
    song = read_midi(drums_midi)
    notes = np.concatenate([part.notes for part in song.drum_parts]) if song.drum_parts else np.zeros((0, 4))
    grid = Grid.build(song.ticks_per_quarter, song.time_signatures, song.tempos, song.end_tick, 4)
    drums = drums_to_grid(notes.astype(np.int64), grid)
    played = [drums.hits[b * BAR: (b + 1) * BAR] for b in sorted(bars) if (b + 1) * BAR <= len(drums.hits)]
    played = [bar for bar in played if bar.any()]
    return {"bars": len(played), "read": sum(READS[style](bar, 4) for bar in played),
            "drummers": sum(bar.tobytes() in known for bar in played),
            "distinct": len({bar.tobytes() for bar in played}),
            "velocity": float(np.median(drums.velocity[drums.hits])) if drums.hits.any() else 0.0}


def songs_of(data: Path, genres: list[str], per_genre: int) -> list[tuple[str, Path]]:
    """(genre, path) of the first `per_genre` songs of each genre in the table's order that are on disk."""
    chosen: dict[str, list[Path]] = defaultdict(list)
    with open(TABLE, newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            path = data / row["path"]
            if row["genre"] in genres and len(chosen[row["genre"]]) < per_genre and path.is_file():
                chosen[row["genre"]].append(path)
    return [(genre, path) for genre in genres for path in chosen[genre]]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--style", choices=sorted(READS), default="bossa")
    parser.add_argument("--genres", default="jazz,latin,rock", help="genres of the table, comma-separated")
    parser.add_argument("--songs", type=int, default=12, help="songs per genre at most")
    parser.add_argument("--seed", type=int, default=1, help="the drummer (the same for every song)")
    parser.add_argument("--take", type=int, default=1, help="the take read (a later take: another reading)")
    parser.add_argument("--json", type=Path, help="write the per-song rows here")
    args = parser.parse_args(argv)
    known = drummers_bars(args.style)
    generator = DrumGenerator.from_checkpoint()
    rows = []
    for genre, path in songs_of(args.data, args.genres.split(","), args.songs):
        data = path.read_bytes()
        try:
            result = generator.generate(data, GenerationOptions(style=args.style, seed=args.seed, takes=args.take))
        except Seq2DrumError as error:  # a song whose meters the style does not play
            print(f"{path.name}: {error}")
            continue
        if len(result.takes) < args.take:
            print(f"{path.name}: {len(result.takes)} takes, not {args.take}")
            continue
        figures = bar_figures(result.takes[args.take - 1].midi_bytes, four_four_bars(data), known, args.style)
        rows.append({"genre": genre, "song": path.name, **figures})
    pooled: dict[str, Counter] = defaultdict(Counter)
    for row in rows:
        for key in ("bars", "read", "drummers", "distinct"):
            pooled[row["genre"]][key] += row[key]
            pooled["all"][key] += row[key]
        pooled[row["genre"]]["songs"] += 1
        pooled["all"]["songs"] += 1
    for genre, total in pooled.items():
        velocity = np.median([r["velocity"] for r in rows if genre in ("all", r["genre"])])
        bars = total["bars"]
        print(f"{genre}: {total['songs']} songs, {bars} 4/4 bars, {args.style} {total['read'] / bars:.1%}, "
              f"the drummers' own {total['drummers'] / bars:.1%}, "
              f"{total['distinct'] / total['songs']:.1f} distinct bars a song, median velocity {velocity:.0f}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1) + "\n")


if __name__ == "__main__":
    main()
