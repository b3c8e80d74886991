"""StackGAN: stage I and stage II trained together, each with its own discriminator."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .base import Part
from .conditional import ConditionalObjective


class StackObjective(ConditionalObjective):
    """Stage I then stage II, every step. Stage II refines a *detached* stage-I image, so each
    stage learns its own job (StackGAN trains stage II on a fixed stage I)."""

    def make_parts(self):
        m = self.model

        def generate(n, noise, labels):
            z, eps = noise[:, : m.nz], noise[:, m.nz:]
            c, mu, logvar = n["conditioning"](labels, eps)
            low = n["generator_1"](torch.cat([z, c], 1)[:, :, None, None])
            high = n["generator_2"](low.detach(), c)
            return low, high, mu, logvar

        def discriminate(n, low, high, labels):
            return n["discriminator_1"](low, labels), n["discriminator_2"](high, labels)

        return (Part(generate, conditioning=m.conditioning, generator_1=m.generator_1, generator_2=m.generator_2),
                Part(discriminate, discriminator_1=m.discriminator_1, discriminator_2=m.discriminator_2))

    def noise(self, n, device):
        return torch.randn(n, self.model.noise_size, device=device)

    def d_loss(self, batch, cache):
        real, labels = batch["image"], batch["label"]
        real_low = F.interpolate(real, size=self.model.low_size, mode="area")
        with torch.no_grad():
            fake_low, fake_high, _, _ = self.g(self.noise(real.shape[0], real.device), labels)
        r1, r2 = self.d(real_low, real, labels)
        f1, f2 = self.d(fake_low, fake_high, labels)
        loss = self.loss.d(r1, f1) + self.loss.d(r2, f2)
        return loss, {"d_real": self.loss.probability(r2), "d_fake": self.loss.probability(f2),
                      "d1_real": self.loss.probability(r1), "d1_fake": self.loss.probability(f1)}

    def g_loss(self, batch, cache):
        labels = batch["label"]
        low, high, mu, logvar = self.g(self.noise(labels.shape[0], labels.device), labels)
        f1, f2 = self.d_raw(low, high, labels)
        kl = -0.5 * torch.mean(1 + logvar - mu.pow(2) - logvar.exp())
        loss = self.loss.g(f1) + self.loss.g(f2) + self.config.kl_weight * kl
        return loss, {"d_fake_g": self.loss.probability(f2), "kl": kl.detach()}
