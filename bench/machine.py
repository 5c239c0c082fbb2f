"""What every benchmark shares: a header with the machine and the versions the figures were measured with, and the
model it measures."""

from __future__ import annotations

import os
import platform
import sys
from pathlib import Path


def describe_machine() -> str:
    import numpy
    import torch

    lines = [
        f"machine: {platform.machine()} {platform.processor() or ''} {os.cpu_count()} cores, {platform.platform()}",
        f"python {sys.version.split()[0]}, torch {torch.__version__} ({torch.get_num_threads()} threads), "
        f"numpy {numpy.__version__}",
    ]
    try:
        import music21

        lines[-1] += f", music21 {music21.__version__}"
    except ImportError:
        pass
    try:
        with open("/proc/loadavg") as stream:
            lines.append(f"load average at start: {stream.read().split()[0]} "
                         "(the machine is shared; figures are noisy)")
    except OSError:
        pass
    return "\n".join(lines)


def bench_checkpoint(requested: Path | None, scratch: Path) -> Path:
    """The model to measure: `requested`, else the shipped default, else a tiny random one made in `scratch` (said
    on stdout, since its figures are not the product's)."""
    from seq2drum.model.checkpoint import DEFAULT_CHECKPOINT

    if requested is not None:
        return requested
    if DEFAULT_CHECKPOINT.is_file():
        return DEFAULT_CHECKPOINT
    from tests.builders import tiny_checkpoint

    print("NOTE: using a TINY RANDOM model")
    return tiny_checkpoint(Path(scratch) / "tiny.pt")
