"""What reaches `groove.decide`: one `Request` (the steering, the edges, what the take steps read), built by the same
functions offline, from the whole song, and live, from the bars heard so far.

The two sides hand over what they know of the song in the same shapes: a `Span` (the sections as rows of the bars
decided: offline the drummer's sections, `song_span`; live one section that opened at the band's first bar, its end
not known yet, `heard_span`, as a drummer in a jam counts phrases from where the band came in); the song's meters
(live, the stream's first first), which a `--style` is checked against; whether the song swings by its own reading
(offline the whole song's, live the notes heard so far) and its grid; the drums the user gave, fitted to the model's
expectations alike. From them `request` builds the style's entries, the bars `--fills` / `--crashes every:N` force
(counted per section), the edges and the take's floor. tests/test_request.py holds the two sides to one another.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from seq2drum.groove.articulation import cross_stick_entries
from seq2drum.groove.continuation import Continuation, fitted
from seq2drum.groove.decide import Finish
from seq2drum.groove.feels import plan_rests, plan_steering
from seq2drum.groove.placement import NO_POSITION, Placing, draws
from seq2drum.groove.policy import Steering, copied
from seq2drum.groove.scores import SongScores
from seq2drum.groove.settings import CRASH_MIN_GAP, MIN_EXPECTED_HIT_SHARE, MIN_HITS_PER_PLAYING_BAR, SHORT_BAR_STEPS
from seq2drum.groove.styles import StyleBook, meter_name
from seq2drum.errors import ConfigError
from seq2drum.options import GenerationOptions, fills_every
from seq2drum.parts.plan import Planner
from seq2drum.parts.plan_value import Held, Plan, PlanAsk
from seq2drum.parts.traits import STYLES
from seq2drum.song.bars import BarSong
from seq2drum.song.phrases import PHRASE_BARS, closes_with_fill
from seq2drum.song.grid import BAR_DENOMINATOR, BAR_NUMERATOR, Grid, is_compound

UNKNOWN_END = np.iinfo(np.int64).max // 2  # a section's end row where it is not known yet (live)


class SpanSection(NamedTuple):
    """A section as rows of the bars decided: [start, end), `end` UNKNOWN_END while it is still being played."""

    start: int
    end: int
    label: int

    @property
    def known_end(self) -> bool:
        return self.end < UNKNOWN_END


class Span(NamedTuple):
    """The bars decided, as the request counts them: their sections (rows), lengths in steps and whether the guitar
    plays each."""

    sections: tuple[SpanSection, ...]
    bar_steps: np.ndarray  # (n,)
    guitar_plays: np.ndarray  # (n,) bool
    first_bar: int = 0  # the song bar of row 0 (a bar's placement draws are its song bar's: groove.placement)

    @property
    def n_bars(self) -> int:
        return len(self.bar_steps)


def song_span(scores: SongScores) -> Span:
    """Offline: the drummer's sections of the whole song (song bars) as rows of its scores."""
    first = scores.first_bar
    sections = tuple(SpanSection(s.start_bar - first, s.end_bar - first, s.label) for s in scores.sections)
    return Span(sections, scores.bar_steps, scores.guitar_plays, scores.first_bar)


def heard_span(position: int, bar_steps: int, bar_index: int = 0) -> Span:
    """Live: the one bar about to be played (song bar `bar_index`), `position` bars after the band's first, in the
    section that opened there (its end unknown); the guitar is taken to play (a bar is not heard before it is
    decided)."""
    return Span((SpanSection(-position, UNKNOWN_END, 0),), np.array([bar_steps]), np.ones(1, dtype=bool), bar_index)


# ---------------------------------------------------------------------------------------------- the fields


def song_meters(scores: SongScores, grid: Grid, steps_per_quarter: int) -> list[str]:
    """The meters of the song's drum bars, most played first (4/4, 6/8, 7/8 ...)."""
    rows = grid.bars[scores.first_bar : scores.first_bar + scores.n_bars]
    if len(rows) != scores.n_bars:
        return []
    compound = is_compound(rows[:, BAR_NUMERATOR], rows[:, BAR_DENOMINATOR])
    shapes = list(zip(scores.bar_steps.tolist(), compound.tolist()))
    named = {shape: meter_name(int(shape[0]), bool(shape[1]), steps_per_quarter) for shape in set(shapes)}
    names = [named[shape] for shape in shapes]  # each bar shape named once (a Fraction's arithmetic a name)
    playing = [name for name, plays in zip(names, scores.guitar_plays.tolist()) if plays] or names
    return [name for name, _ in Counter(playing).most_common()]  # ties in the order first played


