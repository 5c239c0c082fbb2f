"""What the band is, in one typed value (`BandDescription`), read from the band's notes alone (no drum is read):
its harmony (the chords' kinds beat by beat and how often they change), its bass line's shape, its instruments, its
tempo, meter and swing, and its form. The one place every reader of the band asks (STYLE.md, "A name means what
sounds"); `vector()` is its numbers in `DESCRIPTION_FIELDS` order for a fitted reader.

`band_bars` reads each bar on its own (and the bar before it), so `summarize(bars, parts, end_bar)` describes the
bars heard so far the way it describes a whole song. Numpy only; it costs about what reading the song costs.
"""

from __future__ import annotations

import re
from dataclasses import astuple, dataclass, fields

import numpy as np

from seq2drum.band import form

STEPS_PER_QUARTER = 12  # sixteenths and eighth-note triplets both fall on steps
GM_FAMILIES = ("piano", "chromatic", "organ", "guitar", "bass", "strings", "ensemble", "brass", "reed", "pipe",
               "synth_lead", "synth_pad", "synth_fx", "ethnic", "percussive", "sound_fx")
JAZZ_PROGRAMS = frozenset((11, 26, 32, 56, 57, 58, 64, 65, 66, 67, 71))  # vibes, jazz guitar, upright, horns, reeds
DISTORTED_PROGRAMS = frozenset((29, 30))  # overdriven and distortion guitar
NAMED = {  # instrument words in track names, by what they say of the band
    "horns": re.compile(r"sax|trumpet|trombone|tpt|tbn|horn|brass|clarinet|flugel|cornet", re.I),
    "acoustic_bass": re.compile(r"upright|acoustic bass|double bass|string bass|contra|a\.? ?bass", re.I),
    "distortion": re.compile(r"dist|overdr|crunch|metal|heavy", re.I),
    "folk": re.compile(r"banjo|fiddle|accordion|whistle|mandolin|bouzouki|pipes|oud|qanun|kanun|ney|dobro|steel",
                       re.I),
}

# the share of a song's rooted bars in 12-bar blues choruses (form.blues_fit) that makes it a 12-bar blues: its intro
# and ending may lie outside; on the genre table the next song below is at 0.63 (choruses of 8), a one-chord vamp at 0
BLUES_FORM_SHARE = 0.8
BLUES_CHORUSES = (12, 24)  # the chorus lengths a 12-bar blues stands out at: one chorus, or two (a head and a solo)
# bump when what the reading says of a song changes, so that songs described by an older one are described again (2:
# the 12-bar blues counted by its choruses, two readings of each bar's root)
DESCRIPTION_VERSION = 2
PLACES = ("blues_first_bar",)  # fields that say where, not what: left out of `vector()`


@dataclass(frozen=True)
class BandDescription:
    """What the band plays. Shares are of the beats or bars where the band (or the bass) sounds."""

    # harmony: the kind of chord each sounding beat reads as (harmony.KIND_NAMES), and how often it changes
    dyad_share: float
    triad_share: float
    seventh_share: float  # sevenths, sixths and diminished sevenths
    extended_share: float  # a seventh with a 9th, 11th or 13th
    dominant_share: float  # of sounding beats: a dominant seventh (major third, minor seventh)
    chord_changes_per_bar: float  # the chord's root or kind changing from beat to beat, per bar
    # the bass line (bassline.FIGURES), shares of the bars where the bass plays
    has_bass: bool
    bass_onsets_per_beat: float
    walking_share: float
    root_fifth_share: float
    driving_share: float
    pedal_share: float
    shuffle_share: float
    bossa_share: float
    # instruments: shares of the pitched notes, by GM family (GM_FAMILIES) and by program
    family_shares: tuple[float, ...]
    jazz_program_share: float
    distorted_share: float
    named: tuple[str, ...]  # NAMED's words found in the track names
    n_parts: int
    # time
    tempo_bpm: float
    swing: float  # the mean place of the off-beat eighth in its beat (0.5 straight, 0.67 triplet); 0.5 unread
    swung_share: float
    swung: bool
    four_share: float  # of bars: simple duple or quadruple (2/4, 4/4, 2/2)
    three_share: float  # simple triple (3/4)
    compound_share: float  # 6/8, 9/8, 12/8
    # form
    lag_similarity: tuple[float, ...]  # form.FORM_LAGS
    typical_similarity: float
    chorus_bars: int  # 0 when no chorus length stands out
    blues_share: float
    n_bars: int
    blues_first_bar: int = 0  # where (0-11) a 12-bar blues chorus starts at the best fit: a place, no reader's number

    @property
    def twelve_bar_blues(self) -> bool:
        """Whether the band plays a 12-bar blues: its form repeats at 12 or 24 bars (BLUES_CHORUSES) and
        BLUES_FORM_SHARE of its bars lie in choruses on the changes."""
        return self.chorus_bars in BLUES_CHORUSES and self.blues_share >= BLUES_FORM_SHARE

    def vector(self) -> np.ndarray:
        """(len(DESCRIPTION_FIELDS),) float64: every field as a number (named words as flags), for a fitted reader."""
        values: list[float] = []
        for item, value in zip(fields(self), astuple(self)):
            if item.name in PLACES:
                continue
            if item.name == "named":
                values += [float(word in value) for word in NAMED]
            elif item.name == "chorus_bars":
                values += [float(value == lag) for lag in form.FORM_LAGS]
            elif isinstance(value, tuple):
                values += [float(v) for v in value]
            else:
                values.append(float(value))
        return np.array(values, dtype=np.float64)

    def to_json(self) -> dict:
        """Its fields as JSON values (tuples as lists), as the song cache keeps it."""
        return {item.name: list(value) if isinstance(value, tuple) else value
                for item, value in zip(fields(self), astuple(self))}

    @classmethod
    def from_json(cls, values: dict) -> BandDescription:
        """The description `to_json` wrote."""
        return cls(**{name: tuple(value) if isinstance(value, list) else value for name, value in values.items()
                      if name != "version"})

    def words(self) -> str:
        """A musician's line of what was heard: 'swung, sevenths 41%, walking bass, 12-bar choruses (blues 83%)'."""
        said = ["swung" if self.swung else "straight", f"{self.tempo_bpm:.0f} BPM",
                f"sevenths {self.seventh_share + self.extended_share:.0%}"]
        figures = {"walking": self.walking_share, "root-fifth": self.root_fifth_share, "driving": self.driving_share,
                   "shuffle": self.shuffle_share, "bossa": self.bossa_share, "pedal": self.pedal_share}
        name, share = max(figures.items(), key=lambda item: item[1])
        said.append(f"{name} bass {share:.0%}" if self.has_bass and share >= 0.2 else
                    ("bass" if self.has_bass else "no bass"))
        if self.chorus_bars:
            said.append(f"{self.chorus_bars}-bar choruses")
        if self.blues_share >= 0.75:
            said.append(f"blues choruses {self.blues_share:.0%}")
        return ", ".join(said)


def _field_names() -> tuple[str, ...]:
    names: list[str] = []
    for item in fields(BandDescription):
        if item.name in PLACES:
            continue
        if item.name == "named":
            names += [f"named_{word}" for word in NAMED]
        elif item.name == "family_shares":
            names += [f"family_{family}" for family in GM_FAMILIES]
        elif item.name == "lag_similarity":
            names += [f"similarity_lag_{lag}" for lag in form.FORM_LAGS]
        elif item.name == "chorus_bars":
            names += [f"chorus_{lag}" for lag in form.FORM_LAGS]
        else:
            names.append(item.name)
    return tuple(names)


DESCRIPTION_FIELDS = _field_names()
