"""The take steps of a swung song (groove.decide `TAKE_STEPS`): the jazz ride's spang-a-lang where the song swings by
its own reading, the swung time-keeping on the last beat of a bar, and the bars the render swings or leaves straight
as the plan's parts are named (`plan_swing`). Each `step(take, finish) -> None`, in place."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from seq2drum.groove import voices
from seq2drum.groove.finish import Finish
from seq2drum.groove.policy import ChosenPart, ChosenParts, Take
from seq2drum.groove.variations import play_cells
from seq2drum.options import GENRES

JAZZ = GENRES[0]  # the genre whose drummers ride the spang-a-lang
STRAIGHT_TIME = ("eighths", "16ths")  # the subdivisions a part the musician names plays straight in a swung song


def swings(finish: Finish) -> bool:
    """Whether the swung time-keeping steps play: the song swings by its own reading, no --swing, --style, --density."""
    options = finish.options
    return (finish.swung and finish.grid is not None and options.swing is None and options.style is None
            and options.density == 1.0)


def jazz_ride(take: Take, finish: Finish) -> None:
    """hits (ride, closed hat): in a song that swings by its own reading (`swings`), a bar kept on the ride plays the
    jazz ride, the spang-a-lang with the hi-hat foot on the backbeats (groove.voices `jazz_ride`), the added cells
    with the model's velocity and timing, but a bar that plays the user's loop bar exactly. A swung band heard as
    another music than jazz (a rock shuffle, a blues) keeps the ride the take decided (the spang-a-lang is a jazz
    drummer's, issue 100) but where its plan names a jazz ride; one heard as jazz plays it but where its plan names
    a straight ride part or a hat part, but a walking waltz's (a part sounds as named: jazz/'s take 2, issue 100)."""
    if not swings(finish):
        named_jazz_ride(take, finish)
        return
    other = finish.genre not in (None, JAZZ)  # heard as another music: only the bars its plan names a jazz ride
    named = planned_bars(finish.plan_parts, len(take.hits), lambda part: part.keeper == "ride"
                         and (part.subdivision == "swung") == other)
    hats = planned_bars(finish.plan_parts, len(take.hits), lambda part: part.keeper in ("closed_hat", "open_hat"))
    _spang_a_lang(take, finish, _looped(take, finish) | (~named if other else named), hats)


def named_jazz_ride(take: Take, finish: Finish) -> None:
    """hits (ride, closed hat): where the `jazz_ride` step does not play (a straight song, or --swing or --density
    asked; not under a --style), the bars the musician named a jazz ride (--parts) play its spang-a-lang as in a
    swung song (groove.voices `jazz_ride`), which the render swings at the triplet (`plan_swing`) or at --swing: kept
    in swung eighths, the ride struck every beat's skip and read back as "16ths" or "quarters on the ride" (issue
    100)."""
    bound = finish.plan_parts
    if finish.grid is None or bound is None or bound.named is None or finish.options.style is not None:
        return
    n = len(take.hits)
    named = planned_bars(bound, n, lambda part: part.keeper == "ride" and part.subdivision == "swung")
    named[: len(bound.named)] &= bound.named[:n]
    named[len(bound.named):] = False
    if named.any():
        _spang_a_lang(take, finish, _looped(take, finish) | ~named)


def _spang_a_lang(take: Take, finish: Finish, leave: np.ndarray, hats: np.ndarray | None = None) -> None:
    """The jazz ride (groove.voices `jazz_ride`) in the bars of `take` but those it leaves (and a hat part's,
    `hats`), the added cells played with the model's velocity and timing."""
    walking = voices.walks(finish.scores.bass_onsets, finish.grid, finish.scores.first_bar)
    added = voices.jazz_ride(take.hits, finish.grid, finish.scores.first_bar, leave, walking, hats)
    take.velocity[:] = np.where(take.hits, take.velocity, 0)
    take.offset[:] = np.where(take.hits, take.offset, 0)
    play_cells(take, finish.scores, np.flatnonzero(added))


def _looped(take: Take, finish: Finish) -> np.ndarray:
    """(n,) bool the bars that play the user's loop bar exactly, and those whose time is the musician's straight part
    (`Finish.musicians_time`): left as they are by the steps that voice a swung song's time."""
    looped = users_loop(take, finish)
    return looped if finish.musicians_time is None else looped | finish.musicians_time


def users_loop(take: Take, finish: Finish) -> np.ndarray:
    """(n,) bool the bars that play the user's loop bar (the drums the user gave) exactly; none without one."""
    given = finish.continuation
    if given is None:
        return np.zeros(len(take.hits), dtype=bool)
    return given.preferred & (take.hits == given.preferred_hits).all(axis=(1, 2))


def swung_time_keeping(take: Take, finish: Finish) -> None:
    """hits (hats, ride): a song that swings by its own reading, with no --swing, --style or --density asked, gets
    time-keeping that carries the swing on the last beat of each simple x/4 bar (groove.voices
    `swung_time_keeping`); a bar that plays the user's loop bar exactly is left to the user's notes, and a bar the
    jazz ride played to its skip note."""
    if not swings(finish):
        return
    # the bars the jazz ride played (the step before) carry the swing on its skip note already
    leave = voices.jazz_time_bars(take.hits, finish.grid, finish.scores.first_bar) | _looped(take, finish)
    voiced = voices.swung_time_keeping(take, finish.grid, finish.scores.first_bar, leave)
    take.hits[:], take.velocity[:] = voiced.hits, voiced.velocity


def plan_swing(take: Take, finish: Finish) -> None:
    """swung_bars: in a song that does not swing by its own reading (no --swing asked), the bars of the plan's swung
    parts ("swung eighths on the hat", a shuffle, a jazz ride), which the render swings as the part is named
    (render.pipeline `swung`; issue 99: played straight, they were heard as another part, "eighths on the open
    hat"); in a song that swings, the bars of the swung parts the musician named, which the render swings at the
    triplet where the band swings less (issue 100: at St Louis Blues' 0.60 they read back as 16ths). straight_bars:
    in a song that swings, the bars of the eighths or 16ths the musician named straight (`Finish.musicians_time`),
    which the render leaves straight as named (issue 100: swung, they read back swung)."""
    bound = finish.plan_parts
    if bound is None or finish.options.swing is not None:
        return
    n = min(len(take.hits), len(bound.parts))
    swung = planned_bars(bound, n, lambda part: part.subdivision == "swung")
    if finish.swung:
        if finish.musicians_time is not None:
            straight = planned_bars(bound, n, lambda part: part.subdivision in STRAIGHT_TIME)
            if (straight := straight & finish.musicians_time[:n]).any():
                take.straight_bars = straight
        swung &= bound.named[:n] if bound.named is not None else False
    if swung.any():
        take.swung_bars = swung


def planned_bars(bound: ChosenParts | None, n: int, named: Callable[[ChosenPart], bool]) -> np.ndarray:
    """(n,) bool the bars whose bound part (the take's plan, `Finish.plan_parts`) is `named`; none without one."""
    out = np.zeros(n, dtype=bool)
    if bound is not None:
        for row, k in enumerate(bound.parts[:n].tolist()):
            out[row] = k >= 0 and named(bound.chosen_parts[k])
    return out
