"""A GAN trained live in the page: the tutorials' painter (G) and critic (D), through gan_train's step API.

One :class:`Session` per browser tab (kept in ``gr.State``) owns one ``gan_train.Trainer`` on
``curves-sine`` / ``curves-quadratic`` (1-D paintings) or ``ring8`` (2-D points), the history of
D's probabilities and both losses, and a fixed set of noise vectors so the plots follow the same
"ideas" of the painter from step to step. Nothing is written to disk.
"""

from __future__ import annotations

import functools
import math
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .errors import UserError


def _no_grad(fn):
    """torch.no_grad() without importing torch at import time (the app starts serving sooner)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        import torch

        with torch.no_grad():
            return fn(*args, **kwargs)

    return wrapper


TARGETS = {"sine": "curves-sine", "quadratic": "curves-quadratic", "ring8": "ring8"}
LOSSES = ("minimax", "nonsaturating", "lsgan", "hinge", "wgan-gp")
MAX_STEPS = 5000
MAX_POINTS = 300  # history points per series sent to the page
EVAL_N = 512
G_CURVES = 3
MODE_RADIUS = 0.3  # a generated point this close to a ring centre counts for that mode


@dataclass(frozen=True)
class Settings:
    target: str = "quadratic"
    loss: str = "minimax"
    lr_g: float = 1e-4
    lr_d: float = 1e-4
    batch_size: int = 64
    n_ideas: int = 5

    @classmethod
    def parse(cls, target, loss, lr_g, lr_d, batch_size, n_ideas) -> Settings:
        target = str(target or "quadratic").strip().lower()
        aliases = {"sine curves": "sine", "quadratic curves": "quadratic", "ring": "ring8", "curves-sine": "sine",
                   "curves-quadratic": "quadratic"}
        target = aliases.get(target, target)
        if target not in TARGETS:
            raise UserError(f"target must be one of {', '.join(TARGETS)}, got {target!r}.")
        loss = str(loss or "minimax").strip().lower()
        if loss not in LOSSES:
            raise UserError(f"loss must be one of {', '.join(LOSSES)}, got {loss!r}.")

        def number(value, name, lo, hi, kind=float):
            try:
                value = kind(value)
            except (TypeError, ValueError):
                raise UserError(f"{name} must be a number, got {value!r}.") from None
            if not (math.isfinite(value) and lo <= value <= hi):
                raise UserError(f"{name} must be between {lo:g} and {hi:g}, got {value:g}.")
            return value

        return cls(target, loss, number(lr_g, "G learning rate", 1e-6, 0.1), number(lr_d, "D learning rate", 1e-6, 0.1),
                   int(number(batch_size, "batch size", 1, 1024)), int(number(n_ideas, "noise size (n_ideas)", 1, 64)))

    def structure(self) -> tuple:
        """Settings that need a fresh painter and critic when they change (learning rates do not)."""
        return (self.target, self.loss, self.n_ideas)


def _frame(records: list[dict], x: str, y: str, group: str) -> pd.DataFrame:
    """Numeric x and y even when empty, so the page's plot keeps numeric axes from its first update."""
    frame = pd.DataFrame(records, columns=[x, y, group])
    return frame.astype({x: "float64", y: "float64", group: "string"})


def _live_dir() -> str:
    # Trainer wants an output folder; the live demo never writes to it (no checkpoints, samples or logs).
    return str(Path(tempfile.gettempdir()) / "gan-toolkit-live")


