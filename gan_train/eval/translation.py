"""The "translation" metric of unpaired translators (cyclegan), in both directions A->B and B->A:
the share the judge puts in the target domain (the classifier for labelled class pairs; for
faces:young~old the share estimated older / younger and the mean age shift), cycle L1, and FID
against the real test images of the target domain."""

from __future__ import annotations

import time

import torch

from ..data import get_source
from . import judges
from .base import AGE_CAVEAT, progress
from .context import EvalContext
from .features import dataset_batches, domain_sizes, fid_metrics
from .inception import inception_features
from .registry import register_metric

DESCRIBES = {
    "classifier_test_accuracy": "the judging classifier's own accuracy on the real test set",
    "classifier_real_a_share": "real test A images the classifier puts in class A (the ceiling)",
    "classifier_real_b_share": "real test B images the classifier puts in class B (the ceiling)",
    "a2b_target_share": "A->B translations the classifier puts in class B",
    "b2a_target_share": "B->A translations the classifier puts in class A",
    "a2b_target_share_2way": "A->B translations closer to class B than to class A (the two classes only)",
    "b2a_target_share_2way": "B->A translations closer to class A than to class B (the two classes only)",
    "a2b_older_share": "A->B (young->old) translations estimated older than their input",
    "b2a_younger_share": "B->A (old->young) translations estimated younger than their input",
    "a2b_age_shift": "mean estimated age change A->B, years",
    "b2a_age_shift": "mean estimated age change B->A, years",
    "cycle_l1_a": "mean |A - A->B->A| in [0, 1] pixel units",
    "cycle_l1_b": "mean |B - B->A->B| in [0, 1] pixel units",
    "a2b_fid": "FID of A->B translations vs real test B images",
    "b2a_fid": "FID of B->A translations vs real test A images",
    "a2b_kid_mean": "KID of A->B translations vs real test B images",
    "b2a_kid_mean": "KID of B->A translations vs real test A images",
}


def translation_judge(ctx: EvalContext, dataset, figures: dict):
    """("class", classifier, (index A, index B)) for labelled class pairs, ("age", estimator, None)
    for faces:young~old, or (None, None, None)."""
    source, names = get_source(ctx.data), getattr(dataset, "domain_names", None)
    if source.judge == "class" and source.judge_data and names:  # the labelled set the two classes come from
        classifier, own, classes = judges.load_or_train_classifier(source.judge_data, ctx.model.channels,
                                                                   device=ctx.device, log=ctx.log)
        if all(n in classes for n in names):
            figures["classifier_test_accuracy"] = own
            return "class", classifier, (classes.index(names[0]), classes.index(names[1]))
    if source.judge == "age":
        return "age", judges.age_estimator(), None
    ctx.notes.append(f"no judge for the domains of {ctx.data!r}: translation accuracy is not measured.")
    return None, None, None


@register_metric("translation", describes=DESCRIBES, uses_features=True)
def translation(ctx: EvalContext) -> dict:
    m, out = ctx.model, {}
    test = ctx.load(image_size=m.image_size, channels=m.channels)
    ctx.need_kind(test, ("unpaired",))
    ctx.check_image_size(test, "image_a")
    judge, scorer, targets = translation_judge(ctx, test, out)
    sizes = domain_sizes(test)
    for src, dst, direction in (("a", "b", "a2b"), ("b", "a", "b2a")):
        n = min(ctx.n, sizes[0 if src == "a" else 1])
        real_target = ctx.real(test, f"image_{dst}", min(ctx.n, sizes[0 if dst == "a" else 1])) if ctx.fid else None
        feats, hits, pair_hits, real_hits, shifts, cycle = [], [], [], [], [], []
        started, done = time.time(), 0
        for batch in dataset_batches(test, f"image_{src}", n, ctx.batch_size):
            x = batch[f"image_{src}"]
            fake, back = (t.cpu() for t in m.round_trip(x, direction))
            cycle.append((back - x).abs().flatten(1).mean(1))
            if ctx.fid:
                feats.append(inception_features(ctx.extractor, fake))
            if judge == "class":
                with torch.no_grad():
                    logits = scorer(fake.to(ctx.device)).cpu()
                    own = scorer(x.to(ctx.device)).argmax(1).cpu()
                target = targets[1 if dst == "b" else 0]
                hits.append((logits.argmax(1) == target).double())
                pair = torch.tensor(targets)  # the two domains' classes only: which of the two is it?
                pair_hits.append((pair[logits[:, pair].argmax(1)] == target).double())
                real_hits.append((own == targets[0 if src == "a" else 1]).double())
            elif judge == "age":
                shifts.append(scorer.predict(fake) - scorer.predict(x))
            done += len(x)
            progress(f"{direction} translations", done, n, started)
        out[f"cycle_l1_{src}"] = float(torch.cat(cycle).mean())
        if judge == "class":
            out[f"{direction}_target_share"] = float(torch.cat(hits).mean())
            out[f"{direction}_target_share_2way"] = float(torch.cat(pair_hits).mean())
            out[f"classifier_real_{src}_share"] = float(torch.cat(real_hits).mean())
        elif judge == "age":
            shift, older = torch.cat(shifts).double(), direction == "a2b"
            out[f"{direction}_{'older' if older else 'younger'}_share"] = float(
                (shift > 0).double().mean() if older else (shift < 0).double().mean())
            out[f"{direction}_age_shift"] = float(shift.mean())
        if ctx.fid:
            out.update(fid_metrics(real_target, torch.cat(feats), seed=ctx.seed, prefix=f"{direction}_"))
        out[f"num_{direction}"] = n
    names = getattr(test, "domain_names", ("A", "B"))
    ctx.notes.append(f"A = {names[0]}, B = {names[1]} (as {ctx.data!r} names them).")
    if (m.domain_a, m.domain_b) not in (("A", "B"), tuple(names)):
        ctx.notes.append(f"the model's own domain names are {m.domain_a} -> {m.domain_b}: check the direction.")
    if judge == "age":
        ctx.notes.append(AGE_CAVEAT)
    return out
