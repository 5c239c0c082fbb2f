"""Training on several processes: the batch split; more processes than GPUs refused with one line (torch.cuda mocked,
so it runs on a CPU); and torchrun with 2 CPU processes (gloo, --device cpu) end to end: steps per epoch, rank 0's
files, a model that infers, the same weights for the same seed, and a resume on 1 process."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import torch
import torch.distributed as dist

from seq2drum.cli import main
from seq2drum.errors import DeviceError
from seq2drum.model.checkpoint import load_checkpoint
from seq2drum.options import GenerationOptions
from seq2drum.training.distributed import World, pick_device, resumed_position, shard, steps_per_epoch
from seq2drum.generation.generator import DrumGenerator
from tests.builders import rock_song_bytes

REPO = Path(__file__).resolve().parents[1]
TWO = [World(0, 2), World(1, 2)]


@pytest.mark.parametrize(("n_batches", "expected"), [
    (7, [[0, 2, 4], [1, 3, 5]]),  # the 7th waits for another epoch's shuffle: every rank runs 3 steps
    (6, [[0, 2, 4], [1, 3, 5]]),
    (1, [[0], [0]]),  # fewer batches than ranks: each runs the one there is rather than hang the other
], ids=["odd", "even", "fewer-than-ranks"])
def test_each_rank_takes_every_nth_batch_and_all_run_the_same_number(n_batches: int,
                                                                     expected: list[list[int]]) -> None:
    batches = list(range(n_batches))
    assert [shard(batches, world) for world in TWO] == expected
    assert shard(batches, World()) == batches
    assert steps_per_epoch(n_batches, TWO[0]) == len(expected[0])


def test_a_resume_on_another_process_count_carries_on_after_the_batches_done() -> None:
    assert resumed_position(3, 2, World(0, 1)) == 6  # 2 ranks x 3 batches done: one process starts at batch 6
    assert resumed_position(5, 1, World(1, 2)) == 2  # 5 done: two ranks start at 4 and 5 (batch 4 trained twice)
    assert resumed_position(4, 2, World(0, 2)) == 4


def torchrun_env(monkeypatch: pytest.MonkeyPatch, rank: int, processes: int = 2) -> None:
    """The variables torchrun --standalone --nproc_per_node N sets in its process of local rank `rank`."""
    for name, value in {"RANK": rank, "LOCAL_RANK": rank, "WORLD_SIZE": processes,
                        "LOCAL_WORLD_SIZE": processes}.items():
        monkeypatch.setenv(name, str(value))


@pytest.fixture
def gpus(monkeypatch: pytest.MonkeyPatch) -> Callable[[int], list[object]]:
    """`gpus(n)` makes torch.cuda see n GPUs, and returns the list that records every device set and process group
    joined (torch.cuda.set_device, dist.init_process_group), which this CPU cannot do for real."""
    touched: list[object] = []

    def visible(n: int) -> list[object]:
        monkeypatch.setattr(torch.cuda, "is_available", lambda: n > 0)
        monkeypatch.setattr(torch.cuda, "device_count", lambda: n)
        monkeypatch.setattr(torch.cuda, "set_device", touched.append)
        monkeypatch.setattr(dist, "is_initialized", lambda: "group" in touched)
        monkeypatch.setattr(dist, "init_process_group", lambda backend, **kwargs: touched.extend(["group", backend]))
        return touched

    return visible


@pytest.mark.parametrize("rank", [0, 1])
def test_two_processes_on_one_gpu_are_refused_before_cuda_is_touched(gpus: Callable[[int], list[object]],
                                                                     monkeypatch: pytest.MonkeyPatch,
                                                                     rank: int) -> None:
    """torchrun --nproc_per_node 2 on a machine with one GPU, --device auto: each rank stops with one line naming
    both ways out, before it sets a device (rank 1 failed with "invalid device ordinal") or joins the group (rank 0
    would wait there for rank 1)."""
    touched = gpus(1)
    torchrun_env(monkeypatch, rank)
    with pytest.raises(DeviceError) as refused:
        World.from_env().start(pick_device("auto"))
    assert str(refused.value) == "2 processes asked for 1 GPU: use --nproc_per_node 1, or --device cpu"
    assert touched == []


def test_each_process_takes_its_own_gpu_when_there_are_enough(gpus: Callable[[int], list[object]],
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    touched = gpus(2)
    torchrun_env(monkeypatch, 1)
    assert World.from_env().start(pick_device("auto")) == torch.device("cuda", 1)
    assert touched == [torch.device("cuda", 1), "group", "nccl"]


def test_the_command_line_says_the_refusal_in_one_line(gpus: Callable[[int], list[object]],
                                                      monkeypatch: pytest.MonkeyPatch, song_folder: Path,
                                                      tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """What each of torchrun's processes prints (main.py --mode train, device auto) on a one-GPU machine: exit 2 and
    the one line, no traceback."""
    gpus(1)
    torchrun_env(monkeypatch, 0)
    code = main.main([str(arg) for arg in train_args(song_folder, tmp_path / "cache", tmp_path / "run", "auto")])
    assert code == 2
    assert capsys.readouterr().err == ("error: 2 processes asked for 1 GPU: use --nproc_per_node 1, or --device cpu"
                                       "\n")
    assert not (tmp_path / "run").exists()


def test_a_cuda_run_without_a_gpu_is_refused(gpus: Callable[[int], list[object]]) -> None:
    gpus(0)
    with pytest.raises(DeviceError, match="no CUDA GPU is visible; use --device auto or cpu"):
        pick_device("cuda")
    assert pick_device("auto") == torch.device("cpu")


def torchrun(*args: object, processes: int = 2) -> subprocess.CompletedProcess[str]:
    launcher = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={processes}"]
    command = (launcher if processes > 1 else [sys.executable]) + [str(REPO / "main.py"), *map(str, args)]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False)


def train_args(song_folder: Path, cache: Path, out: Path, device: str = "cpu", epochs: int = 2) -> list[object]:
    """A tiny training run's flags; --device cpu unless told: a visible GPU must not change what a test trains on."""
    return ["--mode", "train", "--data", song_folder, "--cache", cache, "--out", out, "--epochs", epochs,
            "--batch-size", 1, "--checkpoint-every", 1, "--enc-hidden", 8, "--dec-hidden", 16,
            "--seed", 3, "--device", device, "--quiet"]


