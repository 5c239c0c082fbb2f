"""`--mode train --live` and `--mode evaluate --live` end to end on songs made in code: a tiny causal model trained
for one epoch, recorded as causal in its checkpoint, then each song played to it bar by bar from every input kind."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from seq2drum.cli import main
from seq2drum.config import ModelConfig
from seq2drum.model.checkpoint import load_checkpoint
from seq2drum.midi.io import read_midi
from seq2drum.evaluation.evaluate import EvaluationSettings, evaluate
from seq2drum.midi.drums import HIGH_TOM, LOW_TOM, MID_TOM


@pytest.fixture(scope="module")
def live_run(song_folder: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    run = tmp_path_factory.mktemp("live-run")
    argv = ["--mode", "train", "--live", "--data", str(song_folder), "--cache", str(run / "cache"), "--out",
            str(run / "run"), "--epochs", "1", "--enc-hidden", "8", "--dec-hidden", "16", "--batch-size", "4",
            "--quiet"]
    assert main.main(argv) == 0
    return run


def test_train_live_records_a_causal_model(live_run: Path) -> None:
    payload = load_checkpoint(live_run / "run" / "best.pt")
    config = ModelConfig.from_dict(payload["model_config"])
    assert config.causal and not config.attention and config.hear_drums
    assert (live_run / "run" / "best.pt").stat().st_size < 8_000_000


@pytest.mark.parametrize("kind", ["guitar", "band", "primed"])
def test_evaluate_live_plays_every_song_bar_by_bar(song_folder: Path, live_run: Path, tmp_path: Path,
                                                   kind: str) -> None:
    settings = EvaluationSettings(split="all", plots_songs=0, input_kind=kind, live=True)
    evaluation = evaluate(song_folder, live_run / "run" / "best.pt", tmp_path / "report", settings,
                          live_run / "cache", workers=1, progress=False, log=lambda line: None,
                          outputs_dir=tmp_path / "gen")
    assert evaluation.summary["input_kind"] == kind and len(evaluation.songs) >= 4
    assert all(len(score.take_f1) == 1 for score in evaluation.songs)  # one take: the drums played live
    assert all(all(score.validity.values()) for score in evaluation.songs), [s.validity for s in evaluation.songs]
    written = sorted((tmp_path / "gen" / "take1").glob("*.drums.mid"))
    assert len(written) == len(evaluation.songs) and all(read_midi(p.read_bytes()).drum_parts for p in written)
    assert json.loads((tmp_path / "report" / "report.json").read_text())["settings"]["live"] is True


def test_evaluate_live_without_the_live_model_names_the_command(song_folder: Path, tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--mode", "evaluate", "--live", "--data", str(song_folder), "--checkpoint", str(tmp_path / "live.pt"),
            "--report", str(tmp_path / "report"), "--split", "all", "--workers", "1", "--quiet"]
    assert main.main(argv) == 2
    assert "--mode train --live" in capsys.readouterr().err


def test_training_tunes_the_live_decision_by_playing_the_validation_songs_bar_by_bar(live_run: Path) -> None:
    """A causal model's decoding is tuned as it plays live: the stay bonus and the structure thresholds that hold
    anywhere (live no bar is known to be a section's edge), reported beside the whole-song tuning's figures."""
    report = load_checkpoint(live_run / "run" / "best.pt")["decoding_report"]
    live = {"live_stay_bonus", "live_own_drums", "live_mean_song_f1_groove", "live_rest_f1", "live_crash_f1",
            "live_fill_f1"}
    assert live <= set(report)
    assert 0.0 <= report["live_mean_song_f1_groove"] <= 1.0


def test_evaluate_live_decides_with_the_policy_changes_it_is_given(song_folder: Path, live_run: Path,
                                                                     tmp_path: Path) -> None:
    """`--policy` changes (tools/crossval.py) reach the live drummer's own copy of the policy: with every fill
    threshold at 0 every bar closes with a fill, so the songs get more tom hits (the changes went to the offline
    decoder only, and live figures "with" and "without" a change came out the same)."""
    toms = []
    for changes in ((), (("fill_threshold", 0.0), ("fill_edge_threshold", 0.0))):
        settings = EvaluationSettings(split="all", plots_songs=0, input_kind="band", live=True, policy_changes=changes)
        evaluation = evaluate(song_folder, live_run / "run" / "best.pt", None, settings, live_run / "cache", workers=1,
                              progress=False, log=lambda line: None)
        toms.append(sum(int(score.counts["model"]["all"].predicted[[LOW_TOM, MID_TOM, HIGH_TOM]].sum())
                        for score in evaluation.songs))
    assert toms[1] > toms[0], toms


