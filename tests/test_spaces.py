"""spaces/: the Hugging Face Space's front matter, requirements and deploy script (assemble + upload)."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from huggingface_hub import snapshot_download
from packaging.requirements import Requirement
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
SPACES = ROOT / "spaces"
SPACE_COLORS = {"red", "yellow", "green", "blue", "indigo", "purple", "pink", "gray"}


def _load_deploy():
    spec = importlib.util.spec_from_file_location("space_deploy", SPACES / "deploy.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


deploy = _load_deploy()


def _front_matter(path: Path) -> dict:
    text = path.read_text(encoding="utf-8")
    assert text.startswith("---\n"), "the Space README must start with YAML front matter"
    return yaml.safe_load(text.split("\n---\n", 1)[0][4:])


def _pyproject_bounds() -> dict[str, str]:
    """{package name: lower bound} of pyproject.toml's [project] dependencies."""
    text = (ROOT / "pyproject.toml").read_text()
    block = re.search(r"^dependencies = \[(.*?)^\]", text, re.DOTALL | re.MULTILINE).group(1)
    out = {}
    for dep in re.findall(r'"([^"]+)"', block):
        req = Requirement(dep)
        out[req.name.lower().replace("_", "-")] = next(s.version for s in req.specifier if s.operator == ">=")
    return out


def _fake_source(root: Path) -> Path:
    """A toolkit tree with everything the Space needs, plus things it must leave out."""
    files = {
        "app.py": "import gradio as gr\n",
        "gan_app/__init__.py": "",
        "gan_models/__init__.py": "",
        "gan_models/dcgan.py": "X = 1\n",
        "gan_models/__pycache__/dcgan.cpython-311.pyc": "junk",
        "gan_train/__init__.py": "",
        "gan_train/data/__init__.py": "",
        "gan_train/stale.pyc": "junk",
        "gan_train/runs/log.txt": "junk",
        "gan_train/tests/test_x.py": "junk",
        "weights/dcgan-mnist/config.json": '{"family": "dcgan"}',
        "weights/dcgan-mnist/README.md": "---\nlicense: mit\n---\n# card\n",
        "assets/logo.svg": "<svg/>",
        "tests/test_app.py": "junk",
        "runs/dcgan.log": "junk",
        "README.md": "# the repo readme, not the Space's\n",
        "notes.txt": "junk",
    }
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    (root / "weights/dcgan-mnist/model.safetensors").write_bytes(bytes(range(256)) * 40)
    (root / "spaces").mkdir()
    for name in ("README.md", "requirements.txt", "deploy.py"):
        shutil.copy2(SPACES / name, root / "spaces" / name)
    shutil.copy2(ROOT / "pyproject.toml", root / "pyproject.toml")
    return root


EXPECTED = {
    "app.py",
    "README.md",
    "requirements.txt",
    "gan_app/__init__.py",
    "gan_models/__init__.py",
    "gan_models/dcgan.py",
    "gan_train/__init__.py",
    "gan_train/data/__init__.py",
    "weights/dcgan-mnist/config.json",
    "weights/dcgan-mnist/README.md",
    "weights/dcgan-mnist/model.safetensors",
    "assets/logo.svg",
}


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


# --- the spaces/ folder itself ---------------------------------------------------------------------------


def test_spaces_is_not_a_package():
    # on Spaces, `import spaces` must find the ZeroGPU library, not this folder
    assert not (SPACES / "__init__.py").exists()
    assert not (ROOT / "spaces.py").exists()


def test_front_matter_has_the_space_keys_and_the_pyproject_gradio():
    meta = _front_matter(SPACES / "README.md")
    for key in ("title", "emoji", "colorFrom", "colorTo", "sdk", "sdk_version", "app_file", "license"):
        assert meta.get(key), f"front matter lacks {key}"
    assert meta["title"] == "GAN Toolkit"
    assert meta["sdk"] == "gradio" and meta["app_file"] == "app.py" and meta["license"] == "mit"
    assert meta["colorFrom"] in SPACE_COLORS and meta["colorTo"] in SPACE_COLORS
    assert isinstance(meta["sdk_version"], str), "quote sdk_version so YAML keeps it a string"
    assert len(meta.get("short_description", "")) <= 60  # the Hub's limit
    lower = _pyproject_bounds()["gradio"]
    assert Version(meta["sdk_version"]) == Version(lower), (meta["sdk_version"], lower)
    assert deploy.gradio_lower_bound(ROOT / "pyproject.toml") == lower
    deploy.check_front_matter(ROOT)  # the deploy script agrees


