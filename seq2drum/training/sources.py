"""The songs a run trains on: the `--data` folder, and beside it an `--extra-data` folder (jazz/) whose songs count
`extra_weight` times and may lack a guitar (heard through the band, as generation hears such a file).

Each folder is split by the same rule (`split_songs`, or the caller's fold filter), so a cross-validation fold holds
out its share of both; validation counts each song once. The codebook reads their whole bars (`codebook_bars`) and
its take menu their playing bars (`take_menu_songs`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from seq2drum.band import describe_json, heard_genre
from seq2drum.config import DataConfig, TrainConfig
from seq2drum.song.bars import BarSong, FeatureSpec, bar_song
from seq2drum.song.corpus import Corpus, build_corpus, split_songs
from seq2drum.song.encode import EncodedSong

Split = Callable[[list[Any]], tuple[list[Any], list[Any]]]


@dataclass
class TrainingSongs:
    """The encoded songs of a run, split, with how many each folder gave."""

    train: list[EncodedSong]
    val: list[EncodedSong]
    extra_train: list[EncodedSong]
    extra_val: list[EncodedSong]
    corpus: Corpus
    extra: Corpus | None

    def summary(self, weight: int) -> dict[str, Any]:
        """What the run's summary says of its songs (the main folder's report, and the extra folder's counts)."""
        report = self.corpus.report
        summary = {k: report[k] for k in ("songs_used", "bars", "hours", "files", "skipped", "skipped_by_reason")}
        summary["data"] = f"{report['songs_used']} multi-track MIDI songs with guitar and drums"
        if self.extra is not None:
            summary["extra_data"] = {"songs_used": self.extra.report["songs_used"], "weight": weight,
                                     "train_songs": len(self.extra_train), "validation_songs": len(self.extra_val),
                                     "skipped_by_reason": self.extra.report["skipped_by_reason"],
                                     # which songs it heard: `--mode evaluate --group` scores the others only
                                     "train_sha256": sorted(song.sha256 for song in self.extra_train)}
        return summary


def read_songs(data_dir: str | Path, data_config: DataConfig, train_config: TrainConfig,
               cache_dir: str | Path | None, progress: bool, split: Split | None = None) -> TrainingSongs:
    """Both folders encoded (cached) and split; the extra folder's songs without a guitar kept."""
    split = split or (lambda songs: split_songs(songs, data_config.val_fraction, data_config.split_seed))
    corpus = build_corpus(data_dir, data_config, cache_dir, progress=progress, describe=describe_json)
    train, val = split(corpus.songs)
    extra, extra_train, extra_val = None, [], []
    if train_config.extra_data:
        extra = build_corpus(train_config.extra_data, data_config, cache_dir, progress=progress, without_guitar=True,
                             describe=describe_json)
        extra_train, extra_val = split(extra.songs)
    return TrainingSongs(train, val, extra_train, extra_val, corpus, extra)


def heard_plays(song: BarSong, encoded: EncodedSong) -> BarSong:
    """A song without a guitar: its bars "play" where any part listened to strikes (as generation's `prepare` sets
    them for such a file), so its playing bars count for the codebook and the take menu."""
    if encoded.guitar_note_count == 0 and song.notes is not None:
        song.guitar_plays = np.asarray(song.notes > 0)
    return song


def bar_songs(encoded: list[EncodedSong], spec: FeatureSpec) -> list[BarSong]:
    """The songs with drums as the model reads them, a song without a guitar playing where its band does."""
    return [heard_plays(bar_song(song, spec, genre=heard_genre(song.described)), song) for song in encoded
            if song.drums is not None]


def extra_lines(summary: dict[str, Any]) -> list[str]:
    """What a run says of its extra folder: its songs, their weight, what it skipped."""
    extra = summary.get("extra_data")
    if not extra:
        return []
    return [f"and {extra['train_songs']} training songs of --extra-data ({extra['validation_songs']} validation), "
            f"each counted {extra['weight']} times; skipped there: {extra['skipped_by_reason'] or 'none'}"]


def weighted(songs: list[BarSong], extra: list[BarSong], weight: int) -> list[BarSong]:
    """The training list: every main song once, every extra song `weight` times (drawn apart each time: its
    transposition and dropped roles differ)."""
    return [*songs, *(song for song in extra for _ in range(weight))]


def codebook_bars(songs: list[BarSong], max_steps: int) -> Any:
    """(hits, velocity, offset) of every whole bar of the songs, the codebook's input."""
    for song in songs:
        assert song.hits is not None and song.velocity is not None and song.offset is not None
        for row, n_steps in enumerate(song.bar_steps.tolist()):
            if n_steps <= max_steps:
                yield song.hits[row, :n_steps], song.velocity[row, :n_steps], song.offset[row, :n_steps]


def take_menu_songs(songs: list[BarSong]) -> list[tuple[np.ndarray, np.ndarray]]:
    """What training.codebook `with_take_menu` needs of each training song: the drums and lengths of its playing
    bars."""
    return [(song.hits[song.guitar_plays], song.bar_steps[song.guitar_plays])
            for song in songs if song.hits is not None]
