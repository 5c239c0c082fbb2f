"""The one generation entry point: `DrumGenerator.from_checkpoint(path).generate(midi_bytes, options)`.

Used alike by main.py, the gRPC server, the notebooks, the evaluation and the benchmarks. Windows are generated in
order, grouped in chunks as in training, with the decoder state and last drum token carried across every window
and chunk boundary, so a song of any length comes out as one continuous part with no seam. Randomness comes from a `torch.Generator` seeded per call, so concurrent
requests on server threads never share a random stream.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .checkpoint import DEFAULT_CHECKPOINT, load_checkpoint, model_from_checkpoint
from .config import DataConfig, GenerationOptions
from .data import song_chunks
from .drums import DRUM_CLASSES
from .encoding import DrumVocab, bin_to_offset, bin_to_velocity
from .midi_io import DRUM_CHANNEL, MidiSong, TrackSpec, read_midi, select_guitar, write_midi
from .model import Seq2Drum
from .representation import DrumGrid, grid_to_drums

MIN_OUTPUT_TICKS_PER_QUARTER = 480  # files with a coarser clock are written at an integer multiple of it


@dataclass
class GenerationResult:
    """Generated drums as MIDI bytes, with what a caller may want to show about them."""

    midi_bytes: bytes
    drums: DrumGrid  # on the song's grid
    bars: int
    tempo_changes: int  # tempo events after the first
    time_signature_changes: int
    n_hits: int
    duration_s: float
    generation_s: float
    seed: int
    model_name: str
    model_version: str

    def __repr__(self) -> str:
        return (f"GenerationResult({len(self.midi_bytes)} bytes, {self.bars} bars, {self.n_hits} hits, "
                f"{self.duration_s:.1f} s of music in {self.generation_s:.2f} s)")


@dataclass
class ModelInfo:
    name: str
    version: str
    attention: bool
    n_parameters: int
    steps_per_quarter: int
    drum_classes: tuple[str, ...]
    training_data: dict[str, Any] = field(default_factory=dict)
    val_loss: float = float("nan")
    train_seconds: float = 0.0
    step: int = 0


class DrumGenerator:
    """A loaded model that turns guitar MIDI into drum MIDI. Safe to share between threads."""

    def __init__(self, model: Seq2Drum, vocab: DrumVocab, data_config: DataConfig, info: ModelInfo,
                 device: str | torch.device = "cpu") -> None:
        self.model = model.eval()
        self.vocab = vocab
        self.data_config = data_config
        self.info = info
        self.device = torch.device(device)

    @classmethod
    def from_checkpoint(cls, path: str | Path | None = None, device: str | torch.device = "cpu") -> DrumGenerator:
        """Load a checkpoint (default: the model shipped in models/default.pt)."""
        path = Path(path) if path else DEFAULT_CHECKPOINT
        payload = load_checkpoint(path, map_location="cpu")
        model, vocab, data_config = model_from_checkpoint(payload, device)
        digest = hashlib.sha256()
        for name in sorted(payload["model"]):
            digest.update(payload["model"][name].float().numpy().tobytes())
        info = ModelInfo(
            name=payload.get("name", path.stem),
            version=f"{payload['format_version']}.{payload.get('step', 0)}.{digest.hexdigest()[:8]}",
            attention=model.config.attention,
            n_parameters=sum(p.numel() for p in model.parameters()),
            steps_per_quarter=data_config.steps_per_quarter,
            drum_classes=DRUM_CLASSES,
            training_data=dict(payload.get("training_data", {})),
            val_loss=float(payload.get("val_loss", float("nan"))),
            train_seconds=float(payload.get("train_seconds", 0.0)),
            step=int(payload.get("step", 0)),
        )
        return cls(model, vocab, data_config, info, device)

    def generate_grid(self, encoded: Any, options: GenerationOptions, seed: int | None = None) -> DrumGrid:
        """Drums for an `EncodedSong` on its own grid (evaluation uses this to skip the MIDI round trip)."""
        seed = options.seed if seed is None else seed
        seed = secrets.randbits(63) if seed is None else seed
        generator = torch.Generator(device=self.device).manual_seed(seed)
        jitter_rng = np.random.default_rng(seed)
        source = encoded.source()
        drums = DrumGrid.empty(encoded.n_steps)
        state = None
        previous = DrumVocab.BOS
        hit_table = self.vocab.hit_table().astype(bool)
        for chunk in song_chunks(encoded.windows, self.data_config.max_chunk_steps):
            start, end = chunk[0].start_step, chunk[-1].end_step
            src = torch.from_numpy(source[start:end]).unsqueeze(0).to(self.device)
            bounds = [(w.start_step - start, w.end_step - start) for w in chunk]
            tokens, velocity_bins, offset_bins, state = self.model.generate_chunk(
                src, bounds, previous, state, options.temperature, generator, [w.n_notes for w in chunk]
            )
            tokens = tokens.cpu().numpy()
            previous = int(tokens[-1])
            span = slice(start, end)
            hits = hit_table[tokens]
            jitter: np.ndarray | float = 0.5
            if options.humanize:
                jitter = jitter_rng.uniform(0.15, 0.85, size=hits.shape)
            drums.hits[span] = hits
            drums.velocity[span] = np.where(hits, bin_to_velocity(velocity_bins.cpu().numpy(), jitter), 0)
            drums.offset[span] = np.where(hits, bin_to_offset(offset_bins.cpu().numpy(), jitter), 0.0)
        return drums

    def generate(self, midi: bytes | MidiSong, options: GenerationOptions | None = None) -> GenerationResult:
        """Guitar MIDI bytes (or a song already parsed by `read_midi`) -> drum MIDI bytes with the input's tempo map
        and time signatures, drums on channel 10.

        Raises `MidiReadError` for unreadable input and `NoGuitarError` (listing the parts) when no guitar is found.
        """
        from .data import encode_song

        options = options or GenerationOptions()
        started = time.perf_counter()
        seed = options.seed if options.seed is not None else secrets.randbits(63)
        song = midi if isinstance(midi, MidiSong) else read_midi(midi)
        encoded = encode_song(song, self.data_config, track=options.track, with_drums=False)
        drums = self.generate_grid(encoded, options, seed)
        notes = grid_to_drums(drums, encoded.grid)
        guitar_parts = select_guitar(song, options.track) if options.merge else []
        midi_out = write_song(song, notes, guitar_parts)
        return GenerationResult(
            midi_bytes=midi_out,
            drums=drums,
            bars=encoded.grid.n_bars - int(np.searchsorted(encoded.grid.bars[:, 0], encoded.first_step)),
            tempo_changes=len(song.tempos) - 1,
            time_signature_changes=len(song.time_signatures) - 1,
            n_hits=int(drums.hits.sum()),
            duration_s=encoded.duration_s,
            generation_s=time.perf_counter() - started,
            seed=seed,
            model_name=self.info.name,
            model_version=self.info.version,
        )


def write_song(song: MidiSong, drum_notes: np.ndarray, guitar_parts: list[Any]) -> bytes:
    """Drums (and optionally the guitar parts) with the song's tempo and meter maps, at a clock fine enough for
    microtiming (an integer multiple of the input's, so every tempo and meter event keeps its exact position)."""
    factor = max(1, -(-MIN_OUTPUT_TICKS_PER_QUARTER // song.ticks_per_quarter))
    scale = np.array([factor, factor, 1, 1], dtype=np.int64)
    tracks = [TrackSpec("Drums (seq2drum)", DRUM_CHANNEL, drum_notes * scale)]
    tracks += [TrackSpec(part.name or "Guitar", part.channel, part.notes * scale, part.program) for part in guitar_parts]
    return write_midi(
        song.ticks_per_quarter * factor,
        [(tick * factor, us) for tick, us in song.tempos],
        [(tick * factor, num, den) for tick, num, den in song.time_signatures],
        tracks,
    )
