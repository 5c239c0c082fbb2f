"""Reading a song's band into a `BandDescription`: `band_bars` reads the band bar by bar (what each bar's beats
sound, its bass figures, its root, its meter and tempo), `summarize` turns the bars [0, end_bar) into the
description, `describe_band` does both for a whole song. A bar's numbers need only that bar and the one before it,
so a live reader can extend the bars as they are heard and summarize what it has.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from seq2drum import arrays

from seq2drum.band import bassline, form, harmony
from seq2drum.band.description import (DESCRIPTION_VERSION, DISTORTED_PROGRAMS, JAZZ_PROGRAMS, NAMED,
                                       STEPS_PER_QUARTER, BandDescription)
from seq2drum.feel.swing import read_swing
from seq2drum.midi.io import START, MidiSong, Part, merged_notes
from seq2drum.midi.roles import BASS, MELODY, part_role
from seq2drum.song.grid import BAR_DENOMINATOR, BAR_NUMERATOR, BAR_START, BAR_STEPS, Grid, is_compound


@dataclass(frozen=True)
class BandBars:
    """The band read bar by bar (n_bars rows each), from a song's pitched parts."""

    grid: Grid
    kind_beats: np.ndarray  # (n_bars, 5) beats of each chord kind (harmony.KIND_NAMES)
    dominant_beats: np.ndarray  # (n_bars,)
    changes: np.ndarray  # (n_bars,) beats whose chord (root, kind) differs from the beat before
    beats: np.ndarray  # (n_bars,) felt beats
    chroma: np.ndarray  # (n_bars, 12) share of the bar each pitch class sounds
    figures: np.ndarray  # (n_bars, len(bassline.FIGURES)) bool
    bass_onsets: np.ndarray  # (n_bars,)
    roots: np.ndarray  # (n_bars,) the bar's root: the bass's first note, else the chord on its first beat; -1 none
    has_bass: bool
    chord_roots: np.ndarray  # (n_bars,) the root its beats' chords read most often (harmony.bar_roots); -1 none

    @property
    def n_bars(self) -> int:
        return len(self.beats)


def harmony_parts(parts: list[Part]) -> list[Part]:
    """The parts whose notes make the harmony: every pitched part but the melody's (a sung line's passing notes are
    no chord), unless the melody is all there is."""
    pitched = [p for p in parts if not p.is_drums and p.note_count and p.notes_read]
    accompanying = [p for p in pitched if part_role(p) != MELODY]
    return accompanying or pitched


def band_grid(song: MidiSong) -> Grid:
    """The song's bars on a grid of STEPS_PER_QUARTER steps a quarter."""
    return Grid.build(song.ticks_per_quarter, song.time_signatures, song.tempos, song.end_tick, STEPS_PER_QUARTER)


def band_bars(song: MidiSong, grid: Grid | None = None) -> BandBars:
    """`BandBars` of a song read whole (`read_midi` without only_guitar)."""
    grid = grid or band_grid(song)
    pitched = [p for p in song.parts if not p.is_drums and p.note_count and p.notes_read]
    return band_rows(merged_notes(harmony_parts(pitched)), merged_notes([p for p in pitched if part_role(p) == BASS]),
                     grid)


def band_rows(harmony_notes: np.ndarray, bass: np.ndarray, grid: Grid) -> BandBars:
    """`BandBars` of the bars of `grid` from the notes (N, 4) that make the harmony and the bass's, each sorted by
    start (`merged_notes`): what `band_bars` reads of a song, and the live reader of a few bars heard."""
    beats = harmony.beat_starts(grid)
    chroma = harmony.beat_chroma(harmony_notes, grid, beats)
    kinds, roots, dominant = harmony.chord_kinds(harmony.beat_masks(chroma))
    first_beat = harmony.beats_per_bar(grid, beats)
    per_bar = np.repeat(np.arange(grid.n_bars), np.diff(first_beat))
    n = grid.n_bars
    kind_beats = np.zeros((n, len(harmony.KIND_NAMES)), dtype=np.int64)
    np.add.at(kind_beats, (per_bar, kinds), 1)
    chord = np.where(kinds > harmony.NONE, roots * 8 + kinds, -1)
    changed = np.r_[False, (chord[1:] != chord[:-1]) & (chord[1:] >= 0) & (chord[:-1] >= 0)]
    beat_length = np.diff(beats)[:, None]
    bar_chroma = np.zeros((n, 12))
    np.add.at(bar_chroma, per_bar, chroma * beat_length)
    bar_chroma /= np.maximum(grid.bars[:, BAR_STEPS], 1)[:, None]
    figures, bass_roots = bassline.bass_figures(bass, grid)
    onsets = np.bincount(np.clip(np.searchsorted(grid.bars[:, BAR_START], grid.nearest_step(bass[:, START]),
                                                 side="right") - 1, 0, max(n - 1, 0)), minlength=n)[:n]
    first_roots = np.where(first_beat[:-1] < len(roots), roots[np.minimum(first_beat[:-1], len(roots) - 1)], -1)
    return BandBars(grid, kind_beats, np.bincount(per_bar, dominant, minlength=n), np.bincount(per_bar, changed,
                    minlength=n), np.diff(first_beat), bar_chroma, figures, onsets,
                    np.where(bass_roots >= 0, bass_roots, first_roots), bool(len(bass)),
                    harmony.bar_roots(roots, first_beat))


