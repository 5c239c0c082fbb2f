"""The figures issue 22 asks for, against `python -m server` on loopback with the shipped model (or a tiny one):

    python -m bench.bench_hostile [--checkpoint PATH] [--flood-s 10]

1. 16 MiB of 0xFF after a note (the scan that was quadratic), and 16 MiB of plain 0xFF: time to INVALID_ARGUMENT.
2. A song sent without a deadline to a server with --max-job-seconds 0.02: stopped at the limit, its worker replaced.
3. 3 clients (processes) flooding 15 MB option strings for --flood-s seconds: health latency, a normal 4-minute
   song's time against its time on the idle server, and the gRPC process's memory before, during and after.
4. kill -9 of an idle worker, then 10 requests 2 at a time; then the checkpoint moved away and the worker killed:
   how soon health says NOT_SERVING, and SERVING again once the file is back.
5. 8 concurrent `main.py --mode infer` runs and 8 concurrent helper runs on one song: the files they leave.
6. Issue 42's floods against a server with a token (bench/hostile_floods.py): 110 health Watch streams without the
   token, 3 processes sending hostile PlayAlong streams, the helper watching a hostile folder; each with health
   latency, an authenticated Generate, and memory back after. `--floods-only` runs this step alone.
7. Issue 69's 40,000 one-note tracks on the command line, the server and the studio (bench/hostile_parts.py), and the
   most parts a song may hold beside them. `--parts-only` runs this step alone.
8. Issue 89 P5's big bars (bench/hostile_big_bars.py): --attackers players (2) sending bars of 4,096 notes as fast
   as they are answered; another stream's round trip p99 and health p95 without and with them, and their ratio.
   `--big-bars-only` runs this step alone.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent import futures
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from bench.bench_server import descendants, make_songs, rss_mib
from bench.bench_soak import start_server
from bench.hostile_big_bars import run_big_bars
from bench.hostile_floods import run_floods
from bench.hostile_parts import run_parts
from bench.machine import bench_checkpoint, describe_machine
from seq2drum.rpc import seq2drum_pb2 as pb
from seq2drum.rpc import seq2drum_pb2_grpc

REPO = Path(__file__).resolve().parents[1]
MiB = 1024 * 1024
HEADER = b"MThd" + (6).to_bytes(4, "big") + (0).to_bytes(2, "big") + (1).to_bytes(2, "big") + (480).to_bytes(2, "big")


def track(body: bytes) -> bytes:
    return b"MTrk" + len(body).to_bytes(4, "big") + body


def stub_for(address: str) -> tuple[grpc.Channel, seq2drum_pb2_grpc.Seq2DrumStub]:
    channel = grpc.insecure_channel(address, options=[("grpc.max_send_message_length", -1),
                                                      ("grpc.max_receive_message_length", -1)])
    return channel, seq2drum_pb2_grpc.Seq2DrumStub(channel)


def health_ms(address: str) -> tuple[int, float]:
    with grpc.insecure_channel(address) as channel:
        started = time.perf_counter()
        status = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=10).status
        return status, (time.perf_counter() - started) * 1000


def timed(call: object) -> tuple[str, float]:
    """(status name, seconds) of one call."""
    started = time.perf_counter()
    try:
        call()  # type: ignore[operator]
        code = "OK"
    except grpc.RpcError as error:
        code = error.code().name
    return code, time.perf_counter() - started


def workers_of(server_pid: int) -> list[int]:
    """The worker processes: children of the server's children (the fork server forks them)."""
    direct = set(int(p) for p in Path(f"/proc/{server_pid}/task/{server_pid}/children").read_text().split())
    return [pid for pid in descendants(server_pid) if pid not in direct]


def huge_inputs(address: str) -> None:
    print("\n1. 16 MiB of 0xFF")
    channel, stub = stub_for(address)
    size = 16 * MiB - 64
    cases = {"note then 0xFF (was quadratic)": HEADER + track(b"\x00\x90\x40\x40" + b"\xff" * (size - 26)),
             "plain 0xFF": b"\xff" * size}
    for name, data in cases.items():
        chunks = [pb.GenerateStreamRequest(midi_chunk=data[i : i + MiB]) for i in range(0, len(data), MiB)]
        code, seconds = timed(lambda: list(stub.GenerateStream(iter(chunks), timeout=120)))
        print(f"   {name}: {len(data) / MiB:.1f} MiB -> {code} in {seconds:.2f} s (upload included)")
    channel.close()


