"""A song as bars, as the groove model reads it: `bar_song` turns an `EncodedSong` into one row per bar from the bar
where the guitar enters to the song's end (each bar's steps, and what the bar is in the song: meter, tempo, whether
the guitar plays, sections), under the named columns of `song.columns`; for training songs, the drums each bar plays.
A song has two sets of sections: the guitar's (`network_sections`, the network's input columns, as the shipped models
were trained) and the drummer's (`sections`, derived from them by `song.phrases`: what the decision, the printed
sections and the written markers use).
The per-bar layout and its inverse (`per_bar`, `bars_to_steps`) are song.drum_part's.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from seq2drum.song.drum_part import per_bar
from seq2drum.song.grid import BAR_DENOMINATOR, BAR_NUMERATOR, BAR_START, BAR_STEPS, is_compound
from seq2drum.song.columns import BAR, DENOMINATORS, GUITAR, NUMERATORS, STEP, FeatureSpec
from seq2drum.song.columns import BAR_COLUMNS  # noqa: F401  (generation/from_nothing.py reads it from here)
from seq2drum.song.band import role_bar_features, role_onsets_per_bar, role_sounds_per_bar
from seq2drum.song.phrases import CountedForm, drummer_sections
from seq2drum.song.sections import Section, guitar_structure, harmony_similarity, section_bar_features
from seq2drum.song.encode import EncodedSong

@dataclass
class BarSong:
    """One song as bars, from the bar where the guitar enters (`first_bar`) to its end: what the groove model
    reads, the song's sections (the drummer's; the guitar's in `network_sections`), and (for training songs) the drums
    of each bar."""

    name: str
    first_bar: int
    bar_steps: np.ndarray  # (n,) int64 length of each bar in steps
    beat_steps: np.ndarray  # (n,) int64 length of the felt beat in steps (a dotted quarter in 6/8)
    step_features: np.ndarray  # (n, S, n_step) float32, zero past each bar's length
    bar_features: np.ndarray  # (n, n_bar) float32
    guitar_plays: np.ndarray  # (n,) bool
    last_onset: tuple[int, int] = (0, 0)  # (bar row, step in bar) of the guitar's last onset
    sections: list[Section] = field(default_factory=list)  # the drummer's (song.phrases): what the decision reads
    hits: np.ndarray | None = None  # (n, S, 9) bool, the real drums (training songs)
    velocity: np.ndarray | None = None  # (n, S, 9) float32 MIDI velocity of each hit
    offset: np.ndarray | None = None  # (n, S, 9) float32 microtiming offset of each hit, in steps
    bass_onsets: np.ndarray | None = None  # (n, S) bool: the steps a bass part strikes (decoding's kick calibration)
    notes: np.ndarray | None = None  # (n,) notes struck in each bar by the parts listened to (training's item cut)
    bass_sounds: np.ndarray | None = None  # (n,) bool: bars a bass part strikes or holds a note in (None: no bass)
    network_sections: list[Section] = field(default_factory=list)  # the guitar's (song_structure): the network's input
    described: dict | None = None  # what the band is (band.BandDescription.to_json); None: not read
    genre: str | None = None  # what the drums play it as (options.GENRES): the musician's --genre, else the band's

    @property
    def n_bars(self) -> int:
        return len(self.bar_steps)

    def __repr__(self) -> str:
        return f"BarSong({self.name!r}, {self.n_bars} bars from bar {self.first_bar}, {len(self.sections)} sections)"


def bar_song(encoded: EncodedSong, spec: FeatureSpec, form: CountedForm | None = None,
             genre: str | None = None) -> BarSong:
    """The bars of a song from the guitar's entry on, as the groove model reads them; `form`: the choruses the band's
    description counts (a 12-bar blues), which the drummer's sections follow (the network's input does not change);
    `genre`: what the drums play it as (options.GENRES: the musician's --genre, else the band's, band.heard_genre)."""
    grid = encoded.grid
    first, end = encoded.first_bar, encoded.end_bar
    width = spec.max_bar_steps
    bars = grid.bars[first:end]
    bar_steps = bars[:, BAR_STEPS].astype(np.int64)
    beat_steps = grid.beat_steps()[bars[:, BAR_START]].astype(np.int64)
    step_all = step_table(encoded)  # every column this code makes; the model reads those its spec names
    plays = per_bar(step_all[:, STEP.has_onset], bars, width).any(axis=1)
    step_features = per_bar(select_columns(step_all, STEP.names, spec.step_columns), bars, width)
    hits = velocity = offset = None
    if encoded.drums is not None:
        hits = per_bar(encoded.drums.hits, bars, width).astype(bool)
        velocity = per_bar(encoded.drums.velocity.astype(np.float32), bars, width)
        offset = per_bar(encoded.drums.offset.astype(np.float32), bars, width)
    sections, novelty, similarity = guitar_structure(encoded.guitar, grid, first, end, encoded.marker_steps)
    bar_features = bar_table(encoded, bars, width, plays)
    bar_features[:, BAR.novelty] = novelty
    bar_features[:, BAR.section] = section_bar_features(sections, first, end)
    band = encoded.band_features()
    onsets = role_onsets_per_bar(encoded.guitar, band, grid)
    bar_features[:, BAR.roles] = role_bar_features(onsets, first, end)
    marker_rows = np.flatnonzero(bar_features[:, BAR.marker]).tolist()
    bar_features = select_columns(bar_features, BAR.names, spec.bar_columns)
    last_bar = int(np.searchsorted(bars[:, BAR_START], encoded.last_onset_step, side="right") - 1)
    last_onset = (last_bar, min(width - 1, encoded.last_onset_step - int(bars[last_bar, BAR_START])))
    # the bass's steps for decoding, from a model that hears the band (a guitar-only model's spec has no bass)
    bass = per_bar(step_all[:, STEP.index("bass_onsets")], bars, width) > 0 if "bass_onsets" in spec.step_columns \
        else None
    bass_sounds = bass_bars(step_all, bars, width) if bass is not None else None
    notes = np.rint(onsets[first:end].sum(axis=1) * 4).astype(np.int64)  # the onset columns count a quarter a note
    sounds = role_sounds_per_bar(encoded.guitar, band, grid)[first:end]
    harmony = harmony_similarity(encoded.guitar, grid, first, end)
    drummers = drummer_sections(sections, novelty, similarity, sounds, notes, marker_rows, first, harmony, form)
    return BarSong(encoded.name, first, bar_steps, beat_steps, step_features, bar_features, plays, last_onset,
                   drummers, hits, velocity, offset, bass, notes, bass_sounds, network_sections=sections,
                   described=encoded.described, genre=genre)


def bass_bars(step_all: np.ndarray, bars: np.ndarray, width: int) -> np.ndarray | None:
    """(n,) bool: the bars a bass part strikes or holds a note in (None: no bass sounds in the song)."""
    sounds = (step_all[:, STEP.index("bass_onsets")] > 0) | (step_all[:, STEP.index("bass_sounding")] > 0)
    per = per_bar(sounds, bars, width).any(axis=1)
    return per if per.any() else None


def step_table(encoded: EncodedSong, grid_table: np.ndarray | None = None) -> np.ndarray:
    """(n_steps, n_step) float32: the guitar's columns, the step's metrical level and its place in the bar.
    `grid_table`: this table of a song of no notes on the same grid, when the caller keeps one (the live drummer, per
    bar grid): then only the guitar's and the band's columns are written, on a copy of it."""
    grid = encoded.grid
    if grid_table is None:
        per_step = np.zeros((grid.n_steps, len(STEP)), dtype=np.float32)
        per_step[:, STEP.metrical_level] = np.eye(4, dtype=np.float32)[grid.metrical_level()]
        bar_lengths = np.repeat(grid.bars[:, BAR_STEPS], grid.bars[:, BAR_STEPS])
        per_step[:, STEP.step_in_bar] = grid.step_in_bar() / np.maximum(1, bar_lengths)
    else:
        per_step = grid_table.copy()
    per_step[:, STEP.guitar] = encoded.guitar
    per_step[:, STEP.band] = encoded.band_features()
    return per_step


def select_columns(features: np.ndarray, names: tuple[str, ...], wanted: tuple[str, ...]) -> np.ndarray:
    """The columns `wanted` of (..., len(names)) features, by name and in that order (all of them, as they are, when
    the two agree: a model trained on this code's columns)."""
    if wanted == names:
        return features
    position = {name: index for index, name in enumerate(names)}
    return np.ascontiguousarray(features[..., [position[name] for name in wanted]])


def bar_table(encoded: EncodedSong, bars: np.ndarray, width: int, plays: np.ndarray,
              silent_guitar: np.ndarray | None = None) -> np.ndarray:
    """(n, n_bar) float32: each bar's meter, tempo, guitar, place in the song and the song summary (sections and
    novelty are left for the caller). `silent_guitar`: this table of the same bars, plays and song summary with a
    guitar of no notes, when the caller keeps one (the live drummer, per bar grid): then only the guitar's columns
    are written, on a copy of it."""
    bar_features = _bars_but_guitar(encoded, bars, width, plays) if silent_guitar is None else silent_guitar.copy()
    guitar_bar = encoded.guitar[bars[:, BAR_START]]
    bar_features[:, BAR.guitar_density] = guitar_bar[:, GUITAR.index("bar_density_vs_song")]
    bar_features[:, BAR.guitar_loudness] = guitar_bar[:, GUITAR.index("bar_loudness")]
    return bar_features


def _bars_but_guitar(encoded: EncodedSong, bars: np.ndarray, width: int, plays: np.ndarray) -> np.ndarray:
    """`bar_table` with the guitar's columns left at zero."""
    n = len(bars)
    bar_features = np.zeros((n, len(BAR)), dtype=np.float32)
    numerator, denominator = bars[:, BAR_NUMERATOR], bars[:, BAR_DENOMINATOR]
    for row, (num, den) in enumerate(zip(numerator.tolist(), denominator.tolist())):
        bar_features[row, BAR.index(f"numerator_{num}" if num in NUMERATORS else "numerator_other")] = 1
        if den in DENOMINATORS:
            bar_features[row, BAR.index(f"denominator_{den}")] = 1
    bar_features[:, BAR.compound] = is_compound(numerator, denominator)
    bar_features[:, BAR.bar_length] = bars[:, BAR_STEPS] / width
    bar_features[:, BAR.tempo_log2] = np.log2(encoded.grid.tempo_bpm()[bars[:, BAR_START]] / 120.0)
    bar_features[:, BAR.guitar_plays] = plays
    markers = np.asarray(encoded.marker_steps, dtype=np.int64)
    marker_bars = np.searchsorted(bars[:, BAR_START], markers, side="right") - 1
    bar_features[marker_bars[(marker_bars >= 0) & (marker_bars < n)], BAR.marker] = 1
    index = np.arange(n)
    bar_features[:, BAR.bars_from_entry] = np.log2(1 + index) / 8
    bar_features[:, BAR.bars_to_end] = np.log2(n - index) / 8
    bar_features[0, BAR.first_bar] = 1
    bar_features[-1, BAR.last_bar] = 1
    bar_features[1:, BAR.previous_silent] = ~plays[:-1]
    bar_features[:-1, BAR.next_silent] = ~plays[1:]
    bar_features[:, BAR.song] = encoded.song[None, :]
    return bar_features


