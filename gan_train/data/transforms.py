"""Tensor-level image transforms: uint8 -> [-1, 1] floats, resizing, channel conversion, edge maps.

Everything works on tensors (no PIL per item) so that in-memory sets like MNIST load fast.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

IMAGE_KEYS = ("image", "image_a", "image_b")

# ITU-R 601-2 luma, the weights PIL uses for RGB -> L, so tensor and PIL conversions agree.
_LUMA = torch.tensor([0.299, 0.587, 0.114])

# Sobel edge maps: a pixel is an edge where the gradient magnitude is at least this fraction of the
# image's largest magnitude.
EDGE_THRESHOLD = 0.25


def to_float(image_u8: torch.Tensor) -> torch.Tensor:
    """uint8 (C, H, W) in [0, 255] -> float32 in [-1, 1]."""
    return image_u8.to(torch.float32).div_(127.5).sub_(1.0)


def resize(image: torch.Tensor, size: int) -> torch.Tensor:
    """Resize a float (C, H, W) image to (C, size, size), bilinear with antialiasing.

    A non-square image is first centre-cropped to a square, so nothing gets stretched.
    """
    _, h, w = image.shape
    if h != w:
        side = min(h, w)
        top, left = (h - side) // 2, (w - side) // 2
        image = image[:, top : top + side, left : left + side]
    if image.shape[-1] == size:
        return image
    out = F.interpolate(image[None], size=(size, size), mode="bilinear", antialias=True, align_corners=False)
    return out[0].clamp_(-1.0, 1.0)


def set_channels(image: torch.Tensor, channels: int) -> torch.Tensor:
    """Convert a (C, H, W) image between 1 and 3 channels (grey is repeated; colour -> luma)."""
    c = image.shape[0]
    if c == channels:
        return image
    if c == 1 and channels == 3:
        return image.expand(3, -1, -1).contiguous()
    if c == 3 and channels == 1:
        return (image * _LUMA.to(image.dtype).view(3, 1, 1)).sum(0, keepdim=True)
    raise ValueError(f"cannot convert a {c}-channel image to {channels} channels (only 1 <-> 3)")


def prepare(image_u8: torch.Tensor, image_size: int | None, channels: int | None) -> torch.Tensor:
    """uint8 (C, H, W) or (H, W) -> float32 (channels, image_size, image_size) in [-1, 1]."""
    if image_u8.dim() == 2:
        image_u8 = image_u8[None]
    image = to_float(image_u8)
    # Reduce channels before resizing and add them after: less work either way.
    if channels is not None and channels < image.shape[0]:
        image = set_channels(image, channels)
    if image_size is not None:
        image = resize(image, image_size)
    if channels is not None:
        image = set_channels(image, channels)
    return image


_SOBEL_X = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])
_SOBEL = torch.stack([_SOBEL_X, _SOBEL_X.T])[:, None]  # (2, 1, 3, 3)


def sobel_edges(image: torch.Tensor, threshold: float = EDGE_THRESHOLD) -> torch.Tensor:
    """Binary edge map of a float (C, H, W) image in [-1, 1], drawn like pix2pix's edges2shoes.

    Sobel gradient magnitude of the grey image, divided by its maximum, thresholded at `threshold`:
    edges are black (-1) lines on a white (+1) background, with the input's channel count.
    A blank image has no edges (all white). Deterministic: no noise, no learned detector.
    """
    grey = set_channels(image, 1) if image.shape[0] == 3 else image
    grad = F.conv2d(F.pad(grey[None], (1, 1, 1, 1), mode="replicate"), _SOBEL.to(image.dtype))[0]
    magnitude = grad.pow(2).sum(0).sqrt()
    peak = magnitude.max()
    edges = magnitude >= threshold * peak if peak > 0 else torch.zeros_like(magnitude, dtype=torch.bool)
    out = torch.where(edges, -1.0, 1.0).to(image.dtype)
    return out.expand(image.shape[0], -1, -1).contiguous()
