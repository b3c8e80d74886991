"""One record per data source: what it is called, what it gives, how it is built, fetched and judged.

The module that builds a source registers its records (builtin, synthetic, faces, folders);
`gan_train.data` imports them all, so every lookup below sees the whole catalogue.

    get_source("fashion:sneaker~ankle_boot").judge   # "class"
    example_source("paired")                          # "edges:fashion-mnist"
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .base import DataError, GANDataset

KINDS = ("image", "curve", "points", "unpaired", "paired")
CONDITIONS = ("class", "age", None)
JUDGES = ("class", "age", None)  # a class classifier, the age estimator, nothing
ARGUMENTS = ("none", "required", "optional")


@dataclass(frozen=True)
class Source:
    """A data source.

    pattern      how it is written: "mnist", "fashion:A~B", "imagefolder:PATH" (upper case: placeholders)
    description  one line for `gan_train data list`
    kind         the items it gives: "image", "curve", "points", "unpaired" or "paired"
    condition    what labels its items carry: "class", "age" or None
    build        build(arg, *, image_size, channels, split, root, limit, spec) -> GANDataset, where
                 arg is the text after the colon (None without one); load_dataset checks the arguments
    example      a spec that loads, shown in messages (e.g. "fashion:sneaker~ankle_boot")
    argument     after the colon: "none", "required" (the pattern's placeholder) or "optional" (options)
    aliases      other spellings of the name before the colon ("fashion" for "fashion-mnist")
    judge        what scores a model trained on it: "class" (a classifier), "age" (the estimator), None
    judge_data   the labelled source the class judge is trained on; None: the spec being judged
    fetch        fetch(root) -> folder: installs its data (None: nothing to install)
    is_installed is_installed(root) -> bool (None: nothing to install)
    suggested    the example named when a user needs data of this kind (one per kind)
    user_files   it reads the user's own files (its example path is a placeholder)
    """

    pattern: str
    description: str
    kind: str
    build: Callable[..., GANDataset]
    example: str
    condition: str | None = None
    argument: str = "none"
    aliases: tuple[str, ...] = ()
    judge: str | None = None
    judge_data: str | None = None
    fetch: Callable[[Path | None], Path] | None = None
    is_installed: Callable[[Path | None], bool] | None = None
    suggested: bool = False
    user_files: bool = False

    @property
    def name(self) -> str:
        """The part before the colon: "fashion" for "fashion:A~B"."""
        return self.pattern.partition(":")[0]

    @property
    def placeholder(self) -> str:
        """The part after the colon: "A~B" for "fashion:A~B", "" for "mnist"."""
        return self.pattern.partition(":")[2]

    def takes(self, has_argument: bool) -> bool:
        """Whether a spec with (True) or without (False) text after a colon is written for this source."""
        return self.argument == "optional" or (self.argument == "required") == has_argument


_SOURCES: list[Source] = []
_BY_NAME: dict[str, list[Source]] = {}  # every accepted spelling of a name -> its sources


def register(source: Source) -> Source:
    """Add a source to the catalogue. A spec must always lead to one source, so a clash is an error."""
    _check_record(source)
    for name in (source.name, *source.aliases):
        for other in _BY_NAME.get(name, []):
            if other.pattern == source.pattern:
                return other  # a module imported twice (reload) registers the same record again
            if other.takes(True) and source.takes(True) or other.takes(False) and source.takes(False):
                raise ValueError(f"data sources {other.pattern!r} and {source.pattern!r} both claim {name!r}")
    for name in (source.name, *source.aliases):
        _BY_NAME.setdefault(name, []).append(source)
    _SOURCES.append(source)
    return source


def _check_record(source: Source) -> None:
    problems = []
    if source.kind not in KINDS:
        problems.append(f"kind {source.kind!r} is not one of {KINDS}")
    if source.condition not in CONDITIONS:
        problems.append(f"condition {source.condition!r} is not one of {CONDITIONS}")
    if source.judge not in JUDGES:
        problems.append(f"judge {source.judge!r} is not one of {JUDGES}")
    if source.argument not in ARGUMENTS:
        problems.append(f"argument {source.argument!r} is not one of {ARGUMENTS}")
    if (source.argument == "required") != bool(source.placeholder):
        problems.append("a required argument is written as a placeholder after the colon, and only then")
    if (source.fetch is None) != (source.is_installed is None):
        problems.append("fetch and is_installed come together")
    if problems:
        raise ValueError(f"data source {source.pattern!r}: " + "; ".join(problems))


def list_sources() -> list[Source]:
    """Every registered source, in catalogue order (as `gan_train data list` shows them)."""
    return list(_SOURCES)


def unknown_source(spec: str) -> DataError:
    return DataError(
        f"unknown data source {spec!r}. Valid sources: {', '.join(s.pattern for s in _SOURCES)} "
        "(`python -m gan_train data list` describes them)."
    )


def sources_named(spec: str) -> list[Source]:
    """The sources whose name (or alias) is the part of `spec` before any colon: "mnist" and "mnist:A~B"."""
    if not isinstance(spec, str):
        return []
    return list(_BY_NAME.get(spec.strip().partition(":")[0].strip().lower(), []))


def split_spec(spec: str) -> tuple[Source, str | None]:
    """(the source, the text after the colon or None) for a spec such as "fashion:sneaker~ankle_boot"."""
    candidates = sources_named(spec)
    if not candidates:
        raise unknown_source(str(spec))
    head, colon, arg = spec.strip().partition(":")
    has_argument = bool(colon)
    for source in candidates:
        if source.takes(has_argument):
            if source.argument == "required" and not arg.strip():
                raise DataError(
                    f"{spec!r}: give {source.placeholder} after the colon ({source.pattern}), e.g. {source.example}"
                )
            return source, arg if has_argument else None
    if has_argument:
        raise DataError(f"{spec!r}: {head.strip()} takes nothing after the colon; write {candidates[0].example}")
    forms = " or ".join(f"{s.pattern} (e.g. {s.example})" for s in candidates)
    raise DataError(f"{spec!r} needs something after a colon: {forms}")


def get_source(spec: str) -> Source:
    """The source a spec names: get_source("fashion:sneaker~ankle_boot").pattern == "fashion:A~B"."""
    return split_spec(spec)[0]


def example_source(kind: str) -> str:
    """A spec that gives `kind` data, for messages: example_source("unpaired") == "fashion:sneaker~ankle_boot"."""
    for source in _SOURCES:
        if source.kind == kind and source.suggested:
            return source.example
    raise ValueError(f"no data source is suggested for kind {kind!r}; kinds: {', '.join(KINDS)}")
