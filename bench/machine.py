"""One header for every benchmark: the machine and the versions the figures were measured with."""

from __future__ import annotations

import os
import platform
import sys


def describe_machine() -> str:
    import numpy
    import torch

    lines = [
        f"machine: {platform.machine()} {platform.processor() or ''} {os.cpu_count()} cores, {platform.platform()}",
        f"python {sys.version.split()[0]}, torch {torch.__version__} ({torch.get_num_threads()} threads), numpy {numpy.__version__}",
    ]
    try:
        import music21

        lines[-1] += f", music21 {music21.__version__}"
    except ImportError:
        pass
    try:
        with open("/proc/loadavg") as stream:
            lines.append(f"load average at start: {stream.read().split()[0]} (the machine is shared; figures are noisy)")
    except OSError:
        pass
    return "\n".join(lines)
