"""Pairwise-complete correlations against scipy.stats, pair by pair, on data with missing values."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from tests._synthetic import latent_factor_matrix

from evalcorr.errors import EvalcorrError
from evalcorr.stats.correlation import (PAIR_COLUMNS, correlation_matrix, correlation_pairs, fisher_ci, pair_values,
                                        t_test_p)

SCIPY = {"pearson": stats.pearsonr, "spearman": stats.spearmanr, "kendall": stats.kendalltau}


@pytest.fixture(scope="module")
def synthetic():
    wide, families = latent_factor_matrix(n_models=120, missing=0.15, seed=7)
    # Ties (as on real benchmarks, where scores are k / n_items) and a sparse task.
    wide["a_0"] = wide["a_0"].round(1)
    wide["sparse"] = wide["c_0"].where(np.arange(len(wide)) < 25)
    families["sparse"] = "C"
    return wide, families


@pytest.mark.parametrize("method", ["pearson", "spearman", "kendall"])
def test_every_pair_matches_scipy(synthetic, method):
    wide, families = synthetic
    pairs = correlation_pairs(wide, method=method, min_periods=10, families=families)
    assert len(pairs) == wide.shape[1] * (wide.shape[1] - 1) // 2
    for row in pairs.itertuples():
        both = wide[[row.task_a, row.task_b]].dropna()
        assert row.n == len(both)
        expected = SCIPY[method](both.iloc[:, 0], both.iloc[:, 1])
        assert row.r == pytest.approx(expected.statistic, abs=1e-12)
        assert row.p == pytest.approx(expected.pvalue, rel=1e-6, abs=1e-300)


@pytest.mark.parametrize("method", ["pearson", "spearman", "kendall"])
def test_matrix_matches_pandas_and_is_symmetric(synthetic, method):
    wide, _ = synthetic
    corr = correlation_matrix(wide, method=method, min_periods=30)
    expected = wide.corr(method=method, min_periods=30)
    np.testing.assert_allclose(corr.to_numpy(), expected.to_numpy(), atol=1e-12)
    np.testing.assert_array_equal(corr.to_numpy(), corr.to_numpy().T)
    assert list(corr.index) == list(corr.columns) == list(wide.columns)
    # The sparse task has 25 models at most: all its entries, diagonal included, are NaN.
    assert corr["sparse"].isna().all()
    assert np.all(np.diag(corr.drop(index="sparse", columns="sparse")) == 1.0)


def test_min_periods_blanks_thin_pairs_but_keeps_their_n(synthetic):
    wide, families = synthetic
    pairs = correlation_pairs(wide, min_periods=30, families=families)
    thin = pairs["n"] < 30
    assert thin.any() and (~thin).any()
    assert pairs.loc[thin, ["r", "ci_low", "ci_high", "p"]].isna().all().all()
    assert pairs.loc[~thin, ["r", "ci_low", "ci_high", "p"]].notna().all().all()


def test_fisher_interval_matches_scipy_pearsonr(synthetic):
    wide, _ = synthetic
    pairs = correlation_pairs(wide, min_periods=10, ci=0.9)
    for row in pairs.itertuples():
        both = wide[[row.task_a, row.task_b]].dropna()
        reference = stats.pearsonr(both.iloc[:, 0], both.iloc[:, 1]).confidence_interval(0.9)
        assert (row.ci_low, row.ci_high) == pytest.approx((reference.low, reference.high), abs=1e-10)


def test_rank_intervals_are_wider_than_pearson_for_the_same_r():
    low_p, high_p = fisher_ci(np.array([0.5]), np.array([50.0]), "pearson")
    low_s, high_s = fisher_ci(np.array([0.5]), np.array([50.0]), "spearman")
    assert low_s < low_p < 0.5 < high_p < high_s


def test_families_and_columns(synthetic):
    wide, families = synthetic
    pairs = correlation_pairs(wide, families=families)
    assert list(pairs.columns) == PAIR_COLUMNS
    row = pairs[(pairs.task_a == "a_0") & (pairs.task_b == "a_1")].iloc[0]
    assert row.family_a == row.family_b == "A" and row.same_family
    assert not pairs[(pairs.task_a == "a_0") & (pairs.task_b == "b_0")].iloc[0].same_family
    # The families table layout (task, family columns) works as well as a Series.
    table = families.rename_axis("task").reset_index()
    pd.testing.assert_frame_equal(correlation_pairs(wide, families=table), pairs)
    # Without families the columns exist and are missing.
    assert correlation_pairs(wide)["same_family"].isna().all()


def test_within_family_correlations_exceed_between_on_the_latent_structure():
    wide, families = latent_factor_matrix(n_models=500, seed=11)
    pairs = correlation_pairs(wide, families=families)
    within = pairs.loc[pairs.same_family, "r"]
    between = pairs.loc[~pairs.same_family, "r"]
    # Population values: within (0.36 + 0.36) / 0.97 = 0.74, between 0.36 / 0.97 = 0.37.
    assert within.mean() == pytest.approx(0.742, abs=0.05)
    assert between.mean() == pytest.approx(0.371, abs=0.05)


def test_bootstrap_interval_contains_r_and_is_reproducible(synthetic):
    wide, _ = synthetic
    wide = wide.drop(columns="sparse")
    boot = correlation_pairs(wide, n_boot=300, seed=1)
    again = correlation_pairs(wide, n_boot=300, seed=1)
    pd.testing.assert_frame_equal(boot, again)
    assert ((boot.ci_low <= boot.r) & (boot.r <= boot.ci_high)).all()
    fisher = correlation_pairs(wide)
    # Percentile and Fisher intervals agree roughly on well-behaved data.
    np.testing.assert_allclose(boot.ci_high - boot.ci_low, fisher.ci_high - fisher.ci_low, rtol=0.35)


def test_constant_task_gives_nan_not_an_error():
    wide, _ = latent_factor_matrix(n_models=60)
    wide["flat"] = 0.5
    corr = correlation_matrix(wide)
    assert corr["flat"].isna().all()
    assert corr.drop(index="flat", columns="flat").notna().all().all()


def test_clear_errors():
    wide, families = latent_factor_matrix(n_models=40)
    with pytest.raises(EvalcorrError, match="unknown correlation method 'pearsn'"):
        correlation_matrix(wide, method="pearsn")
    with pytest.raises(EvalcorrError, match="no family for tasks"):
        correlation_pairs(wide, families=families.drop("a_0"))
    with pytest.raises(EvalcorrError, match="DataFrame"):
        correlation_matrix(wide.to_numpy())
    with pytest.raises(EvalcorrError, match="numeric"):
        correlation_matrix(wide.assign(a_0="x"))


def test_pair_values_looks_up_either_order():
    wide, families = latent_factor_matrix(n_models=60)
    pairs = correlation_pairs(wide, families=families)
    r = pair_values(pairs)
    assert len(r) == len(pairs)
    first = pairs.iloc[0]
    assert r[first.task_a, first.task_b] == r[first.task_b, first.task_a] == first.r
    assert pair_values(pairs, "n")[first.task_b, first.task_a] == first.n
    with pytest.raises(KeyError, match="no pair"):
        r["a_0", "nope"]
    with pytest.raises(EvalcorrError, match="lacks columns"):
        pair_values(pairs, "rho")


@pytest.mark.parametrize("n", [2, 3, 4, 5, 8, 30])
@pytest.mark.parametrize("method", ["pearson", "spearman"])
def test_t_test_p_matches_scipy_at_every_n(n, method):
    rng = np.random.default_rng(n)
    for x, y in [(rng.normal(size=n), rng.normal(size=n)), (np.arange(n), 2 * np.arange(n) + 1),
                 (np.arange(n), -np.arange(n))]:
        expected = SCIPY[method](x, y)
        r = np.array([expected.statistic])
        p = t_test_p(r, np.array([n]), method)[0]
        if np.isnan(expected.pvalue):
            assert np.isnan(p)
        else:
            assert p == pytest.approx(expected.pvalue, rel=1e-6, abs=1e-12), (n, method, r)


def test_correlations_need_at_least_three_models():
    wide = pd.DataFrame({"a": [0.1, 0.5, 0.3, 0.9], "b": [0.2, 0.4, 0.1, 0.8]})
    for call in (correlation_pairs, correlation_matrix):
        with pytest.raises(EvalcorrError, match=r"min_periods=2 is below 3, the fewest models a correlation can be "
                                                r"tested on \(with 2 every r is \+-1\)"):
            call(wide, min_periods=2)
    pairs = correlation_pairs(wide, min_periods=3)
    expected = stats.pearsonr(wide["a"], wide["b"])
    assert pairs.loc[0, "r"] == pytest.approx(expected.statistic)
    assert pairs.loc[0, "p"] == pytest.approx(expected.pvalue)


@pytest.mark.parametrize("n_boot", [1, 2, 99])
def test_a_bootstrap_interval_needs_enough_resamples(synthetic, n_boot):
    wide, _ = synthetic
    with pytest.raises(EvalcorrError, match=r"`n_boot` must be at least 100 for a percentile interval"):
        correlation_pairs(wide, n_boot=n_boot)
