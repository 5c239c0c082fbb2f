"""Training: run folder contents, determinism on CPU, exact resume after an interruption, SIGKILL safety."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from seq2drum.training import loop as train_module
from seq2drum.model.checkpoint import load_checkpoint
from seq2drum.config import DataConfig, TrainConfig
from seq2drum.errors import DataFolderError
from seq2drum.training.loop import train
from tests.builders import TINY_MODEL
from tests.lstm_spy import lstm_events, unflattened_after

REPO = Path(__file__).resolve().parents[1]
DATA = DataConfig(val_fraction=0.34)


def tiny_train_config(**changes: object) -> TrainConfig:
    return TrainConfig(epochs=2, batch_size=1, checkpoint_every=1, device="cpu").replace(**changes)


def test_run_folder_has_checkpoints_metrics_and_plot(song_folder: Path, tmp_path: Path) -> None:
    """A run leaves best.pt (inference only), last.pt (full state), metrics.csv with one row per epoch, loss.png."""
    best = train(song_folder, tmp_path / "run", DATA, TINY_MODEL, tiny_train_config(), tmp_path / "cache",
                 progress=False)
    assert best == tmp_path / "run" / "best.pt"
    with (tmp_path / "run" / "metrics.csv").open() as stream:
        rows = list(csv.DictReader(stream))
    assert [int(r["epoch"]) for r in rows] == [1, 2]
    assert all(float(r["val_loss"]) > 0 for r in rows)
    assert (tmp_path / "run" / "loss.png").read_bytes()[:4] == b"\x89PNG"
    best_payload = load_checkpoint(best)
    assert "optimizer" not in best_payload
    assert best_payload["decoding_report"]["validation_songs"] >= 1  # decoding tuned on the held-out songs
    assert len(best_payload["codebook"]["bar_steps"]) >= 2  # the groove codebook travels with the model
    last = load_checkpoint(tmp_path / "run" / "last.pt")
    assert "optimizer" in last and last["epoch"] == 2


def test_same_seed_same_result_on_cpu(song_folder: Path, tmp_path: Path) -> None:
    """Two runs with one seed must give identical weights, so experiments are reproducible."""
    a = train(song_folder, tmp_path / "a", DATA, TINY_MODEL, tiny_train_config(), tmp_path / "cache", progress=False)
    b = train(song_folder, tmp_path / "b", DATA, TINY_MODEL, tiny_train_config(), tmp_path / "cache", progress=False)
    weights_a, weights_b = load_checkpoint(a)["model"], load_checkpoint(b)["model"]
    assert all(torch.equal(weights_a[k], weights_b[k]) for k in weights_a)


def test_another_seed_trains_other_weights_on_the_same_codebook(song_folder: Path, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Seeds of one recipe (tools.crossval --seed) differ in their weights and build the groove codebook with its own
    seed (`codebook_seed`), so their groove heads score the same entries."""
    built_with = []
    build = train_module.build_codebook

    def recording_build(*args: object, seed: int, **kwargs: object) -> object:
        built_with.append(seed)
        return build(*args, seed=seed, **kwargs)

    monkeypatch.setattr(train_module, "build_codebook", recording_build)
    config = tiny_train_config(epochs=1)
    runs = [load_checkpoint(train(song_folder, tmp_path / f"seed{seed}", DATA, TINY_MODEL, config.replace(seed=seed),
                                  tmp_path / "cache", progress=False, tune=False)) for seed in (0, 1)]
    assert built_with == [0, 0]
    assert not torch.equal(runs[0]["model"]["decoder.weight_hh_l0"], runs[1]["model"]["decoder.weight_hh_l0"])
    assert all(torch.equal(runs[0]["codebook"][k], runs[1]["codebook"][k]) for k in runs[0]["codebook"])
    train(song_folder, tmp_path / "other", DATA, TINY_MODEL, config.replace(codebook_seed=5), tmp_path / "cache",
          progress=False, tune=False)
    assert built_with[-1] == 5


