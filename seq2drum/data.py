"""Songs to training data: encode one song (the one path shared by training and inference), cache encoded songs on
disk, parse a folder on all cores with a report, split by song, and batch chunks of consecutive windows, padded
and bucketed by length.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .config import DataConfig
from .drums import DRUM_CLASSES
from .encoding import (
    DrumVocab,
    guitar_features,
    hit_masks,
    offset_to_bin,
    position_features,
    song_features,
    source_features,
    velocity_to_bin,
)
from .errors import (
    DataFolderError,
    MidiReadError,
    NoDrumsError,
    NoGuitarError,
    Seq2DrumError,
    SongTooLongError,
    SongTooShortError,
)
from .midi_io import START, MidiSong, merged_notes, read_midi, select_guitar
from .representation import DrumGrid, Grid, Window, bar_windows, drums_to_grid, notes_per_step

PIPELINE_VERSION = 3  # bump when encoding changes, so stale cache entries are ignored
MIDI_SUFFIXES = (".mid", ".midi", ".kar")
MAX_SONG_STEPS = 100_000  # about 100 minutes at 240 BPM on a 16th grid; longer means a stray event far past the end


@dataclass
class EncodedSong:
    """One song on the grid: the guitar as features, the drums (when known) as a `DrumGrid`, and its windows."""

    name: str
    grid: Grid
    time_signatures: list[tuple[int, int, int]]
    guitar: np.ndarray  # (n_steps, N_GUITAR_FEATURES) float32
    song: np.ndarray  # (N_SONG_FEATURES,) float32
    windows: list[Window]
    first_step: int  # the first step of the first bar in which the guitar plays
    drums: DrumGrid | None = None
    split_bars: int = 0
    sha256: str = ""
    duration_s: float = 0.0
    guitar_note_count: int = 0

    @property
    def n_steps(self) -> int:
        return self.grid.n_steps

    def source(self) -> np.ndarray:
        """(n_steps, SRC_DIM) float32: the encoder input of the whole song."""
        return source_features(self.guitar, position_features(self.grid), self.song)

    def __repr__(self) -> str:
        drums = f", {int(self.drums.hits.sum())} drum hits" if self.drums is not None else ""
        return f"EncodedSong({self.name!r}, {self.grid.n_bars} bars, {self.n_steps} steps, {len(self.windows)} windows{drums})"


def encode_song(
    song: MidiSong,
    config: DataConfig,
    track: str | int | None = None,
    with_drums: bool = True,
    name: str = "",
) -> EncodedSong:
    """Put a parsed song on the grid. Raises `NoGuitarError`, and `NoDrumsError` when `with_drums` finds none.

    The grid runs to the end of the guitar part, and windows start at the bar where the guitar first plays, so the
    drums span the guitar and nothing else, in training and in generation alike.
    """
    guitar_parts = select_guitar(song, track)
    notes = merged_notes(guitar_parts)
    if not len(notes):
        raise NoGuitarError("the guitar part holds no notes", song.part_listing())
    drum_notes = merged_notes(song.drum_parts) if with_drums else None
    if with_drums and (drum_notes is None or not len(drum_notes)):
        raise NoDrumsError("the song has no drum part on channel 10")
    end_tick = int(notes[:, 1].max())
    song_steps = end_tick * config.steps_per_quarter / song.ticks_per_quarter
    if song_steps > MAX_SONG_STEPS:
        raise SongTooLongError(
            f"the guitar part runs to quarter note {end_tick // song.ticks_per_quarter}, past the limit of "
            f"{MAX_SONG_STEPS // config.steps_per_quarter} quarter notes; look for a stray note far past the end"
        )
    grid = Grid.build(song.ticks_per_quarter, song.time_signatures, song.tempos, end_tick, config.steps_per_quarter)
    onsets = notes_per_step(notes, grid)
    first_step_of_guitar, _ = grid.quantize(notes[:1, START])
    first_bar = int(np.searchsorted(grid.bars[:, 0], first_step_of_guitar[0], side="right") - 1)
    windows, split_bars = bar_windows(grid, onsets, config.max_window_notes, config.max_window_bars, first_bar)
    drums = drums_to_grid(drum_notes, grid) if drum_notes is not None else None
    return EncodedSong(
        name=name,
        grid=grid,
        time_signatures=list(song.time_signatures),
        guitar=guitar_features(notes, grid),
        song=song_features(notes, grid, [p.program for p in guitar_parts], len(guitar_parts)),
        windows=windows,
        first_step=int(grid.bars[first_bar, 0]),
        drums=drums,
        split_bars=split_bars,
        duration_s=grid.seconds_at_tick(end_tick),
        guitar_note_count=len(notes),
    )


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
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            np.savez(stream, **arrays)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


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
    if not folder.is_dir():
        raise DataFolderError(
            f"training data folder {folder} does not exist; pass --data with a folder of .mid files that have a guitar "
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


def build_corpus(
    folder: str | Path,
    config: DataConfig,
    cache_dir: str | Path | None = None,
    workers: int | None = None,
    progress: bool = True,
) -> Corpus:
    """Encode every MIDI file under `folder` (cached), and report songs used, skipped with reasons, windows, hits."""
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
            with ProcessPoolExecutor(max_workers=workers) as pool:
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


def split_songs(songs: Sequence[EncodedSong], val_fraction: float, seed: int) -> tuple[list[EncodedSong], list[EncodedSong]]:
    """Split by song (never one song on both sides), stable under reordering or adding files: a song goes to
    validation when the hash of (seed, its content hash) falls in the lowest `val_fraction`."""
    train, val = [], []
    for song in songs:
        token = hashlib.sha256(f"{seed}:{song.sha256 or song.name}".encode()).digest()
        (val if int.from_bytes(token[:8], "big") / 2**64 < val_fraction else train).append(song)
    return train, val


# ---------------------------------------------------------------------------------------------- batches


@dataclass
class Batch:
    """Padded tensors of a batch of chunks. T = the longest chunk in the batch."""

    src: Any  # (B, T, SRC_DIM) float32 guitar + position + song features
    src_lengths: Any  # (B,) int64
    tgt_in: Any  # (B, T) int64 previous step's drum token (teacher forcing)
    tgt_out: Any  # (B, T) int64 this step's drum token, PAD past the length
    velocity_bins: Any  # (B, T, 9) int64
    offset_bins: Any  # (B, T, 9) int64
    hits: Any  # (B, T, 9) float32 which classes hit (masks the velocity and offset losses)
    window_ids: Any  # (B, T) int64 window of each step inside its chunk, -1 past the length

    def to(self, device: Any) -> Batch:
        return Batch(*(getattr(self, f).to(device, non_blocking=True) for f in self.__dataclass_fields__))


def song_chunks(windows: Sequence[Window], max_chunk_steps: int) -> list[list[Window]]:
    """Group a song's consecutive windows into chunks of at most `max_chunk_steps` steps (a longer single window
    is a chunk of its own). Training and generation cut songs the same way."""
    chunks: list[list[Window]] = []
    for window in windows:
        if chunks and chunks[-1][-1].end_step == window.start_step and \
                window.end_step - chunks[-1][0].start_step <= max_chunk_steps:
            chunks[-1].append(window)
        else:
            chunks.append([window])
    return chunks


class ChunkDataset:
    """Every chunk of every song, with the song's tokens encoded once up front.

    `tgt_in` at a chunk's first step is the real previous step's token, exactly what generation feeds when it carries
    the decoder on from the previous chunk; the song's first chunk starts from BOS, as generation does (drums of an
    intro before the guitar enters are not part of what the model plays).
    """

    def __init__(self, songs: Sequence[EncodedSong], vocab: DrumVocab, max_chunk_steps: int) -> None:
        self.vocab = vocab
        self._src: list[np.ndarray] = []
        self._tokens: list[np.ndarray] = []
        self._velocity: list[np.ndarray] = []
        self._offset: list[np.ndarray] = []
        self._hits: list[np.ndarray] = []
        self.items: list[tuple[int, list[Window]]] = []  # (song index, the chunk's windows)
        self._first_step: list[int] = []  # where generation starts each song (from BOS)
        for index, song in enumerate(songs):
            if song.drums is None:
                raise ValueError(f"song {song.name!r} has no drums to train on")
            self._src.append(song.source())
            self._tokens.append(vocab.encode(hit_masks(song.drums.hits)))
            self._velocity.append(velocity_to_bin(song.drums.velocity))
            self._offset.append(offset_to_bin(song.drums.offset))
            self._hits.append(song.drums.hits)
            self._first_step.append(song.windows[0].start_step if song.windows else 0)
            self.items.extend((index, chunk) for chunk in song_chunks(song.windows, max_chunk_steps))

    def __len__(self) -> int:
        return len(self.items)

    def lengths(self) -> np.ndarray:
        return np.array([chunk[-1].end_step - chunk[0].start_step for _, chunk in self.items], dtype=np.int64)

    def __getitem__(self, index: int) -> dict[str, np.ndarray]:
        song, chunk = self.items[index]
        start, end = chunk[0].start_step, chunk[-1].end_step
        tokens = self._tokens[song]
        previous = tokens[start - 1] if start > self._first_step[song] else DrumVocab.BOS
        window_ids = np.repeat(np.arange(len(chunk)), [w.n_steps for w in chunk])
        return {
            "src": self._src[song][start:end],
            "tgt_in": np.concatenate([[previous], tokens[start : end - 1]]),
            "tgt_out": tokens[start:end],
            "velocity_bins": self._velocity[song][start:end],
            "offset_bins": self._offset[song][start:end],
            "hits": self._hits[song][start:end],
            "window_ids": window_ids,
        }


def collate(items: Sequence[dict[str, np.ndarray]]) -> Batch:
    """Pad to the longest chunk; padded target steps are PAD (ignored by the loss), padded window ids -1."""
    import torch

    lengths = np.array([len(item["src"]) for item in items])
    longest = int(lengths.max())

    def pad(key: str, value: float | int, dtype: Any) -> Any:
        first = items[0][key]
        out = np.full((len(items), longest, *first.shape[1:]), value, dtype=dtype)
        for row, item in enumerate(items):
            out[row, : len(item[key])] = item[key]
        return torch.from_numpy(out)

    return Batch(
        src=pad("src", 0.0, np.float32),
        src_lengths=torch.from_numpy(lengths.astype(np.int64)),
        tgt_in=pad("tgt_in", DrumVocab.PAD, np.int64),
        tgt_out=pad("tgt_out", DrumVocab.PAD, np.int64),
        velocity_bins=pad("velocity_bins", 0, np.int64),
        offset_bins=pad("offset_bins", 0, np.int64),
        hits=pad("hits", 0.0, np.float32),
        window_ids=pad("window_ids", -1, np.int64),
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
