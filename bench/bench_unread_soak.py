"""Issue 89 P1's soak: play-along streams that never read their answers, evicted and cancelled, cycle after cycle,
against a server on loopback; prints the calls in flight and the gRPC process's memory.

    python -m bench.bench_unread_soak [--cycles 30] [--checkpoint PATH]

The server runs in this process (server/testing.py, its workers beside it, the stand-in loop drummer), so that its
call counts can be read: `_Call.in_flight` (handlers running) and `_Call.held` (calls gRPC still holds, a handler's
or one whose status has not gone out). Its limits are the issue's (--max-streams 4, --max-streams-per-peer 4,
standing for 2 addresses at the default) with short waits, so that a cycle takes seconds: a stream resting 1 s may
be given away (live_rest_s), an answer may wait unread 3 s (live_unread_s). The attacker is a child process (its
unread answers, up to gRPC's default window of about 4 MiB a stream, are not counted as the server's), each of its
streams on its own connection, and each cycle:

1. opens 4 streams that never read: a start, a bar with a note, then silent bars of 8/1 (32 quarter notes, the
   longest a bar may be) at 10 BPM as fast as gRPC takes them, each answered with 32 quarters of drums (about
   1.7 KB): odd cycles on 16 KiB windows (full at once: the server's next answer waits), even cycles on gRPC's
   default (about 4 MiB: full after 5-15 s here, the issue's attacker);
2. 1.5 s later (all 4 resting) opens a fifth that plays a bar and reads it: one of the 4 (the first, as a rule)
   loses its slot;
3. cancels the 2nd and 3rd, and leaves the 4th to the unread limit: waits until it has ended (at most 40 s).

Sampled every 50 ms: both counts and the gRPC process's resident memory. The issue's bound: calls in flight never
above the stream limit plus 4 (8), memory within 50 MB of its start. Before the fix (issue 89): 27 cycles, 100 calls
in flight, 99 -> 811 MB. The whole soak is bounded: --cycles cycles of 5-25 s (at most 50 s) each. The attacker's
line per cycle says how each of the 4 ended as it saw it: UNAVAILABLE (hung up on), CANCELLED (by itself), or
"answers unread" (the server sent its status, RESOURCE_EXHAUSTED for one that lost its slot with no answer waiting,
which a client that never reads never sees).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
STREAMS = 4
REST_S = 1.0
UNREAD_S = 3.0
FILL_LIMIT_S = 40.0  # a default window (about 4 MiB) fills in 5-15 s here
OWN_CONNECTION = [("grpc.use_local_subchannel_pool", 1)]  # else gRPC puts a process's channels on one connection
SMALL_WINDOW = [("grpc.http2.bdp_probe", 0), ("grpc.http2.lookahead_bytes", 16_384)]


def attack(address: str, cycles: int) -> None:
    """The child: `cycles` cycles of never-reading streams (steps 1-3 above); one line per cycle."""
    import grpc

    from seq2drum.rpc import seq2drum_pb2 as pb
    from seq2drum.rpc import seq2drum_pb2_grpc

    start = pb.PlayAlongRequest(start=pb.PlayAlongStart(options=pb.GenerationOptions(seed=1),
                                                        parts=[pb.LivePart(name="Guitar", program=29)]))
    note = pb.LiveNote(onset_quarters=0.5, duration_quarters=0.25, pitch=40, velocity=100)

    def bar(index: int, notes: list, meter: tuple[int, int] = (4, 4), tempo: float = 120.0) -> pb.PlayAlongRequest:
        return pb.PlayAlongRequest(bar=pb.PlayedBar(index=index, numerator=meter[0], denominator=meter[1],
                                                    tempo_bpm=tempo, notes=notes))

    def never_read(stop: threading.Event):  # noqa: ANN202
        yield from (start, bar(0, [note]))
        index = 1
        while not stop.is_set():
            yield bar(index, [], (8, 1), 10.0)
            index += 1

    print("ready", flush=True)
    for cycle in range(1, cycles + 1):
        small = cycle % 2 == 1
        stop = threading.Event()
        channels = [grpc.insecure_channel(address, options=OWN_CONNECTION + (SMALL_WINDOW if small else []))
                    for _ in range(STREAMS)]
        calls = [seq2drum_pb2_grpc.Seq2DrumStub(channel).PlayAlong(never_read(stop)) for channel in channels]
        time.sleep(REST_S + 0.5)  # all 4 resting (and, with small windows, their answers waiting unread)
        with grpc.insecure_channel(address) as channel:
            try:
                answers = list(seq2drum_pb2_grpc.Seq2DrumStub(channel).PlayAlong(iter([start, bar(0, [note])]),
                                                                                   timeout=10))
                newcomer = f"OK({len(answers)})"
            except grpc.RpcError as error:
                newcomer = error.code().name
        for call in calls[1:3]:
            call.cancel()
        give_up = time.monotonic() + (UNREAD_S + 2.0 if small else FILL_LIMIT_S + UNREAD_S)
        while not calls[-1].done() and time.monotonic() < give_up:  # the last: left to the unread limit
            time.sleep(0.05)
        stop.set()
        ended = [call.code().name if call.done() else "answers unread" for call in calls]
        for call in calls:
            call.cancel()
        for channel in channels:
            channel.close()
        window = "16 KiB windows" if small else "gRPC's default windows"
        print(f"cycle {cycle} ({window}): newcomer {newcomer}; the 4 that never read ended {', '.join(ended)}",
              flush=True)


def show(lines: list[str], shown: int, most: dict[str, int], mib: float) -> int:
    """Print the attacker's new cycle lines with the figures so far; how many lines are shown now."""
    for line in lines[shown:]:
        if line.startswith("cycle"):
            print(f"   {line}; so far: in flight <= {most['in_flight']}, held by gRPC <= {most['held']}, "
                  f"memory {mib:.0f} MiB", flush=True)
    return len(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=30)
    parser.add_argument("--checkpoint", type=Path, default=None)
    parser.add_argument("--attack", metavar="ADDRESS", help=argparse.SUPPRESS)  # the child
    args = parser.parse_args(argv)
    if args.attack:
        os.environ.setdefault("GRPC_VERBOSITY", "NONE")
        attack(args.attack, args.cycles)
        return 0

    from bench.machine import bench_checkpoint, describe_machine
    from server.config import ServerConfig
    from server.live_jobs import LiveModel
    from server.testing import ServerThread
    from server.workers import ModelSource

    print("== seq2drum play-along streams that never read (issue 89 P1) ==")
    print(describe_machine())
    config = ServerConfig(workers=1, max_streams=STREAMS, max_streams_per_peer=STREAMS, live_rest_s=REST_S,
                          live_unread_s=UNREAD_S, live_idle_s=10.0, live_max_idle_s=60.0)
    print(f"server: max_streams {config.max_streams}, max_streams_per_peer {config.max_streams_per_peer}, live_rest_s "
          f"{config.live_rest_s:g}, live_unread_s {config.live_unread_s:g}; {args.cycles} cycles")
    with tempfile.TemporaryDirectory() as scratch, ServerThread(
            "127.0.0.1:0", ModelSource(bench_checkpoint(args.checkpoint, Path(scratch)), live=LiveModel(None)),
            config) as server:
        soak(server.port, args.cycles, config.max_streams + 4)
    return 0


