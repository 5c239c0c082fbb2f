"""Fitting feel.touch's table from the drummers of a model's training songs (never its validation songs): per song
with MIN_NOTES drum notes and MIN_NOTES others, its band's velocity mean, standard deviation, median and number of
distinct velocities and the genre reader's jazz score of its description (seq2drum.band), and its drummer's median
velocity and standard deviation; then the two lines from a band to its drummer's level (`fit_line`).

    python -m seq2drum.training.touch [--checkpoint models/default.pt] [--data ../shared/data/midi]
                                      [--extra-data ../shared/data/jazz] [--out FILE]

The songs are the checkpoint's training split of --data (as training and tools.score_split split them) and the
--extra-data songs it trained on (none where it trained on none). About a minute; writes seq2drum/feel/touch.json by
default, which the render reads (feel.touch).
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
from pathlib import Path

import numpy as np

from seq2drum import arrays
from seq2drum.atomic import write_atomic
from seq2drum.band import describe_band, jazz_score
from seq2drum.evaluation.evaluate import EvaluationSettings, chosen_songs
from seq2drum.evaluation.groups import trained_songs
from seq2drum.evaluation.inputs import data_config_for
from seq2drum.feel.touch import DESCRIBED, DESCRIBED_NUMBERS, HEARD, LOUDNESS, TOUCH_FILE, LevelLine, Touches
from seq2drum.midi.io import DRUM_CHANNEL, VELOCITY, read_midi
from seq2drum.model.loading import numpy_loaded
from seq2drum.shipped import DEFAULT_CHECKPOINT
from seq2drum.song.corpus import build_corpus, files_by_content, find_midi_files

COMMAND = "python -m seq2drum.training.touch"
MIN_NOTES = 50  # a song's drums and its other parts need this many notes each to count
LINE_RIDGE = 10.0  # the lines' ridge penalty on weights in standard units (5-fold CV on the training songs: 3-30 alike)
LINE_GIVE_UP = 10.0  # velocities: a drummer this far off the line counts half (a Cauchy loss). 5-fold CV on the
# training songs, within 12 of the drummer's median: this line 60.6%, least squares on the loudness 59.2%, least
# squares on every description field 54.1%, a constant 100 49.9% (scales 6-15 alike)
LINE_ROUNDS = 30  # reweighting rounds of the fit


def velocities(path: Path) -> tuple[np.ndarray, np.ndarray, float]:
    """The velocities of a MIDI file's drum notes (channel 10) and of its other notes, and the genre reader's jazz
    score of its band's description."""
    song = read_midi(path.read_bytes())
    parts = [p for p in song.parts if len(p.notes)]
    drums = [p.notes[:, VELOCITY] for p in parts if p.channel == DRUM_CHANNEL]
    others = [p.notes[:, VELOCITY] for p in parts if p.channel != DRUM_CHANNEL]
    return _joined(drums), _joined(others), jazz_score(describe_band(song)) if others else 0.0


def _joined(arrays: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(arrays).astype(np.float64) if arrays else np.zeros(0)


def song_touches(paths: list[Path]) -> Touches:
    """The touches of the songs at `paths` that have MIN_NOTES drum notes and MIN_NOTES others, with the lines
    fitted on them."""
    band, numbers, drums = [], [], []
    for path in paths:
        drum, other, jazz = velocities(path)
        if len(drum) >= MIN_NOTES and len(other) >= MIN_NOTES:
            distinct = len(arrays.distinct(other))
            band.append((other.mean(), other.std(), distinct))
            numbers.append((other.mean(), other.std(), np.log(distinct), np.median(other), jazz))
            drums.append((np.median(drum), drum.std()))
    band_rows, drum_rows = np.array(band).reshape(-1, 3), np.array(drums).reshape(-1, 2)
    number_rows = np.array(numbers).reshape(-1, len(DESCRIBED_NUMBERS))
    if not len(drum_rows):
        return Touches(band_rows, drum_rows)
    lines = {DESCRIBED: fit_line(number_rows, drum_rows[:, 0], DESCRIBED_NUMBERS),
             HEARD: fit_line(number_rows[:, : len(LOUDNESS)], drum_rows[:, 0], LOUDNESS)}
    described = lines[DESCRIBED]
    departure = drum_rows[:, 0] - np.array([described.level(dict(zip(DESCRIBED_NUMBERS, row))) for row in number_rows])
    return Touches(band_rows, drum_rows, lines, departure=departure)


def fit_line(numbers: np.ndarray, level: np.ndarray, names: tuple[str, ...]) -> LevelLine:
    """The line from a band's `numbers` (n, len(names)) to its drummer's `level` (n,): a ridge (LINE_RIDGE) on the
    numbers in standard units, reweighted LINE_ROUNDS times with a Cauchy loss of scale LINE_GIVE_UP, so that a
    drummer far off every band's line (a part programmed at 127) pulls it little."""
    centre, scale = numbers.mean(axis=0), np.maximum(numbers.std(axis=0), 1e-9)
    x = np.column_stack([np.ones(len(numbers)), (numbers - centre) / scale])  # (n, 1 + k)
    penalty = LINE_RIDGE * np.eye(x.shape[1])
    penalty[0, 0] = 0.0  # the intercept is not penalized
    weights, trust = np.zeros(x.shape[1]), np.ones(len(level))
    for _ in range(LINE_ROUNDS):
        weights = np.linalg.solve(x.T @ (x * trust[:, None]) + penalty, x.T @ (trust * level))
        trust = 1.0 / (1.0 + ((level - x @ weights) / LINE_GIVE_UP) ** 2)
    return LevelLine(names, tuple(centre), tuple(scale), tuple(weights[1:]), float(weights[0]))


def training_paths(data: Path, checkpoint: Path, extra_data: Path | None = None) -> list[Path]:
    """The files of `data` in `checkpoint`'s training split, and those of `extra_data` it trained on."""
    data_config = numpy_loaded(checkpoint).data_config
    config = data_config_for("band", data_config)
    corpus = build_corpus(data, config, progress=False)
    files = files_by_content(data)
    songs = chosen_songs(corpus.songs, EvaluationSettings(split="train"), config, data)[0]
    paths = [files[song.sha256] for song in songs if song.sha256 in files]
    if extra_data is not None and extra_data.is_dir():
        trained = trained_songs(checkpoint)
        paths += [p for p in find_midi_files(extra_data) if hashlib.sha256(p.read_bytes()).hexdigest() in trained]
    return paths


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=Path("..") / "shared" / "data" / "midi")
    parser.add_argument("--extra-data", type=Path, default=Path("..") / "shared" / "data" / "jazz")
    parser.add_argument("--checkpoint", type=Path, default=DEFAULT_CHECKPOINT)
    parser.add_argument("--out", type=Path, default=TOUCH_FILE)
    args = parser.parse_args(argv)
    touches = song_touches(training_paths(args.data, args.checkpoint, args.extra_data))
    about = {"fitted_by": COMMAND, "checkpoint": args.checkpoint.name, "songs": len(touches.band),
             "date": datetime.date.today().isoformat()}
    touches = Touches(touches.band, touches.drums, touches.lines, about, touches.departure)
    write_atomic(args.out, touches.to_json().encode())
    flat = float((touches.drums[:, 1] < 2).mean()) if len(touches.drums) else 0.0
    print(f"{len(touches.band)} training songs' touches written to {args.out} ({flat:.0%} at one velocity)")


if __name__ == "__main__":
    main()
