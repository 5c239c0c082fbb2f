"""Issue 69 N3's figures: a file of 40,000 one-note tracks (960 KB) on each path a song takes, and the most parts a
song may hold (64) for comparison. Run by `python -m bench.bench_hostile --parts-only [--checkpoint PATH]`:

- the command line: `main.py --mode infer` (a process of its own, its whole time: imports, reading, generation);
- the server: `python -m server`, one Generate of the file (upload included), and the metadata's size;
- the studio: `python -m seq2drum.studio`, the upload's answer (time, status, size), and the slowest `GET /api/config`
  answered while the upload was read (the page's other requests must not stall).

Each answer is shown as its status and its first 160 characters, so a refusal's one line can be read.
"""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import grpc

from bench.bench_soak import start_server
from seq2drum.rpc import seq2drum_pb2 as pb
from seq2drum.rpc import seq2drum_pb2_grpc
from tests.hostile_songs import many_tracks

REPO = Path(__file__).resolve().parents[1]
MiB = 1024 * 1024


def songs() -> dict[str, bytes]:
    return {"40,000 one-note tracks": many_tracks(40_000), "64 one-note tracks (the limit)": many_tracks(64)}


def shown(text: str) -> str:
    line = " ".join(text.split())
    return f"{len(text):,} chars: {line[:160]}{'...' if len(line) > 160 else ''}"


def command_line(checkpoint: Path, folder: Path, name: str, data: bytes) -> None:
    song = folder / "song.mid"
    song.write_bytes(data)
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    started = time.perf_counter()
    run = subprocess.run([sys.executable, str(REPO / "main.py"), "--mode", "infer", str(song), "--checkpoint",
                          str(checkpoint), "-o", str(folder / "out.mid"), "--force"], cwd=REPO, env=env,
                         capture_output=True, text=True, timeout=600, check=False)
    seconds = time.perf_counter() - started
    answer = run.stderr.strip() if run.returncode else run.stdout.strip().splitlines()[0]
    print(f"   command line, {name}: exit {run.returncode} in {seconds:.2f} s; {shown(answer)}")


def server(address: str, name: str, data: bytes) -> None:
    with grpc.insecure_channel(address, options=[("grpc.max_send_message_length", -1),
                                                 ("grpc.max_receive_message_length", -1)]) as channel:
        stub = seq2drum_pb2_grpc.Seq2DrumStub(channel)
        started = time.perf_counter()
        try:
            response = stub.Generate(pb.GenerateRequest(midi=data), timeout=120)
            code, answer = "OK", f"metadata {response.metadata.ByteSize():,} bytes, {response.metadata.bars} bars"
        except grpc.RpcError as error:
            code, answer = error.code().name, error.details() or ""
        seconds = time.perf_counter() - started
    print(f"   server, {name}: {code} in {seconds:.2f} s (upload included); {shown(answer)}")


def start_studio(folder: Path, checkpoint: Path) -> tuple[subprocess.Popen[str], str, int]:
    env = {**os.environ, "TMPDIR": str(folder), "OMP_NUM_THREADS": "1"}
    process = subprocess.Popen([sys.executable, "-m", "seq2drum.studio", "--host", "127.0.0.1", "--port", "0",
                                "--workers", "1", "--checkpoint", str(checkpoint), "--max-upload-mib", "16"],
                               cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = process.stdout.readline() if process.stdout else ""
    if not line.startswith("seq2drum studio: http://"):
        process.kill()
        raise SystemExit(f"the studio did not start: {line!r}")
    host, port = line.split()[2].split("/")[2].rsplit(":", 1)
    return process, host, int(port)


def studio_request(host: str, port: int, method: str, path: str, body: bytes = b"") -> tuple[int, bytes]:
    connection = http.client.HTTPConnection(host, port, timeout=120)
    try:
        connection.request(method, path, body=body, headers={"Content-Type": "application/octet-stream"})
        answer = connection.getresponse()
        return answer.status, answer.read()
    finally:
        connection.close()


def studio(host: str, port: int, name: str, data: bytes) -> None:
    _, opened = studio_request(host, port, "POST", "/api/sessions")
    session = json.loads(opened)["session"]
    config_s: list[float] = []
    done = threading.Event()

    def ask_config() -> None:  # what the page asks meanwhile
        while not done.is_set():
            started = time.perf_counter()
            studio_request(host, port, "GET", "/api/config")
            config_s.append(time.perf_counter() - started)
            time.sleep(0.05)

    asking = threading.Thread(target=ask_config, daemon=True)
    asking.start()
    started = time.perf_counter()
    status, body = studio_request(host, port, "POST", f"/api/sessions/{session}/songs?name=song.mid", data)
    seconds = time.perf_counter() - started
    done.set()
    asking.join(30)
    answer = json.loads(body).get("error", "") if status != 200 else f"a view of {len(body):,} bytes"
    print(f"   studio, {name}: HTTP {status} in {seconds:.2f} s; {shown(answer)}; slowest GET /api/config meanwhile "
          f"{max(config_s, default=0.0) * 1000:.0f} ms ({len(config_s)} asked)")


def run_parts(checkpoint: Path, scratch: Path) -> None:
    print("\n7. Issue 69 N3: many parts (a part: one channel of one track that plays notes)")
    cases = songs()
    for name, data in cases.items():
        print(f"   {name}: {len(data) / 1024:.0f} KiB")
    for name, data in cases.items():
        command_line(checkpoint, scratch, name, data)
    process, address = start_server(checkpoint, 1, "--max-message-mib", "16")
    try:
        for name, data in cases.items():
            server(address, name, data)
    finally:
        process.terminate()
        process.wait(60)
    studio_process, host, port = start_studio(scratch, checkpoint)
    try:
        for name, data in cases.items():
            studio(host, port, name, data)
    finally:
        studio_process.terminate()
        studio_process.wait(60)
