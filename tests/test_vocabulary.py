"""The designed grooves (groove.vocabulary): the jazz ride in 3/4, 4/4, 5/4 and 6/8, the bossa and the blues shuffle,
offered as styles on any model, played by `--style` on built songs, and never by the model's own choice."""

from __future__ import annotations

import numpy as np
import pytest

from seq2drum.generation.generator import DrumGenerator, GenerationResult
from seq2drum.groove.gains import GrooveGains
from seq2drum.groove.styles import StyleBook, bossa, entry_family, jazz_ride
from seq2drum.groove.vocabulary import FIGURES, drummers_grooves, figure_arrays, with_vocabulary
from seq2drum.midi.drums import CLOSED_HAT, KICK, RIDE, SNARE
from seq2drum.midi.io import read_midi
from seq2drum.options import GenerationOptions
from seq2drum.song.drum_part import drums_to_grid
from seq2drum.song.grid import Grid
from tests import band_songs
from tests.builders import jazz_band, swing_trio, tiny_codebook


def drum_bars(result: GenerationResult, numerator: int, denominator: int) -> np.ndarray:
    """(bars, steps, 9) bool: take 1 per bar on the 16th grid, past the first two bars and before the last (where
    the groove holds)."""
    hits = np.asarray(result.drums.hits, dtype=bool)
    length = 16 * numerator // denominator
    return hits[: len(hits) // length * length].reshape(-1, length, hits.shape[1])[2:-1]


@pytest.fixture(scope="module")
def shipped() -> DrumGenerator:
    return DrumGenerator.from_checkpoint()


def test_every_figure_is_named_as_its_style() -> None:
    """Each designed bar reads as the family it is written for, by the same rules that name the learned bars."""
    for figure in FIGURES:
        n_steps, bar, _ = figure_arrays(figure, 4)
        beat = 6 if "6/8" in figure.name else 4
        assert jazz_ride(bar, beat) == figure.name.startswith("jazz"), figure.name
        assert bossa(bar, 4) == figure.name.startswith("bossa"), figure.name
        assert (entry_family(bar, n_steps, False, 4) == "shuffle") == figure.name.startswith("shuffle"), figure.name


def test_the_vocabulary_is_offered_in_every_jazz_meter_and_never_chosen_unasked() -> None:
    codebook = with_vocabulary(tiny_codebook(), 4)
    assert with_vocabulary(codebook, 4) is codebook  # appended once
    styles = StyleBook.build(codebook, 4)
    assert styles.get("jazz-ride").meters == ("4/4", "3/4", "5/4", "6/8")
    assert styles.get("bossa").meters == ("4/4",)
    assert styles.get("shuffle").meters == ("4/4",)
    gains = GrooveGains(codebook, min_groove_bars=0)
    designed = codebook.designed
    drummers = drummers_grooves(4)  # the styles' drummers' bars (the bossa's, funk's ...)
    assert designed.sum() == len(FIGURES) + sum(len(found) for found in drummers.values())
    assert all(styles.get(style).meters == ("4/4",) for style in drummers)
    assert {styles.family[k] for k in np.flatnonzero(designed)} >= set(drummers)
    assert not (gains.playable & designed).any() and not (gains.playable_for_takes & designed).any()
    state = codebook.to_state()  # a checkpoint holds the learned entries only
    assert len(state["bar_steps"]) == len(tiny_codebook())
    assert (codebook.assign(codebook.patterns[designed], codebook.bar_steps[designed]) < len(tiny_codebook())).all()


def test_a_6_8_song_rides_the_6_8_jazz_ride_not_the_waltzs() -> None:
    """3/4 and 6/8 bars are both 12 steps: under a style, a song in 6/8 plays the style's 6/8 grooves only."""
    codebook = with_vocabulary(tiny_codebook(), 4)
    styles = StyleBook.build(codebook, 4)
    meters = styles.entry_meters()
    jazz = [k for k, family in enumerate(styles.family) if family == "jazz-ride"]
    for song_meter, other in (("6/8", "3/4"), ("3/4", "6/8")):
        allowed = styles.allowed("jazz-ride", [song_meter])
        assert any(allowed[k] for k in jazz if meters[k] == song_meter)
        assert not any(allowed[k] for k in jazz if meters[k] == other)


@pytest.mark.parametrize(("numerator", "denominator", "hat_beats"), [
    (4, 4, (1, 3)),  # the swing tune: the hat foot on 2 and 4
    (3, 4, (1, 2)),  # the jazz waltz: on 2 and 3
    (5, 4, (2, 4)),  # 5/4 as 3 + 2: on 3 and 5
    (6, 8, (1,)),  # 6/8: the ride on both dotted beats, the hat on the second
], ids=["swing-4/4", "jazz-waltz-3/4", "5/4", "6/8"])
def test_jazz_ride_plays_spang_a_lang_with_the_hat_on_the_backbeats(
        shipped: DrumGenerator, numerator: int, denominator: int, hat_beats: tuple[int, ...]) -> None:
    """The style's grooves, learned or designed, chosen by the model's scores: the ride on every beat with skip
    notes (the last 16th of a beat, the last eighth of a dotted one), the hat foot on the backbeats."""
    midi = jazz_band(numerator, denominator)
    drums = drum_bars(shipped.generate(midi, GenerationOptions(style="jazz-ride", seed=0, fills="none",
                                                                humanize=False)), numerator, denominator)
    beat = 6 if denominator == 8 else 4
    ride = drums[:, :, RIDE]
    assert ride[:, ::beat].mean() >= 0.9  # the ride on every beat
    assert ride[:, beat - beat // (3 if beat == 6 else 4)::beat].any(axis=1).mean() >= 0.9  # with skip notes
    assert drums[:, [beat * b for b in hat_beats], CLOSED_HAT].mean() >= 0.9  # the hat foot on the backbeats
    assert drums[:, :, CLOSED_HAT].sum() < drums[:, :, RIDE].sum()  # the ride keeps time, not the hat


def test_a_swing_trio_gets_the_ride_with_the_hat_foot_on_2_and_4_unasked(shipped: DrumGenerator) -> None:
    """The shipped model, trained with jazz/, hears the trio swing and rides, with no --style: the jazz ride's
    spang-a-lang (every beat, the skip note after 2 and 4, no other ride note; the jazz_ride take step) and its
    hi-hat foot on 2 and 4."""
    drums = drum_bars(shipped.generate(swing_trio(), GenerationOptions(seed=0, fills="none", humanize=False)), 4, 4)
    assert drums[:, ::4, RIDE].mean() >= 0.9
    assert drums[:, [7, 15], RIDE].mean() >= 0.9 and not drums[:, [2, 6, 10, 14], RIDE].any()
    assert drums[:, [4, 12], CLOSED_HAT].mean() >= 0.9
    assert drums[:, :, RIDE].sum() > drums[:, :, CLOSED_HAT].sum()  # the ride keeps time, the hat marks 2 and 4


def test_a_jazz_waltz_gets_the_jazz_waltz_unasked(shipped: DrumGenerator) -> None:
    """A swung waltz with a walking bass, comping piano and guitar (the model keeps it on the hats): with no
    --style, the jazz waltz (the jazz_ride take step, a waltz whose bass walks): the ride on every beat with the
    skip note after 2, the hi-hat foot on 2 and 3, and no other hat or ride note."""
    drums = drum_bars(shipped.generate(jazz_band(3, 4), GenerationOptions(seed=0, fills="none", humanize=False)), 3, 4)
    assert drums[:, [0, 4, 8, 7], RIDE].mean() >= 0.9
    assert not drums[:, [1, 2, 3, 5, 6, 9, 10, 11], RIDE].any()
    assert drums[:, [4, 8], CLOSED_HAT].mean() >= 0.9
    assert not drums[:, [0, 1, 2, 3, 5, 6, 7, 9, 10, 11], CLOSED_HAT].any()


def test_bossa_plays_its_kick_and_cross_stick(shipped: DrumGenerator) -> None:
    midi = jazz_band(4, 4)
    drums = drum_bars(shipped.generate(midi, GenerationOptions(style="bossa", seed=0, fills="none",
                                                                humanize=False)), 4, 4)
    assert drums[:, [0, 6, 8, 14], KICK].mean() >= 0.9
    assert not drums[:, [4, 12], KICK].any()
    assert drums[:, :, SNARE].sum(axis=1).max() <= 3  # a cross-stick figure, not a backbeat
    assert drums[:, ::2][:, :, [CLOSED_HAT, RIDE]].any(axis=-1).mean() >= 0.9  # eighths on the hat or the ride


def test_bossa_plays_its_drummers_bars_straight_under_a_swung_band(shipped: DrumGenerator) -> None:
    """The bossa's grooves are its drummers' bars (style_grooves.npz), each read as a bossa by the rules that name
    the learned bars, each standing for 8 of their bars or more; played on a swung band, straight (a bossa is not
    swung: its kick on the "and"s of 2 and 4 moved off the grid read as no bossa), most bars one of theirs."""
    entries = drummers_grooves(4)["bossa"]
    assert len(entries) >= 2 and all(bars >= 8 for _, _, bars, _, _ in entries)
    assert all(entry_family(pattern, n_steps, False, 4) == "bossa" for n_steps, pattern, _, _, _ in entries)
    known = {pattern.tobytes() for _, pattern, _, _, _ in entries}
    for midi in (jazz_band(4, 4), swing_trio()):
        result = shipped.generate(midi, GenerationOptions(style="bossa", seed=0, fills="none", humanize=False))
        drums = drum_bars(result, 4, 4)
        assert np.mean([bar.tobytes() in known for bar in drums]) >= 0.5
        written = read_midi(result.midi_bytes)  # as played: swung, the kick on the "and"s moved off the grid
        grid = Grid.build(written.ticks_per_quarter, written.time_signatures, written.tempos, written.end_tick, 4)
        played = drums_to_grid(written.drum_parts[0].notes, grid).hits
        bars = played[: len(played) // 16 * 16].reshape(-1, 16, played.shape[1])[2:-1]
        assert np.mean([bossa(bar, 4) for bar in bars]) >= 0.8


@pytest.mark.parametrize("style", ["funk", "hip-hop", "samba", "afrobeat"])
def test_a_style_of_drummers_bars_plays_them_as_they_played_them(shipped: DrumGenerator, style: str) -> None:
    """Under `--style funk` (hip-hop, samba, afrobeat) most groove bars are one of its drummers' bars, cells and
    all (the style's rule that drops cells the model does not expect leaves theirs alone), played at their accents:
    the velocities over their cells follow their drummers' (the humanizer's tables and the band's spread gave
    correlations of 0.15-0.58, the funk's ghost notes at 0.97 of its backbeat), a bar played again not alike."""
    accents = {pattern.tobytes(): velocity for _, pattern, _, velocity, _ in drummers_grooves(4)[style]}
    result = shipped.generate(band_songs.rock(16), GenerationOptions(style=style, seed=3, fills="none"))
    drums = drum_bars(result, 4, 4)
    played = np.asarray(result.drums.velocity, dtype=np.float64)[: len(drums) * 16 + 48].reshape(-1, 16, 9)[2:-1]
    theirs = [k for k, bar in enumerate(drums) if bar.tobytes() in accents]
    assert len(theirs) >= 0.8 * len(drums)
    written = np.concatenate([accents[drums[k].tobytes()][drums[k]] for k in theirs])
    assert np.corrcoef(written, np.concatenate([played[k][drums[k]] for k in theirs]))[0, 1] >= 0.8
    backbeats = [played[k][4, SNARE] for k in theirs if drums[k][4, SNARE]]  # the drawn drummer's variation on them
    assert len(set(backbeats)) > 1 or len(backbeats) < 4
    if style in ("funk", "hip-hop"):  # the snare on 2 and 4, the kick or the snare on an "e" or an "a"
        assert drums[:, [4, 12], SNARE].all(axis=1).mean() >= 0.8
        assert drums[:, 1::2][:, :, [KICK, SNARE]].any(axis=(1, 2)).mean() >= 0.5
    if style == "samba":  # the surdo: the kick on every beat
        assert drums[:, [0, 4, 8, 12], KICK].all(axis=1).mean() >= 0.8


def test_a_shuffled_blues_gets_a_backbeat_under_the_shuffle(shipped: DrumGenerator) -> None:
    """Issue 100: `--style shuffle` on a swung 12-bar blues played its snare on 1 and 4 and its kick on 2 (a backbeat
    in 2 of 48 bars of this song), from learned grooves and parts with shuffled time and no backbeat. A blues
    drummer's shuffle: the snare on 2 and 4 in 90% of bars or more, the time on the beats and their last 16th."""
    result = shipped.generate(band_songs.shuffle_blues(4), GenerationOptions(style="shuffle", seed=1))
    hits = np.asarray(result.drums.hits, dtype=bool).reshape(-1, 16, 9)  # (bars, 16ths, classes): all 4/4
    playing = hits.any(axis=(1, 2))
    assert playing.sum() >= 40
    backbeat = hits[:, 4, SNARE] & hits[:, 12, SNARE]
    assert backbeat[playing].mean() >= 0.9, backbeat.astype(int)
    time = hits[:, :, [CLOSED_HAT, RIDE]].any(axis=2)
    assert time[playing][:, [0, 4, 8, 12]].mean() >= 0.9 and time[playing][:, [3, 7, 11, 15]].mean() >= 0.8
    assert not hits[:, 4, KICK].mean() > 0.1  # no kick on beat 2 as the wrong grooves had


def test_grid_of_the_built_song_is_the_meter_asked_for() -> None:
    song = read_midi(jazz_band(6, 8, bars=4))
    grid = Grid.build(song.ticks_per_quarter, song.time_signatures, song.tempos, song.end_tick, 4)
    assert grid.n_bars == 4 and (grid.bars[:, 1] == 12).all()
