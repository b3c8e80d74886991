"""gan_train.card: model-card metadata, the Training section, and the metrics as model-index + tables."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from huggingface_hub import ModelCard
from huggingface_hub.repocard import metadata_load
from huggingface_hub.repocard_data import model_index_to_eval_results

import gan_models
from gan_app import images
from gan_app.models import ModelInfo, metrics_line, read_info
from gan_train import card
from gan_train.card import CardError

FIRST = "python -m gan_train eval --model m --data mnist --num-samples 300 --json --update-card"
SECOND = "python -m gan_train eval --model m --data mnist --num-samples 1000 --no-fid --update-card"


def tiny_model_folder(tmp_path, family="dcgan"):
    """A save_pretrained folder whose card is the mixin template's ("Not evaluated.")."""
    folder = tmp_path / "m"
    model = gan_models.DCGAN(image_size=32, channels=1, ngf=8, ndf=8)
    model.save_pretrained(folder)
    if family != "dcgan":  # the card reads the family from config.json when the metrics do not say it
        config = json.loads((folder / "config.json").read_text())
        (folder / "config.json").write_text(json.dumps({**config, "family": family}))
    return folder


def cli_metrics(**figures):
    """Figures as `gan_train eval` hands them over: with text and bookkeeping mixed in."""
    return {**figures, "family": "dcgan", "data": "mnist", "seed": 0, "seconds": 112.04}


@pytest.mark.parametrize("spec, hub_id", [
    ("mnist", "ylecun/mnist"),
    ("mnist:3~8", "ylecun/mnist"),
    ("edges:mnist", "ylecun/mnist"),
    ("fashion-mnist", "zalando-datasets/fashion_mnist"),
    ("fashion:sneaker~ankle_boot", "zalando-datasets/fashion_mnist"),
    ("edges:fashion-mnist", "zalando-datasets/fashion_mnist"),
    ("digits", None),
    ("faces-age", None),
    ("curves-quadratic:points=30", None),
    ("imagefolder:/data/mnist", None),
])
def test_hub_dataset_of_a_data_spec(spec, hub_id):
    assert card.hub_dataset(spec) == hub_id


def test_pipeline_tags_name_the_hub_task_and_curves_have_none():
    assert card.pipeline_tag("dcgan") == card.pipeline_tag("stackgan") == "unconditional-image-generation"
    assert card.pipeline_tag("pix2pix") == card.pipeline_tag("cyclegan") == "image-to-image"
    assert card.pipeline_tag("curvegan") is None


def test_update_metrics_writes_model_index_and_the_table_from_one_dict(tmp_path):
    folder = tiny_model_folder(tmp_path)
    metrics = cli_metrics(fid=50.51234, kid_mean=0.0144634, kid_std=0.0, num_generated=300, precision=float("nan"),
                          cached=True)
    path = card.update_metrics(folder, metrics, FIRST, num_samples=300)
    assert path == folder / "README.md"
    text = path.read_text()
    assert card.NOT_EVALUATED not in text
    assert (f"## Metrics\n\n`{FIRST}`\n\n| metric | value |\n|---|---|\n| fid | 50.51 |\n| kid_mean | 0.01446 |\n"
            "| kid_std | 0 |\n| num_generated | 300 |\n| seed | 0 |\n| seconds | 112 |\n") in text
    # huggingface_hub's own model-index parser reads what the Hub shows
    name, results = model_index_to_eval_results(metadata_load(path)["model-index"])
    assert name == "m"
    assert [(r.metric_type, r.metric_value) for r in results] == [
        ("fid", 50.51), ("kid_mean", 0.01446), ("kid_std", 0.0), ("num_generated", 300)]
    first = results[0]
    assert (first.task_type, first.dataset_type, first.dataset_name, first.dataset_split) == (
        "unconditional-image-generation", "ylecun/mnist", "mnist", "test")
    assert first.metric_args == {"command": FIRST, "num_samples": 300, "seed": 0, "seconds": 112.0}
    assert card.read_metrics(folder) == {"fid": 50.51, "kid_mean": 0.01446, "kid_std": 0.0, "num_generated": 300,
                                         "seed": 0, "seconds": 112.0}


