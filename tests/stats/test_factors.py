"""Tests of evalcorr.stats.factors: scree, parallel analysis, varimax, bootstrap congruence."""

import numpy as np
import pandas as pd
import pytest
# sklearn implements the same SVD algorithm for FactorAnalysis(rotation="varimax"); its rotation
# routine is private, but the version is pinned in pyproject.toml.
from sklearn.decomposition._factor_analysis import _ortho_rotation

from evalcorr.errors import EvalcorrError
from evalcorr.stats.factors import (
    bootstrap_congruence, congruence_summary, factor_count_stability, factor_loadings, factor_variance,
    match_factors,
    parallel_analysis, scree, top_loadings, tucker_congruence, varimax, varimax_criterion,
)


def k_factor_data(k=3, per_factor=5, n=500, loading=0.7, seed=0):
    """n models x (k * per_factor) tasks; each block of tasks loads on one of k independent factors."""
    rng = np.random.default_rng(seed)
    factors = rng.normal(size=(n, k))
    pattern = np.kron(np.eye(k), np.ones((1, per_factor))) * loading
    data = factors @ pattern + rng.normal(scale=np.sqrt(1 - loading**2), size=(n, k * per_factor))
    columns = [f"t{j}_{i}" for j in range(k) for i in range(per_factor)]
    return pd.DataFrame(data, columns=columns, index=[f"m{i}" for i in range(n)])


def test_scree_is_the_eigenvalues_of_the_correlation_matrix():
    wide = k_factor_data()
    wide.iloc[0, 0] = np.nan
    table = scree(wide)
    complete = wide.dropna()
    expected = np.sort(np.linalg.eigvalsh(np.corrcoef(complete.to_numpy().T)))[::-1]
    np.testing.assert_allclose(table["eigenvalue"], expected, rtol=1e-10)
    assert table["variance_ratio"].sum() == pytest.approx(1.0)
    assert table["cumulative"].iloc[-1] == pytest.approx(1.0)
    assert (table["n"] == len(complete)).all()


@pytest.mark.parametrize("k", [1, 2, 3, 4])
def test_parallel_analysis_recovers_the_number_of_factors(k):
    result = parallel_analysis(k_factor_data(k=k, seed=k), n_iter=50)
    assert result.n_factors == k
    assert result.table["retained"].sum() == k
    assert result.n_models == 500 and result.n_tasks == 5 * k


def test_parallel_analysis_on_pure_noise_keeps_no_factor_and_is_seeded():
    noise = pd.DataFrame(np.random.default_rng(9).normal(size=(300, 12)))
    result = parallel_analysis(noise, n_iter=200, quantile=0.99)
    assert result.n_factors == 0
    again = parallel_analysis(noise, n_iter=200, quantile=0.99)
    pd.testing.assert_frame_equal(result.table, again.table)
    with pytest.raises(EvalcorrError, match="quantile"):
        parallel_analysis(noise, quantile=95)


def test_parallel_analysis_thresholds_are_those_of_each_random_data_set_in_turn():
    """The batched eigenvalues against numpy's correlation matrix of one random data set at a time
    (the same draws: each data set is the next n x k standard normals of the seed's stream)."""
    noise = pd.DataFrame(np.random.default_rng(9).normal(size=(300, 12)))
    result = parallel_analysis(noise, n_iter=40, quantile=0.9, seed=5)
    rng = np.random.default_rng(5)
    random = np.array([np.linalg.eigvalsh(np.corrcoef(rng.standard_normal((300, 12)).T))[::-1] for _ in range(40)])
    assert np.allclose(result.table["random_mean"], random.mean(axis=0), rtol=0, atol=1e-12)
    assert np.allclose(result.table["random_quantile"], np.quantile(random, 0.9, axis=0), rtol=0, atol=1e-12)


