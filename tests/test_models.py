"""gan_models: shapes, ranges, reference parameter counts, Hub round trips and safe loading."""

import json
import shutil

import pytest
import torch

import gan_models
from gan_models import (
    DCGAN,
    VAE,
    ConditionalGAN,
    CorruptCheckpointError,
    CurveGAN,
    CycleGAN,
    MissingFileError,
    Pix2Pix,
    ShapeMismatchError,
    StackGAN,
    UnsafeCheckpointError,
    WrongFamilyError,
)


def n_params(module):
    return sum(p.numel() for p in module.parameters())


def test_reference_parameter_counts():
    dcgan = DCGAN()
    assert (dcgan.image_size, dcgan.channels, dcgan.nz) == (64, 3, 100)
    assert n_params(dcgan.generator) == 3_576_704  # pytorch/examples netG
    assert n_params(dcgan.discriminator) == 2_765_568  # pytorch/examples netD
    cycle = CycleGAN()
    assert n_params(cycle.generator_ab) == n_params(cycle.generator_ba) == 11_378_179  # junyanz resnet_9blocks
    assert n_params(cycle.discriminator_a) == n_params(cycle.discriminator_b) == 2_764_737  # 70x70 PatchGAN


@pytest.mark.parametrize("size", [28, 32, 64, 128])
@pytest.mark.parametrize("channels", [1, 3])
def test_dcgan_shapes_and_range(size, channels):
    model = DCGAN(image_size=size, channels=channels, ngf=8, ndf=8)
    images = model.generate(3, seed=0)
    assert images.shape == (3, channels, size, size)
    assert images.dtype == torch.float32
    assert 0 <= images.min() and images.max() <= 1
    assert images.std() > 0
    logits = model.discriminator(images * 2 - 1)
    assert logits.shape == (3,)


def test_dcgan_rejects_unsupported_size():
    with pytest.raises(ValueError, match="image_size=48 is not supported"):
        DCGAN(image_size=48)


def test_generate_is_deterministic_per_seed_and_keeps_train_mode():
    model = DCGAN(image_size=32, channels=1, ngf=8, ndf=8).train()
    a, b, c = model.generate(4, seed=7), model.generate(4, seed=7), model.generate(4, seed=8)
    assert torch.equal(a, b)
    assert not torch.equal(a, c)
    assert model.generator.training  # generate() borrows eval mode and gives it back


def test_curvegan_shapes():
    model = CurveGAN()
    curves = model.generate(5, seed=0)
    assert curves.shape == (5, 15)
    assert model.discriminate(curves).shape == (5,)
    assert torch.allclose(model.x_grid[[0, -1]], torch.tensor([-1.0, 1.0]))


@pytest.mark.parametrize("size", [28, 32, 64])
def test_class_conditional_gan(size):
    model = ConditionalGAN(image_size=size, channels=1, ngf=8, ndf=8)
    images = model.generate(10, seed=0, label=list(range(10)))
    assert images.shape == (10, 1, size, size) and 0 <= images.min() and images.max() <= 1
    # the label changes the image for the same noise
    assert not torch.equal(model.generate(1, seed=0, label=1), model.generate(1, seed=0, label=2))
    logits = model.discriminator(images * 2 - 1, torch.arange(10))
    assert logits.shape == (10,)
    with pytest.raises(ValueError, match=r"label must be in \[0, 9\]"):
        model.generate(1, seed=0, label=10)
    with pytest.raises(ValueError, match="pass label=..., not age=..."):
        model.generate(1, seed=0, age=30)
    with pytest.raises(ValueError, match="conditional: pass the label"):
        model.discriminator(images)


def test_age_conditional_gan_is_smooth_in_age():
    model = ConditionalGAN(image_size=64, channels=3, condition="age", ngf=8, ndf=8)
    strip = model.generate(5, seed=3, age=[10, 30, 30.5, 50, 80], noise=model.sample_noise(1, 3).repeat(5, 1))
    assert strip.shape == (5, 3, 64, 64)
    near = (strip[1] - strip[2]).abs().mean()
    far = (strip[1] - strip[4]).abs().mean()
    assert 0 < near < far  # half a year changes less than fifty years
    emb = model.g_embedding(torch.tensor([35.0, 40.0, 45.0]))
    assert torch.allclose(emb[1], (emb[0] + emb[2]) / 2, atol=1e-6)  # interpolation between anchors


