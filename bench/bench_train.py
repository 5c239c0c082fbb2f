"""Training speed of the bar-level groove model: optimizer steps per second and bars per second on batches made in
code (the default model's sizes, songs of 100-200 bars), for the plain and the attention variant, on 1 process and
on N processes with DistributedDataParallel (gloo on the CPU, as `torchrun --nproc_per_node N` trains).

    python -m bench.bench_train [--batches 20] [--batch-size 8] [--threads 1] [--processes 1 2]

With N processes each takes every N-th batch (`--batch-size` per process, as in training), so a step trains N
batches: steps/s is optimizer steps, bars/s counts every process's bars.

Prints the machine and versions first; the machine is shared, so compare figures from one run only.
"""

from __future__ import annotations

import argparse
import os
import socket
import time

import torch

from bench.machine import describe_machine
from seq2drum.config import ModelConfig, TrainConfig
from seq2drum.training.batches import BarBatch
from seq2drum.song.bars import FeatureSpec
from seq2drum.model.network import ARCHITECTURE, build_model
from seq2drum.training.objective import losses


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


def build(attention: bool, spec: FeatureSpec) -> tuple[torch.nn.Module, torch.optim.Optimizer]:
    torch.manual_seed(0)
    model = build_model(ARCHITECTURE, ModelConfig(attention=attention), spec.n_step, spec.n_bar, spec.max_bar_steps,
                        torch.full((CODEBOOK_ENTRIES,), 16))
    return model, torch.optim.AdamW(model.parameters(), lr=1e-3)


def timed_steps(model: torch.nn.Module, trained: torch.nn.Module, optimizer: torch.optim.Optimizer,
                batches: list[BarBatch]) -> float:
    """Seconds for one optimizer step per batch (after one warm-up step, not counted)."""
    loss, _ = losses(trained, batches[0], TrainConfig())  # type: ignore[arg-type]
    loss.backward()
    optimizer.zero_grad()
    started = time.perf_counter()
    for batch in batches:
        loss, _ = losses(trained, batch, TrainConfig())  # type: ignore[arg-type]
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
    return time.perf_counter() - started


def ddp_rank(rank: int, size: int, port: int, args: argparse.Namespace, attention: bool, results: object) -> None:
    """One of `size` processes: DDP over gloo, this rank's share of the batches, the time rank 0 measured."""
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel

    from seq2drum.training.distributed import World, shard

    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    torch.set_num_threads(args.threads)
    dist.init_process_group("gloo", rank=rank, world_size=size)
    spec = FeatureSpec.current(4)
    mine = shard(list(range(args.batches)), World(rank, size))
    batches = [make_batch(args.batch_size, spec, seed) for seed in mine]
    model, optimizer = build(attention, spec)
    trained = DistributedDataParallel(model, find_unused_parameters=True)  # as seq2drum.training.distributed.wrap
    dist.barrier()
    seconds = timed_steps(model, trained, optimizer, batches)
    bars = torch.tensor([float(sum(int(b.lengths.sum()) for b in batches))])
    dist.all_reduce(bars)
    if rank == 0:
        results.put((len(batches), seconds, int(bars.item())))  # type: ignore[attr-defined]
    dist.destroy_process_group()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batches", type=int, default=20, help="batches in all, dealt out over the processes")
    parser.add_argument("--batch-size", type=int, default=TrainConfig().batch_size, help="songs per batch")
    parser.add_argument("--threads", type=int, default=1, help="torch threads per process")
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2], help="process counts to measure")
    parser.add_argument("--variants", nargs="+", choices=("plain", "attention"), default=["plain", "attention"])
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(describe_machine())
    spec = FeatureSpec.current(4)
    per_second: dict[tuple[str, int], float] = {}
    for variant in args.variants:
        attention = variant == "attention"
        print(f"{variant}: {sum(p.numel() for p in build(attention, spec)[0].parameters()):,} parameters")
        for processes in args.processes:
            if processes == 1:
                batches = [make_batch(args.batch_size, spec, seed) for seed in range(args.batches)]
                model, optimizer = build(attention, spec)
                steps, seconds = len(batches), timed_steps(model, model, optimizer, batches)
                bars = sum(int(b.lengths.sum()) for b in batches)
            else:
                import torch.multiprocessing as mp

                context = mp.get_context("spawn")
                results = context.Queue()
                mp.start_processes(ddp_rank, args=(processes, free_port(), args, attention, results),
                                   nprocs=processes, start_method="spawn", join=True)
                steps, seconds, bars = results.get(timeout=60)
            per_second[variant, processes] = steps / seconds
            print(f"{variant:9s} {processes} process{'es' if processes > 1 else '  '}  {steps / seconds:6.2f} steps/s  "
                  f"{bars / seconds:8.0f} bars/s  ({steps} steps of {processes} x {args.batch_size} songs, "
                  f"{args.threads} thread(s) per process)", flush=True)
    for variant in args.variants:
        one = per_second.get((variant, 1))
        for processes in args.processes:
            if one and processes > 1:
                rate = per_second[variant, processes]
                print(f"{variant}: {processes} processes train {rate * processes / one:.2f}x the songs per second of "
                      f"one ({rate / one:.2f}x the optimizer steps per second)")


if __name__ == "__main__":
    main()
