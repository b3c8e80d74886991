"""Data in batches, the real set's features (cached), and FID / KID / precision-recall from features.

Real-set caches live under ``<data root>/eval/fid-stats/``: the features and their float64 mean /
covariance, keyed by data, key, size, count, a hash of the images themselves and the feature network's
tag. Safetensors only, no pickles; written atomically.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable, Iterator

import numpy as np
import torch

from ..atomic import atomic_write
from . import metrics as M
from .base import eval_root, progress, slug
from .inception import FEATURE_TAG, inception_features, to_uint8


def dataset_batches(dataset, key: str, n: int, batch_size: int) -> Iterator[dict[str, torch.Tensor]]:
    """The first n items of a dataset in batches, images ("image", "image_a", "image_b") in [0, 1]."""
    for start in range(0, n, batch_size):
        items = [dataset[i] for i in range(start, min(n, start + batch_size))]
        batch = {k: torch.stack([it[k] for it in items]) for k in items[0]}
        for k in ("image", "image_a", "image_b"):
            if k in batch:
                batch[k] = ((batch[k].float() + 1) / 2).clamp_(0, 1)
        yield batch


def domain_sizes(dataset) -> tuple[int, int]:
    """(len A, len B) of an unpaired dataset. Items i < len A hold every A image once in image_a,
    items i < len B every B image once in image_b (B is drawn through a fixed permutation)."""
    if hasattr(dataset, "domain_a") and hasattr(dataset, "domain_b"):  # every unpaired source's UnpairedDataset
        return min(len(dataset.domain_a), len(dataset)), min(len(dataset.domain_b), len(dataset))
    return len(dataset), len(dataset)


class RealFeatures:
    """Features of the first n real images of one image key of a dataset, with their float64 mean /
    covariance; `path` is the cache file, `cached` whether they were read from it."""

    def __init__(self, features: torch.Tensor, mu: np.ndarray, cov: np.ndarray, path, cached: bool):
        self.features, self.mu, self.cov, self.path, self.cached = features, mu, cov, path, cached

    def __len__(self) -> int:
        return len(self.features)


def num_features(extractor) -> int | None:
    value = getattr(extractor, "num_features", None)
    return int(value) if isinstance(value, int) else None


def real_features(dataset, key: str, n: int, *, spec: str, inception, batch_size: int,
                  log: Callable[[str], None] = lambda s: None, cache: bool = True) -> RealFeatures:
    from safetensors.torch import load_file, save_file

    digest = hashlib.sha256()
    shape = None
    for batch in dataset_batches(dataset, key, n, 500):
        images = to_uint8(batch[key])
        shape = tuple(images.shape[1:])
        digest.update(images.numpy().tobytes())
    size_text = f"{shape[-1]}px-{shape[0]}ch" if shape else "empty"
    # Another feature extractor (a test's tiny one) has its own tag, so caches never mix.
    tag = getattr(inception, "feature_tag", None) or f"{type(inception).__name__}-{num_features(inception)}"
    name = f"{slug(spec)}-{key}-{size_text}-n{n}-{digest.hexdigest()[:16]}-{tag}.safetensors"
    path = eval_root() / "fid-stats" / name
    if cache and path.is_file():
        try:
            data = load_file(str(path))
            if tuple(data["features"].shape) != (n, num_features(inception) or data["features"].shape[1]):
                raise ValueError(f"features of shape {tuple(data['features'].shape)}")
            return RealFeatures(data["features"], data["mu"].numpy(), data["cov"].numpy(), path, True)
        except Exception as err:  # a broken cache file is rebuilt, never trusted
            log(f"ignoring unreadable cache {path}: {err}")
    log(f"Inception features of {n} real {spec} images ({key}); cached afterwards")
    feats = features_of((b[key] for b in dataset_batches(dataset, key, n, batch_size)), inception, n, "real")
    mu, cov = M.feature_stats(feats)
    if cache:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tensors = {"features": feats.contiguous(), "mu": torch.from_numpy(mu), "cov": torch.from_numpy(cov)}
            metadata = {"data": spec, "key": key, "n": str(n), "features": FEATURE_TAG}
            atomic_write(path, lambda tmp: save_file(tensors, str(tmp), metadata=metadata))
        except OSError as err:
            log(f"could not write the cache {path}: {err}")
    return RealFeatures(feats, mu, cov, path, False)


def features_of(batches: Iterable[torch.Tensor], inception, total: int, what: str) -> torch.Tensor:
    """Features of image batches, with a progress line."""
    out, done, started = [], 0, time.time()
    for images in batches:
        out.append(inception_features(inception, images))
        done += len(out[-1])
        progress(f"features of {what} images", done, total, started)
    return torch.cat(out)


def fid_metrics(real: RealFeatures, fake: torch.Tensor, *, seed: int = 0, prefix: str = "") -> dict:
    """FID (from real's cached float64 stats), KID and precision/recall of fake features vs real."""
    mu, cov = M.feature_stats(fake)
    out = {f"{prefix}fid": M.frechet_distance(real.mu, real.cov, mu, cov)}
    kid_mean, kid_std = M.kernel_inception_distance(real.features, fake, seed=seed)
    out[f"{prefix}kid_mean"], out[f"{prefix}kid_std"] = kid_mean, kid_std
    if min(len(real), len(fake)) > 3:
        out[f"{prefix}precision"], out[f"{prefix}recall"] = M.precision_recall(real.features, fake, k=3)
    return out
