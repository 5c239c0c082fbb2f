"""Songs to training data: encode one song (the one path shared by training and inference), cache encoded songs on
disk, parse a folder on all cores with a report, split by song, and batch chunks of consecutive windows, padded
and bucketed by length.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from seq2drum.atomic import write_atomic
from seq2drum.config import DataConfig
from seq2drum.midi.drums import DRUM_CLASSES
from seq2drum.errors import (
    DataFolderError,
    MidiReadError,
    NoDrumsError,
    NoGuitarError,
    Seq2DrumError,
    SongTooLongError,
    SongTooShortError,
)
from seq2drum.midi.io import read_midi
from seq2drum.song.columns import transpose
from seq2drum.song.grid import DrumGrid, Grid, Window
from seq2drum.song.encode import PIPELINE_VERSION, EncodedSong, encode_song  # noqa: F401  (re-exported)

MIDI_SUFFIXES = (".mid", ".midi", ".kar")


# ---------------------------------------------------------------------------------------------- cache


def cache_key(data: bytes, config: DataConfig) -> str:
    """Content of the file + everything in the config that changes the encoding."""
    digest = hashlib.sha256(data)
    settings = {k: getattr(config, k) for k in ("steps_per_quarter", "max_window_notes", "max_window_bars", "min_song_bars")}
    digest.update(json.dumps([PIPELINE_VERSION, settings], sort_keys=True).encode())
    return digest.hexdigest()[:32]


def save_encoded(path: Path, encoded: EncodedSong) -> None:
    """Write atomically (temp file + rename), so an interrupted run never leaves a corrupt cache entry."""
    meta = {
        "name": encoded.name,
        "ticks_per_quarter": encoded.grid.ticks_per_quarter,
        "steps_per_quarter": encoded.grid.steps_per_quarter,
        "tempos": encoded.grid.tempos,
        "time_signatures": encoded.time_signatures,
        "first_step": encoded.first_step,
        "split_bars": encoded.split_bars,
        "sha256": encoded.sha256,
        "duration_s": encoded.duration_s,
        "guitar_note_count": encoded.guitar_note_count,
        "last_onset_step": encoded.last_onset_step,
        "marker_steps": encoded.marker_steps,
    }
    arrays: dict[str, np.ndarray] = {
        "meta": np.array(json.dumps(meta)),
        "bars": encoded.grid.bars,
        "guitar": encoded.guitar.astype(np.float16),
        "song": encoded.song,
        "windows": np.array([[w.start_step, w.end_step, w.start_bar, w.end_bar, w.n_notes] for w in encoded.windows],
                            dtype=np.int64).reshape(-1, 5),
    }
    if encoded.drums is not None:
        arrays.update(hits=encoded.drums.hits, velocity=encoded.drums.velocity, offset=encoded.drums.offset.astype(np.float16))
    _atomic_savez(path, arrays)


def _atomic_savez(path: Path, arrays: dict[str, np.ndarray]) -> None:
    write_atomic(path, lambda stream: np.savez(stream, **arrays))


def load_encoded(path: Path) -> EncodedSong:
    with np.load(path, allow_pickle=False) as archive:
        meta = json.loads(str(archive["meta"]))
        if "skip" in meta:
            raise _CachedSkip(meta["skip"])
        grid = Grid(meta["ticks_per_quarter"], meta["steps_per_quarter"], archive["bars"], [tuple(t) for t in meta["tempos"]])
        drums = None
        if "hits" in archive:
            drums = DrumGrid(archive["hits"], archive["velocity"], archive["offset"].astype(np.float32))
        return EncodedSong(
            name=meta["name"],
            grid=grid,
            time_signatures=[tuple(t) for t in meta["time_signatures"]],
            guitar=archive["guitar"].astype(np.float32),
            song=archive["song"],
            windows=[Window(*map(int, row)) for row in archive["windows"]],
            first_step=meta["first_step"],
            drums=drums,
            split_bars=meta["split_bars"],
            sha256=meta["sha256"],
            duration_s=meta["duration_s"],
            guitar_note_count=meta["guitar_note_count"],
            last_onset_step=meta["last_onset_step"],
            marker_steps=list(meta["marker_steps"]),
        )


class _CachedSkip(Exception):
    """A cache entry that records why a file was skipped."""


# ---------------------------------------------------------------------------------------------- folders

SKIP_REASONS = {  # first match wins
    SongTooLongError: "too long",
    MidiReadError: "unreadable",
    NoGuitarError: "no guitar",
    NoDrumsError: "no drums",
    SongTooShortError: "too short",
}


@dataclass
class Corpus:
    """The encoded songs of a folder and the report of how it was built."""

    songs: list[EncodedSong]
    report: dict[str, Any] = field(default_factory=dict)


def default_cache_dir() -> Path:
    """$XDG_CACHE_HOME/seq2drum or ~/.cache/seq2drum: never inside the data folder, which may be read-only or
    shared. Entries are keyed by file content and settings, so one cache serves every folder."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "seq2drum"