def test_another_command_adds_a_table_and_the_same_command_replaces_its_own(tmp_path):
    folder = tiny_model_folder(tmp_path)
    card.update_metrics(folder, cli_metrics(fid=50.5, class_accuracy=0.9), FIRST)
    card.update_metrics(folder, cli_metrics(class_accuracy=0.95), SECOND)
    card.update_metrics(folder, cli_metrics(fid=40.25, class_accuracy=0.91), FIRST)  # a rerun
    text = (folder / "README.md").read_text()
    assert text.count("| metric | value |") == 2 and text.count("## Metrics") == 1
    assert text.index(f"`{SECOND}`") < text.index(f"`{FIRST}`")  # the rerun's table comes last
    assert "| fid | 50.5 |" not in text and "| fid | 40.25 |" in text
    assert card.read_evaluations(folder) == {
        SECOND: {"class_accuracy": 0.95, "seed": 0, "seconds": 112.0},
        FIRST: {"fid": 40.25, "class_accuracy": 0.91, "seed": 0, "seconds": 112.0},
    }
    assert card.read_metrics(folder)["class_accuracy"] == 0.91  # the last table's figure
    # the body's tables are exactly those rendered from the metadata
    loaded = ModelCard.load(folder / "README.md")
    assert card.metrics_tables(loaded.data.eval_results) in loaded.text


def test_a_card_without_a_metrics_section_gets_one(tmp_path):
    folder = tiny_model_folder(tmp_path)
    (folder / "README.md").write_text("---\nlicense: mit\n---\n\n# a hand-written card\n")
    card.update_metrics(folder, cli_metrics(fid=12.0), FIRST)
    text = (folder / "README.md").read_text()
    assert text.endswith(f"# a hand-written card\n\n## Metrics\n\n`{FIRST}`\n\n| metric | value |\n|---|---|\n"
                         "| fid | 12 |\n| seed | 0 |\n| seconds | 112 |\n")
    assert ModelCard.load(folder / "README.md").data.license == "mit"


def test_curvegan_results_go_under_the_hubs_other_task(tmp_path):
    folder = tiny_model_folder(tmp_path, family="curvegan")
    metrics = {"mean_abs_error": 0.0123456, "data": "curves-quadratic"}
    card.update_metrics(folder, metrics, "python -m gan_train eval --model m --data curves-quadratic")
    (result,) = ModelCard.load(folder / "README.md").data.eval_results
    assert (result.task_type, result.dataset_type, result.metric_value) == ("other", "curves-quadratic", 0.01235)


def test_update_metrics_says_what_is_wrong(tmp_path):
    folder = tiny_model_folder(tmp_path)
    with pytest.raises(CardError, match="does not exist"):
        card.update_metrics(tmp_path / "nowhere", cli_metrics(fid=1.0), FIRST)
    with pytest.raises(CardError, match=r"metrics\['data'\]"):
        card.update_metrics(folder, {"fid": 1.0}, FIRST)
    with pytest.raises(CardError, match="no metric to write"):
        card.update_metrics(folder, cli_metrics(), FIRST)  # only seed and seconds
    card.update_metrics(folder, cli_metrics(fid=50.5), FIRST)
    readme = folder / "README.md"
    readme.write_text(readme.read_text().replace("| fid | 50.5 |", "| fid | 5.05 |"))  # edited by hand
    with pytest.raises(CardError, match="no longer match"):
        card.update_metrics(folder, cli_metrics(fid=49.0), SECOND)
    readme.write_text("---\nmodel-index: [{results: []}]\n---\n")
    with pytest.raises(CardError, match="cannot be read"):
        card.read_metrics(folder)


