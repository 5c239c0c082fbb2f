"""Training: the groove codebook, then the bar-level encoder-decoder on whole songs, validation each epoch,
best/last checkpoints, early stopping, resume; at the end the decoding policy is calibrated and tuned on the
validation songs and saved into best.pt (see `training.calibrate`).

`train()` is a short driver over `setup`, `run_epoch`, `validate` and `write_checkpoints`. `last.pt` holds the whole
training state (optimizer, position inside the epoch, RNG, the codebook) and is rewritten every `checkpoint_every`
steps, so a run killed with SIGKILL resumes with `--resume RUN/last.pt` having lost at most one interval. `best.pt`
holds what inference needs. The batch order is a function of (seed, epoch), so a resumed run sees the same batches.

With `TrainConfig.ema_decay`, best.pt holds an exponential moving average of the trained weights, chosen and
early-stopped by its own validation loss: no single step's weights decide the model, so one training's luck moves
it less. The raw weights' best is kept beside it as best-raw.pt.
"""

from __future__ import annotations

import csv
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from seq2drum.atomic import remove_leftovers
from seq2drum.evaluation.plots import save_loss_figure
from seq2drum.model.checkpoint import load_checkpoint, save_checkpoint
from seq2drum.config import DataConfig, ModelConfig, TrainConfig
from seq2drum.training.codebook import build_codebook, with_take_menu
from seq2drum.training.parts import run_parts
from seq2drum.training.sources import codebook_bars, take_menu_songs
from seq2drum.training.batches import BarDataset, BucketBatchSampler, collate_bars
from seq2drum.song.corpus import skipped_lines
from seq2drum.training.sources import bar_songs, extra_lines, read_songs, weighted
from seq2drum.training.objective import learning_rate, losses, validate
from seq2drum.training.distributed import (World, main_first, pick_device, resumed_position, rng_states, seed_rank,
                                          shard, steps_per_epoch, wrap)
from seq2drum.errors import DataFolderError
from seq2drum.song.bars import BarSong, FeatureSpec
from seq2drum.groove import GrooveCodebook
from seq2drum.model.network import ARCHITECTURE, GrooveSeq2Drum, build_model, flatten_lstms


@dataclass
class Run:
    """Everything one training run holds between steps."""

    out: Path
    device: torch.device
    data_config: DataConfig
    model_config: ModelConfig
    train_config: TrainConfig
    spec: FeatureSpec
    codebook: GrooveCodebook
    model: GrooveSeq2Drum
    optimizer: torch.optim.Optimizer
    train_set: BarDataset
    val_set: BarDataset | None
    val_songs: list[BarSong]
    sampler: BucketBatchSampler
    summary: dict[str, Any]
    total_steps: int
    step: int = 0
    epoch: int = 0
    batch_in_epoch: int = 0
    epoch_loss: tuple[float, int] = (0.0, 0)  # this epoch's summed loss and batches so far (kept in last.pt)
    best_val: float = math.inf
    stale_epochs: int = 0
    elapsed_before: float = 0.0
    started: float = field(default_factory=time.perf_counter)
    world: World = field(default_factory=World)  # this process among the torchrun processes (see distributed.py)
    trainable: torch.nn.Module | None = None  # what the step calls: DDP around `model` on several processes
    resume_note: str = ""  # what a resume on another number of processes does, said once by rank 0
    ema: torch.optim.swa_utils.AveragedModel | None = None  # the moving average of the weights (ema_decay > 0)
    best_val_raw: float = math.inf  # the raw weights' best validation loss, with an average (best-raw.pt)

    @property
    def shipped(self) -> GrooveSeq2Drum:
        """The weights best.pt holds: the moving average when there is one."""
        return self.model if self.ema is None else self.ema.module

    def seconds(self) -> float:
        return self.elapsed_before + time.perf_counter() - self.started

    def payload(self, kind: str, val_loss: float, rng_per_rank: list[Tensor] | None = None) -> dict[str, Any]:
        """A checkpoint: "best" the shipped weights, "best-raw" the trained ones, "last" the whole training state."""
        weights = self.shipped if kind == "best" else self.model
        state: dict[str, Any] = {
            "architecture": ARCHITECTURE,
            "model": {k: v.detach().cpu() for k, v in weights.state_dict().items()},
            "model_config": self.model_config.to_dict(),
            "data_config": self.data_config.to_dict(),
            "train_config": self.train_config.to_dict(),
            "feature_spec": self.spec.to_dict(),
            "codebook": self.codebook.to_state(),
            "step": self.step,
            "epoch": self.epoch,
            "best_val_loss": self.best_val_raw if kind == "best-raw" else self.best_val,
            "val_loss": val_loss,
            "train_seconds": self.seconds(),
            "training_data": self.summary,
            "n_parameters": sum(p.numel() for p in self.model.parameters()),
        }
        if kind == "last":
            state.update(optimizer=self.optimizer.state_dict(), batch_in_epoch=self.batch_in_epoch,
                         epoch_loss=list(self.epoch_loss),
                         stale_epochs=self.stale_epochs, torch_rng=torch.get_rng_state(), world_size=self.world.size)
            if rng_per_rank is not None and self.world.distributed:
                state["torch_rng_per_rank"] = rng_per_rank
            if self.ema is not None:
                state.update(ema={k: v.detach().cpu() for k, v in self.ema.state_dict().items()},
                             best_val_loss_raw=self.best_val_raw)
        return state


