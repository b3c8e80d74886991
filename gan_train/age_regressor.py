"""The age-consistency term's judge: a small CNN that reads a face's age, trained once on the run's
training faces (their estimator ages) and then frozen.

``--age-consistency W`` adds ``W * mse(regressor(fake), asked age)`` to G's loss (both on the
``ConditionalGAN.age_target`` scale). Unlike ``--age-regressor`` (a head on D that learns alongside
the game and starts knowing nothing), this judge is accurate from G's first step, and being frozen
it is not a moving target. It is trained with every age decade equally likely, so the thin young
and old ends are read as well as the crowded twenties.

``--age-judges N`` trains N such judges, seeded 0 .. N-1, and the term reads their mean: a face that
fools one judge seldom fools them all. ``--age-judge-jitter J`` has them read each face under a random
shift, zoom and mirror (`JudgeViews`): G learns to show the age in what such changes keep (hair, skin,
the face's shape) rather than in pixel patterns that only these judges read as an age.

It is a training aid, not part of the saved model. It is cached under
``<data root>/age-regressors/`` (safetensors, keyed by the data, its size, a hash of its ages, the
seed and the settings below), and retrained identically (seeded) where the cache is missing, so a
resumed run gets the same judges.
Evaluation reads ages with the bundled ONNX estimator instead, never with this network.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from .atomic import atomic_write
from .batches import balanced_weights
from .data.paths import data_root

REGRESSOR_TAG = "age-cnn-v3"
EPOCHS, BATCH_SIZE, LR, SEED = 10, 64, 2e-3, 0
READ_SIZE = 32  # px: faces are read at half their 64 px, 4x cheaper, and the age cues survive


class AgeRegressor(nn.Module):
    """Four conv-BN-ReLU-pool blocks and a linear head: images in [-1, 1] (any size, read at READ_SIZE px)
    -> (n, 1) age targets."""

    def __init__(self, channels: int = 3, width: int = 32):
        super().__init__()

        def block(cin, cout):
            return [nn.Conv2d(cin, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(True), nn.MaxPool2d(2)]

        self.features = nn.Sequential(*block(channels, width), *block(width, width * 2), *block(width * 2, width * 4),
                                      *block(width * 4, width * 4), nn.AdaptiveAvgPool2d(1))
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(width * 4, 1))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        if images.shape[-1] != READ_SIZE:
            images = F.interpolate(images, size=(READ_SIZE, READ_SIZE), mode="bilinear", antialias=True, align_corners=False)
        return self.head(self.features(images))


def _tensors(dataset) -> tuple[torch.Tensor, torch.Tensor]:
    items = [dataset[i] for i in range(len(dataset))]
    return torch.stack([it["image"] for it in items]), torch.stack([it["age"] for it in items]).float()


def train_age_regressor(train_set, test_set, target: Callable[[torch.Tensor], torch.Tensor], *,
                        epochs: int = EPOCHS, seed: int = SEED, log: Callable[[str], None] = print) -> tuple[AgeRegressor, float]:
    """Train on `train_set` (balanced by decade, flips as augmentation); return (frozen model, test MAE in years).
    `seed` sets the initialisation and the order of the faces."""
    x, ages = _tensors(train_set)
    y = target(ages)
    g = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    model = AgeRegressor(x.shape[1])
    weights = balanced_weights(train_set)
    per_epoch = math.ceil(len(x) / BATCH_SIZE)
    optimizer = torch.optim.Adam(model.parameters(), lr=LR)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=LR, total_steps=epochs * per_epoch)
    started = time.time()
    model.train()
    for epoch in range(epochs):
        order = torch.multinomial(weights, len(x), replacement=True, generator=g)
        for start in range(0, len(x), BATCH_SIZE):
            idx = order[start : start + BATCH_SIZE]
            images = x[idx]
            flip = torch.rand(len(idx), generator=g) < 0.5
            images = torch.where(flip[:, None, None, None], images.flip(-1), images)
            loss = F.mse_loss(model(images), y[idx])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
        log(f"  age regressor epoch {epoch + 1}/{epochs}: loss {loss.item():.4f} ({time.time() - started:.0f} s)")
    model.eval().requires_grad_(False)
    xt, at = _tensors(test_set)
    with torch.no_grad():
        predicted = torch.cat([model(xt[i : i + 256]) for i in range(0, len(xt), 256)])
    scale = float(target(torch.tensor([1.0])) - target(torch.tensor([0.0])))  # target units per year
    mae = float((predicted - target(at)).abs().mean() / scale)
    return model, mae


class AgeJudges(nn.Module):
    """The mean reading of several frozen regressors (``--age-judges N``). Each was trained with its own seed, so
    each misreads some faces its own way; G must satisfy all of them at once, which leaves it fewer faces that
    fool the term without looking their age."""

    def __init__(self, judges: list[AgeRegressor]):
        super().__init__()
        self.judges = nn.ModuleList(judges)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return torch.stack([judge(images) for judge in self.judges]).mean(0)


class JudgeViews(nn.Module):
    """Judges that read every face under its own random view (``--age-judge-jitter J``): shifted by up to J of
    the half-width in x and y, zoomed in by up to 0.8 J and mirrored half the time (one affine resampling,
    reflected at the borders, differentiable). A frozen judge read as it is can be satisfied by patterns that
    mean nothing to another age reader; a pattern that must work at every offset and scale is far more
    likely to be the age itself (expectation over transformations, as for robust adversarial examples).

    `views` > 1 reads every face through that many independent views (``--age-judge-views K``): the readings
    come back view-major, (views * n, 1), so a loss against the asked ages repeated `views` times charges G for
    every view that misreads its face, not for their average."""

    def __init__(self, judge: nn.Module, jitter: float, views: int = 1):
        super().__init__()
        self.judge = judge
        self.jitter = float(jitter)
        self.views = int(views)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        if self.views > 1:
            images = images.repeat(self.views, 1, 1, 1)
        n, device = images.shape[0], images.device
        scale = 1 - 0.8 * self.jitter * torch.rand(n, device=device)
        mirror = torch.where(torch.rand(n, device=device) < 0.5, -1.0, 1.0)
        shift = (torch.rand(n, 2, device=device) * 2 - 1) * self.jitter
        theta = torch.zeros(n, 2, 3, device=device, dtype=torch.float32)
        theta[:, 0, 0] = scale * mirror
        theta[:, 1, 1] = scale
        theta[:, :, 2] = shift
        grid = F.affine_grid(theta, list(images.shape), align_corners=False)
        return self.judge(F.grid_sample(images.float(), grid, padding_mode="reflection", align_corners=False))


def load_or_train_age_judges(train_set, spec: str, target: Callable[[torch.Tensor], torch.Tensor], count: int = 1, *,
                             log: Callable[[str], None] = print) -> AgeRegressor | AgeJudges:
    """`count` frozen judges for `train_set`, seeded 0, 1, ..; one is returned as it is."""
    judges = [load_or_train_age_regressor(train_set, spec, target, seed=seed, log=log) for seed in range(count)]
    return judges[0] if count == 1 else AgeJudges(judges).eval().requires_grad_(False)


def load_or_train_age_regressor(train_set, spec: str, target: Callable[[torch.Tensor], torch.Tensor], *,
                                seed: int = SEED, log: Callable[[str], None] = print) -> AgeRegressor:
    """The frozen judge for `train_set` (the run's training faces) trained with `seed`: from the cache, or
    trained now."""
    from safetensors.torch import load_file, save_file

    from .data import load_dataset

    size = int(train_set[0]["image"].shape[-1])
    ages = getattr(train_set, "ages", None)
    if ages is None:
        ages = torch.stack([train_set[i]["age"] for i in range(len(train_set))])
    # the ages' bytes are in the key: two builds of the data of one length (another seed or version) get
    # their own judge, never each other's
    ages_hash = hashlib.sha256(ages.to(torch.float32).contiguous().numpy().tobytes()).hexdigest()[:16]
    key = hashlib.sha256(f"{spec}|{len(train_set)}|{size}|{ages_hash}|{REGRESSOR_TAG}|{EPOCHS}|{seed}".encode()).hexdigest()[:12]
    path = data_root() / "age-regressors" / f"{REGRESSOR_TAG}-{size}px-{key}.safetensors"
    model = AgeRegressor(train_set[0]["image"].shape[0])
    if path.is_file():
        try:
            model.load_state_dict(load_file(str(path)))
            return model.eval().requires_grad_(False)
        except Exception as err:  # a broken cache file is retrained, never trusted
            log(f"ignoring unreadable age-regressor cache {path}: {err}")
    test_set = load_dataset(spec, split="test", image_size=size, channels=train_set[0]["image"].shape[0])
    log(f"--age-consistency: training its age regressor (seed {seed}) on {len(train_set)} faces (once; cached in {path.parent})")
    model, mae = train_age_regressor(train_set, test_set, target, seed=seed, log=log)
    log(f"  age regressor: test MAE {mae:.2f} years against the estimator's ages")
    state = {k: v.detach().contiguous() for k, v in model.state_dict().items()}
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, lambda tmp: save_file(state, str(tmp), metadata={"data": spec, "seed": str(seed), "test_mae_years": f"{mae:.3f}"}))
    return model
