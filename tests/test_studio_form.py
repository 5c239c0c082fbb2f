"""The studio's form (seq2drum/studio/form.py): made from the options table, so every option reaches the page with
its flag, default and hint, and the page's answers read back as the command line reads its flags."""

from __future__ import annotations

import base64
import json

import pytest

from seq2drum.errors import ConfigError
from seq2drum.options import MAX_GROOVE_CLIP_BYTES, MAX_PARTS_CHARS, OPTIONS, GenerationOptions
from seq2drum.studio.form import (CONTROL_GROUPS, GROUPS, MAX_FORM_BYTES, PAGE_LABELS, PAGE_WORDS, form_fields,
                                  options_from_form, read_form)


def test_every_option_of_the_table_is_on_the_form_once_with_its_default_and_hint() -> None:
    """An option added to seq2drum/options.py appears on the page without an edit to the studio (in the page's own
    words where PAGE_WORDS gives them)."""
    fields = form_fields()
    assert [field["name"] for field in fields] == [option.name for option in OPTIONS]
    for field, option in zip(fields, OPTIONS):
        help_words = PAGE_WORDS.get(option.name, {}).get("help", option.help)
        assert field["flag"] == option.flag and field["help"] == help_words and "\n" not in field["help"]
        assert field["default_words"] and field["group"] in CONTROL_GROUPS
    by_name = {field["name"]: field for field in fields}
    assert by_name["seed"]["default_words"] == "a fresh one each time"
    assert by_name["merge"]["default_words"] == "off" and by_name["density"]["default_words"] == "1"
    assert by_name["cymbal"]["choices"] == ["auto", "hats", "ride"] and by_name["groove_midi"]["kind"] == "file"
    assert set(GROUPS) <= set(by_name) and set(GROUPS.values()) <= set(CONTROL_GROUPS)
    json.dumps(fields)  # what /api/config sends


def test_every_control_is_labelled_in_words_and_only_its_tooltip_names_the_flag() -> None:
    """Issue 87: the page labelled its controls `temperature --temperature`. Every option the page draws has a label
    of its own words, no flag in it nor in its hint but --parts' (written out as the command line takes it)."""
    for field in form_fields():
        assert field["label"] and "--" not in field["label"] and field["label"][0].isupper(), field["label"]
        if field["group"] != "live":
            assert field["name"] in PAGE_LABELS, f"{field['name']}: give it words in PAGE_LABELS"
            assert field["name"] == "parts" or "--" not in field["help"], field["help"]
    assert {field["name"]: field["label"] for field in form_fields()}["temperature"] == "How adventurous"


def test_the_page_speaks_of_takes_not_files_and_leaves_out_the_live_drummers_options() -> None:
    """The takes box says "1 take", not the command line's "one file, SONG_drums.mid"; --rest-after (the live drummer
    alone reads it) is in the "live" group, which the page does not draw."""
    by_name = {field["name"]: field for field in form_fields()}
    assert by_name["takes"]["default_words"] == "1 take" and "SONG" not in by_name["takes"]["help"]
    assert "SONG" not in by_name["bars"]["default_words"] + by_name["bars"]["help"]
    assert by_name["rest_after"]["group"] == "live"


def test_empty_answers_are_the_defaults_and_values_are_read_as_the_flags_are() -> None:
    clip = b"MThd a clip"
    answers = {"seed": "7", "takes": 2, "density": "0.5", "merge": True, "track": " ", "kit_map": "GM",
               "swing": None, "groove_midi": base64.b64encode(clip).decode(), "cymbal": "ride"}
    assert options_from_form(answers, song=True) == GenerationOptions(seed=7, takes=2, density=0.5, merge=True,
                                                                       groove_midi=clip, cymbal="ride")
    assert options_from_form({}, song=True) == GenerationOptions()
    assert options_from_form({"bars": "8", "meter": "7/8"}, song=False) == GenerationOptions(bars=8, meter="7/8")


@pytest.mark.parametrize(("answers", "song", "message"), [
    ({"seed": "seven"}, True, "argument --seed: invalid int value: 'seven'"),
    ({"density": "nan"}, True, "argument --density: invalid float value: 'nan'"),
    ({"merge": "yes"}, True, "argument --merge: expected on or off, got 'yes'"),
    ({"bars": "4"}, True, "--bars, --tempo and --meter make drums from nothing"),
    ({"tempo_qpm": "90"}, False, "drums from nothing need --bars"),
    ({"colour": "red"}, True, "unknown option 'colour'"),
    ({"groove_midi": "A" * (MAX_GROOVE_CLIP_BYTES * 2)}, True, "the groove clip holds more than"),
    ({"groove_midi": "not base64!"}, True, "argument --groove: the clip did not arrive as base64"),
    ({"density": "9"}, True, "density must be 0.25-4"),
    ({"seed": "9" * 4000}, True, "argument --seed: 4,000 characters, more than any valid value"),
    ({"style": "x" * 100_000}, True, "argument --style: 100,000 characters, more than any valid value"),
], ids=["int", "float", "switch", "bars-with-song", "nothing-without-bars", "unknown", "big-clip", "bad-clip",
        "range", "long-number", "long-text"])
def test_a_wrong_answer_is_one_line_saying_what_is_wrong(answers: dict, song: bool, message: str) -> None:
    with pytest.raises(ConfigError) as refused:
        options_from_form(answers, song)
    assert str(refused.value).startswith(message) and "\n" not in str(refused.value)


def test_a_request_that_is_not_the_pages_json_is_refused() -> None:
    assert read_form(b'{"song": null, "options": {"bars": 2}}') == (None, GenerationOptions(bars=2))
    for body in (b"\xff", b"[1]", b'{"song": 3}', b"[" * 200_000):
        with pytest.raises(ConfigError):
            read_form(body)


def test_a_kit_map_sent_as_a_json_object_is_read_as_json() -> None:
    """Issue 89, low: a kit map sent as a JSON object ({"kit_map": {"kick": 36}}) was turned into Python's repr,
    {'kick': 36}, and refused as "not valid JSON". It is read as the JSON it is, and its mistakes named in JSON's
    words."""
    options = options_from_form({"kit_map": {"kick": 24, "snare": 26}}, song=True)
    assert json.loads(options.kit_map or "") == {"kick": 24, "snare": 26}
    with pytest.raises(ConfigError, match="'snare' must be a MIDI note number 0-127, got null"):
        options_from_form({"kit_map": {"snare": None}}, song=True)
    with pytest.raises(ConfigError, match="must be a JSON object .* got a JSON array"):
        options_from_form({"kit_map": [36, 38]}, song=True)


def test_q6_the_parts_field_takes_what_the_command_line_takes() -> None:
    """Issue 98 Q6: the form capped every text at 8,192 characters, so the drummer's arrangement of a 350-section
    song (9,863 characters, which the studio's own Arrange returns) was refused. --parts takes MAX_PARTS_CHARS here
    as on the command line and the server; any other text is still capped at 8,192."""
    value = "; ".join(["A=1"] * 4000)  # 19,998 characters
    body = json.dumps({"song": None, "options": {"parts": value, "bars": 4}}).encode()
    assert len(body) <= MAX_FORM_BYTES
    assert options_from_form({"parts": value}, song=True).parts == value
    with pytest.raises(ConfigError, match="argument --parts: 65,537 characters, more than any valid value"):
        options_from_form({"parts": "x" * (MAX_PARTS_CHARS + 1)}, song=True)
    with pytest.raises(ConfigError, match="argument --style: 8,193 characters"):
        options_from_form({"style": "x" * 8193}, song=True)