def soak(port: int, cycles: int, bound: int) -> None:
    """Run the attacker against the server on `port`, sampling its call counts and memory; print the figures."""
    from bench.bench_server import rss_mib
    from server.servicer import _Call

    pid = os.getpid()
    time.sleep(1.0)
    start_mib = rss_mib(pid) or 0.0
    child = subprocess.Popen([sys.executable, "-m", "bench.bench_unread_soak", "--attack", f"127.0.0.1:{port}",
                              "--cycles", str(cycles)], cwd=REPO, stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(line.rstrip() for line in child.stdout), daemon=True)
    reader.start()
    started = time.monotonic()
    most = {"in_flight": 0, "held": 0}
    peak_mib, shown = start_mib, 0
    while child.poll() is None and time.monotonic() - started < cycles * (FILL_LIMIT_S + UNREAD_S + 10) + 60:
        most["in_flight"] = max(most["in_flight"], _Call.in_flight)
        most["held"] = max(most["held"], _Call.held)
        peak_mib = max(peak_mib, rss_mib(pid) or 0.0)
        shown = show(lines, shown, most, rss_mib(pid) or 0.0)
        time.sleep(0.05)
    if child.poll() is None:
        child.kill()
    child.wait(30)
    reader.join(5)
    show(lines, shown, most, rss_mib(pid) or 0.0)
    elapsed_s = time.monotonic() - started
    time.sleep(3.0)
    end_mib = rss_mib(pid) or 0.0
    print(f"\n{cycles} cycles in {elapsed_s:.0f} s (the attacker exited {child.returncode})")
    print(f"calls in flight, most at once: {most['in_flight']} handlers, {most['held']} held by gRPC "
          f"(the bound: the stream limit plus 4 = {bound}: {'kept' if most['held'] <= bound else 'EXCEEDED'})")
    print(f"after: {_Call.in_flight} handlers, {_Call.held} held by gRPC")
    print(f"gRPC process memory: start {start_mib:.0f} MiB, peak {peak_mib:.0f} MiB "
          f"({peak_mib - start_mib:+.0f}), 3 s after {end_mib:.0f} MiB ({end_mib - start_mib:+.0f}; the bound: "
          f"+50 MB: {'kept' if max(peak_mib, end_mib) - start_mib <= 50e6 / 2**20 else 'EXCEEDED'})")


if __name__ == "__main__":
    sys.exit(main())
