"""Partial correlations: task x task correlations after removing a common factor.

Each task is regressed on the control variable by least squares (with an intercept) over the models
that have both, and the residuals are correlated pairwise-complete. Controls:

- ``"pc1"``: the first principal-component score of the complete-case PCA of ``wide``
  (:func:`evalcorr.stats.pca.principal_components`); only complete rows have it, so drop sparse tasks
  first;
- ``"mean"``: each model's mean score over the tasks it has;
- ``"log-params"``: log10 of the parameter count, passed as ``covariate`` (model -> params_b);
- ``None``: no control (the plain correlation matrix).

With complete data and one control this is the textbook partial correlation
r_ab.z = (r_ab - r_az r_bz) / sqrt((1 - r_az^2)(1 - r_bz^2)). With missing scores each task is
residualised over its own models, not over each pair's common models.

Limits, each refused with a clear error: ``"pc1"`` and ``"mean"`` are computed from the tasks
themselves and need at least 3 tasks (with 2, every partial r is -1 by construction); a pair needs
at least :data:`MIN_MODELS` = 4 models (residuals of 3 models on a line and an intercept leave one
degree of freedom, so every partial r would be +-1); a control that is constant over the models has
nothing to partial out. A task whose own models all share one value of the control is only
centred (its slope is 0).

:func:`block_structure` summarises a matrix by family (mean r within and between), so a chapter can say
how much of the block structure survives partialling.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from evalcorr.errors import EvalcorrError
from evalcorr.stats.correlation import check_min_periods, correlation_matrix
from evalcorr.stats.inputs import family_series, score_matrix
from evalcorr.stats.pca import principal_components

CONTROLS = ("pc1", "mean", "log-params", None)
MIN_MODELS = 4  # residuals of 3 models leave one degree of freedom: every partial r would be +-1
MIN_TASKS = 3   # for the controls computed from the tasks (pc1, mean): with 2, every partial r is -1


def control_variable(wide: pd.DataFrame, control: str, covariate: pd.Series | None = None) -> pd.Series:
    """The control variable per model (NaN where a model does not have it).

    Parameters
    ----------
    wide : DataFrame
        models x tasks.
    control : {"pc1", "mean", "log-params"}
    covariate : Series, optional
        model -> parameter count in billions (``params_b``), required for ``"log-params"``; models
        missing from it, or with a non-positive count, get NaN.

    Returns
    -------
    Series
        indexed like ``wide``, named after the control.
    """
    if control == "pc1":
        pc1 = principal_components(wide, n_components=1).scores["PC1"]
        return pc1.reindex(wide.index).rename("pc1")
    if control == "mean":
        return wide.astype(float).mean(axis=1, skipna=True).rename("mean")
    if control == "log-params":
        if covariate is None:
            raise EvalcorrError("control='log-params' needs `covariate`: a Series model -> params_b "
                                "(e.g. from load_scores(...)[['model', 'params_b']])")
        if not isinstance(covariate, pd.Series):
            raise EvalcorrError(f"`covariate` must be a Series model -> params_b, got {type(covariate).__name__}")
        if covariate.index.has_duplicates:
            raise EvalcorrError("`covariate` has duplicated models; give one params_b per model")
        params = pd.to_numeric(covariate, errors="coerce").reindex(wide.index).astype(float)
        return np.log10(params.where(params > 0)).rename("log_params")
    raise EvalcorrError(f"unknown control {control!r}; use one of 'pc1', 'mean', 'log-params' or None")


def residualize(wide: pd.DataFrame, control: pd.Series) -> pd.DataFrame:
    """Residuals of each task regressed (least squares, with intercept) on ``control``.

    Each task uses the models that have both its score and the control; other cells are NaN.
    """
    x = score_matrix(wide)
    z = control.reindex(wide.index).to_numpy(dtype=float)
    usable = ~np.isnan(x) & ~np.isnan(z)[:, None]
    count = usable.sum(axis=0)
    zz = np.where(usable, z[:, None], 0.0)
    xx = np.where(usable, x, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        z_mean = zz.sum(axis=0) / count
        x_mean = xx.sum(axis=0) / count
        dz = np.where(usable, zz - z_mean, 0.0)
        spread = (dz * dz).sum(axis=0)
        # a task whose models all share one value of the control: nothing to remove but its mean
        slope = np.where(spread > 0, (dz * (xx - x_mean)).sum(axis=0) / spread, 0.0)
        residual = np.where(usable, xx - x_mean - slope * dz, np.nan)
    return pd.DataFrame(residual, index=wide.index.copy(), columns=wide.columns.copy())


def partial_correlation_matrix(wide: pd.DataFrame, control: str | None = "pc1", covariate: pd.Series | None = None,
                               method: str = "pearson", min_periods: int = 30) -> pd.DataFrame:
    """Task x task correlation after regressing every task on a control variable.

    Parameters
    ----------
    wide : DataFrame
        models x tasks, NaN where missing.
    control : {"pc1", "mean", "log-params", None}
        the common factor to remove (see the module docstring); None gives the plain correlation.
    covariate : Series, optional
        model -> params_b, for ``control="log-params"``.
    method : {"pearson", "spearman"}
        Pearson partial correlation, or Spearman's (the Pearson partial correlation of ranks: the
        tasks and the control are ranked over the models that have the control).
    min_periods : int
        pairs with fewer models (with both residuals) are NaN; at least :data:`MIN_MODELS` (at least
        3 for ``control=None``).

    Returns
    -------
    DataFrame
        tasks x tasks partial correlations, same layout as
        :func:`evalcorr.stats.correlation.correlation_matrix`.
    """
    if method not in ("pearson", "spearman"):
        raise EvalcorrError(f"partial correlations support method 'pearson' or 'spearman', got {method!r}")
    score_matrix(wide)  # a models x tasks table of numbers, each model once
    if control is None:
        return correlation_matrix(wide, method=method, min_periods=min_periods)
    check_min_periods(min_periods, MIN_MODELS, "a partial correlation")
    if control in ("pc1", "mean") and wide.shape[1] < MIN_TASKS:
        raise EvalcorrError(f"control={control!r} is computed from the tasks themselves and needs at least "
                            f"{MIN_TASKS} tasks (`wide` has {wide.shape[1]}; with 2 every partial r is -1)")
    z = control_variable(wide, control, covariate)
    if z.notna().sum() < min_periods:
        raise EvalcorrError(f"control {control!r} is known for only {int(z.notna().sum())} models, fewer than "
                            f"min_periods={min_periods}; check the covariate or drop sparse tasks")
    if z.dropna().nunique() < 2:
        raise EvalcorrError(f"control={control!r} is constant over the {int(z.notna().sum())} models that have it; "
                            "there is nothing to partial out (check the covariate)")
    data = wide.loc[z.notna()]
    z = z[z.notna()]
    if method == "spearman":
        data = data.apply(lambda column: column.rank(method="average"))
        z = pd.Series(stats.rankdata(z), index=z.index)
    return correlation_matrix(residualize(data, z), method="pearson", min_periods=min_periods)


def block_structure(corr: pd.DataFrame, families) -> pd.DataFrame:
    """Mean correlation within each family, between it and the other families, and the difference.

    Parameters
    ----------
    corr : DataFrame
        square task x task matrix (plain or partial).
    families : Series or DataFrame
        task -> family for every task of ``corr``.

    Returns
    -------
    DataFrame
        one row per family (in order of first appearance in ``corr``) and a final row ``all``:
        family, n_tasks, n_within_pairs, mean_within (mean r over pairs of tasks in the family; NaN
        for a one-task family), mean_between (mean r over pairs with one task in the family and one
        outside; for ``all``, over every between-family pair), difference (within minus between).
        NaN entries of ``corr`` are ignored.
    """
    if not isinstance(corr, pd.DataFrame) or list(corr.index) != list(corr.columns):
        raise EvalcorrError("`corr` must be a square task x task DataFrame with the same tasks on both axes")
    fam = family_series(families, corr.columns).loc[list(corr.columns)].to_numpy()
    r = corr.to_numpy(dtype=float)
    upper = np.triu(np.ones(r.shape, dtype=bool), 1) & np.isfinite(r)
    same = fam[:, None] == fam[None, :]
    rows = []
    for family in pd.unique(fam):
        member = fam == family
        within = upper & same & member[:, None]
        between = upper & ~same & (member[:, None] | member[None, :])
        rows.append((family, int(member.sum()), int(within.sum()),
                     r[within].mean() if within.any() else np.nan,
                     r[between].mean() if between.any() else np.nan))
    rows.append(("all", len(fam), int((upper & same).sum()),
                 r[upper & same].mean() if (upper & same).any() else np.nan,
                 r[upper & ~same].mean() if (upper & ~same).any() else np.nan))
    out = pd.DataFrame(rows, columns=["family", "n_tasks", "n_within_pairs", "mean_within", "mean_between"])
    out["family"] = out["family"].astype("string")
    out["difference"] = out["mean_within"] - out["mean_between"]
    return out
