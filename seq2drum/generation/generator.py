"""The one generation entry point: `DrumGenerator.from_checkpoint(path).generate(midi_bytes, options)`.

Used alike by main.py, the gRPC server, the notebooks, the evaluation and the benchmarks. A request goes through
four stages, each a function of its own: `prepare` (generation/prepare.py: read the file, choose the guitar once,
the count-in's room, the bars) -> `DrumGenerator.scorer` (the network's scores, model/scoring.py) ->
`DrumGenerator.takes` (the takes, from the scores through one request: groove/) -> `render` (generation/render.py:
velocity, timing, swing, kit map, MIDI bytes). Randomness (humanized velocity and timing, the groove choice at
temperature > 0) comes from generators seeded per call, so concurrent requests on server threads never share a
random stream.
"""

from __future__ import annotations

import functools
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from seq2drum.band import heard_genre
from seq2drum.generation.given import given_continuation
from seq2drum.generation.prepare import PreparedSong, prepare
from seq2drum.generation.render import TakeResult, render, song_swing, swung_by_song, takes_to_grids
from seq2drum.generation.styled import with_styled_sections
from seq2drum.groove import (Deciders, Decoder, Heard, SongScores, Steering, Style, StyleBook,
                             Take, calibrated, decided_takes, build_request, song_meters, song_span, with_vocabulary)
from seq2drum.midi.drums import DRUM_CLASSES
from seq2drum.midi.io import MidiSong
from seq2drum.midi.roles import band_listing
from seq2drum.model import fast_start
from seq2drum.model.blas import one_blas_thread
from seq2drum.options import GenerationOptions
from seq2drum.parts.codes import plan_codes
from seq2drum.parts.plan import Planner, planner_for
from seq2drum.parts.plan_value import Plan
from seq2drum.shipped import DEFAULT_CHECKPOINT
from seq2drum.model.heard import heard_for
from seq2drum.model.scoring import (HearingScorer, Scorer, WholeSongScorer, numpy_network, numpy_song_scores,
                                    song_scores)
from seq2drum.song.bars import BarSong, bar_song
from seq2drum.song.encode import EncodedSong
from seq2drum.song.drum_part import DrumGrid
from seq2drum.song.grid import Grid

if TYPE_CHECKING:
    import torch

    from seq2drum.model.checkpoint import LoadedModel

