"""Reading image files: listing folders, checking every file before training, normalising modes.

Every file is opened and fully decoded (`Image.open` + `.load()`) when a dataset is built, so a
truncated or non-image file is found before training starts, not in the middle of an epoch.
Truncated files are skipped: PIL's global LOAD_TRUNCATED_IMAGES is left alone on purpose.

Image modes are normalised to grey ("L") or colour ("RGB"):
  - 1 (bilevel) -> L;  I;16* (16-bit grey) -> L by dividing by 257;  I / F (32-bit) -> L, divided by
    257 when a value is above 255 (16-bit data stored as 32-bit), else taken as 8-bit;
  - LA / RGBA / PA and P with transparency -> composited over a white background (transparent
    pixels become white, not whatever colour they happen to hold);
  - P without transparency, CMYK, YCbCr, LAB, HSV, RGBX -> RGB.
A dataset then converts every image to its channel count (1 or 3, see transforms.set_channels).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps

from .base import DataError, DataWarning

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff", ".ppm", ".pgm", ".pbm")

# Decoded images are kept in memory (uint8, at the target size) up to this many bytes; beyond it the
# remaining files are decoded again each time they are read.
CACHE_BYTES = 2 * 1024**3

_SHOW = 5  # how many file names an error or warning lists


class ImageReadError(Exception):
    """A file could not be decoded as an image."""


def require_folder(path: str | os.PathLike, what: str = "folder") -> Path:
    folder = Path(path).expanduser()
    if not folder.exists():
        raise DataError(
            f"{what} not found: {folder}. Check the path (it is read as given, relative to {Path.cwd()})."
        )
    if not folder.is_dir():
        raise DataError(f"{what} is not a folder: {folder}. Give the folder that holds the images.")
    return folder


def list_images(folder: Path) -> list[Path]:
    """Image files directly inside `folder` (by extension, any case), sorted by name; hidden files skipped."""
    return sorted(
        p
        for p in folder.iterdir()
        if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in IMAGE_EXTENSIONS
    )


def require_images(folder: Path) -> list[Path]:
    """Like list_images, but an empty result is a DataError that says what the folder does hold."""
    files = list_images(folder)
    if files:
        return files
    others = [p.name for p in folder.iterdir() if not p.name.startswith(".")]
    held = (
        f"it holds {len(others)} other entries (e.g. {', '.join(sorted(others)[:_SHOW])})"
        if others
        else "it is empty"
    )
    raise DataError(
        f"no images found in {folder}: {held}. Image files need one of the extensions {', '.join(IMAGE_EXTENSIONS)}."
    )


def read_image(path: Path) -> Image.Image:
    """Open and fully decode one image, normalised to mode L or RGB; ImageReadError if that fails."""
    try:
        with Image.open(path) as img:
            img.load()  # decodes everything now: truncation and corrupt data raise here
            return normalise_mode(img)
    except Exception as exc:  # PIL raises many types (OSError, SyntaxError, ValueError, ...) for bad files
        reason = str(exc).strip() or type(exc).__name__
        raise ImageReadError(reason) from exc


def _over_white(img: Image.Image) -> Image.Image:
    rgba = img.convert("RGBA")
    background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    return Image.alpha_composite(background, rgba).convert("RGB")


def normalise_mode(img: Image.Image) -> Image.Image:
    """Any PIL mode -> "L" or "RGB" (rules in the module docstring)."""
    mode = img.mode
    if mode in ("L", "RGB"):
        return img
    if mode == "1":
        return img.convert("L")
    if mode.startswith("I;16"):
        values = np.asarray(img, dtype=np.float64) / 257.0
        return Image.fromarray(np.clip(np.rint(values), 0, 255).astype(np.uint8), mode="L")
    if mode in ("I", "F"):
        values = np.asarray(img, dtype=np.float64)
        if values.size and values.max() > 255:
            values = values / 257.0
        return Image.fromarray(np.clip(np.rint(values), 0, 255).astype(np.uint8), mode="L")
    if mode in ("LA", "La"):
        return _over_white(img).convert("L")
    if mode in ("RGBA", "RGBa", "PA") or (mode == "P" and "transparency" in img.info):
        return _over_white(img)
    return img.convert("RGB")


def to_tensor(img: Image.Image, size: int | None) -> torch.Tensor:
    """L/RGB PIL image -> uint8 (C, H, W); with `size`, centre-cropped to a square and resized
    (PIL bilinear, which antialiases when shrinking)."""
    if size is not None and img.size != (size, size):
        img = ImageOps.fit(img, (size, size), method=Image.Resampling.BILINEAR)
    array = np.array(img, dtype=np.uint8)  # a copy: torch must own writable memory
    tensor = torch.from_numpy(array)
    return tensor[None] if tensor.dim() == 2 else tensor.permute(2, 0, 1).contiguous()


def decode_file(path: Path, size: int | None) -> torch.Tensor:
    return to_tensor(read_image(path), size)


def decode_halves(path: Path, size: int | None) -> torch.Tensor:
    """A side-by-side A|B image (pix2pix layout) -> uint8 (2, C, H, W): left half, right half."""
    img = read_image(path)
    w, h = img.size
    if w != 2 * h:
        raise ImageReadError(f"{w}x{h} is not a side-by-side A|B image (width = 2 x height)")
    half = w // 2
    left = to_tensor(img.crop((0, 0, half, h)), size)
    right = to_tensor(img.crop((half, 0, w, h)), size)
    return torch.stack([left, right])


class ImageStore:
    """The readable images of a file list, decoded once, with the unreadable ones reported.

    `decode(path)` returns a uint8 tensor (C, H, W) (or (2, C, H, W) for A|B files); it is called
    once per file here, in a thread pool, and kept in memory up to CACHE_BYTES.
    """

    def __init__(
        self,
        paths: Sequence[Path],
        decode: Callable[[Path], torch.Tensor],
        *,
        where: str,
        limit: int | None = None,
    ):
        self.decode = decode
        self.paths: list[Path] = []
        self.shapes: list[tuple[int, ...]] = []
        self._cache: list[torch.Tensor | None] = []
        failures: list[tuple[Path, str]] = []
        checked = cached_bytes = 0
        wanted = len(paths) if limit is None else limit
        chunk = max(64, min(wanted, 1024))
        workers = min(8, os.cpu_count() or 1)
        with ThreadPoolExecutor(max_workers=workers) as pool:
            for start in range(0, len(paths), chunk):
                if len(self.paths) >= wanted:
                    break
                batch = paths[start : start + chunk]
                for path, result in zip(batch, pool.map(self._try_decode, batch)):
                    if len(self.paths) >= wanted:
                        break
                    checked += 1
                    if isinstance(result, str):
                        failures.append((path, result))
                        continue
                    self.paths.append(path)
                    self.shapes.append(tuple(result.shape))
                    size = result.numel()
                    keep = cached_bytes + size <= CACHE_BYTES
                    cached_bytes += size if keep else 0
                    self._cache.append(result if keep else None)
        self._report(failures, checked, where)

    def _try_decode(self, path: Path) -> torch.Tensor | str:
        try:
            return self.decode(path)
        except ImageReadError as exc:
            return str(exc)

    def _report(self, failures: list[tuple[Path, str]], checked: int, where: str) -> None:
        if not failures:
            return
        shown = "; ".join(f"{p.name} ({reason})" for p, reason in failures[:_SHOW])
        more = f"; and {len(failures) - _SHOW} more" if len(failures) > _SHOW else ""
        if not self.paths:
            raise DataError(
                f"none of the {checked} image files in {where} could be read: {shown}{more}. "
                "Replace or remove the broken files (truncated downloads, or files that are not images)."
            )
        warnings.warn(
            f"skipped {len(failures)} of {checked} image files in {where} that could not be read: {shown}{more}",
            DataWarning,
            stacklevel=4,
        )

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, index: int) -> torch.Tensor:
        cached = self._cache[index]
        if cached is not None:
            return cached
        try:
            return self.decode(self.paths[index])
        except ImageReadError as exc:
            raise DataError(
                f"{self.paths[index]} could be read earlier but not now ({exc}); was it changed?"
            ) from exc

    @property
    def has_colour(self) -> bool:
        return any(shape[-3] == 3 for shape in self.shapes)

    def common_size(self, where: str) -> tuple[int, int]:
        """The (H, W) all images share; a DataError naming two different ones if they differ."""
        first = self.shapes[0][-2:]
        for path, shape in zip(self.paths, self.shapes):
            if shape[-2:] != first:
                raise DataError(
                    f"images in {where} have different sizes ({self.paths[0].name} is {first[1]}x{first[0]}, "
                    f"{path.name} is {shape[-1]}x{shape[-2]}): pass image_size=N (e.g. 64) to resize them all."
                )
        return first


def native_channels(*stores: ImageStore) -> int:
    """3 if any image is in colour, else 1 (grey sets stay grey)."""
    return 3 if any(store.has_colour for store in stores) else 1
