"""Whether a part a musician names sounds as named in songs of every genre (issue 100: "every new part ... its
as-played label equals its name in >= 95% of the phrases it plays, on songs of every genre of the table"):

    python -m studies.named_parts --part "riding the crash" --per-genre 3 --out runs/named-crash.json

For each genre of docs/data/genres.tsv, the first `--per-genre` songs of ../shared/data (sorted) whose phrases of
the part's meter family the menu counts 4 or more of: every such phrase named the part by its bar range
(`--parts "a-b=PART; ..."`), take 1 played (seed 0), and each named phrase's part as played (parts.played) read
back. Printed per genre: the named phrases and the share read back with the part's name; the other names read.
"""

from __future__ import annotations

import argparse
import csv
import json
from collections import Counter, defaultdict
from pathlib import Path

DATA = Path("..") / "shared" / "data"
TABLE = Path(__file__).resolve().parents[1] / "docs" / "data" / "genres.tsv"


def genre_songs(data: Path, per_genre: int) -> dict[str, list[Path]]:
    """The table's songs by genre, sorted, the paths that exist under `data`."""
    by_genre: dict[str, list[Path]] = defaultdict(list)
    with open(TABLE, newline="") as table:
        for row in csv.DictReader(table, delimiter="\t"):
            path = data / row["path"]
            if path.exists():
                by_genre[row["genre"]].append(path)
    return {genre: sorted(paths) for genre, paths in sorted(by_genre.items())}


def named_ranges(menu, family: str) -> list[tuple[int, int]]:
    """(first bar, last bar), 1-based, of each phrase of the menu's arrangement in meter `family`."""
    arrangement = menu.arrangement
    return [(arrangement.first_bar + phrase.start_row + 1, arrangement.first_bar + phrase.end_row)
            for phrase, phrase_family in zip(arrangement.phrases, arrangement.families) if phrase_family == family]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--part", required=True, help="the part's name, as --parts takes it")
    parser.add_argument("--family", default="4/4", help="the meter family the part is of")
    parser.add_argument("--per-genre", type=int, default=3)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)

    from seq2drum.errors import Seq2DrumError
    from seq2drum.generation.arrange import song_arrangement
    from seq2drum.generation.generator import DrumGenerator
    from seq2drum.options import GenerationOptions

    generator = DrumGenerator.from_checkpoint()
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    others: dict[str, Counter] = defaultdict(Counter)
    rows = []
    for genre, paths in genre_songs(args.data, args.per_genre).items():
        taken = 0
        for path in paths:
            if taken >= args.per_genre:
                break
            midi = path.read_bytes()
            try:
                ranges = named_ranges(song_arrangement(generator, midi, GenerationOptions()), args.family)
                if len(ranges) < 4:
                    continue
                spec = "; ".join(f"{a}-{b}={args.part}" for a, b in ranges)
                take = generator.generate(midi, GenerationOptions(seed=0, parts=spec)).takes[0]
            except Seq2DrumError as error:  # a song the product refuses (a bad meter, no band ...): said, skipped
                rows.append({"song": str(path), "genre": genre, "error": str(error)[:160]})
                continue
            taken += 1
            played = dict(take.parts)
            names = [played.get(a) for a, _ in ranges]
            same = sum(name == args.part for name in names)
            totals[genre][0] += len(names)
            totals[genre][1] += same
            others[genre].update(name for name in names if name != args.part)
            rows.append({"song": str(path), "genre": genre, "named": len(names), "as named": same})
            print(f"{genre:<8} {path.name:<40} {same:3d} of {len(names):3d}", flush=True)
    n, same = (sum(v[i] for v in totals.values()) for i in (0, 1))
    summary = {genre: {"named": t[0], "as named": t[1], "share": round(t[1] / t[0], 3) if t[0] else None,
                       "read instead": others[genre].most_common(3)} for genre, t in totals.items()}
    for genre, figures in summary.items():
        print(f"{genre:<8} {figures['as named']:4d} of {figures['named']:4d} = {figures['share']}  "
              f"{figures['read instead']}")
    print(f"all      {same:4d} of {n:4d} = {same / max(n, 1):.3f}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"part": args.part, "summary": summary, "runs": rows}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
