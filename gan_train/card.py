"""The model card (a saved model's README.md): its metadata, its Training section and its Metrics.

huggingface_hub's ``ModelCard`` reads and writes the card. The figures of each ``gan_train eval``
command go in twice: as ``model-index`` metadata (one ``EvalResult`` per figure, which the Hub shows
as evaluation results) and, for people, as a table under "## Metrics". The tables are rendered from
the metadata, so the two agree, and figures are read back from the metadata only.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import yaml
from huggingface_hub import EvalResult, ModelCard
from huggingface_hub.repocard_data import eval_results_to_model_index, model_index_to_eval_results

CARD_NAME = "README.md"
NOT_EVALUATED = "Not evaluated."  # the Metrics placeholder of gan_models.hub's card template

# The Hub pipeline tag (and model-index task) of each family. CurveGAN's 1-D curves fit no Hub task.
PIPELINE_TAGS = {
    "dcgan": "unconditional-image-generation",
    "vae": "unconditional-image-generation",
    "cgan": "unconditional-image-generation",
    "stackgan": "unconditional-image-generation",
    "cyclegan": "image-to-image",
    "pix2pix": "image-to-image",
}
OTHER_TASK = "other"  # the Hub's task for what fits none of its own

# Hub ids of the built-in sources (under each spelling a data spec accepts); class pairs ("fashion:A~B") and
# edge pairs ("edges:mnist") are made from them too.
HUB_DATASETS = {"mnist": "ylecun/mnist", **dict.fromkeys(
    ("fashion-mnist", "fashion", "fashion_mnist", "fashionmnist"), "zalando-datasets/fashion_mnist")}
EVAL_SPLIT = "test"  # gan_train eval compares with the data's test split

# Facts about an eval run rather than about the model: kept with each figure's metric args, shown last in its table.
RUN_FACTS = ("seed", "seconds")


class CardError(ValueError):
    """A model card that is missing or cannot be read or updated; the message names the file."""


# -- metadata ----------------------------------------------------------------------------------


def pipeline_tag(family: str) -> str | None:
    return PIPELINE_TAGS.get(family)


def hub_dataset(data: str) -> str | None:
    """The Hub id of the dataset a data spec is made from ("fashion:sneaker~ankle_boot" -> Fashion-MNIST's), or None."""
    head, _, rest = data.strip().partition(":")
    head = head.strip().lower()
    if head == "edges":
        head = rest.strip().lower()
    return HUB_DATASETS.get(head)


def card_path(folder_or_card: str | Path) -> Path:
    """A model folder's README.md, or the path itself when it is a file."""
    path = Path(folder_or_card)
    return path / CARD_NAME if path.is_dir() else path


def load_card(folder_or_card: str | Path | ModelCard) -> ModelCard:
    if isinstance(folder_or_card, ModelCard):
        return folder_or_card
    path = card_path(folder_or_card)
    if not path.is_file():
        raise CardError(f"{path} does not exist (a save_pretrained folder holds its model card there)")
    try:
        return ModelCard.load(path)
    except (ValueError, yaml.YAMLError) as err:
        raise CardError(f"{path}: the card's metadata cannot be read ({err})") from err


def set_metadata(folder: str | Path, *, family: str, data: str, model_name: str) -> Path:
    """Add what a trained model's card says beyond the mixin's (library, license, tags): the Hub pipeline tag,
    the Hub dataset it was trained on (where the data has one) and the name its evaluation results go under."""
    path = card_path(folder)
    card = load_card(path)
    card.data.pipeline_tag = pipeline_tag(family)
    dataset = hub_dataset(data)
    card.data.datasets = [dataset] if dataset else None
    card.data.model_name = model_name
    card.save(path)
    return path


# -- the Training section ----------------------------------------------------------------------


def training_section(*, command: str, data: str, items: int, steps: int, batch_size: int, processes: int, loss: str,
                     lr: float, mixed_precision: str, ema_decay: float | None, seed: int, seconds: float, hardware: str,
                     torch_version: str, losses: dict[str, float], resume_changes: list[str] | tuple = ()) -> str:
    """The Training section's lines: how to rerun it, on what, for how long, and where the losses ended."""
    final = ", ".join(f"{k} {v:.4f}" for k, v in losses.items())
    return "\n".join([
        f"- Command: `{command}`",
        f"- Data: `{data}` ({items} training items)",
        f"- Steps: {steps} at batch {batch_size} x {processes} process(es), loss `{loss}`, lr {lr}, "
        f"mixed precision {mixed_precision}, EMA {ema_decay}, seed {seed}",
        *([f"- Resumed at a checkpoint with new settings: {'; '.join(resume_changes)}"] if resume_changes else []),
        f"- Time: {seconds:.0f} s on {hardware}, torch {torch_version}",
        f"- Final losses: {final or 'n/a'}",
    ])


# -- the Metrics: model-index metadata and the tables rendered from it -------------------------


def _figure(value) -> int | float | None:
    """A metric as the card keeps it: ints as they are, floats to 4 significant digits (as the table shows them);
    None for what is not a finite number (text, booleans, NaN)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if isinstance(value, int):
        return value
    if not math.isfinite(value):
        return None
    return 0.0 if abs(value) < 1e-12 else float(f"{value:.4g}")  # float noise (a KID spread of 2.5e-16) is 0


def _show(value) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _command_of(result: EvalResult) -> str:
    return str((result.metric_args or {}).get("command", ""))


def evaluations(results: list[EvalResult]) -> dict[str, dict[str, int | float]]:
    """EvalResults grouped by the eval command that measured them: {command: {metric: value, ..., seed, seconds}}."""
    out: dict[str, dict[str, int | float]] = {}
    for result in results:
        figures = out.setdefault(_command_of(result), {})
        figures[result.metric_type] = result.metric_value
    for command, figures in out.items():
        args = next(r.metric_args or {} for r in results if _command_of(r) == command)
        figures.update({fact: args[fact] for fact in RUN_FACTS if fact in args})
    return out


def metrics_tables(results: list[EvalResult]) -> str:
    """One table per eval command, the command above it in backticks, as the card's Metrics section shows them."""
    blocks = []
    for command, figures in evaluations(results).items():
        rows = "".join(f"| {name} | {_show(value)} |\n" for name, value in figures.items())
        blocks.append(f"`{command}`\n\n| metric | value |\n|---|---|\n{rows}")
    return "\n".join(blocks)


def eval_results(metrics: dict, command: str, *, family: str, data: str,
                 num_samples: int | None = None) -> list[EvalResult]:
    """One EvalResult per finite number in ``metrics`` (but the run facts, which go in every one's metric args
    together with the command)."""
    figures = {k: v for k, v in ((k, _figure(v)) for k, v in metrics.items()) if v is not None}
    args = {"command": command, **({"num_samples": num_samples} if num_samples is not None else {}),
            **{fact: figures[fact] for fact in RUN_FACTS if fact in figures}}
    return [
        EvalResult(task_type=pipeline_tag(family) or OTHER_TASK, dataset_type=hub_dataset(data) or data,
                   dataset_name=data, dataset_split=EVAL_SPLIT, metric_type=name, metric_value=value,
                   metric_args=dict(args))
        for name, value in figures.items() if name not in RUN_FACTS
    ]


def _family(folder: Path) -> str:
    try:
        return str(json.loads((folder / "config.json").read_text(encoding="utf-8"))["family"])
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise CardError(f"{folder / 'config.json'}: cannot tell the model family ({err!r})") from err


def _place_tables(text: str, old: str, new: str, path: Path) -> str:
    """The card body with the Metrics tables ``old`` (rendered from the metadata before) replaced by ``new``."""
    if old:
        if old not in text:
            raise CardError(f"{path}: the Metrics tables no longer match the card's model-index metadata (edited by "
                            "hand?); put them back as they were, or delete both, then update again")
        return text.replace(old, new, 1)
    heading = "## Metrics\n"
    at = text.find("\n" + heading)
    if at < 0 and not text.startswith(heading):
        return text.rstrip("\n") + "\n\n" + heading + "\n" + new
    start = (at + 1 if at >= 0 else 0) + len(heading)
    rest = text[start:]
    if rest.startswith("\n" + NOT_EVALUATED):
        rest = rest[len(NOT_EVALUATED) + 1:]
        rest = rest[1:] if rest.startswith("\n") else rest
    return text[:start] + "\n" + new + rest


def update_metrics(folder: str | Path, metrics: dict, command: str, *, num_samples: int | None = None) -> Path:
    """Write these figures, under the command that made them, into the model card: as model-index metadata and
    as a table under "## Metrics". Returns the card's path.

    ``metrics`` is `gan_train eval`'s dict: its finite numbers are written (floats to 4 significant digits),
    its "data" names the data they were measured on, its "family" (else config.json's) the model family.
    Each command gets its own table: the same command again replaces its figures, another one adds a table.
    "Not evaluated." goes away.
    """
    path = card_path(folder)
    card = load_card(path)
    data = metrics.get("data")
    if not isinstance(data, str) or not data:
        raise CardError(f"{path}: the metrics do not say which data they were measured on (metrics['data'])")
    family = metrics.get("family") or _family(path.parent)
    new = eval_results(metrics, command, family=family, data=data, num_samples=num_samples)
    if not new:
        raise CardError(f"{path}: no metric to write (the figures are {sorted(metrics)})")
    before = list(card.data.eval_results or [])
    name = card.data.model_name or path.parent.resolve().name
    # through the model-index and back: the order the next load gives is the order the tables show
    _, after = model_index_to_eval_results(
        eval_results_to_model_index(name, [r for r in before if _command_of(r) != command] + new))
    card.text = _place_tables(card.text, metrics_tables(before), metrics_tables(after), path)
    card.data.model_name, card.data.eval_results = name, after
    card.save(path)
    return path


def read_evaluations(folder_or_card: str | Path | ModelCard) -> dict[str, dict[str, int | float]]:
    """{eval command: {metric: value}} from the card's model-index metadata ({} if it has none)."""
    return evaluations(load_card(folder_or_card).data.eval_results or [])


def read_metrics(folder_or_card: str | Path | ModelCard) -> dict[str, int | float]:
    """Every figure of the card's model-index in one dict; a metric measured by several commands keeps the
    last command's value (the last table). {} if the model was not evaluated."""
    merged: dict[str, int | float] = {}
    for figures in read_evaluations(folder_or_card).values():
        merged.update(figures)
    return merged
