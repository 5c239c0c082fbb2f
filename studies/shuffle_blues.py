"""Does `--style shuffle` play a blues drummer's shuffle (issue 100: a backbeat under shuffled time)? Take 1 of the
genre table's blues and shuffles (docs/data/genres.tsv) under the style, each bar read by ../shared/scoring's
style_touch.py (a snare on beats 2 and 4 of a played bar, 4-quarter bars from the file's start) in the song's 4/4
bars, beside the song's own drummer.

    OMP_NUM_THREADS=1 python -m studies.shuffle_blues [--data ../shared/data] [--out runs/shuffle-blues] [--style S]

The songs: every row the table calls blues, and the shuffles found by their drummers' own bars (`SHUFFLE_BARS` of
the song's 4/4 bars hold time-keeping on the last 16th of 3 beats or more, at most one straight off-beat eighth, and
a snare on 2 and 4: what a shuffle drummer plays). A song whose main meter the style does not play is listed with the
style's refusal. Writes OUT/gen/NAME.drums.mid and OUT/refs/NAME.drums.mid (the song's own drums), so
`python ../shared/scoring/style_touch.py OUT/refs OUT/gen` gives the pooled figures over the same files.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

from seq2drum.errors import Seq2DrumError
from seq2drum.generation.generator import DrumGenerator
from seq2drum.midi.io import read_midi
from seq2drum.options import GenerationOptions
from tools.scoring_scripts import scoring_script

SHUFFLE_BARS = 0.7  # of a song's 4/4 bars its drummer plays as a shuffle: the song is a shuffle
TIME = (42, 44, 46, 51, 53, 59)  # the hats and the ride, as style_touch.py reads the ride


def four_four_bars(data: bytes) -> set[int]:
    """The 4-quarter bars (style_touch.py's, counted from the file's start) that lie in 4/4 by the song's meter map."""
    song = read_midi(data)
    changes = sorted(song.time_signatures) + [(song.end_tick, 0, 0)]
    bars: set[int] = set()
    quarter = song.ticks_per_quarter
    for (start, num, den), (end, _, _) in zip(changes, changes[1:]):
        if (num, den) != (4, 4) or start % (4 * quarter):
            continue
        bars.update(range(start // (4 * quarter), -(-end // (4 * quarter))))
    return bars


def shuffle_bar(bar: dict) -> bool:
    """A drummer's bar as style_touch.py reads it (16th -> notes): time on the last 16th of 3+ beats, at most one
    straight off-beat eighth, the snare on 2 and 4."""
    time = set().union(*(bar[p] for p in TIME))
    snare = set().union(*(bar[p] for p in (37, 38, 40)))
    return len(time & {3, 7, 11, 15}) >= 3 and len(time & {2, 6, 10, 14}) <= 1 and {4, 12} <= snare


def backbeat_share(grid: dict, bars: set[int]) -> tuple[int, int]:
    """(played 4/4 bars, those with a snare on 2 and 4), style_touch.py's reading."""
    style_touch = scoring_script("style_touch")
    kept = {b: grid[b] for b in grid if b in bars}
    played, backbeat, _, _, _ = style_touch.figures(kept)
    return played, backbeat


def chosen_songs(table: Path, data: Path) -> list[tuple[dict[str, str], str]]:
    """(row, why) of the table's blues and of the shuffles its drummers play."""
    style_touch = scoring_script("style_touch")
    out = []
    with table.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            if row["genre"] == "blues":
                out.append((row, "blues"))
                continue
            if row["genre"] == "jazz":
                continue
            path = data / row["path"]
            try:
                grid, _ = style_touch.read(path)
                bars = four_four_bars(path.read_bytes())
            except (Seq2DrumError, OSError, ValueError, EOFError, KeyError):
                continue
            played = [b for b in grid if b in bars and any(grid[b].values())]
            if played and sum(shuffle_bar(grid[b]) for b in played) / len(played) >= SHUFFLE_BARS:
                out.append((row, "shuffle"))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--table", type=Path, default=Path("docs/data/genres.tsv"))
    parser.add_argument("--out", type=Path, default=Path("runs/shuffle-blues"))
    parser.add_argument("--style", default="shuffle")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    style_touch = scoring_script("style_touch")
    generator = DrumGenerator.from_checkpoint()
    (args.out / "gen").mkdir(parents=True, exist_ok=True)
    (args.out / "refs").mkdir(parents=True, exist_ok=True)
    totals = {"blues": [0, 0, 0, 0], "shuffle": [0, 0, 0, 0]}  # played, backbeat; the drummers' played, backbeat
    per_song = {}
    print("| song | table | 4/4 bars | backbeat, take 1 | backbeat, its drummer |\n|---|---|---|---|---|")
    for row, why in chosen_songs(args.table, args.data):
        path = args.data / row["path"]
        name = path.stem
        data = path.read_bytes()
        try:
            result = generator.generate(data, GenerationOptions(style=args.style, seed=args.seed))
        except Seq2DrumError as exc:
            print(f"| {name} | {why} | - | refused: {str(exc)[:90]} | - |")
            per_song[name] = {"why": why, "refused": str(exc)}
            continue
        gen, ref = args.out / "gen" / f"{name}.drums.mid", args.out / "refs" / f"{name}.drums.mid"
        gen.write_bytes(result.midi_bytes)
        ref.write_bytes(data)
        bars = four_four_bars(data)
        played, backbeat = backbeat_share(style_touch.read(gen)[0], bars)
        ref_played, ref_backbeat = backbeat_share(style_touch.read(ref)[0], bars)
        totals[why] = [a + b for a, b in zip(totals[why], (played, backbeat, ref_played, ref_backbeat))]
        per_song[name] = {"why": why, "bars": played, "backbeat": backbeat, "drummer_bars": ref_played,
                          "drummer_backbeat": ref_backbeat, "heard": result.heard_line}
        print(f"| {name} | {why} | {played} | {backbeat / max(played, 1):.0%} | "
              f"{ref_backbeat / max(ref_played, 1):.0%} |")
    for why, (played, backbeat, ref_played, ref_backbeat) in totals.items():
        print(f"{why}: backbeat in {backbeat} of {played} 4/4 bars ({backbeat / max(played, 1):.1%}); "
              f"their drummers {ref_backbeat / max(ref_played, 1):.1%}")
    (args.out / "figures.json").write_text(json.dumps({"totals": totals, "songs": per_song}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
