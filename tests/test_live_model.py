"""The causal model as a live drummer (live/model_drummer.py): bars read as a file's bars are, a small picklable
state, drums that depend on (seed, bar) and what was played up to the lead only, a groove heard before the song."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest

from seq2drum.config import DataConfig
from seq2drum.errors import CheckpointError, ConfigError
from seq2drum.generation.prepare import prepare
from seq2drum.live.api import BarClock, PlayedNote
from seq2drum.live.features import live_bar
from seq2drum.live.kept import bar_continuation, groove_bars
from seq2drum.live.model_drummer import ModelDrummer
from seq2drum.evaluation.playback import play_file, played_bars
from seq2drum.midi.io import read_midi
from seq2drum.midi.write import TrackSpec
from seq2drum.model.causal import causal_masks
from seq2drum.options import GenerationOptions
from seq2drum.song.bars import bar_song
from seq2drum.song.encode import encode_song
from tests.builders import (PPQ, backbeat, format1_song_bytes, notes_from_steps, riff, rock_song_bytes, song_bytes,
                            tiny_checkpoint)


@pytest.fixture(scope="module")
def drummer(tmp_path_factory: pytest.TempPathFactory) -> ModelDrummer:
    return ModelDrummer(tiny_checkpoint(tmp_path_factory.mktemp("live") / "live.pt", causal=True))


def test_a_missing_live_model_names_the_command_that_trains_it(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="--mode train --live"):
        ModelDrummer(tmp_path / "live.pt")


def test_an_offline_model_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="offline model"):
        ModelDrummer(tiny_checkpoint(tmp_path / "offline.pt"))


def test_a_bar_played_live_is_read_as_the_same_bar_of_the_file(drummer: ModelDrummer) -> None:
    """Up to the lead, what the encoder reads of each bar played live equals what it reads of the file's bar."""
    data = rock_song_bytes(8)
    song = bar_song(encode_song(read_midi(data), DataConfig(), with_drums=False), drummer.spec)
    prepared = prepare(data, GenerationOptions(), drummer.data_config, drummer.spec)
    mask = causal_masks(drummer.spec.step_columns, drummer.spec.bar_columns)
    for clock, played in played_bars(prepared, drummer.lead_quarters):
        steps, bar, n_steps, _ = live_bar(played, clock, drummer.spec, drummer.steps_per_quarter)
        lead = n_steps - 1
        np.testing.assert_allclose(steps[:lead] * mask["encoder_step"],
                                   song.step_features[clock.index, :lead] * mask["encoder_step"], atol=1e-6)
        np.testing.assert_allclose(bar * mask["bar"], song.bar_features[clock.index] * mask["bar"], atol=1e-6)


def test_the_state_is_small_and_picklable_and_the_drums_depend_on_seed_and_bar_only(drummer: ModelDrummer) -> None:
    options = GenerationOptions(humanize=1.0)
    clock = [BarClock(i, 4, 4, 120.0) for i in range(4)]
    notes = [PlayedNote(0.0, 0.5, 40, 100, "guitar"), PlayedNote(1.0, 0.5, 28, 90, "bass")]
    state = drummer.begin(options, seed=5)
    outputs = []
    for i in range(4):
        hits, state = drummer.next_bar(state, notes if i else (), clock[i - 1] if i else None, clock[i])
        state = pickle.loads(pickle.dumps(state))  # a stream hands its state from worker to worker
        outputs.append(hits)
    assert len(pickle.dumps(state)) < 64_000
    again = drummer.begin(options, seed=5)
    for i in range(4):
        hits, again = drummer.next_bar(again, notes if i else (), clock[i - 1] if i else None, clock[i])
        assert hits == outputs[i]
    assert any(outputs)


def test_what_is_played_after_the_lead_is_not_heard(drummer: ModelDrummer) -> None:
    """Notes arriving after the lead (a late note of bar n-1 past its last 16th) change nothing of bar n."""
    clock = [BarClock(0, 4, 4, 100.0), BarClock(1, 4, 4, 100.0)]
    early = [PlayedNote(float(q), 0.4, 45, 100, "guitar") for q in range(4)]
    state = drummer.begin(GenerationOptions(), seed=1)
    _, state = drummer.next_bar(state, (), None, clock[0])
    a, _ = drummer.next_bar(state, early, clock[0], clock[1])
    b, _ = drummer.next_bar(state, early + [PlayedNote(3.8, 0.2, 50, 127, "bass")], clock[0], clock[1])
    assert a == b


