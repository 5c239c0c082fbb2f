"""The kit maps that ship with seq2drum (seq2drum/midi/kit_presets.py, kit_maps/*.json): each is a kit map like a
user's file, names every drum, says where its notes come from and what each plays; their notes are pinned to the
plug-ins' published default maps; main.py takes them by name."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from seq2drum.cli import main as cli
from seq2drum.midi.io import read_midi
from seq2drum.midi.kit import GM_NOTES, KIT_KEYS, KitMap, KitMapError, read_kit_map
from seq2drum.midi.kit_presets import ABOUT_KEYS, PRESET_FOLDER, preset, preset_keys, presets
from tests.builders import rock_song_bytes

# The notes each plug-in's default map plays each drum on (the files' `source` says where they come from): a change
# here is a change of what a musician's plug-in plays, so it is pinned.
ADDICTIVE_DRUMS_2 = {"kick": 36, "snare": 38, "closed_hat": 49, "open_hat": 56, "low_tom": 65, "mid_tom": 69,
                     "high_tom": 71, "crash": 77, "ride": 60, "pedal_hat": 48, "cross_stick": 42, "side_stick": 75}
TOONTRACK = {"kick": 36, "snare": 38, "closed_hat": 42, "open_hat": 26, "low_tom": 43, "mid_tom": 47, "high_tom": 48,
             "crash": 49, "ride": 51, "pedal_hat": 44, "cross_stick": 37, "side_stick": 37}


def test_three_maps_ship_general_midi_first() -> None:
    assert [found.key for found in presets()] == ["gm", "addictive-drums-2", "toontrack"]
    assert preset_keys() == "gm, addictive-drums-2, toontrack"
    assert preset(" Addictive-Drums-2 ") is preset("addictive-drums-2") and preset("ad2") is None


@pytest.mark.parametrize("key", ["gm", "addictive-drums-2", "toontrack"])
def test_each_map_names_every_drum_its_source_and_what_each_note_plays(key: str) -> None:
    """A preset is a kit map file like a user's (KitMap reads it, its about keys move no note), with a note for every
    drum, a source to check them against and the plug-in's name for each."""
    shipped = preset(key)
    assert shipped is not None
    about = json.loads((PRESET_FOLDER / f"{key}.json").read_text())
    assert set(about) == {*KIT_KEYS, *ABOUT_KEYS}
    assert set(shipped.notes()) == set(KIT_KEYS) == set(shipped.plays())
    assert KitMap.from_json(shipped.text).to_dict() == shipped.notes()
    assert len(shipped.source) > 100 and shipped.name
    # no two drums on one note, every drum heard; but the cross-stick may be the count-in sticks' note (GM 37 is both)
    apart = {key: note for key, note in shipped.notes().items() if key != "cross_stick"}
    assert len(set(apart.values())) == len(KIT_KEYS) - 1


def test_the_notes_are_the_plug_ins_default_maps() -> None:
    """General MIDI is what seq2drum writes without a map; Addictive Drums 2 and Toontrack's (Superior Drummer 3,
    EZdrummer) are their vendors' default maps, as the files' sources give them."""
    assert tuple(preset("gm").notes()[key] for key in KIT_KEYS) == GM_NOTES
    assert preset("addictive-drums-2").notes() == ADDICTIVE_DRUMS_2
    assert preset("toontrack").notes() == TOONTRACK
    assert "AD2-Map-for-StudioOne" in preset("addictive-drums-2").source  # the transcriptions checked against
    assert "Drum-MIDI-Converter" in preset("toontrack").source


def test_about_keys_are_words_and_never_notes() -> None:
    assert KitMap.from_json('{"name": "my kit", "source": "my ears", "plays": {"kick": "Kick"}, "kick": 35}') \
        == KitMap.from_mapping({"kick": 35})
    for text, said in [('{"name": 3}', "'name' describes the map in words"),
                       ('{"plays": {"hihat": "Hat"}}', "'plays' must be an object from drum class"),
                       ('{"plays": "Kick"}', "'plays' must be an object from drum class")]:
        with pytest.raises(KitMapError, match=said):
            KitMap.from_json(text)


def test_to_gm_undoes_a_map_so_the_studio_draws_and_plays_the_drums_as_they_are() -> None:
    """A take written for Addictive Drums 2 holds its closed hats on 49, GM's crash: drawn or played through a GM
    SoundFont without undoing the map they would be crashes."""
    kit = KitMap.from_json(preset("addictive-drums-2").text)
    drums = [key for key in KIT_KEYS if key != "side_stick"]  # the count-in's sticks are mapped apart (GM 37 too)
    gm = np.array([[i * 10, i * 10 + 5, GM_NOTES[KIT_KEYS.index(key)], 90] for i, key in enumerate(drums)])
    mapped = kit.apply(gm)
    assert mapped[:, 2].tolist() == [ADDICTIVE_DRUMS_2[key] for key in drums]
    assert np.array_equal(kit.to_gm(mapped), gm)
    shared = KitMap.from_mapping({"closed_hat": 54, "open_hat": 54})  # a kit without an open hat
    assert kit.to_gm(np.array([[0, 1, 99, 80]]))[0, 2] == 99  # a note the kit does not use stays
    assert shared.to_gm(np.array([[0, 1, 54, 80]]))[0, 2] == 46


def test_main_takes_a_map_by_name(tiny_model_path: Path, tmp_path: Path) -> None:
    """`--kit-map addictive-drums-2` writes every drum on Addictive Drums 2's notes; a name that is neither a map
    nor a file lists the maps."""
    (tmp_path / "song.mid").write_bytes(rock_song_bytes(4))
    assert read_kit_map("toontrack") == preset("toontrack").text and read_kit_map("gm") is None
    assert cli.main(["--mode", "infer", str(tmp_path / "song.mid"), "--checkpoint", str(tiny_model_path), "--seed",
                     "3", "--kit-map", "addictive-drums-2", "-o", str(tmp_path / "ad2.mid")]) == 0
    assert cli.main(["--mode", "infer", str(tmp_path / "song.mid"), "--checkpoint", str(tiny_model_path), "--seed",
                     "3", "-o", str(tmp_path / "gm.mid")]) == 0
    ad2 = read_midi((tmp_path / "ad2.mid").read_bytes()).drum_parts[0].notes
    gm = read_midi((tmp_path / "gm.mid").read_bytes()).drum_parts[0].notes
    assert len(ad2) == len(gm) and set(ad2[:, 2].tolist()) <= set(ADDICTIVE_DRUMS_2.values())
    kit = KitMap.from_json(preset("addictive-drums-2").text)
    assert np.array_equal(kit.to_gm(ad2)[:, 2], gm[:, 2]) and 49 in ad2[:, 2]  # the closed hats moved to 49
    with pytest.raises(KitMapError, match="or a preset: gm, addictive-drums-2, toontrack"):
        read_kit_map("superior")
