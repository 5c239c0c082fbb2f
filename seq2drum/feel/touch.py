"""A drummer's touch: the level and spread of his velocities beside this band, fitted on the training songs'
drummers (issues 88 and 100).

The level is a fitted line from the band's loudness (its velocities' mean, spread, median and number of distinct
velocities) and what music it is (the genre reader's jazz score of its description, seq2drum.band) to the drummer's
median velocity, fitted with a loss that gives up on the far-off drummers (a part programmed at 127 beside a quiet
band). The spread is one training drummer's, drawn by the seed among the TOUCH_NEIGHBOURS whose bands are nearest in
velocity mean, spread and velocities used: another seed plays another drummer's dynamics, from one velocity with the
accents of TOUCH_MIN_SPREAD to accents 30 apart. The loudest hits (the level plus TOUCH_HEADROOM spreads) stay at
TOUCH_CEILING or under, the loud side narrowed and the soft side not (`loud_spread`): nothing is pinned at 127. The
table (`Touches`, touch.json) is refitted by `python -m seq2drum.training.touch`; the figures: docs/experiments/
2026-11-29-the-touch-from-the-band.md and -realism-and-the-touch.md. Offline the band is the whole song's, described;
live its first TOUCH_NOTES notes (feel.level `LiveLevel`), then held, at the line of the loudness alone (live has no
description yet). With drums the user gave, their own touch.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

TOUCH_FILE = Path(__file__).resolve().parent / "touch.json"
FORMAT_VERSION = 2
TOUCH_NEIGHBOURS = 20  # the training bands nearest this one a spread is drawn among (fewer or more told it apart more)
TOUCH_NOTES = 256  # live: the band's notes heard before the touch is drawn (the lines until then): enough to count
# most of the velocities a band uses
TOUCH_STREAM = 7  # the touch's random stream: np.random.default_rng([seed, TOUCH_STREAM])
TOUCH_MIN_SPREAD = 5.0  # a drawn spread at least this: accents, even beside a drummer who played one velocity (a
# programmed part): a take keeps a drummer's dynamics
TOUCH_CEILING = 124.0  # the loudest hits (the level + TOUCH_HEADROOM spreads) at most this: none pinned at 127
TOUCH_HEADROOM = 2.0  # spreads above the level the loudest hits sit (2: about the loudest 2% of a normal spread)
TOUCH_OWN_SHARE = 0.0  # of the drawn drummer's departure from the line (his level minus the line's at his band), the
# share a take keeps: 0 every seed at the line (validation: within 12 of the drummer 54%, the render control 75.9%);
# 1 about the drawn drummer's level (38%, 70.9%): no share meets both (docs/experiments/, the touch from the band)
DESCRIBED, HEARD = "described", "heard"  # the two fitted lines: the band described (offline), its loudness alone (live)
LOUDNESS = ("band_mean", "band_std", "band_log_distinct")  # the numbers live has of a band
DESCRIBED_NUMBERS = (*LOUDNESS, "band_median", "jazz_score")


@dataclass(frozen=True)
class LevelLine:
    """A fitted line from a band's numbers to its drummer's median velocity: each number in standard units (minus
    `centre`, over `scale`), weighted, plus `intercept`."""

    numbers: tuple[str, ...]  # LOUDNESS, or DESCRIBED_NUMBERS
    centre: tuple[float, ...]
    scale: tuple[float, ...]
    weights: tuple[float, ...]
    intercept: float

    def level(self, values: dict[str, float]) -> float:
        """The drummer's level beside a band of these numbers (`values` holds at least `numbers`)."""
        x = np.array([values[name] for name in self.numbers], dtype=np.float64)
        return float((x - np.array(self.centre)) / np.array(self.scale) @ np.array(self.weights) + self.intercept)

    def to_dict(self) -> dict:
        return {"numbers": list(self.numbers), "centre": _rounded(self.centre), "scale": _rounded(self.scale),
                "weights": _rounded(self.weights), "intercept": round(self.intercept, 4)}

    @classmethod
    def from_dict(cls, values: dict) -> LevelLine:
        line = cls(tuple(values["numbers"]), tuple(values["centre"]), tuple(values["scale"]), tuple(values["weights"]),
                   float(values["intercept"]))
        if not len(line.numbers) == len(line.centre) == len(line.scale) == len(line.weights):
            raise ValueError(f"a touch line of {len(line.numbers)} numbers holds other lengths")
        return line


