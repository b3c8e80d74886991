"""StackGAN-style two-stage GAN (Zhang et al. 2017), conditioned on class labels.

Stage I draws a rough low-resolution image from noise and the condition; stage II reads that
image and the condition again and paints it at 4x the resolution, fixing details stage I missed.
As in StackGAN, the condition goes through Conditioning Augmentation: the embedding gives a
Gaussian (mu, sigma) and G sees a sample from it, which smooths the condition space (a KL term
keeps it near N(0, I)). Class labels stand in for StackGAN's text embeddings.
"""

from __future__ import annotations

import torch
from torch import nn

from .blocks import ClassEmbedding, DCGANDiscriminator, dcgan_generator, eval_mode, init_weights
from .hub import GANModel
from .registry import Family, register_family

STACKGAN_SIZES = (32, 64, 128, 256)


class ConditioningAugmentation(nn.Module):
    """label -> (c, mu, logvar) with c ~ N(mu, exp(logvar))."""

    def __init__(self, num_classes: int, cond_dim: int):
        super().__init__()
        self.embedding = ClassEmbedding(num_classes, cond_dim * 2)
        self.cond_dim = cond_dim

    def forward(self, labels: torch.Tensor, eps: torch.Tensor | None = None):
        mu, logvar = self.embedding(labels).chunk(2, dim=1)
        eps = torch.randn_like(mu) if eps is None else eps
        return mu + eps * torch.exp(0.5 * logvar), mu, logvar


