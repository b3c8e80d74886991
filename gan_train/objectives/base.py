"""The objective base: ``Part`` (the sub-networks one optimizer trains) and ``Objective``, which
is also the unconditional image GAN's objective (DCGAN).

Each objective names two *parts*: the sub-networks the G optimizer trains and those the D
optimizer trains. A part is one ``nn.Module`` with a ``forward``, so Accelerate can wrap it for
DDP. In the D step G runs without gradients; in the G step D runs unwrapped with frozen weights
(nothing of D is updated, so nothing needs to be synchronised), which is what lets alternating
updates run under DDP without ``find_unused_parameters``.
"""

from __future__ import annotations

import torch
from torch import nn

import gan_models

from ..config import TrainConfig
from ..losses import AdversarialLoss, gradient_penalty, r1_penalty, top_k


class Part(nn.Module):
    """The sub-networks one optimizer trains, grouped so Accelerate can wrap them as one module."""

    def __init__(self, forward, **modules: nn.Module):
        super().__init__()
        self.nets = nn.ModuleDict(modules)
        self._forward = forward

    def forward(self, *args, **kwargs):
        return self._forward(self.nets, *args, **kwargs)


class Objective:
    """Base: the unconditional image GAN (DCGAN). Subclasses override what differs."""

    has_discriminator = True
    order = ("d", "g")  # CycleGAN updates G first, as in its reference code

    def __init__(self, model: gan_models.GANModel, config: TrainConfig, dataset=None):
        self.model, self.config, self.dataset = model, config, dataset
        default = gan_models.get_family(model.family).loss
        self.loss = AdversarialLoss(config.loss or default) if self.has_discriminator else None
        self.g_part, self.d_part = self.make_parts()
        self.g, self.d = self.g_part, self.d_part  # replaced by the Accelerate-wrapped modules

    @classmethod
    def implied_arch(cls, config: TrainConfig) -> dict:
        """Architecture settings that this objective's run settings need (e.g. an extra head on D)."""
        return {}

    # -- parts ---------------------------------------------------------------------------
    def make_parts(self) -> tuple[Part, Part | None]:
        m = self.model
        return Part(lambda n, z: n["generator"](z), generator=m.generator), Part(
            lambda n, x: n["discriminator"](x), discriminator=m.discriminator
        )

    @property
    def d_raw(self) -> Part:
        """D without its DDP wrapper, for the G step."""
        return self.d_part

    def noise(self, n: int, device) -> torch.Tensor:
        return torch.randn(n, self.model.noise_size, 1, 1, device=device)

    def real(self, batch) -> torch.Tensor:
        return batch["image"]

    # -- the two steps -------------------------------------------------------------------
    def d_loss(self, batch: dict, cache: dict) -> tuple[torch.Tensor, dict]:
        real = self.real(batch)
        with torch.no_grad():
            fake = self.g(self.noise(real.shape[0], real.device))
        real_logits, fake_logits = self.d(real), self.d(fake)
        loss = self.loss.d(real_logits, fake_logits) + self.penalties(self.d, real, fake)
        return loss, {"d_real": self.loss.probability(real_logits), "d_fake": self.loss.probability(fake_logits)}

    def g_loss(self, batch: dict, cache: dict) -> tuple[torch.Tensor, dict]:
        real = self.real(batch)
        fake_logits = self.d_raw(self.g(self.noise(real.shape[0], real.device)))
        real_logits = self.d_raw(real).detach() if self.loss.needs_real_in_g else None
        stats = {"d_fake_g": self.loss.probability(fake_logits)}
        if self.config.top_k < 1:
            fake_logits, real_logits = top_k(fake_logits, real_logits, self.config.top_k)
        return self.loss.g(fake_logits, real_logits), stats

    def penalties(self, critic, real, fake, *extra) -> torch.Tensor:
        total = torch.zeros((), device=real.device)
        if self.loss.name == "wgan-gp":
            total = total + self.config.gp_weight * gradient_penalty(critic, real, fake, *extra)
        if self.config.r1_weight:
            total = total + self.config.r1_weight * r1_penalty(critic, real, *extra)
        if self.config.r2_weight:
            total = total + self.config.r2_weight * r1_penalty(critic, fake, *extra)
        return total

    def prepare(self) -> None:
        """Build what only training needs, once (e.g. frozen judges). The trainer calls it before every step,
        outside mixed precision; exporting or sampling a run never does."""

    def ema_modules(self) -> nn.Module:
        return self.g_part
