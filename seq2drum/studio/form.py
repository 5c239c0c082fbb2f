"""The page's form, made from the options table (seq2drum.options.OPTIONS): every option with a label in words (the
flag kept for a tooltip), its default in words and its help as a one-line hint, so an option added to the table
appears on the page without an edit here (labelled by its flag's words until PAGE_LABELS names it); and the page's
answers read back into `GenerationOptions`, with the command line's words for a value that is not a number.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from typing import Any

from seq2drum.errors import ConfigError
from seq2drum.midi.kit import MAX_KIT_MAP_CHARS
from seq2drum.midi.kit_presets import GM, preset
from seq2drum.options import (LONG_TEXT_CHARS, MAX_BARS, MAX_FILE_BYTES, MAX_PARTS_CHARS, MAX_TAKES, OPTION_BY_NAME,
                              OPTIONS, GenerationOptions, Option)

# Where the page shows an option, in the fold of more controls, grouped as a musician looks for them (issue 101):
# what the drums hear ("listen") and the song's other controls ("song": every option not named here), the feel, the
# fills and crashes, the kit; under drums from nothing ("nothing"); nowhere ("live": the live drummer's alone, and the
# studio makes takes of a whole song).
GROUPS = {"track": "listen", "guitar_only": "listen", "keep_drums": "listen", "groove_midi": "listen",
          "parts_from": "listen", "genre": "listen",
          "bars": "nothing", "tempo_qpm": "nothing", "meter": "nothing", "rest_after": "live",
          "style": "feel", "density": "feel", "temperature": "feel", "swing": "feel", "humanize": "feel",
          "feel": "feel", "dynamics": "feel", "fills": "fills", "crashes": "fills", "fill_breaks": "fills",
          "kit_map": "kit", "cymbal": "kit"}
CONTROL_GROUPS = ("feel", "fills", "kit", "listen", "song", "nothing", "live")  # every group GROUPS may name
# What the page calls each option: a musician's words, not the flag (the flag is the label's tooltip).
PAGE_LABELS = {
    "temperature": "How adventurous", "seed": "Seed (the same seed, the same drums)",
    "track": "Which parts are the guitar", "merge": "The guitar and the drums in one file", "humanize": "Human feel",
    "takes": "Takes", "kit_map": "Your drum kit's notes", "count_in_bars": "Count-in (bars of sticks)",
    "bars": "Bars", "tempo_qpm": "Tempo (quarter notes a minute)", "meter": "Time signature", "style": "Style",
    "density": "How busy", "fills": "Fills", "crashes": "Crashes", "swing": "Swing", "dynamics": "How loud",
    "cymbal": "Keep time on", "plan": "Plan the parts", "feel": "Timing feel",
    "guitar_only": "Listen to the guitar alone", "keep_drums": "Keep the song's own drums",
    "fill_breaks": "Play in the song's breaks", "groove_midi": "Start from a groove of yours",
    "rest_after": "Rest after silent bars", "parts": "Your arrangement, written out",
    "parts_from": "The arrangement of another song's drummer", "genre": "What music this is",
}
# The page's own words where the table's speak of the command line's files and flags.
PAGE_WORDS = {
    "takes": {"default_words": "1 take",
              "help": f"how many different takes to make (1-{MAX_TAKES}), each with its roll, play and downloads"},
    "bars": {"default_words": "none: fill it in to make drums from nothing",
             "help": f"how many bars of drums (1-{MAX_BARS}) to make without a song, shaped like one"},
    "style": {"help": "grooves only from this family; the list holds the styles that play in the song's meter (or in "
                      "the meter asked for drums from nothing)"},
    "kit_map": {"help": "the MIDI note of each drum for your drum plug-in: one of the maps that ship with seq2drum, "
                        'or a JSON file of your own like {"kick": 36, "snare": 40} (drums left out keep their General '
                        "MIDI note)"},
    "count_in_bars": {"help": "bars of sticks (0-8) before the guitar enters, in the song's meter and tempo; with the "
                              "guitar and the drums in one file the song moves later when it starts too early"},
    "tempo_qpm": {"help": "drums from nothing: quarter notes per minute (20-300)"},
    "meter": {"help": "drums from nothing: the time signature, e.g. 3/4, 6/8, 7/8"},
    "fill_breaks": {"help": "with the song's own drums kept: play drums in its breaks, two or more bars without a "
                            "drum note between bars with them (else a break stays silent, as written)"},
    "parts": {"default_words": "none: the model plans every section",
              "help": "what your choices above write, as the command line's --parts takes it: entries split by ; "
                      "each SECTION=PART. Type here for every A at once (A=PART) or a bar range (33-40=drop-out); "
                      "PART a part's name or id, or a style"},
    "genre": {"help": "jazz, blues or rock, as you say it: the plan's parts and the jazz ride follow it (else what "
                      "the band sounds like)"},
    "parts_from": {"help": "a song with drums whose drummer's arrangement yours plays: its sections' parts fill your "
                           "choices by their letters' order (its intro's part to your intro, its second B's to your "
                           "second B); each section says what it got"},
}
SONG_ONLY = ("track", "merge", "guitar_only", "keep_drums")  # GenerationOptions refuses them without a song
NOTHING_ONLY = ("bars", "tempo_qpm", "meter")  # drums from nothing only
_KINDS = {int: "int", float: "float", bool: "bool", str: "str", bytes: "file"}
# the files in base64, --parts at its longest (a character \uXXXX in JSON), and the other options
MAX_FORM_BYTES = sum(MAX_FILE_BYTES.values()) * 4 // 3 + 6 * MAX_PARTS_CHARS + 64 * 1024
MAX_OPTION_CHARS = MAX_KIT_MAP_CHARS  # the longest text option a person writes, as the server takes it (parts: longer)
MAX_NUMBER_CHARS = 40


def default_words(option: Option) -> str:
    """The default as --help says it: its own words where the value alone would not say it, off/on for a switch."""
    if option.default_words:
        return option.default_words
    if option.kind is bool:
        return "on" if option.default else "off"
    return f"{option.default:g}" if isinstance(option.default, float) else str(option.default)


def page_label(option: Option) -> str:
    """What the page calls `option`: PAGE_LABELS's words, else its flag's ("--fill-breaks" -> "Fill breaks")."""
    return PAGE_LABELS.get(option.name) or option.flag.lstrip("-").replace("-", " ").capitalize()


def form_fields() -> list[dict[str, Any]]:
    """What the page draws for each option, in the table's order."""
    return [{"name": option.name, "label": page_label(option), "flag": option.flag, "kind": _KINDS[option.kind],
             "help": option.help,
             "default": option.default if option.kind is not bytes else None, "default_words": default_words(option),
             "choices": list(option.choices) if option.choices else None, "metavar": option.metavar,
             "group": GROUPS.get(option.name, "song"), "song_only": option.name in SONG_ONLY,
             "nothing_only": option.name in NOTHING_ONLY, **PAGE_WORDS.get(option.name, {})}
            for option in OPTIONS]


