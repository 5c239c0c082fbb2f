"""Scoring one song: each system's drums (the model's and the baselines') against the real drummer's over the song's
span (grid hits at exact and +-1 step matching, per-bar descriptors, novelty against the training bars, structure),
the model's likelihood of the real drums, and the validity of a generated MIDI file against its input.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import numpy as np

from seq2drum.config import DataConfig
from seq2drum.errors import MidiReadError
from seq2drum.evaluation import metrics
from seq2drum.evaluation.checklist import meter_family, song_faults
from seq2drum.evaluation.feel_figures import song_feel
from seq2drum.evaluation.baselines import BASELINES
from seq2drum.groove import SongScores, calibrated
from seq2drum.midi.drums import WRITTEN_PITCHES
from seq2drum.midi.io import DRUM_CHANNEL, PITCH, START, merged_notes, read_midi, select_guitar
from seq2drum.song.encode import EncodedSong, band_song_parts, encode_song
from seq2drum.song.drum_part import DrumGrid
from seq2drum.song.grid import BAR_STEPS

if TYPE_CHECKING:
    from seq2drum.generation.generator import DrumGenerator

SYSTEMS = ("model", *BASELINES)
TOLERANCES = (0, 1)
VALIDITY_CHECKS = (
    "parses", "drum_channel_only", "gm_pitches_only", "tempo_map_equal", "meters_equal",
    "starts_with_guitar", "ends_with_guitar", "spans_guitar",
)
ENDING_BARS = 2  # no drum hit more than this many bars after the guitar's last onset


@dataclass
class SongScore:
    """Everything measured on one song."""

    name: str
    n_bars: int
    n_steps: int
    counts: dict[str, dict[str, metrics.HitCounts]]  # system -> view key ("all", "all_tol1" ...) -> counts
    descriptors: dict[str, dict[str, np.ndarray]]  # "real" or system -> descriptor -> per-bar values
    novelty: dict[str, tuple[int, int]]  # system -> (copied bars, non-empty bars)
    structure: dict[str, dict[str, metrics.HitCounts]] = field(default_factory=dict)  # system -> structure -> counts
    take_f1: list[float] = field(default_factory=list)  # exact grid F1 of every take
    take_density: list[float] = field(default_factory=list)  # every take's hits / the real drummer's hits
    nll_per_cell: float = math.nan
    validity: dict[str, bool] = field(default_factory=dict)  # empty when the song's file was not found
    seconds: float = 0.0
    generate_seconds: float = 0.0
    feel: dict[str, dict[str, float | None]] = field(default_factory=dict)  # "real" or system -> feel_figures.song_feel
    faults: dict[str, list[str]] = field(default_factory=dict)  # system -> its faults (evaluation.checklist)
    family: str = "4/4"  # the span's meter family (evaluation.checklist)

    def f1(self, system: str, key: str = "all") -> float:
        return self.counts[system][key].micro()[2]

    @property
    def systems(self) -> tuple[str, ...]:
        """The model, the baselines and the input kind's own baseline, in the order they were scored."""
        return tuple(self.counts)


def song_span(song: EncodedSong) -> metrics.Span:
    return song.span_steps


def score_song(song: EncodedSong, systems: dict[str, DrumGrid], training_bars: set[tuple[int, bytes]]) -> SongScore:
    """Grid hits, descriptors and novelty of each system's drums against the song's real drums, over its span."""
    if song.drums is None:
        raise ValueError(f"song {song.name!r} has no real drums to score against")
    start, end = span = song_span(song)
    real = song.drums.hits[start:end]
    counts: dict[str, dict[str, metrics.HitCounts]] = {}
    descriptors = {"real": metrics.describe(song.drums, song.grid, span)}
    novelty: dict[str, tuple[int, int]] = {}
    for name, drums in systems.items():
        counts[name] = {}
        for view, (_, transform) in metrics.VIEWS.items():
            for tolerance in TOLERANCES:
                key = view if tolerance == 0 else f"{view}_tol{tolerance}"
                counts[name][key] = metrics.match_hits(transform(drums.hits[start:end]), transform(real), tolerance)
        descriptors[name] = metrics.describe(drums, song.grid, span)
        novelty[name] = metrics.novelty(drums.hits, song.grid, span, training_bars)
    real_structure = metrics.structure_flags(song.drums.hits, song.grid, span)
    structure = {name: metrics.structure_counts(metrics.structure_flags(drums.hits, song.grid, span), real_structure)
                 for name, drums in systems.items()}
    feel = {name: song_feel(drums, song.grid, span) for name, drums in {"real": song.drums, **systems}.items()}
    faults = {name: song_faults(drums.hits, song.drums.hits, song.grid, span) for name, drums in systems.items()}
    return SongScore(song.name, len(metrics.bars_in_span(song.grid, span)), end - start, counts, descriptors, novelty,
                     structure, feel=feel, faults=faults, family=meter_family(song.grid, span))


