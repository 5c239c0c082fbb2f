"""Warm generation in process, stage by stage: what a server worker spends on a song once its model is loaded.

    python -m bench.bench_warm [--song REAL.mid] [--repeats 20] [--checkpoint PATH] [--profile 25]

For the songs bench_coldstart measures (its real song and its built song), the median of --repeats runs of what a
worker runs for a Generate call (`server.workers.generate_drums`, seed 0, default options) and of each of its stages,
timed apart in the same runs: read (`read_midi`), prepare (`generation.prepare`: the song on its grid, bars and
features), score (the network), decide (the takes) and render (velocity, timing, MIDI bytes). With --profile N, the
N functions with the most time of their own under cProfile over --repeats more runs of each song (cProfile slows
Python-heavy code more than numpy-heavy code: read its shares as a guide, the medians as the figures).
Compare two checkouts by running this in each, on a quiet machine or interleaved.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.bench_coldstart import songs_to_measure
from bench.machine import bench_checkpoint, describe_machine

STAGES = ("read", "prepare", "score", "decide", "render")


def stage_times(generator: Any, midi: bytes, options: Any) -> dict[str, float]:
    """One generation of `midi` through DrumGenerator.generate's stages, each timed (seconds)."""
    from seq2drum.model.blas import ONE_BLAS_THREAD
    from seq2drum.generation.prepare import prepare, reads_guitar_only
    from seq2drum.generation.render import render, song_swing, swung_by_song
    from seq2drum.midi.io import read_midi

    marks = [time.perf_counter()]
    with ONE_BLAS_THREAD:
        song = read_midi(midi, only_guitar=reads_guitar_only(options, generator.data_config), track=options.track)
        marks.append(time.perf_counter())
        prepared = prepare(song, options, generator.data_config, generator.spec)
        marks.append(time.perf_counter())
        scorer = generator.scorer(prepared.bars, prepared.given)
        marks.append(time.perf_counter())
        reading = song_swing(prepared, options)
        takes = generator.takes(scorer, options, 0, prepared.encoded.grid, prepared.steering, prepared.given,
                                swung_by_song(prepared, options, reading), prepared.bars)  # the plan too
        marks.append(time.perf_counter())
        render(prepared, takes, options, 0, reading)
        marks.append(time.perf_counter())
    return {stage: after - before for stage, before, after in zip(STAGES, marks, marks[1:])}


def measure(generator: Any, midi: bytes, repeats: int) -> dict[str, float]:
    """Medians (seconds) of the whole worker call and of each stage, runs interleaved."""
    from seq2drum.midi.limits import ReadLimits
    from seq2drum.options import GenerationOptions
    from server.workers import Job, generate_drums

    options = GenerationOptions(seed=0)
    job = Job(midi, options, ReadLimits())
    for _ in range(2):  # warm: first calls fill numpy's and the generator's caches
        generate_drums(generator, job)
    runs: dict[str, list[float]] = {"whole": [], **{stage: [] for stage in STAGES}}
    for _ in range(repeats):
        started = time.perf_counter()
        generate_drums(generator, job)
        runs["whole"].append(time.perf_counter() - started)
        for stage, seconds in stage_times(generator, midi, options).items():
            runs[stage].append(seconds)
    return {key: statistics.median(values) for key, values in runs.items()}


def profile(generator: Any, midi: bytes, repeats: int, top: int) -> str:
    """cProfile's top functions by own time over `repeats` worker calls."""
    from seq2drum.midi.limits import ReadLimits
    from seq2drum.options import GenerationOptions
    from server.workers import Job, generate_drums

    job = Job(midi, GenerationOptions(seed=0), ReadLimits())
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(repeats):
        generate_drums(generator, job)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(top)
    return "\n".join(line for line in out.getvalue().splitlines() if line.strip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--song", type=Path, default=None, help="the real song (default: one from the manifest)")
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--checkpoint", type=Path, default=None, help="default: models/default.pt")
    parser.add_argument("--profile", type=int, default=0, metavar="N", help="also print cProfile's top N functions")
    args = parser.parse_args()
    print(describe_machine())
    from seq2drum.generation.generator import DrumGenerator

    with tempfile.TemporaryDirectory() as scratch_name:
        scratch = Path(scratch_name)
        generator = DrumGenerator.from_checkpoint(bench_checkpoint(args.checkpoint, scratch))
        songs = {label: path.read_bytes() for label, path in songs_to_measure(args.song, scratch).items()}
    print(f"\nmedians of {args.repeats} warm runs in process, ms (the stages timed apart, in the same runs)\n")
    header = f"{'song':46s} {'whole':>7} " + " ".join(f"{stage:>7}" for stage in STAGES)
    print(header)
    print("-" * len(header))
    for label, midi in songs.items():
        median = measure(generator, midi, args.repeats)
        print(f"{label[:46]:46s} {median['whole'] * 1000:7.1f} "
              + " ".join(f"{median[stage] * 1000:7.1f}" for stage in STAGES))
    for label, midi in songs.items() if args.profile else ():
        print(f"\n== {label}: cProfile, {args.repeats} runs, top {args.profile} by own time ==")
        print(profile(generator, midi, args.repeats, args.profile))


if __name__ == "__main__":
    main()
