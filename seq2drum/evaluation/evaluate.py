"""The evaluation stage: choose the songs, generate drums from each song's guitar alone through the product path and
score them against the song's real drums, beside three baselines that ignore the guitar (a rock backbeat loop, a jazz
ride, the most played training bar). The loop is the bar to clear: every model is compared with it song by song.

    evaluation = evaluate("data/midi", "runs/x/best.pt", "runs/eval", EvaluationSettings(split="val", takes=4))

Songs are those of the checkpoint's validation split (its own data config and split seed), its training songs,
every song, or one cross-validation fold. Each is scored over its span, from the bar where the guitar starts to the
bar where it ends (`evaluation.song_score`). The model's drums come from `DrumGenerator.generate(midi_bytes)`, whose
every take is also checked for validity. The figures over all songs are in `evaluation.summary`, the written report
(report.json, report.md, distributions.json, PNG figures) in `evaluation.report`.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from seq2drum.options import GenerationOptions
from seq2drum.errors import ConfigError, DataFolderError
from seq2drum.evaluation import metrics
from seq2drum.evaluation.baselines import BarLibrary, baseline_drums
from seq2drum.evaluation.report import write_report
from seq2drum.evaluation.song_score import (SYSTEMS, VALIDITY_CHECKS, SongScore, check_output, nll_per_cell,
                                            score_song, song_span)
from seq2drum.evaluation.summary import summarize
from seq2drum.song.encode import EncodedSong
from seq2drum.song.grid import DrumGrid
from seq2drum.training.corpus import build_corpus, find_midi_files, fold_of, split_songs

if TYPE_CHECKING:
    from seq2drum.generation.generator import DrumGenerator

SPLITS = ("val", "train", "all", "fold")


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
    humanize: float = GenerationOptions().humanize  # the feel of the drums scored by the feel figures
    feel: str = GenerationOptions().feel

    def __post_init__(self) -> None:
        if self.split not in SPLITS:
            raise ConfigError(f"split must be one of {', '.join(SPLITS)}, got {self.split!r}")
        if self.limit < 0 or self.plots_songs < 0:
            raise ConfigError("limit and plots_songs must be >= 0")
        if not 0 <= self.fold < self.folds:
            raise ConfigError(f"fold must be 0-{self.folds - 1}, got {self.fold}")
        self.generation_options()  # validates them

    def generation_options(self) -> GenerationOptions:
        return GenerationOptions(temperature=self.temperature, seed=self.seed, takes=self.takes,
                                 humanize=self.humanize, feel=self.feel)


@dataclass
class Evaluation:
    """What an evaluation gives: the summary, each song's score, songs to draw, and the files written."""

    summary: dict[str, Any]
    songs: list[SongScore]
    examples: list[tuple[EncodedSong, DrumGrid]]  # songs to draw, with the model's drums
    written: list[Path] = field(default_factory=list)


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
    options = settings.generation_options()
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
        grids = generator.takes_to_grids(song, generator.generate_takes(song, options, seed), options, seed)
    generate_seconds = time.perf_counter() - started
    library = library.without(song)  # never the song's own bars (`--split all` evaluates the training songs too)
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
