"""The musician's controls: density scales the hits as promised, fills go where asked, swing is measured back at
the ratio asked for (and compound meters are left alone, saying so), the cymbal and dynamics change only what they
name, and a style keeps the whole take inside its family, end to end through `DrumGenerator.generate`."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from seq2drum.groove.takes import steered_takes
from seq2drum.feel.swing import swing
from seq2drum.groove import decide, voices
from tests.deciding import crash_bars, fill_bars, requested_takes

from seq2drum.evaluation import metrics
from seq2drum.options import GenerationOptions
from seq2drum.groove.decoder import Decoder
from seq2drum.groove.policy import DecodingPolicy, Steering
from seq2drum.groove.scores import SongScores
from seq2drum.midi.drums import CLOSED_HAT, OPEN_HAT, RIDE
from seq2drum.errors import ConfigError
from seq2drum.groove.codebook import GrooveCodebook
from seq2drum.groove.structure import is_fill_bar
from seq2drum.generation.generator import DrumGenerator
from seq2drum.midi.io import read_midi
from seq2drum.song.drum_part import DrumGrid, drums_to_grid
from seq2drum.song.grid import Grid
from seq2drum.song.sections import Section
from seq2drum.song.encode import encode_song
from seq2drum.groove.styles import StyleBook
from seq2drum.parts.plan_value import Held, Plan
from tests.builders import (notes_from_steps, pattern, riff, rock_song_bytes, song_bytes, styled_codebook,
                            tiny_checkpoint)
from tests.test_decoder import scores_for

BACKBEAT = [(0, 0), (8, 0), (4, 1), (12, 1)]


def graded_codebook() -> GrooveCodebook:
    """4/4 grooves from sparse to busy, each played often: kick only, backbeat, + quarter, 8th, 16th hats, + kicks."""
    bars = [pattern(16, [(0, 0)]), pattern(16, BACKBEAT),
            *(pattern(16, BACKBEAT + [(s, CLOSED_HAT) for s in range(0, 16, every)]) for every in (4, 2, 1)),
            pattern(16, BACKBEAT + [(s, CLOSED_HAT) for s in range(16)] + [(s, 0) for s in (2, 6, 10, 14)])]
    empty = (16, np.zeros((16, 9), bool), 5, np.zeros((16, 9)), np.zeros((16, 9)))
    return GrooveCodebook.from_entries([empty] + [(16, b, 30, b * 90.0, np.zeros((16, 9))) for b in bars], 32)


def four_four_grid(bars: int) -> Grid:
    return Grid.build(480, [(0, 4, 4)], [(0, 500_000)], bars * 1920, 4)


def backbeat_probabilities() -> np.ndarray:
    """A song that asks for a backbeat with 8th hats: 16th hats possible, everything else unlikely."""
    p = np.full((16, 9), 0.02)
    p[0:16:2, CLOSED_HAT], p[1:16:2, CLOSED_HAT] = 0.55, 0.2
    for step, drum_class in BACKBEAT:
        p[step, drum_class] = 0.85
    return p


def test_density_scales_the_hits_as_promised() -> None:
    """At temperature 0: hits(0.5) <= 0.7 x hits(1) <= 0.49 x hits(2), by choosing sparser or busier grooves."""
    codebook = graded_codebook()
    scores = scores_for([backbeat_probabilities()] * 16, [Section(0, 8, 0), Section(8, 16, 1)])
    decoder, styles = Decoder(codebook, DecodingPolicy()), StyleBook.build(codebook, 4)
    hits = {density: requested_takes(decoder, scores, GenerationOptions(density=density), 0, styles,
                                     four_four_grid(16))[0].n_hits
            for density in (0.25, 0.5, 1.0, 2.0, 4.0)}
    assert hits[0.5] <= 0.7 * hits[1.0] <= 0.49 * hits[2.0], hits
    assert hits[0.25] <= hits[0.5] and hits[4.0] >= hits[2.0]


def test_fill_bars_for_none_sections_and_every_n() -> None:
    scores = scores_for([backbeat_probabilities()] * 12, [Section(0, 8, 0), Section(8, 12, 1)])
    assert fill_bars("sections", scores) is None
    assert not fill_bars("none", scores).any()
    # every 4th bar of each section, counted from its first bar, and each section's last bar
    assert np.flatnonzero(fill_bars("every:4", scores)).tolist() == [3, 7, 11]
    assert np.flatnonzero(fill_bars("every:3", scores)).tolist() == [2, 5, 7, 10, 11]


def test_decoding_plays_fills_exactly_where_asked() -> None:
    codebook = graded_codebook()
    scores = scores_for([backbeat_probabilities()] * 12, [Section(0, 8, 0), Section(8, 12, 1)])
    scores.structure_logits[:, 2] = 8.0  # the model wants a fill in every bar
    decoder = Decoder(codebook, DecodingPolicy())
    for fills, expected in (("sections", list(range(12))), ("none", []), ("every:4", [3, 7, 11])):
        take = steered_takes(decoder, scores, steering=Steering(fills=fill_bars(fills, scores)))[0]
        assert np.flatnonzero(take.structure[:, 2]).tolist() == expected, fills
        played = [row for row in range(11) if is_fill_bar(take.hits[row], 16, 4)]  # the last bar ends the song
        assert played == [row for row in expected if row < 11], fills


def hat_grid(bars: int, every: int, steps_per_bar: int = 16) -> DrumGrid:
    """Closed hats every `every` steps, kick on each bar's first step, velocity 80, on time."""
    drums = DrumGrid.empty(bars * steps_per_bar)
    drums.hits[::every, CLOSED_HAT] = True
    drums.hits[::steps_per_bar, 0] = True
    drums.velocity[drums.hits] = 80
    return drums


