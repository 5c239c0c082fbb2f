"""Issue 98 Q2's figure: what resolving `--parts` costs beside the run, on the largest song and value admitted.

    python -m bench.hostile_parts_value [--bars 2040] [--entries 1024] [--repeats 3]

A band song of `--bars` 4/4 bars (2,040: 8,160 quarters, under the 8,192 a song may hold) is made in `--mode infer`
three ways in one process, alternating, with the shipped model: no `--parts`; `--parts "1-BARS=4"` given `--entries`
times (the issue's value, 1,024 entries); and the same entries naming a style. For each: the run's CPU time (median of
`--repeats`) and the CPU time spent inside `parts.arrangement.chosen_parts` (the resolution), and its share of the run.
Run it on an idle machine (OMP_NUM_THREADS=1 is set here); the issue asks the resolution under 10% of the run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bars", type=int, default=2040)
    parser.add_argument("--entries", type=int, default=1024)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)

    import seq2drum.parts.arrangement as arrangement
    from seq2drum.cli import main as cli
    from tests.test_parts_plan import band_song

    spent = [0.0]
    real = arrangement.chosen_parts

    def timed(*a, **k):  # the resolution's own CPU time
        started = time.process_time()
        try:
            return real(*a, **k)
        finally:
            spent[0] += time.process_time() - started

    arrangement.chosen_parts = timed
    values = {"no --parts": None,
              f"1-{args.bars}=4 x {args.entries}": "; ".join([f"1-{args.bars}=4"] * args.entries),
              f"1-{args.bars}=straight-8ths x {args.entries}": "; ".join([f"1-{args.bars}=straight-8ths"]
                                                                          * args.entries)}
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name in values}
    with tempfile.TemporaryDirectory() as folder:
        song = Path(folder) / "long.mid"
        song.write_bytes(band_song(args.bars))
        for _ in range(args.repeats):
            for name, value in values.items():
                spent[0] = 0.0
                flags = ["--parts", value] if value else []
                started = time.process_time()
                code = cli.main(["--mode", "infer", str(song), "-o", str(Path(folder) / "out.mid"), "--force",
                                 "--seed", "1", *flags])
                runs[name].append((time.process_time() - started, spent[0]))
                assert code == 0, f"{name}: exit {code}"
    print(f"--mode infer of a {args.bars}-bar band song, CPU seconds (median of {args.repeats}), one process:")
    base = statistics.median(run for run, _ in runs["no --parts"])
    for name, measured in runs.items():
        run = statistics.median(r for r, _ in measured)
        resolution = statistics.median(s for _, s in measured)
        print(f"  {name:<34} run {run:6.2f} s ({run / base:4.2f}x no --parts); resolving --parts {resolution:6.3f} s "
              f"= {100 * resolution / run:4.1f}% of the run")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
