"""Resumable checkpoints that never run code when read: safetensors for tensors, JSON for the rest.

Accelerate's ``save_state``/``load_state`` write pickles (optimizer.bin, random_states_*.pkl,
custom_checkpoint_*.pkl) and read them back with full unpickling, so a shared checkpoint could run
any code on ``--resume``. We write our own folder instead:

    step_0001000/
      state.safetensors   every tensor: model, optimizers, EMA, image pools, schedulers' tensors
      state.json          everything else (numbers, lists), tensors replaced by their key
      rng_<rank>.safetensors / rng_<rank>.json   each process's Python, NumPy and torch RNG states
      trainer_state.json  written last: format, family, step, the run's settings, and the SHA-256
                          of every file above (a truncated or edited file is refused, not half-read)

Reading uses ``safetensors.torch.load_file`` and ``json.loads`` only. A folder holding any
pickle-like file is refused with a message that says why.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import re
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.torch import load_file

from gan_models.hub import write_safetensors

from .atomic import atomic_write

FORMAT = "gan_train-checkpoint/1"
STATE_NAME, STATE_JSON, TRAINER_STATE = "state.safetensors", "state.json", "trainer_state.json"
PICKLE_SUFFIXES = (".pkl", ".pickle", ".bin", ".pt", ".pth", ".ckpt")
STEP_NAME = re.compile(r"^step_\d{7,}$")


class CheckpointError(ValueError):
    """A checkpoint that cannot be resumed from; the message names the file and what to do."""


# -- nested state <-> (JSON, tensors) ---------------------------------------------------------
def split_state(obj: Any, prefix: str, tensors: dict[str, torch.Tensor]) -> Any:
    """Replace every tensor (or NumPy array) in a nested state by a reference; collect the tensors."""
    if isinstance(obj, torch.Tensor):
        tensors[prefix] = obj.detach().cpu().contiguous().clone()
        return {"__tensor__": prefix}
    if isinstance(obj, np.ndarray):
        tensors[prefix] = torch.from_numpy(obj.copy())
        return {"__ndarray__": prefix}
    if isinstance(obj, dict):
        if not all(isinstance(k, (str, int)) for k in obj):
            raise TypeError(f"{prefix}: dict keys must be str or int")
        # JSON keys are strings: remember which were ints (optimizer state is keyed by param index)
        return {"__dict__": [[k, split_state(v, f"{prefix}/{k}", tensors)] for k, v in obj.items()]}
    if isinstance(obj, tuple):
        return {"__tuple__": [split_state(v, f"{prefix}/{i}", tensors) for i, v in enumerate(obj)]}
    if isinstance(obj, list):
        return [split_state(v, f"{prefix}/{i}", tensors) for i, v in enumerate(obj)]
    if isinstance(obj, float) and not math.isfinite(obj):
        return {"__float__": repr(obj)}
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, (np.integer, np.floating)):
        return obj.item()
    raise TypeError(f"{prefix}: cannot store a {type(obj).__name__} in a checkpoint (only tensors, numbers, text)")


def join_state(obj: Any, tensors: dict[str, torch.Tensor], where: str) -> Any:
    """Inverse of :func:`split_state`; a reference to a missing tensor is an error, not a None."""
    if isinstance(obj, list):
        return [join_state(v, tensors, where) for v in obj]
    if not isinstance(obj, dict):
        return obj
    if set(obj) == {"__tensor__"} or set(obj) == {"__ndarray__"}:
        key = obj.get("__tensor__", obj.get("__ndarray__"))
        if key not in tensors:
            raise CheckpointError(f"{where}: refers to tensor {key!r}, which the .safetensors file lacks")
        return tensors[key] if "__tensor__" in obj else tensors[key].numpy()
    if set(obj) == {"__tuple__"}:
        return tuple(join_state(v, tensors, where) for v in obj["__tuple__"])
    if set(obj) == {"__float__"}:
        return float(obj["__float__"])
    if set(obj) == {"__dict__"}:
        return {k: join_state(v, tensors, where) for k, v in obj["__dict__"]}
    raise CheckpointError(f"{where}: unexpected entry {sorted(obj)[:3]} (not written by gan_train)")


def write_pair(folder: Path, stem: str, state: dict) -> list[str]:
    tensors: dict[str, torch.Tensor] = {}
    plain = split_state(state, stem, tensors)
    write_safetensors(folder / f"{stem}.safetensors", tensors)
    (folder / f"{stem}.json").write_text(json.dumps(plain))
    return [f"{stem}.safetensors", f"{stem}.json"]


def read_pair(folder: Path, stem: str) -> dict:
    tensor_path, json_path = folder / f"{stem}.safetensors", folder / f"{stem}.json"
    for path in (tensor_path, json_path):
        if not path.is_file():
            raise CheckpointError(f"{path}: missing. The checkpoint is incomplete; resume from an earlier one.")
    try:
        tensors = load_file(str(tensor_path))
    except (SafetensorError, OSError, ValueError) as err:
        raise CheckpointError(f"{tensor_path}: not a readable safetensors file ({err}).") from err
    try:
        plain = json.loads(json_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise CheckpointError(f"{json_path}: not valid JSON ({err}).") from err
    return join_state(plain, tensors, str(json_path))


# -- random number generators ------------------------------------------------------------------
def rng_state() -> dict:
    state = {"python": random.getstate(), "numpy": np.random.get_state(), "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict, where: str) -> None:
    try:
        random.setstate(state["python"])
        np.random.set_state(state["numpy"])
        torch.set_rng_state(state["torch"])
        if torch.cuda.is_available() and "cuda" in state:
            torch.cuda.set_rng_state_all(state["cuda"])
    except (KeyError, TypeError, ValueError, RuntimeError) as err:
        raise CheckpointError(f"{where}: the random-number states are damaged ({err}); "
                              "resuming would not continue the same run. Resume from an earlier checkpoint.") from err


# -- integrity ---------------------------------------------------------------------------------
def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def refuse_pickles(folder: Path) -> None:
    found = sorted(p.name for p in folder.iterdir() if p.suffix.lower() in PICKLE_SUFFIXES)
    if found:
        raise CheckpointError(
            f"{folder}: holds {', '.join(found)}: pickle files, which can run code when loaded. gan_train "
            "checkpoints are safetensors + JSON only and never unpickle anything, so this folder is refused. "
            "If it is an old (Accelerate-format) or foreign checkpoint, start a new run; to keep its weights, "
            "load them yourself in a trusted session and save them with save_pretrained."
        )


def read_trainer_state(folder: Path) -> dict:
    """trainer_state.json, checked: our format, and every listed file present with its hash."""
    if not folder.is_dir():
        raise CheckpointError(f"{folder}: not a folder. Pass a checkpoint folder (checkpoints/step_...) or 'latest'.")
    refuse_pickles(folder)
    path = folder / TRAINER_STATE
    if not path.is_file():
        raise CheckpointError(f"{folder} is not a gan_train checkpoint (no {TRAINER_STATE})")
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise CheckpointError(f"{path}: not valid JSON ({err}); the checkpoint is damaged.") from err
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not a {FORMAT} checkpoint (format {meta.get('format') if isinstance(meta, dict) else None!r}). "
                              "It was written by another program or an older gan_train; start a new run.")
    if not isinstance(meta.get("step"), int) or meta["step"] < 0:
        raise CheckpointError(f"{path}: 'step' must be a non-negative integer, got {meta.get('step')!r}")
    files = meta.get("files")
    if not isinstance(files, dict):
        raise CheckpointError(f"{path}: no file list; the checkpoint is damaged.")
    for name, digest in files.items():
        if "/" in name or "\\" in name or name.startswith("."):
            raise CheckpointError(f"{path}: lists {name!r}, which is not a file of this folder")
        file = folder / name
        if not file.is_file():
            raise CheckpointError(f"{file}: missing. The checkpoint is incomplete; resume from an earlier one.")
        if sha256(file) != digest:
            raise CheckpointError(f"{file}: its contents differ from when it was saved (truncated, corrupt or edited). "
                                  "Resume from an earlier checkpoint.")
    return meta


def is_complete(folder: Path) -> bool:
    try:
        read_trainer_state(folder)
        return True
    except CheckpointError:
        return False


def write_trainer_state(folder: Path, meta: dict) -> None:
    files = {p.name: sha256(p) for p in sorted(folder.iterdir()) if p.is_file() and p.name != TRAINER_STATE}
    state = json.dumps({"format": FORMAT, **meta, "files": files}, indent=1)
    atomic_write(folder / TRAINER_STATE, lambda tmp: tmp.write_text(state))
