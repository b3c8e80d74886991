"""Training throughput of gan_train's own step (a benchmark, not a test).

Times ``Trainer.train_step`` — one D step and one G step per iteration, the reference
architectures and losses — on synthetic, device-resident data, the way ../shared/PERF.md measured
the reference trainers: warm-up, then many iterations between synchronisations.

    python benchmarks/train_throughput.py                       # GPU: the PERF.md cases, fp32 and fast paths
    python benchmarks/train_throughput.py --device cpu --small  # quick, small shapes
    python benchmarks/train_throughput.py --case dcgan --mixed-precision bf16 --channels-last on --compile on

Prints a table last: case, dtype, flags, img/s, ms/iter, peak memory.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from accelerate import Accelerator  # noqa: E402
from accelerate.state import AcceleratorState  # noqa: E402

from gan_train import TrainConfig, Trainer  # noqa: E402

CASES = {  # name: (model, image size, batch, config overrides), the shapes of PERF.md
    "dcgan": ("dcgan", 64, 128, {"loss": "nonsaturating"}),
    "cyclegan-b1": ("cyclegan", 256, 1, {"loss": "lsgan", "pool_size": 50}),
    "cyclegan-b4": ("cyclegan", 256, 4, {"loss": "lsgan", "pool_size": 50}),
}
SMALL = {  # --small: same code paths, shapes a CPU gets through in seconds
    "dcgan": ("dcgan", 32, 32, {"loss": "nonsaturating", "ngf": 16, "ndf": 16}),
    "cyclegan-b1": ("cyclegan", 64, 1, {"loss": "lsgan", "ngf": 16, "ndf": 16, "n_blocks": 6}),
    "cyclegan-b4": ("cyclegan", 64, 4, {"loss": "lsgan", "ngf": 16, "ndf": 16, "n_blocks": 6}),
}


class SyntheticImages(torch.utils.data.Dataset):
    """Random images of the right kind; only its shape matters (batches are fed directly)."""

    def __init__(self, kind: str, size: int, channels: int = 3, n: int = 512):
        self.kind, self.size, self.channels, self.n = kind, size, channels, n
        self.num_classes, self.class_names, self.condition = None, None, None

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        image = torch.rand(self.channels, self.size, self.size) * 2 - 1
        return {"image": image} if self.kind == "image" else {"image_a": image, "image_b": image.flip(-1)}


def run_case(name, spec, args, device):
    model, size, batch, overrides = spec
    AcceleratorState._reset_state(True)
    accelerator = Accelerator(cpu=device == "cpu", mixed_precision=args.mixed_precision)
    config = TrainConfig(model=model, data="synthetic", batch_size=batch, steps=10**6, ema_decay=0.999,
                         tracker="none", progress=False, mixed_precision=args.mixed_precision,
                         channels_last=args.channels_last, compile=args.compile, fused_adam=args.fused_adam,
                         output_dir="/tmp/gan-bench", **overrides)
    kind = "image" if model == "dcgan" else "unpaired"
    trainer = Trainer(config, dataset=SyntheticImages(kind, size), accelerator=accelerator)
    dev = trainer.device
    fmt = torch.channels_last if trainer._use("channels_last") else torch.contiguous_format
    data = torch.rand(batch, 3, size, size, device=dev).mul_(2).sub_(1).contiguous(memory_format=fmt)
    feed = {"image": data} if kind == "image" else {"image_a": data, "image_b": data.flip(-1).contiguous(memory_format=fmt)}

    def sync():
        if dev.type == "cuda":
            torch.cuda.synchronize()

    for _ in range(args.warmup):
        trainer.train_step(feed)
    sync()
    if dev.type == "cuda":
        torch.cuda.reset_peak_memory_stats()
    start = time.perf_counter()
    for _ in range(args.iters):
        state = trainer.train_step(feed)
    sync()
    seconds = time.perf_counter() - start
    losses = state.floats()  # one sync, after timing
    assert all(v == v for v in losses.values()), f"{name}: NaN loss"
    peak = torch.cuda.max_memory_allocated() / 2**20 if dev.type == "cuda" else float("nan")
    flags = ",".join(f for f, on in (("channels_last", trainer._use("channels_last")),
                                      ("fused_adam", trainer._use("fused_adam")),
                                      (f"compile={args.compile}", args.compile != "off")) if on) or "-"
    return {"case": f"{name} {size}px b{batch}", "dtype": args.mixed_precision if args.mixed_precision != "no" else "fp32",
            "flags": flags, "img/s": batch * args.iters / seconds, "ms/iter": 1000 * seconds / args.iters,
            "peak MiB": peak}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    p.add_argument("--small", action="store_true", help="small shapes (quick CPU run)")
    p.add_argument("--case", action="append", choices=list(CASES), help="repeatable; default: all")
    p.add_argument("--mixed-precision", choices=("no", "bf16", "fp16"), default="no")
    p.add_argument("--channels-last", choices=("auto", "on", "off"), default="auto")
    p.add_argument("--compile", choices=("off", "on", "max"), default="off")
    p.add_argument("--fused-adam", choices=("auto", "on", "off"), default="auto")
    p.add_argument("--warmup", type=int, default=None, help="default 20 (GPU) / 2 (CPU)")
    p.add_argument("--iters", type=int, default=None, help="default 300 (GPU) / 5 (CPU)")
    args = p.parse_args(argv)
    device = ("cuda" if torch.cuda.is_available() else "cpu") if args.device == "auto" else args.device
    args.warmup = args.warmup if args.warmup is not None else (20 if device == "cuda" else 2)
    args.iters = args.iters if args.iters is not None else (300 if device == "cuda" else 5)
    table = SMALL if args.small else CASES
    rows = [run_case(name, table[name], args, device) for name in (args.case or list(table))]
    name = torch.cuda.get_device_name() if device == "cuda" else "CPU"
    print(f"\n{name}, torch {torch.__version__}, warm-up {args.warmup}, {args.iters} timed iterations")
    print(f"{'case':24s} {'dtype':6s} {'flags':36s} {'img/s':>10s} {'ms/iter':>9s} {'peak MiB':>9s}")
    for r in rows:
        print(f"{r['case']:24s} {r['dtype']:6s} {r['flags']:36s} {r['img/s']:10.1f} {r['ms/iter']:9.2f} {r['peak MiB']:9.0f}")
    return rows


if __name__ == "__main__":
    main()
