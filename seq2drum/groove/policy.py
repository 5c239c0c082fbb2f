"""The decision's settings and its inputs and outputs: `DecodingPolicy` (calibration and the choices tuned on
validation songs, saved in the checkpoint), `Steering` (what a musician asked for; the only way controls, drums
from nothing and count-in reach the decision), `Take` (one decided drum part) and `calibrated` (the network's
scores as probabilities).
"""

from __future__ import annotations

import dataclasses
import functools
import math
import numbers
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

from seq2drum import arrays
from seq2drum.errors import ConfigError
from seq2drum.midi.drums import KICK, NUM_DRUM_CLASSES
from seq2drum.groove.scores import SongScores
from seq2drum.parts.plan_value import Plan
from seq2drum.song.drum_part import DrumPart

Copied = TypeVar("Copied")


def copied(instance: Copied, **changes: Any) -> Copied:
    """`dataclasses.replace(instance, **changes)` for a dataclass with no default factory, check or `__post_init__`
    (Steering, BarContext, groove.request's Request): its fields copied as they are, a fifth of `replace`'s time (a
    live bar makes several); TypeError for a field the class lacks, as `replace` gives."""
    unknown = changes.keys() - instance.__dataclass_fields__.keys()
    if unknown:
        raise TypeError(f"{type(instance).__name__} has no field {', '.join(sorted(unknown))}")
    moved = object.__new__(type(instance))
    moved.__dict__.update(instance.__dict__)
    moved.__dict__.update(changes)
    return moved


@dataclass(frozen=True)
class Calibration:
    """The network's scores made probabilities, fitted on the validation songs (training.calibrate): per-class Platt
    scaling of the hit and structure logits, biases by position in the bar, and the kick's where a bass strikes."""

    hit_scale: tuple[float, ...] = (1.0,) * NUM_DRUM_CLASSES  # calibrated logit = scale * logit + bias, per class
    hit_bias: tuple[float, ...] = (0.0,) * NUM_DRUM_CLASSES
    structure_scale: tuple[float, ...] = (1.0, 1.0, 1.0)  # rest, crash, fill (groove.structure's column order)
    structure_bias: tuple[float, ...] = (0.0, 0.0, 0.0)
    # added to the kick's calibrated logit at a step where a bass part strikes, and at the other steps of a bar where
    # one does: drummers kick on the bass's notes far more often than per-class calibration says (on a fold's
    # held-out songs, 52% of bass onsets on eighths had a kick where the model gave 38%; 11% against 15% elsewhere)
    kick_bass_bias: tuple[float, float] = (0.0, 0.0)
    # added to the calibrated hit logits by position in the bar: one row per bar shape, (bar steps, beat steps, then
    # bar steps x 9 biases, step-major), fitted on the validation songs where that shape has enough bars; () = none.
    # The network hears no bar position, and in 4/4 rated snare on beat 3 near beats 2 and 4 (docs/experiments/)
    step_bias: tuple[tuple[float, ...], ...] = ()


CALIBRATION_FIELDS = tuple(f.name for f in dataclasses.fields(Calibration))


