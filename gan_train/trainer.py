"""The one training loop, for every family, on CPU, one GPU or many (Accelerate).

Read it top to bottom: ``Trainer.__init__`` sets up (data, model, optimizers, EMA, Accelerate),
``train_step`` is one iteration (D then G, or G then D for CycleGAN), ``steps`` runs iterations
and yields what happened (the app drives this live), ``train`` adds checkpoints, logs, sample
grids and the final save/push.
"""

from __future__ import annotations

import os
import platform
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch
from accelerate import Accelerator
from accelerate.utils import DistributedDataParallelKwargs, ProjectConfiguration, set_seed
from diffusers.optimization import get_scheduler
from diffusers.training_utils import EMAModel
from torch.optim.lr_scheduler import ConstantLR, LinearLR, SequentialLR

from . import card as model_cards
from . import checkpoint as ckpt
from .atomic import atomic_write
from .batches import BatchStream
from .config import ConfigError, TrainConfig
from .objectives import build_model, objective_class
from .samples import curve_plot, image_grid, save_png, scatter_plot
from .warm_start import warm_start

SAMPLE_SEED = 1234  # fixed noise for the sample grids, so grids at different steps compare


# Settings a resumed run must share with its checkpoint (the weights' shapes, the optimizer, the loss).
RESUME_FIXED = ("data", "balance", "arch", "age_regressor", "image_size", "channels", "loss", "lr_scheduler", "warmup_steps", "ema_decay", "n_critic", "batch_size", "seed")


# A loss this large means the run has diverged (a healthy GAN loss is O(1), WGAN critics O(100)):
# stop instead of saving garbage weights that are still finite.
LOSS_LIMIT = 1e6


def _remove(path: Path) -> None:
    """Delete a checkpoint folder; a symlink is unlinked, its target never touched."""
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.exists():
        shutil.rmtree(path, ignore_errors=True)


def _base_lr(scheduler) -> float:
    return getattr(scheduler, "scheduler", scheduler).base_lrs[0]


def _scale_schedule(scheduler, ratio: float) -> None:
    """Multiply a (possibly nested, possibly Accelerate-wrapped) LR schedule's base rates by ratio."""
    inner = getattr(scheduler, "scheduler", scheduler)
    inner.base_lrs = [lr * ratio for lr in inner.base_lrs]
    inner._last_lr = [lr * ratio for lr in inner.get_last_lr()]
    for child in getattr(inner, "_schedulers", []):
        _scale_schedule(child, ratio)


class NonFiniteLossError(RuntimeError):
    """A loss became NaN, infinite or diverged (weights NaN too); the message names the step and the loss."""


@dataclass
class StepState:
    """What one iteration did. Values are tensors (no host sync); ``floats()`` converts."""

    step: int
    losses: dict[str, torch.Tensor] = field(default_factory=dict)

    def floats(self) -> dict[str, float]:
        keys = list(self.losses)
        values = torch.stack([self.losses[k].detach().float().cpu() for k in keys]).tolist() if keys else []
        return {"step": self.step, **dict(zip(keys, values))}


