"""Data for gan-toolkit: named offline sources, the user's own folders, synthetic sets.

    from gan_train.data import load_dataset, fetch, data_root, DataError
    ds = load_dataset("mnist", image_size=32, channels=1, split="train")
    ds[0]  # {"image": float32 (1, 32, 32) in [-1, 1], "label": int64}

Every source is one record (registry.Source): `list_sources()` lists them, `get_source(spec)` finds
the one a spec names (its kind, condition, judge, ...), `example_source(kind)` names one for messages.
docs/CONTRACTS.md gives the item format of each kind.
Modules: registry (the Source record and lookups), sources (load_dataset, fetch), builtin (MNIST /
Fashion-MNIST / digits and what is made from them), synthetic (curves, ring8), faces (age-labelled
generated faces), folders (user folders), images (reading and checking files), transforms (tensor
resizing, channels, edges), datasets (dataset classes), install (installing MNIST / Fashion-MNIST),
paths (the data root).
"""

from .base import DataError, DataWarning, GANDataset
from .paths import data_root
from .registry import Source, example_source, get_source, list_sources
from .sources import fetch, is_installed, load_dataset

__all__ = [
    "DataError",
    "DataWarning",
    "GANDataset",
    "Source",
    "data_root",
    "example_source",
    "fetch",
    "get_source",
    "is_installed",
    "list_sources",
    "load_dataset",
]