def moving_average(model: GrooveSeq2Drum, decay: float, total_steps: int) -> torch.optim.swa_utils.AveragedModel | None:
    """The moving average of `model`'s parameters (None at 0), its horizon 1 / (1 - decay) steps held to a tenth of
    the run: a short run on a small folder is no average of its untrained first steps (2,400+ steps keep 0.995)."""
    from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

    decay = min(decay, 1.0 - 10.0 / max(total_steps, 20))
    if decay <= 0:
        return None
    average = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(decay))
    flatten_lstms(average)  # its copy of the model cloned each weight apart: on a GPU, cuDNN warned every forward
    return average


def setup(data_dir: str | Path, out_dir: str | Path, data_config: DataConfig, model_config: ModelConfig,
          train_config: TrainConfig, cache_dir: str | Path | None, resume: str | Path | None, progress: bool,
          song_filter: Callable[[list[Any]], tuple[list[Any], list[Any]]] | None = None,
          log: Callable[[str], None] = print) -> Run:
    """Read the songs, split them, fit the run's parts, build (or restore) the codebook, the model and the optimizer."""
    world = World.from_env()
    device = world.start(pick_device(train_config.device))
    out = Path(world.from_main(str(out_dir)))  # one run folder, even when each rank named its own by the clock
    if world.is_main:
        out.mkdir(parents=True, exist_ok=True)
        remove_leftovers(out)  # temporary files of a run killed while writing (a 3.7 MB .last.pt.*.tmp)
    progress = progress and world.is_main
    resumed = _resumed(resume)
    if resumed:
        data_config, model_config = (DataConfig.from_dict(resumed["data_config"]),
                                     ModelConfig.from_dict(resumed["model_config"]))
    torch.manual_seed(train_config.seed)
    np.random.seed(train_config.seed)
    with main_first(world):  # rank 0 parses and caches; the others then read the cache
        read = read_songs(data_dir, data_config, train_config, cache_dir, progress, song_filter)
    if not read.train:
        raise DataFolderError(f"all {len(read.corpus.songs)} songs went to validation; lower val_fraction or add songs")
    spec = FeatureSpec.current(data_config.steps_per_quarter)
    own, extra = bar_songs(read.train, spec), bar_songs(read.extra_train, spec)
    train_songs = weighted(own, extra, train_config.extra_weight)
    val_songs = bar_songs(read.val, spec) + bar_songs(read.extra_val, spec)
    codebook = GrooveCodebook.from_state(resumed["codebook"]) if resumed else build_codebook(
        codebook_bars(train_songs, spec.max_bar_steps), spec.max_bar_steps, train_config.codebook_size,
        seed=train_config.codebook_seed)
    if not (codebook.menu_rank >= 0).any():  # also for a run resumed from before the menu existed
        codebook = with_take_menu(codebook, take_menu_songs(train_songs))
    codebook = world.from_main(codebook)  # every rank trains against rank 0's codebook
    both = dict(hear_drums=model_config.hear_drums, max_notes=train_config.max_notes_per_item, live=model_config.causal,
                hear_part=model_config.hear_part)
    train_set = BarDataset(train_songs, codebook, train_config.max_bars_per_item, train_config.transpose,
                           train_config.role_dropout, guitar_alone_share=train_config.guitar_alone_share, **both)
    val_set = BarDataset(val_songs, codebook, train_config.max_bars_per_item, fixed_heard=True,
                         **both) if val_songs else None
    sampler = BucketBatchSampler(train_set.lengths(), train_config.batch_size, train_config.max_batch_bars,
                                 train_config.seed)
    model = flatten_lstms(build_model(ARCHITECTURE, model_config, spec.n_step, spec.n_bar, spec.max_bar_steps,
                                      torch.from_numpy(codebook.bar_steps),
                                      (spec.step_columns, spec.bar_columns)).to(device))
    optimizer = torch.optim.AdamW(model.parameters(), lr=train_config.lr, weight_decay=train_config.weight_decay)
    total_steps = min(train_config.max_steps or math.inf, train_config.epochs * steps_per_epoch(len(sampler), world))
    summary = read.summary(train_config.extra_weight)
    if world.is_main:  # the run's own parts beside its checkpoints (training.parts), recorded in them
        summary["parts"] = run_parts(data_dir, train_config.extra_data, own, extra, out, log if progress else None)
    summary.update(train_songs=len(train_songs), validation_songs=len(val_songs), codebook=repr(codebook),
                   processes=world.size)
    run = Run(out, device, data_config, model_config, train_config, spec, codebook, model, optimizer, train_set,
              val_set, val_songs, sampler, summary, int(total_steps), world=world,
              ema=moving_average(model, train_config.ema_decay, int(total_steps)))
    seed_rank(train_config.seed, world)
    if resumed:
        _restore(run, resumed, str(resume))
    run.trainable = wrap(model, world, device)
    return run