def every_bars(choice: str, span: Span, closing: bool) -> np.ndarray | None:
    """(n,) bool the bars a `none|sections|every:N` control forces (None for `sections`: the model's calls): with
    `closing` (`--fills`) the Nth, 2Nth ... bar of each section and its last (where it closes with a fill, once its
    end is known); else (`--crashes`) its 1st, N+1th ... bar."""
    if choice == "sections":
        return None
    bars = np.zeros(span.n_bars, dtype=bool)
    if choice == "none":
        return bars
    every = fills_every(choice) or 1
    for section in span.sections:
        rows = np.arange(max(section.start, 0), min(section.end, span.n_bars))
        if not closing:
            bars[rows] |= (rows - section.start) % every == 0
        elif not section.known_end or closes_with_fill(section.end - section.start):  # a one-bar section: no fill
            bars[rows] |= (rows - section.start) % every == every - 1
            if section.known_end and 0 < section.end <= span.n_bars:
                bars[section.end - 1] = True
    return bars


def edges(span: Span, crash_phrase_bars: int) -> np.ndarray:
    """(n, 3) bool per bar, where each structure's edge threshold holds: as a drummer does, the drums drop out where
    the guitar does; a crash marks a section's first bar (and, with `crash_phrase_bars` N > 0, bars N+1, 2N+1 ... of
    it: the phrases a drummer marks inside a long section; a phrase under CRASH_MIN_GAP bars before the section's
    known end gives way to the next section's crash); a fill closes its last bar (once known) and the last bar of
    each PHRASE_BARS-bar phrase inside it (bars longer than SHORT_BAR_STEPS: a fill in a 4/16 pickup is a snare
    roll)."""
    n = span.n_bars
    position, fills = section_places(span.sections, n, n)  # a section's closing bar fills
    crashes = position == 0
    if crash_phrase_bars > 0:
        for section in span.sections:
            rows = np.arange(max(section.start, 0), max(min(section.end, n), 0))
            crashes[rows] |= ((rows - section.start) % crash_phrase_bars == 0) & ((rows + CRASH_MIN_GAP <= section.end)
                                                                                  | (section.end >= n))
    fills |= (position >= 0) & (position % PHRASE_BARS == PHRASE_BARS - 1) & (span.bar_steps > SHORT_BAR_STEPS)
    marked = np.empty((n, 3), dtype=bool)  # np.stack's columns, without its Python (a fifth of a live request)
    marked[:, 0], marked[:, 1], marked[:, 2] = ~span.guitar_plays, crashes, fills
    return marked


def song_edges(scores: SongScores, crash_phrase_bars: int = 0) -> np.ndarray:
    """(n, 3) the edges of a whole song's scores (`edges` of `song_span`): what calibration replays takes with."""
    return edges(song_span(scores), crash_phrase_bars)


def placing(span: Span, seed: int, take: int, lead_ins: np.ndarray | None = None) -> Placing:
    """Where take `take` (0: take 1) places its fills and crashes (groove.placement): each bar's position in its
    section (live, the bars since the band came in) and the bar after the last's, whether it closes its section (where
    its end is known) or leads into a change of part (`lead_ins` (n,) bool, a plan's), and the take's draws."""
    n = span.n_bars
    position, closing = section_places(span.sections, n + 1, n)
    if lead_ins is not None:
        closing[:n] |= lead_ins
    return Placing(position, closing, draws(seed, take, span.first_bar + np.arange(n)))


def section_places(sections: tuple[SpanSection, ...], rows: int, n_bars: int) -> tuple[np.ndarray, np.ndarray]:
    """(rows,) each row's bars from the start of its section (NO_POSITION: none) and (rows,) bool whether it closes a
    section of `n_bars` whose end is known and that closes with a fill: the positions a take is placed by and the
    drummers' placement is fitted on (training.placement)."""
    position = np.full(rows, NO_POSITION, dtype=np.int64)
    closing = np.zeros(rows, dtype=bool)
    for section in sections:
        at = np.arange(max(section.start, 0), min(section.end, rows))
        position[at] = at - section.start
        if section.known_end and closes_with_fill(section.end - section.start) and 0 < section.end <= n_bars:
            closing[section.end - 1] = True
    return position, closing


