"""../shared/scoring's style_touch.py figures per genre of the committed table (docs/data/genres.tsv, issue 100:
"every figure per genre comes from this table"), with the songs a pooled figure rests on.

    python -m studies.style_by_genre REFS GEN [--table docs/data/genres.tsv] [--songs 3] [--json OUT]

REFS and GEN hold NAME.drums.mid files (midisplit.py's refs/ and a take's folder, e.g. tools.crossval's
gen-TAG/band/take1): NAME is the table's path without its folder (midi/ or jazz/) and `.mid`, each `/` a `__`,
as midisplit names it. Each song's 4/4 bars are read by style_touch.py itself (its `read` and `figures`), both the
take's and the drummer's; per genre, pooled over its songs: the bars with a snare backbeat, the ridden bars (the ride
on 4 or more 16ths) with the jazz ride's skip note and with the hat foot (GM 44) on 2 and 4, as style_touch counts
them; beside the foot, the ridden bars with a closed hat of either note (42 or 44) on 2 and 4 (`hat_on_backbeats`:
the table's drummers write the foot under a ride as 42 more often than as 44, so the foot alone undercounts theirs);
the touch (each song's median velocity within 12 of its drummer's; hits at 125+ in songs whose drummer plays none
there). Then, per genre, the `--songs` songs with the most ridden bars of the take and their own counts: a pooled
share over ridden bars is often one song's.
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import sys
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path

from tools.scoring_scripts import SCORING, scoring_script

CLOSED_HAT_NOTES = (42, 44)  # GM closed hat and pedal hat: the hat under a ride on 2 and 4, as either is written
BACKBEAT_16THS = {4, 12}  # beats 2 and 4 of a 4/4 bar on the 16th grid, as style_touch reads them
RIDE_NOTES = (51, 53, 59)  # style_touch's ride
MIN_RIDE_16THS = 4  # style_touch's ridden bar: the ride on this many 16ths or more


@dataclass
class StyleCounts:
    """Bar counts of one part (a take's or a drummer's): style_touch's five and the hat on the backbeats."""

    played: int = 0
    backbeat: int = 0
    ridden: int = 0
    skip: int = 0
    foot: int = 0
    hat_on_backbeats: int = 0

    def add(self, other: StyleCounts) -> None:
        for name, value in asdict(other).items():
            setattr(self, name, getattr(self, name) + value)

    def shares(self) -> dict[str, float]:
        """backbeat over the played bars; skip, foot and hat_on_backbeats over the ridden bars (0 where none)."""
        ridden = max(self.ridden, 1)
        return {"backbeat": self.backbeat / max(self.played, 1), "skip": self.skip / ridden,
                "foot": self.foot / ridden, "hat_on_backbeats": self.hat_on_backbeats / ridden}


@dataclass
class GenreFigures:
    """One genre's songs, the take's and the drummers' counts pooled, the touch, and each song's counts."""

    songs: int = 0
    take: StyleCounts = field(default_factory=StyleCounts)
    drummers: StyleCounts = field(default_factory=StyleCounts)
    within_12: int = 0  # songs whose take's median velocity is within 12 of the drummer's
    loud_hits: int = 0  # hits at 125+ of the take in songs whose drummer plays none there
    hits_judged: int = 0  # the take's hits in those songs
    per_song: dict[str, tuple[StyleCounts, StyleCounts]] = field(default_factory=dict)


def hat_on_backbeats(grid: dict) -> int:
    """The ridden bars of style_touch's `grid` (bar -> note -> set of 16ths) with a closed hat (42 or 44) on both
    backbeats."""
    count = 0
    for notes in grid.values():
        ride = set().union(*(notes.get(note, set()) for note in RIDE_NOTES))
        hat = set().union(*(notes.get(note, set()) for note in CLOSED_HAT_NOTES))
        count += len(ride) >= MIN_RIDE_16THS and BACKBEAT_16THS <= hat
    return count


def counts_of(style_touch: object, grid: dict) -> StyleCounts:
    """A part's counts: style_touch's `figures` of its grid and the hat on the backbeats."""
    return StyleCounts(*style_touch.figures(grid), hat_on_backbeats(grid))


def genre_of_names(table: Path) -> dict[str, str]:
    """Each song's genre by the name midisplit gives its files."""
    with table.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    return {row["path"].split("/", 1)[1].rsplit(".", 1)[0].replace("/", "__"): row["genre"] for row in rows}


