"""Benchmark of the MIDI pipeline: our reader + encoder against music21's converter.parse, and the folder preprocess.

    python -m bench.bench_pipeline [--files 60] [--data ../shared/data/midi] [--skip-folder]

Prints the machine and library versions, then per-file times of `read_midi + encode_song` and of
`music21.converter.parse` on the same files (sampled with a fixed seed, measured in one run, interleaved so both
see the same machine load), their ratio (target: ours / converter.parse <= 0.1), and the time of `build_corpus` on
the whole folder cold (fresh cache) and cached (same cache again). A script that prints figures, not a test.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path


from music21 import converter

from bench.machine import describe_machine
from seq2drum.config import DataConfig
from seq2drum.song.corpus import MIDI_SUFFIXES, build_corpus, encode_song
from seq2drum.errors import Seq2DrumError
from seq2drum.midi.io import read_midi

REPO = Path(__file__).resolve().parents[1]

DEFAULT_DATA = REPO.parent / "shared" / "data" / "midi"


def midi_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in MIDI_SUFFIXES)


def ours(path: Path, config: DataConfig) -> str | None:
    """read_midi + encode_song, the path training and generation take; returns the skip reason, if any."""
    try:
        encode_song(read_midi(path), config, name=path.stem)
    except Seq2DrumError as error:
        return type(error).__name__
    return None


def theirs(path: Path) -> None:
    """A full music21 Stream, without music21's pickle cache (forceSource), as a notebook would load the file."""
    converter.parse(path, forceSource=True, storePickle=False)


def describe(times: list[float]) -> str:
    return (
        f"mean {statistics.mean(times) * 1000:8.1f} ms   median {statistics.median(times) * 1000:8.1f} ms   "
        f"max {max(times) * 1000:8.1f} ms   total {sum(times):7.2f} s"
    )


def bench_files(files: list[Path], config: DataConfig) -> None:
    ours(files[0], config)  # warm-up: imports and caches on both sides, not timed
    theirs(files[0])
    our_times, their_times, skipped, failed = [], [], 0, 0
    for index, path in enumerate(files, start=1):
        started = time.perf_counter()
        skipped += ours(path, config) is not None
        our_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        try:
            theirs(path)
        except Exception:  # noqa: BLE001 - a file music21 cannot parse is counted, not fatal to the benchmark
            failed += 1
        their_times.append(time.perf_counter() - started)
        print(
            f"  {index:3d}/{len(files)} {path.name[:50]:50s} ours {our_times[-1] * 1000:7.1f} ms   "
            f"converter.parse {their_times[-1] * 1000:8.1f} ms",
            flush=True,
        )
    print()
    print(f"per file, {len(files)} files ({skipped} skipped by our pipeline, {failed} failed in converter.parse):")
    print(f"  ours (read_midi + encode_song) : {describe(our_times)}")
    print(f"  music21 converter.parse        : {describe(their_times)}")
    ratio_mean = statistics.mean(our_times) / statistics.mean(their_times)
    ratio_median = statistics.median(our_times) / statistics.median(their_times)
    verdict = "meets" if ratio_mean <= 0.1 else "misses"
    print(
        f"  ratio ours / converter.parse   : mean {ratio_mean:.3f}   median {ratio_median:.3f}   "
        f"({verdict} the <= 0.1 target; {1 / ratio_mean:.0f}x faster)"
    )


def bench_folder(folder: Path, config: DataConfig, workers: int) -> None:
    print(f"\nfull-folder preprocess: build_corpus({folder}, workers={workers})")
    with tempfile.TemporaryDirectory(prefix="seq2drum_bench_cache_") as cache:
        started = time.perf_counter()
        corpus = build_corpus(folder, config, cache_dir=cache, workers=workers, progress=False)
        cold = time.perf_counter() - started
        report = corpus.report
        print(
            f"  cold (fresh cache) : {cold:7.2f} s   {report['files']} files, {report['songs_used']} used, "
            f"{report['songs_skipped']} skipped {report['skipped_by_reason']}, parsed now {report['parsed_now']}"
        )
        started = time.perf_counter()
        again = build_corpus(folder, config, cache_dir=cache, workers=workers, progress=False)
        cached = time.perf_counter() - started
        print(
            f"  cached (same cache): {cached:7.2f} s   parsed now {again.report['parsed_now']}, "
            f"from cache {again.report['from_cache']}"
        )
        print(
            f"  corpus: {report['bars']} bars, {report['hours']} hours"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=60, help="number of files to time one by one (default 60)")
    parser.add_argument(
        "--data", type=Path, default=DEFAULT_DATA, help=f"folder of MIDI songs (default {DEFAULT_DATA})"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the file sample (default 0)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="build_corpus worker processes")
    parser.add_argument("--skip-folder", action="store_true", help="skip the full-folder build_corpus timing")
    args = parser.parse_args()

    print(describe_machine())
    files = midi_files(args.data)
    if not files:
        sys.exit(f"no MIDI files under {args.data}; pass --data with a folder of .mid files")
    sample = random.Random(args.seed).sample(files, min(args.files, len(files)))
    print(f"data      : {args.data} ({len(files)} MIDI files; timing {len(sample)} sampled with seed {args.seed})\n")
    config = DataConfig()
    bench_files(sample, config)
    if not args.skip_folder:
        bench_folder(args.data, config, args.workers)


if __name__ == "__main__":
    main()