def job_limit(checkpoint: Path, song: bytes) -> None:
    print("\n2. a song without a deadline, server --max-job-seconds 0.02")
    process, address = start_server(checkpoint, 1, "--max-job-seconds", "0.02")
    try:
        channel, stub = stub_for(address)
        stub.GetModelInfo(pb.GetModelInfoRequest(), timeout=60)
        before = workers_of(process.pid)
        code, seconds = timed(lambda: stub.Generate(pb.GenerateRequest(midi=song)))  # no timeout
        time.sleep(1.0)
        print(f"   -> {code} after {seconds:.2f} s; worker {before} replaced by {workers_of(process.pid)}")
        code, seconds = timed(lambda: stub.Generate(pb.GenerateRequest(midi=HEADER + track(b"\x00\xff\x2f\x00")),
                                                    timeout=30))
        print(f"   next request: {code} in {seconds:.2f} s (a refusal from the fresh worker)")
        channel.close()
    finally:
        process.terminate()
        process.wait(60)


def flood_forever(address: str) -> None:
    """One flooding client (its own process, so that its 15 MB copies do not slow the probes of this one): the same
    Generate request, a 15 MB unknown kit-map key, serialized once and sent again and again."""
    hostile = pb.GenerateRequest(midi=make_songs(1)[0], options=pb.GenerationOptions(
        kit_map='{"' + "x" * 15_000_000 + '": 1}')).SerializeToString()
    with grpc.insecure_channel(address, options=[("grpc.max_send_message_length", -1)]) as channel:
        call = channel.unary_unary("/seq2drum.v1.Seq2Drum/Generate")  # the bytes as they are
        while True:
            try:
                call(hostile, timeout=30)
            except grpc.RpcError as error:
                print(error.code().name, flush=True)


def probe(address: str, stub: seq2drum_pb2_grpc.Seq2DrumStub, song: bytes, seconds: float,
          server_pid: int) -> tuple[list[float], list[tuple[str, float]], float]:
    """Health every 50 ms and a normal song every 10th probe for `seconds`: (health ms, songs, peak MiB)."""
    started, probes, songs, peak = time.monotonic(), [], [], 0.0
    while time.monotonic() - started < seconds:
        probes.append(health_ms(address)[1])
        if len(probes) % 10 == 1:
            songs.append(timed(lambda: stub.Generate(pb.GenerateRequest(midi=song), timeout=60)))
        peak = max(peak, rss_mib(server_pid) or 0.0)
        time.sleep(0.05)
    return probes, songs, peak


def show(label: str, probes: list[float], songs: list[tuple[str, float]], idle_song: float) -> None:
    p95 = sorted(probes)[int(0.95 * (len(probes) - 1))]
    song_s = statistics.median(seconds for _, seconds in songs)
    print(f"   {label}: health median {statistics.median(probes):.1f} ms, p95 {p95:.1f} ms, max {max(probes):.1f} ms "
          f"({len(probes)} probes); song median {song_s:.2f} s ({song_s / idle_song:.2f}x idle, "
          f"{sorted(set(code for code, _ in songs))})")


def flood(address: str, server_pid: int, song: bytes, flood_s: float) -> None:
    print(f"\n3. 3 clients (processes) flooding 15 MB option strings for {flood_s:g} s")
    channel, stub = stub_for(address)
    normal = [timed(lambda: stub.Generate(pb.GenerateRequest(midi=song), timeout=60)) for _ in range(5)]
    idle_song = statistics.median(seconds for _, seconds in normal)
    idle_rss = rss_mib(server_pid) or float("nan")
    idle_health = statistics.median(health_ms(address)[1] for _ in range(10))
    print(f"   idle: song {idle_song:.2f} s (median of 5, {sorted(set(code for code, _ in normal))}), health "
          f"{idle_health:.1f} ms, gRPC process {idle_rss:.0f} MiB")
    burners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(3)]
    show("3 processes only burning CPU (the contention alone)", *probe(address, stub, song, flood_s / 2,
                                                                       server_pid)[:2], idle_song)
    for burner in burners:
        burner.kill()
        burner.wait()
    flooders = [subprocess.Popen([sys.executable, "-m", "bench.bench_hostile", "--flood", address], cwd=REPO,
                                 stdout=subprocess.PIPE, text=True) for _ in range(3)]
    time.sleep(3.0)  # started and sending
    probes, songs, peak = probe(address, stub, song, flood_s, server_pid)
    answers: dict[str, int] = {}
    for flooder in flooders:
        flooder.terminate()
        for line in flooder.communicate(timeout=30)[0].split():
            answers[line] = answers.get(line, 0) + 1
    time.sleep(3.0)
    after = rss_mib(server_pid) or float("nan")
    show("3 processes flooding", probes, songs, idle_song)
    print(f"   flood answers: {answers}; gRPC process peak {peak:.0f} MiB, 3 s after {after:.0f} MiB "
          f"({(after - idle_rss) / idle_rss * 100:+.1f}% of idle)")
    channel.close()


