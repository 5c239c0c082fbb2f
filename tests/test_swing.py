"""Swing decided from the song (seq2drum.feel.swing): a straight song is never swung, a shuffle swings at the place
its off-beat notes sound, --swing overrides the reading, and compound meters are not read."""

from __future__ import annotations

import numpy as np
import pytest

from seq2drum.feel import swing as swing_module
from seq2drum.feel.swing import (STRAIGHT_MAX_SWING, HeardSwing, decide_swing, read_swing, song_swing, swing,
                                 swung_positions)
from seq2drum.generation.generator import DrumGenerator
from seq2drum.midi.io import read_midi
from seq2drum.midi.write import TrackSpec
from seq2drum.options import GenerationOptions
from seq2drum.midi.drums import CLOSED_HAT, RIDE, SNARE, Articulation
from seq2drum.song.drum_part import DrumGrid, drums_to_grid
from seq2drum.song.grid import Grid
from tests.builders import PPQ, notes_from_steps, riff, song_bytes, strummed, styled_codebook, tiny_checkpoint


def grid_for(notes: np.ndarray, numerator: int = 4, denominator: int = 4) -> Grid:
    return Grid.build(PPQ, [(0, numerator, denominator)], [(0, 500_000)], int(notes[:, 1].max()), 4)


@pytest.mark.parametrize("places, expected", [([0.0, 0.5], 0.5), ([0.0, 0.25, 0.5, 0.75], None)],
                         ids=["straight-eighths", "straight-16ths"])
def test_a_straight_guitar_reads_straight(places: list[float], expected: float | None) -> None:
    """Breaks if a straight song could be swung: its eighths read 0.5, and 16ths (three notes off the beat) are not
    read at all, never as the mean of 0.5 and 0.75."""
    notes = strummed(places, 64, jitter_ticks=20)
    reading = read_swing(notes, grid_for(notes))
    assert not reading.swung
    assert reading.swing == (None if expected is None else pytest.approx(expected, abs=0.02))
    assert decide_swing(None, notes, grid_for(notes)) == (None, "")


@pytest.mark.parametrize("place", [0.58, 0.62, 2 / 3])
def test_a_shuffle_reads_at_the_middle_of_its_strums(place: float) -> None:
    """Breaks if a strum's notes were read as several off-beat notes (no beat read) or at its first note."""
    notes = strummed([0.0, place], 64, strum_ticks=40, jitter_ticks=6)
    reading = read_swing(notes, grid_for(notes))
    assert reading.swung and reading.n_beats == 64
    assert reading.swing == pytest.approx(place + 20 / PPQ, abs=0.01)  # the strum's middle: 20 ticks after its start
    ratio, notice = decide_swing(None, notes, grid_for(notes))
    assert ratio == pytest.approx(reading.swing)
    assert "--swing 0.5 keeps the drums straight" in notice
    assert decide_swing(0.5, notes, grid_for(notes)) == (0.5, "")  # --swing says


def test_syncopated_sixteenths_on_the_grid_are_not_swing() -> None:
    """Breaks if a straight riff of eighths and syncopated 16ths (its off-beat notes at 0.5 and 0.75, averaging
    0.625) were swung: none of its notes sits off the straight grid."""
    eighths, syncopated = strummed([0.0, 0.5], 32, jitter_ticks=10), strummed([0.0, 0.75], 32, jitter_ticks=10)
    syncopated[:, :2] += 32 * PPQ
    notes = np.concatenate([eighths, syncopated])
    reading = read_swing(notes, grid_for(notes))
    assert reading.swing == pytest.approx(0.625, abs=0.02) and reading.swung_share < 0.1 and not reading.swung


