"""The generation options, defined once: `GenerationOptions` (defaults and checks) and `OPTIONS` (flag, help and
proto field number of each), from which main.py's flags, the server's proto mapping and the DAW helper's flags are
built. Also `DefaultsHelpFormatter`, the one way every command shows its defaults.

Standard library only (no numpy, torch or music21 at import), so the DAW helper, which has grpcio alone, imports it.
The kit map's full check (seq2drum.midi.kit, numpy) loads only when a `GenerationOptions` with a kit map is made.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from seq2drum.config import _check, _check_types, _Config
from seq2drum.midi.kit_presets import GM, presets
from seq2drum.errors import echoed
from seq2drum.midi.limits import MAX_SONG_QUARTERS, parse_meter
from seq2drum.user_files import read_user_file

MAX_TEMPERATURE = 5.0
MAX_SEED = 2**63 - 1
MAX_TAKES = 8
MAX_COUNT_IN_BARS = 8
MAX_BARS = 512  # drums from nothing
MIN_TEMPO_QPM, MAX_TEMPO_QPM = 20.0, 300.0  # drums from nothing, quarter notes per minute as DAWs show it
DEFAULT_TEMPO_QPM, DEFAULT_METER = 120.0, "4/4"
MIN_DENSITY, MAX_DENSITY = 0.25, 4.0
MIN_SWING, MAX_SWING = 0.5, 0.75
STRAIGHT_STYLES = ("bossa", "samba")  # played straight unless --swing says otherwise, whatever the band swings
MIN_DYNAMICS, MAX_DYNAMICS = 0.5, 1.5
MAX_FILL_EVERY = 64
MAX_REST_AFTER = 64  # live: bars of silence before the drums rest
MAX_PARTS_CHARS = 65536  # --parts: an entry of a few dozen characters a section (parts.arrangement MAX_ENTRIES)
# Text options that take more than the 8,192 characters of any other (the kit map's, the longest a person writes),
# wherever they arrive: the server and the studio's form take what the command line takes, since what one call
# returns (Arrange{drummer}'s --parts of a 350-section song: 9,863 characters) the next must accept (issue 98 Q6)
LONG_TEXT_CHARS = {"parts": MAX_PARTS_CHARS}
CYMBALS = ("auto", "hats", "ride")
PLANS = ("parts", "bars")  # --plan: a part per phrase, planned (issue 68), or bar by bar
MAX_HUMANIZE = 1.5
FEELS = ("natural", "tight", "laid-back", "pushed")  # seq2drum.feel learns each from GMD's drummers
GENRES = ("jazz", "blues", "rock")  # the words the band's genre reader says (seq2drum.band.heard); --genre
GROOVE_CLIP_MAX_BARS = 8  # a longer --groove clip gives its first 8 bars
MAX_GROOVE_CLIP_BYTES = 1 << 20  # a drum clip of 8 bars is a few KiB; a GMD take at most ~100 KiB
MAX_PARTS_FROM_BYTES = 1 << 20  # --parts-from: a song whose drummer's arrangement is borrowed (the data's: 206 KB)
PARTS_FROM_SAID = "--parts-from: "  # starts each line of its mapping among a result's notices (the helper prints them)
MAX_FILE_BYTES = {"groove_midi": MAX_GROOVE_CLIP_BYTES, "parts_from": MAX_PARTS_FROM_BYTES}  # each file option's limit


def ascii_number(text: str, max_digits: int = 6) -> int | None:
    """`text` as a number when it is 1 to `max_digits` ASCII digits, else None: `str.isdigit` is true of "²" and of
    5,000 digits, which `int` refuses or reads slowly (issue 98 Q1); every part id, bar and length a user types is
    read here."""
    text = text.strip()
    return int(text) if 0 < len(text) <= max_digits and text.isascii() and text.isdigit() else None


def fills_every(fills: str) -> int | None:
    """N of `every:N` (1 to MAX_FILL_EVERY), else None."""
    match = re.fullmatch(r"every:(\d{1,4})", fills) if isinstance(fills, str) else None
    return int(match.group(1)) if match and 1 <= int(match.group(1)) <= MAX_FILL_EVERY else None


@dataclass(frozen=True)
class GenerationOptions(_Config):
    """Per-request options of drum generation (the CLI flags and the gRPC request fields; `OPTIONS` describes each)."""

    temperature: float = 0.0  # 0 = each bar chosen by expected F1; >0 adds that much randomness to the groove choice
    seed: int | None = None  # None = a fresh random seed per call
    track: str | None = None  # which part is the guitar: a part number from the listing, or a name
    merge: bool = False  # also copy the guitar part(s) into the output file
    # 0 = on the grid, velocities as decided; 1 = as GMD's drummers play each hit; to 1.5 looser (True = 1, False = 0)
    humanize: float = 1.0
    takes: int = 1  # distinct drum parts to write, 1-8 (take 1 is the model's first choice)
    kit_map: str | None = None  # JSON object from drum class to MIDI note (seq2drum.midi.kit); None = General MIDI
    count_in_bars: int = 0  # bars of sticks before the guitar enters, 0-8
    bars: int | None = None  # drums from nothing: this many bars (1-512), with no song
    tempo_qpm: float | None = None  # drums from nothing: quarter notes per minute, 20-300 (None = 120)
    meter: str | None = None  # drums from nothing: "NUM/DEN" (None = 4/4)
    # the controls a drummer asks for (seq2drum/groove/controls.py); the defaults are the model's own choice
    style: str | None = None  # a groove family (`--mode styles` lists them); None = any groove
    density: float = 1.0  # how busy, 0.25-4 times the model's choice
    fills: str = "sections"  # none | sections (where the model calls them) | every:N (every Nth bar of a section)
    crashes: str = "sections"  # none | sections (the model's calls) | every:N (bars 1, N+1 ... of each section)
    swing: float | None = None  # off-beat eighths at this share of their beat, 0.5 to 0.75; None = the song's own
    dynamics: float = 1.0  # velocities times this, 0.5-1.5
    cymbal: str = "auto"  # the time-keeping voice: auto (the model's) | hats | ride
    plan: str = "parts"  # parts (a part planned for each phrase, issue 68) | bars (bar by bar, one part held)
    feel: str = "natural"  # the timing feel: natural (as learned) | tight | laid-back | pushed
    guitar_only: bool = False  # listen to the guitar alone, even with a model that listens to the band
    keep_drums: bool = False  # keep the input's drums (channel 10) in the bars they cover
    fill_breaks: bool = False  # with keep_drums: play drums in the breaks (2+ empty bars between the user's own)
    groove_midi: bytes | None = None  # a drum clip (MIDI bytes): the groove the drums start from and come back to
    rest_after: int | None = None  # live: rest after this many silent bars (None: 2 with the band, never guitar alone)
    parts: str | None = None  # the musician's part per section: "A=ride-8ths; B#2=half-time; 33-40=drop-out"
    parts_from: bytes | None = None  # a song (MIDI bytes) whose drummer's arrangement the sections play (issue 101)
    genre: str | None = None  # what the music is, as the musician says (GENRES); None = what the band's reader hears

    def __post_init__(self) -> None:
        if isinstance(self.humanize, bool) or type(self.humanize) is int:  # callers of the on/off switch keep working
            object.__setattr__(self, "humanize", float(self.humanize))
        if self.swing is None and self.style in STRAIGHT_STYLES:  # a bossa is straight, whatever the band swings
            object.__setattr__(self, "swing", MIN_SWING)
        _check_types(self)
        _check(0.0 <= self.humanize <= MAX_HUMANIZE,
               f"humanize must be 0 (every hit on the grid) to {MAX_HUMANIZE:g} (looser than a drummer), 1 = as "
               f"drummers play, got {self.humanize:g}")
        _check(self.feel in FEELS, f"feel must be one of {', '.join(FEELS)}, got {echoed(self.feel)}")
        _check(self.style is None or re.fullmatch(r"[a-z0-9-]+", self.style) is not None,
               "style must be a name like straight-8ths (python main.py --mode styles lists them), "
               f"got {echoed(self.style)}")
        _check(MIN_DENSITY <= self.density <= MAX_DENSITY,
               f"density must be {MIN_DENSITY:g}-{MAX_DENSITY:g} (1 = the model's choice), got {self.density:g}")
        _check(fills_every(self.fills) is not None or self.fills in ("none", "sections"),
               f"fills must be none, sections or every:N with N 1-{MAX_FILL_EVERY}, got {echoed(self.fills)}")
        _check(self.parts is None or len(self.parts) <= MAX_PARTS_CHARS,
               f"parts is {len(self.parts or ''):,} characters; at most {MAX_PARTS_CHARS:,} (an entry a section, "
               "e.g. \"A=eighths on the hat, backbeat; B#2=12\")")
        _check(self.rest_after is None or 1 <= self.rest_after <= MAX_REST_AFTER,
               f"rest_after must be 1-{MAX_REST_AFTER} bars, got {self.rest_after}")
        _check(fills_every(self.crashes) is not None or self.crashes in ("none", "sections"),
               f"crashes must be none, sections or every:N with N 1-{MAX_FILL_EVERY}, got {echoed(self.crashes)}")
        _check(self.swing is None or MIN_SWING <= self.swing <= MAX_SWING,
               f"swing must be {MIN_SWING:g} (straight) to {MAX_SWING:g} (dotted), e.g. 0.67 for a triplet feel, "
               f"got {self.swing}")
        _check(MIN_DYNAMICS <= self.dynamics <= MAX_DYNAMICS,
               f"dynamics must be {MIN_DYNAMICS:g}-{MAX_DYNAMICS:g} (1 = the model's velocities), "
               f"got {self.dynamics:g}")
        _check(not self.fill_breaks or self.keep_drums,
               "fill breaks plays drums in the breaks of the drums kept: ask for keep drums too")
        _check(self.cymbal in CYMBALS, f"cymbal must be one of {', '.join(CYMBALS)}, got {echoed(self.cymbal)}")
        _check(self.plan in PLANS, f"plan must be one of {', '.join(PLANS)}, got {echoed(self.plan)}")
        _check(self.genre is None or self.genre in GENRES,
               f"genre must be one of {', '.join(GENRES)} (or unset: what the band sounds like), "
               f"got {echoed(self.genre)}")
        _check(0.0 <= self.temperature <= MAX_TEMPERATURE,
               f"temperature must be in [0, {MAX_TEMPERATURE:g}], got {self.temperature}")
        _check(self.seed is None or 0 <= self.seed <= MAX_SEED, f"seed must be in [0, 2**63 - 1], got {self.seed}")
        _check(1 <= self.takes <= MAX_TAKES, f"takes must be 1-{MAX_TAKES}, got {self.takes}")
        _check(self.groove_midi is None or len(self.groove_midi) <= MAX_GROOVE_CLIP_BYTES,
               f"the groove clip holds {len(self.groove_midi or b''):,} bytes; a clip of at most "
               f"{MAX_GROOVE_CLIP_BYTES:,} bytes is taken (its first {GROOVE_CLIP_MAX_BARS} bars are used): cut it "
               "in your DAW")
        _check(self.parts_from is None or len(self.parts_from) <= MAX_PARTS_FROM_BYTES,
               f"the --parts-from song holds {len(self.parts_from or b''):,} bytes; a song of at most "
               f"{MAX_PARTS_FROM_BYTES:,} bytes is taken: name its MIDI file without audio or video in it")
        self._check_shape()

    def _check_shape(self) -> None:
        """The kit map, the count-in and drums from nothing (`bars`, `tempo_qpm`, `meter`: no song, no guitar)."""
        if self.kit_map is not None:
            from seq2drum.midi.kit import KitMap  # numpy: loaded only for a request that maps the kit

            KitMap.from_json(self.kit_map, "kit map")
        _check(0 <= self.count_in_bars <= MAX_COUNT_IN_BARS,
               f"count-in must be 0-{MAX_COUNT_IN_BARS} bars, got {self.count_in_bars}")
        if self.bars is None:
            _check(self.tempo_qpm is None and self.meter is None,
                   "tempo and meter go with bars, for drums from nothing; a song's tempo and meter come from its file")
            return
        _check(1 <= self.bars <= MAX_BARS, f"bars must be 1-{MAX_BARS}, got {self.bars}")
        _check(self.tempo_qpm is None or MIN_TEMPO_QPM <= self.tempo_qpm <= MAX_TEMPO_QPM,
               f"tempo must be {MIN_TEMPO_QPM:g}-{MAX_TEMPO_QPM:g} quarter notes per minute, got {self.tempo_qpm}")
        numerator, denominator = parse_meter(self.meter or DEFAULT_METER)
        _check(numerator * 16 >= denominator, f"a bar of {numerator}/{denominator} is shorter than a 16th note, the "
               "finest step drums are written on; pick a meter with longer bars")
        quarters = self.quarters_from_nothing
        _check(quarters <= MAX_SONG_QUARTERS,
               f"{self.bars} bars of {numerator}/{denominator} are {quarters:g} quarter notes, past the limit of "
               f"{MAX_SONG_QUARTERS} for any song; ask for at most "
               f"{int(MAX_SONG_QUARTERS * denominator // (numerator * 4))} bars")
        _check(self.track is None, "track picks the guitar of a song; drums from nothing (bars) have no song")
        _check(not self.merge, "merge copies a song's guitar into the output; drums from nothing (bars) have no song")
        _check(not self.keep_drums and not self.guitar_only,
               "keep drums and guitar only are about a song's parts; drums from nothing (bars) have no song")
        _check(self.parts is None and self.parts_from is None,
               "parts and parts from arrange a song's sections; drums from nothing (bars) have no song")

    @property
    def from_nothing(self) -> bool:
        """Drums without a song: `bars` bars at `tempo_qpm` in `meter`."""
        return self.bars is not None

    @property
    def quarters_from_nothing(self) -> float:
        """The length of drums from nothing in quarter notes (the unit song-length limits are in); 0 for a song."""
        if self.bars is None:
            return 0.0
        numerator, denominator = parse_meter(self.meter or DEFAULT_METER)
        return self.bars * numerator * 4 / denominator


@dataclass(frozen=True)
class Option:
    """How one `GenerationOptions` field is asked for: its flag, help, and field of the proto's GenerationOptions
    (same name; `number` is its field number). `default_words` says the default where the value alone would not
    (None, or a default computed elsewhere). `float32`: the proto carries it as a float, so the server rounds it to
    6 digits (0.67 arrives as 0.67, not 0.6700000166893005). `proto_field` names the proto's field where it is not
    `name`; `off_flag` is a second flag that sets the option to 0 (`--no-humanize`)."""

    name: str
    flag: str
    number: int
    help: str
    metavar: str | None = None
    choices: tuple[str, ...] | None = None
    default_words: str | None = None
    float32: bool = False
    proto_field: str | None = None
    off_flag: str | None = None

    @property
    def proto_name(self) -> str:
        """The field of the proto's GenerationOptions this option travels in."""
        return self.proto_field or self.name

    @property
    def default(self) -> Any:
        """The GenerationOptions default: the dataclass is the one place defaults are written."""
        return _DEFAULTS[self.name]

    @property
    def kind(self) -> type:
        """int, float, bool, str or bytes (the dataclass's type without `| None`; bytes are a file's on the command
        lines, which take its path)."""
        return {"int": int, "float": float, "bool": bool, "str": str,
                "bytes": bytes}[_TYPES[self.name].replace(" | None", "")]


