"""The musician's parts, live (issue 87 item 6): which part the live drummer plays in each bar, as a schedule of
(first bar, part) the stream's `--parts` bar ranges start and each switch while playing adds. A switch takes effect
where the next phrase starts (phrases of PHRASE_BARS bars counted from the band's first bar, as the live span counts
them), as a drummer told "ride in the chorus" changes at the chorus, not in the middle of a bar's phrase. A part is
named as `--parts` names one (a name or an id of the bar's meter, `[13]`, or a style, in any letter case);
"model" gives the bar back to the model. Section letters are not known while the band plays: live, `--parts` takes
bar ranges only.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import numpy as np

from seq2drum.errors import ConfigError
from seq2drum.live.api import MAX_PART_CHARS
from seq2drum.live.api import MODEL_PART as MODEL
from seq2drum.parts.arrangement import parse_parts, part_of, value_kind
from seq2drum.parts.labels import Phrase, family_of
from seq2drum.parts.plan_value import Plan, PlanSource
from seq2drum.song.phrases import PHRASE_BARS


def live_schedule(spec: str | None, planner: Any) -> tuple[tuple[int, str], ...]:
    """The schedule `--parts` starts a stream with: each `first-last=PART` entry plays PART from bar first to bar
    last (song bars from 1, the stream's bar 0 its bar 1), then the model again. ConfigError for a section key or a
    part no meter has."""
    schedule: list[tuple[int, str]] = []
    for key, value in parse_parts(spec or ""):
        bars = re.fullmatch(r"(\d{1,5})\s*-\s*(\d{1,5})", key)
        if bars is None:
            raise ConfigError(f"--parts {key}={value}: live, parts are given by bar range (33-40=PART): a section's "
                              "letter is not known while the band plays; switch part while playing instead")
        first, last = int(bars.group(1)), int(bars.group(2))
        if not 1 <= first <= last:
            raise ConfigError(f"--parts range {key}: name bars first-last, from bar 1")
        checked(value, planner)
        schedule += [(first - 1, value), (last, MODEL)]
    return tuple(sorted(schedule, key=lambda entry: entry[0]))


def checked(value: str, planner: Any) -> str:
    """`value` when it names a part of some meter as `--parts` reads one (parts.arrangement `part_of`: an id, `[13]`,
    a name or a style in any letter case), or MODEL in any case (given back as MODEL); else ConfigError naming what
    fits."""
    value = value.strip()
    if planner is None:
        raise ConfigError("this live model has no parts file beside it (parts.npz): it plays no part you name")
    if value.lower() == MODEL:
        return MODEL
    if value_kind(value, planner):
        return value
    raise ConfigError(f"part {value[:MAX_PART_CHARS]!r} is neither a part's name or id nor a style (main.py --mode "
                      f"arrange lists a song's, --mode styles the styles), nor {MODEL!r} (the model's own again)")


def switched(schedule: tuple[tuple[int, str], ...], value: str, bar_index: int, first: int | None
             ) -> tuple[tuple[int, str], ...]:
    """The schedule with a switch to `value` asked before bar `bar_index`: from the next phrase's first bar (that
    bar itself where a phrase starts there), phrases counted from the band's first bar `first` (None: the band has
    not played yet, so from its first bar, which is a phrase's first)."""
    start = bar_index if first is None else first + -(-max(bar_index - first, 0) // PHRASE_BARS) * PHRASE_BARS
    kept = [entry for entry in schedule if entry[0] < start]
    return (*kept, (start, value))


def bar_part(schedule: tuple[tuple[int, str], ...], planner: Any, bar_index: int, bar_steps: int,
             beat_steps: int, steps_per_quarter: int = 4) -> int:
    """The part the musician chose for bar `bar_index` (-1: none, the model's choice), of the bar's meter family: a
    part of another meter plays as the model would (a switch that does not fit the bar is not forced on it)."""
    value = next((value for start, value in reversed(schedule) if start <= bar_index), MODEL)
    if value.strip().lower() == MODEL or planner is None:
        return -1
    family = family_of(bar_steps, beat_steps, steps_per_quarter)
    try:
        return part_of(value, "live", planner, None, {}, family)
    except ConfigError:
        return -1


def live_plan(planner: Any, part: int, told: dict[int, Plan] | None = None) -> Plan:
    """The bar to be played as one phrase of the musician's `part`, no fill planned (live fills its own): made once
    a part where `told` keeps them (the drummer's: a part's plan is the same in every bar and stream, and keeps what
    the decision makes of it, `Plan.made`)."""
    if told is not None and part in told:
        return told[part]
    plan = planner.plan([Phrase(0, 1, 0, 0, 0)], np.array([part]), 1, source=PlanSource.MUSICIAN)
    plan = replace(plan, fills=np.zeros(1, dtype=bool), chosen=np.ones(1, dtype=bool))
    if told is not None:
        told[part] = plan
    return plan