@pytest.mark.parametrize("ema_decay", [0.0, 0.9], ids=["trained-weights", "moving-average"])
def test_resume_after_interruption_matches_an_uninterrupted_run(
    song_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ema_decay: float
) -> None:
    """Stopping mid-epoch and resuming from last.pt must end with the weights of a run that never stopped (with a
    moving average, the average too: last.pt carries it)."""
    config = tiny_train_config(ema_decay=ema_decay)
    straight = train(song_folder, tmp_path / "straight", DATA, TINY_MODEL, config, tmp_path / "cache", progress=False)

    real_save = train_module.save_checkpoint
    saves = {"count": 0}

    def save_then_die(path: Path, payload: dict) -> None:  # dies right after the 3rd "last" checkpoint
        real_save(path, payload)
        if Path(path).name == "last.pt":
            saves["count"] += 1
            if saves["count"] == 3:
                raise KeyboardInterrupt

    monkeypatch.setattr(train_module, "save_checkpoint", save_then_die)
    with pytest.raises(KeyboardInterrupt):
        train(song_folder, tmp_path / "broken", DATA, TINY_MODEL, config, tmp_path / "cache", progress=False)
    monkeypatch.setattr(train_module, "save_checkpoint", real_save)
    assert load_checkpoint(tmp_path / "broken" / "last.pt")["step"] == 3
    leftovers = [tmp_path / "broken" / ".last.pt.0123456789ab.tmp", tmp_path / "broken" / ".loss.png.ba9876543210.tmp"]
    for leftover in leftovers:  # what a kill -9 while writing leaves (issue 22, 9)
        leftover.write_bytes(b"half a checkpoint")
    resumed = train(song_folder, tmp_path / "broken", DATA, TINY_MODEL, config, tmp_path / "cache",
                    resume=tmp_path / "broken" / "last.pt", progress=False)
    weights_a, weights_b = load_checkpoint(straight)["model"], load_checkpoint(resumed)["model"]
    for key in weights_a:
        torch.testing.assert_close(weights_a[key], weights_b[key])
    assert not any(leftover.exists() for leftover in leftovers)
    # Issue 22, 9: the interrupted epoch's train_loss was the mean of its tail only (0.0 when nothing was left)
    train_loss = {}
    for name in ("straight", "broken"):
        with (tmp_path / name / "metrics.csv").open() as stream:
            train_loss[name] = {row["epoch"]: float(row["train_loss"]) for row in csv.DictReader(stream)}
    assert train_loss["broken"] == pytest.approx(train_loss["straight"], rel=1e-4)


