"""Public names of this side of hwnas.datasets (re-exported by __init__)."""

__all__: list[str] = []
