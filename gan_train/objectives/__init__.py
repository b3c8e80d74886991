"""What one D step and one G step compute, per training objective: the only per-family training code.

A family's record (``gan_models.get_family(name).objective``) names its objective by key; this
package maps keys to classes. A new family that trains like an existing one just names that key;
one that needs new steps adds a module here and one ``OBJECTIVES`` entry.
"""

from __future__ import annotations

import gan_models

from ..config import ConfigError, TrainConfig
from .base import Objective, Part
from .conditional import ConditionalObjective
from .cycle import CycleObjective, ImagePool
from .pix2pix import Pix2PixObjective
from .stack import StackObjective
from .vae import VAEObjective
from .vector import VectorObjective

OBJECTIVES: dict[str, type[Objective]] = {
    "image": Objective, "vector": VectorObjective, "conditional": ConditionalObjective, "stack": StackObjective,
    "cycle": CycleObjective, "pix2pix": Pix2PixObjective, "vae": VAEObjective,
}


def objective_class(family: str) -> type[Objective]:
    key = gan_models.get_family(family).objective
    if key not in OBJECTIVES:
        raise ConfigError(f"--model {family}: its objective {key!r} is not one of {', '.join(OBJECTIVES)}")
    return OBJECTIVES[key]


def build_model(config: TrainConfig, dataset) -> gan_models.GANModel:
    """The model the config asks for, shaped to the data (``Family.model_class.from_data``), with the
    architecture settings of ``config.arch`` (plus what the objective's settings imply)."""
    family = gan_models.get_family(config.model)
    if dataset.kind not in family.data:
        raise ConfigError(f"--model {config.model} needs {' or '.join(family.data)} data (e.g. --data "
                          f"{family.example_data}; `gan_train data list` shows all), but {config.data!r} is {dataset.kind} data")
    arch = {**objective_class(config.model).implied_arch(config), **config.arch}
    try:
        return family.model_class.from_data(dataset, **arch)
    except (ValueError, TypeError) as err:  # the model's own check of its settings (an unsupported size, a bad key)
        if isinstance(err, ConfigError):
            raise
        raise ConfigError(f"--model {config.model} on {config.data!r}: {err}") from err


__all__ = ["OBJECTIVES", "Objective", "Part", "ImagePool", "objective_class", "build_model"]
