"""The labelled image sets that ship offline (MNIST, Fashion-MNIST via torchvision's readers, sklearn
digits) and the datasets built from them: labelled images, class pairs (unpaired), edges -> image (paired).

Each set is read once per (root, split) into uint8 tensors and kept in memory, so building datasets
from it again (other sizes, class pairs, edges) costs nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import torch

from .base import DataError
from .datasets import EdgesDataset, ImageDataset, UnpairedDataset
from .install import data_root, is_installed

DIGIT_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
DIGITS_TRAIN = 1500  # sklearn digits has no split: the first 1,500 images train, the other 297 test


def normalise_name(name: str) -> str:
    """Class names as used in specs: lower case, runs of other characters -> "_" ("T-shirt/top" -> "t_shirt_top")."""
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


@dataclass(frozen=True)
class LabelledImages:
    images: torch.Tensor  # uint8 (N, H, W)
    labels: torch.Tensor  # int64 (N,)
    class_names: list[str]
    aliases: dict[str, int]  # every accepted spelling (normalised) -> class index

    def class_index(self, name: str, source: str) -> int:
        index = self.aliases.get(normalise_name(name))
        if index is None:
            raise DataError(f"{source} has no class {name!r}. Valid classes: {', '.join(self.class_names)}.")
        return index


BUILTIN_SOURCES = ("mnist", "fashion-mnist", "digits")
_CACHE: dict[tuple[str, str, str], LabelledImages] = {}


def load_builtin(name: str, split: str, root=None) -> LabelledImages:
    """uint8 images and labels of "mnist", "fashion-mnist" or "digits" for split "train" / "test"."""
    base = Path(root).expanduser().resolve() if root is not None else data_root().resolve()
    key = (name, split, str(base))
    if key not in _CACHE:
        _CACHE[key] = _load_digits(split) if name == "digits" else _load_torchvision(name, split, base)
    return _CACHE[key]


def _load_torchvision(name: str, split: str, root: Path) -> LabelledImages:
    from torchvision.datasets import MNIST, FashionMNIST

    if not is_installed(name, root):
        raise DataError(
            f"{name} is not installed in {root}. Run `python -m gan_train data fetch {name}` "
            f"(or set GAN_TOOLKIT_DATA to the folder that holds it)."
        )
    cls = MNIST if name == "mnist" else FashionMNIST
    ds = cls(str(root), train=split == "train", download=False)
    if name == "mnist":
        names = [str(i) for i in range(10)]
        aliases = {normalise_name(n): i for i, n in enumerate(cls.classes)}  # "3 - three" -> "3_three"
        aliases.update({word: i for i, word in enumerate(DIGIT_WORDS)})
    else:
        names = [normalise_name(n) for n in cls.classes]
        aliases = {"tshirt": 0, "t_shirt": 0}
    aliases.update({n: i for i, n in enumerate(names)})
    aliases.update({str(i): i for i in range(len(names))})  # a class index always works too
    return LabelledImages(ds.data.contiguous(), ds.targets.to(torch.int64), names, aliases)


def _load_digits(split: str) -> LabelledImages:
    from sklearn.datasets import load_digits

    digits = load_digits()
    # 17 grey levels (0..16) -> 0..255
    images = torch.from_numpy(digits.images).mul(255.0 / 16.0).round().to(torch.uint8)
    labels = torch.from_numpy(digits.target).to(torch.int64)
    part = slice(0, DIGITS_TRAIN) if split == "train" else slice(DIGITS_TRAIN, None)
    names = [str(i) for i in range(10)]
    aliases = {n: i for i, n in enumerate(names)} | {w: i for i, w in enumerate(DIGIT_WORDS)}
    return LabelledImages(images[part].contiguous(), labels[part].contiguous(), names, aliases)


def _domain(
    data: LabelledImages, index: torch.Tensor, *, image_size, channels, spec, labelled
) -> ImageDataset:
    return ImageDataset(
        data.images[index],
        native_size=tuple(data.images.shape[-2:]),
        channels=channels or 1,
        image_size=image_size,
        labels=data.labels[index] if labelled else None,
        class_names=data.class_names,
        spec=spec,
    )


def builtin_images(
    name: str, *, image_size=None, channels=None, split="train", root=None, limit=None, spec=""
) -> ImageDataset:
    """mnist / fashion-mnist / digits as labelled images (condition "class")."""
    data = load_builtin(name, split, root)
    return _domain(data, slice(0, limit), image_size=image_size, channels=channels, spec=spec, labelled=True)


def class_pair(
    name: str, pair: str, *, image_size=None, channels=None, split="train", root=None, limit=None, spec=""
):
    """Two classes of a labelled set as unpaired domains, e.g. pair="sneaker~ankle_boot"."""
    data = load_builtin(name, split, root)
    parts = pair.split("~")
    if len(parts) != 2 or not all(p.strip() for p in parts):
        raise DataError(
            f"{spec!r}: write two classes as CLASS_A~CLASS_B (e.g. fashion:sneaker~ankle_boot). "
            f"Valid classes: {', '.join(data.class_names)}."
        )
    a, b = (data.class_index(p.strip(), name) for p in parts)
    if a == b:
        raise DataError(
            f"{spec!r}: the two sides name the same class ({data.class_names[a]}); pick two different ones."
        )
    domains = []
    for cls in (a, b):
        index = (data.labels == cls).nonzero().flatten()[:limit]
        domains.append(
            _domain(data, index, image_size=image_size, channels=channels, spec=spec, labelled=False)
        )
    return UnpairedDataset(*domains, names=(data.class_names[a], data.class_names[b]), spec=spec)


EDGES_IMAGE_SIZE = 32  # pix2pix's U-Net halves the size repeatedly: 28 does not divide, 32 does


def edges_pairs(
    name: str, *, image_size=None, channels=None, split="train", root=None, limit=None, spec=""
) -> EdgesDataset:
    """Sobel edges -> image pairs of a labelled set (see transforms.sobel_edges), 32x32 unless image_size says."""
    images = builtin_images(
        name,
        image_size=image_size or EDGES_IMAGE_SIZE,
        channels=channels,
        split=split,
        root=root,
        limit=limit,
        spec=spec,
    )
    return EdgesDataset(images, spec=spec)
