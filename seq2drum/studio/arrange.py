"""The page's arrangement (issue 87): an uploaded song's sections and the parts each can play, best first, from the
backend (the studio's own workers or the seq2drum servers' Arrange call), for the musician to choose a part per
section before the takes are made (the choice goes in the form's `parts`, as `--parts` on the command line); for a song
with drums, the part its own drummer plays in each section too (`--mode arrange --drummer`), which one button on the
page lays over the choices.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from seq2drum.errors import ConfigError

from .form import MAX_FORM_BYTES, read_form
from .songs import has_drums

if TYPE_CHECKING:
    from starlette.requests import Request


async def arrange_song(studio: Any, request: Request) -> dict[str, Any]:
    """{sections: [{key, label, occurrence, first_bar, bars, meter_family, parts: [{id, name}] best first, drummer:
    {id, name} or null}], drummer: {sections, why}} of the song the form names, read as its options say (what the
    drums listen to). `drummer`: the song's own drummer's part in each section, as `--mode arrange --drummer` reads it
    (the page's button that fills the choices with it): how many sections he plays a part in, and where he plays
    none, why. `studio`: app.Studio (a cycle)."""
    session_id = request.path_params["session"]
    session = studio.store.get(session_id)
    body = await studio.limits.receive(request, MAX_FORM_BYTES, "the form", "choose a shorter groove clip")
    song_id, options = await asyncio.to_thread(read_form, body)
    if song_id is None:
        raise ConfigError("drop a song first: drums from nothing have no sections to arrange")
    song = session.song(song_id)
    midi = await asyncio.to_thread(song.path.read_bytes)
    drums = await asyncio.to_thread(has_drums, midi, studio.config.limits)  # --drummer refuses a song without them
    sections = await studio.while_page_stays(session_id, request, studio.backend.arrange(midi, options, drums))
    return {"sections": sections, "drummer": drummer_summary(sections, drums)}


def drummer_summary(sections: list[dict[str, Any]], drums: bool) -> dict[str, Any]:
    """{sections: how many sections the song's drummer plays a part in, why: "" or why the page's drummer button
    fills nothing}."""
    played = sum(section.get("drummer") is not None for section in sections)
    if not drums:
        why = "this song has no drums (channel 10), so there is no drummer's arrangement to read"
    elif not played:
        why = "none of the song's drummer's phrases is in a section's meter, so he plays no part the sections can"
    else:
        why = ""
    return {"sections": played, "why": why}
