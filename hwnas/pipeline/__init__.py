"""hwnas.pipeline: the final pass (train, prune, quantize, export, verify) and the end-to-end run."""

__all__: list[str] = []
