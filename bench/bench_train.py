"""Training throughput: teacher forcing in one nn.LSTM call (what train.py does) against the same model with a
per-step Python decoder loop (what Bahdanau-style input feeding would force), in one run.

    python bench/bench_train.py [--batches 4] [--batch-size 4] [--steps 1024] [--window-steps 128]

Batches are random tensors of the training shapes (B chunks of T grid steps made of windows), so the figure needs
no data set. The corpus mean is ~1200 steps per chunk and ~136 per window.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.machine import describe_machine  # noqa: E402
from seq2drum.config import ModelConfig, TrainConfig  # noqa: E402
from seq2drum.data import Batch  # noqa: E402
from seq2drum.encoding import OFFSET_BINS, SRC_DIM, VELOCITY_BINS, DrumVocab  # noqa: E402
from seq2drum.model import Seq2Drum  # noqa: E402
from seq2drum.train import losses  # noqa: E402


class PerStepLoopModel(Seq2Drum):
    """The same model and weights, but the decoder advances one grid step per Python iteration."""

    def decode(self, tgt_in, enc_aligned, state, memory=None, memory_mask=None):  # type: ignore[no-untyped-def]
        outputs = []
        for t in range(tgt_in.shape[1]):
            mask = memory_mask[:, t : t + 1] if memory_mask is not None else None  # (B, 1, S)
            step = super().decode(tgt_in[:, t : t + 1], enc_aligned[:, t : t + 1], state, memory, mask)
            state = step.state
            outputs.append(step)
        token_logits = torch.cat([o.token_logits for o in outputs], dim=1)
        features = torch.cat([o.features for o in outputs], dim=1)
        return type(outputs[0])(token_logits, features, state)


def make_batch(batch_size: int, steps: int, window_steps: int, vocab_size: int, seed: int) -> Batch:
    generator = torch.Generator().manual_seed(seed)
    tokens = torch.randint(DrumVocab.N_SPECIAL, vocab_size, (batch_size, steps), generator=generator)
    hits = (torch.rand(batch_size, steps, 9, generator=generator) < 0.15).float()
    return Batch(
        src=torch.randn(batch_size, steps, SRC_DIM, generator=generator),
        src_lengths=torch.full((batch_size,), steps),
        tgt_in=torch.cat([torch.full((batch_size, 1), DrumVocab.BOS), tokens[:, :-1]], dim=1),
        tgt_out=tokens,
        velocity_bins=torch.randint(0, VELOCITY_BINS, (batch_size, steps, 9), generator=generator),
        offset_bins=torch.randint(0, OFFSET_BINS, (batch_size, steps, 9), generator=generator),
        hits=hits,
        window_ids=(torch.arange(steps) // window_steps).expand(batch_size, steps).contiguous(),
    )


def steps_per_second(model: Seq2Drum, batches: list[Batch]) -> float:
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    config = TrainConfig()
    loss, _ = losses(model, batches[0], config)  # warm-up
    loss.backward()
    started = time.perf_counter()
    for batch in batches:
        loss, _ = losses(model, batch, config)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return len(batches) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batches", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=4, help="chunks per batch (the training default)")
    parser.add_argument("--steps", type=int, default=1024, help="grid steps per chunk")
    parser.add_argument("--window-steps", type=int, default=128, help="grid steps per window (attention span)")
    args = parser.parse_args()
    print(describe_machine())
    vocab_size = 304  # the default model's vocabulary size, order of magnitude
    table = torch.zeros(vocab_size, 9)
    batches = [make_batch(args.batch_size, args.steps, args.window_steps, vocab_size, seed) for seed in range(args.batches)]
    print(f"{args.batches} batches of {args.batch_size} chunks x {args.steps} steps (windows of {args.window_steps}); "
          "optimizer steps per second:")
    for attention in (False, True):
        config = ModelConfig(attention=attention)
        torch.manual_seed(0)
        fast = Seq2Drum(config, SRC_DIM, vocab_size, table)
        torch.manual_seed(0)
        slow = PerStepLoopModel(config, SRC_DIM, vocab_size, table)
        slow.load_state_dict(fast.state_dict())
        one_call = steps_per_second(fast, batches)
        loop = steps_per_second(slow, batches[: max(2, args.batches // 3)])
        name = "attention" if attention else "plain"
        print(f"  {name:9s}  one nn.LSTM call {one_call:6.2f}/s   per-step loop {loop:6.3f}/s   ratio {one_call / loop:5.1f}x")


if __name__ == "__main__":
    main()
