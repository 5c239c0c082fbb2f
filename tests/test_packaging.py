"""The requirement files and CI: a musician's install gets the runtime only, CI gets everything (the audio extra
with --no-deps), and CI runs the test command the README shows."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
TEST_AND_NOTEBOOK_TOOLS = {"pytest", "hypothesis", "nbformat", "nbclient", "ipykernel", "jupyter", "jupyter-client",
                           "jupyter-core", "notebook", "grpcio-tools", "ipython"}


def requirement_names(path: Path) -> set[str]:
    """Package names a requirements file lists itself (not through -r)."""
    names = set()
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            names.add(re.split(r"[<>=!~\[; ]", line, maxsplit=1)[0].lower())
    return names


def test_runtime_requirements_hold_no_test_or_notebook_tools() -> None:
    """A musician installing requirements.txt got jupyter, pytest and grpcio-tools (80 packages, 1.3 GB)."""
    names = requirement_names(REPO / "requirements.txt")
    assert {"torch", "music21", "matplotlib", "grpcio", "protobuf"} <= names
    assert not names & TEST_AND_NOTEBOOK_TOOLS
    assert "torch==2.13.0" in (REPO / "requirements.txt").read_text().split()  # exact: an open range pulls CUDA
    assert requirement_names(REPO / "requirements-client.txt") == {"grpcio", "protobuf"}


def test_dev_requirements_include_every_other_file_and_the_tools() -> None:
    text = (REPO / "requirements-dev.txt").read_text()
    for included in ("requirements.txt", "requirements-client.txt"):
        assert f"-r {included}" in text.split("\n")
    # the audio extra goes in on its own with --no-deps: through -r, pip would try to compile PyAudio and fail
    assert "-r requirements-audio.txt" not in text.split("\n")
    names = requirement_names(REPO / "requirements-dev.txt")
    assert {"pytest", "hypothesis", "nbformat", "nbclient", "ipykernel", "grpcio-tools"} <= names
    assert "grpcio-tools==1.85.1" in text  # the checked-in stubs are compared with this protoc


def test_ci_runs_the_readme_test_command_with_the_dev_requirements() -> None:
    readme = (REPO / "README.md").read_text()
    ci = (REPO / ".ci" / "run").read_text()
    command = ("python -m pip install -r requirements-dev.txt && python -m pip install --no-deps -r requirements-audio.txt"
               " && python -m pytest -q")
    assert command in readme
    assert command.replace("install -r", "install -q -r").replace("install --no-deps", "install -q --no-deps") in ci


def test_audio_extra_pins_the_synthesiser_and_the_soundfont_package() -> None:
    """CI installs exactly these (--no-deps), so the audio tests run against the versions users get."""
    text = (REPO / "requirements-audio.txt").read_text()
    assert requirement_names(REPO / "requirements-audio.txt") == {"tinysoundfont", "pretty_midi"}
    assert "tinysoundfont==0.3.7" in text and "pretty_midi==0.2.11.post0" in text
    assert "python -m pip install --no-deps -r requirements-audio.txt" in text


def resolved_install(requirements: Path, tmp_path: Path) -> set[str]:
    """What pip would install for a requirements file on an empty environment, dependencies included."""
    report = tmp_path / f"{requirements.stem}.json"
    resolved = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet", "--report", str(report),
         "-r", str(requirements)],
        capture_output=True, text=True, timeout=300, check=False,
    )
    if resolved.returncode != 0:
        pytest.skip(f"pip cannot resolve here (no package index reachable?): {resolved.stderr.strip()[-300:]}")
    return {item["metadata"]["name"].lower().replace("_", "-") for item in json.loads(report.read_text())["install"]}


def test_resolved_client_install_is_grpc_only(tmp_path: Path) -> None:
    """The DAW machine gets grpcio and protobuf (and what they need), never torch, music21 or numpy."""
    installed = resolved_install(REPO / "requirements-client.txt", tmp_path)
    assert {"grpcio", "protobuf"} <= installed
    assert not installed & {"torch", "music21", "numpy", "matplotlib", *TEST_AND_NOTEBOOK_TOOLS}, sorted(installed)


def test_resolved_runtime_install_pulls_no_test_or_notebook_package(tmp_path: Path) -> None:
    """What pip would install for requirements.txt on an empty environment, dependencies included."""
    installed = resolved_install(REPO / "requirements.txt", tmp_path)
    assert "torch" in installed and "music21" in installed
    assert not installed & TEST_AND_NOTEBOOK_TOOLS, sorted(installed & TEST_AND_NOTEBOOK_TOOLS)
