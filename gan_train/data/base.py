"""The dataset base class, the error and warning types, and wrappers shared by every source."""

from __future__ import annotations

import torch
from torch.utils.data import Dataset

from .transforms import IMAGE_KEYS, set_channels


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


class AdaptedDataset(GANDataset):
    """Keeps the first `limit` items of another dataset and/or converts its images to `channels`.

    Used for datasets built elsewhere (the faces module), so `limit` and `channels` mean the same
    for every source. Unknown attributes (ages, modes, ...) are read through from the wrapped one.
    """

    def __init__(self, base, *, limit: int | None = None, channels: int | None = None):
        super().__init__(
            kind=base.kind,
            num_classes=getattr(base, "num_classes", None),
            class_names=getattr(base, "class_names", None),
            condition=getattr(base, "condition", None),
            spec=getattr(base, "spec", ""),
        )
        self.base = base
        self.length = len(base) if limit is None else min(limit, len(base))
        self.channels = channels if channels is not None else getattr(base, "channels", None)
        self._convert = channels is not None
        self.image_size = getattr(base, "image_size", None)

    def __getattr__(self, name):
        # Only called for attributes not found normally: read them through from the wrapped dataset.
        if name == "base":
            raise AttributeError(name)
        return getattr(self.base, name)

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        item = dict(self.base[self._check_index(index)])
        if self._convert:
            for key in IMAGE_KEYS:
                if key in item:
                    item[key] = set_channels(item[key], self.channels)
        return item
