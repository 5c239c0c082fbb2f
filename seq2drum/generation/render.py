"""Generation's last stage: decided takes (per bar) -> drum MIDI bytes. Each take goes through the render pipeline the
live drummer plays its bars through (seq2drum.render: the level, the humanizer's velocity and timing, the spread,
swing, each hit's note and the kit map), over the whole song: at the touch read off the song (`drums_feel`),
swung at --swing or the song's own reading (seq2drum.feel.swing). Here only what a whole song adds: the drums the user
gave (written as given), the count-in's sticks, section markers, and the song's own tempo and meter maps at a clock
fine enough for microtiming; with a notice when the drums came out nearly empty.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from seq2drum import arrays
from seq2drum.band import jazz_score
from seq2drum.feel.level import SongLevel, heard_level, heard_spread
from seq2drum.feel.swing import decide_swing
from seq2drum.feel.touch import TOUCH_CEILING, heard_touch
from seq2drum.options import MIN_SWING, OPTIONS, STRAIGHT_STYLES, GenerationOptions
from seq2drum.outputs import fewer_takes_notice
from seq2drum.generation.given import bar_ticks, with_kept
from seq2drum.generation.prepare import PreparedSong
from seq2drum.groove import Take, density_notice
from seq2drum.generation import count_in
from seq2drum.midi.io import DRUM_CHANNEL, END, START, VELOCITY, MidiSong, merged_notes
from seq2drum.midi.write import TrackSpec, write_midi
from seq2drum.generation.styled import named, straight_sections
from seq2drum.parts.played import played_parts
from seq2drum.render.pipeline import PART_SWING, Played, RenderControls, draw_drummer, notes, play
from seq2drum.song.drum_part import DrumGrid, drums_to_grid, grid_to_part, part_to_grid
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
    # the take's plan's phrases: (first bar, 1-based; the part's name as played, parts.played) of each
    parts: tuple[tuple[int, str], ...] = ()
    plan: str = ""  # where its plan came from, or why it plays none (parts.plan `Plan.describe`)
    planned: tuple[tuple[int, str], ...] = ()  # the plan's own names of the same phrases: what each was asked to play

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
    controls = RenderControls.of(options, ratio)
    played = played_takes(encoded, takes, controls, seed, drums_feel(prepared, seed))
    copies = [given.copies(take.hits, prepared.bars.bar_steps, encoded.grid, encoded.first_bar) if given else None
              for take in takes]
    grids = [given.clear_covered(take.on_grid(), encoded.grid, copied[1]) if given and copied else take.on_grid()
             for take, copied in zip(played, copies)]
    parts = prepared.listened_parts if options.merge else []
    markers = [(int(encoded.grid.step_to_tick(encoded.grid.bars[s.start_bar, 0])), f"Section {s.letter}")
               for s in prepared.bars.sections]
    sticks = count_in.clicks(encoded.grid, encoded.first_bar, options.count_in_bars)
    if given is not None:  # the count-in's sticks stay out of bars that hold the user's drums
        sticks = with_kept(sticks, sticks[:0], bar_ticks(encoded.grid, given.covered_grid_bars), move=False)
    kept = given.notes if given is not None else np.zeros((0, 4), dtype=np.int64)
    results = []
    for index, (take, grid, copied) in enumerate(zip(takes, grids, copies), start=1):
        written = notes(Played.from_grid(grid), encoded.grid, controls, sticks)  # the drums the result shows
        if given is not None and copied is not None:  # the user's notes: kept, and their loop bars continued
            users = np.concatenate([kept, copied[0]])
            drums = with_kept(written, users, bar_ticks(encoded.grid, given.covered_grid_bars | copied[1]))
            grid = with_users(grid, drums_to_grid(users, encoded.grid))
        else:
            drums = written
        results.append(TakeResult(index, write_song(song, drums, parts, markers), grid, len(drums), take.expected_f1,
                                  as_played(take, grid, prepared),
                                  take.plan.describe(), take.parts))
    listened = merged_notes(choice.parts or prepared.band_parts or [])
    sparse = sparse_drums_notice(grids[0], encoded.grid, listened, options.temperature) if not kept.size else ""
    notices = [*song.notices, choice.notice, played[0].notice, sparse,
               count_in.moved_notice(prepared.moved_bars, options.count_in_bars), given.notice if given else "",
               fewer_takes_notice(len(takes), options.takes, limiting_controls(options), main_meter(encoded)),
               density_notice(options.density, takes[0].density_reached if takes else None,
                              bool(takes) and takes[0].plan.played,
                              takes[0].density_whole if takes else None,
                              bool(takes) and takes[0].plan.chosen is not None and bool(takes[0].plan.chosen.any())),
               named_misses_notice(takes[0], results[0], options) if takes else ""]
    return results, notices, [swing_notice, straight_parts_notice(takes, options, ratio),
                              swung_parts_notice(takes, ratio)]


def straight_parts_notice(takes: list[Take], options: GenerationOptions, ratio: float | None) -> str:
    """What the run says where the parts the musician named in straight eighths or 16ths play straight under a band
    that swings (groove.swung_song `plan_swing`; a drummers' style's sections say so in `song_swing`)."""
    if ratio is None or not takes or takes[0].straight_bars is None or straight_sections(options):
        return ""
    return (f"the parts you named in straight eighths or 16ths are played straight, where the band swings at "
            f"{ratio:.2f} of the beat; name their swung part (\"swung eighths on the hat\", \"jazz ride\") or "
            f"--swing {ratio:.2f} to swing them")


def swung_parts_notice(takes: list[Take], ratio: float | None) -> str:
    """What the run says where the swung parts the musician named swing at the triplet under a band that swings less
    (groove.swung_song `plan_swing`, render.pipeline `swung`)."""
    if ratio is None or ratio >= PART_SWING or not takes or takes[0].swung_bars is None:
        return ""
    return (f"the swung parts you named are played at the triplet ({PART_SWING:.2f} of the beat), where the band "
            f"swings at {ratio:.2f}; --swing {ratio:.2f} plays them with the band")


NAMED_MISSES_SHOWN = 3  # the phrases named that play as another part the notice lists


def named_misses_notice(take: Take, result: TakeResult, options: GenerationOptions | None = None) -> str:
    """What the run says where phrases the musician named play as another part, as it prints them, and why (issue
    100: a 7/8 bar's eighths are its beats, so "eighths on the hat" plays as "quarters on the hat"; a part thinner
    than the song around it reads as "sparse / intro"; `--cymbal` and `--swing` apply to every part); "" where every
    one plays as named. A drummers' style's sections are its own ("bossa (...)")."""
    chosen = take.plan.chosen
    if chosen is None or not (len(chosen) == len(result.planned) == len(result.parts)):
        return ""
    missed = [(bar, asked, played) for named_, (bar, asked), (_, played) in zip(chosen.tolist(), result.planned,
                                                                               result.parts)
              if named_ and asked != played and not played.startswith(f"{asked} (")]
    if not missed:
        return ""
    shown = "; ".join(f"bar {bar}: {asked!r} as {played!r}" for bar, asked, played in missed[:NAMED_MISSES_SHOWN])
    more = f"; and {len(missed) - NAMED_MISSES_SHOWN} more" if len(missed) > NAMED_MISSES_SHOWN else ""
    return (f"{len(missed)} of the {int(np.count_nonzero(chosen))} phrases you named play as another part ({shown}"
            f"{more}): {misses_reason(missed, options)}")


def misses_reason(missed: list[tuple[int, str, str]], options: GenerationOptions | None) -> str:
    """Why phrases the musician named play as another part: a control asked for every part where the parts played
    show it (`--cymbal` the time moved to its cymbal, `--swing` a straight part swung), else their bars."""
    asked = []
    cymbal = {"ride": "on the ride", "hats": "on the hat"}.get(options.cymbal if options is not None else "auto")
    if cymbal and any(cymbal in played and cymbal not in named for _, named, played in missed):
        asked.append(f"--cymbal {options.cymbal} keeps every part's time {cymbal}")
    if options is not None and options.swing is not None and any(
            played.startswith("swung") and not named.startswith("swung") for _, named, played in missed):
        asked.append(f"--swing {options.swing:g} swings every part")
    if asked:
        return "; ".join(asked) + " (leave it out to play them as named)"
    return "their bars do not hold it as named (an odd meter's beats, or a part thinner than the song around it)"


def as_played(take: Take, drums: DrumGrid, prepared: PreparedSong) -> tuple[tuple[int, str], ...]:
    """The take's phrases (its plan's) named as the written `drums` play them (parts.played): what is printed and
    drawn is what sounds, after every take step, the swing and the user's kept notes. Bars no phrase holds (a plan
    of the musician's sections alone: the others bar by bar) are named so where they start."""
    if not take.parts:
        return take.parts
    encoded, bars = prepared.encoded, prepared.bars
    played = grid_to_part(drums, encoded.grid, encoded.first_bar, take.hits.shape[1])
    n = min(len(played.hits), bars.n_bars)
    phrases = take.plan.phrases
    ends = [encoded.first_bar + phrase.end_row + 1 for phrase in phrases] if len(phrases) == len(take.parts) else None
    return named(take.parts, played_parts(take.parts, played.hits[:n], played.offset[:n], bars.bar_steps[:n],
                                          bars.beat_steps[:n], encoded.first_bar, encoded.grid.steps_per_quarter,
                                          end_bars=ends))


