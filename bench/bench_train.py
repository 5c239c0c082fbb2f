"""Training speed of the bar-level groove model: optimizer steps per second and bars per second on batches made in
code (the default model's sizes, songs of 100-200 bars), for the plain and the attention variant.

    python bench/bench_train.py [--batches 20] [--batch-size 8] [--threads 1]

Prints the machine and versions first; the machine is shared, so compare figures from one run only.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
import torch  # noqa: E402

from bench.machine import describe_machine  # noqa: E402
from seq2drum.config import ModelConfig, TrainConfig  # noqa: E402
from seq2drum.data import BarBatch  # noqa: E402
from seq2drum.features import FeatureSpec  # noqa: E402
from seq2drum.model import ARCHITECTURE, build_model  # noqa: E402
from seq2drum.train import losses  # noqa: E402

CODEBOOK_ENTRIES = 393  # the default model's codebook size, order of magnitude


def make_batch(batch_size: int, spec: FeatureSpec, seed: int) -> BarBatch:
    generator = torch.Generator().manual_seed(seed)
    lengths = torch.randint(100, 201, (batch_size,), generator=generator)
    n_bars, width = int(lengths.max()), spec.max_bar_steps
    valid = torch.arange(n_bars)[None, :] < lengths[:, None]
    bar_steps = torch.where(valid, 16, 0)
    step_mask = torch.arange(width)[None, None, :] < bar_steps[:, :, None]
    hits = (torch.rand(batch_size, n_bars, width, 9, generator=generator) < 0.1).float() * step_mask[..., None]
    return BarBatch(
        step_features=torch.randn(batch_size, n_bars, width, spec.n_step, generator=generator),
        bar_features=torch.randn(batch_size, n_bars, spec.n_bar, generator=generator),
        bar_steps=bar_steps, lengths=lengths, hits=hits, velocity=hits * 0.7, offset=hits * 0.05,
        step_mask=step_mask,
        groove_ids=torch.where(valid, torch.randint(0, 280, (batch_size, n_bars), generator=generator), -1),
        structure=torch.zeros(batch_size, n_bars, 3),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batches", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=TrainConfig().batch_size)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(describe_machine())
    spec = FeatureSpec.current(4)
    codebook_steps = torch.full((CODEBOOK_ENTRIES,), 16)
    batches = [make_batch(args.batch_size, spec, seed) for seed in range(args.batches)]
    bars = sum(int(b.lengths.sum()) for b in batches)
    for attention in (False, True):
        torch.manual_seed(0)
        model = build_model(ARCHITECTURE, ModelConfig(attention=attention), spec.n_step, spec.n_bar,
                            spec.max_bar_steps, codebook_steps)
        optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
        loss, _ = losses(model, batches[0], TrainConfig())  # warm-up
        loss.backward()
        started = time.perf_counter()
        for batch in batches:
            loss, _ = losses(model, batch, TrainConfig())
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        seconds = time.perf_counter() - started
        print(f"{'attention' if attention else 'plain':9s}  {args.batches / seconds:6.2f} steps/s  "
              f"{bars / seconds:8.0f} bars/s  ({args.batches} batches of {args.batch_size} songs, "
              f"{sum(p.numel() for p in model.parameters()):,} parameters, {args.threads} threads)")


if __name__ == "__main__":
    main()
