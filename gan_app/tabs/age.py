"""Tab 3, "Age": a conditional GAN that paints one face at any age ("from young to old").

API::

    face, strip, info = client.predict("cgan-age-faces", 7, 60, api_name="/age")

``/age(model, seed, age)``: ``seed`` picks the identity (the noise), ``age`` in years (5-95) the
condition. ``face`` is that identity at that age; ``strip`` the same identity at 10, 20, ... 80 years
(the same noise, only the condition changes). Both are PNG images.
"""

from __future__ import annotations

import random

import gradio as gr

from .. import images
from ..errors import friendly
from ..models import ModelInfo, get_model, of_family, require
from .common import float_in, model_picker, none_bundled_note, output_image, seed_box, seed_value

STRIP_AGES = (10, 20, 30, 40, 50, 60, 70, 80)
MIN_AGE, MAX_AGE = 5, 95

INTRO = """
## From young to old

A **conditional GAN** gets the condition (here an age in years) together with the noise. The noise (the
**seed**) decides *who* is painted; the age decides *how old* they look. Keep the seed, move the slider:
the same identity ages. The strip below shows that identity at 10, 20, … 80, all from the same noise.
"""


@friendly("painting the face")
def age_face(model="cgan-age-faces", seed=0, age=30):
    """(face at ``age``, strip of the same identity at 10..80, description)."""
    import torch
    net = require(get_model(model), ("cgan",), "The Age tab", condition="age")
    seed, age = seed_value(seed), float_in(age, "Age", MIN_AGE, MAX_AGE)
    noise = net.sample_noise(1, seed)
    ages = torch.tensor([age, *STRIP_AGES], dtype=torch.float32)
    with torch.inference_mode():
        faces = net.generate(len(ages), noise=noise.expand(len(ages), *noise.shape[1:]), age=ages)
    nearest = min(range(len(STRIP_AGES)), key=lambda i: abs(STRIP_AGES[i] - age))
    strip = images.strip(faces[1:], [f"{a}" for a in STRIP_AGES], highlight=nearest)
    face = images.single(faces[0], 256)
    return images.save_png(face, "face"), images.save_png(strip, "strip"), f"Identity (seed) {seed} at {age:g} years. The strip: the same noise at ages 10 to 80."


def _random_seed():
    return random.randint(0, 9999)


def build(demo: gr.Blocks, models: dict[str, ModelInfo]) -> None:
    agers = of_family(models, ("cgan",), condition="age")
    with gr.Tab("Age", id="age", elem_id="tab-age"):
        gr.Markdown(INTRO)
        none_bundled_note(agers, "age-conditioned model")
        with gr.Row():
            with gr.Column(scale=1, min_width=280):
                model = model_picker(agers, "Age model", "age-model", "age-conditioned")
                with gr.Row():
                    seed = seed_box(0, "Identity (seed)", elem_id="age-seed", min_width=120)
                    new = gr.Button("Another face", elem_id="age-new", min_width=120)
                age = gr.Slider(MIN_AGE, MAX_AGE, value=30, step=1, label="Age (years)", elem_id="age-slider")
                show = gr.Button("Show", variant="primary", elem_id="age-go")
                info = gr.Markdown(label="info", elem_id="age-info")
            with gr.Column(scale=1):
                face = output_image("This face at this age", "age-face", height=300)
        strip = output_image("Young to old: the same identity", "age-strip")

        inputs, outputs = [model, seed, age], [face, strip, info]
        show.click(age_face, inputs, outputs, api_name="age")
        age.change(age_face, inputs, outputs, api_visibility="private", trigger_mode="always_last",
                   show_progress="hidden")
        seed.submit(age_face, inputs, outputs, api_visibility="private")
        new.click(_random_seed, None, seed, api_visibility="private", queue=False).then(
            age_face, inputs, outputs, api_visibility="private")
        if agers:
            demo.load(age_face, inputs, outputs, api_visibility="private")