def test_a_band_is_read_part_by_part() -> None:
    """Breaks if the parts were read merged again: a flute's late grace note over a swung guitar leaves no beat with
    one off-beat note, and the band (as two swinging validation songs did) would read nothing and stay straight."""
    guitar = strummed([0.0, 2 / 3], 64, jitter_ticks=4)
    flute = strummed([0.8], 64, strum_ticks=0)[::3]
    assert read_swing(np.concatenate([guitar, flute])[np.argsort(np.r_[guitar[:, 0], flute[:, 0]])],
                      grid_for(guitar)).swing is None
    reading = read_swing([guitar, flute], grid_for(guitar))
    assert reading.n_beats == 128 and reading.swung
    assert reading.swing == pytest.approx((2 / 3 + 6 / PPQ + 0.8) / 2, abs=0.01)  # the guitar's strum middle
    ratio, _ = decide_swing(None, [], grid_for(guitar), [guitar, flute])  # a band without a guitar part
    assert ratio == pytest.approx(reading.swing)


def test_many_parts_are_read_in_one_pass_as_each_on_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 69 N3: each part was read with numpy calls of its own, 15 of 24 s of a song of 40,000 one-note tracks.
    Now one pass over all their notes reads each part as it read it alone (never once per part), and a part with no
    beat to read (one note on the beat) reads nothing, alone or beside others."""
    shuffle = strummed([0.0, 0.67], 64, jitter_ticks=10)
    straight = strummed([0.0, 0.5], 64, jitter_ticks=10)
    lone = np.array([[0, PPQ // 4, 40, 100]])
    grid = grid_for(shuffle)
    alone = [read_swing(part, grid) for part in (shuffle, straight)]
    together = read_swing([shuffle, lone, straight, *[lone] * 2000], grid)
    assert together.n_beats == alone[0].n_beats + alone[1].n_beats == 128
    assert together.swing == pytest.approx(sum(read.swing * read.n_beats for read in alone) / 128)
    assert read_swing(lone, grid).swing is None and read_swing(lone, grid).n_beats == 0
    calls = []
    monkeypatch.setattr(swing_module, "swung_positions", lambda time_q: calls.append(1) or np.zeros(0))
    read_swing([lone] * 2000, grid)
    assert not calls  # the per-part reading, once per part before


def test_the_guitar_is_read_first_and_the_band_when_it_gives_nothing_to_read() -> None:
    """Breaks if the drums stopped following the guitar's swing when other parts play (mmxmamt's guitar swings at
    0.585, its band reads 0.583 with too few notes off the grid), or stayed straight under a swinging band whose
    guitar holds chords (no beat of it read)."""
    guitar = strummed([0.0, 0.62], 64, jitter_ticks=4)
    straight_keys = strummed([0.0, 0.5], 64, strum_ticks=0)
    grid = grid_for(guitar)
    ratio, _ = decide_swing(None, [guitar], grid, [straight_keys, straight_keys.copy()])
    assert ratio == pytest.approx(read_swing(guitar, grid).swing)
    assert decide_swing(None, [guitar, straight_keys, straight_keys.copy()], grid) == (None, "")  # read together
    held = strummed([0.0], 64)
    ratio, _ = decide_swing(None, [held], grid, [guitar])
    assert ratio == pytest.approx(read_swing(guitar, grid).swing)


def test_a_straight_guitar_over_a_swinging_bass_swings_with_the_bass() -> None:
    """Breaks if the drums stayed straight where only the guitar plays straight eighths over a walking or shuffling
    bass (the_bard_of_armagh: its guitar reads 0.52, its bass 0.67; its drummer swings at 0.67), or if a straight
    bass and band swung a straight guitar."""
    guitar = strummed([0.0, 0.5], 64, jitter_ticks=4)
    shuffle = strummed([0.0, 2 / 3], 64, strum_ticks=0)
    straight = strummed([0.0, 0.5], 64, strum_ticks=0)
    grid = grid_for(guitar)
    ratio, notice = decide_swing(None, [guitar], grid, [shuffle, straight], [shuffle])
    assert ratio == pytest.approx(read_swing(shuffle, grid).swing) and "swinging" in notice
    assert decide_swing(None, [guitar], grid, [straight, straight.copy()], [straight]) == (None, "")
    assert decide_swing(None, [guitar], grid) == (None, "")  # the guitar alone: nothing else to read
    swung_guitar = strummed([0.0, 0.62], 64, jitter_ticks=4)  # the guitar's own swing comes first
    ratio, _ = decide_swing(None, [swung_guitar], grid, [shuffle], [shuffle])
    assert ratio == pytest.approx(read_swing(swung_guitar, grid).swing)


def test_compound_meters_and_too_few_beats_are_not_read() -> None:
    triplets = strummed([0.0, 2 / 3], 48)
    assert read_swing(triplets, grid_for(triplets, 12, 8)).swing is None  # already in threes
    few = strummed([0.0, 2 / 3], 7)
    assert read_swing(few, grid_for(few)).swing is None
    assert read_swing(np.zeros((0, 4), dtype=np.int64), grid_for(few)).n_beats == 0


def test_swung_positions_keep_beats_with_one_off_beat_note_in_the_window() -> None:
    times = np.array([0.0, 0.66, 1.0, 1.5, 1.75, 2.05, 2.95, 3.3, 4.0, 4.9])
    assert swung_positions(times) == pytest.approx([0.66])  # beat 1 has two, 2 only near-beat notes, 3 too early


def test_the_swing_moves_each_hits_timing_and_keeps_its_articulation() -> None:
    """A jazz ride's skip notes (the last 16th) move to the swing (0.67 of the beat, earlier); each hit keeps its
    cell, so the hi-hat foot stays the pedal hat."""
    grid = Grid.build(PPQ, [(0, 4, 4)], [(0, 500_000)], 4 * 4 * PPQ, 4)
    drums = DrumGrid.empty(grid.n_steps)
    for bar in range(4):
        drums.hits[[16 * bar + s for s in (0, 4, 7, 8, 12, 15)], RIDE] = True
        drums.hits[[16 * bar + 4, 16 * bar + 12], CLOSED_HAT] = True
    drums.velocity[drums.hits] = 90
    drums.articulation[:, CLOSED_HAT] = drums.hits[:, CLOSED_HAT] * Articulation.PEDAL_HAT
    swung, _ = swing(drums, grid, 0.67)
    assert swung.offset[7, RIDE] < -0.2 and np.array_equal(swung.articulation, drums.articulation)


def test_a_comp_on_a_beats_last_16th_is_its_swung_eighth_where_the_time_plays_the_beat_alone() -> None:
    """The ride on the beats alone and the snare on each beat's last 16th (a jazz comp on the triplet's last note, as
    the drummers' files are written): the snare lands at the swing (0.67 of the beat), not at 0.83 of it, where it
    sounded as the next beat's backbeat; beside a beat whose time plays its eighth, the 16th swings as before."""
    grid = Grid.build(PPQ, [(0, 4, 4)], [(0, 500_000)], 4 * 4 * PPQ, 4)
    drums = DrumGrid.empty(grid.n_steps)
    drums.hits[[0, 4, 8, 12], RIDE] = True
    drums.hits[[3, 7], SNARE] = True
    drums.hits[10, RIDE] = True  # beat 3 keeps time on its eighth: its last 16th is a 16th, 0.83 of the beat
    drums.hits[11, SNARE] = True
    drums.velocity[drums.hits] = 90
    swung, _ = swing(drums, grid, 2 / 3)
    places = (np.array([3, 7, 11]) + swung.offset[[3, 7, 11], SNARE]) / 4 % 1
    assert places == pytest.approx([2 / 3, 2 / 3, 5 / 6], abs=0.01)


