"""training data: encoding one song, the on-disk cache, building a corpus from a folder (with its report), splitting
by song, and songs' bars -> padded batches in an order fixed by (seed, epoch)."""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from seq2drum.config import DataConfig
from seq2drum.song.encode import EncodedSong, encode_song
from seq2drum.training.batches import BarDataset, BucketBatchSampler, collate_bars
from seq2drum.training.cache import cache_key, load_encoded, save_encoded
from seq2drum.training.corpus import build_corpus, fold_of, split_songs
from seq2drum.song.guitar import N_GUITAR_FEATURES
from seq2drum.errors import DataFolderError, NoDrumsError, NoGuitarError
from seq2drum.song.bars import FeatureSpec, bar_song
from seq2drum.midi.io import TrackSpec, read_midi
from tests.builders import (
    backbeat,
    format0_song_bytes,
    notes_from_steps,
    riff,
    rock_song_bytes,
    song_bytes,
    write_files,
)

CONFIG = DataConfig()


def _waltz_bytes(bars: int = 8) -> bytes:
    """A format-0 song in 3/4 at 100 BPM: guitar riff and an oom-pah-pah groove."""
    drums = []
    for bar in range(bars):
        base = bar * 12
        drums += [(base, 36, 110), (base + 4, 38, 90), (base + 8, 38, 85)] + [(base + s, 42, 70) for s in (0, 4, 8)]
    return format0_song_bytes(
        notes_from_steps(riff(bars, steps_per_bar=12), length_steps=2),
        notes_from_steps(drums),
        tempos=((0, 600_000),),
        time_signatures=((0, 3, 4),),
    )


def _intro_song_bytes(intro_bars: int = 2, bars: int = 8) -> bytes:
    """Drums from bar 0, the guitar only from bar `intro_bars` on."""
    guitar = notes_from_steps(
        [(step + intro_bars * 16, pitch) for step, pitch in riff(bars - intro_bars)], length_steps=2
    )
    return song_bytes(guitar, notes_from_steps(backbeat(bars)))


BASS = notes_from_steps([(s, 28) for s in range(0, 128, 4)], length_steps=4)
PIANO = notes_from_steps([(s, 60) for s in range(0, 128, 8)], length_steps=8)


def _folder_songs() -> dict[str, bytes]:
    """Two good songs, and one of each kind of skip."""
    return {
        "rock.mid": rock_song_bytes(8),
        "waltz.MID": _waltz_bytes(8),
        "no_guitar.mid": song_bytes(
            drums=notes_from_steps(backbeat(8)), extra=[TrackSpec("Bass", 1, BASS, 33), TrackSpec("Piano", 2, PIANO, 0)]
        ),
        "no_drums.mid": song_bytes(notes_from_steps(riff(8), length_steps=2)),
        "corrupt.mid": b"MThd\x00\x00\x00\x06\x00\x01\x00\x02\x01\xe0MTrk\x00\x00\x10\x00\x00\x90",
        "too_short.mid": rock_song_bytes(2),
    }


@pytest.fixture
def mixed_folder(tmp_path: Path) -> Path:
    folder = write_files(tmp_path / "songs", _folder_songs())
    (folder / "notes.txt").write_text("not a song")
    return folder


def _encoded(data: bytes, config: DataConfig = CONFIG, name: str = "song") -> EncodedSong:
    return encode_song(read_midi(data), config, name=name)


# ---------------------------------------------------------------------------------------------- one song


def test_encode_song_puts_guitar_and_drums_on_one_grid() -> None:
    """The guitar features and the drum grid share the song's steps; the span covers the song from the guitar's
    first bar; the duration comes from the tempo map."""
    song = _encoded(rock_song_bytes(8))
    assert song.grid.n_bars == 8 and song.n_steps == 128
    assert song.guitar.shape == (128, N_GUITAR_FEATURES)
    assert song.drums is not None and song.drums.n_steps == 128 and song.drums.hits.sum() == 8 * 12
    assert song.first_step == 0 and song.span_steps == (0, 128) and (song.first_bar, song.end_bar) == (0, 8)
    assert song.duration_s == pytest.approx(16.0)  # 8 bars of 4/4 at 120 BPM
    assert song.guitar_note_count == 8 * 16
    assert song.last_onset_step == 126


def test_the_span_starts_at_the_bar_where_the_guitar_enters() -> None:
    """Drums of an intro without guitar are not trained on (generation has nothing to follow there)."""
    song = _encoded(_intro_song_bytes(intro_bars=2))
    assert song.first_step == 32
    assert song.span_steps == (32, song.n_steps) and (song.first_bar, song.end_bar) == (2, song.grid.n_bars)