def dead_workers(address: str, server_pid: int, song: bytes) -> None:
    print("\n4a. kill -9 of an idle worker, then 10 requests 2 at a time")
    channel, stub = stub_for(address)
    victim = workers_of(server_pid)[0]
    os.kill(victim, signal.SIGKILL)
    with futures.ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda _: timed(lambda: stub.Generate(pb.GenerateRequest(midi=song), timeout=60))[0],
                                range(10)))
    print(f"   killed {victim}: {results.count('OK')}/10 OK ({sorted(set(results))})")
    channel.close()


def not_serving(checkpoint: Path, scratch: Path) -> None:
    print("\n4b. checkpoint moved away and the only worker killed")
    copy = scratch / "model.pt"
    shutil.copy(checkpoint, copy)
    process, address = start_server(copy, 1)
    try:
        copy.rename(scratch / "away.pt")
        killed = time.monotonic()
        os.kill(workers_of(process.pid)[0], signal.SIGKILL)
        while health_ms(address)[0] != health_pb2.HealthCheckResponse.NOT_SERVING:
            time.sleep(0.05)
        print(f"   health NOT_SERVING {time.monotonic() - killed:.2f} s after the kill")
        channel, stub = stub_for(address)
        code, seconds = timed(lambda: stub.Generate(pb.GenerateRequest(midi=HEADER), timeout=30))
        print(f"   a request meanwhile: {code} in {seconds:.3f} s")
        (scratch / "away.pt").rename(copy)
        back = time.monotonic()
        while health_ms(address)[0] != health_pb2.HealthCheckResponse.SERVING:
            time.sleep(0.05)
        print(f"   SERVING again {time.monotonic() - back:.2f} s after the file came back (retry backoff)")
        channel.close()
    finally:
        process.terminate()
        process.wait(60)


def concurrent_outputs(address: str, checkpoint: Path, song: bytes, scratch: Path) -> None:
    print("\n5. 8 concurrent runs on one song")
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    commands = {
        "main.py --mode infer": [sys.executable, str(REPO / "main.py"), "--mode", "infer", "--checkpoint",
                                 str(checkpoint)],
        "the DAW helper": [sys.executable, "-m", "client.daw_helper", "--server", address],
    }
    for name, command in commands.items():
        folder = scratch / name.split()[0]
        folder.mkdir()
        (folder / "song.mid").write_bytes(song)
        runs = [subprocess.Popen([*command, str(folder / "song.mid"), "--seed", str(seed)], cwd=REPO, env=env,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) for seed in range(8)]
        codes = [run.wait(600) for run in runs]
        files = sorted(path.name for path in folder.glob("song_drums*.mid"))
        print(f"   {name}: exit codes {codes}; {len(files)} files: {' '.join(files)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", type=Path, default=None)
    parser.add_argument("--flood-s", type=float, default=10.0)
    parser.add_argument("--flood", metavar="ADDRESS", help="be one flooding client of step 3 (until killed)")
    parser.add_argument("--floods-only", action="store_true", help="run step 6 (issue 42's floods) alone")
    parser.add_argument("--parts-only", action="store_true", help="run step 7 (issue 69's many parts) alone")
    parser.add_argument("--big-bars-only", action="store_true", help="run step 8 (issue 89's big bars) alone")
    parser.add_argument("--attackers", type=int, default=2, help="step 8's players sending big bars")
    args = parser.parse_args(argv)
    if args.flood:
        flood_forever(args.flood)
        return 0
    print("== seq2drum hostile inputs (issues 22, 42, 69 and 89) ==")
    print(describe_machine())
    with tempfile.TemporaryDirectory() as scratch:
        checkpoint = bench_checkpoint(args.checkpoint, Path(scratch))
        [song] = make_songs(1)
        if args.floods_only:
            run_floods(checkpoint, song, args.flood_s)
            return 0
        if args.parts_only:
            run_parts(checkpoint, Path(scratch))
            return 0
        if args.big_bars_only:
            run_big_bars(checkpoint, args.flood_s, args.attackers)
            return 0
        process, address = start_server(checkpoint, 2)
        try:
            stub_for(address)[1].GetModelInfo(pb.GetModelInfoRequest(), timeout=60)
            huge_inputs(address)
            flood(address, process.pid, song, args.flood_s)
            dead_workers(address, process.pid, song)
            concurrent_outputs(address, checkpoint, song, Path(scratch))
        finally:
            process.terminate()
            process.wait(60)
        job_limit(checkpoint, song)
        not_serving(checkpoint, Path(scratch))
        run_floods(checkpoint, song, args.flood_s)
        run_parts(checkpoint, Path(scratch))
        run_big_bars(checkpoint, args.flood_s, args.attackers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
