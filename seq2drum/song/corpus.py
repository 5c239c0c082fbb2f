"""A folder of MIDI songs as data for training and evaluation: find the files, encode each once (on all cores,
through the cache in `song.cache`), report what was used and what was skipped and why, and split the songs by song
(train and validation, cross-validation folds).
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from seq2drum.config import DataConfig
from seq2drum.errors import (
    DataFolderError,
    MidiReadError,
    NoDrumsError,
    NoGuitarError,
    Seq2DrumError,
    SongTooLongError,
    SongTooShortError,
)
from seq2drum.midi.drums import DRUM_CLASSES
from seq2drum.midi.io import MidiSong, read_midi
from seq2drum.song.encode import EncodedSong, band_song_parts, encode_song
from seq2drum.song.cache import (CachedSkip, CorruptEntry, cache_key, default_cache_dir, load_encoded, save_encoded,
                                     save_skip)

MIDI_SUFFIXES = (".mid", ".midi", ".kar")
Describer = Callable[[MidiSong], dict]  # a song -> what its band is, as JSON (band.describe_json)


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
        raise DataFolderError(f"no .mid/.midi files under {folder}; pass --data with a folder of multi-track MIDI "
                              "songs")
    return files


def files_by_content(folder: Path) -> dict[str, Path]:
    """Every MIDI file under `folder` (`find_midi_files`) by the sha256 of its bytes, as a song's `sha256` names it."""
    return {hashlib.sha256(path.read_bytes()).hexdigest(): path for path in find_midi_files(folder)}


def _encode_file(path: Path, cache_file: Path, config: DataConfig, sha256: str, without_guitar: bool = False,
                 describe: Describer | None = None) -> tuple[str, str | None]:
    """Worker: parse and encode one file into the cache. Returns (path, skip reason or None). `without_guitar`: a
    song with no guitar part is heard through its band, as generation hears such a file (`band_song_parts`);
    `describe`: what the band is, kept with the song (`build_corpus`)."""
    try:
        song = read_midi(path)
        parts = band_song_parts(song) if without_guitar and config.listen_to_band else None
        encoded = encode_song(song, config, name=path.stem, guitar_parts=parts,
                              described=describe(song) if describe else None)
        if encoded.grid.n_bars < config.min_song_bars:
            raise SongTooShortError(f"{encoded.grid.n_bars} bars")
        encoded.sha256 = sha256
        save_encoded(cache_file, encoded)
        return str(path), None
    except Seq2DrumError as exc:
        reason = next((label for kind, label in SKIP_REASONS.items() if isinstance(exc, kind)), "unreadable")
        save_skip(cache_file, f"{reason}: {exc}")
        return str(path), f"{reason}: {exc}"


