"""Datasets from the user's own image folders.

  imagefolder:PATH      PATH/<class>/*.png ... (each subfolder holding images is a class, names sorted),
                        or a flat PATH/*.png (no labels)
  utkface:PATH          UTKFace files named [age]_[gender]_[race]_[date&time].jpg (condition "age")
  unpaired:PATH_A,PATH_B  two folders of images (CycleGAN); or unpaired:PATH with PATH/trainA, PATH/trainB
                        (testA / testB for split="test"), the layout of the CycleGAN data sets
  paired:PATH           PATH/A/x.png + PATH/B/x.png, matched by file name without extension;
                        or, when there are no A/ and B/ folders, side-by-side images (pix2pix layout):
                        left half = image_a (input), right half = image_b (target)

Splits: if PATH has a subfolder named like the split (train/, test/; val/ also serves as test), it is
used; otherwise all of PATH is the train split, and asking for "test" warns and uses all of PATH too.
Every file is decoded up front (see images.py): unreadable files are skipped with a warning, and a
folder with nothing readable is a DataError. Without image_size, all images must share one size.
Source records at the end.
"""

from __future__ import annotations

import re
import warnings
from functools import partial
from pathlib import Path

import torch
from PIL import Image

from .base import DataError, DataWarning
from .datasets import ImageDataset, PairedDataset, UnpairedDataset
from .images import (
    ImageReadError,
    ImageStore,
    decode_file,
    decode_halves,
    list_images,
    native_channels,
    require_folder,
    require_images,
)
from .registry import Source, register

UTKFACE_PATTERN = re.compile(r"^(?P<age>\d{1,3})_(?P<gender>[01])_(?P<race>[0-4])_(?P<date>\d+)")
UTKFACE_EXAMPLE = "[age]_[gender]_[race]_[date&time].jpg, e.g. 26_0_1_20170116174525125.jpg.chip.jpg"
MAX_AGE = 130
_SHOW = 5


def split_folder(folder: Path, split: str) -> Path:
    """PATH/<split> when it exists (test also accepts val/), else PATH itself."""
    for name in (split, "val", "valid", "validation") if split == "test" else (split,):
        if (folder / name).is_dir():
            return folder / name
    if split != "train":
        warnings.warn(
            f"{folder} has no {split}/ subfolder, so the {split} split uses all its images (the same as train).",
            DataWarning,
            stacklevel=3,
        )
    return folder


def _shape_of(stores: list[ImageStore], image_size: int | None, where: str) -> int | tuple[int, int]:
    """The output size: image_size, or the one native size every image shares."""
    if image_size is not None:
        return image_size
    sizes = {store.common_size(where) for store in stores}
    if len(sizes) > 1:
        a, b = sorted(sizes)[:2]
        raise DataError(
            f"the folders in {where} hold images of different sizes ({a[1]}x{a[0]} and {b[1]}x{b[0]}): pass image_size=N."
        )
    return sizes.pop()


def _images(store: ImageStore, size, channels: int, spec: str, **labels) -> ImageDataset:
    return ImageDataset(store, native_size=size, channels=channels, spec=spec, **labels)


def _store(paths: list[Path], image_size: int | None, where: str, limit: int | None) -> ImageStore:
    return ImageStore(paths, partial(decode_file, size=image_size), where=where, limit=limit)


def image_folder(
    path: str, *, image_size=None, channels=None, split="train", limit=None, spec=""
) -> ImageDataset:
    folder = split_folder(require_folder(path), split)
    class_dirs = sorted(
        d for d in folder.iterdir() if d.is_dir() and not d.name.startswith(".") and list_images(d)
    )
    if not class_dirs:
        store = _store(require_images(folder), image_size, str(folder), limit)
        size = _shape_of([store], image_size, str(folder))
        return _images(store, size, channels or native_channels(store), spec)
    loose = list_images(folder)
    if loose:
        warnings.warn(
            f"{folder} has class subfolders, so the {len(loose)} images directly inside it are ignored "
            f"(e.g. {loose[0].name}); move them into a class folder to use them.",
            DataWarning,
            stacklevel=3,
        )
    label_of = {p: i for i, d in enumerate(class_dirs) for p in list_images(d)}
    store = _store(list(label_of), image_size, str(folder), limit)
    size = _shape_of([store], image_size, str(folder))
    labels = torch.tensor([label_of[p] for p in store.paths], dtype=torch.int64)
    names = [d.name for d in class_dirs]
    return _images(store, size, channels or native_channels(store), spec, labels=labels, class_names=names)


