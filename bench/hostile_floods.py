"""Issue 42's floods for bench/bench_hostile.py, against `python -m server --workers 2 --token-file T` on loopback:

a. health-watch flood: 110 health Watch streams without the token, held open.
b. live flood: 3 client processes sending hostile PlayAlong streams: starts with a 15 MB kit map or 400,000 parts,
   bars of 100,000 or 5,000 notes, notes of infinite duration, bars of 64/1 at 10 BPM, streams cancelled while a
   bar is decided.
c. watch flood: the DAW helper's --watch (its own process) on a folder of 10,000 .mid files that are not MIDI, a
   1 GiB sparse .mid and links out of the folder; a real song dropped in once it has started.

During each: health Check every 50 ms (median, p95, max), an authenticated Generate every 10th probe, the gRPC
process's memory (and the workers') at idle, at the peak and 3 s after the flood.
"""

from __future__ import annotations

import math
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from seq2drum.rpc import seq2drum_pb2 as pb
from seq2drum.rpc import seq2drum_pb2_grpc

REPO = Path(__file__).resolve().parents[1]
TOKEN = "bench-token-42"
AUTH = (("authorization", f"Bearer {TOKEN}"),)
UNLIMITED = [("grpc.max_send_message_length", -1), ("grpc.max_receive_message_length", -1)]


def token_file(folder: Path) -> Path:
    path = folder / "token"
    path.write_text(TOKEN + "\n")
    path.chmod(0o600)
    return path


def memory_mib(server_pid: int) -> tuple[float, float]:
    """(the gRPC process, the gRPC process with its fork server and workers) in MiB."""
    from bench.bench_server import descendants, rss_mib  # not in the flooding clients: it imports torch

    own = rss_mib(server_pid) or 0.0
    return own, own + sum(rss_mib(pid) or 0.0 for pid in descendants(server_pid))


def health_ms(channel: grpc.Channel) -> float:
    started = time.perf_counter()
    try:
        health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=10)
    except grpc.RpcError:
        return math.inf
    return (time.perf_counter() - started) * 1000


def probe(address: str, song: bytes, seconds: float, server_pid: int) -> tuple[list[float], Counter[str], float]:
    """Health every 50 ms and an authenticated Generate every 10th probe for `seconds`: (health ms, the Generate
    statuses, the peak MiB of the gRPC process)."""
    channel = grpc.insecure_channel(address, options=UNLIMITED)
    stub = seq2drum_pb2_grpc.Seq2DrumStub(channel)
    started, probes, songs, peak = time.monotonic(), [], Counter(), 0.0
    while time.monotonic() - started < seconds:
        probes.append(health_ms(channel))
        if len(probes) % 10 == 1:
            try:
                stub.Generate(pb.GenerateRequest(midi=song, options=pb.GenerationOptions(seed=1)), timeout=60,
                              metadata=AUTH)
                songs["OK"] += 1
            except grpc.RpcError as error:
                songs[error.code().name] += 1
        peak = max(peak, memory_mib(server_pid)[0])
        time.sleep(0.05)
    channel.close()
    return probes, songs, peak


def report(label: str, probes: list[float], songs: Counter[str], idle: tuple[float, float], peak: float,
           after: tuple[float, float]) -> None:
    ordered = sorted(probes)
    p95 = ordered[int(0.95 * (len(ordered) - 1))]
    print(f"   {label}: health median {statistics.median(ordered):.1f} ms, p95 {p95:.1f} ms, max {ordered[-1]:.1f} ms "
          f"({len(ordered)} probes); authenticated Generate: {dict(songs)}")
    print(f"   gRPC process {idle[0]:.0f} MiB idle, peak {peak:.0f} MiB, 3 s after {after[0]:.0f} MiB "
          f"({after[0] - idle[0]:+.0f} MiB); with workers {idle[1]:.0f} -> {after[1]:.0f} MiB "
          f"({after[1] - idle[1]:+.0f} MiB)")


def flood(label: str, address: str, server_pid: int, song: bytes, seconds: float,
          start: Callable[[], Callable[[], str]]) -> None:
    """Idle memory, start the flood (`start` returns its stopper, which says what the flood got), probe, stop."""
    idle = memory_mib(server_pid)
    stop = start()
    time.sleep(2.0)
    probes, songs, peak = probe(address, song, seconds, server_pid)
    print(f"   flood: {stop()}")
    time.sleep(3.0)
    report(label, probes, songs, idle, peak, memory_mib(server_pid))


