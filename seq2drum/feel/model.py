"""The learned feel and the humanizer the render stage calls: `FeelTables` (per-context quantiles of velocity and of
offset from the grid, with backoff to coarser contexts; stored as gmd_feel.npz + gmd_feel.json beside this module,
arrays and JSON, no pickle) and `humanize`, which samples each hit's velocity and timing from them with the
request's random generator.

A hit's velocity (and likewise its offset) is its context's median + the request's drummer's level for its class
+ the sample's distance from that median times the drummer's spread. The drummer is drawn once per request from how
GMD's performances differ, so a song keeps one drummer's consistency; `feel` fixes the draw (tight, laid-back,
pushed). Each hit is sampled at a probability drift.py makes, so his timing drifts and his accents repeat as GMD's
drummers' do (drift.py's `Correlation`, fitted with the tables). For songs, velocities are centred on the network's
loudness and narrowed (SONG_VELOCITY_SPREAD).
`amount` (`--humanize`) runs from 0 (on the grid, as decided) through 1 (as the drummer plays) to 1.5 (wider).
The whole design, with its figures: docs/how-it-works.md ("Feel") and docs/controls.md ("Feel").
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from seq2drum.errors import ConfigError
from seq2drum.feel.contexts import N_LEVELS, HitContexts, hit_contexts
from seq2drum.feel.drift import INDEPENDENT, Correlation, DriftState, draw_habits, latent, normal_cdf
from seq2drum.midi.drums import midi_velocity
from seq2drum.options import FEELS
from seq2drum.song.drum_part import DrumGrid
from seq2drum.song.grid import Grid

N_QUANTILES = 32  # even: `median_quantiles`
QUANTILE_PROBABILITIES = (np.arange(N_QUANTILES) + 0.5) / N_QUANTILES
OFFSET_UNITS_PER_STEP = 250  # offsets stored as int8: 1/250 of a step, [-0.5, 0.5) in range
# timing kept inside its own step, with room for the song's clock: at 48 ticks per quarter (12 a step) 0.45 of a
# step still rounds to a tick before the half step, where the hit would be read as the next 16th. Offsets approach
# it smoothly (tanh), so the tails of a loose drummer do not pile up at the limit as flams of the next 16th.
MAX_OFFSET_STEPS = 0.45
SPREAD_DRAWS = (0.1, 0.9)  # spread factors drawn from the drummers between these quantiles: the loosest tenth of
# GMD's performances, times the spread of a context, sends a tenth of the hits past half a step
# GMD's drummers spread their velocities about 1.8 times as wide as the drum parts of the song collection the
# network learned from (../shared/scoring's velocity spread, per song), and play softer (a take's mean about 67
# against the network's 100). For songs, the drummer's velocities are centred on the take's decided mean (the
# network's loudness for that song) and their distances from it scaled by this, fitted so the median velocity
# spread ratio is 1 on the shipped model's training songs (studies/song_feel.py); GMD's own figures
# (bench/bench_feel.py) play the drummers as they are (velocity_spread=None).
SONG_VELOCITY_SPREAD = 0.43
FEW_HITS = 256  # up to this many hits (a bar's), `Table.rows` looks contexts up one by one: fewer numpy calls
MAX_FOUND = 1 << 16  # contexts `FeelRows` remembers the rows of (then it starts over)
SHIPPED = Path(__file__).resolve().parent / "gmd_feel.npz"
FORMAT_VERSION = 2  # 2: the correlation between hits (drift.py)


@dataclass
class Table:
    """Quantiles of one quantity (velocity or offset) per context, one sorted key array per level, finest first."""

    keys: list[np.ndarray]  # per level: (m,) int64 sorted
    quantiles: list[np.ndarray]  # per level: (m, N_QUANTILES), velocity uint8 or offset int8 in 1/250 step
    counts: list[np.ndarray]  # per level: (m,) int32 hits seen in training
    _stacked: tuple[list[dict[int, int]], np.ndarray] | None = field(default=None, init=False, repr=False,
                                                                     compare=False)

    def rows(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(n, N_QUANTILES) float quantiles of each hit from the finest level that knows its context, and (n,) the
        level each answered from. The coarsest level (the class alone) knows every class seen in training."""
        index, level_of = self.row_index(keys)
        return self.stacked()[index], level_of

    def row_index(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(n,) each hit's row of `stacked` (-1, its row of zeros, where no level knows its context), and (n,) the
        level it answered from (-1 there)."""
        if len(keys) > FEW_HITS:
            return self._searched_index(keys)
        lookups = self._lookups()[0]
        index, level_of = [], []
        for row in keys.tolist():  # a bar's few dozen hits: dict lookups, not a dozen numpy calls per level
            for level, lookup in enumerate(lookups):
                found = lookup.get(row[level])
                if found is not None:
                    index.append(found)
                    level_of.append(level)
                    break
            else:
                index.append(-1)
                level_of.append(-1)
        return np.array(index, dtype=np.int64), np.array(level_of, dtype=np.int64)

    def stacked(self) -> np.ndarray:
        """(rows of every level + 1, N_QUANTILES) float64: every level's quantiles, finest first, zeros last."""
        return self._lookups()[1]

    def _searched_index(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """`row_index` by a sorted search per level."""
        n = len(keys)
        out = np.full(n, -1, dtype=np.int64)
        level_of = np.full(n, -1, dtype=np.int64)
        open_rows = np.arange(n)  # the rows no level has answered yet, in order
        offset = 0
        for level, table_keys in enumerate(self.keys):
            if not len(open_rows):
                break
            if not len(table_keys):
                continue
            wanted = keys[open_rows, level]
            index = np.minimum(np.searchsorted(table_keys, wanted), len(table_keys) - 1)
            found = table_keys[index] == wanted
            out[open_rows[found]] = offset + index[found]
            level_of[open_rows[found]] = level
            open_rows = open_rows[~found]
            offset += len(table_keys)
        return out, level_of

    def _lookups(self) -> tuple[list[dict[int, int]], np.ndarray]:
        """Per level, key -> its row in the stacked quantiles of every level (float64, a row of zeros last); made on
        first use (the keys of a level are unique and sorted, so a lookup finds what a sorted search finds)."""
        if self._stacked is None:
            lookups, offset = [], 0
            for table_keys in self.keys:
                lookups.append({key: offset + row for row, key in enumerate(table_keys.tolist())})
                offset += len(table_keys)
            zeros = np.zeros((1, N_QUANTILES), dtype=np.float64)
            self._stacked = (lookups, np.concatenate([*(q.astype(np.float64) for q in self.quantiles), zeros]))
        return self._stacked


# The arrays of one drummer's day (one per quantity, (9, N_QUANTILES) each): how far a performance's mean velocity
# or offset of a class sits from all performances' (its level), and how wide its hits spread around the context
# medians against all performances' spread (its spread factor).
DRUMMER_ARRAYS = ("velocity_level", "offset_level", "velocity_spread", "offset_spread")
# The feels as draws from the drummers: (quantity, the quantile drawn); "natural" draws every one at random.
FEEL_DRAWS = {"tight": ("offset_spread", 0.1), "laid-back": ("offset_level", 0.9), "pushed": ("offset_level", 0.1)}


@dataclass
class Drummer:
    """One request's drummer: per class, velocity and offset levels (added) and spread factors (multiplied)."""

    velocity_level: np.ndarray  # (9,) MIDI velocity
    offset_level: np.ndarray  # (9,) steps
    velocity_spread: np.ndarray  # (9,)
    offset_spread: np.ndarray  # (9,)
    habits: np.ndarray | None = None  # (2, 9 x 32) how he plays each 16th of the bar (drift.draw_habits; None: none)

    @functools.cached_property
    def by_class(self) -> np.ndarray:
        """(4, 9): velocity level, offset level, velocity spread, offset spread (`humanize_hits` reads them at once)."""
        return np.stack([self.velocity_level, self.offset_level, self.velocity_spread, self.offset_spread])


@dataclass
class FeelRows:
    """Every row of both tables in one array, velocity's then offset's (in steps), each with its median and whether
    it knows the class (not a row of zeros): a bar's hits look both quantities up and sample them in one pass."""

    values: np.ndarray  # (m * N_QUANTILES,) float64, the rows one after another
    medians: np.ndarray  # (m,) float64, `median_quantiles` of each row
    means: np.ndarray  # (m,) float64, the mean of what `sample_quantiles` draws from each row (its quantiles' mean)
    known: np.ndarray  # (m,) bool
    velocity: Table
    offset: Table
    _found: dict[tuple[int, ...], tuple[int, int]] = field(default_factory=dict, repr=False)  # a hit's keys -> rows

    @classmethod
    def of(cls, velocity: Table, offset: Table) -> FeelRows:
        rows = np.concatenate([velocity.stacked(), offset.stacked() / OFFSET_UNITS_PER_STEP])
        known = np.ones(len(rows), dtype=bool)
        known[[len(velocity.stacked()) - 1, -1]] = False
        return cls(rows.reshape(-1), median_quantiles(rows), rows.mean(axis=1), known, velocity, offset)

    def rows(self, keys: np.ndarray) -> np.ndarray:
        """(2, n) int64 each hit's velocity row and offset row (`Table.row_index`'s, the rows of zeros where no level
        knows its context)."""
        if len(keys) > FEW_HITS:
            n_velocity, n_offset = len(self.velocity.stacked()), len(self.offset.stacked())
            return np.stack([self.velocity.row_index(keys)[0] % n_velocity,
                             self.offset.row_index(keys)[0] % n_offset + n_velocity])
        found = self._found  # contexts recur bar after bar: one lookup, not one per table and level
        rows = [found.get(hit) or self._find(hit) for hit in map(tuple, keys.tolist())]
        return np.array(rows, dtype=np.int64).reshape(-1, 2).T

    def _find(self, hit: tuple[int, ...]) -> tuple[int, int]:
        """The velocity and offset rows of one hit's keys, remembered."""
        if len(self._found) > MAX_FOUND:
            self._found.clear()
        key = np.array([hit], dtype=np.int64)
        both = (int(self.velocity.row_index(key)[0][0]) % len(self.velocity.stacked()),
                int(self.offset.row_index(key)[0][0]) % len(self.offset.stacked()) + len(self.velocity.stacked()))
        self._found[hit] = both
        return both

    def sample(self, rows: np.ndarray, u: np.ndarray) -> np.ndarray:
        """Each of `rows` sampled at probability `u` (same shape): `sample_quantiles`, bit for bit."""
        return _interpolate(self.values, rows * N_QUANTILES, u)


@dataclass
class FeelTables:
    """What fit.py learned from GMD: velocity and offset tables (each drummer's level taken out, so they hold the
    spread one drummer plays within one performance), and how drummers differ (`drummer`, DRUMMER_ARRAYS)."""

    velocity: Table
    offset: Table
    drummer: dict[str, np.ndarray]  # DRUMMER_ARRAYS -> (9, N_QUANTILES) float32
    # (2, 9): per class, within-performance variance / variance of the levels (velocity, offset): how many hits of
    # a drummer weigh as much as the prior in the estimate of their level (bench/bench_feel.py's median prediction)
    shrinkage_hits: np.ndarray
    correlation: Correlation = INDEPENDENT  # how one drummer's hits hang together (drift.py)
    info: dict[str, Any] = field(default_factory=dict)  # the fit's data, counts and time, for the model card
    _rows: FeelRows | None = field(default=None, init=False, repr=False, compare=False)

    def feel_rows(self) -> FeelRows:
        """Both tables' rows in one (made on first use)."""
        if self._rows is None:
            self._rows = FeelRows.of(self.velocity, self.offset)
        return self._rows

    def velocity_quantiles(self, contexts: HitContexts) -> tuple[np.ndarray, np.ndarray]:
        """(n, N_QUANTILES) velocity quantiles of each hit, and (n,) bool: its class was seen in training."""
        rows, level = self.velocity.rows(contexts.keys)
        return rows, level >= 0

    def offset_quantiles(self, contexts: HitContexts) -> tuple[np.ndarray, np.ndarray]:
        """(n, N_QUANTILES) offset quantiles of each hit in steps, and (n,) bool: its class was seen in training."""
        rows, level = self.offset.rows(contexts.keys)
        return rows / OFFSET_UNITS_PER_STEP, level >= 0

    def draw_drummer(self, rng: np.random.Generator, feel: str = "natural") -> Drummer:
        """A drummer for one request: one uniform per quantity, shared by the classes (a loud drummer is loud on
        every drum), then his habits (drift.py); `feel` fixes one quantity at its quantile. Draws 4 uniforms and
        drift.draw_habits' normals from `rng` whatever the feel."""
        u = dict(zip(DRUMMER_ARRAYS, rng.random(len(DRUMMER_ARRAYS))))
        for name in ("velocity_spread", "offset_spread"):
            u[name] = SPREAD_DRAWS[0] + u[name] * (SPREAD_DRAWS[1] - SPREAD_DRAWS[0])
        if feel in FEEL_DRAWS:
            name, quantile = FEEL_DRAWS[feel]
            u[name] = quantile
        return Drummer(*[sample_quantiles(self.drummer[name].astype(np.float64), np.full(9, u[name]))
                         for name in DRUMMER_ARRAYS], habits=draw_habits(rng, self.correlation))

    def save(self, path: Path) -> None:
        """`path` (.npz, arrays only) and the same name with .json (everything else)."""
        arrays: dict[str, np.ndarray] = {**self.drummer, "shrinkage_hits": self.shrinkage_hits,
                                         "correlation": self.correlation.as_array()}
        for name, table in (("velocity", self.velocity), ("offset", self.offset)):
            for level in range(N_LEVELS):
                arrays[f"{name}_keys_{level}"] = table.keys[level]
                arrays[f"{name}_quantiles_{level}"] = table.quantiles[level]
                arrays[f"{name}_counts_{level}"] = table.counts[level]
        np.savez_compressed(path, **arrays)
        info = {**self.info, "format_version": FORMAT_VERSION, "feels": list(FEELS), "n_quantiles": N_QUANTILES,
                "offset_units_per_step": OFFSET_UNITS_PER_STEP, "correlation": self.correlation.describe()}
        path.with_suffix(".json").write_text(json.dumps(info, indent=1, sort_keys=True) + "\n")

    @classmethod
    def load(cls, path: Path) -> FeelTables:
        """Tables saved by `save`; ConfigError naming the file when it is missing or of another format."""
        try:
            info = json.loads(path.with_suffix(".json").read_text())
            with np.load(path, allow_pickle=False) as data:
                arrays = {name: data[name] for name in data.files}
        except (OSError, ValueError) as exc:
            raise ConfigError(f"cannot read the feel tables {path}: {exc}; reinstall seq2drum or refit them with "
                              "python -m seq2drum.feel.fit") from exc
        if info.get("format_version") != FORMAT_VERSION or info.get("feels") != list(FEELS):
            raise ConfigError(f"the feel tables {path} are of another version; refit them with "
                              "python -m seq2drum.feel.fit")

        def table(name: str) -> Table:
            return Table(*[[arrays[f"{name}_{part}_{level}"] for level in range(N_LEVELS)]
                           for part in ("keys", "quantiles", "counts")])

        return cls(table("velocity"), table("offset"), {name: arrays[name] for name in DRUMMER_ARRAYS},
                   arrays["shrinkage_hits"], Correlation.of_array(arrays["correlation"]), info)


@functools.cache
def shipped_tables() -> FeelTables:
    """The tables shipped in the package (read once per process)."""
    return FeelTables.load(SHIPPED)


def sample_quantiles(quantiles: np.ndarray, u: np.ndarray) -> np.ndarray:
    """(n,) values at probability `u` of each row's quantiles (linear between them, held beyond the outermost)."""
    return _interpolate(quantiles.reshape(-1), np.arange(len(quantiles)) * N_QUANTILES, u)


def _interpolate(values: np.ndarray, row_starts: np.ndarray, u: np.ndarray) -> np.ndarray:
    """`sample_quantiles` of the rows of N_QUANTILES `values` starting at `row_starts` (any shape, as `u`'s)."""
    position = np.minimum(np.maximum(u * N_QUANTILES - 0.5, 0), N_QUANTILES - 1)  # np.clip's, a third the calls
    low = np.floor(position).astype(np.int64)
    high = np.minimum(low + 1, N_QUANTILES - 1)
    weight = position - low
    return values[row_starts + low] * (1 - weight) + values[row_starts + high] * weight


def median_quantiles(quantiles: np.ndarray) -> np.ndarray:
    """(n,) `sample_quantiles` at probability 0.5 (its weight is exactly a half there, N_QUANTILES being even): the
    same values in two numpy calls, not ten."""
    return quantiles[:, N_QUANTILES // 2 - 1] * 0.5 + quantiles[:, N_QUANTILES // 2] * 0.5


class PlayedHits(NamedTuple):
    """The hits of a `DrumGrid` on its grid, in `np.nonzero` order, as `humanize` plays them."""

    step: np.ndarray  # (n,) int64
    drum_class: np.ndarray  # (n,) int64
    velocity: np.ndarray  # (n,) float64, before rounding to a MIDI velocity
    offset: np.ndarray  # (n,) float64 steps
    drift: DriftState = DriftState()  # where the drummer's drift stands at the grid's end (drift.py)
    # (n,) each hit's velocity drawn away from what the drummer plays there on average, as it reaches `velocity`
    # (0 where none is drawn): his variation alone, without the tables' accents (render.pipeline plays a style's
    # drummers' bars at their own accents with it)
    departure: np.ndarray | None = None


def humanize(drums: DrumGrid, grid: Grid, amount: float, drummer: Drummer | None, rng: np.random.Generator,
             dynamics: float = 1.0, tables: FeelTables | None = None,
             velocity_spread: float | None = SONG_VELOCITY_SPREAD, drift: DriftState = DriftState()) -> DrumGrid:
    """`drums` with each hit's velocity and offset sampled as `drummer` would play it (see the module docstring);
    the velocities the drums hold are kept at amount 0 and blended toward the drummer's below 1. `velocity_spread`
    (see SONG_VELOCITY_SPREAD) centres the drummer's velocities on the drums' own mean and scales their distances
    from it; None plays them as GMD's drummers do. `dynamics` scales the learned velocities as it scaled the decided
    ones. `drift`: where the drummer's drift stood before these drums (drift.py; none yet by default). Draws
    drift.latent's normals from `rng` at every amount (none without a drummer)."""
    played = humanize_hits(drums, grid, amount, drummer, rng, dynamics, tables, velocity_spread, drift)
    velocity = drums.velocity.astype(np.float64)
    velocity[played.step, played.drum_class] = played.velocity
    offset = np.zeros(drums.offset.shape, dtype=np.float64)
    offset[played.step, played.drum_class] = played.offset
    hits = drums.hits
    # each hit stays in its cell (its articulation with it)
    return replace(drums, velocity=np.where(hits, midi_velocity(np.rint(velocity)), 0).astype(np.uint8),  # np.round's
                   offset=np.where(hits, offset, 0.0).astype(np.float32))


def humanize_hits(drums: DrumGrid, grid: Grid, amount: float, drummer: Drummer | None, rng: np.random.Generator,
                  dynamics: float = 1.0, tables: FeelTables | None = None,
                  velocity_spread: float | None = SONG_VELOCITY_SPREAD, drift: DriftState = DriftState()) -> PlayedHits:
    """`humanize`'s hits on `grid` (hits past its end are not in them), without a grid around them: for a bar's few
    hits, velocity and offset are looked up and sampled together, a (2, n) array each, velocity's row first; with
    the drift state at the grid's end (live carries it to the next bar)."""
    contexts = hit_contexts(drums, grid)
    step, drum_class = contexts.step, contexts.drum_class
    velocity = drums.velocity[step, drum_class].astype(np.float64)
    if drummer is None:
        return PlayedHits(step, drum_class, velocity, np.zeros(len(step)), drift)
    tables = tables or shipped_tables()
    z, drift = latent(step, contexts.keys, grid, drummer.habits, tables.correlation, drift, rng)  # (2, n)
    if not (amount > 0 and len(step)):
        return PlayedHits(step, drum_class, velocity, np.zeros(len(step)), drift)
    feel = tables.feel_rows()
    rows = feel.rows(contexts.keys)
    median, known = feel.medians[rows], feel.known[rows]
    drummer_at = drummer.by_class[:, drum_class]  # (4, n) levels, then spreads
    stretch = drummer_at[2:] * max(1.0, amount)
    learned = median + drummer_at[:2] + (feel.sample(rows, normal_cdf(z)) - median) * stretch  # (2, n) vel., offset
    velocity_known, n_known = known[0], int(np.count_nonzero(known[0]))
    if velocity_spread is not None and n_known:
        # centred on the song's loudness, as the network hears it: what the drummer plays on average there, and how
        # far he has strayed from it over the hits so far (the take's at once offline, the bars' so far live: a bar
        # played louder as the phrase builds stays louder than the bars before it)
        expected = median[0] + drummer_at[0] + (feel.means[rows[0]] - median[0]) * stretch[0]
        if n_known == len(step):
            centre, base, strayed = _mean(velocity), _mean(expected), np.add.reduce(learned[0] - expected)
        else:
            centre, base = _mean(velocity[velocity_known]), _mean(expected[velocity_known])
            strayed = np.add.reduce((learned[0] - expected)[velocity_known])
        drift = drift._replace(strayed=drift.strayed + float(strayed), strayed_hits=drift.strayed_hits + n_known)
        played_velocity = centre + (learned[0] - base - drift.strayed / drift.strayed_hits) * velocity_spread * dynamics
        departure = (learned[0] - expected) * velocity_spread * dynamics
    else:
        played_velocity, departure = learned[0] * dynamics, np.zeros(len(step))
    if n_known < len(step):
        played_velocity = np.where(velocity_known, played_velocity, velocity)  # a class the data never played
    timing = learned[1] * known[1]
    blend = min(1.0, amount)
    return PlayedHits(step, drum_class, (1 - blend) * velocity + blend * played_velocity,
                      blend * MAX_OFFSET_STEPS * np.tanh(timing / MAX_OFFSET_STEPS), drift,
                      blend * np.where(velocity_known, departure, 0.0))


def _mean(values: np.ndarray) -> np.floating:
    """`values.mean()` of a 1-d array, the same number (its sum divided by its length) without its Python wrapper."""
    return np.add.reduce(values) / len(values)
