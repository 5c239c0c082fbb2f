"""Fuzz the MIDI reader and the server's request handler in process: every case must read or be refused with a
domain error, and the handler's answer must map to a status a client can act on (never UNKNOWN or INTERNAL).

    python -m bench.fuzz [--cases 10000] [--seed 1] [--max-bytes 65536] [--checkpoint PATH]

Cases are real-shaped files built in code (a rock song, a format-0 file with running status, a dense chord track, a
song with tempo and meter changes) mutated the ways a broken export or an attacker would: bit flips, truncation,
huge variable-length numbers, absurd meters, tempo floods, random splices, patched header and chunk fields, and
plain random bytes; each at most --max-bytes. Each case goes to `seq2drum.midi.io.read_midi` and to
`server.workers.generate_drums` (what a server worker runs for a request) with a model (default: a tiny random
one, as the model's weights do not change what the reader and the handler must survive); the handler's outcome is
mapped by `server.status.status_for`. Prints the counts per outcome and exits 1 on any crash, UNKNOWN or INTERNAL.
"""

from __future__ import annotations

import argparse
import collections
import random
import struct
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import NamedTuple


from bench.machine import describe_machine
from seq2drum.options import GenerationOptions
from seq2drum.errors import MidiReadError, Seq2DrumError
from seq2drum.generation.generator import DrumGenerator
from seq2drum.midi.io import read_midi
from seq2drum.midi.scan import ReadLimits
from server.status import status_for
from server.workers import Job, generate_drums
from tests.builders import (
    chord_track,
    conductor_events,
    format0_song_bytes,
    notes_from_steps,
    riff,
    rock_song_bytes,
    smf_bytes,
    tempo_event,
    timed_track,
    tiny_checkpoint,
)



def base_files() -> list[bytes]:
    guitar, drums = notes_from_steps(riff(4), length_steps=2), notes_from_steps([(s, 36) for s in range(0, 64, 4)])
    return [
        rock_song_bytes(4),
        rock_song_bytes(8, tempos=[(0, 500_000), (960, 300_000)], time_signatures=[(0, 4, 4), (1920, 7, 8)]),
        format0_song_bytes(guitar, drums, 480, [(0, 500_000)], [(0, 3, 4)]),
        smf_bytes([timed_track(conductor_events([(0, 600_000)], [(0, 6, 8)])), chord_track(400)]),
    ]


class Mutator:
    """Seeded, so a failing case can be rebuilt from (seed, index)."""

    KINDS = ("flip", "cut", "vlq", "meter", "tempo-flood", "splice", "header", "chunk-length", "random", "stack")

    def __init__(self, seed: int, max_bytes: int) -> None:
        self.rng = random.Random(seed)
        self.max_bytes = max_bytes
        self.bases = base_files()

    def case(self) -> tuple[str, bytes]:
        kind = self.rng.choice(self.KINDS)
        data = bytearray(self.rng.choice(self.bases))
        if kind == "stack":  # several mutations on one file
            for _ in range(self.rng.randint(2, 4)):
                data = self.mutate(self.rng.choice(self.KINDS[:-2]), data)
        else:
            data = self.mutate(kind, data)
        return kind, bytes(data[: self.max_bytes])

    def mutate(self, kind: str, data: bytearray) -> bytearray:
        rng = self.rng
        if not data:
            return data
        if kind == "flip":
            for _ in range(rng.randint(1, 12)):
                position = rng.randrange(len(data))
                data[position] ^= 1 << rng.randrange(8)
        elif kind == "cut":
            data = data[: rng.randrange(len(data))]
        elif kind == "vlq":  # a huge variable-length number: a delta time or an event length
            at = rng.randrange(min(22, len(data)), len(data) + 1)
            data[at:at] = b"\xff" * rng.choice([4, 8, 40, 600, 2000]) + bytes([rng.randrange(128)])
        elif kind == "meter":
            at = data.find(b"\xff\x58\x04")
            if at >= 0:
                data[at + 3 : at + 5] = bytes([rng.choice([0, 1, 7, 36, 64, 65, 255, rng.randrange(256)]),
                                               rng.choice([0, 1, 2, 3, 6, 7, 31, 255, rng.randrange(256)])])
        elif kind == "tempo-flood":
            at = data.find(b"MTrk")
            if at >= 0:
                count = rng.choice([10, 1000, 3000])
                flood = b"".join(rng.choice([b"\x00", b"\x01"]) + tempo_event(rng.choice([0, 1, 2**24 - 1, 500_000]))
                                 for _ in range(count))
                data[at + 8 : at + 8] = flood
                length = struct.unpack(">I", data[at + 4 : at + 8])[0] + len(flood)
                data[at + 4 : at + 8] = struct.pack(">I", min(length, 0xFFFFFFFF))
        elif kind == "splice":
            at = rng.randrange(len(data) + 1)
            data[at:at] = bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 256)))
        elif kind == "header":
            field = rng.choice([(4, ">I", [0, 5, 7, 0xFFFFFFFF]), (8, ">H", [0, 1, 2, 3, 0xFFFF]),
                                (10, ">H", [0, 1, 9, 0xFFFF]), (12, ">H", [0, 1, 3, 0x7FFF, 0x8000, 0xE728, 0xFFFF])])
            offset, fmt, values = field
            if len(data) >= offset + struct.calcsize(fmt):
                data[offset : offset + struct.calcsize(fmt)] = struct.pack(fmt, rng.choice(values))
        elif kind == "chunk-length":
            starts = [i for i in range(len(data) - 8) if data[i : i + 4] == b"MTrk"]
            if starts:
                at = rng.choice(starts)
                data[at + 4 : at + 8] = struct.pack(">I", rng.choice([0, 1, 2, 0x7FFFFFFF, 0xFFFFFFFF]))
        elif kind == "random":
            data = bytearray((b"MThd" if rng.random() < 0.5 else b"") + bytes(
                rng.getrandbits(8) for _ in range(rng.randint(0, 2048))))
        return data


