"""A class of N students opens the live lessons at the same moment (a benchmark, not a test).

    python benchmarks/classroom.py                      # N = 1, 10, 30, 100
    python benchmarks/classroom.py --students 30 100

The lessons train in each student's browser (gan_app/lessons/*.js), so the server's work per student is to
send the page. A class uses the classroom page /lessons/paint (one lesson in one ~60 kB document; the full
app's page needs ~90 requests and Gradio's front end). For each N this starts the app, then at one instant:

- N - B students fetch /lessons/paint (loopback HTTP, bounded by a 120 s timeout), and
- B students (--browsers, default 1, at most N) open it in headless Chromium, press Train, and measure when
  the lesson is running (from navigation), then their training rounds/s and redraws/s over 5 s.

Printed per N: page-load wait p50 / p95 (HTTP students), the browser students' time to a running lesson,
rounds/s and redraws/s (p50 / p95 over them: the slower end is p95 for times, p5 for rates), errors, and the
server's peak memory (VmHWM). On a real class each student's own device trains; here the B browsers share
this machine's two cores with each other and with the server, so their rates are a lower bound.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lessons_browser import ARGS, CHROMIUM, serve  # noqa: E402

TIMEOUT = 120.0


def load_page(url: str) -> float:
    """The classroom page, as a browser fetches it; seconds, or raises on any error."""
    started = time.monotonic()
    page = httpx.get(url + "lessons/paint", timeout=TIMEOUT)
    page.raise_for_status()
    if "GanLesson.mount" not in page.text:
        raise RuntimeError("the page does not carry the lesson code")
    return time.monotonic() - started


def browser_student(url: str, result: dict, start: threading.Event) -> None:
    from playwright.sync_api import sync_playwright

    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1100})
            start.wait()
            t0 = time.monotonic()
            page.goto(url + "lessons/paint", timeout=TIMEOUT * 1000)
            page.wait_for_function("() => window.__ganLessons && window.__ganLessons.curve", timeout=TIMEOUT * 1000)
            result["first_draw_s"] = time.monotonic() - t0
            page.locator("#lesson-curve [data-act=play]").click()
            page.wait_for_timeout(1500)
            read = "() => [window.__ganLessons.curve.game.step, window.__ganLessons.curve.stats.totalRedraws, performance.now()]"
            s0, r0, m0 = page.evaluate(read)
            page.wait_for_timeout(5000)
            s1, r1, m1 = page.evaluate(read)
            result["rounds_s"] = (s1 - s0) / ((m1 - m0) / 1000)
            result["redraws_s"] = (r1 - r0) / ((m1 - m0) / 1000)
            browser.close()
    except Exception as err:  # noqa: BLE001 - reported as an error of this student
        result["error"] = repr(err)


def peak_memory_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def one_class(n: int, browsers: int) -> dict:
    proc, url = serve()
    try:
        b = max(1, min(browsers, n))
        results, start = [{} for _ in range(b)], threading.Event()
        watchers = [threading.Thread(target=browser_student, args=(url, r, start)) for r in results]
        for w in watchers:
            w.start()
        time.sleep(3 + b)  # the browsers are up and waiting for the signal
        waits, errors = [], []
        with ThreadPoolExecutor(max(1, n - b)) as pool:
            start.set()
            futures = [pool.submit(load_page, url) for _ in range(n - b)]
            for future in futures:
                try:
                    waits.append(future.result())
                except Exception as err:  # noqa: BLE001
                    errors.append(repr(err))
        for w in watchers:
            w.join(TIMEOUT * 2)
        errors += [r["error"] for r in results if "error" in r]
        ok = [r for r in results if "error" not in r and "rounds_s" in r]
        return {"n": n, "waits": waits, "errors": errors, "peak_mib": peak_memory_mib(proc.pid),
                "first": [r["first_draw_s"] for r in ok], "rounds": [r["rounds_s"] for r in ok],
                "redraws": [r["redraws_s"] for r in ok]}
    finally:
        proc.terminate()
        proc.wait(30)


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, nargs="+", default=[1, 10, 30, 100])
    parser.add_argument("--browsers", type=int, default=1, help="students that run the lesson in Chromium (on this machine)")
    args = parser.parse_args()
    rows = [one_class(n, args.browsers) for n in args.students]
    print(f"\nclassroom on {os.cpu_count()} cores (loopback); students open /lessons/paint")
    print(f"{'N':>4} {'B':>2} {'load p50/p95 s':>15} {'running p50/p95 s':>18} {'rounds/s p50/p5':>16} "
          f"{'redraws/s p50/p5':>17} {'errors':>6} {'server peak MiB':>15}")
    for r in rows:
        print(f"{r['n']:>4} {len(r['first']):>2} {pct(r['waits'], 50):>7.2f}/{pct(r['waits'], 95):<7.2f} "
              f"{pct(r['first'], 50):>9.2f}/{pct(r['first'], 95):<8.2f} {pct(r['rounds'], 50):>8.0f}/{pct(r['rounds'], 5):<7.0f} "
              f"{pct(r['redraws'], 50):>8.1f}/{pct(r['redraws'], 5):<8.1f} {len(r['errors']):>6} {r['peak_mib']:>15.0f}")
        for e in r["errors"][:3]:
            print(f"      error: {e[:200]}")


if __name__ == "__main__":
    main()
