"""Play-along round trips through the real stream: N players at once (`--simulate` of one 4-minute song each, at
`--speed X`) against `python -m server --workers W` started here, each writing its report. Issue 25's target: at
--speed 4, 4 streams against 2 workers, p99 round trip <= 30 ms and 0 late bars in every report.

    python -m bench.bench_live_stream [--streams 4] [--speed 4] [--workers 2] [--song REAL.mid] [--live-loop]

The song: a real 3-4 minute song of ../shared/data/midi (from its manifest), else one built in code (120 bars of
guitar, bass and keys at 120 BPM). The server serves models/live.pt (or the stand-in loop with --live-loop, or when
it is missing: said in the output).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench.bench_coldstart import built_song, default_real_song
from bench.machine import describe_machine

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(port: int, workers: int, streams: int, live_loop: bool) -> subprocess.Popen:
    command = [sys.executable, "-m", "server", "--port", str(port), "--workers", str(workers),
               "--max-streams", str(max(4, streams)),
               "--max-streams-per-peer", str(max(4, streams)), "--log-level", "WARNING", *(["--live-loop"] * live_loop)]
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert process.stdout is not None
    started = time.time()
    for line in process.stdout:  # wait for "listening"
        if "listening" in line:
            threading.Thread(target=lambda: [None for _ in process.stdout], daemon=True).start()  # keep draining
            return process
        print(f"  server: {line.rstrip()}")
        if time.time() - started > 120:
            break
    process.kill()
    raise SystemExit("the server did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--streams", type=int, default=4)
    parser.add_argument("--speed", type=float, default=4.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--song", type=Path, default=None)
    parser.add_argument("--live-loop", action="store_true", help="serve the stand-in loop, not models/live.pt")
    args = parser.parse_args()
    print(describe_machine())
    with tempfile.TemporaryDirectory() as scratch_name:
        scratch = Path(scratch_name)
        song = args.song or default_real_song() or built_song(scratch / "built.mid")
        kind = "given" if args.song else "real" if song.parent != scratch else "built in code"
        print(f"song: {song} ({kind}), {args.streams} streams at --speed {args.speed:g} against --workers "
              f"{args.workers}{' (stand-in loop)' if args.live_loop else ''}")
        port = free_port()
        server = start_server(port, args.workers, args.streams, args.live_loop)
        reports: list[dict | None] = [None] * args.streams
        codes: list[int] = [0] * args.streams
        try:
            def player(n: int) -> None:
                command = [sys.executable, "-m", "client.daw_helper", "--server", f"127.0.0.1:{port}", "--simulate",
                           str(song), "--speed", str(args.speed), "-o", str(scratch / f"out{n}.mid"), "--report",
                           str(scratch / f"r{n}.json"), "--seed", str(n)]
                done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, check=False,
                                      env={**os.environ, "PYTHONPATH": str(REPO)})
                codes[n] = done.returncode
                if done.returncode == 0:
                    reports[n] = json.loads((scratch / f"r{n}.json").read_text())
                else:
                    print(f"  stream {n} failed: {done.stderr.strip()[-500:]}")

            threads = [threading.Thread(target=player, args=(n,)) for n in range(args.streams)]
            started = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            wall = time.perf_counter() - started
        finally:
            server.terminate()
            server.wait(30)
        print(f"{'stream':>6} {'bars':>5} {'late':>5} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}  model")
        for n, report in enumerate(reports):
            if report is None:
                print(f"{n:>6} failed (exit {codes[n]})")
                continue
            trip = report["round_trip_ms"]
            print(f"{n:>6} {report['bars']:>5} {report['late_bars']:>5} {trip['p50']:>8.2f} {trip['p99']:>8.2f} "
                  f"{trip['max']:>8.2f}  {report['model']}")
        good = [r for r in reports if r is not None]
        worst_p99 = max((r["round_trip_ms"]["p99"] for r in good), default=float("nan"))
        late = sum(r["late_bars"] for r in good)
        print(f"worst p99 {worst_p99:.2f} ms (target <= 30), late bars {late} (target 0), "
              f"{len(good)}/{args.streams} streams done, {wall:.0f} s wall")


if __name__ == "__main__":
    main()