def test_encode_song_without_drums_raises_no_drums_unless_generating() -> None:
    """Training needs drums (NoDrumsError otherwise); generation (with_drums=False) does not."""
    data = song_bytes(notes_from_steps(riff(4), length_steps=2))
    with pytest.raises(NoDrumsError):
        _encoded(data)
    song = encode_song(read_midi(data), CONFIG, with_drums=False)
    assert song.drums is None and song.end_bar > song.first_bar


def test_encode_song_passes_the_track_choice_on() -> None:
    """--track reaches select_guitar: picking the piano encodes the piano's notes, not the guitar's."""
    data = song_bytes(
        notes_from_steps(riff(4), length_steps=2),
        notes_from_steps(backbeat(4)),
        extra=[TrackSpec("Piano", 2, PIANO[:8], 0)],
    )
    assert encode_song(read_midi(data), CONFIG, track="piano").guitar_note_count == 8
    with pytest.raises(NoGuitarError, match="--track"):
        encode_song(read_midi(data), CONFIG, track="violin")


def test_cached_song_loads_back_the_same(tmp_path: Path) -> None:
    """save_encoded -> load_encoded keeps grid, span and drums (offsets and features to float16 precision),
    and leaves no temporary file behind."""
    song = _encoded(_waltz_bytes(), name="waltz")
    song.sha256 = "abc"
    path = tmp_path / "cache" / "waltz.npz"
    save_encoded(path, song)
    loaded = load_encoded(path)
    assert [p.name for p in path.parent.iterdir()] == ["waltz.npz"]
    assert (loaded.name, loaded.sha256, loaded.first_step) == ("waltz", "abc", song.first_step)
    np.testing.assert_array_equal(loaded.grid.bars, song.grid.bars)
    assert loaded.grid.tempos == song.grid.tempos and loaded.time_signatures == song.time_signatures
    assert (loaded.first_bar, loaded.end_bar) == (song.first_bar, song.end_bar)
    np.testing.assert_array_equal(loaded.drums.hits, song.drums.hits)
    np.testing.assert_array_equal(loaded.drums.velocity, song.drums.velocity)
    np.testing.assert_allclose(loaded.drums.offset, song.drums.offset, atol=1e-3)
    np.testing.assert_allclose(loaded.guitar, song.guitar, atol=2e-3)
    assert (loaded.last_onset_step, loaded.marker_steps) == (song.last_onset_step, song.marker_steps)


@pytest.mark.parametrize(
    "change, invalidates",
    [
        ({"steps_per_quarter": 8}, True),
        ({"min_song_bars": 2}, True),
        ({"val_fraction": 0.3}, False),
        ({"split_seed": 99}, False),
    ],
    ids=[
        "steps_per_quarter",
        "min_song_bars",
        "val_fraction",
        "split_seed",
    ],
)
def test_cache_key_changes_exactly_when_the_encoding_does(change: dict, invalidates: bool) -> None:
    """A stale cache entry after a grid change would train on the wrong grid; a split change must not re-parse."""
    data = rock_song_bytes(2)
    assert (cache_key(data, CONFIG) != cache_key(data, CONFIG.replace(**change))) is invalidates
    assert cache_key(data, CONFIG) != cache_key(data + b"\x00", CONFIG)


def test_a_new_pipeline_version_ignores_stale_cache_entries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Entries an older encoding wrote (version 5 held windows) must be parsed again, never read as today's."""
    import seq2drum.training.cache as cache

    data = rock_song_bytes(2)
    key = cache_key(data, CONFIG)
    monkeypatch.setattr(cache, "PIPELINE_VERSION", cache.PIPELINE_VERSION - 1)
    assert cache_key(data, CONFIG) != key


# ---------------------------------------------------------------------------------------------- corpus


