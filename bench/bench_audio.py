"""What --audio writes for real songs: WAV length against the music's, level (peak and RMS dBFS) and render time,
for the drums alone and for guitar and drums (--merge), take 1 at temperature 0.

    python -m bench.bench_audio [--data ../shared/data/midi] [--songs 10] [--checkpoint PATH]

Songs are drawn from --data in a fixed order (sorted paths, every k-th), so runs are comparable; songs the model
cannot take (no guitar part ...) are skipped and counted. Nothing is written beside the songs.
"""

from __future__ import annotations

import argparse
import io
import statistics
import tempfile
import time
from pathlib import Path

from bench.machine import bench_checkpoint, describe_machine
from seq2drum.generation.audio import render_wav
from seq2drum.options import GenerationOptions
from seq2drum.errors import Seq2DrumError
from seq2drum.generation.generator import DrumGenerator

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data" / "midi")
    parser.add_argument("--songs", type=int, default=10)
    parser.add_argument("--checkpoint", type=Path, default=None, help="default: the shipped models/default.pt")
    args = parser.parse_args()
    import torch

    torch.set_num_threads(1)
    print(describe_machine())
    with tempfile.TemporaryDirectory() as scratch:
        generator = DrumGenerator.from_checkpoint(bench_checkpoint(args.checkpoint, Path(scratch)))
    files = sorted(args.data.rglob("*.mid"))
    stride = max(1, len(files) // (args.songs * 2))  # twice the songs asked for, as some have no guitar
    print(f"model {generator.info.name} {generator.info.version}; {len(files)} files in {args.data}, every {stride}th")
    print("song\tmode\tmusic_s\twav_s\twav-music_s\tpeak_dbfs\trms_dbfs\trender_s")
    rows: dict[str, list[tuple[float, float, float, float]]] = {"drums": [], "merged": []}
    skipped = 0
    for path in files[::stride]:
        if len(rows["drums"]) >= args.songs:
            break
        data = path.read_bytes()
        for mode, merge in (("drums", False), ("merged", True)):
            try:
                result = generator.generate(data, GenerationOptions(seed=0, merge=merge))
            except Seq2DrumError:
                skipped += not merge
                break
            started = time.perf_counter()
            rendering = render_wav(result.midi_bytes, io.BytesIO())
            seconds = time.perf_counter() - started
            extra_s = rendering.duration_s - rendering.music_s
            speed = seconds / max(rendering.music_s, 1e-9)
            rows[mode].append((extra_s, rendering.peak_dbfs, rendering.rms_dbfs, speed))
            print(f"{path.relative_to(args.data)}\t{mode}\t{rendering.music_s:.2f}\t{rendering.duration_s:.2f}\t"
                  f"{extra_s:.2f}\t{rendering.peak_dbfs:.1f}\t{rendering.rms_dbfs:.1f}\t{seconds:.2f}")
    print(f"skipped {skipped} files the model cannot take")
    for mode, values in rows.items():
        if not values:
            continue
        extra, peak, rms, speed = zip(*values)
        print(f"{mode}: {len(values)} songs; WAV minus music {min(extra):.2f}-{max(extra):.2f} s; peak dBFS median "
              f"{statistics.median(peak):.1f} ({min(peak):.1f} to {max(peak):.1f}); RMS dBFS median "
              f"{statistics.median(rms):.1f} ({min(rms):.1f} to {max(rms):.1f}); render time "
              f"{1000 * statistics.median(speed):.1f} ms per second of music (median)")


if __name__ == "__main__":
    main()
