"""Pairwise-complete correlation kernels on arrays: every pair of columns of an (n, k) array with NaN
where a value is missing, each pair over the rows that have both values.

Pearson is computed for all pairs at once with masked matrix products (and for many bootstrap
resamples at once, given row multiplicities); Spearman ranks each pair's common rows (pairs that share
the same set of rows, the usual case, are ranked together); Kendall's tau-b loops over pairs with scipy.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from evalcorr.errors import EvalcorrError

METHODS = ("pearson", "spearman", "kendall")


def check_method(method: str) -> str:
    """Return ``method`` if it is a known correlation method, else raise a clear error."""
    if method not in METHODS:
        raise EvalcorrError(f"unknown correlation method {method!r}; use one of {', '.join(METHODS)}")
    return method


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
