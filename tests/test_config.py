"""config: every configuration round-trips through dict and JSON, and out-of-range values raise ConfigError."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from seq2drum.config import DataConfig, ModelConfig, TrainConfig
from seq2drum.options import GenerationOptions
from seq2drum.errors import ConfigError, Seq2DrumError

CONFIGS = {
    "DataConfig-defaults": DataConfig(),
    "DataConfig-custom": DataConfig(
        steps_per_quarter=12,
        min_song_bars=2,
        val_fraction=0.25,
        split_seed=7,
    ),
    "ModelConfig-defaults": ModelConfig(),
    "ModelConfig-attention": ModelConfig(
        src_proj_dim=32,
        enc_hidden=16,
        enc_layers=2,
        step_embed_dim=8,
        dec_hidden=64,
        dec_layers=3,
        dropout=0.0,
        attention=True,
    ),
    "TrainConfig-defaults": TrainConfig(),
    "TrainConfig-custom": TrainConfig(
        epochs=2, max_steps=50, batch_size=4, lr=1e-4, transpose=False, device="cpu", amp=False, seed=9
    ),
    "GenerationOptions-defaults": GenerationOptions(),
    "GenerationOptions-all-set": GenerationOptions(
        temperature=0.0, seed=2**63 - 1, track="Lead", merge=True, humanize=False, takes=8, style="half-time",
        density=0.25, fills="every:4", swing=0.67, dynamics=1.5, cymbal="ride"
    ),
}


@pytest.mark.parametrize("config", list(CONFIGS.values()), ids=list(CONFIGS))
def test_config_round_trips_through_dict_and_json(config: Any) -> None:
    """Configs are stored in checkpoints and corpus reports as dicts/JSON; they must come back equal."""
    kind = type(config)
    assert kind.from_dict(config.to_dict()) == config
    assert kind.from_json(config.to_json()) == config
    assert json.loads(config.to_json()) == config.to_dict()
    assert set(config.to_dict()) == {f.name for f in dataclasses.fields(kind)}


@pytest.mark.parametrize("kind", [DataConfig, ModelConfig, TrainConfig, GenerationOptions], ids=lambda k: k.__name__)
def test_unknown_keys_raise_config_error_naming_them(kind: type) -> None:
    """A misspelt key in a config file must fail loudly, naming the key, not be silently ignored."""
    with pytest.raises(ConfigError, match="stesp_per_quarter"):
        kind.from_dict({"stesp_per_quarter": 4})


@pytest.mark.parametrize("config", list(CONFIGS.values()), ids=list(CONFIGS))
def test_configs_are_frozen_and_replace_validates(config: Any) -> None:
    """Configs are immutable (shared across threads and stored with models); replace() builds a validated copy."""
    field = dataclasses.fields(config)[0].name
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(config, field, getattr(config, field))
    assert config.replace() == config


def test_replace_with_a_bad_value_raises_config_error() -> None:
    """replace() runs the same validation as the constructor."""
    with pytest.raises(ConfigError, match="steps_per_quarter"):
        DataConfig().replace(steps_per_quarter=0)


def test_data_config_of_an_older_checkpoint_loads_without_the_window_keys() -> None:
    """models/default.pt and cross-validation runs hold max_window_notes/max_window_bars: they must still load."""
    old = {**DataConfig().to_dict(), "max_window_notes": 150, "max_window_bars": 16}
    assert DataConfig.from_dict(old) == DataConfig()
    with pytest.raises(ConfigError, match="unknown keys"):
        DataConfig.from_dict({**DataConfig().to_dict(), "max_window_size": 3})


BAD_VALUES = [
    (DataConfig, "steps_per_quarter", 0),
    (DataConfig, "steps_per_quarter", 25),
    (DataConfig, "min_song_bars", 0),
    (DataConfig, "val_fraction", -0.1),
    (DataConfig, "val_fraction", 1.0),
    (ModelConfig, "src_proj_dim", 3),
    (ModelConfig, "enc_hidden", 4097),
    (ModelConfig, "step_embed_dim", 0),
    (ModelConfig, "dec_hidden", 2),
    (ModelConfig, "enc_layers", 0),
    (ModelConfig, "dec_layers", 9),
    (ModelConfig, "dropout", 1.0),
    (ModelConfig, "dropout", -0.5),
    (TrainConfig, "epochs", 0),
    (TrainConfig, "max_steps", -1),
    (TrainConfig, "batch_size", 0),
    (TrainConfig, "batch_size", 4097),
    (TrainConfig, "lr", 0.0),
    (TrainConfig, "lr", 1.0),
    (TrainConfig, "patience", 0),
    (TrainConfig, "checkpoint_every", 0),
    (TrainConfig, "device", "tpu"),
    (TrainConfig, "grad_clip", -1.0),
    (TrainConfig, "weight_decay", -0.01),
    (TrainConfig, "velocity_loss_weight", -0.3),
    (TrainConfig, "offset_loss_weight", -0.3),
    (TrainConfig, "max_batch_bars", 0),
    (TrainConfig, "max_bars_per_item", 2),
    (TrainConfig, "codebook_size", 4),
    (TrainConfig, "groove_loss_weight", -1.0),
    (TrainConfig, "structure_loss_weight", -1.0),
    (GenerationOptions, "temperature", -0.1),
    (GenerationOptions, "temperature", 5.5),
    (GenerationOptions, "seed", -1),
    (GenerationOptions, "takes", 0),
    (GenerationOptions, "takes", 9),
    (GenerationOptions, "seed", 2**63),
    (GenerationOptions, "density", 0.2),
    (GenerationOptions, "density", 4.5),
    (GenerationOptions, "swing", 0.45),
    (GenerationOptions, "swing", 0.8),
    (GenerationOptions, "dynamics", 0.4),
    (GenerationOptions, "dynamics", 1.6),
    (GenerationOptions, "fills", "every:0"),
    (GenerationOptions, "fills", "every:65"),
    (GenerationOptions, "fills", "often"),
    (GenerationOptions, "cymbal", "cowbell"),
    (GenerationOptions, "style", "Rock & Roll"),
]


@pytest.mark.parametrize(
    "kind, name, value", BAD_VALUES, ids=[f"{kind.__name__}.{name}={value!r}" for kind, name, value in BAD_VALUES]
)
def test_out_of_range_value_raises_config_error_naming_the_field(kind: type, name: str, value: Any) -> None:
    """A bad value is refused when the config is made, with a message naming the field, instead of failing (or
    silently misbehaving: a negative grad_clip flips every gradient) deep inside training."""
    with pytest.raises(ConfigError, match=name):
        kind(**{name: value})
    with pytest.raises(ConfigError, match=name):
        kind.from_json(json.dumps({name: value}))


@pytest.mark.parametrize(
    "kind, name, value",
    [(DataConfig, "steps_per_quarter", "4"), (DataConfig, "steps_per_quarter", 4.5), (TrainConfig, "batch_size", "32")],
    ids=["string-for-int", "fraction-for-int", "string-batch-size"],
)
def test_wrong_type_from_json_raises_config_error(kind: type, name: str, value: Any) -> None:
    """A config file with a string or a fraction where a whole number belongs must give ConfigError (which the CLI
    reports), not a TypeError from inside the check or a config that breaks the grid later."""
    with pytest.raises(ConfigError, match=name):
        kind.from_json(json.dumps({name: value}))


def test_config_error_is_both_a_domain_error_and_a_value_error() -> None:
    """Callers catch Seq2DrumError; argparse type functions and plain Python catch ValueError: both must work."""
    assert issubclass(ConfigError, Seq2DrumError) and issubclass(ConfigError, ValueError)


def test_generation_seed_none_survives_json() -> None:
    """seed=None (a fresh seed per call) must stay None through JSON, not become 0 (the same drums every time)."""
    options = GenerationOptions.from_json(GenerationOptions(seed=None, track=None).to_json())
    assert options.seed is None and options.track is None