class Trainer:
    def __init__(self, config: TrainConfig, dataset=None, accelerator: Accelerator | None = None,
                 command: str | None = None):
        self.config = config
        self.command = command or "(Python API) Trainer(TrainConfig(...))"
        self.out = config.out
        if config.mixed_precision == "fp16" and not torch.cuda.is_available():
            raise ConfigError("--mixed-precision fp16 needs a CUDA GPU (its loss scaler is CUDA-only); "
                              "use bf16, which needs no scaler and runs on CPU too")
        self.accelerator = accelerator or Accelerator(
            mixed_precision=config.mixed_precision,
            log_with=None if config.tracker == "none" else config.tracker,
            project_config=ProjectConfiguration(project_dir=str(self.out), logging_dir=str(self.out / "logs")),
            # D runs twice per step (real, fake): BatchNorm buffers must not be re-broadcast in between
            kwargs_handlers=[DistributedDataParallelKwargs(broadcast_buffers=False)],
        )
        acc = self.accelerator
        self.device = acc.device
        self._speed_settings()

        # data and model (the same initial weights on every process; DDP also broadcasts them)
        set_seed(config.seed)
        if dataset is None:
            from .data import load_dataset

            dataset = load_dataset(config.data, image_size=config.image_size, channels=config.channels,
                                   split="train", limit=config.limit)
        self.dataset = dataset
        self.model = build_model(config, dataset)
        if config.init_from and not config.resume:  # a resumed run restores its own weights
            acc.print(f"--init-from: {warm_start(self.model, config.init_from)}")
        self.objective = objective_class(config.model)(self.model, config, dataset)
        obj = self.objective
        if self._use("channels_last"):
            self.model.to(memory_format=torch.channels_last)

        # optimizers and schedules, one pair per side
        fused = self._use("fused_adam")
        adam = {"betas": (config.beta1, config.beta2), **({"fused": True} if fused else {})}
        self.opt_g = torch.optim.Adam(obj.g_part.parameters(), lr=config.lr, **adam)
        self.sched_g = self._scheduler(self.opt_g)
        prepared = [obj.g_part, self.opt_g, self.sched_g]
        if obj.has_discriminator:
            self.opt_d = torch.optim.Adam(obj.d_part.parameters(), lr=config.lr_d or config.lr, **adam)
            self.sched_d = self._scheduler(self.opt_d)
            prepared += [obj.d_part, self.opt_d, self.sched_d]
        prepared = acc.prepare(*prepared)
        obj.g, self.opt_g, self.sched_g = prepared[:3]
        if obj.has_discriminator:
            obj.d, self.opt_d, self.sched_d = prepared[3:]
        if config.compile != "off":
            mode = "max-autotune-no-cudagraphs" if config.compile == "max" else None
            for module in self.model.children():
                module.compile(mode=mode)

        # the EMA generator: samples and the saved model use it
        self.ema = None
        if config.ema_decay > 0:
            self.ema = EMAModel(obj.ema_modules().parameters(), decay=config.ema_decay, foreach=True)
            self.ema.to(self.device)

        # noise differs per process from here on (data is split by BatchStream)
        set_seed(config.seed + 1 + acc.process_index)
        self.step = 0
        self.stream = BatchStream(dataset, config.batch_size, config.seed, acc.process_index, acc.num_processes,
                                  config.num_workers, balance=config.balance)
        self._batches = None
        self.fixed = self._fixed_inputs()

    # -- set-up helpers ----------------------------------------------------------------
    def _use(self, option: str) -> bool:
        value = getattr(self.config, option)
        return value == "on" or (value == "auto" and self.device.type == "cuda")

    def _speed_settings(self):
        if self.device.type == "cuda":
            torch.backends.cudnn.benchmark = self.config.cudnn_benchmark
            torch.backends.cuda.matmul.allow_tf32 = self.config.tf32
            torch.backends.cudnn.allow_tf32 = self.config.tf32

    def _scheduler(self, optimizer):
        c = self.config
        if c.lr_scheduler == "constant_then_linear":  # CycleGAN: constant for half, then linearly to 0
            half = c.steps // 2
            return SequentialLR(optimizer, [ConstantLR(optimizer, 1.0, total_iters=half),
                                            LinearLR(optimizer, 1.0, 0.0, total_iters=max(1, c.steps - half))], [half])
        return get_scheduler(c.lr_scheduler, optimizer, num_warmup_steps=c.warmup_steps, num_training_steps=c.steps)

    def _fixed_inputs(self):
        """Fixed noise (or fixed input images) for the sample grids: the model says what it needs."""
        return self.model.preview_inputs(self.dataset, self.config.num_samples, SAMPLE_SEED)

    # -- one iteration -----------------------------------------------------------------
    def next_batch(self) -> dict:
        if self._batches is None:
            self._batches = self.stream.from_step(self.step)
        batch = next(self._batches)
        return {k: v.to(self.device, non_blocking=True) for k, v in batch.items()}

    def train_step(self, batch: dict | None = None, phases: tuple[str, ...] | None = None) -> StepState:
        """One iteration: the objective's order of D and G updates (``phases`` limits it, for teaching)."""
        batch = self.next_batch() if batch is None else batch
        obj, acc, losses, cache = self.objective, self.accelerator, {}, {}
        obj.prepare()
        for phase in phases or obj.order:
            if phase == "d" and obj.has_discriminator:
                obj.d_part.requires_grad_(True)
                for _ in range(self.config.n_critic):
                    with acc.autocast():
                        loss, logs = obj.d_loss(batch, cache)
                    acc.backward(loss)
                    self.opt_d.step()
                    self.opt_d.zero_grad(set_to_none=True)
                self.sched_d.step()
                losses.update(d_loss=loss.detach(), **logs)
            elif phase == "g":
                if obj.has_discriminator:
                    obj.d_part.requires_grad_(False)  # G's loss flows through D, D's weights stay put
                with acc.autocast():
                    loss, logs = obj.g_loss(batch, cache)
                acc.backward(loss)
                self.opt_g.step()
                self.opt_g.zero_grad(set_to_none=True)
                self.sched_g.step()
                if self.ema is not None:
                    self.ema.step(obj.ema_modules().parameters())
                losses.update(g_loss=loss.detach(), **logs)
        self.step += 1
        if self.config.mixed_precision == "fp16":
            self._count_skipped_steps()
        return StepState(self.step, losses)

    def steps(self, n: int):
        """Run ``n`` iterations, yielding a :class:`StepState` after each (the app's live view)."""
        for _ in range(n):
            yield self.train_step()

    def _count_skipped_steps(self):
        """fp16's loss scaler skips an optimizer step when gradients overflow: never silently."""
        skipped = [o for o in (self.opt_g, getattr(self, "opt_d", None)) if o is not None and o.step_was_skipped]
        self.skipped_steps = getattr(self, "skipped_steps", 0) + len(skipped)
        if self.skipped_steps and self.skipped_steps % 10 == 1:
            self.accelerator.print(f"step {self.step}: fp16 loss scaler skipped {self.skipped_steps} optimizer "
                                   "step(s) so far (gradient overflow); bf16 avoids this")

    # -- the whole run -----------------------------------------------------------------
    def train(self) -> Path:
        """Train to ``config.steps`` with checkpoints, logs and samples; save (and push) the model."""
        c, acc = self.config, self.accelerator
        self.out.mkdir(parents=True, exist_ok=True)
        if acc.is_main_process:
            c.save(self.out / "config.yaml")
        if c.resume:
            self.resume(c.resume)
        if c.tracker != "none":
            settings = {k: v for k, v in c.to_dict().items() if v is not None and k != "arch"}
            acc.init_trackers("gan_train", config={**settings, **{f"arch.{k}": v for k, v in c.arch.items()}})
        from tqdm.auto import tqdm

        bar = tqdm(total=c.steps, initial=self.step, disable=not (c.progress and acc.is_local_main_process),
                   desc=f"{c.model} on {c.data}", dynamic_ncols=True)
        pending: list[StepState] = []
        started = time.time()
        while self.step < c.steps:
            pending.append(self.train_step())
            bar.update(1)
            at = self.step
            due_ckpt = c.checkpoint_every and at % c.checkpoint_every == 0
            if at % c.log_every == 0 or due_ckpt or at == c.steps:
                means = self._flush(pending)  # the only host sync: checks NaNs before any checkpoint
                pending = []
                bar.set_postfix({k: f"{v:.3f}" for k, v in means.items() if k in ("d_loss", "g_loss", "d_real", "d_fake")})
            if due_ckpt and at < c.steps:
                self.save_checkpoint()
            if c.sample_every and at % c.sample_every == 0:
                self.write_samples()
        bar.close()
        self.elapsed = time.time() - started
        self.save_checkpoint()
        grid = self.write_samples()
        model_dir = self.save_model(grid)
        acc.wait_for_everyone()
        acc.end_training()
        return model_dir

    def _flush(self, pending: list[StepState]) -> dict[str, float]:
        rows = [s.floats() for s in pending]
        for row in rows:
            bad = {k: v for k, v in row.items() if k != "step" and not abs(v) < LOSS_LIMIT}
            if bad:
                name, value = next(iter(bad.items()))
                what = f"is {value}" if value != value or abs(value) == float("inf") else f"is {value:.3g} (diverged: above {LOSS_LIMIT:.0e})"
                raise NonFiniteLossError(
                    f"step {row['step']}: {name.replace('_', ' ')} {what}. Training stopped. " + self._last_good()
                    + "lower --lr, try --loss hinge or lsgan, or check the data for NaNs, then resume with --resume latest."
                )
        keys = [k for k in rows[-1] if k != "step"]
        means = {k: sum(r[k] for r in rows if k in r) / sum(1 for r in rows if k in r) for k in keys}
        self.last_losses = means
        lrs = {"lr_g": self.sched_g.get_last_lr()[0]}
        if self.objective.has_discriminator:
            lrs["lr_d"] = self.sched_d.get_last_lr()[0]
        if self.config.tracker != "none":
            self.accelerator.log({**means, **lrs}, step=self.step)
        return means

    # -- checkpoints (gan_train/checkpoint.py: safetensors + JSON, never pickles) -------
    @property
    def checkpoint_dir(self) -> Path:
        return self.out / "checkpoints"

    def latest_checkpoint(self) -> Path | None:
        """The newest whole checkpoint: the ``latest`` pointer if it names one, else a scan (a kill
        between two renames of a re-save can leave the pointer naming a folder not yet back)."""
        folder = self.checkpoint_dir
        pointer = folder / "latest"
        if pointer.is_file():
            name = pointer.read_text().strip()
            if ckpt.STEP_NAME.match(name) and ckpt.is_complete(folder / name):
                return folder / name
        for trash in folder.glob(".old-step_*"):  # the previous copy of a re-saved step, put back
            name = trash.name[len(".old-"):]
            if ckpt.is_complete(trash) and not (folder / name).exists():
                os.replace(trash, folder / name)
        whole = [p for p in self._step_folders() if ckpt.is_complete(p)]
        return whole[-1] if whole else None

    def _step_folders(self) -> list[Path]:
        if not self.checkpoint_dir.is_dir():
            return []
        return sorted(p for p in self.checkpoint_dir.iterdir() if ckpt.STEP_NAME.match(p.name) and p.is_dir())

    def _last_good(self) -> str:
        """Where a stopped run can resume from, for its error message."""
        last = self.latest_checkpoint()
        return f"The last good checkpoint is {last}; " if last else "No checkpoint was written yet; "

    def _weights_are_finite(self) -> bool:
        return all(bool(torch.isfinite(t).all()) for t in self.model.state_dict().values() if t.is_floating_point())

    def training_state(self) -> dict:
        """Everything a resumed run needs besides the RNG: weights, optimizers, schedules, EMA, pools."""
        state = {"model": self.model.state_dict(), "opt_g": self.opt_g.state_dict(), "sched_g": self.sched_g.state_dict()}
        if self.objective.has_discriminator:
            state.update(opt_d=self.opt_d.state_dict(), sched_d=self.sched_d.state_dict())
        if self.ema is not None:
            state["ema"] = self.ema.state_dict()
        state["extras"] = [extra.state_dict() for extra in getattr(self.objective, "checkpoint_objects", list)()]
        if self.accelerator.scaler is not None:
            state["scaler"] = self.accelerator.scaler.state_dict()
        return state

    def save_checkpoint(self) -> Path:
        """Write into a temporary folder, then rename it into place and move the ``latest`` pointer:
        a crash mid-write never leaves a broken checkpoint. Weights that are already NaN/inf are
        never saved. Keeps the newest ``keep_checkpoints``."""
        acc, name = self.accelerator, f"step_{self.step:07d}"
        if not self._weights_are_finite():
            raise NonFiniteLossError(
                f"step {self.step}: the model's weights hold NaN or inf; no checkpoint written. " + self._last_good()
                + "lower --lr (or --lr-d), try --loss hinge or --r1-weight, then resume with --resume latest."
            )
        tmp, final = self.checkpoint_dir / f".tmp-{name}", self.checkpoint_dir / name
        if acc.is_main_process:
            if tmp.is_symlink() or tmp.is_file():
                tmp.unlink()
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir(parents=True)
            ckpt.write_pair(tmp, "state", self.training_state())
        acc.wait_for_everyone()
        ckpt.write_pair(tmp, f"rng_{acc.process_index}", ckpt.rng_state())
        acc.wait_for_everyone()
        if acc.is_main_process:
            ckpt.write_trainer_state(tmp, {"step": self.step, "family": self.config.model,
                                           "num_processes": acc.num_processes, "config": self.config.to_dict()})
            old = self.checkpoint_dir / f".old-{name}"
            if final.exists() or final.is_symlink():  # re-saving a step: keep the old copy until the new is in place
                _remove(old)
                os.replace(final, old)
            os.replace(tmp, final)
            atomic_write(self.checkpoint_dir / "latest", lambda tmp: tmp.write_text(name))
            _remove(old)
            # Our rotation, not ProjectConfiguration(total_limit): that rotates only save_state folders, which pickle.
            for stale in self._step_folders()[: -self.config.keep_checkpoints]:
                _remove(stale)
        acc.wait_for_everyone()
        return final

    def resume(self, where: str) -> None:
        path = self.latest_checkpoint() if where == "latest" else Path(where)
        if path is None:
            self.accelerator.print(f"--resume latest: no checkpoint in {self.checkpoint_dir} yet, starting fresh")
            return
        try:
            meta = ckpt.read_trainer_state(path)
            self._check_resume_settings(meta, path)
            self._load_training_state(ckpt.read_pair(path, "state"), path)
            rank = self.accelerator.process_index
            if (path / f"rng_{rank}.json").is_file():
                ckpt.set_rng_state(ckpt.read_pair(path, f"rng_{rank}"), str(path / f"rng_{rank}.json"))
            else:
                self.accelerator.print(f"warning: {path} was written by {meta.get('num_processes')} process(es) and has no "
                                       f"random state for process {rank}: training goes on, but not bit-identically")
        except ckpt.CheckpointError as err:
            raise ConfigError(f"--resume {where}: {err}") from err
        self.step = meta["step"]
        self._batches = None
        self.accelerator.print(f"resumed from {path} at step {self.step}")
        self._apply_new_optimizer_settings(meta.get("config") or {})

    def learning_rates(self) -> dict[str, float]:
        """The base learning rates now ({"g": ..., "d": ...}); the schedule multiplies them per step."""
        rates = {"g": _base_lr(self.sched_g)}
        if self.objective.has_discriminator:
            rates["d"] = _base_lr(self.sched_d)
        return rates

    def set_learning_rates(self, g: float | None = None, d: float | None = None) -> None:
        """Change G's and/or D's base learning rate from this step on; the schedule keeps its shape,
        scaled. For notebooks and live demos between steps; --lr / --lr-d with --resume use it too."""
        for side, rate in (("g", g), ("d", d)):
            if rate is None:
                continue
            if side == "d" and not self.objective.has_discriminator:
                raise ConfigError(f"{self.config.model} has no discriminator: there is no D learning rate to set")
            if not 0 < rate < float("inf"):
                raise ConfigError(f"a learning rate must be a finite positive number, got {rate}")
            opt, sched = (self.opt_g, self.sched_g) if side == "g" else (self.opt_d, self.sched_d)
            ratio = rate / _base_lr(sched)
            for group in opt.param_groups:
                group["lr"] *= ratio
                if "initial_lr" in group:
                    group["initial_lr"] *= ratio
            _scale_schedule(sched, ratio)

    def _apply_new_optimizer_settings(self, saved: dict) -> None:
        """--lr / --lr-d / --beta1 / --beta2 given with --resume are honoured: the whole schedule is
        scaled to the new learning rate from this step on, and the change is printed and put in the card."""
        c, self.resume_changes = self.config, []
        sides = [("lr", "g", saved.get("lr"), c.lr)]
        if self.objective.has_discriminator:
            sides.append(("lr-d", "d", saved.get("lr_d") or saved.get("lr"), c.lr_d or c.lr))
        for flag, side, old, new in sides:
            if old and old != new:
                self.set_learning_rates(**{side: new})
                self.resume_changes.append(f"--{flag} {old} -> {new}")
        betas = (c.beta1, c.beta2)
        if (saved.get("beta1"), saved.get("beta2")) not in ((None, None), betas):
            for opt in (self.opt_g, getattr(self, "opt_d", None)):
                for group in (opt.param_groups if opt is not None else []):
                    group["betas"] = betas
            self.resume_changes.append(f"Adam betas ({saved.get('beta1')}, {saved.get('beta2')}) -> {betas}")
        if self.resume_changes:
            self.accelerator.print(f"resumed with new optimizer settings from step {self.step}: {'; '.join(self.resume_changes)}")

    def _check_resume_settings(self, meta: dict, path: Path) -> None:
        """A checkpoint continues one run: settings that shape the model or the optimizer must match."""
        if meta.get("family") != self.config.model:
            raise ckpt.CheckpointError(f"{path} is a checkpoint of a {meta.get('family')!r} run; this run trains "
                                       f"{self.config.model!r}. Pass the checkpoint of a {self.config.model} run.")
        saved, now = meta.get("config") or {}, self.config.to_dict()
        fixed = list(RESUME_FIXED) + ([] if now["lr_scheduler"] == "constant" else ["steps"])
        differ = [f"--{k.replace('_', '-')} {now[k]} (checkpoint: {saved[k]})" for k in fixed
                  if k in saved and saved[k] != now[k]]
        if differ:
            raise ckpt.CheckpointError(
                f"{', '.join(differ)}: these settings cannot change when resuming (the optimizer and the "
                f"schedule carry on from the checkpoint). Resume with the checkpoint's values (see {path.parent.parent / 'config.yaml'}), "
                "or start a new run in another --output-dir.")

    def _load_training_state(self, state: dict, path: Path) -> None:
        where = str(path / ckpt.STATE_NAME)
        own = self.model.state_dict()
        weights = state.get("model") or {}
        wrong = [f"{k} {tuple(weights[k].shape)} {weights[k].dtype} vs {tuple(v.shape)} {v.dtype}"
                 for k, v in own.items() if k in weights and (weights[k].shape != v.shape or weights[k].dtype != v.dtype)]
        missing, unexpected = sorted(set(own) - set(weights)), sorted(set(weights) - set(own))
        if wrong or missing or unexpected:
            raise ckpt.CheckpointError(f"{where}: the weights do not fit this model ({len(wrong)} of another shape or dtype, "
                                       f"{len(missing)} missing, {len(unexpected)} unexpected; e.g. {(wrong + missing + unexpected)[0]})")
        try:
            self.model.load_state_dict(weights)
            self.opt_g.load_state_dict(state["opt_g"])
            self.sched_g.load_state_dict(state["sched_g"])
            if self.objective.has_discriminator:
                self.opt_d.load_state_dict(state["opt_d"])
                self.sched_d.load_state_dict(state["sched_d"])
            if self.ema is not None:
                self.ema.load_state_dict(state["ema"])
                self.ema.to(self.device)
            extras = getattr(self.objective, "checkpoint_objects", list)()
            for extra, extra_state in zip(extras, state.get("extras", []), strict=True):
                extra.load_state_dict(extra_state)
            if self.accelerator.scaler is not None and "scaler" in state:
                self.accelerator.scaler.load_state_dict(state["scaler"])
        except (KeyError, ValueError, TypeError, RuntimeError) as err:
            raise ckpt.CheckpointError(f"{where}: the optimizer, schedule or EMA state does not fit this run ({err!r})") from err

    # -- samples and the final model ---------------------------------------------------
    def ema_weights(self):
        """Context: the generator holds the EMA weights inside, its own weights outside."""
        trainer = self

        class _Swap:
            def __enter__(self):
                if trainer.ema is not None:
                    params = list(trainer.objective.ema_modules().parameters())
                    trainer.ema.store(params)
                    trainer.ema.copy_to(params)

            def __exit__(self, *exc):
                if trainer.ema is not None:
                    trainer.ema.restore(list(trainer.objective.ema_modules().parameters()))

        return _Swap()

    @torch.no_grad()
    def sample_image(self):
        """The current (EMA) model's picture of itself (the model's ``preview``): a grid, curves or points."""
        with self.ema_weights():
            shown = self.model.preview(self.fixed)
        kind = shown.pop("kind")
        if kind == "curves":
            return curve_plot(shown["samples"], shown["x"], shown["real"])
        if kind == "points":
            return scatter_plot(shown["samples"], shown["real"])
        return image_grid(shown["images"], nrow=shown["nrow"])

    def write_samples(self) -> Path | None:
        if not self.accelerator.is_main_process:
            return None
        image = self.sample_image()
        path = save_png(image, self.out / "samples" / f"step_{self.step:07d}.png")
        if self.config.tracker != "none":
            import numpy as np

            tracker = self.accelerator.get_tracker("tensorboard")
            tracker.log_images({"samples": np.asarray(image)}, step=self.step, dataformats="HWC")
        return path

    def save_model(self, grid: Path | None, model_dir: Path | None = None) -> Path | None:
        """save_pretrained (EMA generator) with a filled-in model card, into `model_dir` (default
        OUTPUT_DIR/model, replaced); push if asked."""
        acc, c = self.accelerator, self.config
        if not acc.is_main_process:
            return None
        model_dir = Path(model_dir) if model_dir is not None else self.out / "model"
        if model_dir.exists():
            shutil.rmtree(model_dir)
        model_dir.mkdir(parents=True)
        if grid is not None:
            shutil.copy(grid, model_dir / "samples.png")
        dtype = torch.float16 if c.weights_dtype == "fp16" else None
        with self.ema_weights():
            self.model.save_pretrained(model_dir, weights_dtype=dtype, model_card_kwargs=self.model_card())
            model_cards.set_metadata(model_dir, family=self.model.family, data=c.data,
                                     model_name=c.push_to_hub.split("/")[-1] if c.push_to_hub else self.out.name)
            if c.push_to_hub:
                from huggingface_hub import HfApi

                # Not the mixin's push_to_hub: it re-saves into a temporary folder, which leaves out samples.png.
                api = HfApi()
                repo = api.create_repo(c.push_to_hub, private=c.hub_private, exist_ok=True).repo_id
                api.upload_folder(repo_id=repo, folder_path=str(model_dir), commit_message=f"gan_train: {c.model} on {c.data}")
                acc.print(f"pushed to {repo}")
        acc.print(f"saved the model to {model_dir}")
        return model_dir

    def model_card(self) -> dict:
        """The mixin template's fields: gan_train.card writes the Training section."""
        c = self.config
        if self.device.type == "cuda":
            hardware = f"{self.accelerator.num_processes} x {torch.cuda.get_device_name()}"
        else:
            hardware = f"{self.accelerator.num_processes} CPU process(es), {platform.processor() or platform.machine()}, {os.cpu_count()} cores"
        training = model_cards.training_section(
            command=self.command, data=c.data, items=len(self.dataset), steps=self.step, batch_size=c.batch_size,
            processes=self.accelerator.num_processes, loss=self.objective.loss.name if self.objective.loss else "elbo",
            lr=c.lr, mixed_precision=c.mixed_precision, ema_decay=c.ema_decay, seed=c.seed,
            seconds=getattr(self, "elapsed", 0), hardware=hardware, torch_version=torch.__version__,
            losses=getattr(self, "last_losses", {}), resume_changes=getattr(self, "resume_changes", None) or ())
        return {"training": training, "samples": "![samples](samples.png)", "repo_hint": c.push_to_hub or str(self.out / "model"),
                "title": f"{type(self.model).__name__} trained on {c.data}"}


