"""Throughput, latency and refusals of the gRPC server with 1, 4, 8 and 16 concurrent clients, against in-process
generation.

    python -m bench.bench_server [--checkpoint PATH] [--concurrency 1 4 8 16] [--songs-per-level 32]
                                 [--server-workers CORES] [--max-waiting 0 8]

Each song is a 4-minute guitar riff (120 bars of 4/4 at 120 BPM), built in code. The server runs as
`python -m server` in a subprocess on loopback, once per --max-waiting value (0 = refuse at once whenever every
worker is busy, as before the line of waiting songs existed), its workers warmed first; each client is a thread with
its own channel, and a refusal (UNAVAILABLE) is retried with the DAW helper's jittered backoff and counted. The same
songs then go through `DrumGenerator.generate` in a loop in this process, for the cost of the server around the
model.
Without --checkpoint the shipped models/default.pt is used, or, when it is missing, a tiny random model
(the output says so: such figures measure the plumbing, not the real model).
"""

from __future__ import annotations

import argparse
import os
import queue
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent import futures
from pathlib import Path


import grpc
import torch

from bench.machine import describe_machine
from seq2drum.rpc import seq2drum_pb2, seq2drum_pb2_grpc
from seq2drum.model.checkpoint import DEFAULT_CHECKPOINT
from seq2drum.options import GenerationOptions
from seq2drum.generation.generator import DrumGenerator
from tests.builders import notes_from_steps, riff, song_bytes, tiny_checkpoint

REPO = Path(__file__).resolve().parents[1]

BARS_PER_SONG = 120  # 4 minutes of 4/4 at 120 BPM


def make_songs(count: int) -> list[bytes]:
    """`count` different 4-minute songs: the riff starts on a different root in each."""
    return [song_bytes(notes_from_steps(riff(BARS_PER_SONG, root=38 + index % 8), length_steps=2))
            for index in range(count)]


def rss_mib(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def descendants(pid: int) -> list[int]:
    """Every process below `pid` (the fork server and the workers), from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def worker_rss_mib(pid: int) -> tuple[float, float]:
    """(largest, total) resident memory of the server's child processes, MiB (the fork server included)."""
    sizes = [size for size in (rss_mib(child) for child in descendants(pid)) if size is not None]
    return (max(sizes), sum(sizes)) if sizes else (float("nan"), float("nan"))


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    rank = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[rank]


class ServerProcess:
    """`python -m server` on 127.0.0.1 and a free port, stopped with SIGTERM."""

    def __init__(self, checkpoint: Path, workers: int, torch_threads: int, max_waiting: int) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "server", "--host", "127.0.0.1", "--port", "0", "--checkpoint", str(checkpoint),
             "--workers", str(workers), "--torch-threads", str(torch_threads), "--max-waiting", str(max_waiting),
             "--log-level", "WARNING"],
            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=lambda: [lines.put(line) for line in self.process.stdout], daemon=True).start()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                line = lines.get(timeout=0.2)
            except queue.Empty:
                if self.process.poll() is not None:
                    raise RuntimeError(f"the server exited: {self.process.stderr.read().strip()}") from None
                continue
            if "listening on" in line:
                self.address = line.split("listening on", 1)[1].strip()
                return
        self.stop()
        raise RuntimeError("the server did not start within 120 s")

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        return self.process.returncode


def request_for(song: bytes) -> seq2drum_pb2.GenerateRequest:
    return seq2drum_pb2.GenerateRequest(midi=song, options=seq2drum_pb2.GenerationOptions(seed=1))


