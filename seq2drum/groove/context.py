"""What the bar rules (groove.rules) read and write: `BarContext` (the bars' scores, calibrated probabilities,
settings, what the chooser knows of the song and its `Past`; the mark rules read only its `MarkContext` part),
`BarDecision` (hits, codebook entries, rest/crash/fill marks, edges and the counts the rules carry), `Past` (the
bars before the ones decided, as the chooser played them: live, the bars already played; offline, none) and its
`BarCounts`."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from seq2drum.groove import kit
from seq2drum.groove.codebook import GrooveCodebook
from seq2drum.groove.gains import GrooveGains, ShortRun
from seq2drum.groove.placement import BarPlacement, Placing, bar_families, load_placement
from seq2drum.groove.policy import DecodingPolicy, Steering, copied
from seq2drum.groove.scores import SongScores
from seq2drum.feel.swing import SWUNG_RIDE_RATIO
from seq2drum.groove.settings import FIRST_LAMBDA
from seq2drum.groove.structure import CrashCount, FillCount, FillWriter


class BarCounts(NamedTuple):
    """What the rules count over the bars before the ones decided: live, the bars already played; offline, none."""

    crashes: CrashCount = CrashCount()  # crash bars the model expected, crash bars played, bars since the last crash
    open_hats: kit.KitCount = kit.KitCount()  # the open hats the model expected, and those played
    fills: FillCount = FillCount()  # fill bars the model expected, and those played
    toms: kit.KitCount = kit.KitCount()  # the tom hits the model expected, and those the fills were allowed
    crash_hits: kit.KitCount = kit.KitCount()  # the crash hits the model expected, and those played


class Past(NamedTuple):
    """The bars before the ones decided, as the chooser played them (offline: none, `Past()`; live: the bars played,
    `live.chooser`): each chooser carries its own, and `groove.decide` hands it to the rules."""

    totals: tuple[float, float, float] = (0.0, 0.0, 0.0)  # expected matched cells, hits, summed probabilities: none
    counts: BarCounts = BarCounts()  # what the rules count (crashes, open hats, fills, toms, crash hits)
    short_run: ShortRun = ShortRun()  # the run of short bars just before (groove.gains `ShortRun`)
    # the band has played (live): no bar is left empty (`keeps_time`); the session rests the drums when the band
    # stops, as a bar's rest cannot be heard before it is played
    band_playing: bool = False


@dataclass(frozen=True)
class MarkContext:
    """What the mark rules (rests, crashes, fills: `marks.mark_rules`) read: the bars' calibrated structure
    probabilities, the settings, the bars a heard bass leaves silent and the bars before; calibration replays them
    from these alone (`marks.structure_decisions`)."""

    structure: np.ndarray  # (n, 3) calibrated rest, crash, fill probabilities
    policy: DecodingPolicy
    steering: Steering
    bass_silent: np.ndarray | None = None  # (n,) bars a heard bass part leaves silent (None: no bass heard)
    past: Past = Past()  # the bars before these, as the chooser played them (set by groove.decide)


@dataclass(frozen=True, kw_only=True)
class BarContext(MarkContext):
    """What every rule reads: the mark rules' context, and the bars' scores and calibrated hit probabilities, what the
    chooser knows of the song (its section labels offline; live, the one bar), the codebook and lambda. A take decided
    without rests or per-cell refinement is one whose steering forces no rest, or whose policy refines nothing."""

    scores: SongScores
    p: np.ndarray  # (n, S, 9) calibrated hit probabilities, 0 outside each bar
    labels: np.ndarray  # (n,) section label of each bar (-1: none)
    codebook: GrooveCodebook
    grooves: GrooveGains
    fills: FillWriter
    lam: float = FIRST_LAMBDA  # lambda: the probability above which a cell is worth playing (the expected F1's half)
    scale: float = 1.0  # what lambda is scaled by (`DecodingPolicy.threshold_scale`)
    swung: bool = False  # the song swings by its own reading (the request's `Finish.swung`: offline the whole song's)
    placing: Placing | None = None  # where the take places its fills and crashes (groove.placement; None: at edges)

    @property
    def ride_ratio(self) -> float:
        """The share of the closed hat's probability at which a section keeps time on the ride (`ride_sections`): the
        policy's `ride_ratio`, or in a song that swings SWUNG_RIDE_RATIO where that is lower (a ratio of 0, off,
        stays off), offline and live alike. Live, the causal network rates a jazz ride at 0.2-0.4 of the hat where the
        offline one passes 0.4: on jazz/'s swung songs whose offline take rides, live / offline ride hits 0.62 ->
        0.90; out of fold jazz/ + 0.046 -> + 0.053 over the jazz ride pattern, midi/ F1 -0.0011
        (docs/experiments/2026-11-28-the-swung-ride-live.md)."""
        ratio = self.policy.ride_ratio
        return min(ratio, SWUNG_RIDE_RATIO) if self.swung and ratio > 0 else ratio

    @property
    def threshold(self) -> float:
        """Lambda as scaled: what grooves, cells and fills are chosen against."""
        return self.lam * self.scale

    @property
    def playable(self) -> np.ndarray:
        """(K,) bool the entries a groove may be chosen from: the style's, else those played often enough."""
        return self.steering.allowed if self.steering.allowed is not None else self.grooves.playable

    @functools.cached_property
    def in_bar(self) -> np.ndarray:
        """(n, S, 1) bool the steps inside each bar (`SongScores.step_mask`), made once: lambda's rounds share it."""
        return self.scores.step_mask()[:, :, None]

    @functools.cached_property
    def bar_placement(self) -> BarPlacement:
        """Each bar's meter family's fill and crash placement (groove.placement), made once a decision: the placed
        mark rules and `fill_kinds` read it."""
        return load_placement().bars(bar_families(self.scores))

    @property
    def rests_allowed(self) -> bool:
        """Whether a bar may rest: not where the steering forces every bar to play (`Steering.without_rests`)."""
        return self.steering.rests is None or self.steering.rests.dtype != bool or bool(self.steering.rests.any())

    def after(self, past: Past) -> BarContext:
        """The context of the bars after `past` (the chooser's; policy `copied`)."""
        return copied(self, past=past)

    def without_rests(self) -> BarContext:
        """The context with no rest allowed: a take decided again where it rested too much."""
        return dataclasses.replace(self, steering=self.steering.without_rests(len(self.p)))


