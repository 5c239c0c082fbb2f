"""Cold and warm generation against the cost of reading the song: each as a ratio to a fresh process running music21's
`converter.parse` on the same file, all measured in one run.

    python -m bench.bench_coldstart [--song REAL.mid] [--repeats 5] [--checkpoint PATH]

For a real 3-4 minute multi-part song (default: the first 3-4 minute 4/4 song with 8+ parts in
../shared/data/MANIFEST.tsv) and one built in code (guitar, bass and keys, 120 bars at 120 BPM), the median of
--repeats runs of, interleaved:
- parse: `python -c "import music21; music21.converter.parse(SONG)"`, the reference;
- cold infer: `python main.py --mode infer SONG` with the model's fast-start copy in the cache (no torch import);
- cold infer, torch: the same with no usable cache (XDG_CACHE_HOME is a file), as every run was before the copy;
- warm: one Generate round trip to a running `python -m server --workers 1` (the model loaded, the worker warm);
  "in server" is the part of it the server reports (generation_ms: from taking a worker to the answer). Each comes
  right after a cold run that imported torch, which leaves the worker's memory out of the CPU caches;
- warm, in a row: then --repeats round trips one after the other, as a server busy with songs answers them.
The first run of a new model, which writes its fast-start copy, is shown once on its own. The checkout's modules are
compiled first (`compileall`), as an installed package's are: with PYTHONDONTWRITEBYTECODE set, a checkout without
its .pyc files compiles every module on each cold run (about 50 ms more here), which is no cost of the code.
"""

from __future__ import annotations

import argparse
import compileall
import csv
import os
import queue
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path


from bench.machine import bench_checkpoint, describe_machine

REPO = Path(__file__).resolve().parents[1]

MANIFEST = REPO.parent / "shared" / "data" / "MANIFEST.tsv"


def default_real_song() -> Path | None:
    """A 3-4 minute 4/4 song with at least 8 parts from the data set's manifest (never copied anywhere)."""
    songs = default_real_songs(1)
    return songs[0] if songs else None


def default_real_songs(count: int) -> list[Path]:
    """The first `count` 3-4 minute 4/4 songs with at least 8 parts in the data set's manifest (fewer, or none,
    where the data set is absent)."""
    if not MANIFEST.is_file():
        return []
    songs = []
    with MANIFEST.open() as stream:
        for row in csv.DictReader(stream, delimiter="\t"):
            if 180 <= float(row["duration_s"]) <= 240 and int(row["n_tracks"]) >= 8 and row["time_signature"] == "4/4":
                path = MANIFEST.parent / row["path"]
                if path.is_file():
                    songs.append(path)
                    if len(songs) == count:
                        break
    return songs


def built_song(path: Path) -> Path:
    from seq2drum.midi.write import TrackSpec
    from tests.builders import notes_from_steps, riff, song_bytes

    bars = 120
    bass = [(step, pitch - 12) for step, pitch in riff(bars)[::2]]
    keys = [(bar * 16 + beat * 4, pitch) for bar in range(bars) for beat in range(4) for pitch in (60, 64, 67)]
    path.write_bytes(song_bytes(notes_from_steps(riff(bars), length_steps=2), extra=[
        TrackSpec("Bass", 1, notes_from_steps(bass, length_steps=4), 33),
        TrackSpec("Keys", 2, notes_from_steps(keys, length_steps=4), 0),
    ]))
    return path


def timed(command: list[str], env: dict[str, str] | None = None) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=REPO, env=env, check=True, capture_output=True)
    return time.perf_counter() - started


class Server:
    """`python -m server --workers 1` on a free loopback port."""

    def __init__(self, checkpoint: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "server", "--port", "0", "--workers", "1", "--checkpoint", str(checkpoint),
             "--log-level", "WARNING"], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=lambda: [lines.put(line) for line in self.process.stdout], daemon=True).start()
        self.address = lines.get(timeout=120).rsplit(" ", 1)[1].strip()

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(60)


def songs_to_measure(real: Path | None, scratch: Path) -> dict[str, Path]:
    """The real song (if ../shared is there) and one built in code, by label."""
    songs = {}
    real = real or default_real_song()
    if real is not None:
        songs[f"real: {real.name} ({real.parent.name})"] = real
    else:
        print("NOTE: no real song found (../shared/data is absent); only the built one is measured")
    songs["built in code: guitar, bass, keys, 120 bars"] = built_song(scratch / "built.mid")
    return songs


