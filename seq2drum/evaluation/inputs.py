"""The three inputs `--mode evaluate` plays a song from, built from the song's file as ../shared/scoring's midisplit.py
and prime_split.py build theirs, and what each is generated with:

- guitar: the file without its drums, listened to with `guitar_only` (the guitar part alone);
- band: the file without its drums (the whole arrangement, as a user exports it from a DAW);
- primed: the guitar part plus the drummer's first `PRIMED_BARS` bars (every drum note from the file's start to the
  end of bar b + 1, b being the first bar holding `GROOVE_BAR_HITS` or more drum note-ons), with `keep_drums`.

`KindInput` also carries what the kind's own baseline needs (`baselines.kind_baselines`): the bass's onsets for the
bass rule, the first groove bar for the given bars looped. `given_kept` checks item 4's promise on a primed output.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from dataclasses import dataclass

import numpy as np

from seq2drum.config import DataConfig
from seq2drum.evaluation import INPUT_KINDS
from seq2drum.errors import MidiReadError, NoGuitarError
from seq2drum.evaluation.baselines import backbeat, bass_rule, given_looped
from seq2drum.midi.io import DRUM_CHANNEL, END, PITCH, START, VELOCITY, MidiSong, Part, merged_notes, read_midi
from seq2drum.midi.io import select_guitar
from seq2drum.midi.roles import BASS, parts_by_role
from seq2drum.midi.write import TrackSpec, write_midi
from seq2drum.options import GenerationOptions
from seq2drum.song.drum_part import DrumGrid
from seq2drum.song.grid import BAR_START, Grid

PRIMED_BARS = 2  # bars b and b + 1 are given
GROOVE_BAR_HITS = 4  # drum note-ons that make a bar the first bar of the groove
GIVEN_DIGITS = 3  # onsets and durations of kept notes compared to 1/1000 quarter note


@dataclass(frozen=True)
class KindInput:
    """One song as one kind of input: the MIDI bytes generated from, the options, and its baseline's material."""

    kind: str
    midi_bytes: bytes
    options: GenerationOptions
    bass_onset_ticks: np.ndarray  # onsets of the parts whose role is bass (band), in the file's ticks
    ticks_per_quarter: int
    groove_bar: int | None = None  # primed: b, the first bar with GROOVE_BAR_HITS drum note-ons (None: no groove)
    given_end_tick: int = 0  # primed: the drums before this tick are given (the end of bar b + PRIMED_BARS - 1)


def check_kind(kind: str) -> str:
    if kind not in INPUT_KINDS:
        raise ValueError(f"input kind must be one of {', '.join(INPUT_KINDS)}, got {kind!r}")
    return kind


def data_config_for(kind: str, config: DataConfig) -> DataConfig:
    """The encoding a kind is scored on: the guitar's span for the guitar alone and the primed guitar, the model's
    own (the band's, for a band model) for the whole arrangement."""
    return config if check_kind(kind) == "band" else dataclasses.replace(config, listen_to_band=False)


def kind_options(kind: str, options: GenerationOptions) -> GenerationOptions:
    """The options a kind is generated with: `guitar_only` for the guitar, `keep_drums` for the primed input."""
    return dataclasses.replace(options, guitar_only=check_kind(kind) == "guitar", keep_drums=kind == "primed")


def bar_start_ticks(song: MidiSong, steps_per_quarter: int = 4) -> np.ndarray:
    """(n_bars,) first tick of every bar of the song's meter map, from tick 0 to its last note."""
    grid = Grid.build(song.ticks_per_quarter, song.time_signatures, song.tempos, song.end_tick, steps_per_quarter)
    return grid.step_to_tick(grid.bars[:, BAR_START])


def first_groove_bar(drum_onset_ticks: np.ndarray, bar_ticks: np.ndarray) -> int | None:
    """The first bar holding GROOVE_BAR_HITS or more drum note-ons (prime_split.py's b), or None."""
    if not len(drum_onset_ticks) or not len(bar_ticks):
        return None
    bars = np.searchsorted(bar_ticks, drum_onset_ticks, side="right") - 1
    counts = np.bincount(bars[bars >= 0], minlength=len(bar_ticks))
    full = np.flatnonzero(counts >= GROOVE_BAR_HITS)
    return int(full[0]) if len(full) else None