def health_watch_flood(address: str) -> Callable[[], Callable[[], str]]:
    def start() -> Callable[[], str]:
        channel = grpc.insecure_channel(address)
        health = health_pb2_grpc.HealthStub(channel)
        watches = [health.Watch(health_pb2.HealthCheckRequest(), timeout=600) for _ in range(110)]
        answers: Counter[str] = Counter()
        for watch in watches:
            try:
                answers[health_pb2.HealthCheckResponse.ServingStatus.Name(next(watch).status)] += 1
            except grpc.RpcError as error:
                answers[error.code().name] += 1

        def stop() -> str:
            for watch in watches:
                watch.cancel()
            channel.close()
            return f"110 Watch streams without the token: {dict(answers)}"

        return stop

    return start


def processes_flood(args: list[list[str]]) -> Callable[[], Callable[[], str]]:
    """Flooding client processes (`python -m bench.hostile_floods ARGS`); each prints one status per attempt."""
    def start() -> Callable[[], str]:
        flooders = [subprocess.Popen([sys.executable, "-m", "bench.hostile_floods", *arg], cwd=REPO,
                                     stdout=subprocess.PIPE, text=True) for arg in args]
        for flooder in flooders:  # each says "ready" once its messages are built
            flooder.stdout.readline()

        def stop() -> str:
            answers: Counter[str] = Counter()
            for flooder in flooders:
                flooder.terminate()
                answers.update(flooder.communicate(timeout=60)[0].split())
            return str(dict(sorted(answers.items())))

        return stop

    return start


def _live_messages(kind: str) -> Iterator[pb.PlayAlongRequest]:
    start = pb.PlayAlongRequest(start=pb.PlayAlongStart(options=pb.GenerationOptions(seed=1),
                                                        parts=[pb.LivePart(name="Guitar", program=29)]))
    note = pb.LiveNote(onset_quarters=0.5, duration_quarters=0.25, pitch=40, velocity=100)

    def bar(index: int, notes: list[pb.LiveNote], meter: tuple[int, int] = (4, 4), tempo: float = 120.0
            ) -> pb.PlayAlongRequest:
        return pb.PlayAlongRequest(bar=pb.PlayedBar(index=index, numerator=meter[0], denominator=meter[1],
                                                    tempo_bpm=tempo, notes=notes))

    if kind == "kit-map-15MB":
        yield pb.PlayAlongRequest(start=pb.PlayAlongStart(options=pb.GenerationOptions(
            kit_map='{"' + "x" * 15_000_000 + '": 1}')))
    elif kind == "parts-400k":
        yield pb.PlayAlongRequest(start=pb.PlayAlongStart(parts=[pb.LivePart()] * 400_000))
    else:
        yield start
        yield bar(0, [])
        if kind == "notes-100k":
            yield bar(1, [note] * 100_000)
        elif kind == "notes-5000":
            yield bar(1, [note] * 5000)
        elif kind == "duration-inf":
            yield bar(1, [pb.LiveNote(duration_quarters=math.inf, pitch=40, velocity=100), note])
        elif kind == "bars-64-1-at-10-bpm":
            yield bar(1, [note], (64, 1), 10.0)


LIVE_KINDS = ("kit-map-15MB", "parts-400k", "notes-100k", "notes-5000", "duration-inf", "bars-64-1-at-10-bpm",
              "cancel-mid-bar")


def live_flood_forever(address: str, index: int) -> None:
    """One flooding client: the hostile PlayAlong streams in turn (each serialized once, sent as bytes), with the
    token; prints KIND:STATUS for each."""
    channel = grpc.insecure_channel(address, options=UNLIMITED)
    play_along = channel.stream_stream("/seq2drum.v1.Seq2Drum/PlayAlong")  # bytes as they are
    streams = {kind: [message.SerializeToString() for message in _live_messages(kind)] for kind in LIVE_KINDS}
    print("ready", flush=True)
    kinds = os.environ.get("SEQ2DRUM_FLOOD_KINDS", ",".join(LIVE_KINDS)).split(",")
    for attempt in range(index, 10**9):
        kind = kinds[attempt % len(kinds)]
        call = play_along(iter(streams[kind]), timeout=30, metadata=AUTH)
        try:
            if kind == "cancel-mid-bar":
                next(call)
                time.sleep(0.002)
                call.cancel()
                print(f"{kind}:cancelled", flush=True)
                continue
            answers = list(call)
            print(f"{kind}:OK({len(answers)})", flush=True)
        except grpc.RpcError as error:
            print(f"{kind}:{error.code().name}", flush=True)