@dataclass(frozen=True)
class DecodingPolicy:
    """The decision rule's settings: calibration of the network's scores and the choices tuned on validation songs.
    Saved in the checkpoint (as one flat dict), so every model decodes the way it was tuned."""

    calibration: Calibration = Calibration()  # the scores made probabilities
    stay_bonus: float = 0.5  # in units of expected matched cells, for keeping the previous bar's entry
    section_bonus: float = 0.5  # for playing the section's groove
    refine_margin: float = 0.25  # add a cell with p > lambda + margin, drop one with p < lambda - margin
    min_groove_bars: int = 0  # only codebook entries that at least this many training bars were assigned to
    # A bar rests or closes with a fill where its calibrated probability passes its threshold; at that structure's
    # edge (a bar the guitar leaves silent for a rest, a section's or a phrase's last bar for a fill) the
    # `*_edge_threshold` applies when it is the lower one. Crashes follow their own rule (groove.rules `crash_marks`):
    # a crash edge threshold of 1 plays none (calibration's takes without structure), any other plays them.
    rest_threshold: float = 0.5
    fill_threshold: float = 0.5
    rest_edge_threshold: float = 0.5
    crash_edge_threshold: float = 0.5
    fill_edge_threshold: float = 0.5
    # a bar a heard bass part leaves silent (no note struck or held, in a song where one plays) rests where the rest
    # probability passes this: the drums drop out with the bass. On 5-fold CV's held-out songs from the band, 0.1
    # raised take 1 (every fold) and rest F1 0.15 -> 0.44 (docs/experiments/), but left 13 songs silent through a
    # quarter or more of the bars their drummer plays (the checklist's `missing`: a bass that sits out a verse);
    # 0.2 halves them (13 -> 6, take 1 0.4894 -> 0.4887, wins on the loop 409 -> 410 of 624; 0.3: 1 song, 0.4878,
    # 407). Checkpoints tuned before it keep 1 (off)
    rest_bass_threshold: float = 0.2
    # for a network that hears drums: how many times the song is scored again hearing the take 1 just decided (the
    # decoder then hears its own drums) and decided again; 0 = it hears only the drums the user gave
    own_drums_passes: int = 0
    # bars N+1, 2N+1 ... of each section open a phrase, where a crash may come as well as at section starts
    # (groove.rules `crash_marks`; 0: section starts only); 8 for new tunings (docs/experiments/); checkpoints tuned
    # before it keep 0 (model.checkpoint)
    crash_phrase_bars: int = 8
    # a section keeps time on the ride where the model rates the ride at this share of the closed hat on the hat's
    # cells (groove.voices; 0 = off). 0.4 for new tunings (its figures: groove.voices); checkpoints tuned before it
    # keep 0 (model.checkpoint)
    ride_ratio: float = 0.4
    # lambda, the probability above which a cell is worth playing (the expected F1's half), scaled by this where no
    # drums were given (a groove to continue says how busy to be), as `Steering.lambda_scale` scales it (the two
    # multiply): set per shipped model from cross-validation, as the tuning's validation songs, on which the
    # probabilities were calibrated, do not show what held-out songs do (docs/experiments/)
    lambda_scale: float = 1.0

    def __post_init__(self) -> None:
        """ConfigError naming the field, its value and what it may be, for a value no decision could use."""
        for name in ("rest_threshold", "fill_threshold", "rest_edge_threshold", "crash_edge_threshold",
                     "fill_edge_threshold", "rest_bass_threshold"):
            _check_number(self, name, 0.0, 1.0, "a probability, 0-1 (1: never)")
        for name in ("stay_bonus", "section_bonus", "ride_ratio"):
            _check_number(self, name, 0.0, float("inf"), ">= 0")
        _check_number(self, "refine_margin", 0.0, 1.0, "0-1 (1: no refinement)")
        _check_number(self, "lambda_scale", 0.01, 1000.0, "0.01-1000")
        whole = (("min_groove_bars", 0, 10**9), ("own_drums_passes", 0, 8), ("crash_phrase_bars", 0, 64))
        for name, low, high in whole:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or not low <= value <= high:
                raise ConfigError(f"DecodingPolicy.{name} must be a whole number {low}-{high}, got {value!r}")
        calibration = self.calibration
        for name, length in (("hit_scale", NUM_DRUM_CLASSES), ("hit_bias", NUM_DRUM_CLASSES),
                             ("structure_scale", 3), ("structure_bias", 3), ("kick_bass_bias", 2)):
            values = getattr(calibration, name)
            if len(values) != length or not all(_finite(x) for x in values):
                raise ConfigError(f"DecodingPolicy's calibration {name} must be {length} finite numbers, "
                                  f"got {values!r}")
        for row in calibration.step_bias:
            if not all(_finite(x) for x in row) or len(row) < 2 or len(row) != 2 + int(row[0]) * NUM_DRUM_CLASSES:
                raise ConfigError("DecodingPolicy's calibration step_bias rows must be (bar steps, beat steps, then "
                                  f"bar steps x {NUM_DRUM_CLASSES} finite biases), got a row of {len(row)} values")

    def to_dict(self) -> dict[str, Any]:
        """One flat dict of JSON values, the calibration's fields beside the others (as checkpoints store it)."""
        flat = {**dataclasses.asdict(self.calibration),
                **{f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "calibration"}}
        return {k: [list(row) for row in v] if k == "step_bias" else list(v) if isinstance(v, tuple) else v
                for k, v in flat.items()}

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> DecodingPolicy:
        """The policy `to_dict` wrote; a checkpoint's older policy is upgraded first (model.checkpoint's
        `upgrade_decoding`). A field left out takes its default."""
        values = {k: tuple(v) if isinstance(v, list) else v for k, v in values.items()}
        values["step_bias"] = tuple(tuple(float(x) for x in row) for row in values.get("step_bias", ()))
        calibration = Calibration(**{k: values.pop(k) for k in CALIBRATION_FIELDS if k in values})
        return cls(calibration=calibration, **values)

    def replace(self, **changes: Any) -> DecodingPolicy:
        return dataclasses.replace(self, **changes)

    def recalibrated(self, **changes: Any) -> DecodingPolicy:
        """The policy with fields of its calibration changed (hit_scale=..., step_bias=...)."""
        return dataclasses.replace(self, calibration=dataclasses.replace(self.calibration, **changes))

    @property
    def refines(self) -> bool:
        """Whether the groove rules refine cell by cell (`rules.refine_cells`): a margin of 1 refines nothing (a later
        take's retry, policies tuned without it)."""
        return self.refine_margin < 1.0

    @property
    def crashes_at_edges(self) -> bool:
        """Whether crashes are marked (`marks.crash_marks`): a crash edge threshold of 1 marks none (calibration's
        takes without structure, live models whose tuner found crashes cost more than they gave)."""
        return self.crash_edge_threshold < 1.0

    @property
    def fills_at_edges(self) -> bool:
        """Whether fills are marked at section and phrase ends by count (`marks.fill_marks`): a fill edge threshold
        of 1 marks fills by their threshold alone (`marks.fill_threshold_marks`)."""
        return self.fill_edge_threshold < 1.0

    def threshold_scale(self, steering: Steering) -> float:
        """What lambda is scaled by under `steering`: its own scale, times the policy's where no drums were given."""
        return steering.lambda_scale * (self.lambda_scale if steering.continuation is None else 1.0)


