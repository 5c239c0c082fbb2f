"""The studio's web application (Starlette): the page with its assets, and the small JSON API the page calls.

    GET  /                                   the page (static/index.html); /static/... its scripts and styles
    GET  /api/config                         the options table as a form, the limits, whether audio can play
    GET  /api/styles?meter=M, /api/kit-maps  the model's styles that play in meter M; the kit maps that ship
    POST /api/sessions                       a session for a page that opened; .../close (its beacon as it goes)
    POST /api/sessions/ID/songs?name=N       an upload (the file's bytes as the body): its parts, roles, notes
    POST /api/sessions/ID/takes, .../arrange {song, options}: the takes (drums, bars); its sections' parts, ranked
    GET  /api/sessions/ID/takes/T/KIND       drums.mid, song.mid (the song with the drums), mix.wav, drums.wav
    GET  .../takes/T/KIND/progress           how far that file is made: ready, rendering (how much), waiting

Every answer but a file is JSON; an error is {"error": one line} with a status from limits.answer_for. Who may ask
(Host, Origin) and the security headers are guard.py's. A page's song runs only while the page is there: dropping the
connection or closing the page stops it (`Studio.while_page_stays`).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import re
import unicodedata
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from seq2drum.atomic import write_atomic
from seq2drum.errors import Seq2DrumError
from seq2drum.generation.audio import INSTALL_COMMAND, check_audio_extra, write_wav
from seq2drum.midi.io import read_midi
from seq2drum.midi.limits import ReadLimits

from .arrange import arrange_song
from .choices import kit_map_list, meter_asked, style_list
from .form import MAX_FORM_BYTES, form_fields, read_form
from .guard import Guard
from .limits import Limits, answer_for
from .songs import (
    limits_with,
    prepare_file,
    read_upload,
    take_view,
    upload_label,
)
from .store import DERIVED, PAGE_CLOSED, Session, SessionGoneError, Store, Take

if TYPE_CHECKING:
    from server.config import ServerConfig

    from .backends import LocalBackend, RemoteBackend

log = logging.getLogger("seq2drum.studio")
STATIC = Path(__file__).with_name("static")
UPKEEP_S = 0.5  # how often dead workers are replaced and unused sessions ended
CLOSE_WAIT_S = 10.0  # a closing page waits this long at most for its songs to stop (a worker killed and replaced)
KINDS = {"drums.mid": "audio/midi", **{kind: "audio/midi" if kind.endswith(".mid") else "audio/wav"
                                        for kind in DERIVED}}
Handler = Callable[[Request], Awaitable[Response]]
T = TypeVar("T")


class Studio:
    """One running studio: where drums are made (`backend`, started), its limits and its files."""

    def __init__(self, backend: LocalBackend | RemoteBackend, config: ServerConfig, store: Store,
                 backend_words: str = "", on_ready: Callable[[], None] | None = None) -> None:
        self.backend = backend
        self.config = config
        self.store = store
        self.limits = Limits(config)
        self.backend_words = backend_words
        self.on_ready = on_ready
        self._making: dict[Path, asyncio.Task[Path]] = {}  # derived files being made, asked for once each
        # of those, the ones being written: [how much is done, 0 to 1], a list the render's thread writes into (one
        # that outlives its entry, a render cancelled, writes into a list no longer here)
        self._rendered: dict[Path, list[float]] = {}
        self._jobs: dict[str, set[asyncio.Future[Any]]] = {}  # session id -> its songs being generated
        try:
            check_audio_extra()
            self.audio_problem = ""
        except Seq2DrumError as exc:
            self.audio_problem = str(exc)

    async def upkeep(self) -> None:
        """Replace workers that died while idle, and end the sessions unused for their time, as long as it runs."""
        rounds = 0
        while True:
            await asyncio.sleep(UPKEEP_S)
            self.backend.sweep()
            rounds += 1
            if rounds % 10 == 0:
                self.store.expire()

    async def while_page_stays(self, session_id: str, request: Request, work: Awaitable[T]) -> T:
        """`work`'s result, or `work` cancelled when its page goes: the connection dropped, or the page closed
        (`close`). A song cancelled so has its worker killed and replaced, or leaves the line (server.jobs)."""
        job = asyncio.ensure_future(work)
        gone = asyncio.ensure_future(_disconnected(request))
        self._jobs.setdefault(session_id, set()).add(job)
        try:
            await asyncio.wait({job, gone}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            gone.cancel()
            job.cancel()  # nothing when it is done; the handler itself cancelled (the studio stopping): the song too
            jobs = self._jobs.get(session_id, set())
            jobs.discard(job)
            if not jobs:
                self._jobs.pop(session_id, None)
        if not job.done():  # cancelled just now (its page left first): the cancellation takes effect as it runs
            with contextlib.suppress(asyncio.CancelledError):
                await job  # let its own clean-up (killing the worker) run before the page's next request
        if job.cancelled():
            raise SessionGoneError("the page left before its drums were made; the work was stopped")
        return job.result()

    async def close(self, session_id: str) -> None:
        """A page closed: stop its songs (waiting until each has left the line or had its worker replaced, so the
        next page finds the room it left) and remove its files."""
        jobs = self._jobs.pop(session_id, set())
        for job in jobs:
            job.cancel()
        if jobs:
            await asyncio.wait(jobs, timeout=CLOSE_WAIT_S)
        self.store.close(session_id)

    async def derived(self, session: Session, take: Take, kind: str) -> Path:
        """The file `kind` of a take, made the first time it is asked for (by one request, however many ask)."""
        if kind == "drums.mid":
            return take.path
        target = take.derived(kind)
        if target.exists():
            return target
        making = self._making.get(target)
        if making is None:
            song = session.song(take.song_id).path if take.song_id is not None else None
            making = self._making[target] = asyncio.create_task(self._make(session, take, song, kind, target))
            making.add_done_callback(lambda _: self._making.pop(target, None))
        try:
            return await asyncio.shield(making)
        except OSError:
            self.store.get(session.id)  # SessionGoneError when the page closed meanwhile (its folder went)
            raise

    async def _make(self, session: Session, take: Take, song_path: Path | None, kind: str, target: Path) -> Path:
        """Make a derived file within the page's room: its size (a WAV's largest) counted before it is written."""
        async with self.limits.render_slot():
            data, limits, size = await asyncio.to_thread(prepare_file, take.path, song_path, kind, take.kit_map,
                                                         self.config.limits)
            self.store.reserve(session, size, f"the {kind} of this take")
            done = self._rendered[target] = [0.0]
            try:
                await asyncio.to_thread(write_file, target, kind, data, lambda fraction: done.__setitem__(0, fraction),
                                        limits)
            finally:
                self._rendered.pop(target, None)
                self.store.settle(session, target, size)
        return target

    def progress(self, take: Take, kind: str) -> dict[str, Any]:
        """How far the file `kind` of a take is made, for the page's first play of a long song: ready, rendering
        (`done`, 0 to 1), waiting (for a render slot, or its notes being gathered) or not asked for yet."""
        target = take.path if kind == "drums.mid" else take.derived(kind)
        if target in self._rendered:
            return {"state": "rendering", "done": round(self._rendered[target][0], 3)}
        if target in self._making:
            return {"state": "waiting", "done": 0.0}
        return {"state": "ready" if target.exists() else "not asked", "done": 1.0 if target.exists() else 0.0}


async def _disconnected(request: Request) -> None:
    """Returns when the client drops the connection (its body was read already, so nothing else arrives)."""
    while (await request.receive())["type"] != "http.disconnect":
        pass


def write_file(target: Path, kind: str, data: bytes, progress: Callable[[float], None] | None = None,
               limits: ReadLimits | None = None) -> None:
    if kind.endswith(".wav"):
        write_wav(target, data, progress, limits)
    else:
        write_atomic(target, data)


def answers(handler: Callable[[Studio, Request], Awaitable[Any]]) -> Callable[[Studio], Handler]:
    """A route's handler as an endpoint: its dict as JSON, a Response as it is, an error as one line. A request whose
    session ends while it runs (its page closed: the files it was reading or writing went) gets the 410 of a closed
    page, whatever failed first."""

    def bind(studio: Studio) -> Handler:
        @functools.wraps(handler)
        async def endpoint(request: Request) -> Response:
            session_id = request.path_params.get("session")
            was_open = session_id in studio.store.sessions
            try:
                answer = await handler(studio, request)
            except ClientDisconnect:
                return Response(status_code=400)
            except Exception as exc:  # noqa: BLE001  (every failure is one line for the page; answer_for logs the unexpected)
                gone = was_open and session_id not in studio.store.sessions  # its files went from under it
                status, message = answer_for(SessionGoneError(PAGE_CLOSED) if gone else exc)
                return JSONResponse({"error": message}, status_code=status)
            return answer if isinstance(answer, Response) else JSONResponse(answer)

        return endpoint

    return bind


@answers
async def get_config(studio: Studio, request: Request) -> dict[str, Any]:
    config = studio.config
    return {"options": form_fields(), "backend": studio.backend_words, "ttl_s": studio.store.ttl_s,
            "limits": {"max_upload_bytes": config.max_stream_bytes, "max_job_s": config.max_job_s,
                       "workers": config.workers, "max_song_quarters": config.max_song_quarters},
            "audio": {"available": not studio.audio_problem, "problem": studio.audio_problem,
                      "install": INSTALL_COMMAND}}


@answers
async def list_styles(studio: Studio, request: Request) -> dict[str, Any]:
    """The model's styles that fit a meter (the song's, or drums from nothing's), for the page's style list."""
    meter = meter_asked(request.query_params.get("meter", ""))
    styles = await studio.backend.styles()
    # an empty list says why when no server answers (it listed no styles without a reason, issue 98 low)
    return {**style_list(styles, meter), "problem": getattr(studio.backend, "down", "")}


@answers
async def list_kit_maps(studio: Studio, request: Request) -> dict[str, Any]:
    return {"kit_maps": kit_map_list()}


@answers
async def open_session(studio: Studio, request: Request) -> dict[str, Any]:
    return {"session": studio.store.open().id}


@answers
async def close_session(studio: Studio, request: Request) -> Response:
    await studio.close(request.path_params["session"])
    return Response(status_code=204)


@answers
async def touch_session(studio: Studio, request: Request) -> Response:
    studio.store.get(request.path_params["session"])
    return Response(status_code=204)


@answers
async def upload_song(studio: Studio, request: Request) -> dict[str, Any]:
    """Receive a song (within the upload limits), read it as the command line would, keep it; its view."""
    session = studio.store.get(request.path_params["session"])
    label = upload_label(request.query_params.get("name", ""))
    async with studio.limits.upload_slot():
        received = await studio.limits.receive(request, studio.config.max_stream_bytes, label)
        # off the event loop, the scan included: 60 MiB of a header and zeros froze every page 9 s (issue 98 Q3)
        data, view = await asyncio.to_thread(read_upload, received, label, studio.config.limits)
    session = studio.store.get(session.id)  # still there after the wait
    song_id = studio.store.add_song(session, label, data)
    return {"song": song_id, "label": label, **view}


@answers
async def make_takes(studio: Studio, request: Request) -> dict[str, Any]:
    """Generate the takes the form asks for, for an uploaded song or from nothing; their views and files."""
    session_id = request.path_params["session"]
    session = studio.store.get(session_id)
    body = await studio.limits.receive(request, MAX_FORM_BYTES, "the form", "choose a shorter groove clip")
    song_id, options = await asyncio.to_thread(read_form, body)
    song = session.song(song_id) if song_id is not None else None
    midi = await asyncio.to_thread(song.path.read_bytes) if song is not None else b""
    takes = await studio.while_page_stays(session_id, request, studio.backend.generate(midi, options))
    limits = studio.config.limits  # a take made with --merge holds the song: read within the song's and its own
    views = await asyncio.to_thread(lambda: [take_view(read_midi(data, limits=limits_with(limits, data)),
                                                       options.kit_map) for data in takes.midi])
    session = studio.store.get(session_id)  # still there after the waits (a take stored after it ends: 410)
    stem = _stem(song.label) if song is not None else f"drums_{options.bars}bars"
    answer = []
    for index, (data, hits, view) in enumerate(zip(takes.midi, takes.hits, views), start=1):
        take_id = studio.store.add_take(session, song_id, index, data, options.kit_map)
        base = f"/api/sessions/{session_id}/takes/{take_id}"
        parts, plan = takes.parts[index - 1] if index <= len(takes.parts) else ([], "")
        answer.append({"id": take_id, "index": index, "hits": hits, "parts": parts, "plan": plan, **view,
                       "files": {kind: f"{base}/{kind}" for kind in KINDS},
                       "names": {"drums.mid": f"{stem}_drums.take{index}.mid",
                                 "song.mid": f"{stem}_with_drums.take{index}.mid"}})
    return {"takes": answer, "seed": str(takes.seed), "bars": takes.bars, "sections": takes.sections,
            "guitar_parts": takes.guitar_parts, "band_parts": takes.band_parts, "notices": takes.notices,
            "model": takes.model, "heard": takes.heard}


def _stem(label: str) -> str:
    """A download's name from the upload's: its stem, with only characters every file system takes: letters and
    digits of any script (composed, NFC: "Ünïcødé" was "_n_c_d_"), space, dot, underscore and hyphen; anything else
    (a separator, a reserved mark, a control or format character such as U+202E) becomes "_"."""
    stem = unicodedata.normalize("NFC", re.sub(r"\.midi?$", "", label, flags=re.IGNORECASE))
    return "".join(c if c.isalnum() or c in " ._-" else "_" for c in stem).strip(" .") or "song"


@answers
async def take_file(studio: Studio, request: Request) -> Response:
    session = studio.store.get(request.path_params["session"])
    take = session.take(request.path_params["take"])
    kind = request.path_params["kind"]
    if kind not in KINDS:
        return JSONResponse({"error": f"no file {kind[:40]!r}; a take has {', '.join(KINDS)}"}, status_code=404)
    path = await studio.derived(session, take, kind)
    link, stat = await asyncio.to_thread(studio.store.hold, path)
    return HeldFile(link, studio.store.release, media_type=KINDS[kind], stat_result=stat)


class HeldFile(FileResponse):
    """A file sent through its own link (Store.hold), removed once sent or abandoned: a page that closes while it
    downloads gets the file whole (its length was taken from the link, which no session's end removes)."""

    def __init__(self, link: Path, release: Callable[[Path], None], **response: Any) -> None:
        super().__init__(link, **response)
        self.release = release

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self.release(Path(self.path))


@answers
async def take_progress(studio: Studio, request: Request) -> Response | dict[str, Any]:
    session = studio.store.get(request.path_params["session"])
    take = session.take(request.path_params["take"])
    kind = request.path_params["kind"]
    if kind not in KINDS:
        return JSONResponse({"error": f"no file {kind[:40]!r}; a take has {', '.join(KINDS)}"}, status_code=404)
    return studio.progress(take, kind)


def create_app(studio: Studio, allowed_hosts: list[str] | None = None) -> Starlette:
    """The ASGI application of `studio`. `allowed_hosts`: the Host names it answers (serve.allowed_hosts: this
    computer's names for a studio on loopback); None: any."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        upkeep = asyncio.create_task(studio.upkeep())
        if studio.on_ready is not None:
            studio.on_ready()
        try:
            yield
        finally:
            upkeep.cancel()

    async def index(request: Request) -> Response:
        return FileResponse(STATIC / "index.html", media_type="text/html")

    session = "/api/sessions/{session}"
    routes = [
        Route("/", index), Mount("/static", StaticFiles(directory=STATIC), name="static"),
        Route("/api/config", get_config(studio)), Route("/api/sessions", open_session(studio), methods=["POST"]),
        Route("/api/styles", list_styles(studio)), Route("/api/kit-maps", list_kit_maps(studio)),
        Route(f"{session}/close", close_session(studio), methods=["POST", "DELETE"]),
        Route(f"{session}/touch", touch_session(studio), methods=["POST"]),
        Route(f"{session}/songs", upload_song(studio), methods=["POST"]),
        Route(f"{session}/takes", make_takes(studio), methods=["POST"]),
        Route(f"{session}/arrange", answers(arrange_song)(studio), methods=["POST"]),
        Route(f"{session}/takes/{{take}}/{{kind}}", take_file(studio)),
        Route(f"{session}/takes/{{take}}/{{kind}}/progress", take_progress(studio)),
    ]
    return Starlette(routes=routes, middleware=[Middleware(Guard, allowed_hosts=allowed_hosts)], lifespan=lifespan,
                     exception_handlers={HTTPException: _one_line})


async def _one_line(request: Request, exc: Exception) -> Response:
    """Starlette's own refusals (no such route 404, a method a route does not take 405) as one line of JSON."""
    assert isinstance(exc, HTTPException)
    words = {404: f"the studio has no {request.url.path[:80]!r}", 405: f"{request.method[:20]!r} is not taken here"}
    return JSONResponse({"error": words.get(exc.status_code, str(exc.detail))}, status_code=exc.status_code,
                        headers=exc.headers)