def song_swing(prepared: PreparedSong, options: GenerationOptions) -> tuple[float | None, str]:
    """The swing the drums play (`--swing`, else the song's own reading; None: straight) and its notice
    (feel.swing `decide_swing`); a style played straight (options.STRAIGHT_STYLES) says so where the band swings."""
    parts = (prepared.guitar_notes_per_part, prepared.encoded.grid, prepared.band_notes_per_part,
             prepared.bass_notes_per_part)
    if options.style in STRAIGHT_STYLES and options.swing == MIN_SWING:
        own, _ = decide_swing(None, *parts)
        if own is not None:
            return MIN_SWING, (f"a {options.style} is played straight, where the band swings at {own:.2f} of the beat; "
                               f"--swing {own:.2f} swings it")
    ratio, notice = decide_swing(options.swing, *parts)
    straight = straight_sections(options)
    if straight and ratio is not None:  # --parts "B=bossa": those sections straight (generation/styled.py)
        said = (f"the {' and '.join(straight)} sections are played straight, where the band swings at {ratio:.2f} of "
                f"the beat; --swing {ratio:.2f} swings them")
        notice = f"{notice}; {said}" if notice else said
    return ratio, notice


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


def drums_feel(prepared: PreparedSong, seed: int = 0) -> SongLevel:
    """The level the drums play at (mean MIDI velocity) and how far their velocities spread around it (a standard
    deviation): those of the drums the user gave, else a drummer's touch beside the parts the drums listen to and the
    band described, its spread drawn by `seed`, its loudest hits under feel.touch's ceiling (feel.touch; feel.level's
    lines without its table; None: no notes)."""
    if prepared.given is not None and len(prepared.given.notes):
        given = prepared.given.notes[:, VELOCITY]
        return SongLevel(float(given.mean()), float(given.std()))
    parts = prepared.listened_parts  # their velocities only: no merged, sorted copy of every note
    heard = np.concatenate([part.notes[:, VELOCITY] for part in parts]) if parts else np.zeros(0)
    described = prepared.described
    touch = heard_touch(heard, seed, jazz_score=jazz_score(described) if described is not None else None)
    return SongLevel(*touch, TOUCH_CEILING) if touch is not None else SongLevel(heard_level(heard), heard_spread(heard))