def test_torchrun_trains_on_two_processes(song_folder: Path, tmp_path: Path) -> None:
    """`torchrun --standalone --nproc_per_node 2 main.py --mode train --device cpu ...`: 5 training songs in batches
    of 1 make 2 optimizer steps an epoch on each process (5 on one); rank 0 alone writes the run folder and speaks;
    the checkpoint holds plain weights and infers; the same --seed on 2 processes gives the same weights; and
    last.pt resumes on 1 process, saying what that does."""
    cache = tmp_path / "cache"
    first = torchrun(*train_args(song_folder, cache, tmp_path / "a"))
    assert first.returncode == 0, first.stderr[-3000:]
    assert first.stdout.count("best model:") == 1  # rank 0 speaks for the run
    with (tmp_path / "a" / "metrics.csv").open() as stream:
        assert [(row["epoch"], row["step"]) for row in csv.DictReader(stream)] == [("1", "2"), ("2", "4")]
    assert sorted(path.name for path in (tmp_path / "a").iterdir()) == ["best-raw.pt", "best.pt", "last.pt",
                                                                      "loss.png", "metrics.csv"]
    last = load_checkpoint(tmp_path / "a" / "last.pt")
    assert last["world_size"] == 2 and len(last["torch_rng_per_rank"]) == 2
    best = load_checkpoint(tmp_path / "a" / "best.pt")
    assert best["training_data"]["processes"] == 2 and not any(key.startswith("module.") for key in best["model"])
    result = DrumGenerator.from_checkpoint(tmp_path / "a" / "best.pt").generate(rock_song_bytes(4),
                                                                               GenerationOptions(seed=1))
    assert result.bars == 4

    again = torchrun(*train_args(song_folder, cache, tmp_path / "b"))
    assert again.returncode == 0, again.stderr[-3000:]
    weights_a, weights_b = best["model"], load_checkpoint(tmp_path / "b" / "best.pt")["model"]
    assert all(torch.equal(weights_a[key], weights_b[key]) for key in weights_a)

    resumed = torchrun(*train_args(song_folder, cache, tmp_path / "a", epochs=3), "--resume",
                       tmp_path / "a" / "last.pt", processes=1)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "was trained on 2 process(es), this run has 1" in resumed.stdout
    with (tmp_path / "a" / "metrics.csv").open() as stream:
        assert [row["step"] for row in csv.DictReader(stream)] == ["2", "4", "9"]  # 5 steps an epoch on one
    assert load_checkpoint(tmp_path / "a" / "last.pt")["world_size"] == 1
