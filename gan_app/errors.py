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

import gradio as gr

log = logging.getLogger("gan_app")


class UserError(ValueError):
    """A problem with what the user asked for; the message says what is wrong and what to do."""


def _as_gr_error(err: BaseException, what: str) -> gr.Error:
    if isinstance(err, gr.Error):
        return err
    if isinstance(err, UserError):
        return gr.Error(str(err), title="Cannot do that")
    from gan_models import CheckpointError

    if isinstance(err, CheckpointError):
        return gr.Error(f"This model cannot be loaded: {err}", title="Model problem")
    if isinstance(err, MemoryError):
        return gr.Error("The server ran out of memory for this request; ask for fewer or smaller images.")
    log.exception("unexpected error while %s", what)
    return gr.Error(f"Something went wrong while {what}. The details are in the server log; "
                    "try other settings or another model.", title="Error")


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
