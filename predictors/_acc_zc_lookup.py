"""Zero-cost scores as predictor features: a vectorised genes -> scores lookup."""

from __future__ import annotations

import numpy as np

from hwnas import SearchSpace

__all__ = ["ZeroCostLookup", "ZC_FEATURES"]

# Scores spanning many decades enter as signed log10; the others as they are.
ZC_FEATURES: tuple[str, ...] = ("synflow", "naswot", "jacov", "snip", "grad_norm", "params", "flops")
_LOG = {"synflow", "snip", "grad_norm", "params", "flops"}


class ZeroCostLookup:
    """Rows of cached zero-cost scores found by genome; architectures not cached give NaN
    (XGBoost treats NaN as missing, so a partial cache still works)."""

    def __init__(self, space: SearchSpace, frame) -> None:
        self.space = space
        archs = [space.parse(a) for a in frame.index]
        genes = space.genes_array(archs)
        with np.errstate(invalid="ignore", over="ignore"):
            self.values = _transform(frame[list(ZC_FEATURES)].to_numpy(np.float64)).astype(np.float32)
        self.keys = self._keys(genes)
        order = np.argsort(self.keys)
        self.keys, self.values = self.keys[order], self.values[order]
        self.frame = frame

    def _keys(self, genes: np.ndarray) -> np.ndarray:
        """An integer per genome: its mixed-radix number, or for spaces too large for int64
        (fbnet: 9**22) a 64-bit hash of its bytes (collisions are then possible but negligible)."""
        genes = np.ascontiguousarray(genes, dtype=np.int64)
        if self.space.size < 2**62:
            radix = np.cumprod([1, *self.space.cardinalities[::-1]])[:-1][::-1].astype(np.int64)
            return genes @ radix
        import hashlib

        return np.array([int.from_bytes(hashlib.blake2b(row.tobytes(), digest_size=8).digest(), "little", signed=True)
                         for row in genes], dtype=np.int64)

    def __call__(self, genes: np.ndarray) -> np.ndarray:
        keys = self._keys(genes)
        pos = np.searchsorted(self.keys, keys).clip(0, max(len(self.keys) - 1, 0))
        found = (self.keys[pos] == keys) if len(self.keys) else np.zeros(len(keys), bool)
        out = np.full((len(keys), len(ZC_FEATURES)), np.nan, np.float32)
        out[found] = self.values[pos[found]]
        return out


def _transform(v: np.ndarray) -> np.ndarray:
    out = v.copy()
    for j, name in enumerate(ZC_FEATURES):
        if name in _LOG:
            out[:, j] = np.sign(v[:, j]) * np.log10(1.0 + np.abs(v[:, j]))
    out[~np.isfinite(out)] = np.nan  # e.g. naswot's log-determinant of a singular kernel: missing
    return out
