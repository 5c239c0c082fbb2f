"""The part each bar is played in, as the network hears it (a model trained with `hear_part`): a code per bar of the
part's level, time-keeper, subdivision and feel (one-hot each, as far as its signature names them), whether the bar
is a fill, and whether a part is known at all.

Training hears the drummer's own parts (`drummer_codes`: each phrase's label, parts.labels, as the signature a part
of the vocabulary would have); generation hears the plan's (`plan_codes`: each phrase's part of the vocabulary and the
plan's fill bars). A bar no part is known for (the guitar alone, live, a plan not made) hears zeros: training leaves
the part out of a share of its items and phrases (training.batches), so the network plays without one as before.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from seq2drum import arrays
from seq2drum.parts.labels import song_labels
from seq2drum.parts.traits import KEEPERS, PART_FEELS, PART_LEVELS, SUBDIVISIONS

if TYPE_CHECKING:
    from seq2drum.parts.plan_value import Plan
    from seq2drum.parts.vocabulary import PartVocabulary
    from seq2drum.song.bars import BarSong

# The network's code has no column for the crash (its width is the shipped networks' input): a part kept on the
# crash is heard as one on the open hat, the nearest wash, and played on the crash by groove.feels `play_times`.
CODE_KEEPERS = KEEPERS[: KEEPERS.index("crash")]
HEARD_AS = {"crash": "open_hat"}
_OFFSETS = np.cumsum([0, len(PART_LEVELS), len(CODE_KEEPERS), len(SUBDIVISIONS), len(PART_FEELS)])
FILL_COLUMN = int(_OFFSETS[-1])  # the bar closes its phrase with a fill
KNOWN_COLUMN = FILL_COLUMN + 1  # a part is known for the bar (all zeros: none)
PART_CODE_WIDTH = KNOWN_COLUMN + 1


def signature_code(signature: Sequence[str]) -> np.ndarray:
    """(PART_CODE_WIDTH,) the code of a part's signature (family, level[, keeper[, subdivision, feel]]: a sparse
    part names its keeper only, a drop-out nothing more; a crash heard as the open hat), its fill column clear."""
    code = np.zeros(PART_CODE_WIDTH, dtype=np.float32)
    for offset, names, value in zip(_OFFSETS, (PART_LEVELS, CODE_KEEPERS, SUBDIVISIONS, PART_FEELS), signature[1:]):
        code[offset + names.index(HEARD_AS.get(value, value))] = 1.0
    code[KNOWN_COLUMN] = 1.0
    return code


def drummer_codes(song: BarSong) -> np.ndarray:
    """(N, PART_CODE_WIDTH) the part the song's drummer plays in each bar, from his phrases' labels, and his fill
    bars; zeros in bars no phrase holds."""
    codes = np.zeros((song.n_bars, PART_CODE_WIDTH), dtype=np.float32)
    phrases, labels = song_labels(song)
    for phrase, label in zip(phrases, labels):
        codes[phrase.start_row : phrase.end_row] = signature_code(label.signature())
        for row in label.fill_rows:
            codes[phrase.start_row + row, FILL_COLUMN] = 1.0
    return codes


def plan_codes(plan: Plan, vocabulary: PartVocabulary, n_bars: int) -> np.ndarray:
    """(n_bars, PART_CODE_WIDTH) the part each bar plays in `plan` (parts of `vocabulary`) and the plan's fill bars;
    zeros in bars no phrase holds."""
    codes = np.zeros((n_bars, PART_CODE_WIDTH), dtype=np.float32)
    rows = plan.bar_parts(n_bars)
    for part in arrays.distinct(rows[rows >= 0]).tolist():
        codes[rows == part] = signature_code(vocabulary.parts[part].signature)
    codes[plan.fill_bars(n_bars) & (rows >= 0), FILL_COLUMN] = 1.0
    return codes