@pytest.mark.parametrize("ratio", [0.5, 0.55, 0.6, 0.67, 0.75])
def test_swing_is_measured_back_at_the_ratio_asked(ratio: float) -> None:
    grid = four_four_grid(4)
    drums = hat_grid(4, 2)
    drums.offset[drums.hits] = np.random.default_rng(0).uniform(-0.04, 0.04, int(drums.hits.sum()))  # humanized
    swung, notice = swing(drums, grid, ratio)
    measured = metrics.swing(swung, grid, (0, grid.n_steps))
    assert np.nanmean(measured) == pytest.approx(ratio, abs=0.01) and notice == ""
    on_beats = swung.offset[::4, CLOSED_HAT]
    assert np.allclose(on_beats, drums.offset[::4, CLOSED_HAT])  # the beats keep their timing


def test_sixteenth_grooves_swing_their_sixteenths() -> None:
    grid = four_four_grid(2)
    swung, _ = swing(hat_grid(2, 1), grid, 0.6)
    assert np.allclose(swung.offset[1::2, CLOSED_HAT], (0.6 - 0.5) * 2)  # each 16th at 0.6 of its eighth
    assert np.allclose(swung.offset[0::2, CLOSED_HAT], 0.0)


def late_note_grid(bars: int, voice: int, skip_beats: range, late_offset: float) -> DrumGrid:
    """The time-keeping `voice` on every beat and on the last 16th of the beats in `skip_beats` (a shuffle for every
    beat, a jazz ride's skip notes for some), that note written `late_offset` steps late; kick on each bar's start."""
    drums = DrumGrid.empty(bars * 16)
    drums.hits[::4, voice] = True
    for bar in range(bars):
        drums.hits[[bar * 16 + 4 * beat + 3 for beat in skip_beats], voice] = True
    drums.hits[::16, 0] = True
    drums.velocity[drums.hits] = 80
    drums.offset[3::4, voice] = np.where(drums.hits[3::4, voice], late_offset, 0.0)
    return drums


@pytest.mark.parametrize("ratio", [0.5, 0.6, 0.67, 0.75])
@pytest.mark.parametrize("voice, skip_beats, late_offset", [
    (CLOSED_HAT, range(4), 0.0), (CLOSED_HAT, range(4), 0.3), (RIDE, range(1, 4, 2), 0.04)],
    ids=["shuffle", "shuffle-late", "jazz-ride"])
def test_a_shuffle_or_skip_note_lands_at_the_ratio_wherever_it_was_written(
        ratio: float, voice: int, skip_beats: range, late_offset: float) -> None:
    """Breaks if swing warps a shuffle's last 16th as a 16th (0.75 -> 0.83 at 0.67) instead of moving it to R."""
    grid = four_four_grid(4)
    drums = late_note_grid(4, voice, skip_beats, late_offset)
    swung, _ = swing(drums, grid, ratio)
    assert metrics.swung_note_position(swung, grid) == pytest.approx(ratio, abs=0.005)
    assert np.allclose(swung.offset[::4], drums.offset[::4])  # the beats stay


def test_swing_leaves_compound_meters_alone_and_says_so() -> None:
    grid = Grid.build(480, [(0, 6, 8)], [(0, 500_000)], 4 * 1440, 4)
    drums = hat_grid(4, 2, steps_per_bar=12)
    swung, notice = swing(drums, grid, 0.67)
    assert np.array_equal(swung.offset, drums.offset)
    assert "--swing 0.67" in notice and "6/8" in notice and "\n" not in notice
    assert swing(drums, grid, None) == (drums, "")


def finish(scores: SongScores, **options: object) -> decide.Finish:
    """What groove.decide's take steps read, for a control asked alone (no probabilities needed)."""
    return decide.Finish(GenerationOptions(**options), np.zeros_like(scores.hit_logits), scores)


def test_cymbal_moves_the_time_keeping_to_the_voice_asked() -> None:
    codebook = graded_codebook()
    scores = scores_for([backbeat_probabilities()] * 4, [Section(0, 4, 0)])
    scores.velocity[:, :, RIDE] = 70.0
    take = steered_takes(Decoder(codebook, DecodingPolicy()), scores)[0]
    hats = take.hits[:, :, CLOSED_HAT].copy()
    others = take.hits[:, :, :2].copy()
    decide.cymbal(take, finish(scores, cymbal="ride"))
    assert np.array_equal(take.hits[:, :, RIDE], hats) and not take.hits[:, :, [CLOSED_HAT, OPEN_HAT]].any()
    assert (take.velocity[:, :, RIDE][hats] == 70).all() and (take.velocity[:, :, CLOSED_HAT] == 0).all()
    assert np.array_equal(take.hits[:, :, :2], others)
    decide.cymbal(take, finish(scores, cymbal="hats"))
    assert np.array_equal(take.hits[:, :, CLOSED_HAT], hats) and not take.hits[:, :, RIDE].any()
    before = take.hits.copy()
    decide.cymbal(take, finish(scores, cymbal="auto"))
    assert np.array_equal(take.hits, before)


@pytest.mark.parametrize("factor, velocity, expected", [(0.5, 90, 45), (1.5, 90, 127), (0.5, 1, 1), (1.2, 50, 60)])
def test_dynamics_scale_every_velocity_within_midi(factor: float, velocity: int, expected: int) -> None:
    scores = scores_for([backbeat_probabilities()] * 2, [Section(0, 2, 0)])
    take = steered_takes(Decoder(graded_codebook(), DecodingPolicy()), scores)[0]
    take.velocity[take.hits] = velocity
    decide.dynamics(take, finish(scores, dynamics=factor))
    assert (take.velocity[take.hits] == expected).all() and (take.velocity[~take.hits] == 0).all()


# ---------------------------------------------------------------------------------------------- end to end


