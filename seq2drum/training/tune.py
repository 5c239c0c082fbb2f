"""The decoding of a trained checkpoint tuned on its validation songs and written into it: the whole-song tuner
(calibrate.py), then, for a causal model, the live decision played bar by bar (live_tuning.py). Training's last stage,
and what models/export_default.py and tools/crossval.py run.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from seq2drum.groove import DecodingPolicy
from seq2drum.model.checkpoint import DECODING_VERSION, load_checkpoint, model_from_checkpoint, save_checkpoint
from seq2drum.model.scoring import song_scores
from seq2drum.song.bars import BarSong
from seq2drum.training.calibrate import tune_policy
from seq2drum.training.live_tuning import tune_live


def tune_checkpoint(path: str | Path, songs: list[BarSong], device: torch.device | str = "cpu",
                    log: Callable[[str], None] | None = None) -> tuple[DecodingPolicy, dict[str, Any]]:
    """Tune the decoding of the checkpoint at `path` on `songs` (with drums) and save it into the checkpoint."""
    payload = load_checkpoint(path)
    loaded = model_from_checkpoint(payload, device)
    scores = [song_scores(loaded.model, song, device) for song in songs]
    policy, report = tune_policy(loaded.codebook, scores, songs, log)
    if loaded.model.config.causal:  # the live decision, tuned by playing the songs bar by bar (live_tuning.py)
        policy, live_report = tune_live(loaded, policy, songs, log)
        report = {**report, **live_report}
    payload["decoding"], payload["decoding_version"] = policy.to_dict(), DECODING_VERSION
    payload["decoding_report"] = report
    save_checkpoint(path, {k: v for k, v in payload.items() if k != "format_version"})
    return policy, report
