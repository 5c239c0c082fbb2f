"""Styles: named families of the groove codebook, named by rules over the entries' patterns, not by genre labels.

Every non-empty entry belongs to one family. Its meter comes from its length and, for lengths that could be either
(12 steps: 3/4 or 6/8), from where its kick and snare accents fall. The jazz ride (`jazz_ride`) is named first, in
every meter. Bars of two or four quarters are then named by what a drummer hears first, in this order: bossa
(`bossa`), four-on-the-floor, half-time, shuffle (swung time with the snare on the backbeats; without it, never
offered), then the time-keeping voice and its subdivision (quarter-hats, straight-8ths, 16th-hats, ride-quarters,
ride-8ths, ride-16ths), kick-and-snare, toms; a bar that is no groove to hold (a snare roll, a crash past the
downbeat, no kick and no cymbal) is a break, never offered. Other meters are
one family each: waltz, six-eight and odd-meter. A style is offered for a meter where its entries hold
`MIN_STYLE_BARS` training bars or a designed groove (groove.vocabulary); playing it restricts the decision to its
entries and the empty bar (groove.request builds that mask).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from seq2drum import arrays
from seq2drum.groove.settings import MIN_ENTRY_BARS, MIN_STYLE_BARS
from seq2drum.midi.drums import CLOSED_HAT, CRASH, HIGH_TOM, KICK, LOW_TOM, MID_TOM, OPEN_HAT, RIDE, SNARE
from seq2drum.errors import ConfigError
from seq2drum.groove.codebook import GrooveCodebook
from seq2drum.groove.vocabulary import drummers_grooves
from seq2drum.parts.labels import kick_snare_feel
from seq2drum.parts.traits import STYLES, style_of

BREAK = "break"  # the family of bars that are no groove to hold (rolls, crash figures): never offered as a style
# a time-keeping voice off the straight grid, as a 3-3-2 ride (issue 23: `ride-8ths` played one): none of the named
# subdivisions, never offered as a style (the model may still play it of its own choice)
IRREGULAR = "irregular"
# shuffled time with no snare on the backbeats (a jazz drummer's swung hat, comping): not the blues shuffle `shuffle`
# promises (issue 100: `--style shuffle` played a blues with its snare on 1 and 4 from such bars), never offered
SWUNG_NO_BACKBEAT = "swung-no-backbeat"
NOT_OFFERED = (BREAK, IRREGULAR, SWUNG_NO_BACKBEAT)

DESCRIPTIONS = {name: style.description for name, style in STYLES.items()}  # one table: parts.traits


@dataclass(frozen=True)
class Style:
    """One named family: the meters it is offered for (as `4/4`) and what it sounds like."""

    name: str
    meters: tuple[str, ...]
    description: str

    def __repr__(self) -> str:
        return f"Style({self.name}: {','.join(self.meters)})"


@functools.lru_cache(maxsize=256)  # a live bar names its meter every bar: Fraction's arithmetic, 30 us
def meter_name(n_steps: int, compound: bool, steps_per_quarter: int) -> str:
    """A bar length as the meter it is played in: 16 steps -> 4/4, 12 compound -> 6/8, 14 -> 7/8."""
    sixteenths = Fraction(n_steps * 4, steps_per_quarter)
    if compound and (sixteenths / 2).denominator == 1:
        return f"{sixteenths // 2}/8"
    if (sixteenths / 4).denominator == 1:
        return f"{sixteenths // 4}/4"
    if (sixteenths / 2).denominator == 1:
        return f"{sixteenths // 2}/8"
    return f"{int(sixteenths)}/16" if sixteenths.denominator == 1 else f"{n_steps} steps"


def _meter_key(meter: str) -> tuple[int, int]:
    """Sort meters as musicians list them: 4/4 before 2/4, then by denominator and numerator."""
    if "/" not in meter:
        return (99, 0)
    numerator, denominator = (int(x) for x in meter.split("/"))
    return (0 if meter == "4/4" else 1, denominator * 100 + numerator)


def entry_is_compound(pattern: np.ndarray, n_steps: int, steps_per_quarter: int) -> bool:
    """Whether an entry whose length fits both readings (12 steps: 3/4 or 6/8) accents dotted quarters.

    Kick and snare hits on dotted-quarter beats (not the downbeat) against those on quarter beats; then the
    time-keeping hits the same way; a tie is 3/4 for three-quarter bars and compound otherwise."""
    dotted = 3 * steps_per_quarter / 2
    if dotted != int(dotted) or n_steps % int(dotted) or n_steps < 2 * dotted:
        return False
    dotted = int(dotted)
    if n_steps % steps_per_quarter:
        return True
    compound_beats = np.arange(dotted, n_steps, dotted)
    quarter_beats = np.arange(steps_per_quarter, n_steps, steps_per_quarter)
    simple_beats = quarter_beats[quarter_beats % dotted != 0]  # the quarter beats that are not dotted-quarter beats
    bar = pattern[:n_steps]
    for voices in ((KICK, SNARE), (CLOSED_HAT, OPEN_HAT, RIDE)):
        hits = bar[:, list(voices)].any(axis=1)
        on_compound, on_simple = int(hits[compound_beats].sum()), int(hits[simple_beats].sum())
        if on_compound != on_simple:
            return on_compound > on_simple
    return n_steps != 3 * steps_per_quarter


def entry_family(pattern: np.ndarray, n_steps: int, compound: bool, steps_per_quarter: int) -> str:
    """The family of one non-empty entry (see the module docstring for the rules, in order)."""
    q = steps_per_quarter
    quarters = Fraction(n_steps, q)
    bar = pattern[:n_steps]
    if q % 4 == 0 and jazz_ride(bar, 3 * q // 2 if compound else q):  # in every meter a jazz tune uses, its kick
        return "jazz-ride"  # feathered on the beats (not four-on-the-floor)
    if compound:
        return "six-eight"
    if quarters == 3:
        return "waltz"
    if quarters not in (2, 4) or q % 4:
        return "odd-meter"
    in_beat = np.arange(n_steps) % q
    beats = in_beat == 0
    if quarters == 4 and bossa(bar, q):
        return "bossa"
    # not a groove to hold: a roll on the snare, crashes past the downbeat, a bar of snare and toms with no kick
    # (--style kick-and-snare played a non-stop snare, ride-quarters a crash on every beat 4)
    cymbals = bar[:, [CLOSED_HAT, OPEN_HAT, RIDE]].any(axis=1)
    if bar[1:, CRASH].any() or bar[:, SNARE].sum() > n_steps // 2 or not (bar[:, KICK].any() or cymbals.any()):
        return BREAK
    # the rest by the traits a part is named by (parts.traits: the plan reads the same table); the jazz ride above by
    # its own figure (skip notes, nothing on the off-beat eighths), finer than a part's "ride, swung"
    if bar[beats, KICK].all():
        return named("", "", "four-floor")
    snare_beats = bar[beats, SNARE]
    if quarters == 4 and snare_beats.tolist() == [False, False, True, False]:
        return named("", "", "half-time")
    hats = bar[:, CLOSED_HAT] | bar[:, OPEN_HAT]
    ride = bar[:, RIDE]
    toms = bar[:, [LOW_TOM, MID_TOM, HIGH_TOM]].any(axis=1)
    voice = ride if ride.sum() > hats.sum() else hats
    if voice.sum() == 0:
        return named("toms", "", "") if toms.sum() >= 2 else named("none", "", "") if bar[:, KICK].any() else BREAK
    if toms.sum() > voice.sum():
        return named("toms", "", "")
    n_beats = int(quarters)
    last_16th, off_8th = in_beat == 3 * q // 4, in_beat == q // 2
    sixteenths = (in_beat % (q // 2)) != 0
    between = voice[off_8th].sum() + voice[in_beat == q // 4].sum()
    keeper = "ride" if voice is ride else "closed_hat"
    if voice[last_16th].sum() >= n_beats - 1 and between <= 1 and voice[beats].sum() >= n_beats - 1:
        feel = kick_snare_feel(bar[None], np.array([n_steps]), np.array([q]))
        return named(keeper, "swung", feel) if feel == "backbeat" else SWUNG_NO_BACKBEAT
    if voice[sixteenths].sum() >= n_beats:
        return named(keeper, "16ths", "")
    if voice[off_8th].sum() >= n_beats / 2:
        if voice[sixteenths].sum() >= 2 and voice[~sixteenths].sum() < 0.75 * 2 * n_beats:
            return IRREGULAR  # eighths in name only: 3-3-2 holds half the eighths and two 16ths
        return named(keeper, "eighths", "")
    return named(keeper, "quarters", "")


def named(keeper: str, subdivision: str, feel: str) -> str:
    """The family of a groove of these traits ("": not read): the first style of parts.traits that plays them, but
    the jazz ride (read by its own figure, `jazz_ride`)."""
    return style_of(keeper, subdivision, feel, but=("jazz-ride",)) or BREAK


def jazz_ride(bar: np.ndarray, beat: int) -> bool:
    """The jazz ride ("spang-a-lang") in a bar of `beat`-step beats (a dotted quarter in 6/8): the ride on every beat,
    more ride than hats, skip notes on the last 16th of at least one beat and not all (a skip after every quarter is
    a shuffle; in 6/8 the last eighth of either dotted beat or both), nothing on the off-beat eighths (not a ride in
    eighths), no crash past the downbeat and no snare roll (a break, not a groove)."""
    n_steps = len(bar)
    if n_steps % beat or n_steps < 2 * beat:
        return False
    ride, hats = bar[:, RIDE], bar[:, CLOSED_HAT] | bar[:, OPEN_HAT]
    in_beat = np.arange(n_steps) % beat
    skip = in_beat == beat - beat // (3 if beat % 3 == 0 else 4)
    off = (in_beat == beat // 2) if beat % 3 else (in_beat == beat // 3)
    n_beats = n_steps // beat
    most = n_beats if beat % 3 == 0 else n_beats - 1  # a skip after every quarter beat is a shuffle, not in 6/8
    return bool(ride[in_beat == 0].all() and ride.sum() > hats.sum() and 1 <= ride[skip].sum() <= most
                and not ride[off].any() and not bar[1:, CRASH].any() and bar[:, SNARE].sum() <= n_steps // 2)


BOSSA_KICKS = (0, 6, 8, 14)  # 16ths of a 4/4 bar: 1, the "and" of 2, 3, the "and" of 4


def bossa(bar: np.ndarray, steps_per_quarter: int) -> bool:
    """The bossa nova in a 4/4 bar: the kick on 1, the "and" of 2, 3 and the "and" of 4, none on 2 or 4, time kept
    (hats or ride) and no backbeat (the snare, a cross-stick, not on both 2 and 4)."""
    sixteenth = steps_per_quarter // 4
    if sixteenth < 1 or len(bar) != 16 * sixteenth:
        return False
    kicks = bar[:, KICK]
    on = [s * sixteenth for s in BOSSA_KICKS]
    beats_2_4 = [4 * sixteenth, 12 * sixteenth]
    cymbals = bar[:, [CLOSED_HAT, OPEN_HAT, RIDE]].any(axis=1)
    return bool(kicks[on].all() and not kicks[beats_2_4].any() and cymbals.sum() >= 4
                and not bar[beats_2_4, SNARE].all())


@dataclass
class StyleBook:
    """The styles of one codebook: each entry's family and meter, and the styles offered."""

    codebook: GrooveCodebook
    steps_per_quarter: int
    family: list[str]  # (K,) family of each entry; "" for an empty bar
    compound: np.ndarray  # (K,) bool
    styles: tuple[Style, ...]  # sorted by name

    @classmethod
    def build(cls, codebook: GrooveCodebook, steps_per_quarter: int) -> StyleBook:
        family, compound = [], np.zeros(len(codebook), dtype=bool)
        bars_by_style: dict[str, dict[str, int]] = {}
        # a style's drummers' bars are its own, whatever else their cells read as (funk's: eighths on the hat ...)
        theirs = {entry[1].tobytes(): style for style, found in drummers_grooves(steps_per_quarter).items()
                  for entry in found}
        for k, n_steps in enumerate(codebook.bar_steps.tolist()):
            pattern = codebook.patterns[k]
            if not pattern.any():
                family.append("")
                continue
            compound[k] = entry_is_compound(pattern, n_steps, steps_per_quarter)
            name = entry_family(pattern, n_steps, bool(compound[k]), steps_per_quarter)
            if codebook.designed[k]:
                name = theirs.get(pattern[:n_steps].tobytes(), name)
            family.append(name)
            meter = meter_name(n_steps, bool(compound[k]), steps_per_quarter)
            counts = bars_by_style.setdefault(name, {})
            # a designed groove (groove.vocabulary) offers its style in its meter, as MIN_STYLE_BARS training bars do
            bars = MIN_STYLE_BARS if codebook.designed[k] else int(codebook.counts[k])
            counts[meter] = counts.get(meter, 0) + bars
        styles = tuple(
            Style(name, tuple(sorted((m for m, bars in meters.items() if bars >= MIN_STYLE_BARS), key=_meter_key)),
                  DESCRIPTIONS[name])
            for name, meters in sorted(bars_by_style.items())
            if name not in NOT_OFFERED and any(bars >= MIN_STYLE_BARS for bars in meters.values())
        )
        return cls(codebook, steps_per_quarter, family, compound, styles)

    def __repr__(self) -> str:
        return f"StyleBook({', '.join(s.name for s in self.styles)})"

    def names(self) -> list[str]:
        return [style.name for style in self.styles]

    def get(self, name: str) -> Style | None:
        return next((style for style in self.styles if style.name == name), None)

    def fitting(self, meter: str) -> list[str]:
        """The styles offered for one meter."""
        return [style.name for style in self.styles if meter in style.meters]

    def entry_meters(self) -> list[str]:
        """(K,) the meter of each entry."""
        return [meter_name(int(n), bool(c), self.steps_per_quarter)
                for n, c in zip(self.codebook.bar_steps.tolist(), self.compound.tolist())]

    def allowed(self, name: str, song_meters: list[str]) -> np.ndarray:
        """(K,) bool: the entries a song may play in style `name`: the style's entries in the meters it is offered
        for (played at least MIN_ENTRY_BARS times in training, or the style's most played of that length) and
        every entry of the bar lengths it has no meter of (those bars keep the model's own choice), with the empty
        bars, and the style's designed grooves (groove.vocabulary). `song_meters`: the song's meters, most played
        first; the style must be offered for the first.

        Raises ConfigError naming the styles that fit when the name is unknown or the style does not fit."""
        style = self.get(name)
        main = song_meters[0] if song_meters else "4/4"
        fits = ", ".join(self.fitting(main)) or "none (leave out --style)"
        if style is None:
            raise ConfigError(f"unknown style {name!r}; styles for this song's {main}: {fits} "
                              "(python main.py --mode styles, or a server's GetModelInfo, lists them all)")
        if main not in style.meters:
            raise ConfigError(f"style {name!r} plays in {','.join(style.meters)}, not in this song's {main}; "
                              f"styles for {main}: {fits}")
        meters = self.entry_meters()
        mine = np.array([f == name for f in self.family], dtype=bool)
        lengths = self.codebook.bar_steps
        style_lengths = arrays.distinct(lengths[[m in style.meters for m in meters]])
        allowed = ~np.isin(lengths, style_lengths) | np.array([f == "" for f in self.family], dtype=bool)
        length_of = {m: int(n) for m, n in zip(meters, lengths.tolist())}
        for meter in set(meters) & set(style.meters):
            # of two meters of one length (3/4 and 6/8), the song's own: a 6/8 song rides the 6/8 jazz ride
            if meter not in song_meters and any(length_of.get(m) == length_of[meter] for m in song_meters):
                continue
            rows = np.flatnonzero(mine & np.array([m == meter for m in meters]))
            if len(rows):
                floor = min(MIN_ENTRY_BARS, int(self.codebook.counts[rows].max()))
                allowed[rows[(self.codebook.counts[rows] >= floor) | self.codebook.designed[rows]]] = True
        return allowed
