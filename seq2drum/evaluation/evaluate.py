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

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from seq2drum.atomic import write_atomic
from seq2drum.band import describe_json
from seq2drum.config import DataConfig
from seq2drum.options import GenerationOptions
from seq2drum.errors import ConfigError, DataFolderError
from seq2drum.evaluation import metrics
from seq2drum.evaluation.baselines import BarLibrary, baseline_drums
from seq2drum.evaluation.report import write_report
from seq2drum.evaluation.groups import group_summary
from seq2drum.evaluation.inputs import (INPUT_KINDS, KindInput, build_input, data_config_for, given_kept,
                                        kind_baselines)
from seq2drum.evaluation.song_score import (VALIDITY_CHECKS, SongScore, check_output, nll_per_cell, score_song,
                                            song_span)
from seq2drum.evaluation.summary import Evaluation, summarize
from seq2drum.song.encode import EncodedSong
from seq2drum.song.drum_part import DrumGrid
from seq2drum.song.corpus import build_corpus, files_by_content, fold_of, split_songs

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
    input_kind: str = "band"  # guitar | band | primed (evaluation.inputs): what the model is played from
    own_passes: int | None = None  # for a model that hears drums: passes hearing its take 1 (None: its policy's)
    # decoding settings changed from the checkpoint's policy (DecodingPolicy field names), to measure a decision rule
    # on held-out songs without retraining (tools/crossval.py --policy)
    policy_changes: tuple[tuple[str, float], ...] = ()
    crashes: str = GenerationOptions().crashes  # --crashes for every song (none | sections | every:N)
    plan: str = GenerationOptions().plan  # --plan for every song (parts | bars)
    live: bool = False  # played bar by bar to the causal model (live/model_drummer.py; default models/live.pt)
    gallery: int = 0  # piano rolls of this many of the songs with the most checklist faults (evaluation.checklist)
    # songs without a guitar kept, heard through the band (a genre folder such as jazz/'s trios; the band input only)
    without_guitar: bool = False
    group: str = ""  # the genre group the folder is reported as (--group NAME=DIR: evaluation.groups)
    exclude: tuple[str, ...] = ()  # content hashes of songs left out (a group's songs the model trained on)

    def __post_init__(self) -> None:
        if self.split not in SPLITS:
            raise ConfigError(f"split must be one of {', '.join(SPLITS)}, got {self.split!r}")
        if self.limit < 0 or self.plots_songs < 0 or self.gallery < 0:
            raise ConfigError("limit, plots_songs and gallery must be >= 0")
        if self.without_guitar and self.input_kind != "band":
            raise ConfigError(f"songs without a guitar are played from the whole arrangement only (input kind band), "
                              f"not {self.input_kind!r}")
        if not 0 <= self.fold < self.folds:
            raise ConfigError(f"fold must be 0-{self.folds - 1}, got {self.fold}")
        if self.input_kind not in INPUT_KINDS:
            raise ConfigError(f"input kind must be one of {', '.join(INPUT_KINDS)}, got {self.input_kind!r}")
        self.generation_options()  # validates them

    def generation_options(self) -> GenerationOptions:
        return GenerationOptions(temperature=self.temperature, seed=self.seed, takes=self.takes,
                                 humanize=self.humanize, feel=self.feel, crashes=self.crashes, plan=self.plan)


