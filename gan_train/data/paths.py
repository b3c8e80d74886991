"""Where installed and built data lives. A leaf module: install, builtin and faces all read it."""

from __future__ import annotations

import os
from pathlib import Path


def data_root() -> Path:
    """Where installed data lives: $GAN_TOOLKIT_DATA, else ~/.cache/gan-toolkit/data."""
    env = os.environ.get("GAN_TOOLKIT_DATA")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "gan-toolkit" / "data"


def root_or_default(root: str | os.PathLike | None) -> Path:
    """The folder a `root=` argument names, or data_root() when it is None."""
    return Path(root).expanduser() if root is not None else data_root()
