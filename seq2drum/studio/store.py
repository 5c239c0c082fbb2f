"""The studio's files: one temporary folder it makes at start and removes at exit, nothing written anywhere else.

Each open page has a session (an unguessable id) with a folder of its own inside it: the songs it uploaded and the
takes made for them, then the files made from a take when the page asks for them (the song with the drums, the
WAVs). Every file is named by the studio (ids it drew), never by anything a page sent. A session ends when its page
closes (the page says so as it goes), when it has not been used for `ttl_s`, or when the studio needs the room:
past `max_bytes` in all, or `MAX_SESSIONS` pages, the least recently used sessions go first.

Every byte is counted before it is written (`reserve`, a WAV by its largest size; `settle`, its real size), so
neither a page (`max_session_bytes`) nor the studio (`max_bytes`) ever holds more than its cap on disk. A page at its
cap first loses its derived files, oldest first (made again when asked for); past that it is refused (StoreFullError).
The index lives on the event loop; files are written on threads, into folders that may go meanwhile (SessionGoneError).
A file is sent through a link of its own outside its session's folder (`hold`): whole, even if its page closes. A
killed studio's folder is removed by the next studio to start (`remove_killed_studios`).
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
import time

try:
    import fcntl
except ImportError:  # not POSIX: a killed studio's folder stays, as before
    fcntl = None  # type: ignore[assignment]
from dataclasses import dataclass, field
from pathlib import Path

from seq2drum.errors import Seq2DrumError

MAX_SESSIONS = 256
FOLDER_PREFIX = "seq2drum-studio-"
LOCK_NAME = ".studio.lock"  # held locked by the studio whose folder it is, for as long as it runs
LOCK_GRACE_S = 10.0  # a lock younger than this is being taken: its folder is not a killed studio's
PAGE_CLOSED = "this page's files were removed (the page was closed); reload the page"
SENDING = ".sending"  # the links to files being sent (a session id never starts with a dot)
MiB = 1024 * 1024
DERIVED = ("song.mid", "mix.wav", "drums.wav")  # made from a take when the page asks: the song with it, the WAVs


class SessionGoneError(Seq2DrumError):
    """The page's session ended (closed, unused past its time, or made room for others): its files are gone."""


class StoreFullError(Seq2DrumError):
    """A file past what the studio keeps for a page (`max_session_bytes`)."""


@dataclass
class Song:
    label: str  # the upload's name as the page shows it (songs.upload_label)
    path: Path


@dataclass
class Take:
    song_id: str | None  # None: drums from nothing
    index: int  # 1-based
    path: Path  # the drum file as generated; DERIVED files lie beside it, named by the same id
    kit_map: str | None = None  # the kit map it was written with (JSON): drawn and heard back on GM notes

    def derived(self, kind: str) -> Path:
        """Where the file `kind` (one of DERIVED) made from this take lies."""
        return self.path.with_name(self.path.name.replace("drums.mid", kind))


@dataclass
class Session:
    id: str
    folder: Path
    ttl_s: float
    touched: float = field(default_factory=time.monotonic)
    songs: dict[str, Song] = field(default_factory=dict)
    takes: dict[str, Take] = field(default_factory=dict)
    bytes: int = 0  # written into its folder, or reserved for a file being written
    derived: dict[Path, int] = field(default_factory=dict)  # derived files written, oldest first: their bytes

    def song(self, song_id: str) -> Song:
        if song_id not in self.songs:
            raise SessionGoneError("this song is no longer in the studio (its page made room for newer ones, or "
                                   "it was removed); drop it again")
        return self.songs[song_id]

    def take(self, take_id: str) -> Take:
        if take_id not in self.takes:
            raise SessionGoneError("this take is no longer in the studio; make it again")
        return self.takes[take_id]


