"""Where a take's fills and crashes go, as the training songs' drummers place them (issue 88): their statistics
(`Placement`, seq2drum/groove/placement.json, refitted by `python -m seq2drum.training.placement`) and the seeded draws
each take reads them with, offline and live alike.

The request gives every take a `Placing`: where each bar sits in its section (bars from its start, and whether it closes
the section or leads into a change of part: offline; live, the bars since the band came in) and the take's uniform
draws, seeded by (seed, take, song bar), so each take places its fills and crashes its own way, and a bar draws the
same offline and live. The mark rules (groove.marks `placed_fill_marks`, `placed_crash_marks`) read both with what the
model expects of the song (offline the whole song, live the bars so far): how often its drummer fills (`FillRate`: fill
bars per 8 from the model's fill and tom expectations), where a fill ends in the phrase and whether it lasts a bar or
two (`fill_hazard`, `two_bar_share`), how long a one-bar fill is (a beat, two, three, the bar), whether it plays toms
(`tom_share`), and which bars open with a crash (`crash_hazard`: a section's first most, more after a fill).
"""

from __future__ import annotations

import functools
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np

from seq2drum.parts.labels import family_of
from seq2drum.song.phrases import PHRASE_BARS

PLACEMENT_FILE = Path(__file__).resolve().parent / "placement.json"
FORMAT_VERSION = 1
FAMILIES = ("4/4", "3/4", "compound", "other")  # ../shared/scoring's meter families (parts.labels `family_of`)
# where a fill's last bar sits: the 1st, 2nd, 3rd bar of a 4-bar phrase, its last, or a section's last (a lead-in)
FILL_POSITIONS = ("first", "second", "third", "phrase_end", "section_end")
SECTION_END = FILL_POSITIONS.index("section_end")
NO_POSITION = -1  # a bar no section holds (live: before the band), or a 4/16 piece: no fill, an ordinary crash
FILL_LENGTHS = ("1", "2", "3", "bar")  # a one-bar fill's length: its last 1, 2, 3 beats, or the whole bar
WHOLE_BAR = 99  # a fill length in beats meaning the whole bar (more than any bar has)
TWO_BARS = 2 * WHOLE_BAR  # ... the whole bar, the first of a two-bar fill (the next bar fills whole too)
# a crash bar's place: a section's first bar, the first of its 8-bar phrases, of its other 4-bar phrases, elsewhere
CRASH_POSITIONS = ("section_start", "eighth", "fourth", "other")
FILL_DRAW, LENGTH_DRAW, VOICE_DRAW, CRASH_DRAW = range(4)  # the columns of a placing's draws
PLACEMENT_STREAM = 88  # the placements' random stream beside the seed (the takes' and the plans' draw as before)
PRIOR_BARS = 8.0  # live, the song's rates start from the training songs' mean, as if this many bars had been heard
FILL_EVIDENCE_POWER = 1.0  # a bar's fill chance x (its fill probability / the song's mean) ** this: the song's
# rate kept, its fills moved to the bars where the network hears one (0: by place alone)
MIN_FILL_MEAN = 1e-3  # the song's mean fill probability at least this (a song the model expects no fill in)


@dataclass(frozen=True)
class FamilyPlacement:
    """How the drummers of one meter family place fills and crashes (hazards relative: 1 = the family's mean)."""

    fill_hazard: tuple[float, ...]  # per FILL_POSITIONS: fills ending there, per bar, over the mean
    two_bar_share: float  # of the fills, those two bars long
    fill_length: tuple[float, ...]  # per FILL_LENGTHS: the share of one-bar fills that long
    tom_share: float  # of the fills, those that play toms (the others: the snare)
    crash_hazard: tuple[float, ...]  # per CRASH_POSITIONS: crash bars there, per bar, over the mean
    crash_after_fill: float  # a bar after a fill crashes this many times as often as one after none


