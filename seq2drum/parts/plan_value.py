"""A take's plan as a value (issue 86): the part of each of the song's phrases, where its fills go and where the
plan came from (`PlanSource`: the model, the drums given, a style, the musician), or, held, none and why (`Held`:
each case a named value, never an empty list). What a song's plans are asked to be is one value too (`PlanAsk`:
groove.request's `plan_ask` chooses it, every `Held` reason with it). parts.plan's `Planner` makes the plans;
groove.request's `take_plans` gives every take one; the run prints each (`Plan.describe`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import NamedTuple

import numpy as np

from seq2drum.parts.labels import Phrase
from seq2drum.song.bars import BarSong


class PlanSource(str, Enum):
    """Where a take's plan of parts came from."""

    MODEL = "the model"  # the part model's reading of the band
    GIVEN = "the drums given"  # every full phrase plays the part of the drums the user gave (--keep-drums, --groove)
    STYLE = "the style"  # the model's reading, its full parts kept to a --style's
    MUSICIAN = "the musician"  # the parts the musician chose per section


class Held(str, Enum):
    """Why a take plays no plan (bar by bar on the network's own probabilities): each case a named value."""

    BARS = "--plan bars"
    NO_PARTS = "no parts file beside the model"
    FROM_NOTHING = "drums from nothing"
    GIVEN_UNDER_STYLE = "drums given under a style"
    GIVEN_KEEPS_NO_TIME = "the drums given keep no time or no backbeat"
    GUITAR_ALONE = "guitar alone: the part model reads a band"
    STYLE_WITHOUT_PARTS = "no drummer's part plays the style"
    NO_PHRASES = "no phrase to plan"
    NO_OTHER = "the part chain has no other plan"
    LIVE = "live: no part told for the bar yet (none heard, or of another meter)"


class Reading(NamedTuple):
    """What the part model reads of a song: its bars, its 4-bar phrases and each phrase's features (P, F)
    (parts.features), and whether a band plays in them besides the guitar (`band`)."""

    song: BarSong
    phrases: list[Phrase]
    features: np.ndarray
    band: bool


@dataclass(frozen=True)
class PlanAsk:
    """What a song's plans are asked to be: `takes` of them, `density` (--density) pulling take 1's parts busier or
    sparser, kept to `style`'s parts (--style), every full phrase the part of the drums the user gave (`given_part`,
    -1 none), the part the musician chose for each phrase (`musician` (P,), --parts, -1 not named; None: no --parts);
    on the song as the part model reads it (`reading`; None where no plan is read). `held` set: why the takes play
    no plan (the musician's phrases alone still play where he named any). `swung`: the drums play swung."""

    takes: int = 1
    density: float = 1.0
    style: str | None = None
    given_part: int = -1
    musician: np.ndarray | None = field(default=None, compare=False)
    reading: Reading | None = field(default=None, compare=False)
    held: Held | None = None
    swung: bool = False  # the drums play swung by the song's own reading: its later takes keep to swung time


