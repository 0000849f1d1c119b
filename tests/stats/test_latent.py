"""Tests of evalcorr.stats.latent: PCA of transfer matrices, factor analysis, comparing task structures."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.decomposition import FactorAnalysis

from evalcorr.stats.latent import (LatentError, compare_structures, components_table, effect_correlations,
                             factor_analysis, fill_diagonal, sft_runs, transfer_pca)

TASKS = ["a", "b", "c", "d", "e"]


@pytest.fixture
def matrix():
    rng = np.random.default_rng(1)
    values = rng.normal(size=(5, 5))
    values[np.arange(5), np.arange(5)] = 9.0     # a large self-transfer diagonal
    return pd.DataFrame(values, index=TASKS, columns=TASKS)


def test_fill_diagonal_touches_only_self_cells(matrix):
    filled = fill_diagonal(matrix, 0.0)
    assert (np.diag(filled) == 0).all()
    mask = ~np.eye(5, dtype=bool)
    np.testing.assert_array_equal(filled.to_numpy()[mask], matrix.to_numpy()[mask])
    assert (np.diag(matrix) == 9.0).all()        # input untouched


def test_transfer_pca_matches_covariance_eigendecomposition(matrix):
    result = transfer_pca(matrix)
    x = fill_diagonal(matrix).to_numpy()
    eig = np.sort(np.linalg.eigvalsh(np.cov(x, rowvar=False)))[::-1]
    np.testing.assert_allclose(result.explained_variance.to_numpy(), eig[:4], rtol=1e-10)
    assert list(result.loadings.index) == TASKS          # evaluated tasks carry the loadings
    assert list(result.scores.index) == TASKS            # training tasks carry the scores
    z = x - x.mean(axis=0)
    np.testing.assert_allclose(result.scores.to_numpy(), z @ result.loadings.to_numpy(), atol=1e-10)


def test_transfer_pca_keeps_rows_with_an_empty_diagonal(matrix):
    empty = matrix.copy()
    for t in TASKS:
        empty.loc[t, t] = np.nan
    assert transfer_pca(empty).n_models == 5


def test_components_table_lists_the_extreme_loadings(matrix):
    result = transfer_pca(matrix)
    table = components_table(result, n=2, top=1)
    assert list(table["component"]) == ["PC1", "PC2"]
    top = result.loadings["PC1"].idxmax()
    assert table.loc[0, "positive"].startswith(f"{top} (")
    assert table.loc[0, "variance_ratio"] == pytest.approx(result.explained_variance_ratio["PC1"])


def two_factor_data(n=600, seed=0):
    rng = np.random.default_rng(seed)
    f = rng.normal(size=(n, 2))
    load = np.array([[0.9, 0], [0.8, 0], [0.85, 0], [0, 0.9], [0, 0.8], [0, 0.7]])
    x = f @ load.T + rng.normal(scale=0.4, size=(n, 6))
    return pd.DataFrame(x, columns=list("uvwxyz"))


def test_factor_analysis_recovers_two_blocks_and_matches_sklearn():
    data = two_factor_data()
    loadings = factor_analysis(data, 2)
    big = loadings[["F1", "F2"]].abs().idxmax(axis=1)
    assert big["u"] == big["v"] == big["w"] != big["x"] == big["y"] == big["z"]
    z = (data - data.mean()) / data.std(ddof=0)
    ref = FactorAnalysis(n_components=2, rotation="varimax", svd_method="lapack", random_state=0).fit(z.to_numpy())
    np.testing.assert_allclose(np.sort(np.abs(loadings[["F1", "F2"]].to_numpy()).ravel()),
                               np.sort(np.abs(ref.components_.T).ravel()), rtol=1e-8)
    np.testing.assert_allclose(loadings["uniqueness"], ref.noise_variance_)


def test_factor_analysis_refuses_too_few_rows():
    with pytest.raises(LatentError, match="needs many more observations"):
        factor_analysis(two_factor_data(n=20), 2)


def _corr(values, names):
    return pd.DataFrame(values, index=names, columns=names)


def test_compare_structures_identical_and_unrelated():
    data = two_factor_data()
    corr = data.corr()
    same = compare_structures(corr, corr, n_clusters=2, n_perm=199).iloc[0]
    assert same["cophenetic_r"] == pytest.approx(1.0)
    assert same["ari"] == pytest.approx(1.0)
    assert same["mantel_r"] == pytest.approx(1.0)
    assert same["mantel_p"] == pytest.approx(1 / 200)
    shuffled = corr.loc[list("uxvywz"), list("uxvywz")]
    shuffled = _corr(shuffled.to_numpy(), list("uvwxyz"))       # same values, labels swapped
    other = compare_structures(corr, shuffled, n_clusters=2, n_perm=199).iloc[0]
    upper = np.triu_indices(6, 1)
    expected = np.corrcoef(corr.to_numpy()[upper], shuffled.to_numpy()[upper])[0, 1]
    assert other["mantel_r"] == pytest.approx(expected)
    assert other["ari"] < 0.5


def sft_long():
    rows = []
    rng = np.random.default_rng(3)
    for model in ("m1", "m2"):
        base = {"b1": 10.0, "b2": 20.0, "b3": 30.0, "empty": np.nan}
        for bench, value in base.items():
            rows.append(dict(source="massive-sft", model=model, setting="default", train_task=None,
                             eval_task=bench, stage="pretrain", metric="score", value=value))
        for data in ("d1", "d2", "d3", "d4"):
            shift = rng.normal(size=1)[0]
            for bench, value in base.items():
                rows.append(dict(source="massive-sft", model=model, setting="s", train_task=data,
                                 eval_task=bench, stage="sft", metric="score",
                                 value=value + shift * (1 if bench != "b3" else -1)))
    return pd.DataFrame(rows)


def test_sft_runs_drops_sparse_benchmarks():
    wide = sft_runs(sft_long())
    assert list(wide.columns) == ["b1", "b2", "b3"]
    assert len(wide) == 10                               # 2 pretrain + 8 sft runs


def test_effect_correlations_follow_the_sign_of_the_effects():
    from evalcorr.stats.transfer import sft_effects
    corr = effect_correlations(sft_effects(sft_long(), "s"))
    assert corr.at["b1", "b2"] == pytest.approx(1.0)
    assert corr.at["b1", "b3"] == pytest.approx(-1.0)


def test_between_group_share_is_eta_squared():
    from scipy import stats

    from evalcorr.stats.latent import between_group_share

    rng = np.random.default_rng(0)
    index = pd.MultiIndex.from_product([["m1", "m2", "m3"], range(10)], names=["model", "run"])
    data = pd.DataFrame({"x": np.repeat([0.0, 1.0, 3.0], 10) + rng.normal(size=30),
                         "y": rng.normal(size=30)}, index=index)
    share = between_group_share(data)
    groups = [data.loc[m, "x"].to_numpy() for m in ("m1", "m2", "m3")]
    f = stats.f_oneway(*groups).statistic
    # eta^2 = F (k-1) / (F (k-1) + N - k)
    assert share["x"] == pytest.approx(f * 2 / (f * 2 + 27))
    assert 0 <= share["y"] < share["x"] <= 1


def test_effect_table_holds_what_effect_correlations_correlate():
    from evalcorr.stats.latent import effect_table
    from evalcorr.stats.transfer import sft_effects

    effects = sft_effects(sft_long(), "s")
    table = effect_table(effects)
    assert table.index.names == ["model", "train_task"] and table.notna().all().all()
    assert np.allclose(table.corr().to_numpy(), effect_correlations(effects).to_numpy())