_DEFAULTS = {item.name: item.default for item in fields(GenerationOptions)}
_TYPES = {item.name: str(item.type) for item in fields(GenerationOptions)}

OPTIONS: tuple[Option, ...] = (
    Option("temperature", "--temperature", 1, f"randomness in the groove choice, 0-{MAX_TEMPERATURE:g}: 0 = the "
           "model's best, above 0 = grooves it rates a little lower may be played"),
    Option("seed", "--seed", 2, "random seed: the same song, options and seed give the same drums",
           default_words="a fresh one each time"),
    Option("track", "--track", 3, "which parts are the guitar: numbers from the part listing or pieces of names, "
           "several separated by commas, e.g. 5,6 or rhythm", default_words="every part marked as guitar"),
    Option("merge", "--merge", 4, "write the guitar and the drums in one file"),
    Option("humanize", "--humanize", 18, f"how far velocity and timing follow real drummers (learned from the Groove "
           f"MIDI Dataset): 0 = every hit on the grid at the velocity decided, 1 = as drummers play, up to "
           f"{MAX_HUMANIZE:g} looser", metavar="F", float32=True, proto_field="humanize_amount",
           off_flag="--no-humanize"),
    Option("takes", "--takes", 6, f"write N distinct takes (1-{MAX_TAKES}) as OUT.take1.mid ... OUT.takeN.mid, "
           "where OUT is -o without .mid or SONG_drums beside the song", metavar="N",
           default_words="one file, SONG_drums.mid"),
    Option("kit_map", "--kit-map", 13, "the MIDI note of each drum class for your drum plug-in: a shipped map "
           f"({', '.join(p.key for p in presets() if p.key != GM)}) or a JSON file holding an object like "
           '{"kick": 36, "snare": 40}; classes left out keep their General MIDI note',
           metavar="gm|MAP|FILE.json", default_words="gm, General MIDI"),
    Option("count_in_bars", "--count-in", 14, f"bars of sticks (0-{MAX_COUNT_IN_BARS}) before the guitar enters, "
           "in the song's meter and tempo; with --merge the song moves later when it starts too early",
           metavar="BARS"),
    Option("bars", "--bars", 15, f"without a SONG: drums from nothing, this many bars (1-{MAX_BARS}) shaped like a "
           "song, written to drums_<N>bars.mid here or to -o", default_words="off, drums for SONG"),
    Option("tempo_qpm", "--tempo", 16, f"with --bars: quarter notes per minute ({MIN_TEMPO_QPM:g}-"
           f"{MAX_TEMPO_QPM:g})", metavar="QPM", default_words=f"{DEFAULT_TEMPO_QPM:g}"),
    Option("meter", "--meter", 17, "with --bars: the time signature, e.g. 3/4, 6/8, 7/8", metavar="NUM/DEN",
           default_words=DEFAULT_METER),
    Option("style", "--style", 7, "grooves only from this family, e.g. straight-8ths, half-time, waltz "
           "(`--mode styles` or the server's GetModelInfo lists them)", default_words="any groove"),
    Option("density", "--density", 8, f"how busy, {MIN_DENSITY:g}-{MAX_DENSITY:g} times the model's choice",
           float32=True),
    Option("fills", "--fills", 9, "none, sections (where the model hears section changes) or every:N (closing every "
           f"Nth bar of each section, and its last; N 1-{MAX_FILL_EVERY})"),
    Option("crashes", "--crashes", 23, "none (only the final hit), sections (the model's calls: where sections start "
           f"and after fills) or every:N (opening bars 1, N+1 ... of each section; N 1-{MAX_FILL_EVERY})"),
    Option("swing", "--swing", 10, f"off-beat eighths at this share of the beat, {MIN_SWING:g} straight to "
           f"{MAX_SWING:g}, 0.67 = triplet swing",
           default_words="the song's own: straight unless the parts the drums hear swing (a bossa, a samba: straight)",
           float32=True),
    Option("dynamics", "--dynamics", 11, f"velocities times this, {MIN_DYNAMICS:g}-{MAX_DYNAMICS:g}", float32=True),
    Option("cymbal", "--cymbal", 12, "the time-keeping voice: hats, ride, or auto (the model's choice)",
           choices=CYMBALS),
    Option("plan", "--plan", 25, "parts: the drummer plans a part for each 4-bar phrase (it changes where the band "
           "changes, thins where it thins, fills where the plan says; takes play other plans); bars: bar by bar, "
           "one part held through the song (the decision before 2026-11-27)", choices=PLANS),
    Option("feel", "--feel", 19, "the timing feel: natural (as learned from drummers), tight, laid-back (behind "
           "the beat) or pushed (ahead of it)", choices=FEELS),
    Option("guitar_only", "--guitar-only", 20, "listen to the guitar part alone, even with a model that listens to "
           "the whole band"),
    Option("keep_drums", "--keep-drums", 21, "keep the drums already in the song (channel 10) in the bars they cover, "
           "exactly as played, and write the other bars continuing their groove (without it channel 10 is ignored)"),
    Option("fill_breaks", "--fill-breaks", 27, "with --keep-drums: play drums in the song's breaks, two or more "
           "bars without a drum note between bars with them (without it a break stays silent, as written)"),
    Option("groove_midi", "--groove", 22, "a drum clip (a loop, a take, a Groove MIDI Dataset file) in the song's "
           f"meter: the groove the drums start from and come back to (its first {GROOVE_CLIP_MAX_BARS} bars)",
           metavar="CLIP.mid",
           default_words="none, the model's own groove"),
    Option("rest_after", "--rest-after", 24, f"play along live: the drums rest after N bars (1-{MAX_REST_AFTER}) "
           "in which no part played, until the band plays again", metavar="N",
           default_words="2 when parts other than the guitar play; with the guitar alone the drums play on "
           "through its pauses until the stream ends"),
    Option("parts", "--parts", 26, "the part each section plays, as a musician arranges: entries split by ; "
           "each KEY=PART, KEY a section label (A: every A), a label and occurrence (B#2) or a bar range (33-40), "
           "PART a part's name or id from `--mode arrange` or a style; other sections are planned as the band asks",
           metavar="SPEC", default_words="none: the model plans every section"),
    Option("parts_from", "--parts-from", 28, "play the arrangement of another song's drummer (its drums on channel "
           "10): its sections' parts laid on this song's by their letters' order and occurrence (its first letter's "
           "onto this song's first, the second B's onto the second B), the mapping printed; --parts entries win",
           metavar="SONG.mid", default_words="none"),
    Option("genre", "--genre", 29, "what music this is, as you say it: jazz, blues or rock; the plan's parts and the "
           "jazz ride (only in a song played as jazz) follow it", choices=GENRES,
           default_words="what the drums hear from the band"),
)
OPTION_BY_NAME = {option.name: option for option in OPTIONS}


