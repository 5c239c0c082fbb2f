"""The groove codebook (groove.codebook `GrooveCodebook`) learned from the training songs' bars, and the menu of loops
later takes choose from: what `--mode train` builds once, before the network, and the checkpoint keeps.

Bars are grouped by length in steps, and the distinct patterns of each length are clustered with weighted k-medoids
(weight = how often the pattern is played) under the distance 1 - F1 between the two patterns' (step, drum class)
cells, the measure the drums are scored by. Only the most played distinct patterns take part in the clustering (a
full distance matrix over every distinct bar would need gigabytes); the rest are assigned to their nearest entry.
Each entry keeps the mean velocity and microtiming of the bars assigned to it. Pure numpy.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import replace

import numpy as np

from seq2drum import arrays
from seq2drum.groove import GrooveCodebook, pattern_f1
from seq2drum.midi.drums import NUM_DRUM_CLASSES

TAKE_MENU_SIZE = 7  # loops per bar length that later takes choose from (take 1 chooses from the whole codebook)


def build_codebook(bars: Iterable[tuple[np.ndarray, np.ndarray, np.ndarray]], max_steps: int, size: int = 384,
                   max_candidates: int = 2000, min_bars: int = 8, seed: int = 0) -> GrooveCodebook:
    """The codebook of bars as (hits (n_steps, 9) bool, velocity (n_steps, 9), offset (n_steps, 9)), n_steps <=
    max_steps.

    Each length gets a share of `size` entries by how many bars have it (at least 2 when it has `min_bars`
    bars, always including the empty bar, so resting is a choice); rarer lengths get none.
    """
    by_length, stats = _count_patterns(bars, max_steps)
    total = sum(sum(c.values()) for c in by_length.values())
    entries: list[tuple[int, np.ndarray, int, np.ndarray, np.ndarray]] = []
    rng = np.random.default_rng(seed)
    for n_steps in sorted(by_length):
        counter = by_length[n_steps]
        n_bars = sum(counter.values())
        if n_bars < min_bars:
            continue
        k = max(2, int(round(size * n_bars / max(1, total))))
        entries += _cluster_length(counter, stats, n_steps, k, max_candidates, rng)
    return GrooveCodebook.from_entries(entries, max_steps)


def with_take_menu(codebook: GrooveCodebook, songs: list[tuple[np.ndarray, np.ndarray]],
                   size: int = TAKE_MENU_SIZE) -> GrooveCodebook:
    """A copy of `codebook` whose `menu_rank` marks, per bar length, up to `size` entries chosen greedily so that
    looping the best of them covers the training songs best: the first maximises the mean song F1 of the loop, each
    next one the mean of the best so far or it (the "menu of loops" that a chooser who knows the song picks from).
    Later takes choose their grooves from this menu. `songs`: (hits (n, S, 9) bool, bar_steps (n,)) of the bars
    each training song plays."""
    menu_rank = np.full(len(codebook), -1, dtype=np.int64)
    flat = codebook.patterns.reshape(len(codebook), -1).astype(np.float64)
    sizes = flat.sum(axis=1)
    matched = np.zeros((len(songs), len(codebook)))  # hits each entry, looped, would share with the song
    played = np.zeros((len(songs), len(codebook)))  # hits each entry, looped, would play
    real = np.zeros(len(songs))
    for index, (hits, bar_steps) in enumerate(songs):
        real[index] = hits.sum()
        for length in arrays.distinct(bar_steps):
            rows = bar_steps == length
            entries = codebook.entries_of_length(int(length))
            column = hits[rows].sum(axis=0).reshape(-1).astype(np.float64)
            matched[index, entries] = flat[entries] @ column
            played[index, entries] = sizes[entries] * rows.sum()
    for length in arrays.distinct(codebook.bar_steps):
        entries = codebook.entries_of_length(int(length))
        entries = entries[sizes[entries] > 0]
        has = played[:, entries].sum(axis=1) > 0 if len(entries) else np.zeros(len(songs), dtype=bool)
        if not has.any():
            continue
        f1 = 2 * matched[np.ix_(has, entries)] / np.maximum(played[np.ix_(has, entries)] + real[has, None], 1e-9)
        best = np.zeros(int(has.sum()))
        for rank in range(min(size, len(entries))):
            covered = np.maximum(f1, best[:, None]).mean(axis=0)
            covered[menu_rank[entries] >= 0] = -np.inf
            pick = int(np.argmax(covered))
            if covered[pick] <= best.mean() + 1e-12:
                break
            menu_rank[entries[pick]] = rank
            best = np.maximum(best, f1[:, pick])
    return replace(codebook, menu_rank=menu_rank)


_Stats = dict[tuple[int, bytes], list[np.ndarray]]  # (length, packed pattern) -> [velocity sum, offset sum]


def _count_patterns(bars: Iterable[tuple[np.ndarray, np.ndarray, np.ndarray]],
                    max_steps: int) -> tuple[dict[int, Counter[bytes]], _Stats]:
    """How often each distinct pattern is played, by bar length, and its summed velocity and offset."""
    by_length: dict[int, Counter[bytes]] = {}
    stats: _Stats = {}
    for hits, velocity, offset in bars:
        n_steps = len(hits)
        if not 0 < n_steps <= max_steps:
            continue
        key = np.packbits(hits.astype(bool).reshape(-1)).tobytes()
        by_length.setdefault(n_steps, Counter())[key] += 1
        zeros = (n_steps, NUM_DRUM_CLASSES)
        sums = stats.setdefault((n_steps, key), [np.zeros(zeros), np.zeros(zeros)])
        sums[0] += velocity
        sums[1] += offset
    return by_length, stats


def _cluster_length(counter: Counter[bytes], stats: _Stats, n_steps: int, k: int, max_candidates: int,
                    rng: np.random.Generator) -> list[tuple[int, np.ndarray, int, np.ndarray, np.ndarray]]:
    """The entries of one bar length: k medoids of its most played patterns (the empty bar always among them),
    each with the count, mean velocity and mean offset of the patterns nearest it."""
    keys = [key for key, _ in counter.most_common(max_candidates)]
    empty = np.packbits(np.zeros(n_steps * NUM_DRUM_CLASSES, dtype=bool)).tobytes()
    if empty not in keys:
        keys.append(empty)
    flat = np.stack([_unpack(key, n_steps) for key in keys]).reshape(len(keys), -1)
    weights = np.array([max(counter[key], 1) for key in keys], dtype=np.float64)
    distance = 1.0 - pattern_f1(flat, flat)
    medoids = weighted_kmedoids(distance, weights, min(k, len(keys)), rng)
    if len(keys) - 1 not in medoids and keys[-1] == empty:
        medoids[-1] = len(keys) - 1  # resting stays a choice
    medoids = sorted(set(medoids.tolist()))
    # every distinct pattern of this length (not only the candidates) goes to its nearest medoid
    all_keys = list(counter)
    all_flat = np.stack([_unpack(key, n_steps) for key in all_keys]).reshape(len(all_keys), -1)
    nearest = np.argmax(pattern_f1(all_flat, flat[medoids]), axis=1)
    entries = []
    for slot, medoid in enumerate(medoids):
        members = [all_keys[i] for i in np.flatnonzero(nearest == slot)]
        count = sum(counter[m] for m in members)
        pattern = flat[medoid].reshape(n_steps, NUM_DRUM_CLASSES).astype(bool)
        velocity = np.zeros((n_steps, NUM_DRUM_CLASSES))
        offset = np.zeros((n_steps, NUM_DRUM_CLASSES))
        hits = np.zeros((n_steps, NUM_DRUM_CLASSES))
        for member in members:
            sums = stats[(n_steps, member)]
            velocity += sums[0]
            offset += sums[1]
            hits += _unpack(member, n_steps) * counter[member]
        with np.errstate(invalid="ignore", divide="ignore"):
            mean_velocity = np.where(hits > 0, velocity / np.maximum(hits, 1), 0.0)
            mean_offset = np.where(hits > 0, offset / np.maximum(hits, 1), 0.0)
        entries.append((n_steps, pattern, count, mean_velocity, mean_offset))
    return entries


def _unpack(key: bytes, n_steps: int) -> np.ndarray:
    bits = np.unpackbits(np.frombuffer(key, dtype=np.uint8), count=n_steps * NUM_DRUM_CLASSES)
    return bits.reshape(n_steps, NUM_DRUM_CLASSES).astype(bool)


def weighted_kmedoids(distance: np.ndarray, weights: np.ndarray, k: int, rng: np.random.Generator,
                      iterations: int = 30) -> np.ndarray:
    """Medoid indices (k,) minimising sum(weight x distance to the nearest medoid): k-medoids++ seeding, then
    alternating assignment and per-cluster medoid update until nothing changes.

    Written here rather than taken from a package because the k-medoids packages on PyPI (kmedoids' FasterPAM,
    scikit-learn-extra) take no sample weights, and expanding every pattern by its count would multiply the matrix.
    """
    n = len(distance)
    if k >= n:
        return np.arange(n)
    first = int(np.argmax(weights))  # the most played pattern
    medoids = [first]
    nearest = distance[first].copy()
    for _ in range(1, k):
        score = weights * nearest**2
        if score.sum() <= 0:
            medoids.append(next(index for index in range(n) if index not in medoids))
        else:
            medoids.append(int(rng.choice(n, p=score / score.sum())))
        nearest = np.minimum(nearest, distance[medoids[-1]])
    medoid_array = np.array(medoids)
    for _ in range(iterations):
        assignment = np.argmin(distance[:, medoid_array], axis=1)
        updated = medoid_array.copy()
        for cluster in range(k):
            members = np.flatnonzero(assignment == cluster)
            if len(members) == 0:
                continue
            cost = (distance[np.ix_(members, members)] * weights[members][:, None]).sum(axis=0)
            updated[cluster] = members[int(np.argmin(cost))]
        if np.array_equal(updated, medoid_array):
            break
        medoid_array = updated
    return medoid_array
