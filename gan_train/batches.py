"""Deterministic batches: the batch of step ``s`` depends only on (seed, s, rank).

Each epoch is a permutation drawn from its own seeded generator and split across processes, so a
run resumed at step ``s`` sees exactly the batches an uninterrupted run would, and no global RNG
is consumed (that RNG belongs to the noise, and is restored from the checkpoint). A balanced
stream (``--balance``) draws each epoch's items with replacement instead, every group (class or
age decade) equally likely, from the same seeded generator.
"""

from __future__ import annotations

import torch
from torch.utils.data import DataLoader, Dataset

from .config import ConfigError


class BatchStream:
    def __init__(self, dataset: Dataset, batch_size: int, seed: int, rank: int = 0, world_size: int = 1,
                 num_workers: int = 0, balance: bool = False):
        self.dataset, self.batch_size, self.seed = dataset, batch_size, seed
        self.weights = balanced_weights(dataset) if balance else None
        self.rank, self.world_size, self.num_workers = rank, world_size, num_workers
        per_rank = len(dataset) // world_size
        if per_rank < batch_size:
            raise ConfigError(
                f"the data has {len(dataset)} items: too few for batches of {batch_size} on {world_size} "
                f"process(es). Lower --batch-size or use more data."
            )
        self.steps_per_epoch = per_rank // batch_size

    def epoch_batches(self, epoch: int) -> list[list[int]]:
        generator = torch.Generator().manual_seed(self.seed * 100_003 + epoch)
        if self.weights is None:
            order = torch.randperm(len(self.dataset), generator=generator)
        else:
            order = torch.multinomial(self.weights, len(self.dataset), replacement=True, generator=generator)
        mine = order[self.rank :: self.world_size][: self.steps_per_epoch * self.batch_size]
        return mine.view(self.steps_per_epoch, self.batch_size).tolist()

    def from_step(self, step: int):
        """Yield batches (dicts of stacked tensors) for steps step, step + 1, ... forever."""
        epoch, offset = divmod(step, self.steps_per_epoch)
        while True:
            loader = DataLoader(
                self.dataset,
                batch_sampler=self.epoch_batches(epoch)[offset:],
                num_workers=self.num_workers,
                generator=torch.Generator().manual_seed(self.seed),  # keeps the global RNG untouched
                persistent_workers=False,
            )
            yield from loader
            epoch, offset = epoch + 1, 0


def balanced_weights(dataset: Dataset) -> torch.Tensor:
    """Sampling weights that make every group (class, or age decade) equally likely: 1 / group size."""
    groups = dataset.groups() if hasattr(dataset, "groups") else None
    if groups is None:
        raise ConfigError("--balance needs data with class labels or ages (e.g. --data faces-age); "
                          f"{getattr(dataset, 'spec', '') or type(dataset).__name__} has neither")
    counts = torch.bincount(groups)
    return 1.0 / counts[groups].double()
