"""The "fid" metric: FID, KID and precision/recall of generated images vs the real test images.

Class models make an equal count of every class; age models make faces at the test set's ages (or at
10..80 in turn when the data has no ages).
"""

from __future__ import annotations

import time

import torch

from .base import AGES, progress
from .context import EvalContext
from .features import fid_metrics
from .inception import inception_features
from .registry import register_metric

DESCRIBES = {
    "fid": "Frechet Inception Distance (lower is better)",
    "kid_mean": "Kernel Inception Distance, mean over subsets (lower is better)",
    "kid_std": "KID standard deviation over subsets",
    "precision": "share of generated samples inside the real manifold (k=3)",
    "recall": "share of real samples inside the generated manifold (k=3)",
}


def test_ages(ctx: EvalContext, test) -> torch.Tensor:
    """num_samples ages: the test set's in its order (repeated), or 10..80 in turn when it has none."""
    if test.condition == "age":
        ages = getattr(test, "ages", None)
        if ages is None:
            ages = torch.stack([test[i]["age"] for i in range(len(test))])
        ctx.notes.append("FID: generated at the test set's ages (in its order), against the test faces.")
    else:
        ages = torch.tensor(AGES)
        ctx.notes.append(f"FID: {ctx.data!r} has no ages; generated at ages 10..80 in turn.")
    ages = torch.as_tensor(ages, dtype=torch.float32).reshape(-1)
    return ages[torch.arange(ctx.n) % len(ages)]


@register_metric("fid", describes=DESCRIBES, applies=lambda ctx: ctx.fid, uses_features=True)
def fid(ctx: EvalContext) -> dict:
    test = ctx.image_test_set()
    cond = {}
    if ctx.condition == "class":
        cond["label"] = ctx.balanced_labels(test)
    elif ctx.condition == "age":
        cond["age"] = test_ages(ctx, test)
    n = len(next(iter(cond.values()))) if cond else ctx.n
    real = ctx.real(test, "image", min(n, len(test)))
    feats, started, done = [], time.time(), 0
    for images in ctx.generator_batches(n, **cond):
        feats.append(inception_features(ctx.extractor, images))
        done += len(images)
        progress("generated images", done, n, started)
    out = fid_metrics(real, torch.cat(feats), seed=ctx.seed)
    out.update(num_generated=n, num_real=len(real))
    if len(real) < n:
        ctx.notes.append(f"the test set has {len(real)} images, fewer than the {n} generated: "
                         "FID is biased upwards at small counts; compare FIDs only at equal counts.")
    return out