def given_end(bar_ticks: np.ndarray, groove_bar: int | None, end_tick: int) -> int:
    """The tick the given drums stop at: the end of bar b + PRIMED_BARS - 1 (the song's end past its last bar)."""
    if groove_bar is None:
        return 0
    last = groove_bar + PRIMED_BARS
    return int(bar_ticks[last]) if last < len(bar_ticks) else int(max(end_tick, bar_ticks[-1]))


def _spec(part: Part) -> TrackSpec:
    # a name shared by several channels of one track does not describe this part: it is left out, as the reader does
    return TrackSpec("" if part.name_shared else part.written_name, part.channel, part.notes, part.program)


def build_input(kind: str, midi_bytes: bytes, options: GenerationOptions) -> KindInput:
    """The song file as input of `kind` (MIDI bytes without drums, or the guitar with the given bars)."""
    song = read_midi(midi_bytes)
    try:
        guitar = select_guitar(song, options.track)
    except NoGuitarError:  # the whole arrangement of a song without a guitar (a trio): heard through its band
        if check_kind(kind) != "band":
            raise
        guitar = []
    bass = merged_notes(parts_by_role(song, guitar)[BASS])
    groove_bar, end_tick = None, 0
    if check_kind(kind) == "primed":
        bars = bar_start_ticks(song)
        drums = merged_notes(song.drum_parts)
        groove_bar = first_groove_bar(drums[:, START], bars)
        end_tick = given_end(bars, groove_bar, song.end_tick)
        given = drums[drums[:, START] < end_tick].copy()
        given[:, END] = np.minimum(given[:, END], end_tick)  # what the cut leaves sounding ends at the cut
        tracks = [_spec(part) for part in guitar] + [TrackSpec("Drums", DRUM_CHANNEL, given)] * bool(len(given))
    else:
        tracks = [_spec(part) for part in song.melodic_parts if part.note_count]
    data = write_midi(song.ticks_per_quarter, *song.written_maps, tracks, song.markers)
    return KindInput(kind, data, kind_options(kind, options), bass[:, START].copy(), song.ticks_per_quarter,
                     groove_bar, end_tick)


def _drum_keys(song: MidiSong) -> list[tuple[int, int, float, float]]:
    """(pitch, velocity, onset, duration) of every drum note, in quarters rounded to GIVEN_DIGITS."""
    notes = merged_notes(song.drum_parts)
    quarters = notes[:, [START, END]] / song.ticks_per_quarter
    return [(int(n[PITCH]), int(n[VELOCITY]), round(float(q[0]), GIVEN_DIGITS), round(float(q[1] - q[0]), GIVEN_DIGITS))
            for n, q in zip(notes, quarters)]


def given_kept(input_bytes: bytes, output_bytes: bytes) -> bool:
    """Kept drums checked on one output: every drum note of the input is in the output with the same pitch, velocity,
    onset and duration (to 1/1000 quarter), and no other note starts in a bar that holds a given note."""
    given_song = read_midi(input_bytes)
    try:
        written = Counter(_drum_keys(read_midi(output_bytes)))
    except MidiReadError:  # drums that rest all song (a live drummer can): no note is kept, none added
        written = Counter()
    given = Counter(_drum_keys(given_song))
    if given - written:
        return False
    bars = bar_start_ticks(given_song) / given_song.ticks_per_quarter
    covered = {int(np.searchsorted(bars, onset, side="right")) for _, _, onset, _ in given}
    added = written - given
    return not any(int(np.searchsorted(bars, onset, side="right")) in covered for _, _, onset, _ in added)


KIND_BASELINES = {"guitar": (), "band": ("bass_rule",), "primed": ("given_looped",)}


def kind_baselines(kind: str, made: KindInput | None, grid: Grid, real: DrumGrid) -> dict[str, DrumGrid]:
    """The baseline of the kind beside the loop, by name (`KIND_BASELINES`): the bass rule for the whole arrangement,
    the given bars looped for the primed input; `made` None (the song's file was not found): the loop stands in."""
    if made is None:
        return {name: backbeat(grid) for name in KIND_BASELINES[kind]}
    if kind == "band":
        ticks = made.bass_onset_ticks * grid.ticks_per_quarter / made.ticks_per_quarter
        return {"bass_rule": bass_rule(grid, ticks)}
    if kind == "primed":
        return {"given_looped": given_looped(grid, real, made.groove_bar, PRIMED_BARS)}
    return {}
