"""Whether what a take prints is what it plays (issue 99): the plan's part of each phrase (what "its plan" and the
menu claim) against the part read off the take's own hits (parts.played), take by take, plain, under a style and
with the song's own drummer's `--parts` line (`--mode arrange --drummer`):

    python -m studies.plan_played --out runs/plan-played.json                 # the first 20 songs + 3 in other meters
    python -m studies.plan_played --songs 6 --seeds 7 --kinds plain --out runs/plan-played-6.json

For each run: per take, the phrases whose plan is played (a plan of parts, not a held one) and the share whose
name as played equals the plan's; with the drummer's line, the share of the phrases he names that read back as
named; and the menu's mark (`--mode arrange`'s part a plain run plays) against what take 1 of the plain run plays,
by section (the label of most of its phrases). Songs: ../shared/data/midi in sorted order, the first `--songs`,
then the first `--other` whose commonest meter family is not 4/4.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter, defaultdict
from pathlib import Path

DATA = Path("..") / "shared" / "data" / "midi"


def songs(data: Path, first: int, other: int) -> list[Path]:
    """The first `first` songs in sorted order, then `other` more: the first in 3/4, in a compound meter and in
    5/4 or 7/8 (MANIFEST.tsv's `time_signature`), in turn."""
    import csv

    paths = sorted(data.rglob("*.mid")) + sorted(data.rglob("*.MID"))
    paths = sorted(set(paths))
    with open(data.parent / "MANIFEST.tsv", newline="") as manifest:
        meters = {row["path"]: row["time_signature"] for row in csv.DictReader(manifest, delimiter="\t")}
    wanted = [("3/4",), ("6/8", "9/8", "12/8"), ("5/4", "7/8", "7/4", "5/8")]  # one song of each family, in turn
    odd = []
    for meters_of_family in wanted * other:
        found = next((p for p in paths[first:] if p not in odd
                      and meters.get(f"{data.name}/{p.relative_to(data)}", "").split(",")[0].strip()
                      in meters_of_family), None)
        if found is not None and len(odd) < other:
            odd.append(found)
    return paths[:first] + odd


def style_for(generator, midi: bytes) -> str:
    """A style that fits the song's first meter: the meter's own where it has one, else eighths on the ride."""
    from seq2drum.generation.arrange import song_arrangement
    from seq2drum.options import GenerationOptions

    arrangement = song_arrangement(generator, midi, GenerationOptions()).arrangement
    family = Counter(arrangement.families).most_common(1)[0][0] if arrangement.families else "4/4"
    return {"3/4": "waltz", "compound": "six-eight", "other": "odd-meter"}.get(family, "ride-8ths")


def take_figures(take) -> tuple[int, int]:
    """(phrases planned, of them played as planned) of one take."""
    if not take.planned:
        return 0, 0
    played = dict(take.parts)
    same = sum(played.get(bar) == name for bar, name in take.planned)
    return len(take.planned), same


def menu_marks(generator, midi: bytes, take, totals: dict[str, list[int]]) -> None:
    """Adds to totals["menu mark"] each section of `--mode arrange`'s menu whose mark (the part it says a run without
    --parts plays there, `SongArrangement.plain`) is the commonest part take 1 of a plain run plays in it."""
    from seq2drum.generation.arrange import song_arrangement
    from seq2drum.options import GenerationOptions

    menu = song_arrangement(generator, midi, GenerationOptions())
    played = dict(take.parts)
    first_bar, phrases = menu.arrangement.first_bar, menu.arrangement.phrases
    for section in menu.arrangement.sections:
        marked = menu.plain.get(section.key)
        names = [played.get(first_bar + phrases[j].start_row + 1) for j in section.phrases]
        commonest = Counter(n for n in names if n).most_common(1)
        if marked is not None and commonest:
            totals["menu mark"][0] += 1
            totals["menu mark"][1] += marked.name == commonest[0][0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--songs", type=int, default=20)
    parser.add_argument("--other", type=int, default=3)
    parser.add_argument("--seeds", default="0,7")
    parser.add_argument("--takes", type=int, default=4)
    parser.add_argument("--kinds", default="plain,style,drummer")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)

    from seq2drum.errors import ConfigError
    from seq2drum.generation.arrange import song_arrangement
    from seq2drum.generation.generator import DrumGenerator
    from seq2drum.options import GenerationOptions

    generator = DrumGenerator.from_checkpoint()
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    rows = []
    for path in songs(args.data, args.songs, args.other):
        midi = path.read_bytes()
        try:
            drummer = song_arrangement(generator, midi, GenerationOptions(), drummer=True)
            line = drummer.parts_value()
        except ConfigError:
            drummer, line = None, ""
        style = style_for(generator, midi)
        for seed in (int(s) for s in args.seeds.split(",")):
            for kind in args.kinds.split(","):
                extra = {"plain": {}, "style": {"style": style}, "drummer": {"parts": line}}[kind]
                if kind == "drummer" and not line:
                    continue
                try:
                    made = generator.generate(midi, GenerationOptions(seed=seed, takes=args.takes, **extra))
                except ConfigError as error:
                    rows.append({"song": path.name, "seed": seed, "kind": kind, "error": str(error)[:120]})
                    continue
                row = {"song": path.name, "seed": seed, "kind": kind, "takes": []}
                for take in made.takes:
                    planned, same = take_figures(take)
                    totals[f"{kind} take{take.index}"][0] += planned
                    totals[f"{kind} take{take.index}"][1] += same
                    row["takes"].append({"plan": take.plan, "planned": planned, "same": same})
                if kind == "plain" and seed == int(args.seeds.split(",")[0]):
                    menu_marks(generator, midi, made.takes[0], totals)
                rows.append(row)
                print(path.name, seed, kind, [(t["planned"], t["same"]) for t in row["takes"]], flush=True)
    summary = {key: {"phrases": n, "as planned": same, "share": round(same / n, 3) if n else None}
               for key, (n, same) in sorted(totals.items())}
    for key, figures in summary.items():
        print(f"{key:<16} {figures['as planned']:5d} of {figures['phrases']:5d} = {figures['share']}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"summary": summary, "runs": rows}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
