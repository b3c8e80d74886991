"""Adversarial losses, all computed from D's logits (never from sigmoid outputs, which lose
precision under autocast), plus the penalties that go with them.

``d(real_logits, fake_logits)`` is what D minimises, ``g(fake_logits)`` what G minimises.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

LOSSES = ("minimax", "nonsaturating", "lsgan", "hinge", "wgan-gp", "relativistic")


def _bce(logits: torch.Tensor, target: float) -> torch.Tensor:
    return F.binary_cross_entropy_with_logits(logits.float(), torch.full_like(logits.float(), target))


class AdversarialLoss:
    """One of :data:`LOSSES`.

    - ``minimax``: the tutorials' and Goodfellow et al.'s game; G minimises log(1 - D(G(z))),
      which saturates when D wins early (the tutorials' CurveGAN still learns).
    - ``nonsaturating``: G maximises log D(G(z)) instead: same fixed point, stronger early gradients.
    - ``lsgan``: least squares (Mao et al.), CycleGAN's choice.
    - ``hinge``: Lim & Ye / SAGAN.
    - ``wgan-gp``: Wasserstein critic with gradient penalty (Gulrajani et al.); the trainer adds
      the penalty.
    - ``relativistic``: the paired relativistic loss (RpGAN, Jolicoeur-Martineau 2019) of R3GAN
      (Huang et al. 2024): D wants real scored above fake, G the reverse. With ``--r1-weight`` and
      ``--r2-weight`` it is R3GAN's regularised objective. G's loss needs D's logits on real data.
    """

    def __init__(self, name: str):
        if name not in LOSSES:
            raise ValueError(f"unknown loss {name!r}; choose one of {', '.join(LOSSES)}")
        self.name = name

    def d(self, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        real, fake = real.float(), fake.float()
        if self.name in ("minimax", "nonsaturating"):
            return _bce(real, 1.0) + _bce(fake, 0.0)
        if self.name == "lsgan":
            return 0.5 * (((real - 1) ** 2).mean() + (fake**2).mean())
        if self.name == "hinge":
            return F.relu(1 - real).mean() + F.relu(1 + fake).mean()
        if self.name == "relativistic":
            return F.softplus(fake - real).mean()  # -log sigmoid(real - fake)
        return fake.mean() - real.mean()  # wgan-gp

    @property
    def needs_real_in_g(self) -> bool:
        return self.name == "relativistic"

    def g(self, fake: torch.Tensor, real: torch.Tensor | None = None) -> torch.Tensor:
        fake = fake.float()
        if self.name == "relativistic":
            if real is None:
                raise ValueError("the relativistic loss needs D's logits on real data for G's loss")
            return F.softplus(real.float() - fake).mean()
        if self.name == "minimax":
            return -_bce(fake, 0.0)  # = mean log(1 - D(G(z)))
        if self.name == "nonsaturating":
            return _bce(fake, 1.0)
        if self.name == "lsgan":
            return ((fake - 1) ** 2).mean()
        return -fake.mean()  # hinge and wgan-gp

    @staticmethod
    def probability(logits: torch.Tensor) -> torch.Tensor:
        """Mean of D's probability "real" (sigmoid of the logits), for logging."""
        return torch.sigmoid(logits.detach().float()).mean()


def gradient_penalty(critic, real: torch.Tensor, fake: torch.Tensor, *extra) -> torch.Tensor:
    """WGAN-GP: (||grad critic(x_hat)|| - 1)^2 on random interpolates of real and fake."""
    alpha = torch.rand(real.shape[0], *([1] * (real.dim() - 1)), device=real.device, dtype=real.dtype)
    mixed = (alpha * real.detach() + (1 - alpha) * fake.detach()).requires_grad_(True)
    out = critic(mixed, *extra)
    (grad,) = torch.autograd.grad(out.float().sum(), mixed, create_graph=True)
    return ((grad.flatten(1).norm(dim=1) - 1) ** 2).mean()


def r1_penalty(critic, real: torch.Tensor, *extra) -> torch.Tensor:
    """R1 (Mescheder et al. 2018): 0.5 * ||grad D(real)||^2, keeps D smooth on the data.
    Called on fakes it is R2 (R3GAN penalises both)."""
    real = real.detach().requires_grad_(True)
    out = critic(real, *extra)
    (grad,) = torch.autograd.grad(out.float().sum(), real, create_graph=True)
    return 0.5 * grad.flatten(1).pow(2).sum(1).mean()


def top_k(fake: torch.Tensor, real: torch.Tensor | None, share: float) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Top-k training (Sinha et al. 2020): keep the ceil(share * n) fake logits D rates most real, so G
    learns from its better samples and is not pulled about by the worst. Real logits (the relativistic
    loss pairs each fake with one) keep as many, in their own random order."""
    k = max(1, math.ceil(share * fake.shape[0]))
    kept = fake.flatten().topk(k).values
    return kept, None if real is None else real.flatten()[:k]
