"""The groove model's input, by name: what the guitar plays at each step of a bar, and what each bar is in the song
(meter, tempo, whether the guitar plays, where sections start, end and come back), versioned as a `FeatureSpec`.

The checkpoint records the spec it was trained with; a checkpoint whose spec differs from this code's is refused
with a message saying so, instead of silently feeding columns in the wrong order. `bar_song` turns an
`EncodedSong` into the arrays the model reads (and, for training, the drums it should play), one row per bar from
the bar where the guitar enters to the song's end.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from seq2drum.midi.drums import NUM_DRUM_CLASSES
from seq2drum.errors import CheckpointError
from seq2drum.song.grid import BAR_DENOMINATOR, BAR_NUMERATOR, BAR_START, BAR_STEPS, Grid, is_compound, max_bar_steps
from seq2drum.song.sections import Section, section_bar_features, song_structure
from seq2drum.song.encode import EncodedSong

FEATURE_VERSION = 1

_GUITAR_COLUMNS = (
    *(f"onset_chroma_{i}" for i in range(12)),
    *(f"sounding_chroma_{i}" for i in range(12)),
    "onsets", "voices", "lowest_pitch", "highest_pitch", "has_onset", "loudness", "note_length", "pitch_spread",
    "bar_density_vs_song", "bar_loudness", "bar_repeats_earlier_bar", "bar_silent", "bar_chroma_like_previous",
)
STEP_COLUMNS: tuple[str, ...] = (*_GUITAR_COLUMNS, "downbeat", "beat", "beat_half", "offbeat", "step_in_bar")
_NUMERATORS = (2, 3, 4, 5, 6, 7, 9, 12)
_DENOMINATORS = (2, 4, 8, 16)
_SONG_COLUMNS = (
    *(f"program_{i}" for i in range(9)), "guitar_parts", "tempo_log2", "triple_share", "onsets_per_bar",
    "chord_share", "velocity_mean", "velocity_spread", "pitch_mean", "pitch_spread", "note_length",
    "offbeat_share", *(f"pitch_class_{i}" for i in range(12)), "onset_step_share",
)
BAR_COLUMNS: tuple[str, ...] = (
    *(f"numerator_{n}" for n in _NUMERATORS), "numerator_other", "compound",
    *(f"denominator_{d}" for d in _DENOMINATORS), "bar_length", "tempo_log2",
    "guitar_plays", "guitar_density", "guitar_loudness", "novelty",
    "section_start", "section_end", "section_position", "section_length", "section_heard_before", "first_section",
    "marker", "bars_from_entry", "bars_to_end", "first_bar", "last_bar", "previous_silent", "next_silent",
    *(f"song_{name}" for name in _SONG_COLUMNS),
)


@dataclass(frozen=True)
class FeatureSpec:
    """Named, versioned input columns of the groove model and the bar size it reads."""

    version: int
    step_columns: tuple[str, ...]
    bar_columns: tuple[str, ...]
    max_bar_steps: int

    @classmethod
    def current(cls, steps_per_quarter: int) -> FeatureSpec:
        return cls(FEATURE_VERSION, STEP_COLUMNS, BAR_COLUMNS, max_bar_steps(steps_per_quarter))

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

    def check_matches(self, other: FeatureSpec, source: str) -> None:
        """Raise `CheckpointError` when `other` (from `source`) is not this spec, saying what differs."""
        if other == self:
            return
        if other.version != self.version:
            what = f"feature version {other.version}, this seq2drum makes version {self.version}"
        elif other.max_bar_steps != self.max_bar_steps:
            what = f"bars of up to {other.max_bar_steps} steps, this seq2drum makes {self.max_bar_steps}"
        else:
            missing = [c for c in self.step_columns + self.bar_columns if c not in other.step_columns + other.bar_columns]
            extra = [c for c in other.step_columns + other.bar_columns if c not in self.step_columns + self.bar_columns]
            what = f"other feature columns (missing {missing[:5]}, unknown {extra[:5]})" if missing or extra \
                else "the same feature columns in another order"
        raise CheckpointError(f"{source} was trained on {what}; retrain it with this version "
                              "(python main.py --mode train) or use the seq2drum version it was made with")


@dataclass
class BarSong:
    """One song as bars, from the bar where the guitar enters (`first_bar`) to its end: what the groove model
    reads, the song's sections, and (for training songs) the drums of each bar."""

    name: str
    first_bar: int
    bar_steps: np.ndarray  # (n,) int64 length of each bar in steps
    beat_steps: np.ndarray  # (n,) int64 length of the felt beat in steps (a dotted quarter in 6/8)
    step_features: np.ndarray  # (n, S, n_step) float32, zero past each bar's length
    bar_features: np.ndarray  # (n, n_bar) float32
    guitar_plays: np.ndarray  # (n,) bool
    last_onset: tuple[int, int] = (0, 0)  # (bar row, step in bar) of the guitar's last onset
    sections: list[Section] = field(default_factory=list)
    hits: np.ndarray | None = None  # (n, S, 9) bool, the real drums (training songs)
    velocity: np.ndarray | None = None  # (n, S, 9) float32 MIDI velocity of each hit
    offset: np.ndarray | None = None  # (n, S, 9) float32 microtiming offset of each hit, in steps

    @property
    def n_bars(self) -> int:
        return len(self.bar_steps)

    def __repr__(self) -> str:
        return f"BarSong({self.name!r}, {self.n_bars} bars from bar {self.first_bar}, {len(self.sections)} sections)"


