"""The part names a take prints and draws, read off what it plays (issue 90): each phrase of the take's plan labelled
as played (parts.labels `label_phrase` on the take's own hits of that phrase, the user's kept notes and the swing
included) and named in the vocabulary's words (parts.vocabulary `part_name`); a phrase without a drum hit says so.
The plan's names say what was asked of a phrase; the steps after it (`--cymbal`, `--density`, rests, the drums the
user gave) change what is played, and only what is played is worth a name. Names only: no hit changes here.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from seq2drum import arrays
from seq2drum.parts.labels import inside_bars, label_phrases
from seq2drum.parts.vocabulary import part_name

NO_DRUMS = "drop-out"  # a phrase whose bars hold no drum hit at all: the drop-out's name (one word for one sound)
BAR_BY_BAR = "bar by bar"  # bars between a plan's phrases that none holds (a plan of the musician's sections alone)


def played_names(hits: np.ndarray, offset: np.ndarray, bar_steps: np.ndarray, beat_steps: np.ndarray,
                 start_rows: Sequence[int], steps_per_quarter: int = 4) -> tuple[str, ...]:
    """The name of each phrase of (n, S, 9) `hits` (with their `offset`s in steps), phrase j being rows
    [start_rows[j], start_rows[j + 1]) (the last to n), each bar `bar_steps` long with a felt beat of `beat_steps`;
    a phrase's level (full, sparse, drop-out) is measured against the take's median phrase, as parts.labels
    `song_labels` measures a drummer's."""
    n = len(hits)
    rows = [min(max(int(row), 0), n) for row in start_rows]
    spans = list(zip(rows, [*rows[1:], n]))
    inside = inside_bars(hits, bar_steps)
    so_far = np.concatenate([[0], np.cumsum(inside.sum(axis=(1, 2)))]).tolist()  # whole hits: exact sums
    sizes = [(so_far[b] - so_far[a]) / (b - a) for a, b in spans if b > a]  # each phrase's mean, as np.mean's
    median = float(arrays.median(sizes)) if sizes else 0.0
    playing = [(a, b) for a, b in spans if b > a and so_far[b] > so_far[a]]
    labels = iter(label_phrases(inside, offset, bar_steps, beat_steps, playing, median, steps_per_quarter))
    named = set(playing)
    return tuple(part_name(next(labels).signature()) if (a, b) in named else NO_DRUMS for a, b in spans)


def played_parts(parts: Sequence[tuple[int, str]], hits: np.ndarray, offset: np.ndarray, bar_steps: np.ndarray,
                 beat_steps: np.ndarray, first_bar: int, steps_per_quarter: int = 4,
                 end_bars: Sequence[int] | None = None) -> tuple[tuple[int, str], ...]:
    """A take's plan `parts` ((first bar, 1-based; name) of each phrase) with each name replaced by the phrase's name
    as played (`played_names`); `hits` (n, S, 9) and `offset` are the take's bars from song bar `first_bar`.
    `end_bars`: the bar after each phrase's last; where the next phrase does not start there, the bars between are
    an entry of their own, BAR_BY_BAR (a phrase is named over its own bars only, and a reader sees where it ends)."""
    song_end = first_bar + len(hits) + 1
    spans: list[tuple[int, bool]] = []  # (first bar, planned)
    for j, (bar, _) in enumerate(parts):
        spans.append((bar, True))
        after = parts[j + 1][0] if j + 1 < len(parts) else song_end
        if end_bars is not None and end_bars[j] < after:
            spans.append((end_bars[j], False))
    names = played_names(hits, offset, bar_steps, beat_steps, [bar - 1 - first_bar for bar, _ in spans],
                         steps_per_quarter)
    return tuple((bar, name if planned else BAR_BY_BAR) for (bar, planned), name in zip(spans, names))