def test_sigkill_leaves_a_loadable_checkpoint_and_resume_finishes(song_folder: Path, tmp_path: Path) -> None:
    """SIGKILL during training never leaves a corrupt last.pt, and `--resume` continues from it to the end."""
    run = tmp_path / "run"
    command = [sys.executable, str(REPO / "main.py"), "--mode", "train", "--data", str(song_folder), "--cache",
               str(tmp_path / "cache"), "--out", str(run), "--epochs", "30", "--batch-size", "2", "--checkpoint-every",
               "1", "--enc-hidden", "8", "--dec-hidden", "16", "--quiet"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    process = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not (run / "last.pt").exists():
        time.sleep(0.2)
    time.sleep(1.0)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert (run / "last.pt").exists(), process.stderr.read().decode() if process.stderr else ""
    killed_at = load_checkpoint(run / "last.pt")["step"]
    assert killed_at >= 1
    resume = command + ["--epochs", "2", "--resume", str(run / "last.pt")]  # the later --epochs wins
    finished = subprocess.run(resume, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert finished.returncode == 0, finished.stderr
    assert load_checkpoint(run / "last.pt")["step"] >= killed_at


def test_moving_average_ships_in_best_and_the_raw_weights_beside_it(song_folder: Path, tmp_path: Path) -> None:
    """With ema_decay, best.pt holds the average (a decay near 0 is the trained weights themselves, 0.9 is not) and
    best-raw.pt the trained weights' best; metrics.csv gives both validation losses."""
    runs = {}
    for name, decay in (("near-zero", 1e-9), ("average", 0.9)):
        config = tiny_train_config(ema_decay=decay, epochs=1)
        best = train(song_folder, tmp_path / name, DATA, TINY_MODEL, config, tmp_path / "cache", progress=False)
        runs[name] = (load_checkpoint(best)["model"], load_checkpoint(tmp_path / name / "best-raw.pt")["model"])
        with (tmp_path / name / "metrics.csv").open() as stream:
            row = next(csv.DictReader(stream))
        assert float(row["val_loss"]) > 0 and float(row["val_loss_raw"]) > 0
    shipped, raw = runs["near-zero"]
    for key in raw:
        torch.testing.assert_close(shipped[key], raw[key])
    shipped, raw = runs["average"]
    assert any(not torch.allclose(shipped[key], raw[key]) for key in raw if raw[key].is_floating_point())


def test_the_lstms_are_flattened_after_the_move_the_average_copy_and_a_resume(
        song_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """setup packs each LSTM's weights into cuDNN's one chunk after moving the model to its device, in the moving
    average's copy (AveragedModel clones each weight apart: on a GPU every validation warned), and after a resume
    loads both; without it a GPU run warns "RNN module weights are not part of single contiguous chunk"."""
    config = tiny_train_config(epochs=1)
    train(song_folder, tmp_path / "run", DATA, TINY_MODEL, config, tmp_path / "cache", progress=False, tune=False)
    with lstm_events(monkeypatch) as events:
        fresh = train_module.setup(song_folder, tmp_path / "fresh", DATA, TINY_MODEL, config, tmp_path / "cache",
                                   None, progress=False)
    assert unflattened_after(events, fresh.model, "move") == []
    assert fresh.ema is not None and unflattened_after(events, fresh.ema, None) == []
    with lstm_events(monkeypatch) as events:
        resumed = train_module.setup(song_folder, tmp_path / "run", DATA, TINY_MODEL, config.replace(epochs=2),
                                     tmp_path / "cache", tmp_path / "run" / "last.pt", progress=False)
    assert unflattened_after(events, resumed.model, "load") == []
    assert resumed.ema is not None and unflattened_after(events, resumed.ema, "load") == []


def test_empty_folder_error_says_what_to_pass(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataFolderError, match="--data"):
        train(tmp_path / "empty", tmp_path / "run", DATA, TINY_MODEL, tiny_train_config(), progress=False)


def test_one_song_folder_says_no_validation_song_is_held_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With no validation song, training must not print its training loss as a validation loss."""
    from tests.conftest import write_song_folder

    folder = write_song_folder(tmp_path / "songs", n_songs=1)
    train(folder, tmp_path / "run", DATA, TINY_MODEL, tiny_train_config(), tmp_path / "cache", progress=True)
    out = capsys.readouterr().out
    assert "no validation song is held out (1 usable song(s)" in out
    epochs = [line for line in out.splitlines() if line.startswith("epoch ")]
    assert len(epochs) == 2 and all("no validation song held out" in line for line in epochs), epochs
    assert not any(" validation " in line.replace("no validation song", "") for line in epochs)
    with (tmp_path / "run" / "metrics.csv").open() as stream:
        assert all(row["val_loss"] == "nan" for row in csv.DictReader(stream))


def test_the_training_summary_names_each_skipped_song_and_why(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A folder of 40 songs said "34 training songs, 4 validation songs" and not that 2 were skipped: the summary
    counts the skipped songs by reason and names each one, as docs/training.md says."""
    from tests.builders import backbeat, notes_from_steps, song_bytes
    from tests.conftest import write_song_folder

    folder = write_song_folder(tmp_path / "songs", n_songs=3)
    (folder / "drums_only.mid").write_bytes(song_bytes(None, notes_from_steps(backbeat(8))))
    (folder / "broken.mid").write_bytes(b"MThd not really")
    best = train(folder, tmp_path / "run", DATA, TINY_MODEL, tiny_train_config(epochs=1), tmp_path / "cache",
                 progress=True)
    out = capsys.readouterr().out
    assert "2 of 5 songs skipped (" in out
    lines = out.splitlines()
    drums_only = [line for line in lines if line.strip().startswith("drums_only.mid: ")]
    broken = [line for line in lines if line.strip().startswith("broken.mid: ")]
    assert len(drums_only) == 1 and "no guitar" in drums_only[0], out
    assert len(broken) == 1 and "unreadable" in broken[0], out
    assert load_checkpoint(best)["training_data"]["skipped_by_reason"] == {"no guitar": 1, "unreadable": 1}
