"""Hub I/O shared by every model: the mixin settings, the model card, and safe loading.

Every family subclasses :class:`GANModel`. Saving and pushing come from huggingface_hub's
``PyTorchModelHubMixin``; loading is ours so that it is strict and explains itself:
safetensors only (a pickle can run code when unpickled), and each way a checkpoint can be
wrong raises a :class:`CheckpointError` that names the file and what is wrong.
"""

from __future__ import annotations

import inspect
import json
import os
from pathlib import Path
from typing import Any

import torch
from huggingface_hub import PyTorchModelHubMixin, hf_hub_download
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file, save
from torch import nn

WEIGHTS_NAME = "model.safetensors"
CONFIG_NAME = "config.json"
PICKLE_NAMES = ("pytorch_model.bin", "model.bin", "model.pt", "model.pth", "model.ckpt", "checkpoint.pt")

MODEL_CARD_TEMPLATE = """---
{{ card_data }}
---

# {{ title | default("gan-toolkit model", true) }}

A **{{ family }}** model from [gan-toolkit](https://github.com/gan-toolkit/gan-toolkit){{ resolution_text }}.

{{ description | default("", true) }}

## Use

```python
import gan_models
model = gan_models.load("{{ repo_hint | default("path/or/repo-id", true) }}")
{{ usage }}
```

## Training

{{ training | default("Not trained yet: these are the weights as constructed.", true) }}

## Metrics

{{ metrics | default("Not evaluated.", true) }}

{{ samples | default("", true) }}
"""


class CheckpointError(ValueError):
    """A checkpoint folder that cannot be loaded; the message names the file and the fault."""


class UnsafeCheckpointError(CheckpointError):
    """Only a pickled checkpoint was found; we never unpickle."""


class CorruptCheckpointError(CheckpointError):
    """The safetensors file is truncated, corrupt, or not safetensors at all."""


class WrongFamilyError(CheckpointError):
    """config.json describes another model family (or no gan-toolkit model at all)."""


class MissingFileError(CheckpointError, FileNotFoundError):
    """config.json or model.safetensors is missing."""


class ShapeMismatchError(CheckpointError):
    """The tensors in the file do not match the architecture config.json describes."""


