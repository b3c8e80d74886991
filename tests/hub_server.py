"""A local, in-memory stand-in for the Hugging Face Hub HTTP API, for tests.

It speaks the routes that huggingface_hub's client (1.x and 2.x) uses to create repos, commit files,
read repo info / trees and download files, so that ``push_to_hub``, ``from_pretrained(repo_id)``,
``hf_hub_download``, ``snapshot_download`` and ``upload_folder`` run for real, offline:

- ``GET  /api/whoami-v2``
- ``POST /api/repos/create``, ``DELETE /api/repos/delete``, ``POST /api/validate-yaml``
- ``/api/{models|datasets|spaces|kernels}/{repo_id}``: ``GET`` repo info (also ``/revision/{rev}``),
  ``GET tree/{rev}[/{path}]``, ``POST paths-info/{rev}``, ``POST preupload/{rev}`` (every file is
  ``"regular"``: no LFS, no Xet), ``POST commit/{rev}`` (NDJSON), ``GET commits/{rev}``, ``GET refs``
- ``GET|HEAD /[datasets/|spaces/|kernels/]{repo_id}/resolve/{rev}/{path}`` with ``X-Repo-Commit``,
  ``ETag`` (the git blob sha1) and ``Content-Length``; ``Range`` requests are honoured.

Errors carry the ``X-Error-Code`` header the client maps to its exceptions: ``RepoNotFound`` ->
``RepositoryNotFoundError``, ``RevisionNotFound`` -> ``RevisionNotFoundError``, ``EntryNotFound`` ->
``EntryNotFoundError``. Every repo keeps its commit history (a 40-hex sha per commit, branches as refs);
a new repo starts with one commit holding ``.gitattributes``, as on the real Hub. There is no auth: any
token (or none) is accepted. Requests the server does not know land in :attr:`HubServer.unhandled`.

Use::

    server = HubServer().start()          # 127.0.0.1, ephemeral port
    server.url                             # "http://127.0.0.1:PORT" -> HF_ENDPOINT
    server.files("user/repo")              # {path: bytes} at main
    server.stop()

Tests normally use the ``local_hub`` fixture from ``tests/conftest.py`` instead, which also points
huggingface_hub at the server. Only the standard library is used.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

__all__ = ["HubServer", "Repo", "Commit", "git_blob_sha"]

REPO_TYPES = {"models": "model", "datasets": "dataset", "spaces": "space", "kernels": "kernel"}
URL_PREFIXES = {"model": "", "dataset": "datasets/", "space": "spaces/", "kernel": "kernels/"}
API_KEYWORDS = {"revision", "tree", "paths-info", "preupload", "commit", "commits", "refs"}
COMMIT_SHA = re.compile(r"^[0-9a-f]{40}$")
GITATTRIBUTES = (
    b"*.safetensors filter=lfs diff=lfs merge=lfs -text\n*.bin filter=lfs diff=lfs merge=lfs -text\n"
)


def git_blob_sha(data: bytes) -> str:
    """The git object id of a file's content (what the Hub uses as ETag / oid of regular files)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


@dataclass
class Commit:
    sha: str
    parent: str | None
    title: str
    description: str
    files: dict[str, bytes]  # full snapshot of the repo at this commit
    date: str = field(default_factory=_now)


@dataclass
class Repo:
    repo_type: str  # "model" | "dataset" | "space" | "kernel"
    repo_id: str
    private: bool = False
    sdk: str | None = None
    created_at: str = field(default_factory=_now)
    commits: dict[str, Commit] = field(default_factory=dict)
    branches: dict[str, str] = field(default_factory=dict)  # name -> commit sha

    def resolve(self, revision: str) -> Commit | None:
        """A branch name or a full commit sha -> that commit (None when unknown)."""
        sha = self.branches.get(revision)
        if sha is None and COMMIT_SHA.fullmatch(revision):
            sha = revision
        return self.commits.get(sha) if sha else None

    def history(self, revision: str = "main") -> list[Commit]:
        """Commits reachable from ``revision``, newest first."""
        out, commit = [], self.resolve(revision)
        while commit is not None:
            out.append(commit)
            commit = self.commits.get(commit.parent) if commit.parent else None
        return out


