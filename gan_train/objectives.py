"""What one D step and one G step compute, per model family: the only per-family training code.

Each objective names two *parts*: the sub-networks the G optimizer trains and those the D
optimizer trains. A part is one ``nn.Module`` with a ``forward``, so Accelerate can wrap it for
DDP. In the D step G runs without gradients; in the G step D runs unwrapped with frozen weights
(nothing of D is updated, so nothing needs to be synchronised), which is what lets alternating
updates run under DDP without ``find_unused_parameters``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

import gan_models

from .config import ConfigError, TrainConfig
from .losses import AdversarialLoss, gradient_penalty, r1_penalty

DEFAULT_LOSS = {
    "curvegan": "minimax", "dcgan": "nonsaturating", "cgan": "nonsaturating", "stackgan": "nonsaturating",
    "cyclegan": "lsgan", "pix2pix": "nonsaturating", "vae": None,
}
DATA_KIND = {
    "curvegan": ("curve", "points"), "dcgan": ("image",), "cgan": ("image",), "stackgan": ("image",),
    "vae": ("image",), "cyclegan": ("unpaired",), "pix2pix": ("paired",),
}
EXAMPLE_DATA = {"curve": "curves-sine", "points": "ring8", "image": "mnist", "unpaired": "fashion:sneaker~ankle_boot",
                "paired": "edges:fashion-mnist"}


class Part(nn.Module):
    """The sub-networks one optimizer trains, grouped so Accelerate can wrap them as one module."""

    def __init__(self, forward, **modules: nn.Module):
        super().__init__()
        self.nets = nn.ModuleDict(modules)
        self._forward = forward

    def forward(self, *args, **kwargs):
        return self._forward(self.nets, *args, **kwargs)


class Objective:
    """Base: the unconditional image GAN (DCGAN). Subclasses override what differs."""

    has_discriminator = True
    order = ("d", "g")  # CycleGAN updates G first, as in its reference code

    def __init__(self, model: gan_models.GANModel, config: TrainConfig):
        self.model, self.config = model, config
        self.loss = AdversarialLoss(config.loss or DEFAULT_LOSS[config.model]) if self.has_discriminator else None
        self.g_part, self.d_part = self.make_parts()
        self.g, self.d = self.g_part, self.d_part  # replaced by the Accelerate-wrapped modules

    # -- parts ---------------------------------------------------------------------------
    def make_parts(self) -> tuple[Part, Part | None]:
        m = self.model
        return Part(lambda n, z: n["generator"](z), generator=m.generator), Part(
            lambda n, x: n["discriminator"](x), discriminator=m.discriminator
        )

    @property
    def d_raw(self) -> Part:
        """D without its DDP wrapper, for the G step."""
        return self.d_part

    def noise(self, n: int, device) -> torch.Tensor:
        return torch.randn(n, self.model.nz, 1, 1, device=device)

    def real(self, batch) -> torch.Tensor:
        return batch["image"]

    # -- the two steps -------------------------------------------------------------------
    def d_loss(self, batch: dict, cache: dict) -> tuple[torch.Tensor, dict]:
        real = self.real(batch)
        with torch.no_grad():
            fake = self.g(self.noise(real.shape[0], real.device))
        real_logits, fake_logits = self.d(real), self.d(fake)
        loss = self.loss.d(real_logits, fake_logits) + self.penalties(self.d, real, fake)
        return loss, {"d_real": self.loss.probability(real_logits), "d_fake": self.loss.probability(fake_logits)}

    def g_loss(self, batch: dict, cache: dict) -> tuple[torch.Tensor, dict]:
        real = self.real(batch)
        fake_logits = self.d_raw(self.g(self.noise(real.shape[0], real.device)))
        real_logits = self.d_raw(real).detach() if self.loss.needs_real_in_g else None
        return self.loss.g(fake_logits, real_logits), {"d_fake_g": self.loss.probability(fake_logits)}

    def penalties(self, critic, real, fake, *extra) -> torch.Tensor:
        total = torch.zeros((), device=real.device)
        if self.loss.name == "wgan-gp":
            total = total + self.config.gp_weight * gradient_penalty(critic, real, fake, *extra)
        if self.config.r1_weight:
            total = total + self.config.r1_weight * r1_penalty(critic, real, *extra)
        if self.config.r2_weight:
            total = total + self.config.r2_weight * r1_penalty(critic, fake, *extra)
        return total

    def ema_modules(self) -> nn.Module:
        return self.g_part


class CurveObjective(Objective):
    """The tutorials' painter and critic on 1-D curves (or 2-D points for the ring of Gaussians)."""

    def make_parts(self):
        m = self.model
        return (Part(lambda n, z: n["generator"](z), generator=m.generator),
                Part(lambda n, x: n["discriminator"](x).squeeze(1), discriminator=m.discriminator))

    def noise(self, n, device):
        return torch.randn(n, self.model.n_ideas, device=device)

    def real(self, batch):
        return batch["curve"] if "curve" in batch else batch["point"]


