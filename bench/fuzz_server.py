"""Fuzz a running server (issue 42): `python -m server --workers 2` started here as its own process, with a token and
TLS (when openssl is there), reached over real channels; every case must get an answer a client can act on.

    python -m bench.fuzz_server [--cases 10000] [--seed 1] [--threads 4] [--checkpoint PATH]
    python -m bench.fuzz --server ...   (the same)
    python -m bench.fuzz_server --studio [--cases 10000] ...   (the studio's HTTP API: bench/fuzz_studio.py)

Cases, mixed: Generate requests as bench/mutations.py builds them (mutated files, hostile options, broken protobuf
bytes); GenerateStream uploads of them (options first, chunks, sometimes garbage messages); PlayAlong streams (starts
with odd options and parts, bars with absurd clocks, counts, NaN and infinite times, out of order, garbage messages);
and the token and TLS paths (no token, a wrong one, a non-ASCII one, oversized or many metadata entries, plain text to
the TLS port). Prints the statuses per kind with an example message each, the worker processes replaced, and the
server's log lines at ERROR; exits 1 on any INTERNAL or UNKNOWN from the server, or a worker that died.
"""

from __future__ import annotations

import argparse
import collections
import math
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent import futures
from pathlib import Path

os.environ.setdefault("GRPC_VERBOSITY", "NONE")  # the refused non-ASCII metadata logs a trace per call otherwise
import grpc

from bench.bench_server import descendants
from bench.machine import describe_machine
from bench.mutations import Mutator
from seq2drum.rpc import seq2drum_pb2 as pb

REPO = Path(__file__).resolve().parents[1]
TOKEN = "fuzz-token-42"
GENERATE, STREAM, PLAY = ("/seq2drum.v1.Seq2Drum/" + name for name in ("Generate", "GenerateStream", "PlayAlong"))
KINDS = ("generate",) * 8 + ("stream",) * 3 + ("play",) * 6 + ("auth",) * 3


def start_server(folder: Path, checkpoint: Path | None, tls: bool) -> tuple[subprocess.Popen[str], int, Path]:
    """`python -m server --workers 2` with a token (and TLS); (the process, its port, its log file)."""
    token = folder / "token"
    token.write_text(TOKEN + "\n")
    token.chmod(0o600)
    flags = ["--token-file", str(token), "--max-song-quarters", "1024", "--log-level", "INFO"]
    if checkpoint is not None:
        flags += ["--checkpoint", str(checkpoint)]
    if tls:
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(folder / "key.pem"),
                        "-out", str(folder / "cert.pem"), "-days", "1", "-subj", "/CN=localhost",
                        "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"], check=True, capture_output=True)
        flags += ["--tls-cert", str(folder / "cert.pem"), "--tls-key", str(folder / "key.pem")]
    log = folder / "server.log"
    process = subprocess.Popen([sys.executable, "-m", "server", "--port", "0", "--workers", "2", *flags], cwd=REPO,
                               stdout=subprocess.PIPE, stderr=log.open("w"), text=True)
    line = process.stdout.readline()
    if "listening on" not in line:
        raise SystemExit(f"the server did not start: {log.read_text()[-2000:]}")
    return process, int(line.rsplit(":", 1)[1]), log


class Target:
    """Channels to the server: with TLS and the token, or as each auth case asks."""

    def __init__(self, port: int, cert: Path | None) -> None:
        self.port, self.cert = port, cert
        self.channel = self.open()

    def open(self, plain: bool = False) -> grpc.Channel:
        options = [("grpc.max_send_message_length", -1), ("grpc.max_receive_message_length", -1)]
        if self.cert is None or plain:
            return grpc.insecure_channel(f"localhost:{self.port}", options=options)
        credentials = grpc.ssl_channel_credentials(self.cert.read_bytes())
        return grpc.secure_channel(f"localhost:{self.port}", credentials, options=options)


def _float(rng: random.Random) -> float:
    return rng.choice([0.0, -1.0, 0.5, 3.99, 4.0, 1e-300, 1e300, math.inf, -math.inf, math.nan, rng.uniform(-10, 300)])


