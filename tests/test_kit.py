"""Drum maps: the notes a drum plug-in expects instead of General MIDI, and errors that name the key at fault."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from seq2drum.options import GenerationOptions
from seq2drum.midi.drums import CLASS_TO_PITCH, DRUM_CLASSES, PITCH_TO_CLASS
from seq2drum.errors import ConfigError
from seq2drum.generation.generator import DrumGenerator
from seq2drum.midi.kit import GM_NOTES, KIT_KEYS, KitMap, KitMapError, read_kit_map
from seq2drum.midi.io import read_midi
from tests.builders import rock_song_bytes

# An EZdrummer-like map: every class somewhere else, two hats on one note.
PLUGIN_MAP = {"kick": 24, "snare": 26, "closed_hat": 54, "open_hat": 54, "low_tom": 41, "mid_tom": 43,
              "high_tom": 45, "crash": 55, "ride": 60, "side_stick": 25}


@pytest.fixture(scope="module")
def generator(tiny_model_path: Path) -> DrumGenerator:
    return DrumGenerator.from_checkpoint(tiny_model_path)


def test_gm_is_the_default_and_matches_the_drum_table() -> None:
    """The classes' GM notes, the count-in's side stick, then the pedal hat (44) and the cross-stick (37)."""
    assert KitMap.gm().notes == GM_NOTES == (*CLASS_TO_PITCH, 37, 44, 37)
    assert KitMap.gm().is_gm and KIT_KEYS[:9] == DRUM_CLASSES
    assert KIT_KEYS[9:] == ("side_stick", "pedal_hat", "cross_stick")


def test_json_round_trip_and_partial_maps_keep_gm_for_the_rest() -> None:
    """A map survives to_json/from_json; classes it leaves out keep their GM note."""
    kit = KitMap.from_mapping(PLUGIN_MAP)
    assert KitMap.from_json(kit.to_json()) == kit
    partial = KitMap.from_json('{"snare": 40}')
    assert partial.to_dict()["snare"] == 40 and partial.to_dict()["kick"] == 36 and not partial.is_gm


@pytest.mark.parametrize(
    "text, expected",
    [
        ('{"kick": 36,}', "not valid JSON: .* line 1 column 13"),
        ("[36, 38]", "must be a JSON object .* got a JSON array"),
        ("null", "must be a JSON object .* got null$"),
        ('"kick"', "must be a JSON object .* got a JSON string$"),
        ("36", "must be a JSON object .* got a JSON number$"),
        ("false", "must be a JSON object .* got JSON false$"),
        ('{"kik": 36}', "unknown drum class 'kik' \\(did you mean 'kick'\\?\\); the classes are kick, snare"),
        ('{"snare": 128}', "'snare' must be a MIDI note number 0-127, got 128"),
        ('{"ride": -1}', "'ride' must be a MIDI note number 0-127, got -1"),
        ('{"crash": "49"}', "'crash' must be a MIDI note number 0-127, got \"49\""),
        ('{"crash": 49.5}', "'crash' must be a MIDI note number 0-127, got 49.5"),
        ('{"kick": true}', "'kick' must be a MIDI note number 0-127, got true"),
    ],
    ids=["bad-json", "not-object", "null", "string", "number", "false", "unknown-class", "note-128", "note-negative",
         "note-string", "note-float", "note-bool"],
)
def test_bad_maps_are_one_line_naming_the_key(text: str, expected: str) -> None:
    """What is wrong in JSON's words (issue 89, low: "got a JSON NoneType" for null, a list for an array)."""
    with pytest.raises(KitMapError, match=expected) as caught:
        KitMap.from_json(text, "kit map k.json")
    assert "\n" not in str(caught.value) and str(caught.value).startswith("kit map k.json")
    with pytest.raises(ConfigError):  # the same check guards the options the server and the API take
        GenerationOptions(kit_map=text)


def test_apply_moves_each_class_and_keeps_the_louder_of_two_on_one_note() -> None:
    notes = np.array([[0, 60, 36, 100], [0, 60, 42, 70], [0, 60, 46, 90], [480, 540, 38, 110]])
    sticks = np.array([[480, 540, 37, 80]])
    out = KitMap.from_mapping(PLUGIN_MAP).apply(notes, sticks)
    assert out.tolist() == [[0, 60, 24, 100], [0, 60, 54, 90], [480, 540, 25, 80], [480, 540, 26, 110]]
    assert KitMap.gm().apply(notes) is notes
    assert KitMap.gm().apply(notes, sticks).tolist() == [*notes.tolist(), *sticks.tolist()]