class GANModel(
    nn.Module,
    PyTorchModelHubMixin,
    library_name="gan-toolkit",
    license="mit",
    tags=["gan", "pytorch"],
    repo_url="https://github.com/gan-toolkit/gan-toolkit",
    model_card_template=MODEL_CARD_TEMPLATE,
):
    """Base class: Hub I/O, noise sampling and the [-1, 1] <-> [0, 1] conventions."""

    family: str = "gan"
    usage: str = "images = model.generate(16, seed=0)  # (16, C, H, W) in [0, 1]"

    # -- conventions -------------------------------------------------------------------
    @property
    def noise_size(self) -> int:
        """Numbers of noise per sample (what ``sample_noise(n)`` draws per row)."""
        return self.nz
    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device

    @staticmethod
    def to_unit(x: torch.Tensor) -> torch.Tensor:
        """Model space [-1, 1] -> image space [0, 1]."""
        return ((x.float() + 1) / 2).clamp_(0, 1)

    @staticmethod
    def from_unit(x: torch.Tensor) -> torch.Tensor:
        """Image space [0, 1] -> model space [-1, 1]."""
        return x * 2 - 1

    @staticmethod
    def seeded(seed: int | None) -> torch.Generator | None:
        """A CPU generator, so the same seed gives the same noise on every device."""
        return None if seed is None else torch.Generator().manual_seed(int(seed))

    # -- building from data, previews ----------------------------------------------------
    # __init__ arguments that come from the data, never from the user's architecture settings.
    data_args: tuple[str, ...] = ("image_size", "channels")

    @classmethod
    def arch_options(cls) -> dict[str, Any]:
        """The architecture settings a user may choose: __init__ arguments and their defaults,
        minus those the data decides (``data_args``)."""
        params = inspect.signature(cls.__init__).parameters
        return {name: p.default for name, p in params.items()
                if name != "self" and p.kind is p.POSITIONAL_OR_KEYWORD and name not in cls.data_args}

    @classmethod
    def check_arch(cls, arch: dict[str, Any]) -> None:
        """Raise ValueError naming any key that is not an architecture setting of this family."""
        options = cls.arch_options()
        unknown = sorted(set(arch) - set(options))
        if unknown:
            from_data = [k for k in unknown if k in cls.data_args]
            hint = (f" ({', '.join(from_data)} come(s) from the data: use --image-size / --channels to resize it)"
                    if from_data else "")
            raise ValueError(f"{cls.family} has no architecture setting {', '.join(unknown)}{hint}; "
                             f"it has: {', '.join(f'{k}={v!r}' for k, v in options.items())}")

    @classmethod
    def data_shape(cls, dataset) -> dict[str, Any]:
        """The data-decided __init__ arguments, read from the dataset's first item."""
        item = dataset[0]
        image = item["image"] if "image" in item else item["image_b"]
        return {"image_size": int(image.shape[-1]), "channels": int(image.shape[0])}

    @classmethod
    def from_data(cls, dataset, **arch) -> GANModel:
        """The model shaped to ``dataset`` (size, channels, classes, ...) with the user's ``arch``."""
        cls.check_arch(arch)
        return cls(**cls.data_shape(dataset), **arch)

    def preview_inputs(self, dataset, n: int, seed: int) -> dict[str, torch.Tensor]:
        """Fixed inputs for the training sample grids (the same at every step, so grids compare)."""
        return {"noise": self.sample_noise(n, seed)}

    def preview(self, inputs: dict[str, torch.Tensor]) -> dict[str, Any]:
        """What the model makes of ``preview_inputs``: ``{"kind": "grid", "images": ..., "nrow": ...}``
        (or kind "curves" / "points" with ``samples`` and ``real``); gan_train.samples draws it."""
        noise = inputs["noise"]
        return {"kind": "grid", "images": self.generate(len(noise), noise=noise), "nrow": None}

    # -- saving ------------------------------------------------------------------------
    @property
    def shows(self) -> tuple[str, ...]:
        """What an app can do with this model (its family's ``shows``, gan_models/registry.py)."""
        from .registry import get_family

        return get_family(self.family).shows

    def hub_config(self) -> dict[str, Any]:
        """config.json: the __init__ arguments, plus ``family`` (which class loads it) and ``shows``
        (so an app can list models without importing torch). Loading passes only __init__ arguments."""
        return {**(self._hub_mixin_config or {}), "family": self.family, "shows": list(self.shows)}

    def save_pretrained(self, save_directory, *, weights_dtype: torch.dtype | None = None, **kwargs):
        """Write config.json, model.safetensors and README.md.

        ``weights_dtype=torch.float16`` halves the file (loading casts back to the model's dtype).
        """
        self._weights_dtype = weights_dtype
        config = self.hub_config()
        kwargs.setdefault("config", config)
        card = kwargs.pop("model_card_kwargs", None) or {}
        kwargs["model_card_kwargs"] = {**self.model_card_defaults(), **card}
        return super().save_pretrained(save_directory, **kwargs)

    def push_to_hub(self, repo_id: str, **kwargs):
        kwargs.setdefault("config", self.hub_config())
        card = kwargs.pop("model_card_kwargs", None) or {}
        kwargs["model_card_kwargs"] = {**self.model_card_defaults(), "repo_hint": repo_id, **card}
        return super().push_to_hub(repo_id, **kwargs)

    def model_card_defaults(self) -> dict[str, Any]:
        size = getattr(self, "image_size", None)
        return {
            "family": self.family,
            "title": f"{type(self).__name__}",
            "resolution_text": f", {size}x{size} px" if size else "",
            "usage": self.usage,
        }

    def _save_pretrained(self, save_directory: Path) -> None:
        dtype = getattr(self, "_weights_dtype", None)
        state = {}
        for key, value in self.state_dict().items():
            value = value.detach()
            if dtype is not None and value.is_floating_point():
                value = value.to(dtype)
            state[key] = value.contiguous().cpu()
        write_safetensors(save_directory / WEIGHTS_NAME, state, metadata={"format": "pt", "family": self.family})

    # -- loading -----------------------------------------------------------------------
    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path, *args, **kwargs):
        """As huggingface_hub's, but a broken config.json gets a CheckpointError naming the file."""
        source = str(pretrained_model_name_or_path)
        if os.path.isdir(source):
            read_config(Path(source) / CONFIG_NAME)
        try:
            return super().from_pretrained(pretrained_model_name_or_path, *args, **kwargs)
        except (json.JSONDecodeError, UnicodeDecodeError) as err:
            raise CheckpointError(f"{source}: {CONFIG_NAME} is not valid JSON ({err}).") from err
        except AttributeError as err:  # the mixin calls config.items() on whatever the JSON held
            raise CheckpointError(f"{source}: {CONFIG_NAME} must hold a JSON object ({err}).") from err

    @classmethod
    def _from_pretrained(
        cls,
        *,
        model_id: str,
        revision: str | None,
        cache_dir,
        force_download: bool,
        local_files_only: bool,
        token,
        config: dict | None = None,
        map_location: str = "cpu",
        **model_kwargs,
    ):
        files = _resolve_files(model_id, revision, cache_dir, force_download, local_files_only, token)
        if config is None:
            config = read_config(files[CONFIG_NAME], model_id)
        family = config.get("family")
        if family != cls.family:
            raise WrongFamilyError(
                f"{files[CONFIG_NAME]}: config.json is for family {family!r}, not {cls.family!r} "
                f"({cls.__name__}). Load it with gan_models.load(...) to get the right class."
            )
        # Build on the meta device first (no memory), and check the file's header against it: a
        # config.json asking for ngf=1000000 must not allocate terabytes before the mismatch shows.
        try:
            with torch.device("meta"):
                probe = cls(**model_kwargs)
        except (TypeError, ValueError) as err:
            raise CheckpointError(f"{files[CONFIG_NAME]}: does not describe a valid {cls.__name__} ({err}).") from err
        check_header(probe.state_dict(), files[WEIGHTS_NAME])
        model = cls(**model_kwargs)
        load_weights(model, files[WEIGHTS_NAME])
        model.to(map_location)
        model.eval()
        return model


