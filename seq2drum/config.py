"""Frozen configuration objects that validate themselves and round-trip to JSON-able dicts.

argparse defaults in main.py come from these, so there is one place for every default.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
from dataclasses import dataclass
from typing import Any, TypeVar

from seq2drum.errors import ConfigError
from seq2drum.midi.kit import KitMap
from seq2drum.midi.scan import MAX_SONG_QUARTERS, parse_meter

T = TypeVar("T", bound="_Config")


class _Config:
    """Shared dict/JSON round trip for the frozen dataclasses below."""

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)  # type: ignore[call-overload]

    @classmethod
    def from_dict(cls: type[T], values: dict[str, Any]) -> T:
        names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        unknown = set(values) - names
        if unknown:
            raise ConfigError(f"{cls.__name__}: unknown keys {sorted(unknown)}; known keys are {sorted(names)}")
        return cls(**values)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_json(cls: type[T], text: str) -> T:
        return cls.from_dict(json.loads(text))

    def replace(self: T, **changes: Any) -> T:
        return dataclasses.replace(self, **changes)  # type: ignore[type-var]


class DefaultsHelpFormatter(argparse.HelpFormatter):
    """`--help` shows every option's default exactly once: help that already says its default keeps its own words
    (for defaults computed at run time), flags say "off", anything else gets "(default: VALUE)"."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if not action.option_strings or action.default is argparse.SUPPRESS or "default" in text:
            return text
        if isinstance(action, (argparse._StoreTrueAction, argparse._StoreFalseAction)):
            return f"{text} (default: {'on' if action.default else 'off'})".strip()
        return f"{text} (default: %(default)s)".strip()


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise ConfigError(message)


_TYPE_CHECKS = {
    "int": lambda value: isinstance(value, int) and not isinstance(value, bool),
    "float": lambda value: isinstance(value, (int, float)) and not isinstance(value, bool),
    "bool": lambda value: isinstance(value, bool),
    "str": lambda value: isinstance(value, str),
}


def _check_types(config: object) -> None:
    """Values from JSON or a checkpoint have the declared types (4.5 is not an int, "4" is not a number)."""
    for item in dataclasses.fields(config):  # type: ignore[arg-type]
        value = getattr(config, item.name)
        declared = str(item.type)
        if value is None and declared.endswith("| None"):
            continue
        base = declared.replace(" | None", "")
        if not _TYPE_CHECKS[base](value):
            raise ConfigError(f"{type(config).__name__}.{item.name} must be {declared}, got {value!r}")


MAX_TEMPERATURE = 5.0
MAX_SEED = 2**63 - 1
MAX_TAKES = 8
MAX_COUNT_IN_BARS = 8
MAX_BARS = 512  # drums from nothing
MIN_TEMPO_QPM, MAX_TEMPO_QPM = 20.0, 300.0  # drums from nothing, quarter notes per minute as DAWs show it
DEFAULT_TEMPO_QPM, DEFAULT_METER = 120.0, "4/4"
MIN_DENSITY, MAX_DENSITY = 0.25, 4.0
MIN_SWING, MAX_SWING = 0.5, 0.75
MIN_DYNAMICS, MAX_DYNAMICS = 0.5, 1.5
MAX_FILL_EVERY = 64
CYMBALS = ("auto", "hats", "ride")


def fills_every(fills: str) -> int | None:
    """N of `every:N` (1 to MAX_FILL_EVERY), else None."""
    match = re.fullmatch(r"every:(\d{1,4})", fills) if isinstance(fills, str) else None
    return int(match.group(1)) if match and 1 <= int(match.group(1)) <= MAX_FILL_EVERY else None


@dataclass(frozen=True)
class DataConfig(_Config):
    """How songs become grid sequences, which songs are kept, and how they split into training and validation."""

    steps_per_quarter: int = 4  # 4 = a 16th-note grid
    min_song_bars: int = 4  # shorter songs are skipped as "too short"
    val_fraction: float = 0.1
    split_seed: int = 1234

    # Keys of an older window layer that changed nothing but the cache key; checkpoints made before it went
    # (models/default.pt, cross-validation runs) still hold them.
    RETIRED_KEYS = ("max_window_notes", "max_window_bars")

    def __post_init__(self) -> None:
        _check_types(self)
        _check(1 <= self.steps_per_quarter <= 24, f"steps_per_quarter must be 1-24, got {self.steps_per_quarter}")
        _check(self.min_song_bars >= 1, f"min_song_bars must be >= 1, got {self.min_song_bars}")
        _check(0.0 <= self.val_fraction < 1.0, f"val_fraction must be in [0, 1), got {self.val_fraction}")

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> DataConfig:
        """As `_Config.from_dict`, dropping the retired window keys of older checkpoints."""
        return super().from_dict({k: v for k, v in values.items() if k not in cls.RETIRED_KEYS})


