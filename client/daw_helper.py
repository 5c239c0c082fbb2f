"""DAW helper: send a guitar MIDI file to a seq2drum server and write the drums next to it.

    python -m client.daw_helper SONG.mid [-o OUT.mid] [--server HOST:PORT]     # writes SONG_drums.mid
    python -m client.daw_helper --watch DIR [--interval 1.0] [--settle 2.0]     # every guitar .mid exported to DIR
    python -m client.daw_helper --bars 16 --tempo 96 --meter 6/8                 # drums from nothing: drums_16bars.mid

Needs grpcio and protobuf only: no torch, no music21, no seq2drum, so it runs on the machine with the DAW while the
model runs elsewhere. The server's limits come from its GetModelInfo: files past its message limit go through
GenerateStream, files past its upload limit are refused here. UNAVAILABLE (every worker busy, server starting,
restarting, briefly unreachable) is retried with randomised exponential backoff for up to --wait seconds, each
attempt with its own --timeout; every other failure is reported with its status and message, and the exit code is 1.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import secrets
import struct
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import grpc

from seq2drum.rpc import seq2drum_pb2, seq2drum_pb2_grpc

from client.balancing import ServerListError, channel_options, split_servers, target_for

MiB = 1024 * 1024
DEFAULT_SERVER = os.environ.get("SEQ2DRUM_SERVER", "127.0.0.1:50051")
FALLBACK_MESSAGE_BYTES = 4 * MiB  # gRPC's own default, for a server that does not answer GetModelInfo
_ENVELOPE_BYTES = 4096  # room for options and framing next to the file in one message
STREAM_CHUNK_BYTES = 1 * MiB
OUTPUT_SUFFIXES = ("_drums.mid", "_with_drums.mid")  # what this helper writes (and -2, -3 ... takes); never input
# what this helper and main.py write: SONG_drums.mid, SONG_drums-2.mid ..., and takes OUT.take1.mid ... (any OUT)
_OWN_OUTPUT = re.compile(r"(_(with_)?drums(-\d+)?\.mid|\.take\d+\.mid)$", re.IGNORECASE)
MIDI_SUFFIXES = (".mid", ".midi")
EXIT_FAILED, EXIT_USAGE = 1, 2
# Codes worth trying again later in watch mode (the file is not at fault).
TRANSIENT_CODES = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.CANCELLED)
# Retried within --wait: the server is busy or away (UNAVAILABLE), or it cancelled the call as it shut down
# (CANCELLED: this helper never cancels its own calls), so another server, or the same one back up, can take it.
RETRIED_CODES = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED)
RETRY_FIRST_S, RETRY_MAX_S = 0.25, 8.0  # backoff between attempts: doubles from the first up to the max, jittered
T = TypeVar("T")


class HelperError(Exception):
    """A failure of this helper (bad path, unwritable folder, server answer that does not add up)."""


class OutputExistsError(HelperError):
    """-o names a file that exists and --force was not given (a usage error, found before the server is asked)."""


@dataclass
class Drums:
    """What the server sent back."""

    midi_bytes: bytes
    metadata: seq2drum_pb2.GenerationMetadata
    more_takes: list[tuple[bytes, int]] = field(default_factory=list)  # takes 2.. as (MIDI bytes, drum hits)

    def describe(self) -> str:
        m = self.metadata
        return (f"{m.bars} bars, {m.drum_hits} hits, seed {m.seed}, model {m.model_name} {m.model_version}, "
                f"{m.generation_ms:.0f} ms on the server")


class DrumClient:
    """A channel to one server or several (a list, a comma list, or a DNS name with several addresses), calls spread
    round robin over those whose health is SERVING. UNAVAILABLE is retried with randomised exponential backoff until
    `wait_s` has passed, each retry going to the next server; every attempt has its own deadline (`timeout_s`). The
    size limits come from GetModelInfo of one of them (replicas are expected to run with the same flags)."""

    def __init__(self, target: str | list[str] = DEFAULT_SERVER, timeout_s: float = 120.0, wait_s: float = 60.0,
                 backoff_s: float = RETRY_FIRST_S, max_backoff_s: float = RETRY_MAX_S) -> None:
        if timeout_s <= 0:
            raise HelperError(f"--timeout must be > 0 seconds, got {timeout_s}")
        if wait_s < 0:
            raise HelperError(f"--wait must be >= 0 seconds, got {wait_s}")
        self.timeout_s = timeout_s
        self.wait_s = wait_s
        self.backoff_s = backoff_s
        self.max_backoff_s = max_backoff_s
        self.attempts = 0  # every call made, retries included
        self._limits: seq2drum_pb2.Limits | None = None
        self._random = random.Random()
        try:
            self.servers = split_servers(target)
            channel_target = target_for(self.servers)
        except ServerListError as exc:
            raise HelperError(str(exc)) from None
        self.target = ", ".join(self.servers)
        # Calls go round robin to the servers whose health is SERVING (client.balancing), so a retry after UNAVAILABLE
        # goes to the next server; the server enforces the size limits, and reconnects are quick after a restart.
        self._channel = grpc.insecure_channel(channel_target, options=channel_options())
        self._stub = seq2drum_pb2_grpc.Seq2DrumStub(self._channel)

    def close(self) -> None:
        self._channel.close()

    def __enter__(self) -> DrumClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def generate(self, midi: bytes, options: seq2drum_pb2.GenerationOptions | None = None) -> Drums:
        """Drums for one file: unary when it fits in one of the server's messages, streamed otherwise.
        Raises `grpc.RpcError`, or `HelperError` for a file past the server's upload limit."""
        options = options or seq2drum_pb2.GenerationOptions()
        give_up_at = time.monotonic() + self.wait_s  # one --wait for asking the limits and for the song
        limits = self.limits(give_up_at)
        if len(midi) > limits.max_stream_bytes:
            raise HelperError(f"the file is {len(midi)} bytes; the server takes at most {limits.max_stream_bytes} "
                              f"({limits.max_stream_bytes / MiB:.1f} MiB)")
        if len(midi) > limits.max_message_bytes - _ENVELOPE_BYTES:
            chunk_bytes = max(1, min(STREAM_CHUNK_BYTES, limits.max_message_bytes - _ENVELOPE_BYTES))
            return self._with_retries(lambda: self._generate_stream(midi, options, chunk_bytes), give_up_at)
        return self._with_retries(lambda: self._generate_unary(midi, options), give_up_at)

    def model_info(self, give_up_at: float | None = None) -> seq2drum_pb2.GetModelInfoResponse:
        request = seq2drum_pb2.GetModelInfoRequest()
        return self._with_retries(lambda: self._stub.GetModelInfo(request, timeout=self.timeout_s), give_up_at)

    def limits(self, give_up_at: float | None = None) -> seq2drum_pb2.Limits:
        """The server's limits, asked once per client."""
        if self._limits is None:
            try:
                self._limits = self.model_info(give_up_at).limits
            except grpc.RpcError as error:
                if error.code() != grpc.StatusCode.UNIMPLEMENTED:
                    raise
                self._limits = seq2drum_pb2.Limits(max_message_bytes=FALLBACK_MESSAGE_BYTES,
                                                   max_stream_bytes=FALLBACK_MESSAGE_BYTES)
        return self._limits

    def _generate_unary(self, midi: bytes, options: seq2drum_pb2.GenerationOptions) -> Drums:
        response = self._stub.Generate(seq2drum_pb2.GenerateRequest(midi=midi, options=options), timeout=self.timeout_s)
        return Drums(response.midi, response.metadata, [(take.midi, take.drum_hits) for take in response.more_takes])

    def _generate_stream(self, midi: bytes, options: seq2drum_pb2.GenerationOptions, chunk_bytes: int) -> Drums:
        def requests() -> Iterator[seq2drum_pb2.GenerateStreamRequest]:
            yield seq2drum_pb2.GenerateStreamRequest(options=options)
            for start in range(0, len(midi), chunk_bytes):
                yield seq2drum_pb2.GenerateStreamRequest(midi_chunk=midi[start : start + chunk_bytes])

        takes: list[tuple[seq2drum_pb2.GenerationMetadata, list[bytes]]] = []  # each take: metadata, then chunks
        for response in self._stub.GenerateStream(requests(), timeout=self.timeout_s):
            if response.WhichOneof("part") == "metadata":
                takes.append((response.metadata, []))
            elif takes:
                takes[-1][1].append(response.midi_chunk)
        received = [(metadata, b"".join(chunks)) for metadata, chunks in takes]
        wanted = options.takes if options.HasField("takes") else 1
        for metadata, data in received:
            if len(data) != metadata.output_bytes:
                raise HelperError(f"the server's stream ended early: {len(data)} bytes received of take "
                                  f"{metadata.take or 1}, {metadata.output_bytes} bytes announced")
        if len(received) < wanted:
            raise HelperError(f"the server's stream ended early: {len(received)} of {wanted} takes received")
        (metadata, data), *more = received
        return Drums(data, metadata, [(midi, more_metadata.drum_hits) for more_metadata, midi in more])

    def _with_retries(self, attempt: Callable[[], T], give_up_at: float | None = None) -> T:
        """Run `attempt` until it succeeds, fails with anything but UNAVAILABLE or CANCELLED, or the next try would
        start after `give_up_at` (default: `wait_s` from now). The pause doubles each time (capped), randomised so that
        clients turned away together do not come back together."""
        give_up_at = time.monotonic() + self.wait_s if give_up_at is None else give_up_at
        ceiling_s = self.backoff_s
        while True:
            self.attempts += 1
            try:
                return attempt()
            except grpc.RpcError as error:
                if error.code() not in RETRIED_CODES:
                    raise
                pause_s = ceiling_s / 2 + self._random.uniform(0, ceiling_s / 2)
                left_s = give_up_at - time.monotonic()
                if pause_s > left_s:
                    raise
                print(f"server {self.target} unavailable ({error.details()}); retrying in {pause_s:.1f} s "
                      f"({left_s:.0f} s left of --wait)", file=sys.stderr, flush=True)
                time.sleep(pause_s)
                ceiling_s = min(ceiling_s * 2, self.max_backoff_s)


