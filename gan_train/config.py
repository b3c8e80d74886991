"""Training configuration: one dataclass, readable from YAML/JSON, overridable by flags.

Every field's ``help`` doubles as the ``--help`` text, so the command line and the config file
always describe the same options.
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

PRECISIONS = ("no", "fp16", "bf16")
SCHEDULERS = ("constant", "constant_with_warmup", "linear", "cosine", "constant_then_linear")


class ConfigError(ValueError):
    """A bad option or config file; the message says which and what is allowed."""


def opt(default, help: str, **extra):
    return field(default=default, metadata={"help": help, **extra})


# families trained by the shared G loss (objectives.Objective.g_loss), where --loss relativistic and
# --top-k apply; the others' objectives compute their own
SHARED_G_LOSS_FAMILIES = ("dcgan", "curvegan")


@dataclass
class TrainConfig:
    # what to train on what
    model: str = opt("dcgan", "model family (`gan_train models` lists them)")
    data: str = opt("mnist", "data source (see `gan_train data list`) or imagefolder:PATH, utkface:PATH, ...")
    # how long and how fast
    steps: int = opt(2000, "number of training iterations (one D and one G update each)")
    batch_size: int = opt(64, "images per process per step")
    lr: float = opt(2e-4, "learning rate of the generator (and of D unless --lr-d)")
    lr_d: float | None = opt(None, "learning rate of the discriminator (default: --lr)")
    beta1: float = opt(0.5, "Adam beta1 (0.5 as in DCGAN)")
    beta2: float = opt(0.999, "Adam beta2")
    lr_scheduler: str = opt("constant", f"learning-rate schedule: {', '.join(SCHEDULERS)}")
    warmup_steps: int = opt(0, "warm-up steps of the schedule")
    loss: str | None = opt(None, "adversarial loss: minimax, nonsaturating, lsgan, hinge, wgan-gp, relativistic (default: the family's)")
    n_critic: int = opt(1, "D updates per G update (5 is usual for wgan-gp)")
    gp_weight: float = opt(10.0, "gradient-penalty weight for wgan-gp")
    r1_weight: float = opt(0.0, "R1 penalty weight on real data (0 = off)")
    r2_weight: float = opt(0.0, "R2 penalty weight on generated data (0 = off); relativistic + R1 + R2 is R3GAN's recipe")
    top_k: float = opt(1.0, "share of each batch's generated images G learns from: the ones D rates most real "
                       "(Sinha et al. 2020's top-k training; 1 = all, 0.5 = the better half)")
    age_regressor: float = opt(0.0, "cgan on ages: weight of an auxiliary age-regression head on D that G must satisfy (AC-GAN style; 0 = off)")
    age_consistency: float = opt(0.0, "cgan on ages: weight of an age-consistency term on G, a frozen age regressor "
                                 "trained first on the training faces reading the age of G's faces (0 = off)")
    age_judges: int = opt(1, "cgan on ages: how many age regressors, each trained with its own seed, the age-consistency "
                          "term averages (an ensemble's mistakes partly cancel, so G finds fewer faces that fool it)")
    age_judge_jitter: float = opt(0.0, "cgan on ages: the age-consistency judges read each generated face shifted by up "
                                  "to this share of its half-width, zoomed in by up to 0.8x it and mirrored, at random "
                                  "(0 = off; 0.25 = up to 8 px at 64 px): G must show the age in what survives such "
                                  "changes, not in pixel patterns a judge happens to read as old")
    age_judge_views: int = opt(1, "cgan on ages: with --age-judge-jitter, how many independent views of each generated "
                               "face the judges read; G's loss charges every view that misreads the face, so a face "
                               "must show its age from all of them (4 is 4 judge passes a step)")
    mixed_precision: str = opt("no", "no, bf16 (CPU or GPU) or fp16 (CUDA only)")
    seed: int = opt(0, "random seed (data order, noise, initialisation)")
    balance: bool = opt(False, "draw training items so every class or age decade is equally likely (for uneven "
                        "data such as faces-age, whose young and old ends are thin)")
    # the data's shape (None = as stored)
    image_size: int | None = opt(None, "resize the data to this many px (default: the data's; 28/32/64/128/256)")
    channels: int | None = opt(None, "convert the data to 1 or 3 channels (default: the data's)")
    # the model's architecture: the family class's own __init__ settings, apart from the run settings
    arch: dict = opt(None, "architecture settings KEY=VALUE of the family (repeatable: --arch ngf=32 --arch ndf=32; "
                     "`gan_train models` lists each family's), over those of --model-config", metavar="KEY=VALUE")
    model_config: str | None = opt(None, "architecture from a JSON file: a saved model's config.json or {\"ngf\": 32, ...}")
    init_from: str | None = opt(None, "start from trained weights instead of random ones: a saved model folder of the same "
                                "family and architecture, or 'face-generator' (the pretrained 64 px face DCGAN)", metavar="SOURCE")
    # objective settings
    lambda_cycle: float = opt(10.0, "CycleGAN: cycle-consistency weight (L1)")
    lambda_identity: float = opt(0.5, "CycleGAN: identity weight, times lambda_cycle")
    lambda_l1: float = opt(100.0, "pix2pix: L1 weight")
    pool_size: int = opt(50, "CycleGAN: image pool size for D (0 = off)")
    kl_weight: float = opt(1.0, "VAE / StackGAN: KL weight")
    # the EMA generator
    ema_decay: float = opt(0.999, "EMA decay of the generator copy used for samples and the saved model (0 = off)")
    # outputs
    output_dir: str | None = opt(None, "where checkpoints, logs, samples and the final model go (default: runs/MODEL-DATA)")
    resume: str | None = opt(None, "resume from 'latest' (in --output-dir) or a checkpoint folder")
    checkpoint_every: int = opt(500, "save a resumable checkpoint every N steps (0 = only at the end)")
    keep_checkpoints: int = opt(2, "how many checkpoints to keep")
    sample_every: int = opt(500, "write a sample grid every N steps (0 = only at the end)")
    num_samples: int = opt(64, "images in the sample grid")
    log_every: int = opt(50, "log losses every N steps (also how often NaNs are checked)")
    push_to_hub: str | None = opt(None, "push the final model to this Hub repo id")
    hub_private: bool = opt(False, "create the Hub repo as private")
    weights_dtype: str = opt("fp32", "dtype of the saved weights: fp32 or fp16 (half the size)")
    # data loading
    num_workers: int = opt(0, "DataLoader worker processes")
    limit: int | None = opt(None, "use only the first N training items (quick runs, tests)")
    # speed (see docs/PERFORMANCE.md); 'auto' = on for CUDA, off for CPU
    channels_last: str = opt("auto", "channels_last memory format: auto, on, off")
    compile: str = opt("off", "torch.compile the networks: off, on, max (max-autotune)")
    fused_adam: str = opt("auto", "fused Adam kernels: auto, on, off")
    cudnn_benchmark: bool = opt(True, "let cuDNN pick the fastest convolution algorithms (CUDA)")
    tf32: bool = opt(True, "allow TF32 matmuls/convolutions in fp32 (CUDA)")
    tracker: str = opt("tensorboard", "logging backend for Accelerate's trackers: tensorboard or none")
    progress: bool = opt(True, "show a progress bar")

    def __post_init__(self):
        self.validate()

    # -- checks ------------------------------------------------------------------------
    def validate(self) -> None:
        def one_of(name, allowed):
            value = getattr(self, name)
            if value not in allowed:
                raise ConfigError(f"--{name.replace('_', '-')} must be one of {', '.join(map(str, allowed))}, got {value!r}")

        import gan_models

        one_of("model", gan_models.list_families())
        one_of("mixed_precision", PRECISIONS)
        one_of("lr_scheduler", SCHEDULERS)
        one_of("weights_dtype", ("fp32", "fp16"))
        one_of("channels_last", ("auto", "on", "off"))
        one_of("compile", ("off", "on", "max"))
        one_of("fused_adam", ("auto", "on", "off"))
        one_of("tracker", ("tensorboard", "none"))
        if self.loss is not None:
            from .losses import LOSSES

            one_of("loss", LOSSES)
        for name in ("steps", "batch_size", "n_critic", "log_every", "num_samples", "keep_checkpoints", "age_judges", "age_judge_views"):
            if getattr(self, name) < 1:
                raise ConfigError(f"--{name.replace('_', '-')} must be at least 1, got {getattr(self, name)}")
        self.arch = self._checked_arch(gan_models.get_family(self.model).model_class)
        for name in ("checkpoint_every", "sample_every", "warmup_steps", "num_workers", "pool_size"):
            if getattr(self, name) < 0:
                raise ConfigError(f"--{name.replace('_', '-')} must be 0 or more, got {getattr(self, name)}")
        for name in ("lr", "lr_d"):
            value = getattr(self, name)
            if value is not None and not 0 < value < math.inf:
                raise ConfigError(f"--{name.replace('_', '-')} must be a finite positive number, got {value}")
        for name in ("beta1", "beta2"):
            if not 0 <= getattr(self, name) < 1:
                raise ConfigError(f"--{name} must be in [0, 1), got {getattr(self, name)}")
        for name in ("gp_weight", "r1_weight", "r2_weight", "age_regressor", "age_consistency", "lambda_cycle", "lambda_identity", "lambda_l1", "kl_weight"):
            value = getattr(self, name)
            if not 0 <= value < math.inf:
                raise ConfigError(f"--{name.replace('_', '-')} must be a finite number >= 0, got {value}")
        offered = " and ".join(SHARED_G_LOSS_FAMILIES)
        if self.loss == "relativistic" and self.model not in SHARED_G_LOSS_FAMILIES:
            raise ConfigError(f"--loss relativistic is offered for {offered}; {self.model} uses its own G loss")
        if not 0 < self.top_k <= 1:
            raise ConfigError(f"--top-k must be in (0, 1], the share of generated images G learns from, got {self.top_k}")
        if self.top_k < 1 and self.model not in SHARED_G_LOSS_FAMILIES:
            raise ConfigError(f"--top-k is offered for {offered}; {self.model} uses its own G loss")
        if not 0 <= self.age_judge_jitter <= 0.5:
            raise ConfigError(f"--age-judge-jitter must be in [0, 0.5] (a share of the half-width), got {self.age_judge_jitter}")
        if self.age_judge_jitter and not self.age_consistency:
            raise ConfigError(f"--age-judge-jitter {self.age_judge_jitter} jitters the judges of --age-consistency, which "
                              "is off; add --age-consistency W (e.g. 100)")
        if self.age_judge_views > 1 and not self.age_judge_jitter:
            raise ConfigError(f"--age-judge-views {self.age_judge_views} sets how many jittered views the judges read, "
                              "but --age-judge-jitter is off; add --age-judge-jitter J (e.g. 0.25)")
        if self.age_judges > 1 and not self.age_consistency:
            raise ConfigError(f"--age-judges {self.age_judges} sets the judges of --age-consistency, which is off; "
                              "add --age-consistency W (e.g. 100)")
        if self.limit is not None and self.limit < 1:
            raise ConfigError(f"--limit must be at least 1, got {self.limit}")
        if self.image_size is not None and not 4 <= self.image_size <= 1024:
            raise ConfigError(f"--image-size must be between 4 and 1024 px, got {self.image_size}")
        if not 0 <= self.ema_decay < 1:
            raise ConfigError(f"--ema-decay must be in [0, 1), got {self.ema_decay}")
        if self.channels not in (None, 1, 3):
            raise ConfigError(f"--channels must be 1 or 3, got {self.channels}")

    def _checked_arch(self, model_class) -> dict[str, Any]:
        """--model-config's settings under --arch's, each checked against the family's __init__."""
        arch = dict(self.arch or {})
        if self.model_config:
            saved = read_config_file(self.model_config)
            if saved.get("family", self.model) != self.model:
                raise ConfigError(f"--model-config {self.model_config} is a {saved['family']} config, not {self.model}")
            arch = {**{k: v for k, v in saved.items() if k not in ("family", "shows") and k not in model_class.data_args}, **arch}
        try:
            model_class.check_arch(arch)
        except ValueError as err:
            raise ConfigError(f"--arch: {err}") from err
        for key, value in arch.items():
            default = model_class.arch_options()[key]
            if isinstance(default, int) and not isinstance(default, bool):
                if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 4096:
                    raise ConfigError(f"--arch {key} must be a whole number between 1 and 4096, got {value!r}")
            elif isinstance(default, bool) and not isinstance(value, bool):
                raise ConfigError(f"--arch {key} must be true or false, got {value!r}")
        return arch

    # -- I/O ---------------------------------------------------------------------------
    @property
    def out(self) -> Path:
        name = f"{self.model}-{self.data.replace(':', '_').replace('/', '_').replace('~', '-')}"
        return Path(self.output_dir or Path("runs") / name)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def save(self, path: str | Path) -> None:
        Path(path).write_text(yaml.safe_dump(self.to_dict(), sort_keys=False))

    @classmethod
    def from_file(cls, path: str | Path, **overrides) -> TrainConfig:
        return cls.from_dict({**read_config_file(path), **overrides})

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> TrainConfig:
        known = {f.name for f in dataclasses.fields(cls)}
        values = {k.replace("-", "_"): v for k, v in values.items()}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ConfigError(f"unknown option(s) {', '.join(unknown)}; see `gan_train --help`")
        return cls(**values)


def read_config_file(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file {path} does not exist")
    text = path.read_text(encoding="utf-8")
    try:
        values = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as err:
        raise ConfigError(f"config file {path} is not valid {'JSON' if path.suffix == '.json' else 'YAML'}: {err}") from err
    if values is None:
        return {}
    if not isinstance(values, dict):
        raise ConfigError(f"config file {path} must hold a mapping of option: value, got {type(values).__name__}")
    return values