def find_midi_files(folder: Path) -> list[Path]:
    if folder.is_file():
        raise DataFolderError(f"{folder} is a file; pass --data with the folder of .mid files it lies in, "
                              f"e.g. --data {folder.parent}")
    if not folder.is_dir():
        raise DataFolderError(
            f"data folder {folder} does not exist; pass --data with a folder of .mid files that have a guitar "
            "part and a drum part on channel 10"
        )
    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in MIDI_SUFFIXES and p.is_file())
    if not files:
        raise DataFolderError(f"no .mid/.midi files under {folder}; pass --data with a folder of multi-track MIDI songs")
    return files


def _encode_file(path: Path, cache_file: Path, config: DataConfig, sha256: str) -> tuple[str, str | None]:
    """Worker: parse and encode one file into the cache. Returns (path, skip reason or None)."""
    try:
        encoded = encode_song(read_midi(path), config, name=path.stem)
        if len(encoded.windows) == 0 or encoded.grid.n_bars < config.min_song_bars:
            raise SongTooShortError(f"{encoded.grid.n_bars} bars")
        encoded.sha256 = sha256
        save_encoded(cache_file, encoded)
        return str(path), None
    except Seq2DrumError as exc:
        reason = next((label for kind, label in SKIP_REASONS.items() if isinstance(exc, kind)), "unreadable")
        _atomic_savez(cache_file, {"meta": np.array(json.dumps({"skip": f"{reason}: {exc}"}))})
        return str(path), f"{reason}: {exc}"


