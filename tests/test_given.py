"""generation.given and what reaches it (issue 21 items 1, 2, 4, 5): which parts the drums listen to (--guitar-only,
a band without a guitar), the input's drums ignored unless --keep-drums, kept exactly where kept and continued after,
and a --groove clip the drums start from, with its errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from seq2drum.errors import GrooveClipError, NoGuitarError
from seq2drum.evaluation.inputs import given_kept
from seq2drum.generation.generator import DrumGenerator
from seq2drum.generation.given import given_continuation
from seq2drum.generation.prepare import prepare
from seq2drum.midi.drums import PITCH_TO_CLASS
from seq2drum.midi.io import DRUM_CHANNEL, END, PITCH, START, VELOCITY, read_midi
from seq2drum.midi.write import TrackSpec
from seq2drum.options import GenerationOptions
from seq2drum.song.grid import BAR_START, BAR_STEPS
from tests.builders import PPQ, notes_from_steps, riff, song_bytes, tiny_checkpoint

BAR = 4 * PPQ  # ticks of a 4/4 bar
# a groove no codebook entry of the tiny model holds (kicks on 1 and the "and"s of 2 and 3, snares on 2 and 4), over
# the eighth-note hats the tiny model plays by itself (it is silent but for the closed hat)
GROOVE = [(0, 36, 101), (6, 36, 87), (10, 36, 95), (4, 38, 117), (12, 38, 109)] + [(s, 42, 71) for s in range(0, 16, 2)]


@pytest.fixture(scope="module")
def band(tiny_model_path: Path) -> DrumGenerator:
    return DrumGenerator.from_checkpoint(tiny_model_path)


@pytest.fixture(scope="module")
def guitar_model(tmp_path_factory: pytest.TempPathFactory) -> DrumGenerator:
    path = tiny_checkpoint(tmp_path_factory.mktemp("models") / "guitar.pt", listen_to_band=False)
    return DrumGenerator.from_checkpoint(path)


def groove_notes(bars: int, first_bar: int = 0) -> np.ndarray:
    return notes_from_steps([((first_bar + bar) * 16 + step, pitch, velocity) for bar in range(bars)
                             for step, pitch, velocity in GROOVE])


def bass(bars: int, entry_bar: int = 0) -> TrackSpec:
    events = [(bar * 16 + step, 28) for bar in range(entry_bar, bars) for step in (0, 6, 8)]
    return TrackSpec("Bass", 1, notes_from_steps(events, length_steps=2), program=33)


def groove_share(drums_hits: np.ndarray, bars: range, steps_per_bar: int = 16) -> float:
    """The share of `bars` whose hits are GROOVE's (cell F1 >= 0.95; the tiny codebook's rock bar is at 0.88)."""
    wanted = np.zeros((steps_per_bar, 9), dtype=bool)
    for step, pitch, _ in GROOVE:
        wanted[step, PITCH_TO_CLASS[pitch]] = True
    near = []
    for bar in bars:
        hits = drums_hits[bar * steps_per_bar : (bar + 1) * steps_per_bar]
        near.append(2 * (hits & wanted).sum() / max(1, hits.sum() + wanted.sum()) >= 0.95)
    return float(np.mean(near))


def test_guitar_only_listens_to_the_guitar_alone(band: DrumGenerator) -> None:
    """With a band model the bass is heard (its columns, its earlier entry starts the span, listed as band); with
    guitar_only its columns are silent, the span starts at the file's first bar (the guitar alone keeps its song's
    timeline: tests/test_from_the_top.py) and only the guitar is listed."""
    data = song_bytes(notes_from_steps([(step + 32, pitch) for step, pitch in riff(6)], length_steps=2),
                      extra=[bass(8)])
    heard = prepare(data, GenerationOptions(), band.data_config, band.spec)
    alone = prepare(data, GenerationOptions(guitar_only=True), band.data_config, band.spec)
    assert heard.encoded.first_bar == 0 and alone.encoded.first_bar == 0 and alone.from_the_top
    assert heard.encoded.band_features().any() and not alone.encoded.band_features().any()
    assert alone.band_parts is None and [part.name for part in heard.band_parts or []] == ["Bass"]
    result = band.generate(data, GenerationOptions(seed=0, guitar_only=True))
    assert result.band_parts == [] and result.guitar_parts == ["1 'Guitar' (channel 1, program 30, 96 notes)"]
    assert band.generate(data, GenerationOptions(seed=0)).band_parts == ["bass: 2 'Bass' (channel 2, program 34, "
                                                                         "24 notes)"]


def test_no_guitar_is_played_to_by_a_band_model_only(band: DrumGenerator, guitar_model: DrumGenerator) -> None:
    """Bass, keys and a vocal, no guitar: a band model plays from the first entry to the last note it listens to, says
    whom it follows, and --merge copies every part it listened to; --guitar-only and a guitar-only model refuse the
    file with the parts listed; --track still picks a guitar."""
    keys = TrackSpec("Piano", 2, notes_from_steps([(bar * 16, 60) for bar in range(1, 7)], length_steps=16), 0)
    vocal = TrackSpec("Vocals", 3, notes_from_steps([(bar * 16 + 4, 67) for bar in range(2, 9)], length_steps=8), 52)
    data = song_bytes(drums=notes_from_steps([(0, 36), (4, 38)]), extra=[bass(6, entry_bar=1), keys, vocal])
    result = band.generate(data, GenerationOptions(seed=0, merge=True))
    assert result.guitar_parts == [] and result.bars == 8  # bars 1 (the bass enters) to 8 (the vocal's last note)
    assert result.notices[0].startswith("no guitar part: the drums follow bass: 2 'Bass'")
    written = read_midi(result.midi_bytes)
    assert sorted(part.name for part in written.parts) == ["Bass", "Drums (seq2drum)", "Piano", "Vocals"]
    for refused, options in ((band, GenerationOptions(guitar_only=True)), (guitar_model, GenerationOptions())):
        with pytest.raises(NoGuitarError, match="no guitar part found.*2 'Bass'"):
            refused.generate(data, options)
    assert band.generate(data, GenerationOptions(seed=0, track="Piano")).guitar_parts[0].startswith("3 'Piano'")


@pytest.mark.parametrize("model", ["band", "guitar_model"])
def test_channel_10_is_ignored_without_keep_drums(model: str, request: pytest.FixtureRequest) -> None:
    """The input's drums change nothing in the output unless --keep-drums (read or not, heard or not)."""
    generator = request.getfixturevalue(model)
    guitar = notes_from_steps(riff(8), length_steps=2)
    options = GenerationOptions(seed=3, merge=True)
    without = generator.generate(song_bytes(guitar, extra=[bass(8)]), options)
    with_drums = generator.generate(song_bytes(guitar, groove_notes(8), extra=[bass(8)]), options)
    assert with_drums.midi_bytes == without.midi_bytes


