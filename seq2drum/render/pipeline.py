"""The one render pipeline: decided drums -> drums as played, in named steps, each control applied in one of them.

    level      velocity   the decided velocities moved by one amount to the drums' level, times --dynamics
    humanize   velocity,  each hit as the drawn drummer plays it (feel.model: --humanize, --feel; the learned
               timing     velocities times --dynamics), drifting from the drift state handed in (feel.drift)
    spread     velocity   the played velocities scaled around their mean to the drums' spread, times --dynamics
    swing      timing     the swung eighth at --swing's ratio, or the song's own (feel.swing; None: straight)
    notes      pitch      each hit on its class's note or its articulation's (the hi-hat foot, the cross-stick), then
                          the kit map (--kit-map)

`play` runs the first four, `notes` writes the result: offline (generation/render.py) over each take of a song,
live (live/render.py) over one bar. Only what each hands in differs: the level and spread (feel.level `SongLevel`,
`LiveLevel` from the bars so far), the drift (live carries it bar to bar), the random stream and the swing's ratio.
The options are read once, into `RenderControls`; a package of its own, so that live/ imports nothing of generation.
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple, Protocol

import numpy as np

from seq2drum.feel.drift import DriftState
from seq2drum.feel.model import Drummer, humanize_hits, shipped_tables
from seq2drum.feel.swing import swing
from seq2drum.feel.touch import TOUCH_CEILING, TOUCH_HEADROOM, TOUCH_MIN_SPREAD
from seq2drum.midi.drums import midi_velocity
from seq2drum.midi.kit import KitMap
from seq2drum.options import GenerationOptions
from seq2drum.song.drum_part import DrumGrid, hits_to_drums
from seq2drum.song.grid import Grid


class Loudness(Protocol):
    """Where the level and spread come from (feel.level `SongLevel` offline, `LiveLevel` live)."""

    def leveled(self, velocity: np.ndarray, hits: np.ndarray, dynamics: float) -> tuple[np.ndarray, Loudness]: ...

    def spread_out(self, played: np.ndarray, hits: np.ndarray, dynamics: float) -> tuple[np.ndarray, Loudness]: ...


class RenderControls(NamedTuple):
    """The controls the render applies, read from the options once (`of`); each step reads its own. (A NamedTuple: a
    live bar makes one, in a microsecond less than a frozen dataclass.)"""

    dynamics: float  # --dynamics: the level, the humanizer's learned velocities and the spread, times this
    humanize: float  # --humanize's amount (0: on the grid, at the decided velocity)
    feel: str  # --feel: which drummer the humanizer draws
    swing: float | None  # the swung eighth's place in the beat (None: straight)
    kit: KitMap  # --kit-map (GM without one)
    # (N,) bool the song steps swung at PART_SWING where the song swings less: a take's swung parts' bars (issue 99)
    part_swing_steps: np.ndarray | None = None
    # (N,) bool the song steps of a take's bars of a style's drummers' bars: their accents kept (`Take.own_touch`)
    own_touch_steps: np.ndarray | None = None
    # (N,) bool the song steps of a swung song left straight: a straight style's section (`Take.straight_bars`)
    straight_steps: np.ndarray | None = None

    @classmethod
    def of(cls, options: GenerationOptions, swing_ratio: float | None = None) -> RenderControls:
        """The controls of `options`, swung at `swing_ratio` (`--swing`, or the song's own reading: the caller's)."""
        return cls(options.dynamics, options.humanize, options.feel, swing_ratio, kit_map(options.kit_map))


class Played(NamedTuple):
    """Decided drums as played: each hit of `decided` (in `np.nonzero` order) with its MIDI velocity and its offset
    in steps; `notice` is the swing's (compound bars left straight); `drift` where the drummer's drift stands after
    them (the next bar's, live). `on_grid` and `from_grid` convert it to and from a `DrumGrid`."""

    decided: DrumGrid  # the hits and their articulations; its velocities leveled
    step: np.ndarray  # (n,) int64
    drum_class: np.ndarray  # (n,) int64
    velocity: np.ndarray  # (n,) MIDI velocities (whole numbers, 1-127)
    offset: np.ndarray  # (n,) float32 steps
    notice: str = ""
    drift: DriftState = DriftState()

    def on_grid(self) -> DrumGrid:
        """The played hits as a `DrumGrid` (velocity uint8, offset float32, 0 where no hit), as `humanize` makes it."""
        hits = self.decided.hits
        velocity = self.decided.velocity.astype(np.float64)
        velocity[self.step, self.drum_class] = self.velocity
        offset = np.zeros(hits.shape, dtype=np.float32)
        offset[self.step, self.drum_class] = self.offset
        return DrumGrid(hits, np.where(hits, velocity, 0).astype(np.uint8),
                        np.where(hits, offset, 0.0).astype(np.float32), articulation=self.decided.articulation)

    @classmethod
    def from_grid(cls, drums: DrumGrid) -> Played:
        """`on_grid` undone: every hit of `drums` as played."""
        step, drum_class = np.nonzero(drums.hits)
        return cls(drums, step, drum_class, drums.velocity[step, drum_class], drums.offset[step, drum_class])


def play(decided: DrumGrid, grid: Grid, controls: RenderControls, loudness: Loudness, drummer: Drummer | None,
         rng: np.random.Generator, drift: DriftState = DriftState()) -> tuple[Played, Loudness]:
    """`decided` (hits, velocities and articulations on `grid`) as played from the drift state `drift` (none yet by
    default): the steps in order, and `loudness` after them (live, the bar's velocities counted); the drift state
    after them is the played hits' `drift`."""
    decided, loudness = level(decided, controls, loudness)
    played = humanize(decided, grid, controls, drummer, rng, drift)
    played, loudness = spread(played, controls, loudness)
    return swung(played, grid, controls), loudness


def level(decided: DrumGrid, controls: RenderControls, loudness: Loudness) -> tuple[DrumGrid, Loudness]:
    """velocity: the decided velocities (MIDI velocities, 1-127, as every decision step leaves them) moved by one
    amount to the level `loudness` gives, times --dynamics (none known: as decided); no velocity and no offset where
    no hit."""
    hits = decided.hits
    velocity, loudness = loudness.leveled(np.where(hits, decided.velocity, 0).astype(np.uint8), hits,
                                          controls.dynamics)
    own = None if controls.own_touch_steps is None else hits & own_hits(controls, np.arange(len(hits)))[:, None]
    if own is not None and own.any():  # a style's drummers' bars: scaled, not moved (a ghost note stays a ghost) ...
        raw = decided.velocity[own].astype(np.float64)
        scaled = raw * velocity[own].mean() / max(float(raw.mean()), 1.0)
        # ... the loud side narrowed so that the loudest stays under the touch's ceiling by room for the drummer's
        # variation (feel.touch: the headroom of the narrowest spread)
        ceiling = (TOUCH_CEILING - TOUCH_HEADROOM * TOUCH_MIN_SPREAD) * controls.dynamics
        centre, top = float(scaled.mean()), float(scaled.max())
        if top > ceiling > centre:
            scaled = np.where(scaled > centre, centre + (scaled - centre) * (ceiling - centre) / (top - centre), scaled)
        velocity[own] = midi_velocity(np.rint(scaled))
    return DrumGrid(hits, velocity, np.zeros(hits.shape, dtype=np.float32), articulation=decided.articulation), loudness


def humanize(decided: DrumGrid, grid: Grid, controls: RenderControls, drummer: Drummer | None,
             rng: np.random.Generator, drift: DriftState = DriftState()) -> Played:
    """velocity, timing: each hit as `drummer` plays it from the drift state `drift` (feel.model `humanize_hits`, at
    --humanize's amount, the learned velocities times --dynamics), rounded to a MIDI velocity; with the drift state
    after them. Draws feel.drift `latent`'s normals from `rng` (none without a drummer)."""
    hits = humanize_hits(decided, grid, controls.humanize, drummer, rng, controls.dynamics, drift=drift)
    velocity = midi_velocity(np.rint(hits.velocity))
    own = own_hits(controls, hits.step)
    if own is not None:  # a style's drummers' bars at their accents (leveled), the drawn drummer's variation and timing
        mine = decided.velocity[hits.step, hits.drum_class] + (0.0 if hits.departure is None else hits.departure)
        velocity = np.where(own, midi_velocity(np.rint(np.minimum(mine, TOUCH_CEILING * controls.dynamics))), velocity)
    return Played(decided, hits.step, hits.drum_class, velocity, hits.offset.astype(np.float32), drift=hits.drift)


def own_hits(controls: RenderControls, step: np.ndarray) -> np.ndarray | None:
    """(n,) bool the hits at `step` in a style's drummers' bars (`RenderControls.own_touch_steps`); None: none."""
    return hits_in(controls.own_touch_steps, step)


def hits_in(steps: np.ndarray | None, step: np.ndarray) -> np.ndarray | None:
    """(n,) bool the hits at `step` that fall on a song step `steps` (N,) marks (past its end: not); None: no mask,
    or no hit."""
    if steps is None or not len(step):
        return None
    return steps[np.minimum(step, len(steps) - 1)] & (step < len(steps))


def spread(played: Played, controls: RenderControls, loudness: Loudness) -> tuple[Played, Loudness]:
    """velocity: the played velocities scaled around their mean to the spread `loudness` gives, times --dynamics
    (none known: as played), their order kept; a style's drummers' bars (`RenderControls.own_touch_steps`: scaled
    to the level by `level`, not moved, under the touch's ceiling, at that velocity by `humanize`) keep their
    own spread."""
    own = own_hits(controls, played.step)
    kept = np.zeros(len(played.velocity), dtype=bool) if own is None else own  # a style's drummers' bars: as played
    velocity, loudness = loudness.spread_out(played.velocity, ~kept, controls.dynamics)
    return played._replace(velocity=np.where(kept, played.velocity, velocity)), loudness


PART_SWING = 2 / 3  # a swung part's eighth in a straight song: the triplet's, as "swung eighths" says


def swung(played: Played, grid: Grid, controls: RenderControls) -> Played:
    """timing: the swung eighth moved to the swing's ratio (feel.swing `swing`; None: left straight), with its notice
    where compound bars stay straight; the bars of the take's swung parts (`part_swing_steps`: "swung eighths on the
    hat", a shuffle, a jazz ride) at PART_SWING, as they are named, where the song is straight or swings less (a
    drummer's ride swings harder than the band's eighths at medium tempos: Friberg and Sundstrom 2002)."""
    if controls.swing is None:
        inside = hits_in(controls.part_swing_steps, played.step)
        if inside is None:
            return played
        drums, _ = swing(played.on_grid(), grid, PART_SWING)
        return played._replace(offset=np.where(inside, drums.offset[played.step, played.drum_class], played.offset)
                               .astype(np.float32))
    drums, notice = swing(played.on_grid(), grid, controls.swing)
    offset = drums.offset[played.step, played.drum_class]
    straight = hits_in(controls.straight_steps, played.step)  # a straight style's section stays straight
    if straight is not None:
        offset = np.where(straight, played.offset, offset).astype(np.float32)
    harder = hits_in(controls.part_swing_steps, played.step) if controls.swing < PART_SWING else None
    if harder is not None:  # the swung parts the musician named, where the band swings less than the triplet
        drums, _ = swing(played.on_grid(), grid, PART_SWING)
        offset = np.where(harder, drums.offset[played.step, played.drum_class], offset).astype(np.float32)
    return played._replace(offset=offset, notice=notice)


def notes(played: Played, grid: Grid, controls: RenderControls, sticks: np.ndarray | None = None) -> np.ndarray:
    """pitch: the played hits as drum notes (N, 4) on `grid`'s clock, each on its class's note or its
    articulation's, then on the kit map's notes with the count-in's `sticks` (M, 4; None: none)."""
    written = hits_to_drums(played.step, played.drum_class, played.velocity, played.offset, grid,
                            articulation=played.decided.articulation[played.step, played.drum_class])
    return controls.kit.apply(written, sticks)


def draw_drummer(rng: np.random.Generator, feel: str, humanize: float) -> Drummer | None:
    """The drummer the humanizer plays as at --feel `feel`, drawn first from the request's stream (None at
    --humanize 0)."""
    return shipped_tables().draw_drummer(rng, feel) if humanize > 0 else None


@lru_cache(maxsize=64)
def kit_map(kit_map_json: str | None) -> KitMap:
    """The kit map of --kit-map's JSON (GM without one); KitMap is frozen, so one parse serves every take and bar."""
    return KitMap.from_json(kit_map_json) if kit_map_json else KitMap.gm()
