"""General MIDI percussion folded into 9 drum classes, and back to one GM pitch per class.

The 9 classes and the folding follow magenta/note-seq's drum map (Roberts et al., "A Hierarchical Latent Vector
Model for Learning Long-Term Structure in Music", 2018), which covers every GM percussion key 35-81 and the common
Roland/XG extensions around it. Each class is written back as one GM pitch:

    kick 36 (Bass Drum 1), snare 38 (Acoustic Snare), closed hat 42, open hat 46, low tom 45 (Low Tom),
    mid tom 47 (Low-Mid Tom), high tom 50 (High Tom), crash 49 (Crash Cymbal 1), ride 51 (Ride Cymbal 1).

Two hits a drummer names otherwise are written on a GM pitch of their own, by the articulation the decision gives
them (`Articulation`): the hi-hat foot (a closed hat) as 44 (Pedal Hi-Hat), the cross-stick (a snare) as 37 (Side
Stick). Read back, both fold into their class again (and give that articulation: `PITCH_TO_ARTICULATION`).
"""

from __future__ import annotations

from enum import IntEnum

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




class Articulation(IntEnum):
    """How a hit of a class is struck, where a drummer names it otherwise (a per-cell uint8 beside the hits); each
    named articulation belongs to one class, whose hits alone it changes."""

    PLAIN = 0  # the class's own GM pitch (`CLASS_TO_PITCH`)
    PEDAL_HAT = 1  # a closed hat played with the foot on the pedal: GM 44, Pedal Hi-Hat
    CROSS_STICK = 2  # a snare played as a cross-stick (a rim click): GM 37, Side Stick


# (articulation, the class it belongs to, the GM pitch it is written as), in Articulation's order
ARTICULATION_NOTES: tuple[tuple[Articulation, int, int], ...] = ((Articulation.PEDAL_HAT, CLOSED_HAT, 44),
                                                                (Articulation.CROSS_STICK, SNARE, 37))
# every GM pitch a decided drum part is written with: each class's own, then each articulation's
WRITTEN_PITCHES: tuple[int, ...] = (*CLASS_TO_PITCH, *(pitch for _, _, pitch in ARTICULATION_NOTES))
# (articulation, drum_class) -> the GM pitch written: an articulation on a class not its own writes the class's pitch
ARTICULATED_PITCH = np.tile(np.asarray(CLASS_TO_PITCH, dtype=np.int64), (len(Articulation), 1))
# pitch (0-127) -> the articulation a note of it is read as (PLAIN for every other key)
PITCH_TO_ARTICULATION = np.zeros(128, dtype=np.uint8)
for _articulation, _drum_class, _pitch in ARTICULATION_NOTES:
    ARTICULATED_PITCH[_articulation, _drum_class] = _pitch
    PITCH_TO_ARTICULATION[_pitch] = _articulation
ARTICULATED_PITCH.setflags(write=False)
PITCH_TO_ARTICULATION.setflags(write=False)


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
