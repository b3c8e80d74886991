"""Feature networks for FID / KID / precision-recall, by name: "inception" (the default), or one a test
or a user registers (``register_features("tiny", lambda device: TinyNet())``; ``evaluate(..., features="tiny")``,
``gan_train eval --features tiny``).

An extractor module takes uint8 images (n, 1 or 3, H, W) or [0, 1] floats and returns (n, d) features.
Its ``feature_tag`` (or class name and ``num_features``) names the real-set caches its features go in,
so two networks never share a cache.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from torch import nn

from .base import EvalError


@dataclass(frozen=True)
class FeatureExtractor:
    name: str
    make: Callable[[str], nn.Module]  # device ("cpu", "cuda") -> the module, shared or new
    check: Callable[[], object] | None = None  # raises EvalError if it cannot run; called before generating


_EXTRACTORS: dict[str, FeatureExtractor] = {}


def register_features(name: str, make: Callable[[str], nn.Module], *,
                      check: Callable[[], object] | None = None) -> FeatureExtractor:
    """Add (or replace) a feature network under `name`."""
    _EXTRACTORS[name] = FeatureExtractor(name, make, check)
    return _EXTRACTORS[name]


def get_features(name: str) -> FeatureExtractor:
    if name not in _EXTRACTORS:
        raise EvalError(f"unknown feature network {name!r} (known: {', '.join(list_features())})")
    return _EXTRACTORS[name]


def list_features() -> list[str]:
    return sorted(_EXTRACTORS)
