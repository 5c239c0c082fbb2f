"""The one generation entry point: `DrumGenerator.from_checkpoint(path).generate(midi_bytes, options)`.

Used alike by main.py, the gRPC server, the notebooks, the evaluation and the benchmarks. A song goes through the
network once, as bars (`features.bar_song`); `decoding.Decoder` then chooses each take's bars from the calibrated
scores. Randomness (humanized velocity and timing, the groove choice at temperature > 0) comes from generators
seeded per call, so concurrent requests on server threads never share a random stream.
"""

from __future__ import annotations

import functools
import hashlib
import json
import secrets
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from seq2drum.groove import controls, count_in
from seq2drum.groove import from_nothing as arrangement
from seq2drum.model import fast_start
from seq2drum.options import GenerationOptions
from seq2drum.groove.decoder import Decoder, SongScores, Take
from seq2drum.midi.drums import DRUM_CLASSES
from seq2drum.song.bars import BarSong, bar_song, bars_to_steps
from seq2drum.midi.kit import KitMap
from seq2drum.midi.io import DRUM_CHANNEL, END, START, MidiSong, TrackSpec, choose_guitar, merged_notes, write_midi
from seq2drum.song.grid import DrumGrid, Grid, grid_to_drums
from seq2drum.model.numpy_network import NumpyGrooveModel
from seq2drum.song.encode import EncodedSong, encode_song
from seq2drum.groove.styles import Style, StyleBook

if TYPE_CHECKING:
    import torch

    from seq2drum.model.checkpoint import LoadedModel

from seq2drum.shipped import DEFAULT_CHECKPOINT  # noqa: E402  (torch-free: the fast-start cache needs no torch)

MIN_OUTPUT_TICKS_PER_QUARTER = 480  # files with a coarser clock are written at an integer multiple of it


class _OneBlasThread:
    """numpy's BLAS on one thread while any generation runs in this process (threads included: the first to enter
    sets the limit, the last to leave restores what was there)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._users = 0
        self._controller: Any = None
        self._limit: Any = None

    def __enter__(self) -> None:
        with self._lock:
            if self._users == 0:
                if self._controller is None:
                    from threadpoolctl import ThreadpoolController

                    self._controller = ThreadpoolController()  # finds the BLAS libraries loaded (3 ms, once)
                self._limit = self._controller.limit(limits=1, user_api="blas")
            self._users += 1

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self._users -= 1
            if self._users == 0:
                self._limit.restore_original_limits()


_ONE_BLAS_THREAD = _OneBlasThread()


def one_blas_thread(method: Callable[..., Any]) -> Callable[..., Any]:
    """Run `method` with numpy's BLAS on one thread. With more, OpenBLAS splits its sums by thread and the last bits
    of the scores change with the thread count, which was enough to change a later take for the same seed (a real
    song, take 2 of 4) between the command line (a BLAS thread per core) and the server's workers (one each). Same
    song, options and seed, same drums, wherever they are made; one thread also costs nothing measurable here."""

    @functools.wraps(method)
    def limited(*args: Any, **kwargs: Any) -> Any:
        with _ONE_BLAS_THREAD:
            return method(*args, **kwargs)

    return limited


HUMANIZE_VELOCITY = 6  # +- MIDI velocity spread around the predicted value
HUMANIZE_OFFSET_STEPS = 0.04  # +- microtiming spread, in steps


@dataclass
class TakeResult:
    """One take: its MIDI bytes and drums on the song's grid."""

    index: int  # 1-based
    midi_bytes: bytes
    drums: DrumGrid
    n_hits: int
    expected_f1: float  # under the model's calibrated probabilities

    def __repr__(self) -> str:
        return f"TakeResult(take {self.index}, {self.n_hits} hits, {len(self.midi_bytes)} bytes)"


@dataclass
class GenerationResult:
    """Generated drums as MIDI bytes (take 1, and every take in `takes`), with what a caller may want to show."""

    midi_bytes: bytes
    drums: DrumGrid  # take 1, on the song's grid
    bars: int
    tempo_changes: int  # tempo events after the first
    time_signature_changes: int
    n_hits: int
    duration_s: float
    generation_s: float
    seed: int
    model_name: str
    model_version: str
    takes: list[TakeResult] = field(default_factory=list)
    sections: list[tuple[int, str]] = field(default_factory=list)  # (first bar, 1-based, of the song; letter)
    guitar_parts: list[str] = field(default_factory=list)  # the parts taken as the guitar, as in the part listing
    notices: list[str] = field(default_factory=list)  # what the user should check: a guessed guitar, sparse drums
    song: EncodedSong | None = None  # the song on its grid (bars, guitar features): what figures are drawn on

    def __repr__(self) -> str:
        return (f"GenerationResult({len(self.midi_bytes)} bytes, {self.bars} bars, {self.n_hits} hits, "
                f"{len(self.takes)} takes, {self.duration_s:.1f} s of music in {self.generation_s:.2f} s)")


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
    codebook_entries: int = 0
    styles: tuple[Style, ...] = ()  # the groove families --style chooses from


