"""What the guitar plays, as numbers on the song's grid: per-step guitar features and a song-level summary.

Pure numpy; each value is written under its name in `song.columns` (`GUITAR`, `SONG`), and `song.bars` arranges
them by bar. The groove of a song cannot be read off the guitar's onset rhythm alone, so the features carry pitch
content (onset and sounding chroma), register, chord size, dynamics, articulation, bar-level cues (density relative
to the song, repeats, change from the previous bar) and a song-level summary (program, density, key profile, tempo,
meter).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from seq2drum import arrays
from seq2drum.midi.io import END, PITCH, START, VELOCITY
from seq2drum.song.columns import GUITAR, SONG
from seq2drum.song.grid import BAR_NUMERATOR, BAR_START, BAR_STEPS, Grid

N_GUITAR_FEATURES = len(GUITAR)
N_SONG_FEATURES = len(SONG)


# ---------------------------------------------------------------------------------------------- guitar


def guitar_features(notes: np.ndarray, grid: Grid) -> np.ndarray:
    """(n_steps, N_GUITAR_FEATURES) float32: what the guitar does at each step, and in its bar."""
    n_steps = grid.n_steps
    features = np.zeros((n_steps, N_GUITAR_FEATURES), dtype=np.float32)
    if not len(notes):
        features[:, GUITAR.index("bar_silent")] = 1.0  # every bar silent
        return features
    start_step, end_step = grid.nearest_step(notes[:, START : END + 1].T)
    start_step = np.minimum(np.maximum(start_step, 0), n_steps - 1)  # np.clip's integers, a third the calls
    end_step = np.minimum(np.maximum(end_step, start_step + 1), n_steps)  # >= 1, start_step being >= 0
    loudest, onset_count = _step_columns(features, notes, start_step, end_step)
    features[:, GUITAR.bar_cues] = _bar_cues(features, grid, notes[:, PITCH], start_step, loudest, onset_count)
    return features


# the columns from onsets to pitch_spread, one block of the table, each as `_step_columns` computes it
_STEP_BLOCK = ("onsets", "voices", "lowest_pitch", "highest_pitch", "has_onset", "loudness", "note_length",
               "pitch_spread")
_BLOCK = slice(GUITAR.index(_STEP_BLOCK[0]), GUITAR.index(_STEP_BLOCK[-1]) + 1)
ONSET_CHROMA = GUITAR.onset_chroma.start
assert GUITAR.names[_BLOCK] == _STEP_BLOCK


def _step_columns(features: np.ndarray, notes: np.ndarray, start_step: np.ndarray,
                  end_step: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Write the per-step columns into `features` (n_steps, N_GUITAR_FEATURES); return each step's loudest onset
    velocity and its onset count, which the bar cues reuse. A step without an onset has no pitch, length or spread:
    those are computed at every step, then zeroed where none starts (the values where one does are the same)."""
    n_steps = len(features)
    pitch = notes[:, PITCH]
    pitch_class = pitch % 12
    # (step, onset_chroma + pitch class) cells through the flat table: one index, not two
    features.reshape(-1)[start_step * N_GUITAR_FEATURES + (ONSET_CHROMA + pitch_class)] = 1.0
    # difference arrays: +1 at the onset, -1 at the end (bincounts: a quarter of np.add.at's time on a bar's notes)
    cells = (n_steps + 1) * 12
    sounding = (np.bincount(start_step * 12 + pitch_class, minlength=cells)
                - np.bincount(end_step * 12 + pitch_class, minlength=cells)).reshape(n_steps + 1, 12)
    features[:, GUITAR.sounding_chroma] = np.add.accumulate(sounding[:n_steps], axis=0) > 0  # cumsum, a third
    starts = np.bincount(start_step, minlength=n_steps + 1)  # start_step < n_steps: n_steps + 1 long
    onset_count = starts[:n_steps].astype(np.float32)
    has_onset = onset_count > 0
    low = np.full(n_steps, 127, dtype=np.int64)
    high = np.zeros(n_steps, dtype=np.int64)
    np.minimum.at(low, start_step, pitch)
    np.maximum.at(high, start_step, pitch)
    loudest = np.zeros(n_steps, dtype=np.float32)
    np.maximum.at(loudest, start_step, notes[:, VELOCITY].astype(np.float32))
    duration = (end_step - start_step).astype(np.float32)
    duration_sum = np.bincount(start_step, weights=np.log2(1.0 + duration), minlength=n_steps)
    block = np.empty((n_steps, len(_STEP_BLOCK)))  # (n_steps, 8) float64: each column's values as computed alone
    block[:, 0] = np.minimum(onset_count / 4.0, 2.0)
    voices = np.add.accumulate((starts - np.bincount(end_step, minlength=n_steps + 1))[:n_steps])
    block[:, 1] = np.minimum(voices / 6.0, 2.0)
    block[:, 2] = (low - 52) / 24.0
    block[:, 3] = (high - 52) / 24.0
    block[:, 4] = has_onset
    block[:, 5] = loudest / 127.0
    block[:, 6] = duration_sum / np.maximum(onset_count, 1.0) / 4.0
    block[:, 7] = (high - low) / 24.0
    block[~has_onset, 2:] = 0.0  # has_onset and loudness are 0 there already
    features[:, _BLOCK] = block
    return loudest, onset_count


