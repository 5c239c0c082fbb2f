"""Soak the server through the DAW helper's retry path, then hit it with a burst of hostile files, and watch memory.

    python -m bench.bench_soak [--checkpoint PATH] [--clients 16] [--requests 200] [--workers 2]

`python -m server` runs in a subprocess on loopback. Phase 1: --clients threads, each with its own
`client.daw_helper.DrumClient` (so busy answers are retried with its backoff, within its --wait of 60 s), send
--requests songs each (4- to 32-bar riffs built in code, a quarter of them merged). Phase 2: 8 clients send 10
hostile files each (a 49,000-note track, files past the note and tempo limits, a 255/1 meter, a 6 MiB file of junk
notes, a song at the length limit, truncated and random bytes). Memory is the proportional set size (PSS, so pages
the workers share are counted once) of the server and all its processes, at idle after warm-up (--warmup songs per
worker, default 100: a generating process's heap grows for its first ~100 songs, then stays; measured in process,
+9 MiB from song 1 to 100, +0.1 MiB from 100 to 1,600), after each phase,
and after 5 s of idle. Exits 1 on any failure of a phase-1 request, or if memory after the soak grew 10% or more.
"""

from __future__ import annotations

import argparse
import collections
import queue
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent import futures
from pathlib import Path


import grpc

from bench.machine import bench_checkpoint, describe_machine
from client.daw_helper import DrumClient, HelperError
from seq2drum.rpc import seq2drum_pb2
from tests.builders import (
    chord_track,
    meta_event,
    notes_from_steps,
    riff,
    smf_bytes,
    song_bytes,
    tempo_event,
    timed_track,
    track_chunk,
)

REPO = Path(__file__).resolve().parents[1]

MiB = 1024 * 1024


def tree(pid: int) -> list[int]:
    """`pid` and all its descendants."""
    children: dict[int, list[int]] = collections.defaultdict(list)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            children[int(fields[1])].append(int(stat.parent.name))
        except (OSError, IndexError, ValueError):
            continue
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo += children.get(current, [])
    return found


