"""CycleGAN (Zhu et al. 2017): unpaired translation A <-> B with cycle consistency."""

from __future__ import annotations

import torch

from .blocks import PatchGAN, ResnetGenerator, eval_mode, images_in, init_weights
from .hub import GANModel
from .registry import Family, register_family


class CycleGAN(GANModel, tags=["cyclegan", "image-to-image"], paper_url="https://arxiv.org/abs/1703.10593"):
    """``CycleGAN()`` is junyanz's 256 px ResNet-9 generator with the 70x70 PatchGAN (64 features).

    Smaller set-ups by arguments, e.g. ``CycleGAN(image_size=28, channels=1, ngf=16, ndf=16,
    n_blocks=6, n_layers_d=2)``. ``domain_a`` / ``domain_b`` name the two domains for the app.
    """

    family = "cyclegan"
    usage = 'fakes = model.translate(images, direction="a2b")  # images (n, C, H, W) in [0, 1]'

    def __init__(
        self,
        image_size: int = 256,
        channels: int = 3,
        ngf: int = 64,
        ndf: int = 64,
        n_blocks: int = 9,
        n_layers_d: int = 3,
        domain_a: str = "A",
        domain_b: str = "B",
    ):
        super().__init__()
        if image_size % 4:
            raise ValueError(f"image_size must be a multiple of 4 (two down/up-samplings), got {image_size}")
        self.image_size, self.channels = image_size, channels
        self.domain_a, self.domain_b = domain_a, domain_b
        self.generator_ab = ResnetGenerator(channels, channels, ngf, n_blocks)
        self.generator_ba = ResnetGenerator(channels, channels, ngf, n_blocks)
        self.discriminator_a = PatchGAN(channels, ndf, n_layers_d)
        self.discriminator_b = PatchGAN(channels, ndf, n_layers_d)
        init_weights(self)

    data_args = ("image_size", "channels", "domain_a", "domain_b")

    @classmethod
    def data_shape(cls, dataset) -> dict:
        names = getattr(dataset, "domain_names", None) or ("A", "B")
        return {**super().data_shape(dataset), "domain_a": names[0], "domain_b": names[1]}

    def preview_inputs(self, dataset, n, seed):
        """The first (up to) 8 pairs of the training data, in model space [-1, 1]."""
        items = [dataset[i] for i in range(min(8, len(dataset)))]
        return {key: torch.stack([item[key] for item in items]) for key in ("image_a", "image_b")}

    def preview(self, inputs):
        """Rows: A, A->B, A->B->A, B, B->A, B->A->B."""
        a, b = self.to_unit(inputs["image_a"]), self.to_unit(inputs["image_b"])
        fake_b, rec_a = self.round_trip(a, "a2b")
        fake_a, rec_b = self.round_trip(b, "b2a")
        rows = [a, fake_b.cpu(), rec_a.cpu(), b, fake_a.cpu(), rec_b.cpu()]
        return {"kind": "grid", "images": torch.cat(rows), "nrow": len(a)}

    def generator_for(self, direction: str):
        if direction not in ("a2b", "b2a"):
            raise ValueError(f"direction must be 'a2b' or 'b2a', got {direction!r}")
        return self.generator_ab if direction == "a2b" else self.generator_ba

    def export_graphs(self) -> dict:
        """For gan_models.export_onnx: one graph per direction, images in [0, 1] -> images in [0, 1]."""
        example = {"images": torch.rand(2, self.channels, self.image_size, self.image_size, generator=self.seeded(0))}
        def direction(generator):
            return lambda images: self.to_unit(generator(self.from_unit(images)))

        return {d: (direction(self.generator_for(d)), example) for d in ("a2b", "b2a")}

    @torch.no_grad()
    def translate(self, images: torch.Tensor, direction: str = "a2b") -> torch.Tensor:
        """Images (n, C, H, W) in [0, 1] of one domain -> the other domain, in [0, 1]."""
        generator = self.generator_for(direction)
        images = images_in(images, self.channels, self.image_size)
        with eval_mode(generator):
            return self.to_unit(generator(self.from_unit(images.to(self.device))))

    @torch.no_grad()
    def round_trip(self, images: torch.Tensor, direction: str = "a2b") -> tuple[torch.Tensor, torch.Tensor]:
        """(translation, reconstruction): A -> B -> A (or B -> A -> B)."""
        back = "b2a" if direction == "a2b" else "a2b"
        fake = self.translate(images, direction)
        return fake, self.translate(fake, back)


register_family(Family(
    "cyclegan", CycleGAN, title="CycleGAN: translate between two unpaired sets", data=("unpaired",),
    objective="cycle", loss="lsgan", metrics=("translation",), shows=("translate",),
    example={"ngf": 4, "ndf": 4, "n_blocks": 1, "n_layers_d": 1}, example_data="digits:1~7",
))