def test_the_pedal_hat_and_the_cross_stick_move_by_their_own_keys() -> None:
    """Issue 70 item 5: the hi-hat foot (GM 44) and the cross-stick (GM 37) have keys of their own, apart from the
    closed hat, the snare and the count-in's sticks (GM 37 too); a map that leaves them out keeps them on GM."""
    drums = np.array([[0, 60, 42, 90], [0, 60, 37, 70], [480, 540, 44, 64], [480, 540, 38, 100]])
    sticks = np.array([[-960, -900, 37, 100]])
    moved = KitMap.from_mapping({"pedal_hat": 21, "cross_stick": 75, "side_stick": 33}).apply(drums, sticks)
    assert moved.tolist() == [[-960, -900, 33, 100], [0, 60, 42, 90], [0, 60, 75, 70], [480, 540, 21, 64],
                              [480, 540, 38, 100]]
    classes_only = KitMap.from_mapping({"closed_hat": 22, "snare": 40, "side_stick": 33}).apply(drums, sticks)
    assert sorted(classes_only[:, 2].tolist()) == [22, 33, 37, 40, 44]


def test_generated_drums_round_trip_through_a_plugin_map(generator: DrumGenerator) -> None:
    """The same seed with a map and without it gives the same hits, each on its class's note in the map."""
    song = rock_song_bytes(8)
    options = GenerationOptions(seed=5, temperature=1.0, count_in_bars=1, merge=True)
    gm = read_midi(generator.generate(song, options).midi_bytes).drum_parts[0].notes
    mapped = read_midi(generator.generate(song, options.replace(kit_map=KitMap.from_mapping(
        {k: v for k, v in PLUGIN_MAP.items() if k != "open_hat"}).to_json())).midi_bytes).drum_parts[0].notes
    back = {note: key for key, note in PLUGIN_MAP.items() if key != "open_hat"}
    assert set(mapped[:, 2].tolist()) <= set(back)
    as_classes = sorted((int(start), back[int(pitch)]) for start, pitch in mapped[:, [0, 2]])
    back.update({44: "closed_hat"})  # the hi-hat foot, where the map leaves it on GM
    expected = sorted((int(start), "side_stick" if pitch == 37 else DRUM_CLASSES[PITCH_TO_CLASS[pitch]])
                      for start, pitch in gm[:, [0, 2]])
    assert as_classes == expected and any(key == "side_stick" for _, key in as_classes)


def test_read_kit_map_names_the_file(tmp_path: Path) -> None:
    assert read_kit_map("gm") is None and read_kit_map("GM") is None
    good = tmp_path / "kit.json"
    good.write_text('{"snare": 40}')
    assert read_kit_map(str(good)) == '{"snare": 40}'
    bad = tmp_path / "bad.json"
    bad.write_text('{"hihat": 42}')
    with pytest.raises(KitMapError, match=f"kit map {bad}: unknown drum class 'hihat'"):
        read_kit_map(str(bad))
    with pytest.raises(KitMapError, match="not found; name a JSON file"):
        read_kit_map(str(tmp_path / "missing.json"))
    with pytest.raises(KitMapError, match="is a folder"):
        read_kit_map(str(tmp_path))


@pytest.mark.parametrize("text", ["[" * 100_000, "[" * 5_000, '{"kick": ' + "9" * 5000 + "}",
                                  '{"kick": ' + "9" * 300 + "}", '{"' + "x" * 7000 + '": 36}'],
                         ids=["100k-brackets", "5k-brackets", "5000-digits", "300-digits", "7000-char-key"])
def test_hostile_maps_are_a_kit_map_error(text: str) -> None:
    """Issue 22, 1c: deep nesting (RecursionError) and a 5,000-digit note (ValueError) escaped `from_json`, which
    caught only JSONDecodeError; a huge key ran difflib for seconds. Each is now a short KitMapError."""
    with pytest.raises(KitMapError) as raised:
        KitMap.from_json(text)
    assert "\n" not in str(raised.value) and len(str(raised.value)) < 300
