"""`gan_train eval`: score a saved model with the metrics its family lists (see `cli` for the command).

    from gan_train.eval import evaluate
    figures, notes = evaluate(gan_models.load("weights/dcgan-mnist"), "mnist", num_samples=2000)

Modules, leaf first: base (errors, defaults), metrics (pure math), extractors (feature networks by
name), inception + inception_onnx (the FID network), features (real-set cache, FID/KID/PR from
features), judges (classifier, age estimator), context (what a metric is given), registry
(``register_metric``, ``evaluate``), one module per metric key (fid, class_accuracy, age_following,
translation, paired, curves), card (--update-card), cli.

Add a metric: a module with ``@register_metric("key", describes=..., applies=...)`` over
``def key(ctx) -> dict``, imported below, and the key in the family's ``metrics``.
Add a feature network (a test's tiny one): ``register_features("tiny", lambda device: Net())``, then
``evaluate(..., features="tiny")`` or ``gan_train eval --features tiny``.
"""

from . import age_following, class_accuracy, curves, fid, paired, translation  # noqa: F401  (register the metrics)
from .base import AGE_IDENTITIES, AGES, DEFAULT_BATCH_SIZE, DEFAULT_NUM_SAMPLES, EvalError
from .context import EvalContext
from .extractors import get_features, list_features, register_features
from .features import RealFeatures, dataset_batches, fid_metrics, real_features
from .inception import (
    FEATURE_TAG,
    InceptionFeatures,
    inception_features,
    inception_path,
    shared_inception,
    to_uint8,
)
from .registry import Metric, descriptions, evaluate, get_metric, list_metrics, register_metric

__all__ = [
    "AGES", "AGE_IDENTITIES", "DEFAULT_BATCH_SIZE", "DEFAULT_NUM_SAMPLES", "FEATURE_TAG", "EvalContext",
    "EvalError", "InceptionFeatures", "Metric", "RealFeatures", "dataset_batches", "descriptions", "evaluate",
    "fid_metrics", "get_features", "get_metric", "inception_features", "inception_path", "list_features",
    "list_metrics", "real_features", "register_features", "register_metric", "shared_inception", "to_uint8",
]
