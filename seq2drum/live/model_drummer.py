"""The causal model as a live drummer (`api.LiveDrummer`): at each lead, one step of the numpy twin and the decision.

`next_bar` reads the notes of bar n-1 played up to the lead (live/features.py), runs the decoder for bar n hearing
the drums the user gave, and decides bar n with the offline decision, `groove.decide`, through the live chooser
(live/chooser.py: a groove held once settled, until a phrase opens or a part enters or leaves), the bar's plan the
musician's part or the one the band heard up to bar n-2 tells (live/hearing.py, `after_bar`); the state keeps
what it counts over the bars played (the running expected F1, crashes, open hats). The controls apply per bar as
generation applies them, and the bar is played through the render pipeline offline plays songs through (live/render.py).
Randomness comes from (seed, bar index), so how late a call comes never changes the drums. Before the band plays a
note, bars are decided from the song's start and not committed (with the guitar alone they keep time from the
stream's second bar: `keeps_time`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from seq2drum.config import DataConfig
from seq2drum.errors import CheckpointError, ConfigError
from seq2drum.feel.drift import DriftState
from seq2drum.feel.level import LiveLevel
from seq2drum.feel.swing import HeardSwing
from seq2drum.groove import (BarCounts, CRASH_COLUMN, Decoder, DecodingPolicy, FIRST_LAMBDA, GrooveCodebook,
                             SETTLED_BARS, ShortRun, SongScores, StyleBook, Take, calibrated, meter_name,
                             with_vocabulary)
from seq2drum.song.grid import is_compound
from seq2drum.live.chooser import keeps_time, played_bar
from seq2drum.live.api import BarClock, DrumHit, PlayedNote
from seq2drum.live.features import BarsAhead, live_bar, role_onsets
from seq2drum.live.hearing import LATER_BARS, Hearing, Later, Unheard, light, merged, taken_in, worked
from seq2drum.live.kept import groove_bars, kept_in_loop
from seq2drum.live.parts import checked, live_schedule, switched
from seq2drum.live.render import render_bar, stream_drummer
from seq2drum.live.told import bar_request, bar_swing
from seq2drum.model.blas import one_blas_thread
from seq2drum.model.heard import heard_before
from seq2drum.model.loading import numpy_loaded
from seq2drum.model.numpy_causal import CausalNetwork
from seq2drum.model.numpy_network import NumpyGrooveModel
from seq2drum.options import GenerationOptions
from seq2drum.parts.plan import planner_for
from seq2drum.parts.plan_value import Plan
from seq2drum.shipped import DEFAULT_CHECKPOINT
from seq2drum.song.columns import BAR, STEP, FeatureSpec

LIVE_CHECKPOINT = DEFAULT_CHECKPOINT.parent / "live.pt"
TRAIN_COMMAND = "python main.py --mode train --live --out runs/live"


@dataclass
class LiveState:
    """A stream's drummer between bars, picklable: a few kB, and its hearing's bars (`hearing`, 100 kB or more)."""

    seed: int
    options: GenerationOptions
    encoder: np.ndarray  # (2, layers, hidden) after the last bar read
    decoder: np.ndarray  # (2, layers, hidden) after the last bar decided
    drums: np.ndarray | None  # (S, 9) bool the drums the next bar hears: the last bar's, or the groove clip's
    groove: int = -1  # the codebook entry the last bar was built on (-1: none)
    lam: float = FIRST_LAMBDA
    totals: tuple[float, float, float] = (0.0, 0.0, 0.0)  # expected matched cells, hits, sum of p: the running F1
    started: bool = False  # the band has played a note
    first: int = 0  # the index of the band's first bar: phrases, and fills and crashes every N bars, count from it
    pending: tuple[Any, ...] | None = None  # the decision made before the band played, committed when it does
    last: tuple[int, int] = (-1, 0)  # the index and the length in steps of the last bar decided
    loop: tuple[np.ndarray, ...] = ()  # the user's groove to continue: (S, 9) bars, the groove clip's or kept bars
    loop_steps: tuple[int, ...] = ()  # their lengths in steps
    loop_origin: int = 0  # the bar that plays loop[0]; bar n plays loop[(n - loop_origin) % len(loop)]
    loop_kept: bool = False  # the loop is kept bars (a groove clip's loop gives way to them, as offline)
    bass: np.ndarray | None = None  # (S,) bool the steps a bass part struck in the last bar read (None: no bass)
    counts: BarCounts = BarCounts()  # what groove.rules count over the bars played (crashes, open hats)
    short: ShortRun = ShortRun(open=True)  # the run of short bars (4/16, 1/4) played so far, and its grouped entry
    streak: int = 0  # bars running the last bar's groove has played
    band: tuple[str, ...] = ()  # the roles of the parts that played in the last bar read
    band_changed: bool = False  # a part entered or left in the last bar read
    level: LiveLevel = LiveLevel()  # the velocities heard and played so far: the drums' level and spread (feel.level)
    drift: DriftState = DriftState()  # where the drummer's timing and accents have drifted to (feel.drift)
    meters: tuple[str, ...] = ()  # the meters of the bars decided so far, in the order first heard (a style's check)
    swing: HeardSwing = HeardSwing()  # the band's swing as read from the notes heard so far (feel.swing)
    parts: tuple[tuple[int, str], ...] = ()  # the musician's parts: (first bar, part) each (live/parts.py)
    hearing: Hearing = Hearing()  # the band heard so far: its description, its genre, the plan (live/hearing.py)
    later: tuple[Later, ...] = ()  # the hearing's work the calls left, each due at a later bar's call (`after_bar`)
    p: np.ndarray | None = None  # (S, 9) the last bar decided's calibrated probabilities, for the hearing's plan


class ModelDrummer:
    """`api.LiveDrummer` over a causal checkpoint (default models/live.pt)."""

    request = bar_request  # the bar's request from what has been heard (live/told.py)

    def __init__(self, checkpoint: str | Path | None = None) -> None:
        """Load the live model through model/loading.py (its fast-start copy when the cache has one, so no torch
        import), with the codebook offline plays (`with_vocabulary`: the grooves its training songs may lack)."""
        path = Path(checkpoint) if checkpoint is not None else LIVE_CHECKPOINT
        if not path.is_file():
            raise CheckpointError(f"live model {path} not found; train the causal model with `{TRAIN_COMMAND}`, "
                                  f"export its best.pt to {LIVE_CHECKPOINT} (models/README.md), or pass the path of "
                                  "a live checkpoint")
        if not (loaded := numpy_loaded(path)).network.config.causal:
            raise CheckpointError(f"{path} is an offline model (it reads whole songs); play along live with a causal "
                                  f"one, trained with `{TRAIN_COMMAND}`")
        self.checkpoint = path
        codebook = with_vocabulary(loaded.codebook, loaded.data_config.steps_per_quarter)
        self._setup(loaded.network, codebook, loaded.spec, loaded.data_config, loaded.policy)  # type: ignore[arg-type]
        self.planner = planner_for(path)  # the parts the musician may name live (the parts.npz beside the model)

    @classmethod
    def of(cls, network: NumpyGrooveModel, codebook: GrooveCodebook, spec: FeatureSpec, data_config: DataConfig,
           policy: DecodingPolicy) -> ModelDrummer:
        """A drummer over a causal network and what decoding needs, without a checkpoint file (the live tuner)."""
        drummer = cls.__new__(cls)
        drummer.checkpoint, drummer.planner = None, None
        drummer._setup(network, codebook, spec, data_config, policy)
        return drummer

    def _setup(self, network: NumpyGrooveModel, codebook: GrooveCodebook, spec: FeatureSpec, data_config: DataConfig,
               policy: DecodingPolicy) -> None:
        self.network, self.decoder, self.policy = CausalNetwork(network), Decoder(codebook, policy), policy
        self.styles = StyleBook.build(codebook, data_config.steps_per_quarter)
        self.spec, self.data_config, self.steps_per_quarter = spec, data_config, data_config.steps_per_quarter
        self.width = spec.max_bar_steps
        # the bass's onset column, from a model that hears the band (a guitar-only model's spec has none)
        self._bass_column = spec.step_columns.index("bass_onsets") if "bass_onsets" in spec.step_columns else None
        # the drums of bar n are decided this many quarter notes before it starts
        self.lead_quarters = network.config.lead_steps / self.steps_per_quarter
        self.ahead = BarsAhead(spec, self.steps_per_quarter)
        self.reads_parts = spec.step_columns == STEP.names and spec.bar_columns == BAR.names  # the part model's columns
        self.told_parts: dict[int, Plan] = {}  # the musician's parts' plans, made once each (live/parts.py `live_plan`)

    def begin(self, options: Any, seed: int, groove: bytes | None = None) -> LiveState:
        """The state before the first bar; a groove clip's first bar is heard as the bar before the song.
        ConfigError for an unknown style, GrooveClipError for a clip that is not one."""
        options = options or GenerationOptions()
        if options.style is not None and self.styles.get(options.style) is None:
            raise ConfigError(f"unknown style {options.style!r}; python main.py --mode styles (or a server's "
                              "GetModelInfo) lists them")
        encoder, decoder = self.network.initial()
        parts = live_schedule(options.parts, self.planner) if options.parts else ()
        stream_drummer(seed, options)  # drawn now, not in the stream's first bar
        if not groove:
            return LiveState(int(seed), options, encoder, decoder, None, parts=parts)
        clip, steps = groove_bars(groove, self.width, self.steps_per_quarter)
        return LiveState(int(seed), options, encoder, decoder, clip[0], loop=tuple(clip),
                         loop_steps=tuple(steps.tolist()), parts=parts)

    def switched(self, state: LiveState, part: str, bar: BarClock) -> LiveState:
        """The state with the musician's switch to `part` (a part's name or id, a style, or "model"), asked before
        `bar`: played from the next phrase (live/parts.py). ConfigError for a part no meter has."""
        value = checked(part, self.planner)
        return _moved(state, parts=switched(state.parts, value, bar.index, state.first if state.started else None))

    def hear(self, state: LiveState, hits: np.ndarray, velocities: Sequence[int] = ()) -> LiveState:
        """The state with the drums of the bar just decided replaced by the user's (S, 9) hits (a kept bar): the next
        bar hears them, and continues their groove where the codebook has it; the drums play at the level and spread
        of the kept notes' `velocities` (as offline, those of the drums the user gave)."""
        hits = np.asarray(hits, dtype=bool)[: self.width]
        state = _moved(state, level=state.level.hearing_given(np.asarray(velocities)))
        flat = self.decoder.codebook.patterns.reshape(len(self.decoder.codebook.patterns), -1)
        same = np.flatnonzero((flat == hits.reshape(-1)).all(axis=1))
        groove = int(same[0]) if len(same) else state.groove
        state = _moved(state, **kept_in_loop(state, hits))
        if not state.started and state.pending is not None:
            return replace(state, pending=(state.pending[0], hits, groove, *state.pending[3:]))
        return replace(state, drums=hits, groove=groove)

    @one_blas_thread  # the same drums whatever the BLAS threads (a server worker's one, the command line's several)
    def next_bar(self, state: LiveState, played: Sequence[PlayedNote], previous: BarClock | None,
                 bar: BarClock) -> tuple[list[DrumHit], LiveState]:
        """The drums of `bar`, decided from the notes of `previous` up to the lead (`api.LiveDrummer.next_bar`),
        the hearing's work due at `bar` taken in first (worked out here where `after_bar` did not: the same drums)."""
        hearing, later = taken_in(state.hearing, state.later, self._plans(), bar.index)
        state, read = _moved(state, hearing=hearing, later=later), None
        if previous is not None and (played or state.started):
            read = live_bar(played, previous, self.spec, self.steps_per_quarter)
            state = self.read(state, *read[:3])
            band = tuple(sorted({note.role for note in played}))
            lead = previous.numerator * 4 / previous.denominator - self.lead_quarters  # notes after it: not heard
            heard = np.array([note.velocity for note in played if note.onset < lead])
            level = state.level.hearing_band(heard, state.seed)
            state = _moved(state, band=band, band_changed=bool(state.band) and band != state.band, level=level,
                           swing=state.swing.after(role_onsets(played, state.options.guitar_only), previous.numerator,
                                                   previous.denominator))
        left = Unheard(played, previous, read, bar.index - state.first if state.started else None, state.options,
                       state.swing, state.loop, state.loop_steps, state.p)
        take, _, state = self.decided_bar(state, bar, self.ahead(bar))
        drums, level, drift = render_bar(take.hits[0], take.velocity[0], state.options, state.seed, bar,
                                         self.steps_per_quarter, state.level, bar_swing(self, state, bar),
                                         take.articulation[0], state.drift, take.own_touch is not None)
        return drums, _moved(state, level=level, drift=drift, later=(*state.later, Later(bar.index + LATER_BARS, left)))

    @one_blas_thread  # the part model's plan: the same on a server's hearing thread as in a call
    def after_bar(self, state: LiveState) -> LiveState:
        """The state with the hearing's work its calls left worked out (live/hearing.py `worked`: the bars kept, the
        band read, the plan drawn), each for its due bar: a server runs it on its hearing thread once a bar's drums
        are sent, off every bar's path, and takes it in with `merged`."""
        return _moved(state, later=worked(state.hearing, state.later, self._plans())) if self.waits(state) else state

    def merged(self, state: LiveState, done: LiveState) -> LiveState:
        """`state` with what `after_bar` worked out on an earlier one (`done`) taken in, for the bars it is due at."""
        return _moved(state, later=merged(state.later, done.later))

    def waits(self, state: LiveState, index: int | None = None) -> bool:
        """Whether hearing work due by bar `index` (None: any) is not worked out yet (a server's call waits for it)."""
        return any(entry.hearing is None and (index is None or entry.due <= index) for entry in state.later)

    def light(self, state: LiveState) -> bool:
        """Whether the hearing work `state` waits on is bars kept alone, no reading nor plan (live/hearing.py)."""
        return light(state.later)

    def _plans(self) -> Any:
        """The planner the hearing plans with (None: none, or one that reads other columns than this model's)."""
        return self.planner if self.reads_parts else None

    def read(self, state: LiveState, steps: np.ndarray, bar_features: np.ndarray, bar_steps: int) -> LiveState:
        """The state after the encoder read a bar as played up to its lead (step features (S, n_step), bar features
        (n_bar,)); the first bar read commits the decision made for the song's first bar."""
        if not state.started and state.pending is not None:  # the bar just played was the song's first
            decoder, drums, groove, lam, totals, first, counts = state.pending
            if keeps_time(state, first):  # time kept before the guitar came in: a guess from nothing, not held on
                groove, state = -1, replace(state, streak=0)
            state = replace(state, decoder=decoder, drums=drums, groove=groove, lam=lam, totals=totals, first=first,
                            counts=counts)
        encoder = self.network.encode_bar(state.encoder, steps, bar_features, bar_steps)
        bass = steps[:, self._bass_column] > 0 if self._bass_column is not None else None
        bass = bass if bass is not None and bass[:bar_steps].any() else None
        return _moved(state, encoder=encoder, started=True, pending=None, bass=bass)

    def decided_bar(self, state: LiveState, bar: BarClock,
                    ahead: tuple[np.ndarray, np.ndarray, int, int]) -> tuple[Take, SongScores, LiveState]:
        """Bar `bar` decided (a take of one bar, before the feel), its scores, and the state after it. `ahead`: the
        bar's (step features, bar features, steps, beat steps), of which the network reads only what is known
        before the bar (meter, tempo, step positions). Before the band plays, the decision is kept pending."""
        scores, decoder = self._scores(state, ahead, bar.index)
        position = bar.index - state.first if state.started else 0  # bars since the band's first
        meter = meter_name(int(ahead[2]), bool(is_compound(bar.numerator, bar.denominator)), self.steps_per_quarter)
        meters = state.meters if meter in state.meters else (*state.meters, meter)
        take, lam, p, counts, short = self._take(state, scores, bar, position, list(meters))
        streak = state.streak + 1 if int(take.grooves[0]) == state.groove >= 0 else 1
        played_p, n_hits, total = state.totals
        totals = (played_p + float(p[take.hits].sum()), n_hits + float(take.n_hits), total + float(p.sum()))
        # the next bar hears this one only where the decoder hears its own drums (`own_drums_passes`, as offline); else
        # the user's (a --groove clip, kept bars) or none: heard back, a first guess made before the band played much
        # was held the whole song (validation songs bar by bar: F1 0.408 hearing its own, 0.452 not; the loop 0.434)
        heard = take.hits[0] if self.policy.own_drums_passes > 0 else state.drums
        decided = (decoder, heard, int(take.grooves[0]), lam, totals, bar.index, counts)
        done = {"last": (bar.index, int(ahead[2])), "streak": streak, "short": short, "meters": meters, "p": p[0]}
        if not state.started:  # before the band: decided from the song's start, committed when the band plays
            return take, scores, _moved(state, pending=decided, **done)
        return take, scores, _moved(state, decoder=decoder, drums=decided[1], groove=decided[2], lam=decided[3],
                                    totals=totals, counts=counts, **done)

    def _scores(self, state: LiveState, ahead: tuple[np.ndarray, np.ndarray, int, int],
                index: int) -> tuple[SongScores, np.ndarray]:
        """The network's scores for the bar (a song of one bar) and the decoder state after it: no groove head (only
        offline's later takes read it)."""
        steps, bar_features, bar_steps, beat_steps = ahead
        out, decoder = self.network.score_bar(state.encoder, state.decoder, steps, bar_features, bar_steps,
                                              heard_before(state.drums, self.width), groove=False)  # one take
        scores = SongScores(hit_logits=out.hit_logits, velocity=out.velocity * 127.0, offset=out.offset,
                            structure_logits=out.structure_logits, bar_steps=np.array([bar_steps]),
                            beat_steps=np.array([beat_steps]), guitar_plays=np.ones(1, dtype=bool), sections=[],
                            first_bar=0, last_onset=(1, 0), groove_logits=out.groove_logits,
                            bass_onsets=self._bass_ahead(state, bar_steps))
        return scores, decoder  # live the music's last onset is not known: past the bar, so no ending is played

    def _bass_ahead(self, state: LiveState, bar_steps: int) -> np.ndarray | None:
        """(1, S) the steps the bass is expected to strike in the bar about to be played: live its notes come after
        the decision, so the last bar's, as bass lines repeat bar to bar (None: no bass, or a bar of another
        length)."""
        if state.bass is None or state.last[1] not in (0, bar_steps):
            return None
        return state.bass[None]

    def _take(self, state: LiveState, scores: SongScores, bar: BarClock, position: int,
              meters: list[str]) -> tuple[Take, float, np.ndarray, BarCounts, ShortRun]:
        """The bar's take, lambda after it, its calibrated probabilities, the crash count and the run of short bars
        after it, through the request offline generation builds (groove.request), from what has been heard: the
        section since the band's first bar, the meters heard (the stream's first first: a style that does not play
        it is refused, ConfigError, as offline), the user's groove."""
        p, structure = calibrated(scores, self.policy)
        asked = self.request(state, scores, p, bar, position, meters)
        # a drummer in a jam holds the groove once it has settled, and changes it where a phrase opens or the band
        # changes (a part enters or leaves)
        hold = (state.started and state.streak >= SETTLED_BARS and not state.band_changed
                and not asked.edges[0, CRASH_COLUMN])
        decided, counts, short = played_bar(self.decoder, self.policy, state, asked, structure, bar.index, hold)
        return decided.take, decided.context.lam, p, counts, short


def _moved(state: LiveState, **changes: Any) -> LiveState:
    """`dataclasses.replace(state, **changes)` in a tenth of its time (LiveState has no factory, check or hook)."""
    moved = object.__new__(LiveState)
    moved.__dict__.update(state.__dict__)
    moved.__dict__.update(changes)
    return moved
