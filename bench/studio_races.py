"""The close race against a running studio (issue 69 N1), for bench/fuzz_studio.py: a page with a song and a take
asks for another take, its drums.mid, its song.mid and its mix.wav while its close beacon goes, all five at once (what
a page's beacon does while it still fetches). Each request must end in its answer whole or in the closed page's
one-line 410; never a 5xx, an answer cut short of its Content-Length, or one naming a path of the studio's.
"""

from __future__ import annotations

import json
import re
import threading
from typing import Any, Protocol

RACE_KINDS = ("takes", "drums.mid", "song.mid", "mix.wav", "close")
# 503: every worker busy (the fuzz's other requests); 504: a song past its time; 501: no audio extra for mix.wav
RACE_EXPECTED = {"takes": {200, 410, 503, 504}, "drums.mid": {200, 410}, "song.mid": {200, 410},
                 "mix.wav": {200, 410, 501}, "close": {204}, "setup": {200, 503, 504}}
STUDIO_PATH = re.compile(r"seq2drum-studio-|/tmp/|\.sending|[0-9a-f]{12}\.(drums\.)?mid")  # what a studio path holds


class Requester(Protocol):
    def request(self, method: str, path: str, body: bytes = b"",
                headers: dict[str, str] | None = None) -> tuple[int, object]: ...


def names_a_path(answer: object) -> bool:
    """Whether an answer (JSON or a file's bytes) names one of the studio's files or folders: only JSON is looked
    at, since a MIDI or WAV file's bytes can hold anything."""
    return isinstance(answer, dict) and bool(STUDIO_PATH.search(json.dumps(answer)))


def close_race(client: Requester, song: bytes) -> list[tuple[str, int, object]]:
    """One round: a fresh page (its song, one take), then the five requests at once; (what, status, answer) each.
    A page whose first take could not be made (every worker busy) is closed and reported as "setup"."""
    status, answer = client.request("POST", "/api/sessions")
    session = answer["session"]  # type: ignore[index]
    api = f"/api/sessions/{session}"
    _, view = client.request("POST", f"{api}/songs?name=race.mid", song)
    song_id = view.get("song") if isinstance(view, dict) else None
    form = json.dumps({"song": song_id, "options": {"takes": "1", "seed": "3"}}).encode()
    status, made = client.request("POST", f"{api}/takes", form, {"Content-Type": "application/json"})
    if status != 200 or not isinstance(made, dict):
        client.request("POST", f"{api}/close")
        return [("setup", status, made)]
    take = made["takes"][0]["id"]
    requests: list[tuple[str, str, bytes, dict[str, str]]] = [
        ("POST", f"{api}/takes", form, {"Content-Type": "application/json"}),
        *(("GET", f"{api}/takes/{take}/{kind}", b"", {}) for kind in ("drums.mid", "song.mid", "mix.wav")),
        ("POST", f"{api}/close", b"", {})]
    answers: list[Any] = [None] * len(requests)
    start = threading.Barrier(len(requests))

    def send(index: int) -> None:
        start.wait()
        answers[index] = client.request(*requests[index])

    senders = [threading.Thread(target=send, args=(index,), daemon=True) for index in range(len(requests))]
    for sender in senders:
        sender.start()
    for sender in senders:
        sender.join(120)
    return [(kind, *(answer or (-1, {"error": "no answer in 120 s"}))) for kind, answer in zip(RACE_KINDS, answers)]
