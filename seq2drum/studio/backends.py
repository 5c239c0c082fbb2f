"""Where the studio's drums are made: in worker processes of its own, under the server's limits (`LocalBackend`, the
server's `WorkerPool` and `SongRunner`), or by running seq2drum servers (`RemoteBackend`, the DAW helper's
`DrumClient`). Both answer a request with the same `Takes`, and say what went wrong as a `Seq2DrumError` whose
message is the one line the page shows.

server/ and client/ install inside seq2drum (seq2drum.server, seq2drum.client) but are top-level folders of a
checkout; `sibling` finds them either way, so `python -m seq2drum.studio` runs from a checkout as the installed
`seq2drum-studio` does.
"""

from __future__ import annotations

import asyncio
import functools
import importlib
import logging
import time
from concurrent import futures
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from seq2drum.errors import ConfigError, Seq2DrumError, escape_controls
from seq2drum.options import GenerationOptions

if TYPE_CHECKING:  # the same classes, found through `sibling` at run time
    from server.config import ServerConfig
    from server.workers import JobResult

log = logging.getLogger("seq2drum.studio")
STYLES_WAIT_S = 5.0  # how long the page's style list waits for a server that is not up
STYLES_RETRY_S = 10.0  # after no server answered, the style list is empty this long without asking again
# how long the page's arrangement waits for a server that is not up (the helper's client waits 30 s, retrying): it
# failed only after 25-30 s (issue 98, low); a server found down answers the next arrangement at once, for
# STYLES_RETRY_S, without a call
ARRANGE_WAIT_S = 5.0


def sibling(name: str) -> ModuleType:
    """The module `name` of server/ or client/ ("server.jobs"): seq2drum.server.jobs where seq2drum is installed,
    server.jobs from a checkout (whose seq2drum/ holds no server/)."""
    try:
        return importlib.import_module(f"seq2drum.{name}")
    except ModuleNotFoundError as exc:
        if exc.name != f"seq2drum.{name.split('.')[0]}":  # a module missing inside it is a real error
            raise
    return importlib.import_module(name)


def _part(part_id: int, name: str) -> dict[str, Any]:
    """A part as the page lists it: {id, name}."""
    return {"id": int(part_id), "name": str(name)}


class StudioBusyError(Seq2DrumError):
    """Every slot for generating (or receiving uploads, or rendering audio) is taken: try again in a moment."""


class ServersDownError(StudioBusyError):
    """No seq2drum server answered (UNAVAILABLE); `down` says so in a few words, for the page's next questions."""

    def __init__(self, message: str, down: str) -> None:
        super().__init__(message)
        self.down = down


@dataclass
class Takes:
    """The takes of one request, however they were made: take k's MIDI bytes are `midi[k - 1]`."""

    midi: list[bytes]
    hits: list[int]
    seed: int
    bars: int
    sections: list[str] = field(default_factory=list)  # "LETTER@BAR", bars from 1
    guitar_parts: list[str] = field(default_factory=list)
    band_parts: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    model: str = ""
    # each take's parts as played ("BAR: PART" where they change) and its plan, take 1 first
    parts: list[tuple[list[str], str]] = field(default_factory=list)
    heard: str = ""  # what the drums heard of the band: "heard: jazz, swung, 12-bar blues"

    @classmethod
    def from_job(cls, result: JobResult) -> Takes:
        """A worker's `JobResult` (the gRPC server's, unchanged)."""
        return cls([result.midi_bytes, *(midi for midi, _ in result.more_takes)],
                   [result.n_hits, *(hits for _, hits in result.more_takes)], result.seed, result.bars,
                   list(result.sections), list(result.guitar_parts), list(result.band_parts), list(result.notices),
                   f"{result.model_name} {result.model_version}",
                   [(list(parts), plan) for parts, plan in zip(result.take_parts, result.take_plans)], result.heard)


