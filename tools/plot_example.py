"""The README's picture (docs/plot-example.png): what `--plot` draws for the shipped example, examples/riff.mid,
made by the command line itself with the shipped model and seed 7, so the picture is the one a musician gets.

    python -m tools.plot_example [--out docs/plot-example.png]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

from seq2drum.cli import main as cli

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "riff.mid"
SEED = 7


def make_picture(out: Path, song: Path = EXAMPLE, seed: int = SEED) -> Path:
    """Run `--mode infer SONG --plot` into a temporary folder and copy its PNG to `out`."""
    with tempfile.TemporaryDirectory(prefix="plot-example-") as folder:
        drums = Path(folder) / f"{song.stem}_drums.mid"
        code = cli.main(["--mode", "infer", str(song), "--plot", "--seed", str(seed), "-o", str(drums)])
        if code != 0:
            raise SystemExit(code)
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(drums.with_suffix(".png"), out)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "plot-example.png")
    print(f"wrote {make_picture(parser.parse_args().out)}")


if __name__ == "__main__":
    main()
