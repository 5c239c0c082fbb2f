"""The test harness itself (tests/conftest.py): a test run leaves nothing behind in the temporary directory. Each
run made a seq2drum-test-cache-* folder there and never removed it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_a_pytest_run_leaves_no_seq2drum_folders_in_the_temporary_directory(tmp_path: Path) -> None:
    """A small pytest run (the generator's fast-start cache written into the run's cache folder) in a temporary
    directory of its own: no seq2drum-* folder is left there."""
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    env = {**os.environ, "TMPDIR": str(temporary), "OMP_NUM_THREADS": "1"}
    env.pop("XDG_CACHE_HOME", None)
    cold_run = "tests/test_fast_start.py::test_a_cold_command_line_run_with_a_cached_model_imports_no_torch"
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_atomic.py",
                          cold_run], cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert sorted(path.name for path in temporary.glob("seq2drum-*")) == []
