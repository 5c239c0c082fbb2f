"""studies/take_pairs.py --phrases: the share of a later take's 4-bar phrases unlike take 1's (issue 68's measure), on a
stand-in for ../shared/scoring's realism.py that hands back phrases written in code, so the count is checked here
without the real songs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from studies.take_pairs import unlike_phrases

STAND_IN = '''import json
def phrases(band, drums):
    cells = json.loads(open(drums).read())
    if cells is None:
        return None
    out = []
    for phrase in cells:
        vector = [0.0] * (4 * 16 * 9 + 5)  # realism.py's vector: the phrase's cells first, then other figures
        for step, drum in phrase:
            vector[step * 9 + drum] = 1.0
        out.append(vector)
    return out
'''


def backbeat(bar: int = 0) -> list[list[int]]:
    return [[bar * 16 + s, 2] for s in range(0, 16, 2)] + [[bar * 16 + 4, 1], [bar * 16 + 12, 1], [bar * 16, 0]]


def test_phrases_unlike_take_1_are_counted_per_take(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scoring, inputs, gen = tmp_path / "scoring", tmp_path / "band", tmp_path / "gen"
    for folder in (scoring, inputs, *(gen / f"take{k}" for k in (1, 2, 3))):
        folder.mkdir(parents=True)
    (scoring / "realism.py").write_text(STAND_IN)
    ride = [[s, 8] for s in range(0, 64, 2)] + [[4, 1], [12, 1]]  # the ride where take 1 keeps the hat
    takes = {  # song: its 4 phrases in takes 1, 2 and 3
        "a": ([backbeat()] * 4, [backbeat()] * 3 + [ride], [ride] * 4),
        "b": ([backbeat(1)] * 4, [backbeat(1)] * 4, [backbeat(1)] * 2 + [ride] * 2),
    }
    for song, phrases in takes.items():
        (inputs / f"{song}.guitar.mid").write_bytes(b"")
        for k, cells in enumerate(phrases, start=1):
            (gen / f"take{k}" / f"{song}.drums.mid").write_text(json.dumps(cells))
    (inputs / "waltz.guitar.mid").write_bytes(b"")  # not in 4/4: realism.py reads no phrases
    for k in (1, 2, 3):
        (gen / f"take{k}" / "waltz.drums.mid").write_text("null")
    unlike_phrases(inputs, gen, 3, scoring)
    lines = capsys.readouterr().out.splitlines()
    assert lines == ["take 2: 2 songs, phrases unlike take 1's 0.125 (pooled), songs with >= 25% unlike: 0.50",
                     "take 3: 2 songs, phrases unlike take 1's 0.750 (pooled), songs with >= 25% unlike: 1.00"]