def _value(option: Option, value: Any) -> Any:
    """One answer of the page as the option's type; ConfigError in argparse's words for one that is not."""
    kind = option.kind
    if kind is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"argument {option.flag}: expected on or off, got {str(value)[:40]!r}")
        return value
    if kind is bytes:  # a file the page read, in base64
        text, limit = str(value), MAX_FILE_BYTES[option.name]
        if len(text) > limit * 4 // 3 + 4:
            raise ConfigError(f"the groove clip holds more than {limit:,} bytes; a clip of at most {limit:,} bytes is "
                              "taken: cut it in your DAW" if option.name == "groove_midi" else
                              f"the song for {page_label(option).lower()} holds more than {limit:,} bytes; name a "
                              "song of at most that")
        try:
            return base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise ConfigError(f"argument {option.flag}: the {'clip' if option.name == 'groove_midi' else 'file'} did "
                              "not arrive as base64; choose it again") from None
    # an answer sent as a JSON object or array (a kit map) stays JSON: str() wrote Python's repr, {'kick': 36}, which
    # the kit map's reader refused as "not valid JSON" (issue 89, low)
    text = (json.dumps(value) if isinstance(value, (dict, list)) else str(value)).strip()
    limit = LONG_TEXT_CHARS.get(option.name, MAX_OPTION_CHARS) if kind is str else MAX_NUMBER_CHARS
    if len(text) > limit:  # before anything reads or quotes it
        raise ConfigError(f"argument {option.flag}: {len(text):,} characters, more than any valid value")
    if kind is str:
        return text
    try:
        number = int(text) if kind is int else float(text)
    except ValueError:
        raise ConfigError(f"argument {option.flag}: invalid {kind.__name__} value: {text[:40]!r}") from None
    if kind is float and not math.isfinite(number):
        raise ConfigError(f"argument {option.flag}: invalid float value: {text[:40]!r}")
    return number


def options_from_form(values: Any, song: bool) -> GenerationOptions:
    """The page's answers ({name: value}, a value left empty or null: the default) as `GenerationOptions`, for a
    song (`song`) or for drums from nothing; ConfigError saying what is wrong, as the command line says it."""
    if not isinstance(values, dict):
        raise ConfigError("the options did not arrive as a form; reload the page")
    chosen: dict[str, Any] = {}
    for name, value in values.items():
        option = OPTION_BY_NAME.get(str(name))
        if option is None:
            raise ConfigError(f"unknown option {str(name)[:40]!r}; reload the page")
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        chosen[option.name] = _value(option, value)
    if "kit_map" in chosen:  # gm, a shipped map's name (the page's list) or a file's JSON (the page read it)
        shipped = preset(chosen["kit_map"])
        if chosen["kit_map"].lower() == GM:
            del chosen["kit_map"]
        elif shipped is not None:
            chosen["kit_map"] = shipped.text
    if song and any(name in chosen for name in NOTHING_ONLY):
        raise ConfigError("--bars, --tempo and --meter make drums from nothing, without a song; leave them empty to "
                          "make drums for the song")
    if not song and "bars" not in chosen:
        raise ConfigError("drums from nothing need --bars: how many bars to play")
    return GenerationOptions(**chosen)


def read_form(body: bytes) -> tuple[str | None, GenerationOptions]:
    """A generation request's JSON body -> (the song's id, or None for drums from nothing; its options)."""
    try:
        request = json.loads(body)
    except (ValueError, RecursionError):  # a JSONDecodeError, bytes not UTF-8, a number past Python's 4,300 digits;
        # RecursionError: [[[[... nested deep
        raise ConfigError("the request is not the page's JSON; reload the page") from None
    if not isinstance(request, dict) or not isinstance(request.get("song"), (str, type(None))):
        raise ConfigError("the request names no song; reload the page")
    song = request["song"]
    return song, options_from_form(request.get("options") or {}, song is not None)
