"""The named sources: parse a spec string ("mnist", "fashion:sneaker~ankle_boot", "imagefolder:PATH", ...)
and hand it to the module that builds it. `list_sources()` is the catalogue shown to users.
"""

from __future__ import annotations

from . import builtin, folders, install, synthetic
from .base import AdaptedDataset, DataError, GANDataset

_SOURCES = {
    "mnist": "MNIST handwritten digits: 28x28 grey, 10 classes, 60,000 train / 10,000 test (fetch mnist)",
    "fashion-mnist": "Fashion-MNIST clothes: 28x28 grey, 10 classes, 60,000 train / 10,000 test (fetch fashion-mnist)",
    "digits": "scikit-learn digits: 8x8 grey, 10 classes, 1,500 train / 297 test (bundled)",
    "curves-quadratic": "curves y = a*x^2, a ~ U[1,2], x = linspace(-1,1,15); options :points=N,n=N,seed=N",
    "curves-sine": "curves y = A*sin(pi*x + phi), A ~ U[0.5,1.5], phi ~ U[0,2pi); options :points=N,n=N,seed=N",
    "ring8": "2-D points, 8 Gaussians (std 0.02) on a circle of radius 2, a mode-collapse test; options :n=N,seed=N",
    "faces-age": "64x64 synthetic faces labelled with an estimated age (condition age)",
    "mnist:A~B": "two MNIST digits as unpaired domains, e.g. mnist:3~8",
    "fashion:A~B": "two Fashion-MNIST classes as unpaired domains, e.g. fashion:sneaker~ankle_boot",
    "digits:A~B": "two sklearn digits as unpaired domains, e.g. digits:1~7",
    "faces:young~old": "young and old synthetic faces as unpaired domains",
    "edges:fashion-mnist": "Sobel edges -> Fashion-MNIST image pairs, 32x32 unless image_size says",
    "edges:mnist": "Sobel edges -> MNIST image pairs, 32x32 unless image_size says",
    "edges:digits": "Sobel edges -> sklearn digit pairs, 32x32 unless image_size says",
    "imagefolder:PATH": "your images: PATH/<class>/*.png (class labels) or a flat PATH/*.png",
    "utkface:PATH": "UTKFace-style faces named [age]_[gender]_[race]_[date&time].jpg (condition age)",
    "unpaired:PATH_A,PATH_B": "two folders of images as unpaired domains (or PATH with trainA/ and trainB/)",
    "paired:PATH": "aligned pairs: PATH/A/x.png + PATH/B/x.png, or side-by-side A|B images (pix2pix layout)",
}

_HEAD_ALIASES = install.ALIASES  # "fashion" -> "fashion-mnist", ...
_SPLITS = {"train": "train", "test": "test", "val": "test", "valid": "test", "validation": "test"}
_SYNTHETIC_OPTIONS = {"points", "n", "seed"}


def list_sources() -> dict[str, str]:
    """Every source spec (PATH, A, B are placeholders) -> a one-line description."""
    return dict(_SOURCES)


def _unknown(spec: str) -> DataError:
    return DataError(f"unknown data source {spec!r}. Valid sources: {', '.join(_SOURCES)}.")


def _check_args(image_size, channels, split, limit) -> str:
    if image_size is not None and (not isinstance(image_size, int) or image_size < 1):
        raise DataError(f"image_size must be a positive int or None, not {image_size!r}")
    if channels not in (None, 1, 3):
        raise DataError(f"channels must be 1, 3 or None (keep the data's own), not {channels!r}")
    if limit is not None and (not isinstance(limit, int) or limit < 1):
        raise DataError(f"limit must be a positive int or None, not {limit!r}")
    if split not in _SPLITS:
        raise DataError(f"split must be 'train' or 'test', not {split!r}")
    return _SPLITS[split]


def _options(spec: str, text: str | None, allowed: set[str]) -> dict[str, int]:
    """Parse options such as "points=30,seed=2" into {"points": 30, "seed": 2}."""
    options = {}
    for part in filter(None, (text or "").split(",")):
        key, sep, value = part.partition("=")
        key = key.strip()
        if not sep or key not in allowed or not value.strip().lstrip("-").isdigit():
            raise DataError(
                f"{spec!r}: options are KEY=INT separated by commas, keys {', '.join(sorted(allowed))}"
            )
        options[key] = int(value)
    return options


