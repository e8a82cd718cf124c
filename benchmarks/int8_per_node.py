"""Where INT8 time goes: ONNX Runtime's own per-node kernel times, FP32 against static INT8 (QDQ).

For each mbconv architecture, the model (freshly initialised: latency does not depend on the
weights) is exported, quantized with ``hwnas.pipeline.quantize_onnx`` on real CIFAR-10 training
images, and both sessions (``ort-cpu``, 1 thread) are profiled with ``SessionOptions.enable_profiling``
over ``--runs`` inferences. Kernel times are summed per block part (``/s1b2/depthwise``: stage 1,
block 2, its depthwise convolution) so that the two graphs, whose node names differ, line up.
This is the explanation behind ``finalize_compress``: on sub-millisecond networks the INT8
kernels are barely faster than the FP32 ones, and large depthwise kernels are slower. ::

    python benchmarks/int8_per_node.py [--arch A ...] [--runs 2000]
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import tempfile
import time
from pathlib import Path

import numpy as np

from _common import cifar_calibration, require_shared, write_results

# The model finalize_baseline.py found and finalized (72.48% at 0.51x the origin CNN's latency).
FOUND = "r16-s1:d2,w16,k3e3,k7e3-s2:d1,w16,k3e6-s3:d1,w48,k3e1-s4:d1,w128,k3e3-s5:d1,w128,k3e6"


def node_times_us(path: Path, shape: tuple[int, ...], runs: int) -> dict[str, float]:
    """Mean kernel microseconds per inference, summed per block part (``/s1b2/depthwise``,
    ``/stem``, ``/head``, ``/classifier``; ``other`` for nodes outside any: the input's resize,
    quantize and layout changes)."""
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = so.inter_op_num_threads = 1
    so.enable_profiling = True
    so.profile_file_prefix = str(path.with_suffix(""))
    session = ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    x = np.random.default_rng(0).random((1, *shape), dtype=np.float32)
    for _ in range(runs):
        session.run(None, {name: x})
    trace = session.end_profiling()
    events = json.loads(Path(trace).read_text())
    os.remove(trace)
    out: dict[str, float] = collections.defaultdict(float)
    for e in events:
        if e.get("cat") == "Node" and e["name"].endswith("_kernel_time"):
            parts = e["name"].split("/")  # "/s1b2/depthwise/act/Relu_output_0_nchwc_kernel_time"
            depth = 3 if len(parts) > 3 and re.fullmatch(r"s\d+b\d+", parts[1]) else 2
            key = "/".join(parts[:depth]) if len(parts) > depth else "other"
            out[key] += e["dur"] / runs
    return dict(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--arch", action="append", default=[], help="mbconv architecture (default: the found model)")
    ap.add_argument("--runs", type=int, default=2000)
    args = ap.parse_args()
    require_shared("cifar10", "train_jpeg.npz")
    import torch

    from hwnas import export_onnx, get_space
    from hwnas.pipeline import quantize_onnx

    started = time.time()
    calib = cifar_calibration()
    space, shape, rows = get_space("mbconv"), (3, 32, 32), []
    with tempfile.TemporaryDirectory() as tmp:
        for i, text in enumerate(args.arch or [FOUND]):
            torch.manual_seed(i)
            model = space.build(space.parse(text), 10, shape).eval()
            fp32 = export_onnx(model, shape, Path(tmp) / f"{i}.onnx")
            int8 = quantize_onnx(fp32, Path(tmp) / f"{i}q.onnx", calib, recipe="qdq").path
            a, b = node_times_us(fp32, shape, args.runs), node_times_us(int8, shape, args.runs)
            for part in sorted(set(a) | set(b)):
                rows.append({"arch": text, "part": part, "fp32_us": a.get(part, 0.0), "int8_us": b.get(part, 0.0),
                             "int8_over_fp32": b.get(part, 0.0) / a[part] if a.get(part) else None})
            rows.append({"arch": text, "part": "total", "fp32_us": sum(a.values()), "int8_us": sum(b.values()),
                         "int8_over_fp32": sum(b.values()) / sum(a.values())})
    totals = [r for r in rows if r["part"] == "total"]
    summary = {"int8_over_fp32_total": float(np.median([r["int8_over_fp32"] for r in totals]))}
    print(write_results("int8_per_node", rows, summary, started=started,
                        notes="kernel times from ONNX Runtime's profiler (sum per block part, mean per inference); "
                              "profiling adds overhead, so totals exceed the plain median latency"))


if __name__ == "__main__":
    main()
