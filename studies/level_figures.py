"""How close generated drums play to the drummer's level and spread, song by song: per song of a ../shared/scoring
split (midisplit.py's `refs/` and `band/`), the mean and the standard deviation of the velocities of the generated
drum part against the drummer's, as correlations over the songs and mean distances (seq2drum.feel.level sets both
from the band; docs/experiments/2026-11-26-band-level.md).

    python -m studies.level_figures runs/cv-live-pin/scoring/split GEN/band/take1 [GEN2/band/take1 ...]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from studies.band_level import velocities

MIN_NOTES = 20  # a song's generated part, the drummer's and the band need this many notes each to count


def song_levels(split: Path, generated: Path) -> np.ndarray:
    """(n, 4) per song with enough notes: the generated part's mean velocity, the drummer's, then their standard
    deviations."""
    refs = {p.name.split(".")[0]: p for p in (split / "refs").glob("*.mid")}
    bands = {p.name.split(".")[0]: p for p in (split / "band").glob("*.mid")}
    rows = []
    for path in sorted(generated.glob("*.mid")):
        name = path.name.split(".")[0]
        if name not in refs or name not in bands:
            continue
        ours, real, band = velocities(path)[0], velocities(refs[name])[0], velocities(bands[name])[1]
        if min(len(ours), len(real), len(band)) >= MIN_NOTES:
            rows.append((ours.mean(), real.mean(), ours.std(), real.std()))
    return np.array(rows).reshape(-1, 4)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("split", type=Path, help="a ../shared/scoring split folder (with refs/ and band/)")
    parser.add_argument("generated", type=Path, nargs="+", help="folders of generated drum files")
    args = parser.parse_args(argv)
    for folder in args.generated:
        rows = song_levels(args.split, folder)
        if len(rows) < 2:
            print(f"{folder}: {len(rows)} songs with {MIN_NOTES} notes or more in each part; nothing to compare")
            continue
        level_r, spread_r = np.corrcoef(rows[:, 0], rows[:, 1])[0, 1], np.corrcoef(rows[:, 2], rows[:, 3])[0, 1]
        level_gap, spread_gap = np.abs(rows[:, 0] - rows[:, 1]).mean(), np.abs(rows[:, 2] - rows[:, 3]).mean()
        print(f"{folder}: {len(rows)} songs; level r {level_r:.2f}, mean distance {level_gap:.1f}; spread r "
              f"{spread_r:.2f}, mean distance {spread_gap:.1f}; the songs' levels sd {rows[:, 0].std():.1f} (the "
              f"drummers' {rows[:, 1].std():.1f})")


if __name__ == "__main__":
    main()
