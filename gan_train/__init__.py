"""gan_train: one Accelerate trainer for every gan_models family.

    from gan_train import Trainer, TrainConfig
    trainer = Trainer(TrainConfig(model="curvegan", data="curves-quadratic"))
    for state in trainer.steps(100):
        print(state.floats())          # losses, D(real), D(fake)
"""

from .config import ConfigError, TrainConfig

__all__ = ["Trainer", "TrainConfig", "StepState", "ConfigError", "NonFiniteLossError"]


def __getattr__(name: str):
    # The trainer (Accelerate, diffusers) is imported on first use, so `gan_train.card` or
    # `gan_train.data` alone (the app's card metrics, data listing) start in well under a second.
    if name in ("Trainer", "StepState", "NonFiniteLossError"):
        from . import trainer

        return getattr(trainer, name)
    raise AttributeError(f"module 'gan_train' has no attribute {name!r}")
