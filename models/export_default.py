"""Copies a trained run's best checkpoint into models/default.pt (inference keys only, float16 weights), with the
parts its run made (its parts.npz, copied beside it; where its run made none, the one there is removed).

    python -m models.export_default runs/attention/best.pt [--name seq2drum-default]
    python -m models.export_default models/default.pt --decoding fill_threshold=0.2    # change one decoding setting
    python -m models.export_default models/default.pt --retune ../shared/data/midi      # after a decoding change

`--retune DATA` fits the decoding policy again on the checkpoint's validation songs of DATA (the same split as its
training, from its data config), as training does at its end: for a change to the decoding code or its tuner,
without training again. `--decoding NAME=VALUE` (repeatable) sets a field of the checkpoint's tuned DecodingPolicy
and records the change in its decoding report, so the model card can say exactly what differs from the tuner's choice.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from seq2drum.model.checkpoint import (DECODING_VERSION, DEFAULT_CHECKPOINT, export_checkpoint, load_checkpoint,
                                       save_checkpoint, stored_policy)
from seq2drum.groove.policy import policy_change
from seq2drum.training.parts import carry_parts


def set_decoding(path: Path, settings: list[str]) -> None:
    """Override fields of the checkpoint's decoding policy, NAME=VALUE each (numbers)."""
    payload = load_checkpoint(path)
    changes = {}
    for setting in settings:
        try:
            name, value = policy_change(setting)
        except ValueError as error:
            raise SystemExit(f"--decoding {setting!r}: {error}") from None
        changes[name] = value
    policy = stored_policy(payload).replace(**changes)
    payload["decoding"], payload["decoding_version"] = policy.to_dict(), DECODING_VERSION
    report = dict(payload.get("decoding_report") or {})
    report["set_after_tuning"] = {**report.get("set_after_tuning", {}), **changes}
    payload["decoding_report"] = report
    save_checkpoint(path, {k: v for k, v in payload.items() if k != "format_version"})


def retune(path: Path, data: Path) -> None:
    """Tune the checkpoint's decoding again on its validation songs of `data`."""
    from seq2drum.training.tune import tune_checkpoint
    from seq2drum.config import DataConfig
    from seq2drum.song.corpus import build_corpus, split_songs
    from seq2drum.song.bars import FeatureSpec, bar_song

    config = DataConfig.from_dict(load_checkpoint(path)["data_config"])
    corpus = build_corpus(data, config)
    _, val = split_songs(corpus.songs, config.val_fraction, config.split_seed)
    spec = FeatureSpec.current(config.steps_per_quarter)
    songs = [bar_song(s, spec) for s in val if s.drums is not None]
    if not songs:
        raise SystemExit(f"--retune: no validation songs with drums in {data}")
    _, report = tune_checkpoint(path, songs, log=print)
    print(f"decoding tuned again on {len(songs)} validation songs: {report}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("checkpoint", type=Path)
    parser.add_argument("--name", default="seq2drum-default")
    parser.add_argument("--out", type=Path, default=DEFAULT_CHECKPOINT)
    parser.add_argument("--decoding", action="append", default=[], metavar="NAME=VALUE",
                        help="set a decoding policy field after export (repeatable)")
    parser.add_argument("--retune", type=Path, metavar="DATA",
                        help="fit the decoding again on the checkpoint's validation songs of this folder")
    args = parser.parse_args()
    path = export_checkpoint(args.checkpoint, args.out, args.name)
    carried = carry_parts(args.checkpoint, path, load_checkpoint(path).get("training_data"))
    if carried:
        print(carried)
    if args.retune:
        retune(path, args.retune)
    if args.decoding:
        set_decoding(path, args.decoding)
    print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
