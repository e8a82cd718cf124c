"""``architectures_in_band``: networks spread over a band of predicted latency, even one that random
sampling never reaches (a fast machine's budget)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import hwnas
from hwnas.pipeline._sampling import architectures_in_band
from hwnas.predictors import create_predictor

from conftest import shared_file


@pytest.fixture(scope="module")
def fbnet_pixel3():
    """A real few-shot latency predictor for FBNet's pixel3 column (the other columns its pool)."""
    path = shared_file("fbnet", "latency_ms.csv")
    df = pd.read_csv(path)
    space = hwnas.get_space("fbnet")
    archs = [space.parse(a) for a in df["arch"].iloc[:20]]
    pred = create_predictor("latency", "fewshot", space, pool=str(path), exclude=["pixel3"])
    return space, pred.fit(archs, df["pixel3"].iloc[:20].to_numpy(float))


def test_a_band_below_every_random_network_is_reached_and_spread(fbnet_pixel3):
    space, pred = fbnet_pixel3
    fastest_random = float(pred.predict(space.sample_many(500, rng=1)).min())
    lo, hi = 0.6 * fastest_random, 0.9 * fastest_random
    archs = architectures_in_band(space, pred, lo, hi, 8, seed=3, walkers=60, steps=40)
    ms = pred.predict(archs)
    assert len(set(archs)) == 8 and np.all((ms >= lo) & (ms <= hi)), "walked into the band"
    assert np.all(np.diff(ms) > 0), "fastest first, no two alike"
    assert np.log(ms[-1] / ms[0]) > 0.5 * np.log(hi / lo), "spread over the band, not bunched"
    again = architectures_in_band(space, pred, lo, hi, 8, seed=3, walkers=60, steps=40)
    assert again == archs, "same seed, same networks"


def test_a_band_the_space_cannot_reach_gives_the_nearest(fbnet_pixel3):
    space, pred = fbnet_pixel3
    archs = architectures_in_band(space, pred, 1e-6, 2e-6, 5, seed=0, walkers=50, steps=20)
    ms = pred.predict(archs)
    assert len(set(archs)) == 5 and np.all(ms > 2e-6)
    others = pred.predict(space.sample_many(500, rng=2))
    assert ms.max() <= np.quantile(others, 0.05), "the nearest to the band: the fastest found"
