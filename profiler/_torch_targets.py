"""Eager PyTorch targets: ``inference_mode``, a pinned number of intra-op threads."""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

import numpy as np

from ._targets import TargetRunner, register_target

if TYPE_CHECKING:
    import torch

__all__ = ["TorchCpuRunner", "TorchCudaRunner"]


@register_target
class TorchCpuRunner(TargetRunner):
    """PyTorch eager mode on the CPU with ``torch.set_num_threads(threads)``."""

    name = "torch-cpu"
    runtime = "torch"
    device = "cpu"

    def compile(self, module: "torch.nn.Module", x: np.ndarray) -> Callable[[], object]:
        import torch

        # torch's thread count is process-wide: pin it for this runner at every compile.
        torch.set_num_threads(self.threads)
        module = module.eval().to(self.device)
        tensor = torch.from_numpy(x).to(self.device)

        def run() -> object:
            with torch.inference_mode():
                return module(tensor)

        return run


@register_target
class TorchCudaRunner(TorchCpuRunner):
    """PyTorch eager mode on the first CUDA device (timings synchronised)."""

    name = "torch-cuda"
    device = "cuda"

    @classmethod
    def available(cls) -> bool:
        import torch

        return torch.cuda.is_available()

    def synchronize(self) -> None:
        import torch

        torch.cuda.synchronize()
