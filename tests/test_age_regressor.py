"""--age-consistency: the frozen age regressor learns ages, is cached, and G's loss uses it."""

import pytest
import torch
from accelerate.state import AcceleratorState

from gan_models import ConditionalGAN
from gan_train import ConfigError, TrainConfig, Trainer
from gan_train.age_regressor import load_or_train_age_regressor, train_age_regressor
from gan_train.data.datasets import ImageDataset


@pytest.fixture(autouse=True)
def fresh_accelerate_state():
    AcceleratorState._reset_state(True)
    yield
    AcceleratorState._reset_state(True)


def bright_faces(n: int, seed: int) -> ImageDataset:
    """32 px "faces" whose brightness is their age: a regressor can read it exactly."""
    ages = torch.rand(n, generator=torch.Generator().manual_seed(seed)) * 80
    pixels = (ages / 80 * 255).round().to(torch.uint8)[:, None, None, None].expand(n, 3, 32, 32).contiguous()
    return ImageDataset(pixels, native_size=32, channels=3, ages=ages, spec="bright")


@pytest.fixture
def judge_cache(tmp_path, monkeypatch):
    """A fresh data root, whose age-regressors/ folder is returned; "bright" data's test split is
    bright_faces(32, 1) (the judges' held-out faces)."""
    monkeypatch.setenv("GAN_TOOLKIT_DATA", str(tmp_path / "data"))
    monkeypatch.setattr("gan_train.data.load_dataset", lambda spec, split="train", **kw: bright_faces(32, 1))
    return tmp_path / "data" / "age-regressors"


def tiny_age_run(tmp_path, **overrides) -> TrainConfig:
    """A tiny cgan on bright faces with the age-consistency term; no checkpoints or samples unless asked."""
    settings = dict(model="cgan", data="bright", arch={"nz": 8, "ngf": 8, "ndf": 8, "embed_dim": 8},
                    age_consistency=5.0, batch_size=8, tracker="none", progress=False, checkpoint_every=0,
                    sample_every=0, log_every=1, output_dir=str(tmp_path / "run"))
    return TrainConfig(**{**settings, **overrides})


def test_regressor_learns_ages_and_is_frozen():
    model, mae = train_age_regressor(bright_faces(512, 0), bright_faces(128, 1), ConditionalGAN.age_target,
                                     epochs=12, log=lambda s: None)
    assert mae < 6, mae  # years, on faces it never saw
    assert not model.training and not any(p.requires_grad for p in model.parameters())
    old, young = bright_faces(1, 2)[0], bright_faces(1, 3)[0]
    readings = model(torch.stack([old["image"], young["image"]])).squeeze(1)
    assert (readings[0] > readings[1]) == (old["age"] > young["age"])


def test_trainer_adds_age_consistency_and_reuses_the_cached_regressor(tmp_path, judge_cache):
    data = bright_faces(96, 0)
    trainer = Trainer(tiny_age_run(tmp_path, steps=3), dataset=data)
    assert not judge_cache.exists()  # built for G's first step, not with the trainer (exports never need it)
    losses = [state.floats() for state in trainer.steps(3)]
    cached = list(judge_cache.glob("*.safetensors"))
    assert len(cached) == 1
    assert all(0 < step["age_consistency"] < 10 for step in losses), losses
    stamp = cached[0].stat().st_mtime_ns
    reloaded = load_or_train_age_regressor(data, "bright", ConditionalGAN.age_target,
                                           log=lambda s: pytest.fail(f"retrained: {s}"))
    assert cached[0].stat().st_mtime_ns == stamp
    for a, b in zip(reloaded.state_dict().values(), trainer.objective.age_judge.state_dict().values()):
        assert torch.equal(a, b.cpu())
    # another build of the same length (other faces, other ages) gets its own judge, not this one's
    trained = []
    load_or_train_age_regressor(bright_faces(96, 7), "bright", ConditionalGAN.age_target, log=trained.append)
    assert any("training its age regressor" in line for line in trained)
    assert len(list(judge_cache.glob("*.safetensors"))) == 2


def test_age_consistency_needs_age_data(tmp_path):
    from gan_train.data import load_dataset

    config = TrainConfig(model="cgan", data="digits", image_size=32, arch={"nz": 8, "ngf": 8, "ndf": 8, "embed_dim": 8},
                         age_consistency=5.0, steps=2, batch_size=8, limit=32, tracker="none", progress=False,
                         output_dir=str(tmp_path / "run"))
    with pytest.raises(ConfigError, match="--age-consistency needs a cgan on age-labelled faces"):
        Trainer(config, dataset=load_dataset("digits", image_size=32, split="train", limit=32))