def takes_to_grids(encoded: EncodedSong, takes: list[Take], options: GenerationOptions, seed: int,
                   level: float | None = None, spread: float | None = None) -> list[DrumGrid]:
    """Per-bar takes -> drums on the song's step grid as played, straight (`played_takes` at `options`, no swing): at
    `level` and `spread` (`drums_feel`; None: as decided, as the humanizer spreads them)."""
    controls = RenderControls.of(options)
    return [take.on_grid() for take in played_takes(encoded, takes, controls, seed, SongLevel(level, spread))]


def played_takes(encoded: EncodedSong, takes: list[Take], controls: RenderControls, seed: int,
                 loudness: SongLevel) -> list[Played]:
    """Each take through the render pipeline (render.pipeline `play`) on the song's step grid, at `loudness`. The
    network's own velocities reach the output only through the decided velocity, blended in below humanize 1; its
    offsets are not used. One random stream per request: the drummer first (the same for every take), then take after
    take, so the seed fixes every take."""
    rng = np.random.default_rng([seed, 1])
    drummer = draw_drummer(rng, controls.feel, controls.humanize)
    return [play(part_to_grid(take, encoded.grid, encoded.first_bar), encoded.grid,
                 controls._replace(part_swing_steps=song_steps(take.swung_bars, encoded),
                                   own_touch_steps=song_steps(take.own_touch, encoded),
                                   straight_steps=song_steps(take.straight_bars, encoded)), loudness, drummer, rng)[0]
            for take in takes]


def song_steps(bars: np.ndarray | None, encoded: EncodedSong) -> np.ndarray | None:
    """(N,) bool the song steps of a take's bars `bars` (n,) bool (the bars its plan's swung parts swing in,
    `Take.swung_bars`; of a style's drummers' bars, `Take.own_touch`), None where none is."""
    if bars is None or not bars.any():
        return None
    grid = encoded.grid
    swung_rows = np.zeros(len(grid.bars), dtype=bool)
    swung_rows[encoded.first_bar: encoded.first_bar + len(bars)] = bars[: max(len(grid.bars) - encoded.first_bar, 0)]
    return swung_rows[grid.bar_of_step()]


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
    guitar_bars = arrays.distinct(bar_of_step[sounding])
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
