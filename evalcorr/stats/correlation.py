"""Task x task correlations across models, pairwise-complete, by Pearson, Spearman or Kendall.

Every coefficient of a pair (a, b) uses the models that have both scores ("pairwise-complete");
pairs with fewer than ``min_periods`` such models are NaN. Pearson is computed for all pairs at once
with masked matrix products; Spearman ranks each pair's common models (pairs that share the same set of
models, the usual case, are ranked together); Kendall's tau-b loops over pairs with scipy.

>>> corr = correlation_matrix(wide, method="spearman")          # doctest: +SKIP
>>> pairs = correlation_pairs(wide, families=families)           # doctest: +SKIP
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from evalcorr.errors import EvalcorrError

METHODS = ("pearson", "spearman", "kendall")
PAIR_COLUMNS = ["task_a", "task_b", "family_a", "family_b", "same_family", "n", "r", "ci_low", "ci_high", "p"]


def check_method(method: str) -> str:
    """Return ``method`` if it is a known correlation method, else raise a clear error."""
    if method not in METHODS:
        raise EvalcorrError(f"unknown correlation method {method!r}; use one of {', '.join(METHODS)}")
    return method


def score_matrix(wide: pd.DataFrame, name: str = "wide") -> np.ndarray:
    """The float values of a models x tasks frame, after checking it is one."""
    if not isinstance(wide, pd.DataFrame):
        raise EvalcorrError(f"`{name}` must be a DataFrame of models x tasks, got {type(wide).__name__}")
    if wide.columns.has_duplicates:
        dup = sorted(set(wide.columns[wide.columns.duplicated()]))
        raise EvalcorrError(f"`{name}` has duplicated task columns {dup}; each task must appear once")
    try:
        return wide.to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError) as err:
        raise EvalcorrError(f"`{name}` must hold numeric scores (NaN for missing): {err}") from err


def family_series(families, tasks=None) -> pd.Series:
    """Task -> family as a Series, from a Series or from the families table (columns task, family).

    Parameters
    ----------
    families : Series or DataFrame
        a Series indexed by task id, or a DataFrame with ``task`` and ``family`` columns (the table
        ``evalcorr.load_families(source)`` returns).
    tasks : iterable of str, optional
        tasks that must all have a family; a clear error names the ones missing.
    """
    if isinstance(families, pd.DataFrame):
        missing = {"task", "family"} - set(families.columns)
        if missing:
            raise EvalcorrError(f"`families` table lacks columns {sorted(missing)}; pass a Series task -> family "
                                "or the table evalcorr.load_families(source) returns")
        table = families[["task", "family"]].drop_duplicates()
        conflicting = table["task"][table["task"].duplicated()]
        if len(conflicting):
            raise EvalcorrError(f"`families` gives several families for tasks {sorted(set(conflicting))[:5]}; "
                                "pass the table of one source, evalcorr.load_families(source)")
        families = table.set_index("task")["family"]
    elif not isinstance(families, pd.Series):
        raise EvalcorrError(f"`families` must be a Series task -> family or a DataFrame, got {type(families).__name__}")
    families = families.rename("family")
    if tasks is not None:
        absent = [t for t in tasks if t not in families.index]
        if absent:
            raise EvalcorrError(f"`families` has no family for tasks {absent[:5]}"
                                f"{' ...' if len(absent) > 5 else ''}; add them to data/families.csv or drop them")
    return families


def pairwise_pearson(values: np.ndarray, weights: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Pairwise-complete Pearson r and pair counts of the columns of ``values`` by matrix products.

    Parameters
    ----------
    values : ndarray (n, k)
        scores, NaN where missing.
    weights : ndarray (B, n), optional
        non-negative integer row multiplicities, one row per replicate (a bootstrap resample is the
        count of each model drawn); None means each row once.

    Returns
    -------
    r, n : ndarray (B, k, k) (or (k, k) without weights)
        correlation (NaN where a pair has fewer than 2 models or no variance) and number of models
        behind each pair (counting multiplicity).
    """
    present = ~np.isnan(values)
    # Centre each column on its mean first: the sums below then stay small and accurate.
    x = np.where(present, values - np.nanmean(values, axis=0), 0.0)
    m = present.astype(float)
    single = weights is None
    w = np.ones((1, len(values))) if single else np.asarray(weights, dtype=float)
    wm = w[:, :, None] * m                       # (B, n, k): weighted presence
    wx = w[:, :, None] * x
    n = np.matmul(m.T, wm)                       # models behind each pair
    sx = np.matmul(x.T, wm)                      # sx[i, j] = sum of x_i over the rows of pair (i, j)
    sxx = np.matmul((x * x).T, wm)
    sxy = np.matmul(x.T, wx)
    with np.errstate(divide="ignore", invalid="ignore"):
        cov = sxy - sx * np.swapaxes(sx, 1, 2) / n
        var_a = sxx - sx**2 / n
        var_b = np.swapaxes(var_a, 1, 2)
        r = cov / np.sqrt(var_a * var_b)
    # A pair on which one task is constant has zero variance up to round-off (relative to its sum of squares).
    flat_a = var_a <= 1e-12 * sxx + 1e-300
    degenerate = (n < 2) | flat_a | np.swapaxes(flat_a, 1, 2)
    r = np.where(degenerate, np.nan, np.clip(r, -1.0, 1.0))
    diagonal = np.arange(values.shape[1])
    r[:, diagonal, diagonal] = np.where(np.isnan(r[:, diagonal, diagonal]), np.nan, 1.0)
    return (r[0], n[0]) if single else (r, n)


