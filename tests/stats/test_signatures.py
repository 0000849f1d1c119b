"""Tests of evalcorr.stats.signatures: forward selection on synthetic data with a known answer."""

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression
from sklearn.metrics import r2_score

from evalcorr.errors import EvalcorrError
from evalcorr.stats.signatures import (
    candidate_features, default_folds, forward_select, model_metadata, signature_summary, signature_table,
    signatures,
)


def synthetic(n=400, p=15, seed=1, noise=0.5):
    """Features f0..f{p-1}; y depends on f2, f5 and f9 only."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n, p)), columns=[f"f{i}" for i in range(p)],
                     index=[f"model{i}" for i in range(n)])
    y = 2.0 * X["f2"] - 1.0 * X["f5"] + 0.6 * X["f9"] + rng.normal(scale=noise, size=n)
    return X, y.rename("target")


def test_recovers_true_predictors_in_order_of_strength_and_no_noise():
    X, y = synthetic()
    result = forward_select(X, y)
    assert result.selected == ["f2", "f5", "f9"]
    assert result.target == "target"
    gains = result.steps["cv_r2_gain"].iloc[1:]
    assert (gains >= 0.005).all()
    assert result.steps["cv_r2"].is_monotonic_increasing


def test_final_fit_matches_plain_least_squares():
    X, y = synthetic()
    result = forward_select(X, y, max_features=3)
    design = np.column_stack([np.ones(len(X)), X[result.selected].to_numpy()])
    coef, *_ = np.linalg.lstsq(design, y.to_numpy(), rcond=None)
    np.testing.assert_allclose(result.coefficients["coef"], coef[1:], rtol=1e-10)
    assert result.intercept == pytest.approx(coef[0], abs=1e-12)
    fitted = design @ coef
    assert result.r2 == pytest.approx(r2_score(y, fitted), rel=1e-12)
    # standardised coefficients: the lstsq fit on z-scored features and target
    z = (X[result.selected] - X[result.selected].mean()) / X[result.selected].std()
    zy = (y - y.mean()) / y.std()
    beta, *_ = np.linalg.lstsq(np.column_stack([np.ones(len(z)), z]), zy.to_numpy(), rcond=None)
    np.testing.assert_allclose(result.coefficients["beta"], beta[1:], rtol=1e-10)


def test_cv_r2_matches_sklearn_with_the_same_folds():
    X, y = synthetic(n=203)
    result = forward_select(X, y, cv=4, seed=3, max_features=2, stop="max-features")
    n = len(X)
    fold = np.empty(n, dtype=int)
    fold[np.random.default_rng(3).permutation(n)] = np.arange(n) % 4
    for step in (1, 2):
        features = result.selected[:step]
        predicted = np.empty(n)
        for k in range(4):
            model = LinearRegression().fit(X.loc[fold != k, features], y[fold != k])
            predicted[fold == k] = model.predict(X.loc[fold == k, features])
        assert result.steps["cv_r2"].iloc[step] == pytest.approx(r2_score(y, predicted), abs=1e-10)


def test_max_features_and_stop_rules():
    X, y = synthetic()
    assert forward_select(X, y, max_features=1).selected == ["f2"]
    forced = forward_select(X, y, max_features=6, stop="max-features")
    assert len(forced.selected) == 6 and forced.selected[:3] == ["f2", "f5", "f9"]
    # var(y) = 4 + 1 + 0.36 + 0.25: f5 adds about 0.18 of CV R^2, f9 about 0.06
    strict = forward_select(X, y, min_gain=0.1)
    assert strict.selected == ["f2", "f5"]


def test_missing_values_use_complete_rows_and_are_counted():
    X, y = synthetic()
    X.iloc[:10, 4] = np.nan
    y.iloc[20:25] = np.nan
    result = forward_select(X, y)
    assert result.n == len(X) - 15 and result.n_dropped == 15
    assert result.selected == ["f2", "f5", "f9"]


def test_collinear_and_constant_candidates_are_harmless():
    X, y = synthetic()
    X["f2_copy"] = X["f2"] * 3 + 1
    X["constant"] = 1.0
    result = forward_select(X, y)
    assert sorted(result.selected) == sorted(["f2", "f5", "f9"]) or "f2_copy" in result.selected
    assert len(result.selected) == 3
    assert result.dropped_features == ["constant"]


def test_pure_noise_selects_nothing():
    rng = np.random.default_rng(5)
    X = pd.DataFrame(rng.normal(size=(1000, 10)), columns=list("abcdefghij"))
    y = pd.Series(rng.normal(size=1000), name="noise")
    result = forward_select(X, y)
    assert result.selected == []
    assert result.cv_r2 < 0  # the intercept-only model predicts held-out noise slightly worse than its mean
    assert result.to_frame().empty


def test_bad_input_gives_clear_errors():
    X, y = synthetic()
    with pytest.raises(EvalcorrError, match="stop"):
        forward_select(X, y, stop="aic")
    with pytest.raises(EvalcorrError, match="not numeric"):
        forward_select(X.assign(arch="llama"), y)
    with pytest.raises(EvalcorrError, match="share no index"):
        forward_select(X, y.set_axis(range(len(y))))
    few = X.copy()
    few.iloc[5:, 0] = np.nan
    with pytest.raises(EvalcorrError, match="only 5 models"):
        forward_select(few, y)


def test_candidate_features_modes_and_unknown_target():
    X, y = synthetic(p=10)
    wide = X.assign(target=y)
    families = pd.Series({f"f{i}": "AB"[i % 2] for i in range(10)} | {"target": "A"})
    assert list(candidate_features(wide, "target").columns) == [f"f{i}" for i in range(10)]
    oof = candidate_features(wide, "target", families=families, features="out-of-family")
    assert list(oof.columns) == ["f1", "f3", "f5", "f7", "f9"]
    meta = pd.DataFrame({"log10_params_b": np.arange(len(X), dtype=float)}, index=X.index[::-1])
    with_meta = candidate_features(wide, "target", features="tasks+metadata", metadata=meta)
    assert with_meta["log10_params_b"].iloc[0] == len(X) - 1  # aligned on model, not position
    with pytest.raises(EvalcorrError, match="unknown target 'nope'"):
        candidate_features(wide, "nope")
    with pytest.raises(EvalcorrError, match="needs `families`"):
        candidate_features(wide, "target", features="out-of-family")


def test_model_metadata_log_params_and_common_architectures():
    scores = pd.DataFrame({
        "model": ["a", "a", "b", "c", "d", "e"],
        "params_b": [7.0, 7.0, 70.0, np.nan, 0.0, 1.0],
        "architecture": ["Llama", "Llama", "Llama", "?", "?", pd.NA],
    })
    meta = model_metadata(scores, min_models=2)
    assert list(meta.columns) == ["log10_params_b", "arch: Llama"]
    np.testing.assert_allclose(meta.loc[["a", "b", "e"], "log10_params_b"], [np.log10(7), np.log10(70), 0.0])
    assert meta["log10_params_b"][["c", "d"]].isna().all()
    assert meta["arch: Llama"].tolist() == [1.0, 1.0, 0.0, 0.0, 0.0]
    unknown = model_metadata(scores.assign(params_b=np.nan, architecture=pd.NA))
    assert unknown.shape == (5, 0)


def test_signatures_for_many_targets_and_tables():
    X, y = synthetic(p=10)
    wide = X.assign(target=y)
    results = signatures(wide, targets=["target", "f2"], max_features=3)
    summary = signature_summary(results)
    assert summary["target"].tolist() == ["target", "f2"]
    assert summary.loc[0, "first_feature"] == "f2"
    assert summary.loc[0, "selected"] == tuple(results["target"].selected)
    table = signature_table(results)
    assert table.loc[table["target"] == "f2", "feature"].iloc[0] == "target"
    assert list(table.columns) == ["target", "step", "feature", "cv_r2", "cv_r2_gain", "coef", "beta", "n"]
    # the long table is the per-target tables stacked
    stacked = pd.concat([r.to_frame() for r in results.values()], ignore_index=True)
    pd.testing.assert_frame_equal(table, stacked, check_dtype=False)
    assert signature_table({}).empty


@pytest.mark.parametrize("min_gain", [float("nan"), float("inf"), -float("inf")])
def test_min_gain_must_be_a_finite_number(min_gain):
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(60, 3)), columns=list("abc"))
    y = X["a"] + rng.normal(scale=0.1, size=60)
    with pytest.raises(EvalcorrError, match=r"forward_select: `min_gain` must be a finite number"):
        forward_select(X, y, min_gain=min_gain)


def test_duplicated_models_are_refused():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(60, 3)), columns=list("abc"))
    y = X["a"] + rng.normal(scale=0.1, size=60)
    doubled_X, doubled_y = pd.concat([X, X]), pd.concat([y, y])
    with pytest.raises(EvalcorrError, match=r"forward_select: `X` has duplicated model rows"):
        forward_select(doubled_X, y)
    with pytest.raises(EvalcorrError, match=r"forward_select: `y` has duplicated model rows"):
        forward_select(X, doubled_y)

# --- lineage-grouped folds, selection stability, out-of-time validation -------------------------

def test_grouped_folds_keep_each_group_whole_and_balance_the_folds():
    from evalcorr.stats.signatures import fold_assignment

    codes = np.repeat(np.arange(30), np.arange(1, 31) % 7 + 1)      # 30 groups of 1..7 models
    fold = fold_assignment(len(codes), 5, seed=2, codes=codes)
    for g in range(30):
        assert len(set(fold[codes == g])) == 1
    sizes = np.bincount(fold, minlength=5)
    assert sizes.max() - sizes.min() <= 7                              # at most one group apart
    with pytest.raises(EvalcorrError, match="cannot fill"):
        fold_assignment(6, 5, seed=0, codes=np.array([0, 0, 1, 1, 2, 2]))


def test_grouped_cv_r2_matches_sklearn_with_the_same_grouped_folds():
    from evalcorr.stats.signatures import fold_assignment

    X, y = synthetic(n=240)
    groups = pd.Series(np.arange(240) // 8, index=X.index)            # 30 groups of 8
    result = forward_select(X, y, cv=5, seed=4, max_features=2, stop="max-features", groups=groups)
    fold = fold_assignment(240, 5, 4, groups.to_numpy())
    features = result.selected
    predicted = np.empty(240)
    for k in range(5):
        model = LinearRegression().fit(X.loc[fold != k, features], y[fold != k])
        predicted[fold == k] = model.predict(X.loc[fold == k, features])
    assert result.cv_r2 == pytest.approx(r2_score(y, predicted), abs=1e-10)


def test_grouped_cv_is_less_optimistic_when_lineages_share_noise():
    # Each lineage shares a random offset in y that a lineage-specific feature (its mean of f0) can
    # memorise: random folds reward it, grouped folds do not.
    rng = np.random.default_rng(5)
    n_groups, size = 40, 10
    group = np.repeat(np.arange(n_groups), size)
    offset = rng.normal(size=n_groups)
    X = pd.DataFrame({"signal": rng.normal(size=n_groups * size),
                      "lineage": offset[group] + 0.05 * rng.normal(size=n_groups * size)})
    y = pd.Series(X["signal"] + offset[group] ** 2 + 0.3 * rng.normal(size=len(X)))
    groups = pd.Series(group, index=X.index)
    naive = forward_select(X, y, stop="max-features", max_features=2)
    grouped = forward_select(X, y, stop="max-features", max_features=2, groups=groups)
    assert grouped.cv_r2 < naive.cv_r2


def test_selection_stability_of_a_planted_signature():
    from evalcorr.stats.signatures import selection_stability

    X, y = synthetic(n=300)
    X["f2_copy"] = X["f2"] + np.random.default_rng(7).normal(scale=0.01, size=len(X))   # a near-twin of f2
    table = selection_stability(X, y, n_resamples=40, seed=1).set_index("feature")
    assert table.loc["f5", "share"] == 1.0 and table.loc["f9", "share"] >= 0.9
    # f2 and its twin are interchangeable: between them they are chosen in (nearly) every resample.
    assert table.loc["f2", "share"] + table.loc["f2_copy", "share"] >= 0.95
    assert table.drop(["f2", "f2_copy", "f5", "f9"])["share"].max() <= 0.2
    assert table["in_signature"].sum() == len(forward_select(X, y).selected)
    assert (table["n_resamples"] == 40).all()


def test_temporal_validation_detects_a_relation_that_changed_over_time():
    from evalcorr.stats.signatures import temporal_validation

    X, y = synthetic(n=300)
    dates = pd.Series(pd.date_range("2023-01-01", periods=300, freq="D"), index=X.index)
    stable = temporal_validation(X, y, dates, n_random=5)
    assert stable["n_train"] == 150 and stable["n_test"] == 150
    assert stable["selected"][:2] == ["f2", "f5"]
    assert stable["test_r2"] == pytest.approx(stable["random_test_r2"], abs=0.1)
    drifted = y.copy()
    later = (dates >= dates.median()).to_numpy()
    drifted[later] = (2.0 * X["f7"] + 0.5 * np.random.default_rng(2).normal(size=300))[later]
    shifted = temporal_validation(X, drifted, dates, n_random=5)
    assert shifted["test_r2"] < 0 < shifted["random_test_r2"]
    with pytest.raises(EvalcorrError, match="at least 10"):
        temporal_validation(X, y, dates, cutoff="2023-01-05")



@pytest.mark.parametrize("options", [{}, {"max_features": 2, "cv": 4, "stop": "max-features"},
                                     {"groups": "lineage"}])
def test_temporal_validation_baseline_is_the_mean_of_forward_selections_on_random_splits(options):
    # The definition, written with the public functions: the same seeded splits, each fitted by
    # forward_select on its training models and scored on the others.
    from evalcorr.stats.signatures import temporal_validation

    X, y = synthetic(n=240)
    # first, so that leaving it out shifts the other columns: constant in some training sets, not in others
    X.insert(0, "constant_late", np.where(np.arange(240) < 238, 1.0, np.arange(240) % 3))
    dates = pd.Series(pd.date_range("2023-01-01", periods=240, freq="D"), index=X.index)
    if options.get("groups") == "lineage":
        options = {"groups": pd.Series(np.arange(240) // 4, index=X.index)}
    result = temporal_validation(X, y, dates, n_random=6, seed=5, **options)
    rng = np.random.default_rng(5)
    expected = []
    for _ in range(6):
        train = np.zeros(240, dtype=bool)
        train[rng.choice(240, size=result["n_train"], replace=False)] = True
        fit = forward_select(X[train], y[train], **options)
        predicted = fit.intercept + X.loc[~train, fit.selected].to_numpy() @ fit.coefficients["coef"].to_numpy()
        residual = y[~train].to_numpy() - predicted
        expected.append(1 - (residual ** 2).sum() / ((y[~train] - y[~train].mean()) ** 2).sum())
    assert result["random_test_r2"] == pytest.approx(np.mean(expected), rel=1e-12, abs=1e-12)
    assert result["random_test_r2"] > 0.8          # the planted predictors, found in every split


def test_a_constant_feature_before_the_others_is_left_out_and_names_stay_right():
    X, y = synthetic(n=240)
    X.insert(0, "constant", 1.0)
    result = forward_select(X, y)
    assert result.selected == ["f2", "f5", "f9"] and result.dropped_features == ["constant"]
    assert result.coefficients["coef"].tolist() == pytest.approx([2.0, -1.0, 0.6], abs=0.15)   # the planted ones


def test_default_folds_leave_two_models_per_fold():
    assert [default_folds(n) for n in (3, 4, 7, 10, 1000)] == [2, 2, 3, 5, 5]
    X, y = synthetic(n=8, p=10)
    assert forward_select(X, y, cv=default_folds(8)).n == 8      # n >= 2 * cv holds
