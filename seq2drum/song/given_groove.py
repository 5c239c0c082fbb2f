"""The groove a user gives, as bars both offline (generation/given.py) and live (live/kept.py) read it: a `--groove`
clip read into bars in the song's meter (`groove_clip`), the bars that play a groove (`groove_bars`), and kept bars made
a loop to continue: without their crash accents and the fills they end in, and live with their crash ride on the ride.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from seq2drum.errors import GrooveClipError, MidiReadError
from seq2drum.midi.drums import CRASH, PITCH_TO_CLASS, RIDE, TOMS
from seq2drum.midi.io import PITCH, START, merged_notes, read_midi
from seq2drum.options import GROOVE_CLIP_MAX_BARS
from seq2drum.song.clip_notes import clip_drum_notes
from seq2drum.song.drum_part import drums_to_grid, per_bar
from seq2drum.song.grid import BAR_DENOMINATOR, BAR_NUMERATOR, BAR_START, BAR_STEPS, Grid

LOOP_BAR_HITS = 4  # the kept groove starts at the first kept bar with this many hits (as ../shared's prime_split.py)
LOOP_MAX_BARS = 8  # the kept bars looped after them: at most the last 8 from there
TOM_CLASSES = list(TOMS)
CRASH_RIDE_HITS = 3  # crashes in a kept bar from which the crash keeps time (is ridden), not an accent


def without_crash_accents(loop: np.ndarray, loop_notes: list[np.ndarray],
                          step_ticks: int) -> tuple[np.ndarray, list[np.ndarray]]:
    """The kept bars as a loop to continue, without their crash accents: crashes on the downbeats (a drummer's first
    bars often open the song with a crash) and crashes off the downbeat that not every kept bar plays at that step (a
    pickup's crash on beat 4). Looped, an accent crashes every bar: on the primed inputs of ../shared's
    cross-validation, the downbeat crashes crashed on more than half the bars of 14% of songs, drummers 4%; an accent
    off the downbeat, once taken for crash riding and looped, put a crash in most bars of 7 songs of 624 whose
    drummers crash in 7-39% (2 after: a push both kept bars crash on, a crash ridden under toms). A crash ridden
    (CRASH_RIDE_HITS or more in a bar) is the groove and stays whole, and so does a cymbal each of two or more kept
    bars plays at one step off the downbeat (a china on the backbeat, which the kit maps to the crash; taking it for
    an accent cost mog 0.36 of its F1); the model's crash rule opens phrases (step_ticks: a step's length in the
    notes' ticks)."""
    crashes = loop[..., CRASH]
    if not crashes.any() or crashes.sum(axis=1).max() >= CRASH_RIDE_HITS:
        return loop, loop_notes
    kept = crashes.all(axis=0, keepdims=True) & crashes  # at a step every kept bar crashes on (of two or more)
    kept[:, 0] = False
    kept &= len(loop) >= 2
    if (kept == crashes).all():
        return loop, loop_notes
    loop = loop.copy()
    loop[..., CRASH] = kept
    notes = []
    for bar, steps in zip(loop_notes, kept):
        if len(bar):
            step = np.minimum((bar[:, START] + step_ticks // 2) // max(step_ticks, 1), len(steps) - 1)
            bar = bar[(PITCH_TO_CLASS[bar[:, PITCH]] != CRASH) | steps[step]]
        notes.append(bar)
    return loop, notes


def without_kept_fills(loop: np.ndarray, loop_steps: np.ndarray,
                       loop_notes: list[np.ndarray]) -> tuple[np.ndarray, list[np.ndarray]]:
    """The kept bars as a loop to continue, without the fills they end in: a kept bar whose toms all sit in its second
    half, in a figure no other kept bar plays, is a groove ending in a fill (an intro's tom run into the song), and a
    drummer does not play that fill every time the loop comes round; the groove goes on without it and the fill rule
    writes fills where phrases end. Toms that recur in the kept bars, or that start in a bar's first half, are the
    groove and stay (loop_steps (L,): each bar's length; loop_notes: its notes, whose toms go with it). With the
    crash accents, out of fold from the primed input: tom grooves where the drummer has none 15 -> 13 songs of 624,
    take 1 0.6128 -> 0.6139 (cv1-5 0.25 -> 0.52: its intro's tom run no longer looped)."""
    if len(loop) < 2:
        return loop, loop_notes
    toms = loop[..., TOM_CLASSES]
    fills = []
    for bar, length in enumerate(loop_steps.tolist()):
        recurs = any((toms[other] == toms[bar]).all() for other in range(len(loop)) if other != bar)
        if toms[bar].any() and not toms[bar, : length // 2].any() and not recurs:
            fills.append(bar)
    if not fills:
        return loop, loop_notes
    loop, notes = loop.copy(), list(loop_notes)
    for bar in fills:
        loop[bar][:, TOM_CLASSES] = False
        if len(notes[bar]):
            notes[bar] = notes[bar][~np.isin(PITCH_TO_CLASS[notes[bar][:, PITCH]], TOM_CLASSES)]
    return loop, notes


def crash_ride_on_ride(loop: np.ndarray) -> np.ndarray:
    """The kept bars (L, S, 9) as the live drummer continues them: a crash ridden inside the bars (an intro's crash on
    every beat) moves to the ride, downbeats too; the model's crash rule still opens phrases with a crash. Looped
    bar after bar live, the kept crash ride crashed every bar of 10 songs of 624 (out of fold, primed: checklist
    crash_ridden), whose drummers ride it through an intro and then move on; offline the song's own sections choose
    the grooves, and the kept loop's crashes rarely go on."""
    if not loop[:, 1:, CRASH].any():
        return loop
    loop = loop.copy()
    loop[..., RIDE] |= loop[..., CRASH]
    loop[..., CRASH] = False
    return loop


def groove_bars(hits: np.ndarray) -> np.ndarray:
    """(n,) bool the bars of hits (n, S, 9) that play a groove: LOOP_BAR_HITS hits on two drums or more (a count-in's
    sticks are one drum, an intro's crash-and-kick hits are a few)."""
    return (hits.sum(axis=(1, 2)) >= LOOP_BAR_HITS) & (hits.any(axis=1).sum(axis=1) >= 2)


def most_played_meter(grid: Grid, first_bar: int, end_bar: int) -> tuple[int, int]:
    """(numerator, denominator) of the most bars in [first_bar, end_bar)."""
    rows = grid.bars[first_bar:end_bar] if end_bar > first_bar else grid.bars
    counts = Counter(zip(rows[:, BAR_NUMERATOR].tolist(), rows[:, BAR_DENOMINATOR].tolist()))
    return counts.most_common(1)[0][0]


def bar_notes(notes: np.ndarray, start_tick: int, end_tick: int, scale: float = 1.0) -> np.ndarray:
    """The notes (N, 4) starting in [start_tick, end_tick), their ticks from `start_tick`, times `scale` (another
    file's clock)."""
    inside = notes[(notes[:, START] >= start_tick) & (notes[:, START] < end_tick)].copy()
    inside[:, :2] = np.round((inside[:, :2] - start_tick) * scale)
    inside[:, 1] = np.maximum(inside[:, 1], inside[:, 0] + 1)
    return inside


def groove_clip(data: bytes, meter: tuple[int, int], width: int, steps_per_quarter: int,
                ticks_per_quarter: int) -> tuple[np.ndarray, np.ndarray, list[np.ndarray], str]:
    """A drum clip's bars (k, S, 9) from the bar of its first drum note, at most GROOVE_CLIP_MAX_BARS, their
    lengths (k,) in steps, their notes (ticks from each bar's start at `ticks_per_quarter`, the song's clock) and a
    notice when it was cut. GrooveClipError for a clip that is not MIDI, has no drums,
    or whose bars are in another meter than `meter` (the song's most played)."""
    try:
        clip = read_midi(data)
    except MidiReadError as exc:
        raise GrooveClipError(f"the groove clip is not a MIDI file seq2drum can read ({exc}); export the clip as a "
                              "Standard MIDI File") from exc
    notes, left_out = clip_drum_notes(merged_notes(clip.drum_parts))
    if not len(notes):
        raise GrooveClipError(f"the groove clip holds no drums (no notes on MIDI channel 10{left_out}); its parts "
                              f"are: {'; '.join(clip.part_listing())}. Give a drum clip, such as a loop from your "
                              "library")
    grid = Grid.build(clip.ticks_per_quarter, clip.time_signatures, clip.tempos, int(notes[:, 1].max()),
                      steps_per_quarter)
    first = int(np.searchsorted(grid.bars[:, BAR_START], grid.quantize(notes[:1, START])[0][0], side="right") - 1)
    bars = grid.bars[max(first, 0):]
    notice = ""
    if len(bars) > GROOVE_CLIP_MAX_BARS:
        notice = (f"the groove clip has {len(bars)} bars from its first drum note; its first "
                  f"{GROOVE_CLIP_MAX_BARS} are the groove the drums start from")
        bars = bars[:GROOVE_CLIP_MAX_BARS]
    if left_out:
        notice = "; ".join(filter(None, [notice, f"the groove clip's notes{left_out}"]))
    clip_meter = most_played_meter(grid, max(first, 0), max(first, 0) + len(bars))
    if clip_meter != tuple(meter):
        raise GrooveClipError(f"the groove clip is in {clip_meter[0]}/{clip_meter[1]} and the song mostly in "
                              f"{meter[0]}/{meter[1]}; give a clip in {meter[0]}/{meter[1]}")
    starts = grid.step_to_tick(bars[:, BAR_START])
    ends = grid.step_to_tick(bars[:, BAR_START] + bars[:, BAR_STEPS])
    scale = ticks_per_quarter / clip.ticks_per_quarter
    loop_notes = [bar_notes(notes, start, end, scale) for start, end in zip(starts.tolist(), ends.tolist())]
    hits = per_bar(drums_to_grid(notes, grid).hits, bars, width)
    return hits, bars[:, BAR_STEPS].astype(np.int64), loop_notes, notice
