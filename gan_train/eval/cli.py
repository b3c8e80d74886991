"""`gan_train eval`: score a saved model with the metrics its family lists.

    python -m gan_train eval --model runs/dcgan-mnist/model --data mnist --json
    python -m gan_train eval --model user/cgan-mnist --data mnist --num-samples 2000

  dcgan, vae            fid: FID, KID, precision/recall of generated images vs the test images
  cgan (class), stackgan
                        fid (all classes mixed, an equal count of each) and class_accuracy: a small
                        CNN, trained on the real training set, reads the generated images
  cgan (age)            age_following: 200 identities x ages 10..80, MAE and per-identity Spearman of
                        the bundled age estimator's reading vs the age asked; fid at the test set's ages
  cyclegan              translation: A->B and B->A, share put in the target class by the classifier
                        (faces:young~old: share estimated older / younger, mean age shift), cycle L1,
                        FID against the real test images of the target domain
  pix2pix               paired: L1 to the target, FID against the targets
  curvegan              curves: curves-quadratic / curves-sine fitted-parameter share and residual;
                        ring8 modes covered and the share of good samples
"""

from __future__ import annotations

import argparse
import json
import math
import shlex
import sys
import time
from pathlib import Path

import torch

from ..card import CardError, update_metrics
from .base import DEFAULT_BATCH_SIZE, DEFAULT_NUM_SAMPLES, EvalError
from .extractors import get_features, list_features
from .registry import descriptions, evaluate, family_metrics


def _format(value) -> str:
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        if abs(value) < 1e-12:  # float noise, such as a KID spread of 2.5e-16
            return "0"
        return f"{value:.4g}" if abs(value) >= 1e-3 else f"{value:.3e}"
    if isinstance(value, list):
        return "[" + ", ".join(_format(v) for v in value) + "]"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_format(v)}" for k, v in value.items())
    return str(value)


def table(metrics: dict, notes: list[str], title: str) -> str:
    described = descriptions()
    rows = [(k, _format(v), described.get(k, "")) for k, v in metrics.items()]
    width = max([len(r[0]) for r in rows] + [6])
    vwidth = min(max([len(r[1]) for r in rows] + [5]), 40)
    lines = [title, "-" * len(title)]
    for name, value, text in rows:
        lines.append(f"{name:<{width}}  {value:>{vwidth}}  {text}".rstrip())
    lines += [f"note: {n}" for n in notes]
    return "\n".join(lines)


def _json_safe(value):
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return value


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="gan_train eval",
        description="Score a saved model (folder or Hub repo id) on a data source with the metrics that fit "
        "its family: FID/KID/precision-recall, class accuracy, age following, translation scores, "
        "mode coverage or curve fits.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--model", required=True, help="save_pretrained folder or Hub repo id")
    p.add_argument("--data", required=True, help="data source the model was trained on (see `gan_train data list`)")
    p.add_argument("--num-samples", type=int, default=DEFAULT_NUM_SAMPLES,
                   help="generated samples, and the most real test images compared with them")
    p.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE, help="images per forward pass")
    p.add_argument("--seed", type=int, default=0, help="seed of the generator noise and KID subsets")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    p.add_argument("--no-fid", dest="fid", action="store_false",
                   help="skip the Inception metrics (FID, KID, precision/recall)")
    p.add_argument("--features", default="inception",
                   help=f"feature network of FID / KID / precision-recall ({', '.join(list_features())})")
    p.add_argument("--json", action="store_true", help="also print one JSON object as the last line")
    p.add_argument("--update-card", action="store_true",
                   help="write the scalar metrics and this command into the model folder's README.md (Metrics)")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    from ..data import DataError

    def log(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    device = args.device
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    elif device == "cuda" and not torch.cuda.is_available():
        print("error: --device cuda, but no CUDA GPU is available", file=sys.stderr)
        return 2
    started = time.time()
    try:
        import gan_models

        try:
            model = gan_models.load(args.model)
        except Exception as err:  # missing folder, offline Hub id, corrupt file: all say why
            raise EvalError(f"cannot load the model {args.model!r}: {err}") from err
        check = get_features(args.features).check
        if args.fid and check and any(m.uses_features for m in family_metrics(model.family)):
            check()  # fail early, before any generating, if the network is not installed
        metrics, notes = evaluate(model, args.data, num_samples=args.num_samples, batch_size=args.batch_size,
                                  seed=args.seed, device=device, fid=args.fid, features=args.features, log=log)
    except (EvalError, DataError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    metrics = {**metrics, "family": model.family, "data": args.data, "seed": args.seed,
               "seconds": round(time.time() - started, 1)}
    print(table(metrics, notes, f"{type(model).__name__} ({args.model}) on {args.data}"))
    if args.update_card:
        command = "python -m gan_train eval " + " ".join(shlex.quote(a) for a in (argv if argv is not None else sys.argv[2:]))
        try:
            card = update_metrics(Path(args.model), metrics, command, num_samples=args.num_samples)
            print(f"metrics written to {card}", file=sys.stderr)
        except CardError as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
    if args.json:
        print(json.dumps(_json_safe(metrics), sort_keys=False))
    return 0