def _pairwise_spearman(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pairwise-complete Spearman rho: ranks within each pair's common rows, then Pearson."""
    present = ~np.isnan(values)
    k = values.shape[1]
    n = present.T.astype(float) @ present.astype(float)
    r = np.full((k, k), np.nan)
    ia, ib = np.triu_indices(k, 1)
    joint = present[:, ia] & present[:, ib]      # (n, pairs): each pair's common rows
    patterns, group = np.unique(np.packbits(joint, axis=0).T, axis=0, return_inverse=True)
    group = group.ravel()
    for g in range(len(patterns)):
        pair_ids = np.flatnonzero(group == g)
        rows = joint[:, pair_ids[0]]
        if rows.sum() < 2:
            continue
        cols = np.unique(np.concatenate([ia[pair_ids], ib[pair_ids]]))
        ranks = stats.rankdata(values[np.ix_(rows, cols)], axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            sub = np.corrcoef(ranks, rowvar=False).reshape(len(cols), len(cols))
        where = {c: i for i, c in enumerate(cols)}
        a = np.array([where[c] for c in ia[pair_ids]])
        b = np.array([where[c] for c in ib[pair_ids]])
        r[ia[pair_ids], ib[pair_ids]] = sub[a, b]
    r = np.fmax(r, r.T)                          # mirror the upper triangle (fmax ignores the NaN side)
    np.fill_diagonal(r, np.where(np.diag(n) >= 2, 1.0, np.nan))
    return np.clip(r, -1.0, 1.0), n


def _pairwise_kendall(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairwise-complete Kendall tau-b with scipy's p-values (a loop over pairs)."""
    present = ~np.isnan(values)
    k = values.shape[1]
    n = present.T.astype(float) @ present.astype(float)
    r = np.full((k, k), np.nan)
    p = np.full((k, k), np.nan)
    for a, b in zip(*np.triu_indices(k, 1)):
        rows = present[:, a] & present[:, b]
        if rows.sum() < 2:
            continue
        result = stats.kendalltau(values[rows, a], values[rows, b])
        r[a, b] = r[b, a] = result.statistic
        p[a, b] = p[b, a] = result.pvalue
    np.fill_diagonal(r, np.where(np.diag(n) >= 2, 1.0, np.nan))
    return r, n, p


def pairwise_correlations(values: np.ndarray, method: str) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """r, n and (Kendall only; else None) p for every pair of columns of an (n, k) array with NaN."""
    if method == "pearson":
        r, n = pairwise_pearson(values)
        return r, n, None
    if method == "spearman":
        r, n = _pairwise_spearman(values)
        return r, n, None
    return _pairwise_kendall(values)


def correlation_matrix(wide: pd.DataFrame, method: str = "pearson", min_periods: int = 30) -> pd.DataFrame:
    """Task x task correlation across models, pairwise-complete.

    Parameters
    ----------
    wide : DataFrame
        models (index) x tasks (columns), NaN where a score is missing.
    method : {"pearson", "spearman", "kendall"}
        Pearson r, Spearman rho (ranks within each pair's common models, average ranks for ties) or
        Kendall tau-b.
    min_periods : int
        pairs with fewer common models are NaN (the diagonal too, for a task with fewer models).

    Returns
    -------
    DataFrame
        tasks x tasks, symmetric, ones on the diagonal; index and columns are ``wide.columns``.
        Agrees with ``wide.corr(method, min_periods=min_periods)``.
    """
    check_method(method)
    values = score_matrix(wide)
    r, n, _ = pairwise_correlations(values, method)
    r = np.where(n >= max(min_periods, 2), r, np.nan)
    return pd.DataFrame(r, index=wide.columns.copy(), columns=wide.columns.copy())


def t_test_p(r: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Two-sided p of H0: rho = 0 from the t statistic with n - 2 df (scipy's pearsonr / spearmanr)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        t = r * np.sqrt((n - 2) / ((1.0 - r) * (1.0 + r)))
        p = 2.0 * stats.t.sf(np.abs(t), n - 2)
    return np.where(np.abs(r) >= 1.0, 0.0, p)


def fisher_ci(r: np.ndarray, n: np.ndarray, method: str = "pearson", ci: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Confidence interval for a correlation from Fisher's z = atanh(r).

    Standard errors: 1 / sqrt(n - 3) for Pearson (as scipy's ``pearsonr(...).confidence_interval()``);
    sqrt(1.06 / (n - 3)) for Spearman and sqrt(0.437 / (n - 4)) for Kendall (Fieller, Hartley & Pearson 1957).
    """
    check_method(method)
    factor, offset = {"pearson": (1.0, 3), "spearman": (1.06, 3), "kendall": (0.437, 4)}[method]
    z_crit = stats.norm.ppf(0.5 + ci / 2.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        se = np.sqrt(factor / (n - offset))
        z = np.arctanh(np.clip(r, -1 + 1e-15, 1 - 1e-15))
        low, high = np.tanh(z - z_crit * se), np.tanh(z + z_crit * se)
    valid = n > offset
    return np.where(valid, low, np.nan), np.where(valid, high, np.nan)


def correlation_pairs(wide: pd.DataFrame, method: str = "pearson", min_periods: int = 30, families=None,
                      ci: float = 0.95, n_boot: int = 0, seed: int = 0) -> pd.DataFrame:
    """One row per unordered pair of tasks: families, n, r, confidence interval and p (pingouin style).

    Parameters
    ----------
    wide : DataFrame
        models x tasks, NaN where missing.
    method : {"pearson", "spearman", "kendall"}
    min_periods : int
        pairs with fewer common models get r, CI and p NaN (they stay in the table with their n).
    families : Series or DataFrame, optional
        task -> family (see :func:`family_series`); fills family_a, family_b and same_family.
    ci : float
        confidence level of the interval.
    n_boot : int
        0: Fisher-z interval (:func:`fisher_ci`); otherwise a percentile bootstrap over models with
        ``n_boot`` resamples (:func:`evalcorr.stats.resampling.bootstrap_correlations`).
    seed : int
        seed of the bootstrap.

    Returns
    -------
    DataFrame
        columns task_a, task_b, family_a, family_b, same_family, n, r, ci_low, ci_high, p; pairs in the
        order of the upper triangle of ``wide.columns``. p is two-sided as scipy's pearsonr, spearmanr
        (t with n - 2 df) and kendalltau give it.
    """
    check_method(method)
    if not 0 < ci < 1:
        raise EvalcorrError(f"`ci` must be a level between 0 and 1 (e.g. 0.95), got {ci}")
    values = score_matrix(wide)
    tasks = list(wide.columns)
    r_full, n_full, p_full = pairwise_correlations(values, method)
    ia, ib = np.triu_indices(len(tasks), 1)
    n = n_full[ia, ib]
    enough = n >= max(min_periods, 2)
    r = np.where(enough, r_full[ia, ib], np.nan)
    p = t_test_p(r, n) if p_full is None else np.where(enough, p_full[ia, ib], np.nan)
    if n_boot:
        from evalcorr.stats.resampling import bootstrap_correlations, percentile_interval

        boot = bootstrap_correlations(wide, n_boot=n_boot, seed=seed, method=method, min_periods=min_periods)
        low, high = percentile_interval(boot[:, ia, ib], ci)
        low, high = np.where(enough, low, np.nan), np.where(enough, high, np.nan)
    else:
        low, high = fisher_ci(r, n, method, ci)
    out = pd.DataFrame({
        "task_a": pd.array([tasks[i] for i in ia], dtype="string"),
        "task_b": pd.array([tasks[i] for i in ib], dtype="string"),
        "n": n.astype("int64"),
        "r": r, "ci_low": low, "ci_high": high, "p": p,
    })
    if families is None:
        out.insert(2, "family_a", pd.array([pd.NA] * len(out), dtype="string"))
        out.insert(3, "family_b", pd.array([pd.NA] * len(out), dtype="string"))
        out.insert(4, "same_family", pd.array([pd.NA] * len(out), dtype="boolean"))
    else:
        fam = family_series(families, tasks)
        out.insert(2, "family_a", pd.array(fam.loc[out["task_a"]].to_numpy(), dtype="string"))
        out.insert(3, "family_b", pd.array(fam.loc[out["task_b"]].to_numpy(), dtype="string"))
        out.insert(4, "same_family", (out["family_a"] == out["family_b"]).astype("boolean"))
    return out[PAIR_COLUMNS]
