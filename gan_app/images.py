"""Pictures in and out: sanitising uploads, and turning model tensors into grids, strips and GIFs.

Uploads may be anything a browser or script sends: any PIL mode (RGBA, LA, P with transparency,
CMYK, 1, I;16 16-bit, I, F), any size, animated, rotated by EXIF, or not an image at all. ``load_upload``
either returns a clean ``(1, C, S, S)`` tensor in [0, 1] plus notes on what it changed, or raises a
``UserError`` that says what is wrong. Huge images are refused before they are decoded.
"""

from __future__ import annotations

import itertools
import os
import tempfile
import time
import uuid
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image, ImageDraw, ImageOps, UnidentifiedImageError

from .errors import UserError

if TYPE_CHECKING:  # torch is imported on first use: the page starts serving sooner
    import torch

MAX_PIXELS = 30_000_000  # refuse larger images before decoding them (decompression bombs)
MAX_FILE_BYTES = 10 * 1024 * 1024  # also Gradio's upload limit (launch max_file_size)
WORK_SIDE = 512  # big uploads are reduced to this before any other work
DISPLAY_SIDE = 256  # small model images are enlarged (pixel-exact) to about this for the page


def out_dir() -> Path:
    """Where generated files (grids, GIFs) go; Gradio copies them into its cache to serve them."""
    base = Path(os.environ.get("GRADIO_TEMP_DIR") or tempfile.gettempdir()) / "gan-toolkit-app"
    base.mkdir(parents=True, exist_ok=True)
    return base


KEEP_SECONDS = 3600  # generated files older than this are deleted (Gradio has its own copies by then)
_made = itertools.count()


def new_path(suffix: str, stem: str = "gan") -> Path:
    folder = out_dir()
    if next(_made) % 200 == 0:
        prune(folder)
    return folder / f"{stem}-{uuid.uuid4().hex[:12]}{suffix}"


def prune(folder: Path, keep_seconds: float = KEEP_SECONDS) -> None:
    """Delete old generated files, so a long-running server does not fill its disk."""
    limit = time.time() - keep_seconds
    for entry in os.scandir(folder):
        try:
            if entry.is_file() and entry.stat().st_mtime < limit:
                os.unlink(entry.path)
        except OSError:
            pass  # another worker deleted it first