def _parse_context() -> Any:
    """A start method that never forks this process: the caller may hold gRPC or torch threads (a server, a test
    session, a notebook), and a forked child of such a process can deadlock on a lock one of them held."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("forkserver")
    return multiprocessing.get_context("spawn")


def build_corpus(
    folder: str | Path,
    config: DataConfig,
    cache_dir: str | Path | None = None,
    workers: int | None = None,
    progress: bool = True,
) -> Corpus:
    """Encode every MIDI file under `folder` (cached), and report songs used, skipped with reasons, windows, hits.

    With `workers` > 1 the parse runs in forkserver (or spawn) processes, so a script that calls this at import
    time needs the usual `if __name__ == "__main__":` guard, as on macOS and Windows."""
    from tqdm import tqdm

    started = time.perf_counter()
    folder = Path(folder)
    cache = Path(cache_dir) if cache_dir else default_cache_dir()
    files = find_midi_files(folder)
    jobs: list[tuple[Path, Path, str]] = []
    entries: list[tuple[Path, Path]] = []
    for path in files:
        data = path.read_bytes()
        cache_file = cache / f"{cache_key(data, config)}.npz"
        entries.append((path, cache_file))
        if not cache_file.exists():
            jobs.append((path, cache_file, hashlib.sha256(data).hexdigest()))
    workers = workers or os.cpu_count() or 1
    if jobs:
        bar = tqdm(total=len(jobs), desc="parsing MIDI", unit="song", disable=not progress)
        if workers > 1 and len(jobs) > 1:
            with ProcessPoolExecutor(max_workers=workers, mp_context=_parse_context()) as pool:
                futures = [pool.submit(_encode_file, p, c, config, s) for p, c, s in jobs]
                for future in futures:
                    future.result()
                    bar.update()
        else:
            for path, cache_file, sha in jobs:
                _encode_file(path, cache_file, config, sha)
                bar.update()
        bar.close()
    songs: list[EncodedSong] = []
    skipped: list[dict[str, str]] = []
    for path, cache_file in entries:
        try:
            songs.append(load_encoded(cache_file))
        except _CachedSkip as skip:
            skipped.append({"path": str(path.relative_to(folder)), "reason": str(skip)})
    report = corpus_report(songs, skipped, len(files), config)
    report["seconds"] = round(time.perf_counter() - started, 3)
    report["parsed_now"] = len(jobs)
    report["from_cache"] = len(files) - len(jobs)
    if not songs:
        reasons = Counter(s["reason"].split(":")[0] for s in skipped)
        raise DataFolderError(
            f"none of the {len(files)} MIDI files under {folder} gives training data ({dict(reasons)}); each song needs "
            "a guitar part (GM program 25-32 or a track named guitar) and drums on channel 10"
        )
    return Corpus(songs, report)


def corpus_report(songs: Sequence[EncodedSong], skipped: list[dict[str, str]], n_files: int, config: DataConfig) -> dict[str, Any]:
    hits = np.zeros(len(DRUM_CLASSES), dtype=np.int64)
    for song in songs:
        if song.drums is not None and song.windows:
            hits += song.drums.hits[song.windows[0].start_step : song.windows[-1].end_step].sum(axis=0)
    bars = sum(s.windows[-1].end_bar - s.windows[0].start_bar for s in songs if s.windows)
    train, val = split_songs(songs, config.val_fraction, config.split_seed)
    return {
        "files": n_files,
        "songs_used": len(songs),
        "songs_skipped": len(skipped),
        "skipped_by_reason": dict(Counter(s["reason"].split(":")[0] for s in skipped)),
        "skipped": skipped,
        "train_songs": len(train),
        "validation_songs": len(val),
        "windows": sum(len(s.windows) for s in songs),
        "bars": int(bars),
        "split_bars": int(sum(s.split_bars for s in songs)),
        "steps": int(sum(s.windows[-1].end_step - s.windows[0].start_step for s in songs if s.windows)),
        "hours": round(sum(s.duration_s for s in songs) / 3600, 2),
        "hits_per_class": dict(zip(DRUM_CLASSES, hits.tolist())),
        "config": config.to_dict(),
    }


def _song_position(song: EncodedSong, seed: int) -> float:
    """Where a song falls in [0, 1): the hash of (seed, its content hash), stable under reordering or adding files."""
    token = hashlib.sha256(f"{seed}:{song.sha256 or song.name}".encode()).digest()
    return int.from_bytes(token[:8], "big") / 2**64


def split_songs(songs: Sequence[EncodedSong], val_fraction: float, seed: int) -> tuple[list[EncodedSong], list[EncodedSong]]:
    """Split by song (never one song on both sides): a song goes to validation when its position falls in the
    lowest `val_fraction`.

    A small folder where no song falls that low still holds out one song (the lowest position) when it has two or
    more, so training never reports its own loss as a validation loss; only a one-song folder (or val_fraction 0)
    has none.
    """
    positions = [_song_position(song, seed) for song in songs]
    in_val = [position < val_fraction for position in positions]
    if val_fraction > 0 and len(songs) >= 2 and not any(in_val) and len(set(positions)) >= 2:
        in_val = [position == min(positions) for position in positions]  # a copy of that song goes with it
    train = [song for song, held_out in zip(songs, in_val) if not held_out]
    val = [song for song, held_out in zip(songs, in_val) if held_out]
    return train, val


def fold_of(song: EncodedSong, n_folds: int, seed: int) -> int:
    """The cross-validation fold (0 .. n_folds - 1) of a song, by its content hash."""
    return min(n_folds - 1, int(_song_position(song, seed + 7919) * n_folds))


# ---------------------------------------------------------------------------------------------- batches


@dataclass
class BarBatch:
    """Padded tensors of a batch of songs (or pieces of long songs) as bars. N = the most bars in the batch."""

    step_features: Any  # (B, N, S, Fs) float32
    bar_features: Any  # (B, N, Fb) float32
    bar_steps: Any  # (B, N) int64, 0 past the length
    lengths: Any  # (B,) int64 bars per item
    hits: Any  # (B, N, S, 9) float32 the real drums
    velocity: Any  # (B, N, S, 9) float32 velocity / 127 of each real hit
    offset: Any  # (B, N, S, 9) float32 microtiming in steps of each real hit
    step_mask: Any  # (B, N, S) bool steps inside their bar
    groove_ids: Any  # (B, N) int64 nearest codebook entry of each real bar, -1 where none fits (and padding)
    structure: Any  # (B, N, 3) float32 rest, crash, fill of each real bar

    def to(self, device: Any) -> BarBatch:
        return BarBatch(*(getattr(self, f).to(device, non_blocking=True) for f in self.__dataclass_fields__))


class BarDataset:
    """Training items: each song's bars (songs longer than `max_bars` cut into consecutive pieces), with the
    codebook ids of its real bars computed once. With `transpose`, each item is shifted by a random number of
    semitones (-5..+6) when drawn: the guitar's pitch classes and register move, the drums stay. The shift is drawn
    from torch's generator, whose state the training checkpoint keeps, so a resumed run draws the same shifts."""

    def __init__(self, songs: Sequence[Any], codebook: Any, max_bars: int = 256, transpose: bool = False) -> None:
        self.songs = list(songs)
        self.transpose = transpose
        for song in self.songs:
            if song.hits is None:
                raise ValueError(f"song {song.name!r} has no drums to train on")
        self.groove_ids = [codebook.assign(song.hits, song.bar_steps) for song in self.songs]
        self.structure = [song.structure() for song in self.songs]
        self.items: list[tuple[int, int, int]] = []  # (song index, first bar, end bar)
        for index, song in enumerate(self.songs):
            for start in range(0, song.n_bars, max_bars):
                self.items.append((index, start, min(song.n_bars, start + max_bars)))

    def __len__(self) -> int:
        return len(self.items)

    def lengths(self) -> np.ndarray:
        return np.array([end - start for _, start, end in self.items], dtype=np.int64)

    def __getitem__(self, index: int) -> dict[str, np.ndarray]:
        song_index, start, end = self.items[index]
        song = self.songs[song_index]
        part = slice(start, end)
        step_features = song.step_features[part]
        bar_features = song.bar_features[part]
        if self.transpose:
            import torch

            shift = int(torch.randint(-5, 7, ()).item())
            if shift:
                step_features, bar_features = transpose(step_features, bar_features, shift)
        width = song.step_features.shape[1]
        return {
            "step_features": step_features,
            "bar_features": bar_features,
            "bar_steps": song.bar_steps[part],
            "hits": song.hits[part].astype(np.float32),
            "velocity": song.velocity[part] / 127.0,
            "offset": song.offset[part],
            "step_mask": np.arange(width)[None, :] < song.bar_steps[part][:, None],
            "groove_ids": self.groove_ids[song_index][part],
            "structure": self.structure[song_index][part].astype(np.float32),
        }


