"""Conditional GAN: D and G both see the condition (a class label or an age)."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..config import ConfigError
from .base import Objective, Part


class ConditionalObjective(Objective):
    """D and G both see the condition; fakes are drawn for the real batch's conditions."""

    def __init__(self, model, config, dataset=None):
        super().__init__(model, config, dataset)
        self.age_judge = None  # the frozen judge(s) of --age-consistency, built by prepare()
        if config.age_consistency and (model.condition != "age" or dataset is None):
            raise ConfigError("--age-consistency needs a cgan on age-labelled faces (e.g. --data faces-age)")

    def prepare(self):
        """Load the --age-consistency judges from the cache, or train them (once). Here, before G's first step
        and outside mixed precision, rather than when the trainer is built: exporting a checkpoint never waits
        for them, and a judge trained here is the one trained anywhere else."""
        if self.age_judge is None and self.config.age_consistency:
            from ..age_regressor import JudgeViews, load_or_train_age_judges

            judge = load_or_train_age_judges(self.dataset, self.config.data, self.model.age_target, self.config.age_judges)
            jitter, views = self.config.age_judge_jitter, self.config.age_judge_views
            self.age_judge = JudgeViews(judge, jitter, views) if jitter else judge

    @classmethod
    def implied_arch(cls, config):
        """--age-regressor W > 0 trains an age head on D, so the model needs one."""
        return {"age_regressor": True} if config.age_regressor else {}

    def make_parts(self):
        m = self.model
        return (Part(lambda n, z, c: m(z, c), **m.generator_parts()),
                Part(lambda n, x, c, **kw: n["discriminator"](x, c, **kw), discriminator=m.discriminator))

    def noise(self, n, device):
        return torch.randn(n, self.model.noise_size, device=device)

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
        logs = {}
        if self.aux_weight:
            fake_logits, fake_age = self.d_raw(fake, cond, return_aux=True)
            logs["age_g"] = F.mse_loss(fake_age.float(), self.model.age_target(cond))
        else:
            fake_logits = self.d_raw(fake, cond)
        loss = self.loss.g(fake_logits) + self.aux_weight * logs.get("age_g", 0.0)
        if self.config.age_consistency:
            if self.age_judge is None:
                raise RuntimeError("--age-consistency: call the objective's prepare() before its losses")
            judge = self.age_judge.to(fake.device)
            read, asked = judge(fake).float(), self.model.age_target(cond)
            # with --age-judge-views K the judges read K views of each face, view-major: each view is charged
            logs["age_consistency"] = F.mse_loss(read, asked.repeat(read.shape[0] // asked.shape[0], 1))
            loss = loss + self.config.age_consistency * logs["age_consistency"]
        return loss, {"d_fake_g": self.loss.probability(fake_logits), **logs}
