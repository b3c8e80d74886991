"""Errors people see: every handler turns a failure into one clear sentence, never a stack trace.

``UserError`` carries a message meant for the person at the page (or the API script). ``friendly``
wraps a Gradio handler: a ``UserError`` or the toolkit's own checkpoint/data errors become a
``gr.Error`` with their message; anything else is logged with its traceback on the server and
shown as a short "something went wrong" line (the page never sees internals).
"""

from __future__ import annotations

import functools
import inspect
import logging
import math
import re
from pathlib import Path

import gradio as gr

log = logging.getLogger("gan_app")


class UserError(ValueError):
    """A problem with what the user asked for; the message says what is wrong and what to do."""


def hide_paths(text: str) -> str:
    """Server paths are nobody's business on the page: show them relative to the model folder (or
    the project), and any other absolute path by its last two parts."""
    from .models import model_root, weights_dir

    for base, shown in ((weights_dir(), "weights"), (model_root(), "models"), (Path.cwd(), ".")):
        text = text.replace(str(base.resolve()), shown).replace(str(base), shown)
    return re.sub(r"(?<![\w.])/(?:[^/\s'\"()]+/)*([^/\s'\"()]+/[^/\s'\"()]+)", r".../\1", text)


def _user_error(message: str, title: str) -> gr.Error:
    # print_exception=False: a plain user error is not a server fault, so no traceback in the log
    return gr.Error(hide_paths(message), title=title, print_exception=False)


def _as_gr_error(err: BaseException, what: str) -> gr.Error:
    if isinstance(err, gr.Error):
        return _user_error(str(err.message), err.title or "Cannot do that")
    if isinstance(err, UserError):
        return _user_error(str(err), "Cannot do that")
    from gan_models import CheckpointError

    if isinstance(err, CheckpointError):
        return _user_error(f"This model cannot be loaded: {err}", "Model problem")
    if isinstance(err, MemoryError):
        return _user_error("The server ran out of memory for this request; ask for fewer or smaller images.", "Too large")
    log.exception("unexpected error while %s", what)  # the one traceback, for the server's operator
    return gr.Error(f"Something went wrong while {what}. The details are in the server log; "
                    "try other settings or another model.", title="Error", print_exception=False)


def guard_numbers(demo: gr.Blocks) -> None:
    """Gradio converts Number/Slider inputs before a handler runs: "abc" or NaN sent to the API would
    fail there with an empty or generic error. Check them first and say which field is wrong."""
    for block in demo.blocks.values():
        if isinstance(block, (gr.Number, gr.Slider)):
            block.preprocess = _checked(block, block.preprocess)


def _checked(component, preprocess):
    label = component.label or "This number"

    def check(payload):
        if payload is not None:
            try:
                value = float(payload)
            except (TypeError, ValueError):
                raise _user_error(f"{label} must be a number, got {str(payload)[:40]!r}.", "Cannot do that") from None
            if not math.isfinite(value):
                raise _user_error(f"{label} must be a finite number, got {payload!r}.", "Cannot do that")
        try:
            return preprocess(payload)
        except gr.Error as err:  # Gradio's range check: "Value 10 is less than minimum value 50."
            raise _user_error(f"{label}: {err.message}", "Cannot do that") from None

    return check


def friendly(what: str):
    """Decorator: run a handler (function or generator) and show failures as clear messages."""

    def wrap(fn):
        if inspect.isgeneratorfunction(fn):
            @functools.wraps(fn)
            def gen(*args, **kwargs):
                try:
                    yield from fn(*args, **kwargs)
                except Exception as err:  # noqa: BLE001 - converted for the page, logged if unexpected
                    raise _as_gr_error(err, what) from None

            return gen

        @functools.wraps(fn)
        def call(*args, **kwargs):
            try:
                return fn(*args, **kwargs)
            except Exception as err:  # noqa: BLE001
                raise _as_gr_error(err, what) from None

        return call

    return wrap
