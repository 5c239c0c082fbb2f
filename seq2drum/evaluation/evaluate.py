"""The evaluation stage: generate drums from each song's guitar alone and score them against the song's real
drums, beside three baselines that ignore the guitar (a rock backbeat loop, a jazz ride, the most played training
bar). The loop is the bar to clear: every model is compared with it song by song.

    evaluation = evaluate("data/midi", "runs/x/best.pt", "runs/eval", EvaluationSettings(split="val", takes=4))

Songs are those of the checkpoint's validation split (its own data config and split seed), its training songs,
every song, or one cross-validation fold. Each is scored over its windows, steps [windows[0].start_step,
windows[-1].end_step): from the bar where the guitar starts to the bar where it ends. The model's drums come from
the product path, `DrumGenerator.generate(midi_bytes)`, whose every take is also checked for validity. Beside grid
F1 it reports the share of songs where take 1 beats the loop, the density ratio (generated / real hits), the
per-bar structure F1s (rests, crashes on the downbeat, fills within +-1 bar) and the best of N takes.
Writes report.json, report.md, distributions.json and PNG figures.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from seq2drum.evaluation import metrics, plots
from seq2drum.atomic import write_atomic
from seq2drum.evaluation.baselines import BASELINES, BarLibrary, baseline_drums
from seq2drum.config import DataConfig, GenerationOptions
from seq2drum.training.corpus import EncodedSong, build_corpus, encode_song, find_midi_files, fold_of, split_songs
from seq2drum.groove.decoder import SongScores, calibrated
from seq2drum.midi.drums import CLASS_TO_PITCH, DRUM_CLASSES
from seq2drum.errors import ConfigError, DataFolderError, MidiReadError
from seq2drum.midi.io import DRUM_CHANNEL, PITCH, START, merged_notes, read_midi, select_guitar
from seq2drum.song.grid import BAR_STEPS, DrumGrid

if TYPE_CHECKING:
    from seq2drum.generation.generator import DrumGenerator

SYSTEMS = ("model", *BASELINES)
TOLERANCES = (0, 1)
VALIDITY_CHECKS = (
    "parses", "drum_channel_only", "gm_pitches_only", "tempo_map_equal", "meters_equal",
    "starts_with_guitar", "ends_with_guitar", "spans_guitar",
)
TABLE_F1 = {"F1": "all", "F1 +-1": "all_tol1", "kick+snare F1": "kick_snare", "hats merged F1": "merged_hats"}
SPLITS = ("val", "train", "all", "fold")
ENDING_BARS = 2  # no drum hit more than this many bars after the guitar's last onset
LOOP = "backbeat"  # the baseline every model is compared with, song by song


@dataclass(frozen=True)
class EvaluationSettings:
    """Which songs, and how the model generates (a fixed seed, so two runs give the same report)."""

    split: str = "val"  # val / train = the checkpoint's split; all = every song; fold = cross-validation fold `fold`
    limit: int = 0  # evaluate at most this many songs (0 = all), in file order
    temperature: float = GenerationOptions().temperature
    seed: int = 0
    plots_songs: int = 3  # songs drawn as piano rolls
    takes: int = 1  # takes per song; with more than one, the report gives the best of them per song
    folds: int = 5  # with split "fold": how many folds, and which one is evaluated
    fold: int = 0

    def __post_init__(self) -> None:
        if self.split not in SPLITS:
            raise ConfigError(f"split must be one of {', '.join(SPLITS)}, got {self.split!r}")
        if self.limit < 0 or self.plots_songs < 0:
            raise ConfigError("limit and plots_songs must be >= 0")
        if not 0 <= self.fold < self.folds:
            raise ConfigError(f"fold must be 0-{self.folds - 1}, got {self.fold}")
        GenerationOptions(temperature=self.temperature, seed=self.seed, takes=self.takes)  # validates them


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

    def f1(self, system: str, key: str = "all") -> float:
        return self.counts[system][key].micro()[2]


@dataclass
class Evaluation:
    summary: dict[str, Any]
    songs: list[SongScore]
    examples: list[tuple[EncodedSong, DrumGrid]]  # songs to draw, with the model's drums
    written: list[Path] = field(default_factory=list)


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
    return SongScore(song.name, len(metrics.bars_in_span(song.grid, span)), end - start, counts, descriptors, novelty,
                     structure)


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
    checks["gm_pitches_only"] = bool(np.isin(drums[:, PITCH], CLASS_TO_PITCH).all())

    def quarters(events: list[Any], ticks_per_quarter: int) -> list[tuple[Any, ...]]:
        return [(Fraction(tick, ticks_per_quarter), *rest) for tick, *rest in events]

    for check, attribute in (("tempo_map_equal", "tempos"), ("meters_equal", "time_signatures")):
        checks[check] = (quarters(getattr(song, attribute), song.ticks_per_quarter)
                         == quarters(getattr(output, attribute), output.ticks_per_quarter))
    encoded = encode_song(song, data_config, track=track, with_drums=False)
    guitar = merged_notes(select_guitar(song, track))
    steps_per_quarter = encoded.grid.steps_per_quarter
    drum_quarters = drums[:, START] / output.ticks_per_quarter
    last_bar_quarters = encoded.grid.bars[-1, BAR_STEPS] / steps_per_quarter
    checks["starts_with_guitar"] = bool(drum_quarters.min() >= (encoded.first_step - 0.5) / steps_per_quarter)
    last_onset_quarters = guitar[:, START].max() / song.ticks_per_quarter
    checks["ends_with_guitar"] = bool(
        last_onset_quarters - last_bar_quarters
        <= drum_quarters.max()
        <= last_onset_quarters + ENDING_BARS * last_bar_quarters
    )
    checks["spans_guitar"] = checks["starts_with_guitar"] and checks["ends_with_guitar"]
    return checks


def evaluate(
    data_dir: str | Path,
    checkpoint: str | Path | None,
    report_dir: str | Path | None,
    settings: EvaluationSettings | None = None,
    cache_dir: str | Path | None = None,
    workers: int | None = None,
    progress: bool = True,
    log: Callable[[str], None] = print,
) -> Evaluation:
    """Score the model and the baselines on the songs of `data_dir`; write the report when `report_dir` is given."""
    from seq2drum.generation.generator import DrumGenerator

    settings = settings or EvaluationSettings()
    started = time.perf_counter()
    generator = DrumGenerator.from_checkpoint(checkpoint)
    data_config = generator.data_config
    corpus = build_corpus(data_dir, data_config, cache_dir, workers, progress=progress)
    train_songs, val_songs = split_songs(corpus.songs, data_config.val_fraction, data_config.split_seed)
    if settings.split == "fold":
        chosen = [s for s in corpus.songs if fold_of(s, settings.folds, data_config.split_seed) == settings.fold]
        train_songs = [s for s in corpus.songs if fold_of(s, settings.folds, data_config.split_seed) != settings.fold]
    else:
        chosen = {"val": val_songs, "train": train_songs, "all": corpus.songs}[settings.split]
    songs = [s for s in chosen if s.drums is not None]
    if not songs:
        raise DataFolderError(f"no {settings.split} songs with drums to evaluate in {data_dir} "
                              f"({len(corpus.songs)} songs, {len(val_songs)} in validation); try --split all")
    songs = songs[: settings.limit] if settings.limit else songs
    library = BarLibrary.build(train_songs)
    files = {hashlib.sha256(path.read_bytes()).hexdigest(): path for path in find_midi_files(Path(data_dir))}
    options = GenerationOptions(temperature=settings.temperature, seed=settings.seed, takes=settings.takes)
    scores: list[SongScore] = []
    examples: list[tuple[EncodedSong, DrumGrid]] = []
    for index, song in enumerate(songs, start=1):
        score, generated = evaluate_song(song, files.get(song.sha256), generator, options, library)
        scores.append(score)
        if len(examples) < settings.plots_songs:
            examples.append((song, generated))
        f1 = ", ".join(f"{system} {score.f1(system):.3f}" for system in SYSTEMS)
        best = f"; best of {len(score.take_f1)} takes {max(score.take_f1):.3f}" if len(score.take_f1) > 1 else ""
        log(f"[{index}/{len(songs)}] {song.name}: {score.n_bars} bars in {score.seconds:.2f} s "
            f"(generation {score.generate_seconds:.2f} s); F1 {f1}{best}")
    summary = summarize(scores)
    summary["model"] = {"checkpoint": str(checkpoint or "default"), **asdict(generator.info)}
    summary["settings"] = asdict(settings)
    summary["data"] = {
        "data_dir": str(data_dir), "songs_in_folder": len(corpus.songs), "train_songs": len(train_songs),
        "validation_songs": len(val_songs), "evaluated_songs": len(scores), "training_library": repr(library),
        "data_config": data_config.to_dict(),
    }
    summary["seconds"] = {
        "total": round(time.perf_counter() - started, 2),
        "per_song_mean": round(float(np.mean([s.seconds for s in scores])), 3),
        "generation_per_song_mean": round(float(np.mean([s.generate_seconds for s in scores])), 3),
    }
    evaluation = Evaluation(summary, scores, examples)
    if report_dir is not None:
        evaluation.written = write_report(evaluation, Path(report_dir))
    return evaluation


def evaluate_song(song: EncodedSong, path: Path | None, generator: DrumGenerator, options: GenerationOptions,
                  library: BarLibrary) -> tuple[SongScore, DrumGrid]:
    """Generate a song's takes from its file (the product path; every take's MIDI checked for validity) and score
    take 1 and the baselines against the real drums; returns the score and take 1's drums."""
    started = time.perf_counter()
    validity: dict[str, bool] = {}
    grids: list[DrumGrid] = []
    if path is not None:
        midi_bytes = path.read_bytes()
        result = generator.generate(midi_bytes, options)
        if result.drums.n_steps == song.n_steps:
            grids = [take.drums for take in result.takes]
            checked = [check_output(midi_bytes, take.midi_bytes, generator.data_config) for take in result.takes]
            validity = {check: all(c[check] for c in checked) for check in VALIDITY_CHECKS}
    if not grids:  # file gone from the folder, or encoded differently: generate on the cached grid
        seed = options.seed if options.seed is not None else 0
        grids = generator.takes_to_grids(song, generator.generate_takes(song, options, seed), options.humanize, seed)
    generate_seconds = time.perf_counter() - started
    score = score_song(song, {"model": grids[0], **baseline_drums(song.grid, library)}, library.keys)
    start, end = song_span(song)
    real = song.drums.hits[start:end]
    for grid in grids:
        counts = metrics.match_hits(grid.hits[start:end], real)
        score.take_f1.append(counts.micro()[2])
        score.take_density.append(float(grid.hits[start:end].sum()) / max(1, int(real.sum())))
    from seq2drum.song.bars import bar_song

    score.nll_per_cell = nll_per_cell(generator.song_scores(bar_song(song, generator.spec)), song, generator)
    score.validity = validity
    score.seconds, score.generate_seconds = time.perf_counter() - started, generate_seconds
    return score, grids[0]


