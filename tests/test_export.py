"""ONNX export: every family's generator graphs run in onnxruntime and give torch's numbers (within 1e-4)
on fixed inputs, at a batch size other than the one exported (the batch is dynamic)."""

import json

import numpy as np
import pytest
import torch

import gan_models
from gan_train.cli import main as cli_main

ort = pytest.importorskip("onnxruntime")
pytest.importorskip("onnxscript")

DIGITS = [str(i) for i in range(10)]


def tiny_models():
    torch.manual_seed(0)
    models = {
        "dcgan": gan_models.DCGAN(image_size=28, channels=1, nz=8, ngf=8, ndf=8),
        "cgan-class": gan_models.ConditionalGAN(image_size=28, channels=1, nz=8, ngf=8, ndf=8, condition="class",
                                                num_classes=10, embed_dim=4, class_names=DIGITS),
        "cgan-age": gan_models.ConditionalGAN(image_size=32, channels=3, nz=8, ngf=8, ndf=8, condition="age",
                                              num_classes=1, embed_dim=4),
        "stackgan": gan_models.StackGAN(image_size=32, channels=1, nz=8, num_classes=10, cond_dim=4, ngf=8, ndf=8),
        "cyclegan": gan_models.CycleGAN(image_size=28, channels=1, ngf=8, ndf=8, n_blocks=2, n_layers_d=2),
        "pix2pix": gan_models.Pix2Pix(image_size=32, in_channels=1, out_channels=3, ngf=8, ndf=8, n_layers_d=2),
        "vae": gan_models.VAE(image_size=28, channels=1, latent_dim=8, nf=8),
    }
    for model in models.values():  # trained-looking statistics, so eval-mode BatchNorm matters
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
    return models


def reference(model, graph: str, n: int):
    """(onnx inputs, the torch outputs the public API gives for them)."""
    g = torch.Generator().manual_seed(1)
    if model.family in ("cyclegan", "pix2pix"):
        channels = model.in_channels if model.family == "pix2pix" else model.channels
        images = torch.rand(n, channels, model.image_size, model.image_size, generator=g)
        return {"images": images}, [model.translate(images, graph)]
    noise = model.sample_noise(n, 1)
    if model.family == "dcgan":
        return {"noise": noise}, [model.generate(n, noise=noise)]
    if model.family == "vae":
        return {"noise": noise}, [model.generate(n, noise=noise)]
    if model.family == "cgan":
        condition = torch.tensor([3, 7, 0]) if model.condition == "class" else torch.tensor([12.0, 45.0, 80.0])
        key = "label" if model.condition == "class" else "age"
        return {"noise": noise, "condition": condition}, [model.generate(n, noise=noise, **{key: condition})]
    labels = torch.tensor([3, 7, 0])
    return {"noise": noise, "labels": labels}, [model.generate(n, noise=noise, label=labels, stage=s) for s in (1, 2)]


@pytest.mark.parametrize("name", list(tiny_models()))
def test_onnx_runtime_gives_torchs_numbers(name, tmp_path):
    model = tiny_models()[name].train()  # export must switch to eval mode itself, and back
    paths = gan_models.export_onnx(model, tmp_path)
    assert model.training
    assert [p.name for p in paths] == [f"{model.family}-{g}.onnx" for g in model.export_graphs()]
    described = json.loads((tmp_path / "export.json").read_text())
    assert described["family"] == model.family and set(described["graphs"]) == {p.name for p in paths}
    model.eval()
    for path in paths:
        graph = path.stem.split("-", 1)[1]
        inputs, expected = reference(model, graph, 3)  # exported at batch 2: the batch is dynamic
        session = ort.InferenceSession(str(path))
        outputs = session.run(None, {k: v.numpy() for k, v in inputs.items()})
        assert len(outputs) == len(expected)
        for got, want in zip(outputs, expected):
            assert got.shape == tuple(want.shape)
            assert np.abs(got - want.numpy()).max() < 1e-4, (path.name, np.abs(got - want.numpy()).max())
            assert want.std() > 0  # a real picture, not a constant


def test_cli_exports_a_saved_model_and_refuses_a_missing_one(tmp_path, capsys):
    model = tiny_models()["dcgan"]
    model.save_pretrained(tmp_path / "model")
    assert cli_main(["export", "--model", str(tmp_path / "model"), "--format", "onnx"]) == 0
    assert (tmp_path / "model" / "onnx" / "dcgan-generator.onnx").is_file()
    assert cli_main(["export", "--model", str(tmp_path / "nothing-here")]) == 2
    assert "error:" in capsys.readouterr().err