class RoundTrips:
    """Generate calls to the running server, timed by the client; `server_s` keeps what the server reports."""

    def __init__(self, address: str) -> None:
        import grpc

        from seq2drum.rpc import seq2drum_pb2, seq2drum_pb2_grpc

        self.pb = seq2drum_pb2
        self.channel = grpc.insecure_channel(address, options=[("grpc.max_receive_message_length", -1)])
        self.stub = seq2drum_pb2_grpc.Seq2DrumStub(self.channel)
        self.server_s: list[float] = []

    def __call__(self, song: Path) -> float:
        request = self.pb.GenerateRequest(midi=song.read_bytes(), options=self.pb.GenerationOptions(seed=0))
        started = time.perf_counter()
        response = self.stub.Generate(request, timeout=300)
        elapsed = time.perf_counter() - started
        self.server_s.append(response.metadata.generation_ms / 1000)
        return elapsed


def print_table(songs: dict[str, Path], repeats: int, infer: Callable[[Path], list[str]], envs: dict[str, dict],
                round_trip: RoundTrips) -> None:
    """Medians of parse, cold CLI (fast-start cache), CLI through torch, and warm server runs, interleaved."""
    parse = [sys.executable, "-c", "import sys, music21; music21.converter.parse(sys.argv[1])"]
    print(f"medians of {repeats} runs, interleaved; ratio = time / parse time\n")
    header = f"{'song':46s} {'parse s':>8} {'cold s':>7} {'ratio':>6} {'torch s':>8} {'ratio':>6} " \
             f"{'warm s':>7} {'ratio':>6} {'in server':>9} {'in a row':>8} {'ratio':>6}"
    print(header)
    print("-" * len(header))
    for label, song in songs.items():
        runs: dict[str, list[float]] = {"parse": [], "cold": [], "torch": [], "warm": []}
        round_trip.server_s.clear()
        for _ in range(repeats):
            runs["parse"].append(timed(parse + [str(song)]))
            runs["cold"].append(timed(infer(song), envs["fast"]))
            runs["torch"].append(timed(infer(song), envs["torch"]))
            runs["warm"].append(round_trip(song))
        in_server = statistics.median(round_trip.server_s)
        runs["in a row"] = [round_trip(song) for _ in range(repeats)]
        median = {key: statistics.median(values) for key, values in runs.items()}
        base = median["parse"]
        print(f"{label[:46]:46s} {base:8.2f} {median['cold']:7.2f} {median['cold'] / base:6.2f} "
              f"{median['torch']:8.2f} {median['torch'] / base:6.2f} {median['warm']:7.3f} "
              f"{median['warm'] / base:6.3f} {in_server:9.3f} {median['in a row']:8.3f} "
              f"{median['in a row'] / base:6.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--song", type=Path, default=None, help="the real song (default: one from the manifest)")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--checkpoint", type=Path, default=None, help="default: models/default.pt")
    args = parser.parse_args()
    print(describe_machine())
    compileall.compile_dir(str(REPO), quiet=1, rx=re.compile(r"/(\.git|runs|node_modules)/"))
    with tempfile.TemporaryDirectory() as scratch_name:
        scratch = Path(scratch_name)
        checkpoint = bench_checkpoint(args.checkpoint, scratch)
        songs = songs_to_measure(args.song, scratch)
        no_cache = scratch / "no-cache"
        no_cache.write_text("")  # a file where the cache folder would be: nothing can be cached or read
        envs = {"fast": {**os.environ, "XDG_CACHE_HOME": str(scratch / "xdg")},
                "torch": {**os.environ, "XDG_CACHE_HOME": str(no_cache)}}

        def infer(song: Path) -> list[str]:
            return [sys.executable, str(REPO / "main.py"), "--mode", "infer", str(song), "--checkpoint",
                    str(checkpoint), "--seed", "0", "--force", "-o", str(scratch / "out.mid")]

        first_song = next(iter(songs.values()))
        print(f"first run of a new model (reads it with torch, writes its fast-start copy): "
              f"{timed(infer(first_song), envs['fast']):.2f} s")
        server = Server(checkpoint)
        try:
            round_trip = RoundTrips(server.address)
            for song in songs.values():
                round_trip(song)  # warm the worker
            print_table(songs, args.repeats, infer, envs, round_trip)
            round_trip.channel.close()
        finally:
            server.stop()
    with open("/proc/loadavg") as stream:
        print(f"\nload average at the end: {stream.read().split()[0]}")


if __name__ == "__main__":
    main()
