"""The family registry: everything the trainer, the evaluator, the app and the CLI need to know
about a model family, in one record written next to the model class.

Each model module ends with one ``register_family(Family(...))`` call; ``gan_models/__init__.py``
imports the modules, so importing ``gan_models`` fills the registry. The record names its
training objective and its metrics *by key*: ``gan_train.objectives`` and ``gan_train.eval``
register implementations under those keys, so this bottom layer imports neither.

Adding a family = one model module (class + ``register_family``) + one import line in
``gan_models/__init__.py``. Nothing else lists families.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# How the app can show a family (one or more of these):
SHOWS = ("sample", "class", "age", "translate", "curve", "points")


@dataclass(frozen=True)
class Family:
    """What the rest of the toolkit needs to know about one model family."""

    name: str  # config.json "family", --model NAME
    model_class: type
    title: str  # one line for listings and the app
    data: tuple[str, ...]  # data kinds it trains on: image, curve, points, unpaired, paired
    objective: str  # key of its training step in gan_train.objectives
    loss: str | None  # default adversarial loss; None when there is no discriminator
    metrics: tuple[str, ...]  # keys of gan_train.eval metrics that judge it
    shows: tuple[str, ...] = ("sample",)  # what the app can do with it (see SHOWS)
    example: dict[str, Any] = field(default_factory=dict)  # tiny __init__ kwargs, for tests and docs
    example_data: str = "mnist"  # a data spec it trains on, for examples and error messages

    def __post_init__(self):
        unknown = [s for s in self.shows if s not in SHOWS]
        if unknown:
            raise ValueError(f"family {self.name!r}: unknown shows {unknown} (known: {', '.join(SHOWS)})")
        if getattr(self.model_class, "family", None) != self.name:
            raise ValueError(f"family {self.name!r}: {self.model_class.__name__}.family is "
                             f"{getattr(self.model_class, 'family', None)!r}, it must be {self.name!r}")


class UnknownFamilyError(LookupError):
    """A family name nobody registered; the message lists the known ones."""


_FAMILIES: dict[str, Family] = {}


def register_family(family: Family) -> Family:
    """Add a family; registering a name twice is an error (two modules claiming one name)."""
    if family.name in _FAMILIES and _FAMILIES[family.name].model_class is not family.model_class:
        raise ValueError(f"family {family.name!r} is already registered by {_FAMILIES[family.name].model_class.__name__}")
    _FAMILIES[family.name] = family
    return family


def get_family(name: str) -> Family:
    if name not in _FAMILIES:
        raise UnknownFamilyError(f"unknown model family {name!r} (known: {', '.join(list_families())})")
    return _FAMILIES[name]


def list_families() -> list[str]:
    return sorted(_FAMILIES)
