"""The live drummer loaded in the gRPC process (`LocalDrummer`), deciding bars on the event loop, and each stream's
work after its bars (`AfterBars`: the model drummer's `after_bar`, the band read and the plan drawn every few bars),
on the process's one hearing thread, off the loop: another stream's bar never waits behind a reading (8 ms) or a plan
(4 ms). A bar that leaves only itself to keep (three bars in four) is kept on the loop once its answer is sent: tens
of microseconds, where the thread's hop cost the loop more (the hand-over, a wake-up, the result taken in). What the
work gives plays from a fixed later bar (live/hearing.py LATER_BARS); the call of that bar takes it in, and waits for
it where the thread is late, so the drums never depend on timing.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from concurrent import futures
from typing import Any

from .live_jobs import LiveJob, LiveModel, LiveResult, run_live_job

log = logging.getLogger("seq2drum.server")

# one thread for every stream's work after its bars: Python runs one thread at a time (the GIL), so a second would
# only take the loop's turns more often; created at its first job
HEARING = futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="seq2drum-hearing")


class LocalDrummer:
    """The live drummer loaded in this (the gRPC) process, deciding bars on the event loop. A drummer that cannot
    load here (its workers loaded it, so this is rare) leaves every bar to the workers, as before, with a warning."""

    def __init__(self, model: LiveModel | None) -> None:
        self.drummer: Any = None
        if model is None:
            return
        try:
            self.drummer = model.load()  # the workers wrote its fast-start copy: no torch import here
        except Exception as exc:  # noqa: BLE001  (the workers serve the bars instead)
            log.warning("the live drummer could not load in the server process (%s: %s); bars go to the workers",
                        type(exc).__name__, exc)
            return
        gc.freeze()  # the model's and modules' objects out of the collector: a collection mid-bar scans none of them

    def begins(self, job: LiveJob) -> bool:
        """Whether this stream's start runs here: a drummer is loaded and the start brings no groove clip (a MIDI
        file to parse, which a worker reads under its memory watch, as a song)."""
        return self.drummer is not None and not job.groove

    def decides(self) -> bool:
        """Whether a bar taken here (at most LOCAL_BAR_NOTES notes) is decided here: a drummer is loaded."""
        return self.drummer is not None

    def run(self, job: LiveJob) -> LiveResult:
        return run_live_job(self.drummer, job)

    def hears(self) -> bool:
        """Whether the drummer leaves work for after its bars (the model drummer; the stand-in loop leaves none)."""
        return hasattr(self.drummer, "after_bar")

    def after(self, state: Any) -> Any:
        """The state with the work its bars left worked out (the model drummer's `after_bar`), on the hearing thread."""
        return self.drummer.after_bar(state)

    def light(self, state: Any) -> bool:
        """Whether the work its bars left is bars kept alone (no reading nor plan): worked out on the loop at once."""
        return self.drummer.light(state)


class AfterBars:
    """One stream's work after its bars: worked out once a bar's answer is sent (`started`: on the hearing thread, or
    on the loop where it is bars kept alone), taken in before a later bar is decided (`ready`), where the bar it is
    due at waits for it (the loop meanwhile serves the other streams). One job a stream at a time: a job works out all
    the work it finds."""

    def __init__(self, local: LocalDrummer) -> None:
        self._local = local
        self._job: asyncio.Future[Any] | None = None

    def started(self, state: Any) -> Any:
        """The state with a finished job's work taken in, and the work its bars left worked out: here where it is
        bars kept alone, else started on the hearing thread (where a job still runs, the next takes it)."""
        if state is None or not self._local.hears():
            return state
        if self._job is not None and self._job.done():
            state = self._taken(state)
        if self._job is None and self._local.drummer.waits(state):
            if self._local.light(state):
                return self._local.after(state)
            self._job = asyncio.get_running_loop().run_in_executor(HEARING, self._local.after, state)
            self._job.add_done_callback(lambda job: job.cancelled() or job.exception())  # read, if none awaits it
        return state

    async def ready(self, state: Any, index: int) -> Any:
        """The state bar `index` is decided with: a finished job's work taken in, and one due by the bar waited for."""
        if self._job is None or state is None:
            return state
        if not self._job.done() and not self._local.drummer.waits(state, index):
            return state  # due at a later bar: it goes on
        await asyncio.wait((self._job,))
        return self._taken(state)

    def _taken(self, state: Any) -> Any:
        job, self._job = self._job, None
        assert job is not None
        return self._local.drummer.merged(state, job.result())  # the thread's failure, raised here (INTERNAL)
