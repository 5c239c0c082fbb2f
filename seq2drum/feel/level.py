"""How loud the drums play: at the level the song's drummer would play beside its band.

Drummers play as loud as their band: over the shipped model's training songs the mean velocity of a song's drum
part follows the mean velocity of its other parts (r 0.59), from about 71 beside a band under 70 to 106 beside one
over 105. The network's own velocities hardly follow it (a phrase's mean velocity spread 13 across the songs where
the drummers' spread 31), and ../shared/scoring's realism.py tells our phrases from the drummers' by their velocity
alone 88% of the time. So a take's velocities are moved, all by the same amount, to the level the line below
predicts from the parts the drums listen to (their accents and the humanizer's spread kept); with drums the user
gave, to the level those drums are played at. `python -m tools.band_level` fits the line. The live drummer keeps
the network's level (it has not heard the band's yet when it plays the first bars).
"""

from __future__ import annotations

import numpy as np

from seq2drum.midi.drums import midi_velocity

BAND_LEVEL_SLOPE = 0.695  # the drummer's mean velocity = this x the mean velocity of the parts heard ...
BAND_LEVEL_INTERCEPT = 27.4  # ... + this


def heard_level(velocities: np.ndarray) -> float | None:
    """The level (mean MIDI velocity) a drummer plays at beside parts played at `velocities` (any shape; None: no
    notes)."""
    if not velocities.size:
        return None
    return BAND_LEVEL_SLOPE * float(np.mean(velocities)) + BAND_LEVEL_INTERCEPT


def at_level(velocity: np.ndarray, hits: np.ndarray, level: float | None) -> np.ndarray:
    """`velocity` (an array of MIDI velocities, `hits` bool of its shape) moved by one amount so that its hits'
    mean is `level` (None, or no hits: as it is), kept within 1-127; no velocity where no hit."""
    if level is None or not hits.any():
        return velocity
    moved = velocity.astype(np.float64) + (level - float(velocity[hits].mean()))
    return np.where(hits, midi_velocity(np.round(moved)), 0).astype(velocity.dtype)
