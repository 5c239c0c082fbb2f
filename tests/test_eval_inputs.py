"""evaluation.inputs: the three inputs --mode evaluate plays a song from (guitar, band, primed), built as
../shared/scoring builds them, and the baselines of each (the bass rule, the given bars looped)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from seq2drum.config import DataConfig
from seq2drum.evaluation import INPUT_KINDS
from seq2drum.evaluation.baselines import backbeat, bass_rule, given_looped
from seq2drum.evaluation.evaluate import EvaluationSettings, evaluate
from seq2drum.evaluation.inputs import (PRIMED_BARS, build_input, data_config_for, first_groove_bar, given_kept,
                                        kind_baselines)
from seq2drum.midi.drums import KICK
from seq2drum.midi.io import DRUM_CHANNEL, read_midi
from seq2drum.midi.write import TrackSpec, write_midi
from seq2drum.options import GenerationOptions
from seq2drum.song.corpus import encode_song
from tests.builders import PPQ, backbeat as beat_events, notes_from_steps, riff, song_bytes

BASS_NOTES = notes_from_steps([(s, 28) for s in range(0, 128, 6)], length_steps=2)  # off the loop's kicks
PICKUP = [(13, 38), (14, 38), (15, 38)]  # three snare notes in bar 0: not yet a groove bar


def band_song(bars: int = 8) -> bytes:
    """Guitar, bass on dotted eighths, and drums from bar 1 (bar 0 holds a three-note pickup only)."""
    drums = notes_from_steps(PICKUP + [(s + 16, p, v) for s, p, v in beat_events(bars - 1)])
    return song_bytes(notes_from_steps(riff(bars), length_steps=2), drums,
                      extra=[TrackSpec("Bass", 1, BASS_NOTES, 33)])


def test_first_groove_bar_is_the_first_with_four_note_ons() -> None:
    """prime_split.py's b: three notes are a pickup, four make the groove; note-ons, not grid cells, count."""
    bars = np.array([0, 16, 32, 48]) * (PPQ // 4)
    three = np.array([13, 14, 15]) * (PPQ // 4)
    assert first_groove_bar(three, bars) is None
    assert first_groove_bar(np.concatenate([three, np.array([20, 20, 21, 22]) * (PPQ // 4)]), bars) == 1


def test_primed_input_is_the_guitar_and_the_drums_to_the_end_of_bar_b_plus_1() -> None:
    """The primed input: the guitar part (not the bass), every drum note before the end of bar b + 1 (the pickup
    included, b = 1 here), none after; generated with keep_drums, the guitar input with guitar_only."""
    made = build_input("primed", band_song(), GenerationOptions())
    song = read_midi(made.midi_bytes)
    assert made.groove_bar == 1 and made.given_end_tick == (1 + PRIMED_BARS) * 4 * PPQ
    assert [p.name for p in song.melodic_parts] == ["Guitar"]
    drums = song.drum_parts[0].notes
    assert drums[:, 0].min() == 13 * PPQ // 4 and drums[:, 0].max() < made.given_end_tick
    assert len(drums) == len(PICKUP) + PRIMED_BARS * 12  # backbeat(): 12 notes a bar
    assert made.options.keep_drums and not made.options.guitar_only
    guitar = build_input("guitar", band_song(), GenerationOptions())
    assert guitar.options.guitar_only and not guitar.options.keep_drums


@pytest.mark.parametrize("kind", ["guitar", "band"])
def test_guitar_and_band_inputs_are_the_file_without_its_drums(kind: str) -> None:
    made = build_input(kind, band_song(), GenerationOptions())
    song = read_midi(made.midi_bytes)
    assert not song.drum_parts and sorted(p.name for p in song.melodic_parts) == ["Bass", "Guitar"]
    assert len(made.bass_onset_ticks) == len(BASS_NOTES)


def test_the_given_bars_looped_repeat_bars_b_and_b_plus_1() -> None:
    """primebase/loop: the real drums to the end of bar b + 1, then bars b, b + 1, b, ... each cut to its bar."""
    song = encode_song(read_midi(band_song()), DataConfig(listen_to_band=False))
    real = song.drums.hits.copy()
    real[2 * 16 + 6, 4] = True  # bar 2 differs from bar 1: a tom
    looped = given_looped(song.grid, type(song.drums)(real, song.drums.velocity, song.drums.offset), 1, PRIMED_BARS)
    assert (looped.hits[: 3 * 16] == real[: 3 * 16]).all()
    for bar in range(3, song.grid.n_bars):
        source = 1 + (bar - 1) % 2
        assert (looped.hits[bar * 16 : bar * 16 + 16] == real[source * 16 : source * 16 + 16]).all(), bar
    assert not given_looped(song.grid, song.drums, None, PRIMED_BARS).hits.any()  # nothing given, nothing plays


def test_the_bass_rule_puts_the_kicks_on_the_bass_eighths() -> None:
    song = encode_song(read_midi(band_song()), DataConfig())
    made = build_input("band", band_song(), GenerationOptions())
    drums = kind_baselines("band", made, song.grid, song.drums)["bass_rule"]
    bass_steps = {int(round(s / 2) * 2) for s in range(0, 128, 6)}  # dotted eighths to the nearest eighth
    assert set(np.flatnonzero(drums.hits[:, KICK])) == {s for s in bass_steps if s < song.n_steps}
    loop = backbeat(song.grid)
    assert (bass_rule(song.grid, np.array([])).hits == loop.hits).all()  # no bass: the loop
    assert set(kind_baselines("primed", None, song.grid, song.drums)) == {"given_looped"}
    assert kind_baselines("guitar", None, song.grid, song.drums) == {}


def test_given_kept_wants_every_given_note_and_nothing_added_in_their_bars() -> None:
    made = build_input("primed", band_song(), GenerationOptions())
    given = read_midi(made.midi_bytes).drum_parts[0].notes
    later = notes_from_steps(beat_events(2))
    later[:, :2] += 4 * 16 * PPQ // 4  # bars 4 and 5

    def output(notes: np.ndarray, ticks_per_quarter: int = PPQ) -> bytes:
        scaled = notes.copy()
        scaled[:, :2] = scaled[:, :2] * ticks_per_quarter // PPQ
        return write_midi(ticks_per_quarter, [(0, 500_000)], [(0, 4, 4)],
                          [TrackSpec("Drums", DRUM_CHANNEL, scaled)])

    assert given_kept(made.midi_bytes, output(np.vstack([given, later])))
    assert given_kept(made.midi_bytes, output(np.vstack([given, later]), 2 * PPQ))  # another clock
    assert not given_kept(made.midi_bytes, output(np.vstack([given[1:], later])))  # a given note lost
    moved = given.copy()
    moved[0, 3] -= 1
    assert not given_kept(made.midi_bytes, output(np.vstack([moved, later])))  # a velocity changed
    added = notes_from_steps([(16 + 3, 45)])  # a tom inside given bar 1
    assert not given_kept(made.midi_bytes, output(np.vstack([given, added, later])))
    empty = np.zeros((0, 4), dtype=np.int64)  # drums that rest all song: the given notes are lost
    assert not given_kept(made.midi_bytes, output(empty))
    unprimed = build_input("guitar", band_song(), GenerationOptions())
    assert given_kept(unprimed.midi_bytes, output(empty))  # nothing was given, nothing had to be kept


def test_the_guitar_and_primed_kinds_are_scored_on_the_guitars_span() -> None:
    assert data_config_for("band", DataConfig()).listen_to_band
    assert not any(data_config_for(kind, DataConfig()).listen_to_band for kind in ("guitar", "primed"))
    with pytest.raises(ValueError, match="input kind"):
        data_config_for("drums", DataConfig())


@pytest.mark.parametrize("kind", INPUT_KINDS)
def test_evaluate_scores_each_kind_against_its_baselines(kind: str, tmp_path: Path, tiny_model_path: Path) -> None:
    """One code path, the kind a parameter: each kind's own baseline is scored beside the loop, the primed kind's
    outputs are checked for the given bars, and every take is written in ../shared/scoring's layout."""
    folder = tmp_path / "songs" / "src"
    folder.mkdir(parents=True)
    (folder / "band.mid").write_bytes(band_song())
    settings = EvaluationSettings(split="all", plots_songs=0, takes=2, input_kind=kind)
    evaluation = evaluate(tmp_path / "songs", tiny_model_path, None, settings, tmp_path / "cache", 1, progress=False,
                          log=lambda line: None, outputs_dir=tmp_path / "out")
    expected = {"guitar": set(), "band": {"against_bass_rule"}, "primed": {"against_given_looped"}}[kind]
    assert {k for k in evaluation.summary if k.startswith("against_") and k != "against_loop"} == expected
    assert ("keeps_given" in evaluation.summary["validity"]) is (kind == "primed")
    assert [p.name for p in sorted((tmp_path / "out").iterdir())] == ["take1", "take2"]
    assert (tmp_path / "out" / "take2" / "src__band.drums.mid").exists()


def test_crossval_and_score_split_take_the_input_kind() -> None:
    """The lead's cross-validation command line: one kind, or all three from each trained fold."""
    from tools import crossval, score_split

    parser = crossval.build_parser()
    assert parser.parse_args([]).input_kind == "band"
    assert crossval.kinds_of(parser.parse_args(["--input-kind", "all"])) == list(INPUT_KINDS)
    assert crossval.kinds_of(parser.parse_args(["--input-kind", "primed"])) == ["primed"]
    with pytest.raises(SystemExit):
        parser.parse_args(["--input-kind", "drums"])
    assert score_split.build_parser().parse_args(["--gen", "g", "--out", "o"]).gen == Path("g")


def test_crossval_scores_an_averaged_runs_raw_weights_apart() -> None:
    """--raw scores best-raw.pt under its own tag (beside the average's scores of the same training); --ema-decay
    and --members-of reach the folds."""
    from tools import crossval

    parser = crossval.build_parser()
    raw = parser.parse_args(["--raw", "--out", "runs/x", "--plan", "bars"])
    assert crossval.tag_of(raw) == "-raw"
    assert crossval.checkpoint_of(raw, 2) == Path("runs/x/fold2/best-raw.pt")
    assert crossval.checkpoint_of(parser.parse_args(["--out", "runs/x"]), 2) == Path("runs/x/fold2/best.pt")
    assert parser.parse_args(["--ema-decay", "0.995"]).ema_decay == 0.995
    assert parser.parse_args(["--members-of", "a,b"]).members_of == "a,b"


def test_score_split_keeps_a_whole_split_of_the_same_songs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A split made whole (complete.json naming its songs) is not made again for the same songs; other songs, or a
    split cut short (no complete.json), are split again."""
    from tools import score_split

    calls: list[str] = []
    monkeypatch.setattr(score_split, "script", lambda args, name, *rest: calls.append(name) or "")
    args = score_split.build_parser().parse_args(["--gen", "g", "--out", str(tmp_path / "out")])
    songs = [tmp_path / "src" / "a.mid", tmp_path / "src" / "b.mid"]
    for song in songs:
        song.parent.mkdir(exist_ok=True)
        song.write_bytes(b"MThd")
    score_split.make_split(args, songs)
    assert calls == ["midisplit.py", "prime_split.py", "drum_eval.py", "bass_follow.py"]
    score_split.make_split(args, songs)
    assert len(calls) == 4
    score_split.make_split(args, songs[:1])
    assert len(calls) == 8


def test_crossval_keeps_second_pass_scores_apart() -> None:
    """Scores with --own-passes N go beside the policy's own (a -pN suffix), so both compare on the same folds."""
    from tools import crossval

    parser = crossval.build_parser()
    assert crossval.tag_of(parser.parse_args(["--plan", "bars"])) == ""  # the scores made before plans keep their names
    assert crossval.tag_of(parser.parse_args([])) == "-parts"
    assert crossval.tag_of(parser.parse_args(["--own-passes", "1"])) == "-p1-parts"
    assert crossval.tag_of(parser.parse_args(["--live"])) == ""  # live decides without a plan
    assert parser.parse_args(["--no-hear-drums"]).no_hear_drums
