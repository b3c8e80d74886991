"""More tabs, each shown only when a bundled model of its kind exists: Pix2Pix, StackGAN, VAE vs GAN.

API (when the tab is there)::

    seen, out, info = client.predict(handle_file("edges.png"), "pix2pix-edges-fashion", api_name="/pix2pix")
    stage1, stage2, info = client.predict("stackgan-fashion", 0, 10, "all", api_name="/stackgan")
    vae, gan, info = client.predict("vae-mnist", "dcgan-mnist", 0, 16, api_name="/vae_vs_gan")
"""

from __future__ import annotations

import math

import gradio as gr

from .. import images
from ..errors import friendly
from ..models import ModelInfo, discover, get_model, metrics_line, of_family, require
from .common import grid_png, int_in, model_picker, output_image, seed_box, seed_value, upload_image
from .sampling import label_choices, parse_label
from .translate import EXAMPLES_DIR


# -- Pix2Pix ---------------------------------------------------------------------------------
@friendly("translating the picture")
def pix2pix(image=None, model="pix2pix-edges-fashion"):
    """(input as the model sees it, output, description)."""
    net = require(get_model(model), ("pix2pix",), "The Pix2Pix tab")
    x, notes = images.load_upload(image, net.in_channels, net.image_size, auto_invert=False)
    out = net.translate(x)
    info = f"**{net.domain_a.replace('_', ' ')} → {net.domain_b.replace('_', ' ')}**, {net.image_size} px."
    if notes:
        info += "  \nYour picture: " + "; ".join(notes) + "."
    return images.save_png(images.single(x[0]), "input"), images.save_png(images.single(out[0]), "pix2pix"), info


def _pix2pix_tab(models: list[ModelInfo]) -> None:
    with gr.Tab("Pix2Pix", id="pix2pix", elem_id="tab-pix2pix"):
        gr.Markdown("## Pix2Pix: from a sketch to a picture\n\nPix2Pix learns from **pairs** (an edge map and its "
                    "photo): a U-Net paints the output and a critic judges whether the output fits *this* input. "
                    "Draw or upload an edge map (white lines on black), or click an example.")
        with gr.Row():
            with gr.Column(scale=1, min_width=280):
                model = model_picker(models, "Model", "p2p-model", "Pix2Pix")
                image = upload_image(label="Edges", elem_id="p2p-input", height=260)
                go = gr.Button("Paint", variant="primary", elem_id="p2p-go")
            with gr.Column(scale=2):
                with gr.Row():
                    seen = output_image("As the model sees it", "p2p-seen")
                    out = output_image("Pix2Pix's picture", "p2p-out")
                info = gr.Markdown(label="info")
        outputs = [seen, out, info]
        go.click(pix2pix, [image, model], outputs, api_name="pix2pix")  # before the Examples: keeps the name
        rows = [[str(p), models[0].name] for p in sorted(EXAMPLES_DIR.glob("edges-*.png"))[:6]]
        if rows:
            gr.Examples(rows, [image, model], outputs, fn=pix2pix, run_on_click=True, cache_examples=False,
                        api_visibility="private")


# -- StackGAN --------------------------------------------------------------------------------
@friendly("painting with StackGAN")
def stackgan(model="stackgan", seed=0, n=10, label="all"):
    """(stage I grid, stage II grid, description): the rough sketch and the refined picture, same noise."""
    import torch
    net = require(get_model(model), ("stackgan",), "The StackGAN tab")
    seed, n = seed_value(seed), int_in(n, "Number of images", 1, 40)
    index = parse_label(net, label)
    labels = (torch.arange(n) % net.num_classes) if index is None else index
    with torch.inference_mode():
        low = net.generate(n, seed=seed, label=labels, stage=1)
        high = net.generate(n, seed=seed, label=labels, stage=2)
    nrow = min(n, net.num_classes) if index is None else math.ceil(math.sqrt(n))
    return (grid_png(low, nrow, "stage1"), grid_png(high, nrow, "stage2"),
            f"Stage I paints {net.low_size}×{net.low_size} px; stage II reads it and paints {net.image_size}×"
            f"{net.image_size} px. Same seed ({seed}), same classes.")


