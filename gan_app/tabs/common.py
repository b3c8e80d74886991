"""Bits every model tab shares: the model picker, seeds, and the upload component."""

from __future__ import annotations

import math

import gradio as gr

from .. import images
from ..errors import UserError
from ..models import ModelInfo, model_root

MAX_SEED = 2**31 - 1
PIXELS = ["pixels"]  # elem_classes: CSS keeps enlarged model images crisp


def model_picker(models: list[ModelInfo], label: str, elem_id: str, what: str) -> gr.Dropdown:
    """A dropdown of bundled models that also takes a Hub repo id or a folder under the model root."""
    choices = [(m.label, m.name) for m in models]
    return gr.Dropdown(
        choices, value=choices[0][1] if choices else None, allow_custom_value=True, label=label, elem_id=elem_id,
        info=f"A bundled {what} model, or type a Hub repo id (user/name) or a folder inside {model_root()}.",
    )


def seed_value(seed) -> int:
    try:
        value = float(seed)
    except (TypeError, ValueError):
        raise UserError(f"The seed must be a whole number, got {seed!r}.") from None
    if not math.isfinite(value) or value != int(value) or not 0 <= value <= MAX_SEED:
        raise UserError(f"The seed must be a whole number from 0 to {MAX_SEED}, got {seed!r}.")
    return int(value)


def _number_in(value, name: str, lo, hi) -> float:
    """`value` as a finite number within [lo, hi], else a UserError naming the field and the range."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise UserError(f"{name} must be a number, got {value!r}.") from None
    if not math.isfinite(number) or not lo <= number <= hi:
        low, high = (f"{x:g}" if isinstance(x, float) else str(x) for x in (lo, hi))  # 2147483647, not 2.14748e+09
        raise UserError(f"{name} must be between {low} and {high}, got {value!r}.")
    return number


def int_in(value, name: str, lo: int, hi: int) -> int:
    """A whole number from a slider or box: in range, rounded (sliders may send 3.0000001)."""
    return int(round(_number_in(value, name, lo, hi)))


def float_in(value, name: str, lo: float, hi: float) -> float:
    return _number_in(value, name, lo, hi)


def seed_box(value: int = 0, label: str = "Seed", **kwargs) -> gr.Number:
    """A whole-number box for a seed in [0, MAX_SEED] (what seed_value accepts)."""
    return gr.Number(value, label=label, precision=0, minimum=0, maximum=MAX_SEED, **kwargs)


def none_bundled_note(models: list[ModelInfo], what: str) -> None:
    """When the app ships no model for a tab, say how to load one instead of showing an empty picker."""
    if not models:
        gr.Markdown(f"_No {what} is bundled with this copy of the app; type a Hub repo id or a folder of one below._")


def grid_png(batch, nrow: int, stem: str, side: int = 512) -> str:
    """A batch of images in [0, 1] as one enlarged grid, saved as a PNG file for an output image."""
    return images.save_png(images.enlarge(images.grid(batch, nrow=nrow), side), stem)


def upload_image(**kwargs) -> gr.Image:
    """The upload box: the file as sent (any mode), PNG previews, upload or paste.

    Gradio opens an upload with PIL before the handler runs; a text file renamed .png, a truncated file or a
    decompression bomb would fail there with a bare "Error". The wrapped ``preprocess`` turns that into a
    clear message; the handler then sanitises the picture itself (:func:`gan_app.images.load_upload`).
    (Wrapping the instance, not subclassing gr.Image: a subclass makes Gradio write a .pyi stub beside
    this module at import.)
    """
    kwargs.setdefault("type", "filepath")
    kwargs.setdefault("image_mode", None)  # keep the file as sent; load_upload converts it
    kwargs.setdefault("sources", ["upload", "clipboard"])
    kwargs.setdefault("format", "png")
    image = gr.Image(**kwargs)
    original = image.preprocess

    def preprocess(payload):
        try:
            return original(payload)
        except gr.Error:
            raise
        except Exception:  # noqa: BLE001 - PIL raises many types for bad files
            raise gr.Error("That file is not an image this app can read (use PNG, JPEG, WebP, GIF, BMP or TIFF), "
                           "or it is too large.", title="Cannot read the upload") from None

    image.preprocess = preprocess
    return image


def output_image(label: str, elem_id: str, **kwargs) -> gr.Image:
    return gr.Image(label=label, type="pil", format="png", interactive=False, elem_id=elem_id, elem_classes=PIXELS,
                    buttons=["download", "fullscreen"], **kwargs)