@dataclass(frozen=True)
class FillRate:
    """A song's fill bars per 8 from what the model expects of it, fitted to its drummer's (Poisson):
    exp(intercept) * (fill + offset) ** fill_power * (toms + offset) ** tom_power, `fill` the fill bars it expects a
    playing bar (calibrated), `toms` the tom hits; at most `max_per_8`."""

    intercept: float
    fill_power: float
    tom_power: float
    offset: float
    max_per_8: float
    prior_fill: float  # the training songs' mean of each (live: where the song's rates start)
    prior_toms: float
    prior_crash: float  # the crash bars the model expects a playing bar, on the training songs

    def per_8(self, fill: float, toms: float) -> float:
        """The song's fill bars per 8 bars."""
        rate = np.exp(self.intercept) * (fill + self.offset) ** self.fill_power * (toms + self.offset) ** self.tom_power
        return float(min(rate, self.max_per_8))


@dataclass(frozen=True)
class Placement:
    """The drummers' placement of fills and crashes: per meter family, and the songs' fill rate."""

    families: dict[str, FamilyPlacement]
    rate: FillRate
    about: dict  # what it was fitted from, when and by which command

    def bars(self, families: list[str]) -> BarPlacement:
        """The placement of bars of the meter `families` (FAMILIES; `bar_families`), each its family's. A live bar's
        (one family) is made once per family, read-only: live, every bar made its own."""
        if len(families) == 1:
            return self._one_bar(families[0])
        names, table = self._table
        index = np.array([names.get(name, names["4/4"]) for name in families], dtype=np.int64)
        return BarPlacement(*(field[index] for field in table))

    def _one_bar(self, family: str) -> BarPlacement:
        made = self._one_bars.get(family)
        if made is None:
            names, table = self._table
            made = BarPlacement(*(field[[names.get(family, names["4/4"])]] for field in table))
            for field in made:
                field.setflags(write=False)
            made = self._one_bars.setdefault(family, made)
        return made

    @functools.cached_property
    def _one_bars(self) -> dict[str, BarPlacement]:
        return {}

    @functools.cached_property
    def _table(self) -> tuple[dict[str, int], BarPlacement]:
        """The families' row numbers, and their placements as the rows of a `BarPlacement`."""
        rows = list(self.families.values())
        fields = (np.array([getattr(f, name) for f in rows], dtype=np.float64) for name in BarPlacement._fields)
        return {name: row for row, name in enumerate(self.families)}, BarPlacement(*fields)

    def fill_events(self, fill: float, toms: float) -> float:
        """Fills (one or two bars each) a bar, for a song whose model expects `fill` fill bars and `toms` tom hits a
        playing bar: its fill bars per 8 over 8, over the bars a fill lasts on average."""
        return self.rate.per_8(fill, toms) / 8.0 / (1.0 + self._two_bar_share)

    @functools.cached_property
    def _two_bar_share(self) -> float:
        """The families' mean share of two-bar fills: made once, not every live bar."""
        return float(np.mean([f.two_bar_share for f in self.families.values()]))

    def to_json(self) -> str:
        return json.dumps({"format_version": FORMAT_VERSION, "about": self.about, "rate": asdict(self.rate),
                           "families": {name: asdict(f) for name, f in self.families.items()}}, indent=1)

    @classmethod
    def from_json(cls, text: str) -> Placement:
        data = json.loads(text)
        if data.get("format_version") != FORMAT_VERSION:
            raise ValueError(f"placement format {data.get('format_version')}, this code reads {FORMAT_VERSION}")
        families = {name: FamilyPlacement(**{k: tuple(v) if isinstance(v, list) else v for k, v in f.items()})
                    for name, f in data["families"].items()}
        return cls(families, FillRate(**data["rate"]), data.get("about", {}))


@functools.lru_cache(maxsize=4)
def load_placement(path: Path = PLACEMENT_FILE) -> Placement:
    """The placement statistics at `path` (the shipped ones by default), read once."""
    return Placement.from_json(Path(path).read_text())


