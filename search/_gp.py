"""``GaussianProcess``: a Gaussian-process surrogate for ``bayes`` (uncertainty that grows away from data)."""

from __future__ import annotations

import numpy as np

__all__ = ["GaussianProcess"]


class GaussianProcess:
    """A GP (constant x RBF + white noise, hyper-parameters by marginal likelihood) on
    architecture features. Unlike a tree ensemble, whose members agree wherever no data forces
    them apart, its uncertainty is large far from every told network, so an upper-confidence
    acquisition explores unvisited parts of the space (e.g. operations absent from the start)."""

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed

    def fit(self, X: np.ndarray, y: np.ndarray) -> "GaussianProcess":
        import warnings

        from sklearn.exceptions import ConvergenceWarning
        from sklearn.gaussian_process import GaussianProcessRegressor
        from sklearn.gaussian_process.kernels import RBF, ConstantKernel, WhiteKernel

        kernel = ConstantKernel() * RBF(np.sqrt(X.shape[1]), (1e-2, 1e3)) + WhiteKernel(0.1, (1e-6, 10.0))
        with warnings.catch_warnings():  # a bound reached is not an error for a surrogate
            warnings.simplefilter("ignore", ConvergenceWarning)
            self.model_ = GaussianProcessRegressor(kernel, normalize_y=True, random_state=self.seed)
            self.model_.fit(np.asarray(X, np.float64), np.asarray(y, np.float64))
        return self

    def predict_with_std(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        mean, std = self.model_.predict(np.asarray(X, np.float64), return_std=True)
        return mean, std
