"""Tab 4, "CycleGAN": translate a picture to the other domain and back.

API::

    from gradio_client import handle_file
    seen, fake, back, info, numbers = client.predict(handle_file("boot.png"), "cyclegan-sneaker-boot", "b2a",
                                                     api_name="/translate")

``/translate(image, model, direction)``: ``image`` any picture (it is converted to the model's size and
channels, see the notes in ``info``), ``model`` a bundled name, Hub repo id or folder under the model root,
``direction`` ``"a2b"`` (domain A to B, e.g. sneaker → ankle boot) or ``"b2a"``. Returns the input as the
model sees it, the translation, the reconstruction after the round trip (A → B → A), a description, and
``{"change": mean |translation - input|, "round_trip_error": mean |reconstruction - input|}`` (pixels in [0, 1]).
"""

from __future__ import annotations

from pathlib import Path

import gradio as gr

from .. import images
from ..errors import UserError, friendly
from ..models import ModelInfo, get_model, of_family, require
from .common import model_picker, none_bundled_note, output_image, upload_image

EXAMPLES_DIR = Path(__file__).resolve().parents[2] / "assets" / "examples"

INTRO = """
## CycleGAN: the same thing, in the other style

CycleGAN learns to translate between two kinds of picture (domain A and domain B) **without pairs**: nobody
showed it which ankle boot belongs to which sneaker. Two painters (A → B and B → A) and two critics learn
together, and a *cycle* rule keeps the content: translating there and back must give the picture you started
with. Upload a picture or click an example; you see the translation and the round trip.
"""


def direction_choices(a: str, b: str) -> list[tuple[str, str]]:
    a, b = a.replace("_", " "), b.replace("_", " ")
    return [(f"{a} → {b}", "a2b"), (f"{b} → {a}", "b2a")]


def examples_for(model: ModelInfo, folder: Path = EXAMPLES_DIR) -> list[list]:
    """Example pictures named ``<domain>-<i>.png`` for the model's two domains, with their direction."""
    rows = []
    a, b = model.domains
    for domain, direction in ((a, "a2b"), (b, "b2a")):
        for path in sorted(folder.glob(f"{domain}-*.png"))[:3]:
            rows.append([str(path), model.name, direction])
    return rows


@friendly("translating the picture")
def translate(image=None, model="cyclegan-sneaker-boot", direction="a2b"):
    """(input as the model sees it, translation, reconstruction, description, numbers)."""
    net = require(get_model(model), ("cyclegan",), "The CycleGAN tab")
    direction = str(direction or "a2b").strip().lower()
    if direction not in ("a2b", "b2a"):
        raise UserError(f"direction must be 'a2b' or 'b2a', got {direction!r}.")
    x, notes = images.load_upload(image, net.channels, net.image_size)
    fake, back = net.round_trip(x, direction)
    source, target = (net.domain_a, net.domain_b) if direction == "a2b" else (net.domain_b, net.domain_a)
    change = float((fake - x).abs().mean())
    error = float((back - x).abs().mean())
    nice = {d: d.replace("_", " ") for d in (source, target)}
    info = (f"**{nice[source]} → {nice[target]} → {nice[source]}**. The translation differs from the input by "
            f"{change:.3f} on average (pixels 0..1); the round trip comes back within {error:.3f}.")
    if notes:
        info += "  \nYour picture: " + "; ".join(notes) + "."
    numbers = {"direction": direction, "change": round(change, 4), "round_trip_error": round(error, 4),
               "image_size": net.image_size, "channels": net.channels}
    seen_png, fake_png, back_png = (images.save_png(images.single(t[0]), stem) for t, stem in
                                    ((x, "input"), (fake, "translation"), (back, "round-trip")))
    return seen_png, fake_png, back_png, info, numbers


def retranslate(image, model, direction):
    """Switching the direction re-translates the picture already there (and stays quiet without one)."""
    if image is None:
        return (gr.skip(),) * 5
    return translate(image, model, direction)


@friendly("reading the model")
def on_model_change(model, direction):
    net = require(get_model(model), ("cyclegan",), "The CycleGAN tab")
    value = direction if direction in ("a2b", "b2a") else "a2b"
    return gr.Radio(choices=direction_choices(net.domain_a, net.domain_b), value=value)


def build(demo: gr.Blocks, models: dict[str, ModelInfo]) -> None:
    cycles = of_family(models, ("cyclegan",))
    with gr.Tab("CycleGAN", id="cyclegan", elem_id="tab-cyclegan"):
        gr.Markdown(INTRO)
        none_bundled_note(cycles, "CycleGAN")
        a, b = cycles[0].domains if cycles else ("A", "B")
        with gr.Row():
            with gr.Column(scale=1, min_width=280):
                model = model_picker(cycles, "Translation", "cycle-model", "CycleGAN")
                direction = gr.Radio(direction_choices(a, b), value="a2b", label="Direction", elem_id="cycle-direction")
                image = upload_image(label="Your picture", elem_id="cycle-input", height=260)
                go = gr.Button("Translate", variant="primary", elem_id="cycle-go")
            with gr.Column(scale=2):
                with gr.Row():
                    seen = output_image("As the model sees it", "cycle-seen")
                    fake = output_image("Translation", "cycle-fake")
                    back = output_image("Round trip (back again)", "cycle-back")
                info = gr.Markdown(label="info", elem_id="cycle-info")
                with gr.Accordion("Numbers", open=False):
                    numbers = gr.JSON(label="numbers", elem_id="cycle-numbers")
        outputs = [seen, fake, back, info, numbers]
        # registered before the Examples (whose handler is also `translate`) so the API name is "/translate"
        go.click(translate, [image, model, direction], outputs, api_name="translate")
        rows = [row for m in cycles for row in examples_for(m)]
        if rows:
            gr.Examples(rows, [image, model, direction], outputs, fn=translate, run_on_click=True,
                        cache_examples=False, label="Examples: real test pictures the model never saw",
                        examples_per_page=12, api_visibility="private")
        direction.change(retranslate, [image, model, direction], outputs, api_visibility="private",
                         show_progress="hidden")
        model.change(on_model_change, [model, direction], direction, api_visibility="private")
