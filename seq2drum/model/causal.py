"""What the live (causal) model may read, by column name: the one definition the torch network, its numpy twin and
the live drummer share.

The drums of bar n are decided at the lead (the start of bar n-1's last `lead_steps` steps) from everything played
until then. So the encoder reads each bar's step columns up to its lead, without the guitar's bar cues (they sum the
whole bar or compare it with the whole song), note lengths and what sounds (a note's release is not known live:
the notes arrive by onset); a bar's own columns are only those known before it is played: its meter and tempo
(`CAUSAL_BAR`), and for each of its steps where the step sits (`AHEAD_STEP`). Sections, novelty, markers, the song
summary and which roles play, enter or leave are computed from the whole song and left out.
"""

from __future__ import annotations

import numpy as np

from seq2drum.song.columns import BAR, GUITAR, STEP

# the guitar's bar cues (density against the song, the bar's loudness, repeats, silence, chroma like the previous bar);
# the length of the notes struck at a step (a note held at the lead ends after it: live, its length is not known);
# what sounds at a step (a note held over from an earlier bar sounds there, and live a note's release is never sent:
# on 10 real songs these columns differed between the file and the same bars played live at up to 13% of the steps)
ENCODER_DROPPED_STEP = frozenset(
    GUITAR.names[GUITAR.bar_cues] + GUITAR.names[GUITAR.sounding_chroma]
    + (GUITAR.names[GUITAR.note_length], GUITAR.names[GUITAR.voices])
    + tuple(name for name in STEP.names if name.endswith("_sounding")))
AHEAD_STEP = frozenset(STEP.names[STEP.metrical_level] + (STEP.names[STEP.step_in_bar],))
CAUSAL_BAR = frozenset(BAR.names[BAR.numerator] + BAR.names[BAR.denominator]
                       + tuple(BAR.names[BAR.index(name)] for name in ("compound", "bar_length", "tempo_log2")))


def causal_masks(step_columns: tuple[str, ...], bar_columns: tuple[str, ...]) -> dict[str, np.ndarray]:
    """float32 column masks for a model reading these columns: `encoder_step` (n_step,) the step columns the encoder
    reads up to the lead, `ahead_step` (n_step,) those known of a bar before it is played, `bar` (n_bar,) the bar
    columns known before the bar."""
    return {
        "encoder_step": np.array([name not in ENCODER_DROPPED_STEP for name in step_columns], dtype=np.float32),
        "ahead_step": np.array([name in AHEAD_STEP for name in step_columns], dtype=np.float32),
        "bar": np.array([name in CAUSAL_BAR for name in bar_columns], dtype=np.float32),
    }


def before_lead(bar_steps: np.ndarray, width: int, lead_steps: int) -> np.ndarray:
    """(..., width) bool: the steps of each bar (bar_steps (...,) long) played before its lead."""
    return np.arange(width) < (np.asarray(bar_steps) - lead_steps)[..., None]
