"""Fuzz a running studio's HTTP API (issue 55): `python -m seq2drum.studio --workers 2` started here as its own
process, bound to 127.0.0.1 only, its files and working folder in a scratch folder; every request must get the answer
its class of mutation deserves (a 4xx with one line of JSON, or success for a valid request), never a 500.

    python -m bench.fuzz_studio [--cases 10000] [--seed 1] [--threads 4] [--max-seconds 1800] [--checkpoint PATH]
    python -m bench.fuzz_server --studio ...   (the same)

Classes: uploads of mutated files (bench/fuzz.py's Mutator) and of valid songs padded past their tracks; generation
forms with hostile values (unknown names, numbers of 5,000 digits, NaN, wrong types, not JSON, unknown songs) and a
few valid ones; made-up session and take ids; another site's Origin or Sec-Fetch-Site; another Host; lengths declared
past the limit; methods a route does not take. Prints a table per class, the log's tracebacks and ERROR lines, and the
files found outside the studio's own folder; exits 1 on any 500, unexpected status, traceback or stray file.
"""

from __future__ import annotations

import argparse
import collections
import http.client
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from concurrent import futures
from pathlib import Path

from bench.mutations import Mutator
from bench.machine import describe_machine

REPO = Path(__file__).resolve().parents[1]
MAX_UPLOAD_MIB = 1
EXPECTED = {  # class -> the statuses it may get (503: every slot busy, 504: a song past its time)
    "upload-mutated": {200, 413, 422, 503}, "upload-padded": {200, 503}, "form-hostile": {410, 413, 422},
    "form-valid": {200, 503, 504}, "session-id": {404, 410}, "take-file": {200, 404, 410, 413, 501},
    "cross-site": {403}, "wrong-host": {400}, "declared-too-large": {413}, "method": {405},
    "close": {204}}
CLASSES = [name for name, weight in (("upload-mutated", 30), ("upload-padded", 6), ("form-hostile", 20),
                                     ("form-valid", 1), ("session-id", 10), ("take-file", 6), ("cross-site", 8),
                                     ("wrong-host", 6), ("declared-too-large", 4), ("method", 6), ("close", 3))
           for _ in range(weight)]
OPTION_NAMES = ["seed", "takes", "density", "bars", "tempo_qpm", "meter", "swing", "humanize", "fills", "style",
                "kit_map", "cymbal", "merge", "track", "groove_midi", "colour", "__proto__", ""]
HOSTILE_VALUES = [None, "", "-1", "0", "1e309", "nan", "inf", 1e308, -1, 2**63, True, [], {}, [[[]]], "x" * 5000,
                  "\x00\x1b[2J", "9" * 41, "../../etc/passwd", "four", 0.5, "every:0", "7/0", "99/99"]


ALWAYS_WRONG = [{"colour": "red"}, {"seed": "nan"}, {"takes": "9" * 50}, {"merge": "yes"}, {"density": "inf"},
                {"groove_midi": "not base64!"}, {"density": "1e309"}, {"seed": [1]}]


