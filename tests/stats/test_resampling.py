"""Bootstrap over models and the family permutation test, against explicit (slow) references."""

import numpy as np
import pandas as pd
import pytest
from tests._synthetic import latent_factor_matrix

from evalcorr.errors import EvalcorrError
from evalcorr.stats.correlation import correlation_matrix
from evalcorr.stats.resampling import bootstrap_ci, bootstrap_correlations, family_permutation_test


@pytest.fixture(scope="module")
def synthetic():
    return latent_factor_matrix(n_models=80, missing=0.1, seed=4)


@pytest.mark.parametrize("method", ["pearson", "spearman"])
def test_each_resample_equals_the_correlation_of_the_resampled_rows(synthetic, method):
    wide, _ = synthetic
    draws = bootstrap_correlations(wide, n_boot=7, seed=3, method=method, min_periods=20, batch_size=3)
    # Reference: draw the same model indices and correlate the materialised resample with pandas.
    rng = np.random.default_rng(3)
    indices = np.concatenate([rng.integers(0, len(wide), size=(size, len(wide))) for size in (3, 3, 1)])
    for b in range(7):
        resample = wide.iloc[indices[b]].reset_index(drop=True)
        expected = resample.corr(method=method, min_periods=20).to_numpy()
        np.testing.assert_allclose(draws[b], expected, atol=1e-10)


def test_batch_size_does_not_change_the_result(synthetic):
    wide, _ = synthetic
    np.testing.assert_allclose(bootstrap_correlations(wide, n_boot=10, batch_size=1),
                               bootstrap_correlations(wide, n_boot=10, batch_size=4), atol=1e-12)


def test_bootstrap_standard_error_matches_theory():
    # For bivariate normal data the standard error of r is about (1 - rho^2) / sqrt(n).
    rng = np.random.default_rng(0)
    n, rho = 400, 0.6
    x = rng.normal(size=n)
    y = rho * x + np.sqrt(1 - rho**2) * rng.normal(size=n)
    table = bootstrap_ci(pd.DataFrame({"x": x, "y": y}), n_boot=2000, seed=1)
    assert table.loc[0, "se"] == pytest.approx((1 - rho**2) / np.sqrt(n), rel=0.15)
    assert table.loc[0, "ci_low"] < rho < table.loc[0, "ci_high"]
    assert table.loc[0, "n_valid"] == 2000


def test_bootstrap_ci_is_the_percentile_interval_of_the_draws(synthetic):
    wide, _ = synthetic
    table = bootstrap_ci(wide, n_boot=200, ci=0.9, seed=2, min_periods=20)
    draws = bootstrap_correlations(wide, n_boot=200, seed=2, min_periods=20)
    a, b = wide.columns.get_loc("a_1"), wide.columns.get_loc("c_2")
    row = table[(table.task_a == "a_1") & (table.task_b == "c_2")].iloc[0]
    assert row.ci_low == pytest.approx(np.quantile(draws[:, a, b], 0.05))
    assert row.ci_high == pytest.approx(np.quantile(draws[:, a, b], 0.95))
    assert row.se == pytest.approx(np.std(draws[:, a, b], ddof=1))


def _slow_permutation_difference(corr, families, rng):
    tasks = list(corr.columns)
    labels = rng.permutation(families.loc[tasks].to_numpy())
    within, between = [], []
    for i in range(len(tasks)):
        for j in range(i + 1, len(tasks)):
            (within if labels[i] == labels[j] else between).append(corr.iat[i, j])
    return np.mean(within) - np.mean(between)


def test_permutation_test_detects_block_structure():
    wide, families = latent_factor_matrix(n_models=400, seed=8)
    corr = correlation_matrix(wide)
    result = family_permutation_test(corr, families, n_perm=2000)
    upper = np.triu(np.ones(corr.shape, dtype=bool), 1)
    same = (families.to_numpy()[:, None] == families.to_numpy()[None, :]) & upper
    assert result["within"] == pytest.approx(corr.to_numpy()[same].mean())
    assert result["between"] == pytest.approx(corr.to_numpy()[upper & ~same].mean())
    assert result["difference"] == pytest.approx(result["within"] - result["between"])
    assert result["n_within_pairs"] == 6 + 3 + 3 and result["n_between_pairs"] == 45 - 12
    # Only permutations that reproduce the observed partition (1 in 2,100) reach the observed value.
    assert 1 / 2001 <= result["p"] <= 4 / 2001


def test_permutation_test_null_matches_a_slow_reference():
    # Without block structure the p-value is uniform-ish; compare against an explicit loop.
    wide, families = latent_factor_matrix(n_models=200, specific=0.0, seed=9)
    corr = correlation_matrix(wide)
    result = family_permutation_test(corr, families, n_perm=3000, seed=5)
    rng = np.random.default_rng(123)
    null = np.array([_slow_permutation_difference(corr, families, rng) for _ in range(3000)])
    slow_p = (1 + np.sum(null >= result["difference"])) / 3001
    assert result["p"] == pytest.approx(slow_p, abs=0.04)
    assert 0.02 < result["p"] < 0.98


def test_median_statistic_and_errors():
    wide, families = latent_factor_matrix(n_models=300, seed=10)
    corr = correlation_matrix(wide)
    result = family_permutation_test(corr, families, n_perm=500, statistic="median")
    upper = np.triu(np.ones(corr.shape, dtype=bool), 1)
    same = (families.to_numpy()[:, None] == families.to_numpy()[None, :]) & upper
    assert result["within"] == pytest.approx(np.median(corr.to_numpy()[same]))
    assert result["p"] < 0.01
    with pytest.raises(EvalcorrError, match="statistic"):
        family_permutation_test(corr, families, statistic="mode")
    with pytest.raises(EvalcorrError, match="within-family and between-family"):
        family_permutation_test(corr, families.map(lambda f: "one"))
    with pytest.raises(EvalcorrError, match="n_boot"):
        bootstrap_correlations(wide, n_boot=0)


def test_bootstrap_ci_needs_enough_resamples():
    wide, _ = latent_factor_matrix(n_models=60, seed=1)
    with pytest.raises(EvalcorrError, match=r"`n_boot` must be at least 100 for a percentile interval, got 1"):
        bootstrap_ci(wide, n_boot=1)
