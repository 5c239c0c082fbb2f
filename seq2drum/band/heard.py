"""What the drums heard, in a word and a line (issue 100 item 6): "heard: jazz, swung, 12-bar blues". All of it comes
from the one `BandDescription`: the genre from a reader fitted on the genre table (docs/data/genres.tsv) and shipped
as numbers in genre_reader.json (tools/fit_genre_reader.py writes it; no song ships), the time from its swing, the
form from its choruses; and the form the sections count (`counted_form`: a 12-bar blues in 12-bar choruses).

The reader knows three words (`seq2drum.options.GENRES`): jazz where its score of the band reaches the fitted
threshold, else blues where the band plays a 12-bar blues, else rock (the drums' own kind today: the table's rock,
pop, folk and game songs are one band to these numbers, docs/experiments/2026-11-29-the-band-heard.md). A musician's
`--genre` says otherwise: it is what is printed, what the part model reads (parts.features `heard_jazz`; take 1's
heard ride and feel run only where it is not rock) and what the jazz ride step plays for; the touch reads the
reader's own score (`jazz_score`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from seq2drum.band.description import BandDescription
from seq2drum.errors import ConfigError
from seq2drum.options import GENRES
from seq2drum.song.phrases import CountedForm

GENRE_READER = Path(__file__).with_name("genre_reader.json")
TWELVE = 12  # a form repeating every 12 bars: a musician counts it in 12-bar choruses, on the blues changes or not
JAZZ, BLUES, ROCK = GENRES


@dataclass(frozen=True)
class GenreReader:
    """Jazz against the rest from a few of the description's numbers: each z-scored (`mean`, `std`, fitted on the
    table's songs), weighted, summed with `bias`; jazz at `threshold` or more."""

    fields: tuple[str, ...]  # BandDescription fields, or "sevenths" (seventh and extended chords' shares)
    mean: tuple[float, ...]
    std: tuple[float, ...]
    weights: tuple[float, ...]
    bias: float
    threshold: float
    # over it a jazz call is sure (the fewest wrong calls on the table); between `threshold` and it the call is a
    # close one: on the table 10 jazz songs of 83 there (docs/experiments/2026-11-30-what-the-styles-rest-on.md)
    sure: float

    @classmethod
    def from_dict(cls, values: dict) -> GenreReader:
        jazz = values["jazz"]
        reader = cls(tuple(jazz["fields"]), tuple(jazz["mean"]), tuple(jazz["std"]), tuple(jazz["weights"]),
                     float(jazz["bias"]), float(jazz["threshold"]), float(jazz.get("sure", jazz["threshold"])))
        if tuple(values["genres"]) != GENRES or not len(reader.fields) == len(reader.mean) == len(reader.std) == \
                len(reader.weights):
            raise ConfigError(f"{GENRE_READER.name} does not fit this seq2drum (genres {values['genres']}); "
                              "write it again with python -m tools.fit_genre_reader")
        return reader

    def numbers(self, description: BandDescription) -> np.ndarray:
        """(len(fields),) the description's numbers the reader reads."""
        return np.array([description.seventh_share + description.extended_share if name == "sevenths"
                         else float(getattr(description, name)) for name in self.fields])

    def jazz_score(self, description: BandDescription) -> float:
        """The weighted z-scores' sum; a number unknown (NaN: live, the programs) counts at its mean."""
        z = np.nan_to_num((self.numbers(description) - np.array(self.mean)) / np.array(self.std))
        return float(z @ np.array(self.weights) + self.bias)

    def genre(self, description: BandDescription) -> str:
        """jazz, blues or rock (see the module's docstring)."""
        if self.jazz_score(description) >= self.threshold:
            return JAZZ
        return BLUES if description.twelve_bar_blues else ROCK


@lru_cache(maxsize=1)
def shipped_reader() -> GenreReader:
    """The reader that ships (genre_reader.json), read once."""
    return GenreReader.from_dict(json.loads(GENRE_READER.read_text(encoding="utf-8")))


@dataclass(frozen=True)
class HeardBand:
    """What the drums heard: the genre they play for (`genre`: the musician's where given, else the reader's), the
    reader's own word, the band's time and its form."""

    genre: str
    read_genre: str
    said_by_musician: bool
    swung: bool
    form: str  # "12-bar blues", "an 8-bar form"; "" where no chorus length stands out
    close_call: bool = False  # the reader's jazz is a close call (under its `sure`): the line says how to say rock

    def line(self) -> str:
        """'heard: jazz, swung, 12-bar blues'; with the musician's genre 'heard: jazz (as you said; the band sounds
        like rock), straight, an 8-bar form'; a close call 'heard: jazz (a close call: --genre rock plays it as
        rock), swung'."""
        genre = self.genre
        if self.said_by_musician:
            genre += " (as you said)" if self.genre == self.read_genre else \
                f" (as you said; the band sounds like {self.read_genre})"
        elif self.close_call:
            genre += f" (a close call: --genre {ROCK} plays it as {ROCK})"
        return "heard: " + ", ".join(w for w in (genre, "swung" if self.swung else "straight", self.form) if w)


def jazz_score(description: BandDescription) -> float:
    """The shipped reader's jazz score of the band described (jazz at its threshold or more): the touch reads it."""
    return shipped_reader().jazz_score(description)


def form_words(description: BandDescription) -> str:
    """The form as a musician counts it: '12-bar blues', 'an N-bar form' (the music repeats every N bars; the
    run's sections may split it), or '' where no chorus length stands out."""
    if description.twelve_bar_blues:
        return "12-bar blues"
    return f"{_a(description.chorus_bars)} {description.chorus_bars}-bar form" if description.chorus_bars else ""


def hear(description: BandDescription, genre: str | None = None) -> HeardBand:
    """What the drums heard of the band described, the genre the musician's (`genre`, one of GENRES) where given."""
    reader = shipped_reader()
    read = reader.genre(description)
    close = read == JAZZ and reader.jazz_score(description) < reader.sure
    return HeardBand(genre or read, read, genre is not None, description.swung, form_words(description), close)


def heard_genre(described: dict | None, said: str | None = None) -> str | None:
    """What the drums play a song as: the musician's word (`said`, --genre) where given, else what the shipped reader
    hears in its band (`described`: BandDescription.to_json's); None where neither is known."""
    if said is not None or described is None:
        return said
    return shipped_reader().genre(BandDescription.from_json(described))


def counted_form(description: BandDescription, chroma: np.ndarray | None = None) -> CountedForm | None:
    """The form the drummer's sections count: a 12-bar blues's choruses, where the description hears one; a 12-bar
    form off the blues changes (a jazz blues on rootless voicings) where its band's harmony repeats, given the bars'
    `chroma` (n_bars, 12) (BandBars'); else None (the sections are found as before)."""
    if description.twelve_bar_blues:
        return CountedForm(TWELVE, description.blues_first_bar)
    if description.chorus_bars == TWELVE and chroma is not None:
        return CountedForm(TWELVE, None, chroma)
    return None


def _a(bars: int) -> str:
    """The article a number of bars takes in words: "an 8-bar form", "an 11-bar form", "an 18-bar form", else "a"."""
    return "an" if str(bars).startswith("8") or bars in (11, 18) else "a"
