"""gan_train: every family learns on tiny data, DDP, bf16, resume after SIGKILL, NaN stop, CLI."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from accelerate.state import AcceleratorState
from safetensors.torch import load_file

import gan_models
from gan_train import ConfigError, NonFiniteLossError, TrainConfig, Trainer
from gan_train.cli import main as cli_main
from gan_train.data import is_installed
from gan_train.losses import top_k

ROOT = Path(__file__).resolve().parent.parent
needs_mnist = pytest.mark.skipif(not is_installed("mnist"), reason="MNIST not installed: python -m gan_train data fetch mnist")
needs_fashion = pytest.mark.skipif(not is_installed("fashion-mnist"),
                                   reason="Fashion-MNIST not installed: python -m gan_train data fetch fashion-mnist")


@pytest.fixture(autouse=True)
def fresh_accelerate_state():
    """Accelerate keeps process-wide state; each test builds its own Accelerator."""
    AcceleratorState._reset_state(True)
    yield
    AcceleratorState._reset_state(True)


def tiny(tmp_path, arch=None, **kw):
    """A few steps of a tiny model: the family's registered example architecture, plus ``arch``."""
    family = gan_models.get_family(kw.get("model", "dcgan"))
    base = dict(steps=4, batch_size=8, tracker="none", progress=False, checkpoint_every=0, arch={**family.example, **(arch or {})},
                sample_every=0, log_every=2, num_samples=8, output_dir=str(tmp_path / "run"), limit=64)
    return TrainConfig(**{**base, **kw})


def example_run(name: str) -> dict:
    """Every registered family trains on its registered example data (images at 32 px)."""
    family = gan_models.get_family(name)
    sized = {} if set(family.data) <= {"curve", "points"} else {"image_size": 32}
    return dict(model=name, data=family.example_data, **sized)


FAMILY_CASES = {
    **{name: example_run(name) for name in gan_models.list_families()},
    "ring8": dict(model="curvegan", data="ring8", loss="hinge"),
    "dcgan-sn-hinge": dict(model="dcgan", data="digits", image_size=32, loss="hinge", arch={"spectral_norm": True}),
    "dcgan-wgan-gp": dict(model="dcgan", data="digits", image_size=32, loss="wgan-gp", n_critic=2, r1_weight=1.0),
    "dcgan-r3gan": dict(model="dcgan", data="digits", image_size=32, loss="relativistic", r1_weight=1.0, r2_weight=1.0),
    "dcgan-top-k": dict(model="dcgan", data="digits", image_size=32, top_k=0.5),
}


@pytest.mark.parametrize("case", list(FAMILY_CASES))
def test_each_family_trains_and_losses_change(case, tmp_path):
    trainer = Trainer(tiny(tmp_path, **FAMILY_CASES[case]))
    before = {k: v.clone() for k, v in trainer.model.state_dict().items()}
    rows = [s.floats() for s in trainer.steps(4)]
    assert [r["step"] for r in rows] == [1, 2, 3, 4]
    assert rows[0]["g_loss"] != rows[-1]["g_loss"]
    if trainer.objective.has_discriminator:
        assert rows[0]["d_loss"] != rows[-1]["d_loss"]
        assert all(0 <= r["d_real"] <= 1 and 0 <= r["d_fake"] <= 1 for r in rows)
    changed = [k for k, v in trainer.model.state_dict().items() if v.is_floating_point() and not torch.equal(v, before[k])]
    assert any("discriminator" in k for k in changed) or not trainer.objective.has_discriminator
    assert any(k.startswith(("generator", "decoder", "g_embedding")) for k in changed)
    grid = trainer.sample_image()  # the model's own preview, drawn
    assert grid.size[0] > 32 and len(set(grid.tobytes())) >= 2  # drawn content beside the white padding