def parse_utkface(name: str) -> dict[str, int] | None:
    """{"age", "gender", "race"} from a UTKFace file name, or None if it does not follow the pattern."""
    match = UTKFACE_PATTERN.match(name)
    if match is None or int(match["age"]) > MAX_AGE:
        return None
    return {key: int(match[key]) for key in ("age", "gender", "race")}


def utkface(path: str, *, image_size=None, channels=None, split="train", limit=None, spec="") -> ImageDataset:
    folder = split_folder(require_folder(path), split)
    files = require_images(folder)
    parsed = {p: parse_utkface(p.name) for p in files}
    bad = [p.name for p, info in parsed.items() if info is None]
    if bad:
        listed = ", ".join(bad[:_SHOW]) + (f", and {len(bad) - _SHOW} more" if len(bad) > _SHOW else "")
        if len(bad) == len(files):
            raise DataError(
                f"none of the {len(files)} files in {folder} has a UTKFace name ({UTKFACE_EXAMPLE}; age 0-{MAX_AGE}, "
                f"gender 0-1, race 0-4): {listed}. Rename them, or load the folder with imagefolder: instead."
            )
        warnings.warn(
            f"skipped {len(bad)} of {len(files)} files in {folder} whose names are not UTKFace names "
            f"({UTKFACE_EXAMPLE}): {listed}",
            DataWarning,
            stacklevel=3,
        )
    store = _store([p for p, info in parsed.items() if info is not None], image_size, str(folder), limit)
    size = _shape_of([store], image_size, str(folder))
    ds = _images(
        store,
        size,
        channels or native_channels(store),
        spec,
        ages=torch.tensor([parsed[p]["age"] for p in store.paths], dtype=torch.float32),
    )
    ds.genders = torch.tensor([parsed[p]["gender"] for p in store.paths], dtype=torch.int64)
    ds.races = torch.tensor([parsed[p]["race"] for p in store.paths], dtype=torch.int64)
    return ds


def unpaired_folders(
    arg: str, *, image_size=None, channels=None, split="train", limit=None, spec=""
) -> UnpairedDataset:
    if "," in arg:
        first, second = (part.strip() for part in arg.split(",", 1))
        folders = [
            split_folder(require_folder(first, "folder A"), split),
            split_folder(require_folder(second, "folder B"), split),
        ]
    else:
        root = require_folder(arg)
        folders = [root / f"{split}A", root / f"{split}B"]
        if not all(f.is_dir() for f in folders):
            raise DataError(
                f"unpaired:{arg} needs two folders: give them as unpaired:PATH_A,PATH_B, or put them in "
                f"{root}/{split}A and {root}/{split}B (the CycleGAN layout)."
            )
    stores = [_store(require_images(f), image_size, str(f), limit) for f in folders]
    size = _shape_of(stores, image_size, f"{folders[0]} and {folders[1]}")
    channels = channels or native_channels(*stores)
    domains = [_images(store, size, channels, spec) for store in stores]
    return UnpairedDataset(*domains, names=(folders[0].name, folders[1].name), spec=spec)


class _Half:
    """View of one side (0 = A, 1 = B) of a store whose items are stacked (2, C, H, W) pairs."""

    def __init__(self, store: ImageStore, side: int):
        self.store, self.side = store, side

    def __len__(self) -> int:
        return len(self.store)

    def __getitem__(self, index: int) -> torch.Tensor:
        return self.store[index][self.side]


def _decode_pair(a_path: Path, b_of: dict[Path, Path], size: int | None) -> torch.Tensor:
    a, b = decode_file(a_path, size), decode_file(b_of[a_path], size)
    if a.shape[-2:] != b.shape[-2:]:
        raise ImageReadError(
            f"A is {a.shape[-1]}x{a.shape[-2]} but B is {b.shape[-1]}x{b.shape[-2]}; pass image_size=N to resize both"
        )
    channels = max(a.shape[0], b.shape[0])  # grey + colour pair: store both as colour
    return torch.stack([a.expand(channels, -1, -1), b.expand(channels, -1, -1)])


