"""A worker's heap thresholds (server.memory `keep_job_buffers_on_the_heap`): its numpy temporaries come from the heap
and stay there between uses, whatever the worker's history, so a job does not fault them in page by page."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from server import memory, workers

_FAULTS = textwrap.dedent("""
    import resource, sys
    import numpy as np
    from server.memory import keep_job_buffers_on_the_heap
    np.ones(2**17).sum()  # a history: a 1 MiB buffer mapped and freed sets glibc's thresholds (mmap 1, trim 2 MiB)
    if sys.argv[1] == "fixed":
        keep_job_buffers_on_the_heap()
    def job():  # temporaries of under 1 MiB, eight alive at once (a song's network pass holds a few like these)
        arrays = [np.full(110_000, float(k)) for k in range(8)]
        return sum(float(a.sum()) for a in arrays)
    job()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(20):
        job()
    print((resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 20)
""")


def _faults(mode: str) -> float:
    """Page faults a job, after one job, in a fresh process whose history left glibc's thresholds low."""
    out = subprocess.run([sys.executable, "-c", _FAULTS, mode], capture_output=True, text=True, check=True)
    return float(out.stdout.split()[-1])


LINUX_ONLY = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="glibc's mallopt and the page-fault count: Linux only")


@LINUX_ONLY
def test_glibcs_own_thresholds_fault_a_jobs_buffers_in_again():
    """The problem, on this glibc: the heap's top (7 MiB) is handed back after every job, and the next faults it in."""
    assert _faults("default") > 1000


@LINUX_ONLY
def test_fixed_thresholds_keep_a_jobs_buffers_faulted_in_once():
    assert _faults("fixed") < 50  # the next job finds its pages in place


def test_the_thresholds_are_set_through_mallopt(monkeypatch):
    calls = []

    class Libc:
        def mallopt(self, parameter, value):
            calls.append((parameter, value))
            return 1

    monkeypatch.setattr(memory, "_libc", Libc())
    memory.keep_job_buffers_on_the_heap()
    assert calls == [(memory._M_MMAP_THRESHOLD, memory.JOB_HEAP_BYTES),
                     (memory._M_TRIM_THRESHOLD, 2 * memory.JOB_HEAP_BYTES)]


def test_without_glibc_nothing_happens(monkeypatch):
    monkeypatch.setattr(memory, "_libc", False)
    memory.keep_job_buffers_on_the_heap()  # no mallopt to call: quietly nothing


def test_a_worker_fixes_them_after_loading_and_before_its_first_job(monkeypatch):
    order = []
    monkeypatch.setattr(workers, "_yield_to_the_server", lambda: None)
    monkeypatch.setattr(workers, "_load", lambda conn, source: order.append("load") or (object(), None, {}))
    monkeypatch.setattr(workers, "keep_job_buffers_on_the_heap", lambda: order.append("thresholds"))
    monkeypatch.setattr(workers, "collect_between_jobs", lambda: None)
    monkeypatch.setattr(workers, "release_memory", lambda keep_bytes=0: None)

    class Conn:
        def send(self, message):
            order.append(message[0])

        def recv(self):
            return None  # told to stop

    workers.worker_main(Conn(), source=None)
    assert order == ["load", "thresholds", "ready"]
