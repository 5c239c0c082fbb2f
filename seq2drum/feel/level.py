"""How loud the drums play, and how far their velocities spread: as the song's drummer would beside its band.

Drummers play as loud as their band: over the shipped model's training songs the mean velocity of a song's drum
part follows the mean velocity of its other parts (r 0.59), where the network decides about 95 for every song. So a
take's velocities are moved, all by one amount, to the level the first line below predicts from the parts the drums
listen to. How far a drummer's velocities spread around it follows the band too (r 0.36): about 8 beside a band
played at one velocity, 16 beside one spreading 20, where the humanizer spreads every song's drums about 14. So the
humanized velocities are then scaled around their mean to the spread the second line predicts, their order kept.
With drums the user gave, their level and spread. A drummer's touch drawn from the training drummers (feel.touch)
takes the lines' place where its table ships; `python -m studies.band_level` fits both lines; the figures:
docs/experiments/2026-11-26-band-level.md. Live the same lines are read from the notes heard so far (`LiveLevel`):
each bar's decided velocities are moved by the level against the mean the drums were decided at since it was first
heard, and its played ones scaled around their mean since then; until the band (or the user's drums) has played a
note, as decided and humanized.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from seq2drum import arrays
from seq2drum.feel.touch import TOUCH_CEILING, TOUCH_NOTES, load_touches, loud_spread
from seq2drum.midi.drums import midi_velocity

BAND_LEVEL_SLOPE = 0.695  # the drummer's mean velocity = this x the mean velocity of the parts heard ...
BAND_LEVEL_INTERCEPT = 27.4  # ... + this
BAND_SPREAD_SLOPE = 0.439  # the standard deviation of the drummer's velocities = this x that of the parts heard ...
BAND_SPREAD_INTERCEPT = 7.7  # ... + this


def heard_level(velocities: np.ndarray) -> float | None:
    """The level (mean MIDI velocity) a drummer plays at beside parts played at `velocities` (any shape; None: no
    notes)."""
    if not velocities.size:
        return None
    return level_beside(float(np.mean(velocities)))


def level_beside(band_mean: float) -> float:
    """The first line: the drummer's mean velocity beside parts whose mean velocity is `band_mean`."""
    return BAND_LEVEL_SLOPE * band_mean + BAND_LEVEL_INTERCEPT


def spread_beside(band_std: float) -> float:
    """The second line: the drummer's velocity spread beside parts whose velocities spread `band_std`."""
    return BAND_SPREAD_SLOPE * band_std + BAND_SPREAD_INTERCEPT


def heard_spread(velocities: np.ndarray) -> float | None:
    """The spread (standard deviation of MIDI velocity) a drummer plays with beside parts played at `velocities` (any
    shape; None: no notes)."""
    if not velocities.size:
        return None
    return spread_beside(float(np.std(velocities)))


def at_level(velocity: np.ndarray, hits: np.ndarray, level: float | None, mean: float | None = None) -> np.ndarray:
    """`velocity` (an array of MIDI velocities, `hits` bool of its shape) moved by one amount so that its hits'
    mean is `level` (None, or no hits: as it is), kept within 1-127; no velocity where no hit. `mean`: the mean to
    move from, where it is not the hits' own (live, that of the bars so far)."""
    if level is None or not hits.any():
        return velocity
    moved = velocity.astype(np.float64) + (level - (float(velocity[hits].mean()) if mean is None else mean))
    return np.where(hits, midi_velocity(np.round(moved)), 0).astype(velocity.dtype)


def at_spread(velocity: np.ndarray, hits: np.ndarray, spread: float | None,
              of: tuple[float, float] | None = None, ceiling: float | None = None) -> np.ndarray:
    """`velocity` (MIDI velocities, `hits` bool of its shape) with its hits' distances from their mean scaled so that
    their standard deviation is `spread` (None, no spread in them, or no hits: as it is), kept within 1-127; no
    velocity where no hit. The loud stay the loud: accents and ghost notes keep their order. `of`: the (mean,
    standard deviation) to scale from, where they are not the hits' own (live, those of the bars so far). `ceiling`
    (a touch's; None: none): the hits above the mean scaled to feel.touch `loud_spread` instead, so the loudest stay
    under it while the soft ones keep the whole spread."""
    if spread is None or not hits.any():
        return velocity
    played = velocity[hits].astype(np.float64)
    centre, std = (played.mean(), played.std()) if of is None else of
    if std == 0:
        return velocity
    distance = velocity.astype(np.float64) - centre
    loud = spread if ceiling is None else loud_spread(centre, spread, ceiling)
    scaled = centre + distance * np.where(distance > 0, loud / std, spread / std)
    return np.where(hits, midi_velocity(np.round(scaled)), 0).astype(velocity.dtype)