def take_floor(scores: SongScores, p: np.ndarray, counted: np.ndarray | None = None) -> float:
    """The fewest hits a take may have before it is decided again without rests: a hit per bar the guitar plays,
    and MIN_EXPECTED_HIT_SHARE of the hits the model expects (the calibrated probabilities p summed); over the bars
    `counted` (n,) bool holds (all: None; the musician's drop-outs rest and count for nothing)."""
    counted = slice(None) if counted is None else counted
    return max(MIN_HITS_PER_PLAYING_BAR * int(scores.guitar_plays[counted].sum()),
               MIN_EXPECTED_HIT_SHARE * float(p[counted].sum()))


# ---------------------------------------------------------------------------------------------- the request


class Heard(NamedTuple):
    """What a request is built from, offline from the whole song, live from the bars heard so far: the scores and
    their calibrated probabilities `p` (n, S, 9), the bars decided (`span`), the song's meters (most played first),
    whether the song swings by its own reading on `grid`, the song's bars the plan reads (`song`; None live), and the
    plan every take plays where the caller made it (`plan`; live: the bar's, `live.parts`'s part or none)."""

    scores: SongScores
    p: np.ndarray
    span: Span
    meters: list[str]
    swung: bool = False
    grid: Grid | None = None
    song: BarSong | None = None
    plan: Plan | None = None


class Deciders(NamedTuple):
    """What a request reads besides the song: the style book, the crash phrase's length (the policy's), the parts
    the plan is made of (None: no parts file), and the network that hears a plan's parts (`hearing`: a plan's
    calibrated probabilities, where the network hears the part; None where it does not)."""

    styles: StyleBook
    crash_phrase_bars: int
    planner: Planner | None = None
    hearing: Callable[[Plan], np.ndarray] | None = None


class PlannedTake(NamedTuple):
    """A take's plan of parts (parts.plan) as the decision reads it: the probabilities conditioned on each phrase's
    part, and the edges with the plan's fills in place of every 4-bar phrase's end; a held plan reads the request's
    own (None)."""

    plan: Plan
    p: np.ndarray | None  # (n, S, 9)
    edges: np.ndarray | None  # (n, 3) bool
    musicians_time: np.ndarray | None = None  # (n,) bool rows of the musician's straight parts (decide.Finish's)
    steering: Steering | None = None  # the take's steering: its plan's rests and parts bound (`plan_steering`)


PLAN_STREAM = 68  # the plans' random stream beside the seed: the takes' own generator draws the same as before


PARTS_NEED = {Held.BARS: "leave out --plan bars", Held.NO_PARTS: "use a model with a parts.npz beside it (the "
              "shipped one has)", Held.FROM_NOTHING: "drums from nothing have no song sections to name"}


def plan_ask(options: GenerationOptions, heard: Heard, deciders: Deciders, given: Continuation | None = None,
             from_nothing: bool = False) -> PlanAsk:
    """What the song's takes are asked to plan, and, `held` set, why they plan none: the one place each reason
    (parts.plan_value `Held`) is chosen, in order: `--plan bars`, no parts file, drums from nothing (a `--parts`
    line there is refused, ConfigError), then, without `--parts`, drums given under a style or keeping no time or no
    backbeat (their part, `given_part`: every full phrase plays it), then no phrase, a style no drummer's part plays,
    the guitar alone (`--parts`'s named phrases still play there: `Planner.musicians`)."""
    planner, song = deciders.planner, heard.song
    ask = PlanAsk(options.takes, options.density, options.style, swung=heard.swung)
    held = (Held.BARS if options.plan != "parts" else Held.NO_PARTS if planner is None else
            Held.FROM_NOTHING if from_nothing or song is None else None)
    if held is not None:
        if options.parts:
            raise ConfigError(f"--parts names the parts of a plan, which this run does not make ({held.value}): "
                              + PARTS_NEED[held])
        return replace(ask, held=held)
    reading = planner.read(song)
    given_part = (planner.given_part(*given.groove_bars(PHRASE_BARS), song)  # the user's groove: its part
                  if given is not None and options.style is None else -1)
    musician = planner.arrangement(song, heard.p).chosen(options.parts, planner) if options.parts else None
    if musician is not None:  # a drummers' style's phrases play its bars, spliced in (generation/styled.py)
        musician = np.where(musician >= 0, musician, -1) if (musician >= 0).any() else None
    unplanned = given is not None and musician is None  # the drums given, and no part named
    style = options.style
    held = (Held.GIVEN_UNDER_STYLE if unplanned and style is not None else
            Held.GIVEN_KEEPS_NO_TIME if unplanned and given_part < 0 else
            Held.NO_PHRASES if not reading.phrases else
            Held.STYLE_WITHOUT_PARTS if style is not None and (style not in STYLES or STYLES[style].no_part) else
            Held.GUITAR_ALONE if not reading.band else None)
    return replace(ask, given_part=given_part, musician=musician, reading=reading, held=held)