class StageTwoGenerator(nn.Module):
    """Low-res image + condition -> image at 4x the resolution (encode, join, residuals, upsample x3)."""

    def __init__(self, channels: int, cond_dim: int, ngf: int, n_res: int = 2):
        super().__init__()
        def conv_bn_relu(cin, cout, stride=1):
            k = 4 if stride == 2 else 3
            return [nn.Conv2d(cin, cout, k, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(True)]

        self.encode = nn.Sequential(nn.Conv2d(channels, ngf, 3, 1, 1), nn.ReLU(True), *conv_bn_relu(ngf, ngf * 2, 2))
        self.join = nn.Sequential(*conv_bn_relu(ngf * 2 + cond_dim, ngf * 2))
        self.residual = nn.ModuleList(nn.Sequential(*conv_bn_relu(ngf * 2, ngf * 2), nn.Conv2d(ngf * 2, ngf * 2, 3, 1, 1, bias=False),
                                                    nn.BatchNorm2d(ngf * 2)) for _ in range(n_res))
        up: list[nn.Module] = []
        width = ngf * 2
        for _ in range(3):  # r/2 -> 4r
            up += [nn.Upsample(scale_factor=2, mode="nearest"), *conv_bn_relu(width, max(width // 2, ngf // 2))]
            width = max(width // 2, ngf // 2)
        self.upsample = nn.Sequential(*up, nn.Conv2d(width, channels, 3, 1, 1), nn.Tanh())

    def forward(self, low_res: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        h = self.encode(low_res)
        h = self.join(torch.cat([h, c[:, :, None, None].expand(-1, -1, *h.shape[-2:])], 1))
        for block in self.residual:
            h = torch.relu(h + block(h))
        return self.upsample(h)


class StackGAN(GANModel, tags=["stackgan", "conditional"], paper_url="https://arxiv.org/abs/1612.03242"):
    """Stage I at ``image_size // 4`` px, stage II at ``image_size`` px (32, 64, 128 or 256)."""

    family = "stackgan"
    usage = "images = model.generate(10, seed=0, label=list(range(10)))  # stage II; stage=1 for stage I"

    def __init__(
        self,
        image_size: int = 64,
        channels: int = 3,
        nz: int = 100,
        num_classes: int = 10,
        cond_dim: int = 64,
        ngf: int = 64,
        ndf: int = 64,
        class_names: list[str] | None = None,
    ):
        super().__init__()
        if image_size not in STACKGAN_SIZES:
            raise ValueError(f"image_size must be one of {STACKGAN_SIZES}, got {image_size}")
        self.image_size, self.channels, self.nz, self.num_classes = image_size, channels, nz, num_classes
        self.condition, self.class_names = "class", class_names
        self.low_size = image_size // 4
        self.conditioning = ConditioningAugmentation(num_classes, cond_dim)
        self.generator_1 = dcgan_generator(nz + cond_dim, self.low_size, channels, ngf)
        self.generator_2 = StageTwoGenerator(channels, cond_dim, ngf)
        self.discriminator_1 = DCGANDiscriminator(self.low_size, channels, ndf)
        self.discriminator_1.embedding = ClassEmbedding(num_classes, self.discriminator_1.feature_width)
        self.discriminator_2 = DCGANDiscriminator(image_size, channels, ndf)
        self.discriminator_2.embedding = ClassEmbedding(num_classes, self.discriminator_2.feature_width)
        init_weights(self)

    data_args = ("image_size", "channels", "num_classes", "class_names")

    @classmethod
    def data_shape(cls, dataset) -> dict:
        if getattr(dataset, "condition", None) != "class":
            raise ValueError("needs data with class labels (e.g. --data fashion-mnist --image-size 32)")
        names = list(dataset.class_names) if getattr(dataset, "class_names", None) else None
        return {**super().data_shape(dataset), "num_classes": dataset.num_classes, "class_names": names}

    @property
    def noise_size(self) -> int:
        return self.nz + self.conditioning.cond_dim

    def preview_inputs(self, dataset, n, seed):
        return {"noise": self.sample_noise(n, seed), "label": torch.arange(n) % self.num_classes}

    def preview(self, inputs):
        noise, labels = inputs["noise"], inputs["label"]
        return {"kind": "grid", "images": self.generate(len(noise), noise=noise, label=labels), "nrow": self.num_classes}

    def sample_noise(self, n: int, seed: int | None = None) -> torch.Tensor:
        """Noise for z and for Conditioning Augmentation's eps, drawn together: (n, nz + cond_dim)."""
        return torch.randn(n, self.nz + self.conditioning.cond_dim, generator=self.seeded(seed)).to(self.device)

    def forward(self, noise: torch.Tensor, labels: torch.Tensor):
        """-> (stage I image, stage II image, mu, logvar), images in [-1, 1]."""
        z, eps = noise[:, : self.nz], noise[:, self.nz :]
        c, mu, logvar = self.conditioning(labels.to(noise.device), eps)
        low = self.generator_1(torch.cat([z, c], 1)[:, :, None, None])
        high = self.generator_2(low, c)
        return low, high, mu, logvar

    def export_graphs(self) -> dict:
        """For gan_models.export_onnx: (noise (n, nz + cond_dim), labels) -> (stage I, stage II) images."""
        def both(noise, labels):
            low, high, _, _ = self(noise, labels)
            return self.to_unit(low), self.to_unit(high)

        return {"generator": (both, {"noise": self.sample_noise(2, 0), "labels": torch.arange(2) % self.num_classes})}

    @torch.no_grad()
    def generate(self, n: int, seed: int | None = None, noise=None, label=None, stage: int = 2) -> torch.Tensor:
        if stage not in (1, 2):
            raise ValueError(f"stage must be 1 or 2, got {stage}")
        labels = torch.arange(n) % self.num_classes if label is None else torch.as_tensor(label).long()
        if labels.dim() == 0:
            labels = labels.expand(n)
        if labels.shape != (n,):
            raise ValueError(f"label must be one value or {n} values, got shape {tuple(labels.shape)}")
        noise = self.sample_noise(n, seed) if noise is None else noise.to(self.device)
        with eval_mode(self.generator_1, self.generator_2, self.conditioning):
            low, high, _, _ = self(noise, labels.to(self.device))
        return self.to_unit(low if stage == 1 else high)


register_family(Family(
    "stackgan", StackGAN, title="StackGAN: a rough sketch, then the details", data=("image",), objective="stack",
    loss="nonsaturating", metrics=("class_accuracy", "fid"), shows=("class",),
    example={"nz": 8, "cond_dim": 4, "ngf": 8, "ndf": 8}, example_data="digits",
))
