"""What --plot costs: the same song from the command line with and without `--plot`, alternating in one run (without,
with; then with, without; ...), the median of --repeats runs each, on a long song (200+ bars) and a short one. Issue
70's target: the run with the plot takes under 1.5 times the run without (matplotlib's picture took 5 to 10 times).

    python -m bench.bench_plot [--repeats 3] [--songs A.mid B.mid ...] [--checkpoint PATH]

The songs default to two files of ../shared/data/midi: happyfamily.mid (204 bars drawn, 10 parts heard in 5 roles)
and 500miles.mid (60 bars, 6 parts). Each run is a fresh process (`python main.py --mode infer SONG --seed 1`, into a
temporary folder), timed from start to exit; one untimed run of each kind warms the disk cache and the model's
fast-start copy first. The load average is printed before and after: on a shared machine the times move with it,
the ratio much less (both kinds run under the same load, alternating).
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.machine import describe_machine

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data" / "midi"
SONGS = (DATA / "reubenson__midi-archive" / "happyfamily.mid", DATA / "reubenson__midi-archive" / "500miles.mid")
TARGET_RATIO = 1.5


def load_average() -> str:
    try:
        with open("/proc/loadavg") as stream:
            return stream.read().split()[0]
    except OSError:
        return "?"


def run_once(song: Path, folder: Path, plot: bool, checkpoint: Path | None) -> tuple[float, str]:
    """One command-line run; its wall-clock seconds and what it printed."""
    command = [sys.executable, str(REPO / "main.py"), "--mode", "infer", str(song), "--seed", "1",
               "-o", str(folder / "out.mid"), "--force", *(["--plot"] if plot else [])]
    if checkpoint:
        command += ["--checkpoint", str(checkpoint)]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=REPO, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{song}: the command failed ({done.returncode}): {done.stderr.strip()[-500:]}")
    return seconds, done.stdout


def bench_song(song: Path, repeats: int, checkpoint: Path | None) -> float:
    """Prints the song's medians and returns the ratio with / without the plot."""
    times: dict[bool, list[float]] = {False: [], True: []}
    with tempfile.TemporaryDirectory(prefix="bench-plot-") as name:
        folder = Path(name)
        _, printed = run_once(song, folder, False, checkpoint)
        run_once(song, folder, True, checkpoint)
        for repeat in range(repeats):
            for plot in (False, True) if repeat % 2 == 0 else (True, False):
                times[plot].append(run_once(song, folder, plot, checkpoint)[0])
        picture = folder / "out.png"
        size = picture.stat().st_size if picture.exists() else 0
    bars = re.search(r": (\d+) bars", printed)
    without, with_plot = statistics.median(times[False]), statistics.median(times[True])
    ratio = with_plot / without
    print(f"{song.name}: {bars.group(1) if bars else '?'} bars; without --plot median {without:.2f} s "
          f"({', '.join(f'{t:.2f}' for t in times[False])}); with --plot median {with_plot:.2f} s "
          f"({', '.join(f'{t:.2f}' for t in times[True])}); ratio {ratio:.2f} (target under {TARGET_RATIO}); "
          f"picture {size / 1e3:.0f} kB (load {load_average()})")
    return ratio


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3, help="runs of each kind per song; the median is printed")
    parser.add_argument("--songs", type=Path, nargs="+", default=list(SONGS), help="default: a long and a short song")
    parser.add_argument("--checkpoint", type=Path, default=None, help="default: the shipped models/default.pt")
    args = parser.parse_args()
    missing = [song for song in args.songs if not song.is_file()]
    if missing:
        raise SystemExit(f"no such song: {missing[0]} (the defaults are in {DATA}; name others with --songs)")
    print(describe_machine())
    print(f"load average before: {load_average()}")
    ratios = [bench_song(song, args.repeats, args.checkpoint) for song in args.songs]
    verdict = "under" if max(ratios) < TARGET_RATIO else "NOT under"
    print(f"largest ratio {max(ratios):.2f}: {verdict} the target {TARGET_RATIO}; load average after: {load_average()}")


if __name__ == "__main__":
    main()
