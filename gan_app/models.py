"""Which models the app can show, and loading them safely (once).

Three kinds of model source, in this order:

1. a **bundled** name: a ``save_pretrained`` folder ``<weights>/<name>/`` that ships with the app
   (``<weights>`` is ``$GAN_TOOLKIT_WEIGHTS`` or ``weights/`` of the project);
2. a **local folder**: an absolute path, one starting with ``./``, ``../`` or ``~``, or a path that
   exists relative to the model root. It must lie inside the *model root*
   (``$GAN_TOOLKIT_MODEL_ROOT``, default the weights folder) after symlinks and ``..`` are resolved,
   so a web user cannot make the server read other files;
3. a **Hugging Face Hub repo id** (``user/name``), downloaded by huggingface_hub (offline servers say so).

Only gan-toolkit models load (safetensors, strict shapes, see :mod:`gan_models.hub`), and a config
that would build an oversized network is refused before anything is allocated. Loaded models are
kept in a small LRU cache; a bundled folder whose weights file changes is reloaded.
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

from .errors import UserError

WEIGHTS_ENV = "GAN_TOOLKIT_WEIGHTS"
ROOT_ENV = "GAN_TOOLKIT_MODEL_ROOT"
PROJECT_DIR = Path(__file__).resolve().parents[1]
CACHE_SIZE = 8
REPO_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,95}/[A-Za-z0-9_.-]{1,96}$")

# What a model can do comes from its family's record (gan_models/registry.py ``shows``), which
# save_pretrained also writes into config.json, so listing the bundled models does not import torch.
SAMPLES = ("sample", "class", "age")  # generate() draws images from noise: the Sampling tab

# A config.json may not ask for more than this (a hostile one could ask for a 100 GB network).
LIMITS = {
    "image_size": 512, "channels": 3, "in_channels": 3, "out_channels": 3, "ngf": 512, "ndf": 512, "nf": 512,
    "nz": 4096, "latent_dim": 4096, "embed_dim": 4096, "cond_dim": 4096, "n_blocks": 16, "n_layers_d": 8,
    "num_classes": 10_000, "n_ideas": 4096, "points": 4096, "hidden": 8192,
}


def weights_dir() -> Path:
    """Where bundled models live: ``$GAN_TOOLKIT_WEIGHTS``, else ``weights/`` of the project (or cwd)."""
    env = os.environ.get(WEIGHTS_ENV)
    if env:
        return Path(env).expanduser().resolve()
    here = PROJECT_DIR / "weights"
    return here.resolve() if here.is_dir() else (Path.cwd() / "weights").resolve()


def model_root() -> Path:
    """The one folder local model paths may point into."""
    env = os.environ.get(ROOT_ENV)
    return Path(env).expanduser().resolve() if env else weights_dir()


def _nice(name: str) -> str:
    return str(name).replace("_", " ")


@dataclass(frozen=True)
class ModelInfo:
    """A model's config.json, read without building the network."""

    name: str
    source: str
    config: dict = field(hash=False, compare=False)

    @property
    def family(self) -> str:
        return str(self.config.get("family", "?"))

    @property
    def shows(self) -> tuple[str, ...]:
        """config.json's ``shows``; a model saved before it was written asks the family registry."""
        shows = self.config.get("shows")
        if isinstance(shows, list) and all(isinstance(s, str) for s in shows):
            return tuple(shows)
        from gan_models import get_family

        family = get_family(self.family).shows
        return tuple(s for s in family if s not in ("class", "age") or s == self.condition)

    @property
    def condition(self) -> str | None:
        if self.family == "stackgan":
            return "class"
        return self.config.get("condition", "class") if self.family == "cgan" else None

    @property
    def class_names(self) -> list[str]:
        names = self.config.get("class_names")
        k = int(self.config.get("num_classes", 10) or 0)
        if isinstance(names, list) and names:
            return [str(n) for n in names]
        return [str(i) for i in range(k)]

    @property
    def domains(self) -> tuple[str, str]:
        return str(self.config.get("domain_a", "A")), str(self.config.get("domain_b", "B"))

    @property
    def label(self) -> str:
        """What a dropdown shows."""
        size = self.config.get("image_size")
        px = f", {size} px" if size else ""
        if "translate" in self.shows:
            a, b = self.domains
            arrow = "→" if self.family == "pix2pix" else "↔"
            return f"{_nice(a)} {arrow} {_nice(b)} ({self.name}{px})"
        return f"{self.name} ({self.family}{px})"


HEADLINE_METRICS = ("fid", "kid_mean", "class_accuracy", "l1", "a2b_target_share", "b2a_target_share", "age_mae")