@pytest.mark.parametrize("size,channels,blocks", [(256, 3, 9), (64, 3, 6), (28, 1, 6), (32, 1, 6)])
def test_cyclegan_translate(size, channels, blocks):
    model = CycleGAN(image_size=size, channels=channels, ngf=8, ndf=8, n_blocks=blocks)
    images = torch.rand(2, channels, size, size)
    for direction in ("a2b", "b2a"):
        out = model.translate(images, direction=direction)
        assert out.shape == images.shape and 0 <= out.min() and out.max() <= 1
    fake, rec = model.round_trip(images)
    assert fake.shape == rec.shape == images.shape
    assert model.discriminator_a(images).dim() == 4  # a map of patch logits
    with pytest.raises(ValueError, match="direction must be 'a2b' or 'b2a'"):
        model.translate(images, direction="up")
    with pytest.raises(ValueError, match=f"must have {channels} channel"):
        model.translate(torch.rand(1, channels + 1, size, size))


@pytest.mark.parametrize("size", [32, 64, 256])
def test_pix2pix_translate(size):
    model = Pix2Pix(image_size=size, in_channels=1, out_channels=3, ngf=8, ndf=8)
    out = model.translate(torch.rand(2, 1, size, size))
    assert out.shape == (2, 3, size, size) and 0 <= out.min() and out.max() <= 1
    assert model.discriminator(torch.rand(2, 4, size, size)).dim() == 4
    with pytest.raises(ValueError, match="one way only"):
        model.translate(torch.rand(1, 1, size, size), direction="b2a")
    with pytest.raises(ValueError, match="power of two"):
        Pix2Pix(image_size=28)


def test_pix2pix_and_cyclegan_share_one_patchgan():
    from gan_models.blocks import PatchGAN

    assert type(Pix2Pix().discriminator) is PatchGAN is type(CycleGAN().discriminator_a)