def _synthetic(head: str, arg: str | None, split: str, limit: int | None, spec: str) -> GANDataset:
    allowed = _SYNTHETIC_OPTIONS - ({"points"} if head == "ring8" else set())
    opts = _options(spec, arg, allowed)
    size = opts.get("n", synthetic.TRAIN_SIZE if split == "train" else synthetic.TEST_SIZE)
    seed = opts.get("seed", 0) + (0 if split == "train" else 1)
    if size < 1:
        raise DataError(f"{spec!r}: n must be at least 1")
    if head == "ring8":
        return synthetic.RingDataset(size=size, seed=seed, limit=limit, spec=spec)
    points = opts.get("points", synthetic.DEFAULT_POINTS)
    if points < 2:
        raise DataError(f"{spec!r}: points must be at least 2")
    return synthetic.CurveDataset(
        head.removeprefix("curves-"), points=points, size=size, seed=seed, limit=limit, spec=spec
    )


def _faces():
    try:
        from . import faces
    except ImportError as exc:
        raise DataError(
            f"face sources need gan_train.data.faces and its extras (pip install 'gan-toolkit[faces]'); import failed: {exc}"
        ) from exc
    return faces


def _faces_source(head, arg, *, image_size, channels, split, root, limit, spec) -> GANDataset:
    faces = _faces()
    if head == "faces-age":
        ds = faces.faces_age_dataset(image_size=image_size, split=split, root=root, limit=limit)
    elif arg is not None and arg.replace(" ", "").lower() == "young~old":
        ds = faces.young_old_dataset(image_size=image_size, split=split, root=root)
    else:
        raise DataError(f"{spec!r}: the face domains are faces:young~old")
    if limit is not None or channels is not None:
        ds = AdaptedDataset(ds, limit=limit, channels=channels)
    if not getattr(ds, "spec", ""):
        ds.spec = spec
    return ds


def load_dataset(
    spec: str, *, image_size=None, channels=None, split="train", root=None, limit=None
) -> GANDataset:
    """Build the dataset named by `spec` (see list_sources()); items are dicts of tensors.

    image_size resizes images to image_size x image_size (bilinear, antialiased; non-square images are
    centre-cropped first), channels converts between grey (1) and colour (3); None keeps the data's own.
    split is "train" or "test". root overrides data_root() for installed sets. limit keeps the first N items.
    """
    if not isinstance(spec, str) or not spec.strip():
        raise _unknown(str(spec))
    split = _check_args(image_size, channels, split, limit)
    spec = spec.strip()
    head, sep, arg = spec.partition(":")
    head = _HEAD_ALIASES.get(head.strip().lower(), head.strip().lower())
    arg = arg if sep else None
    sizes = {"image_size": image_size, "channels": channels, "split": split, "limit": limit, "spec": spec}
    if head in builtin.BUILTIN_SOURCES:
        if arg is None:
            return builtin.builtin_images(head, root=root, **sizes)
        return builtin.class_pair(head, arg, root=root, **sizes)
    if head == "edges":
        inner = _HEAD_ALIASES.get((arg or "").strip().lower(), (arg or "").strip().lower())
        if inner not in builtin.BUILTIN_SOURCES:
            raise DataError(
                f"{spec!r}: edges pairs are made from {', '.join(builtin.BUILTIN_SOURCES)}, e.g. edges:fashion-mnist"
            )
        return builtin.edges_pairs(inner, root=root, **sizes)
    if head in ("curves-quadratic", "curves-sine", "ring8"):
        return _synthetic(head, arg, split, limit, spec)
    if head in ("faces-age", "faces"):
        return _faces_source(head, arg, root=root, **sizes)
    user_folders = {
        "imagefolder": folders.image_folder,
        "utkface": folders.utkface,
        "unpaired": folders.unpaired_folders,
        "paired": folders.paired_folder,
    }
    if head in user_folders:
        if not arg or not arg.strip():
            raise DataError(f"{spec!r}: give the folder after the colon, e.g. {head}:/path/to/images")
        return user_folders[head](arg.strip(), **sizes)
    raise _unknown(spec)
