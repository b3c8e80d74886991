"""Metrics by key, and the run loop.

A model family's record (``gan_models.get_family(model.family).metrics``) lists metric keys; each key is
registered here by the module that computes it:

    @register_metric("class_accuracy", describes={...}, applies=lambda ctx: ctx.model.condition == "class")
    def class_accuracy(ctx: EvalContext) -> dict: ...

`evaluate()` runs the family's metrics that apply, in the family's order, and merges their figures.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from .base import DEFAULT_BATCH_SIZE, DEFAULT_NUM_SAMPLES, EvalError
from .context import EvalContext


@dataclass(frozen=True)
class Metric:
    name: str
    run: Callable[[EvalContext], dict]
    describes: dict[str, str] = field(default_factory=dict)  # figure key -> one line for the table
    applies: Callable[[EvalContext], bool] = lambda ctx: True
    uses_features: bool = False  # runs the feature network (Inception) unless --no-fid


_METRICS: dict[str, Metric] = {}


def register_metric(name: str, *, describes: dict[str, str] | None = None,
                    applies: Callable[[EvalContext], bool] | None = None, uses_features: bool = False):
    """Decorator: register `run(ctx) -> dict of figures` as the metric `name`.

    describes: the figures it reports and what they mean; applies(ctx): whether it fits this model and
    data (a cgan lists "class_accuracy" and "age_following"; only one applies to a given model);
    uses_features: it runs the feature network, which the CLI then checks before generating anything.
    """

    def add(run: Callable[[EvalContext], dict]) -> Callable[[EvalContext], dict]:
        _METRICS[name] = Metric(name, run, dict(describes or {}), applies or (lambda ctx: True), uses_features)
        return run

    return add


def list_metrics() -> list[str]:
    return sorted(_METRICS)


def get_metric(name: str) -> Metric:
    if name not in _METRICS:
        raise EvalError(f"no metric is registered as {name!r} (known: {', '.join(list_metrics())})")
    return _METRICS[name]


def descriptions() -> dict[str, str]:
    """Every figure any registered metric reports -> its one-line description."""
    out: dict[str, str] = {}
    for metric in _METRICS.values():
        out.update(metric.describes)
    return out


def family_metrics(family: str) -> list[Metric]:
    """The registered metrics a model family's record lists, in its order."""
    import gan_models

    try:
        keys = gan_models.get_family(family).metrics
    except LookupError as err:
        raise EvalError(f"no metrics for model family {family!r}: {err}") from err
    return [get_metric(key) for key in keys]


def evaluate(model, data: str, *, num_samples: int = DEFAULT_NUM_SAMPLES, batch_size: int = DEFAULT_BATCH_SIZE,
             seed: int = 0, device: str = "cpu", fid: bool = True, features: str = "inception",
             log: Callable[[str], None] = lambda s: None) -> tuple[dict, list[str]]:
    """Score a loaded gan_models model on a data source with its family's metrics; (figures, notes).

    num_samples: generated samples (and the most real test images compared with them); fid=False skips
    the feature-network figures (FID, KID, precision/recall); features names the feature network.
    """
    metrics = family_metrics(model.family)
    ctx = EvalContext(model.to(device).eval(), data, num_samples=num_samples, batch_size=batch_size,
                      seed=seed, device=device, fid=fid, features=features, log=log)
    figures: dict = {}
    for metric in metrics:
        if metric.applies(ctx):
            started = time.time()
            figures.update(metric.run(ctx))
            log(f"{metric.name}: {time.time() - started:.1f} s")
    return figures, ctx.notes