def _finite(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)


def _check_number(policy: DecodingPolicy, name: str, low: float, high: float, what: str) -> None:
    value = getattr(policy, name)
    if not _finite(value) or not low <= value <= high:
        raise ConfigError(f"DecodingPolicy.{name} must be {what}, got {value!r}")


def policy_change(text: str) -> tuple[str, float | int]:
    """NAME=VALUE, a DecodingPolicy field and its new number (of the field's own type), for the tools that change one
    setting of a tuned policy (models/export_default.py --decoding, tools/crossval.py --policy); ValueError names
    what is wrong."""
    name, _, value = text.partition("=")
    if name not in DecodingPolicy.__dataclass_fields__ or not value:
        raise ValueError(f"expected NAME=VALUE with NAME one of {', '.join(DecodingPolicy.__dataclass_fields__)}, "
                         f"got {text!r}")
    kind = type(getattr(DecodingPolicy(), name))
    if kind not in (int, float):
        raise ValueError(f"{name} is not a number setting")
    try:
        return name, kind(float(value))
    except ValueError:
        raise ValueError(f"{name}'s value must be a number, got {value!r}") from None


@dataclass(frozen=True)
class ChosenPart:
    """What a phrase of one full part the musician chose is labelled that part by: the part's time-keeper and
    subdivision, and the feels it is labelled in by how the phrase keeps time, `by_time[(keeper, subdivision)]`
    (parts.vocabulary `PartVocabulary.feels_labelled`; the part's own feel first). Before the take steps a swung
    part's eighths read as eighths (the steps swing them)."""

    keeper: str
    subdivision: str
    by_time: dict[tuple[str, str], tuple[str, ...]]

    def feels(self, keeper: str, subdivision: str) -> tuple[str, ...]:
        """The feels labelled as the part with time kept so (none: no feel makes it the part)."""
        read = "swung" if self.subdivision == "swung" and subdivision == "eighths" else subdivision
        return self.by_time.get((keeper, read), ())


ONE_ROW = np.zeros(1, dtype=np.intp)  # the rows of a one-bar phrase, as np.flatnonzero gives them (read-only)
ONE_ROW.setflags(write=False)


@dataclass(frozen=True)
class ChosenParts:
    """The full parts the musician chose, bar by bar: `parts` (n,) int (-1 where none), `phrases` (n,) int the phrase
    each bar is in (its bars are read together, as parts.labels reads a phrase) and each part's `ChosenPart`; and
    the bars of the sparse parts he chose (`sparse`: `play_levels`)."""

    parts: np.ndarray
    phrases: np.ndarray
    chosen_parts: dict[int, ChosenPart]
    sparse: np.ndarray | None = None  # (n,) bool the bars of phrases whose sparse part the musician chose
    named: np.ndarray | None = None  # (n,) bool the bars whose part he named (--parts): its cymbal laid where none is

    @property
    def chosen(self) -> np.ndarray:
        """(n,) bool the bars whose part the musician chose."""
        return self.parts >= 0

    def off_the_ride(self) -> np.ndarray:
        """(n,) bool the bars whose chosen part keeps time on another cymbal than the ride (a hat part)."""
        return np.array([k >= 0 and self.chosen_parts[k].keeper != "ride" for k in self.parts.tolist()], dtype=bool)

    def phrases_playing(self, hits: np.ndarray) -> list[tuple[np.ndarray, ChosenPart]]:
        """(rows, part) of each chosen phrase's bars that play in (n, S, 9) `hits`."""
        if len(self.parts) == 1 == len(hits):  # one bar (live; four calls a round): its phrase where it plays
            part = int(self.parts[0])
            return [(ONE_ROW, self.chosen_parts[part])] if part >= 0 and hits.any() else []
        playing = self.chosen & hits.any(axis=(1, 2))
        out = []
        for phrase in arrays.distinct(self.phrases[playing]).tolist():
            rows = np.flatnonzero(playing & (self.phrases == phrase))
            out.append((rows, self.chosen_parts[int(self.parts[rows[0]])]))
        return out


