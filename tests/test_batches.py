"""BatchStream: deterministic batches, and --balance's equal groups."""

import pytest
import torch

from gan_train import ConfigError
from gan_train.batches import BatchStream, balanced_weights
from gan_train.data.datasets import ImageDataset, decade_index


def uneven_faces(n: int = 400) -> ImageDataset:
    """Ages mostly in the twenties, a thin tail of children and of the old (like faces-age)."""
    ages = torch.cat([torch.full((n - 20,), 25.0), torch.full((10,), 5.0), torch.full((10,), 75.0)])
    return ImageDataset(torch.zeros(n, 1, 8, 8, dtype=torch.uint8), native_size=8, channels=1, ages=ages)


def drawn_ages(stream: BatchStream, steps: int) -> torch.Tensor:
    batches = stream.from_step(0)
    return torch.cat([next(batches)["age"] for _ in range(steps)])


def test_balanced_stream_draws_every_age_group_equally_and_repeats_itself():
    data = uneven_faces()
    plain = drawn_ages(BatchStream(data, 40, seed=0), 30)
    assert (plain < 10).float().mean() < 0.05  # as stored: 2.5 % children
    balanced = drawn_ages(BatchStream(data, 40, seed=0, balance=True), 30)
    shares = torch.bincount(decade_index(balanced), minlength=8)[[0, 2, 7]].float() / len(balanced)
    assert torch.allclose(shares, torch.full((3,), 1 / 3), atol=0.05), shares
    assert torch.equal(balanced, drawn_ages(BatchStream(data, 40, seed=0, balance=True), 30))  # seeded
    # a resumed stream (from step 12) draws what the uninterrupted one drew
    resumed = BatchStream(data, 40, seed=0, balance=True).from_step(12)
    assert torch.equal(next(resumed)["age"], balanced[12 * 40 : 13 * 40])


def test_balanced_weights_use_classes_and_refuse_data_without_groups():
    labels = torch.tensor([0, 0, 0, 1])
    data = ImageDataset(torch.zeros(4, 1, 8, 8, dtype=torch.uint8), native_size=8, channels=1, labels=labels,
                        class_names=["a", "b"])
    assert torch.allclose(balanced_weights(data), torch.tensor([1 / 3, 1 / 3, 1 / 3, 1.0], dtype=torch.float64))
    plain = ImageDataset(torch.zeros(4, 1, 8, 8, dtype=torch.uint8), native_size=8, channels=1, spec="shapes")
    with pytest.raises(ConfigError, match="--balance needs data with class labels or ages .*shapes has neither"):
        balanced_weights(plain)
