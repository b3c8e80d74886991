"""CycleGAN: two generators, two discriminators, cycle and identity losses, an image pool."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .base import Objective, Part


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

    def __init__(self, model, config, dataset=None):
        super().__init__(model, config, dataset)
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
