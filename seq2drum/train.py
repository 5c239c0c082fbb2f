"""Training: teacher-forced chunks (runs of consecutive windows, most often a whole song), validation each epoch, best/last checkpoints, early stopping, resume.

`last.pt` holds the whole training state (optimizer, position inside the epoch, RNG) and is rewritten every
`checkpoint_every` steps, so a run killed with SIGKILL resumes with `--resume RUN/last.pt` having lost at most one
interval. `best.pt` holds only what inference needs. The batch order is a function of (seed, epoch), so a resumed
run sees the same batches it would have seen.
"""

from __future__ import annotations

import csv
import math
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor
from torch.nn import functional as F

from .checkpoint import load_checkpoint, save_checkpoint
from .config import DataConfig, ModelConfig, TrainConfig
from .data import Batch, BucketBatchSampler, ChunkDataset, build_corpus, collate, split_songs
from .encoding import SRC_DIM, DrumVocab, hit_masks
from .errors import DataFolderError
from .model import Seq2Drum, count_parameters

WARMUP_STEPS = 200


def pick_device(name: str) -> torch.device:
    if name == "cuda" and not torch.cuda.is_available():
        raise DataFolderError("--device cuda asked for, but no CUDA GPU is visible; use --device auto or cpu")
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def losses(
    model: Seq2Drum, batch: Batch, train_config: TrainConfig, token_dropout: float = 0.0, sampled_inputs: float = 0.0
) -> tuple[Tensor, dict[str, float]]:
    """Token cross-entropy over real steps, plus velocity and offset cross-entropy over the real hits.

    `sampled_inputs` (parallel scheduled sampling): a no-grad teacher-forced pass predicts every step, and that share
    of the decoder's input tokens is replaced by the model's own samples, so it learns to carry on from what it
    played rather than from the drummer's part only (without that it falls silent once it strays). Two whole-chunk
    passes, no per-step loop. `token_dropout` hides that share of the input tokens (as PAD, whose embedding is
    zero), so the decoder keeps listening to the guitar and its own groove memory.
    """
    tgt_in = batch.tgt_in
    if sampled_inputs > 0:
        with torch.no_grad():
            logits, _, _ = model(batch.src, batch.src_lengths, tgt_in, batch.hits, batch.window_ids)
            predicted = torch.distributions.Categorical(logits=logits.float()).sample()  # (B, T) guess for step t
        own = torch.cat([tgt_in[:, :1], predicted[:, :-1]], dim=1)  # ... becomes the input of step t + 1
        use = (torch.rand(tgt_in.shape, device=tgt_in.device) < sampled_inputs) & (tgt_in != DrumVocab.PAD)
        tgt_in = torch.where(use, own, tgt_in)
    if token_dropout > 0:
        hide = torch.rand(tgt_in.shape, device=tgt_in.device) < token_dropout
        tgt_in = tgt_in.masked_fill(hide, DrumVocab.PAD)
    token_logits, velocity_logits, offset_logits = model(batch.src, batch.src_lengths, tgt_in, batch.hits, batch.window_ids)
    token_loss = F.cross_entropy(token_logits.flatten(0, 1).float(), batch.tgt_out.flatten(), ignore_index=DrumVocab.PAD)
    hit = batch.hits.bool()  # (B, T, 9); padded steps have no hits
    n_hits = hit.sum().clamp(min=1)
    velocity_loss = (F.cross_entropy(velocity_logits.float().permute(0, 3, 1, 2), batch.velocity_bins, reduction="none")
                     * hit).sum() / n_hits
    offset_loss = (F.cross_entropy(offset_logits.float().permute(0, 3, 1, 2), batch.offset_bins, reduction="none")
                   * hit).sum() / n_hits
    total = token_loss + train_config.velocity_loss_weight * velocity_loss + train_config.offset_loss_weight * offset_loss
    return total, {"loss": total.item(), "token": token_loss.item(), "velocity": velocity_loss.item(), "offset": offset_loss.item()}


@torch.no_grad()
def validate(model: Seq2Drum, dataset: ChunkDataset, train_config: TrainConfig, device: torch.device) -> dict[str, float]:
    """Losses averaged over validation chunks, weighted by steps."""
    model.eval()
    sampler = BucketBatchSampler(dataset.lengths(), train_config.batch_size, train_config.max_batch_steps, seed=0, shuffle=False)
    totals: dict[str, float] = {}
    weight = 0
    for indices in sampler:
        batch = collate([dataset[i] for i in indices]).to(device)
        _, parts = losses(model, batch, train_config)
        steps = int(batch.src_lengths.sum())
        for key, value in parts.items():
            totals[key] = totals.get(key, 0.0) + value * steps
        weight += steps
    model.train()
    return {key: value / max(1, weight) for key, value in totals.items()}


