"""The "age_following" metric of age-conditional models: 200 identities, each generated at ages
10, 20, .., 80 from one noise vector; the bundled estimator reads every face."""

from __future__ import annotations

import torch

from . import judges
from . import metrics as M
from .base import AGE_CAVEAT, AGE_IDENTITIES, AGES
from .context import EvalContext
from .inception import inception_features
from .registry import register_metric

DESCRIBES = {
    "age_mae": "mean |estimated - asked| age, years",
    "age_bias": "mean (estimated - asked) age, years",
    "age_spearman": "mean Spearman rho along each identity's young -> old strip",
    "age_luminance_shift": "mean brightness (0-1) at the oldest asked age minus at the youngest: ageing that is "
                           "more than darkening keeps this near 0",
    "age_identity_top1": "share of faces whose nearest face (Inception features) one age step on is the same "
                         "identity's, among all identities (identity kept; chance 1/identities; not with --no-fid)",
}


def age_strips(model, estimator, *, identities: int = AGE_IDENTITIES, ages=AGES, batch_size: int = 50,
               seed: int = 0, features=None) -> dict:
    """MAE, bias and per-identity Spearman of `estimator.predict(images)` against the ages asked;
    with `features` (images -> (n, d)), also how well each strip keeps its identity."""
    asked = torch.tensor(ages).repeat(identities)
    z = model.sample_noise(identities, seed).repeat_interleave(len(ages), 0)
    estimated, feats, luma = [], [], []
    for start in range(0, len(z), batch_size):
        images = model.generate(len(z[start : start + batch_size]), noise=z[start : start + batch_size],
                                age=asked[start : start + batch_size])
        estimated.append(estimator.predict(images.cpu()))
        luma.append(images.cpu().mean(dim=(1, 2, 3)))
        if features is not None:
            feats.append(features(images))
    result = M.age_following(asked.view(identities, -1).numpy(), torch.cat(estimated).view(identities, -1).numpy())
    luma = torch.cat(luma).view(identities, len(ages))
    result["age_luminance_shift"] = float((luma[:, -1] - luma[:, 0]).mean())
    if features is not None:
        result.update(M.identity_retrieval(torch.cat(feats).view(identities, len(ages), -1).numpy()))
    return {**result, "age_identities": identities, "ages_asked": list(ages)}


@register_metric("age_following", describes=DESCRIBES, applies=lambda ctx: ctx.condition == "age", uses_features=True)
def age_following(ctx: EvalContext) -> dict:
    features = (lambda images: inception_features(ctx.extractor, images)) if ctx.fid else None
    result = age_strips(ctx.model, judges.age_estimator(), batch_size=ctx.batch_size, seed=ctx.seed, features=features)
    ctx.notes.append(AGE_CAVEAT)
    return result
