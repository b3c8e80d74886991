"""Checkpoints: nothing is unpickled, every damaged or foreign file is refused with a clear message,
a re-save or a kill never loses the run, NaN weights are never named the last good checkpoint."""

import json
import os
import pickle
import shutil

import pytest
import torch
from accelerate.state import AcceleratorState
from safetensors.torch import load_file, save_file

from gan_train import ConfigError, NonFiniteLossError, TrainConfig, Trainer
from gan_train import checkpoint as ckpt
from gan_train.cli import main as cli_main


@pytest.fixture(autouse=True)
def fresh_accelerate_state():
    AcceleratorState._reset_state(True)
    yield
    AcceleratorState._reset_state(True)


def config(tmp_path, **kw):
    base = dict(model="dcgan", data="digits", image_size=32, steps=4, batch_size=8, arch={"ngf": 8, "ndf": 8}, tracker="none",
                progress=False, checkpoint_every=2, sample_every=0, log_every=2, num_samples=8,
                output_dir=str(tmp_path / "run"), limit=64)
    return TrainConfig(**{**base, **kw})


def trained(tmp_path, **kw) -> tuple[Trainer, "os.PathLike"]:
    trainer = Trainer(config(tmp_path, **kw))
    trainer.train()
    return trainer, tmp_path / "run" / "checkpoints" / "step_0000004"


def resume(tmp_path, where="latest", **kw):
    AcceleratorState._reset_state(True)
    trainer = Trainer(config(tmp_path, resume=where, **kw))
    trainer.resume(where)
    return trainer


class Payload:
    """Unpickling this runs code: it creates the file named in MARKER."""

    MARKER = ""

    def __reduce__(self):
        return (open, (self.MARKER, "w"))


@pytest.mark.parametrize("name", ["custom_checkpoint_0.pkl", "custom_checkpoint_1.pkl", "random_states_0.pkl",
                                  "optimizer.bin", "scheduler.bin", "scaler.pt"])
def test_a_pickle_in_a_checkpoint_is_refused_and_never_runs(tmp_path, name):
    _, step = trained(tmp_path)
    marker = tmp_path / "pwned"
    Payload.MARKER = str(marker)
    (step / name).write_bytes(pickle.dumps(Payload()))
    with pytest.raises(ConfigError, match=rf"holds {name}: pickle files, which can run code.*refused"):
        resume(tmp_path, str(step))
    assert not marker.exists()
    # 'latest' skips the poisoned folder: it falls back to the newest whole, pickle-free checkpoint
    trainer = resume(tmp_path)
    assert trainer.step == 2
    assert not marker.exists()


def test_an_accelerate_format_checkpoint_is_refused(tmp_path):
    folder = tmp_path / "foreign"
    folder.mkdir()
    save_file({"w": torch.zeros(2)}, str(folder / "model.safetensors"))
    (folder / "trainer_state.json").write_text(json.dumps({"step": 10}))
    with pytest.raises(ConfigError, match="not a gan_train-checkpoint/1 checkpoint"):
        resume(tmp_path, str(folder))


