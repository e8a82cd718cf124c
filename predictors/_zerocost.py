"""Zero-cost proxies: scores of an untrained network on one real mini-batch, cached per architecture.

``synflow`` (Tanaka et al. 2020), ``naswot`` (Mellor et al. 2021, the log-determinant of the
ReLU-code kernel), ``jacov`` (Jacobian covariance, Mellor et al. v1), ``snip`` and ``grad_norm``
(Abdelfattah et al. 2021), plus ``params`` and ``flops``. One forward pass feeds naswot, snip,
grad_norm and jacov (two backward passes on it); synflow needs its own batch-1 pass in float64
with absolute weights. Scores are appended (fsync'ed) to a CSV per (space, data, batch, seed),
so each architecture is scored once, ever, and an interrupted run resumes.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

import numpy as np

from hwnas import Architecture, SearchSpace, get_space

from ._base import write_json_atomic

if TYPE_CHECKING:
    import torch

__all__ = ["ZERO_COST_PROXIES", "zero_cost_scores", "compute_zero_cost", "zero_cost_cache_path"]

ZERO_COST_PROXIES: tuple[str, ...] = ("synflow", "naswot", "jacov", "snip", "grad_norm", "params", "flops")
_CSV_COLUMNS = ("arch", *ZERO_COST_PROXIES, "seconds")


def _weights(model: "torch.nn.Module"):
    import torch

    return [m.weight for m in model.modules()
            if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear)) and m.weight.requires_grad]


def zero_cost_scores(model: "torch.nn.Module", x: "torch.Tensor", y: "torch.Tensor") -> dict[str, float]:
    """All proxies of a freshly initialised ``model`` on the normalised batch ``(x, y)``.

    The model is consumed (synflow turns its weights to float64 absolute values).
    """
    import torch

    out: dict[str, float] = {}
    model.train()
    codes = []
    hooks = [m.register_forward_hook(lambda _m, _i, o: codes.append((o.detach() > 0).flatten(1).float()))
             for m in model.modules() if isinstance(m, torch.nn.ReLU)]
    x = x.clone().requires_grad_(True)
    logits = model(x)
    for h in hooks:
        h.remove()
    out["naswot"] = _naswot(codes, len(x))
    weights = _weights(model)
    loss = torch.nn.functional.cross_entropy(logits, y)
    grads = torch.autograd.grad(loss, weights, retain_graph=True, allow_unused=True)
    with torch.no_grad():
        out["snip"] = float(sum((g * w).abs().sum() for g, w in zip(grads, weights) if g is not None))
        out["grad_norm"] = float(sum(g.norm() for g in grads if g is not None))
    (jac,) = torch.autograd.grad(logits.sum(), x)
    out["jacov"] = _jacov(jac.flatten(1))
    out["synflow"] = _synflow(model, tuple(x.shape[1:]))
    return out


def _naswot(codes: list, batch: int) -> float:
    import torch

    if not codes:
        return 0.0
    k = torch.zeros(batch, batch, dtype=torch.float64)
    for c in codes:
        c = c.double()
        k += c @ c.T + (1.0 - c) @ (1.0 - c).T
    return float(torch.linalg.slogdet(k)[1])


def _jacov(jac: "torch.Tensor") -> float:
    import torch

    corr = torch.corrcoef(jac.double())
    corr = torch.nan_to_num(corr, nan=0.0)
    v = torch.linalg.eigvalsh(corr).clamp_min(0.0)
    k = 1e-5
    return float(-torch.sum(torch.log(v + k) + 1.0 / (v + k)))


def _synflow(model: "torch.nn.Module", shape: tuple[int, ...]) -> float:
    import torch

    model.double().eval()  # eval: BatchNorm at init is the identity, as synflow wants
    with torch.no_grad():
        for p in model.parameters():
            p.abs_()
    weights = _weights(model)
    out = model(torch.ones(1, *shape, dtype=torch.float64))
    grads = torch.autograd.grad(out.sum(), weights, allow_unused=True)
    with torch.no_grad():
        return sum(float((g * w).abs().sum()) for g, w in zip(grads, weights) if g is not None)


# ---------------------------------------------------------------------- the cache
def zero_cost_cache_path(space: SearchSpace | str, data_name: str, batch_size: int, seed: int,
                         cache_dir: str | os.PathLike | None = None, resolution: int | None = 16) -> Path:
    """The CSV holding the scores of ``space`` on ``data_name`` at this resolution, batch and seed."""
    from hwnas.datasets import default_cache_dir

    name = space if isinstance(space, str) else space.name
    base = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    res = f"-r{resolution}" if resolution else ""
    return base / "zero_cost" / f"{name.replace(':', '_')}-{data_name}{res}-b{batch_size}-s{seed}.csv"


def read_zero_cost(path: str | os.PathLike):
    """The cached scores as a frame indexed by ``arch`` (torn lines from a crash are ignored)."""
    from hwnas.datasets import read_csv_rows

    return read_csv_rows(path, _CSV_COLUMNS, "arch").set_index("arch")


def compute_zero_cost(space: SearchSpace | str, archs: Sequence["Architecture | str"], dataset=None,
                      batch_size: int = 16, seed: int = 0, data_dir: str | os.PathLike | None = None,
                      cache_dir: str | os.PathLike | None = None, progress: bool = True, n_jobs: int = 1,
                      resolution: int | None = 16):
    """Zero-cost scores of ``archs`` (frame indexed by canonical arch string), from the cache or computed.

    The mini-batch is ``batch_size`` training images drawn with ``seed`` from ``dataset``
    (default: ``load_dataset("auto", data_dir)``, i.e. CIFAR-10 when present), area-downsampled to
    ``resolution`` (16: 4x cheaper than 32x32 CIFAR-10 for the same ranking of NB201, measured on
    150 architectures); every network is initialised with ``seed`` too, so scores are reproducible. Missing architectures are scored in
    ``n_jobs`` processes (one torch thread each) and appended to the cache as they finish.
    """
    from joblib import Parallel, delayed
    from tqdm.auto import tqdm

    from hwnas.datasets import downsample, load_dataset

    space = get_space(space) if isinstance(space, str) else space
    names = list(dict.fromkeys(space.format(space.as_arch(a)) for a in archs))
    ds = dataset if dataset is not None else load_dataset("auto", data_dir)
    path = zero_cost_cache_path(space, ds.name, batch_size, seed, cache_dir, resolution)
    cached = read_zero_cost(path)
    todo = [a for a in names if a not in cached.index]
    if todo:
        ds = downsample(ds, resolution)
        _write_manifest(path, space, ds, batch_size, seed)
        x, y = _minibatch(ds, batch_size, seed)
        chunks = [todo[i:i + _CHUNK] for i in range(0, len(todo), _CHUNK)]
        base, config = space.name.split(":", 1)[0], space.config()
        jobs = (delayed(_score_chunk)(base, config, c, ds.num_classes, ds.input_shape, x, y, seed) for c in chunks)
        bar = tqdm(total=len(todo), desc="zero-cost proxies", disable=not progress)
        for rows in Parallel(n_jobs=n_jobs, return_as="generator_unordered")(jobs):
            _append(path, rows)
            bar.update(len(rows))
        bar.close()
        cached = read_zero_cost(path)
    return cached.loc[names]


_CHUNK = 20  # architectures per job: amortises process start-up, keeps appends frequent


def _score_chunk(space_name: str, config: dict, archs: list[str], num_classes: int, input_shape, x, y,
                 seed: int) -> list[dict]:
    import torch

    from hwnas import create_space

    torch.set_num_threads(1)
    space = create_space(space_name, **config) if config else get_space(space_name)
    return [_score_one(space, space.parse(a), num_classes, tuple(input_shape), x, y, seed) for a in archs]


def _minibatch(ds, batch_size: int, seed: int):
    import torch

    rng = np.random.default_rng(seed)
    idx = np.sort(rng.choice(len(ds.y_train), size=min(batch_size, len(ds.y_train)), replace=False))
    x = ds.x_train[idx].transpose(0, 3, 1, 2).astype(np.float32) / 255.0
    mean = np.asarray(ds.mean, np.float32)[None, :, None, None]
    std = np.asarray(ds.std, np.float32)[None, :, None, None]
    return torch.from_numpy((x - mean) / std), torch.from_numpy(ds.y_train[idx])


def _score_one(space: SearchSpace, arch: Architecture, num_classes: int, input_shape, x, y, seed: int) -> dict:
    import torch

    from hwnas import count_params

    t0 = time.perf_counter()
    torch.manual_seed(seed)  # the same initial weights every time: scores are reproducible
    model = space.build(arch, num_classes, input_shape)
    row = {"arch": space.format(arch), "params": count_params(model),
           "flops": space.flops(arch, num_classes, input_shape)}
    row.update(zero_cost_scores(model, x, y))
    row["seconds"] = time.perf_counter() - t0
    return row


def _append(path: Path, rows: list[dict]) -> None:
    from hwnas.datasets import append_csv_rows

    append_csv_rows(path, _CSV_COLUMNS, rows)


def _write_manifest(path: Path, space: SearchSpace, ds, batch_size: int, seed: int) -> None:
    manifest = path.with_suffix(".json")
    if not manifest.is_file():
        write_json_atomic(manifest, {"kind": "zero-cost-cache", "space": space.name, "space_config": space.config(),
                                     "data_set": ds.name, "input_shape": list(ds.input_shape),
                                     "batch_size": batch_size, "seed": seed, "columns": list(_CSV_COLUMNS)})
