"""The evaluation stage: validity of generated MIDI, scoring, likelihood, and `main.py --mode evaluate` end to end."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from seq2drum.cli import main
from seq2drum.config import DataConfig
from seq2drum.options import GenerationOptions
from seq2drum.song.corpus import encode_song
from seq2drum.evaluation.song_score import VALIDITY_CHECKS, check_output, nll_per_cell, score_song
from seq2drum.song.bars import bar_song
from seq2drum.generation.generator import DrumGenerator
from seq2drum.evaluation.metrics import bar_keys
from seq2drum.midi.io import DRUM_CHANNEL, read_midi
from seq2drum.midi.write import TrackSpec, write_midi
from tests.builders import PPQ, backbeat, notes_from_steps, riff, rock_song_bytes, song_bytes

TEMPOS = [(0, 500_000), (8 * PPQ, 400_000)]
METERS = [(0, 4, 4), (12 * PPQ, 3, 4)]
BEAT = [(step, pitch) for step, pitch, _ in backbeat(4)]


def input_song(bars: int = 4, guitar_from_bar: int = 0) -> bytes:
    """Guitar from `guitar_from_bar` for `bars` bars of 4/4, with a tempo change and a move to 3/4 past them."""
    guitar = notes_from_steps([(s + 16 * guitar_from_bar, p) for s, p in riff(bars)], length_steps=2)
    return song_bytes(guitar, notes_from_steps(backbeat(bars + guitar_from_bar)), tempos=TEMPOS, time_signatures=METERS)


def drum_output(events: list[tuple[int, int]], channel: int = DRUM_CHANNEL, ticks_per_quarter: int = PPQ,
                tempos: list[tuple[int, int]] = TEMPOS, meters: list[tuple[int, int, int]] = METERS) -> bytes:
    scale = ticks_per_quarter // PPQ
    notes = notes_from_steps(events, ticks_per_quarter=ticks_per_quarter)
    return write_midi(ticks_per_quarter, [(t * scale, us) for t, us in tempos],
                      [(t * scale, n, d) for t, n, d in meters], [TrackSpec("Drums", channel, notes)])


def test_generated_output_passes_every_validity_check(tiny_model_path: Path) -> None:
    """Breaks if the product path (generate on MIDI bytes) writes drums that fail any check."""
    data = input_song()
    result = DrumGenerator.from_checkpoint(tiny_model_path).generate(data, GenerationOptions(seed=0))
    assert check_output(data, result.midi_bytes, DataConfig()) == dict.fromkeys(VALIDITY_CHECKS, True)


def test_a_correct_hand_made_output_passes_also_at_a_finer_clock() -> None:
    """Maps are compared in quarter notes, so an output written at twice the input's ticks per quarter passes."""
    assert all(check_output(input_song(), drum_output(BEAT), DataConfig()).values())
    assert all(check_output(input_song(), drum_output(BEAT, ticks_per_quarter=2 * PPQ), DataConfig()).values())


def test_the_pedal_hat_and_the_cross_stick_are_written_pitches() -> None:
    """The hi-hat foot (44) and the cross-stick (37) are notes the render writes (issue 70 item 5), not strays."""
    assert all(check_output(input_song(), drum_output([(0, 44), (4, 37), *BEAT]), DataConfig()).values())


@pytest.mark.parametrize(
    ("broken", "failing"),
    [
        pytest.param({"channel": 0}, "drum_channel_only", id="wrong-channel"),
        pytest.param({"events": [(0, 40), *BEAT]}, "gm_pitches_only", id="electric-snare-not-a-written-pitch"),
        pytest.param({"tempos": [(0, 500_000)]}, "tempo_map_equal", id="tempo-change-lost"),
        pytest.param({"meters": [(0, 4, 4), (8 * PPQ, 3, 4)]}, "meters_equal", id="meter-change-moved"),
        pytest.param({"events": BEAT[:12]}, "ends_with_guitar", id="drums-stop-three-bars-early"),
    ],
)
def test_validity_checks_catch_a_broken_output(broken: dict, failing: str) -> None:
    """Each broken output fails exactly its own check (and spans_guitar, which sums up the two span checks)."""
    kwargs = {"events": BEAT, **broken}
    checks = check_output(input_song(), drum_output(**kwargs), DataConfig())
    failed = [name for name, passed in checks.items() if not passed]
    assert failed == ([failing, "spans_guitar"] if failing == "ends_with_guitar" else [failing])


def test_drums_before_the_guitars_first_bar_fail_the_span_check() -> None:
    """The guitar enters in bar 2: a drum hit in bar 1 is outside the span the drums should cover."""
    events = [(s, p) for s, p, _ in backbeat(5)]
    early = check_output(input_song(4, guitar_from_bar=1), drum_output(events), DataConfig())
    assert not early["starts_with_guitar"] and early["ends_with_guitar"] and not early["spans_guitar"]
    assert check_output(input_song(4, guitar_from_bar=1), drum_output(events[12:]), DataConfig())["spans_guitar"]