def test_age_judges_average_their_own_seeded_regressors(judge_cache):
    from gan_train.age_regressor import AgeJudges, load_or_train_age_judges

    data, quiet = bright_faces(64, 0), (lambda s: None)
    judges = load_or_train_age_judges(data, "bright", ConditionalGAN.age_target, 2, log=quiet)
    assert isinstance(judges, AgeJudges) and len(judges.judges) == 2
    assert not judges.training and not any(p.requires_grad for p in judges.parameters())
    assert len(list(judge_cache.glob("*.safetensors"))) == 2  # one file per seed
    first, second = judges.judges
    assert not torch.equal(first.head[1].weight, second.head[1].weight)  # other seeds, other judges
    images = torch.stack([data[i]["image"] for i in range(4)])
    assert torch.allclose(judges(images), (first(images) + second(images)) / 2)
    # seed 0 is the judge a one-judge run uses, from the same cache file
    single = load_or_train_age_judges(data, "bright", ConditionalGAN.age_target, 1,
                                      log=lambda s: pytest.fail(f"retrained: {s}"))
    for a, b in zip(single.state_dict().values(), first.state_dict().values()):
        assert torch.equal(a, b)


def test_age_judges_need_the_age_consistency_term():
    with pytest.raises(ConfigError, match="--age-judges 3 sets the judges of --age-consistency, which is off"):
        TrainConfig(model="cgan", data="faces-age", age_judges=3)
    with pytest.raises(ConfigError, match="--age-judges must be at least 1, got 0"):
        TrainConfig(model="cgan", data="faces-age", age_consistency=10, age_judges=0)


def test_exporting_a_checkpoint_never_trains_the_judges(tmp_path, monkeypatch, judge_cache):
    import shutil

    from gan_train.trainer import export_checkpoint

    Trainer(tiny_age_run(tmp_path, age_judges=2, steps=2, checkpoint_every=2), dataset=bright_faces(96, 0)).train()
    shutil.rmtree(judge_cache)  # another machine: no judge cache

    def no_training(*args, **kwargs):
        raise AssertionError("export trained an age judge")

    monkeypatch.setattr("gan_train.age_regressor.train_age_regressor", no_training)
    exported = export_checkpoint(tmp_path / "run" / "checkpoints" / "step_0000002", tmp_path / "exported")
    assert (exported / "model.safetensors").is_file()
    assert not judge_cache.exists()


def test_a_bf16_run_trains_its_judge_outside_mixed_precision(tmp_path, judge_cache):
    """The judge a bf16 run trains before its first step is the one trained on its own (full precision)."""
    data = bright_faces(64, 0)
    trainer = Trainer(tiny_age_run(tmp_path, mixed_precision="bf16", steps=1), dataset=data)
    next(trainer.steps(1))
    alone, _ = train_age_regressor(data, bright_faces(32, 1), ConditionalGAN.age_target, log=lambda s: None)
    for a, b in zip(alone.state_dict().values(), trainer.objective.age_judge.state_dict().values()):
        assert torch.equal(a, b.cpu())


class Centroid(torch.nn.Module):
    """A stand-in judge that reads where an image's brightness lies: (n, 2) x and y in pixels."""

    def forward(self, images):
        weight = images.mean(1)  # (n, h, w)
        h, w = weight.shape[-2:]
        ys, xs = torch.arange(h, dtype=torch.float32), torch.arange(w, dtype=torch.float32)
        total = weight.sum((1, 2))
        return torch.stack([(weight.sum(1) * xs).sum(1) / total, (weight.sum(2) * ys).sum(1) / total], 1)


def test_judge_views_shift_zoom_and_mirror_each_face_within_the_jitter():
    from gan_train.age_regressor import JudgeViews

    n, size, jitter = 256, 64, 0.25
    dot = torch.zeros(n, 3, size, size)
    dot[:, :, 40:44, 20:24] = 1.0  # a bright square left of centre and below it: x 21.5, y 41.5
    torch.manual_seed(0)
    read = JudgeViews(Centroid(), jitter)(dot)
    centre = (size - 1) / 2
    offset = read - torch.tensor([21.5, 41.5])
    # the square moves, face by face: mirrored faces find it right of centre, and the shift stays within
    # jitter x half-width plus what the zoom (up to 0.8 jitter) adds to its distance from the centre
    mirrored = read[:, 0] > centre
    assert 0.35 < mirrored.float().mean() < 0.65
    bound = jitter * size / 2 + 0.8 * jitter * 20 + 1
    dy = offset[:, 1]
    assert dy.abs().max() <= bound and dy.std() > 2
    assert (read[~mirrored, 0] - 21.5).abs().max() <= bound
    assert (read[mirrored, 0] - (size - 1 - 21.5)).abs().max() <= bound
    # the same seed, the same views; a flat face looks the same from every view
    torch.manual_seed(0)
    assert torch.equal(JudgeViews(Centroid(), jitter)(dot), read)
    flat = torch.full((4, 3, size, size), 0.3)
    assert torch.allclose(JudgeViews(lambda x: x, jitter)(flat), flat, atol=1e-6)


