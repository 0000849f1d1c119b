"""Bootstrap over models and the family permutation test, against explicit (slow) references."""

import numpy as np
import pandas as pd
import pytest
from tests._synthetic import latent_factor_matrix

from evalcorr.errors import EvalcorrError
from evalcorr.stats.correlation import correlation_matrix
from evalcorr.stats.resampling import (
    MAX_DRAW_VALUES, MAX_WORK, affordable_resamples, bootstrap_ci, bootstrap_correlations, family_permutation_test,
    group_codes, resample_counts)


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

# --- cluster (group) bootstrap ------------------------------------------------------------------

def _clustered_population(n_groups, size, rho=0.5, within=0.3, seed=0):
    """Two tasks whose scores are a group effect (correlated rho across tasks) plus small own noise."""
    rng = np.random.default_rng(seed)
    effect = rng.multivariate_normal([0, 0], [[1, rho], [rho, 1]], size=n_groups)
    group = np.repeat(np.arange(n_groups), size)
    scores = effect[group] + within * rng.normal(size=(n_groups * size, 2))
    models = pd.Index([f"m{i:05d}" for i in range(len(group))], name="model")
    wide = pd.DataFrame(scores, index=models, columns=["x", "y"])
    return wide, pd.Series([f"g{g}" for g in group], index=models)


def test_singleton_groups_reproduce_the_ordinary_bootstrap_draw_for_draw(synthetic):
    wide, _ = synthetic
    alone = pd.Series(wide.index.astype(str), index=wide.index)
    np.testing.assert_array_equal(bootstrap_correlations(wide, n_boot=9, seed=5, min_periods=20, groups=alone),
                                  bootstrap_correlations(wide, n_boot=9, seed=5, min_periods=20))


@pytest.mark.parametrize("method", ["pearson", "spearman"])
def test_cluster_resample_equals_the_correlation_of_the_materialised_resample(synthetic, method):
    wide, _ = synthetic
    groups = pd.Series(np.arange(len(wide)) // 4, index=wide.index)        # 20 groups of 4 models
    draws = bootstrap_correlations(wide, n_boot=6, seed=7, method=method, min_periods=20, batch_size=4, groups=groups)
    # Reference: draw the same groups, stack the rows of every drawn group (repeats included), correlate.
    rng = np.random.default_rng(7)
    picked = np.concatenate([rng.integers(0, 20, size=(size, 20)) for size in (4, 2)])
    for b in range(6):
        rows = np.concatenate([np.flatnonzero(groups.to_numpy() == g) for g in picked[b]])
        expected = wide.iloc[rows].reset_index(drop=True).corr(method=method, min_periods=20).to_numpy()
        np.testing.assert_allclose(draws[b], expected, atol=1e-12, rtol=0)


def test_resample_counts_count_each_drawn_group_for_every_member():
    codes = np.array([0, 0, 1, 2, 2, 2])
    counts = resample_counts(codes, 3, 500, np.random.default_rng(0))
    assert counts.shape == (500, 6)
    np.testing.assert_array_equal(counts[:, 0], counts[:, 1])        # members of one group move together
    np.testing.assert_array_equal(counts[:, 3], counts[:, 5])
    # Each resample draws 3 groups: the group counts sum to 3.
    np.testing.assert_array_equal(counts[:, [0, 2, 3]].sum(axis=1), 3)


def test_unlabelled_models_stand_alone():
    index = pd.Index(["a", "b", "c", "d"])
    codes, n_groups = group_codes(index, pd.Series({"a": "x", "b": "x"}))
    assert n_groups == 3 and codes[0] == codes[1] and len({codes[1], codes[2], codes[3]}) == 3


def test_groups_must_be_one_label_per_model():
    wide = pd.DataFrame({"x": [1.0, 2, 3], "y": [1.0, 3, 2]}, index=["a", "b", "c"])
    with pytest.raises(EvalcorrError, match="several groups"):
        bootstrap_correlations(wide, n_boot=2, min_periods=2, groups=pd.Series(["g", "h"], index=["a", "a"]))
    with pytest.raises(EvalcorrError, match="one group"):
        bootstrap_correlations(wide, n_boot=2, min_periods=2, groups=pd.Series("g", index=wide.index))
    with pytest.raises(EvalcorrError, match="Series"):
        bootstrap_correlations(wide, n_boot=2, min_periods=2, groups=["g", "h", "i"])


def test_cluster_bootstrap_covers_where_the_naive_bootstrap_does_not():
    # 30 lineages of 20 models each: the scores are mostly the lineage's. The target is the correlation
    # in the population of lineages, which a sample of 30 lineages pins down far less well than 600
    # independent models would. Coverage over 150 simulated samples (fixed seeds).
    rho, within = 0.5, 0.3
    truth = rho / (1 + within**2)
    covered = {"naive": 0, "cluster": 0}
    n_sim = 150
    for sim in range(n_sim):
        wide, groups = _clustered_population(30, 20, rho=rho, within=within, seed=sim)
        for label, g in (("naive", None), ("cluster", groups)):
            row = bootstrap_ci(wide, n_boot=300, seed=sim, min_periods=2, groups=g).iloc[0]
            covered[label] += row.ci_low <= truth <= row.ci_high
    naive, cluster = covered["naive"] / n_sim, covered["cluster"] / n_sim
    assert naive < 0.6            # the naive 95% interval misses most of the time
    assert cluster >= 0.85        # the cluster interval comes close to its nominal 95%


def test_subset_permutation_test_enumerates_every_subset():
    from itertools import combinations

    from evalcorr.stats.resampling import subset_permutation_test

    rng = np.random.default_rng(9)
    tasks = [f"r{i}" for i in range(3)] + [f"p{i}" for i in range(7)]
    x = rng.uniform(-1, 1, size=(10, 10))
    corr = pd.DataFrame((x + x.T) / 2, index=tasks, columns=tasks)
    reference, pool = tasks[:3], tasks[3:]
    result = subset_permutation_test(corr, reference, ["p1", "p4", "p5"], pool)
    null = [corr.loc[reference, list(s)].to_numpy().mean() for s in combinations(pool, 3)]
    observed = corr.loc[reference, ["p1", "p4", "p5"]].to_numpy().mean()
    assert result["exact"] and result["n_subsets"] == 35
    assert result["observed"] == pytest.approx(observed)
    assert result["null_mean"] == pytest.approx(np.mean(null))
    assert result["p"] == pytest.approx(np.mean(np.array(null) >= observed - 1e-12))
    # Sampling instead of enumerating approximates the same p.
    sampled = subset_permutation_test(corr, reference, ["p1", "p4", "p5"], pool, n_perm=20, seed=1)
    assert not sampled["exact"] and sampled["n_subsets"] == 20
    with pytest.raises(EvalcorrError, match="part of `pool`"):
        subset_permutation_test(corr, reference, ["r0"], pool)



def test_affordable_resamples_bounds_memory_and_work():
    assert affordable_resamples(1000, 100) == 1000                     # the 1,000 x 100 table gets them all
    assert affordable_resamples(50, 10) == 1000
    big = affordable_resamples(100, 300)                                 # 300 tasks: memory binds
    assert big == int(MAX_DRAW_VALUES / 300**2) // 50 * 50 == 250
    many = affordable_resamples(20000, 100)                              # 20,000 models: work binds
    assert many == int(MAX_WORK / (20000 * 100**2)) // 50 * 50 == 100
    assert affordable_resamples(10**6, 2000) == 100                      # never below the minimum