def _load_cached(path: Path, cache_file: Path, config: DataConfig, without_guitar: bool = False,
                 describe: Describer | None = None) -> EncodedSong:
    """The cached song; an entry that cannot be read back is never trusted, never fatal: encoded again in place, as
    is one that lacks the band's description `describe` would keep (or keeps one of another `describe.version`)."""
    try:
        song = load_encoded(cache_file)
        if describe is None or (song.described or {}).get("version") == getattr(describe, "version", None):
            return song
    except CorruptEntry:
        pass
    _encode_file(path, cache_file, config, hashlib.sha256(path.read_bytes()).hexdigest(), without_guitar, describe)
    return load_encoded(cache_file)


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
    allow_empty: bool = False,
    without_guitar: bool = False,
    describe: Describer | None = None,
) -> Corpus:
    """Encode every MIDI file under `folder` (cached), and report songs used, skipped with reasons, bars, hits.
    DataFolderError when no file gives a song, unless `allow_empty` (preprocess writes its report first).
    `without_guitar`: songs with no guitar part are kept, heard through the band (a band model's input), as
    `--extra-data` folders are read (jazz/'s trios and big bands). `describe`: what the band of a song is (e.g.
    band.describe_json, which song/ cannot import: band reads songs), kept with each song for the band's readers.

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
        cache_file = cache / f"{cache_key(data, config, without_guitar)}.npz"
        entries.append((path, cache_file))
        if not cache_file.exists():
            jobs.append((path, cache_file, hashlib.sha256(data).hexdigest()))
    workers = workers or os.cpu_count() or 1
    if jobs:
        bar = tqdm(total=len(jobs), desc="parsing MIDI", unit="song", disable=not progress)
        if workers > 1 and len(jobs) > 1:
            with ProcessPoolExecutor(max_workers=workers, mp_context=_parse_context()) as pool:
                futures = [pool.submit(_encode_file, p, c, config, s, without_guitar, describe) for p, c, s in jobs]
                for future in futures:
                    future.result()
                    bar.update()
        else:
            for path, cache_file, sha in jobs:
                _encode_file(path, cache_file, config, sha, without_guitar, describe)
                bar.update()
        bar.close()
    songs: list[EncodedSong] = []
    skipped: list[dict[str, str]] = []
    for path, cache_file in entries:
        try:
            songs.append(_load_cached(path, cache_file, config, without_guitar, describe))
        except CachedSkip as skip:
            skipped.append({"path": str(path.relative_to(folder)), "reason": str(skip)})
    report = corpus_report(songs, skipped, len(files), config)
    report["seconds"] = round(time.perf_counter() - started, 3)
    report["parsed_now"] = len(jobs)
    report["from_cache"] = len(files) - len(jobs)
    if not songs and not allow_empty:
        raise no_songs_error(folder, report)
    return Corpus(songs, report)


def no_songs_error(folder: str | Path, report: dict[str, Any]) -> DataFolderError:
    """The error for a folder none of whose files gives training data, with the reasons counted."""
    return DataFolderError(
        f"none of the {report['files']} MIDI files under {folder} gives training data "
        f"({report['skipped_by_reason']}); each song needs a guitar part (GM program 25-32 or a track named guitar) "
        "and drums on channel 10"
    )


def skipped_lines(report: dict[str, Any], shown: int = 20, reason_chars: int = 140) -> list[str]:
    """What a training run says of the songs it skipped: how many and why, then each song with its reason (the first
    `shown`; a long reason cut at `reason_chars`). Empty when none was skipped."""
    skipped = report["skipped"]
    if not skipped:
        return []
    counts = ", ".join(f"{count} {reason}" for reason, count in report["skipped_by_reason"].items())
    lines = [f"{len(skipped)} of {report['files']} songs skipped ({counts}):"]
    for entry in skipped[:shown]:
        reason = entry["reason"] if len(entry["reason"]) <= reason_chars else entry["reason"][:reason_chars - 3] + "..."
        lines.append(f"  {entry['path']}: {reason}")
    if len(skipped) > shown:
        lines.append(f"  and {len(skipped) - shown} more: --mode preprocess --report FILE lists every one")
    return lines


def corpus_report(
    songs: Sequence[EncodedSong], skipped: list[dict[str, str]], n_files: int, config: DataConfig
) -> dict[str, Any]:
    """What a folder gave: songs used and skipped (by reason), the split, and the bars, steps, hours and drum hits of
    the songs' spans."""
    hits = np.zeros(len(DRUM_CLASSES), dtype=np.int64)
    for song in songs:
        if song.drums is not None:
            start, end = song.span_steps
            hits += song.drums.hits[start:end].sum(axis=0)
    train, val = split_songs(songs, config.val_fraction, config.split_seed)
    return {
        "files": n_files,
        "songs_used": len(songs),
        "songs_skipped": len(skipped),
        "skipped_by_reason": dict(Counter(s["reason"].split(":")[0] for s in skipped)),
        "skipped": skipped,
        "train_songs": len(train),
        "validation_songs": len(val),
        "bars": int(sum(s.end_bar - s.first_bar for s in songs)),
        "steps": int(sum(s.span_steps[1] - s.span_steps[0] for s in songs)),
        "hours": round(sum(s.duration_s for s in songs) / 3600, 2),
        "hits_per_class": dict(zip(DRUM_CLASSES, hits.tolist())),
        "config": config.to_dict(),
    }


def _song_position(song: EncodedSong, seed: int) -> float:
    """Where a song falls in [0, 1): the hash of (seed, its content hash), stable under reordering or adding files."""
    token = hashlib.sha256(f"{seed}:{song.sha256 or song.name}".encode()).digest()
    return int.from_bytes(token[:8], "big") / 2**64


def split_songs(
    songs: Sequence[EncodedSong], val_fraction: float, seed: int
) -> tuple[list[EncodedSong], list[EncodedSong]]:
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
