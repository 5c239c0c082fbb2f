"""How long reading a MIDI file takes as it grows, and what the reader does with files past its limits.

    python -m bench.bench_parse [--notes 1000 25000 100000 200000 400000] [--tempo-events 100000] [--timeout 180]

Each file is one guitar track of 16-note chords on every 16th (so 400,000 notes still fit the song-length limit),
written the compact way a DAW writes them (running status, note-on velocity 0 as note-off: 6 bytes a note), built
in code. `--repo DIR` reads with another checkout's `read_midi` (e.g. `git worktree add /tmp/before main~1`), for
before/after figures on the same files. Each size is read by `seq2drum.midi.io.read_midi` in a
fresh subprocess, so the peak memory (ru_maxrss) is that read's alone. Printed per file: its size, the wall time of
the read, the peak RSS, and what came back (the number of notes, or the refusal's first words).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


from bench.machine import describe_machine
from tests.builders import vlq

REPO = Path(__file__).resolve().parents[1]

PPQ = 480


CHORD_NOTES = 16


def dense_guitar_bytes(n_notes: int, n_tempo_events: int = 0) -> bytes:
    """One format-1 track: program 30 (distortion guitar), n_notes in 16-note chords on 16ths, optional tempo flood."""
    body = bytearray(b"\x00\xff\x03\x06Guitar\x00\xc0\x1d")
    for index in range(n_tempo_events):
        body += vlq(0 if index == 0 else 1) + b"\xff\x51\x03" + (500_000 + index % 1000).to_bytes(3, "big")
    body += b"\x00\x90\x28\x00"  # sets running status (a note-off: velocity 0)
    for first in range(0, n_notes, CHORD_NOTES):
        pitches = [30 + (first // CHORD_NOTES + k) % 60 for k in range(min(CHORD_NOTES, n_notes - first))]
        for pitch in pitches:
            body += b"\x00" + bytes([pitch, 100])
        for order, pitch in enumerate(pitches):
            body += vlq(PPQ // 4 if order == 0 else 0) + bytes([pitch, 0])
    body += b"\x00\xff\x2f\x00"
    header = b"MThd" + (6).to_bytes(4, "big") + (1).to_bytes(2, "big") + (1).to_bytes(2, "big") + PPQ.to_bytes(2, "big")
    return header + b"MTrk" + len(body).to_bytes(4, "big") + bytes(body)


CHILD = r"""
import resource, sys, time
from seq2drum.midi.io import read_midi
from seq2drum.errors import Seq2DrumError
data = open({path!r}, "rb").read()
started = time.perf_counter()
try:
    song = read_midi(data)
    outcome = f"read: {{sum(len(p.notes) for p in song.parts)}} notes, {{len(song.tempos)}} tempos"
except Seq2DrumError as error:
    outcome = f"refused ({{type(error).__name__}}): {{str(error)[:110]}}"
elapsed = time.perf_counter() - started
print(f"{{elapsed:.3f}}\t{{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}}\t{{outcome}}")
"""


def measure(data: bytes, timeout_s: float, scratch: Path, repo: Path) -> str:
    path = scratch / "song.mid"
    path.write_bytes(data)
    started = time.perf_counter()
    try:
        # the checkout measured comes first on the child's path (PYTHONPATH, not a sys.path edit in the child)
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(repo), str(REPO)])}
        completed = subprocess.run([sys.executable, "-c", CHILD.format(path=str(path))], env=env,
                                   capture_output=True, text=True, timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired:
        return f"{'>' + str(int(timeout_s)):>8} {'-':>9}  still reading after {timeout_s:.0f} s (stopped)"
    if completed.returncode != 0:
        return f"child failed: {completed.stderr.strip()[-300:]}"
    seconds, rss, outcome = completed.stdout.strip().split("\t", 2)
    return f"{float(seconds):>8.2f} {rss:>9}  {outcome}   (process {time.perf_counter() - started:.1f} s)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", type=int, nargs="+",
                        default=[1000, 25_000, 50_000, 100_000, 192_000, 200_000, 400_000])
    parser.add_argument("--tempo-events", type=int, nargs="*", default=[100_000])
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds one read may take before it is stopped")
    parser.add_argument("--repo", type=Path, default=REPO, help="the checkout whose read_midi is measured")
    args = parser.parse_args(argv)
    print("== seq2drum MIDI read benchmark ==")
    print(describe_machine())
    print(f"reader: {args.repo / 'seq2drum' / 'midi' / 'io.py'}")
    cases = [(f"{n:,} notes", dense_guitar_bytes(n)) for n in args.notes]
    cases += [(f"{n:,} tempo events + 1,000 notes", dense_guitar_bytes(1000, n)) for n in args.tempo_events]
    print(f"\n{'file':>34} {'KiB':>7} {'read s':>8} {'peak MiB':>9}  outcome")
    with tempfile.TemporaryDirectory() as scratch:
        for label, data in cases:
            figures = measure(data, args.timeout, Path(scratch), args.repo.resolve())
            print(f"{label:>34} {len(data) / 1024:>7.0f} {figures}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
