"""CurveGAN: the tutorials' "paint like the artist" GAN on 1-D curves.

The artist paints curves sampled at ``points`` fixed x positions in [-1, 1] (a*x^2 with
a ~ U[1, 2], or sine waves). G turns ``n_ideas`` random numbers into such a painting; D says how
likely a painting is the artist's. Both are two-layer MLPs, exactly the tutorials' networks
(D returns a logit; the tutorials' sigmoid is applied inside the loss, which is numerically safer).
"""

from __future__ import annotations

import torch
from torch import nn

from .hub import GANModel
from .registry import Family, register_family


class CurveGAN(GANModel, tags=["curvegan", "1d"]):
    family = "curvegan"
    usage = "curves = model.generate(64, seed=0)  # (64, points): y values on model.x_grid"

    def __init__(self, n_ideas: int = 5, points: int = 15, hidden: int = 128):
        super().__init__()
        self.n_ideas, self.points, self.hidden = n_ideas, points, hidden
        self.generator = nn.Sequential(nn.Linear(n_ideas, hidden), nn.ReLU(), nn.Linear(hidden, points))
        self.discriminator = nn.Sequential(nn.Linear(points, hidden), nn.ReLU(), nn.Linear(hidden, 1))
        self.register_buffer("x_grid", torch.linspace(-1, 1, points), persistent=False)

    data_args = ("points",)

    @property
    def noise_size(self) -> int:
        return self.n_ideas

    @classmethod
    def data_shape(cls, dataset) -> dict:
        item = dataset[0]
        return {"points": int((item["curve"] if "curve" in item else item["point"]).numel())}

    def preview_inputs(self, dataset, n, seed):
        """Noise, and up to 256 real curves (or points) to draw underneath."""
        key = "curve" if dataset.kind == "curve" else "point"
        real = torch.stack([dataset[i][key] for i in range(min(len(dataset), 256))])
        return {"noise": self.sample_noise(256 if key == "point" else n, seed), f"real_{key}s": real}

    def preview(self, inputs):
        samples = self.generate(len(inputs["noise"]), noise=inputs["noise"])
        if "real_points" in inputs:  # 2-D points (the ring of Gaussians): a scatter plot
            return {"kind": "points", "samples": samples, "real": inputs["real_points"]}
        return {"kind": "curves", "samples": samples, "x": self.x_grid, "real": inputs.get("real_curves")}

    def sample_noise(self, n: int, seed: int | None = None) -> torch.Tensor:
        return torch.randn(n, self.n_ideas, generator=self.seeded(seed)).to(self.device)

    def export_graphs(self) -> dict:
        """For gan_models.export_onnx: noise (n, n_ideas) -> curves (n, points)."""
        return {"generator": (lambda noise: self.generator(noise).float(), {"noise": self.sample_noise(2, 0)})}

    @torch.no_grad()
    def generate(self, n: int, seed: int | None = None, noise: torch.Tensor | None = None) -> torch.Tensor:
        """(n, points) curve values on ``x_grid`` (not images, so not squashed to [0, 1])."""
        noise = self.sample_noise(n, seed) if noise is None else noise.to(self.device)
        return self.generator(noise).float()

    def discriminate(self, curves: torch.Tensor) -> torch.Tensor:
        """One logit per curve; sigmoid of it is D's probability that the artist painted it."""
        return self.discriminator(curves).squeeze(1)


register_family(Family(
    "curvegan", CurveGAN, title="CurveGAN: paint like the artist (1-D curves, 2-D points)", data=("curve", "points"),
    objective="vector", loss="minimax", metrics=("curves",), shows=("curve",),
    example={"n_ideas": 5, "hidden": 16}, example_data="curves-sine",
))