class HubError(Exception):
    def __init__(
        self,
        status: int,
        message: str,
        code: str | None = None,
        commit: str | None = None,
        extra: dict | None = None,
    ):
        super().__init__(message)
        self.status, self.message, self.code, self.commit = status, message, code, commit
        self.extra = extra or {}  # more keys for the JSON body


class HubServer:
    """The in-memory Hub and its HTTP server (bound to 127.0.0.1 on an ephemeral port)."""

    def __init__(self, username: str = "tester"):
        self.username = username
        self.repos: dict[tuple[str, str], Repo] = {}
        self.requests: list[tuple[str, str]] = []  # (method, path) of every request, in order
        self.unhandled: list[tuple[str, str]] = []  # requests no route matched
        self._lock = threading.RLock()
        self._counter = 0
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle -------------------------------------------------------------------------------
    def start(self) -> HubServer:
        handler = type("HubHandler", (_Handler,), {"hub": self})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="local-hub", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> HubServer:
        return self.start() if self._httpd is None else self

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("the local hub is not running: call start() first")
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def reset(self) -> None:
        """Forget every repo and request."""
        with self._lock:
            self.repos.clear()
            self.requests.clear()
            self.unhandled.clear()

    # --- inspection helpers for tests --------------------------------------------------------------
    def repo(self, repo_id: str, repo_type: str = "model") -> Repo:
        with self._lock:
            try:
                return self.repos[(repo_type, repo_id)]
            except KeyError:
                raise KeyError(f"no {repo_type} repo {repo_id!r} on the local hub") from None

    def files(self, repo_id: str, repo_type: str = "model", revision: str = "main") -> dict[str, bytes]:
        """``{path: content}`` of a repo at ``revision`` (branch or commit sha)."""
        with self._lock:
            commit = self.repo(repo_id, repo_type).resolve(revision)
            if commit is None:
                raise KeyError(f"no revision {revision!r} in {repo_type} repo {repo_id!r}")
            return dict(commit.files)

    def commits(self, repo_id: str, repo_type: str = "model", revision: str = "main") -> list[Commit]:
        """History of ``revision``, newest first (the last one is the repo's initial commit)."""
        with self._lock:
            return self.repo(repo_id, repo_type).history(revision)

    # --- state changes -------------------------------------------------------------------------------
    def _new_sha(self, *parts: str) -> str:
        self._counter += 1
        return hashlib.sha1("\0".join((str(self._counter), *parts)).encode()).hexdigest()

    def _commit(
        self, repo: Repo, branch: str, title: str, description: str, files: dict[str, bytes]
    ) -> Commit:
        parent = repo.branches.get(branch)
        digest = "".join(f"{p}:{git_blob_sha(d)};" for p, d in sorted(files.items()))
        commit = Commit(
            self._new_sha(repo.repo_id, parent or "", title, digest), parent, title, description, files
        )
        repo.commits[commit.sha] = commit
        repo.branches[branch] = commit.sha
        return commit

    def create_repo(
        self, repo_id: str, repo_type: str = "model", private: bool = False, sdk: str | None = None
    ) -> tuple[Repo, bool]:
        """Create a repo (with an initial ``.gitattributes`` commit); returns (repo, created)."""
        with self._lock:
            key = (repo_type, repo_id)
            if key in self.repos:
                return self.repos[key], False
            repo = Repo(repo_type, repo_id, private=private, sdk=sdk)
            self._commit(repo, "main", "initial commit", "", {".gitattributes": GITATTRIBUTES})
            self.repos[key] = repo
            return repo, True

    # --- request handling (called from the handler threads) --------------------------------------
    def _get_repo(self, repo_type: str, repo_id: str) -> Repo:
        repo = self.repos.get((repo_type, repo_id))
        if repo is None:
            raise HubError(404, f"Repository not found: {repo_type} {repo_id}", "RepoNotFound")
        return repo

    def _get_commit(self, repo: Repo, revision: str) -> Commit:
        commit = repo.resolve(revision)
        if commit is None:
            raise HubError(404, f"Invalid rev id: {revision}", "RevisionNotFound")
        return commit

    def repo_url(self, repo: Repo) -> str:
        return f"{self.url}/{URL_PREFIXES[repo.repo_type]}{repo.repo_id}"

    def repo_info(self, repo: Repo, revision: str | None) -> dict:
        commit = self._get_commit(repo, revision or "main")
        info = {
            "_id": hashlib.md5(repo.repo_id.encode()).hexdigest()[:24],
            "id": repo.repo_id,
            "author": repo.repo_id.split("/")[0] if "/" in repo.repo_id else None,
            "sha": commit.sha,
            "private": repo.private,
            "disabled": False,
            "gated": False,
            "createdAt": repo.created_at,
            "lastModified": commit.date,
            "likes": 0,
            "tags": [],
            "siblings": [
                {"rfilename": p, "size": len(d), "blobId": git_blob_sha(d)}
                for p, d in sorted(commit.files.items())
            ],
        }
        if repo.repo_type == "model":
            info["downloads"] = 0
        if repo.repo_type == "space":
            info["sdk"] = repo.sdk
        card = _front_matter(commit.files.get("README.md"))
        if card is not None:
            info["cardData"] = card
        return info

    def _last_commit(self, repo: Repo, commit: Commit, path: str, is_dir: bool) -> dict:
        """The newest commit reachable from ``commit`` that changed ``path``."""

        def view(c: Commit):
            if is_dir:
                return sorted((p, git_blob_sha(d)) for p, d in c.files.items() if p.startswith(path + "/"))
            data = c.files.get(path)
            return None if data is None else git_blob_sha(data)

        current, last = view(commit), commit
        for older in repo.history(commit.sha)[1:]:
            if view(older) != current:
                break
            last = older
        return {"id": last.sha, "title": last.title, "date": last.date}

    def tree(self, repo: Repo, revision: str, path: str, recursive: bool, expand: bool) -> list[dict]:
        commit = self._get_commit(repo, revision)
        path = path.strip("/")
        prefix = path + "/" if path else ""
        if path and path in commit.files:
            raise HubError(400, f"{path} is a file, not a directory", None, commit.sha)
        entries: dict[str, dict] = {}
        for file_path, data in sorted(commit.files.items()):
            if not file_path.startswith(prefix):
                continue
            rest = file_path[len(prefix) :].split("/")
            # the folders between `path` and the file
            for depth in range(1, len(rest) if recursive else min(len(rest), 2)):
                folder = prefix + "/".join(rest[:depth])
                entries.setdefault(folder, self._entry(repo, commit, folder, None, expand))
            if recursive or len(rest) == 1:
                entries[file_path] = self._entry(repo, commit, file_path, data, expand)
        if path and not entries:
            raise HubError(404, f"Entry not found: {path}", "EntryNotFound", commit.sha)
        return [entries[k] for k in sorted(entries)]

    def _entry(self, repo: Repo, commit: Commit, path: str, data: bytes | None, expand: bool) -> dict:
        if data is None:
            children = sorted(
                (p, git_blob_sha(d)) for p, d in commit.files.items() if p.startswith(path + "/")
            )
            entry = {
                "type": "directory",
                "oid": hashlib.sha1(repr(children).encode()).hexdigest(),
                "path": path,
            }
        else:
            entry = {"type": "file", "oid": git_blob_sha(data), "size": len(data), "path": path}
        if expand:
            entry["lastCommit"] = self._last_commit(repo, commit, path, data is None)
        return entry

    def paths_info(self, repo: Repo, revision: str, paths: list[str], expand: bool) -> list[dict]:
        commit = self._get_commit(repo, revision)
        out = []
        for path in paths:
            path = path.strip("/")
            if path in commit.files:
                out.append(self._entry(repo, commit, path, commit.files[path], expand))
            elif any(p.startswith(path + "/") for p in commit.files):
                out.append(self._entry(repo, commit, path, None, expand))
        return out

    def preupload(self, repo: Repo, revision: str, payload: dict) -> dict:
        commit = self._get_commit(repo, revision)
        files = []
        for item in payload.get("files", []):
            existing = commit.files.get(item["path"])
            files.append(
                {
                    "path": item["path"],
                    "uploadMode": "regular",
                    "shouldIgnore": False,
                    "oid": git_blob_sha(existing) if existing is not None else None,
                }
            )
        return {"files": files, "commitOid": commit.sha}

    def commit(self, repo: Repo, revision: str, lines: list[dict]) -> Commit:
        if revision not in repo.branches:
            if repo.resolve(revision) is not None:
                raise HubError(400, f"Cannot commit to a commit sha ({revision}): use a branch", None)
            raise HubError(404, f"Invalid rev id: {revision}", "RevisionNotFound")
        head = repo.resolve(revision)
        files = dict(head.files)
        header: dict = {}
        for line in lines:
            key, value = line.get("key"), line.get("value", {})
            if key == "header":
                header = value
            elif key == "file":
                if value.get("encoding", "base64") != "base64":
                    raise HubError(400, f"Unsupported encoding {value.get('encoding')!r}")
                files[value["path"]] = base64.b64decode(value["content"])
            elif key == "deletedFile":
                if value["path"] not in files:
                    raise HubError(
                        404, f"A file with this name doesn't exist: {value['path']}", "EntryNotFound"
                    )
                del files[value["path"]]
            elif key == "deletedFolder":
                folder = value["path"].rstrip("/") + "/"
                gone = [p for p in files if p.startswith(folder)]
                if not gone:
                    raise HubError(
                        404, f"A folder with this name doesn't exist: {value['path']}", "EntryNotFound"
                    )
                for p in gone:
                    del files[p]
            elif key in ("lfsFile", "copyFile"):
                raise HubError(400, f"The local hub only takes regular uploads, got {key!r}")
            else:
                raise HubError(400, f"Unknown commit operation {key!r}")
        parent = header.get("parentCommit")
        if parent and parent != head.sha:
            raise HubError(412, f"A commit has happened since {parent}. Please refresh and try again.")
        title = header.get("summary") or "Upload files"
        return self._commit(repo, revision, title, header.get("description", ""), files)