def test_build_corpus_reports_used_and_skipped_songs_with_reasons(mixed_folder: Path, tmp_path: Path) -> None:
    """Two good songs are used; the no-guitar, no-drums, corrupt and too-short files are skipped, each with its
    reason, so a user can see why a song was left out."""
    corpus = build_corpus(mixed_folder, CONFIG, cache_dir=tmp_path / "cache", workers=1, progress=False)
    report = corpus.report
    assert report["files"] == 6
    assert report["songs_used"] == 2 and sorted(s.name for s in corpus.songs) == ["rock", "waltz"]
    assert report["songs_skipped"] == 4
    assert report["skipped_by_reason"] == {"no guitar": 1, "no drums": 1, "unreadable": 1, "too short": 1}
    reasons = {entry["path"]: entry["reason"] for entry in report["skipped"]}
    assert reasons["no_guitar.mid"].startswith("no guitar") and "--track" in reasons["no_guitar.mid"]
    assert reasons["no_drums.mid"].startswith("no drums")
    assert reasons["corrupt.mid"].startswith("unreadable")
    assert reasons["too_short.mid"].startswith("too short")
    assert report["train_songs"] + report["validation_songs"] == 2
    assert report["bars"] == 16 and report["steps"] == 8 * 16 + 8 * 12 and "windows" not in report
    assert report["hits_per_class"]["kick"] == 8 * 2 + 8
    assert report["parsed_now"] == 6 and report["from_cache"] == 0
    assert report["config"] == CONFIG.to_dict()


def test_second_build_parses_nothing_and_gives_the_same_songs(mixed_folder: Path, tmp_path: Path) -> None:
    """Nothing changed -> everything (skips included) comes from the cache: a re-run of train starts at once."""
    first = build_corpus(mixed_folder, CONFIG, cache_dir=tmp_path / "cache", workers=1, progress=False)
    second = build_corpus(mixed_folder, CONFIG, cache_dir=tmp_path / "cache", workers=1, progress=False)
    assert second.report["parsed_now"] == 0 and second.report["from_cache"] == 6
    assert second.report["skipped_by_reason"] == first.report["skipped_by_reason"]
    assert [s.span_steps for s in second.songs] == [s.span_steps for s in first.songs]
    for old, new in zip(first.songs, second.songs):
        np.testing.assert_array_equal(old.drums.hits, new.drums.hits)


def test_changing_steps_per_quarter_invalidates_the_cache(mixed_folder: Path, tmp_path: Path) -> None:
    """A new grid resolution re-parses every file (a stale cache would silently train on the old grid), while a
    new validation split re-parses none."""
    build_corpus(mixed_folder, CONFIG, cache_dir=tmp_path / "cache", workers=1, progress=False)
    finer = build_corpus(
        mixed_folder, CONFIG.replace(steps_per_quarter=8), cache_dir=tmp_path / "cache", workers=1, progress=False
    )
    assert finer.report["parsed_now"] == 6
    assert finer.songs[0].grid.steps_per_quarter == 8 and finer.songs[0].n_steps == 2 * 128
    resplit = build_corpus(
        mixed_folder, CONFIG.replace(val_fraction=0.5), cache_dir=tmp_path / "cache", workers=1, progress=False
    )
    assert resplit.report["parsed_now"] == 0


def test_an_edited_file_is_parsed_again(mixed_folder: Path, tmp_path: Path) -> None:
    """The cache is keyed on file content: editing one song re-parses that song only."""
    build_corpus(mixed_folder, CONFIG, cache_dir=tmp_path / "cache", workers=1, progress=False)
    (mixed_folder / "rock.mid").write_bytes(rock_song_bytes(12))
    corpus = build_corpus(mixed_folder, CONFIG, cache_dir=tmp_path / "cache", workers=1, progress=False)
    assert corpus.report["parsed_now"] == 1 and corpus.report["from_cache"] == 5
    assert {s.name: s.grid.n_bars for s in corpus.songs}["rock"] == 12


def test_parallel_build_gives_the_same_corpus_as_serial(mixed_folder: Path, tmp_path: Path) -> None:
    """Parsing in worker processes must give exactly what parsing in-process gives."""
    serial = build_corpus(mixed_folder, CONFIG, cache_dir=tmp_path / "serial", workers=1, progress=False)
    parallel = build_corpus(mixed_folder, CONFIG, cache_dir=tmp_path / "parallel", workers=2, progress=False)
    assert parallel.report["skipped"] == serial.report["skipped"]
    assert [(s.name, s.span_steps) for s in parallel.songs] == [(s.name, s.span_steps) for s in serial.songs]