# ---------------------------------------------------------------------------------------------- files


def output_path(song: Path, merge: bool = False) -> Path:
    """SONG.mid -> SONG_drums.mid (SONG_with_drums.mid when the guitar is merged in), beside the song."""
    return song.with_name(song.stem + ("_with_drums.mid" if merge else "_drums.mid"))


def new_take_path(song: Path, merge: bool = False) -> Path:
    """SONG_drums.mid, or when earlier takes are there SONG_drums-2.mid, -3 ...: as main.py does, no take is lost."""
    first = output_path(song, merge)
    candidate, number = first, 2
    while candidate.exists():
        candidate, number = first.with_name(f"{first.stem}-{number}.mid"), number + 1
    return candidate


def take_paths(song: Path, output: Path | None, merge: bool, takes: int) -> list[Path]:
    """OUT.take1.mid ... OUT.takeN.mid: OUT is -o without its .mid, or SONG_drums (SONG_with_drums) beside the song,
    as main.py names them."""
    base = output.with_suffix("") if output else output_path(song, merge).with_suffix("")
    return [base.with_name(f"{base.name}.take{index}.mid") for index in range(1, takes + 1)]


def new_take_paths(song: Path, merge: bool, takes: int) -> list[Path]:
    """For --watch: SONG_drums.take1.mid ..., or when any of those is there SONG_drums-2.take1.mid ... (no file
    lost, nobody there to pass --force)."""
    first = output_path(song, merge)
    paths, number = take_paths(song, None, merge, takes), 2
    while any(path.exists() for path in paths):
        paths = take_paths(song, first.with_name(f"{first.stem}-{number}.mid"), merge, takes)
        number += 1
    return paths


