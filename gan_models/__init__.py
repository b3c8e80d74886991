"""gan_models: every GAN family as a plain PyTorch module with Hugging Face Hub I/O.

    import gan_models
    model = gan_models.DCGAN(image_size=32, channels=1)
    model.save_pretrained("my-dcgan")
    same = gan_models.load("my-dcgan")          # folder or Hub repo id
    images = same.generate(16, seed=0)           # (16, 1, 32, 32) in [0, 1]
"""

from __future__ import annotations

import os
from pathlib import Path

from .conditional import ConditionalGAN
from .curve import CurveGAN
from .cyclegan import CycleGAN
from .dcgan import DCGAN
from .export import export_onnx
from .hub import (
    CONFIG_NAME,
    CheckpointError,
    CorruptCheckpointError,
    GANModel,
    MissingFileError,
    ShapeMismatchError,
    UnsafeCheckpointError,
    WrongFamilyError,
    read_config,
)
from .pix2pix import Pix2Pix
from .registry import Family, UnknownFamilyError, get_family, list_families, register_family
from .stackgan import StackGAN
from .toy2d import Toy2D
from .vae import VAE

# Each model module registers its family (gan_models/registry.py) when imported above.


def family_class(config: dict, where: str) -> type[GANModel]:
    family = config.get("family")
    if family not in list_families():
        raise WrongFamilyError(
            f"{where}: config.json has family {family!r}, which is not a gan-toolkit model "
            f"(known: {', '.join(list_families())})."
        )
    return get_family(family).model_class


def load(path_or_repo_id: str | os.PathLike, *, revision: str | None = None, map_location: str = "cpu",
         **hub_kwargs) -> GANModel:
    """Load any gan-toolkit model from a save_pretrained folder or a Hub repo id."""
    source = str(path_or_repo_id)
    if os.path.isdir(source):
        config_path = Path(source) / CONFIG_NAME
    else:
        from huggingface_hub import hf_hub_download

        config_path = Path(hf_hub_download(source, CONFIG_NAME, revision=revision, **hub_kwargs))
    cls = family_class(read_config(config_path), str(config_path))
    return cls.from_pretrained(source, revision=revision, map_location=map_location, **hub_kwargs)


__all__ = [
    "CurveGAN", "DCGAN", "ConditionalGAN", "CycleGAN", "Pix2Pix", "StackGAN", "Toy2D", "VAE", "GANModel",
    "Family", "UnknownFamilyError", "get_family", "list_families", "register_family", "load", "export_onnx", "CheckpointError", "CorruptCheckpointError", "MissingFileError",
    "ShapeMismatchError", "UnsafeCheckpointError", "WrongFamilyError",
]