def summarize(scores: list[SongScore]) -> dict[str, Any]:
    """Totals over songs: micro and mean-per-song P/R/F1 per view and per class, descriptors with their overlap
    with the real drums, novelty, NLL and validity shares, and whether the model beats each baseline on F1."""
    pooled = {name: {d: np.concatenate([s.descriptors[name][d] for s in scores]) for d in metrics.DESCRIPTORS}
              for name in ("real", *SYSTEMS)}
    systems = {name: _system_summary(name, scores, pooled) for name in SYSTEMS}
    model_f1 = systems["model"]["grid"]["all"]["f1"]
    validated = [s.validity for s in scores if s.validity]
    validity = {c: sum(v[c] for v in validated) / len(validated) if validated else math.nan for c in VALIDITY_CHECKS}
    return {
        "systems": systems,
        "real": {"descriptors": {d: {"mean": _nanmean(pooled["real"][d])} for d in metrics.DESCRIPTORS}},
        "distributions": {n: {d: np.round(v, 4).tolist() for d, v in values.items()} for n, values in pooled.items()},
        "nll_per_cell": float(sum(s.nll_per_cell * s.n_steps for s in scores) / sum(s.n_steps for s in scores)),
        "nll_per_cell_song_mean": _nanmean([s.nll_per_cell for s in scores]),
        "validity": {"songs_checked": len(validated), **validity},
        "against_loop": against_loop(scores),
        "model_beats": {
            b: {"model_f1": model_f1, "baseline_f1": systems[b]["grid"]["all"]["f1"],
                "beats": bool(model_f1 > systems[b]["grid"]["all"]["f1"])}
            for b in BASELINES
        },
        "songs": [_song_row(s) for s in scores],
    }


