"""studies/phrase_kinds.py:
each 4-bar phrase's kind (which of kick, snare, hat and ride it plays), the drummer's against
the part's, on a stand-in for ../shared/scoring's realism.py that hands back phrases written in code."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from studies.phrase_kinds import CELLS, kind, main

STAND_IN = '''import json
def phrases(band, drums):
    out = []
    for classes in json.loads(open(drums).read()):
        vector = [0.0] * (4 * 16 * 9 + 9)  # realism.py's vector: the cells, then hits per class
        for drum in classes:
            vector[4 * 16 * 9 + drum] += 1.0
        out.append(vector)
    return out
'''


def test_a_kind_names_the_classes_played() -> None:
    vector = np.zeros(CELLS + 9)
    assert kind(vector) == "----"
    vector[CELLS + 3] = 2  # the open hat counts as the hat
    assert kind(vector) == "--H-"
    vector[[CELLS + c for c in (0, 1, 8)]] = 1
    assert kind(vector) == "KSHR"
    vector[CELLS + 7] = 4  # a crash is none of the four
    assert kind(vector) == "KSHR"


def test_kinds_are_counted_phrase_by_phrase(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scoring, band, refs, gen = (tmp_path / name for name in ("scoring", "band", "refs", "gen"))
    for folder in (scoring, band, refs, gen):
        folder.mkdir()
    (scoring / "realism.py").write_text(STAND_IN)
    full, hat, ride = [0, 1, 2], [2], [0, 1, 8]
    songs = {  # the drummer's phrases, ours (ours one phrase longer: only the phrases both have count)
        "a": ([hat, full, full, ride], [full, full, full, full, full]),
        "b": ([full, full], [full, hat]),
    }
    for name, (drummer, ours) in songs.items():
        (band / f"{name}.guitar.mid").write_text("")
        (refs / f"{name}.drums.mid").write_text(json.dumps(drummer))
        (gen / f"{name}.drums.mid").write_text(json.dumps(ours))
    (band / "c.guitar.mid").write_text("")  # no reference: left out
    out_json = tmp_path / "out.json"
    main([str(band), str(refs), str(gen), "--scoring", str(scoring), "--json", str(out_json)])
    out = json.loads(out_json.read_text())
    assert out["songs"] == 2 and out["phrases"] == 6
    kinds = out["kinds"]
    assert kinds["KSH-"] == {"drummer": pytest.approx(4 / 6), "ours": pytest.approx(5 / 6), "both": 0.5}
    assert kinds["--H-"] == {"drummer": pytest.approx(1 / 6), "ours": pytest.approx(1 / 6), "both": 0.0}
    assert kinds["KS-R"]["drummer"] == pytest.approx(1 / 6) and kinds["KS-R"]["ours"] == 0.0
    assert out["songs_with_kinds_changing"] == {"drummer": 0.5, "ours": 0.5}
    assert "--H-" in capsys.readouterr().out


def test_a_missing_scoring_folder_is_named(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="realism.py"):
        main([str(tmp_path), str(tmp_path), str(tmp_path), "--scoring", str(tmp_path / "nowhere")])
