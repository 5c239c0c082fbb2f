"""A play-along bar's way to its worker and back, two ways on the same worker in one run: the bar sent from a thread
of an executor and its answer awaited there (`Worker.run`, as the server sent every bar before), or sent and
answered on the event loop itself (`Worker.run_on_loop`, the loop woken by the pipe: no thread between).

    python -m bench.bench_worker_hop [--song REAL.mid ...] [--rounds 6] [--between-ms 10] [--busy 0]

One worker process with the shipped live model (models/live.pt), as `python -m server` starts one. Each song (default:
the first two 3-4 minute 4/4 songs of 8+ parts in ../shared/data's manifest, else one built in code) is played
bar by bar --rounds times, the two ways in turns, a pause of --between-ms between bars as a stream's bars come. Printed:
each way's wall time a bar from the send to the answer on the loop (p50, p90, p99, max) and the ratio of the
medians. `--busy N` keeps N processes spinning beside it, as other streams' helpers and workers keep a server's cores.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import sys
import tempfile
import time
from concurrent import futures
from pathlib import Path

import numpy as np

from bench.bench_coldstart import built_song, default_real_songs
from bench.machine import describe_machine


def _spin() -> None:
    while True:
        pass


async def play(paths: list[Path], rounds: int, between_s: float) -> dict[str, list[float]]:
    from seq2drum.generation.prepare import prepare
    from seq2drum.live.model_drummer import LIVE_CHECKPOINT
    from seq2drum.evaluation.playback import played_bars
    from seq2drum.live.session import LiveCall
    from seq2drum.options import GenerationOptions
    from server.live_jobs import LiveJob, LiveModel
    from server.workers import ModelSource, Worker, start_method_context

    model = LiveModel(LIVE_CHECKPOINT)
    worker = Worker(start_method_context(), ModelSource(None, 1, live=model))
    worker.wait_ready(300)
    drummer, options = model.load(), GenerationOptions()
    songs = [played_bars(prepare(path.read_bytes(), options, drummer.data_config, drummer.spec), drummer.lead_quarters)
             for path in paths]
    loop, threads = asyncio.get_running_loop(), futures.ThreadPoolExecutor(4)
    times: dict[str, list[float]] = {"thread": [], "loop": []}
    try:
        for turn in range(rounds * len(songs)):
            way, song = ("thread", "loop")[turn % 2], songs[(turn // 2) % len(songs)]
            state = (await loop.run_in_executor(threads, worker.run, LiveJob(options=options, seed=0))).state
            before = None
            for clock, played in song:
                call = LiveCall(tuple(before[1]) if before else (), before[0] if before else None, clock)
                job = LiveJob(state=state, call=call)
                started = time.perf_counter()
                answer = await (loop.run_in_executor(threads, worker.run, job) if way == "thread"
                                else worker.run_on_loop(job, loop))
                times[way].append(time.perf_counter() - started)
                state, before = answer.state, (clock, played)
                await asyncio.sleep(between_s)
    finally:
        worker.retire()
        threads.shutdown()
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--song", type=Path, action="append", default=[])
    parser.add_argument("--rounds", type=int, default=6, help="times each song is played each way")
    parser.add_argument("--between-ms", type=float, default=10.0)
    parser.add_argument("--busy", type=int, default=0, help="processes spinning beside the run")
    args = parser.parse_args(argv)
    print(describe_machine())
    with tempfile.TemporaryDirectory() as scratch:
        songs = args.song or default_real_songs(2) or [built_song(Path(scratch) / "built.mid")]
        print(f"songs: {', '.join(song.name for song in songs)}; {args.rounds} rounds each way; "
              f"{args.busy} busy processes")
        spinners = [multiprocessing.get_context("spawn").Process(target=_spin, daemon=True) for _ in range(args.busy)]
        for spinner in spinners:
            spinner.start()
        try:
            times = asyncio.run(play(songs, args.rounds, args.between_ms / 1000))
        finally:
            for spinner in spinners:
                spinner.kill()
    medians = {}
    for way, values in times.items():
        ms = np.array(values) * 1000
        medians[way] = float(np.median(ms))
        print(f"{way:>6}: {len(ms)} bars, p50 {medians[way]:.2f} p90 {np.percentile(ms, 90):.2f} "
              f"p99 {np.percentile(ms, 99):.2f} max {ms.max():.2f} ms")
    print(f"on the loop / from a thread, medians: {medians['loop'] / medians['thread']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
