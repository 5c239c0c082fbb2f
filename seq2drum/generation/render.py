"""Generation's last stage: decided takes (per bar) -> drum MIDI bytes. Velocity and timing as drummers play them
(seq2drum.feel's humanizer, learned from GMD), swing (--swing, or read off the parts the drums listen to:
seq2drum.feel.swing), each hit on its class's note or its articulation's (the hi-hat foot, the cross-stick), the
count-in's sticks, the kit map, section markers, and the song's own tempo and meter maps
at a clock fine enough for microtiming; with a notice when the drums came out nearly empty.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from seq2drum.feel.level import at_level, at_spread, heard_level, heard_spread
from seq2drum.feel.model import humanize, shipped_tables
from seq2drum.feel.swing import decide_swing, swing
from seq2drum.options import OPTIONS, GenerationOptions
from seq2drum.outputs import fewer_takes_notice
from seq2drum.generation.given import bar_ticks, with_kept
from seq2drum.generation.prepare import PreparedSong
from seq2drum.groove.density import density_notice
from seq2drum.generation import count_in
from seq2drum.groove.policy import Take
from seq2drum.midi.drums import midi_velocity
from seq2drum.midi.io import DRUM_CHANNEL, END, START, VELOCITY, MidiSong, merged_notes
from seq2drum.midi.write import TrackSpec, write_midi
from seq2drum.midi.kit import KitMap
from seq2drum.song.drum_part import DrumGrid, drums_to_grid, grid_to_drums, part_to_grid
from seq2drum.song.encode import EncodedSong
from seq2drum.song.grid import BAR_DENOMINATOR, BAR_NUMERATOR, Grid

MIN_OUTPUT_TICKS_PER_QUARTER = 480  # files with a coarser clock are written at an integer multiple of it
SPARSE_HITS_PER_BAR = 1.0  # fewer drum hits than this per bar where the guitar plays is worth a warning


@dataclass
class TakeResult:
    """One take: its MIDI bytes and drums on the song's grid."""

    index: int  # 1-based
    midi_bytes: bytes
    drums: DrumGrid
    n_hits: int  # drum notes written: the count-in's sticks too
    expected_f1: float  # under the model's calibrated probabilities
    parts: tuple[tuple[int, str], ...] = ()  # the take's plan: (first bar, 1-based, part name) of each phrase
    plan: str = ""  # where its plan came from, or why it plays none (parts.plan `Plan.describe`)

    def __repr__(self) -> str:
        return f"TakeResult(take {self.index}, {self.n_hits} hits, {len(self.midi_bytes)} bytes)"


def render(prepared: PreparedSong, takes: list[Take], options: GenerationOptions, seed: int,
           swing_reading: tuple[float | None, str] | None = None) -> tuple[list[TakeResult], list[str], list[str]]:
    """Every take as MIDI bytes (drums, with `merge` every part listened to too), the notices for the user to check
    ("" where none), and the information for the user (what was read off the song: the swing the drums play). Kept
    drums (`prepared.given`) are written as given, and nothing else starts in their bars. `swing_reading`: the swing
    and its notice (`song_swing`) where the caller has read them already."""
    encoded, song, choice, given = prepared.encoded, prepared.song, prepared.choice, prepared.given
    ratio, swing_notice = swing_reading or song_swing(prepared, options)
    # (a song swung by its own reading got time-keeping that carries its swing as a take step: groove.decide)
    level, spread = drums_feel(prepared)
    swung = [swing(grid, encoded.grid, ratio) for grid in takes_to_grids(encoded, takes, options, seed, level, spread)]
    copies = [given.copies(take.hits, prepared.bars.bar_steps, encoded.grid, encoded.first_bar) if given else None
              for take in takes]
    grids = [given.clear_covered(grid, encoded.grid, copied[1]) if given and copied else grid
             for (grid, _), copied in zip(swung, copies)]
    parts = prepared.listened_parts if options.merge else []
    markers = [(int(encoded.grid.step_to_tick(encoded.grid.bars[s.start_bar, 0])), f"Section {s.letter}")
               for s in prepared.bars.sections]
    sticks = count_in.clicks(encoded.grid, encoded.first_bar, options.count_in_bars)
    kit = KitMap.from_json(options.kit_map) if options.kit_map else KitMap.gm()
    if given is not None:  # the count-in's sticks stay out of bars that hold the user's drums
        sticks = with_kept(sticks, sticks[:0], bar_ticks(encoded.grid, given.covered_grid_bars), move=False)
    kept = given.notes if given is not None else np.zeros((0, 4), dtype=np.int64)
    results = []
    for index, (take, grid, copied) in enumerate(zip(takes, grids, copies), start=1):
        written = kit.apply(grid_to_drums(grid, encoded.grid), sticks)
        if given is not None and copied is not None:  # the user's notes: kept, and their loop bars continued
            users = np.concatenate([kept, copied[0]])
            drums = with_kept(written, users, bar_ticks(encoded.grid, given.covered_grid_bars | copied[1]))
            grid = with_users(grid, drums_to_grid(users, encoded.grid))
        else:
            drums = written
        results.append(TakeResult(index, write_song(song, drums, parts, markers), grid, len(drums), take.expected_f1,
                                  take.parts, take.plan.describe() if take.plan is not None else ""))
    listened = merged_notes(choice.parts or prepared.band_parts or [])
    sparse = sparse_drums_notice(grids[0], encoded.grid, listened, options.temperature) if not kept.size else ""
    notices = [*song.notices, choice.notice, swung[0][1], sparse,
               count_in.moved_notice(prepared.moved_bars, options.count_in_bars), given.notice if given else "",
               fewer_takes_notice(len(takes), options.takes, limiting_controls(options), main_meter(encoded)),
               density_notice(options.density, takes[0].density_reached if takes else None)]
    return results, notices, [swing_notice]