class Store:
    """Sessions and their files under `root` (a fresh temporary folder by default)."""

    def __init__(self, ttl_s: float = 1800.0, max_bytes: int = 1 << 30, parent: Path | None = None,
                 max_session_bytes: int | None = None) -> None:
        self.ttl_s = ttl_s
        self.max_bytes = max_bytes
        self.max_session_bytes = max_bytes // 4 if max_session_bytes is None else min(max_session_bytes, max_bytes)
        self.removed = remove_killed_studios(parent)  # folders of studios killed before they could remove them
        self.root = Path(tempfile.mkdtemp(prefix=FOLDER_PREFIX, dir=parent))
        self._lock = _hold_lock(self.root)
        self.sessions: dict[str, Session] = {}

    def open(self) -> Session:
        """A new session with its folder; the least recently used one goes when MAX_SESSIONS are open."""
        while len(self.sessions) >= MAX_SESSIONS:
            self.close(min(self.sessions.values(), key=lambda s: s.touched).id)
        session_id = secrets.token_urlsafe(18)
        folder = self.root / session_id
        folder.mkdir(mode=0o700)
        session = self.sessions[session_id] = Session(session_id, folder, self.ttl_s)
        return session

    def get(self, session_id: str) -> Session:
        """The session, marked as used now; SessionGoneError when it has ended."""
        session = self.sessions.get(session_id)
        if session is None:
            raise SessionGoneError(f"this page's files were removed (the page was closed, or not used for "
                                   f"{self.ttl_s / 60:g} minutes); reload the page and drop the song again")
        session.touched = time.monotonic()
        return session

    def close(self, session_id: str) -> None:
        """End a session and remove its folder (nothing happens for one that has ended)."""
        session = self.sessions.pop(session_id, None)
        if session is not None:
            shutil.rmtree(session.folder, ignore_errors=True)

    def expire(self, now: float | None = None) -> list[str]:
        """End the sessions unused for `ttl_s`; their ids."""
        now = time.monotonic() if now is None else now
        gone = [s.id for s in self.sessions.values() if now - s.touched > s.ttl_s]
        for session_id in gone:
            self.close(session_id)
        return gone

    def reserve(self, session: Session, size: int, what: str = "this file") -> None:
        """Count `size` bytes about to be written into `session` (StoreFullError past its cap, the page's own derived
        files going first; SessionGoneError when it has ended); the least recently used other sessions end while
        the studio would hold more than `max_bytes`."""
        if self.sessions.get(session.id) is not session:
            raise SessionGoneError(PAGE_CLOSED)
        cap = self.max_session_bytes
        if size > cap:
            raise StoreFullError(f"{what} would take {size / MiB:,.1f} MiB, more than the {cap / MiB:,.0f} MiB this "
                                 "studio keeps for a page; download the .mid and play it in your DAW instead")
        while session.bytes + size > cap and session.derived:
            self._drop(session, next(iter(session.derived)))
        if session.bytes + size > cap:
            raise StoreFullError(f"this page keeps {session.bytes / MiB:,.1f} MiB of songs and takes already, and "
                                 f"{what} would take it past the {cap / MiB:,.0f} MiB this studio keeps for a page; "
                                 "reload the page to start afresh")
        others = sorted((s for s in self.sessions.values() if s is not session), key=lambda s: s.touched)
        while others and self.total_bytes + size > self.max_bytes:
            self.close(others.pop(0).id)
        session.bytes += size

    def settle(self, session: Session, path: Path, reserved: int) -> None:
        """A derived file for which `reserved` bytes were counted was written (or failed): count its real size. A file
        written into a session that ended meanwhile is removed, with what is left of its folder (the session's own
        removal may have run while the file was being written, and left it behind)."""
        try:
            size = path.stat().st_size
        except OSError:
            size = 0
        session.bytes += size - reserved
        if self.sessions.get(session.id) is not session:
            shutil.rmtree(session.folder, ignore_errors=True)
        elif size:
            session.derived[path] = size

    def hold(self, path: Path) -> tuple[Path, os.stat_result]:
        """A link of its own to `path` (a file of a session, about to be sent) and its size and times: the file stays
        whole while it is sent, whatever happens to its session. OSError when the file is gone (its session ended);
        `release` the link once it is sent."""
        sending = self.root / SENDING
        sending.mkdir(mode=0o700, exist_ok=True)
        link = sending / secrets.token_hex(8)
        try:
            os.link(path, link)
        except FileNotFoundError:
            raise
        except OSError:  # a file system without hard links (FAT): a copy of its own, for this download
            shutil.copyfile(path, link)
        return link, link.stat()

    @staticmethod
    def release(link: Path) -> None:
        link.unlink(missing_ok=True)

    def _drop(self, session: Session, path: Path) -> None:
        session.bytes -= session.derived.pop(path)
        path.unlink(missing_ok=True)

    @property
    def total_bytes(self) -> int:
        return sum(session.bytes for session in self.sessions.values())

    def add_song(self, session: Session, label: str, data: bytes) -> str:
        """Keep an upload; its id in the session."""
        song_id = secrets.token_hex(6)
        path = self._write(session, f"{song_id}.mid", data, "this song")
        session.songs[song_id] = Song(label, path)
        return song_id

    def add_take(self, session: Session, song_id: str | None, index: int, midi: bytes,
                 kit_map: str | None = None) -> str:
        """Keep a take's drum file (written with `kit_map`); its id in the session."""
        take_id = secrets.token_hex(6)
        path = self._write(session, f"{take_id}.drums.mid", midi, "this take")
        session.takes[take_id] = Take(song_id, index, path, kit_map)
        return take_id

    def _write(self, session: Session, name: str, data: bytes, what: str) -> Path:
        self.reserve(session, len(data), what)
        path = session.folder / name
        try:
            path.write_bytes(data)
        except OSError:
            session.bytes -= len(data)
            raise SessionGoneError(PAGE_CLOSED) from None
        return path

    def remove_all(self) -> None:
        """End every session and remove the studio's folder (at exit)."""
        self.sessions.clear()
        shutil.rmtree(self.root, ignore_errors=True)
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None