def existing_takes(song: Path, merge: bool = False) -> list[Path]:
    """The takes already beside the song: SONG_drums.mid, SONG_drums-2.mid, SONG_drums.take1.mid ..."""
    first = output_path(song, merge)
    pattern = re.compile(re.escape(first.stem) + r"(-\d+)?(\.take\d+)?\.mid$")
    try:
        return [path for path in song.parent.iterdir() if pattern.fullmatch(path.name)]
    except OSError:
        return []


def is_own_output(path: Path) -> bool:
    return bool(_OWN_OUTPUT.search(path.name))


def write_atomic(path: Path, data: bytes) -> None:
    """Temp file in the same folder, then rename: a DAW never sees (or imports) a half-written file. The file gets
    the usual mode for a new file (0666 less the umask), as any other program's output would."""
    for _ in range(100):
        temp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
        try:
            handle = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            break
        except FileExistsError:
            continue
    else:
        raise HelperError(f"cannot find a free temporary name beside {path}")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def process_file(client: DrumClient, song: Path, options: seq2drum_pb2.GenerationOptions,
                 output: Path | None = None, force: bool = False, renumber_takes: bool = False) -> Path:
    """Read SONG, get its drums, write them beside it as a new version (or to `output`, never over the song, and over
    an existing file only with `force`). Returns the path of (the first take of) the drums.

    With options.takes = N > 1 the files are OUT.take1.mid ... OUT.takeN.mid as main.py writes them: if any exists,
    nothing is written without `force` (takes are never renumbered), unless `renumber_takes` (--watch) moves the
    set to SONG_drums-2.take1.mid ..."""
    n_takes = options.takes if options.HasField("takes") else 1
    if n_takes > 1:
        targets = (new_take_paths(song, options.merge, n_takes) if renumber_takes and output is None
                   else take_paths(song, output, options.merge, n_takes))
        existing = [str(path) for path in targets if path.exists()]
        hint = "takes are never renumbered"
    else:
        targets = [output or new_take_path(song, options.merge)]
        existing = [str(output)] if output is not None and output.exists() else []
        hint = "or leave out -o to get a new version beside the song"
    for target in targets:
        if target.resolve() == song.resolve():
            raise HelperError(f"the output {target} would overwrite the song; pick another -o")
    if existing and not force:
        raise OutputExistsError(f"{', '.join(existing)} exist{'s' if len(existing) == 1 else ''}; pass --force to "
                                f"overwrite, {hint}")
    try:
        midi = song.read_bytes()
    except OSError as exc:
        raise HelperError(f"cannot read {song}: {exc.strerror or exc}") from exc
    drums = client.generate(midi, options)
    files = [(drums.midi_bytes, drums.metadata.drum_hits), *drums.more_takes]
    for target, (data, hits) in zip(targets, files):
        try:
            write_atomic(target, data)
        except OSError as exc:
            raise HelperError(f"cannot write {target}: {exc.strerror or exc}") from exc
        if n_takes > 1:
            print(f"wrote {target} ({hits} hits)", flush=True)
    target = targets[0]
    if n_takes > 1:
        print(f"{n_takes} takes ({drums.describe()})", flush=True)
    else:
        print(f"wrote {target} ({drums.describe()})", flush=True)
    if drums.metadata.sections:
        print(f"sections (letter@bar): {' '.join(drums.metadata.sections)}", flush=True)
    if drums.metadata.guitar_parts:
        print(f"guitar: {'; '.join(drums.metadata.guitar_parts)}", flush=True)
    for notice in drums.metadata.notices:
        print(f"warning: {notice}", file=sys.stderr, flush=True)
    return target