class LiveGAN:
    """One CurveGAN with its Trainer, its history, and fixed noise for the plots."""

    def __init__(self, settings: Settings, seed: int = 0):
        import torch

        from gan_train import TrainConfig, Trainer


        self.settings = settings
        config = TrainConfig(
            model="curvegan", data=TARGETS[settings.target], loss=settings.loss, lr=settings.lr_g, lr_d=settings.lr_d,
            batch_size=settings.batch_size, n_ideas=settings.n_ideas, n_critic=5 if settings.loss == "wgan-gp" else 1,
            ema_decay=0.0, tracker="none", progress=False, checkpoint_every=0, sample_every=0, steps=10**9,
            seed=seed, output_dir=_live_dir(),
        )
        self.trainer = Trainer(config)
        ds = self.trainer.dataset
        self.is_ring = ds.kind == "points"
        self.key = "point" if self.is_ring else "curve"
        self.real = ds.samples if self.is_ring else ds.curves
        self.batch_gen = torch.Generator().manual_seed(seed + 7)
        fixed = torch.Generator().manual_seed(1234)
        self.eval_real = self.real[torch.randperm(len(self.real), generator=fixed)[:EVAL_N]]
        self.eval_noise = torch.randn(EVAL_N, settings.n_ideas, generator=fixed)
        self.history: list[dict] = []
        self.last: dict = {}

    @property
    def model(self):
        return self.trainer.model

    @property
    def step(self) -> int:
        return self.trainer.step

    def set_learning_rates(self, lr_g: float, lr_d: float) -> None:
        """Change the learning rates in place (Adam keeps its moments)."""
        t = self.trainer
        for opt, sched, lr in ((t.opt_g, t.sched_g, lr_g), (getattr(t, "opt_d", None), getattr(t, "sched_d", None), lr_d)):
            if opt is None:
                continue
            inner = getattr(sched, "scheduler", sched)
            if hasattr(inner, "base_lrs"):
                inner.base_lrs = [lr for _ in inner.base_lrs]
            for group in opt.param_groups:
                group["lr"] = lr
        self.settings = Settings(**{**self.settings.__dict__, "lr_g": lr_g, "lr_d": lr_d})

    def batch(self, size: int) -> dict:
        import torch

        idx = torch.randint(len(self.real), (size,), generator=self.batch_gen)
        return {self.key: self.real[idx]}

    def train_step(self, phases=None, batch_size: int | None = None) -> dict:
        state = self.trainer.train_step(batch=self.batch(batch_size or self.settings.batch_size), phases=phases)
        values = state.floats()
        row = {"step": values["step"]}
        if "d_real" in values:
            row.update(d_real=values["d_real"], d_fake=values["d_fake"], d_loss=values["d_loss"])
        if "g_loss" in values:
            row["g_loss"] = values["g_loss"]
            row.setdefault("d_fake", values.get("d_fake_g"))
        bad = [k for k, v in row.items() if v is not None and not math.isfinite(v)]
        if bad:
            raise UserError(f"Step {row['step']}: {bad[0].replace('_', ' ')} became {row[bad[0]]}: training blew up. "
                            "Press Reset and lower the learning rates (or try another loss).")
        self.history.append(row)
        self.last = row
        return row

    # -- what the page shows ------------------------------------------------------------
    @_no_grad
    def probabilities(self) -> tuple[float, float]:
        """D's mean probability "the artist painted it" on a fixed set of real and of G's paintings."""
        import torch

        m = self.model
        real = torch.sigmoid(m.discriminate(self.eval_real)).mean().item()
        fake = torch.sigmoid(m.discriminate(m.generate(EVAL_N, noise=self.eval_noise))).mean().item()
        return real, fake

    def _thin(self) -> list[dict]:
        rows = self.history
        if len(rows) <= MAX_POINTS:
            return rows
        stride = len(rows) / MAX_POINTS
        picked = [rows[int(i * stride)] for i in range(MAX_POINTS)]
        return picked + [rows[-1]]

    def _series(self, value: str, keys: tuple[tuple[str, str], ...]) -> list[dict]:
        """Long-format records (step, value, series) of the history's columns ``keys`` (key, label)."""
        return [{"step": row["step"], value: row[key], "series": name}
                for row in self._thin() for key, name in keys if row.get(key) is not None]

    def prob_frame(self) -> pd.DataFrame:
        records = self._series("probability", (("d_real", "D(real)"), ("d_fake", "D(fake)")))
        if records:
            first, last = self.history[0]["step"], max(self.history[-1]["step"], self.history[0]["step"] + 1)
            records += [{"step": s, "probability": 0.5, "series": "0.5 (equilibrium)"} for s in (first, last)]
        return _frame(records, "step", "probability", "series")

    def loss_frame(self) -> pd.DataFrame:
        return _frame(self._series("loss", (("d_loss", "D loss"), ("g_loss", "G loss"))), "step", "loss", "series")

    @_no_grad
    def curve_frame(self) -> pd.DataFrame:
        import torch

        x = self.trainer.dataset.x_grid
        real = self.real
        lo, hi = torch.quantile(real[:2000], 0.02, dim=0), torch.quantile(real[:2000], 0.98, dim=0)
        series = {"artist: upper bound": hi, "artist: lower bound": lo, "artist: a painting": real[3]}
        fake = self.model.generate(G_CURVES, noise=self.eval_noise[:G_CURVES])
        for i in range(G_CURVES):
            series[f"G: painting {i + 1}"] = fake[i]
        records = [{"x": float(xv), "y": float(yv), "series": name}
                   for name, ys in series.items() for xv, yv in zip(x.tolist(), ys.tolist())]
        return _frame(records, "x", "y", "series")

    @_no_grad
    def ring_frame(self, n: int = 400) -> pd.DataFrame:
        real = self.eval_real[:n]
        fake = self.model.generate(n, noise=self.eval_noise[:n])
        records = [{"x": float(p[0]), "y": float(p[1]), "who": "real (8 modes)"} for p in real.tolist()]
        records += [{"x": float(p[0]), "y": float(p[1]), "who": "G (generated)"} for p in fake.tolist()]
        frame = _frame(records, "x", "y", "who")
        frame[["x", "y"]] = frame[["x", "y"]].clip(-4, 4)
        return frame

    @_no_grad
    def coverage(self) -> tuple[int, float]:
        """(modes G reaches with at least 2% of its points, share of G's points near any mode)."""
        import torch

        fake = self.model.generate(EVAL_N, noise=self.eval_noise)
        dist = torch.cdist(fake, self.trainer.dataset.modes)
        near, which = dist.min(1)
        good = near < MODE_RADIUS
        counts = torch.bincount(which[good], minlength=dist.shape[1])
        return int((counts >= 0.02 * EVAL_N).sum()), float(good.float().mean())

    def numbers(self) -> dict:
        real, fake = self.probabilities()
        out = {"step": self.step, "target": self.settings.target, "loss": self.settings.loss,
               "d_real": round(real, 4), "d_fake": round(fake, 4)}
        for key in ("d_loss", "g_loss"):
            value = next((r[key] for r in reversed(self.history) if r.get(key) is not None), None)
            out[key] = None if value is None else round(value, 4)
        if self.is_ring:
            modes, share = self.coverage()
            out.update(modes_covered=modes, modes_total=int(self.trainer.dataset.modes.shape[0]),
                       near_a_mode=round(share, 3))
        return out