@pytest.mark.parametrize("damage", ["truncate_state", "flip_rng", "bad_json", "drop_rng_tensor"])
def test_a_damaged_file_is_refused_not_half_read(tmp_path, damage):
    _, step = trained(tmp_path)
    if damage == "truncate_state":
        data = (step / "state.safetensors").read_bytes()
        (step / "state.safetensors").write_bytes(data[: len(data) // 2])
        message = "state.safetensors: its contents differ from when it was saved"
    elif damage == "flip_rng":
        data = bytearray((step / "rng_0.safetensors").read_bytes())
        data[-5] ^= 0xFF
        (step / "rng_0.safetensors").write_bytes(bytes(data))
        message = "rng_0.safetensors: its contents differ"
    elif damage == "bad_json":
        (step / "trainer_state.json").write_text("{not json")
        message = "trainer_state.json: not valid JSON"
    else:  # a consistent but wrong file: the hash is updated, the RNG tensor is gone
        rng = load_file(step / "rng_0.safetensors")
        rng.pop("rng_0/torch")
        save_file(rng, str(step / "rng_0.safetensors"))
        meta = json.loads((step / "trainer_state.json").read_text())
        meta["files"]["rng_0.safetensors"] = ckpt.sha256(step / "rng_0.safetensors")
        (step / "trainer_state.json").write_text(json.dumps(meta))
        message = "refers to tensor 'rng_0/torch', which the .safetensors file lacks"
    with pytest.raises(ConfigError, match=message):
        resume(tmp_path, str(step))


def test_a_checkpoint_of_another_family_is_refused(tmp_path):
    _, step = trained(tmp_path)
    AcceleratorState._reset_state(True)
    other = Trainer(config(tmp_path, model="vae", arch={"latent_dim": 8, "nf": 8}, output_dir=str(tmp_path / "vae")))
    with pytest.raises(ConfigError, match="is a checkpoint of a 'dcgan' run; this run trains 'vae'"):
        other.resume(str(step))


def test_architecture_settings_cannot_change_on_resume(tmp_path):
    _, step = trained(tmp_path)
    with pytest.raises(ConfigError, match=r"--arch \{'ngf': 16, 'ndf': 8\} \(checkpoint: \{'ngf': 8, 'ndf': 8\}\).*cannot change when resuming"):
        resume(tmp_path, str(step), arch={"ngf": 16, "ndf": 8})
    with pytest.raises(ConfigError, match=r"--lr-scheduler cosine \(checkpoint: constant\)"):
        resume(tmp_path, str(step), lr_scheduler="cosine")
    # more steps with a constant schedule is fine: that is "train longer"
    assert resume(tmp_path, str(step), steps=8).step == 4


def test_a_new_learning_rate_on_resume_is_honoured_and_recorded(tmp_path, capsys):
    _, step = trained(tmp_path)
    trainer = resume(tmp_path, str(step), lr=1e-3, steps=6, beta1=0.0)
    assert "--lr 0.0002 -> 0.001" in capsys.readouterr().out
    assert [g["lr"] for g in trainer.opt_g.param_groups] == [1e-3]
    assert trainer.opt_d.param_groups[0]["lr"] == 1e-3  # D follows --lr when --lr-d is not given
    assert trainer.opt_g.param_groups[0]["betas"] == (0.0, 0.999)
    trainer.train_step()
    assert trainer.sched_g.get_last_lr() == [1e-3]
    assert "Resumed at a checkpoint with new settings: --lr 0.0002 -> 0.001" in trainer.model_card()["training"]


def test_resume_restores_every_part_exactly(tmp_path):
    """CycleGAN (image pools, EMA, two optimizers): 4 straight steps == 2 steps, resume, 2 steps."""
    kw = dict(model="cyclegan", data="digits:1~7", arch={"n_blocks": 1, "n_layers_d": 1}, pool_size=4, steps=4, limit=32)
    straight = Trainer(config(tmp_path, output_dir=str(tmp_path / "a"), checkpoint_every=0, **kw))
    straight.train()
    AcceleratorState._reset_state(True)
    first = Trainer(config(tmp_path, output_dir=str(tmp_path / "b"), **kw))
    first.train()  # writes step 2 and step 4
    step2 = tmp_path / "b" / "checkpoints" / "step_0000002"
    modes = {f.name: f.stat().st_mode & 0o777 for f in step2.iterdir()}
    assert modes["state.safetensors"] == modes["state.json"], modes  # a shared run folder stays readable
    shutil.rmtree(tmp_path / "b" / "checkpoints" / "step_0000004")
    AcceleratorState._reset_state(True)
    again = Trainer(config(tmp_path, output_dir=str(tmp_path / "b"), resume="latest", **kw))
    again.train()
    a, b = straight.training_state(), again.training_state()
    for key in a["model"]:
        assert torch.equal(a["model"][key], b["model"][key]), key
    assert [len(p.images) for p in again.objective.checkpoint_objects()] == [4, 4]
    assert all(torch.equal(x, y) for x, y in zip(a["ema"]["shadow_params"], b["ema"]["shadow_params"]))


def test_resaving_a_step_killed_between_renames_loses_nothing(tmp_path):
    trainer, step = trained(tmp_path)
    folder = step.parent
    # the state a kill leaves between "move the old copy aside" and "move the new copy in"
    os.replace(step, folder / ".old-step_0000004")
    AcceleratorState._reset_state(True)
    resumed = resume(tmp_path)
    assert resumed.step == 4
    assert (folder / "step_0000004" / "trainer_state.json").is_file()
    # and a plain re-save of the same step keeps one whole copy
    resumed.save_checkpoint()
    assert sorted(p.name for p in folder.iterdir()) == ["latest", "step_0000002", "step_0000004"]


def test_a_symlinked_checkpoint_is_read_but_rotation_never_deletes_its_target(tmp_path):
    _, step = trained(tmp_path)
    elsewhere = tmp_path / "kept-safe"
    shutil.copytree(step, elsewhere)
    old = step.parent / "step_0000001"
    old.symlink_to(elsewhere, target_is_directory=True)
    trainer = resume(tmp_path, str(old))
    assert trainer.step == 4
    trainer.save_checkpoint()  # rotation (keep 2) removes the link step_0000001
    assert not old.is_symlink() and (elsewhere / "state.safetensors").is_file()


def test_nan_weights_are_never_checkpointed(tmp_path):
    trainer = Trainer(config(tmp_path, checkpoint_every=1, steps=3))
    trainer.train_step()
    good = trainer.save_checkpoint()
    with torch.no_grad():
        next(trainer.model.parameters()).fill_(float("nan"))
    with pytest.raises(NonFiniteLossError, match=rf"weights hold NaN or inf; no checkpoint written\. The last good checkpoint is {good}"):
        trainer.train_step()
        trainer.save_checkpoint()
    assert trainer.latest_checkpoint() == good


def test_exploding_losses_stop_the_run_before_garbage_is_saved(tmp_path, capsys):
    code = cli_main(["--model", "dcgan", "--data", "digits", "--image-size", "32", "--arch", "ngf=8", "--arch", "ndf=8",
                     "--batch-size", "8", "--limit", "64", "--steps", "40", "--lr", "1e6", "--checkpoint-every", "5",
                     "--log-every", "5", "--tracker", "none", "--no-progress", "--output-dir", str(tmp_path / "run")])
    err = capsys.readouterr().err
    assert code == 3, err
    assert "NaN" in err or "nan" in err or "exploding" in err
    assert not (tmp_path / "run" / "model").exists()
    for step in (tmp_path / "run" / "checkpoints").glob("step_*"):
        state = load_file(step / "state.safetensors")
        assert all(torch.isfinite(v).all() for k, v in state.items() if k.startswith("state/model/") and v.is_floating_point())


@pytest.mark.parametrize("args,message", [
    (["--checkpoint-every", "-1"], "--checkpoint-every must be 0 or more, got -1"),
    (["--limit", "4"], "the data has 4 items: too few for batches of 64"),
    (["--image-size", "30"], "--model dcgan on 'digits': image_size=30 is not supported"),
    (["--lr", "inf"], "--lr must be a finite positive number"),
    (["--arch", "ngf=1000000"], "--arch ngf must be a whole number between 1 and 4096, got 1000000"),
    (["--arch", "ngf=wide"], "--arch ngf must be a whole number between 1 and 4096, got 'wide'"),
    (["--arch", "width=8"], "--arch: dcgan has no architecture setting width; it has: nz=100, ngf=64"),
    (["--arch", "image_size=64"], "image_size come(s) from the data: use --image-size"),
    (["--resume", "/no/such/folder"], "/no/such/folder: not a folder"),
])
def test_bad_options_end_in_a_message_not_a_traceback(tmp_path, capsys, args, message):
    code = cli_main(["--model", "dcgan", "--data", "digits", "--steps", "2", "--tracker", "none", "--no-progress",
                     "--output-dir", str(tmp_path / "run"), *args])
    err = capsys.readouterr().err
    assert code == 2 and message in err and "Traceback" not in err


def test_export_checkpoint_gives_the_model_the_run_saved_at_that_step(tmp_path, capsys):
    _, step4 = trained(tmp_path, sample_every=2)  # steps=4: the run's own model/ is its step-4 EMA model
    AcceleratorState._reset_state(True)
    assert cli_main(["export", "--checkpoint", str(tmp_path / "run" / "checkpoints" / "latest"),
                     "--output", str(tmp_path / "exported")]) == 0
    assert capsys.readouterr().out.strip().endswith("exported")
    saved = load_file(str(tmp_path / "run" / "model" / "model.safetensors"))
    exported = load_file(str(tmp_path / "exported" / "model.safetensors"))
    assert saved.keys() == exported.keys()
    assert all(torch.equal(saved[k], exported[k]) for k in saved)
    card = (tmp_path / "exported" / "README.md").read_text()
    assert "to step 4; exported with gan_train export --checkpoint" in card
    # the default folder sits in the run, named after the step; an earlier step gives other weights
    AcceleratorState._reset_state(True)
    assert cli_main(["export", "--checkpoint", str(step4.parent / "step_0000002")]) == 0
    earlier = load_file(str(tmp_path / "run" / "model-step_0000002" / "model.safetensors"))
    assert not all(torch.equal(saved[k], earlier[k]) for k in saved)
    # each folder carries the sample grid the run drew at its step, as the run's own model/ does
    samples = tmp_path / "run" / "samples"
    assert (tmp_path / "exported" / "samples.png").read_bytes() == (samples / "step_0000004.png").read_bytes()
    assert (tmp_path / "run" / "model-step_0000002" / "samples.png").read_bytes() == (samples / "step_0000002.png").read_bytes()


def test_export_refuses_what_is_not_a_checkpoint_and_never_deletes_a_foreign_folder(tmp_path, capsys):
    _, step4 = trained(tmp_path)
    AcceleratorState._reset_state(True)
    assert cli_main(["export", "--checkpoint", str(tmp_path)]) == 2
    assert "is not a training checkpoint" in capsys.readouterr().err
    keep = tmp_path / "notes"
    keep.mkdir()
    (keep / "thesis.txt").write_text("precious")
    assert cli_main(["export", "--checkpoint", str(step4), "--output", str(keep)]) == 2
    assert "is not a model folder" in capsys.readouterr().err
    assert (keep / "thesis.txt").read_text() == "precious"