def _resumed(resume: str | Path | None) -> dict[str, Any] | None:
    """The training state of the checkpoint --resume names (None: a new run)."""
    if not resume:
        return None
    resumed = load_checkpoint(resume, flag="--resume")
    if "optimizer" not in resumed:
        raise DataFolderError(f"{resume} holds no training state (it is a best/default model); resume from RUN/last.pt")
    return resumed


def _restore(run: Run, resumed: dict[str, Any], source: str) -> None:
    """Carry a resumed run's weights, optimizer, position and random state over; explain (in `run.resume_note`) what
    a resume on another number of processes does to the schedule."""
    world = run.world
    run.model.load_state_dict(resumed["model"])
    flatten_lstms(run.model)
    if run.ema is not None:  # a run resumed from before the average existed starts its average there
        if "ema" in resumed:
            run.ema.load_state_dict(resumed["ema"])
        flatten_lstms(run.ema)
        run.best_val_raw = resumed.get("best_val_loss_raw", math.inf)
    run.optimizer.load_state_dict(resumed["optimizer"])
    run.step, run.epoch = resumed["step"], resumed["epoch"]
    run.best_val, run.stale_epochs = resumed["best_val_loss"], resumed["stale_epochs"]
    run.elapsed_before = resumed.get("train_seconds", 0.0)
    saved_size, per_rank = resumed.get("world_size", 1), resumed.get("torch_rng_per_rank")
    run.batch_in_epoch = resumed_position(resumed["batch_in_epoch"], saved_size, world)
    run.epoch_loss = tuple(resumed.get("epoch_loss", (0.0, 0)))  # else a resumed epoch's loss was its tail's, or 0.0
    if saved_size == world.size and per_rank is not None:
        torch.set_rng_state(per_rank[world.rank])
    elif world.is_main:
        torch.set_rng_state(resumed["torch_rng"])
    if saved_size != world.size:
        run.resume_note = (
            f"{source} was trained on {saved_size} process(es), this run has {world.size}: epoch "
            f"{run.epoch + 1} carries on after the {resumed['batch_in_epoch'] * saved_size} batches already "
            f"trained, with {steps_per_epoch(len(run.sampler), world)} steps per epoch (was about "
            f"{len(run.sampler) // saved_size}), so the learning-rate schedule is spread over {run.total_steps} "
            f"steps from step {run.step}; the weights will differ from a run that kept {saved_size} process(es)")


