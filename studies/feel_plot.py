"""The picture of what the humanizer learned (docs/feel.png, shown in docs/controls.md): mean velocity and mean
offset from the grid at each 16th of a 4/4 bar, for kick, snare and closed hi-hat, as GMD's drummers played its test
split (which the tables never saw) and as seq2drum's humanizer plays the same hits (humanize 1, a drummer drawn per
performance from seed 0).

    python -m studies.feel_plot --data ../shared/data/gmd --out docs/feel.png
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from seq2drum.feel.fit import Performance, humanize_all, read_performances
from seq2drum.feel.model import shipped_tables
from seq2drum.midi.drums import CLOSED_HAT, KICK, SNARE
from seq2drum.song.drum_part import DrumGrid

VOICES = ((KICK, "kick", "tab:blue"), (SNARE, "snare", "tab:red"), (CLOSED_HAT, "closed hat", "tab:green"))


def by_position(grids: list[DrumGrid], performances: list[Performance], drum_class: int) -> tuple[np.ndarray, ...]:
    """(16,) mean velocity and mean offset at each 16th of the 4/4 bars of every performance (NaN where unplayed)."""
    velocity, offset, count = np.zeros(16), np.zeros(16), np.zeros(16)
    for drums, performance in zip(grids, performances):
        grid = performance.grid
        in_bar = grid.step_in_bar()
        four_four = np.repeat((grid.bars[:, 1] == 16), grid.bars[:, 1])
        hit = drums.hits[: grid.n_steps, drum_class] & four_four
        position = in_bar[hit]
        np.add.at(velocity, position, drums.velocity[: grid.n_steps, drum_class][hit])
        np.add.at(offset, position, drums.offset[: grid.n_steps, drum_class][hit])
        np.add.at(count, position, 1)
    with np.errstate(invalid="ignore"):
        return velocity / count, offset / count


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m studies.feel_plot", description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data/gmd"), help="GMD's folder (with info.csv)")
    parser.add_argument("--out", type=Path, default=Path("docs/feel.png"))
    args = parser.parse_args(argv)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    performances = read_performances(args.data, ("test",))
    played = humanize_all(performances, shipped_tables(), seed=0)
    figure, (top, bottom) = plt.subplots(2, 1, figsize=(9, 6), sharex=True)
    for drum_class, name, colour in VOICES:
        for grids, style, who in (([p.drums for p in performances], "-", "drummers"), (played, "--", "seq2drum")):
            velocity, offset = by_position(grids, performances, drum_class)
            top.plot(np.arange(16), velocity, style, color=colour, marker="o", ms=3, label=f"{name}, {who}")
            bottom.plot(np.arange(16), offset, style, color=colour, marker="o", ms=3)
    top.set_ylabel("mean velocity")
    bottom.set_ylabel("mean offset (16th steps)\n< 0 ahead, > 0 behind")
    bottom.axhline(0, color="grey", lw=0.5)
    bottom.set_xticks(range(16), [f"{i // 4 + 1}" if i % 4 == 0 else ("&" if i % 4 == 2 else ".") for i in range(16)])
    bottom.set_xlabel("16th of a 4/4 bar")
    top.legend(ncol=3, fontsize=8)
    top.set_title(f"GMD test split ({len(performances)} performances): drummers (solid) vs seq2drum's humanizer "
                  "(dashed)", fontsize=10)
    figure.tight_layout()
    figure.savefig(args.out, dpi=72)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
