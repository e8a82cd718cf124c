"""Public names of this side of hwnas.predictors (re-exported by __init__)."""

__all__: list[str] = []