def test_a_file_played_bar_by_bar_gives_the_same_drums_each_time(drummer: ModelDrummer) -> None:
    data = format1_song_bytes(notes_from_steps(riff(8)), notes_from_steps(backbeat(8)))
    first = play_file(drummer, data, GenerationOptions(), seed=2)
    second = play_file(drummer, data, GenerationOptions(), seed=2)
    assert first.bars == 8 and len(first.notes)
    np.testing.assert_array_equal(first.notes, second.notes)
    assert read_midi(first.midi_bytes).drum_parts


def reluctant(drummer: ModelDrummer) -> ModelDrummer:
    """The drummer with a lambda no cell passes: its grooves come out empty, as the live model's did where its
    probabilities sank (the 1/4 songs of the set, and bars of songs whose drummer plays on)."""
    policy = drummer.policy.replace(lambda_scale=50.0, refine_margin=0.2, rest_threshold=0.0)
    return ModelDrummer.of(drummer.network.net, drummer.decoder.codebook, drummer.spec, drummer.data_config, policy)


def test_a_song_written_in_one_four_is_drummed_in_every_bar(drummer: ModelDrummer) -> None:
    """A song whose every bar is 1/4 (two songs of the set: the live drummer rested through both after the first
    beat) is drummed in every bar the guitar plays, even by a drummer whose grooves come out empty (`keeps_time`)."""
    bars = 32
    data = song_bytes(notes_from_steps(riff(bars, steps_per_bar=4), length_steps=2), time_signatures=((0, 1, 4),))
    played = play_file(reluctant(drummer), data, GenerationOptions(), seed=0)
    quarters = np.bincount(played.notes[:, 0] // PPQ, minlength=bars)[:bars]
    assert played.bars == bars and (quarters[1:] > 0).all(), quarters


def test_the_drums_end_one_bar_after_the_bands_last_note(drummer: ModelDrummer) -> None:
    """The band (guitar and bass) stops for 4 bars, then ends on one chord in the file's last bar: the drums keep
    time while it plays (never a rest of the model's, `rest_threshold` 0 here), rest while it is silent, and the
    stream ends one bar after that chord, the drums with it: at most a 32nd past where the chord fell in its bar."""
    guitar = notes_from_steps(riff(8), length_steps=2)
    bass = notes_from_steps([(step, 28) for step in range(0, 8 * 16, 4)], length_steps=4)
    chord_tick = 12 * 4 * PPQ
    last = np.array([[chord_tick, chord_tick + PPQ, pitch, 100] for pitch in (40, 47, 52)])
    data = song_bytes(np.concatenate([guitar, last]), extra=[TrackSpec("Bass", 1, bass, 33)])
    played = play_file(reluctant(drummer), data, GenerationOptions(), seed=0)
    starts = played.notes[:, 0]
    assert all(((starts >= bar * 4 * PPQ) & (starts < (bar + 1) * 4 * PPQ)).any() for bar in range(1, 9))
    assert chord_tick + 4 * PPQ - PPQ // 8 <= starts.max() <= chord_tick + 4 * PPQ + PPQ // 8


def test_a_groove_clip_is_heard_as_the_bar_before_the_song(drummer: ModelDrummer) -> None:
    clip = format1_song_bytes(notes_from_steps(riff(1)), notes_from_steps(backbeat(2)))
    state = drummer.begin(GenerationOptions(), seed=0, groove=clip)
    assert state.drums is not None and state.drums.any()
    assert not drummer.begin(GenerationOptions(), seed=0).drums


def test_the_next_bar_hears_the_users_drums_and_its_own_only_when_its_policy_says_so(drummer: ModelDrummer) -> None:
    """Live, a drummer hearing its own last bar held its first guess all song (validation songs: song F1 0.408 against
    0.452 not hearing it): with `own_drums_passes` 0 the next bar hears the user's groove clip (or nothing), with 1 its
    own bar, as offline."""
    import copy

    clip = format1_song_bytes(notes_from_steps(riff(1)), notes_from_steps(backbeat(2)))
    riff_bar = [PlayedNote(q / 2, 0.4, 40 + q % 3, 100, "guitar") for q in range(8)]
    clocks = [BarClock(i, 4, 4, 120.0) for i in range(4)]
    for passes in (0, 1):
        live = copy.copy(drummer)
        live.policy = drummer.policy.replace(own_drums_passes=passes)
        for groove in (clip, None):
            state = live.begin(GenerationOptions(), seed=1, groove=groove)
            given = None if state.drums is None else state.drums.copy()
            for i in range(1, 4):
                hits, state = live.next_bar(state, riff_bar, clocks[i - 1], clocks[i])
                if passes:
                    assert hits and state.drums is not None and state.drums.any()
                elif given is None:
                    assert state.drums is None
                else:
                    assert np.array_equal(state.drums, given)


def _decided(drummer: ModelDrummer, state, bars: int, kept: dict | None = None) -> list[np.ndarray]:  # noqa: ANN001
    """The (S, 9) hits decided for `bars` 4/4 bars of a steady riff (before the feel); `kept` {bar: hits} the user's
    drums heard in those bars, as playback hears them."""
    riff_bar = [PlayedNote(q / 2, 0.4, 40 + q % 3, 100, "guitar") for q in range(8)]
    out = []
    for n in range(bars):
        clock = BarClock(n, 4, 4, 120.0)
        if n:
            state = drummer.read(state, *live_bar(riff_bar, BarClock(n - 1, 4, 4, 120.0), drummer.spec,
                                                  drummer.steps_per_quarter)[:3])
        take, _, state = drummer.decided_bar(state, clock, live_bar((), clock, drummer.spec, drummer.steps_per_quarter))
        out.append(take.hits[0])
        if kept and n in kept:
            state = drummer.hear(state, kept[n])
    return out


def test_the_users_groove_is_continued_as_offline(drummer: ModelDrummer) -> None:
    """A groove clip's bars, and a user's kept bars, are the groove the next bars continue (the offline
    continuation's bonus, generation/given.py): a tiny model with no view of its own plays them in turn. Before,
    live drums primed with the drummer's first 2 bars scored 0.513 against 0.551 for those bars looped (validation
    songs); continued, 0.584."""
    clip_hits = notes_from_steps(backbeat(2))
    clip_hits[8:, 0] += 2  # the second bar's kick and hat notes moved: two different bars
    clip = format1_song_bytes(notes_from_steps(riff(2)), clip_hits)
    loop = groove_bars(clip, drummer.width, drummer.steps_per_quarter)[0]
    decided = _decided(drummer, drummer.begin(GenerationOptions(humanize=0.0), seed=0, groove=clip), 8)
    in_turn = [np.array_equal(hits, loop[n % len(loop)]) for n, hits in enumerate(decided)]
    assert sum(in_turn) >= 6, in_turn

    kept = {0: loop[1], 1: loop[0]}  # the user played two bars: they are continued in their own phase
    decided = _decided(drummer, drummer.begin(GenerationOptions(humanize=0.0), seed=0), 8, kept)
    in_turn = [np.array_equal(decided[n], loop[(n + 1) % 2]) for n in range(2, 8)]
    assert sum(in_turn) >= 4, in_turn


def _bars(drummer: ModelDrummer, options: GenerationOptions, n: int = 8) -> list[list]:
    """The drums of n 4/4 bars of a steady riff played to the drummer."""
    riff_bar = [PlayedNote(q / 2, 0.4, 40 + q % 3, 100, "guitar") for q in range(8)]
    state = drummer.begin(options, seed=4)
    clocks = [BarClock(i, 4, 4, 120.0) for i in range(n)]
    bars = []
    for i in range(n):
        hits, state = drummer.next_bar(state, riff_bar if i else (), clocks[i - 1] if i else None, clocks[i])
        bars.append(hits)
    return bars


def test_the_controls_apply_per_bar(drummer: ModelDrummer) -> None:
    """Crashes and fills every N bars count from the stream's first bar; --crashes none leaves no crash; --cymbal
    ride moves the hi-hat to the ride; an unknown style is refused before the first bar."""
    crash, ride, hat, toms = 49, 51, 42, {41, 43, 45, 47, 48, 50}
    crashing = _bars(drummer, GenerationOptions(crashes="every:4", humanize=0.0))
    opens = [any(h.pitch == crash and h.onset == 0.0 for h in bar) for bar in crashing]
    assert opens == [True, False, False, False] * 2
    assert not any(h.pitch == crash for bar in _bars(drummer, GenerationOptions(crashes="none")) for h in bar)
    filled = _bars(drummer, GenerationOptions(fills="every:2", humanize=0.0))
    own = _bars(drummer, GenerationOptions(humanize=0.0))
    assert [bar != mine for bar, mine in zip(filled, own)][1::2] == [True] * 4
    assert not any(h.pitch in toms for bar in filled[0::2] for h in bar)
    ridden = _bars(drummer, GenerationOptions(cymbal="ride"))
    pitches = {h.pitch for bar in ridden for h in bar}
    assert ride in pitches and hat not in pitches
    with pytest.raises(ConfigError, match="unknown style"):
        drummer.begin(GenerationOptions(style="no-such-style"), seed=0)


def test_a_style_that_does_not_play_the_streams_first_meter_is_refused_as_offline() -> None:
    """Issue 67: live, a style that does not fit the song was swallowed (the drums played no style). The request
    checks the style against the meters heard, the stream's first first, as offline against the song's: a 4/4
    style on a stream that opens in 7/8 is refused, naming the styles that fit; a 4/4 style goes on through a 7/8
    bar later in a 4/4 stream (that bar keeps the model's own choice, as offline). The shipped live model."""
    drummer = ModelDrummer()
    riff = [PlayedNote(q / 2, 0.4, 40, 100, "guitar") for q in range(7)]
    state = drummer.begin(GenerationOptions(style="shuffle"), seed=0)
    with pytest.raises(ConfigError, match="shuffle.*not in this song's 7/8"):
        drummer.next_bar(state, (), None, BarClock(0, 7, 8, 120.0))
    state = drummer.begin(GenerationOptions(style="shuffle", humanize=0.0), seed=0)
    clocks = [BarClock(0, 4, 4, 120.0), BarClock(1, 4, 4, 120.0), BarClock(2, 7, 8, 120.0), BarClock(3, 4, 4, 120.0)]
    for i, clock in enumerate(clocks):
        hits, state = drummer.next_bar(state, riff if i else (), clocks[i - 1] if i else None, clock)
        assert hits
    assert state.meters == ("4/4", "7/8")


@pytest.mark.needs_data
def test_a_real_song_played_live_is_read_as_its_file_and_drummed_to_its_end(drummer: ModelDrummer,
                                                                            data_dir: Path) -> None:
    """On a real band arrangement, what the encoder reads of each bar played live equals the file's reading at all
    but a few steps (notes played just before a barline), and every bar of its span gets its drums, the same twice."""
    [path] = list(data_dir.rglob("ABYSS.mid"))[:1]
    data = path.read_bytes()
    prepared = prepare(data, GenerationOptions(), drummer.data_config, drummer.spec)
    mask = causal_masks(drummer.spec.step_columns, drummer.spec.bar_columns)["encoder_step"] > 0
    compared = differing = 0
    for clock, played in played_bars(prepared, drummer.lead_quarters):
        steps, _, n_steps, _ = live_bar(played, clock, drummer.spec, drummer.steps_per_quarter)
        file_steps = prepared.bars.step_features[clock.index, : n_steps - 1][:, mask]
        differing += int((np.abs(steps[: n_steps - 1][:, mask] - file_steps) > 1e-5).any(axis=1).sum())
        compared += n_steps - 1
    assert differing <= 0.02 * compared
    first = play_file(drummer, data, GenerationOptions(), seed=1)
    assert first.bars == prepared.bars.n_bars and read_midi(first.midi_bytes).drum_parts
    np.testing.assert_array_equal(first.notes, play_file(drummer, data, GenerationOptions(), seed=1).notes)


def test_the_tuner_plays_a_song_as_the_drummer_plays_its_file(drummer: ModelDrummer) -> None:
    """`live_tuning.play_bars` (the features training reads) decides the same drums as the file played bar by bar."""
    from seq2drum.training.live_tuning import play_bars
    from seq2drum.song.drum_part import per_bar

    data = rock_song_bytes(8)
    prepared = prepare(data, GenerationOptions(), drummer.data_config, drummer.spec)
    played = play_file(drummer, data, GenerationOptions(humanize=0.0), seed=0)
    grid, first = prepared.encoded.grid, prepared.encoded.first_bar
    heard = per_bar(played.drums.hits, grid.bars[first : prepared.encoded.end_bar], drummer.width)
    _, take = play_bars(drummer, prepared.bars)
    np.testing.assert_array_equal(take.hits, heard)


def test_the_live_tuner_scores_rests_without_the_offline_floor(drummer: ModelDrummer, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Offline a take that rests too much is redone without rests (its floor); live a resting bar is silent. Scored
    with the floor, the live tuner once chose rests at 0.05, and the trained live model rested on every bar."""
    from seq2drum.training import live_tuning as tuning
    from seq2drum.model.checkpoint import load_checkpoint, model_from_checkpoint

    seen: list[float] = []

    def recorded(outcomes, policy, **kwargs):  # noqa: ANN001, ANN202  the tuner's own signature
        seen.extend(outcome.floor for outcome in outcomes)
        return policy, {}

    monkeypatch.setattr(tuning, "tune_structure", recorded)
    loaded = model_from_checkpoint(load_checkpoint(tiny_checkpoint(tmp_path / "live.pt", causal=True)))
    songs = [bar_song(encode_song(read_midi(rock_song_bytes(8)), DataConfig()), loaded.spec)]
    _, report = tuning.tune_live(loaded, drummer.policy, songs)
    assert seen == [0.0] and report["live_own_drums"] in (True, False)


def test_a_higher_lambda_scale_plays_fewer_hits(drummer: ModelDrummer, monkeypatch: pytest.MonkeyPatch) -> None:
    """The policy's `lambda_scale` raises the probability a cell must pass: the same song played bar by bar with
    a scale of 2 has fewer hits than at 1, and none that 1 does not have in its groove's cells."""
    from seq2drum.groove import rules
    from seq2drum.training.live_tuning import play_bars

    monkeypatch.setattr(rules, "follow_bass", lambda *args: None)  # the bass's kicks pass their own floor, not lambda
    song = bar_song(encode_song(read_midi(rock_song_bytes(8)), DataConfig()), drummer.spec)
    counts = []
    for scale in (1.0, 2.0):
        policy = drummer.policy.replace(lambda_scale=scale, refine_margin=0.2)
        plain = ModelDrummer.of(drummer.network.net, drummer.decoder.codebook, drummer.spec, drummer.data_config,
                                policy)
        counts.append(int(play_bars(plain, song)[1].hits.sum()))
    assert 0 < counts[1] < counts[0], counts


def test_a_given_groove_sets_how_busy_to_be_whatever_the_lambda_scale(drummer: ModelDrummer) -> None:
    """Where the user gave drums (a clip, kept bars) the scale does not apply: their groove says how busy to be (on
    the live folds, scale 1.3 cost the primed input 0.005 while it helped the band's)."""
    clip = format1_song_bytes(notes_from_steps(riff(2)), notes_from_steps(backbeat(2)))
    decided = []
    for scale in (1.0, 3.0):
        policy = drummer.policy.replace(lambda_scale=scale)
        scaled = ModelDrummer.of(drummer.network.net, drummer.decoder.codebook, drummer.spec, drummer.data_config,
                                 policy)
        decided.append(_decided(scaled, scaled.begin(GenerationOptions(humanize=0.0), seed=0, groove=clip), 6))
    np.testing.assert_array_equal(np.stack(decided[0]), np.stack(decided[1]))


def test_live_structure_that_costs_too_much_played_bar_by_bar_is_dropped_rests_first() -> None:
    """The structure is tuned on a take played without it; played bar by bar, a drummer hearing its own rests may rest
    on and on. `checked_structure` keeps the tuned thresholds within the budget, else drops rests, else all."""
    from seq2drum.groove.policy import DecodingPolicy
    from seq2drum.training.live_tuning import LIVE_STRUCTURE_BUDGET, checked_structure

    tuned = DecodingPolicy(rest_threshold=0.125, rest_edge_threshold=0.125, crash_edge_threshold=0, fill_threshold=0.2)

    def scores(rests: float, other: float):  # noqa: ANN202  a fake play: mean song F1 by what the policy plays
        return lambda policy: rests if policy.rest_threshold < 1 else other if policy.fill_threshold < 1 else 0.45

    kept, report = checked_structure(tuned, 0.45, scores(0.45 - LIVE_STRUCTURE_BUDGET / 2, 0.0))
    assert kept == tuned and report["live_structure"] == "tuned"
    kept, report = checked_structure(tuned, 0.45, scores(0.0, 0.449))
    assert kept.rest_threshold >= 1 and kept.rest_edge_threshold >= 1 and kept.fill_threshold == 0.2
    assert report == {"live_structure": "without rests", "live_mean_song_f1": 0.449}
    kept, report = checked_structure(tuned, 0.45, scores(0.0, 0.3))
    assert kept.rest_threshold >= 1 and kept.crash_edge_threshold >= 1 and kept.fill_threshold >= 1
    assert report["live_structure"] == "none"


def test_meter_and_tempo_may_change_at_any_bar(drummer: ModelDrummer) -> None:
    """Each bar is decided in its own meter and tempo, bars longer than the model's repeating its pattern: every hit
    falls inside its bar (the feel may push a downbeat a little early)."""
    meters = [(4, 4, 120.0), (13, 4, 97.5), (7, 8, 140.0), (1, 16, 60.0), (12, 8, 88.0), (3, 2, 200.0)]
    state = drummer.begin(GenerationOptions(), seed=3)
    previous = None
    for index, (numerator, denominator, tempo) in enumerate(meters):
        clock = BarClock(index, numerator, denominator, tempo)
        played = [PlayedNote(0.0, 0.5, 40, 90, "guitar")] if previous else []
        hits, state = drummer.next_bar(state, played, previous, clock)
        assert hits and all(-0.25 < h.onset < clock.quarters for h in hits), (clock, hits)
        previous = clock


def test_phrases_and_every_n_bars_count_from_the_bar_the_band_starts_in(drummer: ModelDrummer) -> None:
    """Two silent bars before the band: the bar it starts in is bar 1 of its phrase, so --crashes every:4 opens it
    and the 5th bar after; the crash edges live (groove.request `edges` of the section heard since the band's first
    bar) open the shipped policies' 8-bar phrases, and fills close 4-bar ones (as offline inside a section)."""
    from seq2drum.groove.request import edges as bar_edges, heard_span

    riff_bar = [PlayedNote(q / 2, 0.4, 40, 100, "guitar") for q in range(8)]
    state = drummer.begin(GenerationOptions(crashes="every:4", humanize=0.0), seed=0)
    clocks = [BarClock(i, 4, 4, 120.0) for i in range(9)]
    opens = []
    for i in range(9):
        played = riff_bar if i >= 3 else []  # the band plays from bar 2 (its notes arrive with bar 3's call)
        hits, state = drummer.next_bar(state, played, clocks[i - 1] if i else None, clocks[i])
        opens.append(any(h.pitch == 49 and h.onset == 0.0 for h in hits))
    assert state.first == 2 and opens[2:] == [True, False, False, False, True, False, False]
    edges = np.concatenate([bar_edges(heard_span(n, 16), drummer.policy.crash_phrase_bars) for n in range(17)])
    assert np.flatnonzero(edges[:, 1]).tolist() == [0, 8, 16] and np.flatnonzero(edges[:, 2]).tolist() == [3, 7, 11, 15]
    assert not edges[:, 0].any()


def test_density_makes_each_bar_busier_or_sparser(drummer: ModelDrummer) -> None:
    counts = {density: sum(len(bar) for bar in _bars(drummer, GenerationOptions(density=density, humanize=0.0)))
              for density in (0.5, 1.0, 2.0)}
    assert counts[0.5] < counts[1.0] < counts[2.0]


def test_live_kicks_follow_the_bass_of_the_bar_before(drummer: ModelDrummer) -> None:
    """Live a bar is decided before its bass is heard, so its kicks follow the bass of the bar before (bass lines
    repeat): with a floor of 0 and no decided kick kept elsewhere, each bar after the first kicks exactly on the 16ths
    the bass struck in the bar before; without the rule (groove.bass_kick's follow_bass doing nothing) the kicks are
    the groove's."""
    from seq2drum.groove import rules
    from seq2drum.midi.drums import KICK

    guitar = [PlayedNote(q / 2, 0.4, 40 + q % 3, 100, "guitar") for q in range(8)]
    bass_steps = [(0, 3, 6, 10), (0, 4, 8, 14)]
    bass = [[PlayedNote(s / 4, 0.2, 33, 100, "bass") for s in steps] for steps in bass_steps]
    clocks = [BarClock(i, 4, 4, 120.0) for i in range(4)]
    for follows in (True, False):
        with pytest.MonkeyPatch.context() as patch:
            if follows:  # a floor of 0, no decided kick kept off the bass
                patch.setattr(rules, "BASS_KICK_FLOOR", 0.0)
                patch.setattr(rules, "BASS_KICK_SURE", 1e9)
            else:
                patch.setattr(rules, "follow_bass", lambda *args: None)
            state = drummer.begin(GenerationOptions(humanize=0.0), seed=2)
            kicks = []
            for i in range(4):
                played = guitar + bass[i - 1] if i in (1, 2) else guitar  # bars 0 and 1 have a bass, bar 2 has none
                if i:
                    heard = live_bar(played, clocks[i - 1], drummer.spec, drummer.steps_per_quarter)
                    state = drummer.read(state, *heard[:3])
                ahead = live_bar((), clocks[i], drummer.spec, drummer.steps_per_quarter)
                take, _, state = drummer.decided_bar(state, clocks[i], ahead)
                kicks.append(tuple(np.flatnonzero(take.hits[0, :, KICK]).tolist()))
        if follows:
            assert kicks[1] == bass_steps[0] and kicks[2] == bass_steps[1], kicks
        else:
            assert kicks[1] != bass_steps[0] or kicks[2] != bass_steps[1], kicks


def test_live_a_kept_groove_is_continued_without_its_crash_accent_and_fill(drummer: ModelDrummer) -> None:
    """Live, as offline: a kept groove is continued without its downbeat crash and the tom fill it ends in."""
    from dataclasses import replace

    crash, kick, snare, hat, high_tom = 7, 0, 1, 2, 6
    width = drummer.decoder.codebook.patterns.shape[1]  # kept bars are as wide as the codebook's
    groove = np.zeros((2, width, 9), dtype=bool)
    groove[:, :16:2, hat] = groove[:, 0, kick] = groove[:, 8, snare] = True
    groove[0, 0, crash] = groove[1, 12:16, high_tom] = True
    state = replace(drummer.begin(GenerationOptions(keep_drums=True), seed=0), loop=tuple(groove),
                    loop_steps=(16, 16), loop_kept=True)
    given = bar_continuation(drummer.decoder.codebook, state, 3, 16)
    assert given is not None and given.preferred.all()
    played = given.preferred_hits[0]
    assert not played[:, [crash, high_tom]].any()
    assert (played[:, [kick, snare, hat]] == groove[1][:, [kick, snare, hat]]).all()


def _riff_at(velocity: int, drums: bool = False) -> bytes:
    guitar = notes_from_steps([(s, p, velocity) for s, p in riff(8)], length_steps=2)
    return song_bytes(guitar, notes_from_steps([(s, p, 50) for s, p, _ in backbeat(2)]) if drums else None)


def test_live_drums_play_at_the_bands_level_as_offline(drummer: ModelDrummer) -> None:
    """Breaks if the live drums kept the network's level whatever the band (as they did): the same riff at velocity
    45 and at 115, played bar by bar, gets drums whose mean after the first bar sits on feel.level's line for the
    band; with --keep-drums, the user's drums' level (50) beside the guitar at 115, as offline."""
    from seq2drum.feel.level import heard_level

    for band in (45, 115):
        notes = play_file(drummer, _riff_at(band), GenerationOptions(), seed=0).notes
        later = notes[notes[:, 0] >= 4 * PPQ]  # from the second bar: the first is decided before the band is heard
        assert len(later) and later[:, 3].mean() == pytest.approx(heard_level(np.array([band])), abs=4.0)
    kept = play_file(drummer, _riff_at(115, drums=True), GenerationOptions(keep_drums=True), seed=0).notes
    after = kept[kept[:, 0] >= 3 * 4 * PPQ]  # past the user's 2 bars and the bar that first hears them
    assert len(after) and after[:, 3].mean() == pytest.approx(50, abs=4.0)
