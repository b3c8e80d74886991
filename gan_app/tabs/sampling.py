"""Tab 2, "Sampling": draw images from a trained generator, walk between two seeds, download the grid.

API::

    grid, png_path, info = client.predict("dcgan-mnist", 0, 16, "all", api_name="/sample")
    gif_path, info = client.predict("cgan-mnist", 0, 1, 16, "7", api_name="/interpolate")

``/sample(model, seed, n, label)``: ``model`` is a bundled name, a Hub repo id or a folder under the model
root; ``label`` matters for class-conditional models: ``"all"`` (one of each class, in rows), a class
index (``"7"``) or a class name (``"sneaker"``). The same seed always gives the same images.
``/interpolate(model, seed_a, seed_b, frames, label)``: an animated GIF walking (slerp in noise space) from
seed A's image to seed B's and back.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import gradio as gr

from .. import images
from ..errors import UserError, friendly
from ..models import SAMPLES, ModelInfo, families_that_show, get_model, require, that_show
from .common import int_in, model_picker, output_image, seed_value

if TYPE_CHECKING:
    import torch

MAX_IMAGES = 64
MAX_FRAMES = 48

INTRO = """
## Sampling: what has the painter learned?

Every **seed** picks one set of random numbers (the painter's ideas); the generator turns each into an image.
The same seed always gives the same images. A **conditional** GAN also takes the class you ask for: it generates an image of the condition it is given. The animation walks through noise space from seed A to seed B
(spherical interpolation): smooth changes mean G learned a continuous "space of ideas", not a list of copies.
"""


def _is_class_model(model) -> bool:
    return "class" in getattr(model, "shows", ())


def class_names(model) -> list[str]:
    names = getattr(model, "class_names", None)
    k = int(getattr(model, "num_classes", 0) or 0)
    return [str(n) for n in names] if names else [str(i) for i in range(k)]


def parse_label(model, label) -> int | None:
    """None = one of each class; else a class index. Accepts an index, a name, or '3: name'."""
    if not _is_class_model(model):
        return None
    text = "" if label is None else str(label).strip()
    if text.lower() in ("", "all", "any", "none", "one of each class"):
        return None
    names = class_names(model)
    head = text.split(":", 1)[0].strip()
    if head.lstrip("-").isdigit():
        index = int(head)
        if not 0 <= index < len(names):
            raise UserError(f"class must be 0..{len(names) - 1} for this model, got {index}.")
        return index
    lowered = [n.lower().replace(" ", "_") for n in names]
    key = text.lower().replace(" ", "_")
    if key in lowered:
        return lowered.index(key)
    raise UserError(f"'{text}' is not a class of this model; choose one of: {', '.join(names)}.")


def label_choices(model) -> list[tuple[str, str]]:
    if not _is_class_model(model):
        return [("(this model has no classes)", "all")]
    return [("one of each class", "all")] + [(f"{i}: {n.replace('_', ' ')}", str(i)) for i, n in enumerate(class_names(model))]


def describe(model) -> str:
    size, ch = getattr(model, "image_size", "?"), getattr(model, "channels", "?")
    import gan_models

    kind = gan_models.get_family(model.family).title
    text = f"**{kind}**, {size}×{size} px, {ch} channel{'s' if ch != 1 else ''}"
    if _is_class_model(model):
        text += f", classes: {', '.join(n.replace('_', ' ') for n in class_names(model))}"
    elif getattr(model, "condition", None) == "age":
        text += ", conditioned on age: see the Age tab"
    return text


def _generate(model, n: int, seed: int, label: int | None, noise=None) -> torch.Tensor:
    import torch
    kwargs = {}
    if _is_class_model(model):
        kwargs["label"] = (torch.arange(n) % model.num_classes) if label is None else label
    elif getattr(model, "condition", None) == "age":
        kwargs["age"] = 30.0
    if noise is not None:
        return model.generate(n, noise=noise, **kwargs)
    return model.generate(n, seed=seed, **kwargs)


@friendly("sampling images")
def sample(model="dcgan-mnist", seed=0, n=16, label="all"):
    """Generate ``n`` images from ``seed``; returns (grid image, PNG file path, description)."""
    import torch
    net = require(get_model(model), families_that_show(SAMPLES), "Sampling")
    seed, n = seed_value(seed), int_in(n, "Number of images", 1, MAX_IMAGES)
    index = parse_label(net, label)
    with torch.inference_mode():
        pictures = _generate(net, n, seed, index)
    if _is_class_model(net) and index is None and n >= net.num_classes:
        nrow = net.num_classes
    else:
        nrow = math.ceil(math.sqrt(n))
    grid = images.enlarge(images.grid(pictures, nrow=nrow), 512)
    path = images.save_png(grid, "samples")
    what = "one of each class" if index is None and _is_class_model(net) else (
        f"class {index}: {class_names(net)[index]}" if index is not None else "")
    info = f"{describe(net)}  \n{n} image{'s' if n != 1 else ''} from seed {seed}" + (f", {what}" if what else "")
    return path, path, info  # one file: the picture shown is the download


@friendly("making the interpolation")
def interpolate(model="dcgan-mnist", seed_a=0, seed_b=1, frames=16, label="all"):
    """An animated GIF from seed A's image to seed B's (slerp in noise space); returns (GIF path, description)."""
    import torch
    net = require(get_model(model), families_that_show(SAMPLES), "Interpolation")
    a, b = seed_value(seed_a), seed_value(seed_b)
    frames = int_in(frames, "Frames", 2, MAX_FRAMES)
    index = parse_label(net, label)
    if _is_class_model(net) and index is None:
        index = 0
    za, zb = net.sample_noise(1, a), net.sample_noise(1, b)
    ts = [i / (frames - 1) for i in range(frames)]
    noise = torch.cat([images.slerp(za, zb, t) for t in ts])
    with torch.inference_mode():
        pictures = _generate(net, frames, a, index, noise=noise)
    pil = [images.single(p, 256) for p in pictures]
    path = images.save_gif(pil, "interpolation")
    extra = f", class {index}: {class_names(net)[index]}" if index is not None else ""
    return path, f"Seed {a} → seed {b} in {frames} frames (and back){extra}."


@friendly("reading the model")
def on_model_change(model):
    net = require(get_model(model), families_that_show(SAMPLES), "Sampling")
    choices = label_choices(net)
    return gr.Dropdown(choices=choices, value="all", interactive=_is_class_model(net)), describe(net)


def build(demo: gr.Blocks, models: dict[str, ModelInfo]) -> None:
    samplers = that_show(models, SAMPLES)
    samplers.sort(key=lambda m: (m.condition == "age", m.family != "dcgan", m.name))
    with gr.Tab("Sampling", id="sampling", elem_id="tab-sampling"):
        gr.Markdown(INTRO)
        if not samplers:
            gr.Markdown("_No image generator is bundled with this copy of the app; type a Hub repo id or a "
                        "folder of one below._")
        with gr.Row():
            with gr.Column(scale=1, min_width=280):
                model = model_picker(samplers, "Model", "sample-model", "image")
                first = samplers[0] if samplers else None
                first_choices = ([("one of each class", "all")] + [(f"{i}: {n.replace('_', ' ')}", str(i))
                                 for i, n in enumerate(first.class_names)]) if first and first.condition == "class" else \
                    [("(this model has no classes)", "all")]
                label = gr.Dropdown(first_choices, value="all", label="Class (conditional models)",
                                    allow_custom_value=True, elem_id="sample-label",
                                    interactive=bool(first and first.condition == "class"))
                seed = gr.Number(0, label="Seed", precision=0, minimum=0, maximum=2**31 - 1, elem_id="sample-seed")
                n = gr.Slider(1, MAX_IMAGES, value=16, step=1, label="Number of images")
                go = gr.Button("Generate", variant="primary", elem_id="sample-go")
                info = gr.Markdown(label="info", elem_id="sample-info")
            with gr.Column(scale=2):
                grid = output_image("Samples", "sample-grid", height=520)
                download = gr.File(label="Download the grid (PNG)", elem_id="sample-file")
        gr.Markdown("### Walk from one seed to another")
        with gr.Row():
            seed_b = gr.Number(1, label="Seed B", precision=0, minimum=0, maximum=2**31 - 1, min_width=120)
            frames = gr.Slider(2, MAX_FRAMES, value=16, step=1, label="Frames")
            animate = gr.Button("Animate", elem_id="sample-animate")
        with gr.Row():
            gif = gr.Image(label="Interpolation (GIF)", type="filepath", interactive=False, elem_id="sample-gif",
                           elem_classes=["pixels"], height=300)
            gif_info = gr.Markdown(label="info")

        go.click(sample, [model, seed, n, label], [grid, download, info], api_name="sample")
        animate.click(interpolate, [model, seed, seed_b, frames, label], [gif, gif_info], api_name="interpolate")
        model.change(on_model_change, model, [label, info], api_name="sample_model_info",
                     api_visibility="undocumented")
        if samplers:
            demo.load(sample, [model, seed, n, label], [grid, download, info], api_visibility="private")
