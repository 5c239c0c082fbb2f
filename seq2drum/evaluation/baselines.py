"""Drum parts that ignore the guitar, to score the model against: a rock backbeat, a jazz ride pattern, and the
training set's most played bar. Each follows the song's meter map bar by bar, so 3/4, 6/8 and 7/8 bars get a
pattern that fits them.

Velocities are a fixed accent pattern (`accent_velocity`): loudest on the downbeat, then beats, beat halves and
finer steps, shifted per class (hats and ride softer than kick and snare).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from seq2drum.midi.drums import CLOSED_HAT, KICK, NUM_DRUM_CLASSES, RIDE, SNARE, midi_velocity
from seq2drum.evaluation.metrics import bar_keys
from seq2drum.song.drum_part import DrumGrid
from seq2drum.song.grid import BAR_DENOMINATOR, BAR_NUMERATOR, BAR_START, BAR_STEPS, Grid, is_compound

if TYPE_CHECKING:
    from seq2drum.song.encode import EncodedSong

LEVEL_VELOCITY = (112, 100, 88, 76)  # by Grid.metrical_level: downbeat, beat, beat half, finer
CLASS_VELOCITY_SHIFT = np.array([0, 6, -16, -10, 0, 0, 0, 4, -12])  # kick .. ride, see drums.DRUM_CLASSES

BASELINES = ("backbeat", "jazz_ride", "retrieval")


def accent_velocity(grid: Grid, drums: DrumGrid) -> None:
    """Give every hit the fixed accent of its metrical level and class (in place)."""
    level = grid.metrical_level()
    velocity = np.asarray(LEVEL_VELOCITY)[level][:, None] + CLASS_VELOCITY_SHIFT[None, :]
    drums.velocity[:] = np.where(drums.hits, midi_velocity(velocity), 0).astype(np.uint8)


@dataclass(frozen=True)
class _Bar:
    start_step: int
    n_steps: int
    beat_steps: int
    compound: bool  # beats of three eighths (6/8, 9/8, 12/8)

    @property
    def beats(self) -> list[int]:
        return list(range(self.start_step, self.start_step + self.n_steps, self.beat_steps))


def _bars(grid: Grid) -> list[_Bar]:
    beat = grid.beat_steps()
    bars = []
    columns = [BAR_START, BAR_STEPS, BAR_NUMERATOR, BAR_DENOMINATOR]
    for start, n_steps, numerator, denominator in grid.bars[:, columns].tolist():
        compound = bool(is_compound(numerator, denominator))
        bars.append(_Bar(start, n_steps, int(beat[start]), compound))
    return bars


def _eighths(bar: _Bar, steps_per_quarter: int) -> list[int]:
    """Steps of the bar on an eighth-note grid (every step when the grid is coarser than eighths)."""
    spacing = max(1.0, steps_per_quarter / 2)
    steps = {bar.start_step + int(round(x)) for x in np.arange(0, bar.n_steps, spacing)}
    return sorted(step for step in steps if step < bar.start_step + bar.n_steps)


def backbeat(grid: Grid) -> DrumGrid:
    """A constant rock beat: closed hat on every eighth, kick and snare alternating on the beats.

    With an even number of beats in the bar (4/4, 2/4, 6/8 and 12/8 counted in dotted quarters) the kick plays the
    odd-numbered beats (1, 3) and the snare the even-numbered ones (2, 4). With an odd number (3/4, 5/4, 7/8) the
    kick plays the downbeat and the snare the middle beat (beat 2 of 3/4, beat 3 of 5/4, beat 4 of 7/8). A one-beat
    bar gets the kick alone.
    """
    drums = DrumGrid.empty(grid.n_steps)
    for bar in _bars(grid):
        beats = bar.beats
        if len(beats) % 2 == 0:
            drums.hits[beats[0::2], KICK] = True
            drums.hits[beats[1::2], SNARE] = True
        else:
            drums.hits[beats[0], KICK] = True
            if len(beats) > 1:
                drums.hits[beats[len(beats) // 2], SNARE] = True
        drums.hits[_eighths(bar, grid.steps_per_quarter), CLOSED_HAT] = True
    accent_velocity(grid, drums)
    return drums


def jazz_ride(grid: Grid) -> DrumGrid:
    """A swing ride pattern: ride on every beat with a skip note a swung eighth (2/3 of the beat) after each
    even-numbered beat ("ding, ding-a ding, ding-a"), hi-hat foot (closed hat) on the even-numbered beats, and a soft
    kick on the downbeat only. Compound bars (6/8, 9/8, 12/8) get the ride on every eighth instead, unswung.

    The skip note sits on the nearest step with the rest as microtiming offset, so its swing ratio reads 0.67.
    """
    drums = DrumGrid.empty(grid.n_steps)
    skip_steps: list[int] = []
    for bar in _bars(grid):
        beats = bar.beats
        drums.hits[beats[0], KICK] = True
        drums.hits[beats[1::2], CLOSED_HAT] = True
        if bar.compound:
            drums.hits[_eighths(bar, grid.steps_per_quarter), RIDE] = True
            continue
        drums.hits[beats, RIDE] = True
        for beat in beats[1::2]:
            position = beat + 2 * bar.beat_steps / 3
            step = int(np.floor(position + 0.5))
            if bar.beat_steps >= 2 and step < bar.start_step + bar.n_steps:
                drums.hits[step, RIDE] = True
                drums.offset[step, RIDE] = position - step
                skip_steps.append(step)
    accent_velocity(grid, drums)
    drums.velocity[:, KICK] = np.where(drums.hits[:, KICK], 70, 0)  # feathered, not a rock kick
    drums.velocity[skip_steps, RIDE] = 64
    return drums


@dataclass
class BarLibrary:
    """Every bar of the training drums, as (bar length in steps, packed 9-class pattern) keys with their counts."""

    counts: Counter[tuple[int, bytes]] = field(default_factory=Counter)
    songs: frozenset[str] = frozenset()  # sha256 of the songs whose bars are counted

    @classmethod
    def build(cls, songs: Iterable[EncodedSong]) -> BarLibrary:
        """From songs with drums, over each song's span (the bars the model is trained and scored on)."""
        counts: Counter[tuple[int, bytes]] = Counter()
        built_from = set()
        for song in songs:
            if song.drums is not None:
                counts.update(song_bars(song))
                built_from.add(song.sha256)
        return cls(counts, frozenset(built_from))

    def without(self, song: EncodedSong) -> BarLibrary:
        """The library less `song`'s own bars (itself when the song is not in it): a song scored against a library
        holding its own drums would find its real bars there (`--split all`: copied bars 1.00)."""
        if song.sha256 not in self.songs or song.drums is None:
            return self
        return BarLibrary(self.counts - Counter(song_bars(song)), self.songs - {song.sha256})

    @property
    def keys(self) -> set[tuple[int, bytes]]:
        """The set of training bars, for novelty."""
        return set(self.counts)

    def most_frequent(self) -> dict[int, np.ndarray]:
        """Bar length in steps -> the (n_steps, 9) bool pattern played most often at that length (ties: first seen)."""
        best: dict[int, tuple[int, bytes]] = {}
        for (n_steps, packed), count in self.counts.items():
            if n_steps not in best or count > best[n_steps][0]:
                best[n_steps] = (count, packed)
        return {
            n_steps: np.unpackbits(np.frombuffer(packed, dtype=np.uint8), count=n_steps * NUM_DRUM_CLASSES)
            .reshape(n_steps, NUM_DRUM_CLASSES).astype(bool)
            for n_steps, (_, packed) in best.items()
        }

    def __repr__(self) -> str:
        return f"BarLibrary({sum(self.counts.values())} bars, {len(self.counts)} distinct, {len(self.songs)} songs)"


