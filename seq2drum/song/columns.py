"""The groove model's input columns, defined once: the guitar's per-step columns, the song summary, the step and bar
tables they make, their named slices, the `FeatureSpec` that versions them, and transposition.

Every writer and reader of a feature array goes through these names (`GUITAR.onset_chroma`, `BAR.song_pitch_class`),
never a column number, so inserting a column moves every use with it. A single-column entry is an index (the array
keeps one dimension less); a multi-column entry is a slice. The names and their order are
what a checkpoint records: changing them changes the `FeatureSpec`, and a checkpoint trained on other columns is
refused instead of read in the wrong order.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from seq2drum.errors import CheckpointError
from seq2drum.midi.roles import BAND_ROLES, ROLES
from seq2drum.song.grid import max_bar_steps

FEATURE_VERSION = 1  # bump with any change of meaning that keeps the names (the names themselves are compared)

Entry = tuple[str, tuple[str, ...]]  # (attribute name, its column names)


def one(name: str) -> Entry:
    """A single column, reached as an index."""
    return name, (name,)


def many(name: str, suffixes: Iterable[object]) -> Entry:
    """Columns `name_<suffix>`, reached together as one slice."""
    return name, tuple(f"{name}_{suffix}" for suffix in suffixes)


class ColumnTable:
    """Named columns in order; each entry is an attribute: an int for one column, a slice for several.

    `parts` are entries or (key, table, prefix): a whole table, reached as one slice under `key`, whose entries and
    column names join this table's with `prefix` in front, shifted to where the table sits."""

    def __init__(self, *parts: Entry | tuple[str, ColumnTable, str]) -> None:
        names: list[str] = []
        self._entries: dict[str, int | slice] = {}
        for part in parts:
            if len(part) == 3:
                key, table, prefix = part  # type: ignore[misc]
                self._add(key, slice(len(names), len(names) + len(table)))
                self._join(table, len(names), prefix)
                names.extend(prefix + name for name in table.names)
            else:
                key, columns = part  # type: ignore[misc]
                self._add(key, len(names) if columns == (key,) else slice(len(names), len(names) + len(columns)))
                names.extend(columns)
        if len(set(names)) != len(names):
            raise ValueError(f"a column is named twice: {sorted({n for n in names if names.count(n) > 1})}")
        self.names: tuple[str, ...] = tuple(names)

    def _add(self, key: str, where: int | slice) -> None:
        if key in self._entries:
            raise ValueError(f"entry {key!r} is defined twice")
        self._entries[key] = where

    def _join(self, table: ColumnTable, offset: int, prefix: str) -> None:
        for key, where in table._entries.items():
            shifted = where + offset if isinstance(where, int) else slice(where.start + offset, where.stop + offset)
            self._add(prefix + key, shifted)

    def __getattr__(self, key: str) -> Any:
        entries = self.__dict__.get("_entries", {})
        if key not in entries:
            raise AttributeError(f"no column entry {key!r}")
        return entries[key]

    def __len__(self) -> int:
        return len(self.names)

    def index(self, name: str) -> int:
        """The position of one column by its column name (e.g. 'section_start')."""
        return self.names.index(name)

    def __repr__(self) -> str:
        return f"ColumnTable({len(self)} columns: {', '.join(self._entries)})"


NUMERATORS = (2, 3, 4, 5, 6, 7, 9, 12)  # one-hot meter numerators; any other is "numerator_other"
DENOMINATORS = (2, 4, 8, 16)

GUITAR = ColumnTable(  # what the guitar plays at a step (song.guitar.guitar_features)
    many("onset_chroma", range(12)), many("sounding_chroma", range(12)),
    one("onsets"), one("voices"), one("lowest_pitch"), one("highest_pitch"), one("has_onset"), one("loudness"),
    one("note_length"), one("pitch_spread"),
    ("bar_cues", ("bar_density_vs_song", "bar_loudness", "bar_repeats_earlier_bar", "bar_silent",
                  "bar_chroma_like_previous")),  # the step's bar, repeated on each of its steps
)
BAND = ColumnTable(*(  # what each part beside the guitar plays at a step, by role (song.band.band_features)
    entry for role in BAND_ROLES
    for entry in (one(f"{role}_onsets"), one(f"{role}_sounding"), one(f"{role}_lowest_pitch"))
))
STEP = ColumnTable(  # a step of a bar as the model reads it
    ("guitar", GUITAR, ""),
    ("metrical_level", ("downbeat", "beat", "beat_half", "offbeat")), one("step_in_bar"),
    ("band", BAND, ""),
)
SONG = ColumnTable(  # a summary of the whole guitar part (song.guitar.song_features)
    many("program", range(9)), one("guitar_parts"), one("tempo_log2"), one("triple_share"), one("onsets_per_bar"),
    one("chord_share"), one("velocity_mean"), one("velocity_spread"), one("pitch_mean"), one("pitch_spread"),
    one("note_length"), one("offbeat_share"), many("pitch_class", range(12)), one("onset_step_share"),
)
ROLE_BAR_CUES = ("plays", "enters", "leaves", "density")
ROLE_BARS = ColumnTable(*(one(f"{role}_{cue}") for role in ROLES for cue in ROLE_BAR_CUES))
BAR = ColumnTable(  # a bar as the model reads it (song.bars.bar_song)
    ("numerator", (*(f"numerator_{n}" for n in NUMERATORS), "numerator_other")), one("compound"),
    many("denominator", DENOMINATORS), one("bar_length"), one("tempo_log2"),
    one("guitar_plays"), one("guitar_density"), one("guitar_loudness"), one("novelty"),
    ("section", ("section_start", "section_end", "section_position", "section_length", "section_heard_before",
                 "first_section")),  # song.sections.section_bar_features, in this order
    one("marker"), one("bars_from_entry"), one("bars_to_end"), one("first_bar"), one("last_bar"),
    one("previous_silent"), one("next_silent"),
    ("song", SONG, "song_"),
    ("roles", ROLE_BARS, "band_"),  # which roles play in the bar, enter, leave, and how busy they are
)
STEP_COLUMNS: tuple[str, ...] = STEP.names
BAR_COLUMNS: tuple[str, ...] = BAR.names


