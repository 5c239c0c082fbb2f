"""--watch: every guitar file a DAW exports into a folder gets its drums, once it has settled and reads as a
complete MIDI file; the files seq2drum wrote (named as its outputs, SONG_drums.mid, and opening with its conductor
track) are never taken as songs, while a user's file that only shares the naming (user_drums.mid) is. Standard library
and grpcio only.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
import struct
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import grpc

from seq2drum.errors import escape_controls
from seq2drum.outputs import HEAD_BYTES, is_own_output, output_path, written_by_seq2drum
from seq2drum.rpc import seq2drum_pb2

from .drum_client import DrumClient, HelperError
from .files import process_file

MIDI_SUFFIXES = (".mid", ".midi")
# a settled file that does not open like one never becomes a MIDI file by waiting (a text file renamed .mid)
NOT_MIDI = "not a MIDI file (it does not start with MThd)"
MAX_SONG_BYTES = 64 * 1024 * 1024  # the server's default upload limit (--max-stream-mib): a larger file is refused
_VERSION_AND_TAKE = re.compile(r"(-\d+)?(\.take\d+)?\.mid$")  # SONG_drums[-N][.takeK].mid -> SONG_drums
_SONG_OF_DRUMS = re.compile(r"(.+?)_(?:with_)?drums", re.IGNORECASE)  # SONG_drums -> SONG
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
# Codes worth trying again later in watch mode (the file is not at fault).
TRANSIENT_CODES = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.CANCELLED)


def midi_file_problem(data: bytes) -> str | None:
    """Why `data` is not (yet) a complete Standard MIDI File, or None when it is one: the header and every
    declared track are all there, and each track ends with its end-of-track event. A file still being written
    fails this; a file that passes may still be refused by the server (which reads it for real)."""
    if len(data) >= 4 and not data.startswith(b"MThd"):
        return NOT_MIDI
    if len(data) < 14:
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
    MIDI file (`midi_file_problem`), and its content differs from what was last handed over (a file touched or
    saved again unchanged gets no new takes). A writer that pauses for longer than the look interval is therefore
    not caught halfway; a settled file that does not open as MIDI at all is reported as refused and skipped until
    it changes. A file whose drums are already newer than it is
    skipped, so a restart does not redo a folder.
    """

    def __init__(self, folder: Path, handle: Callable[[Path], bool], merge: bool = False, settle_s: float = 2.0,
                 clock: Callable[[], float] = time.monotonic, max_bytes: int = MAX_SONG_BYTES) -> None:
        self.folder = folder
        self.handle = handle  # returns False to be asked again later (server down), True when settled
        self.merge = merge
        self.settle_s = settle_s
        self.clock = clock
        self.max_bytes = max_bytes
        self._since: dict[Path, tuple[tuple[int, int], float]] = {}  # path -> (signature, first seen with it)
        self._settled: dict[Path, tuple[int, int]] = {}
        self._reported: dict[Path, tuple[int, int]] = {}
        self._handled: dict[Path, bytes] = {}  # path -> digest of the content last handed over
        self._takes: dict[str, int] = {}  # SONG_drums -> newest mtime_ns of its takes, from this poll's listing
        self._skipped: set[str] = set()  # names of links and special files already said
        self._own: dict[str, tuple[tuple[int, int], bool]] = {}  # name -> (size, mtime_ns), whether seq2drum wrote it

    def scan(self) -> dict[Path, tuple[int, int]]:
        """Candidate files -> (size_bytes, mtime_ns): regular files inside the folder. Symbolic links (which may
        point anywhere, issue 42, 16) and special files are skipped with a notice, once. The folder is listed once
        per look; the drums already written are noted from the same listing (a listing per candidate made the
        first look at 10,000 files quadratic, issue 42, 10)."""
        found, takes = {}, {}
        with os.scandir(self.folder) as listing:
            entries = list(listing)
        names = {entry.name.lower() for entry in entries}
        for entry in entries:
            name = entry.name
            if name.startswith(".") or not name.lower().endswith(MIDI_SUFFIXES):
                continue
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError:  # deleted between listing and stat
                continue
            if is_own_output(Path(name)) and self._written_here(Path(entry.path), info):
                base = _VERSION_AND_TAKE.sub("", name) if _VERSION_AND_TAKE.search(name) else ""
                takes[base] = max(takes.get(base, 0), info.st_mtime_ns)
                self._say_songless(name, base, names)
            elif stat.S_ISREG(info.st_mode):
                found[Path(entry.path)] = (info.st_size, info.st_mtime_ns)
            elif name not in self._skipped:
                self._skipped.add(name)
                what = "a symbolic link" if stat.S_ISLNK(info.st_mode) else "not a regular file"
                print(f"{escape_controls(name)}: skipped: {what} (the watch folder reads only the regular files "
                      "inside it)", file=sys.stderr, flush=True)
        self._takes = takes
        return found

    def _say_songless(self, name: str, base: str, names: set[str]) -> None:
        """Once per name: drums seq2drum wrote (SONG_drums.mid) whose song is not in the folder are skipped all the
        same, but said: a copy of the example saved as x_drums.mid was skipped without a word."""
        song = _SONG_OF_DRUMS.fullmatch(base)
        if song is None or name in self._skipped or any(f"{song[1]}{suffix}".lower() in names
                                                          for suffix in MIDI_SUFFIXES):
            return
        self._skipped.add(name)
        print(f"{escape_controls(name)}: skipped: named and written as seq2drum's drums for "
              f"{escape_controls(song[1])}.mid, which is not here; rename it (without _drums) to give it drums as a "
              "song", file=sys.stderr, flush=True)

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
            settled = now - self._since[path][1] >= self.settle_s
            if settled and signature[0] == 0:  # a DAW's export opens empty: said once it stays so, never sent
                if self._reported.get(path) != signature:
                    print(f"{escape_controls(path.name)}: empty (0 bytes); waiting for the DAW to write it (export "
                          "the song again if it stays empty)", file=sys.stderr, flush=True)
                    self._reported[path] = signature
                continue
            if not settled or self._settled.get(path) == signature:
                continue
            if self._drums_are_newer(path, signature):
                self._settled[path] = signature
                continue
            data, problem = read_song(path, self.max_bytes)
            shown = escape_controls(path.name)  # a name may hold terminal escapes (issue 42, 11)
            if problem is not None and is_final(problem):
                print(f"{shown}: refused: {problem}; skipped until it changes", file=sys.stderr, flush=True)
                self._settled[path] = signature
                continue
            if problem is not None:
                if self._reported.get(path) != signature:
                    print(f"{shown}: {problem}; waiting until it is complete", file=sys.stderr, flush=True)
                    self._reported[path] = signature
                continue
            digest = hashlib.sha256(data).digest()
            if self._handled.get(path) == digest:  # touched or saved again without a change: no new takes
                self._settled[path] = signature
                continue
            if self.handle(path):
                self._settled[path], self._handled[path] = signature, digest
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

    def _written_here(self, path: Path, info: os.stat_result) -> bool:
        """Whether a file named as seq2drum names its drums was written by seq2drum: a regular file whose first bytes
        are those of every file it writes (a user's user_drums.mid was skipped without a word, issue 69 N13). Read
        once per (size, mtime), so a folder of thousands of takes is not read on every look."""
        if not stat.S_ISREG(info.st_mode):
            return False
        signature = (info.st_size, info.st_mtime_ns)
        known = self._own.get(path.name)
        if known is None or known[0] != signature:
            known = (signature, written_by_seq2drum(read_head(path)))
            self._own[path.name] = known
        return known[1]

    def _drums_are_newer(self, path: Path, signature: tuple[int, int]) -> bool:
        """The newest take beside the song (from this look's listing) is at least as new as the song."""
        newest = self._takes.get(output_path(path, self.merge).stem, 0)
        return newest > 0 and newest >= signature[1]