@pytest.fixture(scope="module")
def styled(tmp_path_factory: pytest.TempPathFactory) -> DrumGenerator:
    path = tiny_checkpoint(tmp_path_factory.mktemp("styled") / "styled.pt", codebook=styled_codebook())
    return DrumGenerator.from_checkpoint(path)


@pytest.mark.parametrize("style", ["straight-8ths", "half-time", "ride-8ths", "quarter-hats"])
def test_a_style_keeps_every_groove_in_its_family(styled: DrumGenerator, style: str) -> None:
    song = read_midi(rock_song_bytes(8))
    encoded = encode_song(song, styled.data_config, with_drums=False)
    takes = styled.generate_takes(encoded, GenerationOptions(seed=0, style=style, takes=3), 0)
    for take in takes:  # later takes too
        families = {styled.styles.family[entry] for entry in take.grooves.tolist() if entry >= 0}
        assert families <= {style, ""} and style in families


def test_two_styles_give_different_drums(styled: DrumGenerator) -> None:
    midi = rock_song_bytes(8)
    first = styled.generate(midi, GenerationOptions(seed=0, style="straight-8ths", humanize=False))
    second = styled.generate(midi, GenerationOptions(seed=0, style="ride-8ths", humanize=False))
    from seq2drum.groove.takes import take_similarity

    assert take_similarity(first.drums.hits, second.drums.hits) < 0.6


def test_a_style_without_the_songs_meter_is_refused_naming_those_that_fit(styled: DrumGenerator) -> None:
    waltz_song = song_bytes(notes_from_steps(riff(8, steps_per_bar=12), length_steps=2), time_signatures=[(0, 3, 4)])
    expected = r"style 'half-time' plays in 4/4, not in this song's 3/4; styles for 3/4: jazz-ride, waltz"
    with pytest.raises(ConfigError, match=expected):
        styled.generate(waltz_song, GenerationOptions(style="half-time"))
    with pytest.raises(ConfigError, match=r"unknown style 'rock'; styles for this song's 4/4: 16th-hats"):
        styled.generate(rock_song_bytes(8), GenerationOptions(style="rock"))
    assert styled.generate(waltz_song, GenerationOptions(seed=0, style="waltz")).n_hits > 0


def test_swing_comes_back_from_the_written_file(styled: DrumGenerator) -> None:
    result = styled.generate(rock_song_bytes(8), GenerationOptions(seed=0, style="straight-8ths", swing=0.67))
    written = read_midi(result.midi_bytes)
    grid = Grid.build(written.ticks_per_quarter, written.time_signatures, written.tempos, written.end_tick, 4)
    drums = drums_to_grid(written.drum_parts[0].notes, grid)
    assert np.nanmean(metrics.swing(drums, grid, (0, grid.n_steps))) == pytest.approx(0.67, abs=0.03)
    six_eight = song_bytes(notes_from_steps(riff(8, steps_per_bar=12), length_steps=2), time_signatures=[(0, 6, 8)])
    notices = styled.generate(six_eight, GenerationOptions(seed=0, swing=0.67)).notices
    assert any("compound-meter bars" in notice for notice in notices)


def test_defaults_leave_the_models_choice_untouched(styled: DrumGenerator) -> None:
    midi = rock_song_bytes(8)
    plain = styled.generate(midi, GenerationOptions(seed=3))
    explicit = styled.generate(midi, GenerationOptions(seed=3, density=1.0, fills="sections", dynamics=1.0,
                                                       cymbal="auto", swing=None, style=None))
    assert plain.midi_bytes == explicit.midi_bytes


def test_dynamics_and_cymbal_reach_the_file(styled: DrumGenerator) -> None:
    midi = rock_song_bytes(8)
    loud = styled.generate(midi, GenerationOptions(seed=0, humanize=False, style="straight-8ths"))
    soft = styled.generate(midi, GenerationOptions(seed=0, humanize=False, style="straight-8ths", dynamics=0.5,
                                                   cymbal="ride"))
    loud_notes, soft_notes = (read_midi(r.midi_bytes).drum_parts[0].notes for r in (loud, soft))
    assert soft_notes[:, 3].mean() < 0.6 * loud_notes[:, 3].mean()
    assert 42 not in soft_notes[:, 2] and 51 in soft_notes[:, 2]
    assert len(soft_notes) == len(loud_notes)


def test_model_info_lists_the_styles(styled: DrumGenerator, tiny_model_path: Path) -> None:
    assert [style.name for style in styled.info.styles] == styled.styles.names()
    assert "waltz" in styled.styles.names()
    assert DrumGenerator.from_checkpoint(tiny_model_path).info.styles  # the tiny codebook has styles too


def swing_codebook() -> GrooveCodebook:
    """A shuffle (hats on the beats and their last 16th) and a jazz ride (skip notes before beats 2 and 4), with
    their late notes written a little late as drummers play them, each played often enough to be a style."""
    shuffle = pattern(16, [(s, CLOSED_HAT) for s in range(16) if s % 4 in (0, 3)] + BACKBEAT)
    jazz = pattern(16, [(s, RIDE) for s in (0, 3, 4, 8, 11, 12)] + [(4, CLOSED_HAT), (12, CLOSED_HAT), (0, 0)])
    entries = [(16, np.zeros((16, 9), bool), 5, np.zeros((16, 9)), np.zeros((16, 9)))]
    for bar in (shuffle, jazz):
        offset = np.zeros((16, 9))
        offset[3::4][bar[3::4]] = 0.2
        entries.append((16, bar, 30, bar * 90.0, offset))
    return GrooveCodebook.from_entries(entries, 32)


