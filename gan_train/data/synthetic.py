"""Generated data sets, fixed by a seed: 1-D curves (the tutorials' "artist works") and the 8-Gaussian ring.

  curves-quadratic  y = a * x^2,                a ~ U[1, 2]
  curves-sine       y = A * sin(pi * x + phi),  A ~ U[0.5, 1.5], phi ~ U[0, 2*pi)
  ring8             8 Gaussians (std 0.02) centred on a circle of radius 2: a classic mode-collapse test

x is the grid linspace(-1, 1, points). Train sets use seed 0, test sets seed 1 (unless a seed is given),
so the two never share samples; the same seed always gives the same set. Options after a colon change
the set: curves-sine:points=30,n=500,seed=2 (ring8 takes n and seed). Source records at the end.
"""

from __future__ import annotations

import math

import torch

from .base import DataError, GANDataset
from .registry import Source, register

TRAIN_SIZE, TEST_SIZE = 10_000, 2_000
DEFAULT_POINTS = 15
RING_MODES, RING_RADIUS, RING_STD = 8, 2.0, 0.02


def _generator(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


class CurveDataset(GANDataset):
    """Items {"curve": float32 (points,)}; `.x_grid` (points,) and `.params` (the drawn coefficients)."""

    def __init__(
        self,
        family: str,
        *,
        points: int = DEFAULT_POINTS,
        size: int = TRAIN_SIZE,
        seed: int = 0,
        limit=None,
        spec="",
    ):
        super().__init__(kind="curve", spec=spec)
        if points < 2:
            raise ValueError("a curve needs at least 2 points")
        self.family = family
        self.x_grid = torch.linspace(-1.0, 1.0, points)
        g = _generator(seed)
        if family == "quadratic":
            a = 1.0 + torch.rand(size, 1, generator=g)
            self.params = a  # (N, 1): a
            self.curves = a * self.x_grid.pow(2)
        elif family == "sine":
            amplitude = 0.5 + torch.rand(size, 1, generator=g)
            phase = 2.0 * math.pi * torch.rand(size, 1, generator=g)
            self.params = torch.cat([amplitude, phase], dim=1)  # (N, 2): A, phi
            self.curves = amplitude * torch.sin(math.pi * self.x_grid + phase)
        else:
            raise ValueError(f"unknown curve family {family!r} (quadratic, sine)")
        # The whole set is drawn, then cut: the first items must not depend on `limit`.
        self.params, self.curves = self.params[:limit], self.curves[:limit]

    @property
    def points(self) -> int:
        return self.x_grid.numel()

    def __len__(self) -> int:
        return self.curves.shape[0]

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        return {"curve": self.curves[self._check_index(index)]}


class RingDataset(GANDataset):
    """Items {"point": float32 (2,)}; `.modes` (8, 2) centres, `.std`, `.radius`, `.samples` (N, 2) and
    `.mode_of` (N,): which mode each sample was drawn from."""

    def __init__(
        self,
        *,
        modes: int = RING_MODES,
        radius: float = RING_RADIUS,
        std: float = RING_STD,
        size: int = TRAIN_SIZE,
        seed: int = 0,
        limit: int | None = None,
        spec: str = "",
    ):
        super().__init__(kind="points", spec=spec)
        angles = 2.0 * math.pi * torch.arange(modes, dtype=torch.float32) / modes
        self.modes = radius * torch.stack([torch.cos(angles), torch.sin(angles)], dim=1)
        self.radius, self.std = radius, std
        g = _generator(seed)
        mode_of = torch.randint(modes, (size,), generator=g)
        samples = self.modes[mode_of] + std * torch.randn(size, 2, generator=g)
        # Drawn whole, then cut (see CurveDataset).
        self.mode_of, self.samples = mode_of[:limit], samples[:limit]

    def __len__(self) -> int:
        return self.samples.shape[0]

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        return {"point": self.samples[self._check_index(index)]}


def parse_options(spec: str, text: str | None, allowed: set[str]) -> dict[str, int]:
    """Parse options such as "points=30,seed=2" into {"points": 30, "seed": 2}."""
    options = {}
    for part in filter(None, (text or "").split(",")):
        key, sep, value = part.partition("=")
        key = key.strip()
        if not sep or key not in allowed or not value.strip().lstrip("-").isdigit():
            raise DataError(
                f"{spec!r}: options are KEY=INT separated by commas, keys {', '.join(sorted(allowed))}"
            )
        options[key] = int(value)
    return options


def _size_and_seed(options: dict[str, int], split: str, spec: str) -> tuple[int, int]:
    size = options.get("n", TRAIN_SIZE if split == "train" else TEST_SIZE)
    if size < 1:
        raise DataError(f"{spec!r}: n must be at least 1")
    return size, options.get("seed", 0) + (0 if split == "train" else 1)


def _curves(family: str, arg: str | None, *, split: str, limit, spec: str, **_) -> CurveDataset:
    options = parse_options(spec, arg, {"points", "n", "seed"})
    size, seed = _size_and_seed(options, split, spec)
    points = options.get("points", DEFAULT_POINTS)
    if points < 2:
        raise DataError(f"{spec!r}: points must be at least 2")
    return CurveDataset(family, points=points, size=size, seed=seed, limit=limit, spec=spec)


def _ring(arg: str | None, *, split: str, limit, spec: str, **_) -> RingDataset:
    size, seed = _size_and_seed(parse_options(spec, arg, {"n", "seed"}), split, spec)
    return RingDataset(size=size, seed=seed, limit=limit, spec=spec)


register(Source(
    "curves-quadratic", "curves y = a*x^2, a ~ U[1,2], x = linspace(-1,1,15); options :points=N,n=N,seed=N",
    "curve", lambda arg, **load: _curves("quadratic", arg, **load), example="curves-quadratic", argument="optional",
))
register(Source(
    "curves-sine", "curves y = A*sin(pi*x + phi), A ~ U[0.5,1.5], phi ~ U[0,2pi); options :points=N,n=N,seed=N",
    "curve", lambda arg, **load: _curves("sine", arg, **load), example="curves-sine", argument="optional",
    suggested=True,
))
register(Source(
    "ring8", "2-D points, 8 Gaussians (std 0.02) on a circle of radius 2, a mode-collapse test; options :n=N,seed=N",
    "points", _ring, example="ring8", argument="optional", suggested=True,
))