@dataclass(frozen=True)
class ModelConfig(_Config):
    """Sizes of the bar-level encoder-decoder. Input/output sizes come from the FeatureSpec and the codebook."""

    src_proj_dim: int = 192  # a bar's step features are projected to this before the encoder
    enc_hidden: int = 128  # per direction (the encoder is bidirectional)
    enc_layers: int = 1
    step_embed_dim: int = 96  # width of the per-step drum heads (each step's guitar joined with its bar's state)
    dec_hidden: int = 256
    dec_layers: int = 1
    dropout: float = 0.2
    attention: bool = False  # Luong (general) attention over the encoder states of the whole song

    def __post_init__(self) -> None:
        _check_types(self)
        for name in ("src_proj_dim", "enc_hidden", "step_embed_dim", "dec_hidden"):
            value = getattr(self, name)
            _check(4 <= value <= 4096, f"{name} must be 4-4096, got {value}")
        _check(1 <= self.enc_layers <= 8, f"enc_layers must be 1-8, got {self.enc_layers}")
        _check(1 <= self.dec_layers <= 8, f"dec_layers must be 1-8, got {self.dec_layers}")
        _check(0.0 <= self.dropout < 1.0, f"dropout must be in [0, 1), got {self.dropout}")


@dataclass(frozen=True)
class TrainConfig(_Config):
    """Optimisation and bookkeeping of one training run."""

    epochs: int = 40
    max_steps: int = 0  # 0 = no limit; stops after this many optimizer steps
    batch_size: int = 8  # songs (or pieces of long songs) per batch
    lr: float = 2e-3
    weight_decay: float = 1e-4
    grad_clip: float = 1.0
    groove_loss_weight: float = 1.0  # cross-entropy of the bar's codebook entry (the groove head later takes cover)
    structure_loss_weight: float = 2.0  # rest / crash / fill per bar
    velocity_loss_weight: float = 1.0  # squared error of velocity / 127 on the real hits
    offset_loss_weight: float = 1.0  # squared error of microtiming (steps) on the real hits
    transpose: bool = True  # shift each song's guitar by a random -5..+6 semitones when drawn (the drums stay)
    max_bars_per_item: int = 256  # longer songs are cut into pieces of this many bars for training
    codebook_size: int = 384  # groove codebook entries over all bar lengths
    patience: int = 6  # epochs without validation improvement before stopping
    checkpoint_every: int = 200  # optimizer steps between "last" checkpoints
    seed: int = 0
    device: str = "auto"  # auto | cpu | cuda
    amp: bool = True  # mixed precision on CUDA (ignored on CPU)
    max_batch_bars: int = 2048  # cap on padded bars (items x longest item) in one batch

    def __post_init__(self) -> None:
        _check_types(self)
        _check(self.epochs >= 1, f"epochs must be >= 1, got {self.epochs}")
        _check(self.max_steps >= 0, f"max_steps must be >= 0, got {self.max_steps}")
        _check(1 <= self.batch_size <= 4096, f"batch_size must be 1-4096, got {self.batch_size}")
        _check(0.0 < self.lr < 1.0, f"lr must be in (0, 1), got {self.lr}")
        _check(self.patience >= 1, f"patience must be >= 1, got {self.patience}")
        _check(self.grad_clip > 0, f"grad_clip must be > 0, got {self.grad_clip}")
        _check(self.weight_decay >= 0, f"weight_decay must be >= 0, got {self.weight_decay}")
        _check(self.velocity_loss_weight >= 0, f"velocity_loss_weight must be >= 0, got {self.velocity_loss_weight}")
        _check(self.offset_loss_weight >= 0, f"offset_loss_weight must be >= 0, got {self.offset_loss_weight}")
        _check(self.groove_loss_weight >= 0, f"groove_loss_weight must be >= 0, got {self.groove_loss_weight}")
        _check(self.structure_loss_weight >= 0, f"structure_loss_weight must be >= 0, got {self.structure_loss_weight}")
        _check(self.max_bars_per_item >= 4, f"max_bars_per_item must be >= 4, got {self.max_bars_per_item}")
        _check(8 <= self.codebook_size <= 4096, f"codebook_size must be 8-4096, got {self.codebook_size}")
        _check(self.max_batch_bars >= 4, f"max_batch_bars must be >= 4, got {self.max_batch_bars}")
        _check(self.checkpoint_every >= 1, f"checkpoint_every must be >= 1, got {self.checkpoint_every}")
        _check(self.device in ("auto", "cpu", "cuda"), f"device must be auto, cpu or cuda, got {self.device!r}")