@pytest.mark.parametrize("size", [32, 64, 128])
def test_stackgan_two_stages(size):
    model = StackGAN(image_size=size, channels=3, ngf=8, ndf=8)
    low = model.generate(4, seed=0, stage=1)
    high = model.generate(4, seed=0, stage=2)
    assert low.shape == (4, 3, size // 4, size // 4)
    assert high.shape == (4, 3, size, size)
    assert 0 <= high.min() and high.max() <= 1
    assert model.discriminator_1(low * 2 - 1, torch.arange(4)).shape == (4,)
    assert model.discriminator_2(high * 2 - 1, torch.arange(4)).shape == (4,)


@pytest.mark.parametrize("size,channels", [(28, 1), (32, 1), (64, 3)])
def test_vae(size, channels):
    model = VAE(image_size=size, channels=channels, nf=8, latent_dim=16)
    assert model.generate(3, seed=0).shape == (3, channels, size, size)
    rec = model.reconstruct(torch.rand(2, channels, size, size))
    assert rec.shape == (2, channels, size, size) and 0 <= rec.min() and rec.max() <= 1
    out, mu, logvar = model(torch.rand(2, channels, size, size) * 2 - 1)
    assert mu.shape == logvar.shape == (2, 16)


SMALL = {
    CurveGAN: {},
    DCGAN: {"image_size": 32, "channels": 1, "ngf": 8, "ndf": 8},
    ConditionalGAN: {"image_size": 32, "channels": 1, "ngf": 8, "ndf": 8, "class_names": list("abcdefghij")},
    CycleGAN: {"image_size": 32, "channels": 1, "ngf": 8, "ndf": 8, "n_blocks": 2, "domain_a": "x"},
    Pix2Pix: {"image_size": 32, "in_channels": 1, "out_channels": 1, "ngf": 8, "ndf": 8},
    StackGAN: {"image_size": 32, "channels": 1, "ngf": 8, "ndf": 8},
    VAE: {"image_size": 32, "channels": 1, "nf": 8, "latent_dim": 8},
}


def sample(model):
    if hasattr(model, "generate"):
        return model.generate(3, seed=11)
    size = model.image_size
    images = torch.rand(3, getattr(model, "channels", getattr(model, "in_channels", 1)), size, size,
                        generator=torch.Generator().manual_seed(0))
    return model.translate(images)


@pytest.mark.parametrize("cls", list(SMALL), ids=lambda c: c.__name__)
def test_save_load_round_trip_is_exact(cls, tmp_path):
    torch.manual_seed(0)
    model = cls(**SMALL[cls]).eval()
    for p in model.parameters():  # make the weights non-trivial so the test can fail
        p.data.add_(torch.randn_like(p) * 0.01)
    model.save_pretrained(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["README.md", "config.json", "model.safetensors"]
    # the weights are as readable as the files beside them (safetensors' own writer made them 0600)
    assert (tmp_path / "model.safetensors").stat().st_mode & 0o777 == (tmp_path / "config.json").stat().st_mode & 0o777
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["family"] == cls.family
    for key, value in SMALL[cls].items():
        assert config[key] == value  # every constructor argument is recorded

    for loaded in (cls.from_pretrained(tmp_path), gan_models.load(tmp_path)):
        assert type(loaded) is cls
        a, b = model.state_dict(), loaded.state_dict()
        assert a.keys() == b.keys()
        assert all(torch.equal(a[k], b[k]) for k in a)
        assert torch.equal(sample(model), sample(loaded))

    card = (tmp_path / "README.md").read_text()
    assert "library_name: gan-toolkit" in card and "- gan" in card and f"- {cls.family}" in card
    assert "license: mit" in card and "gan_models.load" in card


def test_fp16_storage_halves_the_file_and_loads_close(tmp_path):
    model = DCGAN(image_size=32, channels=1, ngf=16, ndf=16)
    model.save_pretrained(tmp_path / "fp32")
    model.save_pretrained(tmp_path / "fp16", weights_dtype=torch.float16)
    size32 = (tmp_path / "fp32/model.safetensors").stat().st_size
    size16 = (tmp_path / "fp16/model.safetensors").stat().st_size
    assert size16 < 0.55 * size32
    loaded = gan_models.load(tmp_path / "fp16")
    assert next(loaded.parameters()).dtype == torch.float32
    assert (loaded.generate(2, seed=0) - model.eval().generate(2, seed=0)).abs().max() < 1e-2


@pytest.fixture
def saved(tmp_path):
    model = DCGAN(image_size=32, channels=1, ngf=8, ndf=8)
    folder = tmp_path / "model"
    model.save_pretrained(folder)
    return folder


def test_pickled_checkpoint_is_refused(saved):
    state = DCGAN(image_size=32, channels=1, ngf=8, ndf=8).state_dict()
    (saved / "model.safetensors").unlink()
    torch.save(state, saved / "pytorch_model.bin")
    with pytest.raises(UnsafeCheckpointError, match=r"pytorch_model\.bin: this is a pickled PyTorch checkpoint"):
        gan_models.load(saved)


def test_pickle_renamed_to_safetensors_is_refused(saved):
    torch.save({"x": torch.zeros(1)}, saved / "model.safetensors")
    with pytest.raises(CorruptCheckpointError, match="model.safetensors: not a readable safetensors file"):
        gan_models.load(saved)


def test_truncated_checkpoint(saved):
    path = saved / "model.safetensors"
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(CorruptCheckpointError, match="truncated or corrupt"):
        gan_models.load(saved)


def test_config_of_another_family(saved):
    with pytest.raises(WrongFamilyError, match="config.json is for family 'dcgan', not 'cyclegan'"):
        CycleGAN.from_pretrained(saved)
    config = json.loads((saved / "config.json").read_text())
    config["family"] = "transformer"
    (saved / "config.json").write_text(json.dumps(config))
    with pytest.raises(WrongFamilyError, match="family 'transformer', which is not a gan-toolkit model"):
        gan_models.load(saved)


@pytest.mark.parametrize("name", ["config.json", "model.safetensors"])
def test_missing_file(saved, name):
    (saved / name).unlink()
    with pytest.raises(MissingFileError, match=f"{name}: missing"):
        DCGAN.from_pretrained(saved)


def test_shape_mismatch(saved, tmp_path):
    DCGAN(image_size=32, channels=1, ngf=16, ndf=8).save_pretrained(tmp_path / "wide")
    shutil.copy(tmp_path / "wide/model.safetensors", saved / "model.safetensors")
    with pytest.raises(ShapeMismatchError, match=r"model.safetensors: does not match .* shape mismatch"):
        gan_models.load(saved)


def test_missing_folder_offline_names_it(tmp_path):
    with pytest.raises(Exception, match="no-such-user/no-such-model|offline|connect|not found"):
        gan_models.load("no-such-user/no-such-model")


def test_spectral_norm_discriminator_round_trips_and_is_normalised(tmp_path):
    torch.manual_seed(0)
    model = DCGAN(image_size=32, channels=1, ngf=8, ndf=8, spectral_norm=True)
    convs = [m for m in model.discriminator.modules() if isinstance(m, torch.nn.Conv2d)]
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in model.discriminator.modules())
    model.discriminator.train()
    for _ in range(20):  # power iteration converges as D runs in training mode
        model.discriminator(torch.randn(4, 1, 32, 32))
    for conv in convs:
        sigma = torch.linalg.matrix_norm(conv.weight.flatten(1), ord=2)
        assert abs(sigma.item() - 1) < 0.05, sigma
    model.eval().save_pretrained(tmp_path)
    loaded = gan_models.load(tmp_path).eval()
    x = torch.rand(2, 1, 32, 32)
    assert torch.equal(model.discriminator(x), loaded.discriminator(x))
    assert torch.equal(model.generate(2, seed=3), loaded.generate(2, seed=3))


def test_class_gan_starts_driven_by_noise_not_label():
    """With N(0, 1) label embeddings G collapsed to one image per class; they now start small."""
    torch.manual_seed(0)
    model = ConditionalGAN(image_size=28, channels=1, ngf=16, ndf=16).train()
    z, labels = torch.randn(64, model.nz), torch.arange(64) % 10
    with torch.no_grad():
        over_noise = model(z, torch.full((64,), 7)).std(0).mean()
        over_labels = model(z[:1].expand(64, -1), labels).std(0).mean()
    assert over_noise > 5 * over_labels, (over_noise, over_labels)


def test_age_regressor_head_round_trips(tmp_path):
    torch.manual_seed(0)
    model = ConditionalGAN(image_size=32, channels=3, ngf=8, ndf=8, condition="age", num_classes=1,
                           age_regressor=True).eval()
    x, ages = torch.rand(3, 3, 32, 32) * 2 - 1, torch.tensor([12.0, 40.0, 77.0])
    logit, age = model.discriminator(x, ages, return_aux=True)
    assert logit.shape == (3,) and age.shape == (3, 1)
    assert torch.allclose(model.age_target(torch.tensor([5.0, 95.0])), torch.tensor([[-1.0], [1.0]]))
    model.save_pretrained(tmp_path)
    loaded = gan_models.load(tmp_path).eval()
    assert loaded.age_regressor and torch.equal(loaded.discriminator(x, ages, return_aux=True)[1], age)
    with pytest.raises(ValueError, match="no auxiliary head"):
        ConditionalGAN(condition="age", num_classes=1).discriminator(x[:, :1].expand(-1, 1, -1, -1), ages,
                                                                      return_aux=True)


def test_latent_mapping_moves_the_noise_and_a_frozen_generator_round_trips(tmp_path):
    torch.manual_seed(0)
    model = ConditionalGAN(image_size=32, channels=3, nz=16, ngf=8, ndf=8, condition="age", num_classes=1,
                           latent_mapping=32, freeze_generator=True)
    noise = model.sample_noise(4, seed=0)
    assert torch.equal(model.mapping(noise, model.g_embedding(torch.full((4,), 70.0))), noise)  # starts as z' = z
    torch.nn.init.normal_(model.mapping.net[-1].weight, 0.0, 0.1)
    for layer in model.generator:  # trained-like weights: frozen BatchNorm with unit statistics no longer rescales
        if isinstance(layer, torch.nn.ConvTranspose2d):
            torch.nn.init.kaiming_normal_(layer.weight)
    young, old = model.generate(4, noise=noise, age=10.0), model.generate(4, noise=noise, age=80.0)
    assert young.shape == (4, 3, 32, 32) and (young - old).abs().max() > 1e-3  # the age now moves the noise
    frozen = [name for name, p in model.named_parameters() if not p.requires_grad]
    assert frozen and all(name.startswith("generator.") for name in frozen)
    model.save_pretrained(tmp_path)
    loaded = gan_models.load(tmp_path)
    assert loaded.freeze_generator and loaded.latent_mapping == 32
    assert not any(p.requires_grad for p in loaded.generator.parameters())
    assert torch.equal(loaded.generate(4, noise=noise, age=80.0), old)
    with pytest.raises(ValueError, match="freeze_generator=True needs latent_mapping > 0"):
        ConditionalGAN(condition="age", num_classes=1, freeze_generator=True)


@pytest.mark.parametrize("setting", [{"ngf": 1_000_000}, {"nz": 1_000_000_000}])
def test_huge_config_sizes_fail_on_the_header_before_allocating(saved, setting):
    import resource

    config = json.loads((saved / "config.json").read_text())
    (saved / "config.json").write_text(json.dumps({**config, **setting}))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(ShapeMismatchError, match=r"shape mismatch"):
        gan_models.load(saved)
    grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mib < 200, f"loading a huge config grew memory by {grown_mib:.0f} MiB"  # the real model: > 1 TB


def test_weights_of_a_dtype_the_model_does_not_use_are_refused(saved):
    from safetensors.torch import load_file, save_file

    state = load_file(saved / "model.safetensors")
    save_file({k: v.to(torch.int8) if v.is_floating_point() else v for k, v in state.items()},
              str(saved / "model.safetensors"))
    with pytest.raises(ShapeMismatchError, match=r"dtype this model does not use, e\.g\. .*file torch\.int8 vs model torch\.float32"):
        gan_models.load(saved)


@pytest.mark.parametrize("text,message", [("{not json", "not valid JSON"), ("[1, 2]", "expected a JSON object")])
def test_a_config_that_is_not_a_json_object_gets_a_checkpoint_error(saved, text, message):
    (saved / "config.json").write_text(text)
    for load in (gan_models.load, DCGAN.from_pretrained):
        with pytest.raises(gan_models.CheckpointError, match=message):
            load(saved)


def test_a_config_with_settings_of_the_wrong_type_is_refused(saved):
    config = json.loads((saved / "config.json").read_text())
    (saved / "config.json").write_text(json.dumps({**config, "image_size": 30}))
    with pytest.raises(gan_models.CheckpointError, match="config.json: does not describe a valid DCGAN"):
        gan_models.load(saved)


def test_extra_files_in_a_model_folder_are_never_read(saved):
    import pickle

    class Payload:
        def __reduce__(self):
            return (open, (str(saved / "pwned"), "w"))

    for name in ("pytorch_model.bin", "optimizer.pkl", "training_args.bin"):
        (saved / name).write_bytes(pickle.dumps(Payload()))
    model = gan_models.load(saved)
    assert model.generate(1, seed=0).shape == (1, 1, 32, 32)
    assert not (saved / "pwned").exists()


# -- the family registry ---------------------------------------------------------------------------
def test_every_family_builds_from_its_example_and_round_trips(tmp_path):
    """Each registered family: its tiny example builds from its example data, previews, saves and loads."""
    from gan_train.data import load_dataset

    for name in gan_models.list_families():
        family = gan_models.get_family(name)
        sized = {} if set(family.data) <= {"curve", "points"} else {"image_size": 32}
        data = load_dataset(family.example_data, split="test", **sized)
        assert data.kind in family.data
        model = family.model_class.from_data(data, **family.example)
        shown = model.preview(model.preview_inputs(data, 4, seed=0))
        assert shown["kind"] in ("grid", "curves", "points")
        model.save_pretrained(tmp_path / name)
        again = gan_models.load(tmp_path / name)
        assert type(again) is family.model_class and set(again.shows) <= set(family.shows)
        for key, value in model.state_dict().items():
            assert torch.equal(value, again.state_dict()[key]), (name, key)


def test_registry_refuses_unknown_names_duplicates_and_mismatched_records():
    with pytest.raises(gan_models.UnknownFamilyError, match="unknown model family 'nope' \\(known: cgan, curvegan"):
        gan_models.get_family("nope")
    dcgan = gan_models.get_family("dcgan")
    class Impostor(gan_models.DCGAN):  # another class claiming the name "dcgan"
        pass

    with pytest.raises(ValueError, match="family 'dcgan' is already registered by DCGAN"):
        gan_models.register_family(gan_models.Family("dcgan", Impostor, title="x", data=("image",),
                                                     objective="image", loss=None, metrics=()))
    assert gan_models.get_family("dcgan") is dcgan
    with pytest.raises(ValueError, match="VAE.family is 'vae', it must be 'other'"):
        gan_models.Family("other", gan_models.VAE, title="x", data=("image",), objective="vae", loss=None, metrics=())
    with pytest.raises(ValueError, match="unknown shows \\['dance'\\]"):
        gan_models.Family("dcgan", gan_models.DCGAN, title="x", data=("image",), objective="image", loss=None,
                          metrics=(), shows=("dance",))
    assert gan_models.register_family(dcgan) is dcgan  # the same record again is harmless (a re-import)


def test_architecture_settings_are_the_init_arguments_the_data_does_not_decide():
    assert gan_models.DCGAN.arch_options() == {"nz": 100, "ngf": 64, "ndf": 64, "spectral_norm": False}
    assert "num_classes" not in gan_models.ConditionalGAN.arch_options()
    with pytest.raises(ValueError, match="dcgan has no architecture setting width; it has: nz=100, ngf=64"):
        gan_models.DCGAN.check_arch({"width": 3})
    with pytest.raises(ValueError, match="channels come\\(s\\) from the data"):
        gan_models.DCGAN.check_arch({"channels": 3})
