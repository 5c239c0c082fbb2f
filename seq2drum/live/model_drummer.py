"""The causal model as a live drummer (`api.LiveDrummer`): at each lead, one step of the numpy twin and an online
decision for the next bar.

`next_bar` reads the notes of bar n-1 played up to the lead into the encoder (live/features.py), runs the decoder for
bar n hearing the drums of bar n-1 (its own, or a `--groove` clip's first bar before the song), and decides bar n
as the offline decoder decides a bar (groove.decoder), online: the Viterbi's stay bonus becomes a greedy choice with
the same bonus for the previous bar's groove; lambda (the probability a cell is worth playing) follows the running
expected F1 of the bars so far; rests, crashes and fills from the structure heads at the policy's thresholds (no
section edges: sections are not known live). The controls apply per bar as generation applies them (style,
density, fills and crashes every N bars from the stream's first bar, the time-keeping voice, dynamics), and the bar is
played through generation's feel (the humanizer at `humanize`, `feel`, `dynamics`), `--swing` and the kit map.
Randomness comes from (seed, bar index), so how late a call comes never changes the drums.

Before the band has played a note, bars are decided from the song's start and not committed: the first bar the band
plays gets the decision the model makes for a song's first bar, as in training and offline evaluation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from seq2drum.errors import CheckpointError, ConfigError
from seq2drum.feel.model import humanize, shipped_tables
from seq2drum.generation.generator import DrumGenerator, one_blas_thread
from seq2drum.groove import controls
from seq2drum.groove.policy import Steering, Take, calibrated
from seq2drum.groove.styles import meter_name
from seq2drum.groove.structure import structure_decisions
from seq2drum.live.api import BarClock, DrumHit, PlayedNote
from seq2drum.live.features import TICKS_PER_QUARTER, bar_grid, live_bar
from seq2drum.midi.drums import NUM_DRUM_CLASSES, midi_velocity
from seq2drum.midi.kit import KitMap
from seq2drum.model.heard import heard_drums
from seq2drum.model.numpy_causal import CausalNetwork
from seq2drum.model.scoring import SongScores
from seq2drum.options import GenerationOptions, fills_every
from seq2drum.shipped import DEFAULT_CHECKPOINT
from seq2drum.song.grid import DrumGrid, grid_to_drums, is_compound

LIVE_CHECKPOINT = DEFAULT_CHECKPOINT.parent / "live.pt"
TRAIN_COMMAND = "python main.py --mode train --live --out runs/live"
FIRST_LAMBDA = 0.3  # where the offline decision's Dinkelbach iteration starts
ROUNDS = 2  # lambda refined within a bar from the running expected F1


@dataclass
class LiveState:
    """A stream's drummer between bars: small and picklable (a few kB)."""

    seed: int
    options: GenerationOptions
    encoder: np.ndarray  # (2, layers, hidden) after the last bar read
    decoder: np.ndarray  # (2, layers, hidden) after the last bar decided
    drums: np.ndarray | None  # (S, 9) bool the drums the next bar hears: the last bar's, or the groove clip's
    groove: int = -1  # the codebook entry the last bar was built on (-1: none)
    lam: float = FIRST_LAMBDA
    totals: tuple[float, float, float] = (0.0, 0.0, 0.0)  # expected matched cells, hits, sum of p: the running F1
    started: bool = False  # the band has played a note
    pending: tuple[Any, ...] | None = None  # the decision made before the band played, committed when it does


