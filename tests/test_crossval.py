"""tools.crossval's --device and --cache: each fold trains and tunes where --device says (it was held to the CPU, so
cross-validation could not use a GPU), and every fold's training, tuning and scoring read one song cache. Training,
tuning and scoring are stood in for here; tests/test_loop.py and tests/test_evaluate.py run them for real."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

from tools import crossval


@pytest.mark.parametrize(("flag", "gpu", "trains_on", "tunes_on"), [
    ("cpu", True, "cpu", "cpu"),  # --device cpu keeps the CPU even beside a GPU
    ("auto", True, "auto", "cuda"),  # auto: training's pick_device takes the GPU, and tuning is given it
    ("auto", False, "auto", "cpu"),
], ids=["cpu-beside-a-gpu", "auto-with-a-gpu", "auto-without"])
def test_a_fold_trains_and_tunes_on_the_device_asked_for_and_reads_one_cache(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, flag: str, gpu: bool, trains_on: str, tunes_on: str) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: gpu)
    seen: dict[str, object] = {}

    def train(data: Path, folder: Path, data_config: object, model_config: object, config: object, cache: Path,
              **kwargs: object) -> Path:
        seen["trains_on"], seen["train_cache"] = config.device, cache  # type: ignore[attr-defined]
        return folder / "best.pt"

    def read_songs(data: Path, data_config: object, config: object, cache: Path, progress: bool,
                   split: object) -> SimpleNamespace:
        seen["tune_cache"] = cache
        return SimpleNamespace(val=[], extra_val=[])

    def tune_checkpoint(path: Path, songs: list, device: torch.device) -> tuple[None, dict]:
        seen["tunes_on"] = device.type
        return None, {}

    def evaluate(data: Path, checkpoint: Path, report: Path, settings: object, cache: Path,
                 **kwargs: object) -> SimpleNamespace:
        seen["score_cache"] = cache
        loop = {"model_mean_song_f1": 0.5, "loop_mean_song_f1": 0.4, "best_of_takes_mean_song_f1": 0.6}
        return SimpleNamespace(songs=[], summary={"against_loop": loop})

    def fold_parts(args: object, fold: int, path: Path) -> None:
        seen["parts_of"] = fold
        path.write_bytes(b"parts")

    for name, stand_in in (("train", train), ("read_songs", read_songs), ("tune_checkpoint", tune_checkpoint),
                           ("evaluate", evaluate), ("fold_parts", fold_parts)):
        monkeypatch.setattr(crossval, name, stand_in)
    args = crossval.build_parser().parse_args(["--out", str(tmp_path / "cv"), "--device", flag,
                                               "--cache", str(tmp_path / "cache")])
    crossval.run_fold(args, 0, crossval.DataConfig())
    assert (seen["trains_on"], seen["tunes_on"]) == (trains_on, tunes_on)
    assert seen["train_cache"] == seen["tune_cache"] == seen["score_cache"] == tmp_path / "cache"
    assert json.loads((tmp_path / "cv" / "fold0" / "tuned.json").read_text()) == {}
    assert seen["parts_of"] == 0  # the fold plans with parts of its own, fitted on the other folds' songs


def test_cuda_without_a_gpu_stops_before_any_fold(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(sys, "argv", ["crossval", "--out", str(tmp_path / "cv"), "--device", "cuda"])
    with pytest.raises(SystemExit) as stopped:
        crossval.main()
    assert stopped.value.code == 2
    assert "error: --device cuda asked for, but no CUDA GPU is visible" in capsys.readouterr().err
    assert not (tmp_path / "cv").exists()