def _bar_cues(features: np.ndarray, grid: Grid, pitch: np.ndarray, start_step: np.ndarray, loudest: np.ndarray,
              onset_count: np.ndarray) -> np.ndarray:
    """(n_steps, 5) float32, GUITAR.bar_cues of every step's bar: density against the song, loudness, repeats an
    earlier bar, silent, chroma like the previous bar's (section cues)."""
    has_onset = onset_count > 0
    if grid.n_bars == 1:
        return _one_bar_cues(has_onset, loudest)
    bar_starts = grid.bars[:, BAR_START]
    bar_onsets = np.add.reduceat(onset_count, bar_starts)
    bar_strikes = np.maximum(np.add.reduceat(has_onset, bar_starts), 1)
    bar_velocity = np.add.reduceat(loudest * has_onset, bar_starts) / bar_strikes
    playing = bar_onsets > 0
    mean_onsets = bar_onsets[playing].mean() if playing.any() else 1.0
    chroma = np.add.reduceat(features[:, GUITAR.onset_chroma], bar_starts, axis=0)
    norms = np.linalg.norm(chroma, axis=1) + 1e-6
    previous = np.vstack([np.zeros((1, 12), dtype=np.float32), chroma[:-1]])
    similarity = (chroma * previous).sum(axis=1) / (norms * (np.linalg.norm(previous, axis=1) + 1e-6))
    per_bar = np.stack(
        [
            np.minimum(bar_onsets / mean_onsets, 4.0) / 2.0,
            bar_velocity / 127.0,
            _repeats(grid, pitch, start_step),
            ~playing,
            similarity,
        ],
        axis=1,
    ).astype(np.float32)
    return np.repeat(per_bar, grid.bars[:, BAR_STEPS], axis=0)


def _one_bar_cues(has_onset: np.ndarray, loudest: np.ndarray) -> np.ndarray:
    """(1, 5) float32 `_bar_cues` of a song of one bar (each bar the live drummer reads), in a few scalar steps: its
    density is the song's (0.5 when it plays), nothing earlier to repeat or resemble. The same values: the sums are
    of whole numbers, exact in any order."""
    strikes = int(np.count_nonzero(has_onset))
    velocity = float((loudest * has_onset).sum()) / max(strikes, 1)
    return np.array([[0.5 if strikes else 0.0, velocity / 127.0, 0.0, 0.0 if strikes else 1.0, 0.0]],
                    dtype=np.float32)


