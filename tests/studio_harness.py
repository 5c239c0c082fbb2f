"""Test harnesses for the studio (a harness, not part of what `seq2drum-studio` runs): the whole studio in a thread on
port 0, plain HTTP calls to it, and a headless browser (Debian's chromium driven by Playwright) or the reason there
is none. Songs built in code for it are in tests/studio_songs.py.
"""

from __future__ import annotations

import json
import shutil
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from seq2drum.studio.app import Studio, create_app
from seq2drum.studio.backends import LocalBackend, RemoteBackend, StudioBusyError
from seq2drum.studio.serve import address_of, allowed_hosts, listen, web_server
from seq2drum.studio.store import Store
from server.config import ServerConfig

BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
BROWSER_ARGS = ["--no-sandbox", "--autoplay-policy=no-user-gesture-required", "--mute-audio"]


class IdleBackend:
    """A backend that makes no drums (generation is refused as busy): for tests of the studio's own limits, files and
    routes, without the seconds it takes to start worker processes."""

    def start(self) -> str:
        return "no model (a test's idle backend)"

    async def generate(self, midi: bytes, options: Any) -> Any:
        raise StudioBusyError("this test studio makes no drums")

    async def styles(self) -> list[dict[str, Any]]:
        return []

    def sweep(self) -> None:
        pass

    def close(self) -> None:
        pass


class FixedBackend(IdleBackend):
    """A backend whose every song gets the same takes (`Takes`): for tests of what the studio does with them."""

    def __init__(self, takes: Any) -> None:
        self.takes = takes

    def start(self) -> str:
        return "no model (a test's fixed takes)"

    async def generate(self, midi: bytes, options: Any) -> Any:
        return self.takes


class StudioThread:
    """A studio (its backend started, its files in a fresh temporary folder) served by uvicorn on a thread:

        with StudioThread(LocalBackend(checkpoint, config), config) as studio:
            urllib.request.urlopen(studio.url + "api/config")
    """

    def __init__(self, backend: LocalBackend | RemoteBackend | IdleBackend, config: ServerConfig,
                 host: str = "127.0.0.1", ttl_s: float = 600.0, parent: Path | None = None,
                 **store_caps: int) -> None:
        self.backend = backend
        self.config = config
        self.store = Store(ttl_s=ttl_s, parent=parent, **store_caps)  # store_caps: max_bytes, max_session_bytes
        self.host = host
        self.studio: Studio | None = None
        self.url = ""
        self._server: Any = None
        self._thread: threading.Thread | None = None

    def start(self) -> StudioThread:
        words = self.backend.start()
        sock = listen(self.host, 0)
        self.url = address_of(sock)
        self.studio = Studio(self.backend, self.config, self.store, words)
        self._server = web_server(create_app(self.studio, allowed_hosts(sock.getsockname()[0])))
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]}, daemon=True,
                                        name="seq2drum-studio")
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                self.stop()
                raise RuntimeError("the studio did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(15)
        self.backend.close()
        self.store.remove_all()

    def __enter__(self) -> StudioThread:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def call(url: str, data: bytes | None = None, method: str | None = None,
         headers: dict[str, str] | None = None) -> tuple[int, Any]:
    """(status, JSON answer or raw bytes) of one HTTP request; errors are answers too."""
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            status, body, kind = answer.status, answer.read(), answer.headers.get("content-type", "")
    except urllib.error.HTTPError as error:
        status, body, kind = error.code, error.read(), error.headers.get("content-type", "")
    return status, json.loads(body) if "json" in kind else body


def post_json(url: str, payload: Any) -> tuple[int, Any]:
    return call(url, json.dumps(payload).encode(), "POST", {"content-type": "application/json"})


def browser_path() -> str | None:
    """Debian's chromium (or another Chrome) on PATH, None when there is none."""
    return next((path for path in map(shutil.which, BROWSER_NAMES) if path), None)


def no_browser_reason() -> str:
    """Why the browser tests cannot run here ("" when they can)."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (python -m pip install -r requirements-dev.txt)"
    if browser_path() is None:
        return ("no chromium on PATH (as root: apt-get install -y chromium; .ci/run does it where it can); "
                "Playwright's own browser download is not used")
    return ""
