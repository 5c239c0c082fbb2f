"""Training on several processes (DistributedDataParallel): who this process is, and what the ranks share.

    torchrun --standalone --nproc_per_node 2 main.py --mode train --data DIR --batch-size 8
    torchrun --nnodes 2 --node_rank 0 --nproc_per_node 4 --rdzv_backend c10d --rdzv_endpoint HOST:29400 main.py ...

torchrun sets RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE and the rendezvous address; `World.start` reads them
and joins the process group (gloo on the CPU, nccl on GPUs: one GPU per process, and more processes on a machine than
it has GPUs are refused before CUDA is touched). Without them it is a world of one and nothing here does anything.

What the ranks share: the song cache (rank 0 parses first, `main_first`); the batches (each rank takes every N-th
batch of the epoch's list, `shard`, so all run the same number of steps; `--batch-size` is per process); the
weights (same seed, checked by DDP); decisions (rank 0 validates, writes, and broadcasts early stopping, `decide`).
Details: docs/training.md ("On several processes, GPUs or machines").
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import torch

from seq2drum.errors import DeviceError

T = TypeVar("T")


def pick_device(name: str) -> torch.device:
    """--device's choice: "auto" is the GPU when one is visible, else the CPU; "cuda" without one is refused."""
    if name == "cuda" and not torch.cuda.is_available():
        raise DeviceError("--device cuda asked for, but no CUDA GPU is visible; use --device auto or cpu")
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


@dataclass(frozen=True)
class World:
    """This process's place among the training processes (rank 0 of 1 when not launched by torchrun)."""

    rank: int = 0
    size: int = 1
    local_rank: int = 0
    local_size: int = 1  # processes on this machine (torchrun's --nproc_per_node)

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.size > 1

    @staticmethod
    def from_env() -> World:
        """RANK / WORLD_SIZE / LOCAL_RANK / LOCAL_WORLD_SIZE as torchrun sets them; a world of one when they are
        absent (the processes on this machine: all of them, when LOCAL_WORLD_SIZE is not set)."""
        size = int(os.environ.get("WORLD_SIZE", "1"))
        return World(int(os.environ.get("RANK", "0")), size, int(os.environ.get("LOCAL_RANK", "0")),
                     int(os.environ.get("LOCAL_WORLD_SIZE", str(size))))

    def start(self, device: torch.device) -> torch.device:
        """Join the process group (once) and return this rank's device: on GPUs cuda:LOCAL_RANK with nccl, on the
        CPU gloo. `device` is the one --device picked; a world of one keeps it and joins nothing.

        More processes on this machine than GPUs raise `DeviceError` on every rank, before any of them sets a device
        or joins the group (so none waits for the others): nccl cannot put two ranks on one GPU, and sharing one
        would not train faster than one process."""
        if not self.distributed:
            return device
        import torch.distributed as dist

        if device.type == "cuda":
            self.check_gpus(torch.cuda.device_count())
            device = torch.device("cuda", self.local_rank)
            torch.cuda.set_device(device)
        if not dist.is_initialized():
            dist.init_process_group("nccl" if device.type == "cuda" else "gloo", rank=self.rank, world_size=self.size)
        return device

    def check_gpus(self, n_gpus: int) -> None:
        """DeviceError when this machine's processes outnumber its `n_gpus` GPUs (one GPU per process)."""
        if self.local_size > n_gpus:
            gpus = f"{n_gpus} GPU" + ("" if n_gpus == 1 else "s")
            raise DeviceError(f"{self.local_size} processes asked for {gpus}: use --nproc_per_node {max(n_gpus, 1)}, "
                              "or --device cpu")

    def barrier(self) -> None:
        if self.distributed:
            import torch.distributed as dist

            dist.barrier()

    def from_main(self, value: T) -> T:
        """Rank 0's `value` on every rank (any picklable object)."""
        if not self.distributed:
            return value
        import torch.distributed as dist

        box = [value if self.is_main else None]
        dist.broadcast_object_list(box, src=0)
        return box[0]  # type: ignore[return-value]

    def rank_zero_says(self, flag: bool) -> bool:
        """Rank 0's decision (early stop, end of training) on every rank, so all leave a loop at the same step."""
        return bool(self.from_main(bool(flag)))

    def gather_to_main(self, value: T) -> list[T]:
        """Every rank's `value`, in rank order, on rank 0 (an empty list elsewhere). Every rank must call it."""
        if not self.distributed:
            return [value]
        import torch.distributed as dist

        gathered: list[Any] = [None] * self.size if self.is_main else []
        dist.gather_object(value, gathered if self.is_main else None, dst=0)
        return gathered

    def mean(self, value: float) -> float:
        """The mean of `value` over the ranks (every rank must call it)."""
        if not self.distributed:
            return value
        import torch.distributed as dist

        total = torch.tensor([float(value)], dtype=torch.float64)
        dist.all_reduce(total)
        return float(total.item()) / self.size

    def close(self) -> None:
        if self.distributed:
            import torch.distributed as dist

            if dist.is_initialized():
                dist.destroy_process_group()


