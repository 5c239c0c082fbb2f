"""Worker processes that generate, and can be stopped: the server's execution model.

Each worker is a process that loads the model once and then takes one job at a time over a pipe: MIDI bytes and
options in, drum MIDI bytes and metadata (or the domain error) out. A job whose client cancelled or whose deadline
passed has its worker killed (SIGKILL: parse and generation stop at once, whatever they were doing) and a fresh
worker started in its place. A worker whose memory grew past `recycle_mib` over its warm size (after its first
job) after a job, refused ones included, is retired the same way, so a burst of huge songs does not leave the server
holding their memory (server.memory).

Workers fork from a server process that has imported torch and music21 once (multiprocessing's "forkserver"), so
a replacement is ready in a fraction of a second instead of the seconds a fresh interpreter takes. This module
imports neither grpc nor torch at the top: the gRPC process never loads the model.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import multiprocessing
import os
import signal
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from seq2drum.options import GenerationOptions
from seq2drum.errors import CheckpointError, Seq2DrumError, SongTooLongError
from seq2drum.midi.limits import ReadLimits
from seq2drum.outputs import part_changes

from .arrange_jobs import ArrangeJob, arrange_song
from .live_jobs import LiveJob, LiveModel, run_live_job
from .memory import (TRIM_SLACK_BYTES, collect_between_jobs, keep_job_buffers_on_the_heap,
                     keep_large_buffers_off_the_heap, release_memory, rss_bytes)

log = logging.getLogger("seq2drum.server")
# imported once, in the fork server; seq2drum.model.checkpoint brings torch, which a worker needs to read a
# checkpoint whose fast-start copy (seq2drum.model.fast_start) is not in the cache yet. This module by its own name:
# server.workers from a checkout, seq2drum.server.workers when installed.
_PRELOAD = ["seq2drum.generation.generator", "seq2drum.model.checkpoint", "seq2drum.midi.io", __name__]


class WorkerCrashedError(Seq2DrumError):
    """A worker died while working (killed from outside, or out of memory); the song may be the cause."""


class WorkerMemoryError(WorkerCrashedError):
    """A worker's resident memory passed the server's limit per worker while working: it was stopped and replaced."""


class WorkerLostError(WorkerCrashedError):
    """A worker was dead before it took the job (killed while idle): the song had no part in it; try another."""


class WorkerStartError(CheckpointError):
    """A worker could not load the model (the message is the worker's own error)."""


def load_generator(checkpoint: Path | None) -> Any:
    """The default way a worker gets its model."""
    from seq2drum.generation.generator import DrumGenerator

    return DrumGenerator.from_checkpoint(checkpoint)


@dataclass(frozen=True)
class ModelSource:
    """How a worker gets its generator: `factory(checkpoint)`, run inside the worker (so it must be picklable:
    a module-level function, or a functools.partial of one)."""

    checkpoint: Path | None = None
    torch_threads: int = 1
    factory: Callable[[Path | None], Any] = load_generator
    live: LiveModel | None = None  # the play-along drummer, loaded beside the model (None: PlayAlong not served)


@dataclass
class Job:
    midi: bytes
    options: GenerationOptions
    limits: ReadLimits


@dataclass
class JobResult:
    """What a worker sends back for a song: the drum file and the numbers GenerationMetadata carries."""

    midi_bytes: bytes
    bars: int
    tempo_changes: int
    time_signature_changes: int
    n_hits: int
    duration_s: float
    seed: int
    model_name: str
    model_version: str
    rss_bytes: int = 0  # the worker's resident memory after the job
    timings_ms: dict[str, float] = field(default_factory=dict)
    guitar_parts: list[str] = field(default_factory=list)
    band_parts: list[str] = field(default_factory=list)  # 'role: part' of each other part listened to
    notices: list[str] = field(default_factory=list)
    sections: list[str] = field(default_factory=list)  # "LETTER@BAR", bars from 1
    heard: str = ""  # "heard: jazz, swung, 12-bar blues"
    more_takes: list[tuple[bytes, int]] = field(default_factory=list)  # takes 2.. as (midi bytes, drum hits)
    # every take's parts as played ("BAR: PART" where they change) and its plan, take 1 first
    take_parts: list[list[str]] = field(default_factory=list)
    take_plans: list[str] = field(default_factory=list)


def generate_drums(generator: Any, job: Job) -> JobResult:
    """The request handler a worker runs: read the song within the limits, generate, describe the result.

    Raises the library's domain errors (`Seq2DrumError` subclasses) for input it refuses.
    """
    from seq2drum.generation.prepare import reads_guitar_only
    from seq2drum.midi.io import read_midi

    started = time.perf_counter()
    if job.midi:  # the guitar's notes alone, unless the drums listen to the band or keep the input's drums
        only_guitar = reads_guitar_only(job.options, generator.data_config)
        song = read_midi(job.midi, limits=job.limits, only_guitar=only_guitar, track=job.options.track)
    else:  # drums from nothing (options.bars), within this server's song length; else generate says what to send
        song = None
        quarters = job.options.quarters_from_nothing
        if quarters > job.limits.max_song_quarters:
            raise SongTooLongError(f"{job.options.bars} bars of {job.options.meter or '4/4'} are {quarters:g} quarter "
                                   f"notes; this server takes at most {job.limits.max_song_quarters}: "
                                   "ask for fewer bars")
    parsed = time.perf_counter()
    result = generator.generate(song, job.options)
    return JobResult(
        midi_bytes=result.midi_bytes, bars=result.bars, tempo_changes=result.tempo_changes,
        time_signature_changes=result.time_signature_changes, n_hits=result.n_hits, duration_s=result.duration_s,
        seed=result.seed, model_name=result.model_name, model_version=result.model_version,
        timings_ms={"read": (parsed - started) * 1000, "generate": (time.perf_counter() - parsed) * 1000},
        guitar_parts=list(result.guitar_parts), band_parts=list(result.band_parts), notices=list(result.notices),
        sections=[f"{letter}@{bar}" for bar, letter in result.sections], heard=result.heard_line,
        more_takes=[(take.midi_bytes, take.n_hits) for take in result.takes[1:]],
        take_parts=[part_changes(take.parts) for take in result.takes], take_plans=[take.plan for take in result.takes],
    )


def _load(conn: Connection, source: ModelSource) -> tuple[Any, Any, dict[str, Any]] | None:
    """The worker's generator, live drummer and model info; None once the failure is sent (the server exits 2)."""
    try:
        import torch

        torch.set_num_threads(source.torch_threads)
        generator = source.factory(source.checkpoint)
        live_drummer = source.live.load() if source.live is not None else None
        info = generator.info
        return generator, live_drummer, asdict(info) if hasattr(info, "__dataclass_fields__") else dict(vars(info))
    except Seq2DrumError as exc:
        conn.send(("failed", str(exc)))
    except Exception as exc:  # noqa: BLE001  (a model that cannot load: the server says so and exits 2)
        conn.send(("failed", f"cannot load the model: {type(exc).__name__}: {exc}"))
    return None


WORKER_NICENESS = 5  # a worker's CPU priority under the server's own process (issue 89 P5)


def _yield_to_the_server() -> None:
    """Run this worker at a lower CPU priority than the server: its jobs (a song, a bar of thousands of notes) are
    the heavy work, the server's event loop answers every other player's bar and the health check, and on a machine
    with as many workers as cores the loop waited behind them (another stream's p99 6.4 -> 14.4 ms under two players
    of 4,096-note bars). Where the OS refuses, the worker runs as it is."""
    try:
        os.nice(WORKER_NICENESS)
    except (AttributeError, OSError):  # no nice (Windows), or not allowed
        pass


def worker_main(conn: Connection, source: ModelSource) -> None:
    """The worker process: load the model, say ready, then answer jobs until told to stop or the pipe closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole process group; the server decides
    _yield_to_the_server()
    if (loaded := _load(conn, source)) is None:
        return
    generator, live_drummer, info_dict = loaded
    keep_job_buffers_on_the_heap()
    collect_between_jobs()
    release_memory()
    last_rss = rss_bytes()
    conn.send(("ready", info_dict, last_rss))
    keep_bytes = 0  # trim after the first job; then only past its warm size plus TRIM_SLACK_BYTES
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):  # the server is gone
            return
        if job is None:
            return
        try:
            conn.send(("taken",))  # the server now knows a death from here on happened while working on this song
        except (OSError, ValueError):
            return
        live = isinstance(job, LiveJob)
        try:
            if live:
                if live_drummer is None:
                    raise Seq2DrumError("this server does not play along live (it was started without a live model)")
                result = run_live_job(live_drummer, job)
            else:
                result = arrange_song(generator, job) if isinstance(job, ArrangeJob) else generate_drums(generator, job)
            del job
            if not live:
                release_memory(keep_bytes)
                last_rss = rss_bytes()
            result.rss_bytes = last_rss  # a bar's: the size after the bar before's clean-up (see below)
            keep_bytes = keep_bytes or result.rss_bytes + TRIM_SLACK_BYTES
            reply: tuple[str, Any] = ("ok", result)
        except Seq2DrumError as exc:
            del job
            release_memory(keep_bytes)
            reply = ("error", exc, rss_bytes())
        except Exception as exc:  # noqa: BLE001  (reported as INTERNAL, with the traceback in the server log)
            reply = ("crash", f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}")
            gc.collect()
        try:
            conn.send(reply)
        except (OSError, ValueError):
            return
        if live and reply[0] == "ok":  # a bar's drums go back first: its clean-up (a collection, ~0.5-1 ms) and size
            release_memory(keep_bytes)  # are the stream's wait for nothing, done while the band plays the next bar
            last_rss = rss_bytes()


class Worker:
    """The server's end of one worker process."""

    def __init__(self, context: Any, source: ModelSource, watching: threading.Event | None = None) -> None:
        self.conn, child_conn = context.Pipe(duplex=True)
        self.process = context.Process(target=worker_main, args=(child_conn, source), daemon=True,
                                       name="seq2drum-worker")
        self.process.start()
        child_conn.close()
        self.idle_rss = 0  # after loading the model, then after the first job (a warm worker's size)
        self.last_rss = 0  # after the last job, refused ones included
        self.jobs = 0
        self.stopped_for_memory = ""  # why the pool's watchdog killed it mid-job (server.pool), "" if it did not
        self.watched = False  # its job is one the pool's watchdog reads the memory of (`watched_job`)
        self._watching = watching  # set to wake the pool's watchdog when such a job starts

    def wait_ready(self, timeout_s: float) -> dict[str, Any]:
        if not self.conn.poll(timeout_s):
            self.kill()
            self.close()
            raise WorkerStartError(f"a worker did not load the model within {timeout_s:.0f} s")
        try:
            message = self.conn.recv()
        except (EOFError, OSError) as exc:
            self.kill()
            self.close()
            raise WorkerStartError(
                f"a worker exited while loading the model (exit code {self.process.exitcode})") from exc
        if message[0] != "ready":
            self.kill()
            self.close()
            raise WorkerStartError(message[1])
        _, info, self.idle_rss = message
        return info

    def run(self, job: Job | LiveJob | ArrangeJob) -> Any:
        """Send a job and wait for its answer (blocking; called on a thread). Raises the job's domain error."""
        self.watched = watched_job(job)
        if self.watched and self._watching is not None:
            self._watching.set()
        try:
            self.conn.send(job)
            self.conn.recv()  # ("taken",)
        except (EOFError, OSError) as exc:  # died before it read the job (killed while idle, from outside)
            raise self._lost() from exc
        try:
            answer = self.conn.recv()
        except (EOFError, OSError) as exc:  # killed (the job was abandoned) or died
            raise self._crashed() from exc
        return self._answered(answer)

    def run_on_loop(self, job: LiveJob, loop: asyncio.AbstractEventLoop) -> asyncio.Future[Any]:
        """Send a play-along bar's job from the event loop and answer it there: the loop wakes when the pipe is
        readable (`add_reader`), not a thread waiting on it, so a bar's round trip crosses no thread (two hand-offs
        fewer than `run` on an executor). 4 streams at --speed 4 against 2 workers, 5 turns each way in turns: the
        worst stream's p99 9.5-12.8 ms against 9.7-34.1, the gRPC process's CPU 3.3-3.5 ms a bar against 3.6-3.8
        (bench/bench_live_stream.py; bench/bench_worker_hop.py compares the two ways alone). The future fails as `run`
        raises; a bar is never watched for memory (`watched_job`). The job's send is on the loop: for a bar of a few
        notes (server.live_stream sends bars of many notes from a thread) it is a few kB."""
        answer: asyncio.Future[Any] = loop.create_future()
        self.watched = False
        try:
            self.conn.send(job)
        except (OSError, ValueError) as exc:  # died before it read the job
            error = self._lost()
            error.__cause__ = exc
            answer.set_exception(error)
            return answer
        fd, taken = self.conn.fileno(), False

        def readable() -> None:
            nonlocal taken
            try:
                message = self.conn.recv()
            except (EOFError, OSError) as exc:
                loop.remove_reader(fd)
                error = self._crashed() if taken else self._lost()
                error.__cause__ = exc
                answer.set_exception(error)
                return
            except Exception as exc:  # noqa: BLE001  an answer that cannot be read, to the bar as `run` raises it
                loop.remove_reader(fd)
                answer.set_exception(exc)
                return
            if not taken:  # ("taken",): the answer follows
                taken = True
                return
            loop.remove_reader(fd)
            try:
                answer.set_result(self._answered(message))
            except Exception as exc:  # noqa: BLE001  the job's domain error, or the worker's crash, to the awaiting bar
                answer.set_exception(exc)

        loop.add_reader(fd, readable)
        return answer

    def _answered(self, answer: tuple[Any, ...]) -> Any:
        """A job's answer from the worker: its result, or its domain error raised."""
        kind, payload, *rest = answer
        self.jobs += 1
        self.watched = False
        if kind == "ok":
            self.last_rss = payload.rss_bytes
            return payload
        if kind == "error":
            self.last_rss = rest[0] if rest else 0
            raise payload
        raise WorkerCrashedError(f"the worker failed unexpectedly: {payload}")

    def _lost(self) -> WorkerLostError:
        """The worker was gone before it took the job (killed while idle, from outside): its pipe closed."""
        self.close()
        return WorkerLostError(f"the worker was gone before it took the song (exit code {self.process.exitcode})")

    def _crashed(self) -> Exception:
        """The worker died while on the job (killed as abandoned or past its memory, or crashed): its pipe closed."""
        self.close()
        if self.stopped_for_memory:
            return WorkerMemoryError(self.stopped_for_memory)
        return WorkerCrashedError(f"the worker generating this song stopped (exit code {self.process.exitcode})")

    def kill(self) -> None:
        """SIGKILL: stops the job at once. The pipe stays open for what waits on it (a thread, or the event loop for
        a bar), which reads EOF."""
        if self.process.is_alive():
            self.process.kill()

    def close(self) -> None:
        self.conn.close()

    def retire(self) -> None:
        try:
            self.conn.send(None)
        except (OSError, ValueError):
            pass
        self.conn.close()


def watched_job(job: Job | LiveJob | ArrangeJob) -> bool:
    """Whether the pool's watchdog reads a worker's memory while it runs `job`: a song, or a stream's start (which
    may bring a groove clip), but not a play-along bar. A bar is a few thousand notes at most (session.MAX_BAR_NOTES)
    decided in milliseconds, its worker's size is read after it (recycling), and reading it 20 times a second woke a
    thread of the gRPC process beside every stream's round trips."""
    return not isinstance(job, LiveJob) or job.starts


def one_blas_pool_per_worker(threads: int) -> None:
    """numpy's BLAS (OpenBLAS) starts a thread per core in every process, and its idle threads spin: two workers on
    two cores then fought over them, and 8 clients got 0.64x the songs per second of one (1.86x with one BLAS
    thread per worker, measured with bench/bench_server.py). The workers get `threads` each, like torch, through the
    environment the fork server (and so every worker) starts with; a value the operator set is kept."""
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(name, str(threads))


def start_method_context() -> Any:
    """forkserver where it exists (Linux, macOS), with the heavy imports done once; spawn elsewhere."""
    keep_large_buffers_off_the_heap()
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(_PRELOAD)
        return context
    return multiprocessing.get_context("spawn")
