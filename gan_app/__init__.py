"""gan_app: the Gradio app of gan-toolkit (``python app.py``).

    from gan_app import build_demo, launch_kwargs, queue_kwargs
    demo = build_demo()
    demo.queue(**queue_kwargs()).launch(**launch_kwargs())

Tabs: live lessons trained in the browser (the tutorials' curves; GAN Lab in 2-D); sampling from bundled
generators; an age-conditioned GAN; CycleGAN; and Pix2Pix / StackGAN / VAE-vs-GAN when such a model is
bundled. Bundled models are ``save_pretrained`` folders in ``weights/<name>/`` (``$GAN_TOOLKIT_WEIGHTS``).
Every endpoint is callable with gradio_client; see each tab module's docstring.
"""

from __future__ import annotations

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # before gradio is imported: no calls home

import logging  # noqa: E402
import threading  # noqa: E402

import gradio as gr  # noqa: E402

from .errors import guard_numbers  # noqa: E402
from .models import discover, weights_dir  # noqa: E402

log = logging.getLogger("gan_app")

TITLE = "gan-toolkit: watch a GAN learn"
HEADER = """
# gan-toolkit: generative adversarial networks you can watch learn

Two networks play a game: **G**, a novice painter, turns random numbers into pictures; **D**, an art critic,
says how likely a picture is real. Trained in turns, the painter learns from the critic until the critic
cannot tell: G gives D its training examples, and D gives G its goal. Start with **Paint like the artist**.
"""
CSS = """
.pixels img { image-rendering: pixelated; image-rendering: crisp-edges; }
"""
MAX_FILE_SIZE = "10mb"


def torch_threads() -> int:
    """Small networks on a shared CPU run fastest with few threads per request."""
    env = os.environ.get("GAN_TOOLKIT_TORCH_THREADS")
    if env:
        return max(1, int(env))
    return max(1, min(4, (os.cpu_count() or 2) // 2))


def configure() -> None:
    import torch

    torch.set_num_threads(torch_threads())


def build_demo(models: dict | None = None) -> gr.Blocks:
    """The whole app; ``models`` (name -> ModelInfo) defaults to what ``weights/`` holds now."""
    from .tabs import age, extras, lessons, sampling, translate

    models = discover() if models is None else models
    log.info("bundled models in %s: %s", weights_dir(), ", ".join(models) or "none")
    # delete_cache: Gradio drops its copies of generated files after an hour (checked every 30 min)
    with gr.Blocks(title=TITLE, analytics_enabled=False, delete_cache=(1800, 3600)) as demo:
        gr.Markdown(HEADER)
        with gr.Tabs():
            lessons.build()
            sampling.build(demo, models)
            age.build(demo, models)
            translate.build(demo, models)
            extras.build(demo, models)
    guard_numbers(demo)
    return demo


def queue_kwargs() -> dict:
    # Requests are short CPU work; a few at a time keeps each fast. Live training has its own limit (4).
    return {"default_concurrency_limit": int(os.environ.get("GAN_TOOLKIT_CONCURRENCY", "4")), "max_size": 256}


def launch_kwargs(**overrides) -> dict:
    """Local: 127.0.0.1:7860. Hugging Face Spaces sets GRADIO_SERVER_NAME=0.0.0.0 (and the port)."""
    port = os.environ.get("GRADIO_SERVER_PORT") or os.environ.get("PORT")
    kwargs = {
        "server_name": os.environ.get("GRADIO_SERVER_NAME") or "127.0.0.1",
        "server_port": int(port) if port else None,
        "max_file_size": MAX_FILE_SIZE,
        "allowed_paths": [],  # serve only what the app itself creates
        "css": CSS,
        "footer_links": ["api", "gradio"],
        "show_error": False,  # handlers raise gr.Error with clear messages; nothing else reaches the page
    }
    kwargs.update(overrides)
    return kwargs


def warm_up() -> threading.Thread:
    """Import torch and the trainer in the background (after the page is up), so the first request waits less."""

    def work():
        try:
            configure()
            import gan_train  # noqa: F401
        except Exception:  # noqa: BLE001 - the Train button will report it
            log.exception("could not import gan_train")

    thread = threading.Thread(target=work, name="gan-app-warm-up", daemon=True)
    thread.start()
    return thread


def main(demo: gr.Blocks | None = None) -> None:
    """Build (unless given) and serve the app; blocks until the server stops."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    demo = build_demo() if demo is None else demo
    demo.queue(**queue_kwargs()).launch(**launch_kwargs(prevent_thread_lock=True))
    from .tabs.lessons import add_classroom_routes

    add_classroom_routes(demo.server_app)
    warm_up()  # after launch: the page is up first
    demo.block_thread()


__all__ = ["build_demo", "launch_kwargs", "queue_kwargs", "main", "warm_up", "configure"]
