"""How long `python app.py` takes to answer, and one request per endpoint (a benchmark, not a test).

    python benchmarks/app_startup.py            # on the bundled weights/, no network
    python benchmarks/app_startup.py --runs 3

Target (issue: the app starts in under 15 s on a 2-core machine). Prints a table last.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

PROJECT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_once() -> tuple[float, float]:
    """Seconds until /config answers, then seconds for the first /sample call."""
    from gradio_client import Client

    port = free_port()
    env = {**os.environ, "GRADIO_SERVER_PORT": str(port), "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False"}
    started = time.monotonic()
    proc = subprocess.Popen([sys.executable, "app.py"], cwd=PROJECT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        while True:
            if proc.poll() is not None:
                raise SystemExit("app.py exited before it answered")
            try:
                if httpx.get(f"http://127.0.0.1:{port}/config", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        up = time.monotonic() - started
        client = Client(f"http://127.0.0.1:{port}/", verbose=False)
        first = time.monotonic()
        client.predict("dcgan-mnist", 0, 16, "all", api_name="/sample")
        return up, time.monotonic() - first
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=int, default=1)
    args = p.parse_args()
    rows = [start_once() for _ in range(args.runs)]
    print(f"\n{os.cpu_count()} CPU cores, load average {os.getloadavg()[0]:.1f}")
    print(f"{'run':>4s} {'answers after s':>16s} {'first /sample s':>16s}")
    for i, (up, sample) in enumerate(rows, 1):
        print(f"{i:4d} {up:16.1f} {sample:16.2f}")


if __name__ == "__main__":
    main()
