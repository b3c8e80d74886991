"""Conditional GAN (Mirza & Osindero 2014): generate what you ask for, a class or an age.

Both networks see the condition. G gets ``z`` concatenated with an embedding of the condition;
D is a projection discriminator (Miyato & Koyama 2018), which scores "real *and* matching the
condition" and trains more stably than concatenating labels into D's input.

Age scheme: a continuous age in years, embedded by interpolating between learned anchors at the
centres of CAAE's ten decade groups (see :class:`~gan_models.blocks.AgeEmbedding`). Groups alone
(CAAE's 10, Age-cGAN's 6) make the slider jump between a few looks and waste the exact ages we
have; a free continuous embedding overfits the sparse old and young tails. Anchors give a smooth
"young to old" strip while each anchor still learns from a whole decade of faces.
"""

from __future__ import annotations

import torch
from torch import nn

from .blocks import (
    DCGANDiscriminator,
    LatentMapping,
    dcgan_generator,
    eval_mode,
    freeze,
    init_weights,
    make_embedding,
)
from .hub import GANModel
from .registry import Family, register_family


class ConditionalGAN(GANModel, tags=["cgan", "conditional"], paper_url="https://arxiv.org/abs/1411.1784"):
    """``condition="class"`` (labels 0..num_classes-1) or ``condition="age"`` (years, 5-95).

    ``age_regressor=True`` gives D a second head that reads the age off the image (AC-GAN style):
    trained on real faces, it tells G directly how old its faces look, which the projection term
    alone learns only slowly for a cue as subtle as age.

    ``latent_mapping=W`` feeds the condition through the noise instead (``z' = z + f(z, condition)``,
    f an MLP of width W; see :class:`~gan_models.blocks.LatentMapping`), so the generator itself is
    unconditional: it can start from a pretrained face generator (``--init-from face-generator``)
    and, with ``freeze_generator=True``, stay exactly that network while only the mapping learns
    where each age lives. Every face is then one the pretrained generator can draw, and one noise
    keeps one identity across ages.

    ``generate(n, seed, label=...)`` / ``generate(n, seed, age=...)``; the same seed with different
    conditions keeps the same noise, so an identity stays while its age or class changes.
    """

    family = "cgan"

    def __init__(
        self,
        image_size: int = 32,
        channels: int = 1,
        nz: int = 100,
        ngf: int = 64,
        ndf: int = 64,
        condition: str = "class",
        num_classes: int = 10,
        embed_dim: int = 50,
        class_names: list[str] | None = None,
        spectral_norm: bool = False,
        age_regressor: bool = False,
        latent_mapping: int = 0,
        freeze_generator: bool = False,
    ):
        super().__init__()
        self.image_size, self.channels, self.nz = image_size, channels, nz
        self.condition, self.num_classes = condition, num_classes
        self.class_names = class_names
        if freeze_generator and not latent_mapping:
            raise ValueError("freeze_generator=True needs latent_mapping > 0: a frozen generator reads the condition "
                             "only through the mapped noise")
        self.latent_mapping, self.freeze_generator = latent_mapping, freeze_generator
        self.g_embedding = make_embedding(condition, num_classes, embed_dim)
        self.generator = dcgan_generator(nz if latent_mapping else nz + embed_dim, image_size, channels, ngf)
        if age_regressor and condition != "age":
            raise ValueError("age_regressor=True needs condition='age'")
        self.age_regressor = age_regressor
        self.discriminator = DCGANDiscriminator(image_size, channels, ndf, spectral_norm=spectral_norm,
                                                aux_outputs=1 if age_regressor else 0)
        self.discriminator.embedding = make_embedding(condition, num_classes, self.discriminator.feature_width)
        init_weights(self)  # class embeddings start at N(0, 0.02): see blocks.ClassEmbedding
        self.mapping = None
        if latent_mapping:
            self.mapping = LatentMapping(nz, embed_dim, latent_mapping)
            for weight in self.g_embedding.parameters():  # as loud as the unit-variance noise beside it
                nn.init.normal_(weight, 0.0, 1.0)
        if freeze_generator:
            freeze(self.generator)

    data_args = ("image_size", "channels", "condition", "num_classes", "class_names")

    @classmethod
    def data_shape(cls, dataset) -> dict:
        condition = getattr(dataset, "condition", None)
        if condition is None:
            raise ValueError("needs data with class labels or ages (e.g. --data mnist or --data faces-age)")
        names = list(dataset.class_names) if getattr(dataset, "class_names", None) else None
        return {**super().data_shape(dataset), "condition": condition, "num_classes": dataset.num_classes or 1,
                "class_names": names}

    @property
    def shows(self) -> tuple[str, ...]:
        return (self.condition,)  # a class model or an age model, never both

    def preview_inputs(self, dataset, n, seed):
        if self.condition == "class":
            return {"noise": self.sample_noise(n, seed), "label": torch.arange(n) % self.num_classes}
        # ages: rows are identities, columns the ages 10 .. 80
        ages = torch.tensor([10.0, 20, 30, 40, 50, 60, 70, 80])
        rows = self.sample_noise(max(1, n // len(ages)), seed)
        return {"noise": rows.repeat_interleave(len(ages), 0), "age": ages.repeat(len(rows))}

    def preview(self, inputs):
        condition = {k: v for k, v in inputs.items() if k in ("label", "age")}
        images = self.generate(len(inputs["noise"]), noise=inputs["noise"], **condition)
        return {"kind": "grid", "images": images, "nrow": self.num_classes if self.condition == "class" else 8}

    def generator_parts(self) -> dict[str, nn.Module]:
        """The modules that make an image from (noise, condition): what the G optimizer trains."""
        parts = {"generator": self.generator, "g_embedding": self.g_embedding}
        return parts if self.mapping is None else {**parts, "mapping": self.mapping}

    def sample_noise(self, n: int, seed: int | None = None) -> torch.Tensor:
        return torch.randn(n, self.nz, generator=self.seeded(seed)).to(self.device)

    @staticmethod
    def age_target(age: torch.Tensor) -> torch.Tensor:
        """Years -> the auxiliary regressor's target scale (about -1 at 5 years, +1 at 95)."""
        return ((age.float() - 50.0) / 45.0).unsqueeze(1)

    def forward(self, noise: torch.Tensor, condition: torch.Tensor) -> torch.Tensor:
        """(noise (n, nz), condition (n,)) -> images in [-1, 1]."""
        embedded = self.g_embedding(condition.to(noise.device))
        if self.mapping is not None:
            code = self.mapping(noise.flatten(1), embedded)
        else:
            code = torch.cat([noise.flatten(1), embedded], dim=1)
        return self.generator(code[:, :, None, None])

    def export_graphs(self) -> dict:
        """For gan_models.export_onnx: (noise, condition: class index int64 or age in years) -> images."""
        return {"generator": (lambda noise, condition: self.to_unit(self(noise, condition)),
                              {"noise": self.sample_noise(2, 0), "condition": self.default_condition(2)})}

    def default_condition(self, n: int) -> torch.Tensor:
        if self.condition == "class":
            return torch.arange(n) % self.num_classes
        return torch.linspace(10, 80, n) if n > 1 else torch.tensor([30.0])

    def condition_tensor(self, n: int, label=None, age=None) -> torch.Tensor:
        """Turn the user's label / age (scalar, list or tensor) into a length-n tensor, with clear errors."""
        wanted, other = ("label", "age") if self.condition == "class" else ("age", "label")
        value = label if self.condition == "class" else age
        if (age if self.condition == "class" else label) is not None:
            raise ValueError(f"this model is conditioned on {self.condition}: pass {wanted}=..., not {other}=...")
        if value is None:
            return self.default_condition(n)
        value = torch.as_tensor(value)
        value = value.long() if self.condition == "class" else value.float()
        if value.dim() == 0:
            value = value.expand(n)
        if value.shape != (n,):
            raise ValueError(f"{wanted} must be one value or {n} values, got shape {tuple(value.shape)}")
        if self.condition == "class" and (value.min() < 0 or value.max() >= self.num_classes):
            raise ValueError(f"label must be in [0, {self.num_classes - 1}], got {value.tolist()}")
        return value

    @torch.no_grad()
    def generate(self, n: int, seed: int | None = None, noise=None, label=None, age=None) -> torch.Tensor:
        condition = self.condition_tensor(n, label=label, age=age).to(self.device)
        noise = self.sample_noise(n, seed) if noise is None else noise.to(self.device)
        with eval_mode(*self.generator_parts().values()):
            return self.to_unit(self(noise, condition))


register_family(Family(
    "cgan", ConditionalGAN, title="Conditional GAN: the class or age you ask for", data=("image",),
    objective="conditional", loss="nonsaturating", metrics=("class_accuracy", "age_following", "fid"),
    shows=("class", "age"), example={"nz": 8, "ngf": 8, "ndf": 8, "embed_dim": 8}, example_data="digits",
))
