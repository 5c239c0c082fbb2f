"""General MIDI percussion folded into 9 drum classes, and back to one GM pitch per class.

The 9 classes and the folding follow magenta/note-seq's drum map (Roberts et al., "A Hierarchical Latent Vector
Model for Learning Long-Term Structure in Music", 2018), which covers every GM percussion key 35-81 and the common
Roland/XG extensions around it. Each class is written back as one GM pitch:

    kick 36 (Bass Drum 1), snare 38 (Acoustic Snare), closed hat 42, open hat 46, low tom 45 (Low Tom),
    mid tom 47 (Low-Mid Tom), high tom 50 (High Tom), crash 49 (Crash Cymbal 1), ride 51 (Ride Cymbal 1).
"""

from __future__ import annotations

import numpy as np

DRUM_CLASSES: tuple[str, ...] = (
    "kick",
    "snare",
    "closed_hat",
    "open_hat",
    "low_tom",
    "mid_tom",
    "high_tom",
    "crash",
    "ride",
)
NUM_DRUM_CLASSES = len(DRUM_CLASSES)

# One GM pitch written back per class (index = drum_class).
CLASS_TO_PITCH: tuple[int, ...] = (36, 38, 42, 46, 45, 47, 50, 49, 51)

_CLASS_PITCHES: tuple[tuple[int, ...], ...] = (
    (36, 35),
    (38, 27, 28, 31, 32, 33, 34, 37, 39, 40, 56, 65, 66, 75, 85),
    (42, 44, 54, 68, 69, 70, 71, 73, 78, 80, 22),
    (46, 67, 72, 74, 79, 81, 26),
    (45, 29, 41, 43, 61, 64, 84),
    (48, 47, 60, 63, 77, 86, 87),
    (50, 30, 62, 76, 83),
    (49, 52, 55, 57, 58),
    (51, 53, 59, 82),
)

# pitch (0-127) -> drum_class, -1 for keys that are not percussion we model.
PITCH_TO_CLASS = np.full(128, -1, dtype=np.int64)
for _drum_class, _pitches in enumerate(_CLASS_PITCHES):
    PITCH_TO_CLASS[list(_pitches)] = _drum_class

# Named indices, for baselines and tests.
KICK, SNARE, CLOSED_HAT, OPEN_HAT, LOW_TOM, MID_TOM, HIGH_TOM, CRASH, RIDE = range(NUM_DRUM_CLASSES)
TIMEKEEPERS = (CLOSED_HAT, OPEN_HAT, RIDE)  # the cymbals a drummer keeps time on (and a swing is read on)
TOMS = (LOW_TOM, MID_TOM, HIGH_TOM)  # the toms, neighbours in the class table


def pitch_to_class(pitch: int) -> int:
    """The drum class of a GM percussion key, or -1 when the key is not one we model."""
    if not 0 <= pitch <= 127:
        raise ValueError(f"MIDI pitch must be 0-127, got {pitch}")
    return int(PITCH_TO_CLASS[pitch])


def class_to_pitch(drum_class: int) -> int:
    """The GM pitch written for a drum class."""
    return CLASS_TO_PITCH[drum_class]


def midi_velocity(velocity: np.ndarray) -> np.ndarray:
    """Velocities clipped to the range a MIDI note-on plays, 1-127 (0 would be a note-off), same dtype."""
    return np.minimum(np.maximum(velocity, 1), 127)  # np.clip's result, for a third of its call overhead
