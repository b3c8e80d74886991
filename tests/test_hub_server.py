"""The local Hub stand-in (tests/hub_server.py): the real huggingface_hub client pushes and pulls through it."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import pytest
import torch
from hub_server import git_blob_sha
from huggingface_hub import (
    HfApi,
    PyTorchModelHubMixin,
    constants,
    hf_api,
    hf_hub_download,
    snapshot_download,
    upload_folder,
)
from huggingface_hub.errors import EntryNotFoundError, RepositoryNotFoundError, RevisionNotFoundError
from torch import nn


class TinyNet(nn.Module, PyTorchModelHubMixin, library_name="gan-toolkit", tags=["test"], license="mit"):
    def __init__(self, width: int = 4, depth: int = 2):
        super().__init__()
        self.width, self.depth = width, depth
        self.layers = nn.Sequential(*[nn.Linear(width, width) for _ in range(depth)])

    def forward(self, x):
        return self.layers(x)


def _state(model):
    return {k: v.clone() for k, v in model.state_dict().items()}


def test_server_listens_on_loopback_only(hub_server):
    host, port = hub_server._httpd.server_address[:2]
    assert host == "127.0.0.1" and port > 0
    with socket.create_connection(("127.0.0.1", port), timeout=2):
        pass


def test_push_to_hub_then_from_pretrained_by_repo_id(local_hub):
    torch.manual_seed(0)
    model = TinyNet(width=5, depth=3)
    repo_id = f"{local_hub.username}/tiny"
    model.push_to_hub(repo_id, commit_message="first push")

    stored = local_hub.files(repo_id)
    assert {"config.json", "model.safetensors", "README.md", ".gitattributes"} <= set(stored)
    assert json.loads(stored["config.json"]) == {"width": 5, "depth": 3}
    assert local_hub.commits(repo_id)[0].title == "first push"

    loaded = TinyNet.from_pretrained(repo_id)
    assert (loaded.width, loaded.depth) == (5, 3)
    for key, value in _state(model).items():
        assert torch.equal(loaded.state_dict()[key], value), key
    # downloads went to the per-test cache, not ~/.cache
    assert Path(constants.HF_HUB_CACHE).is_relative_to(Path(constants.HF_HOME))
    assert any(Path(constants.HF_HUB_CACHE).glob("models--tester--tiny/snapshots/*/model.safetensors"))
    assert local_hub.unhandled == []


def test_push_again_makes_a_new_commit_and_old_revisions_stay(local_hub):
    repo_id = f"{local_hub.username}/history"
    torch.manual_seed(1)
    first = TinyNet()
    first.push_to_hub(repo_id)
    first_sha = HfApi().model_info(repo_id).sha
    torch.manual_seed(2)
    second = TinyNet()
    second.push_to_hub(repo_id)

    commits = local_hub.commits(repo_id)
    assert len(commits) == 3 and commits[1].sha == first_sha  # initial .gitattributes commit + 2 pushes
    assert HfApi().model_info(repo_id).sha == commits[0].sha
    latest = TinyNet.from_pretrained(repo_id)
    old = TinyNet.from_pretrained(repo_id, revision=first_sha)
    assert torch.equal(latest.layers[0].weight, second.layers[0].weight)
    assert torch.equal(old.layers[0].weight, first.layers[0].weight)
    assert [c.commit_id for c in HfApi().list_repo_commits(repo_id)] == [c.sha for c in commits]
    assert local_hub.unhandled == []


def test_hf_hub_download_and_metadata(local_hub, tmp_path):
    api = HfApi()
    repo_id = api.create_repo("tester/files").repo_id
    api.upload_file(path_or_fileobj=b"hello hub", path_in_repo="sub/dir/greeting.txt", repo_id=repo_id)

    path = hf_hub_download(repo_id, "sub/dir/greeting.txt")
    assert Path(path).read_bytes() == b"hello hub"
    local = hf_hub_download(repo_id, "sub/dir/greeting.txt", local_dir=tmp_path / "out")
    assert Path(local).read_bytes() == b"hello hub"

    assert api.file_exists(repo_id, "sub/dir/greeting.txt")
    assert not api.file_exists(repo_id, "nope.txt")
    assert api.repo_exists(repo_id) and not api.repo_exists("tester/absent")
    files = api.list_repo_files(repo_id)
    assert sorted(files) == [".gitattributes", "sub/dir/greeting.txt"]
    top = {entry.path: type(entry).__name__ for entry in api.list_repo_tree(repo_id)}
    assert top == {".gitattributes": "RepoFile", "sub": "RepoFolder"}
    info = api.get_paths_info(repo_id, ["sub/dir/greeting.txt", "sub", "missing"])
    assert [i.path for i in info] == ["sub/dir/greeting.txt", "sub"]
    assert info[0].blob_id == git_blob_sha(b"hello hub") and info[0].size == 9
    assert local_hub.unhandled == []


def test_snapshot_download_and_upload_folder_with_deletes(local_hub, tmp_path):
    folder = tmp_path / "src"
    (folder / "weights").mkdir(parents=True)
    (folder / "app.py").write_text("print('hi')\n")
    (folder / "weights" / "a.bin").write_bytes(bytes(range(256)) * 10)
    (folder / "weights" / "b.bin").write_bytes(b"\0" * 7)
    repo_id = "tester/space-like"
    HfApi().create_repo(repo_id, repo_type="space", space_sdk="gradio")
    upload_folder(repo_id=repo_id, folder_path=folder, repo_type="space")

    snap = Path(snapshot_download(repo_id, repo_type="space"))
    got = {p.relative_to(snap).as_posix() for p in snap.rglob("*") if p.is_file()}
    assert got == {".gitattributes", "app.py", "weights/a.bin", "weights/b.bin"}
    assert (snap / "weights" / "a.bin").read_bytes() == bytes(range(256)) * 10

    only = Path(
        snapshot_download(repo_id, repo_type="space", allow_patterns="*.py", local_dir=tmp_path / "py")
    )
    assert (only / "app.py").exists() and not (only / "weights").exists()

    # re-upload without b.bin and ask to delete what is gone: the commit removes it
    (folder / "weights" / "b.bin").unlink()
    (folder / "app.py").write_text("print('bye')\n")
    upload_folder(repo_id=repo_id, folder_path=folder, repo_type="space", delete_patterns=["*"])
    assert set(local_hub.files(repo_id, "space")) == {".gitattributes", "app.py", "weights/a.bin"}
    assert local_hub.files(repo_id, "space")["app.py"] == b"print('bye')\n"
    snap2 = Path(snapshot_download(repo_id, repo_type="space"))
    assert not (snap2 / "weights" / "b.bin").exists()
    assert local_hub.repo(repo_id, "space").sdk == "gradio"
    assert local_hub.unhandled == []


def test_missing_repo_file_and_revision_raise_the_client_errors(local_hub):
    with pytest.raises(RepositoryNotFoundError):
        hf_hub_download("tester/does-not-exist", "config.json")
    with pytest.raises(RepositoryNotFoundError):
        HfApi().model_info("tester/does-not-exist")
    with pytest.raises(RepositoryNotFoundError):
        TinyNet.from_pretrained("tester/does-not-exist")

    TinyNet().push_to_hub("tester/exists")
    with pytest.raises(EntryNotFoundError):
        hf_hub_download("tester/exists", "no-such-file.json")
    with pytest.raises(RevisionNotFoundError):
        hf_hub_download("tester/exists", "config.json", revision="no-such-branch")
    # a model repo is not a space repo
    with pytest.raises(RepositoryNotFoundError):
        hf_hub_download("tester/exists", "config.json", repo_type="space")


def test_create_repo_exist_ok_private_and_delete(local_hub):
    api = HfApi()
    url = api.create_repo("tester/private-one", private=True)
    assert url.repo_id == "tester/private-one" and str(url).startswith(local_hub.url)
    assert local_hub.repo("tester/private-one").private is True
    api.create_repo("tester/private-one", exist_ok=True)
    with pytest.raises(Exception, match="409"):
        api.create_repo("tester/private-one")
    assert api.whoami()["name"] == local_hub.username
    api.delete_repo("tester/private-one")
    assert not api.repo_exists("tester/private-one")


def test_offline_again_after_the_local_hub_tests():
    """Runs after the tests above: local_hub undid its changes, so the rest of the suite stays offline."""
    assert "127.0.0.1" not in constants.ENDPOINT and "127.0.0.1" not in os.environ.get("HF_ENDPOINT", "")
    assert hf_api.api.endpoint == constants.ENDPOINT
    if os.environ.get("HF_HUB_OFFLINE") == "1":  # the conftest default
        assert constants.HF_HUB_OFFLINE is True
