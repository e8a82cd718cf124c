"""``bayes``: Bayesian optimisation with a Gaussian process or a bootstrap ensemble of boosted trees."""

from __future__ import annotations

import numpy as np

from hwnas import ConfigError, SearchSpace

from ._genes import genes_keys, mutate_genes, random_genes
from ._strategy import Strategy, constrained_order, register_strategy

__all__ = ["BayesianOptimization", "TreeEnsemble", "expected_improvement"]


def expected_improvement(mean: np.ndarray, std: np.ndarray, best: float) -> np.ndarray:
    """EI of a minimised objective under a Gaussian belief (mean, std) over ``best``."""
    from scipy.special import ndtr

    std = np.maximum(std, 1e-9)
    z = (best - mean) / std
    return (best - mean) * ndtr(z) + std * np.exp(-0.5 * z * z) / np.sqrt(2 * np.pi)


def gene_features(space: SearchSpace, genes: np.ndarray) -> np.ndarray:
    """The accuracy predictors' architecture features when that part is installed (they see a
    cell's paths, not only its genes); the space's one-hot encoding otherwise."""
    try:
        from hwnas.predictors import accuracy_features
    except ImportError:
        return space.encode_genes(genes)
    return accuracy_features(space, genes)


class TreeEnsemble:
    """``members`` XGBoost regressors, each fitted on a bootstrap resample: the mean is the
    prediction and the spread between members the uncertainty (cheap, and good enough to rank
    candidates by expected improvement)."""

    def __init__(self, members: int = 5, n_estimators: int = 150, max_depth: int = 4, seed: int = 0) -> None:
        self.members, self.n_estimators, self.max_depth, self.seed = members, n_estimators, max_depth, seed

    def fit(self, X: np.ndarray, y: np.ndarray) -> "TreeEnsemble":
        import xgboost as xgb

        rng = np.random.default_rng(self.seed)
        self.models_ = []
        for k in range(self.members):
            rows = rng.integers(len(y), size=len(y))
            model = xgb.XGBRegressor(n_estimators=self.n_estimators, max_depth=self.max_depth, learning_rate=0.1,
                                     subsample=0.9, n_jobs=1, random_state=self.seed * 100 + k)
            self.models_.append(model.fit(X[rows], y[rows]))
        return self

    def predict_with_std(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        preds = np.stack([m.predict(X) for m in self.models_]).astype(np.float64)
        return preds.mean(axis=0), preds.std(axis=0)


@register_strategy
class BayesianOptimization(Strategy):
    """Fits a surrogate on everything told so far and asks the untried candidates with the
    highest acquisition (``ei``: expected improvement over the best feasible score; ``ucb``:
    ``-(mean - kappa * std)``). ``surrogate``: ``trees`` (``TreeEnsemble``) or ``gp``
    (``GaussianProcess``, whose uncertainty grows away from the data, so UCB explores). Candidates
    are the driver's ``universe`` when set, the whole space when it has at most ``pool`` architectures, else ``pool`` genomes, half
    uniform and half mutations of the ``elite`` best told ones (with ``local``: every single-gene
    change of the ``elite`` best, plus a tenth of ``pool`` uniform genomes); ``screen`` removes
    those known to be infeasible. The first ``n_init`` asks are random.

    Options: ``rank_targets`` fits normal scores of the ranks instead of the raw scores;
    ``penalize_infeasible`` models told infeasible genomes as worse than every feasible one (off:
    their true score, when feasibility is handled by ``screen`` and is no property of the score);
    ``greedy_after`` switches to the predicted mean alone after that many told genomes;
    ``local_share`` takes that share of each ask from the single-gene neighbours of the ``elite``
    best told genomes (a trust region); ``safe_share`` takes that share by expected improvement
    over the best told genome held feasible with probability ``safe_p``, weighed by the chance of
    being feasible (``_safe_improvers``). With ``feasibility_power`` > 0 and a driver-set
    ``feasibility``, the acquisition is weighed by that probability to that power (off by
    default: on NB201 it steered the search away from the best networks, which sit at the budget
    where the latency model is least sure).
    """

    name = "bayes"
    DEFAULTS = {"n_init": 10, "pool": 20000, "elite": 10, "acquisition": "ei", "kappa": 2.0,
                "members": 5, "n_estimators": 150, "max_depth": 4, "local": False,
                "feasibility_power": 0.0, "rank_targets": False, "greedy_after": None,
                "penalize_infeasible": True, "local_share": 0.0, "surrogate": "trees",
                "safe_share": 0.0, "safe_p": 0.99}

    def __init__(self, space, seed: int = 0, **params) -> None:
        super().__init__(space, seed, **params)
        if self.params["acquisition"] not in ("ei", "ucb"):
            raise ConfigError(f"bayes: acquisition must be 'ei' or 'ucb', got {self.params['acquisition']!r}")
        if self.params["surrogate"] not in ("trees", "gp"):
            raise ConfigError(f"bayes: surrogate must be 'trees' or 'gp', got {self.params['surrogate']!r}")
        self.told_genes = np.zeros((0, len(self.space.cardinalities)), dtype=np.int64)
        self.told_score = np.zeros(0)
        self.told_violation = np.zeros(0)
        self._all: np.ndarray | None = None
        self._feature_cache: dict[bytes, np.ndarray] = {}

    def tell(self, genes: np.ndarray, F: np.ndarray, violation: np.ndarray) -> None:
        self.told_genes = np.concatenate([self.told_genes, genes])
        self.told_score = np.concatenate([self.told_score, self.scalar(F)])
        self.told_violation = np.concatenate([self.told_violation, violation])

    def ask(self, n: int) -> np.ndarray:
        if len(self.told_genes) < self.params["n_init"]:
            return self.screened(self.draw, n)
        pool = self._candidates()
        if len(pool) == 0:
            return self.screened(self.draw, n)
        y = self._targets()
        model = self._surrogate(seed=int(self.rng.integers(2**31)))
        model.fit(self._features(self.told_genes), y)
        mean, std = model.predict_with_std(self._features(pool))
        greedy = self.params["greedy_after"] is not None and len(self.told_genes) >= self.params["greedy_after"]
        if greedy:  # late in a query budget, exploit: the best predicted networks
            score = -mean
        elif self.params["acquisition"] == "ei":
            ok = self.told_violation <= 0
            score = expected_improvement(mean, std, float(y[ok].min() if ok.any() else y.min()))
        else:
            score = -(mean - self.params["kappa"] * std)
        if self.feasibility is not None and self.params["feasibility_power"] > 0 and not greedy:
            # constrained acquisition: improvement weighed by the chance that it is allowed
            p = np.maximum(np.asarray(self.feasibility(pool), dtype=np.float64), 1e-6) ** self.params["feasibility_power"]
            score = np.maximum(score, 0) * p if self.params["acquisition"] == "ei" else score + np.log(p) * std.mean()
        safe = self._safe_improvers(pool, mean, std, y, 0 if greedy else n)
        score[safe] = -np.inf
        taken = set(safe.tolist())
        rest = [i for i in self._select(pool, score, n) if i not in taken][: n - len(safe)]
        out = pool[np.concatenate([np.asarray(rest, dtype=np.int64), safe])]
        if len(out) < n:
            out = np.concatenate([out, self.draw(n - len(out))])
        return out

    def _safe_improvers(self, pool: np.ndarray, mean: np.ndarray, std: np.ndarray, y: np.ndarray,
                        n: int) -> np.ndarray:
        """Indices of the ``safe_share`` of an ask of ``n`` most likely to beat the best told genome
        that the driver holds surely feasible (``feasibility`` >= ``safe_p``): expected improvement
        over it, weighed by the chance of being feasible. The acquisition proper chases the best
        genomes the screen admits, which under an uncertain constraint are often infeasible; a
        search that returns one answer also needs good genomes it can vouch for."""
        k = min(int(np.ceil(self.params["safe_share"] * n)), len(pool))
        if k == 0 or self.feasibility is None:
            return np.zeros(0, dtype=np.int64)
        safe = np.asarray(self.feasibility(self.told_genes), dtype=np.float64) >= self.params["safe_p"]
        bar = float(y[safe].min()) if safe.any() else float(y.max())
        gain = expected_improvement(mean, std, bar) * np.asarray(self.feasibility(pool), dtype=np.float64)
        return np.argsort(-gain, kind="stable")[:k]

    def _surrogate(self, seed: int):
        if self.params["surrogate"] == "gp":
            from ._gp import GaussianProcess

            return GaussianProcess(seed)
        return TreeEnsemble(self.params["members"], self.params["n_estimators"], self.params["max_depth"], seed=seed)

    def _select(self, pool: np.ndarray, score: np.ndarray, n: int) -> np.ndarray:
        """Indices of the ``n`` best-scored candidates; with ``local_share`` > 0, that share of
        them from the single-gene neighbours of the ``elite`` best told genomes (a trust region:
        the surrogate ranks the very best networks poorly, their measured neighbours well)."""
        order = np.argsort(-score, kind="stable")
        k = int(np.ceil(self.params["local_share"] * n))
        if k == 0:
            return order[:n]
        near = set(genes_keys(self._neighbours()))
        keys = genes_keys(pool)
        local = [i for i in order if keys[i] in near][:k]
        taken = set(local)
        rest = [i for i in order if i not in taken][: n - len(local)]
        return np.asarray(local + rest, dtype=np.int64)

    def _features(self, genes: np.ndarray) -> np.ndarray:
        """Features of genomes, cached per genome (the candidate pool is mostly the same each ask)."""
        keys = genes_keys(genes)
        todo = [i for i, k in enumerate(keys) if k not in self._feature_cache]
        if todo:
            for i, row in zip(todo, gene_features(self.space, genes[todo])):
                self._feature_cache[keys[i]] = row
        return np.stack([self._feature_cache[k] for k in keys])

    def _targets(self) -> np.ndarray:
        y = self.told_score.copy()
        bad = self.told_violation > 0
        if bad.any() and self.params["penalize_infeasible"]:
            ok = y[~bad]
            worst, spread = (ok.max(), ok.std() or 1.0) if ok.size else (0.0, 1.0)
            y[bad] = worst + spread * (1.0 + self.told_violation[bad])
        if self.params["rank_targets"]:
            # normal scores of the ranks: the few very bad networks (NB201's ~10% ones) no longer
            # dominate the squared loss (or the GP's scale), so the fit resolves the good ones
            from scipy.special import ndtri
            from scipy.stats import rankdata

            y = ndtri((rankdata(y) - 0.5) / len(y))
        return y

    def _neighbours(self) -> np.ndarray:
        """Every single-gene change of the ``elite`` best told genomes (a local search's moves)."""
        order = constrained_order(self.told_score, self.told_violation)[: self.params["elite"]]
        out = []
        for genes in self.told_genes[order]:
            for i, n in enumerate(self.space.cardinalities):
                block = np.repeat(genes[None], n, axis=0)
                block[:, i] = np.arange(n)
                out.append(block)
        from ._genes import canonical_genes

        return canonical_genes(self.space, np.concatenate(out))

    def _candidates(self) -> np.ndarray:
        if self.universe is not None:  # a sampled table: rank exactly what can be evaluated
            pool = self.universe
        elif self.params["local"]:
            pool = np.unique(np.concatenate([self._neighbours(), random_genes(self.space, self.params["pool"] // 10,
                                                                              self.rng)]), axis=0)
        elif self.space.size <= self.params["pool"] and self.space.is_finite_enumerable:
            if self._all is None:
                self._all = self.space.genes_array(list(self.space.enumerate()))
            pool = self._all
        else:
            half = self.params["pool"] // 2
            order = constrained_order(self.told_score, self.told_violation)[: self.params["elite"]]
            parents = self.told_genes[order[self.rng.integers(len(order), size=half)]]
            pool = np.concatenate([random_genes(self.space, half, self.rng),
                                   mutate_genes(self.space, parents, self.rng)])
            pool = np.unique(pool, axis=0)
        told = set(genes_keys(self.told_genes))
        pool = pool[[k not in told for k in genes_keys(pool)]]
        if self.screen is not None and len(pool):
            ok = np.asarray(self.screen(pool)) <= 0
            if ok.any():
                pool = pool[ok]
        return pool