@pytest.mark.parametrize("ratio", [0.5, 0.6, 0.67, 0.75])
@pytest.mark.parametrize("style", ["shuffle", "jazz-ride"])
def test_swing_puts_the_shuffle_and_the_jazz_ride_at_the_ratio_in_the_file(tmp_path_factory: pytest.TempPathFactory,
                                                                         style: str, ratio: float) -> None:
    """The must-show of issue 23 item 3 on a song made in code: breaks if the written swung notes miss R by 0.03."""
    path = tmp_path_factory.getbasetemp() / "swing.pt"
    if not path.exists():
        tiny_checkpoint(path, codebook=swing_codebook())
    generator = DrumGenerator.from_checkpoint(path)
    result = generator.generate(rock_song_bytes(8), GenerationOptions(seed=0, style=style, swing=ratio,
                                                                      humanize=False))
    written = read_midi(result.midi_bytes)
    grid = Grid.build(written.ticks_per_quarter, written.time_signatures, written.tempos, written.end_tick, 4)
    drums = drums_to_grid(written.drum_parts[0].notes, grid)
    assert metrics.swung_note_position(drums, grid) == pytest.approx(ratio, abs=0.03)


def test_crash_bars_for_none_sections_and_every_n() -> None:
    """--crashes: every:N opens bars 1, N+1 ... of each section; none forces none; sections leaves the model's."""
    scores = scores_for([backbeat_probabilities()] * 12, [Section(0, 8, 0), Section(8, 12, 1)])
    assert crash_bars("sections", scores) is None
    assert not crash_bars("none", scores).any()
    assert np.flatnonzero(crash_bars("every:4", scores)).tolist() == [0, 4, 8]
    assert np.flatnonzero(crash_bars("every:1", scores)).tolist() == list(range(12))


def test_crashes_none_keeps_only_the_final_hit() -> None:
    """--crashes none removes downbeat crashes and crash riding in the groove, not the hit on the music's last note."""
    from seq2drum.midi.drums import CRASH

    scores = scores_for([backbeat_probabilities()] * 6, [Section(0, 6, 0)])
    scores.structure_logits[:, 1] = 8.0  # the model wants a crash on every downbeat
    take = steered_takes(Decoder(graded_codebook(), DecodingPolicy()), scores)[0]
    take.hits[:, 2, CRASH] = True  # and a crash ridden inside the groove
    row, step = scores.last_onset
    take.hits[row, step, CRASH] = True
    decide.crashes_none(take, finish(scores, crashes="none"))
    assert take.hits[..., CRASH].sum() == 1 and take.hits[row, step, CRASH]


def _rock_take(n: int = 4) -> tuple:
    """A decided take of n rock bars (8th hats, kick on 1 and 3, snare on 2 and 4, a crash on bar 1) and its scores."""
    from seq2drum.groove.policy import Take
    from seq2drum.midi.drums import CRASH, KICK, SNARE

    scores = scores_for([backbeat_probabilities()] * n, [Section(0, n, 0)])
    width = scores.hit_logits.shape[1]
    hits = np.zeros((n, width, 9), dtype=bool)
    hits[:, 0:16:2, CLOSED_HAT] = True
    hits[:, [0, 8], KICK] = True
    hits[:, [4, 12], SNARE] = True
    hits[0, 0, CRASH] = True
    take = Take(hits, np.where(hits, 90, 0).astype(np.uint8), np.zeros(hits.shape, np.float32), np.zeros(n, int),
                {}, 0.5, np.zeros((n, 3), dtype=bool), 0.3, Plan.held_for(Held.BARS))
    return take, scores


def test_busier_adds_16th_time_keeping_then_ghost_notes_and_kicks_never_crashes() -> None:
    """Issue 23 item 4: --density 4 gave 16th kick and snare and a crash on every beat."""
    from seq2drum.groove import density
    from seq2drum.midi.drums import CRASH, KICK, SNARE

    take, scores = _rock_take()
    p = np.full(take.hits.shape, 0.2)
    before = take.hits.copy()
    reached = density.apply_density(take, p, scores, 2.0)
    assert reached == pytest.approx(2.0, abs=0.1)
    assert (take.hits >= before).all() and take.hits[..., CRASH].sum() == 1  # only added; no new crash
    assert take.hits[:, :16, CLOSED_HAT].all()  # the 16th hats came first
    assert take.hits[:, :16, KICK].sum() <= 16 and not take.hits[:, 0:16:2, SNARE][:, [0, 1, 3, 4, 5, 7]].any()
    ghosts = take.hits[..., SNARE] & ~before[..., SNARE]
    assert (take.velocity[..., SNARE][ghosts] == density.GHOST_VELOCITY).all()
    take, scores = _rock_take()
    reached = density.apply_density(take, np.full(take.hits.shape, 0.2), scores, 4.0)
    assert reached < 4.0 * 0.85 and density.density_notice(4.0, reached).startswith("--density 4 asked 4x")
    assert take.hits[..., CRASH].sum() == 1 and not take.hits[:, 1:16:2, KICK].any()  # no 16th kicks


def test_sparser_thins_the_time_keeping_to_the_backbone() -> None:
    """Issue 23 item 4: --density 0.25 kept a few dozen kicks and snares in 194 bars; less must keep kick and snare."""
    from seq2drum.groove import density
    from seq2drum.midi.drums import CRASH, KICK, SNARE

    take, scores = _rock_take()
    before = take.hits.copy()
    reached = density.apply_density(take, np.full(take.hits.shape, 0.2), scores, 0.5)
    assert reached == pytest.approx(0.5, abs=0.1)
    assert (take.hits[..., [KICK, SNARE, CRASH]] == before[..., [KICK, SNARE, CRASH]]).all()
    assert not take.hits[:, 2:16:4, CLOSED_HAT].any() and take.hits[:, 0:16:4, CLOSED_HAT].any()  # off-beats first
    density.apply_density(take, np.full(take.hits.shape, 0.2), scores, 0.1)
    assert (take.hits[..., [KICK, SNARE]] == before[..., [KICK, SNARE]]).all()  # the backbone stays