def run_epoch(run: Run, progress: bool) -> tuple[float, bool]:
    """Train the rest of the current epoch; returns (mean training loss, whether max_steps was reached)."""
    from tqdm import tqdm

    config = run.train_config
    run.sampler.set_epoch(run.epoch)
    batches = shard(run.sampler.batches(), run.world)
    bar = tqdm(total=len(batches), initial=run.batch_in_epoch, desc=f"epoch {run.epoch + 1}/{config.epochs}",
               unit="batch", disable=not progress or not run.world.is_main, dynamic_ncols=True)
    running, count = run.epoch_loss
    use_amp = config.amp and run.device.type == "cuda"
    amp_dtype = torch.bfloat16 if use_amp and torch.cuda.is_bf16_supported() else torch.float16
    scaler = torch.amp.GradScaler("cuda", enabled=use_amp and amp_dtype == torch.float16)
    run.model.train()
    for indices in batches[run.batch_in_epoch:]:
        batch = collate_bars([run.train_set[i] for i in indices]).to(run.device)
        for group in run.optimizer.param_groups:
            group["lr"] = learning_rate(run.step, run.total_steps, config.lr)
        with torch.autocast(device_type=run.device.type, dtype=amp_dtype, enabled=use_amp):
            loss, parts = losses(run.trainable or run.model, batch, config)
        run.optimizer.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.unscale_(run.optimizer)
        torch.nn.utils.clip_grad_norm_(run.model.parameters(), config.grad_clip)
        scaler.step(run.optimizer)
        scaler.update()
        if run.ema is not None:
            run.ema.update_parameters(run.model)
        run.step += 1
        run.batch_in_epoch += 1
        running += parts["loss"]
        count += 1
        run.epoch_loss = (running, count)
        bar.set_postfix(loss=f"{running / count:.3f}", hits=f"{parts['hits']:.3f}")
        bar.update()
        if run.step % config.checkpoint_every == 0:
            states = rng_states(run.world)  # every rank takes part; rank 0 alone writes
            if run.world.is_main:
                save_checkpoint(run.out / "last.pt", run.payload("last", math.nan, states))
        if run.step >= run.total_steps:
            bar.close()
            return running / count, True
    bar.close()
    return running / count if count else math.nan, False  # no batch this epoch: no loss, not 0.0


def write_checkpoints(run: Run, train_loss: float, val: dict[str, float], improved: bool,
                      rng_per_rank: list[Tensor] | None = None, raw_improved: bool = False) -> None:
    """best.pt when validation improved (best-raw.pt when the raw weights' did, with an average), last.pt always, a
    metrics row and the loss plot (rank 0 only)."""
    if improved:
        save_checkpoint(run.out / "best.pt", run.payload("best", val["loss"]))
    if raw_improved:
        save_checkpoint(run.out / "best-raw.pt", run.payload("best-raw", val["raw_loss"]))
    save_checkpoint(run.out / "last.pt", run.payload("last", val["loss"], rng_per_rank))
    metrics_path = run.out / "metrics.csv"
    columns = ["epoch", "step", "train_loss", "val_loss", "val_hits", "val_groove", "val_structure", "lr", "seconds",
               "val_loss_raw"]
    if not metrics_path.exists():
        with metrics_path.open("w", newline="") as stream:
            csv.writer(stream).writerow(columns)
    with metrics_path.open("a", newline="") as stream:
        csv.writer(stream).writerow([
            run.epoch, run.step, round(train_loss, 5), round(val["loss"], 5) if run.val_set else math.nan,
            round(val.get("hits", math.nan), 5),
            round(val.get("groove", math.nan), 5), round(val.get("structure", math.nan), 5),
            f"{run.optimizer.param_groups[0]['lr']:.2e}", round(run.seconds(), 1),
            round(val.get("raw_loss", math.nan), 5),
        ])
    save_loss_figure(metrics_path, run.out / "loss.png")


