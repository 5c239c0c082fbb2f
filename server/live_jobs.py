"""Play-along jobs: what a worker process runs for a PlayAlong stream (its start, then one job per bar), and the
drummer a worker plays them with. No grpc here; the servicer sends these over the same pipe as songs.

A worker loads the live drummer once, beside the offline model: the causal model (`--live-checkpoint`, default
models/live.pt) or, with `--live-loop` or when no live model is there, a plain backbeat (seq2drum/live/loop_drummer.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seq2drum.options import GenerationOptions

LIVE_JOB_LIMIT_S = 5.0  # a bar's decision takes milliseconds; past this the worker is taken as stuck and replaced


@dataclass(frozen=True)
class LiveModel:
    """Which live drummer a worker plays along with: `checkpoint` (a causal model), or the backbeat loop when None."""

    checkpoint: Path | None = None

    def load(self) -> Any:
        """The drummer, warmed up: one bar decided at load, so a stream's first bar does not pay for first calls
        (it took 16 ms instead of 4)."""
        if self.checkpoint is None:
            from seq2drum.live.loop_drummer import LoopDrummer

            return LoopDrummer()
        from seq2drum.errors import CheckpointError
        from seq2drum.live.api import BarClock, PlayedNote
        from seq2drum.live.model_drummer import ModelDrummer

        try:
            drummer = ModelDrummer(self.checkpoint)
        except CheckpointError as exc:
            raise CheckpointError(live_checkpoint_advice(str(exc))) from exc
        state = drummer.begin(GenerationOptions(), 0)
        clock = BarClock(0, 4, 4, 120.0)
        drummer.next_bar(state, [PlayedNote(0.0, 0.5, 40, 100, "guitar")], clock, BarClock(1, 4, 4, 120.0))
        return drummer


def live_checkpoint_advice(problem: str) -> str:
    """A checkpoint's problem as --live-checkpoint's: where the loader's advice names --checkpoint (the offline
    model's flag, issue 89 low), what is wrong is kept and the advice is the live model's."""
    if "--checkpoint" not in problem:
        return f"--live-checkpoint: {problem}"
    what = re.split(r"; (?=pass |train |leave |or )", problem, maxsplit=1)[0]
    return (f"--live-checkpoint: {what}; pass --live-checkpoint the live model (a causal checkpoint, "
            "models/README.md), or --live-loop for a plain backbeat")


@dataclass
class LiveJob:
    """A stream's start (`call` and `bar` None: begin, with the options, seed, groove clip and parts), one bar taken
    by the server (`call`, with the drummer's state), or one bar of many notes as it came (`bar`, a PlayedBar's bytes,
    with the stream's `session`): read, checked and decided on the worker, off the server's event loop."""

    options: GenerationOptions | None = None
    seed: int = 0
    groove: bytes | None = None
    parts: list[tuple[str, int, int]] = field(default_factory=list)
    switch_parts: list[str] = field(default_factory=list)  # a start's: the parts the musician may switch to
    state: Any = None
    call: Any = None  # seq2drum.live.session.LiveCall
    bar: bytes | None = None
    session: Any = None  # seq2drum.live.session.LiveSession, with `bar`


    @property
    def starts(self) -> bool:
        """Whether this job is a stream's start (not a bar)."""
        return self.call is None and self.bar is None


@dataclass
class LiveResult:
    """What a worker sends back: the drummer's state after the job, the bar's hits (none for a start), the parts'
    roles (a start), what the model is, and the worker's memory (as JobResult, for the pool's recycling)."""

    state: Any
    hits: list[Any] = field(default_factory=list)
    roles: list[str] = field(default_factory=list)
    model_name: str = ""
    model_version: str = ""
    lead_quarters: float = 0.25
    rss_bytes: int = 0
    session: Any = None  # the stream's session after a `bar` job
    resting: bool = False  # a `bar` job's drums rest (the band has been silent)


def run_live_job(drummer: Any, job: LiveJob) -> LiveResult:
    """Run one play-along job on the worker's drummer. Domain errors (a bad style, a groove clip that is not one)
    go back to the stream as they are."""
    from seq2drum.live.session import check_switches, played_as, roles_of, run_call

    generator = getattr(drummer, "generator", None)
    name = generator.info.name if generator is not None else getattr(drummer, "name", "live")
    version = generator.info.version if generator is not None else ""
    if job.bar is not None:
        from seq2drum.rpc import seq2drum_pb2

        session = job.session
        call = take_bar(session, seq2drum_pb2.PlayedBar.FromString(job.bar))
        if call is None:
            return LiveResult(session.state, session=session, resting=True, model_name=name, model_version=version,
                              lead_quarters=float(drummer.lead_quarters))
        hits, session.state = run_call(drummer, session.state, call)
        return LiveResult(session.state, hits=hits, session=session, model_name=name, model_version=version,
                          lead_quarters=float(drummer.lead_quarters))
    if job.call is None:
        options = job.options or GenerationOptions()
        roles = roles_of(job.parts, options.keep_drums)  # with keep_drums, channel 10 is the user's drums, heard
        state = drummer.begin(played_as(options, roles), job.seed, job.groove)
        check_switches(drummer, job.switch_parts)
        return LiveResult(state, roles=roles, model_name=name, model_version=version,
                          lead_quarters=float(drummer.lead_quarters))
    hits, state = run_call(drummer, job.state, job.call)
    return LiveResult(state, hits=hits, model_name=name, model_version=version,
                      lead_quarters=float(drummer.lead_quarters))


def take_bar(session: Any, bar: Any) -> Any:
    """One bar's message (a PlayedBar) checked and converted by the stream's session: the drummer's call for it, or
    None when the drums rest (seq2drum.live.session `LiveSession.take`, which raises LiveStreamError for a bad one).
    A Python object a note: 0.5 ms for 256 notes, 7-10 ms for 4,096, so a bar of many notes is taken on a worker."""
    from seq2drum.live.session import IncomingNote

    new = tuple.__new__  # each note an IncomingNote without its Python __new__ (a call a note, on the event loop)
    notes = [new(IncomingNote, (n.onset_quarters, n.duration_quarters, n.pitch, n.velocity, n.part)) for n in bar.notes]
    return session.take(bar.index, bar.numerator, bar.denominator, bar.tempo_bpm, notes)
