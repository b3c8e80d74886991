"""The Inception network under ONNX Runtime on the CPU.

ONNX Runtime runs the network about twice as fast as TorchScript on a CPU with the same features
(max difference ~5e-6; see benchmarks/fid_cpu.py and docs/PERFORMANCE.md). The TorchScript file is
converted once into ``<eval cache>/inception/``; the file name holds the source file's SHA-256 and the
torch version, and a JSON record beside it holds the ONNX file's own SHA-256, checked before every use.
An ONNX file is a protobuf: reading it runs no pickle.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
import warnings
from pathlib import Path

import numpy as np
import torch

from ..atomic import atomic_write
from ..checkpoint import sha256
from .base import EvalError, eval_root

OPSET = 17
CHUNK = 50  # images per ONNX Runtime call: 10-100 within 8% (docs/PERFORMANCE.md); 50 = one eval batch
TOLERANCE = 1e-4  # largest feature difference from TorchScript accepted (the caches hold TorchScript's)


def available() -> bool:
    """onnxruntime runs the network; onnx (with torch.onnx) converts it."""
    return all(importlib.util.find_spec(name) is not None for name in ("onnxruntime", "onnx"))


def cached_onnx_path(source: Path, source_sha: str) -> Path:
    version = re.sub(r"[^0-9A-Za-z.]+", "-", torch.__version__)
    return eval_root() / "inception" / f"{source.stem}-{source_sha[:16]}-torch{version}.onnx"


def _record_matches(path: Path, source_sha: str) -> bool:
    record = path.with_suffix(".json")
    if not (path.is_file() and record.is_file()):
        return False
    try:
        meta = json.loads(record.read_text())
        return meta["source_sha256"] == source_sha and meta["onnx_sha256"] == sha256(path)
    except (OSError, ValueError, KeyError, TypeError):
        return False


def convert(net: torch.jit.ScriptModule, path: Path, source_sha: str) -> None:
    """Export the TorchScript network to `path` and write its record (source hash, own hash)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    example = torch.zeros(2, 3, 299, 299)

    def export(tmp: Path) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation notices
            torch.onnx.export(net, (example,), str(tmp), dynamo=False, input_names=["x"], output_names=["f"],
                              dynamic_axes={"x": {0: "n"}}, opset_version=OPSET)

    atomic_write(path, export)  # under 2 GB the exporter writes one file, no external-data side files
    record = {"source_sha256": source_sha, "onnx_sha256": sha256(path), "torch": torch.__version__, "opset": OPSET}
    atomic_write(path.with_suffix(".json"), lambda tmp: tmp.write_text(json.dumps(record, indent=1)))


class OnnxInception:
    """Scaled (n, 3, 299, 299) images in [-1, 1) -> (n, 2048) features, on all of torch's CPU threads."""

    def __init__(self, path: Path, threads: int | None = None, chunk: int = CHUNK):
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or torch.get_num_threads()
        options.inter_op_num_threads = 1
        self.path, self.chunk = path, chunk
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

    @classmethod
    def for_network(cls, net: torch.jit.ScriptModule, source: Path) -> OnnxInception:
        """From the cache when its record matches, else converted now (about 10 s) and checked against
        TorchScript on two images; a conversion that disagrees is an EvalError, never used."""
        source_sha = sha256(source)
        path = cached_onnx_path(source, source_sha)
        if _record_matches(path, source_sha):
            return cls(path)
        print(f"converting the Inception network to ONNX once: {path}", file=sys.stderr, flush=True)
        convert(net, path, source_sha)
        runner = cls(path)
        probe = torch.rand(2, 3, 299, 299, generator=torch.Generator().manual_seed(0)) * 2 - 1
        with torch.no_grad():
            expected = net(probe).reshape(2, -1)
        gap = float((runner(probe) - expected).abs().max())
        if gap > TOLERANCE:
            path.with_suffix(".json").unlink(missing_ok=True)
            raise EvalError(f"the ONNX Inception differs from TorchScript by {gap:.2g} (more than {TOLERANCE}); "
                            "uninstall onnxruntime or pass backend='torchscript'")
        return runner

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        arrays = np.ascontiguousarray(x.detach().cpu().float().numpy())
        out = [self.session.run(None, {"x": arrays[i : i + self.chunk]})[0] for i in range(0, len(arrays), self.chunk)]
        return torch.from_numpy(np.concatenate(out).reshape(len(arrays), -1))
