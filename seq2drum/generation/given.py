"""The drums a user gives: the input's own drums kept where they play (`--keep-drums`), and a groove clip the drums
start from and come back to (`--groove`), as one `GivenDrums` built once by `prepare`.

The decision reads it through `given_continuation` (groove.continuation: the kept bars forced, the groove to continue
preferred), a network that hears drums through `heard_for` (model/heard.py: `hits`, `covered`, `groove`), and the
render through `with_kept`: every kept note is written exactly as it came (pitch, velocity, onset, duration, no kit
map, humanizing or swing), and no written note starts in a bar that holds one.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from seq2drum.generation.breaks import kept_silence, own_bars
from seq2drum.song.clip_notes import check_clip_loop
from seq2drum.groove import Continuation, GrooveCodebook, PREFERRED_MIN_SHARE, given_groove
from seq2drum.midi.drums import CRASH, PITCH_TO_CLASS, RIDE, class_to_pitch
from seq2drum.midi.io import END, PITCH, START, MidiSong, merged_notes
from seq2drum.song.drum_part import DrumGrid, drums_to_grid, per_bar
from seq2drum.song.given_groove import (LOOP_MAX_BARS, bar_notes, groove_bars, groove_clip, most_played_meter,
                                        without_crash_accents, without_kept_fills)
from seq2drum.song.sections import Section
from seq2drum.song.grid import BAR_START, BAR_STEPS, Grid

RIDE_PITCH = class_to_pitch(RIDE)  # a kept crash ridden on the ride is written as the GM ride


@dataclass
class GivenDrums:
    """The user's drums, on the song's grid and on the BarSong's rows (n bars of the span, S steps, 9 classes)."""

    hits: np.ndarray  # (n, S, 9) bool: the kept drums in the covered bars
    covered: np.ndarray  # (n,) bool: bars of the span holding a kept note (nothing is decided there)
    groove: np.ndarray | None = None  # (k, S, 9) bool: a --groove clip's bars, heard as the bar before the song
    notes: np.ndarray = field(default_factory=lambda: np.zeros((0, 4), dtype=np.int64))  # (N, 4) kept, as given
    covered_grid_bars: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))  # (grid bars,) any kept
    loop: np.ndarray = field(default_factory=lambda: np.zeros((0, 0, 0), dtype=bool))  # (k, S, 9) to continue
    loop_steps: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # (k,) each loop bar's length
    loop_origin: int = 0  # the row (of the span, may be < 0) where the loop's first bar falls
    loop_notes: list[np.ndarray] = field(default_factory=list)  # each loop bar's notes (N, 4), ticks from its start
    loop_from: int = 0  # the first row asked to continue it: after the kept bars (a drummer who enters late has not
    # played before them), from the first bar for a groove clip
    notice: str = ""
    riding_rows: np.ndarray | None = None  # (n,) bool: rows where the loop may ride the crash as given (elsewhere
    # it rides the ride cymbal where it rode the crash); None: everywhere

    def hold_riding_to_section(self, sections: list[Section], first_bar: int, n_rows: int) -> None:
        """Crash riding in the given groove belongs to its section: it goes on in the sections labelled as the one
        the given bars end in (a chorus that comes back), and elsewhere the loop rides the ride cymbal instead.
        Continued through the song, a given intro's crash riding crashed on more than half the bars of 5.6% of
        primed songs where drummers do in 3.5% (5-fold CV, ../shared/scoring), most of them songs whose drummer
        crashes in a tenth of the bars the model did."""
        labels = np.full(n_rows, -1, dtype=np.int64)
        for section in sections:
            labels[max(0, section.start_bar - first_bar) : max(0, section.end_bar - first_bar)] = section.label
        given_row = min(max(self.loop_from - 1, 0), n_rows - 1) if n_rows else 0
        self.riding_rows = labels == labels[given_row] if n_rows else None

    def preferred(self, bar_steps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(n,) bool bars asked to continue the given groove, and (n, S, 9) the loop bar each plays: the loop's bars
        in turn from its origin, from `loop_from` on, where the lengths agree and the bar is not covered."""
        n = len(bar_steps)
        wanted = np.zeros(n, dtype=bool)
        patterns = np.zeros((n, *self.hits.shape[1:]), dtype=bool)
        if not len(self.loop):
            return wanted, patterns
        turn = (np.arange(n) - self.loop_origin) % len(self.loop)
        wanted = (self.loop_steps[turn] == bar_steps) & ~self.covered & (np.arange(n) >= self.loop_from)
        patterns[wanted] = self.loop[turn[wanted]]
        if self.riding_rows is not None:
            elsewhere = ~self.riding_rows
            patterns[elsewhere, :, RIDE] |= patterns[elsewhere, :, CRASH]
            patterns[elsewhere, :, CRASH] = False
        return wanted, patterns

    def copies(self, hits: np.ndarray, bar_steps: np.ndarray, grid: Grid,
               first_bar: int) -> tuple[np.ndarray, np.ndarray]:
        """The bars of a take (hits (n, S, 9)) that play their loop bar exactly, as the user's own notes of that bar
        moved there (N, 4), and the grid bars they fill (grid bars,) bool: the groove continues with the user's
        sounds, velocities and feel, where a fill or a crash did not change it."""
        wanted, patterns = self.preferred(bar_steps)
        rows = np.flatnonzero(wanted & (hits == patterns).all(axis=(1, 2)))
        filled = np.zeros(grid.n_bars, dtype=bool)
        filled[first_bar + rows] = True
        starts = grid.step_to_tick(grid.bars[first_bar + rows, BAR_START])
        moved = [self.loop_notes[turn] + np.array([start, start, 0, 0])
                 for turn, start in zip(((rows - self.loop_origin) % max(1, len(self.loop))).tolist(), starts)]
        if self.riding_rows is not None:  # the user's crash notes become ride notes where the pattern rides
            for row, bar in zip(rows.tolist(), moved):
                if not self.riding_rows[row]:
                    bar[PITCH_TO_CLASS[bar[:, PITCH]] == CRASH, PITCH] = RIDE_PITCH
        return np.concatenate([np.zeros((0, 4), dtype=np.int64), *moved]), filled

    def clear_covered(self, drums: DrumGrid, grid: Grid, bars: np.ndarray | None = None) -> DrumGrid:
        """The written drums (on the song's step grid) without any hit in a covered bar (nor in `bars`, (grid bars,)
        bool: bars a loop bar's notes fill): the user's notes play there."""
        covered = self.covered_grid_bars if bars is None else self.covered_grid_bars | bars
        if not covered.any():
            return drums
        silent = covered[grid.bar_of_step()][: drums.n_steps]
        hits = drums.hits.copy()
        hits[: len(silent)][silent] = False
        return replace(drums, hits=hits, velocity=np.where(hits, drums.velocity, 0).astype(drums.velocity.dtype))

    def __repr__(self) -> str:
        clip = f", a {len(self.groove)}-bar groove" if self.groove is not None else ""
        return f"GivenDrums({len(self.notes)} kept notes in {int(self.covered.sum())} bars{clip})"


def given_drums(song: MidiSong, grid: Grid, first_bar: int, n_bars: int, width: int, keep_drums: bool,
                groove_midi: bytes | None, steps_per_quarter: int, band_end_bar: int | None = None,
                fill_breaks: bool = False) -> GivenDrums | None:
    """What the user gave for this song (None: nothing): its drums (channel 10) with `keep_drums`, a groove clip's
    bytes. The user's breaks stay silent unless `fill_breaks`, and no bar past the user's last drum bar and the band's
    last (`band_end_bar`: one past the bar of its last note) is played (`kept_silence`). Raises `GrooveClipError`
    for a clip that is not MIDI, holds no drums or is in another meter."""
    notes = kept_notes(song, keep_drums)
    if not len(notes) and not groove_midi:
        return None
    covered_all, hits_all, sources = kept_layout(notes, grid, width)
    silent, silence_notice = kept_silence(own_bars(notes, grid), band_end_bar, fill_breaks)
    covered_all = covered_all | silent
    rows = slice(first_bar, first_bar + n_bars)
    given = GivenDrums(hits_all[rows].copy(), covered_all[rows].copy(), notes=notes, covered_grid_bars=covered_all)
    if len(sources):  # the kept groove, looped in its own phase after its bars
        starts = grid.step_to_tick(grid.bars[:, BAR_START])
        ends = grid.step_to_tick(grid.bars[:, BAR_START] + grid.bars[:, BAR_STEPS])
        given.loop, given.loop_steps = hits_all[sources], grid.bars[sources, BAR_STEPS].astype(np.int64)
        given.loop_notes = [bar_notes(notes, starts[index], ends[index]) for index in sources.tolist()]
        given.loop_origin, given.loop_from = int(sources[0]) - first_bar, int(sources[-1]) + 1 - first_bar
        given.loop, given.loop_notes = without_crash_accents(given.loop, given.loop_notes,
                                                             song.ticks_per_quarter // steps_per_quarter)
        given.loop, given.loop_notes = without_kept_fills(given.loop, given.loop_steps, given.loop_notes)
    if groove_midi:
        meter = most_played_meter(grid, first_bar, first_bar + n_bars)
        given.groove, clip_steps, clip_notes, given.notice = groove_clip(groove_midi, meter, width, steps_per_quarter,
                                                                         song.ticks_per_quarter)
        check_clip_loop(clip_notes, n_bars)
        if not len(sources):
            given.loop, given.loop_steps, given.loop_notes = given.groove, clip_steps, clip_notes
    given.notice = "; ".join(line for line in (given.notice, silence_notice) if line)
    return given


def kept_layout(notes: np.ndarray, grid: Grid, width: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The kept notes (N, 4) on every bar of the grid: (grid bars,) bool covered, (grid bars, S, 9) their hits, and
    the grid bars of the groove to continue: the run of kept bars from the first with LOOP_BAR_HITS hits on two drum
    classes or more, its last LOOP_MAX_BARS. A bar is covered when a kept note starts in it; so are the bars before
    the first kept note (a drumless intro the user wrote stays drumless) and those after it before the drummer's
    entry (a count-in's sticks, a sparse intro, then silence: played as given, not filled in)."""
    bars = grid.bars
    covered = own_bars(notes, grid)
    hits = per_bar(drums_to_grid(notes, grid).hits, bars, width) & covered[:, None, None]
    if covered.any():
        covered[: np.flatnonzero(covered)[0]] = True  # the intro before the user's drums: kept as written, silent
    full = np.flatnonzero(covered & groove_bars(hits))
    if not len(full):
        return covered, hits, np.zeros(0, dtype=np.int64)
    run_end = full[0] + int(np.argmin(np.append(covered[full[0]:], False)))
    covered[: full[0]] = True
    return covered, hits, np.arange(full[0], run_end)[-LOOP_MAX_BARS:]


def kept_notes(song: MidiSong, keep_drums: bool) -> np.ndarray:
    """(N, 4) the input's drum notes (channel 10, those read) to keep; none without `keep_drums`."""
    return merged_notes([part for part in song.drum_parts if part.notes_read] if keep_drums else [])


def first_kept_bar(song: MidiSong, grid: Grid, first_bar: int, keep_drums: bool) -> int:
    """The bar the drums start in: `first_bar` (where the music listened to starts), or the bar of the first kept
    drum note when that comes earlier (the user's drummer plays from there, and the drums continue from there)."""
    notes = kept_notes(song, keep_drums)
    if not len(notes):
        return first_bar
    starts = grid.step_to_tick(grid.bars[:, BAR_START])
    return int(min(first_bar, max(0, np.searchsorted(starts, notes[0, START], side="right") - 1)))


def given_continuation(given: GivenDrums | None, codebook: GrooveCodebook,
                       bar_steps: np.ndarray) -> Continuation | None:
    """The drums the user gave as the decision reads them (groove.continuation): the covered bars forced, the loop
    preferred with the continuation's bonuses; kept bars (not a clip) go on only where their pattern plays
    PREFERRED_MIN_SHARE of the hits the model expects (the request fits it: groove.request)."""
    if given is None:
        return None
    preferred, patterns = given.preferred(bar_steps)
    min_share = PREFERRED_MIN_SHARE if given.groove is None else 0.0
    return given_groove(codebook, bar_steps, given.covered, given.hits, preferred, patterns, min_share=min_share)


def bar_ticks(grid: Grid, bars: np.ndarray) -> np.ndarray:
    """(m, 2) [start, end) ticks of the grid's bars where `bars` (grid bars,) holds, in order."""
    rows = grid.bars[np.asarray(bars, dtype=bool)]
    return np.stack([grid.step_to_tick(rows[:, BAR_START]), grid.step_to_tick(rows[:, BAR_START] + rows[:, BAR_STEPS])],
                    axis=1).reshape(-1, 2)


def with_kept(written: np.ndarray, kept: np.ndarray, covered_ticks: np.ndarray, move: bool = True) -> np.ndarray:
    """The drum notes of a take (N, 4) with the kept notes: a written note starting in a covered bar (its hit was
    in the next or the previous bar, humanized or swung across the line) moves out to that bar's nearer edge, or with
    `move` False (the count-in's sticks) goes; then the kept notes, as given."""
    if len(covered_ticks) and len(written):
        start = written[:, START]
        inside = np.searchsorted(covered_ticks[:, 0], start, side="right") - 1
        valid = inside >= 0
        lower = np.where(valid, covered_ticks[np.maximum(inside, 0), 0], 0)
        upper = np.where(valid, covered_ticks[np.maximum(inside, 0), 1], 0)
        hit = valid & (start < upper)
        if not move:
            written = written[~hit]
        else:
            target = np.where(start - lower < upper - start, lower - 1, upper)
            shift = np.where(hit, target - start, 0)
            written = written + shift[:, None] * np.array([1, 1, 0, 0])
            written = written[written[:, START] >= 0]
    written = clear_of_kept(written, kept)
    notes = np.concatenate([written, kept]) if len(kept) else written
    return notes[np.argsort(notes[:, START], kind="stable")]


def clear_of_kept(written: np.ndarray, kept: np.ndarray) -> np.ndarray:
    """The written notes (N, 4) without those that start while a kept note of the same pitch still sounds: in the
    file its note-off would come after the new note-on, and the kept note would end there (a 1/4 song's kept snare
    held across the barline lost a fifth of its length to the next bar's snare)."""
    if not len(written) or not len(kept):
        return written
    clash = np.zeros(len(written), dtype=bool)
    for pitch in sorted(set(written[:, PITCH].tolist()) & set(kept[:, PITCH].tolist())):
        ours = kept[kept[:, PITCH] == pitch]
        mine = np.flatnonzero(written[:, PITCH] == pitch)
        starts = written[mine, START][:, None]
        clash[mine] = ((starts >= ours[:, START]) & (starts < ours[:, END])).any(axis=1)
    return written[~clash]
