"""A section played in a style's drummers' own bars (`--parts "9-16=funk"`, generation/styled.py): its bars are the
ones `--style` plays there, take by take, at their drummers' accents and named by the style; the other bars are the
plain take's; a straight style's section stays straight under a swinging band; a meter its drummers never played is
refused in one line. Live, a bar range of a style plays the style's bars. And later takes of a style of drummers'
bars play other bars of theirs, not the empty bar (groove.gains `_section_groove`)."""

from __future__ import annotations

import numpy as np
import pytest

from seq2drum.errors import ConfigError
from seq2drum.generation.generator import DrumGenerator
from seq2drum.generation.prepare import prepare
from seq2drum.generation.styled import named, styled_parts
from seq2drum.groove import Take
from seq2drum.options import GenerationOptions
from seq2drum.parts.arrangement import code_style, styled_code
from seq2drum.parts.played import BAR_BY_BAR
from tests.builders import jazz_band, swing_trio
from tests.studio_songs import drum_notes
from tests.test_parts_plan import band_song


@pytest.fixture(scope="module")
def generator() -> DrumGenerator:
    return DrumGenerator.from_checkpoint()


def takes_of(generator: DrumGenerator, midi: bytes, **options: object) -> list[Take]:
    asked = GenerationOptions(seed=3, **options)  # type: ignore[arg-type]
    prepared = prepare(midi, asked, generator.data_config, generator.spec)
    return generator.generate_takes(prepared.encoded, asked, 3)


def test_a_styled_section_plays_the_styles_bars_and_the_rest_the_plain_takes(generator: DrumGenerator) -> None:
    song = band_song(24)
    mixed = takes_of(generator, song, parts="9-16=funk", takes=2)
    plain, funk = takes_of(generator, song, takes=2), takes_of(generator, song, style="funk", takes=2)
    inside = np.zeros(24, dtype=bool)
    inside[8:16] = True
    drummers = generator.decoder.codebook.drummers
    for take, alone, styled in zip(mixed, plain, funk):
        assert (take.hits[inside] == styled.hits[inside]).all()
        assert (take.velocity[inside] == styled.velocity[inside]).all()
        assert (take.hits[~inside] == alone.hits[~inside]).all()
        assert (take.velocity[~inside] == alone.velocity[~inside]).all()
        assert drummers(take.grooves[inside]).all() and not drummers(take.grooves[~inside]).any()
        assert take.own_touch is not None and take.own_touch[inside].all() and not take.own_touch[~inside].any()
        assert (9, "funk") in take.parts and (17, "funk") not in take.parts
        assert take.straight_bars is None  # a funk is played as the band swings
    assert not (mixed[0].hits[inside] == mixed[1].hits[inside]).all()  # take 2 another reading of the funk


def test_later_takes_of_a_drummers_style_play_other_bars_of_theirs(generator: DrumGenerator) -> None:
    """Before, a later take avoided take 1's groove among the codebook's menu of learned loops, which the style
    forbids (gains -inf), and took the first entry of the bar's length: the empty bar, in every bar."""
    takes = takes_of(generator, band_song(16), style="funk", takes=3)
    drummers = generator.decoder.codebook.drummers
    assert all(drummers(take.grooves).mean() >= 0.9 for take in takes), [take.grooves for take in takes]
    assert len({take.hits.tobytes() for take in takes}) == 3


def test_a_straight_styles_section_stays_straight_under_a_swinging_band(generator: DrumGenerator) -> None:
    options = dict(seed=0, humanize=0.0)
    result = generator.generate(swing_trio(16), GenerationOptions(parts="9-16=bossa", **options))  # type: ignore
    drums, grid = result.drums, result.song.grid
    bar = grid.bar_of_step()
    moved = np.abs(drums.offset[drums.hits]) > 0.05  # off the grid: swung
    step_of_hit = np.nonzero(drums.hits)[0]
    inside = (bar[step_of_hit] >= 8) & (bar[step_of_hit] < 16)
    assert moved[~inside].any() and not moved[inside].any()
    said = result.takes[0].parts
    assert any(name.startswith("bossa (") for _, name in said), said
    assert any("the bossa sections are played straight, where the band swings at 0.6" in n for n in result.notices)
    asked = GenerationOptions(parts="9-16=bossa", swing=0.67, **options)  # type: ignore[arg-type]
    swung = generator.generate(swing_trio(16), asked)
    step_of_hit = np.nonzero(swung.drums.hits)[0]
    inside = (bar[step_of_hit] >= 8) & (bar[step_of_hit] < 16)
    assert (np.abs(swung.drums.offset[swung.drums.hits]) > 0.05)[inside].any()  # the musician's --swing swings it
    assert not any("played straight" in n for n in swung.notices)


