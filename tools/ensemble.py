"""Join models trained apart on the same songs (runs with other --seed) into one ensemble checkpoint whose outputs
are the members' mean, then tune its decoding on their validation songs, as training does for one model.

    python main.py --mode train --data DIR --out runs/s0 --seed 0
    python main.py --mode train --data DIR --out runs/s1 --seed 1
    python -m tools.ensemble runs/s0/best.pt runs/s1/best.pt --out runs/ens/best.pt --data DIR

The ensemble reads as one network everywhere (generation, the server, `--mode evaluate`, `models.export_default`);
generation runs every member, so it takes about that many times the network's share of the time. The members share
their songs and split, so their parts alike: the first member's parts.npz is copied beside the ensemble.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from models.export_default import retune
from seq2drum.errors import CheckpointError
from seq2drum.model.checkpoint import join_checkpoints, load_checkpoint
from seq2drum.training.parts import carry_parts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("members", type=Path, nargs="+", help="the members' best.pt files (two or more)")
    parser.add_argument("--out", type=Path, required=True, help="the ensemble checkpoint to write")
    parser.add_argument("--data", type=Path, required=True,
                        help="the folder the members were trained on: the decoding is tuned on its validation songs")
    args = parser.parse_args()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    try:
        path = join_checkpoints(args.members, args.out)
    except CheckpointError as error:
        raise SystemExit(f"error: {error}") from None
    retune(path, args.data)
    carried = carry_parts(args.members[0], path, load_checkpoint(path).get("training_data"))  # the members' parts
    if carried:
        print(carried)
    print(f"wrote {path}: {len(args.members)} members ({path.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
