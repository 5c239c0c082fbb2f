"""The musician's checklist (evaluation.checklist): each fault on a part built to have it, none on the real drums
against themselves, and the same faults as ../shared/scoring/checklist.py on the same files (else `--mode
evaluate`'s table would not compare with the issues' figures)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from seq2drum.config import DataConfig
from seq2drum.evaluation.checklist import meter_family, song_faults, summarize_faults
from seq2drum.midi.drums import CLASS_TO_PITCH, CRASH, KICK, LOW_TOM, SNARE
from seq2drum.midi.io import read_midi
from seq2drum.song.encode import encode_song
from tests.builders import notes_from_steps, song_bytes

SCORING = Path(__file__).resolve().parents[2] / "shared" / "scoring" / "checklist.py"


def drum_events(bars: int, steps: int, bar: list[tuple[int, int]], every: dict[int, list[tuple[int, int]]] | None = None
                ) -> list[tuple[int, int, int]]:
    """(step, pitch, velocity) of `bar` (step, drum class) in every bar; `every` {k: extra} adds to bars k-1, 2k-1..."""
    events = []
    for index in range(bars):
        cells = list(bar)
        for period, extra in (every or {}).items():
            if (index + 1) % period == 0:
                cells += extra
        events += [(index * steps + s, int(CLASS_TO_PITCH[c]), 100) for s, c in cells]
    return events


def song_of(bars: int, numerator: int, denominator: int, drums: list[tuple[int, int, int]]) -> bytes:
    steps = numerator * 16 // denominator
    guitar = notes_from_steps([(b * steps + s, 52) for b in range(bars) for s in range(0, steps, 4)], length_steps=2)
    return song_bytes(guitar, notes_from_steps(drums), time_signatures=((0, numerator, denominator),))


def faults_of(real: bytes, part: bytes) -> list[str]:
    song = encode_song(read_midi(real), DataConfig(), name="real")
    other = encode_song(read_midi(part), DataConfig(), name="part")
    assert song.drums is not None and other.drums is not None
    return song_faults(other.drums.hits, song.drums.hits, song.grid, song.span_steps)


ROCK = [(0, KICK), (4, SNARE), (8, KICK), (12, SNARE), *((s, 2) for s in range(0, 16, 2))]
WALTZ = [(0, KICK), (4, SNARE), (8, SNARE), *((s, 2) for s in range(0, 12, 2))]
FILL = {8: [(12, LOW_TOM), (13, LOW_TOM), (14, SNARE), (15, SNARE)]}


@pytest.mark.parametrize("part, meter, expected", [
    (drum_events(32, 16, ROCK, FILL), (4, 4), []),
    (drum_events(32, 16, [*ROCK, (0, CRASH)], FILL), (4, 4), ["crash_ridden", "crash_happy"]),
    (drum_events(32, 12, [(0, KICK), *((s, 2) for s in range(0, 12, 2))]), (3, 4), ["no_backbeat"]),
    (drum_events(32, 16, [(0, KICK), (4, LOW_TOM), (8, KICK), (12, LOW_TOM), *((s, 2) for s in range(0, 16, 2))]),
     (4, 4), ["no_backbeat", "tom_groove", "weak_fills"]),  # every bar a "fill" of one tom in its last beat
    (drum_events(32, 16, [*ROCK, *((s, 8) for s in range(16)), *((s, 0) for s in range(1, 16, 2))], FILL), (4, 4),
     ["too_busy"]),
    (drum_events(32, 16, [(0, KICK), (4, SNARE)], FILL), (4, 4), ["too_sparse"]),
    (drum_events(16, 16, ROCK, FILL), (4, 4), ["missing"]),
    (drum_events(32, 16, ROCK[:3] + ROCK[4:], {8: [(15, LOW_TOM)]}), (4, 4), ["weak_fills"]),
], ids=["faithful", "crash_every_bar", "waltz_without_snare", "tom_groove", "too_busy", "too_sparse", "missing",
        "one_hit_fills"])
def test_each_fault_is_found_on_a_part_built_to_have_it(part: list, meter: tuple[int, int], expected: list) -> None:
    steps = meter[0] * 16 // meter[1]
    real = drum_events(32, steps, ROCK if steps == 16 else WALTZ, FILL)
    assert faults_of(song_of(32, *meter, real), song_of(32, *meter, part)) == expected


def test_the_real_drums_have_no_fault_against_themselves_and_the_family_is_the_meters() -> None:
    real = song_of(32, 3, 4, drum_events(32, 12, WALTZ))
    assert faults_of(real, real) == []
    song = encode_song(read_midi(real), DataConfig(), name="waltz")
    assert meter_family(song.grid, song.span_steps) == "3/4"
    summary = summarize_faults([("3/4", []), ("3/4", ["no_backbeat"]), ("4/4", ["crash_happy", "too_busy"])])
    assert summary["any"] == pytest.approx(2 / 3) and summary["no_backbeat"] == 1 and summary["too_busy"] == 1
    assert summary["by_family"] == {"4/4": {"songs": 1, "faulty": 1}, "3/4": {"songs": 2, "faulty": 1}}


@pytest.mark.skipif(not SCORING.is_file(), reason="../shared/scoring/checklist.py is not beside the project")
def test_the_faults_are_those_of_the_shared_checklist_script(tmp_path: Path) -> None:
    pytest.importorskip("mido", reason="../shared/scoring reads MIDI with mido (requirements-live.txt)")
    cases = {"faithful": drum_events(32, 16, ROCK, FILL), "crashy": drum_events(32, 16, [*ROCK, (0, CRASH)], FILL),
             "sparse": drum_events(32, 16, [(0, KICK), (4, SNARE)], FILL),
             "toms": drum_events(32, 16, [(0, KICK), (4, LOW_TOM), (8, KICK), (12, LOW_TOM)], FILL),
             "fills": drum_events(32, 16, ROCK[:3] + ROCK[4:], {8: [(15, LOW_TOM)]})}
    real = song_of(32, 4, 4, drum_events(32, 16, ROCK, FILL))
    for folder in ("band", "refs", "gen"):
        (tmp_path / folder).mkdir()
    ours = {}
    for name, part in cases.items():
        (tmp_path / "band" / f"{name}.guitar.mid").write_bytes(real)  # the drums are left out below by channel
        (tmp_path / "refs" / f"{name}.drums.mid").write_bytes(real)
        (tmp_path / "gen" / f"{name}.drums.mid").write_bytes(song_of(32, 4, 4, part))
        ours[name] = faults_of(real, song_of(32, 4, 4, part))
    out = tmp_path / "cl.json"
    subprocess.run([sys.executable, str(SCORING), str(tmp_path / "band"), str(tmp_path / "refs"),
                    str(tmp_path / "gen"), "--json", str(out)], check=True, capture_output=True)
    theirs = {name: row["faults"] for name, row in json.loads(out.read_text())["songs"].items()}
    assert theirs == ours
    assert any(ours.values()) and not ours["faithful"]
    np.testing.assert_equal(sorted(theirs), sorted(cases))
