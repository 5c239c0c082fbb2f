"""One song in, model-ready arrays out: the guitar on the song's own grid, its drums when known, its marker events,
and its span (the bars the drums cover: from the first entry to the last note of the parts they listen to).

Shared by training (through the corpus cache in `song.cache`) and by generation, so both see a song exactly the
same way. Bar-level arrays for the groove model are built from an `EncodedSong` by `song.bars`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from seq2drum.config import DataConfig
from seq2drum.midi.roles import parts_by_role
from seq2drum.song.band import band_features
from seq2drum.song.columns import BAND
from seq2drum.song.guitar import guitar_features, song_features
from seq2drum.errors import NoDrumsError, NoGuitarError, SongTooLongError
from seq2drum.midi.io import START, MidiSong, Part, choose_guitar, merged_notes, select_guitar
from seq2drum.midi.limits import MAX_SONG_QUARTERS
from seq2drum.song.drum_part import DrumGrid, drums_to_grid
from seq2drum.song.grid import BAR_START, BAR_STEPS, Grid

# bump when encoding or the cache's layout changes, so stale cache entries are ignored (6: a span instead of windows;
# 7: the band's columns; 8: 120 BPM until a file's first tempo event, as MIDI plays it; 9: a part named as keys on a
# guitar program is keys, not the guitar; 10: the band's description, band.describe_band)
PIPELINE_VERSION = 10


@dataclass
class EncodedSong:
    """One song on the grid: the guitar as features, the drums (when known) as a `DrumGrid`, and its span of bars."""

    name: str
    grid: Grid
    time_signatures: list[tuple[int, int, int]]
    guitar: np.ndarray  # (n_steps, N_GUITAR_FEATURES) float32
    song: np.ndarray  # (N_SONG_FEATURES,) float32
    first_bar: int  # the bar where the music the drums listen to starts (the drums start there)
    end_bar: int  # one past the last bar of the song's span
    drums: DrumGrid | None = None
    sha256: str = ""
    duration_s: float = 0.0
    guitar_note_count: int = 0
    last_onset_step: int = 0  # the step of the last onset the drums listen to (the drums end there)
    marker_steps: list[int] = field(default_factory=list)  # steps of the file's marker / cue-point events
    band: np.ndarray | None = None  # (n_steps, len(BAND)) float32: the other parts by role (song.band); None = silent
    described: dict | None = None  # what the band is, as band.BandDescription.to_json writes it; None: not read

    def band_features(self) -> np.ndarray:
        """(n_steps, len(BAND)) float32 of the parts beside the guitar (zeros when none were read)."""
        return self.band if self.band is not None else np.zeros((self.n_steps, len(BAND)), dtype=np.float32)

    @property
    def n_steps(self) -> int:
        return self.grid.n_steps

    @property
    def first_step(self) -> int:
        """The first step of the first bar in which the guitar plays."""
        return int(self.grid.bars[self.first_bar, BAR_START])

    @property
    def span_steps(self) -> tuple[int, int]:
        """Steps [start, end) of the song's span, from the guitar's first bar to the end of its last: what the model
        is trained and scored on."""
        last = self.grid.bars[self.end_bar - 1]
        return self.first_step, int(last[BAR_START] + last[BAR_STEPS])

    def __repr__(self) -> str:
        drums = f", {int(self.drums.hits.sum())} drum hits" if self.drums is not None else ""
        span = f"bars {self.first_bar}-{self.end_bar}"
        return f"EncodedSong({self.name!r}, {self.grid.n_bars} bars, {self.n_steps} steps, {span}{drums})"


def encode_song(
    song: MidiSong,
    config: DataConfig,
    track: str | int | None = None,
    with_drums: bool = True,
    name: str = "",
    guitar_parts: list[Part] | None = None,
    described: dict | None = None,
) -> EncodedSong:
    """Put a parsed song on the grid. Raises `NoGuitarError`, and `NoDrumsError` when `with_drums` finds none.

    The grid runs to the end of the music and the span starts at the bar where it starts: with
    `config.listen_to_band`, every part the drums listen to (by role, the guitar among them), else the guitar alone,
    in training and in generation alike. `guitar_parts`: the parts already chosen as the guitar (generation chooses
    once; none, for a band model's song without a guitar); without them they are chosen here by `track`.
    `described`: what the band is (band.BandDescription.to_json), kept for the band's readers (song/ reads none).
    """
    guitar_parts = guitar_parts if guitar_parts is not None else select_guitar(song, track)
    notes = merged_notes(guitar_parts)
    roles = parts_by_role(song, guitar_parts)
    music = listened_notes(roles) if config.listen_to_band else notes  # what the drums span
    if not len(music):  # a band model plays to a file without a guitar (no guitar parts given): the band's notes
        raise NoGuitarError("the guitar part holds no notes", song.part_listing())
    drum_notes = merged_notes(song.drum_parts) if with_drums else None
    if with_drums and (drum_notes is None or not len(drum_notes)):
        raise NoDrumsError("the song has no drum part on channel 10")
    end_tick = int(music[:, 1].max())
    if end_tick / song.ticks_per_quarter > MAX_SONG_QUARTERS:  # a note never released runs to its track's end
        raise SongTooLongError(
            f"the music runs to quarter note {end_tick // song.ticks_per_quarter}, past the limit of "
            f"{MAX_SONG_QUARTERS} quarter notes; look for a stray note far past the end"
        )
    grid = Grid.build(song.ticks_per_quarter, song.time_signatures, song.tempos, end_tick, config.steps_per_quarter)
    first_step_of_music, _ = grid.quantize(music[:1, START])
    first_bar = int(np.searchsorted(grid.bars[:, BAR_START], first_step_of_music[0], side="right") - 1)
    drums = drums_to_grid(drum_notes, grid) if drum_notes is not None else None
    last_onset, _ = grid.quantize(music[-1:, START])
    marker_steps, _ = grid.quantize(np.array([tick for tick, _ in song.markers], dtype=np.int64))
    return EncodedSong(
        name=name,
        grid=grid,
        time_signatures=list(song.time_signatures),
        guitar=guitar_features(notes, grid),
        song=song_features(notes, grid, [p.program for p in guitar_parts], len(guitar_parts)),
        first_bar=first_bar,
        end_bar=grid.n_bars,
        drums=drums,
        duration_s=grid.seconds_at_tick(end_tick),
        guitar_note_count=len(notes),
        last_onset_step=int(np.clip(last_onset[0], 0, grid.n_steps - 1)),
        marker_steps=sorted({int(s) for s in marker_steps if 0 <= s < grid.n_steps}),
        band=band_features(roles, grid),
        described=described,
    )


def listened_notes(roles: dict[str, list[Part]]) -> np.ndarray:
    """The notes of every part the drums listen to (those read), sorted by start: their span is the drums' span."""
    return merged_notes([part for parts in roles.values() for part in parts if part.notes_read and part.note_count])


def band_song_parts(song: MidiSong) -> list[Part] | None:
    """The guitar parts a song is encoded with when a song without a guitar is heard through its band: its guitar
    where `choose_guitar` names one by program or name, else none (not several parts guessed to be one); None lets
    `encode_song` choose as usual."""
    try:
        choice = choose_guitar(song)
    except NoGuitarError:
        return []
    return [] if choice.reason == "whole file" and len(choice.parts) > 1 else None
