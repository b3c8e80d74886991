"""Sample grids: what the model draws from fixed noise, as one PNG.

Images go through torchvision's ``make_grid``; curves and 2-D points, which are not images,
are drawn with PIL so the trainer needs no plotting library.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw
from torchvision.utils import make_grid

from .atomic import atomic_write


def image_grid(images: torch.Tensor, nrow: int | None = None) -> Image.Image:
    """(n, C, H, W) in [0, 1] -> a PIL image grid."""
    nrow = nrow or max(1, int(np.ceil(np.sqrt(images.shape[0]))))
    grid = make_grid(images.detach().float().cpu().clamp(0, 1), nrow=nrow, padding=2, pad_value=1.0)
    return Image.fromarray((grid.permute(1, 2, 0).numpy() * 255).round().astype(np.uint8))


def curve_plot(curves: torch.Tensor, x: torch.Tensor, real: torch.Tensor | None = None, size=(480, 320)) -> Image.Image:
    """Generated curves (blue) over the band of real ones (grey), y in [-2, 3] like the tutorials."""
    width, height = size
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    lo, hi = -2.0, 3.0

    def to_px(xs, ys):
        px = (xs.numpy() + 1) / 2 * (width - 20) + 10
        py = height - 10 - (np.clip(ys.numpy(), lo, hi) - lo) / (hi - lo) * (height - 20)
        return list(zip(px.tolist(), py.tolist()))

    for group, colour in ((real, (190, 190, 190)), (curves, (31, 119, 180))):
        if group is None:
            continue
        for curve in group.detach().float().cpu()[:64]:
            draw.line(to_px(x.cpu(), curve), fill=colour, width=2)
    return image


def scatter_plot(points: torch.Tensor, real: torch.Tensor | None = None, size=(320, 320), extent=3.0) -> Image.Image:
    """2-D samples (blue) over real ones (grey), for the ring of Gaussians."""
    width, height = size
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    for group, colour in ((real, (170, 170, 170)), (points, (31, 119, 180))):
        if group is None:
            continue
        xy = group.detach().float().cpu().numpy()
        px = (xy[:, 0] + extent) / (2 * extent) * width
        py = height - (xy[:, 1] + extent) / (2 * extent) * height
        for u, v in zip(px, py):
            draw.ellipse([u - 2, v - 2, u + 2, v + 2], fill=colour)
    return image


def save_png(image: Image.Image, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, lambda tmp: image.save(tmp, format="PNG"))
    return path
