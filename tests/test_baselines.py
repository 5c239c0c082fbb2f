"""Baselines: they follow the song's meter map bar by bar, and retrieval plays the training set's most played bar."""

from __future__ import annotations

import numpy as np
import pytest

from seq2drum.evaluation import metrics
from seq2drum.evaluation.baselines import BarLibrary, backbeat, baseline_drums, jazz_ride, retrieval
from seq2drum.config import DataConfig
from seq2drum.song.corpus import EncodedSong, encode_song
from seq2drum.midi.drums import CLOSED_HAT, KICK, RIDE, SNARE
from seq2drum.midi.io import read_midi
from seq2drum.song.grid import Grid
from tests.builders import notes_from_steps, riff, song_bytes

PPQ = 480


def meter_map_grid() -> Grid:
    """Bar 1 in 4/4 (steps 0-15), bar 2 in 3/4 (16-27), bars 3-4 in 6/8 (28-39, 40-51)."""
    signatures = [(0, 4, 4), (4 * PPQ, 3, 4), (7 * PPQ, 6, 8)]
    return Grid.build(PPQ, signatures, [(0, 500_000)], 13 * PPQ - 1)


def steps_of(column: np.ndarray, start: int, end: int) -> list[int]:
    return [int(s) - start for s in np.flatnonzero(column[start:end]) + start]


def test_backbeat_follows_the_meter_map() -> None:
    """4/4: kick 1+3, snare 2+4; 3/4: kick 1, snare 2; 6/8: kick 1, snare on the second dotted quarter; hats on
    every eighth throughout. Breaks if the baseline assumes 4/4 everywhere."""
    grid = meter_map_grid()
    assert grid.bars[:, 1].tolist() == [16, 12, 12, 12]
    drums = backbeat(grid)
    expected = ((0, 16, [0, 8], [4, 12]), (16, 28, [0], [4]), (28, 40, [0], [6]), (40, 52, [0], [6]))
    for start, end, kicks, snares in expected:
        assert steps_of(drums.hits[:, KICK], start, end) == kicks
        assert steps_of(drums.hits[:, SNARE], start, end) == snares
        assert steps_of(drums.hits[:, CLOSED_HAT], start, end) == list(range(0, end - start, 2))


def test_jazz_ride_swings_in_simple_meters_and_plays_eighths_in_compound_ones() -> None:
    """Ride on the beats with a skip note 2/3 into beats 2 and 4 (step 7 minus 1/3), hat foot on 2 and 4, kick on 1;
    in 6/8 the ride plays every eighth. Breaks if the skip note loses its swing offset."""
    grid = meter_map_grid()
    drums = jazz_ride(grid)
    assert steps_of(drums.hits[:, RIDE], 0, 16) == [0, 4, 7, 8, 12, 15]
    assert drums.offset[7, RIDE] == pytest.approx(-1 / 3)
    assert steps_of(drums.hits[:, CLOSED_HAT], 0, 16) == [4, 12]
    assert steps_of(drums.hits[:, KICK], 0, 16) == [0]
    assert steps_of(drums.hits[:, RIDE], 16, 28) == [0, 4, 7, 8]  # 3/4: skip after beat 2 only
    assert steps_of(drums.hits[:, RIDE], 28, 40) == [0, 2, 4, 6, 8, 10]
    swing = metrics.swing(drums, grid, (0, grid.n_steps))
    assert swing[0] == pytest.approx(2 / 3) and np.isnan(swing[2])


def test_baselines_have_accented_velocities_only_where_they_hit() -> None:
    """Breaks if a baseline writes velocity without a hit, or a hit without velocity, or loses the downbeat accent."""
    grid = meter_map_grid()
    for name, drums in baseline_drums(grid, BarLibrary()).items():
        assert ((drums.velocity > 0) == drums.hits).all(), name
        assert ((drums.offset != 0) <= drums.hits).all(), name
    hats = backbeat(grid).velocity[:16, CLOSED_HAT]
    assert hats[0] > hats[4] > hats[2]  # downbeat > beat > off-beat