# ---------------------------------------------------------------------------------------------- watch


def midi_file_problem(data: bytes) -> str | None:
    """Why `data` is not (yet) a complete Standard MIDI File, or None when it is one: the header and every
    declared track are all there, and each track ends with its end-of-track event. A file still being written
    fails this; a file that passes may still be refused by the server (which reads it for real)."""
    if not data.startswith(b"MThd") or len(data) < 14:
        return "not a MIDI file (yet)"
    header_length, _, n_tracks, _ = struct.unpack(">IHHH", data[4:14])
    position, tracks = 8 + header_length, 0
    while tracks < n_tracks:
        if position + 8 > len(data):
            return f"ends after {tracks} of its {n_tracks} tracks"
        length = struct.unpack(">I", data[position + 4 : position + 8])[0]
        end = position + 8 + length
        if end > len(data):
            return f"track {tracks + 1} is cut short"
        if data[position : position + 4] == b"MTrk":
            if data[end - 3 : end] != b"\xff\x2f\x00":
                return f"track {tracks + 1} has no end-of-track event"
            tracks += 1
        position = end
    return None


class FolderWatcher:
    """Finds guitar files a DAW exported into a folder, once each has settled and reads as a complete MIDI file.

    A file is handed over when its (size, mtime) has stayed the same for `settle_s` seconds, it holds a complete
    MIDI file (`midi_file_problem`), and it differs from when it was last handed over. A writer that pauses for
    longer than the look interval is therefore not caught halfway. A file whose drums are already newer than it is
    skipped, so a restart does not redo a folder.
    """

    def __init__(self, folder: Path, handle: Callable[[Path], bool], merge: bool = False, settle_s: float = 2.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.folder = folder
        self.handle = handle  # returns False to be asked again later (server down), True when settled
        self.merge = merge
        self.settle_s = settle_s
        self.clock = clock
        self._since: dict[Path, tuple[tuple[int, int], float]] = {}  # path -> (signature, first seen with it)
        self._settled: dict[Path, tuple[int, int]] = {}
        self._reported: dict[Path, tuple[int, int]] = {}

    def scan(self) -> dict[Path, tuple[int, int]]:
        """Candidate files -> (size_bytes, mtime_ns)."""
        found = {}
        with os.scandir(self.folder) as entries:
            for entry in entries:
                name = entry.name
                if name.startswith(".") or not name.lower().endswith(MIDI_SUFFIXES) or is_own_output(Path(name)):
                    continue
                try:
                    if not entry.is_file():
                        continue
                    stat = entry.stat()
                except OSError:  # deleted between listing and stat
                    continue
                found[Path(entry.path)] = (stat.st_size, stat.st_mtime_ns)
        return found

    def poll(self) -> list[Path]:
        """One look at the folder; handles the files that have settled and are new or changed. Returns them."""
        now = self.clock()
        current = self.scan()
        since = {}
        for path, signature in current.items():
            previous = self._since.get(path)
            since[path] = previous if previous is not None and previous[0] == signature else (signature, now)
        self._since = since
        handled = []
        for path, signature in sorted(current.items()):
            settled = now - self._since[path][1] >= self.settle_s and signature[0] > 0
            if not settled or self._settled.get(path) == signature:
                continue
            if self._drums_are_newer(path, signature):
                self._settled[path] = signature
                continue
            problem = self._problem(path)
            if problem is not None:
                if self._reported.get(path) != signature:
                    print(f"{path.name}: {problem}; waiting until it is complete", file=sys.stderr, flush=True)
                    self._reported[path] = signature
                continue
            if self.handle(path):
                self._settled[path] = signature
            handled.append(path)
        return handled

    def run(self, interval_s: float = 1.0, stop: threading.Event | None = None, max_polls: int | None = None) -> int:
        """Poll until `stop` is set or after `max_polls` polls. Returns the number of files handled."""
        stop = stop or threading.Event()
        polls = handled = 0
        while not stop.is_set() and (max_polls is None or polls < max_polls):
            handled += len(self.poll())
            polls += 1
            if max_polls is None or polls < max_polls:
                stop.wait(interval_s)
        return handled

    def _problem(self, path: Path) -> str | None:
        try:
            return midi_file_problem(path.read_bytes())
        except OSError as exc:
            return f"cannot be read ({exc.strerror or exc})"

    def _drums_are_newer(self, path: Path, signature: tuple[int, int]) -> bool:
        """The newest take beside the song is at least as new as the song."""
        newest = 0
        for take in existing_takes(path, self.merge):
            try:
                newest = max(newest, take.stat().st_mtime_ns)
            except OSError:  # deleted between listing and stat
                continue
        return newest > 0 and newest >= signature[1]


def watch(client: DrumClient, folder: Path, options: seq2drum_pb2.GenerationOptions, interval_s: float = 1.0,
          stop: threading.Event | None = None, max_polls: int | None = None, settle_s: float = 2.0) -> int:
    """Give every settled, complete, new or changed guitar file in `folder` its drums. Returns the number handled."""

    def handle(song: Path) -> bool:
        try:
            process_file(client, song, options, renumber_takes=True)
        except grpc.RpcError as error:
            print(f"{song.name}: {error.code().name}: {error.details()}", file=sys.stderr, flush=True)
            return error.code() not in TRANSIENT_CODES
        except HelperError as error:
            print(f"{song.name}: {error}", file=sys.stderr, flush=True)
        return True

    return FolderWatcher(folder, handle, options.merge, settle_s).run(interval_s, stop, max_polls)


# ---------------------------------------------------------------------------------------------- command line


class DefaultsHelpFormatter(argparse.HelpFormatter):
    """Every option's default shown once (a copy of seq2drum.config's: this helper imports nothing from seq2drum)."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if not action.option_strings or action.default is argparse.SUPPRESS or "default" in text:
            return text
        if isinstance(action, (argparse._StoreTrueAction, argparse._StoreFalseAction)):
            return f"{text} (default: {'on' if action.default else 'off'})".strip()
        return f"{text} (default: %(default)s)".strip()



def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m client.daw_helper", description="Drums for a guitar MIDI file, from a seq2drum server",
        formatter_class=DefaultsHelpFormatter,
    )
    parser.add_argument("song", nargs="?", type=Path, help="guitar MIDI file exported from the DAW")
    parser.add_argument("-o", "--output", type=Path, default=None,
                        help="output file (default: SONG_drums.mid beside the song, or SONG_drums-2.mid, -3 ... when "
                        "earlier takes are there)")
    parser.add_argument("--force", action="store_true", help="let -o overwrite an existing file")
    parser.add_argument("--server", action="append", default=None, metavar="HOST:PORT",
                        help="the server; several: repeat --server or separate with commas, or one DNS name with "
                        "several addresses: songs go round robin to the servers that are up (default: env "
                        f"SEQ2DRUM_SERVER, else {DEFAULT_SERVER})")
    parser.add_argument("--watch", type=Path, default=None, metavar="DIR",
                        help="process every guitar .mid exported to DIR (default: off, one SONG only)")
    parser.add_argument("--interval", type=float, default=1.0, help="--watch: seconds between looks at the folder")
    parser.add_argument("--settle", type=float, default=2.0,
                        help="--watch: seconds a file must stay unchanged before it is taken")
    parser.add_argument("--temperature", type=float, default=None,
                        help="randomness in the groove choice, 0 = the model's best (default: the server's, 0)")
    parser.add_argument("--seed", type=int, default=None, help="same seed, same drums (default: a fresh one)")
    parser.add_argument("--track", default="",
                        help="which parts are the guitar: numbers from the part listing or pieces of names, several "
                        "separated by commas, e.g. 5,6 (default: every part marked as guitar)")
    parser.add_argument("--merge", action="store_true", help="write the guitar and the drums in one file")
    parser.add_argument("--takes", type=int, default=None,
                        help="write N distinct takes as OUT.take1.mid ... OUT.takeN.mid (OUT = -o without .mid, or "
                        "SONG_drums); with --watch a new set SONG_drums-2.take1.mid ... when one is there "
                        "(default: one file, SONG_drums.mid)")
    parser.add_argument("--no-humanize", action="store_true",
                        help="velocity and timing of each hit as predicted, not spread a little around it")
    parser.add_argument("--kit-map", default="gm", metavar="gm|FILE.json",
                        help='the MIDI note of each drum class for your drum plug-in, a JSON object like {"kick": 36, '
                        '"snare": 40}; classes left out keep their General MIDI note')
    parser.add_argument("--count-in", type=int, default=None, metavar="BARS",
                        help="bars of sticks before the guitar enters; with --merge the song moves later when it "
                        "starts too early (default: the server's, 0)")
    parser.add_argument("--bars", type=int, default=None,
                        help="without a SONG: drums from nothing, this many bars shaped like a song, written to "
                        "drums_<N>bars.mid here or -o (default: off)")
    parser.add_argument("--tempo", type=float, default=None, metavar="QPM",
                        help="with --bars: quarter notes per minute (default: the server's, 120)")
    parser.add_argument("--meter", default="", metavar="NUM/DEN",
                        help="with --bars: the time signature, e.g. 7/8 (default: the server's, 4/4)")
    # the controls a drummer asks for; the server checks the values (INVALID_ARGUMENT names the range)
    parser.add_argument("--style", default="",
                        help="grooves only from this family, e.g. straight-8ths, half-time, waltz; the server's "
                        "GetModelInfo lists them (default: any groove)")
    parser.add_argument("--density", type=float, default=None, help="how busy, 0.25-4 times the model's choice (default: 1)")
    parser.add_argument("--fills", default="", help="none, sections or every:N (default: sections)")
    parser.add_argument("--swing", type=float, default=None,
                        help="off-beat eighths at this share of the beat, 0.5 straight to 0.75, 0.67 = triplet swing "
                        "(default: the model's own timing)")
    parser.add_argument("--dynamics", type=float, default=None, help="velocities times this, 0.5-1.5 (default: 1)")
    parser.add_argument("--cymbal", choices=("auto", "hats", "ride"), default="auto",
                        help="the time-keeping voice; auto = the model's choice")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds the server gets per attempt")
    parser.add_argument("--wait", type=float, default=60.0,
                        help="seconds to keep retrying while the server is busy or unreachable (0 = no retry)")
    return parser


def options_from_args(args: argparse.Namespace) -> seq2drum_pb2.GenerationOptions:
    options = seq2drum_pb2.GenerationOptions(track=args.track, merge=args.merge, style=args.style, fills=args.fills,
                                             cymbal=args.cymbal)
    for name in ("density", "swing", "dynamics"):
        if getattr(args, name) is not None:
            setattr(options, name, getattr(args, name))
    if args.temperature is not None:
        options.temperature = args.temperature
    if args.seed is not None:
        if args.seed < 0:
            raise HelperError(f"--seed must be >= 0, got {args.seed}")
        options.seed = args.seed
    if args.no_humanize:
        options.humanize = False
    if args.takes is not None:
        if args.takes < 1:
            raise HelperError(f"--takes must be >= 1, got {args.takes}")
        options.takes = args.takes
    return shape_options(args, options)


def shape_options(args: argparse.Namespace, options: seq2drum_pb2.GenerationOptions) -> seq2drum_pb2.GenerationOptions:
    """--kit-map (the file read here, checked by the server), --count-in, --bars, --tempo and --meter."""
    if args.kit_map.strip().lower() != "gm":
        try:
            options.kit_map = Path(args.kit_map).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise HelperError(f"cannot read --kit-map {args.kit_map}: {getattr(exc, 'strerror', None) or exc}; name "
                              'a JSON file such as {"kick": 36, "snare": 38}, or pass gm') from None
    for field_name, flag, value in (("count_in_bars", "--count-in", args.count_in), ("bars", "--bars", args.bars)):
        if value is not None:
            if not 0 <= value < 2**32:  # the server says the real range
                raise HelperError(f"{flag} must be >= 0, got {value}")
            setattr(options, field_name, value)
    if args.tempo is not None:
        options.tempo_qpm = args.tempo
    options.meter = args.meter
    return options


def process_nothing(client: DrumClient, options: seq2drum_pb2.GenerationOptions, output: Path | None = None,
                    force: bool = False) -> Path:
    """Drums from nothing (options.bars): drums_<N>bars.mid in the current folder, or `output`, as main.py names
    them (OUT.take1.mid ... with takes), over an existing file only with `force`."""
    n_takes = options.takes if options.HasField("takes") else 1
    base = output or Path.cwd() / f"drums_{options.bars}bars.mid"
    targets = [base] if n_takes == 1 else take_paths(base, base, False, n_takes)
    existing = [str(path) for path in targets if path.exists()]
    if existing and not force:
        raise OutputExistsError(f"{', '.join(existing)} exist{'s' if len(existing) == 1 else ''}; pass --force to "
                                "overwrite, or name another file with -o")
    drums = client.generate(b"", options)
    for target, (data, hits) in zip(targets, [(drums.midi_bytes, drums.metadata.drum_hits), *drums.more_takes]):
        try:
            write_atomic(target, data)
        except OSError as exc:
            raise HelperError(f"cannot write {target}: {exc.strerror or exc}") from exc
        print(f"wrote {target} ({hits} hits)", flush=True)
    print(f"{drums.describe()}; sections (letter@bar): {' '.join(drums.metadata.sections)}", flush=True)
    return targets[0]


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.bars is not None and (args.song is not None or args.watch is not None):
        parser.error("--bars makes drums from nothing: leave out SONG.mid and --watch")
    if args.bars is None and (args.song is None) == (args.watch is None):
        parser.error("give either SONG.mid, --watch DIR or --bars N")
    try:
        options = options_from_args(args)
        client = DrumClient(args.server or DEFAULT_SERVER, args.timeout, args.wait)
    except HelperError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    with client:
        if args.watch is not None:
            if not args.watch.is_dir():
                print(f"error: {args.watch} is not a folder", file=sys.stderr)
                return EXIT_USAGE
            if args.interval <= 0 or args.settle < 0:
                print(f"error: --interval must be > 0 and --settle >= 0 seconds, got {args.interval} and "
                      f"{args.settle}", file=sys.stderr)
                return EXIT_USAGE
            print(f"watching {args.watch} for guitar .mid files (Ctrl-C stops)", flush=True)
            try:
                watch(client, args.watch, options, args.interval, settle_s=args.settle)
            except KeyboardInterrupt:
                print(f"stopped watching {args.watch}", flush=True)
            return 0
        if args.bars is not None:
            return run_nothing(client, options, args.output, args.force)
        if not args.song.is_file():
            what = "is a folder; name a .mid file in it" if args.song.is_dir() else "not found; name an existing .mid file"
            print(f"error: {args.song} {what}", file=sys.stderr)
            return EXIT_USAGE
        if args.output is not None and args.output.is_dir():
            print(f"error: -o {args.output} is a folder; name a file in it, e.g. "
                  f"{args.output / (args.song.stem + '_drums.mid')}", file=sys.stderr)
            return EXIT_USAGE
        return guarded(lambda: process_file(client, args.song, options, args.output, args.force))
    return 0


def guarded(action: Callable[[], object]) -> int:
    """Run one request's work: exit 0; 2 when the output exists; 1 when the server refuses or a file cannot be
    written; 130 on Ctrl-C. Each failure is one line on stderr."""
    try:
        action()
    except OutputExistsError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except grpc.RpcError as error:
        print(f"error: {error.code().name}: {error.details()}", file=sys.stderr)
        return EXIT_FAILED
    except HelperError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return 0


def run_nothing(client: DrumClient, options: seq2drum_pb2.GenerationOptions, output: Path | None, force: bool) -> int:
    """main() for --bars: exit 0, 1 when the server refuses or a file cannot be written, 2 for a usage error."""
    if output is not None and output.is_dir():
        print(f"error: -o {output} is a folder; name a file in it, e.g. {output / f'drums_{options.bars}bars.mid'}",
              file=sys.stderr)
        return EXIT_USAGE
    return guarded(lambda: process_nothing(client, options, output, force))


if __name__ == "__main__":
    sys.exit(main())
