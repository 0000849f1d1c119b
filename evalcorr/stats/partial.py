"""Partial correlations: task x task correlations after removing a common factor.

Each task is regressed on the control variable by least squares (with an intercept) over the models
that have both, and the residuals are correlated pairwise-complete. Controls:

- ``"pc1"``: the first principal-component score of the complete-case PCA of ``wide``
  (:func:`evalcorr.stats.pca.principal_components`); only complete rows have it, so drop sparse tasks
  first;
- ``"pc1-excluding:FAMILY"``: the PC1 score of the tasks outside ``FAMILY`` (needs ``families``): a
  common factor that the family's own tasks do not define;
- ``"mean"``: each model's mean score over the tasks it has;
- ``"family-means"``: the equal-weighted mean of the model's family means, on standardised scores
  (each task z-scored over the models that have it; a family's mean over the tasks of it the model
  has; needs ``families``), so a family with many tasks, or with widely spread scores, weighs no
  more than any other;
- ``"task:TASK"``: the score on one task (e.g. ``task:mmlu_pro``); that task's own residual is zero, so
  its row of the result is NaN;
- ``"general-factor"`` (or ``"general-factor:K"``): the general factor of a Schmid-Leiman hierarchical
  factor model with K first-order factors (default: Horn's parallel analysis, seed 0), regression
  scores (:mod:`evalcorr.stats.hierarchical`); complete rows only;
- ``"log-params"``: log10 of the parameter count, passed as ``covariate`` (model -> params_b);
- ``None``: no control (the plain correlation matrix).

Removing PC1 forces negative partial correlations: with complete standardised data, regressing every
task on the PC1 score leaves the residual covariance ``R - lambda_1 v v'``, whose null vector is the
PC1 loading vector ``v``. Each task's residual covariances, weighted by the (all positive) loadings,
therefore sum to zero including its own positive variance, so the others must sum negative
(:func:`pc1_residual_balance` checks it on data).

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
from evalcorr.stats.blas import one_blas_thread
from evalcorr.stats.correlation import (check_min_periods, correlation_matrix, correlation_pairs, fisher_ci,
                                        t_test_p)
from evalcorr.stats.factors import parallel_analysis
from evalcorr.stats.hierarchical import general_factor_scores
from evalcorr.stats.inputs import family_series, score_matrix
from evalcorr.stats.pca import principal_components

CONTROLS = ("pc1", "pc1-excluding:FAMILY", "mean", "family-means", "task:TASK", "general-factor", "log-params", None)
MIN_MODELS = 4  # residuals of 3 models leave one degree of freedom: every partial r would be +-1
MIN_TASKS = 3   # for the controls computed from the tasks (pc1, mean, family-means): with 2, every partial r is -1


def _needs_families(control: str, families, wide: pd.DataFrame) -> pd.Series:
    if families is None:
        raise EvalcorrError(f"control {control!r} needs `families` (task -> family, e.g. evalcorr.load_families(source))")
    return family_series(families, wide.columns).loc[list(wide.columns)]


def control_variable(wide: pd.DataFrame, control: str, covariate: pd.Series | None = None,
                     families=None) -> pd.Series:
    """The control variable per model (NaN where a model does not have it).

    Parameters
    ----------
    wide : DataFrame
        models x tasks.
    control : str
        one of :data:`CONTROLS` (module docstring), with ``FAMILY``, ``TASK`` or ``K`` filled in.
    covariate : Series, optional
        model -> parameter count in billions (``params_b``), required for ``"log-params"``; models
        missing from it, or with a non-positive count, get NaN.
    families : Series or DataFrame, optional
        task -> family, required for ``"family-means"`` and ``"pc1-excluding:FAMILY"``.

    Returns
    -------
    Series
        indexed like ``wide``, named after the control.
    """
    if not isinstance(control, str):
        raise EvalcorrError(f"unknown control {control!r}; use one of {', '.join(map(str, CONTROLS))}")
    kind, _, argument = control.partition(":")
    if control == "pc1":
        pc1 = principal_components(wide, n_components=1).scores["PC1"]
        return pc1.reindex(wide.index).rename("pc1")
    if kind == "pc1-excluding":
        fam = _needs_families(control, families, wide)
        if argument not in set(fam):
            raise EvalcorrError(f"control {control!r}: no task of family {argument!r} in `wide`; families are "
                                f"{', '.join(sorted(set(fam)))}")
        rest = wide.loc[:, (fam != argument).to_numpy()]
        if rest.shape[1] < 2:
            raise EvalcorrError(f"control {control!r} leaves fewer than 2 tasks outside {argument!r} for a PCA")
        pc1 = principal_components(rest, n_components=1).scores["PC1"]
        return pc1.reindex(wide.index).rename(control)
    if control == "mean":
        return wide.astype(float).mean(axis=1, skipna=True).rename("mean")
    if control == "family-means":
        fam = _needs_families(control, families, wide)
        z = (wide.astype(float) - wide.mean()) / wide.std(ddof=1)
        means = z.T.groupby(fam.to_numpy()).mean().T                      # models x family means
        return means.mean(axis=1, skipna=True).rename("family_means")
    if kind == "task":
        if argument not in wide.columns:
            raise EvalcorrError(f"control {control!r}: no task {argument!r} in `wide`; tasks are "
                                f"{', '.join(map(str, wide.columns[:10]))}{' ...' if wide.shape[1] > 10 else ''}")
        return wide[argument].astype(float).rename(control)
    if kind == "general-factor":
        if argument:
            try:
                n_factors = int(argument)
            except ValueError:
                raise EvalcorrError(f"control {control!r}: the number of factors must be an integer, "
                                    "e.g. general-factor:4") from None
        else:
            n_factors = parallel_analysis(wide, seed=0).n_factors
        return general_factor_scores(wide, max(n_factors, 1)).rename("general_factor")
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
    raise EvalcorrError(f"unknown control {control!r}; use one of {', '.join(map(str, CONTROLS))}")


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
                               method: str = "pearson", min_periods: int = 30, families=None) -> pd.DataFrame:
    """Task x task correlation after regressing every task on a control variable.

    Parameters
    ----------
    wide : DataFrame
        models x tasks, NaN where missing.
    control : str or None
        the common factor to remove, one of :data:`CONTROLS` (see the module docstring); None gives
        the plain correlation.
    covariate : Series, optional
        model -> params_b, for ``control="log-params"``.
    families : Series or DataFrame, optional
        task -> family, for ``"family-means"`` and ``"pc1-excluding:FAMILY"``.
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
    return correlation_matrix(partial_residuals(wide, control, covariate, method, min_periods, families),
                              method="pearson", min_periods=min_periods)


