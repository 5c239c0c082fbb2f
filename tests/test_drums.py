"""drums: the General MIDI percussion keys 35-81 folded into the 9 drum classes, and one GM key per class back."""

from __future__ import annotations

import numpy as np
import pytest

from seq2drum.midi.drums import (
    CLASS_TO_PITCH,
    CLOSED_HAT,
    CRASH,
    DRUM_CLASSES,
    HIGH_TOM,
    KICK,
    LOW_TOM,
    MID_TOM,
    NUM_DRUM_CLASSES,
    OPEN_HAT,
    PITCH_TO_CLASS,
    RIDE,
    SNARE,
    ARTICULATED_PITCH,
    PITCH_TO_ARTICULATION,
    WRITTEN_PITCHES,
    Articulation,
    class_to_pitch,
    pitch_to_class,
)

# Every GM level-1 percussion key, by its GM name, with the class magenta/note-seq's drum map folds it into.
# Written out here independently of drums.py, so a slip in the module's table shows up.
GM_PERCUSSION = {
    35: ("Acoustic Bass Drum", KICK),
    36: ("Bass Drum 1", KICK),
    37: ("Side Stick", SNARE),
    38: ("Acoustic Snare", SNARE),
    39: ("Hand Clap", SNARE),
    40: ("Electric Snare", SNARE),
    41: ("Low Floor Tom", LOW_TOM),
    42: ("Closed Hi-Hat", CLOSED_HAT),
    43: ("High Floor Tom", LOW_TOM),
    44: ("Pedal Hi-Hat", CLOSED_HAT),
    45: ("Low Tom", LOW_TOM),
    46: ("Open Hi-Hat", OPEN_HAT),
    47: ("Low-Mid Tom", MID_TOM),
    48: ("Hi-Mid Tom", MID_TOM),
    49: ("Crash Cymbal 1", CRASH),
    50: ("High Tom", HIGH_TOM),
    51: ("Ride Cymbal 1", RIDE),
    52: ("Chinese Cymbal", CRASH),
    53: ("Ride Bell", RIDE),
    54: ("Tambourine", CLOSED_HAT),
    55: ("Splash Cymbal", CRASH),
    56: ("Cowbell", SNARE),
    57: ("Crash Cymbal 2", CRASH),
    58: ("Vibraslap", CRASH),
    59: ("Ride Cymbal 2", RIDE),
    60: ("Hi Bongo", MID_TOM),
    61: ("Low Bongo", LOW_TOM),
    62: ("Mute Hi Conga", HIGH_TOM),
    63: ("Open Hi Conga", MID_TOM),
    64: ("Low Conga", LOW_TOM),
    65: ("High Timbale", SNARE),
    66: ("Low Timbale", SNARE),
    67: ("High Agogo", OPEN_HAT),
    68: ("Low Agogo", CLOSED_HAT),
    69: ("Cabasa", CLOSED_HAT),
    70: ("Maracas", CLOSED_HAT),
    71: ("Short Whistle", CLOSED_HAT),
    72: ("Long Whistle", OPEN_HAT),
    73: ("Short Guiro", CLOSED_HAT),
    74: ("Long Guiro", OPEN_HAT),
    75: ("Claves", SNARE),
    76: ("Hi Wood Block", HIGH_TOM),
    77: ("Low Wood Block", MID_TOM),
    78: ("Mute Cuica", CLOSED_HAT),
    79: ("Open Cuica", OPEN_HAT),
    80: ("Mute Triangle", CLOSED_HAT),
    81: ("Open Triangle", OPEN_HAT),
}


def test_the_table_above_covers_every_gm_percussion_key() -> None:
    """GM level 1 defines keys 35-81; the expected table must hold each one (guards the test itself)."""
    assert sorted(GM_PERCUSSION) == list(range(35, 82))


@pytest.mark.parametrize(
    "pitch, drum_class",
    [(pitch, drum_class) for pitch, (_, drum_class) in GM_PERCUSSION.items()],
    ids=[f"{pitch}-{name.replace(' ', '-')}" for pitch, (name, _) in GM_PERCUSSION.items()],
)
def test_every_gm_percussion_key_maps_to_its_drum_class(pitch: int, drum_class: int) -> None:
    """A GM key folded into the wrong class teaches the model (and writes back) the wrong drum."""
    assert pitch_to_class(pitch) == drum_class
    assert PITCH_TO_CLASS[pitch] == drum_class