@needs_fashion
def test_cyclegan_and_pix2pix_train(tmp_path):
    for kw in (dict(model="cyclegan", data="fashion:sneaker~ankle_boot", arch={"n_blocks": 2, "n_layers_d": 2}, pool_size=4),
               dict(model="pix2pix", data="edges:fashion-mnist")):
        AcceleratorState._reset_state(True)
        trainer = Trainer(tiny(tmp_path / kw["model"], batch_size=4, **kw))
        rows = [s.floats() for s in trainer.steps(3)]
        assert rows[0]["g_loss"] != rows[-1]["g_loss"] and rows[0]["d_loss"] != rows[-1]["d_loss"]
        if kw["model"] == "cyclegan":
            assert rows[-1]["cycle"] > 0 and rows[-1]["identity"] > 0
            assert len(trainer.objective.pool_a.images) == 4  # the pool fills up to its size


def test_curvegan_learns_the_artists_quadratic(tmp_path):
    """The tutorials' experiment: generated paintings become a*x^2 with a in [1, 2]."""
    config = tiny(tmp_path, model="curvegan", data="curves-quadratic", steps=1200, batch_size=64, lr=1e-3,
                  ema_decay=0, limit=None, arch={"hidden": 128})
    trainer = Trainer(config)
    x = trainer.model.x_grid

    def share_in_range():
        y = trainer.model.generate(1000, seed=1)
        a = (y * x**2).sum(1) / (x**4).sum()  # least-squares a of y = a x^2
        return ((a >= 1) & (a <= 2)).float().mean().item()

    before = share_in_range()
    last = [s for s in trainer.steps(config.steps)][-1].floats()
    after = share_in_range()
    assert before < 0.2
    assert after > 0.8, f"only {after:.0%} of generated curves have a in [1, 2]"
    assert 0.3 < last["d_real"] < 0.7 and 0.3 < last["d_fake"] < 0.7  # near the 0.5 equilibrium


def test_bf16_autocast_on_cpu(tmp_path):
    trainer = Trainer(tiny(tmp_path, model="dcgan", data="digits", image_size=32, mixed_precision="bf16"))
    rows = [s.floats() for s in trainer.steps(3)]
    assert all(torch.isfinite(torch.tensor(r["d_loss"])) for r in rows)
    assert next(trainer.model.parameters()).dtype == torch.float32  # master weights stay fp32


def _loss_table(tmp_path, **kw):
    AcceleratorState._reset_state(True)
    trainer = Trainer(tiny(tmp_path / "-".join(map(str, kw.values())), model="dcgan", data="digits", image_size=32,
                           ema_decay=0, arch={"nz": 100}, **kw))
    rows = [s.floats() for s in trainer.steps(5)]
    return torch.tensor([[r[k] for k in ("d_loss", "g_loss", "d_real", "d_fake")] for r in rows])


def test_speed_options_give_the_fp32_losses_up_to_rounding(tmp_path):
    """The GPU fast path (bf16, channels_last, fused Adam) trains the same model as plain fp32."""
    ref = _loss_table(tmp_path)
    layout = _loss_table(tmp_path, channels_last="on", fused_adam="on")
    assert torch.allclose(layout, ref, rtol=1e-4, atol=1e-5), (layout - ref).abs().max()
    fast = _loss_table(tmp_path, mixed_precision="bf16", channels_last="on", fused_adam="on")
    assert not torch.equal(fast, ref)  # bf16 really ran
    assert torch.allclose(fast, ref, rtol=0.05, atol=0.02), (fast - ref).abs().max()


def test_fp16_without_cuda_is_refused(tmp_path):
    if torch.cuda.is_available():
        pytest.skip("CUDA present: fp16 is allowed")
    with pytest.raises(ConfigError, match="fp16 needs a CUDA GPU .* use bf16"):
        Trainer(tiny(tmp_path, model="dcgan", data="digits", image_size=32, mixed_precision="fp16"))


