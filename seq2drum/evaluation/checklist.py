"""A musician's checklist, song by song: faults a drummer hears at once, each judged against the song's real drummer
over the song's span, with the definitions of ../shared/scoring/checklist.py (docs/evaluation.md lists them).

Per bar of the span, for a part and for the real drums: whether it plays, crashes on the downbeat, has a snare, has
a tom, its hit cells, and in fill bars (`metrics.structure_flags`) the tom and snare hits of the bar's last beat. A
fault needs the real drummer to differ, so the real part judged against itself has none.
"""

from __future__ import annotations

import statistics
from typing import Any

import numpy as np

from seq2drum.evaluation.metrics import Span, bars_in_span, structure_flags
from seq2drum.midi.drums import CRASH, SNARE, TOMS
from seq2drum.song.grid import BAR_DENOMINATOR, BAR_NUMERATOR, BAR_START, Grid

FAULTS = ("crash_ridden", "crash_happy", "no_backbeat", "tom_groove", "weak_fills", "too_busy", "too_sparse",
          "missing", "no_output")
FAMILIES = ("4/4", "3/4", "compound", "other", "mixed")
FAMILY_SHARE = 0.8  # a song's meter family is that of this share of its span's bars, else "mixed"


def profile(hits: np.ndarray, grid: Grid, span: Span) -> dict[str, Any]:
    """What the checklist reads of a part's hits (n_steps, 9) over the span: shares of playing bars that crash on
    the downbeat, have a snare or a tom, hit cells per playing bar, the resting share, fills and their median
    last-beat tom and snare hits."""
    bars = bars_in_span(grid, span)
    beat = grid.beat_steps()
    flags = structure_flags(hits, grid, span)
    playing, crash, snare, tom, cells, fills = 0, 0, 0, 0, 0, []
    for row, (start, n_steps) in enumerate(bars.tolist()):
        bar = hits[start : start + n_steps]
        if bar.any():
            playing += 1
            crash += bool(bar[0, CRASH])
            snare += bool(bar[:, SNARE].any())
            tom += bool(bar[:, list(TOMS)].any())
            cells += int(bar.sum())
        if flags[row, 2]:
            last = bar[max(0, n_steps - int(beat[start])) :]
            fills.append(int(last[:, [*TOMS, SNARE]].sum()))
    n = playing or 1
    return {"bars": len(bars), "playing": playing, "crash_share": crash / n, "crash_per8": 8 * crash / n,
            "snare_share": snare / n, "tom_share": tom / n, "hits_per_bar": cells / n,
            "rest_share": 1 - playing / (len(bars) or 1), "fills": len(fills),
            "fill_median": statistics.median(fills) if fills else None}


def faults(part: dict[str, Any], real: dict[str, Any]) -> list[str]:
    """The faults of a part's profile against the real drummer's (both from `profile`)."""
    found = []
    if part["crash_share"] > 0.5 and part["crash_share"] > real["crash_share"] + 0.25:
        found.append("crash_ridden")
    if part["crash_per8"] > 2 * real["crash_per8"] + 1.5:
        found.append("crash_happy")
    if real["snare_share"] >= 0.5 and part["snare_share"] < 0.2:
        found.append("no_backbeat")
    if part["tom_share"] > 0.5 and real["tom_share"] < 0.2:
        found.append("tom_groove")
    if (part["fills"] >= 2 and (part["fill_median"] or 0) <= 1 and real["fill_median"] is not None
            and real["fill_median"] >= 3):
        found.append("weak_fills")
    if real["hits_per_bar"] and part["playing"]:
        ratio = part["hits_per_bar"] / real["hits_per_bar"]
        if ratio > 2:
            found.append("too_busy")
        if ratio < 0.5:
            found.append("too_sparse")
    if part["rest_share"] > real["rest_share"] + 0.25:
        found.append("missing")
    return found


def song_faults(hits: np.ndarray, real: np.ndarray, grid: Grid, span: Span) -> list[str]:
    """The checklist's faults of a part's hits against the real drums' (both (n_steps, 9)) over the span."""
    return faults(profile(hits, grid, span), profile(real, grid, span))


def meter_family(grid: Grid, span: Span) -> str:
    """4/4, 3/4, compound (6/8, 9/8, 12/8) or other, where FAMILY_SHARE of the span's bars are in it; else mixed."""
    start = grid.bars[:, BAR_START]
    bars = grid.bars[(start >= span[0]) & (start < span[1])]
    counts: dict[str, int] = {}
    for numerator, denominator in bars[:, [BAR_NUMERATOR, BAR_DENOMINATOR]].tolist():
        family = ("4/4" if (numerator, denominator) == (4, 4) else "3/4" if (numerator, denominator) == (3, 4)
                  else "compound" if (numerator, denominator) in ((6, 8), (9, 8), (12, 8)) else "other")
        counts[family] = counts.get(family, 0) + 1
    if not counts:
        return "4/4"
    family, n = max(counts.items(), key=lambda item: item[1])
    return family if n >= FAMILY_SHARE * sum(counts.values()) else "mixed"


def summarize_faults(rows: list[tuple[str, list[str]]]) -> dict[str, Any]:
    """(meter family, faults) per song -> songs, the share with any fault, songs per fault, and per family the songs
    and the faulty songs."""
    summary: dict[str, Any] = {"songs": len(rows), "any": sum(bool(f) for _, f in rows) / max(1, len(rows))}
    summary.update({name: sum(name in f for _, f in rows) for name in FAULTS})
    summary["by_family"] = {family: {"songs": sum(fam == family for fam, _ in rows),
                                     "faulty": sum(fam == family and bool(f) for fam, f in rows)}
                            for family in FAMILIES if any(fam == family for fam, _ in rows)}
    return summary