def export_checkpoint(checkpoint: str | Path, output: str | Path | None = None) -> Path:
    """The EMA model of a training checkpoint (RUN/checkpoints/step_N, or RUN/checkpoints/latest) as a
    model folder, as the run would have saved it had it stopped there: to score or ship an intermediate
    step. Reads the run's config.yaml and the checkpoint (safetensors + JSON, checked as --resume checks
    it); writes `output` (default RUN/model-step_N)."""
    from .config import read_config_file

    checkpoint = Path(checkpoint)
    run = checkpoint.parent.parent
    latest = checkpoint.name == "latest"
    if not (run / "config.yaml").is_file() or not (latest or (checkpoint / ckpt.TRAINER_STATE).is_file()):
        raise ConfigError(f"{checkpoint} is not a training checkpoint: expected RUN/checkpoints/step_N with "
                          f"trainer_state.json, and RUN/config.yaml (the folders `gan_train --output-dir RUN` writes)")
    values = read_config_file(run / "config.yaml")
    values.update(output_dir=str(run), tracker="none", progress=False, init_from=None)
    trainer = Trainer(TrainConfig.from_dict(values))
    if latest:  # the pointer, checked as --resume latest checks it
        checkpoint = trainer.latest_checkpoint()
        if checkpoint is None:
            raise ConfigError(f"no whole checkpoint in {run / 'checkpoints'} yet")
    output = Path(output) if output is not None else run / f"model-{checkpoint.name}"
    if output.exists() and any(output.iterdir()) and not (output / "config.json").is_file():
        raise ConfigError(f"{output} exists and is not a model folder: choose an empty or new --output")
    trainer.resume(str(checkpoint))
    trainer.command = (f"the run in {run} (its config.yaml) to step {trainer.step}; "
                       f"exported with gan_train export --checkpoint {checkpoint}")
    grid = run / "samples" / f"{checkpoint.name}.png"  # the run's sample grid of that step, if it drew one
    return trainer.save_model(grid if grid.is_file() else None, model_dir=output)