def against_loop(scores: list[SongScore]) -> dict[str, Any]:
    """The figures every model is judged by, next to the loop's: mean song F1 of take 1, the share of songs where
    it beats the loop, the best of the takes, density ratios, the per-bar structure F1s, and the share of songs that
    crash on more than half their bars (model and real drums: a crash on every downbeat is a crash-ride song, rare
    in drummers' hands, and the first thing a guitarist hears)."""
    model = np.array([s.f1("model") for s in scores])
    loop = np.array([s.f1(LOOP) for s in scores])
    best = np.array([max(s.take_f1) for s in scores])
    density = np.array([s.take_density[0] for s in scores])
    structure: dict[str, dict[str, float]] = {}
    for system in ("model", LOOP):
        structure[system] = {}
        for name in metrics.STRUCTURES:
            total = sum((s.structure[system][name] for s in scores), metrics.HitCounts.zeros(1))
            structure[system][name] = total.micro()[2]
    return {
        "songs": len(scores),
        "takes": max(len(s.take_f1) for s in scores),
        "model_mean_song_f1": _nanmean(model),
        "loop_mean_song_f1": _nanmean(loop),
        "model_minus_loop": _nanmean(model - loop),
        "beats_loop_share": float(np.mean(model > loop)),
        "best_of_takes_mean_song_f1": _nanmean(best),
        "best_of_takes_minus_loop": _nanmean(best - loop),
        "density_ratio_median": float(np.median(density)),
        "density_ratio_p10_p90": [float(np.percentile(density, 10)), float(np.percentile(density, 90))],
        "min_take_density_ratio": float(min(min(s.take_density) for s in scores)),
        "songs_with_a_take_under_a_third": int(sum(min(s.take_density) < 1 / 3 for s in scores)),
        "structure_f1": structure,
        "crash_most_bars_share": {"model": _crash_most_bars_share(scores, "predicted"),
                                  "real": _crash_most_bars_share(scores, "real")},
    }


