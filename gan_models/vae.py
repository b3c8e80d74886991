"""VAE (Kingma & Welling 2014) with DCGAN-shaped encoder and decoder: the non-adversarial baseline.

Same decoder as the DCGAN generator, so samples and FIDs compare like with like. Trained on the
ELBO (Gaussian reconstruction + KL), it covers all the data but blurs; a GAN is sharp but may drop
modes. The app and docs/RESULTS.md show both side by side.
"""

from __future__ import annotations

import torch
from torch import nn

from .blocks import dcgan_encoder, dcgan_generator, eval_mode, images_in, init_weights
from .hub import GANModel
from .registry import Family, register_family


class VAEEncoder(nn.Module):
    def __init__(self, image_size: int, channels: int, nf: int, latent_dim: int):
        super().__init__()
        self.main, width, base = dcgan_encoder(image_size, channels, nf)
        self.head = nn.Conv2d(width, latent_dim * 2, base, 1, 0)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mu, logvar = self.head(self.main(x)).flatten(1).chunk(2, dim=1)
        return mu, logvar.clamp(-30, 20)


class VAE(GANModel, tags=["vae"], paper_url="https://arxiv.org/abs/1312.6114"):
    family = "vae"

    def __init__(self, image_size: int = 64, channels: int = 3, latent_dim: int = 100, nf: int = 64):
        super().__init__()
        self.image_size, self.channels, self.latent_dim = image_size, channels, latent_dim
        self.encoder = VAEEncoder(image_size, channels, nf, latent_dim)
        self.decoder = dcgan_generator(latent_dim, image_size, channels, nf)
        init_weights(self)

    @property
    def noise_size(self) -> int:
        return self.latent_dim

    def sample_noise(self, n: int, seed: int | None = None) -> torch.Tensor:
        return torch.randn(n, self.latent_dim, generator=self.seeded(seed)).to(self.device)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z[:, :, None, None])

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """x in [-1, 1] -> (reconstruction in [-1, 1], mu, logvar), reparameterised."""
        mu, logvar = self.encoder(x)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        return self.decode(z), mu, logvar

    def export_graphs(self) -> dict:
        """For gan_models.export_onnx: the decoder, latent noise -> images."""
        return {"decoder": (lambda noise: self.to_unit(self.decode(noise)), {"noise": self.sample_noise(2, 0)})}

    @torch.no_grad()
    def generate(self, n: int, seed: int | None = None, noise: torch.Tensor | None = None) -> torch.Tensor:
        noise = self.sample_noise(n, seed) if noise is None else noise.to(self.device)
        with eval_mode(self.decoder):
            return self.to_unit(self.decode(noise))

    @torch.no_grad()
    def reconstruct(self, images: torch.Tensor) -> torch.Tensor:
        """Images in [0, 1] -> their reconstructions through the posterior mean, in [0, 1]."""
        images = images_in(images, self.channels, self.image_size)
        with eval_mode(self.encoder, self.decoder):
            mu, _ = self.encoder(self.from_unit(images.to(self.device)))
            return self.to_unit(self.decode(mu))


register_family(Family(
    "vae", VAE, title="VAE: the non-adversarial baseline", data=("image",), objective="vae", loss=None,
    metrics=("fid",), shows=("sample",), example={"latent_dim": 8, "nf": 8}, example_data="digits",
))
