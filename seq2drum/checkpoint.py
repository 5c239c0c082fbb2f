"""Checkpoints as plain dicts of tensors and JSON-able values, written atomically, loaded with weights_only=True.

Everything inference needs travels inside the checkpoint (model and data configs, the drum vocabulary, the input
size), so generation never has to find the training data.
"""

from __future__ import annotations

import os
import pickle
import tempfile
from pathlib import Path
from typing import Any

import torch

from .config import DataConfig, ModelConfig
from .encoding import SRC_DIM, DrumVocab
from .errors import CheckpointError
from .model import Seq2Drum

FORMAT_VERSION = 1
DEFAULT_CHECKPOINT = Path(__file__).resolve().parent.parent / "models" / "default.pt"


def save_checkpoint(path: str | Path, payload: dict[str, Any]) -> None:
    """Write to a temporary file in the same folder, then rename: a crash never leaves a half-written checkpoint."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(handle)
    try:
        torch.save({"format_version": FORMAT_VERSION, **payload}, temp)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def load_checkpoint(path: str | Path, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Load and check a checkpoint. Raises `CheckpointError` naming the file and the fix."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(
            f"checkpoint {path} not found; train one with `python main.py --mode train` or pass --checkpoint with the "
            f"path of a .pt file (the shipped default is {DEFAULT_CHECKPOINT})"
        )
    try:
        payload = torch.load(path, map_location=map_location, weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, ValueError, OSError, KeyError) as exc:  # corrupt or unsafe
        raise CheckpointError(f"checkpoint {path} is corrupt or not a seq2drum checkpoint ({exc}); train again or use another") from exc
    if not isinstance(payload, dict) or "model" not in payload:
        raise CheckpointError(f"{path} is not a seq2drum checkpoint (no model weights in it)")
    version = payload.get("format_version")
    if version != FORMAT_VERSION:
        raise CheckpointError(f"{path} has checkpoint format {version}; this seq2drum reads format {FORMAT_VERSION}")
    if payload.get("src_dim") != SRC_DIM:
        raise CheckpointError(
            f"{path} was trained on {payload.get('src_dim')} input features, this seq2drum makes {SRC_DIM}; retrain it"
        )
    return payload


def model_from_checkpoint(payload: dict[str, Any], device: str | torch.device = "cpu") -> tuple[Seq2Drum, DrumVocab, DataConfig]:
    """Rebuild the model (in eval mode), its vocabulary and its data config from a loaded checkpoint."""
    vocab = DrumVocab.from_dict(payload["vocab"])
    model_config = ModelConfig.from_dict(payload["model_config"])
    data_config = DataConfig.from_dict(payload["data_config"])
    model = Seq2Drum(model_config, payload["src_dim"], len(vocab), torch.from_numpy(vocab.hit_table()))
    state = {name: tensor.float() for name, tensor in payload["model"].items()}
    try:
        model.load_state_dict(state)
    except RuntimeError as exc:
        raise CheckpointError(f"checkpoint weights do not fit the model they describe: {exc}") from exc
    return model.to(device).eval(), vocab, data_config


INFERENCE_KEYS = ("model_config", "data_config", "train_config", "vocab", "src_dim", "step", "epoch", "best_val_loss",
                  "val_loss", "train_seconds", "training_data", "n_parameters")


def export_checkpoint(source: str | Path, destination: str | Path, name: str, half: bool = True) -> Path:
    """Write what inference needs from a training checkpoint (no optimizer state), weights in float16 by default:
    half the size, and generation upcasts them to float32 on load."""
    payload = load_checkpoint(source)
    slim = {key: payload[key] for key in INFERENCE_KEYS if key in payload}
    slim["model"] = {k: (v.half() if half and v.is_floating_point() else v) for k, v in payload["model"].items()}
    slim["name"] = name
    save_checkpoint(destination, slim)
    return Path(destination)
