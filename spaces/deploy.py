"""Assemble the Hugging Face Space for the gan-toolkit app and upload it.

    python spaces/deploy.py --repo-id USER/SPACE [--build-dir DIR] [--dry-run] [--token T] [--private]
                            [--source REPO_ROOT]

The Space gets, from the source tree (default: this repository):

    app.py, gan_app/, gan_models/, gan_train/, weights/, assets/ (if present)
    README.md         <- spaces/README.md (Space front matter + description)
    requirements.txt  <- spaces/requirements.txt

skipping __pycache__/, *.pyc, runs/ and tests/. Before anything is copied, the front matter's
``sdk_version`` must equal the lower bound of ``gradio`` in pyproject.toml (the Space installs that
gradio; the toolkit is developed against it). Then ``HfApi().create_repo(repo_type="space",
space_sdk="gradio", exist_ok=True)`` and one ``upload_folder`` commit that also deletes remote files
the build no longer has (``.gitattributes`` is kept). ``--dry-run`` assembles and lists the files only.

The token comes from ``--token``, else the usual huggingface_hub login (``HF_TOKEN`` or ``hf auth login``);
``HF_ENDPOINT`` selects another Hub. This folder is deliberately not a package (no ``__init__.py``): on
Spaces, ``import spaces`` is the ZeroGPU library.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
REQUIRED_DIRS = ("gan_app", "gan_models", "gan_train", "weights")
OPTIONAL_DIRS = ("assets",)
SKIP_DIRS = {"__pycache__", "runs", "tests", ".pytest_cache", ".ruff_cache", ".ipynb_checkpoints", ".git"}
SKIP_SUFFIXES = (".pyc", ".pyo")
FRONT_MATTER_KEYS = ("title", "sdk", "sdk_version", "app_file", "license")


class DeployError(Exception):
    """Something in the source tree or the settings keeps the Space from being built."""


def read_front_matter(readme: Path) -> dict:
    """The YAML front matter (between the leading ``---`` lines) of a Space README as a dict."""
    import yaml
    from huggingface_hub import SpaceCard

    if not readme.is_file():
        raise DeployError(f"{readme} not found: the Space README with its front matter lives there")
    try:
        data = SpaceCard.load(readme).data.to_dict()
    except yaml.YAMLError as e:
        raise DeployError(f"{readme}: the front matter is not valid YAML: {e}") from None
    except ValueError:  # huggingface_hub: "repo card metadata block should be a dict"
        raise DeployError(f"{readme}: the front matter must be a YAML mapping of keys to values") from None
    if not data:  # SpaceCard reads a README without front matter (or an empty one) as no metadata
        raise DeployError(
            f"{readme} has no YAML front matter: it must start with a '---' line and close with one"
        )
    return data


def gradio_lower_bound(pyproject: Path) -> str:
    """The version in ``gradio>=X`` among pyproject.toml's [project] dependencies."""
    from packaging.requirements import InvalidRequirement, Requirement

    if not pyproject.is_file():
        raise DeployError(f"{pyproject} not found: the gradio version is checked against it")
    text = pyproject.read_text(encoding="utf-8")
    try:
        import tomllib

        deps = tomllib.loads(text).get("project", {}).get("dependencies", [])
    except ImportError:  # Python 3.10: no tomllib; the dependency strings are quoted in the file
        deps = re.findall(r"[\"'](gradio\b[^\"']*)[\"']", text)
    for dep in deps:
        try:
            req = Requirement(dep)
        except InvalidRequirement:
            continue
        if req.name.lower() != "gradio":
            continue
        bounds = [spec.version for spec in req.specifier if spec.operator in (">=", "==", "~=")]
        if not bounds:
            raise DeployError(
                f"{pyproject}: {dep!r} has no lower bound (>=): the Space's sdk_version needs one"
            )
        return bounds[0]
    raise DeployError(f"{pyproject}: no gradio in [project] dependencies")


def check_front_matter(source: Path) -> dict:
    """Read spaces/README.md's front matter and check it against the source tree and pyproject.toml."""
    from packaging.version import InvalidVersion, Version

    readme = source / "spaces" / "README.md"
    meta = read_front_matter(readme)
    missing = [key for key in FRONT_MATTER_KEYS if not meta.get(key)]
    if missing:
        raise DeployError(f"{readme}: the front matter lacks {', '.join(missing)}")
    if meta["sdk"] != "gradio":
        raise DeployError(f"{readme}: sdk is {meta['sdk']!r}; this app needs sdk: gradio")
    sdk_version = str(meta["sdk_version"])
    lower = gradio_lower_bound(source / "pyproject.toml")
    try:
        same = Version(sdk_version) == Version(lower)
    except InvalidVersion:
        same = False
    if not same:
        raise DeployError(
            f"{readme} has sdk_version: {sdk_version!r} but pyproject.toml asks for gradio>={lower}. "
            f'They must be the same version: set sdk_version: "{lower}" in the README (quoted) or change '
            "the bound in pyproject.toml."
        )
    if meta["app_file"] != "app.py":
        raise DeployError(f"{readme}: app_file is {meta['app_file']!r}; the Space is built around app.py")
    return meta


def _ignore(directory: str, names: list[str]) -> set[str]:
    return {n for n in names if n in SKIP_DIRS or n.endswith(SKIP_SUFFIXES) or n.endswith(".egg-info")}