def _repeats(grid: Grid, pitch: np.ndarray, start_step: np.ndarray) -> np.ndarray:
    """(n_bars,) float32, 1 where a bar plays exactly the notes (step in bar, pitch) of an earlier bar."""
    bar_starts = grid.bars[:, BAR_START]
    repeats = np.zeros(grid.n_bars, dtype=np.float32)
    if grid.n_bars == 1:  # nothing earlier to repeat (live, every bar is read as a song of one bar)
        return repeats
    seen: set[bytes] = set()
    bar_of_note = np.searchsorted(bar_starts, start_step, side="right") - 1
    rel_step = start_step - bar_starts[bar_of_note]
    pattern_order = np.lexsort((pitch, rel_step, bar_of_note))
    # a bar's pattern: its notes' (step in bar, pitch) pairs in that order, as int16 bytes
    pairs = np.stack([rel_step[pattern_order], pitch[pattern_order]], axis=1).astype(np.int16)
    played_bars, first_note = np.unique(bar_of_note[pattern_order], return_index=True)
    bounds = np.append(first_note, len(pairs)).tolist()
    for bar, start, end in zip(played_bars.tolist(), bounds[:-1], bounds[1:]):
        key = pairs[start:end].tobytes()
        repeats[bar] = key in seen
        seen.add(key)
    return repeats


def song_features(notes: np.ndarray, grid: Grid, programs: Iterable[int], n_guitar_parts: int) -> np.ndarray:
    """(N_SONG_FEATURES,) float32: a summary of the whole guitar part, the same for every step of the song."""
    features = np.zeros(N_SONG_FEATURES, dtype=np.float32)
    programs = list(programs)
    for program in programs:
        slot = program - 24 if 24 <= program <= 31 else 8
        features[SONG.program.start + slot] += 1.0 / max(1, len(programs))
    features[SONG.guitar_parts] = min(n_guitar_parts, 4) / 4.0
    tempo = grid.tempo_bpm()
    features[SONG.tempo_log2] = float(np.log2(arrays.median(tempo) / 120.0))
    numerators = np.repeat(grid.bars[:, BAR_NUMERATOR], grid.bars[:, BAR_STEPS])
    features[SONG.triple_share] = float((numerators % 3 == 0).mean())
    if not len(notes):
        return features
    start_step, _ = grid.quantize(notes[:, START])
    onset_steps = arrays.distinct(start_step)
    onsets_per_bar = len(notes) / max(1, grid.n_bars)
    features[SONG.onsets_per_bar] = min(onsets_per_bar / 16.0, 4.0)
    per_step = np.bincount(np.clip(start_step, 0, None))
    per_step = per_step[per_step > 0]
    features[SONG.chord_share] = float((per_step >= 3).mean())
    velocity = notes[:, VELOCITY].astype(np.float32)
    features[SONG.velocity_mean] = velocity.mean() / 127.0
    features[SONG.velocity_spread] = velocity.std() / 64.0
    pitch = notes[:, PITCH].astype(np.float32)
    features[SONG.pitch_mean] = (pitch.mean() - 52.0) / 24.0
    features[SONG.pitch_spread] = pitch.std() / 12.0
    end_step, _ = grid.quantize(notes[:, END])
    features[SONG.note_length] = float(np.log2(1.0 + np.maximum(end_step - start_step, 1)).mean() / 4.0)
    level = grid.metrical_level()
    in_range = onset_steps[(onset_steps >= 0) & (onset_steps < grid.n_steps)]
    features[SONG.offbeat_share] = float((level[in_range] == 3).mean()) if len(in_range) else 0.0
    histogram = np.bincount(notes[:, PITCH] % 12, minlength=12).astype(np.float32)
    features[SONG.pitch_class] = histogram / histogram.sum()
    features[SONG.onset_step_share] = float(len(onset_steps) / max(1, grid.n_steps))
    return features