def is_final(problem: str) -> bool:
    """A problem waiting does not cure: not MIDI, too large, not a regular file."""
    return problem == NOT_MIDI or problem.startswith(("too large", "not a regular file"))


def read_head(path: Path) -> bytes:
    """A file's first HEAD_BYTES bytes (b"" when it cannot be read), opened as `read_song` opens it (no link
    followed)."""
    try:
        descriptor = os.open(path, _OPEN_FLAGS)
    except OSError:
        return b""
    try:
        return os.read(descriptor, HEAD_BYTES)
    except OSError:
        return b""
    finally:
        os.close(descriptor)


def read_song(path: Path, max_bytes: int = MAX_SONG_BYTES) -> tuple[bytes, str | None]:
    """A watched file's bytes and why it is not a complete MIDI file (None when it is one). Read only when it is a
    regular file, not a link (opened without following one), of at most `max_bytes`; a file that does not start
    like MIDI is not read past its first bytes (a 1 GiB sparse .mid was read whole on every look, issue 42, 9)."""
    try:
        descriptor = os.open(path, _OPEN_FLAGS)
    except OSError as exc:
        return b"", f"cannot be read ({exc.strerror or exc})"
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            return b"", "not a regular file"
        if info.st_size > max_bytes:
            return b"", f"too large: {info.st_size:,} bytes, more than the {max_bytes:,} a song may hold"
        with os.fdopen(os.dup(descriptor), "rb") as stream:
            data = stream.read(14)
            if midi_file_problem(data) == NOT_MIDI:
                return data, NOT_MIDI
            data += stream.read(max_bytes + 1 - len(data))
    except OSError as exc:
        return b"", f"cannot be read ({exc.strerror or exc})"
    finally:
        os.close(descriptor)
    if len(data) > max_bytes:
        return b"", f"too large: more than the {max_bytes:,} bytes a song may hold"
    return data, midi_file_problem(data)


def watch(client: DrumClient, folder: Path, options: seq2drum_pb2.GenerationOptions, interval_s: float = 1.0,
          stop: threading.Event | None = None, max_polls: int | None = None, settle_s: float = 2.0) -> int:
    """Give every settled, complete, new or changed guitar file in `folder` its drums. Returns the number handled."""

    def handle(song: Path) -> bool:
        shown = escape_controls(song.name)
        data, problem = read_song(song)  # read again as it is now, the same way (no link followed)
        if problem is not None:
            print(f"{shown}: {problem}", file=sys.stderr, flush=True)
            return is_final(problem)
        try:
            process_file(client, song, options, renumber_takes=True, midi=data)
        except grpc.RpcError as error:
            print(f"{shown}: {client.explain(error)}", file=sys.stderr, flush=True)
            return error.code() not in TRANSIENT_CODES
        except HelperError as error:
            print(f"{shown}: {escape_controls(str(error))}", file=sys.stderr, flush=True)
        return True

    return FolderWatcher(folder, handle, options.merge, settle_s).run(interval_s, stop, max_polls)
