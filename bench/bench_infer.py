"""End-to-end inference time for 1-, 4- and 10-minute songs: with the model loaded once (DrumGenerator.generate),
and cold from the command line (`python main.py --mode infer`, which loads Python, torch, music21 and the model).

    python -m bench.bench_infer [--checkpoint PATH] [--repeats 3] [--no-cli] [--torch-threads 1]

Songs are guitar riffs made in code at 120 BPM in 4/4 (30, 120 and 300 bars).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.machine import describe_machine
from seq2drum.options import GenerationOptions
from seq2drum.generation.generator import DrumGenerator
from tests.builders import notes_from_steps, riff, song_bytes

REPO = Path(__file__).resolve().parents[1]

SONGS = {"1 min": 30, "4 min": 120, "10 min": 300}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", type=Path, default=None, help="default: the shipped models/default.pt")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-cli", action="store_true", help="skip the cold command-line runs")
    parser.add_argument("--torch-threads", type=int, default=1,
                        help="threads for the in-process runs (default 1, as the CLI and each server worker use)")
    args = parser.parse_args()
    import torch

    torch.set_num_threads(args.torch_threads)
    print(describe_machine())
    started = time.perf_counter()
    generator = DrumGenerator.from_checkpoint(args.checkpoint)
    print(f"model {generator.info.name} {generator.info.version} ({generator.info.n_parameters} parameters, "
          f"attention={generator.info.attention}), loaded in {time.perf_counter() - started:.2f} s")
    songs = {label: song_bytes(notes_from_steps(riff(bars), length_steps=2)) for label, bars in SONGS.items()}
    print("model loaded once (median of repeats):")
    for label, data in songs.items():
        times = []
        for repeat in range(args.repeats):
            result = generator.generate(data, GenerationOptions(seed=repeat))
            times.append(result.generation_s)
        median = statistics.median(times)
        print(f"  {label:6s} {result.bars:3d} bars  {median:6.2f} s  ({result.duration_s / median:5.1f}x real time)")
    if args.no_cli:
        return
    print("cold from the command line (one run each):")
    with tempfile.TemporaryDirectory() as folder:
        for label, data in songs.items():
            song = Path(folder) / f"song_{label.split()[0]}min.mid"
            song.write_bytes(data)
            command = [sys.executable, str(REPO / "main.py"), "--mode", "infer", str(song), "--seed", "0", "--force"]
            if args.checkpoint:
                command += ["--checkpoint", str(args.checkpoint)]
            started = time.perf_counter()
            subprocess.run(command, check=True, capture_output=True, cwd=REPO)
            print(f"  {label:6s} {time.perf_counter() - started:6.2f} s")


if __name__ == "__main__":
    main()
