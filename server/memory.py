"""Memory of the server's processes: resident size, handing freed heap back to the OS, and garbage collection
kept out of a job's way. Linux and glibc where they exist; elsewhere each step quietly does nothing."""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import os
from typing import Any

MiB = 1024 * 1024


def rss_bytes(pid: int | str = "self") -> int:
    """Resident memory of a process (0 where /proc is missing)."""
    try:
        with open(f"/proc/{pid}/statm") as stream:
            return int(stream.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


_libc: Any = None
_M_TRIM_THRESHOLD = -1  # glibc's mallopt parameters
_M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD_BYTES = MiB
JOB_HEAP_BYTES = 32 * MiB  # a worker's buffers up to this size come from its heap, which free() never trims
TRIM_SLACK_BYTES = 16 * MiB  # a worker within this of its warm size keeps its freed heap for the next job


def _glibc() -> Any:
    global _libc
    if _libc is None:
        name = ctypes.util.find_library("c")
        _libc = ctypes.CDLL(name) if name else False
    return _libc


def release_memory(keep_bytes: int = 0) -> None:
    """Collect a job's garbage, then, if the process is larger than `keep_bytes` (0: always), hand freed heap pages
    back to the OS (glibc keeps them otherwise, and RSS never falls after a burst). Workers run with the garbage
    collector off (see `collect_between_jobs`), so this is where their cyclic garbage goes.

    A worker keeps its heap while it stays within `TRIM_SLACK_BYTES` of its warm size: handing the ~8 MiB a song
    uses back after every job made the next job fault all of it in again (2,000 page faults, several ms of a
    4-minute song's job)."""
    gc.collect()
    if keep_bytes and rss_bytes() <= keep_bytes:
        return
    libc = _glibc()
    if libc and hasattr(libc, "malloc_trim"):
        libc.malloc_trim(0)


def keep_large_buffers_off_the_heap() -> None:
    """glibc gives allocations above its mmap threshold their own mappings, which go back to the OS when freed, but
    it raises that threshold (up to 32 MiB) whenever such a buffer is freed; after that, multi-MiB request buffers
    come from the heap and stay there (the gRPC process kept 70-130 MiB after a burst of 6 MiB uploads, malloc_trim
    or not). A fixed threshold keeps them out of this (the gRPC) process. Not of the workers: there it made every
    numpy array over 1 MiB a fresh mapping, faulted in page by page in every job (2,500 page faults in a 4-minute
    song's job); a worker gives memory back after a large job instead (`release_memory`) and is replaced if it
    still grew (`--recycle-mib`)."""
    libc = _glibc()
    if libc and hasattr(libc, "mallopt"):
        libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)


def keep_job_buffers_on_the_heap() -> None:
    """A worker's own thresholds: buffers up to `JOB_HEAP_BYTES` come from the heap, and free() leaves its top in
    place (`release_memory` trims between jobs instead). glibc's own thresholds move with the process's history: in
    a worker whose history left them low, every job mapped its numpy temporaries afresh and faulted them in page by
    page, in another none; fixed, no job's speed depends on what the worker did before (docs/benchmarks.md, "The
    plan's time")."""
    libc = _glibc()
    if libc and hasattr(libc, "mallopt"):
        libc.mallopt(_M_MMAP_THRESHOLD, JOB_HEAP_BYTES)
        libc.mallopt(_M_TRIM_THRESHOLD, 2 * JOB_HEAP_BYTES)


def collect_between_jobs() -> None:
    """Garbage collection only between jobs. With the model and every module loaded (hundreds of thousands of
    objects that live as long as the worker), a collection that ran mid-job walked them all: about 60 ms a job,
    a third of a 4-minute song's. They are frozen out of collection, and the collector is off during jobs;
    `release_memory` collects after each, before the worker's size is taken, in a few ms."""
    gc.collect()
    gc.freeze()
    gc.disable()
