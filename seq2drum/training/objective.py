"""What training minimises and how fast: the losses of one batch, the validation loss, the learning-rate schedule.

The hit cross-entropy per cell is the main term (decoding reads those probabilities); the bar's codebook entry, its
structure (rest, crash, fill) and the real hits' velocity and microtiming are added with `TrainConfig`'s weights.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor
from torch.nn import functional as F

from seq2drum.config import TrainConfig
from seq2drum.model.network import GrooveSeq2Drum
from seq2drum.training.batches import BarBatch, BarDataset, BucketBatchSampler, collate_bars

WARMUP_STEPS = 100


def losses(model: GrooveSeq2Drum, batch: BarBatch, config: TrainConfig) -> tuple[Tensor, dict[str, float]]:
    """Per-cell hit cross-entropy (the main term: it is what decoding reads), plus the bar's codebook entry, its
    structure (rest, crash, fill), and the velocity and microtiming of the real hits."""
    out = model(batch.step_features, batch.bar_features, batch.bar_steps, batch.lengths, batch.heard, batch.parts)
    cells = batch.step_mask[..., None].expand_as(batch.hits)  # (B, N, S, 9)
    hit_loss = F.binary_cross_entropy_with_logits(out.hit_logits.float()[cells], batch.hits[cells])
    has_groove = batch.groove_ids >= 0
    groove_loss = F.cross_entropy(out.groove_logits.float()[has_groove], batch.groove_ids[has_groove]) \
        if has_groove.any() else hit_loss.new_zeros(())
    bars = batch.bar_steps > 0
    structure_loss = F.binary_cross_entropy_with_logits(out.structure_logits.float()[bars], batch.structure[bars])
    real = batch.hits > 0
    n_real = real.sum().clamp(min=1)
    velocity_loss = (((out.velocity.float() - batch.velocity) ** 2) * real).sum() / n_real
    offset_loss = (((out.offset.float() - batch.offset) ** 2) * real).sum() / n_real
    total = (hit_loss + config.groove_loss_weight * groove_loss + config.structure_loss_weight * structure_loss
             + config.velocity_loss_weight * velocity_loss + config.offset_loss_weight * offset_loss)
    parts = {"loss": total.item(), "hits": hit_loss.item(), "groove": groove_loss.item(),
             "structure": structure_loss.item(), "velocity": velocity_loss.item(), "offset": offset_loss.item()}
    return total, parts


@torch.no_grad()
def validate(model: GrooveSeq2Drum, dataset: BarDataset, config: TrainConfig, device: torch.device) -> dict[str, float]:
    """Losses averaged over validation items, weighted by bars."""
    model.eval()
    sampler = BucketBatchSampler(dataset.lengths(), config.batch_size, config.max_batch_bars, seed=0, shuffle=False)
    totals: dict[str, float] = {}
    weight = 0
    for indices in sampler:
        batch = collate_bars([dataset[i] for i in indices]).to(device)
        _, parts = losses(model, batch, config)
        bars = int(batch.lengths.sum())
        for key, value in parts.items():
            totals[key] = totals.get(key, 0.0) + value * bars
        weight += bars
    model.train()
    return {key: value / max(1, weight) for key, value in totals.items()}


def learning_rate(step: int, total_steps: int, base_lr: float) -> float:
    """Linear warm-up (100 steps, or a tenth of a short run), then cosine decay to 5% of the base rate."""
    warmup = max(1, min(WARMUP_STEPS, total_steps // 10))
    if step < warmup:
        return base_lr * (step + 1) / warmup
    progress = min(1.0, (step - warmup) / max(1, total_steps - warmup))
    return base_lr * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * progress)))