def live_messages(rng: random.Random, mutator: Mutator, index: int) -> list[bytes]:
    """A hostile PlayAlong stream: a start (usually), bars with odd clocks and notes, sometimes broken bytes."""
    messages = []
    if rng.random() < 0.9:
        options = mutator.hostile_options(index) if rng.random() < 0.3 else pb.GenerationOptions(seed=index)
        if rng.random() < 0.1:
            options.groove_midi = bytes(mutator.mutate("flip", bytearray(rng.choice(mutator.bases))))
        parts = [pb.LivePart(name=rng.choice(["Guitar", "Bass", "\x1b[2J\n", "x" * 3000, ""]),
                             program=rng.choice([-2**31, -1, 0, 29, 33, 127, 128, 2**31 - 1]),
                             channel=rng.choice([0, 9, 15, 16, 2**32 - 1]))
                 for _ in range(rng.choice([0, 1, 2, 5, 64, 65, 3000]))]
        messages.append(pb.PlayAlongRequest(start=pb.PlayAlongStart(options=options, parts=parts)))
    bar_index = rng.choice([0, 1, 2**32 - 2])
    for _ in range(rng.choice([0, 1, 2, 4, 8])):
        notes = [pb.LiveNote(onset_quarters=_float(rng), duration_quarters=_float(rng),
                             pitch=rng.choice([0, 40, 127, 128, 2**32 - 1]), velocity=rng.choice([0, 1, 100, 128]),
                             part=rng.choice([0, 1, 63, 64, 2**32 - 1]))
                 for _ in range(rng.choice([0, 1, 8, 100, 4096, 4097]))]
        messages.append(pb.PlayAlongRequest(bar=pb.PlayedBar(
            index=bar_index, numerator=rng.choice([0, 1, 4, 7, 64, 65, 2**32 - 1]),
            denominator=rng.choice([0, 1, 3, 4, 8, 32, 64]), tempo_bpm=rng.choice([120.0, _float(rng)]), notes=notes)))
        bar_index = min(2**32 - 1, max(0, bar_index + rng.choice([1, 1, 1, 0, -1, 5])))
    data = [message.SerializeToString() for message in messages]
    if data and rng.random() < 0.15:
        data[rng.randrange(len(data))] = mutator.hostile_request(data[rng.randrange(len(data))])
    if rng.random() < 0.05:
        data.insert(rng.randrange(len(data) + 1), rng.choice([b"", b"\xff" * 64, data[0] if data else b""]))
    return data


def stream_messages(rng: random.Random, midi: bytes, request: bytes, options: pb.GenerationOptions) -> list[bytes]:
    """A GenerateStream upload: options first, then chunks; sometimes out of order, empty or broken."""
    chunk = rng.choice([1, 100, 4096, 1 << 20])
    messages = [pb.GenerateStreamRequest(options=options).SerializeToString()] if rng.random() < 0.8 else []
    messages += [pb.GenerateStreamRequest(midi_chunk=midi[i : i + chunk]).SerializeToString()
                 for i in range(0, min(len(midi), 200 * chunk), chunk)]
    if rng.random() < 0.2:
        messages.insert(rng.randrange(len(messages) + 1), rng.choice([b"", request[:50], b"\x12\x00" * 3]))
    return messages


def auth_case(rng: random.Random, target: Target, request: bytes) -> tuple[str, str]:
    """One call by the token and TLS paths: the outcome as a status name (client-side refusals so marked), and the
    status's message."""
    how = rng.choice(["none", "wrong", "non-ascii", "oversized", "many", "plain-text", "health"])
    metadata = {"none": (), "wrong": (("authorization", "Bearer nope"),),
                "non-ascii": (("authorization", "Bearer s\u00e9cret"),),
                "oversized": (("authorization", "Bearer " + "x" * rng.choice([9000, 20_000, 100_000])),),
                "many": tuple((f"x-key-{n}", "v" * 100) for n in range(rng.choice([50, 200, 1000]))),
                "plain-text": (("authorization", f"Bearer {TOKEN}"),),
                "health": ()}[how]
    channel = target.open(plain=True) if how == "plain-text" else target.channel
    info = "/seq2drum.v1.Seq2Drum/GetModelInfo"
    method = {"health": "/grpc.health.v1.Health/Check"}.get(how, rng.choice([GENERATE, info]))
    try:
        channel.unary_unary(method)(request if method == GENERATE else b"", timeout=30, metadata=metadata)
        return f"auth-{how}:OK", ""
    except grpc.RpcError as error:
        client_side = how == "non-ascii" or (how == "plain-text" and error.code() == grpc.StatusCode.UNAVAILABLE)
        return f"auth-{how}:{'client-refused:' if client_side else ''}{error.code().name}", error.details() or ""
    except ValueError as error:  # grpc refuses metadata it cannot send before any byte leaves
        return f"auth-{how}:client-refused:{type(error).__name__}", str(error)
    finally:
        if how == "plain-text":
            channel.close()