def test_an_output_without_notes_fails_from_parsing_on() -> None:
    empty = write_midi(PPQ, TEMPOS, METERS, [TrackSpec("Drums", DRUM_CHANNEL, np.zeros((0, 4), dtype=np.int64))])
    assert not any(check_output(input_song(), empty, DataConfig()).values())


def test_scoring_the_real_drums_against_themselves_is_perfect() -> None:
    """Breaks if the scored span, the views or novelty mishandle a perfect copy."""
    song = encode_song(read_midi(rock_song_bytes(6)), DataConfig(), name="rock")
    assert song.drums is not None
    span = song.span_steps
    training = {key for key in bar_keys(song.drums.hits, song.grid, span) if key is not None}
    score = score_song(song, {"model": song.drums}, training)
    assert score.n_bars == 6 and score.n_steps == 96
    assert all(counts.micro() == (1.0, 1.0, 1.0) for counts in score.counts["model"].values())
    assert score.novelty["model"] == (6, 6)
    for name, values in score.descriptors["model"].items():
        np.testing.assert_array_equal(values, score.descriptors["real"][name], err_msg=name)


def test_nll_per_cell_is_the_cross_entropy_of_the_calibrated_probabilities(tiny_model_path: Path) -> None:
    """Breaks if the evaluation's likelihood reads the model's probabilities differently from decoding."""
    from seq2drum.groove.policy import calibrated

    generator = DrumGenerator.from_checkpoint(tiny_model_path)
    song = encode_song(read_midi(rock_song_bytes(4)), generator.data_config, name="rock")
    scores = generator.song_scores(bar_song(song, generator.spec))
    p, _ = calibrated(scores, generator.decoder.policy)
    real = bar_song(song, generator.spec).hits
    cells = scores.step_mask()
    expected = -np.mean(np.where(real[cells], np.log(p[cells]), np.log(1 - p[cells])))
    assert nll_per_cell(scores, song, generator) == pytest.approx(expected, rel=1e-5)


def test_scoring_counts_rests_crashes_and_fills_per_bar() -> None:
    """The structure F1s compare per-bar flags: a part with the same crashes and fills as the real one scores 1."""
    song = encode_song(read_midi(rock_song_bytes(4)), DataConfig(), name="rock")
    assert song.drums is not None
    copy = type(song.drums)(song.drums.hits.copy(), song.drums.velocity, song.drums.offset)
    copy.hits[0, 7] = True  # a crash on the first downbeat
    score = score_song(song, {"model": copy, "silent": type(song.drums).empty(song.n_steps)}, set())
    crash = score.structure["model"]["crash"]
    assert crash.matched.sum() == 0 and crash.predicted.sum() == 1
    assert score.structure["silent"]["rest"].predicted.sum() == 4 and score.structure["silent"]["rest"].real.sum() == 0


