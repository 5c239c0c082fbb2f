"""Fuzz a running studio's HTTP API (issue 55): `python -m seq2drum.studio --workers 2` started here as its own
process, bound to 127.0.0.1 only, its files and working folder in a scratch folder; every request must get the answer
its class of mutation deserves (a 4xx with one line of JSON, or success for a valid request), never a 500.

    python -m bench.fuzz_studio [--cases 10000] [--close-races 100] [--seed 1] [--threads 4] [--max-seconds 1800]
                                [--max-studio-mib 150] [--checkpoint PATH]
    python -m bench.fuzz_server --studio ...   (the same)

Classes: uploads of mutated files (bench/fuzz.py's Mutator) and of valid songs padded past their tracks; generation
forms with hostile values (unknown names, numbers of 5,000 digits, NaN, wrong types, not JSON, unknown songs) and a
few valid ones; made-up session and take ids; another site's Origin or Sec-Fetch-Site; another Host; lengths declared
past the limit; methods a route does not take; close races (a page's takes, drums.mid, song.mid and mix.wav asked for
while its close goes, all five at once: in the mix, then `--close-races` rounds on their own). Prints a table per
class, the log's tracebacks and ERROR lines, the files found outside the studio's own folder, answers cut short of
their Content-Length or naming a path of the studio's, and the studio process's memory (its workers apart); exits 1
on any 500, unexpected status, traceback, stray file, short or path-naming answer, or a studio past --max-studio-mib.
"""

from __future__ import annotations

import argparse
import collections
import dataclasses
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

from bench.machine import describe_machine
from bench.mutations import Mutator
from bench.studio_races import RACE_EXPECTED, close_race, names_a_path

REPO = Path(__file__).resolve().parents[1]
MAX_UPLOAD_MIB = 1
EXPECTED = {  # class -> the statuses it may get (503: every slot busy, 504: a song past its time)
    "upload-mutated": {200, 413, 422, 503}, "upload-padded": {200, 503}, "form-hostile": {410, 413, 422},
    "form-valid": {200, 503, 504}, "session-id": {404, 410}, "take-file": {200, 404, 410, 413, 501},
    "cross-site": {403}, "wrong-host": {400}, "declared-too-large": {413}, "method": {405},
    "close": {204}, **{f"race-{kind}": statuses for kind, statuses in RACE_EXPECTED.items()}}
CLASSES = [name for name, weight in (("upload-mutated", 30), ("upload-padded", 6), ("form-hostile", 20),
                                     ("form-valid", 1), ("session-id", 10), ("take-file", 6), ("cross-site", 8),
                                     ("wrong-host", 6), ("declared-too-large", 4), ("method", 6), ("close", 3),
                                     ("close-race", 1)) for _ in range(weight)]
OPTION_NAMES = ["seed", "takes", "density", "bars", "tempo_qpm", "meter", "swing", "humanize", "fills", "style",
                "kit_map", "cymbal", "merge", "track", "groove_midi", "colour", "__proto__", ""]
HOSTILE_VALUES = [None, "", "-1", "0", "1e309", "nan", "inf", 1e308, -1, 2**63, True, [], {}, [[[]]], "x" * 5000,
                  "\x00\x1b[2J", "9" * 41, "../../etc/passwd", "four", 0.5, "every:0", "7/0", "99/99"]


ALWAYS_WRONG = [{"colour": "red"}, {"seed": "nan"}, {"takes": "9" * 50}, {"merge": "yes"}, {"density": "inf"},
                {"groove_midi": "not base64!"}, {"density": "1e309"}, {"seed": [1]}]


def start_studio(folder: Path, checkpoint: Path | None, workers: int = 2) -> tuple[subprocess.Popen[str], str, Path]:
    """The studio on 127.0.0.1, port 0, with TMPDIR and its working folder in `folder`; (process, address, log)."""
    (folder / "tmp").mkdir()
    (folder / "cwd").mkdir()
    flags = ["--port", "0", "--host", "127.0.0.1", "--workers", str(workers), "--max-job-seconds", "20",
             "--max-upload-mib", str(MAX_UPLOAD_MIB), "--keep-minutes", "10", "--log-level", "INFO"]
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


def studio_memory_mib(pid: int) -> tuple[float, float]:
    """The studio process's resident memory now and at its peak (VmRSS, VmHWM), in MiB; its workers are processes of
    their own, not counted. (-1, -1) where /proc cannot say."""
    try:
        fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())
        return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024
    except (OSError, KeyError, ValueError):
        return -1.0, -1.0


class Client:
    """Plain HTTP requests to the studio, each on a connection of its own; the answer as (status, JSON or bytes).
    Counts the answers cut short of their Content-Length (or dropped before any answer: status -1)."""

    def __init__(self, address: str) -> None:
        self.host, port = address.split("/")[2].rsplit(":", 1)
        self.port = int(port)
        self.own = address.rstrip("/")
        self.short = 0
        self.lock = threading.Lock()

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
        except (http.client.IncompleteRead, ConnectionError) as short:
            with self.lock:
                self.short += 1
            status = answer.status if isinstance(short, http.client.IncompleteRead) else -1
            return status, {"error": f"cut short: {short!r}"[:200]}
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
             base: bytes) -> list[tuple[str, str, int, object]]:
    """The requests of a class drawn for `index`: (its class, the session it used, the status, the answer) each; one
    request, or a close race's five."""
    rng = random.Random(seed * 1_000_003 + index)
    kind = rng.choice(CLASSES)
    if kind == "close-race":
        return [(f"race-{what}", "", status, answer) for what, status, answer in close_race(client, base)]
    session, song = pages.any(rng)
    return [(kind, session, *request_of(kind, rng, index, session, song, client, mutator, pages, lock, base))]


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