def run_case(index: int, seed: int, mutator: Mutator, target: Target, examples: dict[str, str]) -> str:
    rng = random.Random(seed * 1_000_003 + index)
    with MUTATOR_LOCK:
        kind_name, midi, request = mutator.case(index)
    kind = rng.choice(KINDS)
    auth = (("authorization", f"Bearer {TOKEN}"),)
    try:
        if kind == "auth":
            outcome, details = auth_case(rng, target, request)
            examples.setdefault(outcome, f"case {index}: {details[:160]}")
            return outcome
        if kind == "generate":
            target.channel.unary_unary(GENERATE)(request, timeout=60, metadata=auth)
        elif kind == "stream":
            options = pb.GenerationOptions(seed=index)
            list(target.channel.stream_stream(STREAM)(iter(stream_messages(rng, midi, request, options)), timeout=60,
                                                      metadata=auth))
        else:
            with MUTATOR_LOCK:
                messages = live_messages(rng, mutator, index)
            list(target.channel.stream_stream(PLAY)(iter(messages), timeout=60, metadata=auth))
        return f"{kind}:OK"
    except grpc.RpcError as error:
        outcome = f"{kind}:{error.code().name}"
        examples.setdefault(outcome, f"case {index} ({kind_name}): {(error.details() or '')[:160]}")
        return outcome


MUTATOR_LOCK = threading.Lock()


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if "--studio" in argv:  # the studio's HTTP API instead, with the rest of the flags
        from bench import fuzz_studio

        return fuzz_studio.main([arg for arg in argv if arg != "--studio"])
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--checkpoint", type=Path, default=None, help="default: the server's (the shipped model)")
    args = parser.parse_args(argv)
    print("== seq2drum fuzz: a running server (python -m server --workers 2) ==")
    print(describe_machine())
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        tls = shutil.which("openssl") is not None
        process, port, log = start_server(folder, args.checkpoint, tls)
        try:
            target = Target(port, folder / "cert.pem" if tls else None)
            time.sleep(1.0)
            workers_before = set(descendants(process.pid))
            print(f"server pid {process.pid} on port {port}, TLS {'on' if tls else 'off (no openssl)'}, token on; "
                  f"{args.cases} cases, seed {args.seed}, {args.threads} client threads")
            mutator = Mutator(args.seed, 64 * 1024)
            outcomes: collections.Counter[str] = collections.Counter()
            examples: dict[str, str] = {}
            started = time.perf_counter()
            with futures.ThreadPoolExecutor(args.threads) as pool:
                for done, outcome in enumerate(pool.map(lambda i: run_case(i, args.seed, mutator, target, examples),
                                                        range(args.cases)), start=1):
                    outcomes[outcome] += 1
                    if done % 1000 == 0:
                        print(f"  {done} cases, {time.perf_counter() - started:.0f} s", flush=True)
            wall = time.perf_counter() - started
            alive = process.poll() is None
            workers_after = set(descendants(process.pid))
        finally:
            process.terminate()
            process.wait(60)
        return report(outcomes, examples, wall, alive, workers_before, workers_after, log.read_text())


def report(outcomes: collections.Counter[str], examples: dict[str, str], wall: float, alive: bool,
           before: set[int], after: set[int], log_text: str) -> int:
    print(f"\n{sum(outcomes.values())} cases in {wall:.0f} s; server alive at the end: {alive}")
    for outcome, count in sorted(outcomes.items()):
        print(f"  {outcome}: {count}" + (f"   e.g. {examples[outcome]}" if outcome in examples else ""))
    lines = log_text.splitlines()
    died = [line for line in lines if "died while idle" in line or "worker failed" in line]
    errors = [line for line in lines if " ERROR " in line]
    replaced = len(before - after)
    print(f"worker processes replaced: {replaced} (log: {sum('grew to' in line for line in lines)} recycled for "
          f"memory, {sum('status=DEADLINE_EXCEEDED' in line for line in lines)} calls past their deadline)")
    print(f"worker deaths in the log: {len(died)}; server log lines at ERROR: {len(errors)}")
    for line in (died + errors)[:5]:
        print("  ", line[:300])
    bad = sum(count for outcome, count in outcomes.items()
              if outcome.endswith((":INTERNAL", ":UNKNOWN")) and "client-refused" not in outcome)
    print(f"\nINTERNAL or UNKNOWN from the server: {bad}")
    return 1 if bad or died or errors or not alive else 0


if __name__ == "__main__":
    sys.exit(main())
