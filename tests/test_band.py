"""The band's columns: what the bass, keys, melody and other parts play at each step and which roles play, enter and
leave in each bar. If these break, a model that listens to the band hears the bass's notes in the wrong steps (its
kicks land off the bass) or a role entering where none did."""

from __future__ import annotations

import numpy as np
import pytest

from seq2drum.config import DataConfig, TrainConfig
from seq2drum.midi.io import read_midi
from seq2drum.midi.write import TrackSpec
from seq2drum.song.band import band_features
from seq2drum.song.bars import FeatureSpec, bar_song
from seq2drum.song.columns import BAND, BAR, ROLE_BARS, STEP
from seq2drum.song.encode import encode_song
from tests.builders import notes_from_steps, riff, song_bytes

BASS_STEPS = [0, 6, 10, 16 + 0, 16 + 3, 16 + 8, 32 + 0, 32 + 12]  # 3 bars of 16ths; keys enter in bar 2


def band_song(with_band: bool = True) -> bytes:
    guitar = notes_from_steps(riff(4), length_steps=2)
    extra = [TrackSpec("Bass", 1, notes_from_steps([(s, 28 + (s % 3)) for s in BASS_STEPS], length_steps=2), 33),
             TrackSpec("Organ", 2, notes_from_steps([(16, 52), (16, 55), (32, 52)], length_steps=16), 16)]
    return song_bytes(guitar, extra=extra if with_band else [])


def test_bass_onsets_lowest_pitch_and_sounding_land_on_their_steps() -> None:
    encoded = encode_song(read_midi(band_song()), DataConfig(), with_drums=False)
    band = encoded.band_features()
    onsets = np.flatnonzero(band[:, BAND.bass_onsets])
    assert onsets.tolist() == BASS_STEPS
    assert band[0, BAND.bass_lowest_pitch] == (28 - 40) / 24 and band[1, BAND.bass_lowest_pitch] == 0
    assert band[1, BAND.bass_sounding] == 1 and band[2, BAND.bass_sounding] == 0  # two 16ths long
    assert band[16, BAND.keys_onsets] == 0.5  # two notes struck together: a quarter each
    assert band[16:48, BAND.keys_sounding].all() and not band[:16, BAND.keys_sounding].any()
    assert not band[:, BAND.melody_onsets].any()


def test_each_roles_columns_are_its_own_notes_alone() -> None:
    """band_features counts every role's notes in one pass: each role's columns must be what its notes alone give,
    and the other roles' zero. Breaks if one role's notes leaked into another's row."""
    song = read_midi(band_song())
    encoded = encode_song(song, DataConfig(), with_drums=False)
    roles = {"bass": [part for part in song.parts if part.name == "Bass"],
             "keys": [part for part in song.parts if part.name == "Organ"]}
    together = band_features(roles, encoded.grid)
    for role in ("bass", "keys"):
        alone = band_features({role: roles[role]}, encoded.grid)
        columns = [BAND.index(f"{role}_{cue}") for cue in ("onsets", "sounding", "lowest_pitch")]
        assert alone[:, columns].any() and np.array_equal(alone[:, columns], together[:, columns]), role
        assert not np.delete(alone, columns, axis=1).any(), role


def test_roles_play_enter_and_leave_by_bar() -> None:
    """Keys enter in bar 2 (index 1); the bass leaves in bar 4; the guitar plays throughout."""
    spec = FeatureSpec.current(4)
    bars = bar_song(encode_song(read_midi(band_song()), DataConfig(), with_drums=False), spec)
    column = {name: bars.bar_features[:, BAR.index(f"band_{name}")] for name in ROLE_BARS.names}
    assert column["keys_enters"].tolist() == [0, 1, 0, 0] and column["keys_plays"].tolist() == [0, 1, 1, 0]
    assert column["keys_leaves"].tolist() == [0, 0, 0, 1]
    assert column["bass_plays"].tolist() == [1, 1, 1, 0] and column["bass_leaves"].tolist() == [0, 0, 0, 1]
    assert column["guitar_plays"].tolist() == [1, 1, 1, 1] and column["guitar_enters"].tolist() == [1, 0, 0, 0]
    assert bars.step_features.shape[-1] == len(STEP)


def test_the_bars_a_bass_sounds_in_count_its_held_notes_and_a_song_without_one_has_none() -> None:
    """The rest decision hears where the bass is silent: a note held over the bar line sounds in the next bar (no
    onset there), a bar with no note struck or held is silent; with no bass at all there is nothing to rest with."""
    spec = FeatureSpec.current(4)
    bass = np.vstack([notes_from_steps([(0, 28)], length_steps=24), notes_from_steps([(48, 31)])])
    held = [TrackSpec("Bass", 1, bass, 33)]
    bars = bar_song(encode_song(read_midi(song_bytes(notes_from_steps(riff(4), length_steps=2), extra=held)),
                                DataConfig(), with_drums=False), spec)
    assert bars.bass_sounds.tolist() == [True, True, False, True]
    assert not bars.bass_onsets[1].any()  # bar 2 only holds the note struck in bar 1
    alone = bar_song(encode_song(read_midi(band_song(with_band=False)), DataConfig(), with_drums=False), spec)
    assert alone.bass_sounds is None


