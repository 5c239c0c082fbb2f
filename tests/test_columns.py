"""The column table: names and slices defined once, the FeatureSpec derived from it unchanged (the shipped model still
loads), and transposition moving exactly the pitch columns, found by name."""

from __future__ import annotations

import numpy as np
import pytest

from seq2drum.errors import CheckpointError
from seq2drum.model.checkpoint import DEFAULT_CHECKPOINT, load_checkpoint
from seq2drum.song.columns import BAR, GUITAR, SONG, STEP, ColumnTable, FeatureSpec, many, one, transpose

PITCH_COLUMNS = {  # what a transposition may change, by name
    *(f"onset_chroma_{i}" for i in range(12)), *(f"sounding_chroma_{i}" for i in range(12)), "lowest_pitch",
    "highest_pitch", *(f"song_pitch_class_{i}" for i in range(12)),
}


def test_the_spec_is_the_one_the_shipped_model_was_trained_on() -> None:
    """If this fails, a column was renamed, moved or inserted: models/default.pt no longer loads (retrain, bump
    FEATURE_VERSION, or put the table back)."""
    payload = load_checkpoint(DEFAULT_CHECKPOINT)
    assert FeatureSpec.from_dict(payload["feature_spec"]) == FeatureSpec.current(4)
    assert (len(GUITAR), len(STEP), len(SONG), len(BAR)) == (37, 42, 33, 66)


def test_entries_are_indices_or_slices_at_their_names() -> None:
    """Encoding writes through these attributes; a wrong offset writes a value under another column's name."""
    for table in (GUITAR, STEP, SONG, BAR):
        for key, where in table._entries.items():
            names = table.names[where] if isinstance(where, slice) else (table.names[where],)
            assert names[0].startswith(key) or key in ("bar_cues", "metrical_level", "section", "guitar", "song")
    assert STEP.names[STEP.guitar] == GUITAR.names
    assert BAR.names[BAR.song] == tuple(f"song_{name}" for name in SONG.names)
    assert BAR.names[BAR.song_pitch_class] == tuple(f"song_pitch_class_{i}" for i in range(12))
    assert isinstance(GUITAR.lowest_pitch, int) and isinstance(GUITAR.onset_chroma, slice)


def test_a_table_refuses_a_name_twice() -> None:
    """A name written twice would give two writers one column."""
    with pytest.raises(ValueError, match="entry 'a' is defined twice"):
        ColumnTable(one("a"), many("a", [0]))
    with pytest.raises(ValueError, match="named twice"):
        ColumnTable(many("a", [0]), ("x", ColumnTable(one("a_0")), ""))
    with pytest.raises(AttributeError):
        _ = GUITAR.no_such_column


def _changed_columns(step: ColumnTable, bar: ColumnTable, shift: int) -> set[str]:
    rng = np.random.default_rng(0)
    step_features = rng.random((3, 32, len(step)), dtype=np.float32)
    bar_features = rng.random((3, len(bar)), dtype=np.float32)
    moved_step, moved_bar = transpose(step_features, bar_features, shift, step=step, bar=bar)
    assert moved_step is not step_features and moved_bar is not bar_features  # copies: the song stays as it was
    changed = {step.names[c] for c in range(len(step)) if not np.array_equal(moved_step[..., c], step_features[..., c])}
    same_bar = [np.array_equal(moved_bar[..., c], bar_features[..., c]) for c in range(len(bar))]
    return changed | {name for name, same in zip(bar.names, same_bar) if not same}


@pytest.mark.parametrize("shift", [-5, 1, 6])
def test_transposition_moves_exactly_the_pitch_columns(shift: int) -> None:
    """If this fails, training transposes the wrong columns (e.g. loudness as if it were pitch)."""
    assert _changed_columns(STEP, BAR, shift) == PITCH_COLUMNS


def test_transposition_rotates_chroma_and_moves_register_where_the_guitar_strikes() -> None:
    step_features = np.zeros((1, 4, len(STEP)), dtype=np.float32)
    step_features[0, 1, STEP.onset_chroma.start + 4] = 1  # an E at step 1
    step_features[0, 1, STEP.has_onset] = 1
    step_features[0, 1, STEP.lowest_pitch] = 0.5
    step_features[0, 2, STEP.lowest_pitch] = 0.5  # no onset there: transposition writes 0, as encoding does
    bar_features = np.zeros((1, len(BAR)), dtype=np.float32)
    bar_features[0, BAR.index("song_pitch_class_11")] = 1
    moved, moved_bar = transpose(step_features, bar_features, 3)
    assert moved[0, 1, STEP.index("onset_chroma_7")] == 1 and moved[0, 1, STEP.onset_chroma].sum() == 1
    assert moved[0, 1, STEP.lowest_pitch] == pytest.approx(0.5 + 3 / 24) and moved[0, 2, STEP.lowest_pitch] == 0
    assert moved_bar[0, BAR.index("song_pitch_class_2")] == 1


def test_an_inserted_column_moves_transposition_with_it_and_changes_the_spec() -> None:
    """A column inserted before the pitch columns shifts every number; transposition still finds the pitch columns by
    name, and a checkpoint trained without the column is refused rather than read shifted."""
    step = ColumnTable(one("inserted"), ("all", STEP, ""))
    bar = ColumnTable(one("inserted_bar"), ("all", BAR, ""))
    assert step.lowest_pitch == STEP.lowest_pitch + 1
    assert _changed_columns(step, bar, 2) == PITCH_COLUMNS
    widened = FeatureSpec(1, step.names, bar.names, 32)
    with pytest.raises(CheckpointError, match="missing \\['inserted'"):
        widened.check_matches(FeatureSpec.current(4), "checkpoint x.pt")