@dataclass
class BarDecision:
    """The decision the rules write, per bar."""

    hits: np.ndarray  # (n, S, 9) bool
    entry: np.ndarray  # (n,) int64 codebook entry each bar is built on (-1: none, a bar length it lacks)
    marks: np.ndarray  # (n, 3) bool rest, crash, fill (groove.structure's columns)
    edges: np.ndarray  # (n, 3) bool where each mark's edge threshold holds: the song changes there
    grouped: np.ndarray | None = None  # (n,) int64 the longer entry a run of short bars plays a part of (-1: none)
    kit_count: kit.KitCount | None = None  # the open hats expected and played after these bars (`open_hats`)
    tom_fills: np.ndarray | None = None  # (n,) bool the fill bars that play toms (`fill_kinds`; None: all may)
    tom_count: kit.KitCount | None = None  # the toms expected and allowed after these bars (`fill_kinds`)
    crash_count: kit.KitCount | None = None  # the crash hits expected and played after these bars (`crash_accents`)
    fill_beats: np.ndarray | None = None  # (n,) int each fill's beats as placed (`placed_fill_marks`; None: not placed)
    # (n,) int8 where a fill leads into a section, whether its downbeat crashes (1) or not (0); -1 no such bar
    # (`landed_crashes`; None: none decided)
    landings: np.ndarray | None = None

    @classmethod
    def of_entries(cls, entry: np.ndarray, context: BarContext, edges: np.ndarray) -> BarDecision:
        """A decision whose bars are the chosen codebook entries, no marks yet."""
        return cls(np.zeros(context.p.shape, dtype=bool), np.asarray(entry, dtype=np.int64),
                   np.zeros((len(entry), 3), dtype=bool), np.asarray(edges, dtype=bool).copy())


Rule = Callable[[BarContext, BarDecision], None]
