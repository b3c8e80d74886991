"""The image dataset classes: single images (optionally labelled), unpaired domains, paired images."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from .base import GANDataset
from .transforms import prepare, sobel_edges

DECADE_EDGES = (0, 10, 20, 30, 40, 50, 60, 70)  # age groups: the last is 70+


def decade_index(ages) -> torch.Tensor:
    """Decade bin of each age: 0 for [0, 10), ..., 7 for 70 and over."""
    ages = torch.as_tensor(ages, dtype=torch.float32).reshape(-1)
    return torch.bucketize(ages, torch.tensor(DECADE_EDGES[1:], dtype=torch.float32), right=True)


class ImageDataset(GANDataset):
    """Images held as uint8 (C, H, W) / (H, W) in anything indexable (a tensor, an ImageStore, ...).

    Items: {"image": float32 (channels, H, W) in [-1, 1]} plus "label" (int64) when `labels` is
    given and "age" (float32, years) when `ages` is given. Conversion happens per item, on tensors.
    """

    def __init__(
        self,
        images: Sequence,
        *,
        native_size: int | tuple[int, int],
        channels: int,
        image_size: int | None = None,
        labels: torch.Tensor | None = None,
        ages: torch.Tensor | None = None,
        class_names: list[str] | None = None,
        spec: str = "",
    ):
        condition = "class" if labels is not None else "age" if ages is not None else None
        super().__init__(
            kind="image",
            num_classes=len(class_names) if labels is not None and class_names else None,
            class_names=class_names if labels is not None else None,
            condition=condition,
            spec=spec,
        )
        self.images = images
        self.labels = labels.to(torch.int64) if labels is not None else None
        self.ages = ages.to(torch.float32) if ages is not None else None
        self.channels = channels
        self._resize_to = image_size
        if image_size is not None:
            self.image_size = image_size
        elif isinstance(native_size, tuple) and native_size[0] == native_size[1]:
            self.image_size = native_size[0]
        else:
            self.image_size = native_size

    def __len__(self) -> int:
        return len(self.images)

    def groups(self) -> torch.Tensor | None:
        """Each item's group for balanced sampling: its class, or its age decade; None without either."""
        if self.labels is not None:
            return self.labels
        return decade_index(self.ages) if self.ages is not None else None

    def image(self, index: int) -> torch.Tensor:
        return prepare(self.images[index], self._resize_to, self.channels)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        index = self._check_index(index)
        item = {"image": self.image(index)}
        if self.labels is not None:
            item["label"] = self.labels[index]
        if self.ages is not None:
            item["age"] = self.ages[index]
        return item


class UnpairedDataset(GANDataset):
    """Two image domains with no correspondence (CycleGAN): {"image_a", "image_b"}.

    Length is that of the larger domain; the smaller one wraps around. Item i pairs A[i % len(A)]
    with B[perm[i % len(B)]], perm a fixed permutation from `seed`: random pairs, the same every run.
    """

    def __init__(
        self, domain_a: ImageDataset, domain_b: ImageDataset, *, names=("a", "b"), seed: int = 0, spec=""
    ):
        super().__init__(kind="unpaired", spec=spec)
        if (domain_a.image_size, domain_a.channels) != (domain_b.image_size, domain_b.channels):
            raise ValueError("both domains must share image_size and channels")
        self.domain_a, self.domain_b = domain_a, domain_b
        self.domain_names = tuple(names)
        self.image_size, self.channels = domain_a.image_size, domain_a.channels
        self._perm = torch.randperm(len(domain_b), generator=torch.Generator().manual_seed(seed))

    def __len__(self) -> int:
        return max(len(self.domain_a), len(self.domain_b))

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        index = self._check_index(index)
        b_index = int(self._perm[index % len(self.domain_b)])
        return {
            "image_a": self.domain_a.image(index % len(self.domain_a)),
            "image_b": self.domain_b.image(b_index),
        }


class PairedDataset(GANDataset):
    """Aligned image pairs (pix2pix): {"image_a": input, "image_b": target}, A[i] goes with B[i]."""

    def __init__(self, domain_a: ImageDataset, domain_b: ImageDataset, *, spec=""):
        super().__init__(kind="paired", spec=spec)
        if len(domain_a) != len(domain_b):
            raise ValueError("paired domains must have the same length")
        self.domain_a, self.domain_b = domain_a, domain_b
        self.image_size, self.channels = domain_b.image_size, domain_b.channels

    def __len__(self) -> int:
        return len(self.domain_b)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        index = self._check_index(index)
        return {"image_a": self.domain_a.image(index), "image_b": self.domain_b.image(index)}


class EdgesDataset(GANDataset):
    """Edges -> image pairs made from any image set: image_a = sobel_edges(image_b), image_b = the image.

    See transforms.sobel_edges: binary Sobel edges, black lines on white, same channels as the image.
    """

    def __init__(self, images: ImageDataset, *, spec=""):
        super().__init__(kind="paired", spec=spec)
        self.images = images
        self.image_size, self.channels = images.image_size, images.channels

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        image = self.images.image(self._check_index(index))
        return {"image_a": sobel_edges(image), "image_b": image}
