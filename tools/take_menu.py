"""Give an existing checkpoint the menu of loops that later takes choose from, computed from its training songs.

    python -m tools.take_menu --checkpoint models/default.pt --data ../shared/data/midi
    python -m tools.take_menu --checkpoint runs/cv/fold2/best.pt --data ../shared/data/midi --fold 2 --folds 5

Training now builds the menu with the codebook (training.codebook `with_take_menu`); checkpoints written before that
have none, and their later takes choose from the whole codebook. This rebuilds the checkpoint's training songs the
way training split them (by content hash; with --fold, as bench/crossval.py does: the other folds, less their
validation share), computes the menu and writes the checkpoint back atomically. The network, the codebook's
patterns and the tuned decoding are not touched, so take 1 stays the same.
"""

from __future__ import annotations

import argparse
import io
from pathlib import Path


import torch

from seq2drum.atomic import write_atomic
from seq2drum.model.checkpoint import load_checkpoint
from seq2drum.config import DataConfig
from seq2drum.song.corpus import build_corpus, fold_of, split_songs
from seq2drum.song.bars import FeatureSpec, bar_song
from seq2drum.groove import GrooveCodebook
from seq2drum.training.codebook import with_take_menu
from seq2drum.training.sources import take_menu_songs



def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", type=Path, required=True)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--fold", type=int, default=None)
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args()
    payload = load_checkpoint(args.checkpoint)
    data_config = DataConfig.from_dict(payload["data_config"])
    corpus = build_corpus(args.data, data_config, progress=False)
    songs = corpus.songs
    if args.fold is not None:
        songs = [s for s in songs if fold_of(s, args.folds, data_config.split_seed) != args.fold]
    train_encoded, _ = split_songs(songs, data_config.val_fraction, data_config.split_seed)
    spec = FeatureSpec.current(data_config.steps_per_quarter)
    train_songs = [bar_song(s, spec) for s in train_encoded if s.drums is not None]
    codebook = with_take_menu(GrooveCodebook.from_state(payload["codebook"]), take_menu_songs(train_songs))
    payload["codebook"] = codebook.to_state()
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    write_atomic(args.checkpoint, buffer.getvalue())
    on_menu = codebook.menu_rank >= 0
    by_length = {int(n): int(on_menu[codebook.bar_steps == n].sum()) for n in sorted(set(codebook.bar_steps.tolist()))}
    print(f"{args.checkpoint}: menu of {int(on_menu.sum())} loops from {len(train_songs)} training songs; "
          f"per bar length in steps: {by_length}")


if __name__ == "__main__":
    main()
