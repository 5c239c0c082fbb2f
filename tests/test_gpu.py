"""On a CUDA GPU only (marked gpu: skipped with the reason where none is visible; `bash tools/gpu_check.sh` runs them):
a training step under mixed precision, without cuDNN's warning that the LSTM weights are not one chunk; a model
trained on the GPU that a machine without one loads; and the same drums from it on the GPU and on the CPU for the
same seed. If these fail, a GPU user's training or its checkpoints are broken while every CPU test passes."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
import torch

from seq2drum.config import DataConfig, TrainConfig
from seq2drum.model.checkpoint import load_checkpoint
from seq2drum.training import loop
from seq2drum.training.objective import validate
from tests.builders import TINY_MODEL, rock_song_bytes

pytestmark = pytest.mark.gpu
REPO = Path(__file__).resolve().parents[1]
DATA = DataConfig(val_fraction=0.34)
CHUNK_WARNING = "not part of single contiguous chunk"


def cuda_config(**changes: object) -> TrainConfig:
    return TrainConfig(epochs=2, batch_size=2, checkpoint_every=100, device="cuda", amp=True).replace(**changes)


def warned_of_chunks(caught: list[warnings.WarningMessage]) -> list[str]:
    return [str(warning.message) for warning in caught if CHUNK_WARNING in str(warning.message)]


def test_a_training_step_runs_under_mixed_precision_without_the_cudnn_warning(song_folder: Path,
                                                                              tmp_path: Path) -> None:
    """One optimizer step on the GPU: the forward runs in half precision (autocast), every weight moves and stays
    finite, and neither it nor a validation of the moving average (a deep copy of the model) warns about chunks."""
    dtypes: list[torch.dtype] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run = loop.setup(song_folder, tmp_path / "run", DATA, TINY_MODEL, cuda_config(max_steps=1),
                         tmp_path / "cache", None, progress=False)
        run.model.register_forward_hook(lambda module, inputs, output: dtypes.append(output.hit_logits.dtype))
        before = {name: p.detach().clone() for name, p in run.model.named_parameters()}
        loop.run_epoch(run, progress=False)
        assert run.val_set is not None
        validate(run.shipped, run.val_set, run.train_config, run.device)
    assert run.device.type == "cuda" and run.step == 1
    assert dtypes and dtypes[0] in (torch.float16, torch.bfloat16)
    after = dict(run.model.named_parameters())
    assert all(torch.isfinite(after[name]).all() for name in before)
    assert any(not torch.equal(before[name], after[name]) for name in before)
    assert warned_of_chunks(caught) == []


@pytest.fixture(scope="module")
def cuda_trained(song_folder: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """A tiny model trained on the GPU end to end (two epochs, decoding tuned on the GPU), and the chunk warnings
    the whole run gave."""
    out = tmp_path_factory.mktemp("cuda-run")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        best = loop.train(song_folder, out / "run", DATA, TINY_MODEL, cuda_config(), out / "cache", progress=False)
    return best, warned_of_chunks(caught)


def infer(checkpoint: Path, folder: Path, device: str) -> bytes:
    """Drums for a built song from `python main.py --mode infer --device DEVICE --seed 1`; on the CPU in a process
    that sees no GPU at all, as a user's laptop."""
    folder.mkdir()
    song = folder / "song.mid"
    song.write_bytes(rock_song_bytes(8))
    env = {**os.environ, **({"CUDA_VISIBLE_DEVICES": ""} if device == "cpu" else {})}
    done = subprocess.run([sys.executable, "main.py", "--mode", "infer", str(song), "--checkpoint", str(checkpoint),
                           "--device", device, "--seed", "1"], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return (folder / "song_drums.mid").read_bytes()


def test_a_gpu_trained_model_loads_where_there_is_no_gpu(cuda_trained: tuple[Path, list[str]],
                                                          tmp_path: Path) -> None:
    best, chunk_warnings = cuda_trained
    assert chunk_warnings == []
    payload = load_checkpoint(best)
    assert all(tensor.device.type == "cpu" for tensor in payload["model"].values())
    assert payload["decoding_report"]["validation_songs"] >= 1
    assert infer(best, tmp_path / "cpu", "cpu")[:4] == b"MThd"


def test_the_same_drums_from_the_gpu_and_the_cpu_for_the_same_seed(cuda_trained: tuple[Path, list[str]],
                                                                  tmp_path: Path) -> None:
    """The model on the GPU (torch, cuDNN) and loaded on the CPU (its numpy twin) make the same MIDI file."""
    best, _ = cuda_trained
    assert infer(best, tmp_path / "gpu", "cuda") == infer(best, tmp_path / "cpu", "cpu")
