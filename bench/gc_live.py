"""Garbage collections on a play-along bar's way, counted, not timed (so a loaded machine gives the same figures):
in the server's gRPC process (`python -m server`'s own `main` in a process of its own, its collector's callbacks
installed first) and in each player (the DAW helper's `--simulate`, likewise), as bench/bench_live_stream.py plays.

    python -m bench.gc_live [--streams 4] [--speed 4] [--song REAL.mid ...] [--out runs/gc.json] [--profile DUMP]

The server: bars answered, collections per generation, those that started while a bar was decided
(`PlayAlongStreams._bar` running), the tracked objects a bar leaves (the generation-0 count after it less before, in
bars that met no collection) and those left between two bars, its CPU seconds by thread (what runs where). Each
helper: its collections, and those that started while one of its bars was on its way (sent, drums not back: the
round trip its report measures). The collections' CPU time (thread time) moves with the machine; the counts do not.
`--profile DUMP`: cProfile (thread CPU time) of the server's event loop thread, to read calls per bar in a bar's
decision and around it (the messages' reading and writing, asyncio, gRPC).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench.bench_coldstart import default_real_songs
from bench.bench_live_stream import CLOCK_TICKS, free_port
from bench.machine import describe_machine

REPO = Path(__file__).resolve().parents[1]


class Counts:
    """What the gRPC process's collector did, bar by bar (filled in the server process)."""

    def __init__(self) -> None:
        self.in_bar = 0  # bars being decided now (0 or 1: a bar is decided on the loop)
        self.bars = 0
        self.collections = [0, 0, 0]
        self.mid_bar = [0, 0, 0]
        self.cpu_ms = [0.0, 0.0, 0.0]
        self.mid_bar_cpu_ms: list[float] = []
        self.bar_objects: list[int] = []  # gen-0 count added by a bar's decision (bars without a collection)
        self.between_objects: list[int] = []  # ... between one bar's end and the next bar's start, likewise
        self._started = 0.0
        self._seen = 0  # collections so far, to tell a bar that met one
        self._last_end: tuple[int, int] | None = None  # (gen-0 count, collections) at the last bar's end

    def on_collection(self, phase: str, info: dict) -> None:
        generation = info["generation"]
        if phase == "start":
            self._started = time.thread_time()
            self.collections[generation] += 1
            self._seen += 1
            if self.in_bar:
                self.mid_bar[generation] += 1
            return
        spent_ms = (time.thread_time() - self._started) * 1000
        self.cpu_ms[generation] += spent_ms
        if self.in_bar:
            self.mid_bar_cpu_ms.append(spent_ms)

    def report(self) -> dict:
        return {"bars": self.bars, "collections": self.collections, "mid_bar": self.mid_bar,
                "cpu_ms": [round(ms, 2) for ms in self.cpu_ms], "mid_bar_cpu_ms": sorted(self.mid_bar_cpu_ms),
                "bar_objects": self.bar_objects, "between_objects": self.between_objects,
                "threshold": list(gc.get_threshold()), "enabled": gc.isenabled()}


def serve(out: Path, server_args: list[str], profile: Path | None) -> int:
    """The server's own main, its bars marked and its collections counted; the counts written to `out` at its end
    (and cProfile's stats of its main thread, the event loop's, to `profile`)."""
    import cProfile

    from server import __main__ as server_main
    from server.live_stream import PlayAlongStreams

    counts = Counts()
    gc.callbacks.append(counts.on_collection)
    decide = PlayAlongStreams._bar

    async def marked(self, bar, session, slot, context):  # type: ignore[no-untyped-def]
        before = (gc.get_count()[0], counts._seen)
        if counts._last_end is not None and counts._last_end[1] == counts._seen:
            counts.between_objects.append(before[0] - counts._last_end[0])
        counts.in_bar += 1
        try:
            return await decide(self, bar, session, slot, context)
        finally:
            counts.in_bar -= 1
            counts.bars += 1
            counts._last_end = (gc.get_count()[0], counts._seen)
            if counts._seen == before[1]:
                counts.bar_objects.append(counts._last_end[0] - before[0])

    PlayAlongStreams._bar = marked  # type: ignore[method-assign]
    profiler = cProfile.Profile(time.thread_time)
    if profile:
        profiler.enable()
    try:
        return server_main.main(server_args)
    finally:
        profiler.disable()
        out.write_text(json.dumps(counts.report()))
        if profile:
            profiler.dump_stats(profile)
            Path(f"{profile}.bars").write_text(f"{counts.bars}\n")