def test_a_drummers_style_in_a_meter_they_never_played_is_refused(generator: DrumGenerator) -> None:
    with pytest.raises(ConfigError, match="plays its drummers' 4/4 bars, not this section's 3/4"):
        generator.generate(jazz_band(3, 4, 16), GenerationOptions(seed=0, parts="1-8=bossa"))


def test_the_parts_named_where_a_style_plays() -> None:
    rows = np.zeros(16, dtype=bool)
    rows[8:12] = True
    planned = ((1, "a"), (5, "b"), (9, "c"), (13, "d"))
    assert styled_parts(planned, rows, "funk", 0) == ((1, "a"), (5, "b"), (9, "funk"), (13, "d"))
    rows[:] = False
    rows[4:8] = True  # a plan of the musician's first phrase alone: the bars after the style play bar by bar
    assert styled_parts(((1, "x"),), rows, "bossa", 0) == ((1, "x"), (5, "bossa"), (9, BAR_BY_BAR))
    assert named(((9, "funk"),), ((1, "x"), (9, "16ths on the hat, backbeat"))) == (
        (1, "x"), (9, "funk (16ths on the hat, backbeat)"))
    assert all(code_style(styled_code(style)) == style for style in ("bossa", "funk", "afrobeat"))
    assert code_style(-1) is None and code_style(3) is None