@dataclass(frozen=True)
class GenerationOptions(_Config):
    """Per-request options of drum generation (the CLI flags and the gRPC request fields)."""

    temperature: float = 0.0  # 0 = each bar chosen by expected F1; >0 adds that much randomness to the groove choice
    seed: int | None = None  # None = a fresh random seed per call
    track: str | None = None  # which part is the guitar: a part number from the listing, or a name
    merge: bool = False  # also copy the guitar part(s) into the output file
    humanize: bool = True  # spread velocity and timing a little around the predicted values
    takes: int = 1  # distinct drum parts to write, 1-8 (take 1 is the model's first choice)
    kit_map: str | None = None  # JSON object from drum class to MIDI note (seq2drum.midi.kit); None = General MIDI
    count_in_bars: int = 0  # bars of sticks before the guitar enters, 0-8
    bars: int | None = None  # drums from nothing: this many bars (1-512), with no song
    tempo_qpm: float | None = None  # drums from nothing: quarter notes per minute, 20-300 (None = 120)
    meter: str | None = None  # drums from nothing: "NUM/DEN" (None = 4/4)
    # the controls a drummer asks for (seq2drum/groove/controls.py); the defaults are the model's own choice
    style: str | None = None  # a groove family (`python main.py --mode styles`); None = any groove
    density: float = 1.0  # how busy, 0.25-4 times the model's choice
    fills: str = "sections"  # none | sections (where the model calls them) | every:N (every Nth bar of a section)
    swing: float | None = None  # off-beat eighths at this share of their beat, 0.5 (straight) to 0.75; None = as predicted
    dynamics: float = 1.0  # velocities times this, 0.5-1.5
    cymbal: str = "auto"  # the time-keeping voice: auto (the model's) | hats | ride

    def __post_init__(self) -> None:
        _check_types(self)
        _check(self.style is None or re.fullmatch(r"[a-z0-9-]+", self.style) is not None,
               f"style must be a name like straight-8ths (python main.py --mode styles lists them), got {self.style!r}")
        _check(MIN_DENSITY <= self.density <= MAX_DENSITY,
               f"density must be {MIN_DENSITY:g}-{MAX_DENSITY:g} (1 = the model's choice), got {self.density:g}")
        _check(fills_every(self.fills) is not None or self.fills in ("none", "sections"),
               f"fills must be none, sections or every:N with N 1-{MAX_FILL_EVERY}, got {self.fills!r}")
        _check(self.swing is None or MIN_SWING <= self.swing <= MAX_SWING,
               f"swing must be {MIN_SWING:g} (straight) to {MAX_SWING:g} (dotted), e.g. 0.67 for a triplet feel, got {self.swing}")
        _check(MIN_DYNAMICS <= self.dynamics <= MAX_DYNAMICS,
               f"dynamics must be {MIN_DYNAMICS:g}-{MAX_DYNAMICS:g} (1 = the model's velocities), got {self.dynamics:g}")
        _check(self.cymbal in CYMBALS, f"cymbal must be one of {', '.join(CYMBALS)}, got {self.cymbal!r}")
        _check(0.0 <= self.temperature <= MAX_TEMPERATURE, f"temperature must be in [0, {MAX_TEMPERATURE:g}], got {self.temperature}")
        _check(self.seed is None or 0 <= self.seed <= MAX_SEED, f"seed must be in [0, 2**63 - 1], got {self.seed}")
        _check(1 <= self.takes <= MAX_TAKES, f"takes must be 1-{MAX_TAKES}, got {self.takes}")
        self._check_shape()

    def _check_shape(self) -> None:
        """The kit map, the count-in and drums from nothing (`bars`, `tempo_qpm`, `meter`: no song, no guitar)."""
        if self.kit_map is not None:
            KitMap.from_json(self.kit_map, "kit map")
        _check(0 <= self.count_in_bars <= MAX_COUNT_IN_BARS,
               f"count-in must be 0-{MAX_COUNT_IN_BARS} bars, got {self.count_in_bars}")
        if self.bars is None:
            _check(self.tempo_qpm is None and self.meter is None,
                   "tempo and meter go with bars, for drums from nothing; a song's tempo and meter come from its file")
            return
        _check(1 <= self.bars <= MAX_BARS, f"bars must be 1-{MAX_BARS}, got {self.bars}")
        _check(self.tempo_qpm is None or MIN_TEMPO_QPM <= self.tempo_qpm <= MAX_TEMPO_QPM,
               f"tempo must be {MIN_TEMPO_QPM:g}-{MAX_TEMPO_QPM:g} quarter notes per minute, got {self.tempo_qpm}")
        numerator, denominator = parse_meter(self.meter or DEFAULT_METER)
        _check(numerator * 16 >= denominator, f"a bar of {numerator}/{denominator} is shorter than a 16th note, the "
               "finest step drums are written on; pick a meter with longer bars")
        quarters = self.quarters_from_nothing
        _check(quarters <= MAX_SONG_QUARTERS,
               f"{self.bars} bars of {numerator}/{denominator} are {quarters:g} quarter notes, past the limit of "
               f"{MAX_SONG_QUARTERS} for any song; ask for at most "
               f"{int(MAX_SONG_QUARTERS * denominator // (numerator * 4))} bars")
        _check(self.track is None, "track picks the guitar of a song; drums from nothing (bars) have no song")
        _check(not self.merge, "merge copies a song's guitar into the output; drums from nothing (bars) have no song")

    @property
    def from_nothing(self) -> bool:
        """Drums without a song: `bars` bars at `tempo_qpm` in `meter`."""
        return self.bars is not None

    @property
    def quarters_from_nothing(self) -> float:
        """The length of drums from nothing in quarter notes (the unit song-length limits are in); 0 for a song."""
        if self.bars is None:
            return 0.0
        numerator, denominator = parse_meter(self.meter or DEFAULT_METER)
        return self.bars * numerator * 4 / denominator
