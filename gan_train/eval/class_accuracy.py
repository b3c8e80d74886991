"""The "class_accuracy" metric of class-conditional models: the judging CNN, trained on the real
training set, reads the generated images (an equal count of each class, the noise of the "fid" metric)."""

from __future__ import annotations

import time

import torch

from . import judges
from .base import progress
from .context import EvalContext
from .registry import register_metric

DESCRIBES = {
    "class_accuracy": "generated images the classifier puts in the asked class",
    "classifier_test_accuracy": "the judging classifier's own accuracy on the real test set",
}


@register_metric("class_accuracy", describes=DESCRIBES, applies=lambda ctx: ctx.condition == "class")
def class_accuracy(ctx: EvalContext) -> dict:
    labels = ctx.balanced_labels(ctx.image_test_set())
    classifier, own_accuracy, _ = judges.load_or_train_classifier(ctx.data, ctx.model.channels,
                                                                  device=ctx.device, log=ctx.log)
    predicted, started, done = [], time.time(), 0
    for images in ctx.generator_batches(len(labels), label=labels):
        with torch.no_grad():
            predicted.append(classifier(images.to(ctx.device)).argmax(1).cpu())
        done += len(images)
        progress("classified generated images", done, len(labels), started)
    hit = (torch.cat(predicted) == labels).double()
    per_class = [float(hit[labels == c].mean()) for c in range(ctx.model.num_classes)]
    return {"classifier_test_accuracy": own_accuracy, "class_accuracy": float(hit.mean()),
            "class_accuracy_per_class": per_class}
