"""What the live drummer hears of the band (issue 102), causally: a bar uses only the bars heard before it.

`Hearing` keeps the band's bars as they come (their notes, the live features and probabilities the network had of
them). Every DESCRIBE_BARS bars, half a plan after a plan, it reads the bars heard since (band.running `RunningBand`:
the band described as a song cut there is, its instruments unknown) and hears its genre (band.heard `heard_genre`: the
musician's --genre where given) for the jazz ride step, as offline. Every PLAN_BARS bars from the band's first it draws
the plan again: the part model's likeliest part in the last phrase heard (its forward pass over the last WINDOW_BARS
bars, with the description's song-wide columns; with HEARD_CHOICES, then offline take 1's heard ride and feel) is the
part the next bars play (`told_plan`), where a bar is of its meter family; a part the musician chose plays instead.

Off the bar's critical path: `ModelDrummer.next_bar` decides bar n with the hearing of the bars before n-1 and leaves
bar n-1 (which came with n's call) `Unheard`, due at bar n + LATER_BARS (`Later`); `worked` takes it in after bar n's
drums are sent (a server's hearing thread) or in the call of the bar it is due at (which waits for a late thread), so
the drums never depend on timing. Figures: docs/experiments/2026-11-30-live-off-the-path.md, -live-worker.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, NamedTuple

import numpy as np

from seq2drum.band import BandDescription, HeardBar, RunningBand, counted_form, heard_genre
from seq2drum.band.heard import TWELVE
from seq2drum.feel.swing import HeardSwing
from seq2drum.live.api import BarClock, PlayedNote
from seq2drum.live.features import notes_by_role
from seq2drum.live.parts import live_plan
from seq2drum.midi.drums import NUM_DRUM_CLASSES
from seq2drum.midi.roles import BAND_ROLES
from seq2drum.parts.features import phrase_features
from seq2drum.parts.labels import cut_phrases, family_of
from seq2drum.parts.model import part_probabilities
from seq2drum.parts.plan import SWUNG_SHARE, SWUNG_SONG
from seq2drum.parts.plan_value import Held, Plan, PlanSource
from seq2drum.song.bars import BarSong
from seq2drum.song.band import role_bar_features
from seq2drum.song.columns import BAR, STEP

PLAN_BARS = 8  # the plan is re-drawn every this many bars from the band's first ...
DESCRIBE_BARS = 8  # the bars heard are read half a plan after each plan; the band described every this many
WINDOW_BARS = 32  # the plan reads the band of the last this many bars heard
PLAN_LEVELS = ("full",)  # the levels of part a plan tells (the live drummer keeps time while the band plays)
PLAN_GIVEN = 1  # with drums of the user's to go on with, tell their part (offline's GIVEN); 0: the model's, as without
# 1: the part gets offline take 1's heard ride and feel (Planner.heard_choices) over the last phrase's probabilities as
# decided; 0 (shipped): jazz/'s backbeat bars 0.98 -> 0.66 (drummers 0.45) but F1 0.507 -> 0.484, midi/ 0.4587 ->
# 0.4565: the causal network's hedged snare reads as comping, whose bound kick and snare miss (docs/experiments/
# 2026-11-30-live-hears-the-feel.md)
HEARD_CHOICES = 0
ROLES = ("guitar", *BAND_ROLES)
ONSET_COLUMNS = [STEP.index("onsets"), *(STEP.index(f"{role}_onsets") for role in BAND_ROLES)]  # role_onsets_per_bar's
UNKNOWN_BAR = [BAR.index("novelty"), BAR.index("guitar_density"),  # against the song: live, against the bar alone
               *(i for i, name in enumerate(BAR.names) if name.startswith("song_"))]
NO_PLAN = Plan.held_for(Held.LIVE)
# what a bar's call leaves for the hearing (the bar before kept; where due, the band read or the plan drawn) plays from
# this many bars after the call's bar: the next (a server's hearing thread has a whole bar to do it, 8-12 ms; a later
# bar would play every reading a bar later for no wait a player meets: docs/experiments/2026-11-30-live-worker.md)
LATER_BARS = 1


@dataclass(frozen=True)
class Hearing:
    """The band as heard so far: its reading (`band`), the bars heard since it was last read (`unread`, after
    `before`), the live features of the last WINDOW_BARS bars ((steps (S, n_step), bar features (n_bar,), bar steps,
    beat steps) each), what the last reading says (`described`: BandDescription.to_json's; `genre`; the options the
    bars are asked with, the genre heard in them) and the part the plan tells the bars since (-1: none), as a plan."""

    band: RunningBand = RunningBand()
    unread: tuple[tuple[BarClock, Sequence[PlayedNote]], ...] = ()
    before: HeardBar | None = None
    window: tuple[tuple[np.ndarray, np.ndarray, int, int], ...] = ()
    described: dict | None = None
    genre: str | None = None
    options: Any = None
    part: int = -1
    plan: Plan = NO_PLAN  # the part's plan (`told_plan`), made once per reading
    heard_p: tuple[np.ndarray, ...] = ()  # (S, 9) the network's probabilities of each bar of `window` (HEARD_CHOICES)
    first_read: int | None = None  # the stream's bar index of the band's reading's first row (the first bar kept)
    chorus_first: int | None = None  # a bar a chorus opens on, where the last reading hears a 12-bar blues (`counted`)


def with_bar(hearing: Hearing, played: Sequence[PlayedNote], clock: BarClock,
             read: tuple[np.ndarray, np.ndarray, int, int], p: np.ndarray | None = None) -> Hearing:
    """The hearing with one more bar heard (`played` up to its lead, on `clock`; `read`: live_bar's features of it;
    `p` (S, 9): the network's probabilities it was decided with, None: none; kept with HEARD_CHOICES alone, 70 kB of
    state), kept as it came: it is read with the next reading."""
    if HEARD_CHOICES:  # off as shipped: nothing kept, nothing made
        p = np.zeros((len(read[0]), NUM_DRUM_CLASSES)) if p is None else p
    return replace(hearing, unread=(*hearing.unread, (clock, played)), window=(*hearing.window, read)[-WINDOW_BARS:],
                   heard_p=(*hearing.heard_p, p)[-WINDOW_BARS:] if HEARD_CHOICES else (),
                   first_read=clock.index if hearing.first_read is None else hearing.first_read)


class Unheard(NamedTuple):
    """A bar the hearing has yet to take in (`heard`): its notes up to the lead on its clock and the network's reading
    of it (live_bar's; None: no bar read), the position after the band's first of the bar decided with it (None
    before the band: nothing due), and what a reading and a plan read of the stream's state as it was then (its
    options, swing, the user's loop bars), so that when the hearing takes it in never changes what it hears; `p`
    (S, 9): the network's calibrated probabilities the bar was decided with (None: none)."""

    played: Sequence[PlayedNote]
    clock: BarClock | None
    read: tuple[np.ndarray, np.ndarray, int, int] | None
    position: int | None
    options: Any
    swing: HeardSwing
    loop: tuple[np.ndarray, ...]
    loop_steps: tuple[int, ...]
    p: np.ndarray | None = None


class Later(NamedTuple):
    """The hearing's work a bar's call left (`unheard`), the bar whose call takes it in (`due`: LATER_BARS after the
    call's bar, however soon or late the work is done) and, once worked out, the hearing after it (`hearing`)."""

    due: int
    unheard: Unheard
    hearing: Hearing | None = None


def worked(hearing: Hearing, later: tuple[Later, ...], planner: Any) -> tuple[Later, ...]:
    """`later` with each entry's hearing worked out (`heard`), in order, from `hearing` (the one bars are decided with
    now): what a server's hearing thread runs after a bar's answer."""
    out = []
    for entry in later:
        hearing = entry.hearing if entry.hearing is not None else heard(hearing, planner, entry.unheard)
        out.append(entry if entry.hearing is not None else entry._replace(hearing=hearing))
    return tuple(out)


def light(later: tuple[Later, ...]) -> bool:
    """Whether the work `later` leaves to be worked out is bars kept alone, no reading nor plan due (`heard`): tens of
    microseconds, less than a thread's hop costs (the hand-over, the loop woken, the result taken in)."""
    return all(entry.hearing is not None or entry.unheard.position is None or not due(entry.unheard.position)
               for entry in later)


def taken_in(hearing: Hearing, later: tuple[Later, ...], planner: Any, index: int) -> tuple[Hearing, tuple[Later, ...]]:
    """The hearing bar `index` is decided with, and the work left for later bars: every entry due by `index` taken in
    (worked out here where no one did before: a caller with no hearing thread)."""
    count = sum(entry.due <= index for entry in later)  # the first entries: their due bars rise with the calls'
    if not count:
        return hearing, later
    hearing = worked(hearing, later[:count], planner)[-1].hearing
    assert hearing is not None
    return hearing, later[count:]


def merged(later: tuple[Later, ...], done: tuple[Later, ...]) -> tuple[Later, ...]:
    """`later` with the hearings a thread worked out on an earlier copy of it (`done`) filled in, entry by due bar (the
    same entries: the calls since took some in and added others)."""
    found = {entry.due: entry.hearing for entry in done if entry.hearing is not None}
    return tuple(entry._replace(hearing=found[entry.due]) if entry.hearing is None and entry.due in found else entry
                 for entry in later)


def heard(hearing: Hearing, planner: Any, bar: Unheard) -> Hearing:
    """The hearing with `bar` taken in: kept (`with_bar`), and where a reading or a plan is due at its position
    (`due`), the band read or the plan drawn (`replanned`, reading `bar`'s options, swing and loop)."""
    if bar.read is not None and bar.clock is not None:
        hearing = with_bar(hearing, bar.played, bar.clock, bar.read, bar.p)
    if bar.position is not None and due(bar.position):
        hearing = replanned(hearing, planner, bar, bar.position)
    return hearing


def due(position: int) -> bool:
    """Whether the bar `position` bars after the band's first is decided after a new reading of the band (half a plan
    after a plan: a bar is never held up by both) or a new plan (a phrase's first)."""
    return position > 0 and position % (PLAN_BARS // 2) == 0


def heard_bar(clock: BarClock, played: Sequence[PlayedNote], roles: tuple[str, ...] = ROLES) -> HeardBar:
    """A bar's notes of `roles` as the band's reader reads them (band.running), each role's on the bar's clock."""
    by_role = notes_by_role(played, roles)
    return HeardBar(clock.numerator, clock.denominator, float(clock.tempo_bpm),
                    tuple((role, notes) for role, notes in by_role.items() if len(notes)))


def replanned(hearing: Hearing, planner: Any, state: Any, position: int) -> Hearing:
    """The hearing before the bar `position` bars after the band's first: half a plan after a plan, the bars heard
    since read, and every DESCRIBE_BARS the band described and its genre heard (`read_band`); and the part the
    next bars play where the part model plans them as offline (parts.plan_value `Held`): a `planner` (None: none, or
    one that reads other columns), a band heard beside the guitar, no --guitar-only, --plan bars or --style; with
    drums of the user's to go on with (`state.loop`), their part where it keeps time (offline's GIVEN). `state`: what
    the stream's state was when the bar came (an `Unheard`'s options, swing and loop)."""
    options = state.options
    if position % PLAN_BARS:
        describe = hearing.described is None or (position - PLAN_BARS // 2) % DESCRIBE_BARS == 0
        return read_band(hearing, state.swing, options, describe)
    hearing = replace(hearing, part=-1, plan=NO_PLAN)
    band_heard = any(role != "guitar" for role in hearing.band.roles)
    if (planner is None or not band_heard or options.guitar_only or options.plan != "parts"
            or options.style is not None or not hearing.window):
        return hearing
    song = window_song(hearing.window, hearing.described, hearing.genre)
    phrases = cut_phrases([], 0, song.n_bars)
    features = phrase_features(song, phrases)
    straight = bool(features[0, SWUNG_SHARE] < SWUNG_SONG)
    if state.loop and PLAN_GIVEN:
        beat = np.full(len(state.loop), song.beat_steps[-1])
        part = planner.given_part(np.arange(len(state.loop)), np.stack(state.loop),
                                  GivenBars(np.asarray(state.loop_steps), beat))
    else:
        posterior = part_probabilities(planner.model, features)[-1]  # the last phrase's part, given the band up to it
        levels = planner.full if PLAN_LEVELS == ("full",) else np.array([part.level in PLAN_LEVELS
                                                                          for part in planner.vocabulary.parts])
        weights = np.where(levels & (~planner.swung if straight else True), posterior, 0.0)
        part = int(weights.argmax()) if weights.max() > 0 else -1
        if part >= 0 and HEARD_CHOICES and len(hearing.heard_p) == len(hearing.window):  # offline take 1's, as heard
            part = int(planner.heard_choices(np.array([part]), np.stack(hearing.heard_p), phrases[-1:], features)[0])
    if part < 0:
        return hearing
    plan = replace(live_plan(planner, part), source=PlanSource.MODEL, chosen=None, swung=not straight)
    return replace(hearing, part=part, plan=plan)


class GivenBars(NamedTuple):
    """The user's loop bars as `Planner.given_part` reads a song's: their lengths and beats in steps."""

    bar_steps: np.ndarray
    beat_steps: np.ndarray


def read_band(hearing: Hearing, swing: HeardSwing, options: Any, describe: bool = True) -> Hearing:
    """The hearing with the bars heard since the last reading read, and where `describe`, the band described and its
    genre heard."""
    roles = ROLES[:1] if options.guitar_only else ROLES  # --guitar-only: offline reads the guitar's notes alone
    bars = [heard_bar(clock, played, roles) for clock, played in hearing.unread]
    band = hearing.band.read(bars, hearing.before)
    if not describe:
        return replace(hearing, band=band, unread=(), before=bars[-1] if bars else hearing.before)
    description = band.description(swing.reading([role for role, *_ in swing.roles]) if swing.roles else None)
    values = description.to_json() if description is not None else None
    genre = heard_genre(values, options.genre)
    asked = options if genre == options.genre else replace(options, genre=genre)
    return replace(hearing, band=band, unread=(), before=bars[-1] if bars else hearing.before,
                   described=values, genre=genre, options=asked,
                   chorus_first=counted(description, hearing.first_read, hearing.chorus_first))


def counted(description: BandDescription | None, first_read: int | None, before: int | None = None) -> int | None:
    """The stream's bar a chorus opens on where `description` (of the bars read from stream bar `first_read`) hears a
    12-bar blues, as offline's sections count it (band.counted_form); else where a reading before heard one
    (`before`), kept: the bars heard cut mid-chorus hold a part chorus that counts for none, and a blues heard at 28
    bars reads as none at 36."""
    form = counted_form(description) if description is not None and first_read is not None else None
    return before if form is None or form.first_bar is None else first_read + form.first_bar


def chorus_position(hearing: Hearing, index: int, position: int) -> int:
    """Where stream bar `index` (`position` bars after the band's first) is in its section: in the chorus it is in,
    from the first chorus of a 12-bar blues heard on; else from the band's first bar, as before."""
    first = hearing.chorus_first
    return position if first is None or index < first else (index - first) % TWELVE


def told_plan(hearing: Hearing, planner: Any, bar_steps: int, beat_steps: int, steps_per_quarter: int) -> Plan:
    """The bar's plan: the part the last reading told (where the bar is of its meter family), as a one-bar phrase
    from the model, no fill planned (the live drummer's fills are its own); else none."""
    if hearing.part < 0 or planner is None:
        return NO_PLAN
    part = planner.vocabulary.parts[hearing.part]
    return hearing.plan if part.family == family_of(bar_steps, beat_steps, steps_per_quarter) else NO_PLAN


def window_song(window: Sequence[tuple[np.ndarray, np.ndarray, int, int]], described: dict | None,
                genre: str | None) -> BarSong:
    """The bars of `window` as a song the part model reads (song.bars' columns): each role's cues over them (plays,
    enters, leaves, density: song.band `role_bar_features`), their notes; what live cannot know yet (the guitar's
    novelty, the song's summary) unknown (NaN), one section."""
    steps = np.stack([bar[0] for bar in window])
    bars = np.stack([bar[1] for bar in window]).astype(np.float32)
    onsets = steps[:, :, ONSET_COLUMNS].sum(axis=1)  # (n, roles)
    bars[:, BAR.roles] = role_bar_features(onsets, 0, len(window))
    bars[:, UNKNOWN_BAR] = np.nan
    plays = steps[:, :, STEP.has_onset].any(axis=1)
    notes = np.rint(onsets.sum(axis=1) * 4).astype(np.int64)
    return BarSong("live", 0, np.array([bar[2] for bar in window]), np.array([bar[3] for bar in window]), steps, bars,
                   plays, notes=notes, described=described, genre=genre)