class Outcomes(NamedTuple):
    """Counts of what the reader and the request handler did, and the failures found."""

    reader: collections.Counter[str]
    handler: collections.Counter[str]
    failures: list[str]


def run_case(index: int, kind: str, data: bytes, generator: DrumGenerator, limits: ReadLimits,
             outcomes: Outcomes) -> None:
    """One case through the reader, then through the server's handler (a status, as a client would get it)."""
    reader, handler, failures = outcomes
    try:
        read_midi(data, limits=limits)
        reader["read"] += 1
    except MidiReadError as error:
        reader[type(error).__name__] += 1
    except Exception:  # noqa: BLE001  (a crash: what the fuzz looks for)
        reader["CRASH"] += 1
        failures.append(f"case {index} ({kind}) crashed the reader:\n{traceback.format_exc()}")
    try:
        generate_drums(generator, Job(data, GenerationOptions(seed=index), limits))
        handler["OK"] += 1
    except Seq2DrumError as error:
        code, _ = status_for(error)
        handler[code.name] += 1
        if code.name in ("UNKNOWN", "INTERNAL"):
            failures.append(f"case {index} ({kind}) answered {code.name}: {error}")
    except Exception as error:  # noqa: BLE001  (would reach a client as INTERNAL)
        handler["CRASH (INTERNAL)"] += 1
        failures.append(f"case {index} ({kind}) crashed the handler: {type(error).__name__}: {error}\n"
                        f"{traceback.format_exc()}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--max-bytes", type=int, default=64 * 1024)
    parser.add_argument("--checkpoint", type=Path, default=None, help="default: a tiny random model")
    parser.add_argument("--max-song-quarters", type=int, default=1024,
                        help="the song-length limit (lower than a server's 8192 so that 10,000 cases run in minutes)")
    args = parser.parse_args(argv)
    print("== seq2drum fuzz: reader and request handler ==")
    print(describe_machine())
    with tempfile.TemporaryDirectory() as scratch:
        checkpoint = args.checkpoint or tiny_checkpoint(Path(scratch) / "tiny.pt")
        generator = DrumGenerator.from_checkpoint(checkpoint)
    print(f"model: {generator.info.name}; {args.cases} cases of at most {args.max_bytes} bytes, seed {args.seed}, "
          f"songs of at most {args.max_song_quarters} quarter notes")
    mutator = Mutator(args.seed, args.max_bytes)
    limits = ReadLimits(max_song_quarters=args.max_song_quarters)
    reader: collections.Counter[str] = collections.Counter()
    handler: collections.Counter[str] = collections.Counter()
    kinds: collections.Counter[str] = collections.Counter()
    failures: list[str] = []
    slowest = (0.0, "")
    started = time.perf_counter()
    for index in range(args.cases):
        kind, data = mutator.case()
        kinds[kind] += 1
        case_started = time.perf_counter()
        run_case(index, kind, data, generator, limits, Outcomes(reader, handler, failures))
        elapsed = time.perf_counter() - case_started
        if elapsed > slowest[0]:
            slowest = (elapsed, f"case {index} ({kind}, {len(data)} bytes)")
        if (index + 1) % 1000 == 0:
            print(f"  {index + 1} cases, {time.perf_counter() - started:.0f} s", flush=True)
    wall = time.perf_counter() - started
    print(f"\n{args.cases} cases in {wall:.0f} s ({wall / args.cases * 1000:.1f} ms each); slowest "
          f"{slowest[0] * 1000:.0f} ms: {slowest[1]}")
    print("mutations:", dict(sorted(kinds.items())))
    print("reader outcomes:", dict(sorted(reader.items())))
    print("handler statuses:", dict(sorted(handler.items())))
    for failure in failures[:5]:
        print(failure)
    crashes = reader["CRASH"] + handler["CRASH (INTERNAL)"]
    bad = handler["UNKNOWN"] + handler["INTERNAL"] + handler["CRASH (INTERNAL)"]
    print(f"\ncrashes: {crashes}; UNKNOWN or INTERNAL: {bad}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
