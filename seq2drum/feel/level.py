"""How loud the drums play, and how far their velocities spread: as the song's drummer would beside its band.

Drummers play as loud as their band: over the shipped model's training songs the mean velocity of a song's drum
part follows the mean velocity of its other parts (r 0.59), where the network decides about 95 for every song. So a
take's velocities are moved, all by one amount, to the level the first line below predicts from the parts the drums
listen to. How far a drummer's velocities spread around it follows the band too (r 0.36): about 8 beside a band
played at one velocity, 16 beside one spreading 20, where the humanizer spreads every song's drums about 14. So the
humanized velocities are then scaled around their mean to the spread the second line predicts, their order kept.
With drums the user gave, their level and spread. `python -m tools.band_level` fits both lines; the figures:
docs/experiments/2026-11-26-band-level.md. The live drummer keeps the network's level and the humanizer's spread
(it has not heard the band yet when it plays the first bars).
"""

from __future__ import annotations

import numpy as np

from seq2drum.midi.drums import midi_velocity

BAND_LEVEL_SLOPE = 0.695  # the drummer's mean velocity = this x the mean velocity of the parts heard ...
BAND_LEVEL_INTERCEPT = 27.4  # ... + this
BAND_SPREAD_SLOPE = 0.439  # the standard deviation of the drummer's velocities = this x that of the parts heard ...
BAND_SPREAD_INTERCEPT = 7.7  # ... + this


def heard_level(velocities: np.ndarray) -> float | None:
    """The level (mean MIDI velocity) a drummer plays at beside parts played at `velocities` (any shape; None: no
    notes)."""
    if not velocities.size:
        return None
    return BAND_LEVEL_SLOPE * float(np.mean(velocities)) + BAND_LEVEL_INTERCEPT


def heard_spread(velocities: np.ndarray) -> float | None:
    """The spread (standard deviation of MIDI velocity) a drummer plays with beside parts played at `velocities` (any
    shape; None: no notes)."""
    if not velocities.size:
        return None
    return BAND_SPREAD_SLOPE * float(np.std(velocities)) + BAND_SPREAD_INTERCEPT


def at_level(velocity: np.ndarray, hits: np.ndarray, level: float | None) -> np.ndarray:
    """`velocity` (an array of MIDI velocities, `hits` bool of its shape) moved by one amount so that its hits'
    mean is `level` (None, or no hits: as it is), kept within 1-127; no velocity where no hit."""
    if level is None or not hits.any():
        return velocity
    moved = velocity.astype(np.float64) + (level - float(velocity[hits].mean()))
    return np.where(hits, midi_velocity(np.round(moved)), 0).astype(velocity.dtype)


def at_spread(velocity: np.ndarray, hits: np.ndarray, spread: float | None) -> np.ndarray:
    """`velocity` (MIDI velocities, `hits` bool of its shape) with its hits' distances from their mean scaled so that
    their standard deviation is `spread` (None, no spread in them, or no hits: as it is), kept within 1-127; no
    velocity where no hit. The loud stay the loud: accents and ghost notes keep their order."""
    if spread is None or not hits.any():
        return velocity
    played = velocity[hits].astype(np.float64)
    if played.std() == 0:
        return velocity
    centre = played.mean()
    scaled = centre + (velocity.astype(np.float64) - centre) * (spread / played.std())
    return np.where(hits, midi_velocity(np.round(scaled)), 0).astype(velocity.dtype)