def bar_song(encoded: EncodedSong, spec: FeatureSpec) -> BarSong:
    """The bars of a song from the guitar's entry on, as the groove model reads them."""
    grid = encoded.grid
    first, end = encoded.first_bar, encoded.end_bar
    n, width = end - first, spec.max_bar_steps
    bars = grid.bars[first:end]
    bar_steps = bars[:, BAR_STEPS].astype(np.int64)
    beat_all = grid.beat_steps()
    beat_steps = beat_all[bars[:, BAR_START]].astype(np.int64)

    level = grid.metrical_level()
    in_bar = grid.step_in_bar()
    per_step = np.concatenate([
        encoded.guitar,
        np.eye(4, dtype=np.float32)[level],
        (in_bar / np.maximum(1, np.repeat(grid.bars[:, BAR_STEPS], grid.bars[:, BAR_STEPS])))[:, None],
    ], axis=1).astype(np.float32)
    step_features = _per_bar(per_step, bars, width)
    hits = velocity = offset = None
    if encoded.drums is not None:
        hits = _per_bar(encoded.drums.hits, bars, width).astype(bool)
        velocity = _per_bar(encoded.drums.velocity.astype(np.float32), bars, width)
        offset = _per_bar(encoded.drums.offset.astype(np.float32), bars, width)

    sections, novelty = song_structure(encoded.guitar, grid, first, end, encoded.marker_steps)
    plays = step_features[:, :, STEP_COLUMNS.index("has_onset")].any(axis=1)
    bar_features = np.zeros((n, len(BAR_COLUMNS)), dtype=np.float32)
    columns = {name: i for i, name in enumerate(BAR_COLUMNS)}
    numerator, denominator = bars[:, BAR_NUMERATOR], bars[:, BAR_DENOMINATOR]
    for row, (num, den) in enumerate(zip(numerator.tolist(), denominator.tolist())):
        bar_features[row, columns[f"numerator_{num}" if num in _NUMERATORS else "numerator_other"]] = 1
        if den in _DENOMINATORS:
            bar_features[row, columns[f"denominator_{den}"]] = 1
    bar_features[:, columns["compound"]] = is_compound(numerator, denominator)
    bar_features[:, columns["bar_length"]] = bar_steps / width
    tempo = grid.tempo_bpm()[bars[:, BAR_START]]
    bar_features[:, columns["tempo_log2"]] = np.log2(tempo / 120.0)
    bar_features[:, columns["guitar_plays"]] = plays
    guitar_bar = encoded.guitar[bars[:, BAR_START]]
    bar_features[:, columns["guitar_density"]] = guitar_bar[:, _GUITAR_COLUMNS.index("bar_density_vs_song")]
    bar_features[:, columns["guitar_loudness"]] = guitar_bar[:, _GUITAR_COLUMNS.index("bar_loudness")]
    bar_features[:, columns["novelty"]] = novelty
    start = columns["section_start"]
    bar_features[:, start : start + 6] = section_bar_features(sections, first, end)
    marker_bars = np.searchsorted(bars[:, BAR_START], np.asarray(encoded.marker_steps, dtype=np.int64), side="right") - 1
    bar_features[marker_bars[(marker_bars >= 0) & (marker_bars < n)], columns["marker"]] = 1
    index = np.arange(n)
    bar_features[:, columns["bars_from_entry"]] = np.log2(1 + index) / 8
    bar_features[:, columns["bars_to_end"]] = np.log2(n - index) / 8
    bar_features[0, columns["first_bar"]] = 1
    bar_features[-1, columns["last_bar"]] = 1
    bar_features[1:, columns["previous_silent"]] = ~plays[:-1]
    bar_features[:-1, columns["next_silent"]] = ~plays[1:]
    song_start = columns["song_program_0"]
    bar_features[:, song_start:] = encoded.song[None, :]
    last_bar = int(np.searchsorted(bars[:, BAR_START], encoded.last_onset_step, side="right") - 1)
    last_onset = (last_bar, min(width - 1, encoded.last_onset_step - int(bars[last_bar, BAR_START])))
    return BarSong(encoded.name, first, bar_steps, beat_steps, step_features, bar_features, plays, last_onset,
                   sections, hits, velocity, offset)


def _per_bar(values: np.ndarray, bars: np.ndarray, width: int) -> np.ndarray:
    """(n_steps, ...) per-step values -> (n_bars, width, ...), each bar from its first step, zero-padded, cut at width."""
    out = np.zeros((len(bars), width, *values.shape[1:]), dtype=values.dtype)
    for row, (start, n_steps) in enumerate(bars[:, [BAR_START, BAR_STEPS]].tolist()):
        length = min(n_steps, width)
        out[row, :length] = values[start : start + length]
    return out


def bars_to_steps(per_bar: np.ndarray, grid: Grid, first_bar: int, n_steps_out: int | None = None) -> np.ndarray:
    """Inverse of the per-bar layout: (n_bars, S, ...) -> (grid.n_steps, ...), bars before `first_bar` empty;
    a bar longer than S repeats its pattern from the start."""
    out = np.zeros((n_steps_out or grid.n_steps, *per_bar.shape[2:]), dtype=per_bar.dtype)
    bars = grid.bars[first_bar : first_bar + len(per_bar)]
    if not len(bars):
        return out
    lengths = bars[:, BAR_STEPS]
    rows = np.repeat(np.arange(len(bars)), lengths)  # (steps,) the bar of each step, bars being contiguous
    in_bar = np.arange(len(rows)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    start = int(bars[0, BAR_START])
    out[start : start + len(rows)] = per_bar[rows, in_bar % per_bar.shape[1]]
    return out


assert len(_SONG_COLUMNS) == 33 and len(_GUITAR_COLUMNS) == 37 and NUM_DRUM_CLASSES == 9
