"""Seconds per CIFAR-10 training epoch on this machine: the origin CNN and mbconv networks of
several sizes, trained with ``hwnas.datasets.train_model`` (the finalizer's loop).

Timing-sensitive: run on a quiet machine. One epoch on ``--images`` training images per model,
extrapolated to the full 50,000; evaluation time on the 10,000 test images is reported apart::

    python benchmarks/finalize_epoch_cost.py --images 5000 --threads 2
"""

from __future__ import annotations

import argparse
import time

from _common import require_shared, write_results



def _archs(space) -> dict:
    """Smallest networks at the lowest and highest resolution, and the middle option of every gene."""
    n = len(space.choices)
    top = len(space.choices[0].options) - 1
    return {"mbconv-smallest-rmin": space.make([0] * n),
            "mbconv-smallest-rmax": space.make([top] + [0] * (n - 1)),
            "mbconv-middle": space.make([len(c.options) // 2 for c in space.choices])}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--images", type=int, default=5000)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    require_shared("cifar10", "train_jpeg.npz")
    import torch

    from hwnas import count_flops, get_space
    from hwnas.datasets import TrainConfig, load_dataset, train_model
    from hwnas.pipeline import ORIGIN_TRAINING, build_origin_cnn

    started = time.time()
    ds = load_dataset("cifar10")
    space = get_space("mbconv")
    models = {"origin-cnn": (lambda: build_origin_cnn(), dict(ORIGIN_TRAINING, epochs=1))}
    for name, arch in _archs(space).items():
        models[name] = (lambda a=arch: space.build(a, 10, (3, 32, 32)), dict(epochs=1))
    rows = []
    for name, (build, recipe) in models.items():
        torch.manual_seed(0)
        model = build()
        cfg = TrainConfig(**{**recipe, "subset": args.images, "threads": args.threads})
        t0 = time.perf_counter()
        result = train_model(model, ds, cfg, progress=False)
        total = time.perf_counter() - t0
        train_s = result.history[0]["seconds"]
        rows.append({"model": name, "arch": "" if name == "origin-cnn" else space.format(_archs(space)[name]),
                     "mflops": count_flops(model, (3, 32, 32)) / 1e6, "images": args.images,
                     "train_s": train_s, "s_per_full_epoch": train_s * 50000 / args.images,
                     "test_eval_s": total - train_s})
        print(rows[-1])
    print(write_results("finalize_epoch_cost", rows, {"threads": args.threads}, started=started,
                        notes="Extrapolated linearly from one epoch on a class-balanced subset."))


if __name__ == "__main__":
    main()
