"""The VAE's ELBO: no discriminator, one optimizer for encoder and decoder."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .base import Objective, Part


class VAEObjective(Objective):
    """The ELBO: Gaussian reconstruction error (summed over pixels) + KL to N(0, I). No D."""

    has_discriminator = False

    def make_parts(self):
        m = self.model
        return Part(lambda n, x: m(x), encoder=m.encoder, decoder=m.decoder), None

    def g_loss(self, batch, cache):
        x = batch["image"]
        rec, mu, logvar = self.g(x)
        recon = F.mse_loss(rec.float(), x.float(), reduction="sum") / x.shape[0]
        kl = -0.5 * torch.sum(1 + logvar.float() - mu.float().pow(2) - logvar.float().exp()) / x.shape[0]
        return recon + self.config.kl_weight * kl, {"recon": recon.detach(), "kl": kl.detach()}

    def ema_modules(self):
        return Part(lambda n: None, decoder=self.model.decoder)
