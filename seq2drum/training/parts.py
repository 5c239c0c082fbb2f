"""A training run's parts (issue 86): the drummers' parts of its training songs (its --data and --extra-data, the
same split the network trains on) and the part model, written as parts.npz beside its checkpoints, so the model
plans with parts of its own songs. A folder too small for parts (no part of a drummer played in MIN_PHRASES phrases)
says so and writes none; the run's checkpoint records either (`training_data["parts"]`), and a model that has no parts
of its own plans bar by bar (parts.plan `planner_for`), never with the shipped model's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from seq2drum.atomic import write_atomic
from seq2drum.band import describe_json
from seq2drum.config import DataConfig
from seq2drum.training.part_fit import SongPhrases, fit_parts, song_phrases, too_few_phrases
from seq2drum.parts.model import save_parts
from seq2drum.parts.plan import PARTS_FILE
from seq2drum.song.bars import BarSong, FeatureSpec
from seq2drum.song.corpus import build_corpus, fold_of
from seq2drum.training.sources import bar_songs


def run_parts(data_dir: str | Path, extra_data: str, own: Sequence[BarSong], extra: Sequence[BarSong], out: Path,
              log: Callable[[str], None] | None = None) -> dict[str, Any]:
    """`fit_run_parts` of a training run: its --data folder's training songs and its --extra-data's, each named by its
    folder (the shipped recipe's jazz/ makes the jazz ride's family)."""
    sources = [(Path(data_dir).name, own), (Path(extra_data).name if extra_data else "", extra)]
    return fit_run_parts([(name, bars) for name, bars in sources if bars], out, log)


def fit_run_parts(sources: Sequence[tuple[str, Sequence[BarSong]]], out: Path,
                  log: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Fit the parts of `sources` ((folder name, its training songs), the --data folder first) and write them to
    out/parts.npz; what the checkpoint records: {"file": "parts.npz", "parts": K, "phrases": N} or, too few phrases,
    {"file": None, "why": ...} (out/parts.npz removed: an earlier run's must not stand for this one's)."""
    from tqdm import tqdm

    total = sum(len(bars) for _, bars in sources)
    with tqdm(total=total, desc="the drummers' parts", unit="song", disable=log is None) as bar:
        songs = []
        for source, bars in sources:
            for song in bars:
                songs.extend(song_phrases([song], source))
                bar.update()
    why = too_few_phrases(songs)
    path = out / PARTS_FILE
    if why:
        path.unlink(missing_ok=True)
        if log:
            log(f"no parts: {why}; this model plans bar by bar (--plan bars), as without a parts file")
        return {"file": None, "why": why}
    phrases = sum(len(song.phrases) for song in songs)
    if log:  # the fit has no steps to count: on the shipped recipe's 688 songs, about a minute and a half
        log(f"parts: fitting the drummers' parts of {phrases} phrases of {len(songs)} songs")
    vocabulary, model = fit_parts(songs)
    save_parts(path, vocabulary, model)  # atomically
    if log:
        log(f"parts: {len(vocabulary)} drummers' parts from {phrases} phrases of {len(songs)} songs, written to {path}")
    return {"file": PARTS_FILE, "parts": len(vocabulary), "phrases": phrases}


def folder_phrases(folder: Path, source: str, without_guitar: bool, folds: int = 5,
                   limit: int = 0) -> list[SongPhrases]:
    """The labelled phrases of every song with drums in `folder` (cached as training reads it), each with its fold of
    `folds` by content hash: what a cross-validation fits each fold's parts from (tools.crossval)."""
    config = DataConfig()
    corpus = build_corpus(folder, config, progress=False, without_guitar=without_guitar, describe=describe_json)
    encoded = [song for song in corpus.songs if song.drums is not None][: limit or None]
    out = []
    for song, bars in zip(encoded, bar_songs(encoded, FeatureSpec.current(config.steps_per_quarter))):
        for phrases in song_phrases([bars], source):
            phrases.fold = fold_of(song, folds, config.split_seed)
            out.append(phrases)
    return out


def carry_parts(source: Path, destination: Path, training_data: dict[str, Any] | None) -> str:
    """Put the parts of the run that wrote checkpoint `source` beside `destination` (an export or an ensemble of it),
    so the copy plans as the run's model does; what was done, in a line. A run that made none: a parts.npz already
    beside `destination` belongs to another model and is removed. A checkpoint of before runs made parts (nothing
    recorded): nothing is touched."""
    own = (training_data or {}).get("parts")
    source_parts, destination_parts = Path(source).parent / PARTS_FILE, Path(destination).parent / PARTS_FILE
    if not isinstance(own, dict) or source_parts.resolve() == destination_parts.resolve():
        return ""
    if own.get("file") is None:
        if destination_parts.is_file():
            destination_parts.unlink()
            return f"removed {destination_parts}: its run made no parts ({own.get('why')}); it plans bar by bar"
        return f"no parts: its run made none ({own.get('why')}); it plans bar by bar"
    if not source_parts.is_file():
        return f"no parts: {source_parts} is missing; it plans bar by bar (copy its run's {PARTS_FILE} beside it)"
    write_atomic(destination_parts, source_parts.read_bytes())
    return f"copied its run's parts to {destination_parts}"
