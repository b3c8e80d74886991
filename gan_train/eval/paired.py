"""The "paired" metric of paired translators (pix2pix): L1 to the target, FID against the targets."""

from __future__ import annotations

import time

import torch

from .base import progress
from .context import EvalContext
from .features import dataset_batches, fid_metrics
from .inception import inception_features
from .registry import register_metric

DESCRIBES = {"l1": "mean |output - target| in [0, 1] pixel units"}


@register_metric("paired", describes=DESCRIBES, uses_features=True)
def paired(ctx: EvalContext) -> dict:
    m = ctx.model
    test = ctx.load(image_size=m.image_size, channels=m.out_channels)
    ctx.need_kind(test, ("paired",))
    ctx.check_image_size(test, "image_b")
    n = min(ctx.n, len(test))
    real = ctx.real(test, "image_b", n) if ctx.fid else None
    feats, l1, started, done = [], [], time.time(), 0
    for batch in dataset_batches(test, "image_a", n, ctx.batch_size):
        a, b = batch["image_a"], batch["image_b"]
        if a.shape[1] != m.in_channels:
            a = a.mean(1, keepdim=True).expand(-1, m.in_channels, -1, -1)
        fake = m.translate(a).cpu()
        l1.append((fake - b).abs().flatten(1).mean(1))
        if ctx.fid:
            feats.append(inception_features(ctx.extractor, fake))
        done += len(a)
        progress("translations", done, n, started)
    out = {"l1": float(torch.cat(l1).mean())}
    if ctx.fid:
        out.update(fid_metrics(real, torch.cat(feats), seed=ctx.seed))
    out["num_generated"] = n
    return out