@pytest.fixture(scope="module")
def styled(tmp_path_factory: pytest.TempPathFactory) -> DrumGenerator:
    path = tiny_checkpoint(tmp_path_factory.mktemp("swing") / "styled.pt", codebook=styled_codebook())
    return DrumGenerator.from_checkpoint(path)


def written_swing(midi_bytes: bytes) -> float | None:
    """The written drums' swing as ../shared/scoring measures it."""
    written = read_midi(midi_bytes)
    grid = Grid.build(written.ticks_per_quarter, written.time_signatures, written.tempos, written.end_tick, 4)
    drums = drums_to_grid(written.drum_parts[0].notes, grid)
    return song_swing(drums, grid, (0, grid.n_steps))


def test_a_made_up_straight_song_stays_straight(styled: DrumGenerator) -> None:
    midi = song_bytes(notes_from_steps(riff(16), length_steps=2))
    result = styled.generate(midi, GenerationOptions(seed=0, style="straight-8ths"))
    swing = written_swing(result.midi_bytes)
    assert swing is not None and swing <= STRAIGHT_MAX_SWING
    assert not any("swinging" in notice for notice in result.notices)


def test_a_made_up_shuffle_swings_as_the_guitar_does(styled: DrumGenerator) -> None:
    midi = song_bytes(strummed([0.0, 2 / 3], 64, strum_ticks=16, jitter_ticks=4))
    result = styled.generate(midi, GenerationOptions(seed=0, style="straight-8ths"))
    assert written_swing(result.midi_bytes) == pytest.approx(2 / 3 + 8 / PPQ, abs=0.04)
    assert any("swinging at 0.68" in notice for notice in result.notices)
    kept = styled.generate(midi, GenerationOptions(seed=0, style="straight-8ths", swing=0.5))
    assert written_swing(kept.midi_bytes) == pytest.approx(0.5, abs=0.03)