class Placing(NamedTuple):
    """Where each of a take's bars sits, and the take's draws: what its fills and crashes are placed by."""

    position: np.ndarray  # (n + 1,) int bars from its section's start (NO_POSITION: none); [n] the bar after
    closing: np.ndarray  # (n + 1,) bool the bar closes its section or leads into a change of part (where known)
    draws: np.ndarray  # (n, 4) uniforms in [0, 1): FILL_DRAW, LENGTH_DRAW, VOICE_DRAW, CRASH_DRAW


def draws(seed: int, take: int, song_bars: np.ndarray) -> np.ndarray:
    """(n, 4) uniforms for take `take` (0: take 1) at each song bar: a bar's own stream, so a bar draws the same
    whether a whole song or the bar alone is decided. Counter-based, all bars at once (a generator seeded per bar
    cost a millisecond a song): the key (seed, PLACEMENT_STREAM, take) hashed word by word, then each bar's SplitMix64
    stream from it and its song bar, its first 4 outputs' top 53 bits the uniforms."""
    bars = np.asarray(song_bars, dtype=np.int64).reshape(-1).astype(np.uint64)
    state = _mixed(bars + np.uint64((_key(seed, take) + _GOLDEN) & _MASK))  # (n,) each bar's stream
    outputs = _mixed(state[:, None] + _STEPS)  # (n, 4)
    return (outputs >> np.uint64(11)).astype(np.float64) * 2.0**-53


_MASK = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15  # SplitMix64's increment
_STEPS = np.array([k * _GOLDEN & _MASK for k in range(1, 5)], dtype=np.uint64)  # a stream's first 4 states
_MIX = (30, 0xBF58476D1CE4E5B9, 27, 0x94D049BB133111EB, 31)  # SplitMix64's output function: shifts and multipliers