@pytest.fixture(scope="module")
def song_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Four small songs made in code: three in 4/4 and one waltz."""
    folder = tmp_path_factory.mktemp("songs")
    for index, bars in enumerate((6, 8, 10)):
        (folder / f"rock{index}.mid").write_bytes(rock_song_bytes(bars))
    waltz = [(s, p, v) for s, p, v in backbeat(8, 12) if s % 12 in (0, 4, 8)]
    guitar = notes_from_steps(riff(8, 12), length_steps=2)
    (folder / "waltz.mid").write_bytes(song_bytes(guitar, notes_from_steps(waltz), time_signatures=((0, 3, 4),)))
    return folder


def test_main_evaluate_writes_the_report(
    song_folder: Path, tiny_model_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`main.py --mode evaluate` end to end: the table and per-song times printed; report.json (strict JSON),
    report.md with a plain verdict per baseline, and the PNGs written."""
    report = tmp_path / "report"
    argv = ["--mode", "evaluate", "--data", str(song_folder), "--checkpoint", str(tiny_model_path), "--report",
            str(report), "--split", "all", "--cache", str(tmp_path / "cache"), "--workers", "1", "--quiet",
            "--plots-songs", "2", "--takes", "2", "--gallery", "2"]
    assert main.main(argv) == 0
    printed = capsys.readouterr().out
    assert "[4/4] waltz" in printed and "| model" in printed and "nats per (step, class) cell" in printed
    assert "songs where take 1 beats the loop" in printed and "best of 2 takes" in printed
    summary = json.loads((report / "report.json").read_text(), parse_constant=pytest.fail)
    distributions = json.loads((report / "distributions.json").read_text(), parse_constant=pytest.fail)
    assert set(distributions) == {"real", "model", "backbeat", "jazz_ride", "retrieval", "bass_rule"}  # band
    assert len(distributions["real"]["density"]) == 6 + 8 + 10 + 8  # one value per bar of every song
    assert summary["data"]["evaluated_songs"] == 4 and len(summary["songs"]) == 4
    assert summary["validity"]["songs_checked"] == 4
    assert set(summary["systems"]) == {"model", "backbeat", "jazz_ride", "retrieval", "bass_rule"}
    assert summary["input_kind"] == "band" and summary["against_bass_rule"]["baseline"] == "bass_rule"
    assert all(0.0 <= s["grid"]["all"]["f1"] <= 1.0 for s in summary["systems"].values())
    assert summary["nll_per_cell"] > 0 and all(row["seconds"] > 0 for row in summary["songs"])
    loop = summary["against_loop"]
    assert loop["takes"] == 2 and all(len(row["take_f1"]) == 2 for row in summary["songs"])
    assert loop["best_of_takes_mean_song_f1"] >= loop["model_mean_song_f1"]
    assert 0.0 <= loop["beats_loop_share"] <= 1.0 and loop["density_ratio_median"] > 0
    assert set(loop["structure_f1"]["model"]) == {"rest", "crash", "fill"}
    assert set(loop["crash_most_bars_share"]) == {"model", "real"}
    assert all(0.0 <= v <= 1.0 for v in loop["crash_most_bars_share"].values())
    assert "songs crashing on more than half their bars" in printed
    assert "velocity spread, generated / real, median" in printed and "ride F1, mean over songs" in printed
    feel = summary["feel"]["model"]
    assert feel["velocity_spread_ratio_median"] > 0 and set(feel["per_class_song_f1"]) >= {"ride", "open_hat"}
    assert {"straight_kept_share", "swung_within_share"} <= set(feel)
    markdown = (report / "report.md").read_text()
    assert "## Against the loop" in markdown and markdown.count("songs where take 1 beats the loop") == 1
    for baseline in ("backbeat", "jazz_ride", "retrieval", "bass_rule"):
        assert f"beat the {baseline} baseline on F1" in markdown or f"beats the {baseline} baseline on F1" in markdown
    checklist = summary["checklist"]
    assert set(checklist) == set(summary["systems"]) and "checklist: songs with a fault" in printed
    assert sum(family["songs"] for family in checklist["model"]["by_family"].values()) == 4
    assert {"3/4", "4/4"} <= set(checklist["model"]["by_family"]) and "## A musician's checklist" in markdown
    faulty = [row["name"] for row in summary["songs"] if row["faults"]["model"]]
    gallery = sorted(p.name for p in report.glob("gallery*.png"))
    assert len(gallery) == min(2, len(faulty)) and all(name[len("galleryN_"):-4] in faulty for name in gallery)
    pngs = sorted(p.name for p in report.glob("*.png") if not p.name.startswith("gallery"))
    assert pngs == ["descriptors.png", "f1_by_system.png", "song1_rock0.png", "song2_rock1.png"]
    assert all((report / name).stat().st_size > 5_000 for name in pngs)


def test_main_evaluate_with_no_validation_songs_says_what_to_do(
    song_folder: Path, tiny_model_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With 1 song the 10% validation split is empty: exit 2 with a message pointing at --split all."""
    folder = tmp_path / "one"
    folder.mkdir()
    (folder / "rock.mid").write_bytes((song_folder / "rock0.mid").read_bytes())
    argv = ["--mode", "evaluate", "--data", str(folder), "--checkpoint", str(tiny_model_path), "--report",
            str(tmp_path / "report"), "--workers", "1", "--quiet"]
    assert main.main(argv) == 2
    assert "--split all" in capsys.readouterr().err


def test_the_share_of_songs_crashing_on_most_bars_counts_songs_past_half_their_bars() -> None:
    """A crash on every downbeat is a crash-ride song; the report counts the songs where that happens, for the
    model and for the real drums, so a decoding that crashes everywhere shows up next to its crash F1."""
    from types import SimpleNamespace

    from seq2drum.evaluation.summary import _crash_most_bars_share
    from seq2drum.evaluation.metrics import HitCounts

    def song(n_bars: int, predicted: int, real: int) -> SimpleNamespace:
        crash = HitCounts(np.zeros(1, dtype=np.int64), np.array([predicted]), np.array([real]))
        return SimpleNamespace(n_bars=n_bars, structure={"model": {"crash": crash}})

    songs = [song(10, 6, 1), song(10, 5, 6), song(8, 0, 0), song(8, 8, 8)]
    assert _crash_most_bars_share(songs, "predicted") == 0.5  # 6 of 10 and 8 of 8; 5 of 10 is not more
    assert _crash_most_bars_share(songs, "real") == 0.5