def song_swing(prepared: PreparedSong, options: GenerationOptions) -> tuple[float | None, str]:
    """The swing the drums play (`--swing`, else the song's own reading; None: straight) and its notice
    (feel.swing `decide_swing`)."""
    return decide_swing(options.swing, prepared.guitar_notes_per_part, prepared.encoded.grid,
                        prepared.band_notes_per_part, prepared.bass_notes_per_part)


def swung_by_song(prepared: PreparedSong, options: GenerationOptions,
                  swing_reading: tuple[float | None, str] | None = None) -> bool:
    """Whether the song swings by its own reading (no --swing asked): the decision then plays time-keeping that
    carries the swing (groove.decide's swung time-keeping step). `swing_reading` as `render`'s."""
    return options.swing is None and (swing_reading or song_swing(prepared, options))[0] is not None


def limiting_controls(options: GenerationOptions) -> tuple[str, ...]:
    """The controls asked that hold every take to one sound or one family (a style, a density, a cymbal; no fills or
    no crashes at all), with their flags and defaults from options.OPTIONS."""
    flags = {option.name: option for option in OPTIONS}
    limiting = {"style": None, "density": None, "cymbal": None, "fills": "none", "crashes": "none"}
    asked = []
    for name, only in limiting.items():
        value = getattr(options, name)
        if value != flags[name].default and (only is None or value == only):
            asked.append(f"{flags[name].flag} {value:g}" if isinstance(value, float) else f"{flags[name].flag} {value}")
    return tuple(asked)


def main_meter(encoded: EncodedSong) -> str:
    """The meter most of the song's drummed bars are in, as NUM/DEN ("" for a song of no bars)."""
    rows = encoded.grid.bars[encoded.first_bar:]
    if not len(rows):
        return ""
    meters, counts = np.unique(rows[:, [BAR_NUMERATOR, BAR_DENOMINATOR]], axis=0, return_counts=True)
    numerator, denominator = meters[int(np.argmax(counts))]
    return f"{numerator}/{denominator}"


def with_users(drums: DrumGrid, users: DrumGrid) -> DrumGrid:
    """The take's drums on the grid with the user's notes in (the take's figures and plots show what is written)."""
    hits = drums.hits | users.hits
    return DrumGrid(hits, np.where(users.hits, users.velocity, drums.velocity).astype(np.uint8),
                    np.where(users.hits, users.offset, drums.offset).astype(np.float32),
                    articulation=np.where(users.hits, users.articulation, drums.articulation).astype(np.uint8))


def drums_feel(prepared: PreparedSong) -> tuple[float | None, float | None]:
    """The level the drums play at (mean MIDI velocity) and how far their velocities spread around it (a standard
    deviation; feel.level): those of the drums the user gave, else those a drummer plays with beside the parts the
    drums listen to (None: no notes)."""
    if prepared.given is not None and len(prepared.given.notes):
        given = prepared.given.notes[:, VELOCITY]
        return float(given.mean()), float(given.std())
    parts = prepared.listened_parts  # their velocities only: no merged, sorted copy of every note
    heard = np.concatenate([part.notes[:, VELOCITY] for part in parts]) if parts else np.zeros(0)
    return heard_level(heard), heard_spread(heard)


