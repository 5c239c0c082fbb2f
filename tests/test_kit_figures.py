"""tools/kit_figures.py: the section figures on built songs (where the drummer crashes and fills against our printed
section markers), and the reading of realism.py's and adherence.py's printed lines. Needs ../shared/scoring."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from seq2drum.midi.io import DRUM_CHANNEL
from seq2drum.midi.write import TrackSpec, write_midi
from tests.builders import PPQ, backbeat, notes_from_steps, riff, song_bytes

SCORING = Path(__file__).resolve().parents[2] / "shared" / "scoring"
pytestmark = pytest.mark.skipif(not (SCORING / "kit.py").is_file(),
                                reason="needs ../shared/scoring (kit.py, checklist.py, drum_eval.py) beside it")

BARS, CRASH, TOM, SNARE = 16, 49, 45, 38
TICKS_PER_STEP = PPQ // 4


def drums(crash_bars: Sequence[int], tom_fill_bars: Sequence[int], snare_fill_bars: Sequence[int] = (),
          early_crash_bars: Sequence[int] = ()) -> np.ndarray:
    """A backbeat with crashes on the given bars' downbeats (some played 10 ticks early, still the downbeat on the
    16th grid), 4 toms on the last beat of the tom fill bars, 4 snares on odd 16ths of the snare fill bars."""
    events = backbeat(BARS) + [(bar * 16, CRASH) for bar in crash_bars]
    events += [(bar * 16 + step, TOM) for bar in tom_fill_bars for step in (12, 13, 14, 15)]
    events += [(bar * 16 + step, SNARE) for bar in snare_fill_bars for step in (9, 11, 13, 15)]
    notes = notes_from_steps(events)
    early = notes_from_steps([(bar * 16, CRASH) for bar in early_crash_bars])
    early[:, :2] -= 10
    return np.concatenate([notes, early])


def write_song(tmp_path: Path, name: str, ref: np.ndarray, ours: np.ndarray, marker_bars: list[int]) -> None:
    """SPLIT/band/NAME.guitar.mid (a 16-bar riff), SPLIT/refs/NAME.drums.mid, GEN/NAME.drums.mid with markers."""
    for folder in ("band", "refs", "gen"):
        (tmp_path / folder).mkdir(exist_ok=True)
    (tmp_path / "band" / f"{name}.guitar.mid").write_bytes(song_bytes(notes_from_steps(riff(BARS), length_steps=2)))
    (tmp_path / "refs" / f"{name}.drums.mid").write_bytes(song_bytes(None, ref))
    markers = [(bar * 16 * TICKS_PER_STEP, f"Section {'ABCDEFG'[i]}") for i, bar in enumerate(marker_bars)]
    markers.append((5 * 16 * TICKS_PER_STEP, "Not a section"))
    (tmp_path / "gen" / f"{name}.drums.mid").write_bytes(
        write_midi(PPQ, [(0, 500_000)], [(0, 4, 4)], [TrackSpec("Drums", DRUM_CHANNEL, ours)], markers))


def test_section_figures_count_the_drummers_marks_at_our_printed_sections(tmp_path: Path) -> None:
    """If this fails, the section figures no longer say how often our printed section starts meet the drummer's
    crashes and fills (and ours), so issue 54's baseline cannot be compared with the kit work."""
    from tools.kit_figures import section_figures

    # The drummer: fills in bars 3, 7, 11 (toms) and 9 (snares), crashes on 0, 4, 8, 12 and 14:
    # crash-after-fill bars 4, 8, 12. Printed starts: 0 (the first, left out), 4, 10, 12.
    ref = drums(crash_bars=[0, 4, 8, 12, 14], tom_fill_bars=[3, 7, 11], snare_fill_bars=[9])
    # Ours: crashes on 0, 4 and (10 ticks early) 10; a tom fill in bar 11.
    ours = drums(crash_bars=[0, 4], tom_fill_bars=[11], early_crash_bars=[10])
    write_song(tmp_path, "song", ref, ours, marker_bars=[0, 4, 10, 12])
    figures = section_figures(SCORING, tmp_path / "band", tmp_path / "refs", tmp_path / "gen")
    counts, pooled = figures["songs"]["song"], figures["pooled"]
    bars = counts["bars"]  # every bar of kit.py's span but the first
    assert counts["printed"] == 4 and counts["starts"] == 3 and bars == BARS  # the span runs a bar past the riff
    assert counts["off_bar_line"] == 0
    assert pooled["drummer_crash"] == pytest.approx(2 / 3)  # bars 4 and 12
    assert pooled["drummer_fill_before"] == pytest.approx(3 / 3)  # bars 3, 9 and 11
    assert pooled["drummer_either"] == pytest.approx(1.0)
    assert pooled["drummer_crash_any_bar"] == pytest.approx(4 / bars)  # 4, 8, 12, 14 (bar 0 is not counted)
    assert pooled["crash_after_fill_bars"] == 3 and pooled["crash_after_fill_printed"] == pytest.approx(2 / 3)
    assert pooled["ours_crash"] == pytest.approx(2 / 3)  # bars 4 and 10 (played early, on the grid's downbeat)
    assert pooled["ours_fill_before"] == pytest.approx(1 / 3)  # bar 11 before 12
    assert pooled["printed_any_bar"] == pytest.approx(3 / bars)
    assert pooled["ours_crash_any_bar"] == pytest.approx(2 / bars)  # bars 4 and 10 (bar 0 is not counted)
    # Pooled over songs: a second song with no section after the first adds bars but no start.
    write_song(tmp_path, "other", ref, ours, marker_bars=[0])
    pooled = section_figures(SCORING, tmp_path / "band", tmp_path / "refs", tmp_path / "gen")["pooled"]
    assert pooled["songs"] == 2 and pooled["songs_with_sections"] == 1 and pooled["starts"] == 3
    assert pooled["drummer_crash"] == pytest.approx(2 / 3)
    assert pooled["crash_after_fill_printed"] == pytest.approx(2 / 6)


def test_the_scripts_printed_lines_are_read() -> None:
    """If this fails, realism.py's or adherence.py's printed line changed and the summary would show an error."""
    from tools.kit_figures import parse_adherence, parse_realism

    line = "gen/band/take1: 45 songs (hit counts only), 1234 phrases: real-vs-generated accuracy 87.5% (folds 80, 90)"
    assert parse_realism(line) == {"songs": 45, "phrases": 1234, "accuracy_percent": 87.5}
    line = "40 songs in 4/4 (2 without output): own 0.512 others 0.401 gap 0.111 (gap > 0 on 85%)"
    assert parse_adherence(line) == {"songs": 40, "without_output": 2, "own": 0.512, "others": 0.401, "gap": 0.111,
                                     "gap_above_0_percent": 85}
    assert "error" in parse_adherence("adherence needs 2 or more songs")
