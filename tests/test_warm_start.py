"""--init-from: a run starts from a saved model's weights, or from the pretrained face generator."""

import pytest
import torch
from accelerate.state import AcceleratorState

import gan_models
from gan_train import ConfigError, TrainConfig, Trainer
from gan_train.data import faces
from gan_train.data.base import DataError
from gan_train.warm_start import warm_start

try:
    faces.face_weights_path()
    GENERATOR_MISSING = None
except DataError as exc:
    GENERATOR_MISSING = str(exc)
needs_generator = pytest.mark.skipif(GENERATOR_MISSING is not None, reason=f"face generator not installed: {GENERATOR_MISSING}")


@pytest.fixture(autouse=True)
def fresh_accelerate_state():
    AcceleratorState._reset_state(True)
    yield
    AcceleratorState._reset_state(True)


def tiny_dcgan(seed: int) -> gan_models.DCGAN:
    torch.manual_seed(seed)
    return gan_models.DCGAN(image_size=32, channels=1, nz=8, ngf=8, ndf=8)


def test_saved_model_weights_are_copied_exactly(tmp_path):
    source = tiny_dcgan(0)
    source.save_pretrained(tmp_path / "saved")
    model = tiny_dcgan(1)
    assert not torch.equal(model.generator[0].weight, source.generator[0].weight)
    assert warm_start(model, str(tmp_path / "saved")) == f"all weights from {tmp_path / 'saved'}"
    for (name, mine), theirs in zip(model.state_dict().items(), source.state_dict().values()):
        assert torch.equal(mine, theirs), name


def test_trainer_starts_from_the_saved_model_and_then_trains(tmp_path):
    source = tiny_dcgan(0)
    source.save_pretrained(tmp_path / "saved")
    config = TrainConfig(model="dcgan", data="digits", image_size=32, arch={"nz": 8, "ngf": 8, "ndf": 8},
                         init_from=str(tmp_path / "saved"), steps=3, batch_size=8, limit=32, tracker="none",
                         progress=False, checkpoint_every=0, sample_every=0, output_dir=str(tmp_path / "run"))
    trainer = Trainer(config)
    assert torch.equal(trainer.model.generator[0].weight, source.generator[0].weight)
    with trainer.ema_weights():  # the EMA copy starts from the loaded weights too
        assert torch.equal(trainer.model.generator[0].weight, source.generator[0].weight)
    trainer.train()
    assert not torch.equal(trainer.model.generator[0].weight, source.generator[0].weight)  # and it learns on


def test_wrong_sources_say_what_would_work(tmp_path):
    model = tiny_dcgan(0)
    with pytest.raises(ConfigError, match="not a saved model folder .*'face-generator'"):
        warm_start(model, str(tmp_path / "nowhere"))
    gan_models.VAE(image_size=32, channels=1, latent_dim=8, nf=8).save_pretrained(tmp_path / "vae")
    with pytest.raises(ConfigError, match="that is a 'vae' model; this run trains a 'dcgan' model"):
        warm_start(model, str(tmp_path / "vae"))
    gan_models.DCGAN(image_size=32, channels=1, nz=8, ngf=16, ndf=8).save_pretrained(tmp_path / "wider")
    with pytest.raises(ConfigError, match=r"Train the same architecture: --model-config .*wider/config.json"):
        warm_start(model, str(tmp_path / "wider"))
    before = model.generator[0].weight.clone()
    with pytest.raises(ConfigError, match="needs a model whose generator is the face DCGAN's"):
        warm_start(model, "face-generator")
    assert torch.equal(model.generator[0].weight, before)  # a refused source changes nothing


@needs_generator
def test_face_generator_start_draws_the_pretrained_faces_for_every_age():
    model = gan_models.ConditionalGAN(image_size=64, channels=3, nz=100, ngf=64, ndf=8, condition="age", num_classes=1)
    note = warm_start(model, "face-generator")
    assert note == "the pretrained face generator (50 condition inputs starting at zero)"
    noise = model.sample_noise(2, seed=3)
    expected = faces.FaceGenerator("cpu").decode(noise)
    for age in (10.0, 80.0):  # the condition has no effect until training gives it one
        got = model.generate(2, noise=noise, age=age)
        assert torch.allclose(got, expected, atol=1e-5)
    assert model.generator[0].weight[100:].abs().max() == 0


@needs_generator
def test_frozen_face_generator_with_latent_mapping_starts_exact_and_only_the_mapping_learns():
    model = gan_models.ConditionalGAN(image_size=64, channels=3, nz=100, ngf=64, ndf=8, condition="age",
                                      num_classes=1, latent_mapping=32, freeze_generator=True)
    assert warm_start(model, "face-generator") == "the pretrained face generator (frozen)"
    noise = model.sample_noise(2, seed=3)
    expected = faces.FaceGenerator("cpu").decode(noise)
    model.train()  # frozen BatchNorm uses the stored statistics in training too
    for age in (10.0, 80.0):
        assert torch.allclose(model.to_unit(model(noise, torch.full((2,), age))), expected, atol=1e-5)
    trainable = {name.split(".")[0] for name, p in model.named_parameters() if p.requires_grad}
    assert trainable == {"g_embedding", "mapping", "discriminator"}


def test_a_model_trained_with_a_frozen_generator_starts_one_that_trains_it(tmp_path):
    """Frozen BatchNorm keeps no batch counters; a later stage that unfreezes the generator
    (--arch freeze_generator=false) still takes every weight, and any other missing tensor still fails."""
    arch = dict(image_size=32, channels=3, nz=8, ngf=8, ndf=8, condition="age", num_classes=1, latent_mapping=16)
    torch.manual_seed(0)
    frozen = gan_models.ConditionalGAN(**arch, freeze_generator=True)
    frozen.save_pretrained(tmp_path / "frozen")
    torch.manual_seed(1)
    model = gan_models.ConditionalGAN(**arch, freeze_generator=False)
    assert warm_start(model, str(tmp_path / "frozen")) == f"all weights from {tmp_path / 'frozen'}"
    theirs = frozen.state_dict()
    assert not any(k.startswith("generator.") and k.endswith("num_batches_tracked") for k in theirs)
    for name, mine in model.state_dict().items():
        if not name.endswith("num_batches_tracked"):
            assert torch.equal(mine, theirs[name]), name
    noise = model.sample_noise(2, seed=3)
    assert torch.equal(model.generate(2, noise=noise, age=40.0), frozen.generate(2, noise=noise, age=40.0))
    assert any(p.requires_grad for p in model.generator.parameters())  # and now the generator learns

    plain = gan_models.ConditionalGAN(**{**arch, "latent_mapping": 0})  # lacks the mapping: still refused
    plain.save_pretrained(tmp_path / "plain")
    with pytest.raises(ConfigError, match="Train the same architecture"):
        warm_start(model, str(tmp_path / "plain"))