def describe_training_data(summary: dict[str, Any]) -> dict[str, Any]:
    """What a model was trained on, fit to show to anyone who can reach the server: the counts, and the data
    described in words instead of the folder it lay in on the trainer's machine (older checkpoints kept that path)."""
    public = {key: value for key, value in summary.items() if key not in ("data_dir", "path", "folder")}
    if "data" not in public and "songs_used" in public:
        public["data"] = f"{public['songs_used']} multi-track MIDI songs with guitar and drums"
    return public


class DrumGenerator:
    """A loaded model that turns guitar MIDI into drum MIDI. Safe to share between threads."""

    def __init__(self, loaded: LoadedModel | fast_start.FastModel, info: ModelInfo,
                 device: str | torch.device = "cpu") -> None:
        # On the CPU the network runs in numpy (numpy_model: the same scores to float32 rounding, and no torch needed
        # when the model came from the fast-start cache); the torch module stays for GPUs and for callers that train.
        self.model = loaded.model.eval() if loaded.model is not None else None
        self.network = getattr(loaded, "network", None)
        if self.network is None and str(device).startswith("cpu"):
            self.network = numpy_network(loaded.model)
        self.codebook = loaded.codebook
        self.spec = loaded.spec
        self.data_config = loaded.data_config
        self.decoder = Decoder(loaded.codebook, loaded.policy)
        self.styles = StyleBook.build(loaded.codebook, loaded.data_config.steps_per_quarter)
        info.styles = self.styles.styles
        self.info = info
        self.device = device

    @classmethod
    def from_checkpoint(cls, path: str | Path | None = None, device: str | torch.device = "cpu") -> DrumGenerator:
        """Load a checkpoint (default: the model shipped in models/default.pt). On the CPU its fast-start copy is
        used when the cache has one (no torch import), and written when it does not."""
        path = Path(path) if path else DEFAULT_CHECKPOINT
        on_cpu = str(device).startswith("cpu")
        if on_cpu and path.is_file():
            fast = fast_start.load(path)
            if fast is not None:
                info = fast.info
                return cls(fast, ModelInfo(**{**info, "drum_classes": tuple(info["drum_classes"])}), device)
        from seq2drum.model.checkpoint import load_checkpoint, model_from_checkpoint

        payload = load_checkpoint(path, map_location="cpu")
        loaded = model_from_checkpoint(payload, device)
        digest = hashlib.sha256()  # of everything generation depends on: weights, codebook (menu too), decoding
        for name in sorted(payload["model"]):
            digest.update(payload["model"][name].float().numpy().tobytes())
        for name in sorted(payload.get("codebook", {})):
            digest.update(payload["codebook"][name].float().numpy().tobytes())
        digest.update(json.dumps(payload.get("decoding"), sort_keys=True, default=str).encode())
        info = ModelInfo(
            name=payload.get("name", path.stem),
            version=f"{payload['format_version']}.{payload.get('step', 0)}.{digest.hexdigest()[:8]}",
            attention=loaded.model.config.attention,
            n_parameters=sum(p.numel() for p in loaded.model.parameters()),
            steps_per_quarter=loaded.data_config.steps_per_quarter,
            drum_classes=DRUM_CLASSES,
            training_data=describe_training_data(payload.get("training_data", {})),
            val_loss=float(payload.get("val_loss", float("nan"))),
            train_seconds=float(payload.get("train_seconds", 0.0)),
            step=int(payload.get("step", 0)),
            codebook_entries=len(loaded.codebook),
        )
        generator = cls(loaded, info, device)
        if generator.network is not None:
            fast_start.save(path, generator.network.w, loaded.model.config, loaded.codebook, loaded.spec,
                            loaded.data_config, loaded.policy, fast_start.info_to_dict(info))
        return generator

    def song_scores(self, song: BarSong) -> SongScores:
        """The network's output for one song's bars, as numpy (computed in numpy on the CPU, by torch on a GPU)."""
        if self.network is not None:
            return numpy_song_scores(self.network, song)
        return song_scores(self.model, song, self.device)

    @one_blas_thread
    def generate_takes(self, encoded: EncodedSong, options: GenerationOptions, seed: int) -> list[Take]:
        """The decided takes of an `EncodedSong`, per bar (evaluation uses this to skip the MIDI round trip)."""
        scores = self.song_scores(bar_song(encoded, self.spec))
        return controls.decide(self.decoder, scores, options, seed, self.styles, encoded.grid)

    def takes_to_grids(self, encoded: EncodedSong, takes: list[Take], humanize: bool, seed: int) -> list[DrumGrid]:
        """Per-bar takes -> drums on the song's step grid, velocity and timing spread a little when `humanize`."""
        rng = np.random.default_rng([seed, 1])
        grids = []
        for take in takes:
            hits = bars_to_steps(take.hits, encoded.grid, encoded.first_bar)
            velocity = bars_to_steps(take.velocity, encoded.grid, encoded.first_bar).astype(np.int64)
            offset = bars_to_steps(take.offset, encoded.grid, encoded.first_bar)
            if humanize:
                velocity = velocity + rng.integers(-HUMANIZE_VELOCITY, HUMANIZE_VELOCITY + 1, size=velocity.shape)
                offset = offset + rng.uniform(-HUMANIZE_OFFSET_STEPS, HUMANIZE_OFFSET_STEPS, size=offset.shape)
            grids.append(DrumGrid(hits, np.where(hits, np.clip(velocity, 1, 127), 0).astype(np.uint8),
                                  np.where(hits, np.clip(offset, -0.5, 0.49), 0.0).astype(np.float32)))
        return grids

    @one_blas_thread
    def generate(self, midi: bytes | MidiSong | None, options: GenerationOptions | None = None) -> GenerationResult:
        """Guitar MIDI bytes (or a song already parsed by `read_midi`) -> drum MIDI bytes with the input's tempo map
        and time signatures, drums on channel 10; `options.takes` distinct takes, take 1 in `midi_bytes`. With
        `options.bars` set, no song (None or b""): drums from nothing (see `arrangement`).

        Raises `MidiReadError` for unreadable input and `NoGuitarError` (listing the parts) when no guitar is found.
        """
        options = options or GenerationOptions()
        started = time.perf_counter()
        seed = options.seed if options.seed is not None else secrets.randbits(63)
        song = arrangement.song_to_play(midi, options)
        choice = choose_guitar(song, options.track)
        song, moved_bars = count_in.make_room(song, merged_notes(choice.parts), options.count_in_bars, options.merge,
                                              self.data_config.steps_per_quarter)
        choice = choose_guitar(song, options.track) if moved_bars else choice
        encoded = encode_song(song, self.data_config, track=options.track, with_drums=False)
        bars = bar_song(encoded, self.spec)
        if options.from_nothing:
            arrangement.shape_bars(bars)
        scores = self.song_scores(bars)
        if options.from_nothing:
            arrangement.force_structure(scores)
        takes = controls.decide(self.decoder, scores, options, seed, self.styles, encoded.grid)
        swung = [controls.swing(grid, encoded.grid, options.swing) for grid in self.takes_to_grids(
            encoded, takes, options.humanize, seed)]
        grids = [grid for grid, _ in swung]
        guitar_parts = choice.parts if options.merge else []
        markers = [(int(encoded.grid.step_to_tick(encoded.grid.bars[s.start_bar, 0])), f"Section {s.letter}")
                   for s in bars.sections]
        sticks = count_in.clicks(encoded.grid, encoded.first_bar, options.count_in_bars)
        kit = KitMap.from_json(options.kit_map) if options.kit_map else KitMap.gm()
        results = [
            TakeResult(index, write_song(song, kit.apply(np.concatenate([grid_to_drums(grid, encoded.grid), sticks])),
                                         guitar_parts, markers), grid, int(grid.hits.sum()), take.expected_f1)
            for index, (take, grid) in enumerate(zip(takes, grids), start=1)
        ]
        guitar_notes = merged_notes(choice.parts)
        notices = [choice.notice, swung[0][1], *(sparse_drums_notice(grid, encoded.grid, guitar_notes, options.temperature)
                                                 for grid in grids[:1]), count_in.moved_notice(moved_bars, options.count_in_bars)]
        return GenerationResult(
            midi_bytes=results[0].midi_bytes,
            drums=results[0].drums,
            bars=encoded.grid.n_bars - encoded.first_bar,
            tempo_changes=len(song.tempos) - 1,
            time_signature_changes=len(song.time_signatures) - 1,
            n_hits=results[0].n_hits,
            duration_s=encoded.duration_s,
            generation_s=time.perf_counter() - started,
            seed=seed,
            model_name=self.info.name,
            model_version=self.info.version,
            takes=results,
            sections=[(s.start_bar + 1, s.letter) for s in bars.sections],
            guitar_parts=[] if options.from_nothing else choice.listing(),
            notices=[notice for notice in notices if notice],
            song=encoded,
        )


