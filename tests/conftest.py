"""Test-suite wide settings and the ``local_hub`` fixture.

At import (before any test module imports huggingface_hub or gradio) the suite is made offline and
quiet: ``HF_HUB_OFFLINE=1`` (unless already set), ``HF_HUB_DISABLE_TELEMETRY=1``,
``GRADIO_ANALYTICS_ENABLED=False``.

``local_hub`` (function scope) points huggingface_hub at an in-memory Hub on 127.0.0.1
(``tests/hub_server.py``, one server for the whole session) for the duration of one test::

    def test_push(local_hub):
        model.push_to_hub(f"{local_hub.username}/my-model")
        again = type(model).from_pretrained(f"{local_hub.username}/my-model")
        local_hub.files(f"{local_hub.username}/my-model")   # {path: bytes} as stored
        local_hub.commits(...), local_hub.repo(...), local_hub.url, local_hub.requests

Each test gets an empty hub, online mode, a fake token and a fresh ``HF_HOME`` / cache under
``tmp_path`` (nothing touches ``~/.cache``); every change is undone after the test, so the
other tests stay offline (that is why ``local_hub`` is per test while the server behind it,
the ``hub_server`` fixture, lives for the whole session). ``HF_ENDPOINT`` and
``HF_HUB_OFFLINE=0`` are set in the environment too, so subprocesses started by the test reach
the same server.
"""

from __future__ import annotations

import os
import sys

import pytest

_TESTS_DIR = os.path.dirname(os.path.abspath(__file__))
if _TESTS_DIR not in sys.path:  # `import hub_server`, also under --import-mode=importlib
    sys.path.insert(0, _TESTS_DIR)

# The app tests' session fixtures (app served once per session), shared by every tests/test_app_*.py.
from app_fixtures import app_server, client, weights_root  # noqa: E402, F401

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"

if "huggingface_hub.constants" in sys.modules:  # imported before us (by a plugin): sync its cached flag
    _constants = sys.modules["huggingface_hub.constants"]
    _constants.HF_HUB_OFFLINE = os.environ["HF_HUB_OFFLINE"].upper() in {"1", "ON", "YES", "TRUE"}


@pytest.fixture(scope="session")
def hub_server():
    """The session's local Hub server (not yet wired to huggingface_hub: use ``local_hub``)."""
    from hub_server import HubServer

    server = HubServer().start()
    yield server
    server.stop()


@pytest.fixture
def local_hub(hub_server, monkeypatch, tmp_path):
    """An empty local Hub that huggingface_hub talks to for this test; yields the ``HubServer``."""
    from huggingface_hub import constants, hf_api

    hub_server.reset()
    url = hub_server.url
    home = tmp_path / "hf_home"
    home.mkdir()

    # Environment, for code that reads it at call time and for subprocesses.
    monkeypatch.setenv("HF_ENDPOINT", url)
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    monkeypatch.setenv("HF_HOME", str(home))
    monkeypatch.setenv("HF_HUB_CACHE", str(home / "hub"))
    monkeypatch.setenv("HF_TOKEN", "hf_local_hub_test_token")
    monkeypatch.delenv("HF_OIDC_RESOURCE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    no_proxy = ",".join(x for x in ("127.0.0.1", "localhost", os.environ.get("NO_PROXY")) if x)
    monkeypatch.setenv("NO_PROXY", no_proxy)
    monkeypatch.setenv("no_proxy", no_proxy)

    # huggingface_hub reads these into module constants at import time.
    old = {name: getattr(constants, name, None) for name in ("ENDPOINT", "HUGGINGFACE_CO_URL_TEMPLATE")}
    new = {
        "ENDPOINT": url,
        "HUGGINGFACE_CO_URL_TEMPLATE": url + "/{repo_id}/resolve/{revision}/{filename}",
        "HF_HUB_OFFLINE": False,
        "HF_HOME": str(home),
        "HF_HUB_CACHE": str(home / "hub"),
        "HUGGINGFACE_HUB_CACHE": str(home / "hub"),
        "HF_ASSETS_CACHE": str(home / "assets"),
        "HF_XET_CACHE": str(home / "xet"),
        "HF_TOKEN_PATH": str(home / "token"),
        "HF_STORED_TOKENS_PATH": str(home / "stored_tokens"),
    }
    for name, value in new.items():
        if hasattr(constants, name):
            monkeypatch.setattr(constants, name, value)
    # The default HfApi behind huggingface_hub.create_repo / upload_folder / ... bound the endpoint at import.
    monkeypatch.setattr(hf_api.api, "endpoint", url)
    # Copies other modules took with `from huggingface_hub.constants import ...` (diffusers does).
    copies = {
        **{k: (v, new[k]) for k, v in old.items()},
        "HUGGINGFACE_CO_RESOLVE_ENDPOINT": (old["ENDPOINT"], url),
    }
    for mod_name, module in list(sys.modules.items()):
        if module is None or module is constants or not mod_name.startswith(("huggingface_hub", "diffusers")):
            continue
        namespace = vars(module)
        for name, (before, after) in copies.items():
            if namespace.get(name) == before:
                monkeypatch.setattr(module, name, after)
        if namespace.get("HF_HUB_OFFLINE") is True:
            monkeypatch.setattr(module, "HF_HUB_OFFLINE", False)

    yield hub_server
