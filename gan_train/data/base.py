"""The dataset base class and the error and warning types shared by every source."""

from __future__ import annotations

import torch
from torch.utils.data import Dataset


class DataError(ValueError):
    """Data is missing or unusable. The message says what is wrong and what to do."""


class DataWarning(UserWarning):
    """Some of the data was skipped (unreadable files, names that do not parse); training can go on."""


class GANDataset(Dataset):
    """A torch Dataset whose items are dicts of tensors (see docs/CONTRACTS.md).

    Attributes every dataset has:
      kind         "image" | "curve" | "points" | "unpaired" | "paired"
      num_classes  int or None
      class_names  list[str] or None
      condition    "class" | "age" | None
      spec         the source string it was loaded from
    Image-like kinds also have `image_size` (int, or (H, W) for non-square native sizes) and `channels`.
    """

    kind: str = "image"

    def __init__(
        self,
        *,
        kind: str,
        num_classes: int | None = None,
        class_names: list[str] | None = None,
        condition: str | None = None,
        spec: str = "",
    ):
        self.kind = kind
        self.num_classes = num_classes
        self.class_names = class_names
        self.condition = condition
        self.spec = spec

    def __len__(self) -> int:  # pragma: no cover - every subclass defines it
        raise NotImplementedError

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:  # pragma: no cover
        raise NotImplementedError

    def _check_index(self, index: int) -> int:
        n = len(self)
        if index < 0:
            index += n
        if not 0 <= index < n:
            raise IndexError(f"index {index} out of range for a dataset of {n} items")
        return index

    def __repr__(self) -> str:
        parts = [f"kind={self.kind!r}", f"len={len(self)}"]
        if getattr(self, "image_size", None) is not None:
            parts.append(f"image_size={self.image_size}, channels={self.channels}")
        if self.condition:
            parts.append(f"condition={self.condition!r}")
        if self.num_classes:
            parts.append(f"num_classes={self.num_classes}")
        return f"{type(self).__name__}({self.spec!r}, {', '.join(parts)})"

