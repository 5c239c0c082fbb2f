"""Training batches: items hold each song's bars and codebook ids, transposition moves the guitar not the drums,
padding, and batch order fixed by (seed, epoch); if these break, training sees wrong or unrepeatable batches."""

from __future__ import annotations


import numpy as np
import pytest

from seq2drum.midi.io import read_midi
from seq2drum.song.bars import FeatureSpec, bar_song
from seq2drum.song.encode import EncodedSong, encode_song
from seq2drum.training.batches import BarDataset, BucketBatchSampler, collate_bars
from tests.builders import notes_from_steps, riff, rock_song_bytes, song_bytes
from tests.corpus_songs import CONFIG, encoded, intro_song_bytes, waltz_bytes


@pytest.fixture(scope="module")
def songs() -> list[EncodedSong]:
    return [
        encoded(rock_song_bytes(8), name="rock"),
        encoded(waltz_bytes(8), name="waltz"),
        encoded(intro_song_bytes(2, 8), name="intro"),
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


def test_items_are_cut_at_bars_to_a_note_budget() -> None:
    """The design's 150-note items: cut where the next bar would pass the budget; a bar over it alone is an item."""
    from types import SimpleNamespace

    from seq2drum.training.batches import item_bars

    song = SimpleNamespace(n_bars=6, notes=np.array([60, 60, 40, 200, 10, 10]))
    assert item_bars(song, 256, 150) == [(0, 2), (2, 3), (3, 4), (4, 6)]
    assert item_bars(song, 4) == [(0, 4), (4, 6)]
    assert item_bars(song, 3, 1000) == [(0, 3), (3, 6)]
