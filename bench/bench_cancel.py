"""How soon a request whose deadline passed, or whose client cancelled, frees its worker.

    python -m bench.bench_cancel [--checkpoint PATH] [--repeats 5]

The server (`server.testing.ServerThread`, 2 worker processes) gets work that runs for seconds: a file of 50,000 notes
in one track (just under the reader's limit: music21 parses it for about 3 s) and a 2,000-bar song (generation takes
seconds). Each is sent with a 0.5 s deadline, and once more through GenerateStream cancelled by the client 0.5 s
after it was sent. Printed per case: the time from the deadline (or the cancel) to the busy worker's process being
gone (its CPU work stopped), and to a replacement worker being ready (the server back at full strength).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path


import grpc

from bench.machine import bench_checkpoint, describe_machine
from seq2drum.rpc import seq2drum_pb2, seq2drum_pb2_grpc
from server.config import ServerConfig
from server.testing import ServerThread
from server.workers import ModelSource
from tests.builders import chord_track, notes_from_steps, riff, smf_bytes, song_bytes


DEADLINE_S = 0.5


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        return "State:\tZ" not in Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False


def watch_pool(server: ServerThread, pids: list[int], since: float) -> tuple[float, float]:
    """Seconds from `since` until one of `pids` is gone, and until the pool is idle at full size again."""
    gone = ready = float("nan")
    deadline = time.perf_counter() + 60
    while time.perf_counter() < deadline:
        now = time.perf_counter()
        if gone != gone and not all(alive(pid) for pid in pids):
            gone = now - since
        if gone == gone and server.pool.counts()["idle"] == server.config.workers:
            ready = now - since
            break
        time.sleep(0.001)
    return gone, ready


def run_case(server: ServerThread, stub: seq2drum_pb2_grpc.Seq2DrumStub, midi: bytes,
             cancel: bool) -> tuple[float, float]:
    server.pool.wait_idle(60)
    pids = server.pool.pids()
    sent = time.perf_counter()
    if cancel:
        def chunks():
            yield seq2drum_pb2.GenerateStreamRequest(options=seq2drum_pb2.GenerationOptions(seed=1))
            for start in range(0, len(midi), 1 << 20):
                yield seq2drum_pb2.GenerateStreamRequest(midi_chunk=midi[start : start + (1 << 20)])

        call = stub.GenerateStream(chunks(), timeout=120)
        time.sleep(DEADLINE_S)
        since = time.perf_counter()
        call.cancel()
    else:
        request = seq2drum_pb2.GenerateRequest(midi=midi, options=seq2drum_pb2.GenerationOptions(seed=1))
        try:
            stub.Generate(request, timeout=DEADLINE_S)
            raise RuntimeError("the request finished within its deadline: pick heavier work")
        except grpc.RpcError as error:
            if error.code() != grpc.StatusCode.DEADLINE_EXCEEDED:
                raise RuntimeError(f"expected DEADLINE_EXCEEDED, got {error.code().name}: {error.details()}") from None
        since = sent + DEADLINE_S
    return watch_pool(server, pids, since)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", type=Path, default=None, help="default: models/default.pt, else a tiny model")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    print("== seq2drum: time for a cancelled or expired request to free its worker ==")
    print(describe_machine())
    with tempfile.TemporaryDirectory() as scratch:
        checkpoint = bench_checkpoint(args.checkpoint, Path(scratch))
        config = ServerConfig(workers=2)
        cases = {
            "parse: 50,000 notes in one track": smf_bytes([chord_track(49_000, chord_size=16)]),
            "generate: 2,000 bars of guitar": song_bytes(notes_from_steps(riff(2000), length_steps=2)),
        }
        with ServerThread("127.0.0.1:0", ModelSource(checkpoint), config) as server:
            print(f"server: {config.workers} worker processes, model {server.pool.model_info['name']}\n")
            channel = grpc.insecure_channel(f"127.0.0.1:{server.port}",
                                            options=[("grpc.max_receive_message_length", -1)])
            stub = seq2drum_pb2_grpc.Seq2DrumStub(channel)
            print(f"{'case':<36} {'how':<22} {'worker gone s':>14} {'replaced s':>11}")
            for label, midi in cases.items():
                for how, cancel in ((f"deadline {DEADLINE_S:g} s", False), ("client cancel", True)):
                    results = [run_case(server, stub, midi, cancel) for _ in range(args.repeats)]
                    gone = [g for g, _ in results]
                    ready = [r for _, r in results]
                    print(f"{label:<36} {how:<22} {statistics.median(gone):>8.3f} (max {max(gone):.3f}) "
                          f"{statistics.median(ready):>6.2f} (max {max(ready):.2f})", flush=True)
            channel.close()
            print(f"\nworkers replaced in all: {server.pool.replacements}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