def _stackgan_tab(models: list[ModelInfo]) -> None:
    with gr.Tab("StackGAN", id="stackgan", elem_id="tab-stackgan"):
        gr.Markdown("## StackGAN: sketch first, then details\n\nStage I draws a rough, small picture from the "
                    "noise and the class; stage II looks at that sketch and paints it four times larger, "
                    "fixing what stage I missed.")
        first = models[0]
        with gr.Row():
            model = model_picker(models, "Model", "stack-model", "StackGAN")
            label = gr.Dropdown([("one of each class", "all")] + [(f"{i}: {n}", str(i)) for i, n in
                                                                   enumerate(first.class_names)],
                                value="all", label="Class", allow_custom_value=True)
            seed = seed_box()
            n = gr.Slider(1, 40, value=10, step=1, label="Images")
            go = gr.Button("Paint", variant="primary", elem_id="stack-go")
        with gr.Row():
            low = output_image("Stage I (sketch)", "stack-low")
            high = output_image("Stage II (refined)", "stack-high")
        info = gr.Markdown(label="info")
        go.click(stackgan, [model, seed, n, label], [low, high, info], api_name="stackgan")

        @friendly("reading the model")
        def classes(name):
            net = require(get_model(name), ("stackgan",), "The StackGAN tab")
            return gr.Dropdown(choices=label_choices(net), value="all")

        model.change(classes, model, label, api_visibility="private")


# -- VAE vs GAN ------------------------------------------------------------------------------
@friendly("comparing VAE and GAN")
def vae_vs_gan(vae="vae-mnist", gan="dcgan-mnist", seed=0, n=16):
    """(VAE samples, GAN samples, description), the same number of images from the same seed."""
    import torch
    v = require(get_model(vae), ("vae",), "VAE vs GAN (left)")
    g = require(get_model(gan), ("dcgan",), "VAE vs GAN (right)")
    seed, n = seed_value(seed), int_in(n, "Number of images", 1, 64)
    with torch.inference_mode():
        left, right = v.generate(n, seed=seed), g.generate(n, seed=seed)
    nrow = math.ceil(math.sqrt(n))
    return (grid_png(left, nrow, "vae"), grid_png(right, nrow, "gan"),
            "The VAE is trained to rebuild every training image, so it covers all kinds but blurs; the GAN is "
            "trained to fool a critic, so it is sharp but may skip kinds (mode collapse).  \n"
            f"**VAE** ({vae}): {_metrics(vae)}  \n**GAN** ({gan}): {_metrics(gan)}  \n"
            "(from each model card, `gan_train eval` on the same test images; lower FID/KID is better)")


def _metrics(name: str) -> str:
    info = discover().get(str(name))
    return metrics_line(info) if info is not None else "see its model card"


def _vae_tab(vaes: list[ModelInfo], gans: list[ModelInfo]) -> None:
    with gr.Tab("VAE vs GAN", id="vae", elem_id="tab-vae"):
        gr.Markdown("## VAE vs GAN\n\nThe same decoder network, two ways to train it: a **VAE** (reconstruct, "
                    "stay close to a Gaussian) and a **GAN** (fool a critic).")
        with gr.Row():
            vae = model_picker(vaes, "VAE", "vae-model", "VAE")
            gan = model_picker(gans, "GAN", "vae-gan-model", "DCGAN")
            seed = seed_box()
            n = gr.Slider(1, 64, value=16, step=1, label="Images")
            go = gr.Button("Compare", variant="primary", elem_id="vae-go")
        with gr.Row():
            left = output_image("VAE samples", "vae-left")
            right = output_image("GAN samples", "vae-right")
        info = gr.Markdown(label="info")
        go.click(vae_vs_gan, [vae, gan, seed, n], [left, right, info], api_name="vae_vs_gan")


def build(demo: gr.Blocks, models: dict[str, ModelInfo]) -> None:
    p2p = of_family(models, ("pix2pix",))
    if p2p:
        _pix2pix_tab(p2p)
    stacks = of_family(models, ("stackgan",))
    if stacks:
        _stackgan_tab(stacks)
    vaes = of_family(models, ("vae",))
    gans = of_family(models, ("dcgan",))
    if vaes and gans:
        # put the GAN trained on the same kind of images first
        shape = (vaes[0].config.get("image_size"), vaes[0].config.get("channels"))
        gans.sort(key=lambda m: (m.config.get("image_size"), m.config.get("channels")) != shape)
        _vae_tab(vaes, gans)
