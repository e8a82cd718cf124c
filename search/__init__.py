"""hwnas.search: strategies (random, regularized evolution, NSGA-II, Bayesian optimisation,
REINFORCE) behind one ask/tell base, constrained multi-device problems on surrogates, the active
loop that measures the few most informative candidates, and the benchmark entry point."""

from __future__ import annotations

from ._active import MeasuredMetric, active_search, informative_rows
from ._api import build_problem, profiler_oracle, search
from ._bench import BENCH_STRATEGY_PARAMS, bench_search
from ._bayes import BayesianOptimization, TreeEnsemble, expected_improvement
from ._evolution import RegularizedEvolution
from ._genes import crossover_genes, mutate_genes, nearest_rows, random_genes
from ._gp import GaussianProcess
from ._metrics import (CostMetric, CrossPlatformMetric, FunctionMetric, Metric, MetricValues, PredictorMetric,
                       TableMetric)
from ._nsga2 import NSGA2
from ._oracle import QueryBudget, QueryBudgetExceeded
from ._pareto import crowding_distance, hypervolume_2d, non_dominated_sort, pareto_mask
from ._plot import pareto_plot_data, plot_pareto
from ._problem import Constraint, Evaluation, Objective, Problem
from ._random import RandomSearch
from ._result import SearchResult
from ._rl import ReinforcePolicy
from ._run import run_search
from ._strategy import Strategy, constrained_order, create_strategy, list_strategies, register_strategy

__all__ = [
    "BENCH_STRATEGY_PARAMS",
    "BayesianOptimization",
    "Constraint",
    "CostMetric",
    "CrossPlatformMetric",
    "Evaluation",
    "FunctionMetric",
    "GaussianProcess",
    "MeasuredMetric",
    "Metric",
    "MetricValues",
    "NSGA2",
    "Objective",
    "PredictorMetric",
    "Problem",
    "QueryBudget",
    "QueryBudgetExceeded",
    "RandomSearch",
    "RegularizedEvolution",
    "ReinforcePolicy",
    "SearchResult",
    "Strategy",
    "TableMetric",
    "TreeEnsemble",
    "active_search",
    "bench_search",
    "build_problem",
    "constrained_order",
    "create_strategy",
    "crossover_genes",
    "crowding_distance",
    "expected_improvement",
    "hypervolume_2d",
    "informative_rows",
    "list_strategies",
    "mutate_genes",
    "non_dominated_sort",
    "pareto_mask",
    "pareto_plot_data",
    "plot_pareto",
    "profiler_oracle",
    "random_genes",
    "nearest_rows",
    "register_strategy",
    "run_search",
    "search",
]
