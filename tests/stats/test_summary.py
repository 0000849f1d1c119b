"""correlation_summary on hand-made pairs tables and on a correlation_pairs result."""

import numpy as np
import pandas as pd
import pytest
from tests._synthetic import latent_factor_matrix

from evalcorr.errors import EvalcorrError
from evalcorr.stats.correlation import correlation_pairs
from evalcorr.stats.summary import (
    INTERVAL_FIELDS, SUMMARY_FIELDS, correlation_summary, interval_summary, mean_cross_correlation, summarise_pairs,
)


def test_by_hand():
    pairs = pd.DataFrame({
        "r": [0.9, 0.7, -0.1, 0.3, 0.2, np.nan],
        "p": [0.001, 0.01, 0.5, 0.04, 0.2, np.nan],
        "same_family": pd.array([True, True, False, False, False, True], dtype="boolean"),
    })
    s = correlation_summary(pairs)
    assert list(s.index) == list(SUMMARY_FIELDS)
    assert s["n_pairs"] == 5                      # the NaN pair is ignored
    assert s["share_positive"] == pytest.approx(4 / 5)
    assert s["share_significant"] == pytest.approx(3 / 5)
    assert s["median_r"] == pytest.approx(0.3)
    assert s["n_within"] == 2 and s["n_between"] == 3
    assert s["median_within"] == pytest.approx(0.8)
    assert s["median_between"] == pytest.approx(0.2)
    assert s["median_difference"] == pytest.approx(0.6)
    assert s["mean_between"] == pytest.approx(0.4 / 3)
    assert s["min_r"] == -0.1 and s["max_r"] == 0.9


def test_on_correlation_pairs_with_and_without_families():
    wide, families = latent_factor_matrix(n_models=300, seed=21)
    pairs = correlation_pairs(wide, families=families)
    s = correlation_summary(pairs)
    assert s["n_pairs"] == 45 and s["n_within"] == 12 and s["n_between"] == 33
    assert s["median_within"] == pytest.approx(pairs.loc[pairs.same_family, "r"].median())
    assert s["median_within"] > s["median_between"] > 0
    assert s["share_positive"] == 1.0
    plain = correlation_summary(correlation_pairs(wide))
    assert np.isnan(plain["median_within"]) and plain["n_within"] == 0
    assert plain["median_r"] == s["median_r"]


def test_summarise_pairs_reads_arrays_as_the_table():
    r = np.array([0.9, 0.7, -0.1, 0.3, 0.2, np.nan, 0.5])
    p = np.array([0.001, 0.01, 0.5, 0.04, 0.2, np.nan, 0.03])
    same = np.array([1, 1, 0, 0, np.nan, 1, np.nan])       # NaN: a family unknown, neither within nor between
    s = summarise_pairs(r, same, p)
    assert s["n_pairs"] == 6                              # the NaN r is left out
    assert s["n_within"] == 2 and s["n_between"] == 2
    assert s["median_within"] == pytest.approx(0.8) and s["median_between"] == pytest.approx(0.1)
    assert s["share_significant"] == pytest.approx(4 / 6)
    assert s["median_r"] == pytest.approx(0.4)
    assert np.isnan(summarise_pairs(r, same)["share_significant"])     # no p given
    table = pd.DataFrame({"r": r, "p": p, "same_family": pd.array([True, True, False, False, pd.NA, True, pd.NA],
                                                                  dtype="boolean")})
    pd.testing.assert_series_equal(s, correlation_summary(table))
    with pytest.raises(EvalcorrError, match="one entry per pair"):
        summarise_pairs(r, same[:-1])


def test_errors():
    with pytest.raises(EvalcorrError, match="same_family"):
        correlation_summary(pd.DataFrame({"r": [0.1]}))
    with pytest.raises(EvalcorrError, match="no pair with a finite r"):
        correlation_summary(pd.DataFrame({"r": [np.nan], "same_family": [True]}))


def test_mean_cross_correlation_skips_self_pairs_and_missing_tasks():
    corr = pd.DataFrame([[1.0, 0.5, 0.2], [0.5, 1.0, 0.4], [0.2, 0.4, 1.0]],
                        index=list("xyz"), columns=list("xyz"))
    assert mean_cross_correlation(corr, ["x"], ["y", "z", "absent"]) == pytest.approx(0.35)
    # overlapping sets: the diagonal (x with x) is not a pair
    assert mean_cross_correlation(corr, ["x", "y"], ["x", "y"]) == pytest.approx(0.5)
    assert np.isnan(mean_cross_correlation(corr, ["absent"], ["x"]))


def test_interval_summary_counts_intervals_against_zero():
    pairs = pd.DataFrame({"ci_low": [0.1, 0.2, -0.3, -0.5, np.nan], "ci_high": [0.5, 0.4, 0.1, -0.1, 0.2]})
    out = interval_summary(pairs)
    assert tuple(out.index) == INTERVAL_FIELDS
    assert out["n_pairs"] == 4
    assert (out["share_above_zero"], out["share_below_zero"], out["share_spanning_zero"]) == (0.5, 0.25, 0.25)
    assert out["median_width"] == pytest.approx(np.median([0.4, 0.2, 0.4, 0.4]))
    with pytest.raises(EvalcorrError, match="ci_low"):
        interval_summary(pairs.drop(columns="ci_low"))