def test_busier_adds_one_ghost_a_free_beat_and_one_kick_a_half_note() -> None:
    """Issue 23 item 4: at 2x a doom song got snare on 11 of 16 steps; a drummer adds one soft ghost a beat at most
    (none where the snare plays off the beat), and one more kick a half note at most."""
    from seq2drum.groove import density
    from seq2drum.midi.drums import KICK, SNARE

    take, scores = _rock_take()
    before = take.hits.copy()
    density.apply_density(take, np.random.default_rng(3).random(take.hits.shape), scores, 4.0)
    ghosts = (take.hits & ~before)[:, :16, SNARE].reshape(len(take.hits), 4, 4)  # (bar, beat, step)
    assert ghosts.sum(axis=2).max() == 1 and ghosts[:, :, [0, 2]].sum() == 0  # off the 8ths, one a beat at most
    assert (take.velocity[..., SNARE][take.hits[..., SNARE] & ~before[..., SNARE]] == density.GHOST_VELOCITY).all()
    kicks = (take.hits & ~before)[:, :16, KICK].reshape(len(take.hits), 2, 8)
    assert kicks.sum(axis=2).max() == 1 and take.hits[:, :16, SNARE].sum(axis=1).max() <= 6


def test_the_8th_grid_in_compound_and_odd_meters() -> None:
    """6/8 has its 8ths every 2 steps under a dotted-quarter beat; 7/8's beats are its 8ths (not its 16ths)."""
    from types import SimpleNamespace

    from seq2drum.groove import density

    on_beat, on_eighth = density.step_kinds(SimpleNamespace(beat_steps=np.array([6, 2, 4])), 16)
    assert np.flatnonzero(on_beat[0]).tolist() == [0, 6, 12] and np.flatnonzero(on_eighth[0]).tolist()[:6] == [
        0, 2, 4, 6, 8, 10]
    assert np.flatnonzero(on_eighth[1]).tolist() == np.flatnonzero(on_beat[1]).tolist() == list(range(0, 16, 2))
    assert np.flatnonzero(on_eighth[2]).tolist() == list(range(0, 16, 2))


def test_busier_keeps_a_shuffle_a_shuffle() -> None:
    """A shuffle's hats (on the beat and its skip note, the last 16th) get no straight 8ths or 16ths added."""
    from seq2drum.groove import density

    take, scores = _rock_take()
    take.hits[:, :16, CLOSED_HAT] = False
    take.hits[:, [0, 3, 4, 7, 8, 11, 12, 15], CLOSED_HAT] = True
    take.velocity[take.hits] = 90
    assert density.shuffled(take, CLOSED_HAT, scores).all()
    density.apply_density(take, np.full(take.hits.shape, 0.2), scores, 2.0)
    assert not take.hits[:, [1, 2, 5, 6, 9, 10, 13, 14], CLOSED_HAT].any()


def test_sparser_thins_every_bar_alike() -> None:
    """Less takes the same steps out of every bar (no random holes) and keeps time on beats 1 and 3."""
    from seq2drum.groove import density

    take, scores = _rock_take()
    density.apply_density(take, np.random.default_rng(5).random(take.hits.shape), scores, 0.5)
    hats = take.hits[:, :16, CLOSED_HAT]
    assert (hats == hats[0]).all() and np.flatnonzero(hats[0]).tolist() == [0, 8]


@pytest.mark.parametrize("hat_steps, expected_last_beat", [(range(0, 16, 4), [12, 15]), (range(16), [12, 14])],
                         ids=["quarter-hats-get-a-skip-note", "16th-hats-keep-their-eighth"])
def test_swung_time_keeping_gives_each_bar_one_swing_note_to_measure(hat_steps: range,
                                                                    expected_last_beat: list[int]) -> None:
    """Breaks if a song decided swung could keep time-keeping whose swing cannot be heard or measured: quarter hats
    (no off-beat note) or 16ths (three off each beat). Only the bar's last beat changes; its note swings to R."""
    from seq2drum.feel.swing import song_swing
    from seq2drum.groove.policy import Take

    take, _ = _rock_take(8)
    take.hits[..., CLOSED_HAT] = False
    take.hits[:, list(hat_steps), CLOSED_HAT] = True
    take.velocity[:] = np.where(take.hits, 80, 0)
    voiced = voices.swung_time_keeping(take, four_four_grid(8), 0)
    assert np.array_equal(voiced.hits[:, :12], take.hits[:, :12])  # beats 1-3 as decided
    assert [int(s) for s in np.flatnonzero(voiced.hits[0, 12:16, CLOSED_HAT]) + 12] == expected_last_beat
    added = voiced.hits & ~take.hits
    assert np.all(voiced.velocity[added] == 60) and not np.any(take.hits[:, :, OPEN_HAT] | take.hits[:, :, RIDE])
    def on_grid(decided: Take) -> DrumGrid:  # the take's 8 bars of 16 steps (its rows are padded to 32)
        return DrumGrid(*(cells[:, :16].reshape(-1, 9) for cells in (decided.hits, decided.velocity, decided.offset)))

    swung, _ = swing(on_grid(voiced), four_four_grid(8), 0.64)
    assert song_swing(swung, four_four_grid(8), (0, 128)) == pytest.approx(0.64, abs=0.005)
    assert song_swing(on_grid(take), four_four_grid(8), (0, 128)) is None  # as decided: nothing to measure


@pytest.mark.parametrize("options, swung, voiced", [
    (GenerationOptions(), True, True), (GenerationOptions(), False, False),
    (GenerationOptions(swing=0.6), True, False), (GenerationOptions(density=0.5), True, False),
    (GenerationOptions(style="straight-8ths"), True, False)],
    ids=["swung-song", "straight-song", "swing-asked", "density-asked", "style-asked"])