def _has_files(folder: Path) -> bool:
    return any(p.is_file() for p in folder.rglob("*") if not (set(p.relative_to(folder).parts) & SKIP_DIRS))


def assemble(source: Path, build_dir: Path) -> list[str]:
    """Copy the Space's files from ``source`` into ``build_dir`` (empty or new); returns their paths."""
    source, build_dir = Path(source).resolve(), Path(build_dir).resolve()
    check_front_matter(source)
    problems = []
    if not (source / "app.py").is_file():
        problems.append(f"app.py is missing from {source}: the Space runs it")
    for name in REQUIRED_DIRS:
        folder = source / name
        if not folder.is_dir():
            problems.append(f"{name}/ is missing from {source}")
        elif not _has_files(folder):
            problems.append(f"{name}/ in {source} holds no files")
    if "weights/" in " ".join(problems):
        problems.append("the Space serves the trained models from weights/: train and save them there first")
    requirements = source / "spaces" / "requirements.txt"
    if not requirements.is_file():
        problems.append(f"{requirements} is missing")
    if problems:
        raise DeployError("cannot build the Space:\n  - " + "\n  - ".join(problems))
    copied = [source / name for name in ("app.py", *REQUIRED_DIRS, *OPTIONAL_DIRS)]
    if any(build_dir == p or p in build_dir.parents for p in copied) or build_dir in source.parents:
        raise DeployError(f"--build-dir {build_dir} overlaps the files it would copy: pick another folder")
    if build_dir.exists() and (not build_dir.is_dir() or any(build_dir.iterdir())):
        raise DeployError(f"--build-dir {build_dir} exists and is not an empty folder")

    build_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy2(source / "app.py", build_dir / "app.py")
    for name in (*REQUIRED_DIRS, *OPTIONAL_DIRS):
        if (source / name).is_dir():
            shutil.copytree(source / name, build_dir / name, ignore=_ignore)
    shutil.copy2(source / "spaces" / "README.md", build_dir / "README.md")
    shutil.copy2(requirements, build_dir / "requirements.txt")
    return sorted(p.relative_to(build_dir).as_posix() for p in build_dir.rglob("*") if p.is_file())


def upload(build_dir: Path, repo_id: str, token: str | None = None, private: bool = False) -> str:
    """Create the Space if needed and commit ``build_dir`` to it; returns the Space's URL."""
    from huggingface_hub import HfApi

    api = HfApi(token=token)
    url = api.create_repo(
        repo_id, repo_type="space", space_sdk="gradio", private=True if private else None, exist_ok=True
    )
    api.upload_folder(
        repo_id=repo_id,
        folder_path=str(build_dir),
        repo_type="space",
        commit_message="Deploy the gan-toolkit app",
        delete_patterns=["*"],  # files the build no longer has go away (upload_folder keeps .gitattributes)
    )
    return str(url)


def _size(n: float) -> str:
    for unit in ("B", "KB", "MB"):
        if n < 1024:
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.2f} GB"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repo-id", required=True, help="the Space, as USER/SPACE (or ORG/SPACE)")
    parser.add_argument("--build-dir", type=Path, help="assemble here (new or empty folder; kept afterwards)")
    parser.add_argument("--dry-run", action="store_true", help="assemble and list the files; upload nothing")
    parser.add_argument("--token", help="Hub token with write access (default: the huggingface_hub login)")
    parser.add_argument("--private", action="store_true", help="create the Space private (if it is new)")
    parser.add_argument(
        "--source", type=Path, default=REPO_ROOT, help="the toolkit's root (default: %(default)s)"
    )
    args = parser.parse_args(argv)

    from huggingface_hub.errors import HFValidationError
    from huggingface_hub.utils import validate_repo_id

    try:
        validate_repo_id(args.repo_id)
    except HFValidationError as e:
        parser.error(f"--repo-id must look like USER/SPACE: {e}")
    if args.repo_id.count("/") != 1:  # the Hub's check also takes a bare name; a Space needs its owner
        parser.error(f"--repo-id must look like USER/SPACE, got {args.repo_id!r}")
    tmp = None
    build_dir = args.build_dir
    if build_dir is None:
        tmp = tempfile.TemporaryDirectory(prefix="gan-toolkit-space-")
        build_dir = Path(tmp.name) / "space"
    try:
        files = assemble(args.source, build_dir)
        total = 0
        print(f"Space files for {args.repo_id} (in {build_dir}):")
        for rel in files:
            size = (Path(build_dir) / rel).stat().st_size
            total += size
            print(f"  {rel}  ({_size(size)})")
        print(f"{len(files)} files, {_size(total)}")
        if args.dry_run:
            print("Dry run: nothing uploaded.")
            return 0
        from huggingface_hub.errors import HfHubHTTPError

        try:
            url = upload(Path(build_dir), args.repo_id, token=args.token, private=args.private)
        except HfHubHTTPError as e:
            raise DeployError(f"the upload to {args.repo_id} failed: {e}") from None
        print(f"Uploaded to {url}")
        return 0
    except DeployError as e:
        print(f"deploy: error: {e}", file=sys.stderr)
        return 1
    finally:
        if tmp is not None:
            tmp.cleanup()


if __name__ == "__main__":
    sys.exit(main())
