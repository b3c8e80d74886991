"""The catalogue in use: importing the modules that build sources registers their records (registry.py),
and load_dataset / fetch / is_installed read those records.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path

from .base import DataError, GANDataset
from .registry import list_sources, sources_named, split_spec

# Importing the modules that build sources registers them, in the order `gan_train data list` shows.
for _module in ("builtin", "synthetic", "faces", "folders"):
    importlib.import_module(f".{_module}", __package__)

_SPLITS = {"train": "train", "test": "test", "val": "test", "valid": "test", "validation": "test"}


def _check_args(image_size, channels, split, limit) -> str:
    if image_size is not None and (not isinstance(image_size, int) or image_size < 1):
        raise DataError(f"image_size must be a positive int or None, not {image_size!r}")
    if channels not in (None, 1, 3):
        raise DataError(f"channels must be 1, 3 or None (keep the data's own), not {channels!r}")
    if limit is not None and (not isinstance(limit, int) or limit < 1):
        raise DataError(f"limit must be a positive int or None, not {limit!r}")
    if split not in _SPLITS:
        raise DataError(f"split must be 'train' or 'test', not {split!r}")
    return _SPLITS[split]


def load_dataset(
    spec: str, *, image_size=None, channels=None, split="train", root=None, limit=None
) -> GANDataset:
    """Build the dataset named by `spec` (see list_sources()); items are dicts of tensors.

    image_size resizes images to image_size x image_size (bilinear, antialiased; non-square images are
    centre-cropped first), channels converts between grey (1) and colour (3); None keeps the data's own.
    split is "train" or "test". root overrides data_root() for installed sets. limit keeps the first N
    items (of each domain, for unpaired data).
    """
    split = _check_args(image_size, channels, split, limit)
    source, arg = split_spec(spec)
    return source.build(
        arg, image_size=image_size, channels=channels, split=split, root=root, limit=limit, spec=spec.strip()
    )


def _fetchable() -> str:
    return ", ".join(s.pattern for s in list_sources() if s.fetch is not None and not s.placeholder)


def _installable(name: str):
    """(the record that installs the data of a source name or spec, or None; the first record of that name).

    A name is enough ("fashion", "faces"), and a whole spec works too ("fashion:sneaker~ankle_boot").
    """
    named = sources_named(name)
    if not named:
        raise DataError(f"cannot fetch {name!r}: it is not a data source. Sources to fetch: {_fetchable()}.")
    return next((s for s in named if s.fetch is not None), None), named[0]


def fetch(name: str, root: str | os.PathLike | None = None) -> Path:
    """Install the data of a source for offline use and return the folder holding it.

    Installed data is left alone, so calling it again is cheap.
    """
    source, named = _installable(name)
    if source is None:
        raise DataError(
            f"cannot fetch {name!r}: {named.pattern} has nothing to install ({named.description}). "
            f"Sources to fetch: {_fetchable()} (class pairs and edges:SET are made from those)."
        )
    return Path(source.fetch(root))


def is_installed(name: str, root: str | os.PathLike | None = None) -> bool:
    """True if the data of a source is in place (always, for sources with nothing to install)."""
    source, _ = _installable(name)
    return source is None or bool(source.is_installed(root))