def test_preprocess_never_imports_torch(tmp_path: Path) -> None:
    """`main.py --mode preprocess` parses and caches MIDI only; importing torch (in it or in its parse workers) would
    cost more than a second of a few-second run for nothing."""
    folder = write_files(tmp_path / "songs", {"rock.mid": rock_song_bytes(4), "waltz.mid": _waltz_bytes(4)})
    repo = Path(__file__).resolve().parents[1]
    command = [sys.executable, "-X", "importtime", str(repo / "main.py"), "--mode", "preprocess", "--data", str(folder),
               "--cache", str(tmp_path / "cache"), "--workers", "2", "--quiet"]
    result = subprocess.run(command, cwd=repo, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "2 of 2 songs used" in result.stdout
    lines = result.stderr.splitlines()
    imported = {line.rsplit("|", 1)[-1].strip() for line in lines if line.startswith("import time")}
    assert "seq2drum.training.corpus" in imported and "torch" not in imported


@pytest.mark.parametrize("files", [{}, {"readme.txt": b"hello"}], ids=["empty-folder", "no-midi-files"])
def test_folder_without_midi_files_raises_data_folder_error(tmp_path: Path, files: dict[str, bytes]) -> None:
    """An empty or wrong --data folder says so instead of training on nothing."""
    folder = write_files(tmp_path / "data", files)
    with pytest.raises(DataFolderError, match="no .mid"):
        build_corpus(folder, CONFIG, cache_dir=tmp_path / "cache", workers=1, progress=False)
    with pytest.raises(DataFolderError, match="does not exist"):
        build_corpus(tmp_path / "missing", CONFIG, workers=1, progress=False)


def test_a_file_given_as_the_data_folder_names_the_folder_to_pass(tmp_path: Path) -> None:
    song = write_files(tmp_path / "songs", {"a.mid": rock_song_bytes(4)}) / "a.mid"
    with pytest.raises(DataFolderError, match=f"is a file; pass --data with the folder .* --data {tmp_path / 'songs'}"):
        build_corpus(song, CONFIG, workers=1, progress=False)


def test_folder_of_only_unusable_songs_raises_with_the_reasons(tmp_path: Path) -> None:
    """When every song is skipped the error counts the reasons, so the user knows what to fix."""
    songs = {k: v for k, v in _folder_songs().items() if k not in ("rock.mid", "waltz.MID")}
    folder = write_files(tmp_path / "data", songs)
    with pytest.raises(DataFolderError, match="no drums"):
        build_corpus(folder, CONFIG, cache_dir=tmp_path / "cache", workers=1, progress=False)


# ---------------------------------------------------------------------------------------------- split


def _fake_songs(count: int, seed: int = 0) -> list[SimpleNamespace]:
    rng = random.Random(seed)
    return [SimpleNamespace(name=f"song{i}", sha256=f"{rng.getrandbits(128):032x}") for i in range(count)]


def test_split_never_puts_a_song_on_both_sides_and_is_about_val_fraction() -> None:
    """No song (nor a copy of it under another name) is in both train and validation, and ~val_fraction of
    songs validate."""
    songs = _fake_songs(400)
    copies = [SimpleNamespace(name=s.name + "-copy", sha256=s.sha256) for s in songs[:50]]
    train, val = split_songs(songs + copies, 0.2, seed=1)
    train_hashes, val_hashes = {s.sha256 for s in train}, {s.sha256 for s in val}
    assert not train_hashes & val_hashes
    assert len(train) + len(val) == 450
    assert 0.13 < len(val_hashes) / 400 < 0.27


def test_split_of_a_tiny_folder_still_holds_out_one_song() -> None:
    """8 songs at val_fraction 0.1 often put none in validation, and training then printed its own loss as the
    validation loss: two or more songs always hold one out (with any copy of it); one song holds none."""
    for seed in range(20):
        songs = _fake_songs(8, seed=seed)
        train, val = split_songs(songs, 0.1, seed=seed)
        assert len(val) >= 1 and len(train) + len(val) == 8
    songs = _fake_songs(3)
    twin = SimpleNamespace(name="twin", sha256=songs[0].sha256)
    _, val = split_songs(songs + [twin], 1e-9, seed=0)
    assert len({s.sha256 for s in val}) == 1 and len(val) in (1, 2)
    assert (twin in val) == (songs[0] in val)
    assert split_songs(songs[:1], 0.1, seed=0)[1] == []
    assert split_songs(songs, 0.0, seed=0)[1] == []


def test_split_is_stable_under_reordering_and_adding_songs() -> None:
    """A song's side depends on its content and the seed only: shuffling the folder or adding songs never moves a
    validation song into training (which would leak it)."""
    songs = _fake_songs(200)
    _, val = split_songs(songs, 0.1, seed=3)
    shuffled = songs[::-1] + _fake_songs(50, seed=9)
    _, val_again = split_songs(shuffled, 0.1, seed=3)
    assert {s.sha256 for s in val} <= {s.sha256 for s in val_again}
    _, val_other_seed = split_songs(songs, 0.1, seed=4)
    assert {s.sha256 for s in val} != {s.sha256 for s in val_other_seed}
    assert split_songs(songs, 0.0, seed=3)[1] == []


# ---------------------------------------------------------------------------------------------- batches


@pytest.fixture(scope="module")
def songs() -> list[EncodedSong]:
    return [
        _encoded(rock_song_bytes(8), name="rock"),
        _encoded(_waltz_bytes(8), name="waltz"),
        _encoded(_intro_song_bytes(2, 8), name="intro"),
    ]


@pytest.fixture(scope="module")
def bar_songs(songs: list[EncodedSong]) -> list:
    return [bar_song(s, FeatureSpec.current(4)) for s in songs]


def test_bar_items_hold_each_songs_bars_and_their_codebook_ids(bar_songs: list) -> None:
    """An item is a song's bars with the real drums and the nearest codebook entry of every bar; a song longer
    than max_bars is cut into consecutive pieces."""
    from tests.builders import tiny_codebook

    codebook = tiny_codebook()
    dataset = BarDataset(bar_songs, codebook, max_bars=5)
    assert [(dataset.songs[i].name, a, b) for i, a, b in dataset.items][:2] == [("rock", 0, 5), ("rock", 5, 8)]
    item = dataset[0]
    assert item["step_features"].shape == (5, 32, FeatureSpec.current(4).n_step)
    assert item["hits"].shape == item["velocity"].shape == item["offset"].shape == (5, 32, 9)
    from tests.builders import rock_bar

    rock_entry = int(item["groove_ids"][0])  # the backbeat bar is nearest to the codebook's rock bar
    np.testing.assert_array_equal(codebook.patterns[rock_entry, :16], rock_bar(16))
    assert item["step_mask"][0, :16].all() and not item["step_mask"][0, 16:].any()
    assert float(item["velocity"].max()) <= 1.0


def test_transposition_moves_the_guitars_pitch_classes_not_the_drums(bar_songs: list) -> None:
    """Augmentation shifts onset and sounding chroma together by the same number of semitones; drums stay."""
    import torch

    from tests.builders import tiny_codebook

    plain = BarDataset(bar_songs[:1], tiny_codebook())[0]
    torch.manual_seed(1)
    shifted = BarDataset(bar_songs[:1], tiny_codebook(), transpose=True)[0]
    np.testing.assert_array_equal(shifted["hits"], plain["hits"])
    onset_plain = plain["step_features"][..., :12].sum(axis=(0, 1))
    onset_shifted = shifted["step_features"][..., :12].sum(axis=(0, 1))
    shift = [k for k in range(-5, 7) if np.array_equal(np.roll(onset_plain, k), onset_shifted)]
    assert shift and shift[0] != 0
    np.testing.assert_array_equal(np.roll(plain["step_features"][..., 12:24], shift[0], axis=-1),
                                  shifted["step_features"][..., 12:24])


def test_song_without_drums_cannot_be_a_training_item() -> None:
    """A generation-only encoding (no drums) in a training set is a programming error, reported clearly."""
    from tests.builders import tiny_codebook

    no_drums = encode_song(
        read_midi(song_bytes(notes_from_steps(riff(4), length_steps=2))), CONFIG, with_drums=False, name="dry"
    )
    with pytest.raises(ValueError, match="dry"):
        BarDataset([bar_song(no_drums, FeatureSpec.current(4))], tiny_codebook())


def test_collate_pads_songs_to_the_longest(bar_songs: list) -> None:
    """Shorter songs are padded: no valid bar or step, groove id -1 (ignored by the loss), lengths say where each
    song ends."""
    from tests.builders import tiny_codebook

    dataset = BarDataset(bar_songs, tiny_codebook())
    lengths = dataset.lengths()
    short, long = int(np.argmin(lengths)), int(np.argmax(lengths))
    batch = collate_bars([dataset[short], dataset[long]])
    n_short, n_long = int(lengths[short]), int(lengths[long])
    assert tuple(batch.step_features.shape[:2]) == (2, n_long)
    assert batch.lengths.tolist() == [n_short, n_long]
    assert (batch.bar_steps[0, n_short:] == 0).all() and not batch.step_mask[0, n_short:].any()
    assert (batch.groove_ids[0, n_short:] == -1).all() and (batch.hits[0, n_short:] == 0).all()
    assert batch.to("cpu").lengths.tolist() == [n_short, n_long]


def test_folds_cover_every_song_once_and_are_stable() -> None:
    fake = _fake_songs(500)
    folds = [fold_of(s, 5, 1234) for s in fake]
    assert set(folds) == {0, 1, 2, 3, 4} and all(60 < folds.count(k) < 140 for k in range(5))
    assert [fold_of(s, 5, 1234) for s in reversed(fake)] == folds[::-1]


def _lengths(count: int = 300, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(16, 257, size=count)


def test_batches_depend_only_on_seed_and_epoch() -> None:
    """The batch order is a function of (seed, epoch): a resumed run sees the same batches, and each epoch a new
    order."""
    lengths = _lengths()
    first, second = BucketBatchSampler(lengths, 16, 2048, seed=5), BucketBatchSampler(lengths, 16, 2048, seed=5)
    first.set_epoch(3)
    second.set_epoch(3)
    assert first.batches() == second.batches() == list(first)
    second.set_epoch(4)
    assert second.batches() != first.batches()
    assert (
        BucketBatchSampler(lengths, 16, 2048, seed=6).batches()
        != BucketBatchSampler(lengths, 16, 2048, seed=5).batches()
    )
    fixed = BucketBatchSampler(lengths, 16, 2048, seed=5, shuffle=False)
    assert fixed.batches() == BucketBatchSampler(lengths, 16, 2048, seed=99, shuffle=False).batches()


@pytest.mark.parametrize(
    "batch_size, max_tokens",
    [(16, 2048), (4, 100_000), (64, 600)],
    ids=["both-limits", "batch-size-limited", "token-limited"],
)
def test_batches_use_every_item_once_within_the_limits(batch_size: int, max_tokens: int) -> None:
    """Every chunk is in exactly one batch per epoch; a batch holds <= batch_size chunks and, padded to its
    longest, <= max_tokens steps (unless one chunk alone is longer)."""
    lengths = _lengths()
    sampler = BucketBatchSampler(lengths, batch_size, max_tokens, seed=1)
    batches = sampler.batches()
    assert sorted(i for batch in batches for i in batch) == list(range(len(lengths)))
    assert len(sampler) == len(batches)
    for batch in batches:
        assert 1 <= len(batch) <= batch_size
        assert len(batch) == 1 or lengths[batch].max() * len(batch) <= max_tokens


def test_batches_group_similar_lengths() -> None:
    """Bucketing keeps padding low: padded steps are a small share compared with random batches."""
    lengths = _lengths(1000)
    batches = BucketBatchSampler(lengths, 16, 10**6, seed=0).batches()
    padded = sum(lengths[b].max() * len(b) for b in batches)
    rng = np.random.default_rng(0)
    random_batches = np.array_split(rng.permutation(len(lengths)), len(batches))
    random_padded = sum(lengths[b].max() * len(b) for b in random_batches)
    assert padded < 0.75 * random_padded


# ---------------------------------------------------------------------------------------------- real data


@pytest.mark.needs_data
@pytest.mark.slow
def test_real_folder_uses_at_least_95_percent_of_songs(
    data_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """On the real data set, at least 95% of the files must become training songs (the parser, guitar detection
    and drum mapping work on real exports, not just on files made here)."""
    cache = tmp_path_factory.mktemp("real_cache")
    corpus = build_corpus(data_dir, DataConfig(), cache_dir=cache, workers=2, progress=False)
    report = corpus.report
    assert report["songs_used"] >= 0.95 * report["files"], report["skipped_by_reason"]
    assert report["validation_songs"] > 0 and report["bars"] > report["songs_used"]
    assert all(count > 0 for count in report["hits_per_class"].values())


def test_default_cache_is_in_the_user_cache_not_the_data_folder(tmp_path, monkeypatch) -> None:
    """Without --cache nothing is written into the data folder (it may be read-only or shared): the cache goes to
    $XDG_CACHE_HOME/seq2drum."""
    from seq2drum.training.cache import default_cache_dir

    folder = tmp_path / "songs"
    folder.mkdir()
    (folder / "a.mid").write_bytes(rock_song_bytes(4))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "seq2drum"
    build_corpus(folder, CONFIG, workers=1, progress=False)
    assert [p.name for p in folder.iterdir()] == ["a.mid"]
    assert len(list((tmp_path / "xdg" / "seq2drum").glob("*.npz"))) == 1