@pytest.mark.parametrize(
    "drum_class, pitch",
    [
        (KICK, 36),
        (SNARE, 38),
        (CLOSED_HAT, 42),
        (OPEN_HAT, 46),
        (LOW_TOM, 45),
        (MID_TOM, 47),
        (HIGH_TOM, 50),
        (CRASH, 49),
        (RIDE, 51),
    ],
    ids=list(DRUM_CLASSES),
)
def test_each_class_is_written_back_as_one_gm_key_of_that_class(drum_class: int, pitch: int) -> None:
    """Generated drums use the standard GM key of each class (Bass Drum 1, Acoustic Snare, ...), and reading that
    key back gives the same class, so a generated file round-trips."""
    assert CLASS_TO_PITCH[drum_class] == class_to_pitch(drum_class) == pitch
    assert pitch_to_class(pitch) == drum_class


def test_class_table_has_nine_classes_in_magenta_order() -> None:
    """Nine classes in note-seq's order; the named indices agree with the names (checkpoints depend on it)."""
    assert DRUM_CLASSES == tuple("kick snare closed_hat open_hat low_tom mid_tom high_tom crash ride".split())
    assert NUM_DRUM_CLASSES == 9 == len(CLASS_TO_PITCH)
    assert [KICK, SNARE, CLOSED_HAT, OPEN_HAT, LOW_TOM, MID_TOM, HIGH_TOM, CRASH, RIDE] == list(range(9))


@pytest.mark.parametrize("pitch", [0, 12, 21, 23, 88, 100, 127], ids=lambda p: f"key{p}")
def test_keys_outside_the_drum_map_are_not_drums(pitch: int) -> None:
    """Keys no class covers give -1 (dropped), never a made-up class."""
    assert pitch_to_class(pitch) == -1


@pytest.mark.parametrize("pitch", [-1, 128, 1000], ids=lambda p: f"pitch{p}")
def test_pitch_outside_midi_range_raises_value_error(pitch: int) -> None:
    """A pitch outside 0-127 is a caller bug; it must not index the table from the end (pitch -1 -> key 127)."""
    with pytest.raises(ValueError, match="0-127"):
        pitch_to_class(pitch)


def test_pitch_to_class_table_is_a_128_entry_integer_array() -> None:
    """drums_to_grid indexes PITCH_TO_CLASS with a whole pitch column at once: it needs 128 int entries."""
    assert PITCH_TO_CLASS.shape == (128,) and PITCH_TO_CLASS.dtype.kind == "i"
    assert set(np.unique(PITCH_TO_CLASS).tolist()) == {-1, *range(NUM_DRUM_CLASSES)}


def test_each_articulation_writes_its_gm_key_on_its_own_class_only() -> None:
    """The hi-hat foot is GM 44 (Pedal Hi-Hat) on the closed hat, the cross-stick GM 37 (Side Stick) on the snare; on
    any other class an articulation writes the class's own pitch, and both keys read back as their articulation."""
    assert ARTICULATED_PITCH[Articulation.PLAIN].tolist() == list(CLASS_TO_PITCH)
    assert ARTICULATED_PITCH[Articulation.PEDAL_HAT, CLOSED_HAT] == 44 == WRITTEN_PITCHES[9]
    assert ARTICULATED_PITCH[Articulation.CROSS_STICK, SNARE] == 37 == WRITTEN_PITCHES[10]
    changed = np.argwhere(ARTICULATED_PITCH != ARTICULATED_PITCH[Articulation.PLAIN][None])
    assert changed.tolist() == [[Articulation.PEDAL_HAT, CLOSED_HAT], [Articulation.CROSS_STICK, SNARE]]
    assert PITCH_TO_CLASS[44] == CLOSED_HAT and PITCH_TO_CLASS[37] == SNARE
    assert PITCH_TO_ARTICULATION[[44, 37, 42, 38]].tolist() == [Articulation.PEDAL_HAT, Articulation.CROSS_STICK, 0, 0]
