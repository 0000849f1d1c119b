"""Tests of evalcorr.stats.transfer_replicates: intervals over base models, settings and seeds."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import evalcorr
from evalcorr.stats.transfer_replicates import (dataset_intervals, effect_intervals, seed_signs, setting_intervals,
                                                t_interval)


def test_t_interval_matches_scipy():
    x = [1.0, 2.5, -0.5, 3.0, 0.2]
    mean, low, high, n = t_interval(x)
    ref = stats.ttest_1samp(x, 0).confidence_interval(0.95)
    assert (mean, low, high, n) == pytest.approx((np.mean(x), ref.low, ref.high, 5))
    assert np.isnan(t_interval([1.0])[1]) and t_interval([np.nan, 2.0])[3] == 1


def effects_frame():
    rows = []
    for model, shift in (("m1", 1.0), ("m2", 2.0), ("m3", 3.0), ("copy", 50.0)):
        for data, base in (("d1", 0.0), ("d2", 10.0)):
            for bench in ("b1", "b2"):
                rows.append({"model": model, "train_task": data, "eval_task": bench, "effect": base + shift})
    return pd.DataFrame(rows)


def test_effect_intervals_over_models_leave_out_the_excluded():
    table = effect_intervals(effects_frame(), exclude=["copy"]).set_index(["train_task", "eval_task"])
    row = table.loc[("d2", "b1")]
    ref = stats.ttest_1samp([11.0, 12.0, 13.0], 0).confidence_interval()
    assert (row["n"], row["mean"], row["ci_low"], row["ci_high"]) == pytest.approx((3, 12.0, ref.low, ref.high))
    assert not row["includes_zero"] and table.loc[("d1", "b1"), "includes_zero"] == (ref.low - 10 <= 0)
    per_dataset = dataset_intervals(effects_frame(), exclude=["copy"])
    assert list(per_dataset["train_task"]) == ["d1", "d2"] and (per_dataset["n"] == 3).all()


@pytest.fixture(scope="module")
def tw():
    return evalcorr.load_transfer("taskweb")


def test_seed_signs_are_binomial_sign_tests(tw):
    signs = seed_signs(tw)
    assert len(signs) == 7 * 441 and set(signs["n_seeds"]) == {8}
    for k in range(9):
        part = signs[signs["k_positive"] == k]
        if len(part):
            assert np.allclose(part["p_sign"], stats.binomtest(k, 8, 0.5).pvalue)
    called = signs[signs["direction"] != "within noise"]
    assert set(called["k_positive"]) <= {0, 8}                     # only 0/8 and 8/8 reach p < 0.05
    assert (signs.loc[signs["k_positive"] == 8, "direction"] == "positive").all()
    with pytest.raises(evalcorr.errors.EvalcorrError, match="multiples of 1/7"):
        seed_signs(tw, n_seeds=7)


def test_setting_intervals_average_to_the_released_all_matrix(tw):
    table = setting_intervals(tw).set_index(["train_task", "eval_task"])
    released = tw[(tw["setting"] == "ALL") & (tw["metric"] == "pct_change")].set_index(["train_task", "eval_task"])
    assert len(table) == 441 and (table["n"] == 7).all()
    assert np.allclose(table["mean"], released["value"].reindex(table.index))
    assert ((table["ci_low"] <= table["mean"]) & (table["mean"] <= table["ci_high"])).all()


def test_conflicting_pairs_need_both_directions_beyond_noise():
    from evalcorr.stats.transfer_replicates import conflicting_pairs

    signs = pd.DataFrame({"setting": ["s1", "s2", "s1", "s2", "s3"],
                          "train_task": ["a", "a", "b", "b", "b"], "eval_task": ["x", "x", "y", "y", "y"],
                          "direction": ["positive", "negative", "positive", "within noise", "positive"]})
    out = conflicting_pairs(signs)
    assert len(out) == 1 and out.iloc[0]["positive"] == ["s1"] and out.iloc[0]["negative"] == ["s2"]