def evaluate(
    data_dir: str | Path,
    checkpoint: str | Path | None,
    report_dir: str | Path | None,
    settings: EvaluationSettings | None = None,
    cache_dir: str | Path | None = None,
    workers: int | None = None,
    progress: bool = True,
    log: Callable[[str], None] = print,
    outputs_dir: str | Path | None = None,
) -> Evaluation:
    """Score the model and the baselines on the songs of `data_dir` played from `settings.input_kind`; write the
    report when `report_dir` is given, and every take's MIDI under `outputs_dir` (`write_outputs`) when that is."""
    settings = settings or EvaluationSettings()
    started = time.perf_counter()
    generator, drummer = loaded_model(checkpoint, settings.live)
    change_policy(generator, drummer, settings)
    data_config = data_config_for(settings.input_kind, generator.data_config)  # the span the kind is scored on
    corpus = build_corpus(data_dir, data_config, cache_dir, workers, progress, without_guitar=settings.without_guitar,
                          describe=describe_json)
    songs, train_songs, val_songs = chosen_songs(corpus.songs, settings, data_config, data_dir)
    library = BarLibrary.build(train_songs)
    files = files_by_content(Path(data_dir))
    options = settings.generation_options()
    scores: list[SongScore] = []
    examples: list[tuple[EncodedSong, DrumGrid]] = []
    faulty: list[tuple[int, int, EncodedSong, DrumGrid, list[str]]] = []  # (-faults, order, song, drums, faults)
    for index, song in enumerate(songs, start=1):
        path = files.get(song.sha256)
        score, generated, outputs = evaluate_song(song, path, generator, options, library, settings.input_kind,
                                                  drummer)
        scores.append(score)
        if outputs_dir is not None and path is not None:
            write_outputs(Path(outputs_dir), output_name(path), outputs)
        if len(examples) < settings.plots_songs:
            examples.append((song, generated))
        faulty = faultiest(faulty, (-len(score.faults.get("model", [])), index, song, generated,
                                    score.faults.get("model", [])), settings.gallery)
        f1 = ", ".join(f"{system} {score.f1(system):.3f}" for system in score.systems)
        best = f"; best of {len(score.take_f1)} takes {max(score.take_f1):.3f}" if len(score.take_f1) > 1 else ""
        log(f"[{index}/{len(songs)}] {song.name}: {score.n_bars} bars in {score.seconds:.2f} s "
            f"(generation {score.generate_seconds:.2f} s); F1 {f1}{best}")
    summary = summarize(scores)
    summary.update(model={"checkpoint": str(checkpoint or ("live" if settings.live else "default")),
                          **asdict(generator.info)}, settings=asdict(settings), input_kind=settings.input_kind)
    if settings.group:  # its name, the songs left out, and take 1 against the jazz ride pattern
        summary.update(group_summary(scores, settings, corpus.songs))
    summary["data"] = {
        "data_dir": str(data_dir), "songs_in_folder": len(corpus.songs), "train_songs": len(train_songs),
        "validation_songs": len(val_songs), "evaluated_songs": len(scores), "training_library": repr(library),
        "data_config": data_config.to_dict(),
    }
    summary["seconds"] = {"total": round(time.perf_counter() - started, 2),
                          "per_song_mean": round(float(np.mean([s.seconds for s in scores])), 3),
                          "generation_per_song_mean": round(float(np.mean([s.generate_seconds for s in scores])), 3)}
    evaluation = Evaluation(summary, scores, examples, [(song, drums, found) for _, _, song, drums, found in faulty])
    if report_dir is not None:
        evaluation.written = write_report(evaluation, Path(report_dir))
    return evaluation


def faultiest(kept: list[tuple[Any, ...]], candidate: tuple[Any, ...], n: int) -> list[tuple[Any, ...]]:
    """The `n` songs with the most checklist faults so far (rows (-faults, order, song, drums, faults)), the
    candidate among them where it has faults and ranks."""
    return sorted([*kept, candidate], key=lambda row: row[:2])[:n] if candidate[4] else kept


def change_policy(generator: DrumGenerator, drummer: Any, settings: EvaluationSettings) -> None:
    """The decoding changes `settings` asks for (own-drums passes, `--policy` fields), in the generator's policy and
    the live drummer's own copy of it."""
    if settings.own_passes is not None:
        generator.decoder.policy = generator.decoder.policy.replace(own_drums_passes=settings.own_passes)
    if settings.policy_changes:
        generator.decoder.policy = generator.decoder.policy.replace(**dict(settings.policy_changes))
    if drummer is not None:
        drummer.policy = drummer.decoder.policy = generator.decoder.policy


def loaded_model(checkpoint: str | Path | None, live: bool) -> tuple[DrumGenerator, Any]:
    """The model's generator, and with `live` its `ModelDrummer` (default models/live.pt; None otherwise)."""
    from seq2drum.generation.generator import DrumGenerator

    if not live:
        return DrumGenerator.from_checkpoint(checkpoint), None
    from seq2drum.live.model_drummer import ModelDrummer

    drummer = ModelDrummer(checkpoint)  # the offline figures (the scores' NLL) of the same model
    return DrumGenerator.from_checkpoint(drummer.checkpoint), drummer