def _free_port():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_ddp_two_cpu_processes_keep_weights_identical(tmp_path):
    cmd = [sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", "2",
           "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no",
           "--main_process_port", str(_free_port()), str(ROOT / "tests" / "ddp_check.py"), str(tmp_path / "run")]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "ACCELERATE_USE_CPU": "1", "GLOO_SOCKET_IFNAME": "lo"}
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "DDP OK: 2 ranks" in done.stdout


def _cli(args, out, **kw):
    return subprocess.Popen([sys.executable, "-m", "gan_train", *args, "--output-dir", str(out)],
                            cwd=ROOT, env={**os.environ, "OMP_NUM_THREADS": "1"}, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, **kw)


RESUME_ARGS = ["--model", "dcgan", "--data", "digits", "--image-size", "32", "--arch", "ngf=8", "--arch", "ndf=8",
               "--batch-size", "16", "--steps", "60", "--checkpoint-every", "10", "--keep-checkpoints", "2",
               "--sample-every", "0", "--log-every", "5", "--tracker", "none", "--no-progress"]


def test_sigkill_then_resume_gives_the_uninterrupted_weights(tmp_path):
    straight = _cli(RESUME_ARGS, tmp_path / "straight")
    assert straight.wait(timeout=300) == 0, straight.stdout.read()

    killed = _cli(RESUME_ARGS, tmp_path / "killed")
    ckpts = tmp_path / "killed" / "checkpoints"
    deadline = time.time() + 240
    while not (ckpts / "step_0000020").is_dir() and killed.poll() is None and time.time() < deadline:
        time.sleep(0.02)
    killed.send_signal(signal.SIGKILL)
    assert killed.wait() == -signal.SIGKILL, "the run ended before it could be killed"
    assert not (tmp_path / "killed" / "model").exists()
    latest = (ckpts / "latest").read_text()
    assert (ckpts / latest / "trainer_state.json").is_file()  # 'latest' always points at a whole checkpoint

    resumed = _cli([*RESUME_ARGS, "--resume", "latest"], tmp_path / "killed")
    output = resumed.communicate(timeout=300)[0]
    assert resumed.returncode == 0, output
    assert f"resumed from {ckpts / latest}" in output
    for path in ("model/model.safetensors", "checkpoints/step_0000060/state.safetensors",
                 "checkpoints/step_0000060/rng_0.safetensors"):
        a, b = load_file(tmp_path / "straight" / path), load_file(tmp_path / "killed" / path)
        assert a.keys() == b.keys()
        assert all(torch.equal(a[k], b[k]) for k in a), f"{path} differs after resume"
    # rotation keeps only the newest checkpoints
    assert sorted(p.name for p in ckpts.glob("step_*")) == ["step_0000050", "step_0000060"]


class NaNAfter(torch.utils.data.Dataset):
    """Digits whose items turn NaN after the first epochs: a run that goes bad mid-way."""

    def __init__(self, base):
        self.base, self.kind, self.num_classes, self.class_names, self.condition = base, "image", 10, None, "class"
        self.poisoned = False

    def __len__(self):
        return len(self.base)

    def __getitem__(self, i):
        item = dict(self.base[i])
        if self.poisoned:
            item["image"] = item["image"] * float("nan")
        return item


def test_nan_loss_stops_with_step_and_keeps_last_good_checkpoint(tmp_path):
    from gan_train.data import load_dataset

    data = NaNAfter(load_dataset("digits", image_size=32, limit=64))
    config = tiny(tmp_path, model="dcgan", data="digits", image_size=32, steps=40, checkpoint_every=4, log_every=2)
    trainer = Trainer(config, dataset=data)
    original = trainer.train_step

    def poison_after_8(*a, **kw):  # the data goes bad after step 8 (a real-world NaN source: corrupt inputs)
        if trainer.step == 8:
            data.poisoned = True
            trainer._batches = None
        return original(*a, **kw)

    trainer.train_step = poison_after_8
    with pytest.raises(NonFiniteLossError, match=r"step 9: d loss is nan\. Training stopped\. The last good checkpoint is .*step_0000008"):
        trainer.train()
    ckpts = tmp_path / "run" / "checkpoints"
    assert (ckpts / "latest").read_text() == "step_0000008"
    state = load_file(ckpts / "step_0000008" / "state.safetensors")
    assert all(torch.isfinite(v).all() for v in state.values())


