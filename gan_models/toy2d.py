"""Toy2D: WGAN-GP's toy experiment (Gulrajani et al. 2017): MLPs on 2-D points such as the ring of
eight Gaussians, where mode collapse is visible at a glance.

Also the smallest example of a family: this module and its ``register_family`` call are all it
took to add it (see docs/ADDING_A_FAMILY.md). It trains with the existing "vector" objective.
"""

from __future__ import annotations

import torch
from torch import nn

from .hub import GANModel
from .registry import Family, register_family


def _mlp(inputs: int, hidden: int, layers: int, outputs: int) -> nn.Sequential:
    sizes = [inputs] + [hidden] * layers
    blocks = [m for a, b in zip(sizes, sizes[1:]) for m in (nn.Linear(a, b), nn.ReLU())]
    return nn.Sequential(*blocks, nn.Linear(hidden, outputs))


class Toy2D(GANModel, tags=["toy2d", "wgan-gp", "2d"], paper_url="https://arxiv.org/abs/1704.00028"):
    """``nz`` noise numbers -> a point (x, y). The critic has no normalisation layers, as the
    gradient penalty needs (it penalises each sample's own gradient)."""

    family = "toy2d"
    usage = "points = model.generate(512, seed=0)  # (512, 2)"
    data_args = ()

    def __init__(self, nz: int = 2, hidden: int = 256, layers: int = 3):
        super().__init__()
        self.nz, self.hidden, self.layers = nz, hidden, layers
        self.generator = _mlp(nz, hidden, layers, 2)
        self.discriminator = _mlp(2, hidden, layers, 1)

    @classmethod
    def data_shape(cls, dataset) -> dict:
        if dataset[0].get("point") is None or dataset[0]["point"].numel() != 2:
            raise ValueError("needs 2-D points (e.g. --data ring8)")
        return {}

    def sample_noise(self, n: int, seed: int | None = None) -> torch.Tensor:
        return torch.randn(n, self.nz, generator=self.seeded(seed)).to(self.device)

    @torch.no_grad()
    def generate(self, n: int, seed: int | None = None, noise: torch.Tensor | None = None) -> torch.Tensor:
        noise = self.sample_noise(n, seed) if noise is None else noise.to(self.device)
        return self.generator(noise).float()

    def export_graphs(self) -> dict:
        """For gan_models.export_onnx: noise (n, nz) -> points (n, 2)."""
        return {"generator": (lambda noise: self.generator(noise).float(), {"noise": self.sample_noise(2, 0)})}

    def preview_inputs(self, dataset, n, seed):
        real = torch.stack([dataset[i]["point"] for i in range(min(len(dataset), 256))])
        return {"noise": self.sample_noise(256, seed), "real_points": real}

    def preview(self, inputs):
        noise = inputs["noise"]
        return {"kind": "points", "samples": self.generate(len(noise), noise=noise), "real": inputs["real_points"]}


register_family(Family(
    "toy2d", Toy2D, title="Toy 2-D WGAN-GP: watch the modes of a ring", data=("points",), objective="vector",
    loss="wgan-gp", metrics=("curves",), shows=(), example={"nz": 2, "hidden": 16, "layers": 2}, example_data="ring8",
))