def nll_per_cell(scores: SongScores, song: EncodedSong, generator: DrumGenerator) -> float:
    """Cross-entropy of the real drums under the model's calibrated per-cell hit probabilities, in nats per
    (step, drum class) cell of the song's bars."""
    from seq2drum.song.bars import bar_song

    real = bar_song(song, generator.spec).hits
    p, _ = calibrated(scores, generator.decoder.policy)
    mask = np.broadcast_to(scores.step_mask()[:, :, None], p.shape)
    p = np.clip(p[mask], 1e-6, 1 - 1e-6)
    y = real[mask]
    return float(-(y * np.log(p) + (1 - y) * np.log(1 - p)).mean())


def check_output(
    input_bytes: bytes, output_bytes: bytes, data_config: DataConfig, track: str | None = None
) -> dict[str, bool]:
    """Validity of generated drum MIDI against its input, one flag per check in `VALIDITY_CHECKS`.

    Maps are compared in quarter notes (tick / ticks_per_quarter), as the output clock may be a multiple of the
    input's. `starts_with_guitar`: no hit before the guitar's first bar (half a step of early microtiming allowed);
    `ends_with_guitar`: the last hit lies between one bar before and `ENDING_BARS` bars after the guitar's last
    onset (bars of the last bar's length);
    `spans_guitar`: both. `read_midi` refuses a file without notes, so an empty drum part fails every check.
    """
    checks = dict.fromkeys(VALIDITY_CHECKS, False)
    try:
        output = read_midi(output_bytes)
    except MidiReadError:
        return checks
    song = read_midi(input_bytes)
    drums = merged_notes(output.parts)
    checks["parses"] = True
    checks["drum_channel_only"] = all(part.channel == DRUM_CHANNEL for part in output.parts)
    checks["gm_pitches_only"] = bool(np.isin(drums[:, PITCH], WRITTEN_PITCHES).all())

    def quarters(events: list[Any], ticks_per_quarter: int) -> list[tuple[Any, ...]]:
        return [(Fraction(tick, ticks_per_quarter), *rest) for tick, *rest in events]

    for check, attribute in (("tempo_map_equal", "tempos"), ("meters_equal", "time_signatures")):
        checks[check] = (quarters(getattr(song, attribute), song.ticks_per_quarter)
                         == quarters(getattr(output, attribute), output.ticks_per_quarter))
    parts = band_song_parts(song) if data_config.listen_to_band and track is None else None  # a trio: its band
    encoded = encode_song(song, data_config, track=track, with_drums=False, guitar_parts=parts)
    # the music the drums listen to ends with the band for a band model, with the guitar otherwise
    music = merged_notes(song.melodic_parts if data_config.listen_to_band else select_guitar(song, track))
    steps_per_quarter = encoded.grid.steps_per_quarter
    drum_quarters = drums[:, START] / output.ticks_per_quarter
    last_bar_quarters = encoded.grid.bars[-1, BAR_STEPS] / steps_per_quarter
    checks["starts_with_guitar"] = bool(drum_quarters.min() >= (encoded.first_step - 0.5) / steps_per_quarter)
    last_onset_quarters = music[:, START].max() / song.ticks_per_quarter
    checks["ends_with_guitar"] = bool(
        last_onset_quarters - last_bar_quarters
        <= drum_quarters.max()
        <= last_onset_quarters + ENDING_BARS * last_bar_quarters
    )
    checks["spans_guitar"] = checks["starts_with_guitar"] and checks["ends_with_guitar"]
    return checks