class ConditionalObjective(Objective):
    """D and G both see the condition; fakes are drawn for the real batch's conditions."""

    def make_parts(self):
        m = self.model
        return (Part(lambda n, z, c: m(z, c), generator=m.generator, g_embedding=m.g_embedding),
                Part(lambda n, x, c, **kw: n["discriminator"](x, c, **kw), discriminator=m.discriminator))

    def noise(self, n, device):
        return torch.randn(n, self.model.nz, device=device)

    def condition(self, batch):
        return batch["label"] if self.model.condition == "class" else batch["age"]

    @property
    def aux_weight(self) -> float:
        return self.config.age_regressor if getattr(self.model, "age_regressor", False) else 0.0

    def d_loss(self, batch, cache):
        real, cond = batch["image"], self.condition(batch)
        with torch.no_grad():
            fake = self.g(self.noise(real.shape[0], real.device), cond)
        extra = {}
        if self.aux_weight:  # D's age head learns from real faces only (fakes' ages are what G is asked)
            real_logits, real_age = self.d(real, cond, return_aux=True)
            extra["age_d"] = F.mse_loss(real_age.float(), self.model.age_target(cond))
        else:
            real_logits = self.d(real, cond)
        fake_logits = self.d(fake, cond)
        loss = (self.loss.d(real_logits, fake_logits) + self.penalties(self.d, real, fake, cond)
                + self.aux_weight * extra.get("age_d", 0.0))
        return loss, {"d_real": self.loss.probability(real_logits), "d_fake": self.loss.probability(fake_logits),
                      **extra}

    def g_loss(self, batch, cache):
        real, cond = batch["image"], self.condition(batch)
        fake = self.g(self.noise(real.shape[0], real.device), cond)
        if not self.aux_weight:
            fake_logits = self.d_raw(fake, cond)
            return self.loss.g(fake_logits), {"d_fake_g": self.loss.probability(fake_logits)}
        fake_logits, fake_age = self.d_raw(fake, cond, return_aux=True)
        age_g = F.mse_loss(fake_age.float(), self.model.age_target(cond))
        loss = self.loss.g(fake_logits) + self.aux_weight * age_g
        return loss, {"d_fake_g": self.loss.probability(fake_logits), "age_g": age_g}


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
        return torch.randn(n, self.model.nz + self.model.conditioning.cond_dim, device=device)

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


class ImagePool:
    """Shrivastava et al.'s history of generated images (CycleGAN): D sees a mix of this step's
    fakes and older ones, which damps oscillation. Checkpointed with the run (state_dict)."""

    def __init__(self, size: int):
        self.size, self.images = size, []

    def query(self, images: torch.Tensor) -> torch.Tensor:
        if self.size == 0:
            return images
        out = []
        for image in images.detach():
            image = image.unsqueeze(0)
            if len(self.images) < self.size:
                self.images.append(image)
                out.append(image)
            elif torch.rand(()) > 0.5:
                i = int(torch.randint(0, self.size, ()))
                out.append(self.images[i].clone())
                self.images[i] = image
            else:
                out.append(image)
        return torch.cat(out, 0)

    def state_dict(self):
        return {"images": [t.cpu() for t in self.images]}

    def load_state_dict(self, state):
        self.images = list(state["images"])