# -- uploads -------------------------------------------------------------------------------
def _open(path) -> Image.Image:
    if path is None:
        raise UserError("Upload an image first (or click one of the examples).")
    if isinstance(path, Image.Image):
        return path
    try:
        size = os.path.getsize(path)
    except OSError:
        raise UserError("The uploaded file could not be read; upload it again.") from None
    if size > MAX_FILE_BYTES:
        raise UserError(f"That file is {size / 2**20:.1f} MB; the limit is {MAX_FILE_BYTES // 2**20} MB.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(path)
            w, h = image.size
            if w * h > MAX_PIXELS:
                raise UserError(f"That image is {w}x{h} px ({w * h / 1e6:.0f} megapixels); the limit is "
                                f"{MAX_PIXELS / 1e6:.0f} megapixels. Make it smaller first.")
            if w < 1 or h < 1:
                raise UserError("That image is empty (0 pixels).")
            if image.format == "JPEG":
                image.draft("RGB", (WORK_SIDE, WORK_SIDE))  # decode JPEGs at a reduced scale: fast, little memory
            image.load()
    except UserError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise UserError("That file is not an image this app can read (use PNG, JPEG, WebP, GIF, BMP or TIFF), "
                        "or it is too large.") from None
    except (OSError, SyntaxError, ValueError, EOFError, MemoryError):
        raise UserError("That image file is damaged or truncated and cannot be decoded.") from None
    return image


def _to_8bit(image: Image.Image) -> Image.Image:
    """Any PIL mode -> L, RGB or RGBA, keeping what the picture shows."""
    mode = image.mode
    if mode in ("L", "RGB", "RGBA"):
        return image
    if mode.startswith("I") or mode == "F":  # 16/32-bit integers or floats: scale to 0..255
        arr = np.asarray(image, dtype=np.float64)
        arr = np.nan_to_num(arr, nan=0.0, posinf=0.0, neginf=0.0)
        if mode.startswith("I;16"):
            arr = arr / 65535.0
        elif mode == "F" and arr.max(initial=0) <= 1.0 and arr.min(initial=0) >= 0.0:
            pass
        else:
            lo, hi = arr.min(initial=0), arr.max(initial=0)
            arr = (arr - lo) / (hi - lo) if hi > 255 or lo < 0 else arr / 255.0
            if hi - lo == 0 and hi > 255:
                arr = np.zeros_like(arr)
        return Image.fromarray((np.clip(arr, 0, 1) * 255).round().astype(np.uint8), "L")
    if mode in ("1",):
        return image.convert("L")
    if mode in ("LA", "La", "PA", "RGBa") or (mode == "P" and "transparency" in image.info):
        return image.convert("RGBA")
    return image.convert("RGB")  # P, CMYK, YCbCr, LAB, HSV, ...


def load_upload(path, channels: int, size: int, auto_invert: bool = True) -> tuple[torch.Tensor, list[str]]:
    """An uploaded file -> ``(1, channels, size, size)`` float tensor in [0, 1], and notes for the user.

    Transparent pixels become black; non-square pictures are padded with their border colour
    (1 channel: the object stays whole) or centre-cropped (colour). With ``auto_invert``, one-channel
    models (MNIST-style: light on dark) get the picture inverted when its border is light, and say so.
    """
    import torch
    image = _open(path)
    notes = []
    try:
        if getattr(image, "n_frames", 1) > 1:
            image.seek(0)
            notes.append("used the first frame of the animation")
        try:
            image = ImageOps.exif_transpose(image)
        except Exception:  # noqa: BLE001 - a broken EXIF block is not worth refusing the picture
            pass
        original = f"{image.size[0]}x{image.size[1]} {image.mode}"
        image = _to_8bit(image)
        if max(image.size) > WORK_SIDE:
            image.thumbnail((WORK_SIDE, WORK_SIDE), Image.Resampling.LANCZOS)
        if image.mode == "RGBA":
            background = Image.new("RGBA", image.size, (0, 0, 0, 255))
            image = Image.alpha_composite(background, image)
            notes.append("transparent parts became black")
        image = image.convert("L" if channels == 1 else "RGB")
        if channels == 1:
            arr = np.asarray(image, dtype=np.float32) / 255.0
            border = np.concatenate([arr[0], arr[-1], arr[:, 0], arr[:, -1]])
            fill = int(round(float(np.median(border)) * 255))
            if auto_invert and border.mean() > 0.5:
                image = ImageOps.invert(image)
                fill = 255 - fill
                notes.append("inverted it (this model was trained on light objects on a dark background)")
            image = ImageOps.pad(image, (size, size), method=Image.Resampling.LANCZOS, color=fill)
        else:
            image = ImageOps.fit(image, (size, size), method=Image.Resampling.LANCZOS)
    except UserError:
        raise
    except (OSError, ValueError, SyntaxError, MemoryError):
        raise UserError("That image could not be converted; try saving it as PNG or JPEG.") from None
    if original != f"{size}x{size} {'L' if channels == 1 else 'RGB'}":
        notes.insert(0, f"{original} resized to {size}x{size} {'grey' if channels == 1 else 'RGB'}")
    arr = np.asarray(image, dtype=np.float32) / 255.0
    tensor = torch.from_numpy(arr.copy())
    tensor = tensor[None] if tensor.dim() == 2 else tensor.permute(2, 0, 1)
    return tensor.unsqueeze(0), notes


# -- outputs -------------------------------------------------------------------------------
def to_uint8(images: torch.Tensor) -> np.ndarray:
    """(n, C, H, W) in [0, 1] -> (n, H, W, 3) uint8 (grey repeated to RGB)."""
    arr = images.detach().float().cpu().clamp(0, 1).numpy()
    arr = np.nan_to_num(arr, nan=0.0)
    if arr.shape[1] == 1:
        arr = np.repeat(arr, 3, axis=1)
    return (arr.transpose(0, 2, 3, 1) * 255).round().astype(np.uint8)


def grid(images: torch.Tensor, nrow: int | None = None, pad: int = 2, pad_value: int = 255) -> Image.Image:
    """(n, C, H, W) in [0, 1] -> one RGB image, ``nrow`` images per row, ``pad`` px lines of ``pad_value``."""
    import torch
    from torchvision.utils import make_grid

    images = torch.nan_to_num(images.detach().float().cpu().clamp(0, 1), nan=0.0)
    nrow = max(1, nrow or int(np.ceil(np.sqrt(len(images)))))
    sheet = make_grid(images, nrow=nrow, padding=pad, pad_value=pad_value / 255)
    if len(images) == 1:  # make_grid returns a lone image unframed; frame it like the others
        sheet = torch.nn.functional.pad(sheet, (pad,) * 4, value=pad_value / 255)
    return Image.fromarray(to_uint8(sheet[None])[0])


def enlarge(image: Image.Image, side: int = DISPLAY_SIDE) -> Image.Image:
    """Enlarge a small image by a whole factor (nearest neighbour: pixels stay crisp)."""
    factor = max(1, side // max(image.size))
    if factor == 1:
        return image
    return image.resize((image.size[0] * factor, image.size[1] * factor), Image.Resampling.NEAREST)


def single(image: torch.Tensor, side: int = DISPLAY_SIDE) -> Image.Image:
    """One (C, H, W) or (1, C, H, W) image -> an enlarged RGB PIL image."""
    if image.dim() == 3:
        image = image[None]
    return enlarge(Image.fromarray(to_uint8(image)[0]), side)


def strip(images: torch.Tensor, labels: list[str], highlight: int | None = None, scale: int = 2) -> Image.Image:
    """A row of images with a caption under each (the "young to old" strip)."""
    row = grid(images, nrow=len(images), pad=4)
    row = row.resize((row.size[0] * scale, row.size[1] * scale), Image.Resampling.NEAREST)
    h, w = images.shape[-2:]
    caption = 18
    canvas = Image.new("RGB", (row.size[0], row.size[1] + caption), "white")
    canvas.paste(row, (0, 0))
    draw = ImageDraw.Draw(canvas)
    for i, text in enumerate(labels):
        x0 = (4 + i * (w + 4)) * scale
        draw.text((x0 + w * scale // 2 - 3 * len(text), row.size[1] + 3), text, fill=(20, 20, 20))
        if i == highlight:
            draw.rectangle([x0 - 3, 4 * scale - 3, x0 + w * scale + 2, (4 + h) * scale + 2], outline=(230, 80, 0), width=3)
    return canvas


def save_png(image: Image.Image, stem: str = "grid") -> str:
    """Handlers return pictures as files with unique names, not PIL images: Gradio saves a returned PIL image
    to a path named by its content and rewrites it in place, so two requests making the same picture at once
    (50 users clicking the same example) could serve each other a half-written file. Files are copied into
    its cache atomically."""
    path = new_path(".png", stem)
    image.save(path, format="PNG")
    return str(path)


def save_gif(frames: list[Image.Image], stem: str = "interpolation", ms_per_frame: int = 90) -> str:
    """An endless, back-and-forth GIF of the frames."""
    path = new_path(".gif", stem)
    loop = frames + frames[-2:0:-1]
    loop[0].save(path, format="GIF", save_all=True, append_images=loop[1:], duration=ms_per_frame, loop=0,
                 disposal=2, optimize=False)
    return str(path)


def slerp(a: torch.Tensor, b: torch.Tensor, t: float) -> torch.Tensor:
    """Spherical interpolation between noise vectors (keeps them at the norm Gaussian noise has)."""
    import torch
    fa, fb = a.flatten(), b.flatten()
    cos = torch.clamp(torch.dot(fa, fb) / (fa.norm() * fb.norm() + 1e-8), -1.0, 1.0)
    omega = torch.arccos(cos)
    if omega.abs() < 1e-4:
        return (1 - t) * a + t * b
    so = torch.sin(omega)
    return (torch.sin((1 - t) * omega) / so) * a + (torch.sin(t * omega) / so) * b