def _resolve_files(model_id, revision, cache_dir, force_download, local_files_only, token) -> dict[str, Path]:
    """Local folder or Hub repo id -> paths of config.json and model.safetensors."""
    if os.path.isdir(model_id):
        folder = Path(model_id)
        found = {name: folder / name for name in (CONFIG_NAME, WEIGHTS_NAME)}
        if not found[WEIGHTS_NAME].exists():
            pickles = [p for p in PICKLE_NAMES if (folder / p).exists()]
            if pickles:
                raise UnsafeCheckpointError(
                    f"{folder / pickles[0]}: this is a pickled PyTorch checkpoint. gan-toolkit loads "
                    f"only safetensors ({WEIGHTS_NAME}) because unpickling can run arbitrary code. If you "
                    "trust the file, convert it: `safetensors.torch.save_file(torch.load(path, "
                    f"weights_only=True), '{WEIGHTS_NAME}')`."
                )
        for path in found.values():
            if not path.exists():
                raise MissingFileError(f"{path}: missing. A saved model folder holds {CONFIG_NAME} and {WEIGHTS_NAME}.")
        return found
    if os.path.exists(model_id):
        raise CheckpointError(f"{model_id}: is a file; pass the folder that holds {CONFIG_NAME} and {WEIGHTS_NAME}.")
    found = {}
    for name in (CONFIG_NAME, WEIGHTS_NAME):
        found[name] = Path(
            hf_hub_download(
                repo_id=model_id,
                filename=name,
                revision=revision,
                cache_dir=cache_dir,
                force_download=force_download,
                local_files_only=local_files_only,
                token=token,
            )
        )
    return found


def read_config(path: str | Path, source: str | None = None) -> dict:
    path = Path(path)
    if not path.exists():
        raise MissingFileError(f"{path}: missing. A saved model folder holds {CONFIG_NAME} and {WEIGHTS_NAME}.")
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise CheckpointError(f"{path}: not valid JSON ({err}).") from err
    if not isinstance(config, dict):
        raise CheckpointError(f"{path}: expected a JSON object, got {type(config).__name__}.")
    return config


FLOAT_DTYPES = {torch.float32, torch.float16, torch.bfloat16}  # what save_pretrained may write for a float tensor
_SAFETENSORS_DTYPES = {"F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
                       "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8, "U8": torch.uint8,
                       "BOOL": torch.bool}


