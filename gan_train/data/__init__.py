"""Data for gan-toolkit: named offline sources, the user's own folders, synthetic sets.

    from gan_train.data import load_dataset, fetch, data_root, DataError
    ds = load_dataset("mnist", image_size=32, channels=1, split="train")
    ds[0]  # {"image": float32 (1, 32, 32) in [-1, 1], "label": int64}

`list_sources()` names every source; docs/CONTRACTS.md gives the item format of each kind.
Modules: sources (the registry), builtin (MNIST / Fashion-MNIST / digits and what is made from them),
synthetic (curves, ring8), folders (user folders), images (reading and checking files),
transforms (tensor resizing, channels, edges), datasets (dataset classes), install (fetch: installing data),
faces (age-labelled synthetic faces; imported only when a face source is asked for).
"""

from .base import DataError, DataWarning, GANDataset
from .install import data_root, fetch, is_installed
from .sources import list_sources, load_dataset

__all__ = [
    "DataError",
    "DataWarning",
    "GANDataset",
    "data_root",
    "fetch",
    "is_installed",
    "list_sources",
    "load_dataset",
]