def test_swung_time_keeping_is_a_take_step_for_a_song_swung_by_its_own_reading(options: GenerationOptions,
                                                                              swung: bool, voiced: bool) -> None:
    """Breaks if the take step that lets a swung song's time-keeping carry its swing ran where the render skipped it
    (a --swing, --style or --density asked), or not where it ran: quarter hats get a skip note on the last 16th."""
    from seq2drum.groove.continuation import Continuation

    take, scores = _rock_take(4)
    take.hits[..., CLOSED_HAT] = False
    take.hits[:, 0:16:4, CLOSED_HAT] = True
    take.velocity[:] = np.where(take.hits, 80, 0)
    before = take.hits.copy()
    finish = decide.Finish(options, np.zeros(take.hits.shape), scores, swung=swung, grid=four_four_grid(4))
    decide.swung_time_keeping(take, finish)
    assert take.hits[:, 15, CLOSED_HAT].all() == voiced and (take.hits == before)[:, :15].all()
    # a bar playing the user's loop bar exactly is the user's: left as it is
    take.hits[:] = before
    n = len(before)
    looped = Continuation(np.zeros(n, bool), np.zeros_like(before), np.full(n, -1),
                          np.array([True, False, False, False]), before.copy(), np.full(n, -1))
    decide.swung_time_keeping(take, decide.Finish(GenerationOptions(), np.zeros(take.hits.shape), scores, swung=True,
                                                  grid=four_four_grid(4), continuation=looped))
    assert not take.hits[0, 15, CLOSED_HAT] and take.hits[1:, 15, CLOSED_HAT].all()


def test_take_one_plays_its_plans_feel_as_the_labeller_reads_it_once_its_fills_are_placed() -> None:
    """Take 1's rules read a phrase's feel beside its fill edges; where the edge bar got no fill, the labeller reads
    it, and not the bars that play as fills (a comp on every beat's last 16th). Basie's All of Me: a "jazz ride,
    comping" phrase of 3 such comping bars and a backbeat bar was read back "jazz ride, backbeat". plan_kept now
    plays take 1's phrase comping there too: the backbeat bar loses a backbeat, the comping bars stay as they were."""
    from seq2drum.groove.policy import ChosenPart, ChosenParts
    from seq2drum.midi.drums import KICK, SNARE
    from seq2drum.parts.labels import kick_snare_feel

    take, scores = _rock_take(4)
    take.hits[..., [CLOSED_HAT, KICK, SNARE]] = False
    take.hits[:, 0:16:4, RIDE] = True
    take.hits[:2, [3, 7, 11, 15], SNARE] = True
    take.hits[2, [3, 11], SNARE] = True
    take.hits[3, [4, 12], SNARE] = True
    take.velocity[:] = np.where(take.hits, 80, 0)
    comping = ChosenPart("ride", "quarters", {("ride", "quarters"): ("comping",)})
    bound = ChosenParts(np.zeros(4, dtype=np.int64), np.zeros(4, dtype=np.int64), {0: comping})
    before = take.hits.copy()
    lengths, beats = scores.bar_steps, scores.beat_steps
    assert kick_snare_feel(take.hits[2:], lengths[2:], beats[2:]) == "backbeat"
    decide.plan_kept(take, decide.Finish(GenerationOptions(), np.zeros(take.hits.shape), scores, plan_parts=bound))
    assert kick_snare_feel(take.hits[2:], lengths[2:], beats[2:]) == "comping"
    assert (take.hits[:3] == before[:3]).all() and take.hits[3, :, SNARE].sum() == 1


