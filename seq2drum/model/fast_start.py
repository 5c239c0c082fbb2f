"""A torch-free copy of a model for generation, kept in the cache, so a cold start does not import torch.

The first time a checkpoint is loaded for generation on the CPU (with torch: checkpoints are torch files), what
generation needs is written to `$XDG_CACHE_HOME/seq2drum/models/<sha256 of the checkpoint file>.v5.npz`: the weights
as float32 arrays, the groove codebook's arrays, and the configs, feature spec, decoding policy and model info as one
JSON string. Later loads of the same file read only that, with numpy (`allow_pickle=False`: arrays and text, nothing
executable), and run the network in numpy (`numpy_model`). A cold `python main.py --mode infer` then spends its time
on Python, music21 and the song instead of importing torch (1.0-1.6 s of a 2.8 s start). The entry is keyed by the
checkpoint's bytes, so a retrained or replaced file gets its own. An entry is trusted only when it checks out (a
regular file whose arrays match the sha256 digest stored with them, with finite weights); any other is ignored and
rewritten by the next load through torch. A cache folder that cannot be written only costs the speed-up.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import logging
import os
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from seq2drum.atomic import write_atomic
from seq2drum.config import DataConfig, ModelConfig
from seq2drum.errors import CheckpointError
from seq2drum.groove import DecodingPolicy, GrooveCodebook
from seq2drum.model.causal import causal_masks
from seq2drum.model.numpy_causal import song_forward
from seq2drum.model.numpy_network import ARCHITECTURE, NumpyEnsemble, NumpyGrooveModel, numpy_model
from seq2drum.shipped import MAX_CHECKPOINT_BYTES
from seq2drum.song.bars import FeatureSpec

log = logging.getLogger("seq2drum.model.fast_start")
FAST_FORMAT = 5  # bump when what is stored, or how numpy_model reads it, changes
ENTRY_SLACK_BYTES = 16 * 1024 * 1024  # configs and codebook beside the weights
_CODEBOOK_FIELDS = ("bar_steps", "patterns", "counts", "velocity", "offset", "menu_rank")
_TORCH_ZIP, _TORCH_PICKLE = b"PK\x03\x04", b"\x80"  # how a file torch.save wrote starts (model.checkpoint's check)


@dataclass
class FastModel:
    """What `DrumGenerator` needs, without torch: the numpy network, codebook, spec, configs, policy and info."""

    network: NumpyGrooveModel | NumpyEnsemble
    codebook: GrooveCodebook
    spec: FeatureSpec
    data_config: DataConfig
    policy: DecodingPolicy
    info: dict[str, Any]
    model: None = None  # no torch module


def models_cache_dir() -> Path:
    """$XDG_CACHE_HOME/seq2drum/models or ~/.cache/seq2drum/models (beside the song cache)."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "seq2drum" / "models"


def cache_path(checkpoint: Path) -> Path:
    """Where the fast copy of `checkpoint` lives: named by the sha256 of its bytes (about 10 ms for 3 MB), read a
    chunk at a time (the file whole in memory took 2.1 GB for a 2 GB file)."""
    with Path(checkpoint).open("rb") as stream:
        digest = hashlib.file_digest(stream, "sha256").hexdigest()
    return models_cache_dir() / f"{digest}.v{FAST_FORMAT}.npz"


def may_be_checkpoint(checkpoint: Path) -> bool:
    """Whether `checkpoint` could be a model at all, from its size and first bytes alone: a file torch.save wrote (a
    zip archive, or a legacy pickle) of at most MAX_CHECKPOINT_BYTES. Any other has no fast copy: it is not hashed,
    and the torch load says what it is."""
    try:
        with Path(checkpoint).open("rb") as stream:
            size_bytes = os.fstat(stream.fileno()).st_size
            head = stream.read(len(_TORCH_ZIP))
    except OSError:
        return False
    return 0 < size_bytes <= MAX_CHECKPOINT_BYTES and head.startswith((_TORCH_ZIP, _TORCH_PICKLE))


def save(checkpoint: Path, weights: dict[str, np.ndarray], model_config: ModelConfig, codebook: GrooveCodebook,
         spec: FeatureSpec, data_config: DataConfig, policy: DecodingPolicy, info: dict[str, Any]) -> Path | None:
    """Write the fast copy of `checkpoint` (atomically). Returns its path, or None when the cache cannot be written
    (logged; generation works the same, only the next cold start is slower)."""
    meta = {
        "architecture": ARCHITECTURE,
        "model_config": model_config.to_dict(),
        "data_config": data_config.to_dict(),
        "feature_spec": spec.to_dict(),
        "decoding": policy.to_dict(),
        "info": info,
    }
    arrays = {f"weight:{name}": np.asarray(value, dtype=np.float32) for name, value in weights.items()}
    arrays.update({f"codebook:{name}": np.asarray(getattr(codebook, name)) for name in _CODEBOOK_FIELDS})
    arrays["meta"] = np.array(json.dumps(meta, default=str))
    arrays["digest"] = np.array(_digest(arrays))  # what `load` checks before trusting the copy
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    try:
        path = cache_path(checkpoint)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, buffer.getvalue(), replace_anything=True)
    except OSError as exc:
        log.info("the fast-start copy of %s could not be written (%s); generation is unchanged", checkpoint, exc)
        return None
    return path


