"""A drummer's touch: the level and spread of his velocities, drawn from the training songs' drummers whose bands
sounded like this one (issue 88).

How loud a drummer plays and how far his velocities spread follows the band only loosely: the lines feel.level
fits put every song near the middle, where the drummers spread from one velocity throughout (a programmed part, most
often beside a band entered at a few velocities) to accents 30 apart, and a classifier told the song's own drummer's
cells played through our render from his own part by that alone (the figures:
docs/experiments/2026-11-29-a-drummers-touch.md). So a song's touch is one
training drummer's (his mean velocity and its standard deviation), drawn by the seed among the TOUCH_NEIGHBOURS
whose bands are nearest in velocity mean, spread and number of velocities used: a take plays as some drummer beside
such a band would, and the songs' touches spread as the drummers' do (a drummer who played one velocity with the
small accents of TOUCH_MIN_SPREAD). The table (`Touches`,
seq2drum/feel/touch.json) is refitted by `python -m seq2drum.training.touch`. Offline the band is the whole song's;
live, its first TOUCH_NOTES notes (feel.level `LiveLevel`), then held. With drums the user gave, their own touch.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

TOUCH_FILE = Path(__file__).resolve().parent / "touch.json"
FORMAT_VERSION = 1
TOUCH_NEIGHBOURS = 20  # the training bands nearest this one a touch is drawn among (fewer or more told it apart more)
TOUCH_NOTES = 256  # live: the band's notes heard before the touch is drawn (the lines until then): enough to count
# most of the velocities a band uses
TOUCH_STREAM = 7  # the touch's random stream: np.random.default_rng([seed, TOUCH_STREAM])
TOUCH_MIN_SPREAD = 5.0  # a drawn spread at least this: accents, even beside a drummer who played one velocity (a
# programmed part): a take keeps a drummer's dynamics


@dataclass(frozen=True)
class Touches:
    """The training drummers' touches beside their bands: per song, its band's velocity mean, standard deviation and
    number of distinct velocities, and its drummer's mean velocity and standard deviation."""

    band: np.ndarray  # (n, 3) float: band velocity mean, std, distinct velocities
    drums: np.ndarray  # (n, 2) float: the drummer's level (mean velocity) and spread (std)
    about: dict = field(default_factory=dict)

    def nearest(self, band_mean: float, band_std: float, distinct: int) -> np.ndarray:
        """(k,) rows of the TOUCH_NEIGHBOURS bands nearest a band of that velocity mean, spread and distinct count,
        nearest first (each feature in the table's standard units; the count by its log)."""
        standard, centre, scale = self._standard
        query = (_features(np.array([[band_mean, band_std, distinct]])) - centre) / scale
        distance = ((standard - query) ** 2).sum(axis=1)
        return np.argsort(distance, kind="stable")[:TOUCH_NEIGHBOURS]

    @functools.cached_property
    def _standard(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The table's bands in standard units (n, 3), and the centre and scale that make them so (read once)."""
        features = _features(self.band)
        centre, scale = features.mean(axis=0), np.maximum(features.std(axis=0), 1e-9)
        return (features - centre) / scale, centre, scale

    def touch(self, band_mean: float, band_std: float, distinct: int, seed: int) -> tuple[float, float]:
        """The (level, spread) a drummer beside that band plays at, drawn by `seed` (`touch_rank`); the spread at
        least TOUCH_MIN_SPREAD."""
        rows = self.nearest(band_mean, band_std, distinct)
        level, spread = self.drums[rows[min(touch_rank(seed), len(rows) - 1)]]
        return float(level), max(float(spread), TOUCH_MIN_SPREAD)

    def to_json(self) -> str:
        return json.dumps({"format_version": FORMAT_VERSION, "about": self.about,
                           "band": np.round(self.band, 2).tolist(), "drums": np.round(self.drums, 2).tolist()})

    @classmethod
    def from_json(cls, text: str) -> Touches:
        data = json.loads(text)
        if data.get("format_version") != FORMAT_VERSION:
            raise ValueError(f"touch format {data.get('format_version')}, this code reads {FORMAT_VERSION}")
        return cls(np.array(data["band"], dtype=np.float64).reshape(-1, 3),
                   np.array(data["drums"], dtype=np.float64).reshape(-1, 2), data.get("about", {}))


def _features(band: np.ndarray) -> np.ndarray:
    return np.column_stack([band[:, 0], band[:, 1], np.log(np.maximum(band[:, 2], 1.0))])


def touch_rank(seed: int) -> int:
    """Which of the nearest bands' drummers a request with `seed` plays as (0: the nearest)."""
    return int(np.random.default_rng([seed, TOUCH_STREAM]).integers(TOUCH_NEIGHBOURS))


@functools.lru_cache(maxsize=4)
def load_touches(path: Path = TOUCH_FILE) -> Touches | None:
    """The touches at `path` (the shipped ones by default), read once; None where there is no such file (the
    drums then play at feel.level's lines)."""
    path = Path(path)
    return Touches.from_json(path.read_text()) if path.is_file() else None


def heard_touch(velocities: np.ndarray, seed: int, touches: Touches | None = None) -> tuple[float, float] | None:
    """The (level, spread) to play at beside parts played at `velocities` (any shape), drawn by `seed`; None with no
    notes or no table."""
    touches = load_touches() if touches is None else touches
    values = np.asarray(velocities).ravel()
    if touches is None or not values.size:
        return None
    distinct = int(np.count_nonzero(np.bincount(values.astype(np.int64), minlength=128)))  # MIDI velocities: 0-127
    return touches.touch(float(values.mean()), float(values.std()), distinct, seed)
