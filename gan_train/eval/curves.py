"""The "curves" metric of curvegan: on curves-quadratic / curves-sine, the share of generated curves
whose fitted parameter lies in the artist's range and the fit's residual; on ring8, the modes covered
and the share of good samples. The real test set's own figures go into the notes as the ceiling."""

from __future__ import annotations

from . import metrics as M
from .base import EvalError
from .context import EvalContext
from .registry import register_metric

DESCRIBES = {
    "modes_covered": "modes holding >= 1/4 of a fair share of good samples",
    "good_share": "samples within 3 std of a mode",
    "a_in_range_share": "curves whose fitted a (y = a x^2) lies in [1, 2]",
    "amplitude_in_range_share": "curves whose fitted amplitude lies in [0.5, 1.5]",
    "residual": "mean RMS residual of that fit",
}


@register_metric("curves", describes=DESCRIBES)
def curves(ctx: EvalContext) -> dict:
    m, test = ctx.model, ctx.load()
    ctx.need_kind(test, ("curve", "points"))
    samples = m.generate(ctx.n, seed=ctx.seed).cpu()
    width = samples.shape[-1]  # values per sample: 2 for points, the grid size for curves
    if test.kind == "points":
        if width != test[0]["point"].numel():
            raise EvalError(f"the model makes {width}-value samples; {ctx.data!r} has 2-D points")
        out = M.mode_coverage(samples, test.modes, float(test.std))
        reference = M.mode_coverage(test.samples, test.modes, float(test.std))
        ctx.notes.append(f"the real test points give {reference['modes_covered']}/{reference['num_modes']} "
                         f"modes and good_share {reference['good_share']:.3f}.")
    else:
        x_grid = test.x_grid
        if width != x_grid.numel():
            raise EvalError(f"the model paints {width} points per curve; {ctx.data!r} has {x_grid.numel()}")
        family = getattr(test, "family", "quadratic")
        fit = M.quadratic_fit if family == "quadratic" else M.sine_fit
        out = fit(samples, x_grid)
        reference = fit(test.curves, x_grid)
        share = "a_in_range_share" if family == "quadratic" else "amplitude_in_range_share"
        ctx.notes.append(f"the real test curves give {share} {reference[share]:.3f}, "
                         f"residual {reference['residual']:.2g}.")
    return {**out, "num_generated": ctx.n}
