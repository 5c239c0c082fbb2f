"""A song's arrangement in the lines a musician reads, shared by `main.py --mode arrange` (generation.arrange) and the
DAW helper's `--arrange` (client.arrangement), which may import nothing but the standard library, grpcio and protobuf:
each section with its likeliest parts and their [ids], and the part the song's own drummer plays there where asked.
"""

from __future__ import annotations

from collections.abc import Sequence

SHOWN_PARTS = 3  # parts a section lists in words, best first (--json lists every part of its meter)


def section_lines(key: str, first_bar: int, bars: int, family: str, ranked: Sequence[tuple[str, int]],
                  drummer: tuple[str, int] | None = None, shown: int = SHOWN_PARTS,
                  plays: tuple[str, int] | None = None) -> list[str]:
    """A section's lines: its key, bars and meter family; its `shown` best parts of `ranked` ((name, id), best
    first) and how many more; the part (name, id) a run without --parts plays there, and the drummer's part and its
    rank, where given."""
    lines = [f"{key:6} bars {first_bar}-{first_bar + bars - 1} ({bars} bars, {family})"]
    best = [f"{n}. {name} [{part_id}]" for n, (name, part_id) in enumerate(ranked[:shown], start=1)]
    more = f"; {len(ranked) - shown} more (--json lists every one)" if len(ranked) > shown else ""
    lines.append("       " + "   ".join(best) + more)
    if plays is not None:
        lines.append(f"       left to the plan, it plays: {plays[0]} [{plays[1]}]")
    if drummer is not None:
        place = next((n for n, (_, part_id) in enumerate(ranked, start=1) if part_id == drummer[1]), 0)
        lines.append(f"       the drummer plays: {drummer[0]} [{drummer[1]}]" + (f", ranked {place}" if place else ""))
    return lines
