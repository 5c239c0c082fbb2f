"""A phrase whose part the musician named (`--parts`, issue 87) played as that part, as parts.labels reads one: in
its time-keeper's subdivision and its kick and snare feel (parts.traits PART_FEELS), the model choosing within them.

`play_times` adds, where the part's cymbal keeps time coarser than the part (eighths for "16ths on the hat"), its
likeliest cells of the part's subdivision. `play_feels` changes only the kick and snare of the playing bars of a
phrase that keeps the part's time but reads as a feel the part is not labelled in (a phrase that plays its part is
left as it is): each bar a backbeat on every backbeat, a half-time snare on the middle beat alone, four on the
floor's kick on every beat, a waltz's oom-pa-pa (no snare on 2 or 3, the kick or snare on 1), comping's snare off the
backbeat, time only's none; a kick on every beat only in four on the floor. `play_levels` gives a sparse part's
phrase the few hits a bar that make it sparse, not a drop-out. What they add goes where the model expects it most
(`p`), what they drop where it expects it least. Fill bars are written later (groove.marks), over it. `ChosenParts`
(groove.request `musicians_parts`) says which bars, phrases and parts.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from seq2drum import arrays
from seq2drum.midi.drums import KICK, SNARE
from seq2drum.parts.labels import (DROP_OUT_HITS, EIGHTHS_SHARE, KEEPER_CYMBALS, SIXTEENTHS_SHARE, backbeat_beats,
                                   bar_feels, feel_of, keeper_subdivision, time_keeper)

FINER = ("quarters", "eighths", "16ths")  # subdivisions, coarser first


@dataclass(frozen=True)
class ChosenPart:
    """What a phrase of one full part the musician chose is labelled that part by: the part's time-keeper and
    subdivision, and the feels it is labelled in by how the phrase keeps time, `by_time[(keeper, subdivision)]`
    (parts.vocabulary `PartVocabulary.feels_labelled`; the part's own feel first). Before the take steps a swung
    part's eighths read as eighths (the steps swing them)."""

    keeper: str
    subdivision: str
    by_time: dict[tuple[str, str], tuple[str, ...]]

    def feels(self, keeper: str, subdivision: str) -> tuple[str, ...]:
        """The feels labelled as the part with time kept so (none: no feel makes it the part)."""
        read = "swung" if self.subdivision == "swung" and subdivision == "eighths" else subdivision
        return self.by_time.get((keeper, read), ())


@dataclass(frozen=True)
class ChosenParts:
    """The full parts the musician chose, bar by bar: `parts` (n,) int (-1 where none), `phrases` (n,) int the phrase
    each bar is in (its bars are read together, as parts.labels reads a phrase) and each part's `ChosenPart`; and
    the bars of the sparse parts he chose (`sparse`: `play_levels`)."""

    parts: np.ndarray
    phrases: np.ndarray
    chosen_parts: dict[int, ChosenPart]
    sparse: np.ndarray | None = None  # (n,) bool the bars of phrases whose sparse part the musician chose

    @property
    def chosen(self) -> np.ndarray:
        """(n,) bool the bars whose part the musician chose."""
        return self.parts >= 0

    def off_the_ride(self) -> np.ndarray:
        """(n,) bool the bars whose chosen part keeps time on another cymbal than the ride (a hat part)."""
        return np.array([k >= 0 and self.chosen_parts[k].keeper != "ride" for k in self.parts.tolist()], dtype=bool)

    def phrases_playing(self, hits: np.ndarray) -> list[tuple[np.ndarray, ChosenPart]]:
        """(rows, part) of each chosen phrase's bars that play in (n, S, 9) `hits`."""
        playing = self.chosen & hits.any(axis=(1, 2))
        out = []
        for phrase in arrays.distinct(self.phrases[playing]).tolist():
            rows = np.flatnonzero(playing & (self.phrases == phrase))
            out.append((rows, self.chosen_parts[int(self.parts[rows[0]])]))
        return out


def play_levels(hits: np.ndarray, p: np.ndarray, bar_steps: np.ndarray, chosen: ChosenParts) -> None:
    """In place on (n, S, 9) `hits`: each phrase of a sparse part the musician chose plays DROP_OUT_HITS a bar at
    least (parts.labels reads fewer as a drop-out): the likeliest cells it lacks added, where the network hears
    nothing as much as where it hears a little (a sparse intro under a silent band came out silent)."""
    if chosen.sparse is None:
        return
    for phrase in arrays.distinct(chosen.phrases[chosen.sparse]).tolist():
        rows = np.flatnonzero(chosen.sparse & (chosen.phrases == phrase))
        inside = np.arange(hits.shape[1])[None, :] < np.minimum(bar_steps[rows], hits.shape[1])[:, None]  # (m, S)
        missing = int(np.ceil(DROP_OUT_HITS * len(rows))) - int((hits[rows] & inside[..., None]).sum())
        if missing <= 0:
            continue
        free = np.flatnonzero(inside[..., None] & ~hits[rows])  # cells of the phrase's bars, flattened (m, S, 9)
        likeliest = free[np.argsort(-p[rows].reshape(-1)[free], kind="stable")[:missing]]
        block = hits[rows]
        block.reshape(-1)[likeliest] = True
        hits[rows] = block


def time_of(bars: np.ndarray, lengths: np.ndarray, beat_steps: np.ndarray) -> tuple[str, str]:
    """(keeper, subdivision) of (m, S, 9) bars of a phrase as parts.labels reads them, before any swing."""
    keeper = time_keeper(bars.sum(axis=1), lengths / np.maximum(beat_steps, 1))
    if keeper == "none":
        return keeper, "none"
    return keeper, keeper_subdivision(bars, np.zeros(bars.shape, dtype=np.float32), beat_steps, keeper)


def play_times(hits: np.ndarray, p: np.ndarray, bar_steps: np.ndarray, beat_steps: np.ndarray,
               chosen: ChosenParts) -> None:
    """In place on (n, S, 9) `hits`: each phrase of `chosen` whose time its part's cymbal keeps in a coarser
    subdivision than the part's straight one (quarters for eighths, eighths for 16ths) gets that cymbal's likeliest
    cells of the part's subdivision in each bar, as many as parts.labels needs to read it so (EIGHTHS_SHARE,
    SIXTEENTHS_SHARE of its hits); the model's own cells stay. A swung part's time is left to the take steps (its
    eighths added, a song they do not swing reads them straight: another part's)."""
    for rows, part in chosen.phrases_playing(hits):
        lengths = np.minimum(bar_steps[rows], hits.shape[1])  # a 9/4 bar's first S steps, as parts.labels reads it
        keeper, subdivision = time_of(hits[rows], lengths, beat_steps[rows])
        wanted = part.subdivision  # a swung part's is not in FINER: left to the take steps
        if (keeper != part.keeper or keeper not in KEEPER_CYMBALS or subdivision not in FINER
                or wanted not in FINER or FINER.index(subdivision) >= FINER.index(wanted)):
            continue
        column = KEEPER_CYMBALS[keeper]
        for row, length in zip(rows.tolist(), lengths.tolist()):
            divide(hits[row, :, column], p[row, :, column], wanted, int(length), max(int(beat_steps[row]), 1))


def divide(keeper: np.ndarray, p: np.ndarray, subdivision: str, length: int, beat: int) -> None:
    """In place on a bar's (S,) time-keeper hits: the likeliest cells of `subdivision` it lacks added until parts.labels
    reads it so: 16ths on odd steps at SIXTEENTHS_SHARE of its hits, eighths between the beats at EIGHTHS_SHARE."""
    steps = np.arange(length)
    if subdivision == "16ths":
        finer, share = steps % 2 == 1, SIXTEENTHS_SHARE
    else:
        finer, share = (steps % 2 == 0) & (steps % beat != 0), EIGHTHS_SHARE
    coarse, fine = int(np.count_nonzero(keeper[:length] & ~finer)), int(np.count_nonzero(keeper[:length] & finer))
    missing = int(np.ceil(share * coarse / (1 - share) - 1e-9)) - fine
    free = steps[finer & ~keeper[:length]]
    if missing > 0 and len(free):
        keeper[free[np.argsort(-p[free], kind="stable")[:missing]]] = True


def play_feels(hits: np.ndarray, p: np.ndarray, bar_steps: np.ndarray, beat_steps: np.ndarray,
               chosen: ChosenParts) -> None:
    """In place on (n, S, 9) `hits`: each phrase of `chosen` whose playing bars keep time as its part may but in a
    feel that is not labelled as it (`ChosenPart.feels`) plays the first feel that is, in each of them (module
    docstring); a phrase no feel would make its part (its time kept otherwise) is left to the model."""
    for rows, part in chosen.phrases_playing(hits):
        lengths = np.minimum(bar_steps[rows], hits.shape[1])  # a 9/4 bar's first S steps, as parts.labels reads it
        bars = hits[rows]
        feels = part.feels(*time_of(bars, lengths, beat_steps[rows]))
        if not feels or feel_of(bar_feels(bars, lengths, beat_steps[rows]), bars[:, :, SNARE].sum(axis=1)) in feels:
            continue
        for row, length in zip(rows.tolist(), lengths.tolist()):
            play_feel(hits[row], p[row], feels[0], int(length), max(int(beat_steps[row]), 1))


def play_feel(bar: np.ndarray, p: np.ndarray, feel: str, length: int, beat: int) -> None:
    """In place on one bar's (S, 9) hits, `length` steps of beats of `beat` steps: its kick and snare in `feel` (a
    bar of one beat has no feel to play)."""
    n_beats = length // beat
    if n_beats < 2:
        return
    beats = np.arange(n_beats) * beat
    backbeats = beats[backbeat_beats(n_beats)]
    snare, kick = bar[:, SNARE], bar[:, KICK]  # views: written in place
    if feel == "four-floor":
        kick[beats] = True
        return
    if kick[beats].all():  # four on the floor only where it is asked: the least likely beat's kick after the first
        kick[_least(p[:, KICK], beats[1:])] = False
    if feel == "backbeat":
        if n_beats % 2 == 0:
            snare[backbeats] = True
        elif not snare[backbeats].any():  # an odd count's backbeat: one of them, the likeliest
            snare[_most(p[:, SNARE], backbeats)] = True
    elif feel == "half-time" and n_beats >= 4 and n_beats % 2 == 0:
        snare[beats[1::2]] = False
        snare[beats[n_beats // 2]] = True
    elif feel == "waltz":
        snare[backbeats] = False
        if not bar[0, [KICK, SNARE]].any():
            kick[0] = True
    elif feel == "comping":
        _comping(snare, p[:, SNARE], beats, backbeats, length)
    elif feel == "time-only":
        snare[:] = False


def _comping(snare: np.ndarray, p_snare: np.ndarray, beats: np.ndarray, backbeats: np.ndarray, length: int) -> None:
    """A comping bar's snare (in place, the bar `length` steps long): off the backbeat (all backbeats of an even
    count struck: the least likely goes; an odd count's none), not a half-time's middle beat alone, and one hit at
    least, at the likeliest step off the backbeats."""
    n_beats = len(beats)
    if n_beats % 2 == 0 and snare[backbeats].all():
        snare[_least(p_snare, backbeats)] = False
    elif n_beats % 2:
        snare[backbeats] = False
    if n_beats >= 4 and n_beats % 2 == 0 and snare[beats[n_beats // 2]] and not snare[beats[1::2]].any():
        snare[beats[n_beats // 2]] = False  # a snare on 3 alone is half-time's
    if not snare.any():
        taken = np.zeros(length, dtype=bool)
        taken[backbeats] = True
        taken[beats[n_beats // 2: n_beats // 2 + 1]] = True
        snare[_most(p_snare, np.flatnonzero(~taken))] = True


def _most(values: np.ndarray, steps: np.ndarray) -> int:
    """The step of `steps` where `values` is greatest (the first of a tie)."""
    return int(steps[np.argmax(values[steps])])


def _least(values: np.ndarray, steps: np.ndarray) -> int:
    """The step of `steps` where `values` is least (the first of a tie)."""
    return int(steps[np.argmin(values[steps])])
