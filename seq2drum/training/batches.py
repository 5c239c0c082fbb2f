"""Training batches: a song's bars as items (long songs cut into pieces, transposed at random when asked), padded
into `BarBatch` tensors, and grouped by length into batches in an order fixed by (seed, epoch).

Pure numpy until `collate_bars` and the transposition draw, which import torch when they run: the corpus and its
cache stay importable without it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from seq2drum.config import TrainConfig
from seq2drum.groove import drummed_structure
from seq2drum.midi.roles import BAND_ROLES
from seq2drum.model.heard import heard_drums
from seq2drum.parts.codes import drummer_codes
from seq2drum.song.columns import drop_roles, transpose


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
    heard: Any = None  # (B, N, W) float32 the drums each bar hears (model/heard.py); W = 0 for a model that hears none
    parts: Any = None  # (B, N, C) float32 the part each bar is played in (parts/codes.py); C = 0: the model hears none

    def to(self, device: Any) -> BarBatch:
        return BarBatch(*(None if getattr(self, f) is None else getattr(self, f).to(device, non_blocking=True)
                          for f in self.__dataclass_fields__))


# What a decoder that hears drums is trained to hear, per item: nothing (generation's first pass, a song with no
# drums given), the first two drummed bars (a user's primed input, prime_split.py's bars), or every bar before it
# (teacher forcing, as generation's second pass hears the drums it chose), with a tenth of the hits left out so
# that the model does not copy the bar before blindly
HEARD_NONE, HEARD_PRIMED, HEARD_ALL = 0, 1, 2
HEARD_MODE_SHARES = (0.4, 0.3, 0.3)
HEARD_HIT_DROPOUT = 0.1
# a live model hears its own drums of the bar before at every bar but the first (a groove clip, or none): mostly every
# bar heard in training, validated so; its "primed" items hear every bar too, and the song's first groove bar before
# the first bar, as a --groove clip is heard live
LIVE_HEARD_MODE_SHARES = (0.1, 0.1, 0.8)
PRIME_MIN_HITS = 4  # prime_split.py's first drummed bar: 4 or more drum notes
# a model that hears the part (parts/codes.py) hears the drummer's; an item hears none with the first probability, a
# run of bars in one code of the rest none with the second, so that the network also plays where no plan is made (the
# guitar alone, a style) and does not learn that every bar has a known part
PART_ITEM_DROPOUT, PART_PHRASE_DROPOUT = 0.1, 0.05


def primed_bars(hits: np.ndarray) -> np.ndarray:
    """(N,) bool: the first bar with PRIME_MIN_HITS or more hits and the bar after it (none when no bar has)."""
    known = np.zeros(len(hits), dtype=bool)
    drummed = np.flatnonzero(hits.reshape(len(hits), -1).sum(axis=1) >= PRIME_MIN_HITS)
    if len(drummed):
        known[drummed[0] : drummed[0] + 2] = True
    return known


def item_bars(song: Any, max_bars: int, max_notes: int = 0) -> list[tuple[int, int]]:
    """A song's training items as bar ranges [start, end): pieces of `max_bars`, and with `max_notes` also cut at
    the bar where the notes of the listened parts would pass it (a bar over it alone is an item of its own)."""
    if not max_notes or song.notes is None:
        return [(start, min(song.n_bars, start + max_bars)) for start in range(0, song.n_bars, max_bars)]
    items, start, count = [], 0, 0
    for bar, notes in enumerate(song.notes.tolist()):
        if bar > start and (count + notes > max_notes or bar - start >= max_bars):
            items.append((start, bar))
            start, count = bar, 0
        count += notes
    if song.n_bars > start:
        items.append((start, song.n_bars))
    return items


class BarDataset:
    """Training items: each song's bars (songs longer than `max_bars` cut into consecutive pieces), with the
    codebook ids of its real bars computed once. With `transpose`, each item is shifted by a random number of
    semitones (-5..+6) when drawn: the song's pitch classes and register move, the drums stay; with `role_dropout`,
    each band role is left out of an item with that probability (the guitar never is). Both are drawn from torch's
    generator, whose state the training checkpoint keeps, so a resumed run draws the same. With `hear_drums`, each item
    carries the drums its bars hear (`heard`): drawn per item among HEARD_MODE_SHARES, or, with `fixed_heard` (the
    validation items), in turn by item index, so that validation losses compare from epoch to epoch; with `live`, drawn
    among LIVE_HEARD_MODE_SHARES, validated hearing every bar."""

    def __init__(self, songs: Sequence[Any], codebook: Any, max_bars: int = 256, transpose: bool = False,
                 role_dropout: float = 0.0, hear_drums: bool = False, fixed_heard: bool = False,
                 max_notes: int = 0, live: bool = False,
                 guitar_alone_share: float = TrainConfig.guitar_alone_share, hear_part: bool = False) -> None:
        self.songs = list(songs)
        self.live = live
        self.heard_shares = LIVE_HEARD_MODE_SHARES if live else HEARD_MODE_SHARES
        self.transpose = transpose
        self.role_dropout = role_dropout
        self.guitar_alone_share = guitar_alone_share
        self.hear_drums = hear_drums
        self.fixed_heard = fixed_heard
        for song in self.songs:
            if song.hits is None:
                raise ValueError(f"song {song.name!r} has no drums to train on")
        self.groove_ids = [codebook.assign(song.hits, song.bar_steps) for song in self.songs]
        self.structure = [drummed_structure(song) for song in self.songs]
        self.parts = [drummer_codes(song) if hear_part else np.zeros((song.n_bars, 0), dtype=np.float32)
                      for song in self.songs]
        self.items: list[tuple[int, int, int]] = []  # (song index, first bar, end bar)
        for index, song in enumerate(self.songs):
            self.items += [(index, start, end) for start, end in item_bars(song, max_bars, max_notes)]

    def __len__(self) -> int:
        return len(self.items)

    def _augment(self, step_features: np.ndarray, bar_features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The item transposed (when asked) and with each band role dropped with probability `role_dropout`, drawn
        from torch's generator (its state is in the training checkpoint: a resumed run draws the same)."""
        import torch

        if self.transpose:
            shift = int(torch.randint(-5, 7, ()).item())
            if shift:
                step_features, bar_features = transpose(step_features, bar_features, shift)
        if self.role_dropout > 0:
            draws = torch.rand(len(BAND_ROLES) + 1).tolist()
            # the guitar alone as often as `guitar_alone_share`: with each role dropped on its own, a song with three
            # band roles was heard without them one time in eight, and the guitar-alone input scored below the
            # guitar-only model's (0.432 against 0.445 on the validation songs, ../shared/scoring)
            alone = draws[-1] < self.guitar_alone_share
            dropped = [role for role, draw in zip(BAND_ROLES, draws) if alone or draw < self.role_dropout]
            if dropped:
                step_features, bar_features = drop_roles(step_features, bar_features, dropped)
        return step_features, bar_features

    def _heard(self, index: int, hits: np.ndarray) -> np.ndarray:
        """The drums the item's bars hear (see HEARD_MODE_SHARES), or (N, 0) for a model that hears none."""
        if not self.hear_drums:
            return np.zeros((len(hits), 0), dtype=np.float32)
        import torch

        if self.fixed_heard:
            mode = index % len(HEARD_MODE_SHARES) if self.heard_shares == HEARD_MODE_SHARES else HEARD_ALL
        else:
            draw = float(torch.rand(()).item())
            mode = int(np.searchsorted(np.cumsum(self.heard_shares), draw, side="right"))
        if mode == HEARD_NONE:
            return heard_drums(hits, np.zeros(len(hits), dtype=bool))
        if mode == HEARD_PRIMED and not self.live:
            return heard_drums(hits, primed_bars(hits))
        kept = torch.rand(hits.shape).numpy() >= HEARD_HIT_DROPOUT if not self.fixed_heard else True
        groove = np.flatnonzero(primed_bars(hits))[:1] if mode == HEARD_PRIMED else []  # live: a groove clip
        return heard_drums(hits & kept, np.ones(len(hits), dtype=bool), hits[groove[0]] if len(groove) else None)

    def _parts(self, index: int, codes: np.ndarray) -> np.ndarray:
        """The parts the item's bars hear (see PART_ITEM_DROPOUT): drawn from torch's generator, or, with
        `fixed_heard` (validation), none in every third item."""
        if not codes.shape[1]:
            return codes
        import torch

        if self.fixed_heard:
            return codes if index % 3 else np.zeros_like(codes)
        if float(torch.rand(()).item()) < PART_ITEM_DROPOUT:
            return np.zeros_like(codes)
        phrase = np.concatenate([[0], np.cumsum(np.abs(np.diff(codes, axis=0)).sum(axis=1) > 0)])  # (N,) runs
        dropped = (torch.rand(int(phrase[-1]) + 1) < PART_PHRASE_DROPOUT).numpy()
        return np.where(dropped[phrase][:, None], 0.0, codes).astype(np.float32)

    def lengths(self) -> np.ndarray:
        return np.array([end - start for _, start, end in self.items], dtype=np.int64)

    def __getitem__(self, index: int) -> dict[str, np.ndarray]:
        song_index, start, end = self.items[index]
        song = self.songs[song_index]
        part = slice(start, end)
        step_features = song.step_features[part]
        bar_features = song.bar_features[part]
        if self.transpose or self.role_dropout > 0:
            step_features, bar_features = self._augment(step_features, bar_features)
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
            "heard": self._heard(index, song.hits[part]),
            "parts": self._parts(index, self.parts[song_index][part]),
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
        heard=pad("heard", 0.0, np.float32),
        parts=pad("parts", 0.0, np.float32),
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
            [part[np.argsort(self.lengths[part], kind="stable")]
             for part in np.array_split(order, max(1, len(order) // chunk))]
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
