"""../shared/scoring's scripts (drum_eval.py, kit.py, realism.py, midisplit.py...) loaded by path: they are scripts
beside the project, not a package, and import each other by their bare names (kit.py imports drum_eval), so a script
is loaded under its own name and kept in `sys.modules`, where the next script that imports it finds this one (no
sys.path edit). One loader for every tool that reads them."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

SCORING = Path(__file__).resolve().parents[1].parent / "shared" / "scoring"  # ../shared/scoring beside the checkout


def scoring_script(name: str, scoring: Path = SCORING) -> ModuleType:
    """`scoring`/`name`.py as a module named `name`: the one already loaded from that file, else loaded now.
    SystemExit naming the folder when the script is not there."""
    path = Path(scoring) / f"{name}.py"
    if not path.is_file():
        raise SystemExit(f"no {name}.py in {scoring}: give --scoring the folder of ../shared/scoring")
    module = sys.modules.get(name)
    if module is not None and Path(module.__file__ or "").resolve() == path.resolve():
        return module
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)  # type: ignore[union-attr]
    except BaseException:
        del sys.modules[name]
        raise
    return module
