"""tools.scoring_scripts: ../shared/scoring's scripts loaded by path, once, under the names they import each other by
(scripts written here stand in for them)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tools.scoring_scripts import scoring_script


def test_a_script_is_loaded_once_under_the_name_the_others_import_it_by(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "s2d_eval_standin.py").write_text("LOADS = []\nLOADS.append(1)\n")
    (tmp_path / "s2d_kit_standin.py").write_text("import s2d_eval_standin\nEVAL = s2d_eval_standin\n")
    monkeypatch.delitem(sys.modules, "s2d_eval_standin", raising=False)
    monkeypatch.delitem(sys.modules, "s2d_kit_standin", raising=False)
    evaluator = scoring_script("s2d_eval_standin", tmp_path)
    kit = scoring_script("s2d_kit_standin", tmp_path)
    assert kit.EVAL is evaluator and scoring_script("s2d_eval_standin", tmp_path) is evaluator
    assert evaluator.LOADS == [1]  # not run again


def test_a_script_that_is_not_there_names_the_folder(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match=r"no realism\.py in .*--scoring"):
        scoring_script("realism", tmp_path)


def test_a_script_that_fails_to_load_is_not_left_half_made(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "s2d_broken_standin.py").write_text("raise ValueError('broken')\n")
    monkeypatch.delitem(sys.modules, "s2d_broken_standin", raising=False)
    with pytest.raises(ValueError, match="broken"):
        scoring_script("s2d_broken_standin", tmp_path)
    assert "s2d_broken_standin" not in sys.modules
