"""The metric functions of `gan_train eval`, pure and small: arrays in, numbers out.

Nothing here loads a model, a data set or a network; the rest of `gan_train.eval` does that and calls these.

  feature_stats / frechet_distance      FID from Inception features (float64 throughout)
  kernel_inception_distance             KID: unbiased polynomial-kernel MMD^2 over random subsets
  precision_recall                      Kynkaanniemi et al. 2019 k-NN precision and recall
  mode_coverage                         ring8: modes hit and the share of "good" samples
  quadratic_fit / sine_fit              curves: does each generated curve fit the artist's family?
  age_following                         age models: MAE and per-identity Spearman, asked vs estimated
  classifier_accuracy                   generated (or translated) images vs the class they should be

Why not torchmetrics' FrechetInceptionDistance / KernelInceptionDistance: they keep running sums of
the real images' features inside the metric object, with no way to load the cached real statistics
(`features.py`) that make a second evaluation cost only the generated images; the tests check that
these functions give torchmetrics' numbers on the same features.
"""

from __future__ import annotations

import math

import numpy as np
import torch

# -- FID ---------------------------------------------------------------------------------------


def feature_stats(features) -> tuple[np.ndarray, np.ndarray]:
    """(n, d) features -> (mean (d,), covariance (d, d)), float64, covariance with n - 1."""
    f = _as_float64(features)
    if f.ndim != 2 or f.shape[0] < 2:
        raise ValueError(f"need (n, d) features with n >= 2, got shape {f.shape}")
    return f.mean(axis=0), np.cov(f, rowvar=False)


def frechet_distance(mu1, sigma1, mu2, sigma2) -> float:
    """||mu1 - mu2||^2 + Tr(S1 + S2 - 2 (S1 S2)^(1/2)): the Frechet distance of two Gaussians, float64.

    Tr (S1 S2)^(1/2) is computed as Tr (R S2 R)^(1/2) with R = S1^(1/2), from two symmetric
    eigendecompositions: the same value as scipy's sqrtm route (pytorch-fid, TTUR) but about twice as
    fast at 2048 dimensions and steady when the covariances are singular (fewer samples than dimensions).
    """
    mu1, mu2 = _as_float64(mu1).reshape(-1), _as_float64(mu2).reshape(-1)
    sigma1, sigma2 = np.atleast_2d(_as_float64(sigma1)), np.atleast_2d(_as_float64(sigma2))
    if mu1.shape != mu2.shape or sigma1.shape != sigma2.shape or sigma1.shape != (mu1.size, mu1.size):
        raise ValueError(f"shapes differ: mu {mu1.shape} / {mu2.shape}, sigma {sigma1.shape} / {sigma2.shape}")
    diff = mu1 - mu2
    w, v = np.linalg.eigh((sigma1 + sigma1.T) / 2)
    root = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    middle = root @ sigma2 @ root
    trace_sqrt = np.sqrt(np.clip(np.linalg.eigvalsh((middle + middle.T) / 2), 0, None)).sum()
    value = diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2.0 * trace_sqrt
    return float(max(value, 0.0))  # rounding can give -1e-10 for identical sets


# -- KID ---------------------------------------------------------------------------------------


def kernel_inception_distance(
    real, fake, *, subsets: int = 100, subset_size: int = 1000, degree: int = 3,
    gamma: float | None = None, coef: float = 1.0, seed: int = 0,
) -> tuple[float, float]:
    """(mean, std) over `subsets` random subsets of the unbiased MMD^2 with the kernel
    k(x, y) = (gamma x.y + coef)^degree, gamma = 1 / d: Binkowski et al. 2018, as torchmetrics and
    torch-fidelity compute it. subset_size is cut to the smaller set when a set is smaller.
    """
    # Gram matrices in float32 (the cost), kernels and sums in float64 (the precision KID needs).
    x, y = torch.from_numpy(_as_float64(real)).float(), torch.from_numpy(_as_float64(fake)).float()
    if x.ndim != 2 or y.ndim != 2 or x.shape[1] != y.shape[1]:
        raise ValueError(f"need (n, d) and (m, d) features, got {tuple(x.shape)} and {tuple(y.shape)}")
    m = min(subset_size, x.shape[0], y.shape[0])
    if m < 2:
        raise ValueError("KID needs at least 2 samples in each set")
    gamma = 1.0 / x.shape[1] if gamma is None else gamma
    if m == x.shape[0] == y.shape[0]:
        subsets = 1  # every "subset" is the whole of both sets: one score, and its spread is exactly 0
    g = torch.Generator().manual_seed(seed)
    scores = []
    for _ in range(subsets):
        a = x[torch.randperm(x.shape[0], generator=g)[:m]]
        b = y[torch.randperm(y.shape[0], generator=g)[:m]]
        k_aa = ((a @ a.T).double() * gamma + coef) ** degree
        k_bb = ((b @ b.T).double() * gamma + coef) ** degree
        k_ab = ((a @ b.T).double() * gamma + coef) ** degree
        within = (k_aa.sum() - k_aa.diagonal().sum() + k_bb.sum() - k_bb.diagonal().sum()) / (m * (m - 1))
        scores.append(float(within - 2 * k_ab.sum() / m**2))
    scores_np = np.asarray(scores)
    return float(scores_np.mean()), float(scores_np.std())