def memory_mib(pid: int) -> tuple[float, float, int, str]:
    """(PSS, RSS) in MiB summed over the process tree, the number of processes, and PSS per process."""
    pss = rss = 0
    pids = tree(pid)
    each = []
    for member in pids:
        try:
            own = 0
            for line in Path(f"/proc/{member}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    own = int(line.split()[1])
                    pss += own
                elif line.startswith("Rss:"):
                    rss += int(line.split()[1])
            each.append(f"{'server' if member == pid else member}:{own / 1024:.0f}")
        except OSError:
            continue
    return pss / 1024, rss / 1024, len(pids), " ".join(each)


def start_server(checkpoint: Path, workers: int, *extra: str) -> tuple[subprocess.Popen[str], str]:
    """`python -m server` on a free loopback port with `extra` flags; (the process, its address)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "server", "--host", "127.0.0.1", "--port", "0", "--checkpoint", str(checkpoint),
         "--workers", str(workers), "--log-level", "WARNING", *extra],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in process.stdout], daemon=True).start()
    threading.Thread(target=lambda: [None for _ in process.stderr], daemon=True).start()  # drain
    line = lines.get(timeout=180)
    return process, line.split("listening on", 1)[1].strip()


def songs(count: int) -> list[tuple[bytes, seq2drum_pb2.GenerationOptions]]:
    made = []
    for index in range(count):
        bars = (4, 8, 16, 32)[index % 4]
        midi = song_bytes(notes_from_steps(riff(bars, root=36 + index % 9), length_steps=2),
                          tempos=[(0, 400_000 + 10_000 * (index % 20))])
        made.append((midi, seq2drum_pb2.GenerationOptions(seed=index, merge=index % 4 == 3)))
    return made


def hostile() -> list[tuple[str, bytes]]:
    meter = meta_event(0x58, bytes([255, 0, 24, 8]))
    tempos = track_chunk([(1, tempo_event(500_000 + i)) for i in range(12_000)])
    junk_notes = smf_bytes([chord_track(49_000, chord_size=16)] * 20)  # 20 tracks: past the note limit, 6 MiB
    return [
        ("49,000 notes in one track", smf_bytes([chord_track(49_000, chord_size=16)])),
        ("past the note limit", smf_bytes([chord_track(60_000, chord_size=16)])),
        ("12,000 tempo events", smf_bytes([tempos, chord_track(64)])),
        ("meter 255/1", smf_bytes([timed_track([(0, meter)]), chord_track(64)])),
        ("6 MiB of notes in 20 tracks", junk_notes),
        ("song at the length limit", song_bytes(notes_from_steps([(0, 40), (8191 * 4, 45)], length_steps=2))),
        ("truncated", song_bytes(notes_from_steps(riff(64)))[:5000]),
        ("random bytes", b"MThd" + bytes((i * 7919) % 256 for i in range(200_000))),
    ]


def run_phase(address: str, jobs: list[tuple[bytes, seq2drum_pb2.GenerationOptions]], clients: int,
              per_client: int, expect_ok: bool, wait_s: float = 60.0) -> dict:
    latencies: list[float] = []
    outcomes: collections.Counter[str] = collections.Counter()
    attempts = [0]
    lock = threading.Lock()

    def client(offset: int) -> None:
        with DrumClient(address, timeout_s=120, wait_s=wait_s) as drum_client:
            for index in range(per_client):
                midi, options = jobs[(offset * per_client + index) % len(jobs)]
                started = time.perf_counter()
                try:
                    drum_client.generate(midi, options)
                    outcome = "OK"
                except grpc.RpcError as error:
                    outcome = error.code().name
                except HelperError as error:
                    outcome = f"HelperError: {error}"[:60]
                with lock:
                    outcomes[outcome] += 1
                    if outcome == "OK":
                        latencies.append(time.perf_counter() - started)
            with lock:
                attempts[0] += drum_client.attempts

    import contextlib
    import io

    started = time.perf_counter()
    with contextlib.redirect_stderr(io.StringIO()), futures.ThreadPoolExecutor(clients) as pool:
        for future in [pool.submit(client, offset) for offset in range(clients)]:
            future.result()
    wall = time.perf_counter() - started
    total = clients * per_client
    failures = total - outcomes["OK"] if expect_ok else sum(v for k, v in outcomes.items()
                                                           if k in ("UNKNOWN", "INTERNAL", "UNAVAILABLE"))
    return {"wall_s": wall, "outcomes": dict(outcomes), "latencies": latencies, "failures": failures,
            "calls": attempts[0], "requests": total}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", type=Path, default=None, help="default: models/default.pt, else a tiny model")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--requests", type=int, default=200, help="per client")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--warmup", type=int, default=100, help="songs per worker before the idle memory is taken")
    args = parser.parse_args(argv)
    print("== seq2drum soak: the helper's retry path, a hostile burst, and memory ==")
    print(describe_machine())
    with tempfile.TemporaryDirectory() as scratch:
        checkpoint = bench_checkpoint(args.checkpoint, Path(scratch))
        process, address = start_server(checkpoint, args.workers)
        try:
            jobs = songs(64)
            run_phase(address, jobs, args.workers, args.warmup, expect_ok=True)  # warm-up
            time.sleep(3)
            idle = memory_mib(process.pid)
            print(f"server: --workers {args.workers}, {idle[2]} processes; idle after warm-up: PSS {idle[0]:.0f} MiB "
                  f"(RSS summed {idle[1]:.0f} MiB; PSS per process {idle[3]})\n")
            soak = run_phase(address, jobs, args.clients, args.requests, expect_ok=True)
            after_soak = memory_mib(process.pid)
            lat = soak["latencies"] or [float("nan")]
            print(f"soak: {args.clients} clients x {args.requests} requests = {soak['requests']} in "
                  f"{soak['wall_s']:.0f} s ({soak['requests'] / soak['wall_s']:.1f}/s); outcomes {soak['outcomes']}; "
                  f"{soak['calls'] - soak['requests']} retries; latency p50 {statistics.median(lat):.2f} s, "
                  f"max {max(lat):.2f} s")
            print(f"      failures: {soak['failures']}; memory after: PSS {after_soak[0]:.0f} MiB "
                  f"({(after_soak[0] / idle[0] - 1) * 100:+.1f}% over idle; {after_soak[3]})")
            bad = [(bytes(data), seq2drum_pb2.GenerationOptions(seed=1)) for _, data in hostile()]
            burst = run_phase(address, bad, 8, 10, expect_ok=False, wait_s=600)
            after_burst = memory_mib(process.pid)
            time.sleep(5)
            settled = memory_mib(process.pid)
            print(f"hostile burst: 8 clients x 10 files of {len(bad)} kinds in {burst['wall_s']:.0f} s; outcomes "
                  f"{burst['outcomes']}")
            print(f"      memory: PSS {after_burst[0]:.0f} MiB right after, {settled[0]:.0f} MiB after 5 s idle "
                  f"({(settled[0] / idle[0] - 1) * 100:+.1f}% over idle; RSS summed {settled[1]:.0f} MiB; "
                  f"{settled[3]})")
            growth = after_soak[0] / idle[0] - 1
        finally:
            process.terminate()
            process.wait(60)
    failed = soak["failures"] > 0 or growth >= 0.10 or burst["failures"] > 0
    print(f"\nresult: {'FAIL' if failed else 'PASS'} (soak failures {soak['failures']}, memory growth "
          f"{growth * 100:+.1f}%, hostile burst UNKNOWN/INTERNAL/UNAVAILABLE {burst['failures']})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
