"""pix2pix (Isola et al. 2017): paired translation with a U-Net and a conditional PatchGAN."""

from __future__ import annotations

import math

import torch

from .blocks import PatchGAN, UnetGenerator, eval_mode, images_in, init_weights
from .hub import GANModel


class Pix2Pix(GANModel, tags=["pix2pix", "image-to-image"], paper_url="https://arxiv.org/abs/1611.07004"):
    """``Pix2Pix()`` is the 256 px U-Net-256 + 70x70 PatchGAN of junyanz (batch norm).

    The discriminator sees (input, output) stacked on channels, so it judges whether the output
    fits *this* input. ``image_size`` is a power of two >= 32.
    """

    family = "pix2pix"
    usage = "outputs = model.translate(inputs)  # inputs (n, C_in, H, W) in [0, 1]"

    def __init__(
        self,
        image_size: int = 256,
        in_channels: int = 3,
        out_channels: int = 3,
        ngf: int = 64,
        ndf: int = 64,
        n_layers_d: int = 3,
        domain_a: str = "input",
        domain_b: str = "output",
    ):
        super().__init__()
        num_downs = math.log2(image_size)
        if num_downs != int(num_downs) or image_size < 32:
            raise ValueError(f"image_size must be a power of two >= 32 for the U-Net, got {image_size}")
        self.image_size, self.in_channels, self.out_channels = image_size, in_channels, out_channels
        self.domain_a, self.domain_b = domain_a, domain_b
        self.generator = UnetGenerator(in_channels, out_channels, ngf, int(num_downs))
        self.discriminator = PatchGAN(in_channels + out_channels, ndf, n_layers_d, norm="batch")
        init_weights(self)

    def export_graphs(self) -> dict:
        """For gan_models.export_onnx: input images in [0, 1] (e.g. edges) -> output images in [0, 1]."""
        example = {"images": torch.rand(2, self.in_channels, self.image_size, self.image_size, generator=self.seeded(0))}
        return {"a2b": (lambda images: self.to_unit(self.generator(self.from_unit(images))), example)}

    @torch.no_grad()
    def translate(self, images: torch.Tensor, direction: str = "a2b") -> torch.Tensor:
        if direction != "a2b":
            raise ValueError("pix2pix translates one way only (direction='a2b'); train another model for b2a")
        images = images_in(images, self.in_channels, self.image_size)
        with eval_mode(self.generator):
            return self.to_unit(self.generator(self.from_unit(images.to(self.device))))
