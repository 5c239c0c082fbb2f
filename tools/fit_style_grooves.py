"""The grooves `--style` plays from a style's own drummers (issue 100: "each part's cells, fills and touch come from
that part's drummers"): the Groove MIDI Dataset's beats (../shared/data/gmd; Gillick et al. 2019, CC BY 4.0) of the
GMD styles that play a style of parts.traits (`SOURCES`: bossa, funk, hip-hop, samba, afrobeat), quantized to 16ths,
each bar named by groove.styles' `entry_family`; the style's bars (`FAMILIES`) stand for themselves in a few entries:
- an entry is a bar a drummer played, the one with the most bars like it (cell F1 >= SIMILAR) among the bars left;
  those bars are then taken out, and so on, up to MAX_ENTRIES entries, while an entry stands for MIN_BARS bars;
- its velocity and offset at each cell are the medians of those bars' hits there (the drummers' touch and push:
  GMD's bossa at 43); a bar with a crash or a fill's toms is left out (groove.marks' and groove.structure's);
- `counts` is the number of bars an entry stands for.

    python -m tools.fit_style_grooves --data ../shared/data/gmd     # a minute; writes seq2drum/groove/style_grooves.*

groove.vocabulary appends the entries to a loaded model's codebook, named by their style (groove.styles), for
`--style` to play (designed: never the model's own choice).
"""

from __future__ import annotations

import argparse
import csv
import datetime
import json
from pathlib import Path

import numpy as np

from seq2drum.atomic import write_atomic
from seq2drum.groove import STYLE_GROOVES, entry_family, pattern_f1
from seq2drum.midi.drums import CLOSED_HAT, CRASH, NUM_DRUM_CLASSES, OPEN_HAT, SNARE, TOMS
from seq2drum.midi.io import read_midi
from seq2drum.song.drum_part import drums_to_grid
from seq2drum.song.grid import Grid
from seq2drum.song.phrases import FILL_TOM_HITS

STEPS_PER_QUARTER = 4  # the 16th grid the entries are written on (groove.vocabulary scales them to a model's)
BAR_STEPS = 16  # 4/4: every style GMD has enough beats of is played in 4/4
# the GMD styles (info.csv's style column) whose drummers play each style of parts.traits, and the families
# (groove.styles `entry_family`) of their bars that play it: the bossa's bossa bars; funk's and hip-hop's bars kept
# on the hat in eighths or 16ths, each with the snare on 2 and 4 (`BACKBEAT`): their ghost notes and kicks off the
# beat are the drummers' own (their half-time, ride and four-on-the-floor bars are other styles'); samba's kick on
# every beat (four on the floor) under a snare in 16ths (a "break" to the rules: no crash, no toms here); afrobeat's
# bars on the hat or with the kick on every beat
SOURCES = {"bossa": ("latin/brazilian-bossa",),
           "funk": ("funk", "funk/groove1", "funk/groove2", "funk/groove5", "funk/fast", "funk/rock",
                    "neworleans/funk"),
           "hip-hop": ("hiphop", "hiphop/groove6"),
           "samba": ("latin/brazilian-samba", "latin/samba"),
           "afrobeat": ("afrobeat",)}
HATS = ("straight-8ths", "16th-hats")
FAMILIES = {"bossa": ("bossa",), "funk": HATS, "hip-hop": HATS, "samba": ("four-on-the-floor", "break"),
            "afrobeat": (*HATS, "four-on-the-floor")}
BACKBEAT = {"funk", "hip-hop"}
SIMILAR = 0.8  # cell F1 at which two bars are the same groove, played with variations
MAX_ENTRIES, MIN_BARS = 8, 8


