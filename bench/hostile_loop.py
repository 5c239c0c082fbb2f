"""Issue 98 Q3 and Q5's figures, in one run: what hostile clients cost the others on an event loop.

    python -m bench.hostile_loop [--checkpoint models/default.pt] [--seconds 40] [--only q3|q5]

Q3: `python -m seq2drum.studio` (1 worker, uploads up to 64 MiB); `GET /api/config` every 20 ms, alone and while two
60 MiB uploads of a MIDI header followed by zeros are sent together and refused: its p50/p99 and their ratio (the
issue asks the p99 under 100 ms during the uploads), and what the uploads got.

Q5: `python -m server` (2 workers, the shipped live model); a player at real time (2/4 bars at 240 BPM, one every
0.5 s, so that it gets many round trips) alone, then beside three flooding processes, each sending 4/4 bars as fast
as answers come: the player's round-trip p50/p95 each way and their ratio (asked within 1.5x), and the bars each
flood got a second.

Run it on an idle machine; the figures printed say the load (`os.getloadavg`) before and after each part.
"""

from __future__ import annotations

import argparse
import json
import os
import struct
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MiB = 1024 * 1024
ZEROS_MIB = 60
RIFF_QUARTERS = 2  # the player's 2/4 bar


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.1f} (5-min {five:.1f}) on {os.cpu_count()} cores"


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * (len(ordered) - 1) + 0.5))] if ordered else float("nan")


