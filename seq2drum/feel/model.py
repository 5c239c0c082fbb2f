"""The learned feel and the humanizer the render stage calls: `FeelTables` (per-context quantiles of velocity and of
offset from the grid, with backoff to coarser contexts; stored as gmd_feel.npz + gmd_feel.json beside this module,
arrays and JSON, no pickle) and `humanize`, which samples each hit's velocity and timing from them with the
request's random generator.

`amount` (the `--humanize` control) runs from 0 (every hit on the grid, velocities as decided) through 1 (sampled
from the drummers' distributions) to 1.5 (each sample's distance from its context's median 1.5 times as wide);
between 0 and 1 velocities are blended and offsets scaled. `feel` moves the timing as GMD's most laid-back or
pushed drummers place each voice, or narrows it as its tightest drummers do (fit.py learns the three from them).
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from seq2drum.errors import ConfigError
from seq2drum.feel.contexts import N_LEVELS, HitContexts, hit_contexts
from seq2drum.midi.drums import midi_velocity
from seq2drum.options import FEELS
from seq2drum.song.grid import DrumGrid, Grid

N_QUANTILES = 32
QUANTILE_PROBABILITIES = (np.arange(N_QUANTILES) + 0.5) / N_QUANTILES
OFFSET_UNITS_PER_STEP = 250  # offsets stored as int8: 1/250 of a step, [-0.5, 0.5) in range
MAX_OFFSET_STEPS = 0.49  # timing kept inside its own step, as the grid's offsets are
SHIPPED = Path(__file__).resolve().parent / "gmd_feel.npz"
FORMAT_VERSION = 1


@dataclass
class Table:
    """Quantiles of one quantity (velocity or offset) per context, one sorted key array per level, finest first."""

    keys: list[np.ndarray]  # per level: (m,) int64 sorted
    quantiles: list[np.ndarray]  # per level: (m, N_QUANTILES), velocity uint8 or offset int8 in 1/250 step
    counts: list[np.ndarray]  # per level: (m,) int32 hits seen in training

    def rows(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(n, N_QUANTILES) float quantiles of each hit from the finest level that knows its context, and (n,) the
        level each answered from. The coarsest level (the class alone) knows every class seen in training."""
        n = len(keys)
        out = np.zeros((n, N_QUANTILES), dtype=np.float64)
        level_of = np.full(n, -1, dtype=np.int64)
        for level in range(N_LEVELS):
            open_rows = np.flatnonzero(level_of < 0)
            if not len(open_rows) or not len(self.keys[level]):
                continue
            wanted = keys[open_rows, level]
            index = np.clip(np.searchsorted(self.keys[level], wanted), 0, len(self.keys[level]) - 1)
            found = self.keys[level][index] == wanted
            out[open_rows[found]] = self.quantiles[level][index[found]]
            level_of[open_rows[found]] = level
        return out, level_of


@dataclass
class FeelTables:
    """What fit.py learned from GMD: velocity and offset tables, and per feel an offset shift per drum class (steps)
    and a timing spread factor."""

    velocity: Table
    offset: Table
    feel_shift: np.ndarray  # (len(FEELS), 9) float32, steps added to every offset of that class
    feel_spread: np.ndarray  # (len(FEELS),) float32, timing spread around each context's median
    info: dict[str, Any] = field(default_factory=dict)  # the fit's data, counts and time, for the model card

    def velocity_quantiles(self, contexts: HitContexts) -> tuple[np.ndarray, np.ndarray]:
        """(n, N_QUANTILES) velocity quantiles of each hit, and (n,) bool: its class was seen in training."""
        rows, level = self.velocity.rows(contexts.keys)
        return rows, level >= 0

    def offset_quantiles(self, contexts: HitContexts) -> tuple[np.ndarray, np.ndarray]:
        """(n, N_QUANTILES) offset quantiles of each hit in steps, and (n,) bool: its class was seen in training."""
        rows, level = self.offset.rows(contexts.keys)
        return rows / OFFSET_UNITS_PER_STEP, level >= 0

    def save(self, path: Path) -> None:
        """`path` (.npz, arrays only) and the same name with .json (everything else)."""
        arrays: dict[str, np.ndarray] = {"feel_shift": self.feel_shift, "feel_spread": self.feel_spread}
        for name, table in (("velocity", self.velocity), ("offset", self.offset)):
            for level in range(N_LEVELS):
                arrays[f"{name}_keys_{level}"] = table.keys[level]
                arrays[f"{name}_quantiles_{level}"] = table.quantiles[level]
                arrays[f"{name}_counts_{level}"] = table.counts[level]
        np.savez_compressed(path, **arrays)
        info = {**self.info, "format_version": FORMAT_VERSION, "feels": list(FEELS), "n_quantiles": N_QUANTILES,
                "offset_units_per_step": OFFSET_UNITS_PER_STEP}
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

        return cls(table("velocity"), table("offset"), arrays["feel_shift"], arrays["feel_spread"], info)


