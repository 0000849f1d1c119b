"""Partial correlations against the one-covariate closed form and a hand-residualised reference."""

import numpy as np
import pandas as pd
import pytest
from tests._synthetic import latent_factor_matrix

from evalcorr.errors import EvalcorrError
from evalcorr.stats.correlation import correlation_matrix
from evalcorr.stats.partial import (
    block_structure, block_survival, control_variable, partial_correlation_matrix, pc1_residual_balance, residualize)
from evalcorr.stats.pca import principal_components


def closed_form(wide, z):
    """r_ab.z = (r_ab - r_az r_bz) / sqrt((1 - r_az^2)(1 - r_bz^2)) for every pair."""
    full = wide.assign(_z=z).corr().to_numpy()
    r, rz = full[:-1, :-1], full[:-1, -1]
    with np.errstate(invalid="ignore", divide="ignore"):   # a task that is the control: 0 / 0
        out = (r - np.outer(rz, rz)) / np.sqrt(np.outer(1 - rz**2, 1 - rz**2))
    np.fill_diagonal(out, 1.0)
    return out


@pytest.mark.parametrize("control", ["pc1", "mean", "log-params"])
def test_matches_closed_form_on_complete_data(control):
    wide, _ = latent_factor_matrix(n_models=200, seed=12)
    rng = np.random.default_rng(0)
    params = pd.Series(10 ** rng.uniform(-1, 2, size=len(wide)), index=wide.index)
    partial = partial_correlation_matrix(wide, control=control, covariate=params)
    z = {"pc1": principal_components(wide).scores["PC1"], "mean": wide.mean(axis=1),
         "log-params": np.log10(params)}[control]
    np.testing.assert_allclose(partial.to_numpy(), closed_form(wide, z), atol=1e-10)


def test_matches_hand_residualised_reference_with_missing_scores():
    wide, _ = latent_factor_matrix(n_models=150, missing=0.1, seed=13)
    z = wide.mean(axis=1)
    residuals = {}
    for task in wide.columns:
        both = pd.DataFrame({"x": wide[task], "z": z}).dropna()
        design = np.column_stack([np.ones(len(both)), both["z"]])
        coef, *_ = np.linalg.lstsq(design, both["x"], rcond=None)
        residuals[task] = (both["x"] - design @ coef).reindex(wide.index)
    expected = pd.DataFrame(residuals).corr(min_periods=30)
    partial = partial_correlation_matrix(wide, control="mean")
    np.testing.assert_allclose(partial.to_numpy(), expected.to_numpy(), atol=1e-10)
    np.testing.assert_allclose(residualize(wide, z).to_numpy(), pd.DataFrame(residuals).to_numpy(), atol=1e-10)


def test_spearman_partial_is_the_pearson_partial_of_ranks():
    wide, _ = latent_factor_matrix(n_models=120, seed=14)
    wide = np.exp(wide)                      # monotone distortion: ranks unchanged
    partial = partial_correlation_matrix(wide, control="mean", method="spearman")
    expected = closed_form(wide.rank(), wide.mean(axis=1).rank())
    np.testing.assert_allclose(partial.to_numpy(), expected, atol=1e-10)


def test_removing_the_general_factor_leaves_the_family_blocks():
    wide, families = latent_factor_matrix(n_models=2000, general=1.0, specific=0.5, noise=0.5, seed=15)
    before = block_structure(correlation_matrix(wide), families).set_index("family")
    after = block_structure(partial_correlation_matrix(wide, control="pc1"), families).set_index("family")
    # Everything correlates before; after removing PC1, between-family r falls well below within-family r.
    assert before.loc["all", "mean_between"] > 0.5
    assert after.loc["all", "mean_between"] < 0.1
    assert after.loc["all", "mean_within"] > 0.2
    assert after.loc["all", "difference"] > 0.3


def test_block_structure_by_hand():
    tasks = ["a1", "a2", "b1", "b2", "c1"]
    families = pd.Series(["A", "A", "B", "B", "C"], index=tasks)
    r = np.array([
        [1.0, 0.9, 0.1, 0.3, 0.2],
        [0.9, 1.0, 0.2, 0.0, 0.4],
        [0.1, 0.2, 1.0, 0.7, np.nan],
        [0.3, 0.0, 0.7, 1.0, 0.5],
        [0.2, 0.4, np.nan, 0.5, 1.0],
    ])
    table = block_structure(pd.DataFrame(r, index=tasks, columns=tasks), families).set_index("family")
    assert list(table.index) == ["A", "B", "C", "all"]
    assert table.loc["A", "mean_within"] == pytest.approx(0.9)
    assert table.loc["A", "mean_between"] == pytest.approx(np.mean([0.1, 0.3, 0.2, 0.2, 0.0, 0.4]))
    assert np.isnan(table.loc["C", "mean_within"]) and table.loc["C", "n_within_pairs"] == 0
    assert table.loc["C", "mean_between"] == pytest.approx(np.mean([0.2, 0.4, 0.5]))
    assert table.loc["all", "mean_within"] == pytest.approx(0.8)
    assert table.loc["all", "mean_between"] == pytest.approx(np.mean([0.1, 0.3, 0.2, 0.2, 0.0, 0.4, 0.5]))
    assert table.loc["all", "difference"] == pytest.approx(0.8 - table.loc["all", "mean_between"])


