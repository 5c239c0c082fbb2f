"""How the decided hits are struck where a drummer names them otherwise (midi.drums `Articulation`): `articulate`,
which groove.decide's last take step (`articulations`) runs, offline and live alike.

The decision plays in the 9 drum classes, so the hi-hat foot is a closed hat and the cross-stick a snare; a drummer
plays the one with the foot on the pedal (GM 44) and the other with the stick across the rim (GM 37), and a kit
sounds them so. This step names them on the finished take (after every step that moves hits: the jazz ride's foot,
`--cymbal`, a later take's swaps), and the render writes each named hit on its own note (song.drum_part), which a
kit map moves with the keys `pedal_hat` and `cross_stick` (midi.kit):
- the hi-hat foot: in a bar kept on the ride (groove.voices `ridden_bars`), a closed hat that plays on the beats and
  nowhere else, as the foot `hat_foot` adds on the backbeats and the jazz ride (`jazz_ride`, groove.vocabulary's
  figures) on 2 and 4 (a waltz's 2 and 3, 5/4's 3 and 5);
- the cross-stick: under `--style bossa`, the snare of every bar that plays one of its grooves (groove.styles
  `bossa`: "the snare, a cross-stick"), but in a fill bar's second half, where the fill (two beats at most,
  groove.structure `FillWriter`) plays on the snare.
"""

from __future__ import annotations

import numpy as np

from seq2drum.groove.policy import Take
from seq2drum.groove.structure import FILL_COLUMN
from seq2drum.groove.styles import StyleBook
from seq2drum.groove.voices import ridden_bars
from seq2drum.midi.drums import CLOSED_HAT, RIDE, SNARE, Articulation

CROSS_STICK_STYLES = ("bossa",)  # the styles whose grooves play their snare as the cross-stick (groove.styles)


def articulate(take: Take, bar_steps: np.ndarray, beat_steps: np.ndarray, cross_sticks: np.ndarray | None) -> None:
    """In place on the take's articulation, from its hits (`bar_steps`, `beat_steps` (n,): each bar's length and beat
    in steps): its hi-hat foot on the pedal (`hat_foot_cells`) and, where `cross_sticks` (K,) names the entries of a
    cross-stick style, its grooves' snare as the cross-stick (`cross_stick_cells`); every other hit plain."""
    take.articulation[:] = Articulation.PLAIN
    if take.hits[:, :, RIDE].any():  # a foot only under the ride (live, most bars have none: no cells to name)
        take.articulation[:, :, CLOSED_HAT][hat_foot_cells(take.hits, bar_steps, beat_steps)] = Articulation.PEDAL_HAT
    if cross_sticks is not None:
        cells = cross_stick_cells(take.hits, take.grooves, take.structure, cross_sticks, bar_steps)
        take.articulation[:, :, SNARE][cells] = Articulation.CROSS_STICK


def hat_foot_cells(hits: np.ndarray, bar_steps: np.ndarray, beat_steps: np.ndarray) -> np.ndarray:
    """(n, S) bool the closed hats of hits (n, S, 9) played with the foot: those of the bars kept on the ride
    (`bar_steps`, `beat_steps` (n,): each bar's length and beat in steps) whose closed hat plays only on beats."""
    hat = hits[:, :, CLOSED_HAT]
    if not hat.any() or not hits[:, :, RIDE].any():  # most bars (live, every bar but ridden ones): nothing to name
        return np.zeros(hat.shape, dtype=bool)
    on_beat = np.arange(hat.shape[1])[None, :] % np.maximum(1, beat_steps)[:, None] == 0  # (n, S)
    foot_bars = ridden_bars(hits, bar_steps, beat_steps) & ~(hat & ~on_beat).any(axis=1)
    return hat & foot_bars[:, None]


def cross_stick_cells(hits: np.ndarray, grooves: np.ndarray, structure: np.ndarray, cross_sticks: np.ndarray,
                      bar_steps: np.ndarray) -> np.ndarray:
    """(n, S) bool the snare hits of hits (n, S, 9) played as the cross-stick: in the bars whose groove (`grooves`
    (n,), a codebook entry, -1: none) is one of `cross_sticks` (K,) bool, but in the second half of a bar that
    `structure` (n, 3) marks a fill (of `bar_steps` (n,) steps)."""
    bars = (grooves >= 0) & cross_sticks[np.maximum(grooves, 0)]
    cells = hits[:, :, SNARE] & bars[:, None]
    fill_half = np.arange(hits.shape[1])[None, :] >= (bar_steps // 2)[:, None]
    return cells & ~(fill_half & structure[:, FILL_COLUMN][:, None])


def cross_stick_entries(styles: StyleBook, style: str | None) -> np.ndarray | None:
    """(K,) bool the codebook entries whose snare `--style style` plays as the cross-stick: its own grooves, for a
    style of CROSS_STICK_STYLES; None for any other style, or none."""
    if style not in CROSS_STICK_STYLES:
        return None
    return np.array([family == style for family in styles.family], dtype=bool)
