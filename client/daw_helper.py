"""DAW helper: send a guitar MIDI file to a seq2drum server and write the drums next to it.

    python -m client.daw_helper SONG.mid [-o OUT.mid] [--server HOST:PORT]     # writes SONG_drums.mid
    python -m client.daw_helper --watch DIR [--interval 1.0]                    # every guitar .mid exported to DIR

Needs grpcio and protobuf only: no torch, no music21, no seq2drum, so it runs on the machine with the DAW while the
model runs elsewhere. Files past the unary message limit go through GenerateStream. UNAVAILABLE (server starting,
restarting, briefly unreachable) is retried a few times with backoff; every other failure is reported with its
status and message, and the exit code is 1.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import grpc

from proto import seq2drum_pb2, seq2drum_pb2_grpc

MiB = 1024 * 1024
DEFAULT_SERVER = os.environ.get("SEQ2DRUM_SERVER", "127.0.0.1:50051")
UNARY_LIMIT_BYTES = 16 * MiB  # the server's default max_message_bytes
_ENVELOPE_BYTES = 4096  # room for options and framing next to the file in one message
STREAM_CHUNK_BYTES = 1 * MiB
OUTPUT_SUFFIXES = ("_drums.mid", "_with_drums.mid")  # what this helper writes; never taken as input
MIDI_SUFFIXES = (".mid", ".midi")
EXIT_FAILED, EXIT_USAGE = 1, 2
# Codes worth trying again later in watch mode (the file is not at fault).
TRANSIENT_CODES = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.RESOURCE_EXHAUSTED, grpc.StatusCode.DEADLINE_EXCEEDED)
T = TypeVar("T")


class HelperError(Exception):
    """A failure of this helper (bad path, unwritable folder, server answer that does not add up)."""


@dataclass
class Drums:
    """What the server sent back."""

    midi_bytes: bytes
    metadata: seq2drum_pb2.GenerationMetadata

    def describe(self) -> str:
        m = self.metadata
        return (f"{m.bars} bars, {m.drum_hits} hits, seed {m.seed}, model {m.model_name} {m.model_version}, "
                f"{m.generation_ms:.0f} ms on the server")


class DrumClient:
    """A channel to one server, with a deadline per attempt and bounded retries of UNAVAILABLE."""

    def __init__(self, target: str = DEFAULT_SERVER, timeout_s: float = 120.0, retries: int = 3,
                 backoff_s: float = 0.5, unary_limit_bytes: int = UNARY_LIMIT_BYTES) -> None:
        if timeout_s <= 0:
            raise HelperError(f"--timeout must be > 0 seconds, got {timeout_s}")
        if not 0 <= retries <= 10:
            raise HelperError(f"--retries must be 0-10, got {retries}")
        self.target = target
        self.timeout_s = timeout_s
        self.retries = retries
        self.backoff_s = backoff_s
        self.unary_limit_bytes = unary_limit_bytes
        self._channel = grpc.insecure_channel(target, options=[
            # The server enforces the size limits; the client takes whatever answer its own server sends.
            ("grpc.max_receive_message_length", -1),
            ("grpc.max_send_message_length", -1),
            # Reconnect soon after a server (re)start, so the retries below find it.
            ("grpc.initial_reconnect_backoff_ms", 250),
            ("grpc.max_reconnect_backoff_ms", 4000),
        ])
        self._stub = seq2drum_pb2_grpc.Seq2DrumStub(self._channel)

    def close(self) -> None:
        self._channel.close()

    def __enter__(self) -> DrumClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def generate(self, midi: bytes, options: seq2drum_pb2.GenerationOptions | None = None) -> Drums:
        """Drums for one file: unary when it fits in one message, streamed otherwise. Raises `grpc.RpcError`."""
        options = options or seq2drum_pb2.GenerationOptions()
        if len(midi) > self.unary_limit_bytes - _ENVELOPE_BYTES:
            return self._with_retries(lambda: self._generate_stream(midi, options))
        return self._with_retries(lambda: self._generate_unary(midi, options))

    def model_info(self) -> seq2drum_pb2.GetModelInfoResponse:
        request = seq2drum_pb2.GetModelInfoRequest()
        return self._with_retries(lambda: self._stub.GetModelInfo(request, timeout=self.timeout_s))

    def _generate_unary(self, midi: bytes, options: seq2drum_pb2.GenerationOptions) -> Drums:
        response = self._stub.Generate(seq2drum_pb2.GenerateRequest(midi=midi, options=options), timeout=self.timeout_s)
        return Drums(response.midi, response.metadata)

    def _generate_stream(self, midi: bytes, options: seq2drum_pb2.GenerationOptions) -> Drums:
        chunk_bytes = max(1, min(STREAM_CHUNK_BYTES, self.unary_limit_bytes - _ENVELOPE_BYTES))

        def requests() -> Iterator[seq2drum_pb2.GenerateStreamRequest]:
            yield seq2drum_pb2.GenerateStreamRequest(options=options)
            for start in range(0, len(midi), chunk_bytes):
                yield seq2drum_pb2.GenerateStreamRequest(midi_chunk=midi[start : start + chunk_bytes])

        metadata = None
        chunks: list[bytes] = []
        for response in self._stub.GenerateStream(requests(), timeout=self.timeout_s):
            if response.WhichOneof("part") == "metadata":
                metadata = response.metadata
            else:
                chunks.append(response.midi_chunk)
        data = b"".join(chunks)
        if metadata is None or len(data) != metadata.output_bytes:
            expected = "no metadata" if metadata is None else f"{metadata.output_bytes} bytes announced"
            raise HelperError(f"the server's stream ended early: {len(data)} bytes received, {expected}")
        return Drums(data, metadata)

    def _with_retries(self, attempt: Callable[[], T]) -> T:
        delay_s = self.backoff_s
        for attempt_index in range(self.retries + 1):
            try:
                return attempt()
            except grpc.RpcError as error:
                if error.code() != grpc.StatusCode.UNAVAILABLE or attempt_index == self.retries:
                    raise
                print(f"server {self.target} unavailable ({error.details()}); retrying in {delay_s:.1f} s",
                      file=sys.stderr, flush=True)
                time.sleep(delay_s)
                delay_s = min(delay_s * 2, 8.0)
        raise AssertionError("unreachable")


# ---------------------------------------------------------------------------------------------- files


def output_path(song: Path, merge: bool = False) -> Path:
    """SONG.mid -> SONG_drums.mid (SONG_with_drums.mid when the guitar is merged in), beside the song."""
    return song.with_name(song.stem + ("_with_drums.mid" if merge else "_drums.mid"))


def is_own_output(path: Path) -> bool:
    return path.name.lower().endswith(OUTPUT_SUFFIXES)


def write_atomic(path: Path, data: bytes) -> None:
    """Temp file in the same folder, then rename: a DAW never sees (or imports) a half-written file."""
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def process_file(client: DrumClient, song: Path, options: seq2drum_pb2.GenerationOptions,
                 output: Path | None = None) -> Path:
    """Read SONG, get its drums, write them beside it (or to `output`, never over the song). Returns the path."""
    target = output or output_path(song, options.merge)
    if target.resolve() == song.resolve():
        raise HelperError(f"the output {target} would overwrite the song; pick another -o")
    try:
        midi = song.read_bytes()
    except OSError as exc:
        raise HelperError(f"cannot read {song}: {exc.strerror or exc}") from exc
    drums = client.generate(midi, options)
    try:
        write_atomic(target, drums.midi_bytes)
    except OSError as exc:
        raise HelperError(f"cannot write {target}: {exc.strerror or exc}") from exc
    print(f"wrote {target} ({drums.describe()})", flush=True)
    return target


# ---------------------------------------------------------------------------------------------- watch


class FolderWatcher:
    """Finds guitar files a DAW exported into a folder, once each file has stopped changing.

    A file is handed over when its (size, mtime) is the same on two polls in a row and differs from when it was
    last handed over; a file whose drums are already newer than it is skipped, so a restart does not redo a folder.
    """

    def __init__(self, folder: Path, handle: Callable[[Path], bool], merge: bool = False) -> None:
        self.folder = folder
        self.handle = handle  # returns False to be asked again later (server down), True when settled
        self.merge = merge
        self._seen: dict[Path, tuple[int, int]] = {}
        self._settled: dict[Path, tuple[int, int]] = {}

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
        """One look at the folder; handles the files that are stable and new or changed. Returns them."""
        current = self.scan()
        handled = []
        for path, signature in sorted(current.items()):
            stable = self._seen.get(path) == signature and signature[0] > 0
            if not stable or self._settled.get(path) == signature:
                continue
            if self._drums_are_newer(path, signature):
                self._settled[path] = signature
                continue
            if self.handle(path):
                self._settled[path] = signature
            handled.append(path)
        self._seen = current
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

    def _drums_are_newer(self, path: Path, signature: tuple[int, int]) -> bool:
        try:
            return output_path(path, self.merge).stat().st_mtime_ns >= signature[1]
        except OSError:
            return False


def watch(client: DrumClient, folder: Path, options: seq2drum_pb2.GenerationOptions, interval_s: float = 1.0,
          stop: threading.Event | None = None, max_polls: int | None = None) -> int:
    """Give every stable new or changed guitar file in `folder` its drums. Returns the number of files handled."""

    def handle(song: Path) -> bool:
        try:
            process_file(client, song, options)
        except grpc.RpcError as error:
            print(f"{song.name}: {error.code().name}: {error.details()}", file=sys.stderr, flush=True)
            return error.code() not in TRANSIENT_CODES
        except HelperError as error:
            print(f"{song.name}: {error}", file=sys.stderr, flush=True)
        return True

    return FolderWatcher(folder, handle, options.merge).run(interval_s, stop, max_polls)


# ---------------------------------------------------------------------------------------------- command line


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m client.daw_helper", description="Drums for a guitar MIDI file, from a seq2drum server",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("song", nargs="?", type=Path, help="guitar MIDI file exported from the DAW")
    parser.add_argument("-o", "--output", type=Path, default=None,
                        help="output file (default: SONG_drums.mid beside it)")
    parser.add_argument("--server", default=DEFAULT_SERVER, help="HOST:PORT of the server (env SEQ2DRUM_SERVER)")
    parser.add_argument("--watch", type=Path, default=None, metavar="DIR",
                        help="process every guitar .mid exported to DIR")
    parser.add_argument("--interval", type=float, default=1.0, help="--watch: seconds between looks at the folder")
    parser.add_argument("--temperature", type=float, default=None, help="0 = greedy; default: the server's")
    parser.add_argument("--seed", type=int, default=None, help="same seed, same drums (default: fresh)")
    parser.add_argument("--track", default="", help="which part is the guitar: its number or a piece of its name")
    parser.add_argument("--merge", action="store_true", help="write the guitar and the drums in one file")
    parser.add_argument("--no-humanize", action="store_true", help="drums on the grid, velocities at bin centres")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds the server gets per attempt")
    parser.add_argument("--retries", type=int, default=3, help="retries when the server is unavailable")
    parser.add_argument("--unary-limit-mib", type=float, default=UNARY_LIMIT_BYTES / MiB,
                        help="files larger than this go through GenerateStream (the server's message limit)")
    return parser


def options_from_args(args: argparse.Namespace) -> seq2drum_pb2.GenerationOptions:
    options = seq2drum_pb2.GenerationOptions(track=args.track, merge=args.merge)
    if args.temperature is not None:
        options.temperature = args.temperature
    if args.seed is not None:
        if args.seed < 0:
            raise HelperError(f"--seed must be >= 0, got {args.seed}")
        options.seed = args.seed
    if args.no_humanize:
        options.humanize = False
    return options


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if (args.song is None) == (args.watch is None):
        parser.error("give either SONG.mid or --watch DIR")
    try:
        options = options_from_args(args)
        client = DrumClient(args.server, args.timeout, args.retries,
                            unary_limit_bytes=int(args.unary_limit_mib * MiB))
    except HelperError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    with client:
        if args.watch is not None:
            if not args.watch.is_dir():
                print(f"error: {args.watch} is not a folder", file=sys.stderr)
                return EXIT_USAGE
            if args.interval <= 0:
                print(f"error: --interval must be > 0 seconds, got {args.interval}", file=sys.stderr)
                return EXIT_USAGE
            print(f"watching {args.watch} for guitar .mid files (Ctrl-C stops)", flush=True)
            try:
                watch(client, args.watch, options, args.interval)
            except KeyboardInterrupt:
                print(f"stopped watching {args.watch}", flush=True)
            return 0
        if not args.song.is_file():
            print(f"error: {args.song} is not a file", file=sys.stderr)
            return EXIT_USAGE
        try:
            process_file(client, args.song, options, args.output)
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


if __name__ == "__main__":
    sys.exit(main())