def test_control_none_is_the_plain_matrix_and_errors_are_clear():
    wide, _ = latent_factor_matrix(n_models=60, seed=16)
    pd.testing.assert_frame_equal(partial_correlation_matrix(wide, control=None), correlation_matrix(wide))
    with pytest.raises(EvalcorrError, match="needs `covariate`"):
        partial_correlation_matrix(wide, control="log-params")
    with pytest.raises(EvalcorrError, match="unknown control"):
        control_variable(wide, "pc2")
    with pytest.raises(EvalcorrError, match="only 10 models"):
        partial_correlation_matrix(wide, control="log-params", covariate=pd.Series(1.0, index=wide.index[:10]))
    with pytest.raises(EvalcorrError, match="'pearson' or 'spearman'"):
        partial_correlation_matrix(wide, method="kendall")


@pytest.mark.parametrize("control", ["pc1", "mean"])
def test_a_factor_from_the_tasks_needs_three_tasks(control):
    wide, _ = latent_factor_matrix(n_models=80, seed=2)
    with pytest.raises(EvalcorrError, match=rf"control={control!r} is computed from the tasks themselves and needs "
                                            r"at least 3 tasks \(`wide` has 2; with 2 every partial r is -1\)"):
        partial_correlation_matrix(wide.iloc[:, :2], control=control)
    assert partial_correlation_matrix(wide.iloc[:, :3], control=control).notna().all().all()


def test_partial_correlations_need_at_least_four_models_per_pair():
    wide, _ = latent_factor_matrix(n_models=80, seed=2)
    with pytest.raises(EvalcorrError, match=r"min_periods=3 is below 4, the fewest models a partial correlation "
                                            r"can be tested on \(with 3 every partial r is \+-1\)"):
        partial_correlation_matrix(wide.iloc[:3], control="mean", min_periods=3)
    params = pd.Series(np.linspace(1, 70, 80), index=wide.index)
    few = partial_correlation_matrix(wide.iloc[:4], control="log-params", covariate=params, min_periods=4)
    off = few.to_numpy()[~np.eye(few.shape[0], dtype=bool)]
    assert np.isfinite(off).all() and (np.abs(off) < 1).any()


def test_a_constant_covariate_is_an_error():
    wide, _ = latent_factor_matrix(n_models=80, seed=2)
    params = pd.Series(7.0, index=wide.index)
    with pytest.raises(EvalcorrError, match=r"control='log-params' is constant over the 80 models that have it; "
                                            r"there is nothing to partial out"):
        partial_correlation_matrix(wide, control="log-params", covariate=params)


def test_a_non_numeric_column_is_a_clear_error():
    wide, _ = latent_factor_matrix(n_models=80, seed=2)
    bad = wide.assign(name="x")
    for control in ("pc1", "mean", None):
        with pytest.raises(EvalcorrError, match="`wide` must hold numeric scores"):
            partial_correlation_matrix(bad, control=control)

@pytest.mark.parametrize("control", ["task:b_1", "family-means", "pc1-excluding:A"])
def test_new_controls_match_the_closed_form(control):
    wide, families = latent_factor_matrix(n_models=200, seed=21)
    partial = partial_correlation_matrix(wide, control=control, families=families)
    z_scores = (wide - wide.mean()) / wide.std(ddof=1)
    z = {"task:b_1": wide["b_1"],
         "family-means": z_scores.T.groupby(families).mean().T.mean(axis=1),
         "pc1-excluding:A": principal_components(wide.loc[:, families != "A"]).scores["PC1"]}[control]
    expected = closed_form(wide, z)
    if control == "task:b_1":
        # The control task's own residual is zero: its row and column are NaN.
        j = list(wide.columns).index("b_1")
        assert np.isnan(partial.iloc[j]).all()
        expected = np.delete(np.delete(expected, j, 0), j, 1)
        partial = partial.drop(index="b_1", columns="b_1")
    np.testing.assert_allclose(partial.to_numpy(), expected, atol=1e-10)


def test_family_means_weigh_each_family_equally():
    # Family A has 8 tasks, B one: the mean over tasks leans to A, the mean of family means does not.
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=100), rng.normal(size=100)
    wide = pd.DataFrame({**{f"a{i}": a for i in range(8)}, "b0": b})
    families = pd.Series(["A"] * 8 + ["B"], index=wide.columns)
    z = control_variable(wide, "family-means", families=families)
    np.testing.assert_allclose(z, ((a - a.mean()) / a.std(ddof=1) + (b - b.mean()) / b.std(ddof=1)) / 2)