def load(checkpoint: Path) -> FastModel | None:
    """The fast copy of `checkpoint`, or None when there is none yet or it does not check out (not a regular file,
    larger than the checkpoint allows, cut short, damaged, a digest that does not match its arrays, weights that are
    not finite, or content that does not make a working model: a weight of the wrong shape or missing, meta that is
    not JSON, info without drum_classes): the caller then loads the checkpoint with torch, and `save` writes a sound
    copy over it. Any bad entry is a miss (one broke every `--mode infer` until the user deleted it).
    Raises the `CheckpointError` a torch load would when the model's features do not match this seq2drum's."""
    if not may_be_checkpoint(checkpoint):
        return None
    try:
        path = cache_path(checkpoint)
        arrays = _read_entry(path, _max_entry_bytes(checkpoint))
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):  # none yet, or cut short or damaged
        return None
    problem = _problem(arrays) if arrays is not None else "is not a regular file, or larger than its checkpoint allows"
    if problem:
        log.warning("the fast-start copy %s %s; rebuilding it from the checkpoint", path, problem)
        return None
    try:
        fast = _build(checkpoint, arrays)
    except CheckpointError:
        raise
    except Exception as exc:  # noqa: BLE001  (whatever a bad entry raises, it is a miss)
        log.warning("the fast-start copy %s does not make a working model (%s: %s); rebuilding it from the "
                    "checkpoint", path, type(exc).__name__, exc)
        return None
    return fast


def _max_entry_bytes(checkpoint: Path) -> int:
    """The most a sound fast copy of `checkpoint` holds: its weights as float32 beside the codebook and configs,
    never much more than the checkpoint itself (a 4.7 MB entry once expanded to 2.1 GB)."""
    return 4 * Path(checkpoint).stat().st_size + ENTRY_SLACK_BYTES


def _read_entry(path: Path, max_bytes: int) -> dict[str, np.ndarray] | None:
    """The arrays of the entry at `path`; None when it is not a regular file (a FIFO or device there would block
    the read forever) or it, or what it expands to, is larger than `max_bytes`."""
    info = path.stat()
    if not stat.S_ISREG(info.st_mode) or info.st_size > max_bytes:
        return None
    with zipfile.ZipFile(path) as archive:
        if sum(member.file_size for member in archive.infolist()) > max_bytes:
            return None
    with np.load(path, allow_pickle=False) as stored:
        return {key: stored[key] for key in stored.files}


def _build(checkpoint: Path, arrays: dict[str, np.ndarray]) -> FastModel | None:
    """The model an entry that checks out describes, tried once on two empty bars (a weight of the wrong shape
    fails here, not in the user's song)."""
    meta = json.loads(str(arrays["meta"]))
    if meta.get("architecture") != ARCHITECTURE:
        return None
    data_config = DataConfig.from_dict(meta["data_config"])
    spec = FeatureSpec.from_dict(meta["feature_spec"])
    FeatureSpec.current(data_config.steps_per_quarter).check_readable(spec, f"checkpoint {checkpoint}")
    weights = {key.split(":", 1)[1]: value for key, value in arrays.items() if key.startswith("weight:")}
    codebook = GrooveCodebook(**{name: arrays[f"codebook:{name}"] for name in _CODEBOOK_FIELDS})
    model_config = ModelConfig.from_dict(meta["model_config"])
    fast = FastModel(
        network=numpy_model(weights, model_config, codebook.bar_steps,
                            causal_masks(spec.step_columns, spec.bar_columns) if model_config.causal else None),
        codebook=codebook,
        spec=spec,
        data_config=data_config,
        policy=DecodingPolicy.from_dict(meta["decoding"]),
        info=meta["info"],
    )
    _try_once(fast)
    return fast


def _try_once(fast: FastModel) -> None:
    """Run the network on two empty bars and read the info's drum classes; raises when either fails (generation
    reads the rest of the info, and takes a copy whose info it cannot read as a miss too)."""
    info = fast.info
    if not isinstance(info, dict) or not all(isinstance(name, str) for name in info["drum_classes"]):
        raise ValueError("the info is not a table of the model's facts with its drum classes")
    bar_steps = np.asarray(fast.codebook.bar_steps[:1], dtype=np.int64).repeat(2)  # (2,)
    steps = np.zeros((2, fast.spec.max_bar_steps, len(fast.spec.step_columns)), dtype=np.float32)
    bars = np.zeros((2, len(fast.spec.bar_columns)), dtype=np.float32)
    scores = song_forward(fast.network, steps, bars, bar_steps)
    if not np.isfinite(scores.structure_logits).all():
        raise ValueError("the network's output is not finite")


def _digest(arrays: dict[str, np.ndarray]) -> str:
    """sha256 over every array's name, dtype, shape and bytes (the stored digest itself left out)."""
    digest = hashlib.sha256()
    for name in sorted(key for key in arrays if key != "digest"):
        value = np.ascontiguousarray(arrays[name])
        digest.update(json.dumps([name, value.dtype.str, list(value.shape)]).encode())
        digest.update(value.tobytes())
    return digest.hexdigest()


def _problem(arrays: dict[str, np.ndarray]) -> str:
    """Why stored arrays are not a sound fast copy ("" when they are): written by `save`, unchanged since."""
    if "digest" not in arrays or "meta" not in arrays or str(arrays["digest"]) != _digest(arrays):
        return "does not match its digest (changed or damaged since it was written)"
    if not all(np.isfinite(value).all() for key, value in arrays.items() if key.startswith("weight:")):
        return "holds weights that are not finite numbers"
    return ""


def info_to_dict(info: Any) -> dict[str, Any]:
    """A `ModelInfo` as JSON-ready values (its tuple of drum classes becomes a list)."""
    return {key: list(value) if isinstance(value, tuple) else value for key, value in dataclasses.asdict(info).items()}