def test_a_made_up_shuffle_without_a_style_swings_measurably_as_the_guitar_does(styled: DrumGenerator) -> None:
    """Breaks if a song decided swung could come out with time-keeping that shows no swing (quarter notes or 16ths:
    4 of the 9 validation songs read swung): every bar's last beat carries one swung note (controls.py). Over a
    few drummers: one drummer's drift moves a few other hits into the beats the measure reads (0.64 one seed in 4)."""
    midi = song_bytes(strummed([0.0, 2 / 3], 64, strum_ticks=16, jitter_ticks=4))
    swings = [written_swing(styled.generate(midi, GenerationOptions(seed=seed)).midi_bytes) for seed in range(4)]
    assert np.mean(swings) == pytest.approx(2 / 3 + 8 / PPQ, abs=0.04) and min(swings) > STRAIGHT_MAX_SWING
    straight = styled.generate(song_bytes(notes_from_steps(riff(16), length_steps=2)), GenerationOptions(seed=0))
    assert not any("swinging" in notice for notice in straight.notices)
    assert (written_swing(straight.midi_bytes) or 0.5) <= STRAIGHT_MAX_SWING


def test_a_made_up_straight_guitar_over_a_shuffling_bass_swings_with_the_bass(styled: DrumGenerator) -> None:
    """Breaks if generation stopped passing the bass parts to the swing's reading, or swung a song heard from its
    guitar alone (`--guitar-only`: a straight guitar, nothing else read). The drums keep eighths (a style): the tiny
    untrained network's own hats fall on every 16th and sextuplet, and how many of them are eighths followed the plan
    it happened to make (0.59-0.64 written swing on one seed as the part model changed), not the reading."""
    guitar = strummed([0.0, 0.5], 64, strum_ticks=16, jitter_ticks=4)
    bass = strummed([0.0, 2 / 3], 64, strum_ticks=0)
    bass[:, 2] = 40
    midi = song_bytes(guitar, extra=[TrackSpec("Bass", 1, bass, 33)])
    result = styled.generate(midi, GenerationOptions(seed=0, style="straight-8ths"))
    assert written_swing(result.midi_bytes) == pytest.approx(2 / 3, abs=0.04)
    assert any("swinging at 0.67" in notice for notice in result.notices)
    alone = styled.generate(midi, GenerationOptions(seed=0, guitar_only=True, style="straight-8ths"))
    assert not any("swinging" in notice for notice in alone.notices)
    assert (written_swing(alone.midi_bytes) or 0.5) <= STRAIGHT_MAX_SWING


