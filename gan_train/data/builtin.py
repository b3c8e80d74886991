"""The labelled image sets that ship offline (MNIST, Fashion-MNIST via torchvision's readers, sklearn
digits) and the datasets built from them: labelled images, class pairs (unpaired), edges -> image (paired).
Their source records are registered at the end of this module.

Each set is read once per (root, split) into uint8 tensors and kept in memory, so building datasets
from it again (other sizes, class pairs, edges) costs nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import torch

from . import install
from .base import DataError
from .datasets import EdgesDataset, ImageDataset, UnpairedDataset
from .paths import root_or_default
from .registry import Source, get_source, register

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
    base = root_or_default(root).resolve()
    key = (name, split, str(base))
    if key not in _CACHE:
        _CACHE[key] = _load_digits(split) if name == "digits" else _load_torchvision(name, split, base)
    return _CACHE[key]


def _load_torchvision(name: str, split: str, root) -> LabelledImages:
    from torchvision.datasets import MNIST, FashionMNIST

    if not install.idx_installed(name, root):
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


def _edges_source(arg: str, *, spec: str, **load) -> EdgesDataset:
    try:
        inner = get_source(arg.strip()).pattern
    except DataError:
        inner = None
    if inner not in BUILTIN_SOURCES:
        raise DataError(
            f"{spec!r}: edges pairs are made from {', '.join(BUILTIN_SOURCES)}, e.g. edges:fashion-mnist"
        )
    return edges_pairs(inner, spec=spec, **load)


def _digits_folder(root=None) -> Path:
    from importlib import resources

    return Path(str(resources.files("sklearn.datasets") / "data"))  # bundled with scikit-learn: nothing to install


def _register_set(name, title, description, pair_name, pair_example, fetch, is_installed, spellings=()) -> None:
    """A labelled set's two records: its labelled images, and two of its classes as unpaired domains."""
    register(Source(
        name, description, "image", lambda arg, **load: builtin_images(name, **load),
        example=name, condition="class", aliases=tuple(s for s in spellings if s != name),
        judge="class", judge_data=name, fetch=fetch, is_installed=is_installed, suggested=name == "mnist",
    ))
    register(Source(
        f"{pair_name}:A~B", f"two {title} classes as unpaired domains, e.g. {pair_example}",
        "unpaired", lambda arg, **load: class_pair(name, arg, **load),
        example=pair_example, argument="required", aliases=tuple(s for s in spellings if s != pair_name),
        judge="class", judge_data=name, fetch=fetch, is_installed=is_installed, suggested=name == "fashion-mnist",
    ))


_register_set(
    "mnist", "MNIST", "MNIST handwritten digits: 28x28 grey, 10 classes, 60,000 train / 10,000 test (fetch mnist)",
    "mnist", "mnist:3~8", partial(install.fetch_idx, "mnist"), partial(install.idx_installed, "mnist"),
)
_register_set(
    "fashion-mnist", "Fashion-MNIST",
    "Fashion-MNIST clothes: 28x28 grey, 10 classes, 60,000 train / 10,000 test (fetch fashion-mnist)",
    "fashion", "fashion:sneaker~ankle_boot",
    partial(install.fetch_idx, "fashion-mnist"), partial(install.idx_installed, "fashion-mnist"),
    spellings=("fashion", "fashion-mnist", "fashion_mnist", "fashionmnist"),
)
_register_set(
    "digits", "sklearn digits", "scikit-learn digits: 8x8 grey, 10 classes, 1,500 train / 297 test (bundled)",
    "digits", "digits:1~7", _digits_folder, lambda root=None: True,
)
register(Source(
    "edges:SET", f"Sobel edges -> image pairs of SET ({', '.join(BUILTIN_SOURCES)}), "
    f"{EDGES_IMAGE_SIZE}x{EDGES_IMAGE_SIZE} unless image_size says",
    "paired", _edges_source, example="edges:fashion-mnist", argument="required", suggested=True,
))
