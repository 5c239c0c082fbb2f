"""Frozen configuration objects that validate themselves and round-trip to JSON-able dicts.

argparse defaults in main.py come from these, so there is one place for every default. Standard library only:
seq2drum.options (the generation options, which the grpcio-only DAW helper imports) builds on `_Config` here.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any, TypeVar

from seq2drum.errors import ConfigError

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


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise ConfigError(message)


_TYPE_CHECKS = {
    "int": lambda value: isinstance(value, int) and not isinstance(value, bool),
    "float": lambda value: isinstance(value, (int, float)) and not isinstance(value, bool),
    "bool": lambda value: isinstance(value, bool),
    "str": lambda value: isinstance(value, str),
    "bytes": lambda value: isinstance(value, bytes),
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


@dataclass(frozen=True)
class DataConfig(_Config):
    """How songs become grid sequences, which songs are kept, and how they split into training and validation."""

    steps_per_quarter: int = 4  # 4 = a 16th-note grid
    min_song_bars: int = 4  # shorter songs are skipped as "too short"
    val_fraction: float = 0.1
    split_seed: int = 1234
    # the drums span the whole band (from the first part's entry to the last note of any part they listen to) and
    # generation reads every part; False: the guitar's span and the guitar alone (models made before the band issue)
    listen_to_band: bool = True

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
        """As `_Config.from_dict`, dropping the retired window keys of older checkpoints; a checkpoint without
        `listen_to_band` was made before the band was listened to."""
        values = {"listen_to_band": False, **values}
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
    hear_drums: bool = True  # the decoder also reads the drums of the last known bar before each bar (model/heard.py)
    drums_dim: int = 64  # what the heard drums are projected to before the decoder
    # the decoder also reads the part each bar is played in (parts/codes.py): the drummer's in training, the plan's
    # when it plays (not the shipped recipe: docs/experiments/2026-11-27-hearing-the-part.md)
    hear_part: bool = False
    # the live model (model/causal.py): a forward-only encoder, and bar n decided from what was played up to the lead
    # (the last `lead_steps` steps of bar n-1 unheard) with only bar n's meter, tempo and step positions known
    causal: bool = False
    lead_steps: int = 1  # steps before each bar's end the causal model decides the next bar (1 = the last 16th)
    # > 1: this many networks of these sizes, trained apart on the same songs and codebook (tools.ensemble joins
    # them), whose outputs are averaged: one training's luck moves the model less
    members: int = 1

    def __post_init__(self) -> None:
        _check_types(self)
        for name in ("src_proj_dim", "enc_hidden", "step_embed_dim", "dec_hidden", "drums_dim"):
            value = getattr(self, name)
            _check(4 <= value <= 4096, f"{name} must be 4-4096, got {value}")
        _check(1 <= self.enc_layers <= 8, f"enc_layers must be 1-8, got {self.enc_layers}")
        _check(1 <= self.dec_layers <= 8, f"dec_layers must be 1-8, got {self.dec_layers}")
        _check(0.0 <= self.dropout < 1.0, f"dropout must be in [0, 1), got {self.dropout}")
        _check(0 <= self.lead_steps <= 8, f"lead_steps must be 0-8, got {self.lead_steps}")
        _check(not (self.causal and self.attention), "a causal (live) model cannot attend over the whole song: "
               "train it without --attention")
        _check(1 <= self.members <= 16, f"members must be 1-16, got {self.members}")
        _check(not (self.causal and self.hear_part), "a causal (live) model plays no plan of parts: train it "
               "without --hear-part")
        _check(not (self.causal and self.members > 1), "a causal (live) model is one network, not an ensemble")

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> ModelConfig:
        """As `_Config.from_dict`; a checkpoint without `hear_drums` was made before the decoder heard drums."""
        return super().from_dict({"hear_drums": False, **values})


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
    transpose: bool = True  # shift each song by a random -5..+6 semitones when drawn (the drums stay)
    role_dropout: float = 0.5  # each band role (bass, keys, melody, other) left out of an item this often
    guitar_alone_share: float = 0.25  # with role_dropout, every band role left out of this share of the items
    max_bars_per_item: int = 256  # longer songs are cut into pieces of this many bars for training
    max_notes_per_item: int = 0  # > 0: items cut at bar boundaries to at most this many notes of the listened parts
    codebook_size: int = 384  # groove codebook entries over all bar lengths
    patience: int = 6  # epochs without validation improvement before stopping
    checkpoint_every: int = 200  # optimizer steps between "last" checkpoints
    seed: int = 0
    # the codebook's k-medoids seed, apart from `seed`: runs with other seeds on the same songs share one codebook, so
    # their groove heads score the same entries and can be compared or averaged
    codebook_seed: int = 0
    device: str = "auto"  # auto | cpu | cuda
    amp: bool = True  # mixed precision on CUDA (ignored on CPU)
    max_batch_bars: int = 2048  # cap on padded bars (items x longest item) in one batch
    # > 0: best.pt holds an exponential moving average of the weights (this decay per optimizer step, its horizon at
    # most a tenth of the run), chosen and early-stopped by its own validation loss; the raw weights' best is kept
    # beside it as best-raw.pt. 0.995 (about the last 3 epochs on 660 songs) won on two seeds' 5 folds
    # (docs/experiments/2026-11-25-moving-average-and-ensembles.md)
    ema_decay: float = 0.995
    # a second folder of songs trained on beside --data (jazz/): songs without a guitar kept, heard through the band,
    # each drawn `extra_weight` times an epoch so a small genre counts ("": none; training.sources)
    extra_data: str = ""
    extra_weight: int = 3

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
        _check(0.0 <= self.role_dropout <= 1.0, f"role_dropout must be in [0, 1], got {self.role_dropout}")
        _check(0.0 <= self.guitar_alone_share <= 1.0,
               f"guitar_alone_share must be in [0, 1], got {self.guitar_alone_share}")
        _check(self.max_notes_per_item >= 0, f"max_notes_per_item must be >= 0, got {self.max_notes_per_item}")
        _check(self.max_bars_per_item >= 4, f"max_bars_per_item must be >= 4, got {self.max_bars_per_item}")
        _check(8 <= self.codebook_size <= 4096, f"codebook_size must be 8-4096, got {self.codebook_size}")
        _check(self.max_batch_bars >= 4, f"max_batch_bars must be >= 4, got {self.max_batch_bars}")
        _check(0.0 <= self.ema_decay < 1.0, f"ema_decay must be in [0, 1), got {self.ema_decay}")
        _check(self.checkpoint_every >= 1, f"checkpoint_every must be >= 1, got {self.checkpoint_every}")
        _check(1 <= self.extra_weight <= 20, f"extra_weight must be 1-20, got {self.extra_weight}")
        _check(self.device in ("auto", "cpu", "cuda"), f"device must be auto, cpu or cuda, got {self.device!r}")
