"""The GPU check (issue 57), for a person with a CUDA GPU and a fresh clone; `bash tools/gpu_check.sh SONGS` runs it.

    bash tools/gpu_check.sh ../shared/data/midi            # logs and runs in runs/gpu-check
    bash tools/gpu_check.sh ../shared/data/midi --rehearse # every step on the CPU with a tiny model (no figures)

Steps, each a process of its own with its log in OUT: install what is missing (never a torch that is there: the
machine's own CUDA build stays); the tests marked gpu; the default recipe (`python main.py --mode train --device
cuda`) on SONGS, timed; every warning in its log; torchrun with 2 processes (refused in one line on a one-GPU
machine, one epoch on two GPUs or more). Then one summary line of figures. Meant to take under 8 minutes on one
GPU with ../shared/data/midi; it ran in 2.9 minutes on an H100 (2026-11-26, docs/training.md).

Exit status: 0 every step as expected, 1 a step failed (its log is named), 3 no CUDA GPU visible (the steps a CPU
can run were run; the line says so). Only the standard library is imported here: it runs before the install.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
REFUSAL = "processes asked for"  # World.check_gpus's one line (seq2drum/training/distributed.py)
# warnings a run gives by design, counted apart: (text they hold, why they are expected)
KNOWN_WARNINGS = [("find_unused_parameters=True was specified", "DDP: a batch without a codebook bar leaves the groove "
                   "head out of the loss on a rank (seq2drum/training/distributed.py, wrap)")]
TINY = ["--epochs", "1", "--enc-hidden", "8", "--dec-hidden", "16", "--batch-size", "2", "--seed", "0"]
GPU_INFO = ("import json, torch; n = torch.cuda.device_count() if torch.cuda.is_available() else 0; "
            "print(json.dumps({'torch': torch.__version__, 'cuda': torch.version.cuda, 'gpus': n, "
            "'name': torch.cuda.get_device_name(0) if n else ''}))")
REPORT = ("import json, sys; from seq2drum.model.checkpoint import load_checkpoint; "
          "print(json.dumps(load_checkpoint(sys.argv[1]).get('decoding_report', {})))")


def missing_requirements(files: list[Path], extra: tuple[str, ...] = ("pytest", "pytest-timeout")) -> list[str]:
    """The requirement lines of `files` (and `extra`) whose distribution is not installed, as pip takes them. torch
    counts as missing only when no torch at all is installed, and then unpinned: a GPU machine's own CUDA build is
    never replaced by the CPU pin, and pip's default torch on Linux is a CUDA build."""
    lines = [line.split("#")[0].strip() for path in files for line in path.read_text().splitlines()]
    wanted = [line for line in lines if line and not line.startswith("-")] + list(extra)
    missing = []
    for line in wanted:
        name = re.match(r"[A-Za-z0-9_.\-]+", line).group()  # type: ignore[union-attr]
        try:
            metadata.version(name)
        except metadata.PackageNotFoundError:
            missing.append("torch" if name == "torch" else line)
    return missing


def pytest_counts(output: str) -> dict[str, int]:
    """{"passed": 3, "skipped": 1, ...} from pytest's last summary line."""
    return {word: int(count) for count, word in re.findall(r"(\d+) (passed|failed|skipped|error|errors)", output)}


def warning_lines(log: str) -> tuple[list[str], int]:
    """The distinct warnings a log holds (Python's `file:line: UserWarning: text`, torch's C++ `Warning: text`), in
    order, and how many more were KNOWN_WARNINGS."""
    found = list(dict.fromkeys(line.strip() for line in re.findall(r"^.*\b\w*Warning: .*$", log, flags=re.MULTILINE)))
    unknown = [line for line in found if not any(text in line for text, _ in KNOWN_WARNINGS)]
    return unknown, len(found) - len(unknown)


def said(warnings: list[str], known: int) -> str:
    """`warnings 1 (first: ...)`, with the known ones counted apart."""
    return (f"warnings {len(warnings)}" + (f" (+{known} known)" if known else "")
            + (f" (first: {warnings[0][-120:]})" if warnings else ""))


def run_step(name: str, command: list[str], out: Path, timeout_s: float) -> tuple[int, str, float]:
    """Run one step from the repository root; its output goes to OUT/NAME.log. (exit status, output, seconds)."""
    started = time.perf_counter()
    try:
        done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=timeout_s, check=False)
        code, output = done.returncode, done.stdout + done.stderr
    except subprocess.TimeoutExpired as expired:
        code, output = 124, f"{expired.stdout or ''}{expired.stderr or ''}\ntimed out after {timeout_s:.0f} s"
    (out / f"{name}.log").write_text(output)
    return code, output, time.perf_counter() - started


def epochs_and_seconds(metrics: Path) -> tuple[int, float]:
    """Epochs trained and the run's seconds at its last epoch (metrics.csv: training and validation, no parse)."""
    with metrics.open() as stream:
        rows = list(csv.DictReader(stream))
    return len(rows), float(rows[-1]["seconds"]) if rows else 0.0


