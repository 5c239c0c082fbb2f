"""numpy's BLAS on one thread while the network runs: the same scores, so the same drums, whatever the process's BLAS
threads (the command line's one a core, a server worker's one). Offline generation (`DrumGenerator`) and the live
drummer (`ModelDrummer.next_bar`) both run under it; it lives beside the network, below both.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any


class _OneBlasThread:
    """numpy's BLAS on one thread while any generation runs in this process (threads included: the first to enter
    sets the limit, the last to leave restores what was there). Each BLAS library is read and set directly, and only
    where it is not on one thread already: threadpoolctl's `limit` (the same sets, after reading every library's
    whole info) cost 13 us a live bar."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._users = 0
        self._blas: list[Any] | None = None
        self._restore: list[tuple[Any, Any]] = []  # (library, its threads before the first user entered)

    def __enter__(self) -> None:
        with self._lock:
            if self._users == 0:
                if self._blas is None:
                    from threadpoolctl import ThreadpoolController

                    # the BLAS libraries loaded (3 ms, once)
                    self._blas = ThreadpoolController().select(user_api="blas").lib_controllers
                self._restore = [(blas, threads) for blas in self._blas if (threads := blas.get_num_threads()) != 1]
                for blas, _ in self._restore:
                    blas.set_num_threads(1)
            self._users += 1

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self._users -= 1
            if self._users == 0:
                for blas, threads in self._restore:
                    blas.set_num_threads(threads)
                self._restore = []


ONE_BLAS_THREAD = _OneBlasThread()


def one_blas_thread(method: Callable[..., Any]) -> Callable[..., Any]:
    """Run `method` with numpy's BLAS on one thread. With more, OpenBLAS splits its sums by thread and the last bits
    of the scores change with the thread count, which was enough to change a later take for the same seed (a real
    song, take 2 of 4) between the command line (a BLAS thread per core) and the server's workers (one each). Same
    song, options and seed, same drums, wherever they are made; one thread also costs nothing measurable here."""

    @functools.wraps(method)
    def limited(*args: Any, **kwargs: Any) -> Any:
        with ONE_BLAS_THREAD:
            return method(*args, **kwargs)

    return limited
