"""The parts study's out-of-fold scoring (studies/part_study.py) on songs made in code: each fold's vocabulary and
model learned from the other songs, the baselines beside the model, the change figures, the vocabulary printed by
family. If one fails, the figures of docs/experiments/2026-11-27-parts.md are not what they say."""

from __future__ import annotations

import numpy as np
import pytest

from seq2drum.parts.features import FEATURE_NAMES
from seq2drum.parts.labels import Phrase
from tests.test_parts_labels import ROCK
from tests.test_parts_vocabulary import SIXTEENTHS, labelled
from studies.part_study import Scores, SongParts, fit, print_vocabulary, report_scores, score_fold

NOTES = FEATURE_NAMES.index("notes_vs_song")


def song(index: int) -> SongParts:
    """A verse of rock phrases where the band is thin, then a chorus of 16ths where it is busy."""
    pattern = [ROCK, ROCK, SIXTEENTHS, SIXTEENTHS]
    phrases = [Phrase(4 * t, 4 * t + 4, t // 2, t // 2, t % 2) for t in range(4)]
    labelled_phrases = [labelled(hits, f"song{index}") for hits in pattern]
    features = np.zeros((4, len(FEATURE_NAMES)))
    features[:, FEATURE_NAMES.index("family_4/4")] = 1
    features[:, NOTES] = [-1, -1, 1, 1]
    features[:, FEATURE_NAMES.index("section_start")] = [1, 0, 1, 0]
    return SongParts(f"song{index}", "midi", phrases, [p.label for p in labelled_phrases], labelled_phrases, features,
                     fold=index % 5)


def test_out_of_fold_scores_and_their_report(capsys: pytest.CaptureFixture[str]) -> None:
    songs = [song(i) for i in range(10)]
    scores = {"midi": Scores()}
    for fold in range(5):
        score_fold([s for s in songs if s.fold != fold], [s for s in songs if s.fold == fold], scores)
    found = scores["midi"]
    assert (found.get("plan") == found.get("truth")).all()  # the band says it all here
    assert found.get("drummer_change").sum() == 10 and (found.get("plan_change") == found.get("drummer_change")).all()
    assert (found.get("mode") == found.get("truth")).mean() == 0.5
    report_scores("midi", found)
    printed = capsys.readouterr().out
    assert "1.000  the plan" in printed and "the plan 0.333; recall 1.000, precision 1.000" in printed


def test_the_vocabulary_is_printed_by_family(capsys: pytest.CaptureFixture[str]) -> None:
    vocabulary, model = fit([song(i) for i in range(8)])
    print_vocabulary(vocabulary)
    printed = capsys.readouterr().out
    assert "4/4: 2 parts, 32 phrases" in printed and "eighths on the hat, backbeat" in printed
    assert model.n_parts == 2
