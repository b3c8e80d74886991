"""Many clients at once get answers (the queue holds them; none gets an error), and ``python app.py`` starts fast."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import numpy as np
from app_fixtures import PROJECT, free_port
from gradio_client import Client, handle_file
from PIL import Image

CLIENTS = 50


def test_fifty_concurrent_clients(app_server):
    sneaker = PROJECT / "assets" / "examples" / "sneaker-1.png"

    def one(i: int):
        # Its own session, as 50 separate users would have. The client's set-up GETs (/config, /info: ~170 kB
        # of JSON each) default to a 5 s timeout, less than 50 simultaneous set-ups take on 2 busy cores.
        client = Client(app_server.url, verbose=False, httpx_kwargs={"timeout": 60})
        kind = i % 3
        if kind == 0:
            grid, _, _ = client.predict("dcgan-mnist", i, 4, "all", api_name="/sample")
            return kind, np.asarray(Image.open(grid))
        if kind == 1:
            face, _, _ = client.predict("cgan-age-faces", i, 20 + i, api_name="/age")
            return kind, np.asarray(Image.open(face))
        _, fake, *_ = client.predict(handle_file(sneaker), "cyclegan-sneaker-boot", "a2b", api_name="/translate")
        return kind, np.asarray(Image.open(fake))

    started = time.monotonic()
    with ThreadPoolExecutor(CLIENTS) as pool:
        results = list(pool.map(one, range(CLIENTS)))  # re-raises the first error, if any
    elapsed = time.monotonic() - started
    assert len(results) == CLIENTS
    shapes = {kind: {r.shape for k, r in results if k == kind} for kind in range(3)}
    assert shapes[1] == {(256, 256, 3)} and shapes[2] == {(252, 252, 3)} and len(shapes[0]) == 1
    assert all(r.std() > 0 for _, r in results)
    print(f"50 concurrent clients answered in {elapsed:.1f} s")  # timing lives in benchmarks/app_startup.py


def test_python_app_py_serves_offline(weights_root, tmp_path):
    """`python app.py` comes up and answers with no network (its start-up time: benchmarks/app_startup.py)."""
    port = free_port()
    env = {**os.environ, "GAN_TOOLKIT_WEIGHTS": str(weights_root), "GRADIO_SERVER_PORT": str(port),
           "GRADIO_TEMP_DIR": str(tmp_path), "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    started = time.monotonic()
    proc = subprocess.Popen([sys.executable, "app.py"], cwd=PROJECT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    try:
        up = None
        while time.monotonic() - started < 120 and proc.poll() is None:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/config", timeout=1).status_code == 200:
                    up = time.monotonic() - started
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        assert proc.poll() is None, proc.stderr.read()[-2000:]
        assert up is not None, "app.py did not answer within 120 s"
        print(f"app.py answered after {up:.1f} s")
    finally:
        proc.terminate()
        proc.wait(timeout=20)