@dataclasses.dataclass
class Tally:
    """What the requests got: statuses per class, the unexpected ones, an example line each, answers that are not one
    line of JSON or that name a path of the studio's, close races run."""

    outcomes: collections.Counter[tuple[str, int]] = dataclasses.field(default_factory=collections.Counter)
    unexpected: collections.Counter[str] = dataclasses.field(default_factory=collections.Counter)
    examples: dict[tuple[str, int], str] = dataclasses.field(default_factory=dict)
    not_one_line: int = 0
    paths: int = 0
    races: int = 0

    def add(self, kind: str, status: int, answer: object) -> None:
        self.outcomes[kind, status] += 1
        line = answer.get("error", "") if isinstance(answer, dict) else ""
        self.examples.setdefault((kind, status), str(line)[:110])
        self.unexpected[kind] += status not in EXPECTED[kind]
        self.not_one_line += 400 <= status < 500 and (not line or "\n" in line)
        self.paths += names_a_path(answer)
        self.races += kind == "race-close"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--close-races", type=int, default=100, help="close races run on their own after the cases")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--max-seconds", type=float, default=1800.0, help="stop sending cases after this long")
    parser.add_argument("--max-studio-mib", type=float, default=150.0, help="the studio process's most memory")
    parser.add_argument("--checkpoint", type=Path, default=None, help="default: the studio's (the shipped model)")
    args = parser.parse_args(argv)
    print("== seq2drum fuzz: a running studio (python -m seq2drum.studio --workers 2, on 127.0.0.1) ==")
    print(describe_machine())
    from tests.studio_songs import band_song  # a valid 2-bar song, built in code

    base = band_song(bars=2)
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        process, address, log = start_studio(folder, args.checkpoint)
        tally = Tally()
        try:
            client, mutator, lock = Client(address), Mutator(args.seed, 64 * 1024), threading.Lock()
            pages = Pages(client, base)
            print(f"studio pid {process.pid} at {address}; {args.cases} cases, then {args.close_races} close races; "
                  f"seed {args.seed}, {args.threads} threads, at most {args.max_seconds:g} s")
            started = time.perf_counter()
            stop_at = time.monotonic() + args.max_seconds

            def one(index: int) -> list[tuple[str, str, int, object]]:
                if time.monotonic() > stop_at:
                    return []
                return run_case(index, args.seed, client, mutator, pages, lock, base)

            with futures.ThreadPoolExecutor(args.threads) as pool:
                for done, results in enumerate(pool.map(one, range(args.cases)), start=1):
                    for kind, session, status, answer in results:
                        tally.add(kind, status, answer)
                        if status == 410:
                            pages.gone(session)
                    if done % 1000 == 0:
                        print(f"  {done} cases, {time.perf_counter() - started:.0f} s, studio "
                              f"{studio_memory_mib(process.pid)[0]:.0f} MiB", flush=True)
            for _ in range(args.close_races if time.monotonic() < stop_at else 0):
                for kind, status, answer in close_race(client, base):
                    tally.add(f"race-{kind}", status, answer)
            wall = time.perf_counter() - started
            alive, memory = process.poll() is None, studio_memory_mib(process.pid)
            strays = stray_files(folder)
        finally:
            process.terminate()
            process.wait(60)
        left = list((folder / "tmp").iterdir())
        print(f"\nthe studio process (its workers apart): {memory[0]:.1f} MiB at the end, {memory[1]:.1f} MiB at its "
              f"peak (at most {args.max_studio_mib:g})")
        too_big = memory[1] > args.max_studio_mib
        return report(tally, client.short, wall, alive, strays, left, log.read_text()) or int(too_big)


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


def report(tally: Tally, short: int, wall: float, alive: bool, strays: list[Path], left: list[Path],
           log_text: str) -> int:
    outcomes = tally.outcomes
    print(f"\n{sum(outcomes.values())} requests in {wall:.0f} s; studio alive at the end: {alive}")
    print(f"{'class':<20} {'requests':>8}  {'statuses':<40} {'unexpected':>10}")
    for kind in EXPECTED:
        statuses = {status: count for (name, status), count in sorted(outcomes.items()) if name == kind}
        words = ", ".join(f"{status}: {count}" for status, count in statuses.items())
        print(f"{kind:<20} {sum(statuses.values()):>8}  {words:<40} {tally.unexpected[kind]:>10}")
        for status in statuses:
            if tally.examples.get((kind, status)):
                print(f"{'':<22}{status} e.g. {tally.examples[kind, status]}")
    lines = log_text.splitlines()
    tracebacks = sum("Traceback" in line for line in lines)
    errors = [line for line in lines if " ERROR " in line]
    server_errors = sum(count for (_, status), count in outcomes.items() if status >= 500 and status not in (501, 503,
                                                                                                            504))
    race_errors = sum(count for (kind, status), count in outcomes.items() if kind.startswith("race-") and status >= 500
                      and status not in (501, 503, 504))
    print(f"\n500s: {server_errors}; 4xx without one line of JSON: {tally.not_one_line}; tracebacks in the log: "
          f"{tracebacks}; log lines at ERROR: {len(errors)}")
    print(f"close races: {tally.races} (five requests at once each): 5xx {race_errors}; answers cut short "
          f"(all requests): {short}; answers naming a path of the studio's: {tally.paths}")
    for line in errors[:5]:
        print("  ", line[:300])
    print(f"files outside the studio's folder: {len(strays)}; left after it stopped: {len(left)}")
    for path in (strays + left)[:5]:
        print("  ", path)
    bad = (server_errors or sum(tally.unexpected.values()) or tracebacks or errors or strays or left or not alive
           or short or tally.paths)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
