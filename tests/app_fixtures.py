"""Fixtures for the app tests: small random-weight models, and the app served once per session.

Random weights are fine for what these tests check (shapes, ranges, determinism, error handling, the
page working); the quality checks that need trained weights use the bundled ``weights/`` folders when they
exist (copied in under a ``real-`` prefix) and are skipped otherwise.

tests/conftest.py imports the fixtures (``weights_root``, ``app_server``, ``client``), so every
``tests/test_app_*.py`` shares the one served app.
"""

from __future__ import annotations

import os
import shutil
import socket
import sys
import time
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[1]
if str(PROJECT) not in sys.path:  # gan_app and app.py, also before the package is (re)installed
    sys.path.insert(0, str(PROJECT))
REAL_WEIGHTS = PROJECT / "weights"
ARTIFACTS = PROJECT / "test-artifacts"

DIGITS = [str(i) for i in range(10)]


def make_test_weights(folder: Path) -> dict[str, Path]:
    """Tiny untrained models, one per family the app shows, saved like the bundled ones."""
    import torch

    import gan_models

    torch.manual_seed(0)
    models = {
        "dcgan-mnist": gan_models.DCGAN(image_size=28, channels=1, nz=16, ngf=8, ndf=8),
        "cgan-mnist": gan_models.ConditionalGAN(image_size=28, channels=1, nz=16, ngf=8, ndf=8, condition="class",
                                                num_classes=10, embed_dim=8, class_names=DIGITS),
        "cgan-age-faces": gan_models.ConditionalGAN(image_size=64, channels=3, nz=16, ngf=8, ndf=8, condition="age",
                                                    num_classes=1, embed_dim=8),
        "cyclegan-sneaker-boot": gan_models.CycleGAN(image_size=28, channels=1, ngf=8, ndf=8, n_blocks=2,
                                                     n_layers_d=2, domain_a="sneaker", domain_b="ankle_boot"),
        "pix2pix-edges-fashion": gan_models.Pix2Pix(image_size=32, in_channels=1, out_channels=1, ngf=8, ndf=8,
                                                    n_layers_d=2, domain_a="edges", domain_b="clothes"),
        "stackgan-fashion": gan_models.StackGAN(image_size=32, channels=1, nz=16, num_classes=10, cond_dim=8, ngf=8,
                                                ndf=8, class_names=DIGITS),
        "vae-mnist": gan_models.VAE(image_size=28, channels=1, latent_dim=16, nf=8),
    }
    out = {}
    for name, model in models.items():
        # Fresh DCGAN-style weights (N(0, 0.02)) paint flat grey at this width; larger random weights give
        # pictures with contrast, and faces that differ with the age, so the tests can see changes.
        with torch.no_grad():
            for p in model.parameters():
                p.add_(0.15 * torch.randn_like(p))
        model.save_pretrained(folder / name)
        out[name] = folder / name
    # the real bundled models, if the project has them, under another name
    if REAL_WEIGHTS.is_dir():
        for sub in REAL_WEIGHTS.iterdir():
            if (sub / "config.json").is_file() and (sub / "model.safetensors").is_file():
                shutil.copytree(sub, folder / f"real-{sub.name}")
                out[f"real-{sub.name}"] = folder / f"real-{sub.name}"
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def weights_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("app-weights")
    make_test_weights(root)
    (root / "not-a-model").mkdir()
    (root / "not-a-model" / "notes.txt").write_text("nothing to see")
    return root


class AppServer:
    def __init__(self, url: str, demo, weights: Path, startup_s: float):
        self.url, self.demo, self.weights, self.startup_s = url, demo, weights, startup_s

    def client(self):
        from gradio_client import Client

        return Client(self.url, verbose=False)


@pytest.fixture(scope="session")
def app_server(weights_root, tmp_path_factory):
    """The app on 127.0.0.1:<free port>, serving the test weights; one for the whole session."""
    os.environ["GAN_TOOLKIT_WEIGHTS"] = str(weights_root)
    os.environ.pop("GAN_TOOLKIT_MODEL_ROOT", None)
    os.environ.setdefault("GRADIO_TEMP_DIR", str(tmp_path_factory.mktemp("gradio-tmp")))
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    started = time.monotonic()
    import gan_app

    demo = gan_app.build_demo()
    port = free_port()
    demo.queue(**gan_app.queue_kwargs()).launch(
        **gan_app.launch_kwargs(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True))
    from gan_app.tabs.lessons import add_classroom_routes

    add_classroom_routes(demo.server_app)  # as gan_app.main() does
    gan_app.warm_up()  # as `python app.py` does: the trainer imports in the background
    server = AppServer(f"http://127.0.0.1:{port}/", demo, weights_root, time.monotonic() - started)
    yield server
    demo.close()


@pytest.fixture(scope="session")
def client(app_server):
    return app_server.client()