def card_metrics(info: ModelInfo) -> dict[str, int | float]:
    """The headline figures of the model card's model-index metadata (written by `gan_train eval --update-card`)."""
    from gan_train.card import CardError, read_metrics  # on first use: gan_train imports torch

    try:
        figures = read_metrics(info.source)
    except (CardError, OSError):  # no card, or one whose metadata cannot be read: shown as not evaluated
        return {}
    return {k: figures[k] for k in (*HEADLINE_METRICS, "num_generated") if k in figures}


def metrics_line(info: ModelInfo) -> str:
    """'FID 50.51 · KID 0.01446 (n = 300)', or a note that the model was not evaluated."""
    rows = {k: f"{v:.4g}" if isinstance(v, float) else str(v) for k, v in card_metrics(info).items()}
    shown = [f"{k.replace('_mean', '').replace('_', ' ').upper() if k in ('fid', 'kid_mean') else k.replace('_', ' ')} {rows[k]}"
             for k in HEADLINE_METRICS if k in rows]
    if not shown:
        return "not evaluated"
    return " · ".join(shown) + (f" (n = {rows['num_generated']})" if "num_generated" in rows else "")


def read_info(folder: Path, name: str | None = None) -> ModelInfo | None:
    """The ModelInfo of a save_pretrained folder, or None if it is not a gan-toolkit model."""
    try:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(config, dict) or not (folder / "model.safetensors").is_file():
        return None
    if not isinstance(config.get("family"), str) or not _known_family(config):
        return None
    return ModelInfo(name or folder.name, str(folder), config)


def _known_family(config: dict) -> bool:
    """A gan-toolkit family: config.json says what it shows (no torch needed), or the registry knows it."""
    if isinstance(config.get("shows"), list):
        return True
    from gan_models import list_families

    return config["family"] in list_families()


def discover(folder: Path | None = None) -> dict[str, ModelInfo]:
    """Every bundled model: ``<weights>/*/config.json`` with a known family, by name."""
    folder = weights_dir() if folder is None else folder
    found = {}
    if folder.is_dir():
        for sub in sorted(folder.iterdir()):
            if sub.is_dir() and not sub.name.startswith("."):
                info = read_info(sub)
                if info is not None:
                    found[sub.name] = info
    return found


def of_family(models: dict[str, ModelInfo], families, condition: str | None = None) -> list[ModelInfo]:
    return [m for m in models.values() if m.family in families and (condition is None or m.condition == condition)]


def families_that_show(shows: tuple[str, ...]) -> tuple[str, ...]:
    """The registered families that can do one of ``shows`` (e.g. SAMPLES), for ``require``."""
    from gan_models import get_family, list_families

    return tuple(n for n in list_families() if set(get_family(n).shows) & set(shows))


def that_show(models: dict[str, ModelInfo], shows: tuple[str, ...]) -> list[ModelInfo]:
    """The models that can do one of ``shows`` (e.g. SAMPLES: draw images from noise)."""
    return [m for m in models.values() if set(m.shows) & set(shows)]


# -- resolving what the user typed ---------------------------------------------------------
@dataclass(frozen=True)
class Source:
    kind: str  # "bundled" | "folder" | "hub"
    where: str  # a resolved folder path, or a repo id
    shown: str  # what to call it in messages


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def resolve(text: str | None) -> Source:
    """Turn a dropdown value / typed text into a checked model source (or a clear UserError)."""
    text = (text or "").strip()
    if not text:
        raise UserError("Pick a model first.")
    if len(text) > 400 or "\x00" in text:
        raise UserError("That model name is too long or contains invalid characters.")
    bundled = discover()
    if text in bundled:
        return Source("bundled", bundled[text].source, text)
    root = model_root()
    explicit_path = text.startswith(("/", "./", "../", "~", ".\\", "..\\")) or text in (".", "..") or "\\" in text
    if not explicit_path and not REPO_ID.match(text) and "/" not in text:
        known = ", ".join(bundled) or "none"
        raise UserError(f"'{text}' is not a bundled model (bundled: {known}), a folder, or a Hub repo id "
                        "like 'user/model-name'.")
    candidate = Path(os.path.expanduser(text))
    if not candidate.is_absolute():
        candidate = root / candidate
    if explicit_path or candidate.exists():
        real = candidate.resolve(strict=False)  # symlinks and .. resolved before the check
        if not _inside(real, root):
            raise UserError(f"'{text}' is outside the folder this server reads models from ({root}). "
                            "Only folders inside it can be loaded; copy the model folder there.")
        if not real.is_dir():
            raise UserError(f"'{text}' is not a model folder inside {root} (nothing there).")
        return Source("folder", str(real), text)
    if not REPO_ID.match(text):
        raise UserError(f"'{text}' is neither a model folder inside {root} nor a Hub repo id like 'user/model-name'.")
    return Source("hub", text, text)