def chosen_songs(corpus_songs: list[EncodedSong], settings: EvaluationSettings, data_config: DataConfig,
                 data_dir: str | Path) -> tuple[list[EncodedSong], list[EncodedSong], list[EncodedSong]]:
    """The songs to evaluate (with drums, at most `settings.limit`), the training songs and the validation songs."""
    train_songs, val_songs = split_songs(corpus_songs, data_config.val_fraction, data_config.split_seed)
    if settings.split == "fold":
        chosen = [s for s in corpus_songs if fold_of(s, settings.folds, data_config.split_seed) == settings.fold]
        train_songs = [s for s in corpus_songs if fold_of(s, settings.folds, data_config.split_seed) != settings.fold]
    else:
        chosen = {"val": val_songs, "train": train_songs, "all": corpus_songs}[settings.split]
    songs = [s for s in chosen if s.drums is not None and s.sha256 not in settings.exclude]
    if not songs:
        raise DataFolderError(f"no {settings.split} songs with drums to evaluate in {data_dir} "
                              f"({len(corpus_songs)} songs, {len(val_songs)} in validation); try --split all")
    return (songs[: settings.limit] if settings.limit else songs), train_songs, val_songs


def evaluate_song(song: EncodedSong, path: Path | None, generator: DrumGenerator, options: GenerationOptions,
                  library: BarLibrary, kind: str = "band",
                  drummer: Any = None) -> tuple[SongScore, DrumGrid, list[bytes]]:
    """Generate a song's takes from its file made into input `kind` (the product path; every take's MIDI checked for
    validity) and score take 1, the baselines and the kind's own baseline against the real drums; returns the
    score, take 1's drums and every take's MIDI (none when the song's file was not found). With a live `drummer`
    (`ModelDrummer`), the file is played to it bar by bar (evaluation/playback.py): one take."""
    started = time.perf_counter()
    validity: dict[str, bool] = {}
    made, outputs = None, []
    if path is not None:
        made = build_input(kind, path.read_bytes(), options)
        if drummer is not None:
            from seq2drum.evaluation.playback import play_file

            played = play_file(drummer, made.midi_bytes, made.options, options.seed or 0)
            grids, outputs = [fit_steps(played.drums, song.n_steps)], [played.midi_bytes]
        else:
            result = generator.generate(made.midi_bytes, made.options)
            grids = [fit_steps(take.drums, song.n_steps) for take in result.takes]
            outputs = [take.midi_bytes for take in result.takes]
        validity = output_validity(made, outputs, data_config_for(kind, generator.data_config))
    else:  # file gone from the folder: generate on the cached grid
        seed = options.seed if options.seed is not None else 0
        grids = generator.takes_to_grids(song, generator.generate_takes(song, options, seed), options, seed)
    generate_seconds = time.perf_counter() - started
    library = library.without(song)  # never the song's own bars (`--split all` evaluates the training songs too)
    assert song.drums is not None
    systems = {"model": grids[0], **baseline_drums(song.grid, library),
               **kind_baselines(kind, made, song.grid, song.drums)}
    score = score_song(song, systems, library.keys)
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
    return score, grids[0], outputs


def output_validity(made: KindInput, outputs: list[bytes], data_config: DataConfig) -> dict[str, bool]:
    """Each validity check passed by every take; for the primed input also `keeps_given` (`inputs.given_kept`)."""
    checked = [check_output(made.midi_bytes, output, data_config, made.options.track) for output in outputs]
    validity = {check: all(c[check] for c in checked) for check in VALIDITY_CHECKS}
    if made.kind == "primed":
        validity["keeps_given"] = all(given_kept(made.midi_bytes, output) for output in outputs)
    return validity


def fit_steps(drums: DrumGrid, n_steps: int) -> DrumGrid:
    """Generated drums on the scored song's grid: the same steps from tick 0, cut or padded with silence where the
    input's music ends elsewhere than the scored encoding's (the drum-less file ends with its last part)."""
    if drums.n_steps == n_steps:
        return drums
    fitted = DrumGrid.empty(n_steps)
    keep = min(n_steps, drums.n_steps)
    fitted.hits[:keep], fitted.velocity[:keep], fitted.offset[:keep] = (
        drums.hits[:keep], drums.velocity[:keep], drums.offset[:keep])
    return fitted


def output_name(path: Path) -> str:
    """The name ../shared/scoring's midisplit.py gives a song's files (X of X.guitar.mid): folder__stem."""
    return f"{path.parent.name}__{path.stem}"


def write_outputs(folder: Path, name: str, outputs: list[bytes]) -> None:
    """Take K of a song as folder/takeK/NAME.drums.mid: the layout ../shared/scoring's drum_eval.py scores."""
    for index, data in enumerate(outputs, start=1):
        (folder / f"take{index}").mkdir(parents=True, exist_ok=True)
        write_atomic(folder / f"take{index}" / f"{name}.drums.mid", data)