SPARSE_HITS_PER_BAR = 1.0  # fewer drum hits than this per bar where the guitar plays is worth a warning


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
        f"({hits / len(guitar_bars):.1f} per bar). Check that the parts used are the guitar (pick others with --track); "
        f"{to_try}"
    )


def song_scores(model: Any, song: BarSong, device: torch.device | str = "cpu") -> SongScores:
    """Run the torch network over one song's bars (all at once: an LSTM over a few hundred bars) and return its
    scores."""
    import torch

    with torch.inference_mode():
        step_features = torch.from_numpy(song.step_features).unsqueeze(0).to(device)
        bar_features = torch.from_numpy(song.bar_features).unsqueeze(0).to(device)
        bar_steps = torch.from_numpy(song.bar_steps).unsqueeze(0).to(device)
        lengths = torch.tensor([song.n_bars], device=device)
        out = model(step_features, bar_features, bar_steps, lengths)
        return _scores(song, out.hit_logits[0].float().cpu().numpy(), out.velocity[0].float().cpu().numpy(),
                       out.offset[0].float().cpu().numpy(), out.structure_logits[0].float().cpu().numpy(),
                       out.groove_logits[0].float().cpu().numpy())


def numpy_song_scores(network: NumpyGrooveModel, song: BarSong) -> SongScores:
    """`song_scores` with the numpy network."""
    out = network.forward(song.step_features, song.bar_features, song.bar_steps)
    return _scores(song, out.hit_logits, out.velocity, out.offset, out.structure_logits, out.groove_logits)