@contextmanager
def main_first(world: World) -> Iterator[None]:
    """Run the block on rank 0 first, then on the others (which find what rank 0 cached)."""
    if not world.is_main:
        world.barrier()
    try:
        yield
    finally:
        if world.is_main:
            world.barrier()


def steps_per_epoch(n_batches: int, world: World) -> int:
    """Optimizer steps in one epoch: every rank takes the same number of the epoch's batches."""
    return max(1, n_batches // world.size) if n_batches else 0


def shard(batches: list[T], world: World) -> list[T]:
    """This rank's batches of an epoch: batches rank, rank + N, rank + 2N ... of the first multiple of N (the
    remainder, fewer than N batches, waits for a later epoch's shuffle). A world of one keeps them all. An epoch
    with fewer batches than ranks gives every rank the first batch (a rank with nothing would hang the others)."""
    if not world.distributed:
        return batches
    if len(batches) < world.size:
        return batches[:1]
    usable = len(batches) // world.size * world.size
    return batches[world.rank:usable:world.size]


def resumed_position(batch_in_epoch: int, saved_world_size: int, world: World) -> int:
    """Where this rank carries on inside the epoch after a resume: the run had taken `batch_in_epoch` batches per
    rank on `saved_world_size` ranks, so batches 0 .. that x saved size - 1 of the epoch's list are done; with
    another world size each rank starts after them (rounded down: at most N - 1 batches are trained twice)."""
    return batch_in_epoch * saved_world_size // world.size


def wrap(model: torch.nn.Module, world: World, device: torch.device) -> torch.nn.Module:
    """The module the training step calls: DDP around `model` in a distributed run (gradients averaged across
    ranks during backward), `model` itself otherwise. Checkpoints keep saving `model`, so their keys never carry
    DDP's "module." prefix and a checkpoint does not depend on how many processes trained it. DDP broadcasts rank
    0's weights into `model`'s own tensors and keeps no copy on one GPU a process, so the LSTM weights stay in the
    chunk `flatten_lstms` packed and its forward needs no flattening of its own."""
    if not world.distributed:
        return model
    from torch.nn.parallel import DistributedDataParallel

    # find_unused_parameters: a batch without a single codebook bar leaves the groove head out of the loss on that
    # rank, and DDP must not wait for its gradients
    return DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None,
                                   find_unused_parameters=True)


def rng_states(world: World) -> list[torch.Tensor] | None:
    """Every rank's torch RNG state on rank 0 (None elsewhere; every rank must call it), for last.pt: the
    transpositions each rank draws continue exactly after a resume on the same number of processes."""
    states = world.gather_to_main(torch.get_rng_state())
    return states if world.is_main else None


def seed_rank(seed: int, world: World) -> None:
    """After the model is built (same weights everywhere), give each rank its own augmentation stream; rank 0
    keeps the stream a one-process run has."""
    if world.rank > 0:
        torch.manual_seed(seed + 7919 * world.rank)
