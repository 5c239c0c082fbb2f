"""How many torch threads the CLI should generate with: one song at 1, 2, ... threads (up to the cores), in process
with the model loaded and cold from the command line (`python main.py --mode infer --torch-threads N`).

    python -m bench.bench_cli_threads [--checkpoint PATH] [--repeats 5] [--song FILE.mid]

The song defaults to a 4-minute guitar riff made in code (120 bars at 120 BPM in 4/4). Figures are medians of
--repeats runs, and the load average is printed before and after: on a shared machine they move with its load.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.machine import describe_machine

REPO = Path(__file__).resolve().parents[1]


def load_average() -> str:
    try:
        with open("/proc/loadavg") as stream:
            return stream.read().split()[0]
    except OSError:
        return "?"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", type=Path, default=None, help="default: the shipped models/default.pt")
    parser.add_argument("--repeats", type=int, default=5, help="runs per setting; the median is printed")
    parser.add_argument("--song", type=Path, default=None, help="default: a 4-minute riff made in code")
    args = parser.parse_args()

    import torch

    from seq2drum.options import GenerationOptions
    from seq2drum.generation.generator import DrumGenerator
    from tests.builders import notes_from_steps, riff, song_bytes

    print(describe_machine())
    data = args.song.read_bytes() if args.song else song_bytes(notes_from_steps(riff(120), length_steps=2))
    thread_counts = sorted({1, 2, os.cpu_count() or 1})
    generator = DrumGenerator.from_checkpoint(args.checkpoint)
    print(f"song: {args.song or 'a 4-minute riff made in code'}; model {generator.info.name} {generator.info.version}")
    print("in process, model loaded once (generate only):")
    for threads in thread_counts:
        torch.set_num_threads(threads)
        times = []
        for repeat in range(args.repeats):
            times.append(generator.generate(data, GenerationOptions(seed=repeat)).generation_s)
        print(f"  --torch-threads {threads}: median {statistics.median(times):.2f} s, "
              f"min {min(times):.2f}, max {max(times):.2f} (load {load_average()})")
    print("cold from the command line (Python, torch, music21 and the model load each time):")
    with tempfile.TemporaryDirectory() as folder:
        song = Path(folder) / "song.mid"
        song.write_bytes(data)
        for threads in thread_counts:
            times = []
            for repeat in range(args.repeats):
                command = [sys.executable, str(REPO / "main.py"), "--mode", "infer", str(song), "--seed", str(repeat),
                           "--torch-threads", str(threads), "-o", str(Path(folder) / "out.mid"), "--force"]
                if args.checkpoint:
                    command += ["--checkpoint", str(args.checkpoint)]
                started = time.perf_counter()
                subprocess.run(command, check=True, capture_output=True, cwd=REPO)
                times.append(time.perf_counter() - started)
            print(f"  --torch-threads {threads}: median {statistics.median(times):.2f} s, "
                  f"min {min(times):.2f}, max {max(times):.2f} (load {load_average()})")


if __name__ == "__main__":
    main()
