"""Sampling the bundled generators on the CPU: torch vs ONNX Runtime (a benchmark, not a test).

    python benchmarks/onnx_sampling.py            # every bundled model, batch 1 and 64

Exports each weights/ model with gan_models.export_onnx into a temporary folder, then times the same inputs
through torch (eval mode, inference_mode) and through onnxruntime. Prints images/s and the largest difference.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort
import torch

import gan_models

WEIGHTS = Path(__file__).resolve().parent.parent / "weights"


def timed(fn, args, repeat: int) -> float:
    fn(*args)  # warm-up
    started = time.perf_counter()
    for _ in range(repeat):
        fn(*args)
    return (time.perf_counter() - started) / repeat


def main() -> None:
    torch.set_num_threads(max(1, torch.get_num_threads()))
    rows = []
    for folder in sorted(p for p in WEIGHTS.iterdir() if (p / "config.json").is_file()):
        model = gan_models.load(folder).eval()
        with tempfile.TemporaryDirectory() as tmp:
            path = gan_models.export_onnx(model, tmp)[0]
            session = ort.InferenceSession(str(path))
            graph = path.stem.split("-", 1)[1]
            fn, example = model.export_graphs()[graph]
            for n in (1, 64):
                inputs = {k: torch.cat([v] * (n // len(v) + 1))[:n] for k, v in example.items()}
                feed = {k: v.numpy() for k, v in inputs.items()}
                with torch.inference_mode():
                    t_torch = timed(fn, list(inputs.values()), 10)
                    want = fn(*inputs.values())
                    want = want[0] if isinstance(want, tuple) else want
                t_onnx = timed(session.run, [None, feed], 10)
                diff = float(np.abs(session.run(None, feed)[0] - want.numpy()).max())
                rows.append((folder.name, graph, n, n / t_torch, n / t_onnx, diff))
    print(f"{'model':24s} {'graph':10s} {'batch':>5s} {'torch img/s':>12s} {'onnx img/s':>12s} {'max diff':>9s}")
    for name, graph, n, a, b, d in rows:
        print(f"{name:24s} {graph:10s} {n:>5d} {a:12.0f} {b:12.0f} {d:9.1e}")


if __name__ == "__main__":
    main()
