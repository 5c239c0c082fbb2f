"""A groove clip's notes as the drums replay them (`--groove`): drum keys only, one note per tick and key
(`clip_drum_notes`), and looped through a song within what a drum file holds (`check_clip_loop`). A drummer's clip
passes both unchanged; generation.given reads the clip's bars from them.
"""

from __future__ import annotations

import numpy as np

from seq2drum.errors import GrooveClipError
from seq2drum.midi.drums import PITCH_TO_CLASS
from seq2drum.midi.io import END, PITCH, START, VELOCITY

# the most drum notes a groove clip may write looped through a song: four fifths of what the reader takes
# (ReadLimits.max_notes, 50,000), the rest left to the fills and crashes; a drummer's clip of 30 notes a bar loops
# through 1,333 bars
MAX_LOOPED_CLIP_NOTES = 40_000
MAX_KEYS_SHOWN = 8  # keys named when a clip's notes on keys no drum plays are left out


def clip_drum_notes(notes: np.ndarray) -> tuple[np.ndarray, str]:
    """A clip's channel-10 notes (N, 4) as the drums replay them, and what was left out (", ..." to add to a message;
    "" for none): a note on a key no drum of the kit map plays (PITCH_TO_CLASS: a clip with a note on every key wrote
    keys 0-127 on channel 10), and a note at the tick and key of another (one note kept there, the loudest, the longest
    of those: a clip of 4,000 notes at one instant replayed 100 identical notes at each tick and key of every bar).
    A drummer's clip has neither, and comes back note for note."""
    drums = PITCH_TO_CLASS[notes[:, PITCH]] >= 0
    keys = sorted(set(notes[~drums, PITCH].tolist()))
    notes = notes[drums]
    order = np.lexsort((-notes[:, END], -notes[:, VELOCITY], notes[:, PITCH], notes[:, START]))
    notes = notes[order]
    first = np.ones(len(notes), dtype=bool)
    first[1:] = (notes[1:, START] != notes[:-1, START]) | (notes[1:, PITCH] != notes[:-1, PITCH])
    said = []
    if keys:
        shown = ", ".join(map(str, keys[:MAX_KEYS_SHOWN])) + (" ..." if len(keys) > MAX_KEYS_SHOWN else "")
        said.append(f"{int((~drums).sum()):,} notes on keys no drum plays ({shown}) are left out")
    if not first.all():
        said.append(f"{int((~first).sum()):,} notes at the same instant and key as another play as one")
    return notes[first], (": " + "; ".join(said)) if said else ""


def check_clip_loop(clip_notes: list[np.ndarray], n_bars: int) -> None:
    """GrooveClipError when the clip's bars (their notes), looped through a song of `n_bars` bars, would write more
    than MAX_LOOPED_CLIP_NOTES drum notes: the drums are a MIDI file that this reader, the studio and --audio read
    back (a dense clip in a 760-bar song wrote 433,238 notes, past the reader's 50,000)."""
    counts = np.array([len(bar) for bar in clip_notes], dtype=np.int64)
    if not len(counts) or not n_bars:
        return
    looped = int(counts[np.arange(n_bars) % len(counts)].sum())
    if looped > MAX_LOOPED_CLIP_NOTES:
        raise GrooveClipError(f"the groove clip plays {counts.max():,} notes in a bar; looped through the song's "
                              f"{n_bars:,} bars that makes {looped:,} drum notes, more than the "
                              f"{MAX_LOOPED_CLIP_NOTES:,} a drum file holds here; give a sparser clip (a drummer's bar "
                              "has a few dozen notes) or split the song")