def test_varimax_matches_sklearn_and_raises_the_criterion():
    raw = np.random.default_rng(2).normal(size=(12, 3))
    rotated, rotation = varimax(raw, tol=1e-6, max_iter=100)
    reference = _ortho_rotation(raw, method="varimax", tol=1e-6, max_iter=100).T
    np.testing.assert_allclose(rotated, reference, atol=1e-10)
    np.testing.assert_allclose(rotation.T @ rotation, np.eye(3), atol=1e-12)
    np.testing.assert_allclose((rotated**2).sum(axis=1), (raw**2).sum(axis=1))  # communalities kept
    assert varimax_criterion(rotated) > varimax_criterion(raw)


def test_varimax_recovers_simple_structure_hidden_by_a_rotation():
    simple = np.kron(np.eye(3), np.ones((4, 1))) * 0.8
    angle = 0.6
    c, s = np.cos(angle), np.sin(angle)
    mixing = np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]]) @ np.array([[1, 0, 0], [0, c, -s], [0, s, c]])
    rotated, _ = varimax(simple @ mixing)
    aligned, phi = match_factors(simple, rotated)
    np.testing.assert_allclose(aligned, simple, atol=1e-4)
    np.testing.assert_allclose(phi, 1.0, atol=1e-8)


def test_varimax_with_kaiser_normalisation_keeps_dataframe_labels():
    raw = pd.DataFrame(np.random.default_rng(4).normal(size=(8, 2)), index=list("abcdefgh"), columns=["x", "y"])
    rotated, rotation = varimax(raw, normalize=True)
    assert list(rotated.index) == list("abcdefgh")
    np.testing.assert_allclose((rotated.to_numpy() ** 2).sum(axis=1), (raw.to_numpy() ** 2).sum(axis=1))
    np.testing.assert_allclose(rotation @ rotation.T, np.eye(2), atol=1e-12)


def test_factor_loadings_find_the_blocks():
    wide = k_factor_data(k=3)
    loadings = factor_loadings(wide, 3)
    assert list(loadings.columns) == ["F1", "F2", "F3"]
    # every task loads mainly on one factor, and tasks of one block on the same factor
    main = loadings.abs().idxmax(axis=1)
    for j in range(3):
        assert main[[f"t{j}_{i}" for i in range(5)]].nunique() == 1
    assert main.nunique() == 3
    assert (loadings.abs().max(axis=1) > 0.6).all()
    variance = factor_variance(loadings)
    assert variance.is_monotonic_decreasing
    unrotated = factor_loadings(wide, 3, rotation=None)
    assert variance.sum() == pytest.approx(factor_variance(unrotated).sum())
    assert scree(wide)["variance_ratio"].iloc[:3].sum() == pytest.approx(variance.sum())


def test_tucker_congruence_closed_form():
    a = np.array([[1.0, 0.0], [1.0, 1.0], [0.0, 1.0]])
    phi = tucker_congruence(a, a)
    np.testing.assert_allclose(phi, [[1.0, 0.5], [0.5, 1.0]])
    np.testing.assert_allclose(tucker_congruence(a, -a).diagonal(), [-1.0, -1.0])


def test_match_factors_reorders_and_flips():
    reference = np.random.default_rng(1).normal(size=(10, 3))
    candidate = -reference[:, [2, 0, 1]] * [1, -1, 1]
    aligned, phi = match_factors(reference, candidate)
    np.testing.assert_allclose(aligned, reference)
    np.testing.assert_allclose(phi, 1.0)


def test_bootstrap_congruence_is_high_for_clear_structure_and_seeded():
    wide = k_factor_data(k=2, n=300)
    boot = bootstrap_congruence(wide, 2, n_boot=30, seed=1)
    assert len(boot) == 60 and set(boot["factor"]) == {"F1", "F2"}
    summary = congruence_summary(boot)
    assert (summary["median"] > 0.98).all()
    assert (summary["n_boot"] == 30).all()
    pd.testing.assert_frame_equal(boot, bootstrap_congruence(wide, 2, n_boot=30, seed=1))