def by_genre(refs: Path, gen: Path, genres: dict[str, str], style_touch: object) -> dict[str, GenreFigures]:
    """Every genre's figures over the songs in both folders (a song the table lacks counts under "?")."""
    out: dict[str, GenreFigures] = defaultdict(GenreFigures)
    for taken in sorted(gen.glob("*.drums.mid")):
        name = taken.name[: -len(".drums.mid")]
        own = refs / taken.name
        if not own.is_file():
            continue
        (take_grid, take_velocity), (own_grid, own_velocity) = style_touch.read(taken), style_touch.read(own)
        take, drummer = counts_of(style_touch, take_grid), counts_of(style_touch, own_grid)
        figures = out[genres.get(name, "?")]
        figures.songs += 1
        figures.take.add(take)
        figures.drummers.add(drummer)
        figures.per_song[name] = (take, drummer)
        if take_velocity and own_velocity:
            figures.within_12 += abs(statistics.median(take_velocity) - statistics.median(own_velocity)) <= 12
        if own_velocity and max(own_velocity) < 125:
            figures.loud_hits += sum(velocity >= 125 for velocity in take_velocity)
            figures.hits_judged += len(take_velocity)
    return dict(out)


def report(figures: dict[str, GenreFigures], songs: int) -> list[str]:
    """The table's lines: each genre (most songs first), then its songs with the most ridden bars of the take."""
    lines = [("genre: songs | backbeat take (drummers) | ridden bars take (drummers): skip, foot 44, hat 42|44 on 2 "
              "and 4, take (drummers) | touch within 12 | 125+ where the drummer has none")]
    for genre, g in sorted(figures.items(), key=lambda item: (-item[1].songs, item[0])):
        t, d = g.take.shares(), g.drummers.shares()
        lines.append(f"{genre}: {g.songs} | {t['backbeat']:.2f} ({d['backbeat']:.2f}) | {g.take.ridden} "
                     f"({g.drummers.ridden}): skip {t['skip']:.2f} ({d['skip']:.2f}), foot {t['foot']:.2f} "
                     f"({d['foot']:.2f}), hat {t['hat_on_backbeats']:.2f} ({d['hat_on_backbeats']:.2f}) | "
                     f"{g.within_12 / max(g.songs, 1):.2f} | {g.loud_hits / max(g.hits_judged, 1):.3f}")
        ridden = sorted(g.per_song.items(), key=lambda item: -item[1][0].ridden)[:songs]
        for name, (take, drummer) in ridden:
            if take.ridden:
                lines.append(f"    {name}: ridden {take.ridden} of {g.take.ridden}, skip {take.skip}, foot "
                             f"{take.foot}; its drummer ridden {drummer.ridden}, skip {drummer.skip}, foot "
                             f"{drummer.foot}, hat on 2 and 4 {drummer.hat_on_backbeats}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("refs", type=Path, help="the drummers' parts (midisplit.py's refs/)")
    parser.add_argument("gen", type=Path, help="the take's parts (NAME.drums.mid)")
    parser.add_argument("--table", type=Path, default=Path("docs/data/genres.tsv"))
    parser.add_argument("--songs", type=int, default=3, help="songs listed per genre, most ridden bars first")
    parser.add_argument("--scoring", type=Path, default=SCORING, help="the folder of ../shared/scoring")
    parser.add_argument("--json", type=Path, default=None, help="write every genre's and song's counts here")
    args = parser.parse_args(argv)
    for folder in (args.refs, args.gen):
        if not folder.is_dir():
            print(f"error: no folder {folder}: give midisplit.py's refs/ and a take's folder", file=sys.stderr)
            return 2
    figures = by_genre(args.refs, args.gen, genre_of_names(args.table), scoring_script("style_touch", args.scoring))
    if not figures:
        print(f"error: no NAME.drums.mid of {args.gen} has one of the same name in {args.refs}", file=sys.stderr)
        return 2
    print("\n".join(report(figures, args.songs)))
    if args.json is not None:
        args.json.write_text(json.dumps({genre: {**asdict(g), "per_song": {name: [asdict(t), asdict(d)] for name,
                                                                                (t, d) in g.per_song.items()}}
                                         for genre, g in figures.items()}, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