def take_plans(options: GenerationOptions, heard: Heard, deciders: Deciders, seed: int,
               given: Continuation | None = None, from_nothing: bool = False) -> tuple[Plan, ...]:
    """The plan of each of the `options.takes` takes, from its sources in this one place: the model's reading of the
    band (parts.plan `Planner.plans`; take 1 the likeliest, the others drawn with their own generator, so take 1
    never depends on them), kept to a `--style`'s parts or to the part of the drums the user gave (`given`: every
    full phrase plays it), moved by `--density`. Where none is played, a held plan says why (`plan_ask`); a take
    past the plans the chain has, no other plan."""
    ask, planner = plan_ask(options, heard, deciders, given, from_nothing), deciders.planner
    if ask.held is None:
        plans = planner.plans(ask, heard.p, np.random.default_rng([seed, PLAN_STREAM]))
    else:  # the musician's phrases alone, where he named any
        plans = [planner.musicians(ask) if planner is not None else Plan.held_for(ask.held)]
    if not plans[0].played:  # none for the song: every take's, for the same reason
        return (plans[0],) * options.takes
    return (*plans, *(Plan.held_for(Held.NO_OTHER),) * (options.takes - len(plans)))


def planned_takes(plans: tuple[Plan, ...], heard: Heard, deciders: Deciders,
                  song_edges_: np.ndarray, steerings: tuple[Steering, ...] = ()) -> tuple[PlannedTake, ...]:
    """Each plan as the decision reads it: `p` conditioned on its parts (a fill bar's snare and toms left to the
    network; a later take's kick and snare its part's too), or, from a network that hears the plan's parts
    (`deciders.hearing`), its own probabilities; and the edges of the song with the plan's fill bars (bars longer
    than SHORT_BAR_STEPS) as the fill edges. A held plan: the request's own (None, None)."""
    out = []
    span = heard.span
    for index, plan in enumerate(plans):
        if not plan.played:
            out.append(PlannedTake(plan, None, None))
            continue
        fills = plan.fill_bars(span.n_bars) & (span.bar_steps > SHORT_BAR_STEPS)
        edges_ = song_edges_.copy()
        edges_[:, 2] = fills
        # every take plays its whole part, kick and snare too: take 1 only nudged toward its plan played the part it
        # printed in 37 of 127 phrases (issue 99; the F1 this costs is accepted for a plan a musician can trust)
        played = (deciders.hearing(plan) if deciders.hearing is not None
                  else deciders.planner.conditioned(heard.p, span.bar_steps, plan, fills, whole=True))
        mine = None
        if plan.chosen is not None and plan.chosen.any():  # the musician's straight parts keep their own time
            mine = plan.bar_chosen(span.n_bars) & ~deciders.planner.swung[np.maximum(plan.bar_parts(span.n_bars), 0)]
        out.append(PlannedTake(plan, played, edges_, mine, steerings[index] if index < len(steerings) else None))
    return tuple(out)


@dataclass(frozen=True)
class Request:
    """Everything `groove.decide` reads besides the chooser and the scores' context: the steering (a style's
    entries, forced rests, crashes and fills, the user's groove), where each mark's edge threshold holds, what
    the take steps read (`Finish`), each take's plan of parts (`plans`: take k plays the k-th where it is
    played; a held plan, or a take past them, bar by bar on the network's own probabilities) and where each take
    places its fills and crashes (`placings`, groove.placement; none: at the edges, by count, as calibration
    replays them)."""

    steering: Steering
    edges: np.ndarray  # (n, 3) bool
    finish: Finish
    plans: tuple[PlannedTake, ...] = ()
    placings: tuple[Placing, ...] = ()

    def moved(self, **changes: Any) -> Request:
        """The request with `changes` (policy `copied`: a live bar makes three)."""
        return copied(self, **changes)

    def placing(self, index: int) -> Placing | None:
        """Where take `index` (0 = take 1) places its fills and crashes (None: at the edges, by count)."""
        return self.placings[index] if index < len(self.placings) else None

    def take_inputs(self, index: int) -> tuple[Finish, np.ndarray, Plan, Steering]:
        """(finish, edges, plan, steering) take `index` (0 = take 1) is decided with: its plan's probabilities, fill
        edges and bound parts where it plays a plan, else the request's own (and the held plan, or none made:
        `Held.NO_OTHER`)."""
        if index >= len(self.plans):
            return self.finish, self.edges, Plan.held_for(Held.NO_OTHER), self.steering
        planned = self.plans[index]
        plan = planned.plan
        if not plan.played:
            return self.finish, self.edges, plan, self.steering
        steering = planned.steering or self.steering
        return (replace(self.finish, p=planned.p, musicians_time=planned.musicians_time,
                        plan_parts=steering.plan_parts), planned.edges, plan, steering)


