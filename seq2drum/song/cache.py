"""The corpus cache: one encoded song per file content and settings, written atomically, read back without parsing
MIDI again. A file that gives no training data is cached too, as the reason it was skipped. An entry that cannot
be read back (cut short, damaged, a FIFO in its place) raises `CorruptEntry`, and the corpus encodes that song again.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import zipfile
from pathlib import Path

import numpy as np

from seq2drum.atomic import write_atomic
from seq2drum.config import DataConfig
from seq2drum.song.encode import PIPELINE_VERSION, EncodedSong
from seq2drum.song.drum_part import DrumGrid
from seq2drum.song.grid import Grid


def cache_key(data: bytes, config: DataConfig, without_guitar: bool = False) -> str:
    """Content of the file + everything in the config that changes the encoding (`without_guitar`: a song with no
    guitar part kept, heard through its band, as `song.corpus.build_corpus` allows for a folder)."""
    digest = hashlib.sha256(data)
    settings: dict[str, object] = {k: getattr(config, k) for k in ("steps_per_quarter", "min_song_bars")}
    if config.listen_to_band:  # the band's span and grid differ from the guitar's; guitar-span entries keep their keys
        settings["listen_to_band"] = True
    if without_guitar:  # only then: every other entry keeps its key
        settings["without_guitar"] = True
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
        "first_bar": encoded.first_bar,
        "end_bar": encoded.end_bar,
        "sha256": encoded.sha256,
        "duration_s": encoded.duration_s,
        "guitar_note_count": encoded.guitar_note_count,
        "last_onset_step": encoded.last_onset_step,
        "marker_steps": encoded.marker_steps,
        "described": encoded.described,
    }
    arrays: dict[str, np.ndarray] = {
        "meta": np.array(json.dumps(meta)),
        "bars": encoded.grid.bars,
        "guitar": encoded.guitar.astype(np.float16),
        "song": encoded.song,
        "band": encoded.band_features().astype(np.float16),
    }
    if encoded.drums is not None:
        drums = encoded.drums
        arrays.update(hits=drums.hits, velocity=drums.velocity, offset=drums.offset.astype(np.float16))
    _atomic_savez(path, arrays)


def save_skip(path: Path, reason: str) -> None:
    """Record that a file gives no training data, and why, so the next run skips it without parsing it."""
    _atomic_savez(path, {"meta": np.array(json.dumps({"skip": reason}))})


def _atomic_savez(path: Path, arrays: dict[str, np.ndarray]) -> None:
    write_atomic(path, lambda stream: np.savez(stream, **arrays), replace_anything=True)


def load_encoded(path: Path) -> EncodedSong:
    """The song cached at `path`; raises `CachedSkip` with the reason when the file was skipped, and `CorruptEntry`
    when the entry cannot be read back (cut short, damaged, not a regular file): encode the song again."""
    try:
        if not stat.S_ISREG(path.stat().st_mode):  # a FIFO there would block the read forever
            raise CorruptEntry(f"{path} is not a regular file")
        return _read_entry(path)
    except (OSError, ValueError, KeyError, IndexError, TypeError, EOFError, zipfile.BadZipFile) as exc:
        raise CorruptEntry(f"{path}: {type(exc).__name__}: {exc}") from exc


def _read_entry(path: Path) -> EncodedSong:
    with np.load(path, allow_pickle=False) as archive:
        meta = json.loads(str(archive["meta"]))
        if "skip" in meta:
            raise CachedSkip(meta["skip"])
        tempos = [tuple(t) for t in meta["tempos"]]
        grid = Grid(meta["ticks_per_quarter"], meta["steps_per_quarter"], archive["bars"], tempos)
        drums = None
        if "hits" in archive:
            drums = DrumGrid(archive["hits"], archive["velocity"], archive["offset"].astype(np.float32))
        return EncodedSong(
            name=meta["name"],
            grid=grid,
            time_signatures=[tuple(t) for t in meta["time_signatures"]],
            guitar=archive["guitar"].astype(np.float32),
            song=archive["song"],
            first_bar=meta["first_bar"],
            end_bar=meta["end_bar"],
            drums=drums,
            sha256=meta["sha256"],
            duration_s=meta["duration_s"],
            guitar_note_count=meta["guitar_note_count"],
            last_onset_step=meta["last_onset_step"],
            marker_steps=list(meta["marker_steps"]),
            band=archive["band"].astype(np.float32),
            described=meta.get("described"),
        )


class CachedSkip(Exception):
    """A cache entry that records why a file was skipped."""


class CorruptEntry(Exception):
    """A cache entry that cannot be read back; it is never trusted, and the song is encoded again."""


def default_cache_dir() -> Path:
    """$XDG_CACHE_HOME/seq2drum or ~/.cache/seq2drum: never inside the data folder, which may be read-only or
    shared. Entries are keyed by file content and settings, so one cache serves every folder."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "seq2drum"