@functools.lru_cache(maxsize=256)  # a live stream asks for its one key every bar
def _key(seed: int, take: int) -> int:
    """The 64-bit key of take `take` of `seed` (any ints), for its placements: PLACEMENT_STREAM, then each 64-bit word
    of the seed (low first, one at least) and the take, each added and mixed in."""
    seed &= (1 << 64 * max(1, -(-seed.bit_length() // 64))) - 1  # a negative seed as its two's complement
    words = [(seed >> 64 * i) & _MASK for i in range(max(1, -(-seed.bit_length() // 64)))]
    key = PLACEMENT_STREAM
    for word in (*words, take & _MASK):
        key = int(_mixed(np.array([(key + _GOLDEN + word) & _MASK], dtype=np.uint64))[0])
    return key


def _mixed(values: np.ndarray) -> np.ndarray:
    """SplitMix64's output function over (...) uint64 values (arithmetic modulo 2 ** 64), as `_key` mixes: a
    bijection that mixes every input bit into every output bit."""
    values = (values ^ (values >> np.uint64(_MIX[0]))) * np.uint64(_MIX[1])
    values = (values ^ (values >> np.uint64(_MIX[2]))) * np.uint64(_MIX[3])
    return values ^ (values >> np.uint64(_MIX[4]))


def fill_position(position: np.ndarray | int, closing: np.ndarray | bool) -> np.ndarray:
    """The index in FILL_POSITIONS of a bar `position` bars into its section (NO_POSITION: none), per bar."""
    position = np.asarray(position)
    return np.where(position < 0, NO_POSITION, np.where(closing, SECTION_END, position % PHRASE_BARS))


def crash_position(position: np.ndarray | int) -> np.ndarray:
    """The index in CRASH_POSITIONS of a bar `position` bars into its section (none: "other"), per bar."""
    position = np.asarray(position)
    later = position > 0
    eighth, fourth = later & (position % (2 * PHRASE_BARS) == 0), later & (position % PHRASE_BARS == 0)
    # np.select's values, without its Python (a fifth of a live bar's crash chance)
    return np.where(position == 0, 0, np.where(eighth, 1, np.where(fourth, 2, 3)))


class BarPlacement(NamedTuple):
    """Each bar's meter family's `FamilyPlacement`, its fields as arrays over the bars (`Placement.bars`): what the
    placed mark rules read, made once a decision (the functions below read a `FamilyPlacement` alike)."""

    fill_hazard: np.ndarray  # (n, len(FILL_POSITIONS))
    two_bar_share: np.ndarray  # (n,)
    fill_length: np.ndarray  # (n, len(FILL_LENGTHS))
    tom_share: np.ndarray  # (n,)
    crash_hazard: np.ndarray  # (n, len(CRASH_POSITIONS))
    crash_after_fill: np.ndarray  # (n,)


Family = FamilyPlacement | BarPlacement


def fill_chances(family: Family, events: np.ndarray | float, this: np.ndarray | int,
                 following: np.ndarray | int) -> tuple[np.ndarray, np.ndarray]:
    """The chance that a bar at FILL_POSITIONS `this` ends a one-bar fill, and that it starts a two-bar fill ending
    in the bar after it (at `following`), for a song of `events` fills a bar; per bar."""
    this, following, share = np.asarray(this), np.asarray(following), np.asarray(family.two_bar_share)
    one = np.where(this < 0, 0.0, events * (1.0 - share) * _at(family.fill_hazard, this))
    two = np.where((following < 0) | (this < 0), 0.0, events * share * _at(family.fill_hazard, following))
    one = np.minimum(one, 1.0)
    return one, np.minimum(two, 1.0 - one)


LENGTH_BEATS = np.array([WHOLE_BAR if length == "bar" else int(length) for length in FILL_LENGTHS])


def fill_beats(family: Family, draw: np.ndarray | float, n_beats: np.ndarray | int) -> np.ndarray:
    """The beats a one-bar fill of `draw` (uniform) plays in a bar of `n_beats` beats, per bar: the family's lengths,
    a length the bar has not got (three beats of a 3/4 bar) the whole bar."""
    ends = np.cumsum(family.fill_length, axis=-1)  # a draw's length: the first whose cumulative share passes it
    index = np.minimum((ends <= np.asarray(draw)[..., None]).sum(axis=-1), len(FILL_LENGTHS) - 1)
    beats = LENGTH_BEATS[index]
    return np.where(beats >= n_beats, WHOLE_BAR, beats)


def crash_chance(family: Family, rate: np.ndarray | float, position: np.ndarray | int,
                 after_fill: np.ndarray | bool) -> np.ndarray:
    """The chance a playing bar `position` bars into its section opens with a crash, for a song whose model expects
    `rate` crash bars a playing bar: the family's hazard there, more after a fill; per bar."""
    hazard = _at(family.crash_hazard, crash_position(position))
    return np.minimum(rate * hazard * np.where(after_fill, family.crash_after_fill, 1.0), 1.0)


def _at(table: tuple[float, ...] | np.ndarray, index: np.ndarray) -> np.ndarray:
    """`table`'s value at `index`, per bar: a family's (k,) table at any indices, or bars' (n, k) at (n,) indices
    (plain indexing where it gives np.take_along_axis's values, without its Python: 3 calls a live bar)."""
    table, index = np.asarray(table), np.asarray(index)
    if table.ndim == 2 and index.shape == table.shape[:1]:
        return table[np.arange(len(index)), index]
    return np.take_along_axis(table, index[..., None], axis=-1)[..., 0]


def bar_families(scores: object) -> list[str]:
    """The meter family (FAMILIES) of each bar of `scores` (a SongScores: its bar and beat lengths in steps)."""
    shapes = zip(scores.bar_steps.tolist(), scores.beat_steps.tolist())  # type: ignore[attr-defined]
    return [family_of(int(steps), int(beat)) for steps, beat in shapes]