def test_judge_views_pass_gradients_to_the_faces():
    from gan_train.age_regressor import AgeRegressor, JudgeViews

    faces = torch.rand(4, 3, 64, 64, requires_grad=True)
    JudgeViews(AgeRegressor().eval(), 0.25)(faces).sum().backward()
    assert faces.grad is not None and faces.grad.abs().sum() > 0


def test_age_judge_jitter_is_checked_and_needs_the_age_consistency_term():
    with pytest.raises(ConfigError, match=r"--age-judge-jitter 0.25 jitters the judges of --age-consistency, which is off"):
        TrainConfig(model="cgan", data="faces-age", age_judge_jitter=0.25)
    with pytest.raises(ConfigError, match=r"--age-judge-jitter must be in \[0, 0.5\] \(a share of the half-width\), got 0.8"):
        TrainConfig(model="cgan", data="faces-age", age_consistency=10, age_judge_jitter=0.8)


def test_a_jittered_run_reads_its_fakes_through_judge_views(tmp_path, judge_cache):
    from gan_train.age_regressor import AgeRegressor, JudgeViews

    data = bright_faces(96, 0)
    trainer = Trainer(tiny_age_run(tmp_path, age_judge_jitter=0.25, steps=2), dataset=data)
    logs = [state.floats() for state in trainer.steps(2)]
    judge = trainer.objective.age_judge
    assert isinstance(judge, JudgeViews) and isinstance(judge.judge, AgeRegressor) and judge.jitter == 0.25
    assert all(0 < log["age_consistency"] < 10 for log in logs)
    # a bright face is read alike from every view (it is flat), so the views change nothing the judge needs
    face = data[0]["image"][None].expand(8, -1, -1, -1)
    assert torch.allclose(judge(face), judge.judge(face).expand(8, 1), atol=1e-4)


def test_judge_views_read_each_face_through_several_views_view_major():
    from gan_train.age_regressor import JudgeViews

    n, size, jitter = 64, 64, 0.25
    dot = torch.zeros(n, 3, size, size)
    dot[:, :, 40:44, 20:24] = 1.0
    torch.manual_seed(0)
    read = JudgeViews(Centroid(), jitter, views=3)(dot)
    assert read.shape == (3 * n, 2)
    first, second, third = read.view(3, n, 2)  # view-major: block k holds the k-th view of every face
    assert (first - second).abs().amax(1).min() > 0 and (second - third).abs().amax(1).min() > 0  # own views
    centre = (size - 1) / 2
    bound = jitter * size / 2 + 0.8 * jitter * 20 + 1
    for block in (first, second, third):
        mirrored = block[:, 0] > centre
        x = torch.where(mirrored, size - 1 - block[:, 0], block[:, 0])
        assert (x - 21.5).abs().max() <= bound and (block[:, 1] - 41.5).abs().max() <= bound
    # one view per face is the plain JudgeViews, draw for draw (so earlier runs reproduce)
    torch.manual_seed(0)
    one = JudgeViews(Centroid(), jitter, views=1)(dot)
    torch.manual_seed(0)
    assert torch.equal(one, JudgeViews(Centroid(), jitter)(dot))


def test_age_judge_views_need_jitter_and_at_least_one_view():
    with pytest.raises(ConfigError, match=r"--age-judge-views 4 sets how many jittered views the judges read, but "
                                          r"--age-judge-jitter is off; add --age-judge-jitter J \(e.g. 0.25\)"):
        TrainConfig(model="cgan", data="faces-age", age_consistency=10, age_judge_views=4)
    with pytest.raises(ConfigError, match="--age-judge-views must be at least 1, got 0"):
        TrainConfig(model="cgan", data="faces-age", age_consistency=10, age_judge_jitter=0.25, age_judge_views=0)


def test_a_run_with_several_judge_views_charges_every_view(tmp_path, judge_cache):
    """G's term is the mean squared error over all K views of each face, each against that face's asked age."""
    from gan_train.age_regressor import JudgeViews

    data = bright_faces(96, 0)
    trainer = Trainer(tiny_age_run(tmp_path, age_judge_jitter=0.25, age_judge_views=3, steps=1), dataset=data)
    next(trainer.steps(1))
    judge = trainer.objective.age_judge
    assert isinstance(judge, JudgeViews) and judge.views == 3

    class Fixed(torch.nn.Module):  # reads view k of face i as k (whatever the pixels)
        def forward(self, images):
            return torch.arange(3, dtype=torch.float32).repeat_interleave(len(images) // 3)[:, None]

    judge.judge = Fixed()
    objective = trainer.objective
    ages = torch.tensor([5.0, 50.0])
    batch = {"image": torch.stack([data[0]["image"], data[1]["image"]]), "age": ages}
    _, logs = objective.g_loss(batch, {})
    asked = objective.model.age_target(ages)  # (2, 1)
    expected = sum(((k - asked) ** 2).sum() for k in range(3)) / 6  # every view of every face, each charged
    assert torch.allclose(logs["age_consistency"], expected)
    assert not torch.allclose(expected, ((1 - asked) ** 2).mean())  # not the views' average reading (1)