def users_drums() -> np.ndarray:
    """Two bars of drums as a person plays them: off the grid by a few ticks, odd lengths, a note outside the GM
    percussion keys (27), one ringing into the next bar."""
    notes = groove_notes(2).copy()
    notes[:, START] += np.arange(len(notes)) % 7 - 3
    notes[:, START] = np.maximum(notes[:, START], 0)
    notes[:, END] = notes[:, START] + 17 + np.arange(len(notes)) * 5
    extra = np.array([[BAR + 3 * PPQ + 5, 2 * BAR + 200, 27, 33]], dtype=np.int64)
    return np.concatenate([notes, extra])


@pytest.mark.parametrize("options", [
    GenerationOptions(seed=1, keep_drums=True),
    GenerationOptions(seed=1, keep_drums=True, swing=0.67, dynamics=1.4, humanize=1.5, cymbal="ride", takes=2,
                      kit_map='{"kick": 35, "snare": 40, "open_hat": 42}', merge=True),
], ids=["defaults", "every-control"])
def test_keep_drums_keeps_the_given_bars_exactly(band: DrumGenerator, options: GenerationOptions) -> None:
    """Every given note is in every take with its pitch, velocity, onset and duration (to 1/1000 quarter), nothing
    else starts in those bars (controls, kit map, humanizing and count-in leave them alone), and the bars after them
    are written."""
    given = users_drums()
    data = song_bytes(notes_from_steps(riff(8), length_steps=2), given)
    result = band.generate(data, options)
    for take in result.takes:
        assert given_kept(data, take.midi_bytes)
        drums = read_midi(take.midi_bytes).drum_parts[0]
        scale = drums.notes[:, START].max() and read_midi(take.midi_bytes).ticks_per_quarter / PPQ
        later = drums.notes[drums.notes[:, START] >= 2 * BAR * scale]
        assert len(later) > 20  # the other six bars are played
    written = read_midi(result.midi_bytes)
    quarters = {(int(n[PITCH]), int(n[VELOCITY]), round(n[START] / written.ticks_per_quarter, 3),
                 round((n[END] - n[START]) / written.ticks_per_quarter, 3)) for n in written.drum_parts[0].notes}
    assert {(int(n[PITCH]), int(n[VELOCITY]), round(n[START] / PPQ, 3), round((n[END] - n[START]) / PPQ, 3))
            for n in given} <= quarters