class SongLevel(NamedTuple):
    """Offline, the level and spread the drums play at over a whole take (`generation.render.drums_feel`: the user's
    drums', else the lines' from the parts listened to; None: as decided, as humanized). The render pipeline reads it
    as it reads `LiveLevel` live: `leveled`, then `spread_out`; over a whole take there is nothing to count."""

    level: float | None = None
    spread: float | None = None
    ceiling: float | None = None  # a touch's loudest hits at most this (feel.touch; None: the user's drums, the lines)

    def leveled(self, velocity: np.ndarray, hits: np.ndarray, dynamics: float) -> tuple[np.ndarray, SongLevel]:
        """The take's decided `velocity` (MIDI, `hits` bool of its shape) moved by one amount so that its hits average
        the level times `dynamics` (`at_level`)."""
        return at_level(velocity, hits, None if self.level is None else self.level * dynamics), self

    def spread_out(self, played: np.ndarray, hits: np.ndarray, dynamics: float) -> tuple[np.ndarray, SongLevel]:
        """The take's played velocities scaled around their mean to the spread times `dynamics`, the loud side under
        the ceiling times `dynamics` (`at_spread`)."""
        return at_spread(played, hits, None if self.spread is None else self.spread * dynamics,
                         ceiling=None if self.ceiling is None else self.ceiling * dynamics), self


class Sums(NamedTuple):
    """The count, sum and sum of squares of velocities heard or played so far (live, over the bars played)."""

    count: int = 0
    total: float = 0.0
    squares: float = 0.0

    def after(self, velocities: np.ndarray) -> Sums:
        """The sums with `velocities` (any shape) added."""
        values = np.asarray(velocities, dtype=np.float64).ravel()
        return Sums(self.count + len(values), self.total + float(values.sum()),
                    self.squares + float(np.dot(values, values)))

    def mean(self) -> float | None:
        return self.total / self.count if self.count else None

    def std(self) -> float | None:
        if not self.count:
            return None
        mean = self.total / self.count
        return math.sqrt(max(0.0, self.squares / self.count - mean * mean))  # np.sqrt's (both correctly rounded)


class LiveLevel(NamedTuple):
    """Live, the level and spread of the drums read from the bars so far, as `generation.render` reads them from the
    whole song: the band's velocities (the parts the drummer hears), the user's kept drums', the drums' decided
    velocities and their played (humanized) ones; and the drummer's touch (feel.touch), drawn once the band's first
    TOUCH_NOTES notes are heard and held from then on."""

    band: Sums = Sums()
    given: Sums = Sums()
    decided: Sums = Sums()
    played: Sums = Sums()
    band_velocities: int = 0  # the band's velocities heard so far, as bits (1 << velocity)
    touch: tuple[float, float] | None = None

    def target(self) -> tuple[float | None, float | None]:
        """The level and spread to play at: the user's drums' own where some were kept, else the touch drawn, else
        the lines' from the band so far (None, None: nothing heard yet)."""
        if self.given.count:
            return self.given.mean(), self.given.std()
        if self.touch is not None:
            return self.touch
        mean, std = self.band.mean(), self.band.std()
        if mean is None or std is None:
            return None, None
        return level_beside(mean), spread_beside(std)

    def hearing_band(self, velocities: np.ndarray, seed: int) -> LiveLevel:
        """The state with the band's notes' `velocities` heard; from the TOUCH_NOTES-th on, the touch a drummer beside
        them plays with, drawn by `seed` (feel.touch), held for the rest of the song."""
        values = np.asarray(velocities, dtype=np.int64).ravel()
        band = self.band.after(values)
        if self.touch is not None:  # drawn and held: the velocities used no longer count
            return self._replace(band=band)
        bits = self.band_velocities
        for velocity in arrays.distinct(values).tolist():
            bits |= 1 << int(velocity)
        touch, touches = None, load_touches()
        if touches is not None and band.count >= TOUCH_NOTES:
            touch = touches.touch(band.mean(), band.std(), bits.bit_count(), seed)
        return self._replace(band=band, band_velocities=bits, touch=touch)

    def hearing_given(self, velocities: np.ndarray) -> LiveLevel:
        """The state with the user's kept drum notes' `velocities` heard: from the first of them, the drums are counted
        afresh at their level."""
        if not np.size(velocities):
            return self
        fresh = self.given.count == 0
        return self._replace(given=self.given.after(velocities), decided=Sums() if fresh else self.decided,
                             played=Sums() if fresh else self.played)

    def leveled(self, velocity: np.ndarray, hits: np.ndarray, dynamics: float) -> tuple[np.ndarray, LiveLevel]:
        """A bar's decided `velocity` (MIDI, `hits` bool of its shape) moved by one amount (`at_level`) so that the
        drums decided since the level was first heard, this bar included, average the level (times `dynamics`), as
        a whole take is moved; and the state with the bar's decided velocities counted. Nothing heard: as decided."""
        level = self.target()[0]
        if level is None or not hits.any():
            return velocity, self
        decided = self.decided.after(velocity[hits])
        return at_level(velocity, hits, level * dynamics, decided.mean()), self._replace(decided=decided)

    def spread_out(self, played: np.ndarray, hits: np.ndarray, dynamics: float) -> tuple[np.ndarray, LiveLevel]:
        """A bar's played velocities (MIDI, `hits` bool of its shape) scaled (`at_spread`) around the mean played
        since the level was first heard, this bar included, by the spread (times `dynamics`) over the spread played
        since, as a whole take is scaled; and the state with the bar's played velocities counted. Nothing heard: as
        played."""
        spread = self.target()[1]
        if spread is None or not hits.any():
            return played, self
        so_far = self.played.after(played[hits])
        ceiling = TOUCH_CEILING * dynamics if self.touch is not None and not self.given.count else None  # as offline
        return at_spread(played, hits, spread * dynamics, (so_far.mean(), so_far.std()), ceiling), \
            self._replace(played=so_far)
