"""Fitting feel.touch's table from the drummers of a model's training songs (never its validation songs): per song
with MIN_NOTES drum notes and MIN_NOTES others, its band's velocity mean, standard deviation and number of distinct
velocities, and its drummer's mean velocity and standard deviation.

    python -m seq2drum.training.touch [--checkpoint models/default.pt] [--data ../shared/data/midi] [--out FILE]

The songs are the checkpoint's training split of --data (as training and tools.score_split split them). About 15
seconds; writes seq2drum/feel/touch.json by default, which the render reads (feel.touch).
"""

from __future__ import annotations

import argparse
import datetime
from pathlib import Path

import numpy as np

from seq2drum import arrays
from seq2drum.atomic import write_atomic
from seq2drum.evaluation.evaluate import EvaluationSettings, chosen_songs
from seq2drum.evaluation.inputs import data_config_for
from seq2drum.feel.touch import TOUCH_FILE, Touches
from seq2drum.midi.io import DRUM_CHANNEL, VELOCITY, read_midi
from seq2drum.model.loading import numpy_loaded
from seq2drum.shipped import DEFAULT_CHECKPOINT
from seq2drum.song.corpus import build_corpus, files_by_content

COMMAND = "python -m seq2drum.training.touch"
MIN_NOTES = 50  # a song's drums and its other parts need this many notes each to count


def velocities(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """The velocities of a MIDI file's drum notes (channel 10) and of its other notes."""
    parts = [p for p in read_midi(path.read_bytes()).parts if len(p.notes)]
    drums = [p.notes[:, VELOCITY] for p in parts if p.channel == DRUM_CHANNEL]
    others = [p.notes[:, VELOCITY] for p in parts if p.channel != DRUM_CHANNEL]
    return _joined(drums), _joined(others)


def _joined(arrays: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(arrays).astype(np.float64) if arrays else np.zeros(0)


def song_touches(paths: list[Path]) -> Touches:
    """The touches of the songs at `paths` that have MIN_NOTES drum notes and MIN_NOTES others."""
    band, drums = [], []
    for path in paths:
        drum, other = velocities(path)
        if len(drum) >= MIN_NOTES and len(other) >= MIN_NOTES:
            band.append((other.mean(), other.std(), len(arrays.distinct(other))))
            drums.append((drum.mean(), drum.std()))
    return Touches(np.array(band, dtype=np.float64).reshape(-1, 3), np.array(drums, dtype=np.float64).reshape(-1, 2))


def training_paths(data: Path, checkpoint: Path) -> list[Path]:
    """The files of `data` in `checkpoint`'s training split."""
    data_config = numpy_loaded(checkpoint).data_config
    config = data_config_for("band", data_config)
    corpus = build_corpus(data, config, progress=False)
    files = files_by_content(data)
    songs = chosen_songs(corpus.songs, EvaluationSettings(split="train"), config, data)[0]
    return [files[song.sha256] for song in songs if song.sha256 in files]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=Path("..") / "shared" / "data" / "midi")
    parser.add_argument("--checkpoint", type=Path, default=DEFAULT_CHECKPOINT)
    parser.add_argument("--out", type=Path, default=TOUCH_FILE)
    args = parser.parse_args(argv)
    touches = song_touches(training_paths(args.data, args.checkpoint))
    about = {"fitted_by": COMMAND, "checkpoint": args.checkpoint.name, "songs": len(touches.band),
             "date": datetime.date.today().isoformat()}
    touches = Touches(touches.band, touches.drums, about)
    write_atomic(args.out, touches.to_json().encode())
    flat = float((touches.drums[:, 1] < 2).mean()) if len(touches.drums) else 0.0
    print(f"{len(touches.band)} training songs' touches written to {args.out} ({flat:.0%} at one velocity)")


if __name__ == "__main__":
    main()
