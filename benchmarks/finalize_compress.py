"""Latency effect of the compression steps on mbconv networks of several sizes (ort-cpu, 1 thread).

For each network: FP32, INT8 with each static recipe (``hwnas.pipeline.STATIC_RECIPES``: QDQ
per-channel, QDQ per-tensor, QOperator; calibrated on real CIFAR-10 training images), channel
pruning to half the hidden channels, and pruned + INT8 (``qdq``). Weights are freshly initialised
(latency does not depend on their values; accuracy after each step is measured by
``finalize_baseline.py``). Each network's variants are timed in alternation over 3 rounds.
Timing-sensitive: run on a quiet machine::

    python benchmarks/finalize_compress.py --networks 8
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from _common import cifar_calibration, require_shared, write_results


def _networks(space, n: int) -> list:
    """The smallest and the middle network, then seeded samples."""
    k = len(space.choices)
    fixed = [space.make([0] * k), space.make([len(c.options) // 2 for c in space.choices])]
    return fixed + space.sample_many(max(0, n - 2), rng=0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--networks", type=int, default=8)
    ap.add_argument("--keep", type=float, default=0.5)
    args = ap.parse_args()
    require_shared("cifar10", "train_jpeg.npz")
    import torch

    from hwnas import count_flops, export_onnx, get_space
    from hwnas.pipeline import STATIC_RECIPES, interleaved_median_ms, prune_channels, quantize_onnx

    started = time.time()
    calib = cifar_calibration()
    space, shape, rows = get_space("mbconv"), (3, 32, 32), []
    with tempfile.TemporaryDirectory() as tmp:
        for i, arch in enumerate(_networks(space, args.networks)):
            torch.manual_seed(i)
            model = space.build(arch, 10, shape).eval()
            paths = {"fp32": export_onnx(model, shape, Path(tmp) / f"{i}.onnx"),
                     "pruned": export_onnx(prune_channels(model, args.keep).model, shape, Path(tmp) / f"{i}p.onnx")}
            for recipe in STATIC_RECIPES:
                paths[f"int8-{recipe}"] = quantize_onnx(paths["fp32"], Path(tmp) / f"{i}{recipe}.onnx", calib,
                                                        recipe=recipe).path
            paths["pruned-int8"] = quantize_onnx(paths["pruned"], Path(tmp) / f"{i}pq.onnx", calib).path
            ms = dict(zip(paths, interleaved_median_ms(list(paths.values()), shape, rounds=3)))
            best = min(STATIC_RECIPES, key=lambda r: ms[f"int8-{r}"])
            ms["int8"] = ms[f"int8-{best}"]
            paths["int8"] = paths[f"int8-{best}"]
            rows.append({"arch": space.format(arch), "mflops": count_flops(model, shape) / 1e6,
                         **{f"{k}_ms": v for k, v in ms.items()}, "int8_best_recipe": best,
                         **{f"speedup_{r}": ms["fp32"] / ms[f"int8-{r}"] for r in STATIC_RECIPES},
                         "int8_speedup": ms["fp32"] / ms["int8"], "prune_speedup": ms["fp32"] / ms["pruned"],
                         "both_speedup": ms["fp32"] / ms["pruned-int8"],
                         "fp32_kb": paths["fp32"].stat().st_size / 1024,
                         "int8_kb": paths["int8"].stat().st_size / 1024})
            print(rows[-1])
    speed = np.array([r["int8_speedup"] for r in rows])
    summary = {"int8_speedup_median": float(np.median(speed)), "int8_speedup_max": float(speed.max()),
               "prune_speedup_median": float(np.median([r["prune_speedup"] for r in rows]))}
    print(write_results("finalize_compress", rows, summary, started=started))


if __name__ == "__main__":
    main()