def _crash_most_bars_share(scores: list[SongScore], side: str) -> float:
    """Share of songs whose drums ("predicted": the model's, or "real") crash on more than half their bars."""
    return float(np.mean([getattr(s.structure["model"]["crash"], side).sum() > s.n_bars / 2 for s in scores]))


def _system_summary(name: str, scores: list[SongScore], pooled: dict[str, dict[str, np.ndarray]]) -> dict[str, Any]:
    grid: dict[str, Any] = {}
    for key, first in scores[0].counts[name].items():
        total = sum((s.counts[name][key] for s in scores), metrics.HitCounts.zeros(len(first.real)))
        precision, recall, f1 = total.micro()
        song_f1 = _nanmean([s.counts[name][key].micro()[2] for s in scores])
        grid[key] = {"precision": precision, "recall": recall, "f1": f1, "song_f1_mean": song_f1}
        if key in metrics.VIEWS:  # per class at exact matching
            per_class = zip(metrics.VIEWS[key][0], *total.per_class())
            grid[key]["per_class"] = {c: {"precision": p, "recall": r, "f1": f} for c, p, r, f in per_class}
    copied, counted = (sum(s.novelty[name][i] for s in scores) for i in (0, 1))
    descriptors = {d: {"mean": _nanmean(pooled[name][d]),
                       "overlap_with_real": metrics.overlap_area(pooled[name][d], pooled["real"][d])}
                   for d in metrics.DESCRIPTORS}
    share = copied / counted if counted else math.nan
    novelty = {"copied_bars": copied, "non_empty_bars": counted, "copy_share": share}
    return {"grid": grid, "descriptors": descriptors, "novelty": novelty}


def _song_row(score: SongScore) -> dict[str, Any]:
    return {
        "name": score.name, "bars": score.n_bars, "steps": score.n_steps, "seconds": round(score.seconds, 3),
        "generation_seconds": round(score.generate_seconds, 3), "nll_per_cell": score.nll_per_cell,
        "take_f1": score.take_f1, "take_density": score.take_density,
        "f1": {s: score.f1(s) for s in SYSTEMS}, "f1_tol1": {s: score.f1(s, "all_tol1") for s in SYSTEMS},
        "descriptor_means": {n: {d: _nanmean(v) for d, v in values.items()} for n, values in score.descriptors.items()},
        "novelty": {s: list(v) for s, v in score.novelty.items()},
        "validity": score.validity,
    }


def _nanmean(values: Any) -> float:
    values = np.asarray(values, dtype=np.float64)
    return float(np.nanmean(values)) if np.isfinite(values).any() else math.nan


