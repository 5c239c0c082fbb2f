"""Grid sequences to model inputs and targets: guitar step features, position features, song features, and the
drum vocabulary (one id per combination of drum classes hit at a step) with velocity and microtiming bins.

Pure numpy; `data.py` turns these arrays into tensors. The groove of a song cannot be read off the guitar's onset
rhythm alone, so the features carry pitch content (onset and sounding chroma), register, chord size, dynamics,
articulation, bar-level section cues (density relative to the song, repeats, change from the previous bar) and a
song-level summary (program, density, key profile, tempo, meter) that every step sees.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

import numpy as np

from .drums import NUM_DRUM_CLASSES
from .midi_io import END, PITCH, START, VELOCITY
from .representation import BAR_DENOMINATOR, BAR_NUMERATOR, BAR_START, BAR_STEPS, Grid

N_GUITAR_FEATURES = 37
N_POSITION_FEATURES = 60
N_SONG_FEATURES = 33
SRC_DIM = N_GUITAR_FEATURES + N_POSITION_FEATURES + N_SONG_FEATURES

VELOCITY_BINS = 8  # uniform over MIDI velocity 1-127
OFFSET_BINS = 9  # uniform over [-0.5, 0.5) steps; the middle bin is centred on the grid
_NUMERATORS = (2, 3, 4, 5, 6, 7, 9, 12)
_DENOMINATORS = (2, 4, 8, 16)
_MAX_STEP_IN_BAR = 32
_MAX_STEP_IN_BEAT = 6


# ---------------------------------------------------------------------------------------------- guitar


def guitar_features(notes: np.ndarray, grid: Grid) -> np.ndarray:
    """(n_steps, N_GUITAR_FEATURES) float32: what the guitar does at each step, and in its bar."""
    n_steps = grid.n_steps
    features = np.zeros((n_steps, N_GUITAR_FEATURES), dtype=np.float32)
    if not len(notes):
        features[:, 35] = 1.0  # every bar silent
        return features
    start_step, _ = grid.quantize(notes[:, START])
    end_step, _ = grid.quantize(notes[:, END])
    start_step = np.clip(start_step, 0, n_steps - 1)
    end_step = np.clip(np.maximum(end_step, start_step + 1), 1, n_steps)
    pitch = notes[:, PITCH]
    pitch_class = pitch % 12
    velocity = notes[:, VELOCITY].astype(np.float32)
    duration = (end_step - start_step).astype(np.float32)

    features[start_step, pitch_class] = 1.0  # onset chroma
    sounding = np.zeros((n_steps + 1, 12), dtype=np.int32)  # sounding chroma, via a difference array
    np.add.at(sounding, (start_step, pitch_class), 1)
    np.add.at(sounding, (end_step, pitch_class), -1)
    features[:, 12:24] = np.cumsum(sounding, axis=0)[:n_steps] > 0
    onset_count = np.bincount(start_step, minlength=n_steps).astype(np.float32)
    voices = np.zeros(n_steps + 1, dtype=np.int32)
    np.add.at(voices, start_step, 1)
    np.add.at(voices, end_step, -1)
    features[:, 24] = np.minimum(onset_count / 4.0, 2.0)
    features[:, 25] = np.minimum(np.cumsum(voices)[:n_steps] / 6.0, 2.0)
    has_onset = onset_count > 0
    low = np.full(n_steps, 127, dtype=np.int64)
    high = np.zeros(n_steps, dtype=np.int64)
    np.minimum.at(low, start_step, pitch)
    np.maximum.at(high, start_step, pitch)
    features[has_onset, 26] = (low[has_onset] - 52) / 24.0
    features[has_onset, 27] = (high[has_onset] - 52) / 24.0
    features[:, 28] = has_onset
    loudest = np.zeros(n_steps, dtype=np.float32)
    np.maximum.at(loudest, start_step, velocity)
    features[:, 29] = loudest / 127.0
    duration_sum = np.bincount(start_step, weights=np.log2(1.0 + duration), minlength=n_steps)
    features[has_onset, 30] = duration_sum[has_onset] / onset_count[has_onset] / 4.0
    features[has_onset, 31] = (high[has_onset] - low[has_onset]) / 24.0

    # bar level: density against the song, loudness, repeats and change (section cues)
    bar_starts = grid.bars[:, BAR_START]
    bar_steps = grid.bars[:, BAR_STEPS]
    bar_onsets = np.add.reduceat(onset_count, bar_starts)
    bar_velocity = np.add.reduceat(loudest * has_onset, bar_starts) / np.maximum(np.add.reduceat(has_onset, bar_starts), 1)
    playing = bar_onsets > 0
    mean_onsets = bar_onsets[playing].mean() if playing.any() else 1.0
    chroma = np.add.reduceat(features[:, 0:12], bar_starts, axis=0)
    norms = np.linalg.norm(chroma, axis=1) + 1e-6
    previous = np.vstack([np.zeros((1, 12), dtype=np.float32), chroma[:-1]])
    similarity = (chroma * previous).sum(axis=1) / (norms * (np.linalg.norm(previous, axis=1) + 1e-6))
    repeats = np.zeros(grid.n_bars, dtype=np.float32)
    seen: set[bytes] = set()
    bar_of_note = np.searchsorted(bar_starts, start_step, side="right") - 1
    rel_step = start_step - bar_starts[bar_of_note]
    pattern_order = np.lexsort((pitch, rel_step, bar_of_note))
    patterns: dict[int, list[int]] = {}
    for index in pattern_order.tolist():
        patterns.setdefault(int(bar_of_note[index]), []).extend((int(rel_step[index]), int(pitch[index])))
    for bar in range(grid.n_bars):
        key = np.array(patterns.get(bar, []), dtype=np.int16).tobytes()
        if bar in patterns:
            repeats[bar] = key in seen
            seen.add(key)
    per_bar = np.stack(
        [
            np.minimum(bar_onsets / mean_onsets, 4.0) / 2.0,
            bar_velocity / 127.0,
            repeats,
            ~playing,
            similarity,
        ],
        axis=1,
    ).astype(np.float32)
    features[:, 32:37] = np.repeat(per_bar, bar_steps, axis=0)
    return features


def song_features(notes: np.ndarray, grid: Grid, programs: Iterable[int], n_guitar_parts: int) -> np.ndarray:
    """(N_SONG_FEATURES,) float32: a summary of the whole guitar part, the same for every step of the song."""
    features = np.zeros(N_SONG_FEATURES, dtype=np.float32)
    programs = list(programs)
    for program in programs:
        slot = program - 24 if 24 <= program <= 31 else 8
        features[slot] += 1.0 / max(1, len(programs))
    features[9] = min(n_guitar_parts, 4) / 4.0
    tempo = grid.tempo_bpm()
    features[10] = float(np.log2(np.median(tempo) / 120.0))
    numerators = np.repeat(grid.bars[:, BAR_NUMERATOR], grid.bars[:, BAR_STEPS])
    features[11] = float((numerators % 3 == 0).mean())
    if not len(notes):
        return features
    start_step, _ = grid.quantize(notes[:, START])
    onset_steps = np.unique(start_step)
    onsets_per_bar = len(notes) / max(1, grid.n_bars)
    features[12] = min(onsets_per_bar / 16.0, 4.0)
    per_step = np.bincount(np.clip(start_step, 0, None))
    per_step = per_step[per_step > 0]
    features[13] = float((per_step >= 3).mean())
    velocity = notes[:, VELOCITY].astype(np.float32)
    features[14] = velocity.mean() / 127.0
    features[15] = velocity.std() / 64.0
    pitch = notes[:, PITCH].astype(np.float32)
    features[16] = (pitch.mean() - 52.0) / 24.0
    features[17] = pitch.std() / 12.0
    end_step, _ = grid.quantize(notes[:, END])
    features[18] = float(np.log2(1.0 + np.maximum(end_step - start_step, 1)).mean() / 4.0)
    level = grid.metrical_level()
    in_range = onset_steps[(onset_steps >= 0) & (onset_steps < grid.n_steps)]
    features[19] = float((level[in_range] == 3).mean()) if len(in_range) else 0.0
    histogram = np.bincount(notes[:, PITCH] % 12, minlength=12).astype(np.float32)
    features[20:32] = histogram / histogram.sum()
    features[32] = float(len(onset_steps) / max(1, grid.n_steps))
    return features


def position_features(grid: Grid) -> np.ndarray:
    """(n_steps, N_POSITION_FEATURES) float32: where each step sits in its bar, beat, meter, tempo and the song."""
    n_steps = grid.n_steps
    features = np.zeros((n_steps, N_POSITION_FEATURES), dtype=np.float32)
    rows = np.arange(n_steps)
    in_bar = grid.step_in_bar()
    features[rows, np.minimum(in_bar, _MAX_STEP_IN_BAR - 1)] = 1.0
    column = _MAX_STEP_IN_BAR
    features[rows, column + grid.metrical_level()] = 1.0
    column += 4
    in_beat = in_bar % grid.beat_steps()
    features[rows, column + np.minimum(in_beat, _MAX_STEP_IN_BEAT - 1)] = 1.0
    column += _MAX_STEP_IN_BEAT
    bar_length = np.repeat(grid.bars[:, BAR_STEPS], grid.bars[:, BAR_STEPS])
    phase = 2 * np.pi * in_bar / bar_length
    features[:, column] = np.sin(phase)
    features[:, column + 1] = np.cos(phase)
    column += 2
    numerator = np.repeat(grid.bars[:, BAR_NUMERATOR], grid.bars[:, BAR_STEPS])
    denominator = np.repeat(grid.bars[:, BAR_DENOMINATOR], grid.bars[:, BAR_STEPS])
    numerator_slot = np.array([_NUMERATORS.index(n) if n in _NUMERATORS else len(_NUMERATORS) for n in range(65)])
    features[rows, column + numerator_slot[np.minimum(numerator, 64)]] = 1.0
    column += len(_NUMERATORS) + 1
    features[:, column] = (denominator >= 8) & (numerator % 3 == 0) & (numerator > 3)
    column += 1
    denominator_slot = np.array([_DENOMINATORS.index(d) if d in _DENOMINATORS else 3 for d in range(65)])
    features[rows, column + denominator_slot[np.minimum(denominator, 64)]] = 1.0
    column += len(_DENOMINATORS)
    features[:, column] = np.log2(grid.tempo_bpm() / 120.0)
    features[:, column + 1] = rows / max(1, n_steps - 1)
    assert column + 2 == N_POSITION_FEATURES
    return features


def source_features(guitar: np.ndarray, position: np.ndarray, song: np.ndarray) -> np.ndarray:
    """(n_steps, SRC_DIM) float32: the encoder's input, the song summary repeated on every step."""
    return np.concatenate([guitar, position, np.broadcast_to(song, (len(guitar), len(song)))], axis=1, dtype=np.float32)


