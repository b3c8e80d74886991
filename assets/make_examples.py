"""Write the app's example pictures into assets/examples/ (small PNGs, committed with the project).

    python assets/make_examples.py            # Fashion-MNIST sneakers / ankle boots, and edge maps
    python assets/make_examples.py --faces    # also young / old faces (needs the faces data set)

The pictures are real *test-split* images (never seen in training), taken from gan_train.data, so the
Fashion-MNIST data must be installed: ``python -m gan_train data fetch fashion-mnist``. Files are named
``<domain>-<i>.png``; the app matches them to a model's ``domain_a`` / ``domain_b``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image

OUT = Path(__file__).resolve().parent / "examples"


def save(tensor, path: Path) -> None:
    """A [-1, 1] (C, H, W) tensor -> PNG (grey for one channel)."""
    arr = ((tensor.float().clamp(-1, 1) + 1) * 127.5).round().byte().numpy()
    image = Image.fromarray(arr[0], "L") if arr.shape[0] == 1 else Image.fromarray(np.transpose(arr, (1, 2, 0)), "RGB")
    image.save(path, optimize=True)
    print(f"wrote {path.relative_to(OUT.parent.parent)} ({path.stat().st_size} bytes)")


def fashion(per_class: int) -> None:
    from gan_train.data import load_dataset

    ds = load_dataset("fashion-mnist", split="test")
    names = ds.class_names
    wanted = {names.index("sneaker"): "sneaker", names.index("ankle_boot"): "ankle_boot"}
    counts = dict.fromkeys(wanted.values(), 0)
    for i in range(len(ds)):
        item = ds[i]
        name = wanted.get(int(item["label"]))
        if name is None or counts[name] >= per_class:
            continue
        counts[name] += 1
        save(item["image"], OUT / f"{name}-{counts[name]}.png")
        if all(c >= per_class for c in counts.values()):
            break


def edges(count: int) -> None:
    from gan_train.data import load_dataset

    ds = load_dataset("edges:fashion-mnist", split="test", image_size=32)
    for i in range(count):
        save(ds[i * 7]["image_a"], OUT / f"edges-{i + 1}.png")


def faces(per_domain: int) -> None:
    from gan_train.data import load_dataset

    ds = load_dataset("faces:young~old", split="test")
    a, b = getattr(ds, "domain_names", None) or ("young", "old")
    for i in range(per_domain):
        item = ds[i * 5]
        save(item["image_a"], OUT / f"{a}-{i + 1}.png")
        save(item["image_b"], OUT / f"{b}-{i + 1}.png")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--per-class", type=int, default=3, help="pictures per domain (default 3)")
    parser.add_argument("--faces", action="store_true", help="also young/old faces (builds the faces data if needed)")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    fashion(args.per_class)
    edges(args.per_class)
    if args.faces:
        faces(args.per_class)


if __name__ == "__main__":
    main()