class LocalBackend:
    """Worker processes of the studio's own, each with the model loaded, run exactly as the gRPC server runs them:
    at most `config.workers` songs at once, `config.max_waiting` in line, each stopped after `config.max_job_s`."""

    down = ""  # its workers are its own: never a server that does not answer

    def __init__(self, checkpoint: Path | None, config: ServerConfig) -> None:
        self.config = config
        workers = sibling("server.workers")
        self.pool = sibling("server.pool").WorkerPool(workers.ModelSource(checkpoint, config.torch_threads),
                                                      config.workers, config.recycle_mib,
                                                      max_worker_mib=config.max_worker_mib)
        self._runner: Any = None  # made on the event loop that uses it
        self.info: dict[str, Any] = {}

    def start(self) -> str:
        """Start the workers (each loads the model); what the studio runs, in words. CheckpointError when the model
        cannot load."""
        self.info = self.pool.start()
        return (f"model {self.info['name']} {self.info['version']} in {self.config.workers} worker process"
                f"{'es' if self.config.workers > 1 else ''}")

    async def generate(self, midi: bytes, options: GenerationOptions) -> Takes:
        if self._runner is None:
            self._runner = sibling("server.jobs").SongRunner(self.pool, self.config)
        result, _ = await self._runner.run(midi, options, what="studio")
        return Takes.from_job(result)

    async def arrange(self, midi: bytes, options: GenerationOptions, drummer: bool = False) -> list[dict[str, Any]]:
        """The song's sections and the parts each can play, ranked (server.arrange_jobs, on a worker); with `drummer`
        (a song with drums), the part the song's own drummer plays in each too (None where none of his fits)."""
        if self._runner is None:
            self._runner = sibling("server.jobs").SongRunner(self.pool, self.config)
        job = functools.partial(sibling("server.arrange_jobs").ArrangeJob, drummer=drummer)
        result, _ = await self._runner.run(midi, options, what="studio arrange", make=job)
        return [{**{key: section[key] for key in ("key", "label", "occurrence", "first_bar", "bars", "meter_family")},
                 "parts": [{"id": part_id, "name": name} for part_id, name, _ in section["parts"]],
                 "borrowed": _borrowed(*section["borrowed"]),
                 "drummer": _part(*section["drummer"][:2]) if section["drummer"] is not None else None}
                for section in result.sections]

    async def styles(self) -> list[dict[str, Any]]:
        """The model's styles ({name, meters, description}), as its workers loaded it."""
        return [dict(style) for style in self.info.get("styles", ())]

    def sweep(self) -> None:
        """Replace idle workers that died (run it a few times a second, as the server does)."""
        self.pool.sweep()

    def close(self) -> None:
        if self._runner is not None:
            self._runner.close()
        self.pool.close()