def jsonable(value: Any) -> Any:
    """Plain JSON values: NaN becomes null, numpy scalars become Python numbers."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, (np.floating, float)):
        return None if not math.isfinite(float(value)) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    return value


def dumps(summary: dict[str, Any]) -> str:
    return json.dumps(jsonable(summary), indent=2)


# ---------------------------------------------------------------------------------------------- report


def _number(value: Any, digits: int = 3) -> str:
    return "n/a" if value is None or not math.isfinite(float(value)) else f"{float(value):.{digits}f}"


def _table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows)]
    lines = [headers, ["-" * w for w in widths], *rows]
    return "\n".join("| " + " | ".join(str(c).ljust(w) for c, w in zip(line, widths)) + " |" for line in lines)


def format_tables(summary: dict[str, Any], with_loop: bool = True) -> str:
    """The against-the-loop table (unless `with_loop` is False), the grid-hit table and the descriptor table, as
    Markdown (printed as is, and put in report.md)."""
    systems = summary["systems"]
    hit_rows = []
    for name in SYSTEMS:
        grid, novelty = systems[name]["grid"], systems[name]["novelty"]
        hit_rows.append([name, _number(grid["all"]["precision"]), _number(grid["all"]["recall"]),
                         *(_number(grid[key]["f1"]) for key in TABLE_F1.values()),
                         _number(grid["all"]["song_f1_mean"]), _number(novelty["copy_share"], 2)])
    hits = _table(["system", "P", "R", *TABLE_F1, "mean song F1", "copied bars"], hit_rows)
    real = summary["real"]["descriptors"]
    descriptor_rows = [["real", *(_number(real[d]["mean"], 2) for d in metrics.DESCRIPTORS)]]
    for name in SYSTEMS:
        values = [systems[name]["descriptors"][d] for d in metrics.DESCRIPTORS]
        cells = (f"{_number(v['mean'], 2)} ({_number(v['overlap_with_real'], 2)})" for v in values)
        descriptor_rows.append([name, *cells])
    descriptors = _table(["mean per bar (overlap with real)", *metrics.DESCRIPTORS], descriptor_rows)
    nll = f"model NLL on the real drums: {_number(summary['nll_per_cell'])} nats per (step, class) cell"
    tables = f"{hits}\n\n{descriptors}\n\n{nll}"
    return f"{loop_table(summary)}\n\n{tables}" if with_loop else tables


def loop_table(summary: dict[str, Any]) -> str:
    """The model against the loop: the figures every model is judged by, as Markdown."""
    loop = summary["against_loop"]
    structure, crashing = loop["structure_f1"], loop["crash_most_bars_share"]
    rows = [
        ["mean song F1, take 1", _number(loop["model_mean_song_f1"]), _number(loop["loop_mean_song_f1"])],
        ["songs where take 1 beats the loop", _number(loop["beats_loop_share"], 2), ""],
        [f"mean song F1, best of {loop['takes']} takes", _number(loop["best_of_takes_mean_song_f1"]), ""],
        ["density ratio (generated / real hits), median", _number(loop["density_ratio_median"], 2), ""],
        ["lowest density ratio of any take", _number(loop["min_take_density_ratio"], 2), ""],
        *([f"{name} F1 over bars" + (" (+-1 bar)" if name == "fill" else ""),
           _number(structure["model"][name]), _number(structure[LOOP][name])] for name in metrics.STRUCTURES),
        ["songs crashing on more than half their bars (real drums)",
         f"{_number(crashing['model'], 2)} ({_number(crashing['real'], 2)})", "0"],
    ]
    return _table(["against the loop", "model", "loop"], rows)


def verdict(summary: dict[str, Any]) -> list[str]:
    """One plain sentence per baseline: does the model beat it on F1 (exact cells, all 9 classes, micro)?"""
    return [f"The model {'beats' if v['beats'] else 'does NOT beat'} the {b} baseline on F1: "
            f"{_number(v['model_f1'])} vs {_number(v['baseline_f1'])}." for b, v in summary["model_beats"].items()]


_NOTES = (
    "Cells are (16th step, drum class) over each song's span, from the guitar's first bar to its last. P/R/F1 are "
    "micro-averaged over all cells of all songs; *mean song F1* averages each song's F1. *F1 +-1* matches a hit to "
    "a hit of the same class within one step, one-to-one. *hats merged* folds closed hat, open hat and ride into one "
    "timekeeping class. *copied bars*: share of non-empty bars equal to some training bar of the same length (empty "
    "bars are left out of both counts). Descriptor overlap is the histogram intersection of the per-bar values with "
    "the real drums' over a shared binning (1 = same distribution). Definitions in `seq2drum/evaluation/metrics.py`."
)


def report_markdown(summary: dict[str, Any], figures: list[str]) -> str:
    model, data, settings, seconds = summary["model"], summary["data"], summary["settings"], summary["seconds"]
    systems, validity = summary["systems"], summary["validity"]
    per_class = [[c, *(_number(systems[s]["grid"]["all"]["per_class"][c]["f1"]) for s in SYSTEMS)]
                 for c in DRUM_CLASSES]
    timekeeping = (_number(systems[s]["grid"]["merged_hats"]["per_class"]["timekeeping"]["f1"]) for s in SYSTEMS)
    per_class.append(["timekeeping (hats + ride)", *timekeeping])
    songs = [[row["name"], str(row["bars"]), f"{row['seconds']:.2f}", f"{row['generation_seconds']:.2f}",
              _number(row["nll_per_cell"]), *(_number(row["f1"][s]) for s in SYSTEMS)] for row in summary["songs"]]
    novelty = systems["model"]["novelty"]
    return "\n".join([
        "# seq2drum evaluation against the real drummers", "",
        f"Model `{model['name']}` {model['version']} (step {model['step']}, validation loss "
        f"{_number(model['val_loss'])}), checkpoint `{model['checkpoint']}`.",
        f"{data['evaluated_songs']} songs ({settings['split']} split; {data['validation_songs']} validation songs of "
        f"{data['songs_in_folder']}) from `{data['data_dir']}`; temperature {settings['temperature']}, "
        f"seed {settings['seed']}.", "",
        "## Verdict", "", *(f"- {line}" for line in verdict(summary)), "",
        "## Against the loop", "", loop_table(summary), "",
        "## Grid hits and descriptors", "", format_tables(summary, with_loop=False), "", _NOTES, "",
        "## F1 per class", "", _table(["class", *SYSTEMS], per_class), "",
        "## Likelihood and novelty", "",
        f"Negative log-likelihood of the real drums under the calibrated per-cell probabilities: "
        f"{_number(summary['nll_per_cell'])} nats per (step, class) cell "
        f"({_number(summary['nll_per_cell_song_mean'])} as a mean of songs). "
        f"{novelty['copied_bars']} of the model's {novelty['non_empty_bars']} non-empty bars copy a training bar "
        "exactly (empty bars left out of both counts).", "",
        "## Validity of the generated MIDI", "",
        f"{validity['songs_checked']} songs run through `DrumGenerator.generate(midi_bytes)`; share passing:", "",
        _table(["check", "share"], [[c, _number(validity[c], 2)] for c in VALIDITY_CHECKS]), "",
        "## Time", "",
        f"{seconds['total']} s in all, {seconds['per_song_mean']} s per song "
        f"({seconds['generation_per_song_mean']} s of it generation).", "",
        "## Songs", "",
        _table(["song", "bars", "seconds", "generation s", "NLL/cell", *(f"F1 {s}" for s in SYSTEMS)], songs), "",
        "## Figures", "", *(f"![{name}]({name})" for name in figures), "",
    ])


def make_figures(evaluation: Evaluation) -> dict[str, Any]:
    """File name -> matplotlib Figure: F1 per system, descriptor histograms, piano rolls of the example songs."""
    return plots.report_figures(evaluation.summary, evaluation.examples, TABLE_F1)


def write_report(evaluation: Evaluation, report_dir: Path) -> list[Path]:
    """report.json (every figure, per song too), distributions.json (the per-bar descriptor values behind the
    histograms, compact), report.md (tables, verdict, figures) and the PNGs."""
    report_dir.mkdir(parents=True, exist_ok=True)
    written = [plots.save_figure(figure, report_dir / name) for name, figure in make_figures(evaluation).items()]
    summary = {key: value for key, value in evaluation.summary.items() if key != "distributions"}
    for name, text in (("report.json", dumps(summary)),
                       ("distributions.json", json.dumps(jsonable(evaluation.summary["distributions"]))),
                       ("report.md", report_markdown(evaluation.summary, [p.name for p in written]))):
        written.append(write_atomic(report_dir / name, text))
    return written
