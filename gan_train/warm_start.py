"""--init-from: start a run from trained weights instead of a random initialisation.

Two kinds of source:

- a saved model folder (config.json + model.safetensors: ``weights/dcgan-mnist``, a run's final
  model) of the same family and architecture: every tensor is copied. For fine-tuning, or for a
  longer run with a new learning-rate schedule, which ``--resume`` cannot give. A model trained with
  a frozen generator (``freeze_generator=true``) may start one that trains it (``--arch
  freeze_generator=false``): the frozen BatchNorm's missing batch counters are the only difference;
- ``face-generator``: the pretrained 64 px DigiFace DCGAN generator that draws the faces-age data,
  copied into the model's generator. Inputs the source lacks (a cgan's condition embedding) start
  with zero weights, so at step 0 the model draws exactly the pretrained faces for every age and
  training only has to learn what the condition changes (the way a pretrained network's first
  layer is widened for new input channels).

Optimizers, schedules and the EMA copy start fresh from these weights. ``--resume`` restores a
whole run, weights included, so a resumed run skips the warm start.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from gan_models.hub import CONFIG_NAME, WEIGHTS_NAME, CheckpointError, load_weights, read_config

from .config import ConfigError

FACE_GENERATOR = "face-generator"


def warm_start(model: nn.Module, source: str) -> str:
    """Copy the weights of ``source`` into ``model``; return what was loaded, for the log."""
    if source == FACE_GENERATOR:
        return _from_face_generator(model)
    folder = Path(source)
    if not (folder / CONFIG_NAME).is_file() or not (folder / WEIGHTS_NAME).is_file():
        raise ConfigError(
            f"--init-from {source}: not a saved model folder ({CONFIG_NAME} + {WEIGHTS_NAME}, e.g. "
            f"weights/dcgan-mnist or a run's final model) and not '{FACE_GENERATOR}'"
        )
    family = read_config(folder / CONFIG_NAME).get("family")
    if family != model.family:
        raise ConfigError(f"--init-from {source}: that is a {family!r} model; this run trains a {model.family!r} model")
    try:
        # a generator trained frozen (FrozenBatchNorm2d) keeps no batch counters, and may start one that trains it
        load_weights(model, folder / WEIGHTS_NAME, may_lack=("num_batches_tracked",))
    except CheckpointError as err:
        raise ConfigError(
            f"--init-from {source}: {err} Train the same architecture: --model-config {folder / CONFIG_NAME}"
        ) from err
    return f"all weights from {folder}"


def _from_face_generator(model: nn.Module) -> str:
    from .data.faces import NGF, NZ, FaceGenerator

    fits = (f"--init-from {FACE_GENERATOR} needs a model whose generator is the face DCGAN's: 64 px, "
            f"3 channels, --arch ngf={NGF}, noise size {NZ} (e.g. --model cgan --data faces-age --arch ngf={NGF})")
    target = getattr(model, "generator", None)
    if target is None:
        raise ConfigError(f"{fits}; a {model.family!r} model has no single generator")
    own = target.state_dict()
    # a frozen generator's FrozenBatchNorm2d keeps no batch counter
    source = {k: v for k, v in FaceGenerator("cpu").net.state_dict().items() if k in own or not k.endswith("num_batches_tracked")}
    if own.keys() != source.keys() or getattr(model, "noise_size", None) != NZ:
        raise ConfigError(fits)
    first = next(iter(source))  # the first transposed convolution: (inputs, outputs, k, k)
    with torch.no_grad():
        for key, value in source.items():
            mine = own[key]
            if mine.shape == value.shape:
                mine.copy_(value)
            elif key == first and mine.shape[1:] == value.shape[1:] and mine.shape[0] > value.shape[0]:
                mine.zero_()  # the condition's inputs: no effect until training gives them one
                mine[: value.shape[0]].copy_(value)  # the noise comes first in the generator's input
            else:
                raise ConfigError(f"{fits}; {key} is {tuple(mine.shape)} here, {tuple(value.shape)} in the face generator")
    extra = own[first].shape[0] - source[first].shape[0]
    frozen = " (frozen)" if not any(p.requires_grad for p in target.parameters()) else ""
    return "the pretrained face generator" + frozen + (f" ({extra} condition inputs starting at zero)" if extra else "")