def start_studio(folder: Path, checkpoint: Path | None) -> tuple[subprocess.Popen[str], str, Path]:
    """The studio on 127.0.0.1, port 0, with TMPDIR and its working folder in `folder`; (process, address, log)."""
    (folder / "tmp").mkdir()
    (folder / "cwd").mkdir()
    flags = ["--port", "0", "--host", "127.0.0.1", "--workers", "2", "--max-job-seconds", "20", "--max-upload-mib",
             str(MAX_UPLOAD_MIB), "--keep-minutes", "10", "--log-level", "INFO"]
    if checkpoint is not None:
        flags += ["--checkpoint", str(checkpoint)]
    env = {**os.environ, "TMPDIR": str(folder / "tmp"), "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    log = folder / "studio.log"
    process = subprocess.Popen([sys.executable, "-m", "seq2drum.studio", *flags], cwd=folder / "cwd", env=env,
                               stdout=subprocess.PIPE, stderr=log.open("w"), text=True)
    line = process.stdout.readline() if process.stdout else ""
    if not line.startswith("seq2drum studio: http://"):
        raise SystemExit(f"the studio did not start: {log.read_text()[-2000:]}")
    return process, line.split()[2], log


class Client:
    """Plain HTTP requests to the studio, each on a connection of its own; the answer as (status, JSON or bytes)."""

    def __init__(self, address: str) -> None:
        self.host, port = address.split("/")[2].rsplit(":", 1)
        self.port = int(port)
        self.own = address.rstrip("/")

    def request(self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None,
                skip_length: bool = False) -> tuple[int, object]:
        connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
        try:
            connection.putrequest(method, path, skip_host="Host" in (headers or {}), skip_accept_encoding=True)
            for key, value in (headers or {}).items():
                connection.putheader(key, value)
            if not skip_length:
                connection.putheader("Content-Length", str(len(body)))
            connection.endheaders(body or None)
            answer = connection.getresponse()
            data = answer.read()
            if "json" in answer.getheader("content-type", ""):
                return answer.status, json.loads(data)
            return answer.status, data
        finally:
            connection.close()


class Pages:
    """Sessions with a song each, renewed when the studio ended one (410); takes made for them, once."""

    def __init__(self, client: Client, song: bytes) -> None:
        self.client, self.song = client, song
        self.lock = threading.Lock()
        self.pages: list[tuple[str, str]] = []
        self.takes: list[tuple[str, str]] = []  # (session, take id)

    def open(self) -> tuple[str, str]:
        _, answer = self.client.request("POST", "/api/sessions")
        session = answer["session"]  # type: ignore[index]
        _, view = self.client.request("POST", f"/api/sessions/{session}/songs?name=base.mid", self.song)
        return session, view.get("song", "") if isinstance(view, dict) else ""

    def any(self, rng: random.Random) -> tuple[str, str]:
        with self.lock:
            if len(self.pages) < 8:
                self.pages.append(self.open())
            return rng.choice(self.pages)

    def gone(self, session: str) -> None:
        with self.lock:
            self.pages = [page for page in self.pages if page[0] != session]
            self.takes = [take for take in self.takes if take[0] != session]


def hostile_form(rng: random.Random, song: str) -> bytes:
    roll = rng.random()
    if roll < 0.1:
        return rng.choice([b"\xff\xfe", b"[" * 100_000, b"{", b"null", b"[1]", b'{"song": 3}', b""])
    if roll < 0.2:
        return b'{"song": null, "options": {"bars": ' + b"9" * rng.choice([4301, 5000, 60_000]) + b"}}"
    options = {rng.choice(OPTION_NAMES): rng.choice(HOSTILE_VALUES) for _ in range(rng.randint(0, 3))}
    options.update(rng.choice(ALWAYS_WRONG))  # so the form is wrong whatever the others hold
    song_id = rng.choice([song, None, "nope", "../x", 7, ""])
    if rng.random() < 0.3:
        options["bars"] = rng.choice(["0", "-3", "100000", "1e3", "two"])
    return json.dumps({"song": song_id, "options": options}).encode()


def run_case(index: int, seed: int, client: Client, mutator: Mutator, pages: Pages, lock: threading.Lock,
             base: bytes) -> tuple[str, str, int, object]:
    """One request of a class drawn for `index`: (its class, the session it used, the status, the answer)."""
    rng = random.Random(seed * 1_000_003 + index)
    kind = rng.choice(CLASSES)
    session, song = pages.any(rng)
    return (kind, session, *request_of(kind, rng, index, session, song, client, mutator, pages, lock, base))


def request_of(kind: str, rng: random.Random, index: int, session: str, song: str, client: Client, mutator: Mutator,
               pages: Pages, lock: threading.Lock, base: bytes) -> tuple[int, object]:
    api = f"/api/sessions/{session}"
    if kind == "upload-mutated":
        with lock:
            _, midi, _ = mutator.case(index)
        return client.request("POST", f"{api}/songs?name=fuzz{index}.mid", midi)
    if kind == "upload-padded":
        padding = rng.choice([bytes(rng.randint(1, 200_000)), os.urandom(rng.randint(1, 100_000)), b"MTrk" * 1000])
        return client.request("POST", f"{api}/songs?name=padded.mid", base + padding)
    if kind == "form-hostile":
        return client.request("POST", f"{api}/takes", hostile_form(rng, song),
                                     {"Content-Type": "application/json"})
    if kind == "form-valid":
        song_id = song if song and rng.random() < 0.7 else None
        options = {"seed": str(index), "takes": "1"} if song_id else {"bars": "1", "seed": str(index)}
        body = json.dumps({"song": song_id, "options": options}).encode()
        status, answer = client.request("POST", f"{api}/takes", body, {"Content-Type": "application/json"})
        if status == 200 and isinstance(answer, dict):
            with pages.lock:
                pages.takes += [(session, take["id"]) for take in answer["takes"]]
        return status, answer
    if kind == "session-id":
        bad = rng.choice(["nope", "A" * 5000, "..%2F..%2Fetc", "%00", "%F0%9F%A5%81", session[:-1], session + "x"])
        path = rng.choice(["songs?name=a.mid", "takes", "touch", "takes/1/mix.wav"])
        method = "GET" if path.endswith(".wav") else "POST"
        return client.request(method, f"/api/sessions/{bad}/{path}", b"MThd")
    if kind == "take-file":
        with pages.lock:
            take = rng.choice(pages.takes) if pages.takes and rng.random() < 0.5 else (session, "0" * 12)
        what = rng.choice(["drums.mid", "song.mid", "mix.wav", "drums.wav", "x.exe", "..", "%2e%2e"])
        return client.request("GET", f"/api/sessions/{take[0]}/takes/{take[1]}/{what}")
    if kind == "cross-site":
        headers = rng.choice([{"Origin": "http://evil.example"}, {"Sec-Fetch-Site": "cross-site"},
                              {"Origin": "null"}, {"Sec-Fetch-Site": "same-site", "Origin": client.own},
                              {"Origin": client.own + ".evil.example"}])
        path = rng.choice(["/api/sessions", f"{api}/close", f"{api}/songs?name=a.mid", f"{api}/takes"])
        return client.request("POST", path, base, headers)
    if kind == "wrong-host":
        host = rng.choice(["evil.example", "evil.example:80", "127.0.0.1.evil.example", "[::2]", "",
                           "localhost.", "x" * 300])
        return client.request(rng.choice(["GET", "POST"]), rng.choice(["/", "/api/config", "/api/sessions"]),
                                     b"", {"Host": host})
    if kind == "declared-too-large":
        path = rng.choice([f"{api}/songs?name=big.mid", f"{api}/takes"])
        size = rng.choice([MAX_UPLOAD_MIB * 1024 * 1024 + 1, 10**9, 10**15] if "songs" in path else [10**8, 10**15])
        return client.request("POST", path, b"", {"Content-Length": str(size)}, skip_length=True)
    if kind == "method":
        method, path = rng.choice([("PUT", "/api/sessions"), ("PATCH", f"{api}/takes"), ("GET", "/api/sessions"),
                                   ("DELETE", f"{api}/songs"), ("PUT", "/api/config"), ("POST", "/api/config")])
        return client.request(method, path)
    _, answer = client.request("POST", "/api/sessions")
    throwaway = answer["session"]  # type: ignore[index]
    return client.request(rng.choice(["POST", "DELETE"]), f"/api/sessions/{throwaway}/close")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--max-seconds", type=float, default=1800.0, help="stop sending cases after this long")
    parser.add_argument("--checkpoint", type=Path, default=None, help="default: the studio's (the shipped model)")
    args = parser.parse_args(argv)
    print("== seq2drum fuzz: a running studio (python -m seq2drum.studio --workers 2, on 127.0.0.1) ==")
    print(describe_machine())
    from tests.studio_songs import band_song  # a valid 2-bar song, built in code

    base = band_song(bars=2)
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        process, address, log = start_studio(folder, args.checkpoint)
        outcomes: collections.Counter[tuple[str, int]] = collections.Counter()
        unexpected: collections.Counter[str] = collections.Counter()
        examples: dict[tuple[str, int], str] = {}
        not_one_line = 0
        try:
            client, mutator, lock = Client(address), Mutator(args.seed, 64 * 1024), threading.Lock()
            pages = Pages(client, base)
            print(f"studio pid {process.pid} at {address}; {args.cases} cases, seed {args.seed}, {args.threads} "
                  f"threads, at most {args.max_seconds:g} s")
            started = time.perf_counter()
            stop_at = time.monotonic() + args.max_seconds

            def one(index: int) -> tuple[str, str, int, object] | None:
                if time.monotonic() > stop_at:
                    return None
                return run_case(index, args.seed, client, mutator, pages, lock, base)

            with futures.ThreadPoolExecutor(args.threads) as pool:
                for done, result in enumerate(pool.map(one, range(args.cases)), start=1):
                    if result is None:
                        continue
                    kind, session, status, answer = result
                    outcomes[kind, status] += 1
                    line = answer.get("error", "") if isinstance(answer, dict) else ""
                    examples.setdefault((kind, status), str(line)[:110])
                    if status not in EXPECTED[kind]:
                        unexpected[kind] += 1
                    if 400 <= status < 500 and (not line or "\n" in line):
                        not_one_line += 1
                    if status == 410:
                        pages.gone(session)
                    if done % 1000 == 0:
                        print(f"  {done} cases, {time.perf_counter() - started:.0f} s", flush=True)
            wall = time.perf_counter() - started
            alive = process.poll() is None
            strays = stray_files(folder)
        finally:
            process.terminate()
            process.wait(60)
        left = list((folder / "tmp").iterdir())
        return report(outcomes, unexpected, examples, not_one_line, wall, alive, strays, left, log.read_text())


def stray_files(folder: Path) -> list[Path]:
    """Files the studio wrote anywhere in the scratch folder but its own (tmp/seq2drum-studio-*/SESSION/FILE), and
    for its worker processes the folder of multiprocessing's forkserver (pymp-*, removed at exit)."""
    strays = list((folder / "cwd").rglob("*"))
    for path in (folder / "tmp").rglob("*"):
        parts = path.relative_to(folder / "tmp").parts
        if parts[0].startswith("pymp-") and len(parts) <= 2:
            continue
        if not parts[0].startswith("seq2drum-studio-") or len(parts) > 3 or path.is_symlink():
            strays.append(path)
    return strays


def report(outcomes: collections.Counter[tuple[str, int]], unexpected: collections.Counter[str],
           examples: dict[tuple[str, int], str], not_one_line: int, wall: float, alive: bool, strays: list[Path],
           left: list[Path], log_text: str) -> int:
    print(f"\n{sum(outcomes.values())} requests in {wall:.0f} s; studio alive at the end: {alive}")
    print(f"{'class':<20} {'requests':>8}  {'statuses':<40} {'unexpected':>10}")
    for kind in EXPECTED:
        statuses = {status: count for (name, status), count in sorted(outcomes.items()) if name == kind}
        words = ", ".join(f"{status}: {count}" for status, count in statuses.items())
        print(f"{kind:<20} {sum(statuses.values()):>8}  {words:<40} {unexpected[kind]:>10}")
        for status in statuses:
            if examples.get((kind, status)):
                print(f"{'':<22}{status} e.g. {examples[kind, status]}")
    lines = log_text.splitlines()
    tracebacks = sum("Traceback" in line for line in lines)
    errors = [line for line in lines if " ERROR " in line]
    server_errors = sum(count for (_, status), count in outcomes.items() if status >= 500 and status not in (501, 503,
                                                                                                            504))
    print(f"\n500s: {server_errors}; 4xx without one line of JSON: {not_one_line}; tracebacks in the log: {tracebacks};"
          f" log lines at ERROR: {len(errors)}")
    for line in errors[:5]:
        print("  ", line[:300])
    print(f"files outside the studio's folder: {len(strays)}; left after it stopped: {len(left)}")
    for path in (strays + left)[:5]:
        print("  ", path)
    bad = server_errors or sum(unexpected.values()) or tracebacks or errors or strays or left or not alive
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
