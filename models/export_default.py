"""Copies a trained run's best checkpoint into models/default.pt (inference keys only, float16 weights).

    python models/export_default.py runs/attention/best.pt [--name seq2drum-default]
    python models/export_default.py models/default.pt --decoding crash_threshold=0.2   # change one decoding setting

`--decoding NAME=VALUE` (repeatable) sets a field of the checkpoint's tuned DecodingPolicy and records the change
in its decoding report, so the model card can say exactly what differs from the tuner's choice.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from seq2drum.checkpoint import DEFAULT_CHECKPOINT, export_checkpoint, load_checkpoint, save_checkpoint  # noqa: E402
from seq2drum.decoding import DecodingPolicy  # noqa: E402


def set_decoding(path: Path, settings: list[str]) -> None:
    """Override fields of the checkpoint's decoding policy, NAME=VALUE each (numbers)."""
    payload = load_checkpoint(path)
    changes = {}
    for setting in settings:
        name, _, value = setting.partition("=")
        if name not in DecodingPolicy.__dataclass_fields__ or not value:
            raise SystemExit(f"--decoding {setting!r}: expected NAME=VALUE with NAME one of "
                             f"{', '.join(DecodingPolicy.__dataclass_fields__)}")
        changes[name] = type(getattr(DecodingPolicy(), name))(float(value))
    policy = DecodingPolicy.from_dict(payload.get("decoding") or {}).replace(**changes)
    payload["decoding"] = policy.to_dict()
    report = dict(payload.get("decoding_report") or {})
    report["set_after_tuning"] = {**report.get("set_after_tuning", {}), **changes}
    payload["decoding_report"] = report
    save_checkpoint(path, {k: v for k, v in payload.items() if k != "format_version"})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("checkpoint", type=Path)
    parser.add_argument("--name", default="seq2drum-default")
    parser.add_argument("--out", type=Path, default=DEFAULT_CHECKPOINT)
    parser.add_argument("--decoding", action="append", default=[], metavar="NAME=VALUE",
                        help="set a decoding policy field after export (repeatable)")
    args = parser.parse_args()
    path = export_checkpoint(args.checkpoint, args.out, args.name)
    if args.decoding:
        set_decoding(path, args.decoding)
    print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
