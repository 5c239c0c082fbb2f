"""Whether a part a musician names sounds as named in songs of every genre (issue 100: "every new part ... its
as-played label equals its name in >= 95% of the phrases it plays, on songs of every genre of the table"):

    python -m studies.named_parts --part "riding the crash" --per-genre 3 --out runs/named-crash.json
    python -m studies.named_parts --every-part --per-genre 3 --out runs/named-4-4.json     # each part of the family

For each genre of docs/data/genres.tsv, the first `--per-genre` songs of ../shared/data (sorted) whose phrases of
the part's meter family the menu counts 4 or more of: every such phrase named the part by its bar range
(`--parts "a-b=PART; ..."`), take 1 played (seed 0), and each named phrase's part as played (parts.played) read
back (a sparse part, read against the song's median phrase, in every 4th phrase). Printed per part and genre: the
named phrases and the share read back with the part's name; the other names read. `--every-part` names each part of
the shipped vocabulary's family in turn (the songs read once).
"""

from __future__ import annotations

import argparse
import csv
import json
from collections import Counter, defaultdict
from pathlib import Path

DATA = Path("..") / "shared" / "data"
TABLE = Path(__file__).resolve().parents[1] / "docs" / "data" / "genres.tsv"
SPARSE_EVERY = 4  # a sparse part is named in every 4th phrase, the others the model's


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


def named_songs(generator, data: Path, per_genre: int, family: str, rows: list[dict]
                ) -> list[tuple[str, Path, list[tuple[int, int]]]]:
    """(genre, song, phrase ranges of `family`) of the first `per_genre` songs of each genre with 4 such phrases or
    more, each read once; a song the product refuses is said in `rows` and skipped."""
    from seq2drum.errors import Seq2DrumError
    from seq2drum.generation.arrange import song_arrangement
    from seq2drum.options import GenerationOptions

    songs = []
    for genre, paths in genre_songs(data, per_genre).items():
        taken = 0
        for path in paths:
            if taken >= per_genre:
                break
            try:
                ranges = named_ranges(song_arrangement(generator, path.read_bytes(), GenerationOptions()), family)
            except Seq2DrumError as error:  # a bad meter, no band ...
                rows.append({"song": str(path), "genre": genre, "error": str(error)[:160]})
                continue
            if len(ranges) >= 4:
                songs.append((genre, path, ranges))
                taken += 1
    return songs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--part", action="append", default=[], help="the part's name, as --parts takes it (repeat)")
    parser.add_argument("--every-part", action="store_true", help="each part of the family's vocabulary in turn")
    parser.add_argument("--family", default="4/4", help="the meter family the part is of")
    parser.add_argument("--per-genre", type=int, default=3)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)

    from seq2drum.errors import Seq2DrumError
    from seq2drum.generation.generator import DrumGenerator
    from seq2drum.options import GenerationOptions

    generator = DrumGenerator.from_checkpoint()
    parts = list(args.part)
    if args.every_part:
        parts += [p.name for p in generator.planner.vocabulary.parts if p.family == args.family and p.name not in parts]
    if not parts:
        parser.error("name a part (--part NAME) or ask for --every-part")
    rows: list[dict] = []
    songs = named_songs(generator, args.data, args.per_genre, args.family, rows)
    levels = {p.name: p.level for p in generator.planner.vocabulary.parts if p.family == args.family}
    summary = {}
    for part in parts:
        totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        others: dict[str, Counter] = defaultdict(Counter)
        for genre, path, all_ranges in songs:
            # a sparse phrase is read against the song's median phrase (parts.labels): named in every phrase, none is
            ranges = all_ranges[::SPARSE_EVERY] if levels.get(part) == "sparse" else all_ranges
            spec = "; ".join(f"{a}-{b}={part}" for a, b in ranges)
            try:
                take = generator.generate(path.read_bytes(), GenerationOptions(seed=0, parts=spec)).takes[0]
            except Seq2DrumError as error:
                rows.append({"part": part, "song": str(path), "genre": genre, "error": str(error)[:160]})
                continue
            played = dict(take.parts)
            names = [played.get(a) for a, _ in ranges]
            same = sum(name == part for name in names)
            totals[genre][0] += len(names)
            totals[genre][1] += same
            others[genre].update(name for name in names if name != part)
            rows.append({"part": part, "song": str(path), "genre": genre, "named": len(names), "as named": same})
        n, same = (sum(v[i] for v in totals.values()) for i in (0, 1))
        by_genre = {genre: {"named": t[0], "as named": t[1], "share": round(t[1] / t[0], 3) if t[0] else None,
                            "read instead": others[genre].most_common(3)} for genre, t in totals.items()}
        summary[part] = {"named": n, "as named": same, "share": round(same / max(n, 1), 3), "genres": by_genre}
        lowest = min(by_genre.items(), key=lambda item: item[1]["share"] or 0, default=("", {}))
        print(f"{part:<40} {same:4d} of {n:4d} = {same / max(n, 1):.3f}; lowest {lowest[0]} "
              f"{lowest[1].get('share')} {lowest[1].get('read instead')}", flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"family": args.family, "summary": summary, "runs": rows}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