# ------------------------------------------------------------------------------------------------------------- Q3
def q3(checkpoint: Path, seconds: float) -> None:
    from bench.hostile_parts import studio_request

    zeros = b"MThd" + struct.pack(">IHHH", 6, 1, 1, 480) + bytes(ZEROS_MIB * MiB)
    with tempfile.TemporaryDirectory() as scratch:
        env = {**os.environ, "TMPDIR": scratch, "OMP_NUM_THREADS": "1"}
        process = subprocess.Popen([sys.executable, "-m", "seq2drum.studio", "--host", "127.0.0.1", "--port", "0",
                                    "--workers", "1", "--checkpoint", str(checkpoint), "--max-upload-mib", "64"],
                                   cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = process.stdout.readline() if process.stdout else ""
        host, port = line.split()[2].split("/")[2].rsplit(":", 1)
        try:
            print(f"\nQ3: the studio's GET /api/config every 20 ms ({load()})")
            alone = config_times(host, int(port), seconds / 2, None)
            session = json.loads(studio_request(host, int(port), "POST", "/api/sessions")[1])["session"]
            answers: list[str] = []

            def upload() -> None:
                started = time.perf_counter()
                status, body = studio_request(host, int(port), "POST",
                                              f"/api/sessions/{session}/songs?name=zeros.mid", zeros)
                error = json.loads(body).get("error", "") if status != 200 else "kept"
                answers.append(f"HTTP {status} in {time.perf_counter() - started:.2f} s: {error[:110]}")

            def two_uploads() -> None:
                while not done.is_set():
                    uploads = [threading.Thread(target=upload) for _ in range(2)]
                    for thread in uploads:
                        thread.start()
                    for thread in uploads:
                        thread.join()

            done = threading.Event()
            flood = threading.Thread(target=two_uploads, daemon=True)
            flood.start()
            time.sleep(0.5)
            during = config_times(host, int(port), seconds / 2, done)
            flood.join(120)
            for name, values in (("alone", alone), ("two 60 MiB zero uploads at a time", during)):
                print(f"   {name:<34} p50 {quantile(values, 0.5):6.1f} ms, p99 {quantile(values, 0.99):6.1f} ms, "
                      f"max {max(values):6.1f} ms ({len(values)} asked)")
            print(f"   p99 ratio {quantile(during, 0.99) / quantile(alone, 0.99):.2f}x; the uploads ({len(answers)}): "
                  f"{answers[0] if answers else 'none'}")
            print(f"   ({load()} after)")
        finally:
            process.terminate()
            process.wait(60)


def config_times(host: str, port: int, seconds: float, stop: threading.Event | None) -> list[float]:
    from bench.hostile_parts import studio_request

    times, until = [], time.monotonic() + seconds
    while time.monotonic() < until:
        started = time.perf_counter()
        studio_request(host, port, "GET", "/api/config")
        times.append((time.perf_counter() - started) * 1000)
        time.sleep(0.02)
    if stop is not None:
        stop.set()
    return times


# ------------------------------------------------------------------------------------------------------------- Q5
def q5(checkpoint: Path, seconds: float) -> None:
    from bench.bench_soak import start_server

    process, address = start_server(checkpoint, 2, "--max-streams", "8", "--max-streams-per-peer", "8")
    try:
        print(f"\nQ5: a player's round trips at real time (2/4 at 240 BPM), {address} ({load()})")
        alone = player(address, seconds / 2)
        flooders = [subprocess.Popen([sys.executable, "-m", "bench.hostile_loop", "--flood", address,
                                      "--seconds", str(seconds / 2 + 4)], cwd=REPO, stdout=subprocess.PIPE, text=True)
                    for _ in range(3)]
        for flooder in flooders:
            flooder.stdout.readline()  # "ready"
        time.sleep(1.0)
        beside = player(address, seconds / 2)
        rates = [flooder.communicate(timeout=120)[0].strip() for flooder in flooders]
        for name, values in (("alone", alone), ("beside three flooding streams", beside)):
            print(f"   {name:<30} p50 {quantile(values, 0.5):6.1f} ms, p95 {quantile(values, 0.95):6.1f} ms "
                  f"({len(values)} bars)")
        print(f"   p95 ratio {quantile(beside, 0.95) / quantile(alone, 0.95):.2f}x, p50 ratio "
              f"{quantile(beside, 0.5) / quantile(alone, 0.5):.2f}x; the floods: {'; '.join(rates)}")
        print(f"   ({load()} after)")
    finally:
        process.terminate()
        process.wait(60)


def _link(address: str):  # noqa: ANN202
    import grpc

    from client.live_link import LiveLink
    from seq2drum.rpc import seq2drum_pb2 as pb

    channel = grpc.insecure_channel(address)
    return channel, LiveLink(channel, pb.GenerationOptions(seed=1), [("Guitar", 29, 0)])


def player(address: str, seconds: float) -> list[float]:
    """A player at real time: one 2/4 bar at 240 BPM (0.5 s) each 0.5 s; each bar's round trip in ms."""
    from client.live_link import Note

    riff = [Note(q / 2, 0.4, 40 + q % 3, 100, 0) for q in range(2 * RIFF_QUARTERS)]
    bar_s = RIFF_QUARTERS * 60 / 240
    channel, link = _link(address)
    times = []
    with channel, link:
        link.open()
        started = time.perf_counter()
        index = 0
        while time.perf_counter() - started < seconds:
            due = started + index * bar_s
            time.sleep(max(0.0, due - time.perf_counter()))
            link.send(index, (2, 4), 240.0, riff if index else [])
            if link.wait(index, 10.0) is not None and index >= 2:  # the first bars warm the stream
                times.append(link.round_trip_ms(index))
            index += 1
    return times


def flood(address: str, seconds: float) -> None:
    """One flooding stream: 4/4 bars at 120 BPM (2 s each) as fast as answers come; prints its bars a second."""
    from client.live_link import Note

    riff = [Note(q / 2, 0.4, 40 + q % 3, 100, 0) for q in range(8)]
    channel, link = _link(address)
    with channel, link:
        link.open()
        print("ready", flush=True)
        started, index = time.perf_counter(), 0
        while time.perf_counter() - started < seconds:
            link.send(index, (4, 4), 120.0, riff if index else [])
            if link.wait(index, 30.0) is None:
                break
            index += 1
    print(f"{index / (time.perf_counter() - started):.0f} bars/s", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", type=Path, default=REPO / "models" / "default.pt")
    parser.add_argument("--seconds", type=float, default=40.0)
    parser.add_argument("--only", choices=("q3", "q5"))
    parser.add_argument("--flood", metavar="ADDRESS", help=argparse.SUPPRESS)  # one flooding process of Q5
    args = parser.parse_args(argv)
    if args.flood:
        flood(args.flood, args.seconds)
        return 0
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    if args.only in (None, "q3"):
        q3(args.checkpoint, args.seconds)
    if args.only in (None, "q5"):
        q5(args.checkpoint, args.seconds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