@dataclass(frozen=True)
class Steering:
    """What a musician asked of the decision; the defaults are the model's own choice. Built by groove.request
    (style, density, --fills), generation.from_nothing (the arrangement's structure) and generation.given (the drums
    the user gave); nothing else steers but the decision's own retry without rests, and live once the band plays
    (`without_rests`).

    `continuation` carries the drums the user gave (--keep-drums, --groove). `rests`, `crashes` and `fills` force
    bar structure: None lets the model decide every bar; an (n,) array forces each bar to its value, True or False,
    or leaves the bars where it holds None to the model. A bar that rests neither crashes nor fills."""

    allowed: np.ndarray | None = None  # (K,) bool: the codebook entries grooves may be chosen from (a style)
    lambda_scale: float = 1.0  # the threshold lambda grooves, cells and fills are chosen against is scaled by this
    rests: np.ndarray | None = None  # (n,) the bars that rest (no hit at all)
    # the parts of the take's plan, bar by bar (the model's, a style's, the drums given or the musician's --parts):
    # their bars play the part's time, feel and level (rules `plan_time`, `plan_feels`, `plan_level`), the backbeat
    # rule leaves them (groove.feels `plan_steering`)
    plan_parts: ChosenParts | None = None
    crashes: np.ndarray | None = None  # (n,) the bars that crash on the downbeat
    fills: np.ndarray | None = None  # (n,) the bars that close with a fill
    continuation: Any = None  # a groove.continuation.Continuation: the user's bars forced, their groove preferred

    def replace(self, **changes: Any) -> Steering:
        """The steering with `changes` (`copied`: three times on a live bar's path)."""
        return copied(self, **changes)

    def without_rests(self, n_bars: int) -> Steering:
        """The steering with every one of `n_bars` bars forced to play (no rest): a take decided again where it rested
        too much, and live once the band plays."""
        return self.replace(rests=np.zeros(n_bars, dtype=bool))


@dataclass(repr=False)
class Take(DrumPart):
    """One decided drum part, per bar (song.drum_part `DrumPart`: hits, velocity, offset), with what was decided."""

    grooves: np.ndarray  # (n,) codebook entry each bar is built on, -1 where none (rest, unknown length)
    section_grooves: dict[int, int]  # section label -> its groove
    expected_f1: float
    structure: np.ndarray  # (n, 3) bool decided rests, crashes, fills
    threshold: float  # lambda: the probability above which a cell was worth playing
    plan: Plan  # the plan it was decided on, held (none played, and why) or played
    density_reached: float | None = None  # with --density: its hits over those decided (groove.density)
    density_whole: float | None = None  # with --density, take 1 on a plan: its hits over a run without --density's
    parts: tuple[tuple[int, str], ...] = ()  # its plan (parts.plan): (first bar, 1-based, part name) of each phrase
    swung_bars: np.ndarray | None = None  # (n,) bool its swung parts' bars: at the triplet where the band swings less
    own_touch: np.ndarray | None = None  # (n,) bool the bars of a style's drummers' bars, at their accents
    straight_bars: np.ndarray | None = None  # (n,) bool a straight style's bars in a swung song (generation/styled.py)

    @property
    def n_hits(self) -> int:
        return int(np.count_nonzero(self.hits))  # the bool sum, without its wrappers (asked thrice a live bar)


def sigmoid(x: np.ndarray) -> np.ndarray:
    """The logistic function, clipped at +-30 so no exp overflows."""
    return 1.0 / (1.0 + np.exp(-np.minimum(np.maximum(x, -30), 30)))  # np.clip's values, a third of its overhead


