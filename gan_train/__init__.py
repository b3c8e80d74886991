"""gan_train: one Accelerate trainer for every gan_models family.

    from gan_train import Trainer, TrainConfig
    trainer = Trainer(TrainConfig(model="curvegan", data="curves-quadratic"))
    for state in trainer.steps(100):
        print(state.floats())          # losses, D(real), D(fake)
"""

from .config import ConfigError, TrainConfig
from .trainer import NonFiniteLossError, StepState, Trainer

__all__ = ["Trainer", "TrainConfig", "StepState", "ConfigError", "NonFiniteLossError"]