class Session:
    """Per-browser state: the live GAN (rebuilt when structural settings change) and a stop flag."""

    def __init__(self):
        self.live: LiveGAN | None = None
        self.lock = threading.Lock()
        self.running = False
        self.stop_requested = False
        self.generation = 0  # bumped by reset: a running loop of an older generation stops
        self.note = ""

    def prepare(self, settings: Settings) -> LiveGAN:
        with self.lock:
            live = self.live
            if live is None or live.settings.structure() != settings.structure():
                self.note = "started a new painter and critic" if live is not None else ""
                self.live = LiveGAN(settings)
            elif (live.settings.lr_g, live.settings.lr_d) != (settings.lr_g, settings.lr_d):
                live.set_learning_rates(settings.lr_g, settings.lr_d)
            self.live.settings = Settings(**{**self.live.settings.__dict__, "batch_size": settings.batch_size})
            return self.live

    def reset(self) -> None:
        with self.lock:
            self.generation += 1
            self.stop_requested = True
            self.live = None

    def run(self, settings: Settings, steps: int, interval: float = 0.2):
        """Train ``steps`` iterations, yielding ``(live GAN, finished)`` at least every ``interval`` seconds."""
        if self.running:
            raise UserError("This page is already training: press Stop first (or wait for it to finish).")
        live = self.prepare(settings)
        steps = max(1, min(int(steps), MAX_STEPS))
        self.running, self.stop_requested, generation = True, False, self.generation
        try:
            yield live, False
            last = time.monotonic()
            for _ in range(steps):
                if self.stop_requested or generation != self.generation:
                    break
                with self.lock:
                    live.train_step()
                if time.monotonic() - last >= interval:
                    yield live, False
                    last = time.monotonic()
            self.running = False
            if generation == self.generation:  # after a reset the page shows the new GAN, not this one
                yield live, True
        finally:
            self.running = False

    def one_step(self, settings: Settings, phase: str) -> LiveGAN:
        if self.running:
            raise UserError("Training is running: press Stop first, then step D or G by hand.")
        live = self.prepare(settings)
        with self.lock:
            live.train_step(phases=(phase,))
        return live