def kick_bass_offsets(bass_onsets: np.ndarray, bias: tuple[float, float]) -> np.ndarray:
    """(n, S) what `kick_bass_bias` adds to the kick's logit: bias[0] where the bass strikes, bias[1] at the other
    steps of bars where it does, 0 in bars without a bass note."""
    in_bass_bar = bass_onsets.any(axis=1, keepdims=True)
    return np.where(bass_onsets, bias[0], np.where(in_bass_bar, bias[1], 0.0))


@functools.lru_cache(maxsize=16)
def _step_bias_rows(step_bias: tuple[tuple[float, ...], ...], n_steps: int) -> dict[tuple[int, int], np.ndarray]:
    """(bar steps, beat steps) -> its biases (bar steps, 9), read-only, from `step_bias`'s rows (of a shape given
    twice, the later row), made once per calibration: the live drummer asks every bar."""
    biases = {}
    for row in step_bias:
        length, beat = int(row[0]), int(row[1])
        if length > n_steps:
            continue
        bias = np.asarray(row[2:]).reshape(length, NUM_DRUM_CLASSES)
        bias.setflags(write=False)
        biases[(length, beat)] = bias
    return biases


_ARRAYS: dict[tuple[int, int], tuple[Calibration, tuple[np.ndarray, ...], dict[tuple[int, int], np.ndarray]]] = {}


def _calibration_arrays(calibration: Calibration,
                        n_steps: int) -> tuple[tuple[np.ndarray, ...], dict[tuple[int, int], np.ndarray]]:
    """The calibration's (hit scale, hit bias, structure scale, structure bias) as arrays and its step biases by bar
    shape (`_step_bias_rows`), made once per calibration object (by identity: hashing `step_bias`'s floats cost the
    live drummer 8 us a bar) and width."""
    key = (id(calibration), n_steps)
    cached = _ARRAYS.get(key)  # one lookup: a server's threads may share the policy
    if cached is None or cached[0] is not calibration:
        if len(_ARRAYS) >= 16:
            _ARRAYS.clear()
        arrays = tuple(np.asarray(values) for values in (calibration.hit_scale, calibration.hit_bias,
                                                          calibration.structure_scale, calibration.structure_bias))
        for array in arrays:
            array.setflags(write=False)
        cached = _ARRAYS[key] = (calibration, arrays, _step_bias_rows(calibration.step_bias, n_steps))
    return cached[1], cached[2]


def calibrated_logits(scores: SongScores, policy: DecodingPolicy, bass: bool = True) -> np.ndarray:
    """(n, S, 9) the hit logits after per-class Platt scaling, the step biases and (with `bass`) the kick's bias where
    a bass part strikes; the calibration fits each on the ones before it."""
    calibration = policy.calibration
    (hit_scale, hit_bias, _, _), step_biases = _calibration_arrays(calibration, scores.hit_logits.shape[1])
    logits = scores.hit_logits * hit_scale + hit_bias
    if calibration.step_bias:  # each bar's step biases by its shape (a shape without: none)
        for bar, shape in enumerate(zip(np.asarray(scores.bar_steps).tolist(), np.asarray(scores.beat_steps).tolist())):
            bias = step_biases.get(shape)
            if bias is not None:
                logits[bar, : len(bias)] += bias
    if bass and scores.bass_onsets is not None and any(calibration.kick_bass_bias):
        logits[..., KICK] += kick_bass_offsets(scores.bass_onsets, calibration.kick_bass_bias)
    return logits


def calibrated(scores: SongScores, policy: DecodingPolicy) -> tuple[np.ndarray, np.ndarray]:
    """(n, S, 9) hit probabilities (0 outside each bar) and (n, 3) structure probabilities, after calibration."""
    logits = calibrated_logits(scores, policy)
    (_, _, structure_scale, structure_bias), _ = _calibration_arrays(policy.calibration, scores.hit_logits.shape[1])
    structure_logits = scores.structure_logits * structure_scale + structure_bias
    # one sigmoid over both, elementwise as two would be: it is six calls whatever the size (a bar's structure cost
    # the live drummer as much as its hits)
    both = sigmoid(np.concatenate([logits.reshape(-1), structure_logits.reshape(-1)]))
    p = both[: logits.size].reshape(logits.shape)
    if len(p) == 1:  # the live drummer's bar: the steps past it zeroed in place, no mask
        p[0, int(scores.bar_steps[0]):] = 0.0
    else:
        p = np.where(scores.step_mask()[:, :, None], p, 0.0)
    return p, both[logits.size:].reshape(structure_logits.shape)
