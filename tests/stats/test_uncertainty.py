"""Naive and cluster intervals side by side: estimates, draws against materialised resamples, design effects."""

import numpy as np
import pandas as pd
import pytest
from tests._synthetic import latent_factor_matrix

from evalcorr.errors import EvalcorrError
from evalcorr.stats.correlation import correlation_matrix
from evalcorr.stats.pca import principal_components
from evalcorr.stats.resampling import bootstrap_ci, family_permutation_test
from evalcorr.stats.uncertainty import NAIVE, complete_correlations, interval_comparison


@pytest.fixture(scope="module")
def planted():
    wide, families = latent_factor_matrix(n_models=240, missing=0.05, seed=11)
    groups = pd.Series(np.arange(len(wide)) // 6, index=wide.index)       # 40 groups of 6
    return wide, families, groups


def test_estimates_are_the_full_sample_statistics(planted):
    wide, families, groups = planted
    result = interval_comparison(wide, families, {"g": groups}, n_boot=100, min_periods=20,
                                 pca_tasks=list(wide.columns))
    stats = result.statistics.set_index(["grouping", "statistic"])
    test = family_permutation_test(correlation_matrix(wide, min_periods=20), families, n_perm=1)
    assert stats.loc[("g", "within - between"), "estimate"] == pytest.approx(test["difference"], abs=1e-12)
    pca = principal_components(wide)
    assert stats.loc[("g", "PC1 share"), "estimate"] == pytest.approx(pca.explained_variance_ratio["PC1"], abs=1e-12)
    assert stats.loc[("g", "PC1 share"), "n"] == pca.n_models


def test_naive_pair_intervals_are_the_ordinary_bootstrap(planted):
    wide, families, groups = planted
    result = interval_comparison(wide, families, {"g": groups}, n_boot=200, seed=3, min_periods=20)
    naive = result.pairs[result.pairs["grouping"] == NAIVE].reset_index(drop=True)
    reference = bootstrap_ci(wide, n_boot=200, seed=3, min_periods=20)
    np.testing.assert_allclose(naive[["ci_low", "ci_high", "se"]].to_numpy(),
                               reference[["ci_low", "ci_high", "se"]].to_numpy(), atol=1e-12)
    assert (naive["design_effect"] == 1).all()
    np.testing.assert_allclose(naive["n_eff"], naive["n"])


def test_complete_correlations_equal_the_materialised_resample():
    rng = np.random.default_rng(2)
    values = rng.normal(size=(50, 5))
    counts = rng.multinomial(50, np.full(50, 1 / 50), size=4)
    r = complete_correlations(values, counts)
    for b in range(4):
        expected = np.corrcoef(np.repeat(values, counts[b], axis=0), rowvar=False)
        np.testing.assert_allclose(r[b], expected, atol=1e-12, rtol=0)


def test_exact_copies_give_a_design_effect_of_the_copy_count():
    # 60 independent models, each uploaded 5 times: the naive bootstrap sees 300 models, the
    # information is that of 60. Closed form: design effect = 5, effective n = 60.
    base, families = latent_factor_matrix(n_models=60, seed=5)
    wide = pd.concat([base.set_axis([f"{m}-copy{c}" for m in base.index], axis=0) for c in range(5)])
    groups = pd.Series([name.split("-copy")[0] for name in wide.index], index=wide.index)
    result = interval_comparison(wide, families, {"lineage": groups}, n_boot=2000, min_periods=20)
    summary = result.summary.set_index("grouping")
    assert summary.loc["lineage", "n_groups"] == 60 and summary.loc["lineage", "largest_group"] == 5
    assert summary.loc["lineage", "median_design_effect"] == pytest.approx(5, rel=0.15)
    assert summary.loc["lineage", "median_n_eff"] == pytest.approx(60, rel=0.15)
    assert summary.loc["lineage", "width_ratio"] == pytest.approx(np.sqrt(5), rel=0.1)
    stats = result.statistics.set_index(["grouping", "statistic"])
    assert stats.loc[("lineage", "PC1 share"), "design_effect"] == pytest.approx(5, rel=0.25)


def test_bad_groupings_are_named(planted):
    wide, families, _ = planted
    with pytest.raises(EvalcorrError, match="one group"):
        interval_comparison(wide, families, {"all": pd.Series(0, index=wide.index)}, n_boot=100)
    with pytest.raises(EvalcorrError, match="pca_tasks"):
        interval_comparison(wide, families, {}, n_boot=100, pca_tasks=["nope"])
    with pytest.raises(EvalcorrError, match="within- and between-family"):
        interval_comparison(wide, pd.Series("F", index=wide.columns), {}, n_boot=100)
    with pytest.raises(EvalcorrError, match="at least 100"):
        interval_comparison(wide, families, {}, n_boot=50)