def _hold_lock(root: Path) -> int | None:
    """Lock `root`'s LOCK_NAME for as long as this process runs (the lock goes with it, however it ends). Another studio
    leaves a lock younger than LOCK_GRACE_S alone, so the moment between making it and locking it is no window."""
    if fcntl is None:
        return None
    handle = os.open(root / LOCK_NAME, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    fcntl.flock(handle, fcntl.LOCK_EX)
    return handle


def remove_killed_studios(parent: Path | None = None) -> list[Path]:
    """Remove the folders (songs, takes, WAVs) that studios killed without their clean-up (SIGKILL, a power cut) left
    in `parent` (the system's temporary folder by default): only this user's `seq2drum-studio-*` folders holding a
    LOCK_NAME that no process holds (issue 98, low). A folder without one (another program's, an older studio's) is
    left as it is. Returns what was removed."""
    removed: list[Path] = []
    if fcntl is None:
        return removed
    base = Path(parent) if parent is not None else Path(tempfile.gettempdir())
    try:
        folders = [path for path in base.iterdir() if path.name.startswith(FOLDER_PREFIX)]
    except OSError:
        return removed
    for folder in folders:
        try:
            info = os.lstat(folder)
            if not os.path.isdir(folder) or os.path.islink(folder) or info.st_uid != os.getuid():
                continue
            if time.time() - os.lstat(folder / LOCK_NAME).st_mtime < LOCK_GRACE_S:
                continue
            handle = os.open(folder / LOCK_NAME, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except OSError:  # no lock in it: not a folder a studio of today's made
            continue
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # its studio runs
            os.close(handle)
            continue
        try:
            shutil.rmtree(folder, ignore_errors=True)
        finally:
            os.close(handle)
        removed.append(folder)
    return removed