def test_live_a_bar_range_of_a_style_plays_its_bars() -> None:
    from seq2drum.evaluation.playback import play_file
    from seq2drum.live.model_drummer import ModelDrummer

    drummer, song = ModelDrummer(), band_song(16)

    def bars(**options: object) -> list[list[int]]:
        notes = play_file(drummer, song, GenerationOptions(**options), 3).notes  # type: ignore[arg-type]
        bar = notes[:, 0] // (4 * 480)
        return [sorted((notes[bar == b, 0] % 1920 // 120 * 100 + notes[bar == b, 2]).tolist()) for b in range(16)]

    plain, mixed, funk = bars(), bars(parts="5-8=funk"), bars(style="funk")
    assert mixed[:4] == plain[:4]
    assert mixed[4:7] == funk[4:7] and mixed[4:7] != plain[4:7]  # bar 8 ends the phrase: its fill is the stream's


STRAIGHT_HATS = "eighths on the hat, backbeat"


def off_the_grid(notes: np.ndarray, bars: range, tpq: int = 480) -> tuple[int, int]:
    """(hi-hat hits, of them off the straight 8th grid) in `bars` of the 4/4 drums' notes (N, 4)."""
    bar = notes[:, 0] // (4 * tpq)
    hats = notes[np.isin(bar, list(bars)) & np.isin(notes[:, 2], (42, 44, 46))]
    return len(hats), int((hats[:, 0] % (tpq // 2) > tpq // 24).sum())


def test_a_straight_part_named_in_a_swung_song_plays_straight_and_reads_back_as_named(
        generator: DrumGenerator) -> None:
    """Issue 100: "eighths on the hat" named in a swinging song was swung with the band and read back as "swung
    eighths on the hat" (studies.named_parts: jazz's songs 0 of 79 phrases as named); it plays straight where named,
    the run says so, and the musician's --swing swings it."""
    options = dict(seed=0, humanize=0.0, parts=f"9-16={STRAIGHT_HATS}")
    result = generator.generate(swing_trio(16), GenerationOptions(**options))  # type: ignore[arg-type]
    take = result.takes[0]
    assert (9, STRAIGHT_HATS) in take.parts, take.parts
    named, off = off_the_grid(drum_notes(result.midi_bytes), range(8, 16))
    assert named >= 32 and off == 0  # straight where named
    assert any("the parts you named in straight eighths or 16ths are played straight" in n for n in result.notices)
    swung = generator.generate(swing_trio(16), GenerationOptions(swing=0.67, **options))  # type: ignore[arg-type]
    assert off_the_grid(drum_notes(swung.midi_bytes), range(8, 16))[1] > 0
    assert not any("played straight" in n for n in swung.notices)


def test_a_straight_part_named_live_in_a_swung_song_plays_straight() -> None:
    from seq2drum.evaluation.playback import play_file
    from seq2drum.live.model_drummer import ModelDrummer

    drummer = ModelDrummer()
    named = play_file(drummer, swing_trio(16), GenerationOptions(humanize=0.0, parts=f"9-16={STRAIGHT_HATS}"), 0)
    plain = play_file(drummer, swing_trio(16), GenerationOptions(humanize=0.0), 0)
    hats, off = off_the_grid(named.notes, range(8, 16))
    assert hats >= 16 and off == 0
    assert off_the_grid(plain.notes, range(8, 16))[1] > 0  # the band's swing heard: the model's own time swings


def test_a_part_that_keeps_no_time_named_in_a_jazz_band_keeps_none(generator: DrumGenerator) -> None:
    """Issue 100: "kick and snare, backbeat" named in a swinging band kept the network's ride and hat on the beats
    (studies.named_parts: blues 20 of 55 phrases as named, jazz 33 of 81); take 1 plays a named part in its time
    (groove.feels `play_times`), and a part that keeps none keeps none."""
    kick_snare = "kick and snare, backbeat"
    result = generator.generate(swing_trio(16), GenerationOptions(seed=0, parts=f"1-16={kick_snare}"))
    take = result.takes[0]
    assert [name for _, name in take.parts].count(kick_snare) >= 3, take.parts
    notes = drum_notes(result.midi_bytes)
    bar = notes[:, 0] // (4 * 480)
    cymbals = np.isin(notes[:, 2], (42, 44, 46, 51)) & (bar < 16)
    assert cymbals.sum() <= 16, notes[cymbals]  # no time kept: at most a stroke a bar (a fill's, an ending's)


def test_phrases_named_that_play_as_another_part_are_said(generator: DrumGenerator) -> None:
    """Issue 100: in 7/8 the eighth is the beat, so "eighths on the hat" named there plays as "quarters on the hat"
    (studies.named_parts: the odd meters 0.41-0.80 as named); the run says which phrases and what they play as. A
    part that plays as named says nothing."""
    odd = generator.generate(jazz_band(7, 8, 16), GenerationOptions(seed=0, parts=f"A={STRAIGHT_HATS}"))
    said = [n for n in odd.notices if "phrases you named play as another part" in n]
    missed = [(bar, name) for bar, name in odd.takes[0].parts if name != STRAIGHT_HATS]
    assert missed and len(said) == 1, (odd.takes[0].parts, odd.notices)
    assert said[0].startswith(f"{len(missed)} of the ") and f"bar {missed[0][0]}:" in said[0]
    fits = generator.generate(band_song(16), GenerationOptions(seed=0, parts=f"A={STRAIGHT_HATS}"))
    assert all(name == STRAIGHT_HATS for _, name in fits.takes[0].parts), fits.takes[0].parts
    assert not any("you named play as another part" in n for n in fits.notices)


JAZZ_RIDE = "jazz ride, comping"


def ride_in_beats(notes: np.ndarray, bars: range, tpq: int = 480) -> dict[str, int]:
    """The ride's strokes in `bars` of 4/4 drums' notes (N, 4), by where in its beat: on it, at the triplet's last
    (2/3), elsewhere; and the hi-hat foot (44) on the backbeats."""
    bar = notes[:, 0] // (4 * tpq)
    where = np.isin(bar, list(bars))
    ride, foot = notes[where & (notes[:, 2] == 51)], notes[where & (notes[:, 2] == 44)]
    place = ride[:, 0] % tpq / tpq
    triplet = np.abs(place - 2 / 3) < 0.06
    beat_of_skip = ride[triplet, 0] % (4 * tpq) // tpq
    return {"on": int(((place < 0.06) | (place > 0.94)).sum()), "skips": int(triplet.sum()),
            "skips_after_2_and_4": int(np.isin(beat_of_skip, (1, 3)).sum()),
            "elsewhere": int(len(ride) - ((place < 0.06) | (place > 0.94)).sum() - triplet.sum()),
            "foot_on_2_and_4": int(np.isin(foot[:, 0] % (4 * tpq) // tpq, (1, 3)).sum())}


def test_a_jazz_ride_named_in_a_straight_song_plays_the_spang_a_lang(generator: DrumGenerator) -> None:
    """Issue 100: a jazz ride named where the band plays straight was kept in swung eighths, its skip struck before
    every beat (a shuffle's ride), and read back as "16ths" or "quarters on the ride" (studies.named_parts: "jazz
    ride, comping" 0.935 as named, the Arabic songs 129 of 147): it plays the jazz drummer's ride, the skip after 2
    and 4 at the triplet and the foot on 2 and 4, and reads back as named."""
    result = generator.generate(band_song(16), GenerationOptions(seed=0, humanize=0.0, parts=f"9-16={JAZZ_RIDE}"))
    assert [name for bar, name in result.takes[0].parts if bar >= 9] == [JAZZ_RIDE] * 2, result.takes[0].parts
    ride = ride_in_beats(drum_notes(result.midi_bytes), range(8, 15))  # bar 16 ends the song: its fill's
    assert ride["on"] >= 24 and ride["skips"] >= 12 and ride["skips_after_2_and_4"] == ride["skips"], ride
    assert ride["elsewhere"] == 0 and ride["foot_on_2_and_4"] >= 12, ride
    asked = generator.generate(band_song(16), GenerationOptions(seed=0, humanize=0.0, swing=0.6,
                                                                parts=f"9-16={JAZZ_RIDE}"))
    notes = drum_notes(asked.midi_bytes)
    bar = notes[:, 0] // (4 * 480)
    ride = notes[(bar >= 8) & (bar < 15) & (notes[:, 2] == 51)]
    skips = ride[np.abs(ride[:, 0] % 480 / 480 - 0.6) < 0.06]
    assert len(skips) >= 12 and set((skips[:, 0] % 1920 // 480).tolist()) == {1, 3}  # at --swing, after 2 and 4


def test_a_swung_part_named_live_in_a_straight_song_swings() -> None:
    """Live plays a swung part the musician named in a straight song at the triplet, as offline (it played its
    eighths straight)."""
    from seq2drum.evaluation.playback import play_file
    from seq2drum.live.model_drummer import ModelDrummer

    drummer = ModelDrummer()
    named = play_file(drummer, band_song(16), GenerationOptions(humanize=0.0, parts=f"9-16={JAZZ_RIDE}"), 0)
    ride = ride_in_beats(named.notes, range(9, 15))
    assert ride["on"] >= 20 and ride["skips"] >= 8 and ride["skips_after_2_and_4"] == ride["skips"], ride
    assert ride["elsewhere"] == 0, ride


def off_beat_places(notes: np.ndarray, bars: range, tpq: int = 480) -> set[float]:
    """Where in the beat the hats and the ride strike off it, in `bars` of 4/4 drums' notes (N, 4)."""
    bar = notes[:, 0] // (4 * tpq)
    place = notes[np.isin(bar, list(bars)) & np.isin(notes[:, 2], (42, 46, 51)), 0] % tpq / tpq
    return set(np.round(place[(place > 0.1) & (place < 0.9)], 2).tolist())


SWUNG_HATS = "swung eighths on the hat, backbeat"


def test_a_swung_part_named_under_a_band_that_swings_less_swings_at_the_triplet(generator: DrumGenerator) -> None:
    """Issue 100: a swung part named where the band swings at 0.60 (St Louis Blues) was swung at 0.60 and read back
    as 16ths; it swings at the triplet where named (a drummer's ride swings harder than a band's eighths), the run
    says so, the bars around it swing with the band, and the musician's --swing swings them all alike."""
    options = dict(seed=0, humanize=0.0, parts=f"9-16={SWUNG_HATS}")
    result = generator.generate(swing_trio(16, swing=0.6), GenerationOptions(**options))  # type: ignore[arg-type]
    notes = drum_notes(result.midi_bytes)
    assert off_beat_places(notes, range(8, 15)) == {0.67} and off_beat_places(notes, range(0, 7)) >= {0.6}
    assert (9, SWUNG_HATS) in result.takes[0].parts, result.takes[0].parts
    assert any("the swung parts you named are played at the triplet (0.67 of the beat), where the band swings at "
               "0.60" in n for n in result.notices), result.notices
    asked = generator.generate(swing_trio(16, swing=0.6), GenerationOptions(swing=0.6, **options))  # type: ignore
    assert off_beat_places(drum_notes(asked.midi_bytes), range(8, 15)) == {0.6}
    assert not any("played at the triplet" in n for n in asked.notices)


def test_a_swung_part_named_live_under_a_band_that_swings_less_swings_at_the_triplet() -> None:
    from seq2drum.evaluation.playback import play_file
    from seq2drum.live.model_drummer import ModelDrummer

    drummer = ModelDrummer()
    named = play_file(drummer, swing_trio(16, swing=0.6), GenerationOptions(humanize=0.0, parts=f"9-16={SWUNG_HATS}"),
                      0)
    assert off_beat_places(named.notes, range(9, 15)) == {0.67}


def test_the_warning_for_named_phrases_names_the_control_that_moved_them() -> None:
    """Tried as a user: with --cymbal ride or --swing, named hat or straight phrases play as another part and the
    warning blamed an odd meter or a thin part; it names the control where the parts played show it."""
    from seq2drum.generation.render import misses_reason

    moved = [(25, "eighths on the hat, backbeat", "eighths on the ride, backbeat")]
    assert misses_reason(moved, GenerationOptions(cymbal="ride")).startswith(
        "--cymbal ride keeps every part's time on the ride")
    swung = [(25, "eighths on the hat, backbeat", "swung eighths on the hat, backbeat")]
    assert misses_reason(swung, GenerationOptions(swing=0.62)).startswith("--swing 0.62 swings every part")
    odd = [(5, "eighths on the hat, backbeat", "quarters on the hat, comping")]
    for options in (GenerationOptions(), GenerationOptions(cymbal="ride"), GenerationOptions(swing=0.62)):
        assert misses_reason(odd, options).startswith("their bars do not hold it as named")