def partial_residuals(wide: pd.DataFrame, control: str = "pc1", covariate: pd.Series | None = None,
                      method: str = "pearson", min_periods: int = 30, families=None) -> pd.DataFrame:
    """What :func:`partial_correlation_matrix` correlates: each task's residuals on the control.

    Models without the control are dropped (for ``pc1``, the models with every task); with
    ``method="spearman"`` the tasks and the control are ranked first. Same arguments, checks and errors
    as :func:`partial_correlation_matrix` (``control`` may not be None). A scatter of two columns is the
    scatter whose correlation is the pair's partial r.
    """
    if control is None:
        raise EvalcorrError("control None: residuals need a control to remove (see CONTROLS)")
    score_matrix(wide)
    if control in ("pc1", "mean", "family-means") and wide.shape[1] < MIN_TASKS:
        raise EvalcorrError(f"control={control!r} is computed from the tasks themselves and needs at least "
                            f"{MIN_TASKS} tasks (`wide` has {wide.shape[1]}; with 2 every partial r is -1)")
    z = control_variable(wide, control, covariate, families)
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
    return residualize(data, z)


def partial_correlation_pairs(wide: pd.DataFrame, control: str = "pc1", covariate: pd.Series | None = None,
                              families=None, min_periods: int = 30, ci: float = 0.95) -> pd.DataFrame:
    """One row per pair of tasks: n, partial r (Pearson), its confidence interval and p.

    r is :func:`partial_correlation_matrix`'s; n the models with both residuals. One control costs one
    degree of freedom: the Fisher-z interval uses a standard error of 1 / sqrt(n - 4) and the t test
    n - 3 degrees of freedom (the textbook partial correlation with one covariate, as pingouin's
    ``partial_corr``). `families` labels the pairs and is the families a control needs. Columns as
    :func:`evalcorr.stats.correlation.correlation_pairs`.
    """
    check_min_periods(min_periods, MIN_MODELS, "a partial correlation")
    residuals = partial_residuals(wide, control, covariate, min_periods=min_periods, families=families)
    pairs = correlation_pairs(residuals, families=families, min_periods=min_periods, ci=ci)
    r, n = pairs["r"].to_numpy(float), pairs["n"].to_numpy(float)
    pairs["ci_low"], pairs["ci_high"] = fisher_ci(r, n - 1, "pearson", ci)
    pairs["p"] = t_test_p(r, n - 1, "pearson")
    return pairs


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