def style_bars(root: Path, style: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """(N, 16, 9) hits, velocities and offsets of the 4/4 bars of the GMD beats that play `style`, of its families
    (`FAMILIES`, `BACKBEAT`); and the files they came from."""
    with open(root / "info.csv", newline="") as handle:
        rows = [row for row in csv.DictReader(handle) if row["beat_type"] == "beat" and row["time_signature"] == "4-4"
                and row["style"] in SOURCES[style]]
    hits, velocity, offset = [], [], []
    for row in rows:
        song = read_midi(root / row["midi_filename"])
        notes = np.concatenate([part.notes for part in song.drum_parts])
        grid = Grid.build(song.ticks_per_quarter, song.time_signatures, song.tempos, song.end_tick, STEPS_PER_QUARTER)
        drums = drums_to_grid(notes.astype(np.int64), grid)
        for start in range(0, len(drums.hits) - BAR_STEPS + 1, BAR_STEPS):
            bar = drums.hits[start: start + BAR_STEPS].copy()
            bar[:, CLOSED_HAT] &= ~bar[:, OPEN_HAT]  # one hat a 16th, the open one (groove.decide `one_hat_a_step`)
            # a crash on the one is the section's (groove.marks), toms a fill's (song.phrases), not the groove's
            groove = not bar[:, CRASH].any() and bar[:, list(TOMS)].sum() < FILL_TOM_HITS
            groove &= style not in BACKBEAT or bool(bar[[4, 12], SNARE].all())
            if bar.any() and groove and entry_family(bar, BAR_STEPS, False, STEPS_PER_QUARTER) in FAMILIES[style]:
                hits.append(bar)
                velocity.append(drums.velocity[start: start + BAR_STEPS])
                offset.append(drums.offset[start: start + BAR_STEPS])
    shape = (-1, BAR_STEPS, NUM_DRUM_CLASSES)
    return (np.array(hits, bool).reshape(shape), np.array(velocity, np.float32).reshape(shape),
            np.array(offset, np.float32).reshape(shape), [row["midi_filename"] for row in rows])


def cell_medians(values: np.ndarray, hits: np.ndarray) -> np.ndarray:
    """(16, 9) the median of `values` (m, 16, 9) over the bars that hit each cell; 0 where none does."""
    masked = np.where(hits, values, np.nan)
    played = hits.any(axis=0)
    out = np.zeros(hits.shape[1:], np.float32)
    out[played] = np.nanmedian(masked[:, played], axis=0)
    return out


def entries(hits: np.ndarray, velocity: np.ndarray, offset: np.ndarray) -> list[dict[str, np.ndarray | int]]:
    """The entries that stand for the bars (see the module docstring), the most bars first."""
    flat = hits.reshape(len(hits), -1)
    similar = pattern_f1(flat, flat) >= SIMILAR  # (N, N)
    left = np.ones(len(hits), dtype=bool)
    out: list[dict[str, np.ndarray | int]] = []
    while len(out) < MAX_ENTRIES and left.any():
        neighbours = (similar & left[None, :] & left[:, None]).sum(axis=1)
        centre = int(np.argmax(neighbours))
        if neighbours[centre] < MIN_BARS:
            break
        group = np.flatnonzero(similar[centre] & left)
        bar = hits[centre]
        out.append({"hits": bar, "velocity": np.where(bar, cell_medians(velocity[group], hits[group]), 0.0),
                    "offset": np.where(bar, cell_medians(offset[group], hits[group]), 0.0), "bars": len(group)})
        left[group] = False
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=Path("../shared/data/gmd"), help="the Groove MIDI Dataset")
    parser.add_argument("--out", type=Path, default=STYLE_GROOVES, help="the .npz (a .json beside it says how)")
    args = parser.parse_args(argv)
    if not (args.data / "info.csv").is_file():
        parser.error(f"{args.data} holds no info.csv: give --data the Groove MIDI Dataset's folder")
    fitted: dict[str, list[dict[str, np.ndarray | int]]] = {}
    about: dict[str, object] = {"made": datetime.date.today().isoformat(), "data": "Groove MIDI Dataset (CC BY 4.0)",
                                "similar": SIMILAR, "max_entries": MAX_ENTRIES, "min_bars": MIN_BARS, "styles": {}}
    for style in SOURCES:
        hits, velocity, offset, files = style_bars(args.data, style)
        fitted[style] = entries(hits, velocity, offset)
        about["styles"][style] = {"gmd_styles": list(SOURCES[style]), "files": files,  # type: ignore[index]
                                  "bars": len(hits), "entries": [int(e["bars"]) for e in fitted[style]]}
        print(f"{style}: {len(hits)} bars of {len(files)} files -> {len(fitted[style])} entries standing for "
              f"{[int(e['bars']) for e in fitted[style]]} bars")
    arrays = {"styles": np.array([s for s, found in fitted.items() for _ in found]),
              **{name: np.array([e[name] for found in fitted.values() for e in found])
                 for name in ("hits", "velocity", "offset", "bars")}}
    write_atomic(args.out, lambda handle: np.savez_compressed(handle, steps_per_quarter=STEPS_PER_QUARTER, **arrays))
    write_atomic(args.out.with_suffix(".json"), (json.dumps(about, indent=1) + "\n").encode())
    print(f"wrote {args.out} and {args.out.with_suffix('.json')}")


if __name__ == "__main__":
    main()