# -- precision / recall ------------------------------------------------------------------------


def precision_recall(real, fake, *, k: int = 3, chunk: int = 1024) -> tuple[float, float]:
    """Improved precision and recall (Kynkaanniemi et al. 2019) on features.

    Each real sample gets a ball reaching its k-th nearest real neighbour; precision is the share
    of fake samples inside some real ball (fakes look real), recall the share of real samples
    inside some fake ball (built the same way from the fakes: the reals are covered).
    """
    x = torch.from_numpy(_as_float64(real)).float()
    y = torch.from_numpy(_as_float64(fake)).float()
    if min(len(x), len(y)) <= k:
        raise ValueError(f"precision/recall with k={k} needs more than {k} samples in each set")
    return _covered_share(y, x, k, chunk), _covered_share(x, y, k, chunk)


def _kth_neighbour_radius(points: torch.Tensor, k: int, chunk: int) -> torch.Tensor:
    radii = []
    for start in range(0, len(points), chunk):
        d = torch.cdist(points[start : start + chunk], points)
        radii.append(d.kthvalue(k + 1, dim=1).values)  # +1: the point itself is at distance 0
    return torch.cat(radii)


def _covered_share(queries: torch.Tensor, support: torch.Tensor, k: int, chunk: int) -> float:
    radii = _kth_neighbour_radius(support, k, chunk)
    inside = 0
    for start in range(0, len(queries), chunk):
        d = torch.cdist(queries[start : start + chunk], support)
        inside += int((d <= radii[None, :]).any(dim=1).sum())
    return inside / len(queries)


# -- 2-D points and curves ---------------------------------------------------------------------


def mode_coverage(samples, modes, std: float, *, radius_stds: float = 3.0, min_share: float | None = None) -> dict:
    """How many Gaussian modes generated points cover, and how many points are "good".

    A sample is good if it lies within `radius_stds` std of its nearest mode. A mode is covered
    if at least `min_share` of all samples are good samples of that mode; the default is a quarter
    of a fair share, 0.25 / num_modes (3.1% for ring8).
    Returns {"modes_covered", "num_modes", "good_share", "mode_shares" (per mode)}.
    """
    s = torch.as_tensor(np.asarray(samples), dtype=torch.float64)
    m = torch.as_tensor(np.asarray(modes), dtype=torch.float64)
    if s.ndim != 2 or m.ndim != 2 or s.shape[1] != m.shape[1] or len(s) == 0:
        raise ValueError(f"need samples (n, d) and modes (k, d), got {tuple(s.shape)} and {tuple(m.shape)}")
    min_share = 0.25 / len(m) if min_share is None else min_share
    distance, nearest = torch.cdist(s, m).min(dim=1)
    good = distance <= radius_stds * std
    counts = torch.bincount(nearest[good], minlength=len(m)).double()
    shares = counts / len(s)
    return {
        "modes_covered": int((shares >= min_share).sum()),
        "num_modes": len(m),
        "good_share": float(good.double().mean()),
        "mode_shares": [round(float(v), 6) for v in shares],
    }


def quadratic_fit(curves, x_grid, a_range: tuple[float, float] = (1.0, 2.0)) -> dict:
    """Least-squares a of y = a x^2 for each curve (y values on x_grid).

    Returns {"a_in_range_share": share with a in a_range, "a_mean", "a_std",
    "residual": mean over curves of the RMS residual of that fit}.
    """
    y, x = _curves(curves, x_grid)
    basis = x**2
    a = (y @ basis) / (basis @ basis)
    residual = np.sqrt(((y - a[:, None] * basis[None, :]) ** 2).mean(axis=1))
    lo, hi = a_range
    return {
        "a_in_range_share": float(((a >= lo - _TOL) & (a <= hi + _TOL)).mean()),
        "a_mean": float(a.mean()),
        "a_std": float(a.std()),
        "residual": float(residual.mean()),
    }


def sine_fit(curves, x_grid, amplitude_range: tuple[float, float] = (0.5, 1.5)) -> dict:
    """Least squares of y = A sin(pi x + phi) (linear in b1 sin(pi x) + b2 cos(pi x)), per curve.

    Returns {"amplitude_in_range_share", "amplitude_mean", "residual" (mean RMS residual)}.
    """
    y, x = _curves(curves, x_grid)
    basis = np.stack([np.sin(math.pi * x), np.cos(math.pi * x)], axis=1)  # (points, 2)
    coef, *_ = np.linalg.lstsq(basis, y.T, rcond=None)  # (2, n)
    amplitude = np.sqrt((coef**2).sum(axis=0))
    residual = np.sqrt(((y - (basis @ coef).T) ** 2).mean(axis=1))
    lo, hi = amplitude_range
    return {
        "amplitude_in_range_share": float(((amplitude >= lo - _TOL) & (amplitude <= hi + _TOL)).mean()),
        "amplitude_mean": float(amplitude.mean()),
        "residual": float(residual.mean()),
    }