def learning_rate(step: int, total_steps: int, base_lr: float) -> float:
    """Linear warm-up (200 steps, or a tenth of a short run), then cosine decay to 5% of the base rate."""
    warmup = max(1, min(WARMUP_STEPS, total_steps // 10))
    if step < warmup:
        return base_lr * (step + 1) / warmup
    progress = min(1.0, (step - warmup) / max(1, total_steps - warmup))
    return base_lr * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * progress)))


def train(
    data_dir: str | Path,
    out_dir: str | Path,
    data_config: DataConfig,
    model_config: ModelConfig,
    train_config: TrainConfig,
    cache_dir: str | Path | None = None,
    resume: str | Path | None = None,
    progress: bool = True,
) -> Path:
    """Train on every song under `data_dir`; returns the path of the best checkpoint."""
    from tqdm import tqdm

    started = time.perf_counter()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    device = pick_device(train_config.device)
    resumed: dict[str, Any] | None = None
    if resume:
        resumed = load_checkpoint(resume)
        if "optimizer" not in resumed:
            raise DataFolderError(f"{resume} holds no training state (it is a best/default model); resume from RUN/last.pt")
        data_config = DataConfig.from_dict(resumed["data_config"])
        model_config = ModelConfig.from_dict(resumed["model_config"])
    torch.manual_seed(train_config.seed)
    np.random.seed(train_config.seed)

    corpus = build_corpus(data_dir, data_config, cache_dir, progress=progress)
    train_songs, val_songs = split_songs(corpus.songs, data_config.val_fraction, data_config.split_seed)
    if not train_songs:
        raise DataFolderError(f"all {len(corpus.songs)} songs went to validation; lower val_fraction or add songs")
    vocab = DrumVocab.from_dict(resumed["vocab"]) if resumed else DrumVocab.build(
        hit_masks(s.drums.hits) for s in train_songs if s.drums is not None
    )
    train_set = ChunkDataset(train_songs, vocab, data_config.max_chunk_steps)
    val_set = ChunkDataset(val_songs, vocab, data_config.max_chunk_steps) if val_songs else None
    sampler = BucketBatchSampler(train_set.lengths(), train_config.batch_size, train_config.max_batch_steps, train_config.seed)

    model = Seq2Drum(model_config, SRC_DIM, len(vocab), torch.from_numpy(vocab.hit_table())).to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=train_config.lr, weight_decay=train_config.weight_decay)
    use_amp = train_config.amp and device.type == "cuda"
    amp_dtype = torch.bfloat16 if use_amp and torch.cuda.is_bf16_supported() else torch.float16
    scaler = torch.amp.GradScaler("cuda", enabled=use_amp and amp_dtype == torch.float16)
    batches_per_epoch = len(sampler)
    total_steps = train_config.max_steps or train_config.epochs * batches_per_epoch
    total_steps = min(total_steps, train_config.epochs * batches_per_epoch)

    step, epoch, batch_in_epoch = 0, 0, 0
    best_val, stale_epochs, elapsed_before = math.inf, 0, 0.0
    if resumed:
        model.load_state_dict(resumed["model"])
        optimizer.load_state_dict(resumed["optimizer"])
        step, epoch, batch_in_epoch = resumed["step"], resumed["epoch"], resumed["batch_in_epoch"]
        best_val, stale_epochs = resumed["best_val_loss"], resumed["stale_epochs"]
        elapsed_before = resumed.get("train_seconds", 0.0)
        torch.set_rng_state(resumed["torch_rng"])
    summary = {k: corpus.report[k] for k in ("songs_used", "train_songs", "validation_songs", "windows", "bars", "hours")}
    summary["data_dir"] = str(data_dir)

    def payload(kind: str, val_loss: float) -> dict[str, Any]:
        state = {
            "model": {k: v.detach().cpu() for k, v in model.state_dict().items()},
            "model_config": model_config.to_dict(),
            "data_config": data_config.to_dict(),
            "train_config": train_config.to_dict(),
            "vocab": vocab.to_dict(),
            "src_dim": SRC_DIM,
            "step": step,
            "epoch": epoch,
            "best_val_loss": best_val,
            "val_loss": val_loss,
            "train_seconds": elapsed_before + time.perf_counter() - started,
            "training_data": summary,
            "n_parameters": count_parameters(model),
        }
        if kind == "last":
            state.update(
                optimizer=optimizer.state_dict(),
                batch_in_epoch=batch_in_epoch,
                stale_epochs=stale_epochs,
                torch_rng=torch.get_rng_state(),
            )
        return state

    metrics_path = out / "metrics.csv"
    if not resumed or not metrics_path.exists():
        with metrics_path.open("w", newline="") as stream:
            csv.writer(stream).writerow(["epoch", "step", "train_loss", "val_loss", "val_token", "val_velocity", "val_offset", "lr", "seconds"])
    model.train()
    done = step >= total_steps
    while epoch < train_config.epochs and not done:
        sampler.set_epoch(epoch)
        batches = sampler.batches()
        bar = tqdm(total=len(batches), initial=batch_in_epoch, desc=f"epoch {epoch + 1}/{train_config.epochs}",
                   unit="batch", disable=not progress, dynamic_ncols=True)
        running, count = 0.0, 0
        for indices in batches[batch_in_epoch:]:
            batch = collate([train_set[i] for i in indices]).to(device)
            for group in optimizer.param_groups:
                group["lr"] = learning_rate(step, total_steps, train_config.lr)
            with torch.autocast(device_type=device.type, dtype=amp_dtype, enabled=use_amp):
                loss, parts = losses(model, batch, train_config, train_config.token_dropout, train_config.sampled_inputs)
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.unscale_(optimizer)
            torch.nn.utils.clip_grad_norm_(model.parameters(), train_config.grad_clip)
            scaler.step(optimizer)
            scaler.update()
            step += 1
            batch_in_epoch += 1
            running += parts["loss"]
            count += 1
            bar.set_postfix(loss=f"{running / count:.3f}", token=f"{parts['token']:.3f}")
            bar.update()
            if step % train_config.checkpoint_every == 0:
                save_checkpoint(out / "last.pt", payload("last", math.nan))
            if step >= total_steps:
                done = True
                break
        bar.close()
        val = validate(model, val_set, train_config, device) if val_set else {"loss": running / max(1, count)}
        improved = val["loss"] < best_val
        if improved:
            best_val, stale_epochs = val["loss"], 0
        else:
            stale_epochs += 1
        epoch += 1
        batch_in_epoch = 0
        if improved:
            save_checkpoint(out / "best.pt", payload("best", val["loss"]))
        save_checkpoint(out / "last.pt", payload("last", val["loss"]))
        with metrics_path.open("a", newline="") as stream:
            csv.writer(stream).writerow([
                epoch, step, round(running / max(1, count), 5), round(val["loss"], 5), round(val.get("token", math.nan), 5),
                round(val.get("velocity", math.nan), 5), round(val.get("offset", math.nan), 5),
                f"{optimizer.param_groups[0]['lr']:.2e}", round(elapsed_before + time.perf_counter() - started, 1),
            ])
        plot_losses(metrics_path, out / "loss.png")
        if progress:
            print(f"epoch {epoch}: train {running / max(1, count):.4f}  validation {val['loss']:.4f}"
                  f"{'  (best)' if improved else ''}", flush=True)
        if stale_epochs >= train_config.patience:
            if progress:
                print(f"early stop: no validation improvement for {stale_epochs} epochs", flush=True)
            break
    if not (out / "best.pt").exists():
        save_checkpoint(out / "best.pt", payload("best", best_val))
    return out / "best.pt"


def plot_losses(metrics_path: Path, png_path: Path) -> None:
    """Train and validation loss per epoch, as a PNG beside the metrics."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with metrics_path.open() as stream:
        rows = list(csv.DictReader(stream))
    if not rows:
        return
    epochs = [int(r["epoch"]) for r in rows]
    figure, axis = plt.subplots(figsize=(6, 4))
    axis.plot(epochs, [float(r["train_loss"]) for r in rows], marker="o", label="train")
    axis.plot(epochs, [float(r["val_loss"]) for r in rows], marker="o", label="validation")
    axis.set_xlabel("epoch")
    axis.set_ylabel("loss (token + weighted velocity/offset CE)")
    axis.legend()
    axis.grid(alpha=0.3)
    figure.tight_layout()
    temp = png_path.with_suffix(".tmp.png")
    figure.savefig(temp, dpi=100)
    plt.close(figure)
    temp.replace(png_path)