def run_level(address: str, songs: list[bytes], concurrency: int, timeout_s: float, busy_retries: int) -> dict:
    """Send every song once, `concurrency` at a time, each client on its own channel. Busy answers are retried."""
    jobs: queue.Queue[bytes] = queue.Queue()
    for song in songs:
        jobs.put(song)
    latencies: list[float] = []
    errors: list[str] = []
    busy = [0]
    lock = threading.Lock()

    def client() -> None:
        with grpc.insecure_channel(address, options=[("grpc.max_receive_message_length", -1)]) as channel:
            stub = seq2drum_pb2_grpc.Seq2DrumStub(channel)
            while True:
                try:
                    song = jobs.get_nowait()
                except queue.Empty:
                    return
                started = time.perf_counter()
                for attempt in range(busy_retries + 1):
                    try:
                        stub.Generate(request_for(song), timeout=timeout_s)
                        with lock:
                            latencies.append(time.perf_counter() - started)
                        break
                    except grpc.RpcError as error:
                        retryable = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.RESOURCE_EXHAUSTED)
                        if error.code() in retryable and attempt < busy_retries:
                            with lock:
                                busy[0] += 1
                            ceiling_s = min(0.25 * 2 ** attempt, 2.0)  # the DAW helper's jittered backoff
                            time.sleep(ceiling_s / 2 + random.uniform(0, ceiling_s / 2))
                            continue
                        with lock:
                            errors.append(f"{error.code().name}: {error.details()}")
                        break

    started = time.perf_counter()
    with futures.ThreadPoolExecutor(concurrency) as pool:
        for future in [pool.submit(client) for _ in range(concurrency)]:
            future.result()
    wall_s = time.perf_counter() - started
    return {"wall_s": wall_s, "latencies": latencies, "errors": errors, "busy": busy[0]}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", type=Path, default=None, help="default: models/default.pt, else a tiny model")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 8, 16])
    parser.add_argument("--songs-per-level", type=int, default=32)
    parser.add_argument("--server-workers", type=int, default=os.cpu_count() or 1,
                        help="worker processes (default: one per core, workers x torch threads = cores)")
    parser.add_argument("--max-waiting", type=int, nargs="+", default=[0, 8],
                        help="server line lengths to compare, one server run each (0 = refuse at once when busy)")
    parser.add_argument("--torch-threads", type=int, default=1, help="per generation, in the server and in-process")
    parser.add_argument("--timeout", type=float, default=600.0, help="deadline of one request, seconds")
    parser.add_argument("--busy-retries", type=int, default=200, help="retries of a refusal (UNAVAILABLE)")
    return parser


def pick_checkpoint(asked: Path | None, scratch: Path) -> Path:
    """--checkpoint, else the shipped model, else a tiny random one (said loudly: its figures are plumbing only)."""
    if asked is not None:
        return asked
    if DEFAULT_CHECKPOINT.is_file():
        return DEFAULT_CHECKPOINT
    print(f"NOTE: {DEFAULT_CHECKPOINT} not found; using a TINY RANDOM model. These figures measure the "
          "server and MIDI plumbing, not the real model: rerun with --checkpoint for real numbers.")
    return tiny_checkpoint(scratch / "tiny.pt")


