"""Where the gRPC process's CPU goes per play-along bar, the drummer's call and the rest apart: CPU time (threads'
user + system), not wall time, so a busy machine moves the figures little.

    python -m bench.live_server_cpu [--streams 4] [--speed 4] [--song REAL.mid ...] [--against OTHER_CHECKOUT]
                                    [--rounds 2] [--profile DUMP]

Each turn starts `python -m server`'s own `main` of a checkout (this one, or --against's, in turns: this, other, other,
this, ...) in a process of its own, with timers around what a bar meets in it, and plays --streams DAW helpers at once
(`--simulate` at --speed, bench_live_stream's songs). From the helpers' start to their end it reads the process's CPU
by thread from /proc (startup left out) and prints, per bar answered:
- the process whole, and its threads (the event loop's, gRPC's, the executor's);
- `drummer`: `LocalDrummer.run`, the live drummer's call (request, decision, render), on the loop;
- `after`: `LocalDrummer.after`, what a bar leaves for after its answer is sent (issue 102: the band read, the plan
  drawn), on the hearing thread (server/live_local.py; before it, on the loop between bars; 0 before issue 102);
- `take`: `take_bar`, the bar's notes checked and converted by the stream's session, on the loop;
- `deserialize`: the request deserializer gRPC calls on the loop (the size checks, and a short message's parse);
- `parse`: `Unparsed.parse`, protobuf's parse of a PlayAlong message (on the thread that calls it);
- `serialize`: the response serializer gRPC calls (protobuf's);
- `bar`: `PlayAlongStreams._bar` whole (drummer and take included: the answer's DrumBar built around them);
- `sweep`: `WorkerPool.sweep`, the idle workers looked at (4 times a second, bars or none);
and `outside` the drummer (the process less `drummer` and `after`), and the rest (gRPC's C core, asyncio, the
stream's loop, the collector) as the process less those.
`--profile DUMP`: cProfile (thread CPU time) of the event loop thread from the first bar to the end, the drummer's
call left out (bench/profile_live.py profiles it), for calls and costs function by function (`python -m pstats DUMP`;
under cProfile everything costs 2-3 times its plain time).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PARTS = ("drummer", "after", "take", "deserialize", "parse", "serialize", "bar", "sweep")


def _timed(spent: dict[str, float], name: str, function):  # type: ignore[no-untyped-def]
    """`function` with its thread CPU time added to spent[name] (any thread may call it)."""
    def timed(*args, **kwargs):  # type: ignore[no-untyped-def]
        started = time.thread_time()
        try:
            return function(*args, **kwargs)
        finally:
            spent[name] += time.thread_time() - started
    return timed


def serve(out: Path, server_args: list[str], profile: Path | None) -> int:
    """The server's own main with timers installed (the checkout's modules: its PYTHONPATH); the sums written to
    `out` at its end, and cProfile's stats of the loop thread from its first bar to `profile`."""
    import cProfile

    from server import __main__ as server_main
    from server import app, live_stream, pool, wire

    spent = dict.fromkeys(PARTS, 0.0)
    profiler = cProfile.Profile(time.thread_time)
    bars, profiled = [0], [False]
    run = _timed(spent, "drummer", live_stream.LocalDrummer.run)

    def unprofiled(*args):  # type: ignore[no-untyped-def]  (the drummer's own profile is bench/profile_live's)
        profiling = profile is not None and profiled[0]
        if profiling:
            profiler.disable()
        try:
            return run(*args)
        finally:
            if profiling:
                profiler.enable()

    live_stream.LocalDrummer.run = unprofiled  # type: ignore[method-assign]
    if hasattr(live_stream.LocalDrummer, "after"):  # issue 102's work after a bar's answer
        live_stream.LocalDrummer.after = _timed(spent, "after", live_stream.LocalDrummer.after)  # type: ignore
    live_stream.take_bar = _timed(spent, "take", live_stream.take_bar)
    pool.WorkerPool.sweep = _timed(spent, "sweep", pool.WorkerPool.sweep)  # type: ignore[method-assign]
    wire.Unparsed.parse = _timed(spent, "parse", wire.Unparsed.parse)  # type: ignore[method-assign]
    lenient = app._lenient
    app._lenient = lambda method, parse: _timed(spent, "deserialize", lenient(method, parse))
    register = app._Lenient.add_registered_method_handlers

    def registered(self, service, handlers):  # type: ignore[no-untyped-def]
        timed = {name: handler._replace(response_serializer=_timed(spent, "serialize", handler.response_serializer))
                 for name, handler in handlers.items()}
        return register(self, service, timed)

    app._Lenient.add_registered_method_handlers = registered  # type: ignore[method-assign]
    decide = live_stream.PlayAlongStreams._bar

    async def bar(self, *args):  # type: ignore[no-untyped-def]
        if not profiled[0] and profile:
            profiler.enable()
            profiled[0] = True
        started = time.thread_time()  # a local bar is decided without a pause: the loop thread's time is the bar's
        try:
            return await decide(self, *args)
        finally:
            spent["bar"] += time.thread_time() - started
            bars[0] += 1

    live_stream.PlayAlongStreams._bar = bar  # type: ignore[method-assign]
    try:
        return server_main.main(server_args)
    finally:
        profiler.disable()
        out.write_text(json.dumps({"bars": bars[0], "spent_s": spent}))
        if profile:
            profiler.dump_stats(profile)


