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
    *(f"{role}_lowest_pitch" for role in ("bass", "keys", "melody", "other")),  # the band moves with the guitar
}


def test_the_shipped_model_reads_its_own_columns_from_this_table() -> None:
    """If this fails, a column the shipped model reads was renamed or removed: models/default.pt no longer loads
    (retrain, bump FEATURE_VERSION, or put the table back). New columns (the band's) come after the ones it reads,
    so its columns keep their places and it reads them by name."""
    shipped = FeatureSpec.from_dict(load_checkpoint(DEFAULT_CHECKPOINT)["feature_spec"])
    current = FeatureSpec.current(4)
    current.check_readable(shipped, "models/default.pt")
    assert current.step_columns[: shipped.n_step] == shipped.step_columns
    assert current.bar_columns[: shipped.n_bar] == shipped.bar_columns
    assert (len(GUITAR), len(STEP), len(SONG), len(BAR)) == (37, 54, 33, 86)
    assert (shipped.n_step, shipped.n_bar) == (54, 86)  # the shipped model hears the band (issue 21)


def test_entries_are_indices_or_slices_at_their_names() -> None:
    """Encoding writes through these attributes; a wrong offset writes a value under another column's name."""
    for table in (GUITAR, STEP, SONG, BAR):
        for key, where in table._entries.items():
            names = table.names[where] if isinstance(where, slice) else (table.names[where],)
            wholes = ("bar_cues", "metrical_level", "section", "guitar", "song", "band", "roles")
            assert names[0].startswith(key) or key in wholes
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
    name; a checkpoint trained without the column reads its own columns by name, and one trained on a column this
    code does not make is refused rather than fed something else."""
    step = ColumnTable(one("inserted"), ("all", STEP, ""))
    bar = ColumnTable(one("inserted_bar"), ("all", BAR, ""))
    assert step.lowest_pitch == STEP.lowest_pitch + 1
    assert _changed_columns(step, bar, 2) == PITCH_COLUMNS
    widened = FeatureSpec(1, step.names, bar.names, 32)
    widened.check_readable(FeatureSpec.current(4), "checkpoint x.pt")  # the older, narrower model: readable
    with pytest.raises(CheckpointError, match="does not make \\(\\['inserted'"):
        FeatureSpec.current(4).check_readable(widened, "checkpoint x.pt")
