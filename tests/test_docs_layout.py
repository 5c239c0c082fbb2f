"""docs/how-it-works.md's project layout names every module (issue 67): a module added without a row, or a row
left behind by a module that moved, fails here, so the table a developer reads to find where something lives stays
the code's own map."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FOLDERS = ("seq2drum", "server", "client")  # the code's folders (bench/ and tools/ are described as wholes)
SKIPPED = {"__init__", "__main__"}


def layout_rows() -> dict[str, set[str]]:
    """Each row of the "Project layout" table: its first cell's paths (`seq2drum/midi/`, `seq2drum/options.py` ...)
    -> every backticked name in the row (module names, or file names for single files)."""
    text = (REPO / "docs" / "how-it-works.md").read_text(encoding="utf-8")
    table = text.split("## Project layout", 1)[1].split("\n## ", 1)[0]
    rows: dict[str, set[str]] = {}
    for line in table.splitlines():
        cells = line.split("|")
        if len(cells) < 3 or not cells[1].strip().startswith("`"):
            continue
        names = set(re.findall(r"`([^`]+)`", line))
        for path in re.findall(r"`([^`]+)`", cells[1]):
            rows.setdefault(path, set()).update(names)
    return rows


def modules(folder: Path) -> list[str]:
    return sorted(p.stem for p in folder.glob("*.py") if p.stem not in SKIPPED and "_pb2" not in p.stem)


def missing_rows(rows: dict[str, set[str]]) -> list[str]:
    """'folder/module.py' for every module the table does not name in its folder's row."""
    missing = []
    for top in FOLDERS:
        for folder in [REPO / top, *sorted(p for p in (REPO / top).iterdir() if p.is_dir())]:
            if folder.name.startswith((".", "_")) or not any(folder.glob("*.py")):
                continue
            key = folder.relative_to(REPO).as_posix() + "/"
            for stem in modules(folder):
                named = rows.get(key, set())
                # a top-level module in a row of files (`seq2drum/options.py`, `outputs.py` ...)
                single = any(path == f"{key}{stem}.py" or (path == f"{stem}.py" and key == "seq2drum/")
                             for path in rows)
                if stem not in named and f"{stem}.py" not in named and not single:
                    missing.append(f"{key}{stem}.py")
    return missing


def test_every_module_has_a_row_in_the_project_layout() -> None:
    """Every module of seq2drum/ (each subpackage), server/ and client/ is named in its folder's row of
    docs/how-it-works.md's project layout (a top-level seq2drum module in a row of files)."""
    missing = missing_rows(layout_rows())
    assert not missing, "modules without a row in docs/how-it-works.md's project layout:\n" + "\n".join(missing)


def test_the_checker_sees_a_module_without_a_row() -> None:
    """The check itself: a module its row does not name is reported."""
    rows = layout_rows()
    rows["seq2drum/groove/"] = rows["seq2drum/groove/"] - {"takes"}
    assert "seq2drum/groove/takes.py" in missing_rows(rows)