def encoded(
    drum_bars: list[list[tuple[int, int]]], steps_per_bar: int = 16, meter: tuple[int, int] = (4, 4)
) -> EncodedSong:
    """A song whose guitar plays every bar and whose drums play the given (step in bar, pitch) bars."""
    events = [(bar * steps_per_bar + step, pitch) for bar, cells in enumerate(drum_bars) for step, pitch in cells]
    data = song_bytes(notes_from_steps(riff(len(drum_bars), steps_per_bar), length_steps=2), notes_from_steps(events),
                      time_signatures=((0, *meter),))
    return encode_song(read_midi(data), DataConfig(), name="song")


ROCK = [(0, 36), (4, 38), (8, 36), (12, 38)]
FOUR_ON_THE_FLOOR = [(0, 36), (4, 36), (8, 36), (12, 36)]


def test_retrieval_plays_the_most_frequent_training_bar() -> None:
    """3 rock bars against 2 four-on-the-floor bars (over two songs): every 4/4 bar gets the rock bar."""
    library = BarLibrary.build([encoded([ROCK, FOUR_ON_THE_FLOOR, ROCK]), encoded([FOUR_ON_THE_FLOOR, ROCK])])
    assert sum(library.counts.values()) == 5 and len(library.keys) == 2
    pattern = library.most_frequent()[16]
    assert np.flatnonzero(pattern[:, KICK]).tolist() == [0, 8] and np.flatnonzero(pattern[:, SNARE]).tolist() == [4, 12]
    grid = meter_map_grid()
    drums = retrieval(grid, library)
    assert (drums.hits[:16] == pattern).all()


def test_retrieval_ignores_empty_bars_and_falls_back_to_the_backbeat() -> None:
    """A drummer resting most bars must not make silence the retrieved bar; a length never seen in training (12
    steps: 3/4 and 6/8) gets the backbeat's bar."""
    library = BarLibrary.build([encoded([FOUR_ON_THE_FLOOR, [], [], []])])
    assert sum(library.counts.values()) == 1
    grid = meter_map_grid()
    drums = retrieval(grid, library)
    assert np.flatnonzero(drums.hits[:16, KICK]).tolist() == [0, 4, 8, 12]
    assert (drums.hits[16:] == backbeat(grid).hits[16:]).all()


def test_retrieval_keys_bars_by_length_in_steps() -> None:
    """A 3/4 training bar is retrieved for 3/4 bars only."""
    waltz = [(0, 36), (4, 38), (8, 38)]
    library = BarLibrary.build([encoded([waltz] * 4, steps_per_bar=12, meter=(3, 4))])
    drums = retrieval(meter_map_grid(), library)
    assert np.flatnonzero(drums.hits[16:28, SNARE]).tolist() == [4, 8]
    assert np.flatnonzero(drums.hits[0:16, SNARE]).tolist() == [4, 12]  # 4/4 bar: backbeat fallback


def test_a_song_is_never_scored_against_a_library_holding_its_own_bars() -> None:
    """Issue 23 item 8: with `--split all` the library came from the songs scored (copied bars 1.00, retrieval F1
    0.58). `without(song)` takes the song's bars out, and leaves a library the song is not in as it is."""
    import dataclasses

    mine = dataclasses.replace(encoded([ROCK] * 3), sha256="mine")
    other = dataclasses.replace(encoded([FOUR_ON_THE_FLOOR] * 2 + [ROCK]), sha256="other")
    library = BarLibrary.build([mine, other])
    assert sum(library.counts.values()) == 6 and library.songs == {"mine", "other"}
    left = library.without(mine)
    assert sum(left.counts.values()) == 3 and left.songs == {"other"}
    drums = retrieval(mine.grid, left)  # two four-on-the-floor bars now outnumber the other song's one rock bar
    assert np.flatnonzero(drums.hits[:16, KICK]).tolist() == [0, 4, 8, 12]
    assert np.flatnonzero(retrieval(mine.grid, library).hits[:16, SNARE]).tolist() == [4, 12]
    stranger = dataclasses.replace(mine, sha256="stranger")
    assert left.without(stranger) is left and library.without(other).without(mine).counts == {}