def _dtype_fits(stored: torch.dtype, wanted: torch.dtype) -> bool:
    return stored in FLOAT_DTYPES if wanted.is_floating_point else stored == wanted


def check_header(expected: dict[str, torch.Tensor], path: str | Path) -> None:
    """Compare names, shapes and dtypes with the safetensors header only (nothing is allocated)."""
    path = Path(path)
    try:
        with safe_open(str(path), framework="pt") as f:
            stored = {k: (tuple(f.get_slice(k).get_shape()), _SAFETENSORS_DTYPES.get(f.get_slice(k).get_dtype()))
                      for k in f.keys()}
    except (SafetensorError, OSError, ValueError) as err:
        raise _unreadable(path, err) from err
    own = {k: (tuple(v.shape), v.dtype) for k, v in expected.items()}
    _raise_on_mismatch(path, own, stored)


def _unreadable(path: Path, err: Exception) -> CorruptCheckpointError:
    head = path.read_bytes()[:2] if path.exists() else b""
    hint = " It looks like a pickle/zip (torch.save) file renamed." if head in (b"PK", b"\x80\x02") else ""
    return CorruptCheckpointError(f"{path}: not a readable safetensors file (truncated or corrupt: {err}).{hint} "
                                  "Re-download or re-save the model.")


def _raise_on_mismatch(path: Path, own: dict, stored: dict) -> None:
    """own / stored: name -> (shape, dtype). Raises ShapeMismatchError naming what differs."""
    missing = sorted(set(own) - set(stored))
    unexpected = sorted(set(stored) - set(own))
    wrong = [f"{k}: file {stored[k][0]} vs model {own[k][0]}" for k in own.keys() & stored.keys() if stored[k][0] != own[k][0]]
    dtypes = [f"{k}: file {stored[k][1]} vs model {own[k][1]}" for k in own.keys() & stored.keys()
              if stored[k][0] == own[k][0] and not (stored[k][1] and _dtype_fits(stored[k][1], own[k][1]))]
    if missing or unexpected or wrong or dtypes:
        parts = []
        if wrong:
            parts.append(f"{len(wrong)} shape mismatch(es), e.g. {'; '.join(sorted(wrong)[:3])}")
        if dtypes:
            parts.append(f"{len(dtypes)} tensor(s) of a dtype this model does not use, e.g. {'; '.join(sorted(dtypes)[:3])}")
        if missing:
            parts.append(f"{len(missing)} missing tensor(s), e.g. {', '.join(missing[:3])}")
        if unexpected:
            parts.append(f"{len(unexpected)} unexpected tensor(s), e.g. {', '.join(unexpected[:3])}")
        raise ShapeMismatchError(
            f"{path}: does not match the architecture in config.json: {'; '.join(parts)}. "
            "Was the file saved by a model with other settings?"
        )


def write_safetensors(path: str | Path, tensors: dict[str, torch.Tensor], metadata: dict[str, str] | None = None) -> None:
    """A safetensors file with the umask's mode, like the JSON files written beside it: safetensors'
    own save_file makes every file 0600, unreadable to the other users of a shared folder."""
    Path(path).write_bytes(save(tensors, metadata=metadata))


def load_weights(model: nn.Module, path: str | Path, *, may_lack: tuple[str, ...] = ()) -> None:
    """Strictly copy a safetensors file into ``model``; every fault names the file.

    ``may_lack``: name endings of the model's tensors the file may leave out (they keep the model's
    values), e.g. BatchNorm's ``num_batches_tracked``, which a frozen network does not keep."""
    path = Path(path)
    try:
        state = load_file(str(path))
    except (SafetensorError, OSError, ValueError) as err:
        raise _unreadable(path, err) from err
    own = model.state_dict()
    if may_lack:
        own = {k: v for k, v in own.items() if k in state or not k.endswith(may_lack)}
    _raise_on_mismatch(path, {k: (tuple(v.shape), v.dtype) for k, v in own.items()},
                       {k: (tuple(v.shape), v.dtype) for k, v in state.items()})
    with torch.no_grad():
        for key, value in own.items():
            value.copy_(state[key])