def check_config(config: dict, shown: str) -> None:
    """Refuse configs of other libraries or of networks too big to build on a demo server."""
    from gan_models import list_families

    if config.get("family") not in list_families():
        raise UserError(f"'{shown}' is not a gan-toolkit model (its config.json has family "
                        f"{config.get('family')!r}; known: {', '.join(list_families())}).")
    for key, limit in LIMITS.items():
        value = config.get(key)
        if value is None:
            continue
        if not isinstance(value, int) or isinstance(value, bool) or not 0 < value <= limit:
            raise UserError(f"'{shown}': config.json has {key}={value!r}; this app loads models with "
                            f"{key} between 1 and {limit} only.")


def _hub_message(err: Exception, repo: str) -> str | None:
    """A clear sentence for the ways a Hub download fails, or None if it is not one of them."""
    import huggingface_hub.errors as hf_errors

    name = type(err).__name__
    offline = os.environ.get("HF_HUB_OFFLINE", "").upper() in {"1", "ON", "YES", "TRUE"}
    if isinstance(err, hf_errors.HFValidationError):
        return f"'{repo}' is not a valid Hub repo id."
    if isinstance(err, hf_errors.RepositoryNotFoundError) or name == "RepositoryNotFoundError":
        return f"The Hub has no model '{repo}' (or it is private). Check the repo id."
    if isinstance(err, hf_errors.RevisionNotFoundError):
        return f"'{repo}' has no such revision on the Hub."
    if isinstance(err, (hf_errors.LocalEntryNotFoundError, hf_errors.OfflineModeIsEnabled)) or offline:
        return (f"Cannot download '{repo}': this server is offline (no access to the Hugging Face Hub) and the "
                "model is not in its local cache. Pick a bundled model instead.")
    if isinstance(err, hf_errors.EntryNotFoundError):
        return f"'{repo}' on the Hub is not a gan-toolkit model (it has no config.json / model.safetensors)."
    if isinstance(err, (hf_errors.HfHubHTTPError, OSError, ConnectionError, TimeoutError)):
        return f"Cannot reach the Hugging Face Hub to download '{repo}' ({name}). Try again later or pick a bundled model."
    return None


def _load(source: Source):
    import gan_models
    from gan_models import read_config

    if source.kind == "hub":
        from huggingface_hub import hf_hub_download

        try:
            config = read_config(hf_hub_download(source.where, "config.json"))
            check_config(config, source.shown)
            return gan_models.load(source.where)
        except UserError:
            raise
        except gan_models.CheckpointError as err:
            raise UserError(f"'{source.shown}' cannot be loaded: {err}") from None
        except Exception as err:  # noqa: BLE001 - mapped to a clear message or re-raised
            message = _hub_message(err, source.where)
            if message is None:
                raise
            raise UserError(message) from None
    folder = Path(source.where)
    if not (folder / "config.json").is_file():
        raise UserError(f"'{source.shown}' is not a saved model: it has no config.json "
                        "(a model folder holds config.json and model.safetensors).")
    try:
        check_config(read_config(folder / "config.json"), source.shown)
        return gan_models.load(str(folder))
    except gan_models.CheckpointError as err:
        raise UserError(f"'{source.shown}' cannot be loaded: {err}") from None


_cache: OrderedDict[tuple, object] = OrderedDict()
_cache_lock = threading.Lock()
_key_locks: dict[tuple, threading.Lock] = {}


def _cache_key(source: Source) -> tuple:
    if source.kind == "hub":
        return (source.kind, source.where)
    try:
        stamp = (Path(source.where) / "model.safetensors").stat().st_mtime_ns
    except OSError:
        stamp = 0
    return (source.kind, source.where, stamp)


def get_model(text: str | None):
    """The loaded model for a dropdown value / path / repo id, from the cache when it is there."""
    source = resolve(text)
    key = _cache_key(source)
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
        lock = _key_locks.setdefault(key, threading.Lock())
    with lock:  # one load per model even when many requests ask for it at once
        with _cache_lock:
            if key in _cache:
                return _cache[key]
        model = _load(source)
        model.eval()
        with _cache_lock:
            _cache[key] = model
            while len(_cache) > CACHE_SIZE:
                _cache.popitem(last=False)
            _key_locks.pop(key, None)
        return model


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()


def require(model, families: tuple[str, ...], what: str, condition: str | None = None):
    """Check a loaded model fits a tab; say which models would."""
    family = getattr(model, "family", "?")
    if family not in families or (condition is not None and getattr(model, "condition", None) != condition):
        kind = f"{family}" + (f" ({model.condition}-conditioned)" if getattr(model, "condition", None) else "")
        need = " or ".join(families) + (f" conditioned on {condition}" if condition else "")
        raise UserError(f"That model is a {kind} model; {what} needs a {need} model.")
    return model
