"""pix2pix: a conditional PatchGAN on (input, output) pairs plus L1 to the target."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .base import Objective, Part


class Pix2PixObjective(Objective):
    """Isola et al.: conditional PatchGAN on (input, output) pairs + lambda_l1 * L1 to the target."""

    def make_parts(self):
        m = self.model
        return (Part(lambda n, a: n["generator"](a), generator=m.generator),
                Part(lambda n, a, b: n["discriminator"](torch.cat([a, b], 1)), discriminator=m.discriminator))

    def d_loss(self, batch, cache):
        a, b = batch["image_a"], batch["image_b"]
        with torch.no_grad():
            fake = self.g(a)
        real_logits, fake_logits = self.d(a, b), self.d(a, fake)
        loss = 0.5 * self.loss.d(real_logits, fake_logits)
        return loss, {"d_real": self.loss.probability(real_logits), "d_fake": self.loss.probability(fake_logits)}

    def g_loss(self, batch, cache):
        a, b = batch["image_a"], batch["image_b"]
        fake = self.g(a)
        fake_logits = self.d_raw(a, fake)
        l1 = F.l1_loss(fake, b)
        return self.loss.g(fake_logits) + self.config.lambda_l1 * l1, {"l1": l1.detach(),
                                                                        "d_fake_g": self.loss.probability(fake_logits)}
