"""The studio's limits, the server's (`ServerConfig`) applied to a web page: a request body is refused by its
declared size before a byte is read and cut off the moment it passes the limit, it must keep arriving (the upload's
idle and total times, and the server's slowest rate once its grace has passed: a byte every few seconds does not
hold an upload slot for minutes), at most `max_uploads` arrive at once, and audio renders at most `workers` at once.
Generation itself runs under the server's own code (backends.py). And the one table that turns an error into the one
line the page shows and an HTTP status: never a stack trace.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from starlette.requests import Request

from seq2drum.errors import AudioExtraMissingError, ConfigError, MidiReadError, NoGuitarError, Seq2DrumError, cut_line

from .backends import StudioBusyError, sibling
from .store import SessionGoneError, StoreFullError

if TYPE_CHECKING:
    from server.config import ServerConfig

log = logging.getLogger("seq2drum.studio")
MiB = 1024 * 1024
JOIN_ON_LOOP_BYTES = 1024 * 1024  # a body past this is joined on a thread (bytes.join lets go of the GIL as it copies)
SONG_HINT = ("export a shorter region or fewer tracks from your DAW (or start the studio with a larger "
             "--max-upload-mib)")


class UploadTooLargeError(Seq2DrumError):
    """A request body past the studio's limit for it."""


class UploadTooSlowError(Seq2DrumError):
    """A request body that stopped arriving, or took longer than the upload limit."""


class Limits:
    """Counts what runs at once (uploads, renders) and reads request bodies within the config's limits. Used from
    one event loop only."""

    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self.uploads = 0
        self.renders = asyncio.Semaphore(config.workers)

    @staticmethod
    def too_large(what: str, size: int | None, max_bytes: int, hint: str = SONG_HINT) -> UploadTooLargeError:
        """`size` None: known only to be past the limit (it arrived without a declared length)."""
        holds = f"{size:,} bytes, more than the" if size is not None else "more than the"
        return UploadTooLargeError(f"{what} holds {holds} {max_bytes:,} bytes ({max_bytes / MiB:.1f} MiB) this "
                                   f"studio takes; {hint}")

    async def receive(self, request: Request, max_bytes: int, what: str, hint: str = SONG_HINT) -> bytes:
        """The request's body, at most `max_bytes`: refused by its declared length before reading, and as soon as
        more arrives; UploadTooSlowError when it stalls for `upload_idle_s`, runs past `upload_total_s`, or arrives
        slower than `min_upload_bytes_per_s` on average after `upload_grace_s` (as the gRPC server's uploads)."""
        declared = request.headers.get("content-length", "")
        if declared.isascii() and declared.isdigit() and (len(declared) > 15 or int(declared) > max_bytes):
            raise self.too_large(what, int(declared) if len(declared) <= 15 else None, max_bytes, hint)
        config = self.config
        loop = asyncio.get_running_loop()
        started = loop.time()
        give_up_at = started + config.upload_total_s
        chunks, size = [], 0
        stream = request.stream().__aiter__()
        while True:
            too_slow_at = started + max(config.upload_grace_s, size / config.min_upload_bytes_per_s)
            wait_s = min(config.upload_idle_s, give_up_at - loop.time(), too_slow_at - loop.time())
            try:
                chunk = await asyncio.wait_for(stream.__anext__(), timeout=max(wait_s, 0.001))
            except StopAsyncIteration:
                break
            except asyncio.TimeoutError:
                now = loop.time()
                if too_slow_at <= now < give_up_at:
                    raise UploadTooSlowError(
                        f"the upload of {what} is too slow: {size:,} bytes in {now - started:.0f} s; the studio needs "
                        f"at least {config.min_upload_bytes_per_s / 1024:g} KiB/s after the first "
                        f"{config.upload_grace_s:g} s; send it again") from None
                raise UploadTooSlowError(f"the upload of {what} stalled or took longer than "
                                         f"{config.upload_total_s:g} s; send it again") from None
            size += len(chunk)
            if size > max_bytes:
                raise self.too_large(what, None, max_bytes, hint)
            chunks.append(chunk)
        if size <= JOIN_ON_LOOP_BYTES:
            return b"".join(chunks)
        return await asyncio.to_thread(b"".join, chunks)  # 60 MiB copied on the loop held every page (issue 98 Q3)

    @contextlib.asynccontextmanager
    async def upload_slot(self) -> AsyncIterator[None]:
        """One of `max_uploads` uploads received (and read) at once."""
        if self.uploads >= self.config.max_uploads:
            raise StudioBusyError(f"the studio is receiving {self.config.max_uploads} songs already; try again in "
                                  "a few seconds")
        self.uploads += 1
        try:
            yield
        finally:
            self.uploads -= 1

    def render_slot(self) -> asyncio.Semaphore:
        """One of `workers` audio renders at once (the cores the studio was given); the others wait in line."""
        return self.renders


def one_line(text: str) -> str:
    """A message as one line, whatever it holds, at most MAX_MESSAGE_CHARS long (as the server's)."""
    return cut_line(" ".join(text.split()))


def answer_for(error: BaseException) -> tuple[int, str]:
    """The HTTP status and the one line the page shows for an error (without 'error: ', which the page adds)."""
    status = sibling("server.status")
    crashed = sibling("server.workers").WorkerCrashedError
    if isinstance(error, crashed):
        log.error("a worker failed: %s", error)
        return 500, "internal error: the worker generating this song failed; the studio's console has the details"
    table: tuple[tuple[type[BaseException], int], ...] = (
        (SessionGoneError, 410), (UploadTooLargeError, 413), (StoreFullError, 413), (status.RequestTooLargeError, 413),
        (UploadTooSlowError, 408), (status.DeadlinePassedError, 504), (StudioBusyError, 503),
        (status.ServerBusyError, 503), (AudioExtraMissingError, 501), (NoGuitarError, 422), (MidiReadError, 422),
        (ConfigError, 422), (Seq2DrumError, 422))
    for kind, code in table:
        if isinstance(error, kind):
            return code, one_line(str(error) or type(error).__name__)
    log.error("the studio failed unexpectedly", exc_info=error)
    return 500, f"internal error ({type(error).__name__}); the studio's console has the details"
