"""The part model's inference (seq2drum/parts/model.py) on weights set in code: probabilities that sum to one within
the phrase's meter family, forward-backward marginals that match summing over every plan, a Viterbi plan that is the
best of every plan, a part kept through a section and changed at its edge, the part given the one played before,
and the .npz round trip. If one fails, the decision reads part probabilities that are not the model's."""

from __future__ import annotations

import itertools
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from seq2drum.errors import CheckpointError
from seq2drum.parts.features import FEATURE_NAMES
from seq2drum.parts.model import (PartModel, emissions, load_parts, log_transitions, part_probabilities, sample_plans,
                                  save_parts)
from seq2drum.parts.vocabulary import LabelledPhrase, build_vocabulary
from studies.part_study import best_plan, next_part
from tests.test_parts_vocabulary import corpus as corpus  # noqa: F401  (the fixture)

F = len(FEATURE_NAMES)
FAMILIES = [FEATURE_NAMES.index(f"family_{f}") for f in ("4/4", "3/4", "compound", "other")]
START = FEATURE_NAMES.index("section_start")


def random_model(n_parts: int, seed: int, families: list[int] | None = None) -> PartModel:
    rng = np.random.default_rng(seed)
    families_ = np.array(families or [0] * n_parts)
    prior = np.array([1.0 / (families_ == f).sum() for f in families_])
    return PartModel(FEATURE_NAMES, np.zeros(F), np.ones(F), rng.normal(size=(F, n_parts)) / 4,
                     rng.normal(size=n_parts), np.log(prior), rng.normal(size=F) / 4, np.array([0.0]), families_)


def phrases(n: int, seed: int, family: int = 0) -> np.ndarray:
    features = np.random.default_rng(seed).normal(size=(n, F))
    features[:, FAMILIES] = 0
    features[:, FAMILIES[family]] = 1
    return features


def every_plan(model: PartModel, features: np.ndarray) -> dict[tuple[int, ...], float]:
    """The joint weight of every sequence of parts (initial share x transitions x emissions), by brute force."""
    emit, step = emissions(model, features), log_transitions(model, features)
    plans = {}
    for plan in itertools.product(range(model.n_parts), repeat=len(features)):
        score = model.log_prior[plan[0]] + emit[0, plan[0]]
        score += sum(step[t, plan[t - 1], plan[t]] + emit[t, plan[t]] for t in range(1, len(plan)))
        plans[plan] = float(np.exp(score))
    return plans


def test_the_marginals_are_the_sum_over_every_plan() -> None:
    model, features = random_model(3, 0), phrases(4, 1)
    plans = every_plan(model, features)
    total = sum(plans.values())
    marginals = np.zeros((4, 3))
    for plan, weight in plans.items():
        marginals[np.arange(4), plan] += weight / total
    np.testing.assert_allclose(part_probabilities(model, features), marginals, atol=1e-10)


def test_plans_are_drawn_as_often_as_the_model_finds_them() -> None:
    model, features = random_model(3, 7), phrases(3, 8)
    plans = every_plan(model, features)
    total = sum(plans.values())
    drawn = sample_plans(model, features, 4000, np.random.default_rng(0))
    counts = Counter(map(tuple, drawn.tolist()))
    for plan, weight in plans.items():
        assert counts[plan] / 4000 == pytest.approx(weight / total, abs=0.03)
    assert sample_plans(model, features[:0], 2, np.random.default_rng(0)).shape == (2, 0)


def test_the_plan_is_the_likeliest_sequence() -> None:
    for seed in range(5):
        model, features = random_model(3, seed), phrases(5, seed + 10)
        plans = every_plan(model, features)
        assert tuple(best_plan(model, features).tolist()) == max(plans, key=plans.__getitem__)


def test_transitions_keep_or_move_within_the_family() -> None:
    model = random_model(4, 2, families=[0, 0, 1, 1])  # two parts of 4/4, two of 3/4
    step = np.exp(log_transitions(model, phrases(3, 3, family=1)))
    np.testing.assert_allclose(step[1].sum(axis=1), 1)
    assert (step[1][:, :2] == 0).all()  # never to a 4/4 part in a waltz
    np.testing.assert_allclose(step[1][0, 2:], [0.5, 0.5])  # from 4/4: the waltz's parts by their shares
    waltz = part_probabilities(model, phrases(3, 3, family=1))
    assert (waltz[:, :2] == 0).all() and np.allclose(waltz.sum(axis=1), 1)