def test_general_factor_control_uses_the_schmid_leiman_scores():
    from evalcorr.stats.hierarchical import general_factor_scores

    wide, families = latent_factor_matrix(n_models=300, seed=22)
    z = control_variable(wide, "general-factor:3")
    pd.testing.assert_series_equal(z, general_factor_scores(wide, 3).rename("general_factor"))
    np.testing.assert_allclose(partial_correlation_matrix(wide, control="general-factor:3").to_numpy(),
                               closed_form(wide, z), atol=1e-10)
    with pytest.raises(EvalcorrError, match="integer"):
        control_variable(wide, "general-factor:x")


def test_controls_that_need_more_say_so():
    wide, families = latent_factor_matrix(n_models=60, seed=23)
    with pytest.raises(EvalcorrError, match="needs `families`"):
        control_variable(wide, "family-means")
    with pytest.raises(EvalcorrError, match="no task 'zz'"):
        control_variable(wide, "task:zz")
    with pytest.raises(EvalcorrError, match="no task of family 'Z'"):
        control_variable(wide, "pc1-excluding:Z", families=families)


def test_block_survival_is_block_structure_under_each_control():
    wide, families = latent_factor_matrix(n_models=500, seed=24)
    table = block_survival(wide, families, {"PC1": "pc1", "PC1 of the rest": "pc1-excluding:{family}"})
    table = table.set_index(["control", "family"])
    assert list(table.index.get_level_values("control").unique()) == ["none", "PC1", "PC1 of the rest"]
    plain = block_structure(correlation_matrix(wide), families).set_index("family")
    pc1 = block_structure(partial_correlation_matrix(wide, control="pc1"), families).set_index("family")
    assert table.loc[("PC1", "A"), "mean_within"] == pytest.approx(pc1.loc["A", "mean_within"])
    assert table.loc[("PC1", "all"), "kept"] == pytest.approx(pc1.loc["all", "mean_within"] / plain.loc["all", "mean_within"])
    rest_b = block_structure(partial_correlation_matrix(wide, control="pc1-excluding:B", families=families),
                             families).set_index("family")
    assert table.loc[("PC1 of the rest", "B"), "mean_within"] == pytest.approx(rest_b.loc["B", "mean_within"])
    assert np.isnan(table.loc[("PC1 of the rest", "all"), "mean_within"])
    assert (table.loc["none", "kept"] == 1).all()


def test_removing_pc1_forces_the_weighted_residual_covariances_negative():
    wide, _ = latent_factor_matrix(n_models=400, seed=25)
    balance = pc1_residual_balance(wide)
    assert (balance < 0).all()
    # The identity behind it: with the task itself included, the loading-weighted sum is zero.
    data = (wide - wide.mean()) / wide.std(ddof=1)
    pca = principal_components(wide, n_components=1)
    cov = residualize(data, pca.scores["PC1"]).cov().to_numpy()
    np.testing.assert_allclose(cov @ pca.loadings["PC1"].to_numpy(), 0.0, atol=1e-12)

def test_partial_pairs_are_the_matrix_with_one_degree_of_freedom_fewer():
    """partial_correlation_pairs: r as partial_correlation_matrix, n the models with both residuals, and the
    Fisher interval and t test of a partial correlation with one covariate (se 1/sqrt(n - 4), n - 3 df)."""
    from scipy import stats as sps

    from evalcorr.stats.partial import partial_correlation_pairs, partial_residuals

    wide, family_of = latent_factor_matrix(n_models=200, seed=4)
    pairs = partial_correlation_pairs(wide, "pc1", families=family_of)
    matrix = partial_correlation_matrix(wide, control="pc1")
    residuals = partial_residuals(wide, "pc1")
    for row in pairs.itertuples():
        assert row.r == pytest.approx(matrix.loc[row.task_a, row.task_b], abs=1e-12)
        assert row.r == pytest.approx(residuals[row.task_a].corr(residuals[row.task_b]), abs=1e-12)
        assert row.n == 200
        z, half = np.arctanh(row.r), sps.norm.ppf(0.975) / np.sqrt(row.n - 4)
        assert (row.ci_low, row.ci_high) == pytest.approx((np.tanh(z - half), np.tanh(z + half)), abs=1e-12)
        t = row.r * np.sqrt((row.n - 3) / (1 - row.r ** 2))
        assert row.p == pytest.approx(2 * sps.t.sf(abs(t), row.n - 3), rel=1e-9)
    # residuals are orthogonal to the control: their correlation with PC1 is 0
    pc1 = control_variable(wide, "pc1")
    assert np.allclose([residuals[t].corr(pc1) for t in wide.columns], 0, atol=1e-10)
    with pytest.raises(EvalcorrError, match="residuals need a control"):
        partial_residuals(wide, None)
