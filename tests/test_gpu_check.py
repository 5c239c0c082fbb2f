"""tools/gpu_check.sh on a machine without a GPU: it says so in one line (exit 3) after the steps a CPU can run; its
--rehearse runs every step on the CPU with a tiny model, so the script a GPU owner runs once is not first tried
there; and its helpers (what is missing, pytest's counts, the warnings in a log)."""

from __future__ import annotations

import subprocess
from importlib import metadata
from pathlib import Path

import pytest
import torch

from tools import gpu_check

REPO = Path(__file__).resolve().parents[1]
NO_GPU = pytest.mark.skipif(torch.cuda.is_available(), reason="a GPU is visible: the script would train for real")


def gpu_check_sh(*args: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", str(REPO / "tools" / "gpu_check.sh"), *map(str, args)], cwd=REPO,
                          capture_output=True, text=True, timeout=600, check=False)


@NO_GPU
def test_without_a_gpu_it_says_so_in_one_line(song_folder: Path, tmp_path: Path) -> None:
    done = gpu_check_sh(song_folder, "--out", tmp_path, "--no-install")
    assert done.returncode == 3, done.stdout + done.stderr
    assert done.stdout.startswith("gpu_check: no CUDA GPU visible (torch ") and done.stdout.count("\n") == 1
    assert "gpu tests 3 skipped" in done.stdout
    assert "no CUDA GPU visible" in (tmp_path / "gpu-tests.log").read_text()  # the skip reason


@pytest.mark.slow
@NO_GPU
def test_the_rehearsal_runs_every_step_on_the_cpu(song_folder: Path, tmp_path: Path) -> None:
    done = gpu_check_sh(song_folder, "--out", tmp_path, "--no-install", "--rehearse")
    assert done.returncode == 0, done.stdout + done.stderr
    line = done.stdout.strip()
    assert line.startswith("gpu_check: CPU rehearsal, torch ") and "FAILED" not in line
    assert "rehearsal 1 epoch in " in line and "; warnings 0; " in line
    assert "torchrun 2 processes: trained 1 epoch in " in line
    assert (tmp_path / "train" / "best.pt").is_file() and (tmp_path / "torchrun" / "best.pt").is_file()


def test_missing_requirements_never_replace_an_installed_torch(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("# a comment\ntorch==0.0.1  # another torch than this one\nnumpy>=1\n"
                            "no-such-package-here>=2  # missing\n-r other.txt\n")
    assert gpu_check.missing_requirements([requirements]) == ["no-such-package-here>=2"]
    installed = metadata.version

    def without_torch(name: str) -> str:
        if name == "torch":
            raise metadata.PackageNotFoundError(name)
        return installed(name)

    monkeypatch.setattr(metadata, "version", without_torch)
    assert gpu_check.missing_requirements([requirements], extra=()) == ["torch", "no-such-package-here>=2"]


def test_warnings_are_found_once_and_the_known_ones_counted_apart() -> None:
    log = ("epoch 1: train 3.1\n"
           "/x/torch/nn/modules/rnn.py:1123: UserWarning: RNN module weights are not part of single contiguous chunk\n"
           "/x/torch/nn/modules/rnn.py:1123: UserWarning: RNN module weights are not part of single contiguous chunk\n"
           "[rank0]:[W1126 reducer.cpp:1529] Warning: find_unused_parameters=True was specified in DDP constructor\n")
    assert gpu_check.warning_lines(log) == (
        ["/x/torch/nn/modules/rnn.py:1123: UserWarning: RNN module weights are not part of single contiguous chunk"],
        1)
    assert gpu_check.pytest_counts("2 passed, 1 skipped in 3.2s") == {"passed": 2, "skipped": 1}