def _front_matter(readme: bytes | None) -> dict | None:
    """The YAML front matter of a README.md as a dict (None without one, or without PyYAML)."""
    if not readme:
        return None
    text = readme.decode("utf-8", errors="replace")
    match = re.match(r"^---\s*\n(.*?)\n---\s*(\n|$)", text, re.DOTALL)
    if match is None:
        return None
    try:
        import yaml
    except ImportError:  # pragma: no cover - PyYAML is a project dependency
        return None
    try:
        data = yaml.safe_load(match.group(1))
    except yaml.YAMLError:
        return None
    return data if isinstance(data, dict) else None


class _Handler(BaseHTTPRequestHandler):
    hub: HubServer
    protocol_version = "HTTP/1.1"
    server_version = "LocalHub/1.0"

    def log_message(self, format, *args):  # noqa: A002 - keep test output clean
        pass

    def do_GET(self):
        self._dispatch("GET")

    def do_HEAD(self):
        self._dispatch("HEAD")

    def do_POST(self):
        self._dispatch("POST")

    def do_PUT(self):
        self._dispatch("PUT")

    def do_DELETE(self):
        self._dispatch("DELETE")

    # --- plumbing ----------------------------------------------------------------------------------
    def _body(self) -> bytes:
        """The request body (read once; later calls return b"")."""
        if getattr(self, "_body_read", False):
            return b""
        self._body_read = True
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _json_body(self) -> dict:
        body = self._body()
        try:
            return json.loads(body or b"{}")
        except ValueError as e:
            raise HubError(400, f"Invalid JSON body: {e}") from None

    def _send(
        self, status: int, body: bytes = b"", headers: dict | None = None, content_type="application/json"
    ):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD" and body:
            self.wfile.write(body)

    def _send_json(self, data, status: int = 200, headers: dict | None = None):
        self._send(status, json.dumps(data).encode(), headers)

    def _send_error(self, error: HubError):
        headers = {"X-Error-Message": error.message.encode("ascii", "replace").decode()}
        if error.code:
            headers["X-Error-Code"] = error.code
        if error.commit:
            headers["X-Repo-Commit"] = error.commit
        self._send_json({"error": error.message, **error.extra}, error.status, headers)

    def _dispatch(self, method: str):
        self._body_read = False
        split = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(split.query).items()}
        segments = [s for s in split.path.split("/") if s != ""]  # still percent-encoded
        hub = self.hub
        with hub._lock:
            hub.requests.append((method, self.path))
        try:
            with hub._lock:
                handled = self._route(method, segments, query)
            if not handled:
                with hub._lock:
                    hub.unhandled.append((method, self.path))
                self._body()
                self._send_error(HubError(404, f"No local hub route for {method} {split.path}"))
        except HubError as e:
            self._send_error(e)
        except Exception as e:  # a bug in the stand-in: say so rather than hang the client
            self._send_json({"error": f"local hub failure: {type(e).__name__}: {e}"}, 500)

    def _route(self, method: str, seg: list[str], query: dict) -> bool:
        hub = self.hub
        if seg[:1] == ["api"]:
            if method == "GET" and seg[1:] == ["whoami-v2"]:
                self._send_json(
                    {
                        "type": "user",
                        "id": "0" * 24,
                        "name": hub.username,
                        "fullname": "Local Hub Tester",
                        "email": None,
                        "emailVerified": False,
                        "isPro": False,
                        "orgs": [],
                        "auth": {
                            "type": "access_token",
                            "accessToken": {"displayName": "local", "role": "write"},
                        },
                    }
                )
                return True
            if method == "POST" and seg[1:] == ["repos", "create"]:
                self._create_repo(self._json_body())
                return True
            if method == "DELETE" and seg[1:] == ["repos", "delete"]:
                payload = self._json_body()
                repo_type = payload.get("type") or "model"
                repo_id = "/".join(
                    x for x in (payload.get("organization") or hub.username, payload["name"]) if x
                )
                hub._get_repo(repo_type, repo_id)
                del hub.repos[(repo_type, repo_id)]
                self._send_json({})
                return True
            if method == "POST" and seg[1:] == ["validate-yaml"]:
                self._json_body()
                self._send_json({"errors": [], "warnings": []})
                return True
            if len(seg) >= 3 and seg[1] in REPO_TYPES:
                return self._repo_api(method, REPO_TYPES[seg[1]], [unquote(s) for s in seg[2:]], query)
            return False
        if "resolve" in seg and method in ("GET", "HEAD"):
            repo_type = "model"
            if seg[0] in REPO_TYPES and seg[0] != "models":
                repo_type, seg = REPO_TYPES[seg[0]], seg[1:]
            i = seg.index("resolve") if "resolve" in seg else -1
            if i < 1 or len(seg) < i + 3:
                return False
            repo_id = "/".join(unquote(s) for s in seg[:i])
            self._resolve(repo_type, repo_id, unquote(seg[i + 1]), unquote("/".join(seg[i + 2 :])))
            return True
        return False

    def _create_repo(self, payload: dict):
        hub = self.hub
        repo_type = payload.get("type") or "model"
        if repo_type not in URL_PREFIXES:
            raise HubError(400, f"Invalid repo type {repo_type!r}")
        name = payload.get("name") or ""
        if not name or "/" in name:
            raise HubError(400, f"Invalid repo name {name!r}")
        if repo_type == "space" and not payload.get("sdk"):
            raise HubError(400, "A Space needs an sdk")
        repo_id = f"{payload.get('organization') or hub.username}/{name}"
        private = payload.get("private")
        if private is None:
            private = payload.get("visibility") == "private"
        repo, created = hub.create_repo(repo_id, repo_type, bool(private), payload.get("sdk"))
        url = hub.repo_url(repo)
        if not created:
            # the Hub's 409 also carries the url: the client reads it when `exist_ok=True`
            raise HubError(409, f"You already created this {repo_type} repo: {repo_id}", extra={"url": url})
        self._send_json({"url": url, "name": repo_id, "id": repo_id})

    def _repo_api(self, method: str, repo_type: str, rest: list[str], query: dict) -> bool:
        hub = self.hub
        # repo ids are "namespace/name" (or a bare "name"), followed by an optional keyword and its args
        n = 2 if len(rest) >= 2 and (len(rest) == 2 or rest[2] in API_KEYWORDS) else 1
        repo_id, rest = "/".join(rest[:n]), rest[n:]
        keyword, args = (rest[0], rest[1:]) if rest else (None, [])
        truthy = ("1", "true", "True")
        if keyword is None and method == "GET":
            self._send_json(hub.repo_info(hub._get_repo(repo_type, repo_id), None))
        elif keyword == "revision" and method == "GET" and len(args) == 1:
            self._send_json(hub.repo_info(hub._get_repo(repo_type, repo_id), args[0]))
        elif keyword == "tree" and method == "GET" and args:
            repo = hub._get_repo(repo_type, repo_id)
            entries = hub.tree(
                repo,
                args[0],
                "/".join(args[1:]),
                query.get("recursive") in truthy,
                query.get("expand") in truthy,
            )
            self._send_json(entries)
        elif keyword == "paths-info" and method == "POST" and len(args) == 1:
            repo = hub._get_repo(repo_type, repo_id)
            body = self._body()
            if self.headers.get("Content-Type", "").startswith("application/json"):
                form = json.loads(body or b"{}")
                paths, expand = form.get("paths", []), bool(form.get("expand"))
            else:
                form = parse_qs(body.decode())
                paths, expand = form.get("paths", []), form.get("expand", ["False"])[-1] in truthy
            self._send_json(
                hub.paths_info(repo, args[0], [paths] if isinstance(paths, str) else paths, expand)
            )
        elif keyword == "preupload" and method == "POST" and len(args) == 1:
            repo = hub._get_repo(repo_type, repo_id)
            self._send_json(hub.preupload(repo, args[0], self._json_body()))
        elif keyword == "commit" and method == "POST" and len(args) == 1:
            repo = hub._get_repo(repo_type, repo_id)
            body = self._body()
            if query.get("create_pr") in truthy:
                raise HubError(400, "The local hub does not support pull requests (create_pr)")
            try:
                lines = [json.loads(line) for line in body.splitlines() if line.strip()]
            except ValueError as e:
                raise HubError(400, f"Invalid NDJSON commit payload: {e}") from None
            commit = hub.commit(repo, args[0], lines)
            self._send_json(
                {
                    "success": True,
                    "commitOid": commit.sha,
                    "commitUrl": f"{hub.repo_url(repo)}/commit/{commit.sha}",
                    "hookOutput": "",
                    "pullRequestUrl": None,
                }
            )
        elif keyword == "commits" and method == "GET" and len(args) == 1:
            repo = hub._get_repo(repo_type, repo_id)
            hub._get_commit(repo, args[0])
            self._send_json(
                [
                    {
                        "id": c.sha,
                        "title": c.title,
                        "message": c.description,
                        "authors": [{"user": hub.username}],
                        "date": c.date,
                    }
                    for c in repo.history(args[0])
                ]
            )
        elif keyword == "refs" and method == "GET" and not args:
            repo = hub._get_repo(repo_type, repo_id)
            branches = [
                {"name": b, "ref": f"refs/heads/{b}", "targetCommit": s} for b, s in repo.branches.items()
            ]
            self._send_json({"branches": branches, "converts": [], "tags": [], "pullRequests": []})
        else:
            self._body()
            return False
        return True

    def _resolve(self, repo_type: str, repo_id: str, revision: str, path: str):
        hub = self.hub
        repo = hub._get_repo(repo_type, repo_id)
        commit = hub._get_commit(repo, revision)
        data = commit.files.get(path)
        if data is None:
            raise HubError(404, f"Entry not found: {path}", "EntryNotFound", commit.sha)
        headers = {
            "X-Repo-Commit": commit.sha,
            "ETag": f'"{git_blob_sha(data)}"',
            "Accept-Ranges": "bytes",
        }
        status = 200
        match = re.fullmatch(r"bytes=(\d*)-(\d*)", self.headers.get("Range", "").strip())
        if match and (match.group(1) or match.group(2)):
            size = len(data)
            if match.group(1):
                start = int(match.group(1))
                end = min(int(match.group(2)), size - 1) if match.group(2) else size - 1
            else:  # suffix range: the last N bytes
                start, end = max(0, size - int(match.group(2))), size - 1
            if start >= size:
                headers["Content-Range"] = f"bytes */{size}"
                self._send(416, b"", headers, "application/octet-stream")
                return
            headers["Content-Range"] = f"bytes {start}-{end}/{size}"
            data, status = data[start : end + 1], 206
        self._send(status, data, headers, "application/octet-stream")