@dataclass(frozen=True)
class Touches:
    """The training drummers' touches beside their bands: per song, its band's velocity mean, standard deviation and
    number of distinct velocities, and its drummer's level (median velocity) and spread (standard deviation); and
    the lines fitted from a band to its drummer's level (`lines`: DESCRIBED, HEARD)."""

    band: np.ndarray  # (n, 3) float: band velocity mean, std, distinct velocities
    drums: np.ndarray  # (n, 2) float: the drummer's level (median velocity) and spread (std)
    lines: dict[str, LevelLine] = field(default_factory=dict)
    about: dict = field(default_factory=dict)
    departure: np.ndarray | None = None  # (n,) the drummer's level minus the DESCRIBED line's at his band

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

    def touch(self, band_mean: float, band_std: float, distinct: int, seed: int,
              described: dict[str, float] | None = None) -> tuple[float, float]:
        """The (level, spread) a drummer beside that band plays at: the level the fitted line gives (DESCRIBED with
        the band's `described` numbers, band_median and jazz_score; else HEARD) plus TOUCH_OWN_SHARE of the drummer
        drawn by `seed`'s departure from it (with no line, his level), and his spread, at least TOUCH_MIN_SPREAD; then
        `under_ceiling`. The drummer is drawn among the nearest bands' (`touch_rank`)."""
        rows = self.nearest(band_mean, band_std, distinct)
        row = rows[min(touch_rank(seed), len(rows) - 1)]
        level, spread = self.drums[row]
        values = {"band_mean": band_mean, "band_std": band_std, "band_log_distinct": float(np.log(max(distinct, 1)))}
        line = self.lines.get(DESCRIBED if described is not None else HEARD) or self.lines.get(HEARD)
        if line is not None:
            own = 0.0 if self.departure is None else TOUCH_OWN_SHARE * float(self.departure[row])
            level = line.level({**values, **(described or {})}) + own
        return under_ceiling(float(level), max(float(spread), TOUCH_MIN_SPREAD))

    def to_json(self) -> str:
        return json.dumps({"format_version": FORMAT_VERSION, "about": self.about,
                           "lines": {name: line.to_dict() for name, line in self.lines.items()},
                           "band": np.round(self.band, 2).tolist(), "drums": np.round(self.drums, 2).tolist(),
                           "departure": None if self.departure is None else np.round(self.departure, 2).tolist()})

    @classmethod
    def from_json(cls, text: str) -> Touches:
        data = json.loads(text)
        if data.get("format_version") != FORMAT_VERSION:
            raise ValueError(f"touch format {data.get('format_version')}, this code reads {FORMAT_VERSION}; refit it "
                             "with python -m seq2drum.training.touch")
        return cls(np.array(data["band"], dtype=np.float64).reshape(-1, 3),
                   np.array(data["drums"], dtype=np.float64).reshape(-1, 2),
                   {name: LevelLine.from_dict(line) for name, line in data.get("lines", {}).items()},
                   data.get("about", {}),
                   None if data.get("departure") is None else np.array(data["departure"], dtype=np.float64))


def under_ceiling(level: float, spread: float) -> tuple[float, float]:
    """(level, spread) with room for the loudest hits under TOUCH_CEILING: the level brought down only where even the
    least loud side (TOUCH_HEADROOM x TOUCH_MIN_SPREAD) would pass it; the spread kept, for the hits under the level
    (the loud side is narrowed as it is played, `loud_spread`). A level clipped at 127 would put the loud half of a
    take on 127 (a blues at a band's 118 got half its hits at 125-127)."""
    return min(level, TOUCH_CEILING - TOUCH_HEADROOM * TOUCH_MIN_SPREAD), spread


def loud_spread(level: float, spread: float, ceiling: float = TOUCH_CEILING) -> float:
    """The spread of the hits above `level`: `spread`, narrowed (to TOUCH_MIN_SPREAD at least) so that the loudest
    (TOUCH_HEADROOM spreads up) stay at `ceiling` or under. The soft side keeps the whole spread: a loud drummer's
    ghost notes are as far under his level as a quiet one's (narrowing both sides had put every loud take's phrases
    in a narrow band a classifier told from the drummers': docs/experiments/2026-11-29-realism-and-the-touch.md)."""
    return min(spread, max(TOUCH_MIN_SPREAD, (ceiling - level) / TOUCH_HEADROOM))


def _rounded(values: tuple[float, ...]) -> list[float]:
    return [round(float(v), 6) for v in values]


def _features(band: np.ndarray) -> np.ndarray:
    return np.column_stack([band[:, 0], band[:, 1], np.log(np.maximum(band[:, 2], 1.0))])


def touch_rank(seed: int) -> int:
    """Which of the nearest bands' drummers a request with `seed` plays the dynamics of (0: the nearest)."""
    return int(np.random.default_rng([seed, TOUCH_STREAM]).integers(TOUCH_NEIGHBOURS))


@functools.lru_cache(maxsize=4)
def load_touches(path: Path = TOUCH_FILE) -> Touches | None:
    """The touches at `path` (the shipped ones by default), read once; None where there is no such file (the
    drums then play at feel.level's lines)."""
    path = Path(path)
    return Touches.from_json(path.read_text()) if path.is_file() else None


def heard_touch(velocities: np.ndarray, seed: int, touches: Touches | None = None,
                jazz_score: float | None = None) -> tuple[float, float] | None:
    """The (level, spread) to play at beside parts played at `velocities` (any shape), the spread drawn by `seed`;
    with the band's description's `jazz_score` (seq2drum.band `jazz_score`; None: none, the loudness alone, as
    live); None with no notes or no table."""
    touches = load_touches() if touches is None else touches
    values = np.asarray(velocities).ravel()
    if touches is None or not values.size:
        return None
    distinct = int(np.count_nonzero(np.bincount(values.astype(np.int64), minlength=128)))  # MIDI velocities: 0-127
    described = None if jazz_score is None else {"band_median": float(np.median(values)), "jazz_score": jazz_score}
    return touches.touch(float(values.mean()), float(values.std()), distinct, seed, described)
