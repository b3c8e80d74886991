"""The tutorials' painter and critic on 1-D curves, or on 2-D points (the ring of Gaussians)."""

from __future__ import annotations

import torch

from .base import Objective, Part


class VectorObjective(Objective):
    """The tutorials' painter and critic on 1-D curves (or 2-D points for the ring of Gaussians)."""

    def make_parts(self):
        m = self.model
        return (Part(lambda n, z: n["generator"](z), generator=m.generator),
                Part(lambda n, x: n["discriminator"](x).squeeze(1), discriminator=m.discriminator))

    def noise(self, n, device):
        return torch.randn(n, self.model.noise_size, device=device)

    def real(self, batch):
        return batch["curve"] if "curve" in batch else batch["point"]
