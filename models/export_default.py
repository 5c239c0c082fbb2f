"""Copies a trained run's best checkpoint into models/default.pt (inference keys only, float16 weights).

    python models/export_default.py runs/attention/best.pt [--name seq2drum-default]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from seq2drum.checkpoint import DEFAULT_CHECKPOINT, export_checkpoint  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("checkpoint", type=Path)
    parser.add_argument("--name", default="seq2drum-default")
    parser.add_argument("--out", type=Path, default=DEFAULT_CHECKPOINT)
    args = parser.parse_args()
    path = export_checkpoint(args.checkpoint, args.out, args.name)
    print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
