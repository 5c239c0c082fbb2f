"""The page's arrangement (issue 87): an uploaded song's sections and the parts each can play, best first, from the
backend (the studio's own workers or the seq2drum servers' Arrange call), for the musician to choose a part per
section before the takes are made (the choice goes in the form's `parts`, as `--parts` on the command line).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from seq2drum.errors import ConfigError

from .form import MAX_FORM_BYTES, read_form

if TYPE_CHECKING:
    from starlette.requests import Request


async def arrange_song(studio: Any, request: Request) -> dict[str, Any]:
    """{sections: [{key, label, occurrence, first_bar, bars, meter_family, parts: [{id, name}] best first}]} of the
    song the form names, read as its options say (what the drums listen to). `studio`: app.Studio (a cycle)."""
    session_id = request.path_params["session"]
    session = studio.store.get(session_id)
    body = await studio.limits.receive(request, MAX_FORM_BYTES, "the form", "choose a shorter groove clip")
    song_id, options = await asyncio.to_thread(read_form, body)
    if song_id is None:
        raise ConfigError("drop a song first: drums from nothing have no sections to arrange")
    song = session.song(song_id)
    midi = await asyncio.to_thread(song.path.read_bytes)
    sections = await studio.while_page_stays(session_id, request, studio.backend.arrange(midi, options))
    return {"sections": sections}