def test_requirements_are_the_pyproject_lower_bounds_without_gradio():
    lines = [ln.strip() for ln in (SPACES / "requirements.txt").read_text().splitlines()]
    reqs = [Requirement(ln) for ln in lines if ln and not ln.startswith("#")]
    names = {r.name.lower() for r in reqs}
    assert "gradio" not in names  # the Space's sdk_version installs it
    expected = {"torch", "torchvision", "diffusers", "safetensors", "huggingface-hub", "accelerate"}
    expected |= {"numpy", "pillow", "scikit-learn", "pyyaml", "tensorboard"}
    assert names == expected
    bounds = _pyproject_bounds()
    for req in reqs:
        (spec,) = req.specifier
        assert spec.operator == ">=", f"{req}: lower bounds only"
        assert spec.version == bounds[req.name.lower()], f"{req} vs pyproject {bounds[req.name.lower()]}"


# --- assembling -----------------------------------------------------------------------------------------


def test_deploy_dry_run_assembles_the_space_from_a_source_tree(tmp_path, capsys):
    source = _fake_source(tmp_path / "src")
    build = tmp_path / "build"
    rc = deploy.main(
        ["--repo-id", "someone/gan-toolkit", "--source", str(source), "--build-dir", str(build), "--dry-run"]
    )
    out = capsys.readouterr().out
    assert rc == 0, out
    tree = _tree(build)
    assert set(tree) == EXPECTED
    assert tree["README.md"] == (SPACES / "README.md").read_bytes()
    assert tree["requirements.txt"] == (SPACES / "requirements.txt").read_bytes()
    assert tree["weights/dcgan-mnist/model.safetensors"] == bytes(range(256)) * 40
    for rel in EXPECTED:
        assert rel in out
    assert "nothing uploaded" in out.lower()