def test_a_part_kept_through_a_section_changes_at_its_edge() -> None:
    """The band says part 1 faintly everywhere; the drummer changes only where a section starts."""
    weights = np.zeros((F, 2))
    weights[START] = [-2.0, 2.0]
    change_weights = np.zeros(F)
    change_weights[START] = 12.0
    model = PartModel(FEATURE_NAMES, np.zeros(F), np.ones(F), weights, np.zeros(2), np.log([0.5, 0.5]),
                      change_weights, np.array([-6.0]), np.zeros(2, dtype=np.int64))
    features = phrases(6, 4) * 0
    features[:, FAMILIES[0]] = 1
    features[:, START] = [-1, -1, -1, 1, -1, -1]
    assert best_plan(model, features).tolist() == [0, 0, 0, 1, 1, 1]
    given = next_part(model, features, [-1, 0, 0, 0, 1, 1])
    assert given.argmax(axis=1).tolist() == [0, 0, 0, 1, 1, 1] and np.allclose(given.sum(axis=1), 1)


def test_the_parts_file_round_trips(corpus: list[LabelledPhrase], tmp_path: Path) -> None:  # noqa: F811
    vocabulary = build_vocabulary(corpus)[0]
    model = random_model(len(vocabulary), 5)
    save_parts(tmp_path / "parts.npz", vocabulary, model)
    vocabulary_again, model_again = load_parts(tmp_path / "parts.npz")
    features = phrases(6, 6)
    np.testing.assert_array_equal(part_probabilities(model, features), part_probabilities(model_again, features))
    assert [p.name for p in vocabulary_again.parts] == [p.name for p in vocabulary.parts]


def test_a_wrong_file_is_refused_with_what_to_do(tmp_path: Path) -> None:
    (tmp_path / "parts.npz").write_bytes(b"not a parts file")
    with pytest.raises(CheckpointError, match="part_study --write"):
        load_parts(tmp_path / "parts.npz")
    np.savez(tmp_path / "old.npz", model_meta=np.array('{"format_version": 0}'))
    with pytest.raises(CheckpointError, match="parts format 0"):
        load_parts(tmp_path / "old.npz")
    with pytest.raises(CheckpointError, match=f"reads {F} features"):
        part_probabilities(random_model(2, 0), np.zeros((3, F - 1)))


def test_the_shipped_parts_read_a_song_built_in_code() -> None:
    """models/parts.npz reads this code's features (retrain it when they change: studies.part_study --write)."""
    from seq2drum.config import DataConfig
    from seq2drum.midi.io import read_midi
    from seq2drum.parts.features import phrase_features
    from seq2drum.parts.labels import cut_phrases
    from seq2drum.song.bars import FeatureSpec, bar_song
    from seq2drum.song.encode import encode_song
    from tests.builders import rock_song_bytes

    vocabulary, model = load_parts(Path(__file__).resolve().parents[1] / "models" / "parts.npz")
    song = bar_song(encode_song(read_midi(rock_song_bytes(16)), DataConfig()), FeatureSpec.current(4))
    phrases = cut_phrases(song.sections, song.first_bar, song.n_bars)
    probabilities = part_probabilities(model, phrase_features(song, phrases))
    assert len(phrases) == 4 and np.allclose(probabilities.sum(axis=1), 1)
    families = {vocabulary.parts[i].family for i in np.flatnonzero(probabilities.sum(axis=0))}
    assert families == {"4/4"} and "eighths on the hat, backbeat" in [p.name for p in vocabulary.parts]


def _shipped_parts() -> dict[str, np.ndarray]:
    from seq2drum.shipped import DEFAULT_CHECKPOINT

    with np.load(DEFAULT_CHECKPOINT.parent / "parts.npz", allow_pickle=False) as archive:
        return {name: archive[name] for name in archive.files}


def _inflating_zip(path: Path, size_bytes: int) -> Path:
    """A small .npz whose one member inflates to `size_bytes` (a zip bomb, written a MiB at a time)."""
    import zipfile

    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        with archive.open("model_meta.npy", "w", force_zip64=True) as member:
            zeros = bytes(1 << 20)
            for _ in range(size_bytes >> 20):
                member.write(zeros)
    return path