_TOL = 1e-5  # float32 curves: a fit of exactly 2.0 may come out as 2.0000002


def _curves(curves, x_grid) -> tuple[np.ndarray, np.ndarray]:
    y, x = _as_float64(curves), _as_float64(x_grid).reshape(-1)
    if y.ndim != 2 or y.shape[1] != x.size:
        raise ValueError(f"curves must be (n, {x.size}) to match x_grid, got {y.shape}")
    return y, x


# -- age and class -----------------------------------------------------------------------------


def age_following(asked, estimated) -> dict:
    """Asked vs estimated ages, both (identities, ages): each row one identity's young -> old strip.

    Returns {"age_mae": mean |estimated - asked|, "age_bias": mean (estimated - asked),
    "age_spearman": mean over identities of Spearman's rho along the strip (rows with a constant
    estimate have no rho and are left out), "age_spearman_undefined": how many were left out,
    "age_estimated_by_asked": {asked age: mean estimate}}.
    """
    from scipy.stats import spearmanr

    asked, estimated = _as_float64(asked), _as_float64(estimated)
    if asked.shape != estimated.shape or asked.ndim != 2 or asked.shape[1] < 2:
        raise ValueError(f"need two (identities, ages >= 2) arrays of one shape, got {asked.shape} and {estimated.shape}")
    rhos = []
    for a_row, e_row in zip(asked, estimated):
        if np.ptp(e_row) == 0 or np.ptp(a_row) == 0:
            continue
        rhos.append(float(spearmanr(a_row, e_row)[0]))
    by_age = {}
    for value in np.unique(asked):
        by_age[f"{value:g}"] = float(estimated[asked == value].mean())
    return {
        "age_mae": float(np.abs(estimated - asked).mean()),
        "age_bias": float((estimated - asked).mean()),
        "age_spearman": float(np.mean(rhos)) if rhos else float("nan"),
        "age_spearman_undefined": len(asked) - len(rhos),
        "age_estimated_by_asked": by_age,
    }


def identity_retrieval(features) -> dict:
    """Does a face stay the same person as its age changes? ``features`` (identities, ages, d): each
    identity's young -> old strip, one feature vector per face.

    For each face but the last of its strip, find the nearest face (cosine) among *all* identities'
    faces at the next age: "age_identity_top1" is the share that find their own identity
    (1 / identities by chance, 1 when every step keeps the person recognisable);
    "age_identity_chance" is that chance level.
    """
    f = _as_float64(features)
    if f.ndim != 3 or f.shape[0] < 2 or f.shape[1] < 2:
        raise ValueError(f"need (identities >= 2, ages >= 2, features) features, got shape {f.shape}")
    f = f / np.maximum(np.linalg.norm(f, axis=2, keepdims=True), 1e-12)
    own = np.arange(f.shape[0])
    hits = [np.argmax(f[:, j] @ f[:, j + 1].T, axis=1) == own for j in range(f.shape[1] - 1)]
    return {"age_identity_top1": float(np.mean(hits)), "age_identity_chance": 1.0 / f.shape[0]}


@torch.no_grad()
def classifier_accuracy(classifier, images: torch.Tensor, labels, *, batch_size: int = 256,
                        num_classes: int | None = None) -> dict:
    """Share of images the classifier puts in the class they should be in.

    classifier: images (batch, C, H, W) -> logits (batch, classes); images as the classifier takes
    them; labels (n,) the asked / target classes. Returns {"accuracy", "per_class" (list, by class;
    None for a class with no images)}.
    """
    labels = torch.as_tensor(labels).long().reshape(-1).cpu()
    if len(labels) != len(images):
        raise ValueError(f"{len(images)} images but {len(labels)} labels")
    predicted = []
    device = _module_device(classifier)
    for start in range(0, len(images), batch_size):
        batch = images[start : start + batch_size]
        batch = batch.to(device) if device is not None else batch
        predicted.append(classifier(batch).argmax(dim=1).cpu())
    predicted_t = torch.cat(predicted) if predicted else torch.zeros(0, dtype=torch.long)
    hit = (predicted_t == labels).double()
    if num_classes is None:
        num_classes = int(labels.max()) + 1 if len(labels) else 0
    k = num_classes
    per_class = [float(hit[labels == c].mean()) if (labels == c).any() else None for c in range(k)]
    return {"accuracy": float(hit.mean()) if len(hit) else float("nan"), "per_class": per_class}


def _module_device(module):
    try:
        return next(module.parameters()).device
    except (AttributeError, StopIteration):
        return None


def _as_float64(values) -> np.ndarray:
    if isinstance(values, torch.Tensor):
        values = values.detach().cpu().double().numpy()
    return np.asarray(values, dtype=np.float64)