def _ridden_take(n: int, meter: tuple[int, int] = (4, 4)) -> tuple:
    """A decided take of n bars in `meter` that keep time on the ride in eighths (a hat pattern moved to the ride), a
    closed hat on every beat, kick on 1 and snare on 2, its scores and its grid."""
    from seq2drum.groove.policy import Take
    from seq2drum.midi.drums import KICK, SNARE

    beats, unit = meter
    length = beats * 16 // unit
    scores = scores_for([backbeat_probabilities()] * n, [Section(0, n, 0)])
    width = scores.hit_logits.shape[1]
    hits = np.zeros((n, width, 9), dtype=bool)
    hits[:, 0:length:2, RIDE] = True
    hits[:, 0:length:4, CLOSED_HAT] = True
    hits[:, 0, KICK] = hits[:, 4, SNARE] = True
    take = Take(hits, np.where(hits, 90, 0).astype(np.uint8), np.zeros(hits.shape, np.float32), np.zeros(n, int),
                {}, 0.5, np.zeros((n, 3), dtype=bool), 0.3, Plan.held_for(Held.BARS))
    grid = Grid.build(480, [(0, beats, unit)], [(0, 500_000)], n * beats * 1920 // unit, 4)
    return take, scores, grid


@pytest.mark.parametrize("meter, ride, hat", [((4, 4), [0, 4, 7, 8, 12, 15], [4, 12]), ((3, 4), [0, 4, 7, 8], [4, 8])],
                         ids=["4/4-spang-a-lang-foot-on-2-and-4", "3/4-jazz-waltz-foot-on-2-and-3"])
def test_a_ridden_bar_of_a_swung_song_plays_the_jazz_ride(meter: tuple[int, int], ride: list[int],
                                                          hat: list[int]) -> None:
    """Breaks if a swung song's ridden bars kept a hat pattern moved to the ride (eighths on the ride, hats on every
    beat) instead of the jazz drummer's: the ride on every beat with the skip note after 2 (and 4), the hi-hat foot
    on the backbeats. Kick and snare stay; the added cells get the model's velocity (the scores' 90 here)."""
    from seq2drum.midi.drums import KICK, SNARE

    take, scores, grid = _ridden_take(4, meter)
    take.velocity[take.hits] = 70
    before = take.hits.copy()
    decide.jazz_ride(take, decide.Finish(GenerationOptions(), np.zeros(take.hits.shape), scores, swung=True, grid=grid))
    for row in range(4):
        assert np.flatnonzero(take.hits[row, :, RIDE]).tolist() == ride
        assert np.flatnonzero(take.hits[row, :, CLOSED_HAT]).tolist() == hat
    assert np.array_equal(take.hits[..., [KICK, SNARE]], before[..., [KICK, SNARE]])
    assert (take.velocity[take.hits & ~before] == 90).all() and (take.velocity[take.hits & before] == 70).all()
    assert not take.velocity[~take.hits].any()


@pytest.mark.parametrize("case", ["straight-song", "hats-keep-time", "swing-asked", "style-asked", "looped-user-bar",
                                  "7/8-bar"])
def test_the_jazz_ride_plays_only_in_a_swung_songs_ridden_bars(case: str) -> None:
    """Breaks if the jazz ride reached a straight song, a bar kept on the hats, a take whose swing or style the
    musician asked for, a bar that plays the user's loop bar exactly, or a bar that is not of 2-4 quarter beats."""
    from seq2drum.groove.continuation import Continuation

    take, scores, grid = _ridden_take(4, (7, 8) if case == "7/8-bar" else (4, 4))
    options = {"swing-asked": GenerationOptions(swing=0.6),
               "style-asked": GenerationOptions(style="straight-8ths")}.get(case, GenerationOptions())
    continuation = None
    if case == "hats-keep-time":
        take.hits[..., CLOSED_HAT] |= take.hits[..., RIDE]
        take.hits[..., RIDE] = False
    if case == "looped-user-bar":
        n = len(take.hits)
        continuation = Continuation(np.zeros(n, bool), np.zeros_like(take.hits), np.full(n, -1), np.ones(n, bool),
                                    take.hits.copy(), np.full(n, -1))
    before = take.hits.copy()
    decide.jazz_ride(take, decide.Finish(options, np.zeros(take.hits.shape), scores, swung=case != "straight-song",
                                         grid=grid, continuation=continuation))
    assert np.array_equal(take.hits, before)


@pytest.mark.parametrize("genre, plays", [("jazz", True), (None, True), ("rock", False), ("blues", False)],
                         ids=["heard-jazz", "not-heard", "heard-rock", "heard-blues"])
def test_the_jazz_ride_plays_where_the_band_is_heard_as_jazz(genre: str | None, plays: bool) -> None:
    """Breaks if a swung song heard as rock or a blues (issue 100: 62% of a held-out rock song's ridden bars carried
    the skip note, 68% the hat foot, their drummers 9% and 3%) got the jazz drummer's spang-a-lang and hat foot, or a
    jazz song (or one whose band was not heard: live) lost it."""
    take, scores, grid = _ridden_take(4)
    before = take.hits.copy()
    decide.jazz_ride(take, decide.Finish(GenerationOptions(), np.zeros(take.hits.shape), scores, swung=True, grid=grid,
                                         genre=genre))
    assert np.array_equal(take.hits, before) != plays
    assert take.hits[:, [0, 8], CLOSED_HAT].any() != plays  # the foot on 2 and 4 alone


def test_a_jazz_ride_the_plan_names_plays_as_named_in_a_song_heard_as_rock() -> None:
    """Breaks if a swung rock song's bars whose plan names a jazz ride (issue 99: a part sounds as named) lost the
    spang-a-lang with the jazz ride step's genre gate (issue 100), or the bars planned otherwise got it."""
    from seq2drum.groove.policy import ChosenPart, ChosenParts

    take, scores, grid = _ridden_take(4)
    before = take.hits.copy()
    parts = {0: ChosenPart("ride", "swung", {}), 1: ChosenPart("ride", "eighths", {})}
    bound = ChosenParts(np.array([0, 0, 1, 1]), np.array([0, 0, 1, 1]), parts)
    decide.jazz_ride(take, decide.Finish(GenerationOptions(), np.zeros(take.hits.shape), scores, swung=True, grid=grid,
                                         genre="rock", plan_parts=bound))
    assert not take.hits[:2, [0, 8], CLOSED_HAT].any() and take.hits[:2, [4, 12], CLOSED_HAT].all()  # the foot
    assert np.array_equal(take.hits[2:], before[2:])


def test_a_straight_ride_the_plan_names_plays_as_named_in_a_song_heard_as_jazz() -> None:
    """Breaks if a song heard as jazz put the spang-a-lang on bars whose plan names a straight ride part ("16ths on
    the ride": The Candy Man, heard as jazz, skipped in 150 of 150 ridden bars, its drummer in 61 of 93), or lost it
    where the plan names a jazz ride or nothing."""
    from seq2drum.groove.policy import ChosenPart, ChosenParts

    take, scores, grid = _ridden_take(6)
    before = take.hits.copy()
    parts = {0: ChosenPart("ride", "swung", {}), 1: ChosenPart("ride", "16ths", {})}
    bound = ChosenParts(np.array([0, 0, 1, 1, -1, -1]), np.array([0, 0, 1, 1, 2, 2]), parts)
    decide.jazz_ride(take, decide.Finish(GenerationOptions(), np.zeros(take.hits.shape), scores, swung=True, grid=grid,
                                         genre="jazz", plan_parts=bound))
    assert np.array_equal(take.hits[2:4], before[2:4])
    assert take.hits[[0, 1, 4, 5]][:, [4, 12], CLOSED_HAT].all()  # the jazz ride's foot on 2 and 4


def _waltz_bass(n: int, beats_played: tuple[int, ...], others: tuple[int, ...] = ()) -> np.ndarray:
    """(n, S) bool a bass's onsets in 3/4 bars of 12 steps: on the beats given (0-2) and the other steps given."""
    from tests.test_decoder import S

    onsets = np.zeros((n, S), dtype=bool)
    onsets[:, [4 * beat for beat in beats_played]] = True
    onsets[:, list(others)] = True
    return onsets


@pytest.mark.parametrize("meter, beats_played, others, walking", [
    ((3, 4), (0, 1, 2), (), True), ((3, 4), (0, 1, 2), (10,), True), ((3, 4), (0,), (), False),
    ((3, 4), (0, 2), (), False), ((3, 4), (0, 1, 2), (2, 6, 10), False), ((4, 4), (0, 1, 2), (12,), False)],
    ids=["walking-quarters", "with-a-pickup", "folk-downbeat", "oom-pah", "eighths", "4/4-not-read"])
def test_walks_reads_a_jazz_waltzs_walking_bass(meter: tuple[int, int], beats_played: tuple[int, ...],
                                                 others: tuple[int, ...], walking: bool) -> None:
    """Breaks if a waltz's bass on every beat (at most one other onset a bar) did not read as walking, or a folk
    waltz's bass (the downbeat, or 1 and 3), a bass in eighths or a 4/4 song's bass did."""
    _, _, grid = _ridden_take(4, meter)
    assert voices.walks(_waltz_bass(4, beats_played, others), grid, 0) == walking
    assert not voices.walks(None, grid, 0)


@pytest.mark.parametrize("bass, ridden", [((0, 1, 2), True), ((0,), False)], ids=["walking-bass", "folk-bass"])
def test_a_swung_waltz_whose_bass_walks_rides_the_jazz_waltz(bass: tuple[int, ...], ridden: bool) -> None:
    """Breaks if a swung 3/4 song whose bass walks kept its hats (the model seldom rides a waltz), or a folk waltz
    (the bass on the downbeat) lost them: the bars kept on the closed hat play the jazz waltz, the ride on every beat
    with the skip note after 2 and the hi-hat foot on 2 and 3; then the swung time-keeping adds nothing to them (the
    skip note carries the swing)."""
    from dataclasses import replace as replaced

    take, scores, grid = _ridden_take(4, (3, 4))
    take.hits[..., CLOSED_HAT] = take.hits[..., RIDE]  # kept on the hats in eighths, as a waltz groove plays
    take.hits[..., RIDE] = False
    scores = replaced(scores, bass_onsets=_waltz_bass(4, bass))
    before = take.hits.copy()
    finish = decide.Finish(GenerationOptions(), np.zeros(take.hits.shape), scores, swung=True, grid=grid)
    decide.jazz_ride(take, finish)
    if not ridden:
        assert np.array_equal(take.hits, before)
        return
    after_ride = take.hits.copy()
    for row in range(4):
        assert np.flatnonzero(take.hits[row, :, RIDE]).tolist() == [0, 4, 7, 8]
        assert np.flatnonzero(take.hits[row, :, CLOSED_HAT]).tolist() == [4, 8]
    decide.swung_time_keeping(take, finish)
    assert np.array_equal(take.hits, after_ride)


def test_the_density_notice_says_its_figure_leaves_out_the_busier_parts() -> None:
    """Issue 90: --density 2 gave 1.93x the hits of a run without it and said "take 1 has 1.64x": the figure is the
    density step's alone, after the plan had chosen busier parts. The notice now says so."""
    from seq2drum.groove import density

    said = density.density_notice(2.0, 1.64, parts_moved=True)
    assert "1.64x the hits of those parts" in said and "chosen busier" in said and "without --density" in said
    assert "sparser" in density.density_notice(0.5, 0.7, parts_moved=True)
    assert density.density_notice(2.0, 1.64) == ("--density 2 asked 2x the model's hits; take 1 has 1.64x, as far "
                                                 "as it goes (every 16th of its time-keeping, ghost notes and kicks)")


def test_the_density_notice_gives_take_ones_hits_against_a_run_without_density() -> None:
    """Issue 90 item 5: the notice's figure is take 1's hits over a run without --density (its parts chosen busier
    and its hits added): the number a musician can check by running both."""
    from seq2drum.generation.generator import DrumGenerator
    from seq2drum.groove import density
    from tests.test_parts_plan import sectioned_song

    generator = DrumGenerator.from_checkpoint()
    data = sectioned_song()
    plain = generator.generate(data, GenerationOptions(seed=3)).n_hits
    for asked in (3.0, 0.3):
        made = generator.generate(data, GenerationOptions(seed=3, density=asked))
        whole = made.n_hits / plain
        assert abs(whole / asked - 1) > density.DENSITY_NOTICE_MISS  # as far as it goes: a notice is due
        assert any(f"take 1 has {whole:.2f}x" in notice for notice in made.notices), (whole, made.notices)


@pytest.mark.parametrize("part", ["eighths on the hat, backbeat", "quarters on the ride, backbeat"])
def test_a_part_the_musician_named_keeps_its_time_under_density(part: str) -> None:
    """Issue 100: --density 0.5 thinned a named "eighths on the hat" to quarters and a named "quarters on the ride"
    to no cymbal at all ("kick and snare"), and the warning blamed the meter or the song: the named phrases keep
    their part's time, the rest thins, and the density notice names the parts among its limits."""
    from seq2drum.groove import density
    from tests.test_parts_plan import band_song

    generator = DrumGenerator.from_checkpoint()
    made = generator.generate(band_song(16), GenerationOptions(seed=0, density=0.5, parts=f"A={part}"))
    assert made.takes[0].parts and all(name == part for _, name in made.takes[0].parts), made.takes[0].parts
    assert not any("play as another part" in notice for notice in made.notices), made.notices
    said = density.density_notice(0.5, 0.8, named=True)
    assert said.endswith("(its backbone, crashes and fills, and the time of the parts you named)"), said
