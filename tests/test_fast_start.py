"""The fast-start copy of a model: written on the first load, read without torch after, the same drums either way."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from seq2drum.model import fast_start
from seq2drum.options import GenerationOptions
from seq2drum.generation.generator import DrumGenerator
from tests.builders import rock_song_bytes, tiny_checkpoint

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture()
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "xdg"
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    return home


def test_first_load_writes_the_copy_and_the_next_gives_the_same_drums(tmp_path: Path, cache_home: Path) -> None:
    checkpoint = tiny_checkpoint(tmp_path / "tiny.pt", attention=True)
    first = DrumGenerator.from_checkpoint(checkpoint)
    assert first.model is not None  # read through torch
    assert fast_start.cache_path(checkpoint).is_file()
    assert fast_start.cache_path(checkpoint).parent == cache_home / "seq2drum" / "models"
    again = DrumGenerator.from_checkpoint(checkpoint)
    assert again.model is None  # read with numpy alone
    assert repr(again.info) == repr(first.info)  # name, version (weights digest), sizes (val_loss NaN != NaN)
    options = GenerationOptions(seed=5, takes=2, temperature=0.7)
    one, two = first.generate(rock_song_bytes(8), options), again.generate(rock_song_bytes(8), options)
    assert [take.midi_bytes for take in one.takes] == [take.midi_bytes for take in two.takes]


def test_a_cold_command_line_run_with_a_cached_model_imports_no_torch(tmp_path: Path) -> None:
    """Importing torch was 1.0-1.6 s of a 2.8 s cold `main.py --mode infer`, importing all of music21 0.4-0.9 s."""
    checkpoint = tiny_checkpoint(tmp_path / "tiny.pt")
    song = tmp_path / "riff.mid"
    song.write_bytes(rock_song_bytes(4))
    code = (
        "import sys\nfrom seq2drum.cli import main\n"
        f"argv = ['--mode', 'infer', {str(song)!r}, '--checkpoint', {str(checkpoint)!r}, '--seed', '1', '--force',"
        f" '-o', {str(tmp_path / 'out.mid')!r}]\n"
        "status = main.main(argv)\n"
        "print('torch' in sys.modules, 'music21.stream' in sys.modules)\n"
        "sys.exit(status)\n"
    )
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "xdg")}
    runs = [subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True,
                           timeout=120, check=False) for _ in range(2)]
    assert [run.returncode for run in runs] == [0, 0], runs[-1].stderr
    # torch the first time only; music21's MIDI layer alone, never its streams (0.4-0.9 s of a cold start)
    assert [run.stdout.splitlines()[-1] for run in runs] == ["True False", "False False"]


def test_a_damaged_copy_is_ignored_and_rewritten(tmp_path: Path, cache_home: Path) -> None:
    checkpoint = tiny_checkpoint(tmp_path / "tiny.pt")
    DrumGenerator.from_checkpoint(checkpoint)
    copy = fast_start.cache_path(checkpoint)
    copy.write_bytes(copy.read_bytes()[:100])
    assert fast_start.load(checkpoint) is None
    assert DrumGenerator.from_checkpoint(checkpoint).model is not None  # read through torch again ...
    assert fast_start.load(checkpoint) is not None  # ... and the copy is whole again


def test_a_changed_checkpoint_gets_its_own_copy(tmp_path: Path, cache_home: Path) -> None:
    checkpoint = tiny_checkpoint(tmp_path / "model.pt", seed=0)
    old = DrumGenerator.from_checkpoint(checkpoint).info.version
    tiny_checkpoint(checkpoint, seed=1)  # retrained in place
    assert fast_start.load(checkpoint) is None
    assert DrumGenerator.from_checkpoint(checkpoint).info.version != old


def test_a_cache_that_cannot_be_written_costs_only_the_speed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    generator = DrumGenerator.from_checkpoint(tiny_checkpoint(tmp_path / "tiny.pt"))
    assert generator.generate(rock_song_bytes(4), GenerationOptions(seed=1)).bars == 4


def _rewrite(path: Path, change: object, keep_digest: bool = True) -> None:
    """The cache entry at `path` with `change(arrays)` applied, its digest recomputed unless `keep_digest`."""
    import numpy as np

    with np.load(path, allow_pickle=False) as stored:
        arrays = {key: stored[key] for key in stored.files}
    change(arrays)  # type: ignore[operator]
    if not keep_digest:
        arrays["digest"] = np.array(fast_start._digest(arrays))
    with path.open("wb") as stream:
        np.savez(stream, **arrays)


def _first_weight(arrays: dict) -> str:
    return next(key for key in arrays if key.startswith("weight:"))


@pytest.mark.parametrize("damage", ["missing-key", "wrong-shape", "nan-weights", "fifo"])
def test_an_entry_that_does_not_check_out_is_rebuilt_never_trusted_or_fatal(tmp_path: Path, cache_home: Path,
                                                                          damage: str) -> None:
    """Issue 22, 8: an entry with missing keys or wrong shapes gave a KeyError on every run (and the server exited
    2, never repaired); a FIFO at the entry hung the command for 10+ minutes; NaN weights were used silently. Each
    is now read as no entry: the model loads through torch and a sound copy replaces it."""
    import numpy as np
    from concurrent import futures

    checkpoint = tiny_checkpoint(tmp_path / "tiny.pt")
    expected = DrumGenerator.from_checkpoint(checkpoint).generate(rock_song_bytes(4), GenerationOptions(seed=3))
    path = fast_start.cache_path(checkpoint)
    if damage == "fifo":
        path.unlink()
        os.mkfifo(path)
    elif damage == "missing-key":
        _rewrite(path, lambda arrays: arrays.pop(_first_weight(arrays)))
    elif damage == "wrong-shape":
        _rewrite(path, lambda arrays: arrays.update({_first_weight(arrays): np.zeros((3, 3), np.float32)}))
    else:
        _rewrite(path, lambda arrays: arrays[_first_weight(arrays)].fill(np.nan), keep_digest=False)
    with futures.ThreadPoolExecutor(1) as pool:  # a FIFO read would block: bound the wait
        again = pool.submit(DrumGenerator.from_checkpoint, checkpoint).result(timeout=60)
    assert again.model is not None  # the entry was not trusted: read through torch
    assert again.generate(rock_song_bytes(4), GenerationOptions(seed=3)).midi_bytes == expected.midi_bytes
    assert fast_start.load(checkpoint) is not None  # and rewritten sound


def _rewrite_entry(checkpoint: Path, change: str) -> None:
    """Rewrite the cached copy of `checkpoint` with its content made wrong, and a digest that matches it again."""
    import io
    import json

    import numpy as np

    path = fast_start.cache_path(checkpoint)
    with np.load(path, allow_pickle=False) as stored:
        arrays = {key: stored[key] for key in stored.files}
    weight = "weight:groove_head.weight"  # one every forward pass reads
    meta = json.loads(str(arrays["meta"]))
    if change == "wrong-shape":
        arrays[weight] = np.zeros((3, 3), dtype=np.float32)
    elif change == "missing-weight":
        del arrays[weight]
    elif change == "meta-not-json":
        arrays["meta"] = np.array("{not json")
    elif change == "info-without-drum-classes":
        del meta["info"]["drum_classes"]
        arrays["meta"] = np.array(json.dumps(meta))
    elif change == "expands-to-gigabytes":
        arrays["weight:padding"] = np.zeros(fast_start._max_entry_bytes(checkpoint) // 4 + 1, dtype=np.float32)
    arrays["digest"] = np.array(fast_start._digest(arrays))
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    path.write_bytes(buffer.getvalue())


@pytest.mark.parametrize("change", ["wrong-shape", "missing-weight", "meta-not-json", "info-without-drum-classes",
                                    "expands-to-gigabytes"])
def test_an_entry_whose_digest_matches_but_whose_content_is_wrong_is_a_miss(tmp_path: Path, cache_home: Path,
                                                                            change: str) -> None:
    """Issue 42, 12: an entry whose digest matched but whose content was wrong (a weight of the wrong shape, a missing
    weight, meta that is not JSON, info without drum_classes) broke every `--mode infer` with a traceback until the
    user deleted the cache, and a 4.7 MB entry expanded to 2.1 GB. Any bad entry is now a miss, and rewritten."""
    checkpoint = tiny_checkpoint(tmp_path / "tiny.pt")
    DrumGenerator.from_checkpoint(checkpoint)
    _rewrite_entry(checkpoint, change)
    assert fast_start.load(checkpoint) is None
    generator = DrumGenerator.from_checkpoint(checkpoint)
    assert generator.model is not None  # through torch ...
    assert generator.generate(rock_song_bytes(4), GenerationOptions(seed=1)).bars == 4
    assert fast_start.load(checkpoint) is not None  # ... and the copy is sound again


def _sparse(path: Path, head: bytes, size_bytes: int) -> Path:
    """A file of `size_bytes` that starts with `head`, the rest a hole (no disk, read back as zeros)."""
    with path.open("wb") as stream:
        stream.write(head)
        stream.truncate(size_bytes)
    return path


def test_a_large_file_that_is_no_checkpoint_is_refused_without_reading_it(tmp_path: Path, cache_home: Path) -> None:
    """Issue 89 P6: the fast-start cache hashed the whole --checkpoint in memory before anything looked at it (2 GB:
    2.1 GB of memory and 37 s before "not a seq2drum checkpoint"); its first bytes are looked at first."""
    import tracemalloc

    from seq2drum.errors import CheckpointError

    path = _sparse(tmp_path / "big.pt", b"\x00junk", 256 << 20)
    tracemalloc.start()
    try:
        with pytest.raises(CheckpointError, match="not a seq2drum checkpoint"):
            DrumGenerator.from_checkpoint(path)
        peak_bytes = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak_bytes < 32 << 20


def test_the_checkpoint_is_hashed_in_chunks(tmp_path: Path, cache_home: Path) -> None:
    """Issue 89 P6: the cache's name is the sha256 of the checkpoint, read a chunk at a time (not the file whole)."""
    import hashlib
    import tracemalloc

    path = _sparse(tmp_path / "zipped.pt", b"PK\x03\x04", 128 << 20)
    tracemalloc.start()
    try:
        named = fast_start.cache_path(path)
        peak_bytes = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    assert named.name.startswith(digest.hexdigest()) and peak_bytes < 16 << 20


def test_a_checkpoint_larger_than_any_model_is_refused_at_once(tmp_path: Path, cache_home: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 89 P6: a 2 GB file that starts like a zip was hashed, CRC-checked and loaded by torch (minutes, GBs);
    a seq2drum model is a few MB, so a file past MAX_CHECKPOINT_BYTES is refused by its size, naming it and the fix
    (at once: nothing hashes, checks or loads it)."""
    import hashlib

    import torch

    from seq2drum.errors import CheckpointError
    from seq2drum.model import checkpoint
    from seq2drum.shipped import MAX_CHECKPOINT_BYTES

    def read(*_: object, **__: object) -> None:
        raise AssertionError("the file past the size limit was read")

    for module, name in ((hashlib, "file_digest"), (torch, "load"), (checkpoint, "_check_zip")):
        monkeypatch.setattr(module, name, read)
    path = _sparse(tmp_path / "huge.pt", b"PK\x03\x04", MAX_CHECKPOINT_BYTES + 1)
    with pytest.raises(CheckpointError) as caught:
        DrumGenerator.from_checkpoint(path)
    assert str(path) in str(caught.value) and "--checkpoint" in str(caught.value)