def test_cli_help_explains_flags(capsys):
    with pytest.raises(SystemExit):
        cli_main(["--help"])
    text = capsys.readouterr().out
    for flag in ("--model", "--data", "--steps", "--batch-size", "--lr", "--loss", "--mixed-precision", "--output-dir",
                 "--resume", "--seed", "--push-to-hub", "--image-size", "--lambda-cycle", "--config"):
        assert flag in text
    assert "cycle-consistency weight" in text
    flat = " ".join(text.split())
    assert "(default: dcgan)" in flat and "(default: False)" in flat  # a value's default, and a switch's
    assert "(default: None)" not in flat and flat.count("(default:") == flat.count("default")  # each said once


def test_config_file_with_flag_override_and_resolved_config(tmp_path):
    cfg = tmp_path / "run.yaml"
    cfg.write_text("model: vae\ndata: digits\nimage_size: 32\nsteps: 3\nbatch_size: 8\narch: {latent_dim: 4, nf: 8}\n"
                   "tracker: none\nprogress: false\nsample_every: 0\ncheckpoint_every: 0\nlimit: 32\n")
    assert cli_main(["--config", str(cfg), "--steps", "2", "--output-dir", str(tmp_path / "out")]) == 0
    resolved = (tmp_path / "out" / "config.yaml").read_text()
    assert "steps: 2" in resolved and "model: vae" in resolved and "latent_dim: 4" in resolved
    model = gan_models.load(tmp_path / "out" / "model")
    assert isinstance(model, gan_models.VAE) and model.generate(2, seed=0).shape == (2, 1, 32, 32)
    card = (tmp_path / "out" / "model" / "README.md").read_text()
    assert "--config" in card and "Steps: 2" in card and "digits" in card


@pytest.mark.parametrize("args,message", [
    (["--model", "gpt"], "--model must be one of"),
    (["--loss", "wasserstein"], "--loss must be one of"),
    (["--steps", "0"], "--steps must be at least 1"),
    (["--model", "cyclegan", "--data", "digits"], "--model cyclegan needs unpaired data"),
    (["--data", "no-such-data"], "no-such-data"),
    (["--model", "cyclegan", "--data", "fashion:sneaker~ankle_boot", "--loss", "relativistic"],
     "--loss relativistic is offered for dcgan and curvegan"),
    (["--top-k", "0"], "--top-k must be in (0, 1], the share of generated images G learns from, got 0.0"),
    (["--model", "cgan", "--top-k", "0.5"], "--top-k is offered for dcgan and curvegan"),
])
def test_bad_options_give_clear_errors(args, message, tmp_path, capsys):
    assert cli_main([*args, "--output-dir", str(tmp_path), "--tracker", "none"]) == 2
    assert message in capsys.readouterr().err


def test_top_k_g_loss_uses_only_the_fakes_d_rates_most_real(tmp_path):
    """Sinha et al. 2020: with --top-k 0.5, G's loss is the plain loss of the better half of its batch."""
    trainer = Trainer(tiny(tmp_path, model="dcgan", data="digits", image_size=32, top_k=0.5, batch_size=8))
    objective = trainer.objective
    batch = next(trainer.stream.from_step(0))
    torch.manual_seed(0)
    loss, _ = objective.g_loss(batch, {})
    torch.manual_seed(0)
    with torch.no_grad():
        logits = objective.d_raw(objective.g(objective.noise(8, "cpu"))).flatten()
    best = logits.sort(descending=True).values[:4]
    assert torch.allclose(loss, F.binary_cross_entropy_with_logits(best, torch.ones(4)), atol=1e-6)
    assert not torch.allclose(loss, F.binary_cross_entropy_with_logits(logits, torch.ones(8)), atol=1e-4)
    kept, real = top_k(torch.tensor([0.1, 3.0, -2.0, 1.0, 0.5]), torch.arange(5.0), 0.5)  # ceil(2.5) = 3
    assert kept.tolist() == [3.0, 1.0, 0.5] and real.tolist() == [0.0, 1.0, 2.0]


