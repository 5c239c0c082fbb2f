"""A checkpoint loaded as the numpy network and what decoding needs around it, for the live drummer
(`live.model_drummer.ModelDrummer`), which runs on the CPU bar by bar and needs none of the offline generator.

The fast-start copy (model/fast_start.py) when the cache holds a sound one, so no torch import; else the checkpoint
through torch, made into the same numpy network the offline generator makes of it (`numpy_network`). Writing the
fast-start copy is left to the offline loader (`DrumGenerator.from_checkpoint`), which stores its model info with it.
"""

from __future__ import annotations

from pathlib import Path

from seq2drum.model import fast_start
from seq2drum.model.fast_start import FastModel


def numpy_loaded(path: Path) -> FastModel:
    """The checkpoint at `path` as a `FastModel`: its numpy network, codebook, spec, configs and decoding policy
    (its `info` empty when it came through torch). CheckpointError for a checkpoint that cannot be read."""
    fast = fast_start.load(path)
    if fast is not None:
        return fast
    from seq2drum.model.checkpoint import load_checkpoint, model_from_checkpoint
    from seq2drum.model.scoring import numpy_network

    loaded = model_from_checkpoint(load_checkpoint(path, map_location="cpu"), "cpu")
    return FastModel(numpy_network(loaded.model), loaded.codebook, loaded.spec, loaded.data_config, loaded.policy, {})
