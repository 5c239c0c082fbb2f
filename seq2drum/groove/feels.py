"""The kick and snare of a feel the musician chose (issue 87): a phrase whose part he named (`--parts`) plays that
part's feel (parts.traits PART_FEELS) as parts.labels reads one, the model choosing within it.

`play_feels(hits, p, bar_steps, beat_steps, chosen)` changes, in place, only the kick and snare of the playing bars
of each phrase in `chosen` (`ChosenFeels`) whose bars as decided do not play its part's feel (a phrase that does is
left as it is): each bar a backbeat on every backbeat, a half-time snare on the middle beat alone, four on the floor's
kick on every beat, a waltz's oom-pa-pa (no snare on 2 or 3, the kick or snare on 1), comping's snare off
the backbeat, time only's none; a kick on every beat only in four on the floor. What it adds goes where the model
expects it most (`p`), what it drops where it expects it least. Fill bars are written later (groove.marks), over it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from seq2drum.midi.drums import KICK, SNARE
from seq2drum.parts.labels import backbeat_beats, bar_feels, feel_of, keeper_subdivision, time_keeper


@dataclass(frozen=True)
class ChosenFeel:
    """The feels in which a phrase is labelled one full part the musician chose, by how it keeps time:
    `by_time[(keeper, subdivision)]` (parts.vocabulary `PartVocabulary.feels_labelled`; the part's own feel first),
    a swung part's eighths read as swung (the take steps swing them)."""

    by_time: dict[tuple[str, str], tuple[str, ...]]
    swung: bool = False

    def feels(self, keeper: str, subdivision: str) -> tuple[str, ...]:
        """The feels labelled as the part with time kept so (none: no feel makes it the part)."""
        read = "swung" if self.swung and subdivision == "eighths" else subdivision
        return self.by_time.get((keeper, read), ())


@dataclass(frozen=True)
class ChosenFeels:
    """The full parts the musician chose, bar by bar: `parts` (n,) int (-1 where none), `phrases` (n,) int the phrase
    each bar is in (its bars are read together, as parts.labels reads a phrase) and each part's `ChosenFeel`."""

    parts: np.ndarray
    phrases: np.ndarray
    feels: dict[int, ChosenFeel]

    @property
    def chosen(self) -> np.ndarray:
        """(n,) bool the bars with a feel to play."""
        return self.parts >= 0


def play_feels(hits: np.ndarray, p: np.ndarray, bar_steps: np.ndarray, beat_steps: np.ndarray,
               chosen: ChosenFeels) -> None:
    """In place on (n, S, 9) `hits`: each phrase of `chosen` whose playing bars keep time as its part may but in a
    feel that is not labelled as it (`ChosenFeel.feels`) plays the first feel that is, in each of them (module
    docstring); a phrase no feel would make its part (its time kept otherwise) is left to the model."""
    playing = chosen.chosen & hits.any(axis=(1, 2))
    for phrase in np.unique(chosen.phrases[playing]).tolist():
        rows = np.flatnonzero(playing & (chosen.phrases == phrase))
        part = chosen.feels[int(chosen.parts[rows[0]])]
        lengths = np.minimum(bar_steps[rows], hits.shape[1])  # a 9/4 bar's first S steps, as parts.labels reads it
        bars = hits[rows]
        keeper = time_keeper(bars.sum(axis=1), lengths / np.maximum(beat_steps[rows], 1))
        subdivision = "none" if keeper == "none" else keeper_subdivision(
            bars, np.zeros(bars.shape, dtype=np.float32), beat_steps[rows], keeper)
        feels = part.feels(keeper, subdivision)
        if not feels or feel_of(bar_feels(bars, lengths, beat_steps[rows]), bars[:, :, SNARE].sum(axis=1)) in feels:
            continue
        for row in rows.tolist():
            play_feel(hits[row], p[row], feels[0], int(min(bar_steps[row], hits.shape[1])),
                      max(int(beat_steps[row]), 1))


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
        free = np.setdiff1d(np.arange(length), np.concatenate([backbeats, beats[n_beats // 2: n_beats // 2 + 1]]))
        snare[_most(p_snare, free)] = True


def _most(values: np.ndarray, steps: np.ndarray) -> int:
    """The step of `steps` where `values` is greatest (the first of a tie)."""
    return int(steps[np.argmax(values[steps])])


def _least(values: np.ndarray, steps: np.ndarray) -> int:
    """The step of `steps` where `values` is least (the first of a tie)."""
    return int(steps[np.argmin(values[steps])])
