"""Speed of the live lessons in a real browser (a benchmark, not a test): training rounds per second and
page redraws per second while training, for the 1-D lesson and GAN Lab, in headless Chromium.

    python benchmarks/lessons_browser.py              # serves app.py on a free port, 10 s per lesson
    python benchmarks/lessons_browser.py --seconds 20

Target (the teaching issue): >= 1,000 rounds/s while the page redraws >= 10 times/s on 2 CPU cores. One round
is one D update and one G update (the default: one step each). Prints a table last.
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
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
LESSONS = [("curve", "Paint like the artist"), ("points", "GAN Lab (2-D)")]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve() -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "GRADIO_SERVER_PORT": str(port), "GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1"}
    proc = subprocess.Popen([sys.executable, "app.py"], cwd=PROJECT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit("the app did not start within 120 s")


def measure(page, kind: str, tab: str, seconds: float) -> dict:
    page.get_by_role("tab", name=tab).click()
    box = page.locator(f"#lesson-{kind}")
    box.locator("[data-act=play]").click()
    page.wait_for_timeout(2000)  # warm up the JIT
    read = f"() => [window.__ganLessons['{kind}'].game.step, window.__ganLessons['{kind}'].stats.totalRedraws, performance.now()]"
    s0, r0, t0 = page.evaluate(read)
    page.wait_for_timeout(seconds * 1000)
    s1, r1, t1 = page.evaluate(read)
    box.locator("[data-act=play]").click()
    dt = (t1 - t0) / 1000
    return {"lesson": kind, "rounds/s": (s1 - s0) / dt, "redraws/s": (r1 - r0) / dt, "seconds": dt}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    proc, url = serve()
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1100})
            page.goto(url)
            page.locator("#lesson-curve [data-act=play]").wait_for(timeout=60_000)
            rows = [measure(page, kind, tab, args.seconds) for kind, tab in LESSONS]
            browser.close()
    finally:
        proc.terminate()
    print(f"{'lesson':10s} {'rounds/s':>10s} {'redraws/s':>10s}  (headless Chromium, {os.cpu_count()} cores)")
    for r in rows:
        print(f"{r['lesson']:10s} {r['rounds/s']:10.0f} {r['redraws/s']:10.1f}")


if __name__ == "__main__":
    main()