def _scores(song: BarSong, hit_logits: np.ndarray, velocity: np.ndarray, offset: np.ndarray,
            structure_logits: np.ndarray, groove_logits: np.ndarray) -> SongScores:
    return SongScores(
        hit_logits=hit_logits,
        velocity=velocity * 127.0,
        offset=offset,
        structure_logits=structure_logits,
        bar_steps=song.bar_steps,
        beat_steps=song.beat_steps,
        guitar_plays=song.guitar_plays,
        sections=song.sections,
        first_bar=song.first_bar,
        last_onset=song.last_onset,
        groove_logits=groove_logits,
    )


def numpy_network(model: Any) -> NumpyGrooveModel:
    """The numpy copy of a torch `GrooveSeq2Drum` (its weights as float32 arrays)."""
    weights = {name: value.detach().float().cpu().numpy() for name, value in model.state_dict().items()
               if name != "codebook_bar_steps"}
    return NumpyGrooveModel(weights, model.config, model.codebook_bar_steps.cpu().numpy())


def write_song(song: MidiSong, drum_notes: np.ndarray, guitar_parts: list[Any],
               markers: Sequence[tuple[int, str]] = ()) -> bytes:
    """Drums (and optionally the guitar parts) with the song's tempo and meter maps, at a clock fine enough for
    microtiming (an integer multiple of the input's, so every tempo and meter event keeps its exact position);
    `markers` (tick at the input's clock, text) name the sections on the DAW's timeline."""
    factor = max(1, -(-MIN_OUTPUT_TICKS_PER_QUARTER // song.ticks_per_quarter))
    scale = np.array([factor, factor, 1, 1], dtype=np.int64)
    tracks = [TrackSpec("Drums (seq2drum)", DRUM_CHANNEL, drum_notes * scale)]
    tracks += [TrackSpec(part.name or "Guitar", part.channel, part.notes * scale, part.program) for part in guitar_parts]
    return write_midi(
        song.ticks_per_quarter * factor,
        [(tick * factor, us) for tick, us in song.tempos],
        [(tick * factor, num, den) for tick, num, den in song.time_signatures],
        tracks,
        [(tick * factor, text) for tick, text in markers],
    )
