"""Fuzz the MIDI reader and the server's request handler in process: every case must read or be refused with a
domain error, and the handler's answer must map to a status a client can act on (never UNKNOWN or INTERNAL).

    python -m bench.fuzz [--cases 10000] [--seed 1] [--max-bytes 65536] [--checkpoint PATH]
    python -m bench.fuzz --server [--cases 10000] [--seed 1]   (a running server: bench/fuzz_server.py)

Cases are real-shaped files built in code (a rock song, a format-0 file with running status, a dense chord track, a
song with tempo and meter changes) mutated the ways a broken export or an attacker would: bit flips, truncation,
huge variable-length numbers, absurd meters, tempo floods, random splices, patched header and chunk fields, and
plain random bytes; each at most --max-bytes, except long runs of 0xFF and other long variable-length numbers (up
to --max-run-bytes). Options are fuzzed too (huge numbers in every option that holds a number as text, deep JSON
kit maps, control characters in names), and so are the request's protobuf bytes (flips, cuts, long varints, invalid
UTF-8 in its strings). Each case goes to `seq2drum.midi.io.read_midi` and, as the serialized GenerateRequest a
client would send, through the server's own path: its lenient deserializer (server.app), `options_from_proto`
(server.convert) and `server.workers.generate_drums` (what a worker runs) with a model (default: a tiny random
one, as the model's weights do not change what the reader and the handler must survive); the outcome is mapped by
`server.status.status_for`. Prints the counts per outcome and exits 1 on any crash, UNKNOWN or INTERNAL.
"""

from __future__ import annotations

import argparse
import collections
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import NamedTuple

from bench.machine import describe_machine
from bench.mutations import Mutator
from seq2drum.errors import MidiReadError, Seq2DrumError
from seq2drum.generation.generator import DrumGenerator
from seq2drum.midi.io import read_midi
from seq2drum.midi.limits import ReadLimits
from seq2drum.options import GenerationOptions
from seq2drum.rpc import seq2drum_pb2 as pb
from server.app import _lenient
from server.convert import options_from_proto
from server.status import UndecodableRequest, status_for
from server.workers import Job, generate_drums
from tests.builders import tiny_checkpoint


class Outcomes(NamedTuple):
    """Counts of what the reader and the request handler did, and the failures found."""

    reader: collections.Counter[str]
    handler: collections.Counter[str]
    failures: list[str]


_DECODE = _lenient("Generate", pb.GenerateRequest.FromString)  # the server's own deserializer for Generate


def handle(request_bytes: bytes, generator: DrumGenerator, limits: ReadLimits) -> None:
    """What the server does with a Generate request's bytes, minus gRPC: decode, check the options, run the job."""
    request = _DECODE(request_bytes)
    if isinstance(request, UndecodableRequest):
        raise request.error()
    options: GenerationOptions = options_from_proto(request.options)
    generate_drums(generator, Job(request.midi, options, limits))


def run_case(index: int, kind: str, data: bytes, request: bytes, generator: DrumGenerator, limits: ReadLimits,
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
        handle(request, generator, limits)
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
    argv = sys.argv[1:] if argv is None else argv
    if "--server" in argv:  # over real channels, with PlayAlong and the token and TLS paths (issue 42)
        from bench.fuzz_server import main as fuzz_server

        return fuzz_server([arg for arg in argv if arg != "--server"])
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--max-bytes", type=int, default=64 * 1024)
    parser.add_argument("--max-run-bytes", type=int, default=1 << 20,
                        help="longest run of 0xFF or other continuation bytes in a long-run case")
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
    mutator = Mutator(args.seed, args.max_bytes, args.max_run_bytes)
    limits = ReadLimits(max_song_quarters=args.max_song_quarters)
    reader: collections.Counter[str] = collections.Counter()
    handler: collections.Counter[str] = collections.Counter()
    kinds: collections.Counter[str] = collections.Counter()
    failures: list[str] = []
    slowest = (0.0, "")
    started = time.perf_counter()
    for index in range(args.cases):
        kind, data, request = mutator.case(index)
        kinds[kind] += 1
        case_started = time.perf_counter()
        run_case(index, kind, data, request, generator, limits, Outcomes(reader, handler, failures))
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