@pytest.mark.parametrize("damage", ["truncated", "random-bytes", "inflates-past-the-limit", "weights-cut-to-one",
                                    "vocabulary-cut-to-one"])
def test_a_damaged_parts_file_is_one_error_naming_it_and_the_fix(tmp_path: Path, damage: str) -> None:
    """Issue 89 P6: a parts.npz cut short gave a zipfile.BadZipFile traceback, random bytes numpy's allow_pickle
    advice, a zip that inflates to GBs was loaded (3.2 GB, 56 s), arrays cut to one element were accepted. Each is
    one CheckpointError naming the file and what to do, before anything plans with it."""
    from seq2drum.parts.model import MAX_PARTS_BYTES

    path = tmp_path / "parts.npz"
    shipped = _shipped_parts()
    if damage == "truncated":
        np.savez(path, **shipped)
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    elif damage == "random-bytes":
        path.write_bytes(np.random.default_rng(0).bytes(4096))
    elif damage == "inflates-past-the-limit":
        _inflating_zip(path, MAX_PARTS_BYTES + (1 << 20))
    elif damage == "weights-cut-to-one":
        np.savez(path, **{**shipped, "model_weights": shipped["model_weights"].ravel()[:1]})
    else:
        np.savez(path, **{**shipped, "vocabulary_hits_per_bar": shipped["vocabulary_hits_per_bar"][:1]})
    with pytest.raises(CheckpointError) as caught:
        load_parts(path)
    message = str(caught.value)
    assert str(path) in message and "part_study --write" in message and "allow_pickle" not in message, message


def test_a_damaged_parts_file_beside_the_checkpoint_is_one_line_on_the_command_line(
        tiny_model_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 89 P6: the command line showed a zipfile.BadZipFile traceback for a parts.npz cut short."""
    import shutil

    from seq2drum.cli import main
    from tests.builders import rock_song_bytes

    checkpoint = tmp_path / "model" / "best.pt"
    checkpoint.parent.mkdir()
    shutil.copy(tiny_model_path, checkpoint)
    (checkpoint.parent / "parts.npz").write_bytes(b"PK\x03\x04" + bytes(100))
    song = tmp_path / "song.mid"
    song.write_bytes(rock_song_bytes(2))
    code = main.main(["--mode", "infer", str(song), "--checkpoint", str(checkpoint)])
    error = capsys.readouterr().err
    assert code == 2 and error.count("\n") == 1 and "parts.npz" in error, error


@pytest.mark.parametrize("mode", [["--mode", "infer"], ["--mode", "arrange", "--json"]], ids=["infer", "arrange-json"])
def test_q7_a_parts_file_of_nan_floats_is_one_line_naming_it_and_never_nan_in_json(
        tiny_model_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], mode: list[str]) -> None:
    """Issue 98 Q7: the shipped parts.npz with every float NaN, beside --checkpoint: --mode infer exited 1 ("cannot
    convert float NaN to integer", groove/kit.py) and --mode arrange --json printed bare NaN (not JSON). The loader
    refuses it: one line naming the file and the fix, exit 2, nothing on standard output."""
    import shutil

    from seq2drum.cli import main
    from tests.builders import rock_song_bytes

    checkpoint = tmp_path / "model" / "best.pt"
    checkpoint.parent.mkdir()
    shutil.copy(tiny_model_path, checkpoint)
    shipped = _shipped_parts()
    np.savez(checkpoint.parent / "parts.npz",
             **{name: np.full_like(a, np.nan) if a.dtype.kind == "f" else a for name, a in shipped.items()})
    song = tmp_path / "song.mid"
    song.write_bytes(rock_song_bytes(8))
    code = main.main([*mode, str(song), "--checkpoint", str(checkpoint)])
    captured = capsys.readouterr()
    assert code == 2 and captured.err.count("\n") == 1 and "NaN" not in captured.out, captured
    assert f"{checkpoint.parent / 'parts.npz'} is damaged: its " in captured.err
    assert "NaN or infinite values" in captured.err and "part_study --write" in captured.err