def train_step(args: argparse.Namespace, device: str, problems: list[str]) -> str:
    """The recipe on SONGS, timed; the figures for the summary."""
    run = args.out / "train"
    flags = TINY if args.rehearse else []
    code, log, seconds = run_step("train", [sys.executable, "main.py", "--mode", "train", "--data", str(args.songs),
                                           "--out", str(run), "--device", device, *flags], args.out, 1500)
    warnings, known = warning_lines(log)
    (args.out / "warnings.txt").write_text("".join(f"{line}\n" for line in warnings))
    if code != 0:
        problems.append(f"training failed ({args.out / 'train.log'})")
        return f"training failed in {seconds:.0f} s"
    epochs, epoch_seconds = epochs_and_seconds(run / "metrics.csv")
    report = json.loads(subprocess.run([sys.executable, "-c", REPORT, str(run / "best.pt")], cwd=REPO, check=True,
                                       capture_output=True, text=True).stdout)
    if warnings:
        problems.append(f"{len(warnings)} warning(s) in training ({args.out / 'warnings.txt'})")
    tuned = (f", mean song F1 {report['mean_song_f1']:.3f} on {report['validation_songs']} validation songs"
             if "mean_song_f1" in report else "")
    recipe = "rehearsal" if args.rehearse else "default recipe"
    return (f"{recipe} {epochs} epoch{'s' if epochs != 1 else ''} in {epoch_seconds:.1f} s of epochs, {seconds:.0f} s "
            f"with parsing and tuning{tuned}; {said(warnings, known)}")


def torchrun_step(args: argparse.Namespace, device: str, gpus: int, problems: list[str]) -> str:
    """torchrun with 2 processes: refused in one line with fewer than 2 GPUs, else (or on the CPU) one epoch."""
    launcher = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2"]
    code, log, seconds = run_step("torchrun", [*launcher, "main.py", "--mode", "train", "--data", str(args.songs),
                                               "--out", str(args.out / "torchrun"), "--device", device, *TINY[:2],
                                               *(TINY[2:] if args.rehearse else []), "--quiet"], args.out, 900)
    if device == "cuda" and gpus < 2:
        if code != 0 and REFUSAL in log and "invalid device ordinal" not in log:
            return f"torchrun 2 processes: refused on {gpus} GPU, as designed"
        problems.append(f"torchrun with 2 processes on {gpus} GPU: not refused in one line ({args.out}/torchrun.log)")
        return "torchrun 2 processes: not refused"
    warnings, known = warning_lines(log)
    if code != 0 or warnings:
        problems.append(f"torchrun with 2 processes: exit {code}, {len(warnings)} warning(s) ({args.out}/torchrun.log)")
    return (f"torchrun 2 processes: {'trained' if code == 0 else 'failed'} 1 epoch in {seconds:.0f} s, "
            f"{said(warnings, known)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("songs", type=Path, help="a folder of songs to train on, e.g. ../shared/data/midi")
    parser.add_argument("--out", type=Path, default=REPO / "runs" / "gpu-check", help="logs and runs go here")
    parser.add_argument("--rehearse", action="store_true",
                        help="every step on the CPU with a tiny model: the script checked, no figures worth keeping")
    parser.add_argument("--no-install", action="store_true", help="report what is missing, install nothing")
    args = parser.parse_args(argv)
    if not args.songs.is_dir():
        parser.error(f"{args.songs} is not a folder of songs")
    args.out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    missing = missing_requirements([REPO / "requirements.txt"])
    if missing:
        if args.no_install:
            print(f"gpu_check: missing {' '.join(missing)} (--no-install)")
            return 1
        print(f"installing {' '.join(missing)}", flush=True)
        subprocess.run([sys.executable, "-m", "pip", "install", *missing], check=True)
    info = json.loads(subprocess.run([sys.executable, "-c", GPU_INFO], cwd=REPO, check=True, capture_output=True,
                                     text=True).stdout)
    code, output, _ = run_step("gpu-tests", [sys.executable, "-m", "pytest", "-q", "-rs", "-m", "gpu",
                                             "tests/test_gpu.py"], args.out, 900)
    counts = pytest_counts(output)
    tests = ", ".join(f"{n} {word}" for word, n in counts.items()) or f"exit {code}"
    machine = f"torch {info['torch']}, CUDA {info['cuda'] or 'none'}"
    if not info["gpus"] and not args.rehearse:
        print(f"gpu_check: no CUDA GPU visible ({machine}): gpu tests {tests}; training, timing and torchrun need one")
        return 3
    problems = [] if code == 0 else [f"gpu tests: {tests} ({args.out / 'gpu-tests.log'})"]
    device = "cpu" if args.rehearse else "cuda"
    figures = [train_step(args, device, problems), torchrun_step(args, device, info["gpus"], problems)]
    where = "CPU rehearsal" if args.rehearse else f"{info['gpus']} x {info['name']}"
    print(f"gpu_check: {where}, {machine}; gpu tests {tests}; {'; '.join(figures)}; "
          f"{(time.perf_counter() - started) / 60:.1f} min" + (f"; FAILED: {'; '.join(problems)}" if problems else ""))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