class DefaultsHelpFormatter(argparse.HelpFormatter):
    """`--help` shows every option's default exactly once: help that already says its default keeps its own words
    (for defaults computed at run time), flags say "off", anything else gets "(default: VALUE)"."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if not action.option_strings or action.default is argparse.SUPPRESS or "default" in text:
            return text
        if isinstance(action, (argparse._StoreTrueAction, argparse._StoreFalseAction)):
            return f"{text} (default: {'on' if action.default else 'off'})".strip()
        return f"{text} (default: %(default)s)".strip()


def add_option_flags(parser: argparse.ArgumentParser | Any, server_decides: bool, prefix: str = "",
                     help_for: dict[str, str] | None = None) -> None:
    """One flag per entry of `OPTIONS` on `parser` (or an argument group). With `server_decides` (the DAW helper)
    every flag left out stays unset, so the server's default applies; else (main.py) the flag's default is the
    dataclass's. `prefix` starts each help ("infer: "); `help_for` replaces the help of some options by name (prefix
    and all; a replacement that says its default keeps its own words)."""
    for option in OPTIONS:
        text = (help_for or {}).get(option.name) or prefix + option.help
        dest = option.name
        kind = str if option.kind is bytes else option.kind  # a file's bytes: the command line takes its path
        if option.kind is bool:  # on/off flags: --merge turns on
            parser.add_argument(option.flag, dest=dest, action="store_const",
                                default=None if server_decides else option.default,
                                const=not option.default, help=f"{text} (default: off)")
            continue
        shown = option.default_words or (str(option.default) if option.default is not None else None)
        default = None if server_decides or option.default_words else option.default
        if option.name == "kit_map":
            default = "gm"  # a file name or gm, read by the caller (main.py checks it, the helper sends it)
        if (server_decides or option.default_words) and "(default" not in text:
            text = f"{text} (default: {'the server decides, ' if server_decides else ''}{shown})"
        parser.add_argument(option.flag, dest=dest, type=kind, default=default, metavar=option.metavar,
                            choices=option.choices, help=text)
        if option.off_flag:
            parser.add_argument(option.off_flag, dest=dest, action="store_const", const=type(option.default)(0),
                                default=default,
                                help=f"the same as {option.flag} 0: every hit on the grid (default: off)")


def read_groove_file(path: str) -> bytes:
    """The --groove clip's bytes (checked by generation, which says what is wrong with them); ConfigError naming the
    file when it cannot be read. main.py and the DAW helper read it alike."""
    return read_user_file(path, "--groove", MAX_GROOVE_CLIP_BYTES,
                          f"name a drum clip (.mid) such as a loop from your library, at most "
                          f"{MAX_GROOVE_CLIP_BYTES:,} bytes (its first {GROOVE_CLIP_MAX_BARS} bars are used)")


def read_parts_from_file(path: str) -> bytes:
    """The --parts-from song's bytes (checked by generation, which says what is wrong with them); ConfigError naming
    the file when it cannot be read. main.py and the DAW helper read it alike."""
    return read_user_file(path, "--parts-from", MAX_PARTS_FROM_BYTES,
                          f"name a song's MIDI file with drums (channel 10), at most {MAX_PARTS_FROM_BYTES:,} bytes")


def chosen_options(args: argparse.Namespace) -> dict[str, Any]:
    """The values of the flags `add_option_flags` made, by GenerationOptions field, left-out ones (None) dropped."""
    return {option.name: getattr(args, option.name) for option in OPTIONS if getattr(args, option.name) is not None}


def invoked_as(module_form: str) -> str:
    """How the user ran this command, for --help and messages: the installed script's name (`seq2drum`), `python
    main.py` for a script, or `module_form` (`python -m server`) when it ran with -m (its __main__ has a spec) or
    from code given to `python -c` (argv[0] is "-c": no command a user could type again)."""
    if getattr(sys.modules.get("__main__"), "__spec__", None) is not None or not sys.argv or not sys.argv[0] \
            or sys.argv[0].startswith("-"):
        return module_form
    name = Path(sys.argv[0]).name
    return f"python {name}" if name.endswith(".py") else name
