"""The size limits the code keeps (issue 20): modules of at most 400 lines, functions of at most 60, lines of at
most 120 columns, in every .py file outside tests/ and the generated gRPC stubs. A module or function past them is a
sign that two jobs share a home; MIDI's byte loop (the function `track` of `seq2drum/midi/scan.py`) is the one
exception, kept whole because it is the hot loop of reading a file."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
MAX_MODULE_LINES, MAX_FUNCTION_LINES, MAX_LINE_COLUMNS = 400, 60, 120
EXCEPTIONS = {("seq2drum/midi/scan.py", "track")}  # (module, function) allowed past the limits


def checked_files() -> list[Path]:
    """Tracked and new .py files outside tests/ and the generated stubs."""
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "*.py"], cwd=REPO,
                            capture_output=True, text=True, check=False).stdout.split()
    if not listed:  # not a git checkout (an unpacked archive): every .py file
        listed = [str(p.relative_to(REPO)) for p in REPO.rglob("*.py")]
    return [REPO / name for name in sorted(listed)
            if not name.startswith(("tests/", ".")) and "_pb2" not in name and (REPO / name).is_file()]


def over_the_limits(path: Path) -> list[str]:
    """What in one file is past the limits, as 'file:line what' strings."""
    name = path.relative_to(REPO).as_posix()
    source = path.read_text()
    found = []
    lines = source.count("\n")
    if lines > MAX_MODULE_LINES:  # no module is excepted (issue 67: midi/scan.py's limits moved to midi/limits.py)
        found.append(f"{name}: {lines} lines")
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            length = node.end_lineno - node.lineno + 1  # type: ignore[operator]
            if length > MAX_FUNCTION_LINES and (name, node.name) not in EXCEPTIONS:
                found.append(f"{name}:{node.lineno} {node.name}: {length} lines")
    return found


def test_modules_and_functions_stay_within_their_sizes() -> None:
    """Fails when a module passes 400 lines or a function 60: split it along its seams."""
    files = checked_files()
    assert len(files) > 50  # the walk found the code
    problems = [problem for path in files for problem in over_the_limits(path)]
    assert not problems, "\n".join(problems)


def test_the_checker_sees_a_long_function(tmp_path: Path) -> None:
    """The size check itself: a 61-line function is reported (otherwise the test above proves nothing)."""
    body = "\n".join(f"    x{i} = {i}" for i in range(60))
    sample = REPO / "seq2drum" / "_layout_probe.py"
    try:
        sample.write_text(f"def long():\n{body}\n")
        assert over_the_limits(sample) == ["seq2drum/_layout_probe.py:1 long: 61 lines"]
    finally:
        sample.unlink()


def test_no_line_is_longer_than_120_columns() -> None:
    """ruff's E501 at 120 columns on every non-generated .py file (tests included); ruff is a dev requirement."""
    ruff = shutil.which("ruff")
    command = [ruff] if ruff else [sys.executable, "-m", "ruff"]
    probe = subprocess.run([*command, "--version"], capture_output=True, text=True, check=False)
    if probe.returncode != 0:
        pytest.fail("ruff is not installed: python -m pip install -r requirements-dev.txt")
    run = subprocess.run([*command, "check", "--select", "E501", "--line-length", str(MAX_LINE_COLUMNS),
                          "--exclude", "*_pb2*.py,*_pb2*.pyi", "--output-format", "concise", "."],
                         cwd=REPO, capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stdout[-3000:]


def test_no_script_edits_sys_path() -> None:
    """Scripts run as modules (python -m bench.X) or after pip install -e .: a sys.path edit hides a broken import."""
    offenders = [path.relative_to(REPO).as_posix() for path in [*checked_files(), *REPO.glob("tests/*.py")]
                 if "sys.path.insert" in path.read_text() or "sys.path.append" in path.read_text()]
    offenders = [name for name in offenders if name != "tests/test_layout.py"]
    assert not offenders, offenders