def test_keep_drums_continues_their_groove(band: DrumGenerator) -> None:
    """Two given bars of a groove the model never chose: most bars after them play it (the user's own notes)."""
    data = song_bytes(notes_from_steps(riff(16), length_steps=2), groove_notes(2))
    result = band.generate(data, GenerationOptions(seed=0, humanize=0, keep_drums=True))
    assert groove_share(result.drums.hits, range(2, 15)) >= 0.7
    plain = band.generate(song_bytes(notes_from_steps(riff(16), length_steps=2)), GenerationOptions(seed=0))
    assert groove_share(plain.drums.hits, range(2, 15)) < 0.5  # without them, the model's own groove


def test_the_continuation_bonuses_make_the_given_groove_continue(tiny_model_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """The continuation's bonuses (groove.continuation's constants) are what continues the given groove: with them at
    zero it is no longer preferred after the given bars."""
    from seq2drum.groove import continuation

    defaults = continuation.continuation.__defaults__
    monkeypatch.setattr(continuation.continuation, "__defaults__", (0.0, 0.0, *defaults[2:]))
    generator = DrumGenerator.from_checkpoint(tiny_model_path)
    data = song_bytes(notes_from_steps(riff(16), length_steps=2), groove_notes(2))
    result = generator.generate(data, GenerationOptions(seed=0, humanize=0, keep_drums=True))
    assert groove_share(result.drums.hits, range(2, 15)) < 0.5


def test_a_drummer_who_enters_late_is_kept_silent_until_then(band: DrumGenerator) -> None:
    """Sticks in bar 1, then the groove from bar 5: the bars between are the user's silence, not filled in, and the
    groove continues after bar 6."""
    sticks = notes_from_steps([(0, 37), (4, 37), (8, 37), (12, 37)])
    data = song_bytes(notes_from_steps(riff(12), length_steps=2), np.concatenate([sticks, groove_notes(2, 4)]))
    result = band.generate(data, GenerationOptions(seed=0, keep_drums=True, humanize=0))
    drums = read_midi(result.midi_bytes).drum_parts[0].notes
    ticks_per_bar = 4 * read_midi(result.midi_bytes).ticks_per_quarter
    assert not np.any((drums[:, START] >= ticks_per_bar) & (drums[:, START] < 4 * ticks_per_bar))
    assert groove_share(result.drums.hits, range(6, 11)) >= 0.6


def test_a_drumless_intro_the_user_wrote_stays_drumless(band: DrumGenerator) -> None:
    """Issue 41: drums written from bar 9 on: bars 1-8 stay empty (the intro is the user's), the kept bars are kept
    and the groove goes on after them."""
    data = song_bytes(notes_from_steps(riff(16), length_steps=2), groove_notes(2, 8))
    result = band.generate(data, GenerationOptions(seed=0, keep_drums=True, humanize=0))
    song = read_midi(result.midi_bytes)
    drums = song.drum_parts[0].notes
    ticks_per_bar = 4 * song.ticks_per_quarter
    assert not np.any(drums[:, START] < 8 * ticks_per_bar)
    assert np.any((drums[:, START] >= 8 * ticks_per_bar) & (drums[:, START] < 10 * ticks_per_bar))
    assert groove_share(result.drums.hits, range(10, 15)) >= 0.6


def clip_bytes(bars: int, meter: tuple[int, int] = (4, 4), steps_per_bar: int = 16) -> bytes:
    return song_bytes(drums=notes_from_steps([(bar * steps_per_bar + step, pitch, velocity) for bar in range(bars)
                                              for step, pitch, velocity in GROOVE if step < steps_per_bar]),
                      time_signatures=[(0, *meter)])


def test_a_groove_clip_leads_to_its_groove(band: DrumGenerator) -> None:
    """A 2-bar clip: most bars play its groove from bar 1 on, with the clip's own velocities."""
    data = song_bytes(notes_from_steps(riff(12), length_steps=2))
    result = band.generate(data, GenerationOptions(seed=0, humanize=0, groove_midi=clip_bytes(2)))
    assert groove_share(result.drums.hits, range(0, 11)) >= 0.7
    velocities = set(read_midi(result.midi_bytes).drum_parts[0].notes[:, VELOCITY].tolist())
    assert {101, 117, 71} <= velocities
    assert result.notices == []


def test_a_long_clip_gives_its_first_eight_bars_said_once(band: DrumGenerator) -> None:
    result = band.generate(song_bytes(notes_from_steps(riff(4), length_steps=2)),
                           GenerationOptions(seed=0, groove_midi=clip_bytes(12), takes=2))
    assert result.notices == ["the groove clip has 12 bars from its first drum note; its first 8 are the groove the "
                              "drums start from"]


@pytest.mark.parametrize("clip, message", [
    (b"not a midi file", "the groove clip is not a MIDI file seq2drum can read"),
    (song_bytes(notes_from_steps(riff(2))), "the groove clip holds no drums (no notes on MIDI channel 10); its parts "
                                            "are: 1 'Guitar'"),
    (clip_bytes(2, (3, 4), 12), "the groove clip is in 3/4 and the song mostly in 4/4; give a clip in 4/4"),
], ids=["not-midi", "no-drums", "other-meter"])
def test_a_clip_that_cannot_be_played_from_is_refused(band: DrumGenerator, clip: bytes, message: str) -> None:
    with pytest.raises(GrooveClipError) as caught:
        band.generate(song_bytes(notes_from_steps(riff(4), length_steps=2)), GenerationOptions(groove_midi=clip))
    assert message in str(caught.value)


def test_given_rows_agree_with_the_bars(band: DrumGenerator) -> None:
    """GivenDrums.hits and covered are on the BarSong's rows (the span), as a network that hears drums reads them."""
    data = song_bytes(notes_from_steps([(step + 16, pitch) for step, pitch in riff(6)], length_steps=2),
                      groove_notes(2, 2))
    prepared = prepare(data, GenerationOptions(keep_drums=True), band.data_config, band.spec)
    given = prepared.given
    assert given is not None and given.hits.shape == (prepared.bars.n_bars, band.spec.max_bar_steps, 9)
    # song bars 3 and 4, and bar 2 before them (the span starts there: a drumless intro, kept as the user left it)
    assert np.flatnonzero(given.covered).tolist() == [0, 1, 2]
    grid = prepared.encoded.grid
    start, steps = grid.bars[3, BAR_START], grid.bars[3, BAR_STEPS]
    assert given.groove is None and given.hits[1, :steps].sum() == len(GROOVE)
    assert int(start) == 3 * 16 and DRUM_CHANNEL == 9


def test_only_kept_drums_are_let_go_where_the_song_gets_busier(band: DrumGenerator) -> None:
    """The continuation's minimum share (groove.continuation PREFERRED_MIN_SHARE) reaches the decision for drums kept
    from the file (a sparse intro is not looped through the song), not for a --groove clip: a clip is what the user
    asked the drums to play."""
    from seq2drum.groove.settings import PREFERRED_MIN_SHARE

    data = song_bytes(notes_from_steps(riff(8), length_steps=2), groove_notes(2))
    kept = prepare(data, GenerationOptions(keep_drums=True), band.data_config, band.spec)
    clip = prepare(song_bytes(notes_from_steps(riff(8), length_steps=2)), GenerationOptions(groove_midi=clip_bytes(2)),
                   band.data_config, band.spec)
    steps = kept.bars.bar_steps
    assert PREFERRED_MIN_SHARE > 0
    assert given_continuation(kept.given, band.decoder.codebook, steps).min_share == PREFERRED_MIN_SHARE
    assert given_continuation(clip.given, band.decoder.codebook, steps).min_share == 0.0


def test_the_loop_drops_crash_accents_but_keeps_crash_riding() -> None:
    """A drummer's opening crash is not looped into every later bar, nor crashes on each kept downbeat, nor an accent
    off the downbeat one kept bar plays (a pickup's crash on beat 4): looped, they crashed in most bars. Crash riding
    through the bar (3 or more a bar) is the groove and is kept, notes and all, and so is a cymbal every kept bar
    plays at one step (a china on the backbeat, mapped to the crash)."""
    from seq2drum.song.given_groove import without_crash_accents
    from seq2drum.midi.drums import DRUM_CLASSES

    crash = DRUM_CLASSES.index("crash")
    loop = np.zeros((2, 16, 9), dtype=bool)
    loop[:, 0, 0] = True
    loop[0, 0, crash] = True
    notes = [np.array([[0, 60, 36, 100], [3, 200, 49, 110]]), np.array([[0, 60, 36, 100]])]
    kept, kept_notes = without_crash_accents(loop, notes, 120)
    assert not kept[..., crash].any() and kept[:, 0, 0].all()
    assert kept_notes[0][:, 2].tolist() == [36]
    loop[1, 0, crash] = loop[1, 12, crash] = True  # both downbeats and a crash on beat 4 of the second bar
    notes[1] = np.array([[0, 60, 36, 100], [0, 60, 49, 100], [1440, 1500, 57, 100]])
    accents, accent_notes = without_crash_accents(loop, notes, 120)
    assert not accents[..., crash].any() and accents[:, 0, 0].all()
    assert accent_notes[1][:, 2].tolist() == [36]
    loop[:, 4, crash], loop[1, 0, crash] = True, False  # a cymbal on beat 2 of both bars: the groove's
    notes[1] = np.array([[0, 60, 36, 100], [480, 500, 52, 100], [1440, 1500, 57, 100]])
    china, china_notes = without_crash_accents(loop, notes, 120)
    assert china[:, 4, crash].all() and china[..., crash].sum() == 2
    assert china_notes[1][:, 2].tolist() == [36, 52]
    alone, _ = without_crash_accents(loop[1:], notes[1:], 120)
    assert not alone[..., crash].any()  # one kept bar: its crash off the downbeat is an accent
    loop[:, ::4, crash] = True  # on every beat
    riding, riding_notes = without_crash_accents(loop, notes, 120)
    assert riding[:, ::4, crash].all() and riding_notes is notes


def test_the_loop_drops_a_kept_bars_fill_but_keeps_toms_that_are_the_groove() -> None:
    """A kept bar ending in a tom run its other kept bar does not play (an intro's fill into the song) is looped
    without the run, notes too; a tom figure both kept bars play, or toms from a bar's first half, are the groove."""
    from seq2drum.song.given_groove import without_kept_fills
    from seq2drum.midi.drums import DRUM_CLASSES

    low, high = DRUM_CLASSES.index("low_tom"), DRUM_CLASSES.index("high_tom")
    loop = np.zeros((2, 16, 9), dtype=bool)
    loop[:, ::2, 2] = loop[:, 0, 0] = loop[:, 8, 1] = True
    loop[1, 12:16, high] = True  # a fill on beat 4 of the second bar
    notes = [np.array([[0, 60, 36, 100]]), np.array([[0, 60, 36, 100], [1440, 1470, 50, 100]])]
    steps = np.array([16, 16])
    kept, kept_notes = without_kept_fills(loop, steps, notes)
    assert not kept[..., high].any() and (kept[..., :3] == loop[..., :3]).all()
    assert kept_notes[1][:, 2].tolist() == [36] and kept_notes[0] is notes[0]
    loop[0, 12:16, high] = True  # the same figure in both bars: the groove's
    assert without_kept_fills(loop, steps, notes)[0][..., high].sum() == 8
    groove = np.zeros((2, 16, 9), dtype=bool)
    groove[0, [2, 10], low] = groove[1, [6, 14], low] = True  # toms from the first half: a tom groove
    assert without_kept_fills(groove, steps, notes)[0] is groove


def test_given_crash_riding_turns_to_the_ride_after_its_section() -> None:
    """Issue 23: a given intro that rides the crash is continued with the crash in its own section (and the
    sections labelled as it) and with the ride cymbal elsewhere, in the pattern and in the user's notes moved
    there."""
    from seq2drum.generation.given import GivenDrums
    from seq2drum.midi.drums import DRUM_CLASSES
    from seq2drum.song.sections import Section

    crash, ride = DRUM_CLASSES.index("crash"), DRUM_CLASSES.index("ride")
    loop = np.zeros((1, 16, 9), dtype=bool)
    loop[0, ::4, crash] = loop[0, ::8, 0] = True
    notes = np.array([[step * 30, step * 30 + 20, 49, 100] for step in range(0, 16, 4)])
    given = GivenDrums(np.zeros((8, 16, 9), dtype=bool), np.zeros(8, dtype=bool), loop=loop,
                       loop_steps=np.array([16]), loop_notes=[notes], loop_from=0)
    given.hold_riding_to_section([Section(2, 6, 0), Section(6, 8, 1), Section(8, 10, 0)], first_bar=2, n_rows=8)
    assert given.riding_rows.tolist() == [True] * 4 + [False] * 2 + [True] * 2
    wanted, patterns = given.preferred(np.full(8, 16))
    riding = given.riding_rows
    assert wanted.all() and patterns[riding][:, ::4, crash].all() and not patterns[riding][:, :, ride].any()
    assert not patterns[~riding][:, :, crash].any() and patterns[~riding][:, ::4, ride].all()
    assert patterns[:, ::8, 0].all()


def test_given_crash_riding_notes_are_ride_notes_after_its_section() -> None:
    from seq2drum.generation.given import RIDE_PITCH, GivenDrums
    from seq2drum.song.grid import Grid

    loop = np.zeros((1, 16, 9), dtype=bool)
    loop[0, ::4, 7] = True
    notes = np.array([[step * 30, step * 30 + 20, 49, 100] for step in range(0, 16, 4)])
    given = GivenDrums(np.zeros((4, 16, 9), dtype=bool), np.zeros(4, dtype=bool), loop=loop,
                       loop_steps=np.array([16]), loop_notes=[notes], loop_from=0,
                       riding_rows=np.array([True, True, False, False]))
    _, patterns = given.preferred(np.full(4, 16))
    grid = Grid.build(120, [(0, 4, 4)], [(0, 500_000)], 4 * 480, 4)
    moved, filled = given.copies(patterns, np.full(4, 16), grid, 0)
    assert filled.all() and len(moved) == 16
    bars = moved[:, 0] // 480
    assert (moved[bars < 2, 2] == 49).all() and (moved[bars >= 2, 2] == RIDE_PITCH).all()


def test_a_kept_note_held_across_the_barline_is_not_cut_by_a_written_one() -> None:
    """A written note of the same pitch starting while a kept note still sounds would end it in the file (its
    note-on comes before the kept note-off): a 1/4 song's kept snare lost a fifth of its length that way. Such a
    written note goes; others stay."""
    from seq2drum.generation.given import clear_of_kept

    kept = np.array([[0, 300, 38, 120]])  # a snare held past the barline at 240
    written = np.array([[250, 260, 38, 90], [250, 260, 36, 90], [300, 310, 38, 90]])
    np.testing.assert_array_equal(clear_of_kept(written, kept), written[1:])
    assert clear_of_kept(written, kept[:0]) is written


def test_kept_bars_of_accents_alone_loop_without_their_crashes(band: DrumGenerator) -> None:
    """An intro of crash-and-kick hits (4 hits on two drums: kept as the drummer's first groove bars) is accents: its
    crashes are not looped, what is left is no groove (groove_bars) and the continuation's minimum share lets the
    sparse kicks go where the model expects more, so drums follow it; with a groove under the crashes, the groove is
    looped without them."""
    from seq2drum.song.given_groove import groove_bars, without_crash_accents

    hits = notes_from_steps([(0, 49), (0, 36), (2, 49), (2, 36), (30, 49), (30, 36)])
    data = song_bytes(notes_from_steps(riff(8), length_steps=2), hits)
    prepared = prepare(data, GenerationOptions(keep_drums=True), band.data_config, band.spec)
    assert prepared.given is not None and len(prepared.given.loop) == 2 and not prepared.given.loop[..., 7].any()
    result = band.generate(data, GenerationOptions(seed=0, keep_drums=True, humanize=0))
    assert result.drums.hits[3 * 16:].any()
    accents = np.zeros((2, 16, 9), dtype=bool)
    accents[0, [0, 2], 0] = accents[0, [0, 2], 7] = accents[1, 14, 0] = accents[1, 14, 7] = True
    assert groove_bars(accents).any() and not groove_bars(without_crash_accents(accents, [], 1)[0]).any()
    with_groove = prepare(song_bytes(notes_from_steps(riff(8), length_steps=2),
                                     np.concatenate([hits, groove_notes(2)])), GenerationOptions(keep_drums=True),
                          band.data_config, band.spec).given
    assert with_groove is not None and len(with_groove.loop) and not with_groove.loop[..., 7].any()


def test_live_a_kept_crash_ride_goes_on_on_the_ride() -> None:
    """Live, the kept loop is continued bar after bar: a crash ridden inside its bars (an intro's crash on every beat)
    moves to the ride, downbeats too; a loop without crash riding is left as it is."""
    from seq2drum.song.given_groove import crash_ride_on_ride
    from seq2drum.midi.drums import DRUM_CLASSES

    crash, ride = DRUM_CLASSES.index("crash"), DRUM_CLASSES.index("ride")
    loop = np.zeros((2, 16, 9), dtype=bool)
    loop[:, ::4, crash] = True
    loop[:, ::2, 1] = True
    moved = crash_ride_on_ride(loop)
    assert not moved[..., crash].any() and moved[:, ::4, ride].all() and (moved[..., 1] == loop[..., 1]).all()
    accent = np.zeros((2, 16, 9), dtype=bool)
    accent[0, 0, crash] = True
    assert crash_ride_on_ride(accent) is accent


@pytest.fixture(scope="module")
def shipped() -> DrumGenerator:
    """The shipped model: it takes a degenerate clip's bar as the groove and replays it (the tiny one does not)."""
    return DrumGenerator.from_checkpoint(None)


def _drum_notes(result: object) -> np.ndarray:
    return read_midi(result.midi_bytes).drum_parts[0].notes  # type: ignore[attr-defined]


def test_a_clip_of_one_instant_repeated_plays_each_note_once(shipped: DrumGenerator) -> None:
    """Issue 89 P4: a 32 KB clip of 4,000 notes at one instant (100 on each of 40 keys) gave an 8-bar song 4,090
    drum notes, 100 identical notes at each tick and key; now one note per tick and key, and a notice says so."""
    clip = song_bytes(None, np.array([[0, 60, 36 + index % 40, 100] for index in range(4000)]))
    result = shipped.generate(song_bytes(notes_from_steps(riff(8))), GenerationOptions(seed=1, groove_midi=clip))
    notes = _drum_notes(result)
    assert len(np.unique(notes[:, [START, PITCH]], axis=0)) == len(notes) and len(notes) <= 8 * 60
    assert any("at the same instant and key as another play as one" in notice for notice in result.notices)


def test_a_clip_on_every_key_plays_drum_keys_only(shipped: DrumGenerator) -> None:
    """Issue 89 P4: a clip with a note on every key replayed keys 0-127 on channel 10; the keys no drum plays are
    left out, said in a notice. A clip of such keys alone holds no drums."""
    every_key = [[0, 60, pitch, 100] for pitch in range(128)] + [[PPQ * beat, PPQ * beat + 60, 42, 90]
                                                                 for beat in range(4)]
    clip = song_bytes(None, np.array(every_key))
    result = shipped.generate(song_bytes(notes_from_steps(riff(8))), GenerationOptions(seed=1, groove_midi=clip))
    assert (PITCH_TO_CLASS[_drum_notes(result)[:, PITCH]] >= 0).all()
    assert any("notes on keys no drum plays (0, 1, 2" in notice for notice in result.notices)
    with pytest.raises(GrooveClipError, match="holds no drums"):
        shipped.generate(song_bytes(notes_from_steps(riff(4))),
                         GenerationOptions(groove_midi=song_bytes(None, np.array([[0, 60, 100, 100]]))))


def test_a_clip_looped_past_what_a_drum_file_holds_is_refused(band: DrumGenerator) -> None:
    """Issue 89 P4: a dense clip looped through a long song wrote 433,238 drum notes, past the reader's own 50,000
    (the CLI and the server alike); refused before any work, naming the clip's density and the song's bars."""
    dense = np.array([[note * PPQ // 60, note * PPQ // 60 + 1, 42, 80] for note in range(240)])  # in its one bar
    data = song_bytes(notes_from_steps(riff(200), length_steps=2))
    with pytest.raises(GrooveClipError) as caught:
        band.generate(data, GenerationOptions(groove_midi=song_bytes(None, dense)))
    assert "plays 240 notes in a bar; looped through the song's 200 bars that makes 48,000" in str(caught.value)


def bar_hits(midi_bytes: bytes) -> np.ndarray:
    """(bars,) drum notes starting in each 4/4 bar of a written file."""
    song = read_midi(midi_bytes)
    notes = song.drum_parts[0].notes if song.drum_parts else np.zeros((0, 4), dtype=np.int64)
    return np.bincount(notes[:, START] // (4 * song.ticks_per_quarter), minlength=1)


def test_a_break_between_the_users_drum_bars_stays_silent_unless_asked(band: DrumGenerator) -> None:
    """Issue 90: the user's drums in bars 1-2 and 7-8, resting in 3-6 (a break): --keep-drums left the break
    empty only with --fill-breaks asked otherwise; after bar 8 the drums go on as before, and the run says so."""
    drums = np.concatenate([groove_notes(2), groove_notes(2, 6)])
    data = song_bytes(notes_from_steps(riff(12), length_steps=2), drums)
    kept = band.generate(data, GenerationOptions(seed=0, keep_drums=True, humanize=0))
    per_bar = bar_hits(kept.midi_bytes)
    assert not per_bar[2:6].any() and per_bar[[0, 1, 6, 7]].all() and per_bar[8:11].any()
    assert any("rest in bars 3-6" in notice and "--fill-breaks" in notice for notice in kept.notices)
    filled = band.generate(data, GenerationOptions(seed=0, keep_drums=True, fill_breaks=True, humanize=0))
    assert bar_hits(filled.midi_bytes)[2:6].all()


def test_fill_breaks_goes_with_keep_drums() -> None:
    from seq2drum.errors import ConfigError

    with pytest.raises(ConfigError, match="keep drums"):
        GenerationOptions(fill_breaks=True)