def watch_flood(address: str, folder: Path, token: Path, song: bytes) -> Callable[[], Callable[[], str]]:
    """The helper watching a hostile folder; a real song dropped in once it runs. Its stopper says how soon the
    song's drums were written and the helper's peak memory."""
    def start() -> Callable[[], str]:
        for index in range(10_000):
            (folder / f"junk{index:05d}.mid").write_bytes(b"not a MIDI file at all\n")
        with (folder / "sparse.mid").open("wb") as stream:
            stream.write(b"MThd\x00\x00\x00\x06\x00\x00\x00\x01\x01\xe0MTrk")
            stream.truncate(1 << 30)
        (folder / "link.mid").symlink_to("/etc/hostname")
        notices = (folder.parent / "helper.err").open("w+")
        helper = subprocess.Popen([sys.executable, "-m", "client.daw_helper", "--watch", str(folder), "--server",
                                   address, "--token-file", str(token), "--settle", "0.5", "--interval", "0.5"],
                                  cwd=REPO, stdout=subprocess.DEVNULL, stderr=notices, text=True)
        time.sleep(1.0)
        dropped = time.monotonic()
        (folder / "real song.mid").write_bytes(song)
        seen = {"peak": 0.0, "written": None}
        done = threading.Event()

        def look() -> None:  # the helper's memory, and when the song's drums appear
            from bench.bench_server import rss_mib

            while not done.is_set():
                seen["peak"] = max(seen["peak"], rss_mib(helper.pid) or 0.0)
                if seen["written"] is None and (folder / "real song_drums.mid").exists():
                    seen["written"] = time.monotonic() - dropped
                time.sleep(0.05)

        looker = threading.Thread(target=look, daemon=True)
        looker.start()

        def stop() -> str:
            give_up = time.monotonic() + 120
            while seen["written"] is None and time.monotonic() < give_up:
                time.sleep(0.1)
            done.set()
            looker.join()
            helper.terminate()
            helper.wait(60)
            notices.seek(0)
            err = notices.read()
            notices.close()
            said = Counter("skipped" if "skipped:" in line else "refused" if "refused:" in line else "other"
                           for line in err.splitlines())
            written = seen["written"]
            when = f"{written:.1f} s" if written is not None else "not within 120 s"
            return (f"real song's drums written {when} after it was dropped in; helper peak {seen['peak']:.0f} MiB; "
                    f"its notices {dict(said)}")

        return stop

    return start


def run_floods(checkpoint: Path, song: bytes, seconds: float) -> None:
    from bench.bench_soak import start_server

    with tempfile.TemporaryDirectory() as scratch:
        token = token_file(Path(scratch))
        process, address = start_server(checkpoint, 2, "--token-file", str(token))
        try:
            with grpc.insecure_channel(address) as channel:
                seq2drum_pb2_grpc.Seq2DrumStub(channel).GetModelInfo(pb.GetModelInfoRequest(), timeout=60,
                                                                     metadata=AUTH)
            print(f"\n6a. health-watch flood (server --workers 2 --token-file), {seconds:g} s")
            flood("110 Watch streams", address, process.pid, song, seconds, health_watch_flood(address))
            print(f"\n6b. live flood: 3 processes sending hostile PlayAlong streams, {seconds:g} s; first 3 processes "
                  "only burning CPU (the contention alone on this machine)")
            flood("3 processes burning CPU", address, process.pid, song, seconds,
                  processes_flood([["--burn"]] * 3))
            flood("live flood", address, process.pid, song, seconds,
                  processes_flood([["--live-flood", address, str(index)] for index in range(3)]))
            folder = Path(scratch) / "watched"
            folder.mkdir()
            print("\n6c. watch flood: the helper on 10,000 non-MIDI .mid files, a 1 GiB sparse .mid, a link out")
            flood("watch flood", address, process.pid, song, seconds, watch_flood(address, folder, token, song))
        finally:
            process.terminate()
            process.wait(60)


if __name__ == "__main__":  # one flooding client of 6b (or one that only burns CPU), until killed
    if sys.argv[1:] == ["--burn"]:
        print("ready", flush=True)
        while True:
            pass
    if len(sys.argv) == 4 and sys.argv[1] == "--live-flood":
        os.environ.setdefault("GRPC_VERBOSITY", "NONE")
        live_flood_forever(sys.argv[2], int(sys.argv[3]))
