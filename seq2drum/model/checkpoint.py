"""Checkpoints as plain dicts of tensors and JSON-able values, written atomically, loaded with weights_only=True
after every part's checksum is verified.

Everything inference needs travels inside the checkpoint (the architecture name, model and data configs, the
FeatureSpec of its inputs, the groove codebook, the decoding policy tuned on validation songs), so generation never
has to find the training data.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from seq2drum.atomic import write_atomic
from seq2drum.config import DataConfig, ModelConfig
from seq2drum.groove import (BASS_KICK_FLOOR, BASS_KICK_GRID_STEPS, BASS_KICK_SURE, DecodingPolicy, GrooveCodebook,
                             PREFERRED_BONUS, PREFERRED_CELL_BONUS, PREFERRED_MIN_SHARE)
from seq2drum.errors import CheckpointError
from seq2drum.user_files import irregular_kind
from seq2drum.song.bars import FeatureSpec
from seq2drum.model.network import ARCHITECTURE, GrooveSeq2Drum, build_model, flatten_lstms

FORMAT_VERSION = 2
# the decoding policy's dict (`decoding_version` beside it): 1 (none stored) held the rules' constants as settings,
# and a crash threshold the crash rule no longer reads; 2 held two settings that are rules since 3 (RULES_SINCE_3)
DECODING_VERSION = 3
# DEFAULT_CHECKPOINT is re-exported: export_default and tests use it
from seq2drum.shipped import DEFAULT_CHECKPOINT, MAX_CHECKPOINT_BYTES  # noqa: E402
# torch.save writes a zip archive (legacy files: a pickle, protocol 2+); anything else is not a checkpoint
_TORCH_MAGIC = (b"PK\x03\x04", b"\x80")
_ESCAPES = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")  # terminal colours in torch's messages
_REFUSED_GLOBAL = re.compile(r"GLOBAL ([\w.]+)")  # the object a weights-only load refused, in torch's message
# What torch.load raises on bytes that start like a checkpoint but are not one (measured on truncated and foreign
# files).
_LOAD_ERRORS = (pickle.UnpicklingError, RuntimeError, EOFError, ValueError, OSError, KeyError, IndexError,
                AttributeError, TypeError)


def save_checkpoint(path: str | Path, payload: dict[str, Any]) -> None:
    """Write to a temporary file in the same folder, then rename: a crash never leaves a half-written checkpoint."""
    write_atomic(path, lambda stream: torch.save({"format_version": FORMAT_VERSION, **payload}, stream))


def load_checkpoint(path: str | Path, map_location: str | torch.device = "cpu",
                    flag: str = "--checkpoint") -> dict[str, Any]:
    """Load and check a checkpoint. Raises `CheckpointError` naming the file and the fix (`flag` is the option the
    user passed it with: `--resume` wants a run's last.pt, not a model)."""
    path = Path(path)
    wanted = "last.pt" if flag == "--resume" else "best.pt"
    if path.is_dir():
        inside = f": {flag} {path / wanted}" if (path / wanted).is_file() else f", e.g. RUN/{wanted}"
        what = "last.pt" if flag == "--resume" else "model"
        raise CheckpointError(f"checkpoint {path} is a folder; pass the {what} file in it{inside}")
    if kind := irregular_kind(path):
        raise CheckpointError(f"checkpoint {path} is {kind}, not a file; pass the path of a .pt file")
    if not path.is_file() and flag == "--resume":
        raise CheckpointError(f"--resume {path} not found; pass the last.pt of an earlier training run "
                              "(RUN/last.pt, written every epoch), or leave out --resume to start a new run")
    if not path.is_file():
        raise CheckpointError(
            f"checkpoint {path} not found; train one with `python main.py --mode train` or pass --checkpoint with the "
            f"path of a .pt file (the shipped default is {DEFAULT_CHECKPOINT})"
        )
    try:
        with path.open("rb") as stream:
            head = stream.read(4)
            size_bytes = os.fstat(stream.fileno()).st_size
    except OSError as exc:
        raise CheckpointError(f"cannot read checkpoint {path}: {exc.strerror or exc}") from exc
    _refuse_oversized(path, size_bytes)
    if not head:
        raise CheckpointError(f"checkpoint {path} is empty (0 bytes); train again or pass another --checkpoint")
    if not head.startswith(_TORCH_MAGIC):
        raise CheckpointError(
            f"{path} is not a seq2drum checkpoint (not a file written by torch.save; it starts with {head!r}); pass "
            f"--checkpoint with RUN/best.pt from `python main.py --mode train`, or leave it out for "
            f"{DEFAULT_CHECKPOINT.name}"
        )
    if head.startswith(b"PK"):
        _check_zip(path)
    try:
        payload = torch.load(path, map_location=map_location, weights_only=True)
    except _LOAD_ERRORS as exc:  # corrupt, truncated, or holding objects weights_only refuses to unpickle
        reason = load_failure(exc)
        raise CheckpointError(
            f"checkpoint {path} is corrupt or not a seq2drum checkpoint ({reason}); train again or use another"
        ) from exc
    if not isinstance(payload, dict) or "model" not in payload:
        raise CheckpointError(f"{path} is not a seq2drum checkpoint (no model weights in it)")
    version = payload.get("format_version")
    if version != FORMAT_VERSION:
        raise CheckpointError(f"{path} has checkpoint format {version}; this seq2drum reads format {FORMAT_VERSION} "
                              "(retrain it with python main.py --mode train)")
    if payload.get("architecture") != ARCHITECTURE:
        raise CheckpointError(f"{path} holds a {payload.get('architecture')!r} model; "
                              f"this seq2drum runs {ARCHITECTURE!r}")
    data_config = DataConfig.from_dict(payload["data_config"])
    expected = FeatureSpec.current(data_config.steps_per_quarter)
    expected.check_readable(FeatureSpec.from_dict(payload["feature_spec"]), f"checkpoint {path}")
    return payload


def _refuse_oversized(path: Path, size_bytes: int) -> None:
    """A file past MAX_CHECKPOINT_BYTES is no model: refused by its size, before it is checked, hashed or loaded."""
    if size_bytes > MAX_CHECKPOINT_BYTES:
        raise CheckpointError(
            f"checkpoint {path} is {size_bytes / 1e9:.1f} GB, and a seq2drum model is a few MB (at most "
            f"{MAX_CHECKPOINT_BYTES / 1e9:.1f} GB): it is not one; pass --checkpoint with RUN/best.pt from `python "
            f"main.py --mode train`, or leave it out for {DEFAULT_CHECKPOINT.name}")


def load_failure(exc: BaseException) -> str:
    """What torch.load's error says of a file, in words for the message: the objects a weights-only load refused
    (torch's own text advises loading the file unsafely, and its first line was cut at "Re-running `torch."), or
    the first line of its reason, terminal escapes removed."""
    text = _ESCAPES.sub("", str(exc))
    if "Weights only load failed" in text:
        found = _REFUSED_GLOBAL.search(text)
        named = f" ({found[1]})" if found else ""
        return (f"it holds Python objects{named} that a model file has no need of, and they are never loaded: "
                "loading them could run any code")
    return (text.strip().splitlines() or [type(exc).__name__])[0][:160]


def _check_zip(path: Path) -> None:
    """A checkpoint written by torch.save is a zip archive holding a CRC-32 of every member; torch does not check
    them, so a flipped bit in the weights loaded silently (only the version hash changed). Every member's CRC is
    checked here (a few ms for the shipped model)."""
    try:
        with zipfile.ZipFile(path) as archive:
            bad = archive.testzip()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
        raise CheckpointError(f"checkpoint {path} is corrupt ({str(exc)[:160] or type(exc).__name__}); copy it "
                              "again, train again or use another") from exc
    if bad is not None:
        raise CheckpointError(f"checkpoint {path} is corrupt: its part {bad!r} does not match its checksum (the file "
                              "was damaged after it was written); copy it again, train again or use another")


@dataclass
class LoadedModel:
    """What a checkpoint rebuilds: the network (in eval mode) and what decoding needs around it."""

    model: GrooveSeq2Drum
    codebook: GrooveCodebook
    spec: FeatureSpec
    data_config: DataConfig
    policy: DecodingPolicy


# settings of decoding version 1 that are the rules' constants now: a checkpoint may hold only these values
RULE_CONSTANTS = {"continue_bonus": PREFERRED_BONUS, "continue_cell_bonus": PREFERRED_CELL_BONUS,
                  "bass_kick_floor": BASS_KICK_FLOOR, "bass_kick_sure": BASS_KICK_SURE,
                  "bass_kick_grid": BASS_KICK_GRID_STEPS}
# settings of decoding versions 1 and 2 that are rules since 3, with the value the rule holds. No tuner chose them (set
# by export_default --decoding after tuning, or 0 in a policy tuned before the rule), so whatever a checkpoint stored
# gives way to the rule: models/live.pt's continue_min_share 0 (tuned before kept intros were let go) plays as 0.5,
# and a checkpoint tuned before kicks followed the bass gets them
RULES_SINCE_3 = {"continue_min_share": PREFERRED_MIN_SHARE, "bass_kick": 1}


def upgrade_decoding(values: dict[str, Any], version: int | None) -> dict[str, Any]:
    """A checkpoint's decoding policy of `version` (None: stored before versions, 1) as the current `DecodingPolicy`
    reads it: a setting it predates keeps the behaviour it was tuned with; a rule constant it stored is dropped
    (CheckpointError where it differs from the rule's), and so is a setting that is a rule now (the rule decides)."""
    values = dict(values)
    version = version or 1
    if version > DECODING_VERSION:
        raise CheckpointError(f"the checkpoint's decoding has version {version}; this seq2drum reads up to "
                              f"{DECODING_VERSION} (update seq2drum)")
    if version < 2:
        values.setdefault("crash_phrase_bars", 0)  # tuned before phrase crashes: section starts only
        values.setdefault("ride_ratio", 0.0)  # tuned before sections rode: the codebook entries' own cymbals
        values.setdefault("rest_bass_threshold", 1.0)  # tuned before the drums rested with the bass: never
        if "crash_edge_threshold" not in values:  # tuned before crashes and fills could fall inside a section:
            for name in ("crash", "fill"):  # its thresholds held at section edges only, and rests anywhere
                values[f"{name}_edge_threshold"] = values.pop(f"{name}_threshold", 0.5)
                values[f"{name}_threshold"] = 1.0
            values["rest_edge_threshold"] = 1.0
        values.pop("crash_threshold", None)  # the crash rule reads only whether the crash edge threshold is below 1
        for name, constant in RULE_CONSTANTS.items():
            stored = values.pop(name, constant)
            if stored != constant and (values.get("bass_kick", 0) or not name.startswith("bass_kick")):
                raise CheckpointError(f"the checkpoint's decoding sets {name} {stored}, which this seq2drum holds at "
                                      f"{constant}; use the seq2drum it was tuned with, or tune it again")
    if version < 3:
        for name in RULES_SINCE_3:
            values.pop(name, None)
    return values


def stored_policy(payload: dict[str, Any]) -> DecodingPolicy:
    """The decoding policy a loaded checkpoint holds, upgraded to the current version (the defaults without one)."""
    if "decoding" not in payload:
        return DecodingPolicy()
    return DecodingPolicy.from_dict(upgrade_decoding(payload["decoding"], payload.get("decoding_version")))


def model_from_checkpoint(payload: dict[str, Any], device: str | torch.device = "cpu") -> LoadedModel:
    """Rebuild the model, its codebook, FeatureSpec, data config and decoding policy from a loaded checkpoint."""
    model_config = ModelConfig.from_dict(payload["model_config"])
    data_config = DataConfig.from_dict(payload["data_config"])
    spec = FeatureSpec.from_dict(payload["feature_spec"])
    codebook = GrooveCodebook.from_state(payload["codebook"])
    model = build_model(payload["architecture"], model_config, spec.n_step, spec.n_bar, spec.max_bar_steps,
                        torch.from_numpy(codebook.bar_steps), (spec.step_columns, spec.bar_columns))
    state = {name: tensor.float() for name, tensor in payload["model"].items()}
    try:
        model.load_state_dict(state)
    except RuntimeError as exc:
        raise CheckpointError(f"checkpoint weights do not fit the model they describe: {exc}") from exc
    model = flatten_lstms(model.to(device).eval())  # after the load and the move: cuDNN reads them as one chunk
    return LoadedModel(model, codebook, spec, data_config, stored_policy(payload))


INFERENCE_KEYS = ("architecture", "model_config", "data_config", "train_config", "feature_spec", "codebook", "decoding",
                  "decoding_version", "decoding_report", "step", "epoch", "best_val_loss", "val_loss", "train_seconds",
                  "training_data", "n_parameters", "members_from")


def export_checkpoint(source: str | Path, destination: str | Path, name: str, half: bool = True) -> Path:
    """Write what inference needs from a training checkpoint (no optimizer state), weights in float16 by default:
    half the size, and generation upcasts them to float32 on load."""
    payload = load_checkpoint(source)
    slim = {key: payload[key] for key in INFERENCE_KEYS if key in payload}
    slim["model"] = {k: (v.half() if half and v.is_floating_point() else v) for k, v in payload["model"].items()}
    slim["name"] = name
    save_checkpoint(destination, slim)
    return Path(destination)


def version_digest(payload: dict[str, Any]) -> str:
    """Eight hex digits of everything generation depends on: weights, codebook (menu too), decoding policy. Part of
    the model version a server reports, so two checkpoints that make different drums never share a version."""
    digest = hashlib.sha256()
    for name in sorted(payload["model"]):
        digest.update(payload["model"][name].float().numpy().tobytes())
    for name in sorted(payload.get("codebook", {})):
        digest.update(payload["codebook"][name].float().numpy().tobytes())
    digest.update(json.dumps(payload.get("decoding"), sort_keys=True, default=str).encode())
    return digest.hexdigest()[:8]


def join_checkpoints(sources: list[str | Path], destination: str | Path) -> Path:
    """One ensemble checkpoint (`GrooveEnsemble`) from models trained apart on the same songs: the same design, data
    config, features and codebook (runs with other `--seed`s share the codebook, its seed is `codebook_seed`). Its
    decoding is not carried over: tune it on the members' validation songs (export_default's retune)."""
    if len(sources) < 2:
        raise CheckpointError("an ensemble needs two or more checkpoints")
    payloads = [load_checkpoint(source) for source in sources]
    first = payloads[0]
    configs = [ModelConfig.from_dict(p["model_config"]) for p in payloads]
    for source, payload, config in zip(sources, payloads, configs):
        if config.members > 1:
            raise CheckpointError(f"{source} is an ensemble already; join its members' checkpoints")
        same = (config == configs[0] and payload["data_config"] == first["data_config"]
                and payload["feature_spec"] == first["feature_spec"]
                and all(torch.equal(payload["codebook"][k], v) for k, v in first["codebook"].items()))
        if not same:
            raise CheckpointError(f"{source} differs from {sources[0]} in its design, data, features or codebook; "
                                  "join runs trained on the same songs with the same settings but their --seed")
    joined = {key: first[key] for key in INFERENCE_KEYS if key in first and not key.startswith("decoding")}
    joined["model"] = {f"members.{i}.{name}": tensor for i, payload in enumerate(payloads)
                       for name, tensor in payload["model"].items()}
    joined["model_config"] = configs[0].replace(members=len(payloads)).to_dict()
    joined["train_seconds"] = sum(p.get("train_seconds", 0.0) for p in payloads)
    joined["n_parameters"] = sum(p.get("n_parameters", 0) for p in payloads)
    joined["members_from"] = [{"source": str(s), "seed": p.get("train_config", {}).get("seed"),
                               "val_loss": p.get("best_val_loss")} for s, p in zip(sources, payloads)]
    save_checkpoint(destination, joined)
    return Path(destination)