@functools.cache
def shipped_tables() -> FeelTables:
    """The tables shipped in the package (read once per process)."""
    return FeelTables.load(SHIPPED)


def sample_quantiles(quantiles: np.ndarray, u: np.ndarray) -> np.ndarray:
    """(n,) values at probability `u` of each row's quantiles (linear between them, held beyond the outermost)."""
    position = np.clip(u * N_QUANTILES - 0.5, 0, N_QUANTILES - 1)
    low = np.floor(position).astype(np.int64)
    high = np.minimum(low + 1, N_QUANTILES - 1)
    weight = position - low
    rows = np.arange(len(quantiles))
    return quantiles[rows, low] * (1 - weight) + quantiles[rows, high] * weight


def humanize(drums: DrumGrid, grid: Grid, amount: float, feel: str, rng: np.random.Generator,
             dynamics: float = 1.0, tables: FeelTables | None = None) -> DrumGrid:
    """`drums` with each hit's velocity and offset sampled from the drummers' (see the module docstring); the
    velocities the drums hold are kept at amount 0 and blended toward the drummers' below 1. `dynamics` scales the
    learned velocities as it scaled the decided ones. Draws two uniforms per hit from `rng`, at every amount."""
    contexts = hit_contexts(drums, grid)
    step, drum_class = contexts.step, contexts.drum_class
    u_velocity, u_offset = rng.random(len(step)), rng.random(len(step))
    velocity = drums.velocity.astype(np.float64)
    offset = np.zeros(drums.offset.shape, dtype=np.float64)
    if amount > 0 and len(step):
        tables = tables or shipped_tables()
        loose = max(1.0, amount)
        feel_index = FEELS.index(feel)
        velocity_rows, known = tables.velocity_quantiles(contexts)
        median = sample_quantiles(velocity_rows, np.full(len(step), 0.5))
        learned = (median + (sample_quantiles(velocity_rows, u_velocity) - median) * loose) * dynamics
        learned = np.where(known, learned, velocity[step, drum_class])  # a class the data never played: as decided
        offset_rows, known = tables.offset_quantiles(contexts)
        median = sample_quantiles(offset_rows, np.full(len(step), 0.5))
        spread = loose * float(tables.feel_spread[feel_index])
        timing = (median + (sample_quantiles(offset_rows, u_offset) - median) * spread
                  + tables.feel_shift[feel_index, drum_class]) * known
        blend = min(1.0, amount)
        velocity[step, drum_class] = (1 - blend) * velocity[step, drum_class] + blend * learned
        offset[step, drum_class] = blend * timing
    hits = drums.hits
    return DrumGrid(hits, np.where(hits, midi_velocity(np.round(velocity)), 0).astype(np.uint8),
                    np.where(hits, np.clip(offset, -MAX_OFFSET_STEPS, MAX_OFFSET_STEPS), 0.0).astype(np.float32))