def _instruments(parts: list[Part], end_tick: int | None) -> dict[str, object]:
    """The instrument fields of the description from the pitched parts' programs, names and notes before end_tick."""
    pitched = [p for p in parts if not p.is_drums and p.note_count]
    counts = np.array([p.note_count if end_tick is None else int((p.notes[:, START] < end_tick).sum())
                       for p in pitched], dtype=np.float64)
    total = max(counts.sum(), 1.0)
    programs = np.array([max(p.program, 0) for p in pitched], dtype=np.int64)
    families = np.bincount(programs // 8, weights=counts, minlength=16) / total if len(pitched) else np.zeros(16)
    named = tuple(word for word, pattern in NAMED.items()
                  if any(pattern.search(p.name) for p, c in zip(pitched, counts) if c and not p.name_shared))
    in_set = lambda chosen: float(counts[np.isin(programs, list(chosen))].sum() / total)  # noqa: E731
    return {"family_shares": tuple(float(f) for f in families), "jazz_program_share": in_set(JAZZ_PROGRAMS),
            "distorted_share": in_set(DISTORTED_PROGRAMS), "named": named, "n_parts": int((counts > 0).sum())}


def _time(bars: BandBars, parts: list[Part], end_bar: int) -> dict[str, object]:
    """Tempo, meter shares and swing of bars [0, end_bar)."""
    grid = bars.grid
    end_step = int(grid.bars[end_bar - 1, BAR_START] + grid.bars[end_bar - 1, BAR_STEPS]) if end_bar else 0
    end_tick = end_step * grid.ticks_per_quarter / grid.steps_per_quarter
    notes = [p.notes[p.notes[:, START] < end_tick] for p in parts if not p.is_drums and p.note_count and p.notes_read]
    reading = read_swing([n for n in notes if len(n)], grid) if any(len(n) for n in notes) else None
    numerator, denominator = grid.bars[:end_bar, BAR_NUMERATOR], grid.bars[:end_bar, BAR_DENOMINATOR]
    compound = is_compound(numerator, denominator)
    simple = ~compound & np.isin(denominator, (2, 4))
    tempo = grid.tempo_bpm()[:end_step:grid.steps_per_quarter] if end_step else np.array([120.0])
    share = lambda mask: float(mask.mean()) if end_bar else 0.0  # noqa: E731
    return {"tempo_bpm": float(arrays.median(tempo)),
            "swing": reading.swing if reading and reading.swing is not None else 0.5,
            "swung_share": reading.swung_share if reading else 0.0, "swung": bool(reading and reading.swung),
            "four_share": share(simple & np.isin(numerator, (2, 4))), "three_share": share(simple & (numerator == 3)),
            "compound_share": share(compound)}


def summarize(bars: BandBars, parts: list[Part], end_bar: int | None = None) -> BandDescription:
    """The description of bars [0, end_bar) (the whole song by default), from `band_bars` and the song's parts."""
    end = bars.n_bars if end_bar is None else max(0, min(end_bar, bars.n_bars))
    end_tick = None
    if end < bars.n_bars:
        end_tick = int(bars.grid.bars[end, BAR_START] * bars.grid.ticks_per_step)
    return description_of(bars, end, _instruments(parts, end_tick), _time(bars, parts, end))


def description_of(bars: BandBars, end: int, instruments: dict[str, object],
                   time: dict[str, object]) -> BandDescription:
    """The description of rows [0, end) of `bars` with its instrument and time fields given (`summarize`'s from a
    song's parts; live, from what a stream hears: band.running)."""
    kinds = bars.kind_beats[:end].sum(axis=0).astype(np.float64)
    sounding = max(kinds[harmony.DYAD:].sum(), 1.0)
    figures = bars.figures[:end]
    bass_bars = max(int(figures[:, 0].sum()), 1)
    figure_share = {name: float(figures[:, i].sum() / bass_bars) for i, name in enumerate(bassline.FIGURES)}
    similarity, typical = form.lag_similarity(bars.chroma[:end])
    blues_share, blues_first_bar = form.blues_fit(np.stack([bars.roots[:end], bars.chord_roots[:end]]))
    return BandDescription(
        dyad_share=kinds[harmony.DYAD] / sounding, triad_share=kinds[harmony.TRIAD] / sounding,
        seventh_share=kinds[harmony.SEVENTH] / sounding, extended_share=kinds[harmony.EXTENDED] / sounding,
        dominant_share=float(bars.dominant_beats[:end].sum() / sounding),
        chord_changes_per_bar=float(bars.changes[:end].sum() / max(end, 1)),
        has_bass=bars.has_bass,
        bass_onsets_per_beat=float(bars.bass_onsets[:end].sum() / max(bars.beats[:end].sum(), 1)),
        walking_share=figure_share["walking"], root_fifth_share=figure_share["root_fifth"],
        driving_share=figure_share["driving"], pedal_share=figure_share["pedal"],
        shuffle_share=figure_share["shuffle"], bossa_share=figure_share["bossa"],
        **instruments, **time,
        lag_similarity=tuple(float(s) for s in similarity), typical_similarity=typical,
        chorus_bars=form.chorus_bars(similarity, typical, end), blues_share=blues_share,
        n_bars=end, blues_first_bar=blues_first_bar)


@dataclass(frozen=True)
class JsonDescriber:
    """`describe_band`'s description of a whole song as JSON values with the reading's `version`: what a song keeps
    of its band in the corpus (song.corpus `build_corpus`'s `describe`, which reads the song again where a cached
    description is of another version)."""

    version: int = DESCRIPTION_VERSION

    def __call__(self, song: MidiSong) -> dict:
        return {**describe_band(song).to_json(), "version": self.version}


describe_json = JsonDescriber()


def describe_band(song: MidiSong, end_bar: int | None = None) -> BandDescription:
    """What the band of a song read whole is (its bars [0, end_bar) only, when given)."""
    return summarize(band_bars(song), song.parts, end_bar)