class RemoteBackend:
    """Running seq2drum servers (`--server HOST:PORT`, several: round robin over those up), through the DAW
    helper's client: songs as large as the servers take, their limits, and UNAVAILABLE retried for `wait_s`. A song
    whose page leaves has its call cancelled: the server stops it and frees its worker, as a local studio does."""

    def __init__(self, servers: list[str], config: ServerConfig, wait_s: float = 30.0, tls_ca: Path | None = None,
                 token: str = "") -> None:
        self.config = config
        client = sibling("client.drum_client")
        try:
            self.client = client.DrumClient(servers, timeout_s=config.max_job_s, wait_s=wait_s, tls_ca=tls_ca,
                                            token=token)
        except client.HelperError as exc:  # a --server list or --tls-ca that cannot be used
            raise ConfigError(str(exc)) from None
        self._styles: list[dict[str, Any]] | None = None
        # one question for the styles at a time, on a thread of its own, that every page asking meanwhile waits on: a
        # server that is down held one of asyncio's default threads for 5 s per page asking (40 pages: an upload
        # took 4.35 s instead of 0.03 s)
        self._styles_asked: asyncio.Future[Any] | None = None
        self._styles_failed_s = -STYLES_RETRY_S
        self.down = ""  # why no server answered the last question (styles or arrangement), "" once one does
        self._down_s = -STYLES_RETRY_S
        self._styles_thread = futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="seq2drum-styles")
        self._calls = 0  # songs sent and not yet answered: at most workers + max_waiting, as a local studio
        # one thread per song in flight, of their own: a round trip that holds a thread for a minute must not take
        # asyncio's default threads, which every upload and file of every other page needs
        self._threads = futures.ThreadPoolExecutor(max_workers=config.workers + config.max_waiting,
                                                   thread_name_prefix="seq2drum-remote")

    def start(self) -> str:
        return f"the seq2drum server{'s' if len(self.client.servers) > 1 else ''} at {self.client.target}"

    async def generate(self, midi: bytes, options: GenerationOptions) -> Takes:
        if self._calls >= self.config.workers + self.config.max_waiting:
            raise StudioBusyError(f"the studio is waiting for {self._calls} songs already; try again in a few "
                                  "seconds")
        convert = sibling("server.convert")
        loop = asyncio.get_running_loop()
        self._calls += 1
        stop = sibling("client.drum_client").Stop()
        call = self._threads.submit(self._generate, midi, convert.options_to_proto(options), stop)
        # counted until the thread is free: at once when the page left, as its call is cancelled
        call.add_done_callback(lambda _: loop.call_soon_threadsafe(self._answered))
        try:
            drums = await asyncio.wrap_future(call)
        except asyncio.CancelledError:  # the page left: the server stops the song (CANCELLED), freeing its worker
            stop.stop()
            raise
        meta = drums.metadata
        return Takes([drums.midi_bytes, *(m for m, _ in drums.more_takes)],
                     [meta.drum_hits, *(hits for _, hits in drums.more_takes)], meta.seed, meta.bars,
                     list(meta.sections), list(meta.guitar_parts), list(meta.band_parts), list(meta.notices),
                     f"{meta.model_name} {meta.model_version}", list(drums.take_parts), meta.heard)

    async def arrange(self, midi: bytes, options: GenerationOptions, drummer: bool = False) -> list[dict[str, Any]]:
        """The song's sections and the parts each can play, ranked, and with `drummer` the song's own drummer's part in
        each: the servers' Arrange call, counted with the songs in flight (at most workers + max_waiting, as
        `generate`'s)."""
        if self._calls >= self.config.workers + self.config.max_waiting:
            raise StudioBusyError(f"the studio is waiting for {self._calls} songs already; try again in a few "
                                  "seconds")
        if self.down and time.monotonic() - self._down_s < STYLES_RETRY_S:
            raise StudioBusyError(f"{self.down}; start it, or try again in a few seconds")
        convert = sibling("server.convert")
        loop = asyncio.get_running_loop()
        self._calls += 1
        call = self._threads.submit(self._remote, lambda: self.client.arrange(
            midi, convert.options_to_proto(options), drummer, wait_s=ARRANGE_WAIT_S))
        call.add_done_callback(lambda _: loop.call_soon_threadsafe(self._answered))
        try:
            answer = await asyncio.wrap_future(call)
        except ServersDownError as exc:
            self._went_down(exc.down)
            raise
        self.down = ""
        return [{"key": s.key, "label": s.label, "occurrence": s.occurrence, "first_bar": s.first_bar, "bars": s.bars,
                 "meter_family": s.meter_family, "parts": [{"id": p.id, "name": p.name} for p in s.parts],
                 "borrowed": _borrowed(s.borrowed.id if s.HasField("borrowed") else None, s.borrowed_words),
                 "drummer": _part(s.drummer.id, s.drummer.name) if s.HasField("drummer") else None}
                for s in answer.sections]

    def _generate(self, midi: bytes, options: Any, stop: Any) -> Any:
        """DrumClient.generate on a thread, until `stop` stops it (`_remote`)."""
        return self._remote(lambda: self.client.generate(midi, options, stop))

    def _remote(self, call: Any) -> Any:
        """A DrumClient call on a thread; a server's refusal becomes its one line (its status details)."""
        import grpc

        helper = sibling("client.drum_client")
        try:
            return call()
        except grpc.RpcError as error:
            details = escape_controls(error.details() or "")
            if error.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED):
                raise ServersDownError(f"no seq2drum server at {self.client.target} could take the song "
                                       f"({details}); try again later", self._down_words(details)) from None
            raise Seq2DrumError(details or f"the server answered {error.code().name}") from None
        except helper.HelperError as exc:
            raise Seq2DrumError(str(exc)) from None

    async def styles(self) -> list[dict[str, Any]]:
        """The servers' styles (GetModelInfo, asked once they answer): [] while none answers, so the page offers any
        groove. Pages asking together wait on one question (at most STYLES_WAIT_S); after it failed, the list is []
        for STYLES_RETRY_S without asking again."""
        import grpc

        if self._styles is not None:
            return self._styles
        if time.monotonic() - self._styles_failed_s < STYLES_RETRY_S:
            return []
        if self._styles_asked is None:
            self._styles_asked = asyncio.wrap_future(self._styles_thread.submit(
                self.client.model_info, time.monotonic() + STYLES_WAIT_S))
        asked = self._styles_asked
        try:
            info = await asyncio.shield(asked)  # a page that leaves does not cancel the others' question
        except grpc.RpcError as error:  # a server down or refusing: asked again after STYLES_RETRY_S
            if self._styles_asked is asked:
                self._styles_asked, self._styles_failed_s = None, time.monotonic()
                log.info("no styles from %s: %s", self.client.target, escape_controls(error.details() or "")[:200])
                self._went_down(self._down_words(escape_controls(error.details() or "")[:200]))
            return []
        finally:  # a question that failed otherwise is not kept for the next page to get its error
            if self._styles_asked is asked and asked.done() and (asked.cancelled() or asked.exception() is not None):
                self._styles_asked = None
        self._styles = [{"name": style.name, "meters": list(style.meters), "description": style.description}
                        for style in info.styles]
        self.down = ""
        return self._styles

    def _down_words(self, details: str) -> str:
        return f"no seq2drum server at {self.client.target} answers ({details or 'no answer'})"

    def _went_down(self, words: str) -> None:
        self.down, self._down_s = words, time.monotonic()

    def _answered(self) -> None:
        self._calls -= 1

    def sweep(self) -> None:
        pass

    def close(self) -> None:
        self._threads.shutdown(wait=False, cancel_futures=True)
        self._styles_thread.shutdown(wait=False, cancel_futures=True)
        self.client.close()


def _borrowed(part: Any, words: str) -> dict[str, Any] | None:
    """A section's part from the form's "parts from" song, as the page reads it ({id, words}; id None where that
    song gives none), or None without one."""
    if not words:
        return None
    return {"id": part[0] if isinstance(part, tuple) else part, "words": words}
