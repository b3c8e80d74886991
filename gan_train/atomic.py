"""Writing a file so that readers see the old file or the whole new one, never half of it."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path


def atomic_write(path: str | os.PathLike, write: Callable[[Path], object]) -> Path:
    """Call `write(tmp)` to fill a temporary file beside `path`, then rename it onto `path`.

    The temporary name is unique (parallel processes never share one), keeps the target's suffix
    (writers such as PIL pick the format from it) and is removed if `write` fails.
    """
    path = Path(path)
    fd, name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=f".part{path.suffix}", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        write(tmp)
        os.chmod(tmp, 0o644)  # mkstemp makes 0600 files; shared data and run folders need them readable
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path