def collate_bars(items: Sequence[dict[str, np.ndarray]]) -> BarBatch:
    """Pad to the item with the most bars; padded bars have bar_steps 0, no valid step and groove id -1."""
    import torch

    lengths = np.array([len(item["bar_steps"]) for item in items])
    longest = int(lengths.max())

    def pad(key: str, value: float | int, dtype: Any) -> Any:
        first = items[0][key]
        out = np.full((len(items), longest, *first.shape[1:]), value, dtype=dtype)
        for row, item in enumerate(items):
            out[row, : len(item[key])] = item[key]
        return torch.from_numpy(out)

    return BarBatch(
        step_features=pad("step_features", 0.0, np.float32),
        bar_features=pad("bar_features", 0.0, np.float32),
        bar_steps=pad("bar_steps", 0, np.int64),
        lengths=torch.from_numpy(lengths.astype(np.int64)),
        hits=pad("hits", 0.0, np.float32),
        velocity=pad("velocity", 0.0, np.float32),
        offset=pad("offset", 0.0, np.float32),
        step_mask=pad("step_mask", False, bool),
        groove_ids=pad("groove_ids", -1, np.int64),
        structure=pad("structure", 0.0, np.float32),
    )


class BucketBatchSampler:
    """Batches of items of similar length (little padding), capped at `batch_size` items and `max_tokens` padded
    steps (a longer single item is a batch of its own), in a shuffled order that depends only on (seed, epoch)."""

    def __init__(self, lengths: np.ndarray, batch_size: int, max_tokens: int, seed: int, shuffle: bool = True) -> None:
        self.lengths = np.asarray(lengths)
        self.batch_size = batch_size
        self.max_tokens = max_tokens
        self.seed = seed
        self.shuffle = shuffle
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def batches(self) -> list[list[int]]:
        rng = np.random.default_rng([self.seed, self.epoch])
        order = rng.permutation(len(self.lengths)) if self.shuffle else np.arange(len(self.lengths))
        # sort within large chunks: similar lengths together, yet a different grouping every epoch
        chunk = self.batch_size * 20
        order = np.concatenate(
            [part[np.argsort(self.lengths[part], kind="stable")] for part in np.array_split(order, max(1, len(order) // chunk))]
        ) if len(order) else order
        batches: list[list[int]] = []
        current: list[int] = []
        longest = 0
        for index in order.tolist():
            longest_if_added = max(longest, int(self.lengths[index]))
            if current and (len(current) >= self.batch_size or longest_if_added * (len(current) + 1) > self.max_tokens):
                batches.append(current)
                current, longest_if_added = [], int(self.lengths[index])
            current.append(index)
            longest = longest_if_added
        if current:
            batches.append(current)
        if self.shuffle:
            batches = [batches[i] for i in rng.permutation(len(batches))]
        return batches

    def __iter__(self) -> Iterator[list[int]]:
        return iter(self.batches())

    def __len__(self) -> int:
        return len(self.batches())