def test_bad_config_file(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("model: dcgan\nlearning_rate: 1\n")
    with pytest.raises(ConfigError, match="unknown option.*learning_rate"):
        TrainConfig.from_file(bad)
    bad.write_text("- a list\n")
    with pytest.raises(ConfigError, match="must hold a mapping"):
        TrainConfig.from_file(bad)


def test_accelerate_launch_folder_path_and_outputs(tmp_path):
    """`accelerate launch gan_train ...` (a folder path) as the README shows it."""
    out = tmp_path / "launch"
    cmd = [sys.executable, "-m", "accelerate.commands.launch", "--num_processes", "1", "--num_machines", "1",
           "--mixed_precision", "no", "--dynamo_backend", "no", "--cpu", "gan_train", "--model", "curvegan",
           "--data", "ring8", "--steps", "6", "--sample-every", "3", "--checkpoint-every", "3", "--output-dir", str(out),
           "--no-progress"]
    result = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert (out / "samples" / "step_0000003.png").is_file() and (out / "model" / "samples.png").is_file()
    state = json.loads((out / "checkpoints" / "step_0000006" / "trainer_state.json").read_text())
    assert (state["format"], state["step"], state["family"]) == ("gan_train-checkpoint/1", 6, "curvegan")
    assert set(state["files"]) == {"state.safetensors", "state.json", "rng_0.safetensors", "rng_0.json"}
    assert list((out / "logs").rglob("events.out.tfevents.*")), "no TensorBoard log written"
    assert isinstance(gan_models.load(out / "model"), gan_models.CurveGAN)


def test_push_to_hub_then_load_from_the_hub(tmp_path, local_hub):
    config = tiny(tmp_path, model="dcgan", data="digits", image_size=32, steps=2, push_to_hub="alice/dcgan-digits")
    trainer = Trainer(config)
    trainer.train()
    local = gan_models.load(tmp_path / "run" / "model")
    remote = gan_models.load("alice/dcgan-digits")
    assert type(remote) is gan_models.DCGAN
    assert all(torch.equal(a, b) for a, b in zip(local.state_dict().values(), remote.state_dict().values()))
    assert torch.equal(local.generate(4, seed=3), remote.generate(4, seed=3))
    # the saved folder as it is: the sample grid and the card (with its Hub metadata) go up too
    from huggingface_hub import HfApi

    stored = local_hub.files("alice/dcgan-digits")
    for name in ("samples.png", "README.md"):
        assert stored[name] == (tmp_path / "run" / "model" / name).read_bytes()
    info = HfApi().model_info("alice/dcgan-digits")
    assert (info.card_data.pipeline_tag, info.card_data.model_name) == ("unconditional-image-generation", "dcgan-digits")
    assert info.card_data.datasets is None  # sklearn digits has no Hub dataset


class BrightnessAges(torch.utils.data.Dataset):
    """Faces stand-in: an image's brightness tells its age, so D's age head has something to learn."""

    kind, condition, num_classes, class_names = "image", "age", None, None

    def __init__(self, n=256, size=32):
        g = torch.Generator().manual_seed(0)
        self.ages = torch.rand(n, generator=g) * 70 + 10
        noise = torch.rand(n, 1, size, size, generator=g) * 0.2
        self.images = (noise + (self.ages.view(-1, 1, 1, 1) - 10) / 70 * 0.8) * 2 - 1

    def __len__(self):
        return len(self.ages)

    def __getitem__(self, i):
        return {"image": self.images[i], "age": self.ages[i]}


def test_age_regressor_head_learns_the_age_and_g_is_scored_on_it(tmp_path):
    config = tiny(tmp_path, model="cgan", data="custom", image_size=32, age_regressor=1.0, steps=40, lr=1e-3,
                  log_every=10)
    trainer = Trainer(config, dataset=BrightnessAges())
    assert trainer.model.age_regressor and trainer.model.discriminator.aux is not None
    rows = [s.floats() for s in trainer.steps(40)]
    first, last = sum(r["age_d"] for r in rows[:5]) / 5, sum(r["age_d"] for r in rows[-5:]) / 5
    assert last < 0.5 * first, (first, last)  # D reads age off real images better and better
    assert all(r["age_g"] >= 0 for r in rows)
    with pytest.raises(ValueError, match="age_regressor=True needs condition='age'"):
        gan_models.ConditionalGAN(condition="class", age_regressor=True)


def test_live_api_sets_learning_rates_between_steps_and_swaps_in_the_ema(tmp_path):
    """What a notebook or live demo uses: set_learning_rates between steps, ema_weights() as a context."""
    trainer = Trainer(tiny(tmp_path, model="dcgan", data="digits", image_size=32, lr_scheduler="linear", steps=10))
    trainer.train_step()
    assert trainer.learning_rates() == {"g": 2e-4, "d": 2e-4}
    trainer.set_learning_rates(g=1e-3)
    assert trainer.learning_rates() == pytest.approx({"g": 1e-3, "d": 2e-4})
    # the linear schedule keeps its shape: after step 1 of 10 the rate is 9/10 of the base, now of the new one
    assert trainer.opt_g.param_groups[0]["lr"] == pytest.approx(1e-3 * 0.9)
    assert trainer.opt_d.param_groups[0]["lr"] == pytest.approx(2e-4 * 0.9)
    trainer.train_step()
    assert trainer.opt_g.param_groups[0]["lr"] == pytest.approx(1e-3 * 0.8)
    with pytest.raises(ConfigError, match="a learning rate must be a finite positive number, got nan"):
        trainer.set_learning_rates(d=float("nan"))
    own = [p.detach().clone() for p in trainer.objective.ema_modules().parameters()]
    with trainer.ema_weights():
        inside = [p.detach().clone() for p in trainer.objective.ema_modules().parameters()]
    after = list(trainer.objective.ema_modules().parameters())
    assert not all(torch.equal(a, b) for a, b in zip(own, inside))  # the EMA copy differs from the live weights
    assert all(torch.equal(a, b) for a, b in zip(own, after))  # and the live weights come back


def test_live_api_refuses_a_d_rate_without_a_discriminator(tmp_path):
    trainer = Trainer(tiny(tmp_path, model="vae", data="digits", image_size=32))
    with pytest.raises(ConfigError, match="vae has no discriminator"):
        trainer.set_learning_rates(d=1e-3)


def test_model_config_file_gives_the_architecture_and_arch_flags_override_it(tmp_path, capsys):
    from gan_train.cli import parse_train_args

    saved = ROOT / "weights" / "dcgan-mnist" / "config.json"
    config = parse_train_args(["--model", "dcgan", "--model-config", str(saved), "--arch", "ngf=16"])
    bundled = json.loads(saved.read_text())
    assert bundled["ngf"] != 16
    assert config.arch == {"ndf": bundled["ndf"], "ngf": 16, "nz": bundled["nz"], "spectral_norm": False}
    with pytest.raises(ConfigError, match="is a dcgan config, not vae"):
        parse_train_args(["--model", "vae", "--model-config", str(saved)])
    with pytest.raises(SystemExit) as stop:  # argparse's own usage error
        cli_main(["--model", "dcgan", "--arch", "ngf"])
    assert stop.value.code == 2 and "expected KEY=VALUE (e.g. ngf=32), got 'ngf'" in capsys.readouterr().err
