"""The kit by count, then by place: a class the model spreads its probability over (the open hi-hat, a crash accent,
the toms of a fill) is played about as often as the model expects the song's drummer to play it, at the cells it
finds likeliest; the time-keeping and the kicks no more often than it expects (`time_by_count`, `kicks_by_count`).

Choosing each cell for expected F1 plays a cell only where its probability passes lambda, so a class whose
probability is spread thin over many cells never plays, even where the model expects several hits a section: on
the validation songs the open hat's calibrated probabilities summed to 0.44 of the drummers' open hats, and take 1
played 0.08 of them. Here the count comes from the sum (`KitCount`, carried bar by bar, so offline and live count
alike), and the place from the probabilities: the likeliest of the bar's closed-hat cells opens.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from seq2drum.groove.settings import (CRASH_COUNT_SHARE, CRASH_HIT_MIN_P, CRASH_MAX_PER_BAR, CRASH_SONG_RATE,
                                      KICK_COUNT_MAX, OPEN_HAT_COUNT_SHARE, OPEN_HAT_MAX_PER_BAR, OPEN_HAT_MIN_P,
                                      OPEN_HAT_SONG_RATE, TIME_COUNT_MAX, TIME_ODD_WORTH, TOM_SONG_RATE)
from seq2drum.midi.drums import CLOSED_HAT, CRASH, HIGH_TOM, KICK, LOW_TOM, OPEN_HAT, RIDE


class KitCount(NamedTuple):
    """A colour the model expected over the playing bars so far (scaled), those played, and the playing bars."""

    expected: float = 0.0
    played: int = 0
    bars: int = 0


def open_hats(hits: np.ndarray, p: np.ndarray, playing: np.ndarray, count: KitCount) -> KitCount:
    """In place on hits (n, S, 9): bar by bar, while the open hats played stay under those the model expects
    (OPEN_HAT_COUNT_SHARE of its open-hat probabilities summed over the playing bars, rounded), the bar's likeliest
    closed-hat cells (open-hat probability at least OPEN_HAT_MIN_P, at most OPEN_HAT_MAX_PER_BAR a bar) open.
    Returns the count after the bars."""
    return _by_count(hits, p, playing, count, OPEN_HAT, 0, (OPEN_HAT_COUNT_SHARE, OPEN_HAT_SONG_RATE, OPEN_HAT_MIN_P,
                                                          OPEN_HAT_MAX_PER_BAR), CLOSED_HAT, (CLOSED_HAT,))


def _by_count(hits: np.ndarray, p: np.ndarray, playing: np.ndarray, count: KitCount, voice: int, first: int,
              limits: tuple[float, float, float, int], over: int | None, replaced: tuple[int, ...]) -> KitCount:
    """`open_hats` and `crash_accents`: bar by bar over the playing bars, from step `first` on, while the hits of
    `voice` played stay under those the model expects (`limits`: the share of its probabilities summed, rounded; the
    song's rate a playing bar it must reach; the probability a cell needs; the most a bar), the bar's likeliest cells
    that `over` holds (None: that `voice` does not hold yet) play `voice`, `replaced` giving way there.
    Returns the count after the bars."""
    share, song_rate, min_p, most = limits
    expected, played, bars = count
    for row in playing.nonzero()[0].tolist():  # np.flatnonzero's rows of a 1-d mask, without its two wrappers
        expected += share * float(p[row, first:, voice].sum())
        bars += 1
        played += int(np.count_nonzero(hits[row, first:, voice]))
        wanted = min(int(expected + 0.5) - played, most)
        if wanted <= 0 or expected < song_rate * bars:
            continue
        held = ~hits[row, first:, voice] if over is None else hits[row, first:, over]
        cells = (held & (p[row, first:, voice] >= min_p)).nonzero()[0] + first
        if not len(cells):
            continue
        chosen = cells[(-p[row, cells, voice]).argsort(kind="stable")[:wanted]]
        hits[row, chosen, voice] = True
        for other in replaced:
            hits[row, chosen, other] = False
        played += len(chosen)
    return KitCount(expected, played, bars)


def time_by_count(hits: np.ndarray, p: np.ndarray, threshold: float) -> None:
    """In place on hits (n, S, 9): a bar whose closed hat (or ride) plays 16ths where the model expects about
    eighths keeps time in eighths, as a drummer would: the hits between the eighths (the odd 16ths) go where the
    count without them is nearer the model's expected count (its probabilities summed over the bar, times
    TIME_COUNT_MAX) than the count with them, and they are worth under TIME_ODD_WORTH times lambda on average. Bar by
    bar, so live decides it alike."""
    for voice in (CLOSED_HAT, RIDE):
        played = hits[:, :, voice]
        odd = played[:, 1::2]
        if not np.count_nonzero(odd):  # no hit between the eighths (most bars): nothing to count
            continue
        # the counts per bar as np.count_nonzero(axis=1) gives them (int64), without its Python wrapper: a rule run
        # twice a bar on the live drummer's path
        between = np.add.reduce(odd, axis=1)
        middle = np.add.reduce(played, axis=1) - between / 2  # halfway between the count with and without
        busy = (between > 0) & (middle > TIME_COUNT_MAX * p[:, :, voice].sum(axis=1))
        busy &= (p[:, 1::2, voice] * odd).sum(axis=1) < TIME_ODD_WORTH * threshold * np.maximum(between, 1)
        if np.count_nonzero(busy):
            hits[busy, 1::2, voice] = False


def kicks_by_count(hits: np.ndarray, p: np.ndarray, bass_onsets: np.ndarray | None = None,
                   ridden: np.ndarray | None = None) -> None:
    """In place on hits (n, S, 9): a bar with more kicks than KICK_COUNT_MAX times those the model expects (its kick
    probabilities summed over the bar, plus one, rounded) drops its least likely kicks off the downbeat and off the
    bass's onsets (bass_onsets (n, S): the kicks that follow the bass stay) until it has that many, or none is left
    to drop. A bar kept on the ride (`ridden` (n,)) keeps no more kicks than the model expects, rounded, bass or not:
    under the ride the kick feathers, it does not walk with the bass (5-fold, 31 jazz songs: the kick 1.46 -> 1.13
    times the drummers', take 1 0.449 -> 0.446; 657 songs of midi/ 0.4816 -> 0.4814)."""
    kicks = hits[:, :, KICK]
    expected = p[:, :, KICK].sum(axis=1)
    # whole numbers kept as floats: a count compares with them, and subtracts them, exactly as with their int64s
    allowed = np.floor(KICK_COUNT_MAX * expected + 1.5)
    if ridden is not None and np.count_nonzero(ridden):  # no bar ridden (most): the same limits as without
        allowed = np.where(ridden, np.floor(expected + 0.5), allowed)
    counts = np.add.reduce(kicks, axis=1)  # np.count_nonzero(axis=1)'s counts, without its wrapper
    over = counts > allowed
    if not np.count_nonzero(over):
        return
    for row in over.nonzero()[0].tolist():  # a row's drops change no other row's count
        droppable = kicks[row].copy()
        droppable[0] = False
        if bass_onsets is not None and not (ridden is not None and ridden[row]):
            droppable &= ~bass_onsets[row, : len(droppable)]
        steps = droppable.nonzero()[0]
        extra = int(counts[row]) - int(allowed[row])
        dropped = steps[p[row, steps, KICK].argsort(kind="stable")[:extra]]
        hits[row, dropped, KICK] = False


def tom_fills(playing: np.ndarray, p: np.ndarray, count: KitCount) -> tuple[np.ndarray, KitCount]:
    """(n,) bool the bars whose fill (where one is marked) may play toms, and the count after the bars: bar by bar
    over the playing bars, the model's expected tom hits (its tom probabilities summed) accumulate, and a fill plays
    toms while they come to TOM_SONG_RATE a playing bar or more so far (a song whose drummer plays the toms). It
    reads no mark, so a bar's fill is the same whichever bars fill (calibration replays each bar's fill alone); the
    count's `played` is not used (it stays as it came)."""
    expected, played, bars = count
    toms = np.zeros(len(playing), dtype=bool)
    sums = p[:, :, LOW_TOM : HIGH_TOM + 1].sum(axis=(1, 2))
    for row in playing.nonzero()[0].tolist():
        expected += float(sums[row])
        bars += 1
        toms[row] = expected >= TOM_SONG_RATE * bars
    return toms, KitCount(expected, played, bars)


def crash_accents(hits: np.ndarray, p: np.ndarray, playing: np.ndarray, count: KitCount) -> KitCount:
    """In place on hits (n, S, 9): bar by bar over the playing bars, while the crash hits played off the downbeat
    stay under those the model expects there (CRASH_COUNT_SHARE of its crash probabilities off the downbeat summed,
    rounded), the bar's likeliest crash cells off the downbeat (the crash at least CRASH_HIT_MIN_P likely, at most
    CRASH_MAX_PER_BAR a bar) crash, the hat or ride there giving way, as a drummer accents a push or a stab; only
    while the model expects CRASH_SONG_RATE crash hits a playing bar so far (a song whose drummer crashes). The
    downbeat crash is the structure's (groove.rules `crash_marks`, its count and gap). Returns the count after."""
    return _by_count(hits, p, playing, count, CRASH, 1, (CRASH_COUNT_SHARE, CRASH_SONG_RATE, CRASH_HIT_MIN_P,
                                                       CRASH_MAX_PER_BAR), None, (CLOSED_HAT, RIDE))