def request(options: GenerationOptions, heard: Heard, deciders: Deciders, seed: int = 0,
            given: Continuation | None = None, base: Steering | None = None) -> Request:
    """The request for the bars `heard` (offline the whole song, live the bar about to be played) alike: the style's
    entries for its meters, `--fills` and `--crashes` counted per section of its span, the drums the user gave
    (`given`) on top of `base` (drums from nothing's structure: `--fills` other than `sections` overrides its fills),
    the edges, the take steps' reading of the song (swung or not, on its grid), each take's plan of parts
    (`take_plans`, seeded by `seed`) as the decision reads it, and where each take places its fills and crashes
    (`placing`: drawn from `seed`, take by take; a plan's changes of part lead in like a section's end), or the plan
    `heard` brings played by every take."""
    base_steering = base or Steering()
    fills = every_bars(options.fills, heard.span, closing=True)
    crashes = every_bars(options.crashes, heard.span, closing=False)
    # the entries the style allows in the song's meters (ConfigError, naming the styles that fit, where none does)
    allowed = None if options.style is None else deciders.styles.allowed(options.style, heard.meters)
    steering = base_steering.replace(allowed=allowed,
                                     fills=base_steering.fills if fills is None else fills,
                                     crashes=base_steering.crashes if crashes is None else crashes,
                                     continuation=given)
    plans = ((heard.plan,) * options.takes if heard.plan is not None
             else take_plans(options, heard, deciders, seed, given, from_nothing=base is not None))
    steerings = tuple(plan_steering(steering, plan, deciders.planner, heard.span.n_bars) for plan in plans)
    steering, rested = steerings[0], plan_rests(plans[0], heard.span.n_bars)[0]
    asked = steered(steering, options, heard.scores, heard.p, heard.span, deciders.crash_phrase_bars, heard.swung,
                    heard.grid, cross_stick_entries(deciders.styles, options.style))
    genre = heard.song.genre if heard.song is not None else options.genre  # live: the genre heard so far
    # the take's floor counts the bars that play (a take of many drop-outs is not too sparse); policy `copied`: a live
    # bar makes two
    floor = take_floor(heard.scores, heard.p, ~rested) if rested.any() else asked.finish.min_hits
    asked = asked.moved(finish=copied(asked.finish, genre=genre, min_hits=floor))
    # the places follow the seed at every temperature, as a drummer's fills differ from one performance to the next
    # (a stream without it would put every song's crashes on the same bars)
    placed = tuple(placing(heard.span, seed, take, plan.lead_ins(heard.span.n_bars) if plan.played else None)
                   for take, plan in enumerate(plans))
    return asked.moved(plans=planned_takes(plans, heard, deciders, asked.edges, steerings), placings=placed)


def steered(steering: Steering, options: GenerationOptions, scores: SongScores, p: np.ndarray, span: Span,
            crash_phrase_bars: int, swung: bool = False, grid: Grid | None = None,
            cross_sticks: np.ndarray | None = None) -> Request:
    """The request of a steering built already (`request`'s, or a test's or calibration's own): the user's drums
    (`steering.continuation`) fitted to `p` (a sparse kept intro is not looped through a busier song), the edges of
    `span`, and what the take steps read (`cross_sticks`: a style's entries played with the cross-stick)."""
    given = steering.continuation
    finish = Finish(options, p, scores, min_hits=take_floor(scores, p), swung=swung, grid=grid, continuation=given,
                    cross_sticks=cross_sticks)
    return Request(steering.replace(continuation=fitted(given, p)), edges(span, crash_phrase_bars), finish)