# One PCA or factor model per control: BLAS threads only add synchronisation on a busy machine.
@one_blas_thread
def block_survival(wide: pd.DataFrame, families, controls, covariate: pd.Series | None = None,
                   method: str = "pearson", min_periods: int = 30) -> pd.DataFrame:
    """How much of each family block survives each control: a sensitivity table.

    Parameters
    ----------
    wide : DataFrame
        models x tasks (dense tasks: PC-based controls use complete rows).
    families : Series or DataFrame
        task -> family.
    controls : mapping
        label -> control (:data:`CONTROLS`, or None for no control). A control containing
        ``{family}`` (e.g. ``"pc1-excluding:{family}"``) is family-specific: each family's row uses it
        with its own name filled in, and the ``all`` row is left empty. A control naming one task
        (``task:TASK``) drops that task from its family's block (its residual is zero).
    covariate : Series, optional
        model -> params_b, for ``"log-params"``.

    Returns
    -------
    DataFrame
        one row per control x family (families with at least two tasks, then ``all``): control,
        family, n_tasks, mean_within, mean_between, difference (:func:`block_structure`), and kept:
        mean_within over its value without control (the share of the block that survives).
    """
    if None not in dict(controls).values():
        controls = {"none": None, **dict(controls)}
    fam = family_series(families, wide.columns)
    multi = [f for f, n in fam.loc[list(wide.columns)].value_counts(sort=False).items() if n >= 2]
    cache: dict = {}

    def blocks(control):
        if control not in cache:
            matrix = partial_correlation_matrix(wide, control=control, covariate=covariate, method=method,
                                                min_periods=min_periods, families=fam)
            cache[control] = block_structure(matrix, fam).set_index("family")
        return cache[control]

    rows = []
    for label, control in controls.items():
        for family in [*multi, "all"]:
            specific = isinstance(control, str) and "{family}" in control
            if specific and family == "all":
                rows.append({"control": label, "family": family})
                continue
            table = blocks(control.format(family=family) if specific else control)
            if family not in table.index:
                continue
            rows.append({"control": label, "family": family, **table.loc[family].to_dict()})
    out = pd.DataFrame(rows)
    out = out.reindex(columns=["control", "family", "n_tasks", "mean_within", "mean_between", "difference"])
    baseline = out[out["control"] == next(k for k, v in controls.items() if v is None)].set_index("family")["mean_within"]
    out["kept"] = out["mean_within"] / out["family"].map(baseline)
    out["n_tasks"] = out["n_tasks"].astype("Int64")
    out[["control", "family"]] = out[["control", "family"]].astype("string")
    return out


def pc1_residual_balance(wide: pd.DataFrame) -> pd.Series:
    """Per task, the PC1-loading-weighted mean of its residual covariances with the other tasks.

    After regressing each standardised task on the PC1 score (complete rows), the loading-weighted sum
    of a task's residual covariances over all tasks is zero; the weighted mean over the *other* tasks
    is therefore minus its own weighted residual variance over the rest of the weights: negative for
    every task whose residual variance is positive. This is why between-family partial correlations
    turn negative once PC1 is removed, whatever the data.

    Returns
    -------
    Series
        task -> weighted mean residual covariance with the other tasks (all negative).
    """
    data = wide.dropna()
    z = (data - data.mean()) / data.std(ddof=1)
    pca = principal_components(data, n_components=1)
    residual = residualize(z, pca.scores["PC1"])
    cov = residual.cov().to_numpy()
    v = pca.loadings["PC1"].to_numpy()
    off = cov.copy()
    np.fill_diagonal(off, 0.0)
    weights = np.broadcast_to(v, cov.shape).copy()
    np.fill_diagonal(weights, 0.0)
    return pd.Series((off * weights).sum(axis=1) / weights.sum(axis=1), index=data.columns, name="balance")
