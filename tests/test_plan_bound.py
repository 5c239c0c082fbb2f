"""tools.plan_bound, the plan's upper bound (take 1 played with the drummer's own parts), on songs built in code: the
drummer's parts read in the band input's bars, the phrases given them by share and song-wide, the network's own
cells as a source, and the fold links. If one fails, the bound compares the plan with something other than the
song's drummer, or overwrites a cross-validation's scores."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from seq2drum.config import DataConfig
from seq2drum.midi.drums import CLOSED_HAT, SNARE
from seq2drum.midi.io import read_midi
from seq2drum.parts.labels import Phrase
from seq2drum.parts.plan import Planner
from seq2drum.song.bars import FeatureSpec, bar_song
from seq2drum.song.encode import encode_song
from tests.builders import notes_from_steps, riff, song_bytes
from tests.test_parts_labels import ROCK
from tests.test_parts_plan import part_index
from tests.test_parts_plan import planner as planner  # noqa: F401  (the fixture)
from tests.test_parts_vocabulary import SIXTEENTHS
from tests.test_parts_vocabulary import corpus as corpus  # noqa: F401  (the fixture)
from tools import plan_bound
from tools.plan_bound import (bound_parts, commonest_full, drummer_hits, labelled_parts, link_folds, network_hits,
                               section_parts)

SPEC = FeatureSpec.current(4)
FULL = np.array([True, True, True, False])  # parts 0-2 full, part 3 sparse


def rock_then_sixteenths() -> bytes:
    """8 bars of a guitar riff over 4 bars of eighths on the hat with a backbeat, then 4 of 16ths on the hat."""
    drums = [(bar * 16 + s, 42 if d == CLOSED_HAT else 38 if d == SNARE else 36)
             for bar in range(8) for s, d in (ROCK if bar < 4 else SIXTEENTHS)]
    return song_bytes(notes_from_steps(riff(8)), notes_from_steps(drums))


def test_the_drummers_parts_are_read_in_the_band_inputs_bars(planner: Planner) -> None:  # noqa: F811
    data = rock_then_sixteenths()
    encoded = encode_song(read_midi(data), DataConfig(), with_drums=True)
    band = bar_song(encode_song(read_midi(data), DataConfig(), with_drums=False), SPEC)
    phrases = [Phrase(0, 4, 0, 0, 0), Phrase(4, 8, 0, 0, 1)]
    drums = drummer_hits(band, encoded)
    assert drums is not None and drums[0].shape[0] == band.n_bars
    parts = labelled_parts(planner, band, *drums, phrases).tolist()
    names = ["eighths on the hat, backbeat", "16ths on the hat, backbeat"]
    assert parts == [part_index(planner, name) for name in names]
    other = encode_song(read_midi(song_bytes(notes_from_steps(riff(8, 12)), notes_from_steps([(0, 36)]),
                                               time_signatures=((0, 3, 4),))), DataConfig())
    assert drummer_hits(band, other) is None  # another grid: no drummer's parts, the plan is left as made


def test_a_share_of_phrases_get_the_given_part_the_same_ones_each_run() -> None:
    planned, given = np.zeros(200, dtype=np.int64), np.ones(200, dtype=np.int64)
    assert (bound_parts(planned, given, FULL, 0.0, "song") == 0).all()
    assert (bound_parts(planned, given, FULL, 1.0, "song") == 1).all()
    half = bound_parts(planned, given, FULL, 0.5, "song")
    assert 0.35 < half.mean() < 0.65 and (half == bound_parts(planned, given, FULL, 0.5, "song")).all()
    assert not (half == bound_parts(planned, given, FULL, 0.5, "another song")).all()


def test_song_wide_full_phrases_play_the_commonest_full_given_part_and_keep_the_plans_levels() -> None:
    planned = np.array([0, 0, 3, 1, 0])  # phrase 2 sparse in the plan
    given = np.array([2, 2, 3, 3, 1])  # the drummer: part 2 twice, sparse twice, part 1 once
    assert bound_parts(planned, given, FULL, 1.0, "song", song_wide=True).tolist() == [2, 2, 3, 2, 2]
    assert commonest_full(FULL, np.array([3, 3])) == -1
    no_full = np.array([3, 3, 3, 3, 3])
    assert bound_parts(planned, no_full, FULL, 1.0, "song", song_wide=True).tolist() == [0, 0, 3, 1, 0]


def test_each_section_plays_its_drummers_commonest_part_there_and_the_rest_is_as_planned() -> None:
    planned = np.array([0, 0, 0, 0, 0, 0, 2], dtype=np.int64)
    given = np.array([1, 3, 1, 3, 2, 2, 1], dtype=np.int64)  # section A: 1 and 3 twice each; B: 2; phrase 6 none
    parts = section_parts(planned, given, FULL, [(0, 1, 2, 3), (4, 5)])
    assert parts.tolist() == [1, 1, 1, 1, 2, 2, 2]  # a tie goes to the full part (3 is sparse); phrase 6 planned


def test_the_networks_cells_at_the_threshold_are_its_hits() -> None:
    band = bar_song(encode_song(read_midi(song_bytes(notes_from_steps(riff(4)), None)), DataConfig(),
                                with_drums=False), SPEC)
    p = np.zeros((band.n_bars, band.step_features.shape[1], 9))
    p[:, ::2, CLOSED_HAT] = 0.6
    p[:, 4, SNARE] = 0.2
    hits, offset = network_hits(band, p, 0.3)
    assert hits[:, ::2, CLOSED_HAT].all() and not hits[..., SNARE].any() and not offset.any()


def test_folds_are_lent_by_link_and_a_scored_out_is_refused(tmp_path: Path) -> None:
    cv, out = tmp_path / "cv", tmp_path / "out"
    for fold in range(2):
        (cv / f"fold{fold}" / "eval-band").mkdir(parents=True)
        for name in ("best.pt", "tuned.json", "parts.npz", "scores-band.pkl"):
            (cv / f"fold{fold}" / name).write_text(name)
    assert link_folds(cv, out) == 2
    assert sorted(path.name for path in (out / "fold1").iterdir()) == ["best.pt", "parts.npz", "tuned.json"]
    assert (out / "fold1" / "best.pt").is_symlink() and (out / "fold1" / "best.pt").read_text() == "best.pt"
    (out / "fold0" / "scores-band.pkl").write_text("scored")
    with pytest.raises(SystemExit, match="fresh --out"):
        link_folds(cv, out)
    with pytest.raises(SystemExit, match="no fold folders"):
        link_folds(tmp_path / "empty", out)


def test_a_share_outside_zero_to_one_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit):
        plan_bound.main(["--cv", str(tmp_path), "--out", str(tmp_path / "o"), "--share", "1.5"])
    assert "between 0 and 1" in capsys.readouterr().err
