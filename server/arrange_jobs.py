"""The Arrange call's job on a worker (issue 87): a song's sections and the parts each can play, ranked, as
`main.py --mode arrange` lists them (generation.arrange `song_arrangement`), and with `drummer` the part the song's
own drummer plays in each. Read within the server's limits like a Generate job; the answer is plain data (dicts,
lists, strings, floats) for the worker's pipe, turned into an ArrangeResponse by server.convert
`arrangement_to_proto`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from seq2drum.midi.limits import ReadLimits
from seq2drum.options import GenerationOptions


@dataclass
class ArrangeJob:
    """A song to arrange, its options (what the drums listen to) and whether to read its own drummer too."""

    midi: bytes
    options: GenerationOptions
    limits: ReadLimits
    drummer: bool = False


@dataclass
class ArrangeResult:
    """The arrangement as plain data: `sections` (key, label, occurrence, first_bar, bars, meter_family, parts: a
    list of (id, name, score) best first, drummer: (id, name, score) or None, borrowed: ((id, name, score) or None, the
    --parts-from mapping's line), with options.parts_from)."""

    sections: list[dict[str, Any]]
    heard_band: bool
    drummer_parts: str
    model_name: str
    model_version: str
    bars: int = 0
    heard: str = ""  # "heard: jazz, swung, 12-bar blues"
    rss_bytes: int = 0  # the worker's resident memory after the job (the pool reads it)
    timings_ms: dict[str, float] = field(default_factory=dict)


def arrange_song(generator: Any, job: ArrangeJob) -> ArrangeResult:
    """The worker's handler: read the song within the limits (its drums too, for `drummer`), arrange it. Raises the
    library's domain errors (a song without drums asked for its drummer, a model without parts)."""
    from seq2drum.generation.arrange import song_arrangement
    from seq2drum.midi.io import read_midi

    song = read_midi(job.midi, limits=job.limits, only_guitar=False, track=job.options.track)
    result = song_arrangement(generator, song, dataclasses.replace(job.options, parts=None), drummer=job.drummer)
    arrangement, drummer = result.arrangement, result.drummer or {}

    def ranked(part: Any) -> tuple[int, str, float]:
        return int(part.id), str(part.name), float(part.score)

    borrowed = {}  # options.parts_from: the part another song's drummer gives each section, and the mapping's line
    if job.options.parts_from:
        from seq2drum.generation.parts_from import drummers_arrangement, paired

        for pair in paired(result, drummers_arrangement(generator, job.options.parts_from, job.options),
                           generator.planner):
            part = next((r for r in arrangement.ranking[pair.section.key] if r.id == pair.part), None)
            borrowed[pair.section.key] = (None if part is None else ranked(part), pair.line())
    sections = [{"key": s.key, "label": s.label, "occurrence": s.occurrence, "first_bar": s.first_bar,
                 "bars": s.n_bars, "meter_family": s.family,
                 "parts": [ranked(part) for part in arrangement.ranking[s.key]],
                 "drummer": ranked(drummer[s.key]) if s.key in drummer else None,
                 "borrowed": borrowed.get(s.key, (None, ""))} for s in arrangement.sections]
    return ArrangeResult(sections, arrangement.heard_band, result.parts_value() if result.drummer else "",
                         generator.info.name, generator.info.version, bars=arrangement.n_bars, heard=result.heard)
