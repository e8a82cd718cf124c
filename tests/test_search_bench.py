"""`hwnas bench search` and `hwnas search` on (subsets of) the real NB201 tables."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import hwnas
from hwnas.cli import main
from hwnas.search import (MeasuredMetric, QueryBudget, QueryBudgetExceeded, TableMetric, bench_search)

from conftest import shared_file

DEVICE = "gold_6240"
POOL = ["1080ti_1", "pixel3", "silver_4114", "samsung_a50"]


@pytest.fixture(scope="module")
def tables(tmp_path_factory):
    """3000 NB201 architectures: accuracy, the target device's column (+ an extra column the search
    must not read) and a pool of four other devices."""
    acc = pd.read_csv(shared_file("nb201", "accuracy.csv"), nrows=3000)
    lat = pd.read_csv(shared_file("nb201", "latency_ms.csv"), nrows=3000)
    d = tmp_path_factory.mktemp("tables")
    acc[["arch", "cifar10_test_acc"]].to_csv(d / "acc.csv", index=False)
    lat[["arch", DEVICE, "titanx_1"]].to_csv(d / "lat.csv", index=False)
    lat[["arch", *POOL, DEVICE]].to_csv(d / "pool.csv", index=False)  # the pool's own DEVICE column is ignored
    return d, acc, lat


def test_query_budget_is_enforced():
    q = QueryBudget("accuracy", np.arange(10.0), 3)
    assert list(q.query([1, 2, 1])) == [1.0, 2.0, 1.0] and q.used == 2
    q.query([2])  # reading again is free
    with pytest.raises(QueryBudgetExceeded):
        q.query([5, 6])
    assert q.remaining == 1


@pytest.mark.parametrize("with_pool", [True, False], ids=["pool", "no-pool"])
@pytest.mark.parametrize("strategy", ["random", "bayes"])
def test_bench_search_counts_queries_and_scores_truthfully(tables, strategy, with_pool):
    """Without ``--pool`` (it is optional) the few-shot model scales the networks' costs (MACs,
    params, memory) on the shots alone; the answer is scored the same way."""
    d, acc, lat = tables
    r = bench_search("nb201", d / "acc.csv", "cifar10_test_acc", d / "lat.csv", DEVICE, 0.3,
                     pool=d / "pool.csv" if with_pool else None,
                     accuracy_queries=25, latency_shots=6, strategy=strategy, seeds=1)
    budget = np.quantile(lat[DEVICE], 0.3)
    assert r["budget_ms"] == pytest.approx(budget)
    assert r["pool_devices"] == (POOL if with_pool else [])
    best = acc["cifar10_test_acc"][lat[DEVICE] <= budget].max()
    assert r["best_within_budget_accuracy"] == pytest.approx(best)
    (s,) = r["seeds"]
    assert s["accuracy_queries"] <= 25 and s["latency_shots"] <= 6
    row = lat.index[lat["arch"] == s["arch"]][0]
    assert s["true_latency_ms"] == pytest.approx(lat[DEVICE][row])
    assert s["true_accuracy"] == pytest.approx(acc["cifar10_test_acc"][row])
    assert s["within_budget"] == (s["true_latency_ms"] <= budget)
    assert s["regret"] == pytest.approx(best - s["true_accuracy"])
    if s["within_budget"]:  # the answer is one of the queried networks, so a perfect choice does no worse
        assert s["regret"] >= 0
        assert 0 <= s["queried_regret"] <= s["regret"]
    assert ("hypervolume_ratio" in s) == (strategy == "bayes")
    assert 0.0 <= s.get("hypervolume_ratio", 0.0) <= 1.0
    assert s["latency_grid_ms"] == 0.0, "gold_6240 records continuous latencies"
    # the belief it answered with: measured answers are certain, others were held safe or fell back
    assert 0.0 <= s["believed_p_within"] <= 1.0
    if s["latency_verified"]:
        assert s["believed_p_within"] == float(s["within_budget"])


def test_bench_search_gives_a_multi_objective_strategy_the_chance_of_meeting_the_budget(tables, monkeypatch):
    """nsga2's second objective is the chance of exceeding the budget (minimised as the negative
    chance within it): its front keeps safe networks next to accurate ones."""
    from hwnas.search._nsga2 import NSGA2

    told, tell = [], NSGA2.tell

    def spy(self, genes, F, violation):
        told.append(np.asarray(F))
        return tell(self, genes, F, violation)

    monkeypatch.setattr(NSGA2, "tell", spy)
    d, _, _ = tables
    r = bench_search("nb201", d / "acc.csv", "cifar10_test_acc", d / "lat.csv", DEVICE, 0.5, pool=d / "pool.csv",
                     accuracy_queries=30, latency_shots=6, strategy="nsga2", seeds=1)
    assert told and all(F.shape[1] == 2 for F in told)
    F = np.concatenate(told)
    assert np.all(F[:, 0] < 0) and np.all((F[:, 1] >= -1) & (F[:, 1] <= 0))
    assert F[:, 1].min() < -0.5 < F[:, 1].max(), "both likely and unlikely networks were told"
    assert "hypervolume_ratio" in r["seeds"][0]


def test_bench_search_runs_chosen_seeds_and_strategy_params(tables):
    """``first_seed`` picks the seeds (a seed's run is the same whatever came before it) and
    ``strategy_params`` override the benchmark's defaults; an unknown one is a config error."""
    d, _, _ = tables
    args = ("nb201", d / "acc.csv", "cifar10_test_acc", d / "lat.csv", DEVICE, 0.3)
    kw = dict(pool=d / "pool.csv", accuracy_queries=20, latency_shots=5)
    both = bench_search(*args, strategy="random", seeds=2, **kw)
    second = bench_search(*args, strategy="random", seeds=1, first_seed=1, **kw)
    assert [s["seed"] for s in both["seeds"]] == [0, 1] and second["seeds"][0]["seed"] == 1
    assert second["seeds"][0]["arch"] == both["seeds"][1]["arch"]
    r = bench_search(*args, strategy="bayes", seeds=1, strategy_params={"safe_share": 0.5}, **kw)
    assert r["strategy_params"]["safe_share"] == 0.5 and r["strategy_params"]["surrogate"] == "gp"
    with pytest.raises(hwnas.ConfigError, match="unknown parameter"):
        bench_search(*args, strategy="bayes", seeds=1, strategy_params={"bogus": 1}, **kw)


@pytest.mark.parametrize("strategy", ["random", "bayes"])
def test_bench_search_never_asks_a_degenerate_network(tables, strategy):
    """A network whose output ignores its input classifies at chance whatever it is made of; asked,
    its 10% would teach the accuracy model that the operations it holds are bad. At a tight budget
    (the cheapest 5%) degenerate cells are a large share of what fits, so a search that asked them
    would show it here."""
    from hwnas.search import _bench as B

    d, _, _ = tables
    t = B._load(hwnas.get_space("nb201"), d / "acc.csv", "cifar10_test_acc", d / "lat.csv", DEVICE, 0.05,
                d / "pool.csv")
    fits = t.latency <= t.budget
    assert t.degenerate[fits].mean() > 0.05, "the fixture no longer tempts the search"
    acc_q, _, _ = B._query(t, strategy, 0, 40, 6)
    asked = np.fromiter(acc_q.known, dtype=np.int64)
    assert acc_q.used == 40 and not t.degenerate[asked].any()


def test_bench_search_finds_a_table_in_whole_milliseconds(tables):
    d, acc, lat = tables
    whole = lat[["arch", DEVICE]].assign(**{DEVICE: lat[DEVICE].round()})  # as phones timed with a ms clock
    whole.to_csv(d / "whole.csv", index=False)
    r = bench_search("nb201", d / "acc.csv", "cifar10_test_acc", d / "whole.csv", DEVICE, 0.3, pool=d / "pool.csv",
                     accuracy_queries=25, latency_shots=6, strategy="random", seeds=1)
    (s,) = r["seeds"]
    assert s["latency_grid_ms"] == 1.0 and s["within_budget"] == (s["true_latency_ms"] <= r["budget_ms"])


def test_bench_search_cli(tables, tmp_path, capsys):
    d, _, _ = tables
    out = tmp_path / "out.json"
    code = main(["bench", "search", "--space", "nb201", "--accuracy-table", str(d / "acc.csv"),
                 "--accuracy-column", "cifar10_test_acc", "--latency-table", str(d / "lat.csv"), "--device", DEVICE,
                 "--budget-quantile", "0.5", "--pool", str(d / "pool.csv"), "--accuracy-queries", "20",
                 "--latency-shots", "5", "--strategy", "nsga2", "--seeds", "2", "--json", str(out)])
    assert code == 0
    doc = json.loads(out.read_text())
    assert [s["seed"] for s in doc["seeds"]] == [0, 1] and "hypervolume_ratio" in doc["mean"]
    printed = capsys.readouterr().out
    assert "regret" in printed and "queried" in printed


def test_bench_search_reads_zero_ms_cells_and_warns_in_one_line(tables, tmp_path, capsys):
    """A phone timed in whole milliseconds records its fastest networks as 0 ms: the table is read
    (one warning line per column), not refused; the same file as latency table and pool is read once."""
    d, _, lat = tables
    phone = lat[["arch", "samsung_a50", *POOL[:2]]].copy()
    phone.loc[phone["samsung_a50"] <= phone["samsung_a50"].min(), "samsung_a50"] = 0
    phone.to_csv(tmp_path / "phone.csv", index=False)
    code = main(["bench", "search", "--space", "nb201", "--accuracy-table", str(d / "acc.csv"),
                 "--accuracy-column", "cifar10_test_acc", "--latency-table", str(tmp_path / "phone.csv"),
                 "--device", "samsung_a50", "--budget-quantile", "0.3", "--pool", str(tmp_path / "phone.csv"),
                 "--accuracy-queries", "20", "--latency-shots", "5", "--strategy", "random", "--seeds", "1",
                 "--json", str(tmp_path / "out.json")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 0 and len(err) == 1
    assert err[0].startswith("hwnas: warning: ") and "column 'samsung_a50'" in err[0] and "0 ms read as" in err[0]
    assert json.loads((tmp_path / "out.json").read_text())["seeds"][0]["true_latency_ms"] > 0


@pytest.mark.parametrize("args, message", [
    (["--device", "no_such_device"], "no_such_device"),
    (["--strategy", "annealing"], "unknown strategy"),
    (["--budget-quantile", "1.5"], "budget-quantile"),
    (["--accuracy-column", "nope"], "nope"),
])
def test_bench_search_bad_input_is_one_line(tables, tmp_path, capsys, args, message):
    d, _, _ = tables
    base = {"--space": "nb201", "--accuracy-table": str(d / "acc.csv"), "--accuracy-column": "cifar10_test_acc",
            "--latency-table": str(d / "lat.csv"), "--device": DEVICE, "--budget-quantile": "0.5",
            "--accuracy-queries": "5", "--latency-shots": "3", "--strategy": "random", "--seeds": "1",
            "--json": str(tmp_path / "o.json")}
    base.update(dict(zip(args[::2], args[1::2])))
    assert main(["bench", "search", *sum(base.items(), ())]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]


def test_search_cli_on_tables_resumes(tables, tmp_path, capsys):
    d, acc, lat = tables
    args = ["search", "--space", "nb201", "--strategy", "nsga2", "--accuracy-table", str(d / "acc.csv"),
            "--accuracy-column", "cifar10_test_acc", "--latency-table", str(d / "pool.csv"), "--device", "pixel3",
            "--device", "1080ti_1", "--budget", "pixel3=8", "--budget", "1080ti_1=10", "--evals", "200",
            "--run-dir", str(tmp_path / "run"), "--report-budgets", "6,7"]
    assert main(args) == 0
    first = pd.read_csv(tmp_path / "run" / "history.csv")
    assert main(args) == 0  # resumes: nothing new to do, same history
    assert pd.read_csv(tmp_path / "run" / "history.csv").equals(first)
    ok = first[first["feasible"]]
    assert (ok["latency[pixel3]"] <= 8).all() and (ok["latency[1080ti_1]"] <= 10).all()
    assert set(first["accuracy_source"]) <= {"table"}
    doc = json.loads((tmp_path / "run" / "pareto.json").read_text())
    assert [b["budget"] for b in doc["best_per_budget"]] == [6.0, 7.0]
    assert main(args[:-2] + ["--budget", "9"]) == 2
    assert "DEVICE=VALUE" in capsys.readouterr().err


def test_measured_metric_recalibrates_a_surrogate(tables):
    """Another CPU's table column stands for a surrogate of gold_6240; measuring a few
    architectures (read from gold_6240's real column) recalibrates every other prediction."""
    _, _, lat = tables
    space = hwnas.get_space("nb201")
    archs = [space.parse(a) for a in lat["arch"]]
    genes = space.genes_array(archs)
    truth = TableMetric("t", space, archs, lat[DEVICE])
    surrogate = TableMetric("latency", space, archs, lat["silver_4114"], source="surrogate")
    m = MeasuredMetric(surrogate, lambda g: truth.evaluate(g).mean)
    before = np.median(np.abs(np.log(m.evaluate(genes).mean / lat[DEVICE].to_numpy())))
    rows = np.random.default_rng(0).choice(len(archs), 8, replace=False)
    m.measure(genes[rows])
    after_vals = m.evaluate(genes)
    after = np.median(np.abs(np.log(after_vals.mean / lat[DEVICE].to_numpy())))
    assert after < before / 2
    others = np.setdiff1d(np.arange(len(archs)), rows)
    assert set(after_vals.source[rows]) == {"measured"} and set(after_vals.source[others]) == {"surrogate"}
    assert np.allclose(after_vals.mean[rows], lat[DEVICE].to_numpy()[rows])


@pytest.fixture(scope="module")
def fbnet_tables(tmp_path_factory):
    """400 of the 5000 tabled FBNet networks (a space of 9^22): no FBNet accuracy is shared, so
    the test makes one column, rising with a device's latency, only to have something to rank."""
    lat = pd.read_csv(shared_file("fbnet", "latency_ms.csv"), nrows=400)
    rng = np.random.default_rng(0)
    d = tmp_path_factory.mktemp("fbnet")
    acc = 70 + 3 * np.log(lat["gold_6240"]) + rng.normal(0, 0.5, len(lat))
    pd.DataFrame({"arch": lat["arch"], "acc": acc}).to_csv(d / "acc.csv", index=False)
    lat.to_csv(d / "lat.csv", index=False)
    return d, lat


@pytest.mark.parametrize("strategy", hwnas.search.list_strategies())
def test_bench_search_moves_within_a_table_that_samples_its_space(fbnet_tables, strategy):
    d, lat = fbnet_tables
    r = bench_search("fbnet", d / "acc.csv", "acc", d / "lat.csv", "pixel3", 0.5, pool=d / "lat.csv",
                     accuracy_queries=20, latency_shots=4, strategy=strategy, seeds=1)
    (s,) = r["seeds"]
    assert s["accuracy_queries"] == 20  # proposals outside the table were mapped into it, none wasted
    assert s["arch"] in set(lat["arch"])


def test_nearest_rows_is_hamming_nearest_and_never_repeats():
    from hwnas.search import nearest_rows

    universe = np.array([[0, 0, 0], [1, 1, 1], [2, 2, 2], [0, 0, 1]])
    rows = nearest_rows(universe, np.array([[0, 0, 2], [0, 0, 2], [2, 2, 1]]), taken=np.array([True, False, False, False]))
    assert list(rows) == [3, 2, 1]  # [0,0,0] is taken; the second [0,0,2] cannot have row 3 again
    assert list(nearest_rows(universe[:1], np.array([[1, 1, 1], [0, 0, 0]]))) == [0, -1]


def test_search_cli_moves_within_a_table_that_samples_its_space(fbnet_tables, tmp_path):
    d, lat = fbnet_tables
    args = ["search", "--space", "fbnet", "--strategy", "evolution", "--accuracy-table", str(d / "acc.csv"),
            "--accuracy-column", "acc", "--latency-table", str(d / "lat.csv"), "--device", "pixel3",
            "--budget", f"pixel3={lat['pixel3'].median()}", "--evals", "300", "--run-dir", str(tmp_path / "run")]
    assert main(args) == 0
    history = pd.read_csv(tmp_path / "run" / "history.csv")
    assert len(history) > 250 and set(history["arch"]) <= set(lat["arch"])  # proposals landed on tabled networks
    assert history["feasible"].sum() > 50
    assert main(args) == 0  # resumes to the same history
    assert pd.read_csv(tmp_path / "run" / "history.csv").equals(history)


def test_table_universe_is_what_every_table_knows(fbnet_tables):
    from hwnas.search._api import table_universe

    d, lat = fbnet_tables
    space = hwnas.get_space("fbnet")
    archs = [space.parse(a) for a in lat["arch"]]
    first = TableMetric("a", space, archs[:300], np.ones(300))
    second = TableMetric("b", space, archs[200:], np.ones(200))
    universe = table_universe(space, [first, second, None])
    assert sorted(space.format(space.make(g)) for g in universe) == sorted(lat["arch"][200:300])
    with pytest.raises(hwnas.ConfigError, match="share no architecture"):
        table_universe(space, [TableMetric("a", space, archs[:10], np.ones(10)),
                               TableMetric("b", space, archs[10:20], np.ones(10))])
    nb201 = hwnas.get_space("nb201")
    assert table_universe(nb201, [TableMetric("x", nb201, list(nb201.enumerate()), np.ones(nb201.size))]) is None