class CycleObjective(Objective):
    """Zhu et al.: both generators (GAN + cycle + identity losses), then both discriminators on
    pooled fakes, LSGAN by default, D losses halved, as in junyanz's code."""

    order = ("g", "d")

    def __init__(self, model, config):
        super().__init__(model, config)
        self.pool_a, self.pool_b = ImagePool(config.pool_size), ImagePool(config.pool_size)

    def make_parts(self):
        m = self.model
        identity = self.config.lambda_identity > 0

        def generate(n, a, b):
            fake_b, fake_a = n["generator_ab"](a), n["generator_ba"](b)
            out = {"fake_b": fake_b, "fake_a": fake_a, "rec_a": n["generator_ba"](fake_b), "rec_b": n["generator_ab"](fake_a)}
            if identity:
                out["idt_b"], out["idt_a"] = n["generator_ab"](b), n["generator_ba"](a)
            return out

        def discriminate(n, a, b):
            return n["discriminator_a"](a), n["discriminator_b"](b)

        return (Part(generate, generator_ab=m.generator_ab, generator_ba=m.generator_ba),
                Part(discriminate, discriminator_a=m.discriminator_a, discriminator_b=m.discriminator_b))

    def g_loss(self, batch, cache):
        a, b, lam = batch["image_a"], batch["image_b"], self.config.lambda_cycle
        out = self.g(a, b)
        logits_a, logits_b = self.d_raw(out["fake_a"], out["fake_b"])
        adv = self.loss.g(logits_b) + self.loss.g(logits_a)
        cycle = F.l1_loss(out["rec_a"], a) + F.l1_loss(out["rec_b"], b)
        loss = adv + lam * cycle
        logs = {"cycle": cycle.detach(), "d_fake_g": self.loss.probability(logits_b)}
        if "idt_a" in out:
            identity = F.l1_loss(out["idt_a"], a) + F.l1_loss(out["idt_b"], b)
            loss = loss + lam * self.config.lambda_identity * identity
            logs["identity"] = identity.detach()
        cache["fake_a"], cache["fake_b"] = out["fake_a"].detach(), out["fake_b"].detach()
        return loss, logs

    def d_loss(self, batch, cache):
        a, b = batch["image_a"], batch["image_b"]
        real_a, real_b = self.d(a, b)
        fake_a, fake_b = self.d(self.pool_a.query(cache["fake_a"]), self.pool_b.query(cache["fake_b"]))
        loss = 0.5 * self.loss.d(real_a, fake_a) + 0.5 * self.loss.d(real_b, fake_b)
        return loss, {"d_real": self.loss.probability(real_b), "d_fake": self.loss.probability(fake_b)}

    def checkpoint_objects(self):
        return [self.pool_a, self.pool_b]


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


OBJECTIVES = {
    "curvegan": CurveObjective, "dcgan": Objective, "cgan": ConditionalObjective, "stackgan": StackObjective,
    "cyclegan": CycleObjective, "pix2pix": Pix2PixObjective, "vae": VAEObjective,
}


def build_model(config: TrainConfig, dataset) -> gan_models.GANModel:
    """The model the config asks for, shaped to the data (size, channels, classes)."""
    try:
        return _build_model(config, dataset)
    except ValueError as err:  # the model's own check of its settings (e.g. an unsupported image size)
        if isinstance(err, ConfigError):
            raise
        raise ConfigError(f"--model {config.model}: {err}") from err


def _build_model(config: TrainConfig, dataset) -> gan_models.GANModel:
    family, kind = config.model, dataset.kind
    if kind not in DATA_KIND[family]:
        raise ConfigError(
            f"--model {family} needs {' or '.join(DATA_KIND[family])} data (e.g. --data "
            f"{EXAMPLE_DATA[DATA_KIND[family][0]]}), but {config.data!r} is {kind} data"
        )
    if family == "curvegan":
        points = dataset[0]["curve" if kind == "curve" else "point"].numel()
        return gan_models.CurveGAN(n_ideas=config.n_ideas, points=points, hidden=config.hidden)
    sample = dataset[0]
    image = sample["image"] if "image" in sample else sample["image_b"]
    size, channels = image.shape[-1], image.shape[0]
    common = {"image_size": size, "channels": channels}
    if family == "dcgan":
        return gan_models.DCGAN(**common, nz=config.nz, ngf=config.ngf, ndf=config.ndf,
                                spectral_norm=config.spectral_norm)
    if family == "vae":
        return gan_models.VAE(**common, latent_dim=config.latent_dim, nf=config.ngf)
    if family in ("cgan", "stackgan"):
        condition = getattr(dataset, "condition", None)
        if condition is None or (family == "stackgan" and condition != "class"):
            need = "class labels" if family == "stackgan" else "class labels or ages"
            raise ConfigError(f"--model {family} needs data with {need}; {config.data!r} has none")
        names = list(dataset.class_names) if getattr(dataset, "class_names", None) else None
        if family == "stackgan":
            return gan_models.StackGAN(**common, nz=config.nz, num_classes=dataset.num_classes, ngf=config.ngf,
                                       ndf=config.ndf, class_names=names)
        return gan_models.ConditionalGAN(**common, nz=config.nz, ngf=config.ngf, ndf=config.ndf, condition=condition,
                                         num_classes=dataset.num_classes or 1, embed_dim=config.embed_dim,
                                         class_names=names, spectral_norm=config.spectral_norm,
                                         age_regressor=bool(config.age_regressor) and condition == "age")
    names = getattr(dataset, "domain_names", None) or ("A", "B")
    if family == "cyclegan":
        return gan_models.CycleGAN(**common, ngf=config.ngf, ndf=config.ndf, n_blocks=config.n_blocks,
                                   n_layers_d=config.n_layers_d, domain_a=names[0], domain_b=names[1])
    in_channels = sample["image_a"].shape[0]
    return gan_models.Pix2Pix(image_size=size, in_channels=in_channels, out_channels=channels, ngf=config.ngf,
                              ndf=config.ndf, n_layers_d=config.n_layers_d, domain_a=names[0], domain_b=names[1])