def thread_cpu_s(pid: int) -> dict[str, float]:
    """CPU seconds (user + system) of each of the process's threads, by 'tid name' (the main thread: 'loop')."""
    found = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            name = (task / "comm").read_text().strip()
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        name = "loop" if task.name == str(pid) else name
        found[f"{task.name} {name}"] = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    return found


def play_turn(root: Path, songs: list[Path], args: argparse.Namespace, scratch: Path, profile: Path | None) -> dict:
    """One server of the checkout at `root`, one helper per song at once; the CPU it spent while they played."""
    from bench.bench_live_stream import free_port
    from bench.gc_live import listening

    port, sums = free_port(), scratch / "sums.json"
    env = {**os.environ, "PYTHONPATH": str(root)}
    command = [sys.executable, str(Path(__file__).resolve()), "--serve", str(sums), str(profile or ""), "--",
               "--port", str(port), "--workers", str(args.workers), "--max-streams", str(max(4, args.streams)),
               "--max-streams-per-peer", str(max(4, args.streams)), "--log-level", "WARNING"]
    server = listening(command, root, env)
    time.sleep(2.0)  # the workers' start (their processes) settles
    before = thread_cpu_s(server.pid)
    helpers = [subprocess.Popen([sys.executable, "-m", "client.daw_helper", "--server", f"127.0.0.1:{port}",
                                 "--simulate", str(song), "--speed", str(args.speed), "-o", str(scratch / f"o{n}.mid"),
                                 "--report", str(scratch / f"r{n}.json"), "--seed", str(n), "--force"],
                                cwd=root, stdout=subprocess.DEVNULL, env=env) for n, song in enumerate(songs)]
    for helper in helpers:
        helper.wait()
    after = thread_cpu_s(server.pid)
    server.send_signal(signal.SIGTERM)
    server.wait(60)
    reports = [json.loads((scratch / f"r{n}.json").read_text()) for n in range(len(songs))]
    return {"threads_s": {name: after[name] - before.get(name, 0.0) for name in after},
            "answered": sum(report["bars"] for report in reports), **json.loads(sums.read_text())}


def print_turn(label: str, turn: dict) -> dict[str, float]:
    """The turn's CPU ms per bar: the process, its threads, the timed parts, the rest."""
    per_bar = 1000 / max(1, turn["bars"])
    threads = turn["threads_s"]
    by_kind: dict[str, float] = {}
    for name, seconds in threads.items():
        kind = name.split(" ", 1)[1]
        by_kind[kind] = by_kind.get(kind, 0.0) + seconds * per_bar
    ms = {"process": sum(threads.values()) * per_bar, **{part: turn["spent_s"][part] * per_bar for part in PARTS}}
    ms["outside"] = ms["process"] - ms["drummer"] - ms["after"]
    ms["rest"] = (ms["process"] - ms["bar"] - ms["after"] - ms["deserialize"] - ms["parse"] - ms["serialize"]
                  - ms["sweep"])
    print(f"{label}: {turn['bars']} bars decided ({turn['answered']} answered), CPU ms per bar: process "
          f"{ms['process']:.2f} (" + ", ".join(f"{kind} {value:.2f}" for kind, value in sorted(by_kind.items())) + ")")
    print("  " + ", ".join(f"{part} {ms[part]:.3f}" for part in (*PARTS, "outside", "rest"))
          + "  (bar holds drummer and take)")
    return ms


def main() -> None:
    if len(sys.argv) > 3 and sys.argv[1] == "--serve":
        sys.exit(serve(Path(sys.argv[2]), sys.argv[sys.argv.index("--") + 1:],
                       Path(sys.argv[3]) if sys.argv[3] else None))
    from bench.bench_coldstart import default_real_songs
    from bench.gc_live import stream_parser

    parser = stream_parser(__doc__)
    parser.add_argument("--against", type=Path, default=None, help="a second checkout, run in turns with this one")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--profile", type=Path, default=None, help="cProfile's stats of the loop thread (this one)")
    args = parser.parse_args()
    args.profile = args.profile.resolve() if args.profile else None
    found = [song.resolve() for song in args.song] or default_real_songs(args.streams)
    songs = [found[n % len(found)] for n in range(args.streams)]
    print(f"songs: {', '.join(song.name for song in songs)}; {args.streams} streams at --speed {args.speed:g}; "
          f"load average {os.getloadavg()[0]:.2f}")
    checkouts = [("this", REPO)] + ([("against", args.against.resolve())] if args.against else [])
    totals: dict[str, list[dict[str, float]]] = {}
    with tempfile.TemporaryDirectory() as scratch:
        for round_ in range(args.rounds):
            for label, root in checkouts if round_ % 2 == 0 else checkouts[::-1]:
                profile = args.profile if label == "this" and args.profile and round_ == 0 else None
                turn = play_turn(root, songs, args, Path(scratch), profile)
                totals.setdefault(label, []).append(print_turn(f"{label} ({root})", turn))
    if len(totals) == 2:
        for what in ("process", "drummer", "after", "outside"):
            mine, other = (sum(t[what] for t in totals[label]) / len(totals[label]) for label in ("this", "against"))
            print(f"{what} CPU per bar, mean of the turns: this {mine:.2f} ms, against {other:.2f} ms"
                  + (f", ratio {mine / other:.3f}" if other else ""))

if __name__ == "__main__":
    main()