def train(
    data_dir: str | Path,
    out_dir: str | Path,
    data_config: DataConfig,
    model_config: ModelConfig,
    train_config: TrainConfig,
    cache_dir: str | Path | None = None,
    resume: str | Path | None = None,
    progress: bool = True,
    song_filter: Callable[[list[Any]], tuple[list[Any], list[Any]]] | None = None,
    log: Callable[[str], None] = print,
    tune: bool = True,
) -> Path:
    """Train on the songs under `data_dir`; returns the path of the best checkpoint (with its decoding tuned on the
    validation songs, unless `tune` is False)."""
    run = setup(data_dir, out_dir, data_config, model_config, train_config, cache_dir, resume, progress, song_filter,
                log)
    world, progress = run.world, progress and run.world.is_main  # rank 0 alone talks, validates and writes
    if world.is_main:
        _announce(run, log, progress)
    done = run.step >= run.total_steps
    while run.epoch < train_config.epochs and not done:
        train_loss, done = run_epoch(run, progress)
        train_loss = world.mean(train_loss)
        states = rng_states(world)
        if world.is_main:
            val, raw_improved = _validate(run, train_loss)
            improved = val["loss"] < run.best_val or run.val_set is None
            run.best_val, run.stale_epochs = (val["loss"], 0) if improved else (run.best_val, run.stale_epochs + 1)
        run.epoch += 1
        run.batch_in_epoch, run.epoch_loss = 0, (0.0, 0)
        if world.is_main:
            write_checkpoints(run, train_loss, val, improved, states, raw_improved)
        if progress:
            shown = f"validation {val['loss']:.4f}" if run.val_set else "no validation song held out"
            log(f"epoch {run.epoch}: train {train_loss:.4f}  {shown}{'  (best)' if improved and run.val_set else ''}")
        if world.rank_zero_says(run.stale_epochs >= train_config.patience):  # rank 0's decision, on every rank
            if progress:
                log(f"early stop: no validation improvement for {run.stale_epochs} epochs")
            break
    return _finish(run, tune, progress, log)


def _validate(run: Run, train_loss: float) -> tuple[dict[str, float], bool]:
    """The shipped weights' validation losses (with an average, the raw weights' loss too, as "raw_loss") and whether
    the raw weights improved on their best."""
    if not run.val_set:
        return {"loss": train_loss}, False
    val = validate(run.shipped, run.val_set, run.train_config, run.device)
    if run.ema is None:
        return val, False
    val["raw_loss"] = validate(run.model, run.val_set, run.train_config, run.device)["loss"]
    raw_improved = val["raw_loss"] < run.best_val_raw
    run.best_val_raw = min(run.best_val_raw, val["raw_loss"])
    return val, raw_improved


def _announce(run: Run, log: Callable[[str], None], progress: bool) -> None:
    """Rank 0 says what a resume does and, with `progress`, what the run trains on."""
    world = run.world
    if run.resume_note:
        log(run.resume_note)
    if not progress:
        return
    log(f"{len(run.train_set.songs)} training songs, {len(run.val_songs)} validation songs; {run.codebook}; "
        f"{run.summary['bars']} bars; training on {run.device}"
        + (f" in each of {world.size} processes, {steps_per_epoch(len(run.sampler), world)} steps per epoch"
           if world.distributed else ""))
    for line in [*extra_lines(run.summary), *skipped_lines(run.summary)]:  # the extra folder; each song left out
        log(line)
    if not run.val_songs:
        log(f"no validation song is held out ({run.summary['songs_used']} usable song(s), val_fraction "
            f"{run.data_config.val_fraction}): best.pt is the last epoch's model, early stopping watches the training "
            "loss, and decoding keeps its default settings")


def _finish(run: Run, tune: bool, progress: bool, log: Callable[[str], None]) -> Path:
    """Rank 0 makes sure best.pt exists and tunes its decoding on the validation songs; every rank closes."""
    from seq2drum.training.tune import tune_checkpoint

    best = run.out / "best.pt"
    if not run.world.is_main:
        run.world.close()
        return best
    if not best.exists():
        save_checkpoint(best, run.payload("best", run.best_val))
    if run.val_songs and tune:
        policy, report = tune_checkpoint(best, run.val_songs, run.device, log=log if progress else None)
        if progress:
            log(f"decoding tuned on {len(run.val_songs)} validation songs: {report}")
    run.world.close()
    return best
