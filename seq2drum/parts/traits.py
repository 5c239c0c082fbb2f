"""The one vocabulary of what a drummer's part is made of, and the styles named by it.

A part's traits (parts.labels names each phrase's): its level against the song, the voice that keeps time and its
subdivision, and what the kick and snare do. A style (`--style`) is a set of those traits (`StyleTraits`): the codebook
names each groove's family by the traits its bar plays (groove.styles `entry_family`), and the plan keeps a song's
full parts to those whose traits the style holds (parts.plan `Planner.style_parts`), by this one table. A style of a
meter (waltz, six-eight, odd-meter) holds every part of its meter; a style whose traits no part has (the bossa, funk,
hip-hop, samba, afrobeat: their drummers' bars, groove.vocabulary, no part of the table's) is played without a plan.
"""

from __future__ import annotations

from dataclasses import dataclass

PART_LEVELS = ("full", "sparse", "drop-out")  # a phrase's hits against the song's median phrase
KEEPERS = ("closed_hat", "open_hat", "ride", "toms", "none", "crash")  # the voice that keeps time (crash: parts.codes)
HAT_KEEPERS = ("closed_hat", "open_hat")
SUBDIVISIONS = ("quarters", "eighths", "16ths", "swung", "none")  # the time-keeper's
PART_FEELS = ("backbeat", "half-time", "four-floor", "waltz", "comping", "time-only")  # what the kick and snare do


@dataclass(frozen=True)
class StyleTraits:
    """A style as the traits of the parts that play it (None: any), and what it sounds like. `meter`: a style of a
    meter, every part of it; `no_part`: traits no part of the vocabulary carries (played without a plan)."""

    name: str
    description: str
    keepers: tuple[str, ...] | None = None
    subdivisions: tuple[str, ...] | None = None
    feels: tuple[str, ...] | None = None
    meter: str | None = None  # a style of a meter: the meter family (parts.labels FAMILIES) whose parts it holds
    no_part: bool = False

    def plays(self, keeper: str, subdivision: str, feel: str) -> bool:
        """Whether a part (or a groove) of these traits plays the style."""
        if self.no_part:
            return False
        return ((self.keepers is None or keeper in self.keepers)
                and (self.subdivisions is None or subdivision in self.subdivisions)
                and (self.feels is None or feel in self.feels))

    def holds(self, family: str, keeper: str, subdivision: str, feel: str) -> bool:
        """Whether a full part of meter `family` and these traits plays the style (a style of a meter: every part
        of its family)."""
        return family == self.meter if self.meter else self.plays(keeper, subdivision, feel)


# In the order the codebook names a groove by (groove.styles `entry_family`: the first style whose traits its bar
# plays); the plan reads each style's traits alone.
STYLES: dict[str, StyleTraits] = {style.name: style for style in (
    StyleTraits("jazz-ride", "ride on every beat with skip notes, the hi-hat foot on the backbeats",
                keepers=("ride",), subdivisions=("swung",)),
    StyleTraits("six-eight", "compound meters: beats of three eighths", meter="compound"),
    StyleTraits("waltz", "bars of three quarter notes", meter="3/4"),
    StyleTraits("odd-meter", "the other meters (5/4, 7/8 ...) together", meter="other"),
    StyleTraits("bossa", "bossa nova: kick on 1, the and of 2, 3 and the and of 4, cross-stick, straight 8ths",
                no_part=True),
    StyleTraits("funk", "funk: the hat in 8ths or 16ths, ghost notes on the snare, the kick off the beat, the backbeat "
                "on 2 and 4 (funk drummers' own bars)", no_part=True),
    StyleTraits("hip-hop", "hip-hop: the hat in 8ths or 16ths, open hats, the kick syncopated, the backbeat on 2 and 4 "
                "(hip-hop drummers' own bars)", no_part=True),
    StyleTraits("samba", "samba: the kick on each beat and its last 16th (the surdo), the snare or the ride in 16ths "
                "(samba drummers' own bars)", no_part=True),
    StyleTraits("afrobeat", "afrobeat: the hat in 8ths or 16ths, the kick and snare interlocking off the beat "
                "(afrobeat drummers' own bars)", no_part=True),
    StyleTraits("four-on-the-floor", "kick on every beat", feels=("four-floor",)),
    StyleTraits("half-time", "snare on beat 3 only: the backbeat at half speed", feels=("half-time",)),
    StyleTraits("toms", "grooves carried by the toms", keepers=("toms",)),
    StyleTraits("kick-and-snare", "kick and snare without cymbals", keepers=("none",)),
    StyleTraits("shuffle", "a blues shuffle: hat or ride on each beat and its last 16th (played swung), snare on 2 "
                "and 4", subdivisions=("swung",), feels=("backbeat",)),
    StyleTraits("16th-hats", "hi-hat in sixteenths", keepers=HAT_KEEPERS, subdivisions=("16ths",)),
    StyleTraits("ride-16ths", "ride cymbal in sixteenths", keepers=("ride",), subdivisions=("16ths",)),
    StyleTraits("straight-8ths", "hi-hat in straight eighths", keepers=HAT_KEEPERS, subdivisions=("eighths",)),
    StyleTraits("ride-8ths", "ride cymbal in eighths", keepers=("ride",), subdivisions=("eighths",)),
    StyleTraits("quarter-hats", "hi-hat on the beats", keepers=HAT_KEEPERS, subdivisions=("quarters",)),
    StyleTraits("ride-quarters", "ride cymbal on the beats", keepers=("ride",), subdivisions=("quarters",)),
)}


# the styles played as their drummers' own bars (groove.vocabulary): a section `--parts` names with one plays them
# (generation/styled.py); their drummers' bars are in this meter family (GMD's beats)
DRUMMERS_STYLES = tuple(name for name, style in STYLES.items() if style.no_part)
DRUMMERS_FAMILY = "4/4"


def style_of(keeper: str, subdivision: str, feel: str, but: tuple[str, ...] = ()) -> str | None:
    """The first style (in `STYLES`' order, of those not in `but`) whose traits a groove of these traits plays; None
    where none does."""
    for name, style in STYLES.items():
        if name not in but and not style.meter and style.plays(keeper, subdivision, feel):
            return name
    return None
