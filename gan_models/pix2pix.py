"""pix2pix (Isola et al. 2017): paired translation with a U-Net and a conditional PatchGAN."""

from __future__ import annotations

import math

import torch

from .blocks import PatchGAN, UnetGenerator, eval_mode, images_in, init_weights
from .hub import GANModel
from .registry import Family, register_family


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

    data_args = ("image_size", "in_channels", "out_channels", "domain_a", "domain_b")

    @classmethod
    def data_shape(cls, dataset) -> dict:
        item = dataset[0]
        names = getattr(dataset, "domain_names", None) or ("input", "output")
        return {"image_size": int(item["image_b"].shape[-1]), "in_channels": int(item["image_a"].shape[0]),
                "out_channels": int(item["image_b"].shape[0]), "domain_a": names[0], "domain_b": names[1]}

    def preview_inputs(self, dataset, n, seed):
        """The first (up to) 8 pairs of the training data, in model space [-1, 1]."""
        items = [dataset[i] for i in range(min(8, len(dataset)))]
        return {key: torch.stack([item[key] for item in items]) for key in ("image_a", "image_b")}

    def preview(self, inputs):
        """Rows: input, output, target (grey inputs shown as RGB when the output is RGB)."""
        a, b = self.to_unit(inputs["image_a"]), self.to_unit(inputs["image_b"])
        fake = self.translate(a).cpu()
        return {"kind": "grid", "images": torch.cat([a.expand(-1, b.shape[1], -1, -1), fake, b]), "nrow": len(a)}

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


register_family(Family(
    "pix2pix", Pix2Pix, title="pix2pix: paired translation (edges -> picture)", data=("paired",),
    objective="pix2pix", loss="nonsaturating", metrics=("paired",), shows=("translate",),
    example={"ngf": 4, "ndf": 4, "n_layers_d": 1}, example_data="edges:digits",
))