def test_set_metadata_adds_the_pipeline_tag_datasets_and_model_name(tmp_path):
    folder = tiny_model_folder(tmp_path)
    card.set_metadata(folder, family="cyclegan", data="fashion:sneaker~ankle_boot", model_name="boots")
    data = ModelCard.load(folder / "README.md").data
    assert (data.pipeline_tag, data.datasets, data.model_name) == (
        "image-to-image", ["zalando-datasets/fashion_mnist"], "boots")
    assert data.library_name == "gan-toolkit" and "dcgan" in data.tags  # the mixin's metadata stays
    card.set_metadata(folder, family="curvegan", data="ring8", model_name="ring")
    data = ModelCard.load(folder / "README.md").data
    assert data.pipeline_tag is None and data.datasets is None
    assert "pipeline_tag" not in metadata_load(folder / "README.md")


def test_training_section_lines():
    text = card.training_section(command="gan-train --model dcgan --data mnist --steps 8", data="mnist", items=60000,
                                 steps=8, batch_size=64, processes=1, loss="nonsaturating", lr=0.0002,
                                 mixed_precision="no", ema_decay=0.999, seed=0, seconds=12.6, hardware="1 CPU",
                                 torch_version="2.5.0", losses={"d_loss": 0.47219, "g_loss": 2.2}, resume_changes=["--lr 1 -> 2"])
    assert text.splitlines() == [
        "- Command: `gan-train --model dcgan --data mnist --steps 8`",
        "- Data: `mnist` (60000 training items)",
        "- Steps: 8 at batch 64 x 1 process(es), loss `nonsaturating`, lr 0.0002, mixed precision no, EMA 0.999, seed 0",
        "- Resumed at a checkpoint with new settings: --lr 1 -> 2",
        "- Time: 13 s on 1 CPU, torch 2.5.0",
        "- Final losses: d_loss 0.4722, g_loss 2.2000",
    ]


# -- the app reads the figures back from the metadata ---------------------------------------------


def test_app_metrics_line_reads_the_model_index(tmp_path):
    folder = tiny_model_folder(tmp_path)
    info = read_info(folder)
    assert metrics_line(info) == "not evaluated"
    card.update_metrics(folder, cli_metrics(fid=50.51, kid_mean=0.01446, num_generated=300), FIRST)
    readme = folder / "README.md"
    # the figures come from the metadata: a table edited by hand does not change what the app shows
    readme.write_text(readme.read_text().replace("| fid | 50.51 |", "| fid | 1 |"))
    assert metrics_line(info) == "FID 50.51 · KID 0.01446 (n = 300)"
    assert metrics_line(ModelInfo("gone", str(tmp_path / "gone"), {})) == "not evaluated"


# -- image grids (torchvision's make_grid) -----------------------------------------------------------


def test_app_grid_tiles_images_between_lines_of_the_pad_colour():
    dark, light, mid = (torch.full((1, 1, 2, 2), v) for v in (0.0, 1.0, 0.5))
    sheet = np.asarray(images.grid(torch.cat([dark, light, mid]), nrow=2, pad=1, pad_value=200))
    assert sheet.shape == (1 + 2 * 3, 1 + 2 * 3, 3)  # 2 rows of 2 (the last slot empty), 1 px lines
    expected = np.full((7, 7), 200)
    expected[1:3, 1:3], expected[1:3, 4:6], expected[4:6, 1:3] = 0, 255, 128
    assert np.array_equal(sheet[..., 0], expected) and np.array_equal(sheet[..., 2], expected)


def test_app_grid_frames_a_single_image_and_blanks_nan():
    image = torch.tensor([[[[float("nan"), 1.0], [0.25, 2.0]]]])
    sheet = np.asarray(images.grid(image, pad=2))
    assert sheet.shape == (6, 6, 3)
    assert sheet[2:4, 2:4, 1].tolist() == [[0, 255], [64, 255]]  # NaN -> black, out of range clamped
    assert (sheet[:2] == 255).all() and (sheet[:, :2] == 255).all() and (sheet[4:] == 255).all()