def _check_side_by_side(files: list[Path], folder: Path) -> None:
    """Refuse a folder of ordinary images early: side-by-side pairs are twice as wide as high."""
    sizes = []
    for path in files[:_SHOW]:
        try:
            with Image.open(path) as img:  # reads the header only
                sizes.append(img.size)
        except Exception:  # unreadable files are reported later, by the ImageStore
            continue
    if sizes and not any(w == 2 * h for w, h in sizes):
        w, h = sizes[0]
        raise DataError(
            f"paired:{folder} needs A/ and B/ subfolders with matching file names, or side-by-side A|B images "
            f"(width = 2 x height, as in the pix2pix data sets); {files[0].name} is {w}x{h} and there is no A/ or B/ folder."
        )


def paired_folder(
    path: str, *, image_size=None, channels=None, split="train", limit=None, spec=""
) -> PairedDataset:
    folder = split_folder(require_folder(path), split)
    has_a, has_b = (folder / "A").is_dir(), (folder / "B").is_dir()
    if has_a != has_b:
        raise DataError(
            f"{folder} has {'A/' if has_a else 'B/'} but no {'B/' if has_a else 'A/'} folder: paired data needs both."
        )
    if has_a:
        a_files, b_files = require_images(folder / "A"), require_images(folder / "B")
        b_by_stem = {p.stem: p for p in b_files}
        b_of = {a: b_by_stem[a.stem] for a in a_files if a.stem in b_by_stem}
        if not b_of:
            raise DataError(
                f"no file in {folder / 'A'} has a partner of the same name in {folder / 'B'} "
                f"(e.g. A/{a_files[0].name} vs B/{b_files[0].name}). Pairs must share a file name (extension may differ)."
            )
        unmatched = len(a_files) + len(b_files) - 2 * len(b_of)
        if unmatched:
            warnings.warn(
                f"{unmatched} files in {folder}/A and {folder}/B have no partner of the same name and are skipped.",
                DataWarning,
                stacklevel=2,
            )
        decode = partial(_decode_pair, b_of=b_of, size=image_size)
        store = ImageStore(list(b_of), decode, where=f"{folder}/A+B", limit=limit)
    else:
        files = require_images(folder)
        _check_side_by_side(files, folder)
        decode = partial(decode_halves, size=image_size)
        store = ImageStore(files, decode, where=str(folder), limit=limit)
    size = _shape_of([store], image_size, str(folder))
    channels = channels or native_channels(store)
    halves = [_images(_Half(store, side), size, channels, spec) for side in (0, 1)]
    return PairedDataset(*halves, spec=spec)


def _folder_source(function):
    """A builder for load_dataset: the folder is the text after the colon; `root` (the data root) is not used."""
    return lambda arg, *, root=None, **load: function(arg.strip(), **load)


register(Source(
    "imagefolder:PATH", "your images: PATH/<class>/*.png (class labels) or a flat PATH/*.png (no labels)",
    "image", _folder_source(image_folder), example="imagefolder:/path/to/images", condition="class",
    argument="required", judge="class", user_files=True,
))
register(Source(
    "utkface:PATH", "UTKFace-style faces named [age]_[gender]_[race]_[date&time].jpg (condition age)",
    "image", _folder_source(utkface), example="utkface:/path/to/UTKFace", condition="age",
    argument="required", judge="age", user_files=True,
))
register(Source(
    "unpaired:PATH_A,PATH_B", "two folders of images as unpaired domains (or PATH with trainA/ and trainB/)",
    "unpaired", _folder_source(unpaired_folders), example="unpaired:/path/to/horses,/path/to/zebras",
    argument="required", user_files=True,
))
register(Source(
    "paired:PATH", "aligned pairs: PATH/A/x.png + PATH/B/x.png, or side-by-side A|B images (pix2pix layout)",
    "paired", _folder_source(paired_folder), example="paired:/path/to/facades", argument="required",
    user_files=True,
))