def measure_server(args: argparse.Namespace, checkpoint: Path, songs: list[bytes], max_waiting: int) -> tuple[int, str]:
    """One server run: every concurrency level against `python -m server --max-waiting N`. Returns the errors and
    the summary line."""
    print(f"\nserver: python -m server --workers {args.server_workers} --torch-threads {args.torch_threads} "
          f"--max-waiting {max_waiting} on loopback")
    server = ServerProcess(checkpoint, args.server_workers, args.torch_threads, max_waiting)
    throughput: dict[int, float] = {}
    tails: dict[int, float] = {}
    errors = 0
    try:
        pid = server.process.pid
        warm = make_songs(args.server_workers)
        run_level(server.address, warm, args.server_workers, args.timeout, args.busy_retries)  # each worker
        header = (f"{'clients':>7} {'songs':>5} {'songs/s':>8} {'p50 s':>7} {'p95 s':>7} {'p99 s':>7} "
                  f"{'p99/p50':>7} {'refused':>7} {'errors':>6} {'server MiB':>10} {'worker MiB':>10}")
        print(header)
        print("-" * len(header))
        for concurrency in args.concurrency:
            level = run_level(server.address, songs, concurrency, args.timeout, args.busy_retries)
            latencies = level["latencies"] or [float("nan")]
            errors += len(level["errors"])
            rss = rss_mib(pid)
            largest_worker, _ = worker_rss_mib(pid)
            throughput[concurrency] = len(level["latencies"]) / level["wall_s"]
            p50, p99 = percentile(latencies, 0.5), percentile(latencies, 0.99)
            tails[concurrency] = p99 / p50
            print(f"{concurrency:>7} {len(level['latencies']):>5} {throughput[concurrency]:>8.2f} "
                  f"{p50:>7.2f} {percentile(latencies, 0.95):>7.2f} {p99:>7.2f} {p99 / p50:>7.1f} "
                  f"{level['busy']:>7} {len(level['errors']):>6} "
                  f"{rss if rss is not None else float('nan'):>10.0f} {largest_worker:>10.0f}")
            for error in level["errors"][:3]:
                print(f"        error: {error}")
        largest_worker, all_children = worker_rss_mib(pid)
        print(f"memory after all levels: server {rss_mib(pid) or float('nan'):.0f} MiB, largest worker "
              f"{largest_worker:.0f} MiB, fork server and workers {all_children:.0f} MiB in all")
    finally:
        exit_code = server.stop()
    print(f"server exit code after SIGTERM: {exit_code}")
    one = throughput.get(1)
    if not one:
        return errors, ""
    scaling = ", ".join(f"{c} clients {rate / one:.2f}x" for c, rate in throughput.items() if c > 1)
    return errors, (f"--max-waiting {max_waiting}: throughput vs 1 client: {scaling}; p99/p50: "
                    + ", ".join(f"{c} clients {tail:.1f}" for c, tail in tails.items()))


def measure_in_process(generator: DrumGenerator, songs: list[bytes], torch_threads: int) -> None:
    """The same songs through DrumGenerator.generate in a loop, for comparison with the server."""
    torch.set_num_threads(torch_threads)
    options = GenerationOptions(seed=1)
    generator.generate(songs[0], options)  # warm-up
    started = time.perf_counter()
    in_process = []
    for song in songs:
        song_started = time.perf_counter()
        generator.generate(song, options)
        in_process.append(time.perf_counter() - song_started)
    wall_s = time.perf_counter() - started
    print(f"\nin-process DrumGenerator.generate, 1 thread, {len(songs)} songs in a loop: "
          f"{len(songs) / wall_s:.2f} songs/s, p50 {percentile(in_process, 0.5):.2f} s, "
          f"p95 {percentile(in_process, 0.95):.2f} s")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.songs_per_level < 1 or min(args.concurrency) < 1:
        parser.error("--songs-per-level and --concurrency must be >= 1")
    print("== seq2drum server benchmark ==")
    import google.protobuf

    print(describe_machine())
    print(f"grpcio {grpc.__version__}, protobuf {google.protobuf.__version__}")
    total_errors = 0
    with tempfile.TemporaryDirectory() as scratch:
        checkpoint = pick_checkpoint(args.checkpoint, Path(scratch))
        generator = DrumGenerator.from_checkpoint(checkpoint)
        info = generator.info
        print(f"model: {info.name} {info.version}, {info.n_parameters:,} parameters, attention={info.attention} "
              f"({checkpoint})")
        songs = make_songs(args.songs_per_level)
        print(f"songs: {len(songs)} per level, {BARS_PER_SONG} bars of 4/4 at 120 BPM (4 min), "
              f"{statistics.mean(len(s) for s in songs) / 1024:.1f} KiB each")
        summary: list[str] = []
        for max_waiting in args.max_waiting:
            errors, line = measure_server(args, checkpoint, songs, max_waiting)
            total_errors += errors
            summary += [line] if line else []
        measure_in_process(generator, songs, args.torch_threads)
    print("\n" + "\n".join(summary))
    print(f"\ntotal errors: {total_errors}")
    return 1 if total_errors else 0


if __name__ == "__main__":
    sys.exit(main())