def helper(out: Path, helper_args: list[str]) -> int:
    """The DAW helper's own main, its collections counted: in all, and those that started while one of its bars
    was between its send and its drums' arrival (the round trip the report measures); written to `out` at its end."""
    from client import daw_helper
    from client.live_link import LiveLink

    links: list[LiveLink] = []
    found = {"collections": [0, 0, 0], "in_flight": [0, 0, 0], "cpu_ms": [0.0, 0.0, 0.0],
             "in_flight_cpu_ms": [], "tracked_at_end": 0}
    started = [0.0, False]

    def on_collection(phase: str, info: dict) -> None:
        generation = info["generation"]
        if phase == "start":
            flying = any(len(link._sent) > len(link._answers) for link in links)
            found["collections"][generation] += 1
            found["in_flight"][generation] += flying
            started[:] = [time.thread_time(), flying]
            return
        spent_ms = (time.thread_time() - started[0]) * 1000
        found["cpu_ms"][generation] += spent_ms
        if started[1]:
            found["in_flight_cpu_ms"].append(round(spent_ms, 3))

    opened = LiveLink.open

    def registered(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        links.append(self)
        return opened(self, *args, **kwargs)

    LiveLink.open = registered  # type: ignore[method-assign]
    gc.callbacks.append(on_collection)
    try:
        return daw_helper.main(helper_args)
    finally:
        found["tracked_at_end"] = len(gc.get_objects())
        out.write_text(json.dumps(found))


def play(args: argparse.Namespace, scratch: Path) -> tuple[dict, list[dict]]:
    """One server, --streams helpers at once; the server's counts and the helpers' reports."""
    port, counts_path = free_port(), scratch / "gc.json"
    songs = args.song or default_real_songs(args.streams)
    songs = [songs[n % len(songs)] for n in range(args.streams)]
    command = [sys.executable, "-m", "bench.gc_live", "--serve", str(counts_path), str(args.profile or ""), "--",
               "--port", str(port),
               "--workers", str(args.workers), "--max-streams", str(max(4, args.streams)), "--max-streams-per-peer",
               str(max(4, args.streams)), "--log-level", "WARNING"]
    server = listening(command, REPO, {**os.environ, "PYTHONPATH": str(REPO)})
    helpers = [subprocess.Popen([sys.executable, "-m", "bench.gc_live", "--helper", str(scratch / f"g{n}.json"), "--",
                                 "--server", f"127.0.0.1:{port}",
                                 "--simulate", str(song), "--speed", str(args.speed), "-o", str(scratch / f"o{n}.mid"),
                                 "--report", str(scratch / f"r{n}.json"), "--seed", str(n), "--force"],
                                cwd=REPO, stdout=subprocess.DEVNULL, env={**os.environ, "PYTHONPATH": str(REPO)})
               for n, song in enumerate(songs)]
    reports = []
    for n, helper in enumerate(helpers):
        helper.wait()
        path = scratch / f"r{n}.json"
        reports.append(json.loads(path.read_text()) if path.is_file() else {})
        if reports[-1] and (scratch / f"g{n}.json").is_file():
            reports[-1]["helper_gc"] = json.loads((scratch / f"g{n}.json").read_text())
    threads = thread_cpu_s(server.pid)
    server.send_signal(signal.SIGTERM)
    server.wait(60)
    return {**json.loads(counts_path.read_text()), "thread_cpu_s": threads}, reports


def thread_cpu_s(pid: int) -> dict[str, float]:
    """The gRPC process's CPU seconds (user + system) by thread name, its threads of one name summed: which of its
    threads do the work (the event loop's is the process's main thread)."""
    spent: dict[str, float] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            name = (task / "comm").read_text().strip()
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # gone meanwhile
            continue
        name = "main (event loop)" if task.name == str(pid) else name
        spent[name] = round(spent.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / CLOCK_TICKS, 2)
    return spent


def print_counts(counts: dict, reports: list[dict]) -> None:
    bars = max(1, counts["bars"])
    made, between = counts["bar_objects"], counts["between_objects"]
    print(f"bars answered: {counts['bars']} (collector {'on' if counts['enabled'] else 'off'}, thresholds "
          f"{counts['threshold']})")
    print(f"  collections per generation {counts['collections']} ({sum(counts['collections']) / bars:.3f} a bar); "
          f"started inside a bar {counts['mid_bar']} ({sum(counts['mid_bar']) / bars:.3f} a bar)")
    if made and between:
        print(f"  tracked objects left by a bar's decision: median {statistics.median(made):.0f}, max {max(made)}; "
              f"between two bars of the server: median {statistics.median(between):.0f}")
    mid = counts["mid_bar_cpu_ms"]
    print(f"  collections' CPU ms per generation {counts['cpu_ms']}; inside bars: "
          + (f"median {statistics.median(mid):.2f}, max {max(mid):.2f}" if mid else "none"))
    print(f"  the gRPC process's CPU seconds by thread (startup included): {counts['thread_cpu_s']}")
    for n, report in enumerate(reports):
        if report:
            print(f"  stream {n}: {report['bars']} bars, {report['late_bars']} late, round trip p50 "
                  f"{report['round_trip_ms']['p50']:.2f} p99 {report['round_trip_ms']['p99']:.2f} ms (wall: the "
                  "machine's)")
            if "helper_gc" in report:
                own = report["helper_gc"]
                print(f"    its helper's collections {own['collections']}, started while a bar was on its way "
                      f"{own['in_flight']} (CPU ms {own['in_flight_cpu_ms']}), {own['tracked_at_end']} objects tracked")


def listening(command: list[str], root: Path, env: dict[str, str]) -> subprocess.Popen:
    """The server `command` started in `root`, once it says it is listening (what it printed before, shown); its
    later output read and dropped on a thread, so that it never blocks on a full pipe."""
    server = subprocess.Popen(command, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    assert server.stdout is not None
    for line in server.stdout:
        if "listening" in line:
            break
        print(f"  server: {line.rstrip()}")
    threading.Thread(target=lambda: [None for _ in server.stdout], daemon=True).start()
    return server

def stream_parser(doc: str | None) -> argparse.ArgumentParser:
    """The options every live-stream bench takes: how many players, how fast, the server's workers, the songs."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--streams", type=int, default=4)
    parser.add_argument("--speed", type=float, default=4.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--song", type=Path, action="append", default=[])
    return parser

def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--helper":
        sys.exit(helper(Path(sys.argv[2]), sys.argv[sys.argv.index("--") + 1:]))
    if len(sys.argv) > 3 and sys.argv[1] == "--serve":
        sys.exit(serve(Path(sys.argv[2]), sys.argv[sys.argv.index("--") + 1:],
                       Path(sys.argv[3]) if sys.argv[3] else None))
    parser = stream_parser(__doc__)
    parser.add_argument("--out", type=Path, default=None, help="also write the counts here (JSON)")
    parser.add_argument("--profile", type=Path, default=None, help="cProfile's stats of the server's loop thread")
    args = parser.parse_args()
    print(describe_machine())
    print(f"load average at the start: {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as scratch:
        counts, reports = play(args, Path(scratch))
    print_counts(counts, reports)
    if args.out:
        args.out.write_text(json.dumps({"counts": counts, "reports": reports}))


if __name__ == "__main__":
    main()