def test_bootstrap_congruence_is_lower_for_a_factor_that_is_not_there():
    wide = k_factor_data(k=1, per_factor=8, n=150, seed=3)
    summary = congruence_summary(bootstrap_congruence(wide, 2, n_boot=40, rotation=None))
    assert summary.loc[0, "median"] > 0.99
    assert summary.loc[1, "median"] < 0.9  # the second component is noise: its pattern changes
    assert summary.loc[1, "share_ge_095"] < 0.5


def test_top_loadings_by_absolute_value():
    loadings = pd.DataFrame({"F1": [0.9, -0.95, 0.1], "F2": [0.2, 0.1, 0.7]}, index=["a", "b", "c"])
    top = top_loadings(loadings, k=2)
    assert top["task"].tolist() == ["b", "a", "c", "a"]
    assert top["loading"].tolist() == [-0.95, 0.9, 0.7, 0.2]
    assert top["rank"].tolist() == [1, 2, 1, 2]


def test_varimax_reproduces_sklearn_factor_analysis_rotation():
    """Public-API reference: rotating sklearn's unrotated FA loadings gives its varimax loadings."""
    from sklearn.decomposition import FactorAnalysis

    data = k_factor_data(k=3, n=400, seed=7).to_numpy()
    unrotated = FactorAnalysis(3, rotation=None, random_state=0).fit(data).components_.T
    reference = FactorAnalysis(3, rotation="varimax", random_state=0).fit(data).components_.T
    rotated, _ = varimax(unrotated, tol=1e-6, max_iter=100)
    np.testing.assert_allclose(rotated, reference, atol=1e-8)


def test_factor_count_stability_supports_a_clear_count():
    data = k_factor_data(k=3, n=400)
    parallel = parallel_analysis(data, n_iter=50)
    table = factor_count_stability(data, parallel, n_boot=60, seed=1)
    assert parallel.n_factors == 3
    assert list(table.columns) == ["n_factors", "count", "share"]
    assert table["count"].sum() == 60 and table["share"].sum() == pytest.approx(1.0)
    assert table.set_index("n_factors").loc[3, "share"] >= 0.95


def test_factor_count_stability_of_noise_is_mostly_zero():
    # thresholds from random data resampled like the data: bootstrap resamples of noise retain no
    # factor about 95% of the time (against plain thresholds they would exceed them far more often)
    rng = np.random.default_rng(4)
    noise = pd.DataFrame(rng.normal(size=(150, 8)))
    parallel = parallel_analysis(noise, n_iter=100)
    table = factor_count_stability(noise, parallel, n_boot=200, seed=2).set_index("n_factors")
    assert parallel.n_factors == 0
    assert table.loc[0, "share"] >= 0.85


def test_factor_count_stability_skips_resamples_with_a_constant_task():
    data = pd.DataFrame({"a": [0, 0, 0, 0, 1.0], "b": [1, 2, 3, 4, 5.0], "c": [2, 1, 4, 3, 5.0]})
    parallel = parallel_analysis(data, n_iter=20)
    table = factor_count_stability(data, parallel, n_boot=50, seed=0)
    assert 0 < table["count"].sum() < 50          # about (4/5)^5 = 33% of resamples lose the 1 in a
    with pytest.raises(EvalcorrError, match="n_boot"):
        factor_count_stability(data, parallel, n_boot=0)


def test_factor_count_stability_of_a_tiny_table_runs():
    rng = np.random.default_rng(0)
    tiny = pd.DataFrame(rng.normal(size=(4, 5)))              # resamples often repeat one model
    table = factor_count_stability(tiny, parallel_analysis(tiny, n_iter=100), n_boot=100, seed=3)
    assert 0 < table["count"].sum() <= 100 and table["share"].sum() == pytest.approx(1.0)
    with pytest.raises(EvalcorrError, match="2 models have every score"):
        factor_count_stability(tiny.iloc[:2], parallel_analysis(tiny, n_iter=10))