class ModelDrummer:
    """`api.LiveDrummer` over a causal checkpoint (default models/live.pt)."""

    def __init__(self, checkpoint: str | Path | None = None) -> None:
        """Load the live model through generation's loader (`DrumGenerator.from_checkpoint`: its fast-start copy when
        the cache has one, so no torch import), which also serves the offline figures of the same model."""
        path = Path(checkpoint) if checkpoint is not None else LIVE_CHECKPOINT
        if not path.is_file():
            raise CheckpointError(f"live model {path} not found; train the causal model with `{TRAIN_COMMAND}`, "
                                  f"export its best.pt to {LIVE_CHECKPOINT} (models/README.md), or pass the path of "
                                  "a live checkpoint")
        self.generator = generator = DrumGenerator.from_checkpoint(path)
        if generator.network is None or not generator.network.config.causal:
            raise CheckpointError(f"{path} is an offline model (it reads whole songs); play along live with a causal "
                                  f"one, trained with `{TRAIN_COMMAND}`")
        self.network = CausalNetwork(generator.network)
        self.decoder, self.styles, self.policy = generator.decoder, generator.styles, generator.decoder.policy
        self.spec, self.data_config = generator.spec, generator.data_config
        self.steps_per_quarter = generator.data_config.steps_per_quarter
        self.width = generator.spec.max_bar_steps
        # the drums of bar n are decided this many quarter notes before it starts
        self.lead_quarters = generator.network.config.lead_steps / self.steps_per_quarter

    def begin(self, options: Any, seed: int, groove: bytes | None = None) -> LiveState:
        """The state before the first bar; a groove clip's first bar is heard as the bar before the song.
        ConfigError for an unknown style, GrooveClipError for a clip that is not one."""
        options = options or GenerationOptions()
        if options.style is not None and self.styles.get(options.style) is None:
            raise ConfigError(f"unknown style {options.style!r}; python main.py --mode styles (or a server's "
                              "GetModelInfo) lists them")
        encoder, decoder = self.network.initial()
        drums = self._groove_bar(groove) if groove else None
        return LiveState(int(seed), options, encoder, decoder, drums)

    def _groove_bar(self, groove: bytes) -> np.ndarray:
        from seq2drum.generation.given import groove_clip
        from seq2drum.midi.io import read_midi

        try:
            signatures = read_midi(groove).time_signatures
        except Exception:  # noqa: BLE001  groove_clip below says what is wrong with the clip
            signatures = []
        meter = (signatures[0][1], signatures[0][2]) if signatures else (4, 4)
        hits, _, _, _ = groove_clip(groove, meter, self.width, self.steps_per_quarter, TICKS_PER_QUARTER)
        return hits[0]

    def hear(self, state: LiveState, hits: np.ndarray) -> LiveState:
        """The state with the drums of the bar just decided replaced by the user's (S, 9) hits (a kept bar): the next
        bar hears them, and continues their groove where the codebook has it."""
        hits = np.asarray(hits, dtype=bool)[: self.width]
        flat = self.decoder.codebook.patterns.reshape(len(self.decoder.codebook.patterns), -1)
        same = np.flatnonzero((flat == hits.reshape(-1)).all(axis=1))
        groove = int(same[0]) if len(same) else state.groove
        if not state.started and state.pending is not None:
            return replace(state, pending=(state.pending[0], hits, groove, *state.pending[3:]))
        return replace(state, drums=hits, groove=groove)

    @one_blas_thread  # the same drums whatever the BLAS threads (a server worker's one, the command line's several)
    def next_bar(self, state: LiveState, played: Sequence[PlayedNote], previous: BarClock | None,
                 bar: BarClock) -> tuple[list[DrumHit], LiveState]:
        """The drums of `bar`, decided from the notes of `previous` up to the lead (`api.LiveDrummer.next_bar`)."""
        if previous is not None and (played or state.started):
            if not state.started and state.pending is not None:  # the bar just played was the song's first
                decoder, drums, groove, lam, totals = state.pending
                state = replace(state, decoder=decoder, drums=drums, groove=groove, lam=lam, totals=totals)
            steps, bar_features, bar_steps, _ = live_bar(played, previous, self.spec, self.steps_per_quarter)
            encoder = self.network.encode_bar(state.encoder, steps, bar_features, bar_steps)
            state = replace(state, encoder=encoder, started=True, pending=None)
        hits, velocity, decided = self._decide(state, bar)
        drum_hits = self._render(hits, velocity, state, bar)
        if not state.started:  # before the band: decided from the song's start, committed when the band plays
            return drum_hits, replace(state, pending=decided)
        decoder, drums, groove, lam, totals = decided
        return drum_hits, replace(state, decoder=decoder, drums=drums, groove=groove, lam=lam, totals=totals)

    def _scores(self, state: LiveState, bar: BarClock) -> tuple[SongScores, np.ndarray]:
        """The network's scores for `bar` (a song of one bar) and the decoder state after it."""
        steps, bar_features, bar_steps, beat_steps = live_bar((), bar, self.spec, self.steps_per_quarter)
        heard = heard_drums(np.zeros((1, self.width, NUM_DRUM_CLASSES), dtype=bool), np.zeros(1, dtype=bool),
                            before=state.drums)[0]
        out, decoder = self.network.decide_bar(state.encoder, state.decoder, steps, bar_features, bar_steps, heard)
        scores = SongScores(hit_logits=out.hit_logits, velocity=out.velocity * 127.0, offset=out.offset,
                            structure_logits=out.structure_logits, bar_steps=np.array([bar_steps]),
                            beat_steps=np.array([beat_steps]), guitar_plays=np.ones(1, dtype=bool), sections=[],
                            first_bar=bar.index, last_onset=(-1, 0), groove_logits=out.groove_logits)
        return scores, decoder

    def _decide(self, state: LiveState, bar: BarClock) -> tuple[np.ndarray, np.ndarray, tuple[Any, ...]]:
        """Bar `bar`'s hits (S, 9), velocities (S, 9) and what the state keeps of the decision. The controls apply
        as generation applies them (groove.controls), per bar: a style's grooves, density (lambda scaled until the
        bar has about `density` times the model's own hits), fills and crashes every N bars from the first bar the
        band plays, the time-keeping voice, dynamics."""
        options = state.options
        scores, decoder = self._scores(state, bar)
        p, structure = calibrated(scores, self.policy)
        steering = self._steering(options, scores, bar)

        def run(steer: Steering, n_takes: int) -> list[Take]:
            return [self._take(scores, p, structure, state, steer, bar)]

        if options.density == 1.0:
            take = run(steering, 1)[0]
        else:  # the model's own count (within the style) is the reference, as offline
            own = steering.replace(allowed=self._style(options, bar))
            target = options.density * max(1, run(own, 1)[0].n_hits)
            take = controls.search_density(run, steering, target, 1.0 / options.density, 1)[0]
        if options.crashes == "none":
            controls.without_groove_crashes(take, scores)
        controls.set_cymbal(take, scores, options.cymbal)
        controls.scale_dynamics(take, options.dynamics)
        played_p, n_hits, total = state.totals
        totals = (played_p + float(p[take.hits].sum()), n_hits + float(take.n_hits), total + float(p.sum()))
        return take.hits[0], take.velocity[0], (decoder, take.hits[0], int(take.grooves[0]), take.threshold, totals)

    def _style(self, options: GenerationOptions, bar: BarClock) -> np.ndarray | None:
        """The entries `options.style` allows in this bar's meter (None: any; also for a style that has no groove in
        this meter: live, the bar keeps the model's own choice rather than stopping the drums)."""
        if options.style is None:
            return None
        grid = bar_grid(bar.numerator, bar.denominator, float(bar.tempo_bpm), self.steps_per_quarter)
        meter = meter_name(grid.n_steps, bool(is_compound(bar.numerator, bar.denominator)), self.steps_per_quarter)
        try:
            return self.styles.allowed(options.style, [meter])
        except ConfigError:
            return None

    def _steering(self, options: GenerationOptions, scores: SongScores, bar: BarClock) -> Steering:
        """Style, density's entries and forced fills and crashes for this bar, as `controls.steering_for` makes them
        for a song (a live song's one section starts at the stream's first bar)."""
        allowed = self._style(options, bar)
        if options.density != 1.0:
            codebook = self.decoder.codebook
            often = (codebook.counts >= controls.DENSITY_MIN_ENTRY_BARS) & codebook.patterns.any(axis=(1, 2))
            allowed = often if allowed is None else allowed & (often | ~codebook.patterns.any(axis=(1, 2)))
        fills = every_bar(options.fills, bar.index, closing=True)
        crashes = every_bar(options.crashes, bar.index, closing=False)
        return Steering(allowed=allowed, fills=fills, crashes=crashes, refine_adds=options.style is None)

    def _take(self, scores: SongScores, p: np.ndarray, structure: np.ndarray, state: LiveState, steering: Steering,
              bar: BarClock) -> Take:
        """The bar decided as `Decoder._take` decides one, online: the groove chosen greedily with the stay bonus for
        the last bar's, refined per cell; lambda refined from the running expected F1; then rests, crashes and
        fills. The take's threshold is lambda unscaled (the state keeps it for the next bar)."""
        rng = np.random.default_rng([state.seed, 3, bar.index])
        hits, groove, lam = self._groove(p, scores, state, steering, rng)
        decided = structure_decisions(self.policy, structure, np.zeros((1, 3), dtype=bool), steering=steering)
        self.decoder.fills.apply(hits, p, decided, scores, lam * steering.lambda_scale)
        velocity = (midi_velocity(np.round(scores.velocity)).astype(np.uint8) * hits).astype(np.uint8)
        offset = np.where(hits, scores.offset, 0.0).astype(np.float32)
        return Take(hits, velocity, offset, np.array([groove]), {}, 0.0, decided, lam)

    def _groove(self, p: np.ndarray, scores: SongScores, state: LiveState, steering: Steering,
                rng: np.random.Generator) -> tuple[np.ndarray, int, float]:
        """(1, S, 9) hits of the groove chosen greedily (the stay bonus for the last bar's), refined per cell as the
        offline decision refines them; lambda refined from the running expected F1."""
        policy, lam, scale = self.policy, state.lam, steering.lambda_scale
        played_p, n_hits, total = state.totals
        noise = None
        for _ in range(ROUNDS):
            gains = self.decoder.grooves.gains(p, scores.bar_steps, lam * scale, allowed=steering.allowed)[0]
            if 0 <= state.groove < len(gains) and np.isfinite(gains[state.groove]):
                gains[state.groove] += policy.stay_bonus
            if state.options.temperature > 0 and noise is None:
                finite = gains[np.isfinite(gains)]
                spread = float(finite.std()) if finite.size > 1 and finite.std() > 0 else 1.0
                noise = state.options.temperature * spread * rng.gumbel(size=gains.shape)
            choice = int(np.argmax(gains if noise is None else gains + noise))
            if np.isfinite(gains[choice]):
                hits = self.decoder.codebook.patterns[choice][None].copy()
            else:  # a bar length the codebook lacks: the cells worth playing, one by one
                hits, choice = p > lam * scale, -1
            if policy.refine_margin < 1.0:
                adds = scores.step_mask()[:, :, None] & steering.refine_adds
                hits |= (p > (lam + policy.refine_margin) * scale) & adds
                hits &= ~(p < lam * scale - policy.refine_margin)
            expected_f1 = 2 * (played_p + float(p[hits].sum())) / max(1e-9, n_hits + hits.sum() + total + p.sum())
            lam = expected_f1 / 2
        return hits, choice, lam

    def _render(self, hits: np.ndarray, velocity: np.ndarray, state: LiveState, bar: BarClock) -> list[DrumHit]:
        """The bar's drums as played: the humanizer's velocity and timing and `--swing` (as generation's render), the
        kit map."""
        options = state.options
        grid = bar_grid(bar.numerator, bar.denominator, float(bar.tempo_bpm), self.steps_per_quarter)
        n = grid.n_steps
        decided = DrumGrid(hits[:n].copy(), np.where(hits[:n], velocity[:n], 0).astype(np.uint8),
                           np.zeros((n, NUM_DRUM_CLASSES), dtype=np.float32))
        rng = np.random.default_rng([state.seed, 2, bar.index])
        played = humanize(decided, grid, options.humanize, _drummer(state.seed, options.feel), rng, options.dynamics)
        played, _ = controls.swing(played, grid, options.swing)  # only a --swing given: live, the band's is unknown
        notes = grid_to_drums(played, grid)
        kit = KitMap.from_json(options.kit_map) if options.kit_map else KitMap.gm()
        notes = kit.apply(notes)
        return [DrumHit(onset=start / TICKS_PER_QUARTER, pitch=int(pitch), velocity=int(vel),
                        duration=max(1, end - start) / TICKS_PER_QUARTER) for start, end, pitch, vel in notes.tolist()]


def every_bar(choice: str, index: int, closing: bool) -> np.ndarray | None:
    """(1,) bool: whether bar `index` (from the stream's first bar) closes with a fill (`closing`) or opens with a
    crash under a `none|sections|every:N` control; None for `sections` (the model's call)."""
    if choice == "sections":
        return None
    every = fills_every(choice)
    if every is None:  # none
        return np.zeros(1, dtype=bool)
    return np.array([(index + 1) % every == 0 if closing else index % every == 0])


@lru_cache(maxsize=64)
def _drummer(seed: int, feel: str) -> Any:
    """The stream's drummer (as generation draws one per request from its seed)."""
    return shipped_tables().draw_drummer(np.random.default_rng([seed, 1]), feel)