def heard(parts: dict[str, np.ndarray], n_bars: int, numerator: int = 4) -> HeardSwing:
    """The live reading of whole parts (notes (N, 4) in ticks) heard bar by bar, as the live drummer hears them."""
    reading = HeardSwing()
    bar_ticks = numerator * PPQ
    for bar in range(n_bars):
        onsets = {role: [(start - bar * bar_ticks) / PPQ for start in notes[:, 0].tolist()
                         if bar * bar_ticks <= start < (bar + 1) * bar_ticks] for role, notes in parts.items()}
        reading = reading.after({role: found for role, found in onsets.items() if found}, numerator, 4)
    return reading


@pytest.mark.parametrize("case", ["swung-guitar", "straight-guitar", "straight-guitar-shuffling-bass", "16ths"])
def test_the_live_reading_heard_bar_by_bar_is_the_songs_reading(case: str) -> None:
    """Issue 67: live never swung (the band's swing was unknown), so a swung jazz song got no jazz ride and no
    swung time live. `HeardSwing` reads the notes heard bar by bar as `decide_swing` reads the song, a role standing
    for a part: the same ratio (or straight) once the song is heard, for a swung guitar, a straight one, a straight
    one over a shuffling bass (read from the bass), and 16ths (not read)."""
    guitar = {"swung-guitar": strummed([0.0, 0.62], 64, jitter_ticks=4),
              "16ths": strummed([0.0, 0.25, 0.5, 0.75], 64)}.get(case, strummed([0.0, 0.5], 64, jitter_ticks=4))
    bass = strummed([0.0, 2 / 3], 64, strum_ticks=0) if case.endswith("bass") else None
    grid = grid_for(guitar)
    song, _ = decide_swing(None, [guitar], grid, [] if bass is None else [bass], [] if bass is None else [bass])
    live = heard({"guitar": guitar} if bass is None else {"guitar": guitar, "bass": bass}, 16)
    assert live.ratio(None) == (None if song is None else pytest.approx(song, abs=1e-9))
    assert (song is None) == (case in ("straight-guitar", "16ths"))
    assert live.ratio(0.6) == 0.6  # --swing: as asked


def test_the_live_reading_waits_for_enough_beats_and_skips_compound_bars() -> None:
    """Under MIN_SWING_BEATS beats heard the song is not yet read (straight); 6/8 bars add nothing."""
    guitar = strummed([0.0, 2 / 3], 64)
    assert heard({"guitar": guitar}, 1).ratio(None) is None  # 4 beats: too few
    assert heard({"guitar": guitar}, 2).ratio(None) is not None
    assert HeardSwing().after({"guitar": [0.0, 0.67, 1.0, 1.67]}, 6, 8) == HeardSwing()


def test_a_live_bars_places_are_read_as_the_songs_reader_reads_them() -> None:
    """`bar_places` (plain Python, on a live bar's hot path) gives what numpy's reading gives, to the bit, on random
    bars of strums, pushes and off-beat notes: the unique onsets, strums merged at their middle, `swung_positions`."""
    from seq2drum.feel.swing import STRUM_QUARTERS, bar_places

    rng = np.random.default_rng(5)
    for _ in range(300):
        onsets = np.round(rng.uniform(0, 4, rng.integers(0, 40)) * rng.choice([16, 48, 960]), 0)
        onsets = (onsets / rng.choice([16, 48, 960])).tolist() + rng.uniform(0, 4, rng.integers(0, 5)).tolist()
        times = np.unique(np.asarray(onsets, dtype=np.float64))
        strum = np.concatenate([[0], np.cumsum(np.diff(times) >= STRUM_QUARTERS)]).astype(np.int64)
        merged = np.bincount(strum, times) / np.bincount(strum) if len(times) else times
        assert bar_places(onsets) == swung_positions(merged).tolist()
