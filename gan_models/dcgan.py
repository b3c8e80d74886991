"""DCGAN (Radford et al. 2016): transposed-convolution generator, strided-convolution critic."""

from __future__ import annotations

import torch

from .blocks import DCGANDiscriminator, dcgan_generator, eval_mode, init_weights
from .hub import GANModel
from .registry import Family, register_family


class DCGAN(GANModel, tags=["dcgan"], paper_url="https://arxiv.org/abs/1511.06434"):
    """``DCGAN()`` is the 64 px RGB reference of pytorch/examples (nz=100, ngf=ndf=64).

    ``image_size`` may be 28, 32, 64, 128 or 256; ``channels`` 1 or 3. ``spectral_norm`` puts
    spectral normalisation on D's convolutions (and drops D's BatchNorm).
    """

    family = "dcgan"

    def __init__(self, image_size: int = 64, channels: int = 3, nz: int = 100, ngf: int = 64, ndf: int = 64,
                 spectral_norm: bool = False):
        super().__init__()
        self.image_size, self.channels, self.nz = image_size, channels, nz
        self.generator = dcgan_generator(nz, image_size, channels, ngf)
        self.discriminator = DCGANDiscriminator(image_size, channels, ndf, spectral_norm=spectral_norm)
        init_weights(self)

    def sample_noise(self, n: int, seed: int | None = None) -> torch.Tensor:
        return torch.randn(n, self.nz, 1, 1, generator=self.seeded(seed)).to(self.device)

    def forward(self, noise: torch.Tensor) -> torch.Tensor:
        """Noise (n, nz, 1, 1) -> images in [-1, 1] (training space)."""
        return self.generator(noise)

    def export_graphs(self) -> dict:
        """For gan_models.export_onnx: name -> (function of the inputs, example inputs)."""
        return {"generator": (lambda noise: self.to_unit(self.generator(noise)), {"noise": self.sample_noise(2, 0)})}

    @torch.no_grad()
    def generate(self, n: int, seed: int | None = None, noise: torch.Tensor | None = None) -> torch.Tensor:
        noise = self.sample_noise(n, seed) if noise is None else noise.to(self.device)
        with eval_mode(self.generator):
            return self.to_unit(self.generator(noise))


register_family(Family(
    "dcgan", DCGAN, title="DCGAN: images from noise", data=("image",), objective="image", loss="nonsaturating",
    metrics=("fid",), shows=("sample",), example={"nz": 8, "ngf": 8, "ndf": 8}, example_data="digits",
))