def test_deploy_cli_runs_as_a_script(tmp_path):
    source = _fake_source(tmp_path / "src")
    result = subprocess.run(
        [
            sys.executable,
            str(source / "spaces" / "deploy.py"),
            "--repo-id",
            "a/b",
            "--source",
            str(source),
            "--dry-run",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "weights/dcgan-mnist/model.safetensors" in result.stdout and f"{len(EXPECTED)} files" in result.stdout


@pytest.mark.parametrize(
    "breakage, message",
    [
        (lambda src: (src / "app.py").unlink(), "app.py is missing"),
        (lambda src: shutil.rmtree(src / "weights"), "weights/ is missing"),
        (lambda src: shutil.rmtree(src / "weights" / "dcgan-mnist"), "weights/ in"),
        (lambda src: shutil.rmtree(src / "gan_train"), "gan_train/ is missing"),
        (lambda src: (src / "spaces" / "requirements.txt").unlink(), "requirements.txt is missing"),
        (
            lambda src: (src / "spaces" / "README.md").write_text(
                re.sub(r"(?m)^sdk_version: .*$", 'sdk_version: "5.0.0"', (SPACES / "README.md").read_text())
            ),
            "sdk_version: '5.0.0' but pyproject.toml asks for gradio>=",
        ),
        (
            lambda src: (src / "spaces" / "README.md").write_text("# no front matter\n"),
            "no YAML front matter",
        ),
        (
            lambda src: (src / "spaces" / "README.md").write_text("---\ntitle: [\n---\n# broken\n"),
            "the front matter is not valid YAML",
        ),
        (
            lambda src: (src / "spaces" / "README.md").write_text("---\n- title\n- sdk\n---\n# a list\n"),
            "the front matter must be a YAML mapping",
        ),
        (
            lambda src: (src / "spaces" / "README.md").write_text(
                (SPACES / "README.md").read_text().replace("app_file: app.py\n", "")
            ),
            "the front matter lacks app_file",
        ),
        (lambda src: (src / "build").mkdir() or (src / "build" / "x").write_text("x"), "not an empty folder"),
    ],
    ids=[
        "no-app",
        "no-weights",
        "empty-weights",
        "no-gan_train",
        "no-requirements",
        "sdk-mismatch",
        "no-yaml",
        "bad-yaml",
        "yaml-list",
        "no-app_file",
        "busy-dir",
    ],
)
def test_deploy_says_what_is_missing(tmp_path, capsys, breakage, message):
    source = _fake_source(tmp_path / "src")
    breakage(source)
    rc = deploy.main(
        ["--repo-id", "a/b", "--source", str(source), "--build-dir", str(source / "build"), "--dry-run"]
    )
    err = capsys.readouterr().err
    assert rc == 1
    assert message in err, err


def test_deploy_rejects_a_bad_repo_id(tmp_path):
    with pytest.raises(SystemExit):
        deploy.main(["--repo-id", "not-a-repo-id", "--source", str(tmp_path), "--dry-run"])
    with pytest.raises(SystemExit):  # the Hub's own rule: no "--" in a repo id
        deploy.main(["--repo-id", "some--one/space", "--source", str(tmp_path), "--dry-run"])


def test_deploy_dry_run_of_this_repository(tmp_path, capsys):
    if not (ROOT / "app.py").is_file():
        pytest.skip("app.py is not written yet")
    if not any(p.is_file() for p in (ROOT / "weights").rglob("*")):
        pytest.skip("weights/ holds no trained models yet")
    rc = deploy.main(["--repo-id", "a/b", "--build-dir", str(tmp_path / "space"), "--dry-run"])
    assert rc == 0, capsys.readouterr().err
    tree = _tree(tmp_path / "space")
    assert {
        "app.py",
        "README.md",
        "requirements.txt",
        "gan_app/__init__.py",
        "gan_app/tabs/sampling.py",
        "gan_models/__init__.py",
        "gan_train/__init__.py",
    } <= set(tree)
    bundled = {p.split("/")[1] for p in tree if p.startswith("weights/") and p.endswith("/model.safetensors")}
    assert bundled == {p.name for p in (ROOT / "weights").iterdir() if (p / "model.safetensors").is_file()}
    assert not any(
        "__pycache__" in p or p.endswith(".pyc") or p.startswith(("tests/", "runs/")) for p in tree
    )


# --- uploading (against the local hub) ---------------------------------------------------------------


def test_deploy_uploads_the_space_and_it_downloads_back(local_hub, tmp_path, capsys):
    source = _fake_source(tmp_path / "src")
    build = tmp_path / "build"
    repo_id = f"{local_hub.username}/gan-toolkit"
    argv = [
        "--repo-id",
        repo_id,
        "--source",
        str(source),
        "--build-dir",
        str(build),
        "--private",
        "--token",
        "hf_x",
    ]
    assert deploy.main(argv) == 0, capsys.readouterr().err
    assert local_hub.url in capsys.readouterr().out

    repo = local_hub.repo(repo_id, "space")
    assert repo.sdk == "gradio" and repo.private is True
    snap = Path(snapshot_download(repo_id, repo_type="space"))
    got = _tree(snap)
    assert got.pop(".gitattributes")  # the Hub's own file
    assert got == _tree(build)
    assert set(got) == EXPECTED
    assert local_hub.unhandled == []

    # Redeploy from the command line (a subprocess reaches the hub through HF_ENDPOINT) after a model
    # was removed: the Space loses it too, in one new commit.
    shutil.rmtree(source / "assets")
    result = subprocess.run(
        [sys.executable, str(source / "spaces" / "deploy.py"), "--repo-id", repo_id, "--source", str(source)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ},
    )
    assert result.returncode == 0, result.stderr
    assert set(local_hub.files(repo_id, "space")) == (EXPECTED - {"assets/logo.svg"}) | {".gitattributes"}
    assert len(local_hub.commits(repo_id, "space")) == 3  # initial, first deploy, redeploy