__all__ = ["DrumGenerator", "GenerationResult", "ModelInfo", "TakeResult"]


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
    sections: list[tuple[int, str]] = field(default_factory=list)  # the drummer's: (first bar, 1-based; letter)
    guitar_parts: list[str] = field(default_factory=list)  # the parts taken as the guitar, as in the part listing
    band_parts: list[str] = field(default_factory=list)  # the other parts listened to, 'role: part' as listed
    notices: list[str] = field(default_factory=list)  # what the user should check: a guessed guitar, sparse drums
    # what the user is told, not warned of (the swing read off the song); also among `notices`, as the server sends
    information: list[str] = field(default_factory=list)
    song: EncodedSong | None = None  # the song on its grid (bars, guitar features): what figures are drawn on
    # per role listened to, guitar first: ("role: part names", notes (N, 4) in `song`'s grid's ticks); --plot draws them
    heard: list[tuple[str, np.ndarray]] = field(default_factory=list)
    heard_line: str = ""  # what the drums heard of the band: "heard: jazz, swung, 12-bar blues" (seq2drum.band)

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
    if isinstance(public.get("extra_data"), dict):  # its songs' hashes are for --mode evaluate --group, not a client
        public["extra_data"] = {k: v for k, v in public["extra_data"].items() if k != "train_sha256"}
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
        # the model's codebook and the grooves its training songs may lack (groove.vocabulary), played under a style
        self.codebook = with_vocabulary(loaded.codebook, loaded.data_config.steps_per_quarter)
        self.spec = loaded.spec
        self.data_config = loaded.data_config
        self.decoder = Decoder(self.codebook, loaded.policy)
        self.styles = StyleBook.build(self.codebook, loaded.data_config.steps_per_quarter)
        info.styles = self.styles.styles
        self.info = info
        self.device = device
        self.planner: Planner | None = None  # the parts a song's plan is made of (parts.plan), set by from_checkpoint

    @classmethod
    def from_checkpoint(cls, path: str | Path | None = None, device: str | torch.device = "cpu") -> DrumGenerator:
        """Load a checkpoint (default: the model shipped in models/default.pt). On the CPU its fast-start copy is
        used when the cache has one (no torch import), and written when it does not."""
        path = Path(path) if path else DEFAULT_CHECKPOINT
        on_cpu = str(device).startswith("cpu")
        if on_cpu and path.is_file():
            fast = fast_start.load(path)
            try:
                info = ModelInfo(**{**fast.info, "drum_classes": tuple(fast.info["drum_classes"])}) if fast else None
            except (TypeError, KeyError):  # a copy whose info this seq2drum cannot read: a miss, rebuilt below
                info = None
            if fast is not None and info is not None:
                generator = cls(fast, info, device)
                generator.planner = planner_for(path, info.training_data)
                return generator
        from seq2drum.model.checkpoint import load_checkpoint, model_from_checkpoint, version_digest

        payload = load_checkpoint(path, map_location="cpu")
        loaded = model_from_checkpoint(payload, device)
        info = ModelInfo(
            name=payload.get("name", path.stem),
            version=f"{payload['format_version']}.{payload.get('step', 0)}.{version_digest(payload)}",
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
        generator.planner = planner_for(path, info.training_data)
        if generator.network is not None:
            fast_start.save(path, generator.network.w, loaded.model.config, loaded.codebook, loaded.spec,
                            loaded.data_config, loaded.policy, fast_start.info_to_dict(info))
        return generator

    @property
    def hears_drums(self) -> bool:
        """Whether the network's decoder hears the drums of the bars before (model/heard.py)."""
        config = self.network.config if self.network is not None else self.model.config
        return bool(config.hear_drums)

    @property
    def hears_part(self) -> bool:
        """Whether the network's decoder hears the part each bar is played in (parts/codes.py)."""
        config = self.network.config if self.network is not None else self.model.config
        return bool(config.hear_part)

    def song_scores(self, song: BarSong, heard: np.ndarray | None = None,
                    parts: np.ndarray | None = None) -> SongScores:
        """The network's output for one song's bars, as numpy (computed in numpy on the CPU, by torch on a GPU);
        `heard` the drums each bar hears, for a network that hears drums; `parts` the part each bar is played in, for
        one that hears the part."""
        if self.network is not None:
            return numpy_song_scores(self.network, song, heard, parts)
        return song_scores(self.model, song, self.device, heard, parts)

    def hearing(self, song: BarSong, given: Any, heard: np.ndarray | None) -> Callable[[Plan], np.ndarray] | None:
        """A plan's calibrated probabilities from a network that hears the part (the song scored again hearing the
        plan's parts and fills, and the drums `heard`); None for a network that does not."""
        if not self.hears_part or self.planner is None:
            return None
        if heard is None and self.hears_drums:
            heard = heard_for(song.n_bars, song.step_features.shape[1], given)
        vocabulary = self.planner.vocabulary
        return lambda plan: calibrated(self.song_scores(song, heard, plan_codes(plan, vocabulary, song.n_bars)),
                                       self.decoder.policy)[0]

    def scorer(self, song: BarSong, given: Any = None) -> Scorer:
        """Stage 2: the network's scores for a song's bars, as a `Scorer` the decision reads bar ranges from; a
        network that hears drums hears the drums `given` (a `GivenDrums`) first."""
        if not self.hears_drums:
            return WholeSongScorer(self.song_scores(song))
        width = song.step_features.shape[1]
        return HearingScorer(functools.partial(self.song_scores, song), heard_for(song.n_bars, width, given))

    def takes(self, scorer: Scorer, options: GenerationOptions, seed: int, grid: Grid,
              steering: Steering | None = None, given: Any = None, swung: bool = False,
              song: BarSong | None = None) -> list[Take]:
        """Stage 3: the takes the options ask for, from the scorer's scores, on top of `steering` (drums from
        nothing's structure) and the drums the user gave (`given`, a `GivenDrums`: its bars forced, its groove
        continued), through one request (groove.request) and the takes' attempts (groove.takes). A network that
        hears drums is then scored again hearing take 1 (with the user's drums where `given` has them) and decided
        again, as many times as its policy's `own_drums_passes`; the swung time-keeping is for the last pass (the
        network hears take 1 as decided before it)."""
        scores: SongScores = scorer(0, scorer.n_bars, None)
        if given is not None:
            given.hold_riding_to_section(scores.sections, scores.first_bar, scores.n_bars)
        kept = given_continuation(given, self.decoder.codebook, scores.bar_steps)
        policy = self.decoder.policy
        passes = policy.own_drums_passes if isinstance(scorer, HearingScorer) else 0
        meters = song_meters(scores, grid, self.styles.steps_per_quarter)
        takes: list[Take] = []
        heard = None
        for index in range(passes + 1):
            if index:
                heard = heard_for(scorer.n_bars, takes[0].hits.shape[1], given, chosen=takes[0].hits)
                scores = scorer.hearing(heard)
            p, structure = calibrated(scores, policy)
            heard_song = Heard(scores, p, song_span(scores), meters, swung and index == passes, grid, song)
            hearing = self.hearing(song, given, heard) if song is not None else None
            asked = build_request(options, heard_song, self.deciders(hearing), seed, kept, steering)
            takes = decided_takes(self.decoder, asked, structure, options.takes, options.temperature,
                                  np.random.default_rng(seed))
        if takes and options.density != 1.0 and takes[0].plan.played:
            # --density chose busier (sparser) parts first: what it did is take 1 against a run without it
            plain = replace(options, density=1.0, takes=1)
            alone = build_request(plain, heard_song, self.deciders(hearing), seed, kept, steering)
            without = decided_takes(self.decoder, alone, structure, 1, options.temperature, np.random.default_rng(seed))
            takes[0].density_whole = takes[0].n_hits / max(without[0].n_hits, 1)

        def decide_under(styled: GenerationOptions) -> list[Take]:  # a section named with a drummers' style
            under = build_request(styled, heard_song, self.deciders(hearing), seed, kept, steering)
            return decided_takes(self.decoder, under, structure, styled.takes, styled.temperature,
                                 np.random.default_rng(seed))
        return with_styled_sections(takes, decide_under, options, heard_song, self.deciders(hearing))

    def deciders(self, hearing: Callable[[Plan], np.ndarray] | None = None) -> Deciders:
        """What a request reads of this model: its styles, crash phrases and parts (groove.request `Deciders`)."""
        return Deciders(self.styles, self.decoder.policy.crash_phrase_bars, self.planner, hearing)

    @one_blas_thread
    def generate_takes(self, encoded: EncodedSong, options: GenerationOptions, seed: int) -> list[Take]:
        """The decided takes of an `EncodedSong`, per bar (evaluation uses this to skip the MIDI round trip)."""
        song = bar_song(encoded, self.spec, genre=heard_genre(encoded.described, options.genre))
        return self.takes(self.scorer(song), options, seed, encoded.grid, song=song)

    def takes_to_grids(self, encoded: EncodedSong, takes: list[Take], options: GenerationOptions,
                       seed: int) -> list[DrumGrid]:
        """Per-bar takes -> drums on the song's step grid, humanized (see `render.takes_to_grids`) at the network's
        level and the humanizer's spread: an encoded song keeps no velocities of its parts (`generate` reads them)."""
        return takes_to_grids(encoded, takes, options, seed)

    @one_blas_thread
    def generate(self, midi: bytes | MidiSong | None, options: GenerationOptions | None = None) -> GenerationResult:
        """Guitar MIDI bytes (or a song already parsed by `read_midi`) -> drum MIDI bytes with the input's tempo map
        and time signatures, drums on channel 10; `options.takes` distinct takes, take 1 in `midi_bytes`. With
        `options.bars` set, no song (None or b""): drums from nothing (see `generation.from_nothing`).

        Raises `MidiReadError` for unreadable input (`GrooveClipError` for a --groove clip), and `NoGuitarError`
        (listing the parts) when no guitar is found and the drums do not listen to the band.
        """
        options = options or GenerationOptions()
        started = time.perf_counter()
        seed = options.seed if options.seed is not None else secrets.randbits(63)
        mapping: list[str] = []
        if options.parts_from and midi:  # --parts-from, made into --parts (its module reads songs' arrangements as
            from seq2drum.generation.parts_from import borrowed  # generation.arrange does: imported here, no cycle)

            options, mapping = borrowed(self, midi, options)
        prepared = prepare(midi, options, self.data_config, self.spec)
        reading = song_swing(prepared, options)  # read once: the decision and the render both need it
        takes = self.takes(self.scorer(prepared.bars, prepared.given), options, seed, prepared.encoded.grid,
                            prepared.steering, prepared.given, swung_by_song(prepared, options, reading), prepared.bars)
        results, notices, information = render(prepared, takes, options, seed, reading)
        return self._result(prepared, results, (notices, [*mapping, *information]), options, seed,
                            time.perf_counter() - started)

    def _result(self, prepared: PreparedSong, results: list[TakeResult], said: tuple[list[str], list[str]],
                options: GenerationOptions, seed: int, generation_s: float) -> GenerationResult:
        """The result of one generation; `said` is (notices, information) as `render` gives them."""
        notices, information = ([line for line in lines if line] for lines in said)
        encoded, song = prepared.encoded, prepared.song
        return GenerationResult(
            midi_bytes=results[0].midi_bytes,
            drums=results[0].drums,
            bars=encoded.grid.n_bars - encoded.first_bar,
            tempo_changes=len(song.tempos) - 1,
            time_signature_changes=len(song.time_signatures) - 1,
            n_hits=results[0].n_hits,
            duration_s=encoded.duration_s,
            generation_s=generation_s,
            seed=seed,
            model_name=self.info.name,
            model_version=self.info.version,
            takes=results,
            sections=[(s.start_bar + 1, s.letter) for s in prepared.bars.sections],
            guitar_parts=[] if options.from_nothing else prepared.choice.listing(),
            band_parts=band_listing(prepared.song, prepared.choice.parts) if prepared.band_parts is not None else [],
            notices=[*notices, *information],
            information=information,
            song=encoded,
            heard=[] if options.from_nothing else prepared.heard_by_role(),
            heard_line=prepared.heard.line() if prepared.heard else "",
        )