def test_a_guitar_only_song_and_a_song_read_for_its_guitar_give_silent_band_columns() -> None:
    """Generation reads the guitar alone (the other parts unread) until a model listens to the band: the band's
    columns are then zero, as for a file holding the guitar only."""
    read_for_guitar = encode_song(read_midi(band_song(), only_guitar=True), DataConfig(), with_drums=False)
    guitar_only = encode_song(read_midi(band_song(with_band=False)), DataConfig(), with_drums=False)
    assert not read_for_guitar.band_features().any() and not guitar_only.band_features().any()


def test_a_model_trained_on_fewer_columns_reads_its_own_columns_by_name() -> None:
    """The shipped model's spec is the columns before the band's: bar_song gives it exactly those, unchanged."""
    current = FeatureSpec.current(4)
    older = FeatureSpec(current.version, current.step_columns[:42], current.bar_columns[:66], current.max_bar_steps)
    encoded = encode_song(read_midi(band_song()), DataConfig(), with_drums=False)
    full, narrow = bar_song(encoded, current), bar_song(encoded, older)
    np.testing.assert_array_equal(narrow.step_features, full.step_features[..., :42])
    np.testing.assert_array_equal(narrow.bar_features, full.bar_features[..., :66])
    reordered = FeatureSpec(current.version, current.step_columns[::-1], current.bar_columns, current.max_bar_steps)
    np.testing.assert_array_equal(bar_song(encoded, reordered).step_features, full.step_features[..., ::-1])


def test_dropping_a_role_is_as_if_its_part_were_not_in_the_song() -> None:
    """Role dropout in training must show the model exactly what a song without that part looks like; otherwise the
    model learns from inputs generation never gives it."""
    from seq2drum.song.columns import drop_roles

    spec = FeatureSpec.current(4)
    with_band = bar_song(encode_song(read_midi(band_song()), DataConfig(), with_drums=False), spec)
    no_keys = TrackSpec("Bass", 1, notes_from_steps([(s, 28 + (s % 3)) for s in BASS_STEPS], length_steps=2), 33)
    without_keys = bar_song(encode_song(read_midi(song_bytes(notes_from_steps(riff(4), length_steps=2),
                                                             extra=[no_keys])), DataConfig(), with_drums=False), spec)
    step, bar = drop_roles(with_band.step_features, with_band.bar_features, ["keys"])
    np.testing.assert_array_equal(step, without_keys.step_features)
    np.testing.assert_array_equal(bar, without_keys.bar_features)
    assert with_band.step_features[..., STEP.index("keys_onsets")].any()  # the copy, not the input, was changed


def test_the_guitar_is_never_dropped() -> None:
    from seq2drum.song.columns import drop_roles

    with pytest.raises(ValueError, match="never dropped"):
        drop_roles(np.zeros((1, 1, len(STEP))), np.zeros((1, len(BAR))), ["guitar"])


def test_training_items_drop_roles_at_random_and_keep_the_rest() -> None:
    """With role_dropout 1 every band role is gone from every item, with 0 none is; guitar columns never change."""
    import torch

    from seq2drum.training.batches import BarDataset
    from tests.builders import backbeat, tiny_codebook

    data = song_bytes(notes_from_steps(riff(4), length_steps=2), notes_from_steps(backbeat(4)),
                      extra=[TrackSpec("Bass", 1, notes_from_steps([(s, 28) for s in BASS_STEPS]), 33)])
    song = bar_song(encode_song(read_midi(data), DataConfig()), FeatureSpec.current(4))
    torch.manual_seed(0)
    dropped = BarDataset([song], tiny_codebook(), role_dropout=1.0)[0]
    kept = BarDataset([song], tiny_codebook(), role_dropout=0.0)[0]
    assert not dropped["step_features"][..., STEP.band].any() and kept["step_features"][..., STEP.band].any()
    np.testing.assert_array_equal(dropped["step_features"][..., STEP.guitar], kept["step_features"][..., STEP.guitar])
    assert not dropped["bar_features"][..., BAR.index("band_bass_plays")].any()
    assert dropped["bar_features"][..., BAR.index("band_guitar_plays")].all()


def test_the_guitar_alone_share_of_training_items_is_a_setting() -> None:
    """With each role dropped almost never, guitar_alone_share 1 still leaves every band role out of every item and
    0 leaves them in (TrainConfig.guitar_alone_share reaches the items through training's BarDataset)."""
    import torch

    from seq2drum.training.batches import BarDataset
    from tests.builders import backbeat, tiny_codebook

    data = song_bytes(notes_from_steps(riff(4), length_steps=2), notes_from_steps(backbeat(4)),
                      extra=[TrackSpec("Bass", 1, notes_from_steps([(s, 28) for s in BASS_STEPS]), 33)])
    song = bar_song(encode_song(read_midi(data), DataConfig()), FeatureSpec.current(4))
    torch.manual_seed(0)
    for _ in range(4):
        alone = BarDataset([song], tiny_codebook(), role_dropout=1e-9, guitar_alone_share=1.0)[0]
        heard = BarDataset([song], tiny_codebook(), role_dropout=1e-9, guitar_alone_share=0.0)[0]
        assert not alone["step_features"][..., STEP.band].any() and heard["step_features"][..., STEP.band].any()
    with pytest.raises(ValueError, match="guitar_alone_share"):
        TrainConfig(guitar_alone_share=1.5)