# ---------------------------------------------------------------------------------------------- drums


def hit_masks(hits: np.ndarray) -> np.ndarray:
    """(n_steps,) int64 bit mask of the drum classes hit at each step (bit c = drum_class c)."""
    return (hits.astype(np.int64) << np.arange(NUM_DRUM_CLASSES)).sum(axis=1)


def velocity_to_bin(velocity: np.ndarray) -> np.ndarray:
    return np.clip((velocity.astype(np.int64) - 1) * VELOCITY_BINS // 127, 0, VELOCITY_BINS - 1)


def bin_to_velocity(bins: np.ndarray, jitter: np.ndarray | float = 0.5) -> np.ndarray:
    """Velocity of a bin; `jitter` in [0, 1) places it inside the bin (0.5 = the centre)."""
    return np.clip(np.round(1 + (bins + jitter) * 127 / VELOCITY_BINS), 1, 127).astype(np.int64)


def offset_to_bin(offset: np.ndarray) -> np.ndarray:
    return np.clip(np.floor((offset + 0.5) * OFFSET_BINS), 0, OFFSET_BINS - 1).astype(np.int64)


def bin_to_offset(bins: np.ndarray, jitter: np.ndarray | float = 0.5) -> np.ndarray:
    """Offset in steps of a bin; the middle bin's centre is exactly on the grid."""
    return ((bins + jitter) / OFFSET_BINS - 0.5).astype(np.float32)


class DrumVocab:
    """One id per combination of drum classes hit at a step, most frequent first.

    Ids 0 and 1 are padding and begin-of-song. Combinations never seen in training map to the known combination
    that shares the most hits with them (ties: the more frequent one), so encoding never fails.
    """

    PAD = 0
    BOS = 1
    N_SPECIAL = 2

    def __init__(self, masks: Iterable[int]) -> None:
        self.masks: list[int] = [int(m) for m in masks]
        if len(set(self.masks)) != len(self.masks) or not all(0 <= m < 2**NUM_DRUM_CLASSES for m in self.masks):
            raise ValueError("drum vocabulary masks must be distinct 9-bit integers")
        if 0 not in self.masks:
            self.masks.insert(0, 0)  # "no hit" is always a token
        lookup = np.full(2**NUM_DRUM_CLASSES, -1, dtype=np.int64)
        lookup[self.masks] = np.arange(len(self.masks)) + self.N_SPECIAL
        all_masks = np.arange(2**NUM_DRUM_CLASSES)
        known = np.array(self.masks)
        shared = _popcount(all_masks[:, None] & known[None, :]) - _popcount(all_masks[:, None] ^ known[None, :]) * 0.5
        nearest = known[np.argmax(shared - np.arange(len(known))[None, :] * 1e-6, axis=1)]
        self._lookup = np.where(lookup >= 0, lookup, lookup[nearest])

    @classmethod
    def build(cls, mask_sequences: Iterable[np.ndarray], min_count: int = 1) -> DrumVocab:
        counts: Counter[int] = Counter()
        for masks in mask_sequences:
            counts.update(np.asarray(masks).tolist())
        return cls(mask for mask, count in counts.most_common() if count >= min_count)

    def __len__(self) -> int:
        return len(self.masks) + self.N_SPECIAL

    def encode(self, masks: np.ndarray) -> np.ndarray:
        """Bit masks (n,) -> token ids (n,)."""
        return self._lookup[np.asarray(masks, dtype=np.int64)]

    def decode(self, ids: np.ndarray) -> np.ndarray:
        """Token ids (n,) -> hits (n, 9) bool; PAD and BOS decode to no hit."""
        return self.hit_table()[np.asarray(ids, dtype=np.int64)].astype(bool)

    def hit_table(self) -> np.ndarray:
        """(len(self), 9) float32: the classes each id plays."""
        table = np.zeros((len(self), NUM_DRUM_CLASSES), dtype=np.float32)
        masks = np.array(self.masks, dtype=np.int64)
        table[self.N_SPECIAL :] = (masks[:, None] >> np.arange(NUM_DRUM_CLASSES)) & 1
        return table

    def to_dict(self) -> dict[str, Any]:
        return {"masks": list(self.masks)}

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> DrumVocab:
        return cls(values["masks"])

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DrumVocab) and self.masks == other.masks

    def __repr__(self) -> str:
        return f"DrumVocab({len(self.masks)} combinations + PAD, BOS)"


def _popcount(values: np.ndarray) -> np.ndarray:
    bits = np.zeros(values.shape, dtype=np.int64)
    for shift in range(NUM_DRUM_CLASSES):
        bits += (values >> shift) & 1
    return bits