@dataclass(frozen=True)
class Plan:
    """A take's plan: the part of each of the song's phrases (`parts[j]`, an index into the vocabulary, named
    `names[j]`, of level `levels[j]`), whether it closes with a fill (`fills[j]`), and where the plan came from
    (`source`); or, `held` set, no plan and why (the take is decided bar by bar)."""

    phrases: tuple[Phrase, ...]
    parts: np.ndarray  # (P,) int64
    fills: np.ndarray  # (P,) bool
    names: tuple[str, ...] = field(default=())
    banks: tuple = field(default=(), compare=False)  # each phrase's part's fill bars (k, S, 9) and lengths (k,)
    swung: bool = False  # the song's band swings (SWUNG_SONG): take 1's time the network's (`Planner.conditioned`)
    source: PlanSource = PlanSource.MODEL
    held: Held | None = None
    levels: tuple[str, ...] = field(default=())  # each phrase's part's level: full, sparse, drop-out
    chosen: np.ndarray | None = field(default=None, compare=False)  # (P,) bool the phrases the musician named
    # with several takes, the part each main section plays ((letter, part name) per label): takes 2 and on are
    # other arrangements of them (parts.choice `other_arrangements`)
    arrangement: tuple[tuple[str, str], ...] = field(default=(), compare=False)
    style: str | None = None  # the --style it keeps to (its phrases of parts that do not play it: the style's grooves)
    # what the decision makes of it once for every bar it plays (groove.feels' binding, parts.condition's tables; a
    # live told part's plan plays 8 bars): by what it was made for, the planner by its id (a pickled state stays
    # small: a plan is one planner's), kept with the plan (a copy starts afresh)
    made: dict = field(default_factory=dict, init=False, compare=False, repr=False)

    @classmethod
    def held_for(cls, reason: Held) -> Plan:
        """No plan, for `reason`."""
        return cls((), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=bool), held=reason)

    @property
    def played(self) -> bool:
        """Whether the take plays this plan (else it is decided bar by bar)."""
        return self.held is None

    def __repr__(self) -> str:
        if self.held is not None:
            return f"Plan(held: {self.held.value})"
        return f"Plan({len(self.phrases)} phrases from {self.source.value})"

    def describe(self) -> str:
        """The plan in a few words, as a run prints it: where it came from, or why there is none."""
        if self.held:
            return f"none, bar by bar ({self.held.value})"
        arranged = "; ".join(f"{letter}={name}" for letter, name in self.arrangement)
        return f"from {self.source.value}" + (f", arranged {arranged}" if arranged else "")

    def bar_fills(self, n_bars: int) -> list[tuple[np.ndarray, np.ndarray] | None]:
        """Each row's part's fill bars and their lengths (groove.structure `PlannedFills`), None outside phrases."""
        return [self.banks[j] if 0 <= j < len(self.banks) else None for j in self.bar_phrases(n_bars).tolist()]

    def bar_chosen(self, n_bars: int) -> np.ndarray:
        """(n,) bool the rows of phrases whose part the musician chose (`--parts`)."""
        return self._per_row(self.chosen if self.chosen is not None else np.zeros(0, dtype=bool), False, n_bars)

    def bar_parts(self, n_bars: int) -> np.ndarray:
        """(n,) the part each row plays (-1: no phrase holds it)."""
        return self._per_row(self.parts, -1, n_bars)

    def bar_phrases(self, n_bars: int) -> np.ndarray:
        """(n,) the phrase (an index into `phrases`) each row is in (-1: none)."""
        return self._per_row(np.arange(len(self.phrases)), -1, n_bars)

    def _per_row(self, values: np.ndarray, outside: int | bool, n_bars: int) -> np.ndarray:
        """(n,) each row's phrase's value of `values` (P,), `outside` where no phrase holds the row."""
        rows = np.full(n_bars, outside, dtype=values.dtype)
        for phrase, value in zip(self.phrases, values.tolist()):
            rows[max(phrase.start_row, 0): min(phrase.end_row, n_bars)] = value
        return rows

    def fill_bars(self, n_bars: int) -> np.ndarray:
        """(n,) bool the last bar of each phrase the plan closes with a fill (a fill is its phrase's last bar)."""
        return self._last_bars(self.fills.tolist(), n_bars)

    def lead_ins(self, n_bars: int) -> np.ndarray:
        """(n,) bool the last bar of each phrase whose next phrase changes part: where a drummer leads in with a fill
        as at a section's end (groove.placement)."""
        changes = [part != after for part, after in zip(self.parts.tolist(), self.parts[1:].tolist())]
        return self._last_bars(changes, n_bars)

    def _last_bars(self, marked: list[bool], n_bars: int) -> np.ndarray:
        """(n,) bool the last bar of each phrase `marked` holds (in the phrases' order; a phrase past it unmarked)."""
        bars = np.zeros(n_bars, dtype=bool)
        for phrase, mark in zip(self.phrases, marked):
            if mark and 0 < phrase.end_row <= n_bars:
                bars[phrase.end_row - 1] = True
        return bars