def transpose(step_features: np.ndarray, bar_features: np.ndarray, shift: int,
              step: ColumnTable = STEP, bar: ColumnTable = BAR) -> tuple[np.ndarray, np.ndarray]:
    """Copies of (..., n_step) step and (..., n_bar) bar features as if the song were `shift` semitones higher:
    the chroma blocks and the song's pitch-class histogram rotate, the guitar's lowest and highest pitch and each
    band part's lowest pitch move where it strikes (zero elsewhere, as encoding writes them); every other column
    stays. `step` and `bar` name the columns."""
    step_features, bar_features = step_features.copy(), bar_features.copy()
    for block in (step.onset_chroma, step.sounding_chroma):
        step_features[..., block] = np.roll(step_features[..., block], shift, axis=-1)
    strikes = step_features[..., step.has_onset] > 0
    for column in (step.lowest_pitch, step.highest_pitch):  # in units of 24 semitones
        step_features[..., column] = np.where(strikes, step_features[..., column] + shift / 24.0, 0.0)
    for role in BAND_ROLES:  # the whole arrangement moves: each part's lowest pitch where it strikes
        if f"{role}_lowest_pitch" in step.names:
            column, onsets = step.index(f"{role}_lowest_pitch"), step.index(f"{role}_onsets")
            strikes = step_features[..., onsets] > 0
            step_features[..., column] = np.where(strikes, step_features[..., column] + shift / 24.0, 0.0)
    pitch_classes = bar.song_pitch_class
    bar_features[..., pitch_classes] = np.roll(bar_features[..., pitch_classes], shift, axis=-1)
    return step_features, bar_features


def drop_roles(step_features: np.ndarray, bar_features: np.ndarray, roles: Iterable[str],
               step: ColumnTable = STEP, bar: ColumnTable = BAR) -> tuple[np.ndarray, np.ndarray]:
    """Copies of (..., n_step) step and (..., n_bar) bar features as if the parts of `roles` (band roles: bass,
    keys, melody, other) were not in the song: their step columns and bar cues zero, as encoding writes them for a
    song without such a part. Training drops roles at random, so one model plays to a guitar alone and to any band."""
    step_features, bar_features = step_features.copy(), bar_features.copy()
    for role in roles:
        if role not in BAND_ROLES:
            raise ValueError(f"{role!r} is not a band role ({', '.join(BAND_ROLES)}); the guitar is never dropped")
        for cue in ("onsets", "sounding", "lowest_pitch"):
            step_features[..., step.index(f"{role}_{cue}")] = 0.0
        for cue in ROLE_BAR_CUES:
            bar_features[..., bar.index(f"band_{role}_{cue}")] = 0.0
    return step_features, bar_features


@dataclass(frozen=True)
class FeatureSpec:
    """Named, versioned input columns of the groove model and the bar size it reads."""

    version: int
    step_columns: tuple[str, ...]
    bar_columns: tuple[str, ...]
    max_bar_steps: int

    @classmethod
    def current(cls, steps_per_quarter: int) -> FeatureSpec:
        return cls(FEATURE_VERSION, STEP.names, BAR.names, max_bar_steps(steps_per_quarter))

    @property
    def n_step(self) -> int:
        return len(self.step_columns)

    @property
    def n_bar(self) -> int:
        return len(self.bar_columns)

    def to_dict(self) -> dict[str, Any]:
        return {"version": self.version, "step_columns": list(self.step_columns),
                "bar_columns": list(self.bar_columns), "max_bar_steps": self.max_bar_steps}

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> FeatureSpec:
        return cls(int(values["version"]), tuple(values["step_columns"]), tuple(values["bar_columns"]),
                   int(values["max_bar_steps"]))

    def check_readable(self, other: FeatureSpec, source: str) -> None:
        """Raise `CheckpointError` unless this code can make every column `other` (a checkpoint's spec, from `source`)
        reads: the same version and bar size, and no column this code does not make. A model trained on fewer
        columns (an older model, before the band's columns) reads its own, by name, in its own order."""
        if other.version != self.version:
            what = f"feature version {other.version}, this seq2drum makes version {self.version}"
        elif other.max_bar_steps != self.max_bar_steps:
            what = f"bars of up to {other.max_bar_steps} steps, this seq2drum makes {self.max_bar_steps}"
        else:
            unknown = [c for c in other.step_columns + other.bar_columns
                       if c not in self.step_columns + self.bar_columns]
            if not unknown:
                return
            what = f"feature columns this seq2drum does not make ({unknown[:5]})"
        raise CheckpointError(f"{source} was trained on {what}; retrain it with this version "
                              "(python main.py --mode train) or use the seq2drum version it was made with")
