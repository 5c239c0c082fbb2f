"""Which groove each bar plays: the expected gain of every codebook entry in every bar, each section's groove
(take 1's best, or for a later take the best that differs from earlier takes'), and the Viterbi pass that holds the
groove from bar to bar.

A codebook entry's gain in a bar is sum(p - lambda) over its cells (see groove.decoder for lambda). The Viterbi
pass adds `stay_bonus` for staying on the same entry from bar to bar and `section_bonus` for the section's own
groove (the entry with the highest summed gain over the bars of its label, so a chorus that comes back gets its
groove back).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from seq2drum import arrays
from seq2drum.groove.settings import (GROUPED_BAR_STEPS, GROUPED_MIN_GROOVE_BARS, LATER_TAKE_DENSITY, SHORT_BAR_STEPS,
                                      SPLIT_PART_COST, TAKES_MIN_GROOVE_BARS, TAKE_MAX_SIMILARITY)
from seq2drum.groove.codebook import GrooveCodebook, pattern_f1
from seq2drum.groove.scores import SongScores

CELLS_CACHE_SIZE = 256  # bar lengths times the sets of entries allowed (a style's, a take's) whose cells are kept


class ShortRun(NamedTuple):
    """The run of short bars just before the bars being decided (live: those played; offline: none): how many bars of
    `length` steps, the grouped entry they were playing, and whether a run may go on past the bars given (live, the
    next bars are not known yet, so one short bar opens a run as the song's first of many would offline)."""

    bars: int = 0
    length: int = 0
    entry: int = -1
    open: bool = False

    def after(self, entry: int, length: int) -> ShortRun:
        """The run after one more bar of `length` steps that played a part of `entry` (-1: no short bar, no run)."""
        if entry < 0:
            return ShortRun(open=self.open)
        return ShortRun(self.bars + 1 if self.length == length else 1, length, entry, self.open)


class GrooveGains:
    """Gains and section grooves over one codebook, with the entries each kind of take may choose from."""

    def __init__(self, codebook: GrooveCodebook, min_groove_bars: int) -> None:
        self.codebook = codebook
        self.flat = codebook.patterns.reshape(len(codebook), -1).astype(np.float32)
        self.sizes = self.flat.sum(axis=1)
        # rare entries are often busy one-off bars that happen to match hedged probabilities cell by cell; a bar
        # drummers play often is the musical choice (the empty bar always stays: resting is a choice). Later takes
        # look further (down to TAKES_MIN_GROOVE_BARS), or a strict limit would leave them nothing different to play.
        # The limit is capped per bar length at its most played entry, so rarer meters (7/8, 5/4) keep a groove.
        # designed entries (groove.vocabulary) are a style's to play, never the model's own choice
        learned = ~codebook.designed
        most_played = {n: codebook.counts[(codebook.bar_steps == n) & learned].max(initial=0)
                       for n in arrays.distinct(codebook.bar_steps)}
        limit = np.array([min(min_groove_bars, most_played[n]) for n in codebook.bar_steps.tolist()])
        often = (codebook.counts >= limit) & learned if len(codebook) else np.zeros(0, dtype=bool)
        self.playable = often | (self.sizes == 0)
        grouped_limit = np.maximum(limit, [min(GROUPED_MIN_GROOVE_BARS, most_played[n])
                                           for n in codebook.bar_steps.tolist()])
        self.playable_grouped = ((codebook.counts >= grouped_limit) & learned) | (self.sizes == 0)
        self.playable_for_takes = (often | ((codebook.counts >= TAKES_MIN_GROOVE_BARS) & learned) | (self.sizes == 0)
                                   | (codebook.menu_rank >= 0))
        self._similarity: dict[int, np.ndarray] = {}  # pattern F1 among the entries of one length, by first entry
        # per (bar length, the entries allowed): those entries and their cells (cells, E), made once, not per call
        self._cells: dict[tuple[int, bytes], tuple[np.ndarray, np.ndarray]] = {}
        self._parts: dict[bytes, dict[int, np.ndarray]] = {}  # `split_parts`, per entries allowed
        self._no_gains = np.full((1, len(codebook)), -np.inf)  # one bar's gains before any entry's: copied, not made

    def split_parts(self, allowed: np.ndarray) -> dict[int, np.ndarray]:
        """The lengths `split_bar` may split a bar into, longest first: SHORT_BAR_STEPS (3/8) or more (shorter ones are
        pickups and fill pieces) with an entry `allowed` (K,) that plays something; per length the cells of its
        allowed entries (length * 9, E) float64. Made once per set of entries allowed, not per bar."""
        key = allowed.tobytes()
        parts = self._parts.get(key)
        if parts is None:
            if len(self._parts) >= CELLS_CACHE_SIZE:
                self._parts.clear()
            parts = {}
            for part in sorted(arrays.distinct(self.codebook.bar_steps).tolist(), reverse=True):
                patterns = self.codebook.patterns[self._entries(part, allowed), :part]
                patterns = patterns.reshape(len(patterns), part * patterns.shape[-1])
                if part >= SHORT_BAR_STEPS and patterns.any():
                    cells = patterns.T.astype(np.float64)
                    cells.setflags(write=False)
                    parts[part] = cells
            self._parts[key] = parts
        return parts

    def gains(self, p: np.ndarray, bar_steps: np.ndarray, lam: float, later_take: bool = False,
              allowed: np.ndarray | None = None) -> np.ndarray:
        """(n, K) expected gain of each entry in each bar: sum of (p - lambda) over its cells; -inf where the entry
        does not fit the bar's length or is not played often enough to be chosen (or not `allowed`, when given)."""
        playable = self.playable_for_takes if later_take else self.playable
        playable = playable if allowed is None else allowed
        n = len(p)
        flat = (p - lam).reshape(n, -1).astype(np.float32)
        if n == 1:  # the live drummer's bar: the same product, without the grouping's dozen calls
            gains = self._no_gains.copy()
            entries, cells = self._entry_cells(int(bar_steps[0]), playable)
            if len(entries):
                gains[0][entries] = (flat @ cells)[0]  # a 1-d fancy write: half the time of [0, entries]
            return gains
        gains = np.full((n, len(self.codebook)), -np.inf, dtype=np.float64)
        for length in arrays.distinct(bar_steps):
            rows = np.flatnonzero(bar_steps == length)
            entries, cells = self._entry_cells(int(length), playable)
            if len(entries):
                gains[np.ix_(rows, entries)] = flat[rows] @ cells
        return gains

    def _entry_cells(self, length: int, playable: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The entries of `length` steps that `playable` (K,) allows and their cells (cells, E), as `gains` multiplies
        them (the live drummer asks twice a bar)."""
        key = (length, playable.tobytes())
        cached = self._cells.get(key)  # one lookup: a server's threads may share the codebook
        if cached is None:
            if len(self._cells) >= CELLS_CACHE_SIZE:
                self._cells.clear()
            entries = self._entries(length, playable)
            cells = self.flat[entries].T
            entries.setflags(write=False)
            cells.setflags(write=False)
            cached = self._cells[key] = (entries, cells)
        return cached

    def short_bar_hits(self, p: np.ndarray, bar_steps: np.ndarray, lam: float, allowed: np.ndarray | None = None,
                       before: ShortRun = ShortRun()) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For runs of 2+ equal bars of at most SHORT_BAR_STEPS steps: (n,) bool the bars played as groups, (n, S, 9)
        their hits and (n,) the entry each plays a part of (-1: none), each group of k bars playing the entry of k
        times their length (GROUPED_BAR_STEPS) with the highest gain over the group's probabilities p (n, S, 9) among
        the most played entries (GROUPED_MIN_GROOVE_BARS), split back across its bars. A run that goes on from
        `before` goes on in its group: a group begun there keeps its entry."""
        n, width = len(bar_steps), p.shape[1]
        grouped = np.zeros(n, dtype=bool)
        hits = np.zeros(p.shape, dtype=bool)
        entries_played = np.full(n, -1, dtype=np.int64)
        playable = self.playable_grouped if allowed is None else allowed
        start = 0
        while start < n:
            length = int(bar_steps[start])
            end = start
            while end < n and bar_steps[end] == length:
                end += 1
            if length > SHORT_BAR_STEPS:  # no run to group (most bars)
                start = end
                continue
            group = next((m // length for m in GROUPED_BAR_STEPS
                          if m % length == 0 and m <= width and len(self._entries(m, playable))), 0)
            run_before = before.bars if start == 0 and before.length == length else 0
            is_run = end - start + run_before >= 2 or (before.open and end == n)
            if is_run and group >= 2:
                first = start
                phase = run_before % group
                if phase and before.entry >= 0:  # the rest of a group begun before these bars
                    rows = np.arange(start, min(start + group - phase, end))
                    pattern = self.codebook.patterns[before.entry, : group * length].reshape(group, length, -1)
                    hits[rows, :length] = pattern[phase: phase + len(rows)]
                    grouped[rows], entries_played[rows] = True, before.entry
                    first = int(rows[-1]) + 1
                for first in range(first, end, group):
                    rows = np.arange(first, min(first + group, end))
                    joined = p[rows, :length].reshape(-1, p.shape[2])  # the group's steps in order
                    entries = self._entries(group * length, playable)
                    cells = self.codebook.patterns[entries, : len(joined)]
                    best = entries[int(np.argmax(((joined - lam)[None] * cells).sum(axis=(1, 2))))]
                    pattern = self.codebook.patterns[best, : group * length].reshape(group, length, -1)
                    hits[rows, :length] = pattern[: len(rows)]
                    grouped[rows], entries_played[rows] = True, best
            start = end
        return grouped, hits, entries_played

    def _entries(self, length: int, playable: np.ndarray) -> np.ndarray:
        entries = self.codebook.entries_of_length(length)
        return entries[playable[entries]]

    def section_grooves(self, gains: np.ndarray, scores: SongScores, avoid: list[dict[int, int]],
                        p: np.ndarray, labels: np.ndarray) -> dict[int, int]:
        """Section label -> the entry with the highest summed gain over the playing bars of that label, among
        entries whose pattern differs enough from what earlier takes gave that label (p: the calibrated hit
        probabilities, (n, S, 9); `labels` (n,) the bars' labels: the sections', or a plan's)."""
        chosen: dict[int, int] = {}
        for label in arrays.distinct(labels):
            rows = np.flatnonzero((labels == label) & scores.guitar_plays)
            if len(rows) == 0:
                rows = np.flatnonzero(labels == label)
            lengths, counts = np.unique(scores.bar_steps[rows], return_counts=True)
            length = int(lengths[np.argmax(counts)])
            rows = rows[scores.bar_steps[rows] == length]
            entries = self.codebook.entries_of_length(length)
            # a designed groove (groove.vocabulary) is a candidate only where a style lets it play (finite gains)
            designed = self.codebook.designed[entries]
            if designed.any():
                entries = entries[~designed | np.isfinite(gains[np.ix_(rows, entries)]).any(axis=0)]
            if len(entries) == 0:
                continue
            entry = self._section_groove(gains, scores, avoid, p, int(label), rows, entries)
            if entry is not None:
                chosen[int(label)] = entry
        return chosen

    def _section_groove(self, gains: np.ndarray, scores: SongScores, avoid: list[dict[int, int]], p: np.ndarray,
                        label: int, rows: np.ndarray, entries: np.ndarray) -> int | None:
        """The groove of one section label over its bars `rows`, among `entries` of their length (None: none)."""
        total = gains[np.ix_(rows, entries)].sum(axis=0)
        expected_hits = float(p[rows].sum(axis=(1, 2)).mean()) if avoid else 0.0
        nonempty = self.sizes[entries] > 0
        distinct = np.ones(len(entries), dtype=bool)
        for earlier in avoid:
            if label in earlier:
                similarity = pattern_f1(self.flat[entries], self.flat[[earlier[label]]])[:, 0]
                distinct &= similarity < TAKE_MAX_SIMILARITY
        # never the empty bar; a later take chooses a groove distinct from earlier takes and not much sparser
        # than the drums expected there (a take that differs by leaving most of the song out is no reading of
        # it), first among those the groove head can score, else from the codebook's menu of loops (the few
        # grooves that between them cover the training songs best); then any distinct groove; then any
        dense = nonempty & (self.sizes[entries] >= LATER_TAKE_DENSITY * expected_hits)
        if avoid and scores.groove_logits is not None:
            head = entries < scores.groove_logits.shape[1]  # a designed groove (groove.vocabulary) has no head score
            playable = np.isfinite(total) & nonempty & head  # what gains() lets a later take play
            allowed = next((mask for mask in (playable & dense & distinct, playable & distinct) if mask.any()), None)
            if allowed is not None:
                previous = [earlier[label] for earlier in avoid if label in earlier]
                scored = entries[head]
                coverage = self._coverage(scores.groove_logits[np.ix_(rows, scored)], scored, previous)
                return int(scored[int(np.argmax(np.where(allowed[head], coverage, -np.inf)))])
        # of the entries the bars may play (finite gains: under a style, its own; a designed groove has no menu rank)
        menu, finite = (self.codebook.menu_rank[entries] >= 0) & bool(avoid), np.isfinite(total)
        allowed = next((mask & finite for mask in (menu & dense & distinct, dense & distinct, menu & distinct,
                                                   nonempty & distinct, nonempty) if (mask & finite).any()), None)
        if allowed is None:
            return None
        return int(entries[int(np.argmax(np.where(allowed, total, -np.inf)))])

    def _coverage(self, groove_logits: np.ndarray, entries: np.ndarray, previous: list[int]) -> np.ndarray:
        """(len(entries),) for each candidate groove c, the expected best pattern F1 the takes reach once c joins
        them: sum over entries g of P(the drummer plays g) * max(F1(c, g), F1 of the earlier takes' best with g), with
        P the groove head's softmax over `entries`, averaged over the section's bars (`groove_logits` (rows, E)).
        Per-cell probabilities blur a song's alternative grooves into one hedge; the groove head keeps them apart,
        so later takes cover the readings the model finds likely instead of the runners-up of one average."""
        posterior = np.exp(groove_logits - groove_logits.max(axis=1, keepdims=True))
        posterior = (posterior / posterior.sum(axis=1, keepdims=True)).mean(axis=0)  # (E,)
        key = int(entries[0]) if len(entries) else -1
        if key not in self._similarity:
            self._similarity[key] = pattern_f1(self.flat[entries], self.flat[entries])
        similarity = self._similarity[key]  # (E, E)
        earlier = np.isin(entries, previous)
        reached = similarity[earlier].max(axis=0) if earlier.any() else np.zeros(len(entries))
        return (np.maximum(similarity, reached[None, :]) * posterior[None, :]).sum(axis=1)


def viterbi(gains: np.ndarray, labels: np.ndarray, section_grooves: dict[int, int], bonus: float, stay: float,
            noise: np.ndarray | None = None) -> np.ndarray:
    """(n,) entry per bar maximising sum of gains + `bonus` for the section's groove + `stay` for repeats."""
    n, k = gains.shape
    score = gains.copy()
    for label, entry in section_grooves.items():
        score[labels == label, entry] += bonus
    if noise is not None:
        score += noise
    # a bar no entry fits (a length the codebook lacks) is a break in the chain: the path's score carries over it
    # unchanged, so the bars after it are decided as any others (its own entry is -1, played cell by cell)
    playable = np.isfinite(score).any(axis=1)
    best = np.full((n, k), -np.inf)
    stays = np.zeros((n, k), dtype=bool)  # True: stayed on the entry; False: came from the previous bar's best
    best[0] = score[0] if playable[0] else 0.0
    leaders = [int(np.argmax(best[0]))]
    stayed = np.empty(k)
    for i in range(1, n):  # about ten numpy calls a bar, written in place
        previous_best = best[i - 1, leaders[-1]]
        if not playable[i]:
            best[i] = previous_best
            leaders.append(leaders[-1])
            continue
        np.add(best[i - 1], stay, out=stayed)
        np.greater(stayed, previous_best, out=stays[i])
        np.add(np.where(stays[i], stayed, previous_best), score[i], out=best[i])
        leaders.append(int(best[i].argmax()))
    path = np.zeros(n, dtype=np.int64)
    path[-1] = leaders[-1]
    for i in range(n - 1, 0, -1):
        path[i - 1] = path[i] if stays[i, path[i]] else leaders[i - 1]
    return np.where(np.isfinite(gains[np.arange(n), path]), path, -1)  # -1: no entry fits the bar


def split_bar(parts: dict[int, np.ndarray], gain: np.ndarray) -> np.ndarray | None:
    """(L, 9) the bar of L steps as grooves of the codebook's lengths side by side, the split and entries with the
    highest summed gain (gain (L, 9): a cell's gain where played) less SPLIT_PART_COST a part after the first; None
    where no split fits. `parts`: the lengths a bar may be split into, each its entries' cells
    (`GrooveGains.split_parts`)."""
    length = len(gain)
    best_entries = {}  # part length -> the best entry's column in its cells and its gain, at each start (lists)
    for part, cells in parts.items():
        if part > length:
            continue
        windows = np.lib.stride_tricks.sliding_window_view(gain, (part, gain.shape[1]))[:, 0]
        gains = windows.reshape(len(windows), -1) @ cells  # (starts, entries)
        pick = gains.argmax(axis=1)
        best_entries[part] = (pick.tolist(), gains[np.arange(len(gains)), pick].tolist())
    best: list[tuple[float, list[tuple[int, int]]] | None] = [None] * (length + 1)
    best[length] = (0.0, [])
    for start in range(length - 1, -1, -1):
        for part, (picks, gains) in best_entries.items():
            after = best[start + part] if start + part <= length else None
            if after is None:
                continue
            total = after[0] + gains[start] - (SPLIT_PART_COST if after[1] else 0.0)
            if best[start] is None or total > best[start][0]:
                best[start] = (total, [(part, picks[start]), *after[1]])
    if best[0] is None:
        return None
    bar, start = np.zeros(gain.shape, dtype=bool), 0
    for part, column in best[0][1]:
        bar[start: start + part] = parts[part][:, column].reshape(part, -1) > 0
        start += part
    return bar