def takes_to_grids(encoded: EncodedSong, takes: list[Take], options: GenerationOptions, seed: int,
                   level: float | None = None, spread: float | None = None) -> list[DrumGrid]:
    """Per-bar takes -> drums on the song's step grid, each hit's velocity and offset from the humanizer at
    `options.humanize` and `options.feel` (0: on the grid at the decided velocity, at `level` and `spread`). The
    network's own velocity and offset predictions reach the output only through the decided velocity, blended in
    below humanize 1; its offsets are not used. The decided velocities are first moved to `level` (`drums_feel`;
    times `--dynamics`, which the take holds already; None: as decided), and the played ones then spread as far as
    `spread` says (`drums_feel`, times `--dynamics`; None: as the humanizer spreads them). One random stream per
    request: the drummer first (the same for every take), then take after take, so the seed fixes every take."""
    rng = np.random.default_rng([seed, 1])
    drummer = shipped_tables().draw_drummer(rng, options.feel) if options.humanize > 0 else None
    grids = []
    for take in takes:
        on_grid = part_to_grid(take, encoded.grid, encoded.first_bar)  # its offsets unused: the humanizer's play
        hits = on_grid.hits
        level_asked = None if level is None else level * options.dynamics
        velocity = at_level(on_grid.velocity.astype(np.int64), hits, level_asked)
        decided = DrumGrid(hits, np.where(hits, midi_velocity(velocity), 0).astype(np.uint8),
                           np.zeros(hits.shape, dtype=np.float32), articulation=on_grid.articulation)
        played = humanize(decided, encoded.grid, options.humanize, drummer, rng, options.dynamics)
        if spread is not None:
            played = replace(played, velocity=at_spread(played.velocity, played.hits, spread * options.dynamics))
        grids.append(played)
    return grids


def sparse_drums_notice(drums: DrumGrid, grid: Grid, guitar_notes: np.ndarray, temperature: float = 0.0) -> str:
    """A warning when the drums are nearly empty (under one hit per bar on average over the bars where the guitar
    sounds), saying what to try; "" otherwise. Decoding guards against it, so this is a last check."""
    if not len(guitar_notes) or not grid.n_steps:
        return ""
    start_step, _ = grid.quantize(guitar_notes[:, START])
    end_step, _ = grid.quantize(guitar_notes[:, END])
    start_step = np.clip(start_step, 0, grid.n_steps - 1)
    end_step = np.clip(np.maximum(end_step, start_step + 1), 1, grid.n_steps)
    change = np.zeros(grid.n_steps + 1, dtype=np.int64)  # +1 where a note starts sounding, -1 where it stops
    np.add.at(change, start_step, 1)
    np.add.at(change, end_step, -1)
    sounding = np.cumsum(change[:-1]) > 0  # (n_steps,)
    bar_of_step = grid.bar_of_step()
    guitar_bars = np.unique(bar_of_step[sounding])
    hits = int(drums.hits[np.isin(bar_of_step, guitar_bars)].sum())
    if hits >= SPARSE_HITS_PER_BAR * len(guitar_bars):
        return ""
    to_try = "try another --seed or --temperature 0" if temperature > 0 else "try --takes 4 for other readings"
    return (
        f"the drums are nearly empty: {hits} hits over the {len(guitar_bars)} bars where the guitar plays "
        f"({hits / len(guitar_bars):.1f} per bar). Check that the parts used are the guitar "
        "(pick others with --track); "
        f"{to_try}"
    )


def write_song(song: MidiSong, drum_notes: np.ndarray, parts: list[Any],
               markers: Sequence[tuple[int, str]] = ()) -> bytes:
    """Drums (and optionally other parts: those listened to) with the song's tempo and meter maps, at a clock fine
    enough for microtiming (an integer multiple of the input's, so every tempo and meter event keeps its exact
    position);
    `markers` (tick at the input's clock, text) name the sections on the DAW's timeline."""
    factor = max(1, -(-MIN_OUTPUT_TICKS_PER_QUARTER // song.ticks_per_quarter))
    scale = np.array([factor, factor, 1, 1], dtype=np.int64)
    tracks = [TrackSpec("Drums (seq2drum)", DRUM_CHANNEL, drum_notes * scale)]
    tracks += [TrackSpec(part.written_name or "Guitar", part.channel, part.notes * scale, part.program)
               for part in parts]
    tempos, meters = song.written_maps  # the input's own events: none added, none merged
    return write_midi(
        song.ticks_per_quarter * factor,
        [(tick * factor, us) for tick, us in tempos],
        [(tick * factor, num, den) for tick, num, den in meters],
        tracks,
        [(tick * factor, text) for tick, text in markers],
    )