def song_bars(song: EncodedSong) -> list[tuple[int, bytes]]:
    """The keys of a song's drum bars over its span (bars that cannot be keyed left out)."""
    assert song.drums is not None
    return [key for key in bar_keys(song.drums.hits, song.grid, song.span_steps) if key is not None]


def retrieval(grid: Grid, library: BarLibrary) -> DrumGrid:
    """Every bar plays the non-empty training bar most often played at its length in steps; a length the training
    set never has falls back to the backbeat's bar."""
    drums = backbeat(grid)
    patterns = library.most_frequent()
    for start, n_steps in grid.bars[:, [BAR_START, BAR_STEPS]].tolist():
        if n_steps in patterns:
            drums.hits[start : start + n_steps] = patterns[n_steps]
    drums.offset[:] = 0.0
    accent_velocity(grid, drums)
    return drums


def baseline_drums(grid: Grid, library: BarLibrary) -> dict[str, DrumGrid]:
    """Every baseline's drums for one song, by name (the order of `BASELINES`)."""
    return {"backbeat": backbeat(grid), "jazz_ride": jazz_ride(grid), "retrieval": retrieval(grid, library)}


def bass_rule(grid: Grid, bass_onset_ticks: np.ndarray) -> DrumGrid:
    """The loop with its kicks moved to the bass: a kick at every bass onset rounded to the nearest eighth note
    (../shared/scoring/bass_follow.py); with no bass onset, the loop as it is."""
    drums = backbeat(grid)
    if len(bass_onset_ticks):
        eighth_ticks = grid.ticks_per_quarter / 2
        eighths = np.round(np.asarray(bass_onset_ticks, dtype=np.float64) / eighth_ticks) * eighth_ticks
        steps, _ = grid.quantize(eighths)
        drums.hits[:, KICK] = False
        drums.hits[steps[(steps >= 0) & (steps < grid.n_steps)], KICK] = True
    accent_velocity(grid, drums)
    return drums


def given_looped(grid: Grid, real: DrumGrid, groove_bar: int | None, given_bars: int) -> DrumGrid:
    """The drums a user gave, then their bars looped (../shared/scoring/prime_split.py's primebase/loop): the real
    drums up to the end of bar `groove_bar + given_bars - 1`, then bars groove_bar ... in turn, each cut to the length
    of the bar it fills. No groove bar: nothing was given, nothing plays."""
    drums = DrumGrid.empty(grid.n_steps)
    if groove_bar is None or groove_bar >= grid.n_bars:
        return drums
    bars = grid.bars[:, [BAR_START, BAR_STEPS]].tolist()
    last = min(groove_bar + given_bars, grid.n_bars)
    given_end = bars[last - 1][0] + bars[last - 1][1]
    drums.hits[:given_end] = real.hits[:given_end]
    sources = [bars[index] for index in range(groove_bar, last)]
    for index in range(last, grid.n_bars):
        start, n_steps = bars[index]
        source_start, source_steps = sources[(index - groove_bar) % len(sources)]
        length = min(n_steps, source_steps)
        drums.hits[start : start + length] = real.hits[source_start : source_start + length]
    accent_velocity(grid, drums)
    return drums
